/*
 * jstream: framing of a stream of JSON objects, as QMP and the qlaunch
 * control protocol send them.  One persistent json_tokener per stream:
 * a message may be split over any number of reads, and one read may hold
 * any number of messages.  Every message must be a JSON object; anything
 * else, invalid JSON, invalid UTF-8 or a message over the size cap is an
 * error that names what was wrong.  After an error the stream is dead.
 */
#ifndef QMP_JSTREAM_H
#define QMP_JSTREAM_H

#include <stddef.h>
#include <json-c/json.h>

#define JSTREAM_DEFAULT_MAX	(64u << 20)	/* bytes in one message */
#define JSTREAM_DEPTH		64

/*
 * Called for each complete message, in stream order.  The object is
 * borrowed: take a reference with json_object_get() to keep it.  Return 0
 * to go on, non-zero to stop feeding (the rest of the buffer is left
 * unread and jstream_feed returns 1): use this when the callback closed or
 * freed the owner of the stream.
 */
typedef int (*jstream_msg_cb)(void *arg, struct json_object *msg);

struct jstream {
	struct json_tokener	*tok;
	size_t			 max;		/* size cap of one message */
	size_t			 cur;		/* bytes of the message so far */
	int			 inmsg;		/* inside a message */
	int			 dead;
	unsigned char		 u8need;	/* UTF-8 continuation bytes due */
	unsigned char		 u8lo, u8hi;	/* range of the next one */
	unsigned char		 instr;		/* 1 in a string, 2 after '\\' */
	char			*hold;		/* number characters held back */
	size_t			 nhold;
	size_t			 holdsz;
	unsigned long long	 nmsg;		/* messages delivered */
	size_t			 consumed;	/* bytes used by the last feed */
	char			 err[160];
};

int	jstream_init(struct jstream *, size_t max);
void	jstream_reset(struct jstream *);
void	jstream_free(struct jstream *);
/*
 * 0: all bytes consumed; 1: stopped by the callback, js->consumed bytes
 * used (the rest is the caller's); -1: error in js->err.
 */
int	jstream_feed(struct jstream *, const char *buf, size_t len,
	    jstream_msg_cb, void *arg);
/* Non-zero when a message has started but is not complete. */
int	jstream_partial(const struct jstream *);

/*
 * Render a message as one line of compact JSON followed by "\n".  Returns
 * a malloc'd string and its length, or NULL on allocation failure.
 */
char	*jstream_render(struct json_object *, size_t *lenp);

#endif
