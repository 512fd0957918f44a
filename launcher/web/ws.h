/*
 * WebSocket (RFC 6455), the server's side, as pure functions over
 * buffers: the opening handshake's check and Sec-WebSocket-Accept, frame
 * reading (clients must mask; fragmentation, control frames, close codes,
 * UTF-8 of text, size caps) and frame writing (servers never mask).  No
 * I/O and no allocation (libcrypto's SHA-1 aside): wsconsole.c drives it over bufferevents, the
 * fuzzer over random bytes.  No extension is negotiated, so a reserved
 * bit set is a protocol error.
 */
#ifndef LAUNCHER_WS_H
#define LAUNCHER_WS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WS_ACCEPT_LEN	28	/* base64 of a SHA-1 */
#define WS_HDR_MAX	14	/* a frame header, masked, 64-bit length */
#define WS_CTL_MAX	125	/* a control frame's payload */

enum ws_opcode {
	WS_OP_CONT	= 0x0,
	WS_OP_TEXT	= 0x1,
	WS_OP_BINARY	= 0x2,
	WS_OP_CLOSE	= 0x8,
	WS_OP_PING	= 0x9,
	WS_OP_PONG	= 0xa
};

/* Close codes (RFC 6455 7.4.1) this side sends or reports. */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_NO_STATUS	1005	/* reported only: a close without one */
#define WS_CLOSE_BAD_DATA	1007	/* text that is not UTF-8 */
#define WS_CLOSE_TOO_BIG	1009
#define WS_CLOSE_ERROR		1011

/*
 * The opening handshake (RFC 6455 4.2.1): the request's method and
 * headers (NULL when absent).  0 with accept (28 characters and a NUL)
 * filled in, or the HTTP status to answer with (400, 405; 426 for a
 * version other than 13, answered with "Sec-WebSocket-Version: 13") and
 * why in err.
 */
int	 ws_handshake(const char *method, const char *upgrade,
	    const char *connection, const char *key, const char *version,
	    char accept[WS_ACCEPT_LEN + 1], char *err, size_t errlen);
/*
 * Does a header's comma-separated list (Connection, Upgrade,
 * Sec-WebSocket-Protocol) hold token, in any case?  NULL holds nothing.
 */
int	 ws_has_token(const char *list, const char *token);
/* Sec-WebSocket-Accept for a key: base64(SHA-1(key GUID)). */
void	 ws_accept_key(const char *key, char accept[WS_ACCEPT_LEN + 1]);

struct ws_limits {
	size_t	max_frame;	/* a frame's payload */
	size_t	max_message;	/* a fragmented message's, in all */
};

/* What one reader remembers between frames. */
struct ws_reader {
	struct ws_limits lim;
	int		 msg_op;	/* the message being fragmented, or 0 */
	uint64_t	 msg_len;	/* ...its bytes so far */
	int		 utf8_need;	/* continuation bytes a text still owes */
	unsigned	 utf8_cp;	/* ...and the code point so far */
	int		 utf8_min;	/* smallest code point of that length */
	int		 closed;	/* a close frame was read */
};

/* One frame read. */
struct ws_frame {
	int		 opcode;	/* enum ws_opcode */
	int		 msg_op;	/* data: WS_OP_TEXT or WS_OP_BINARY */
	int		 fin;		/* data: the message ends here */
	unsigned char	*data;		/* the payload, unmasked in place */
	size_t		 len;
	int		 close_code;	/* WS_OP_CLOSE: WS_CLOSE_NO_STATUS if none */
	const char	*reason;	/* WS_OP_CLOSE: not NUL-terminated */
	size_t		 reason_len;
};

void	 ws_reader_init(struct ws_reader *, const struct ws_limits *);
/*
 * Read one frame from buf[0..len) (from a client: masked).  Returns the
 * bytes it took (> 0) with *f filled in and its payload unmasked in
 * buf; 0 when more bytes are needed, with *need the whole frame's size
 * once its header is in (else 0); -1 when the client broke the protocol,
 * with the code to close with in *code (1002, 1007, 1009) and why in err.
 * After a close frame, or an error, nothing more is read (-1, 1002).
 */
ssize_t	 ws_read_frame(struct ws_reader *, unsigned char *buf, size_t len,
	    struct ws_frame *f, size_t *need, int *code, char *err,
	    size_t errlen);

/*
 * A server frame's header (unmasked) for a payload of len bytes:
 * written to hdr, its length returned (2, 4 or 10).
 */
size_t	 ws_frame_header(unsigned char hdr[WS_HDR_MAX], int opcode, int fin,
	    uint64_t len);
/*
 * A close frame's payload (code, then reason cut to fit 125 bytes) into
 * out; its length.
 */
size_t	 ws_close_payload(unsigned char out[WS_CTL_MAX], int code,
	    const char *reason);
/* May a peer send this close code?  (1000-1003, 1007-1011, 3000-4999) */
int	 ws_close_code_valid(int code);

#endif
