/*
 * libFuzzer target for the JSON stream framing (qmp/jstream.c).
 *
 * Input layout: byte 0 picks how the stream is cut into reads, byte 1
 * turns on a small size cap (high bit) and sets it, byte 2 picks the
 * message at which a callback asks to stop; the rest is the stream.
 * Inputs under 3 bytes are used whole as the stream.
 *
 * Invariants checked:
 *  - feeding whole and feeding in pieces give the same messages, the same
 *    result, the same kind of error and the same partial state (json-c
 *    may describe one syntax error differently, or a byte or two later,
 *    depending on where the reads were cut, so "invalid JSON" texts are
 *    not compared; jstream's own errors are);
 *  - with a small cap, the messages are a prefix of the uncapped ones, no
 *    delivered message is longer than the cap, and "exceeds" is reported
 *    exactly when cap bytes of one message went in without completing it;
 *  - a stream that failed stays dead (no callback, same error) until
 *    jstream_reset, after which it works again;
 *  - a callback that asks to stop stops the feed at that message;
 *  - no message holds NaN or Infinity (not JSON, though json-c takes
 *    them), and every message renders to one line that parses back,
 *    through a fresh stream, to an equal object and the same line.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jstream.h"

#define SMALL_CAP_STEP	3	/* small caps are 1..382 bytes */
#define BYTEWISE_MAX	(64u << 10)

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

/* Make UBSan findings fatal, since the build rule allows recovery. */
const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

enum split_mode {
	SPLIT_WHOLE,
	SPLIT_BYTES,		/* one byte per read */
	SPLIT_FIXED,		/* the same size every time */
	SPLIT_RANDOM,		/* sizes from a generator seeded by the input */
	SPLIT_DATA,		/* sizes from the stream bytes themselves */
	SPLIT_ALTERNATE		/* one byte, then a larger piece, and so on */
};

struct splitter {
	enum split_mode	 mode;
	size_t		 param;
	uint32_t	 rng;
	unsigned	 turn;
};

struct run {
	/* settings */
	const uint8_t		*data;
	size_t			 len;
	size_t			 max;
	size_t			 stop_at;	/* 0: never */
	/* byte-at-a-time bookkeeping for span checks */
	int			 bytewise;
	size_t			 pos;		/* byte being fed */
	size_t			 prev_end;	/* end of the last message */
	/* results */
	struct json_object	**msgs;
	size_t			 nmsgs;
	size_t			 nalloc;
	int			 rc;
	int			 partial;
	unsigned long long	 nmsg;
	char			 err[sizeof(((struct jstream *)0)->err)];
};

static int
isws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
splitter_init(struct splitter *sp, enum split_mode mode, uint8_t sel,
    const uint8_t *data, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 16777619u;
	sp->mode = mode;
	sp->param = (size_t)(sel >> 3) + 1;		/* 1..32 */
	sp->rng = h | 1;
	sp->turn = 0;
}

static size_t
splitter_next(struct splitter *sp, const uint8_t *data, size_t pos,
    size_t left)
{
	size_t n;

	switch (sp->mode) {
	case SPLIT_WHOLE:
		n = left;
		break;
	case SPLIT_BYTES:
		n = 1;
		break;
	case SPLIT_FIXED:
		n = sp->param;
		break;
	case SPLIT_RANDOM:
		sp->rng ^= sp->rng << 13;
		sp->rng ^= sp->rng >> 17;
		sp->rng ^= sp->rng << 5;
		n = 1 + sp->rng % (sp->param * 8);
		break;
	case SPLIT_DATA:
		n = 1 + data[pos] % (sp->param + 1);
		break;
	case SPLIT_ALTERNATE:
	default:
		n = (sp->turn++ & 1) ? sp->param * 11 : 1;
		break;
	}
	return n < left ? n : left;
}

/* Only numbers JSON can spell (1e999 is fine: it keeps its spelling). */
static void
check_finite(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		CHECK(!isnan(json_object_get_double(o)));
		if (isinf(json_object_get_double(o))) {
			const char *s = json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN);
			CHECK(s != NULL && strpbrk(s, "0123456789") != NULL);
		}
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			check_finite(val);
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			check_finite(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
}

static int
collect(void *arg, struct json_object *msg)
{
	struct run *r = arg;

	CHECK(msg != NULL && json_object_is_type(msg, json_type_object));
	check_finite(msg);
	if (r->nmsgs == r->nalloc) {
		size_t n = r->nalloc ? r->nalloc * 2 : 16;
		struct json_object **m = reallocarray(r->msgs, n, sizeof(*m));
		CHECK(m != NULL);
		r->msgs = m;
		r->nalloc = n;
	}
	r->msgs[r->nmsgs++] = json_object_get(msg);

	if (r->bytewise) {
		/* The message is the bytes from the first '{' after the last
		 * message up to and including the byte just fed. */
		size_t start = r->prev_end;
		while (start < r->pos && isws(r->data[start]))
			start++;
		size_t end = r->pos + 1;
		CHECK(r->data[start] == '{');
		CHECK(r->data[end - 1] == '}');
		CHECK(end - start <= r->max);
		r->prev_end = end;
	}
	return r->stop_at != 0 && r->nmsgs >= r->stop_at;
}

static int
refuse(void *arg, struct json_object *msg)
{
	(void)arg;
	(void)msg;
	CHECK(!"callback called on a dead stream");
	return 1;
}

static void
run_clear(struct run *r)
{
	for (size_t i = 0; i < r->nmsgs; i++)
		json_object_put(r->msgs[i]);
	free(r->msgs);
	r->msgs = NULL;
	r->nmsgs = r->nalloc = 0;
}

/* A dead stream refuses everything until reset; then it works again. */
static void
check_dead(struct jstream *js, const struct run *r)
{
	static const char ok[] = "{\"return\": {}, \"id\": 1}\r\n";

	CHECK(js->dead);
	CHECK(jstream_feed(js, ok, sizeof(ok) - 1, refuse, NULL) == -1);
	if (r->len > 0)
		CHECK(jstream_feed(js, (const char *)r->data, r->len, refuse,
		    NULL) == -1);
	CHECK(js->nmsg == r->nmsg);
	CHECK(strcmp(js->err, r->err) == 0);

	/* after a reset, a message that fits the cap goes through */
	struct run again = { .max = js->max };
	const char *probe = ok;
	size_t plen = sizeof(ok) - 1;
	if (js->max < plen) {
		probe = "{}";
		plen = 2;
	}
	jstream_reset(js);
	CHECK(!js->dead && !jstream_partial(js) && js->err[0] == '\0');
	int rc = jstream_feed(js, probe, plen, collect, &again);
	if (js->max < plen)
		CHECK(rc == -1 && again.nmsgs == 0);
	else
		CHECK(rc == 0 && again.nmsgs == 1 && !jstream_partial(js));
	run_clear(&again);
}

static void
feed(struct run *r, enum split_mode mode, uint8_t sel)
{
	struct jstream js;
	struct splitter sp;
	size_t off = 0;

	CHECK(jstream_init(&js, r->max) == 0);
	CHECK(js.max == r->max);
	splitter_init(&sp, mode, sel, r->data, r->len);
	r->bytewise = mode == SPLIT_BYTES;
	r->prev_end = 0;
	r->rc = 0;
	while (off < r->len) {
		size_t n = splitter_next(&sp, r->data, off, r->len - off);
		size_t before = r->nmsgs;
		r->pos = off;
		r->rc = jstream_feed(&js, (const char *)r->data + off, n,
		    collect, r);
		CHECK(r->rc >= -1 && r->rc <= 1);
		CHECK(js.nmsg == r->nmsgs);
		if (r->rc == 1)
			CHECK(r->stop_at != 0 && r->nmsgs == r->stop_at &&
			    r->nmsgs > before);
		if (r->rc == -1) {
			CHECK(js.dead && js.err[0] != '\0');
			if (r->bytewise &&
			    strncmp(js.err, "message exceeds", 15) == 0) {
				/* exactly max bytes of one message went in */
				size_t start = r->prev_end;
				while (isws(r->data[start]))
					start++;
				CHECK(off + 1 - start == r->max);
			}
		}
		if (r->rc != 0)
			break;
		CHECK(!js.dead);
		off += n;
	}
	if (r->rc == 0 && r->len == 0)
		CHECK(jstream_feed(&js, "", 0, refuse, NULL) == 0);
	r->partial = jstream_partial(&js);
	r->nmsg = js.nmsg;
	memcpy(r->err, js.err, sizeof(r->err));
	if (r->rc == -1)
		check_dead(&js, r);
	jstream_free(&js);
}

static int
same_msg(struct json_object *a, struct json_object *b)
{
	if (!json_object_equal(a, b))
		return 0;
	const char *sa = json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN);
	const char *sb = json_object_to_json_string_ext(b,
	    JSON_C_TO_STRING_PLAIN);
	return sa != NULL && sb != NULL && strcmp(sa, sb) == 0;
}

/* The first n messages of a and b are the same. */
static void
check_prefix(const struct run *a, const struct run *b, size_t n)
{
	CHECK(n <= a->nmsgs && n <= b->nmsgs);
	for (size_t i = 0; i < n; i++)
		CHECK(same_msg(a->msgs[i], b->msgs[i]));
}

enum err_kind {
	ERR_NONE,
	ERR_JSON,		/* from json-c, or bad UTF-8 */
	ERR_SIZE,
	ERR_START,
	ERR_TYPE
};

static enum err_kind
err_kind(const char *err)
{
	if (err[0] == '\0')
		return ERR_NONE;
	if (strncmp(err, "invalid JSON: ", 14) == 0)
		return ERR_JSON;
	if (strncmp(err, "message exceeds ", 16) == 0)
		return ERR_SIZE;
	if (strncmp(err, "message does not start with '{' (byte 0x", 40) == 0)
		return ERR_START;
	CHECK(strcmp(err, "message is not an object") == 0);
	return ERR_TYPE;
}

/*
 * The same messages and the same outcome.  near_cap: a syntax error
 * that json-c finds a byte or two later in one run may fall past the
 * size cap, so "invalid JSON" and "exceeds" count as the same there.
 */
static void
check_same(const struct run *a, const struct run *b, int near_cap)
{
	CHECK(a->rc == b->rc);
	CHECK(a->nmsgs == b->nmsgs);
	CHECK(a->nmsg == b->nmsg);
	CHECK(a->partial == b->partial);
	check_prefix(a, b, a->nmsgs);

	enum err_kind ka = err_kind(a->err), kb = err_kind(b->err);
	if (near_cap && ka != kb)
		CHECK((ka == ERR_JSON && kb == ERR_SIZE) ||
		    (ka == ERR_SIZE && kb == ERR_JSON));
	else
		CHECK(ka == kb);
	if (ka == kb && ka != ERR_JSON)
		CHECK(strcmp(a->err, b->err) == 0);
}

static void
check_render(struct json_object *msg)
{
	struct run r = { .max = JSTREAM_DEFAULT_MAX };
	struct jstream js;
	size_t len = 0;
	char *s;

	CHECK((s = jstream_render(msg, &len)) != NULL);
	CHECK(len == strlen(s));
	CHECK(len >= 3 && s[0] == '{' && s[len - 2] == '}' &&
	    s[len - 1] == '\n');
	CHECK(memchr(s, '\n', len - 1) == NULL);

	CHECK(jstream_init(&js, 0) == 0);
	CHECK(jstream_feed(&js, s, len, collect, &r) == 0);
	CHECK(r.nmsgs == 1 && !jstream_partial(&js));
	CHECK(json_object_equal(msg, r.msgs[0]));

	size_t len2 = 0;
	char *s2 = jstream_render(r.msgs[0], &len2);
	CHECK(s2 != NULL && len2 == len && memcmp(s, s2, len) == 0);
	free(s2);
	free(s);
	run_clear(&r);
	jstream_free(&js);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	uint8_t sel = 0, capsel = 0, stopsel = 0;
	const uint8_t *data = in;
	size_t len = size;

	if (size >= 3) {
		sel = in[0];
		capsel = in[1];
		stopsel = in[2];
		data += 3;
		len -= 3;
	}
	enum split_mode mode = SPLIT_BYTES + (sel & 7) % 5;
	if (mode == SPLIT_BYTES && len > BYTEWISE_MAX)
		mode = SPLIT_FIXED;

	/* whole and split, default cap */
	struct run whole = { .data = data, .len = len,
	    .max = JSTREAM_DEFAULT_MAX };
	struct run split = whole;
	feed(&whole, SPLIT_WHOLE, sel);
	feed(&split, mode, sel);
	check_same(&whole, &split, 0);
	run_clear(&split);

	/* a small cap: whole, and byte by byte with span checks */
	if (capsel & 0x80) {
		size_t cap = 1 + (size_t)(capsel & 0x7f) * SMALL_CAP_STEP;
		struct run cw = { .data = data, .len = len, .max = cap };
		struct run cs = cw;
		feed(&cw, SPLIT_WHOLE, sel);
		feed(&cs, len <= BYTEWISE_MAX ? SPLIT_BYTES : mode, sel);
		check_same(&cw, &cs, 1);
		check_prefix(&whole, &cw, cw.nmsgs);
		switch (err_kind(cw.err)) {
		case ERR_NONE:
			check_same(&whole, &cw, 0);
			break;
		case ERR_JSON:
			/* an error within the cap is an error without it,
			 * unless the input ended inside that message: a
			 * stream may wait for more bytes before judging the
			 * last few (where a number ends, say) */
			CHECK(whole.nmsgs == cw.nmsgs);
			CHECK(whole.rc == -1 || whole.partial);
			break;
		case ERR_START:
		case ERR_TYPE:
			CHECK(whole.rc == -1 && whole.nmsgs == cw.nmsgs);
			CHECK(strcmp(whole.err, cw.err) == 0);
			break;
		case ERR_SIZE:
			break;
		}
		run_clear(&cw);
		run_clear(&cs);
	}

	/* a callback that stops */
	if (whole.nmsgs > 0) {
		struct run st = { .data = data, .len = len,
		    .max = JSTREAM_DEFAULT_MAX };
		st.stop_at = 1 + stopsel % whole.nmsgs;
		feed(&st, mode, sel);
		CHECK(st.rc == 1 && st.nmsgs == st.stop_at);
		check_prefix(&whole, &st, st.nmsgs);
		run_clear(&st);
	}

	for (size_t i = 0; i < whole.nmsgs; i++)
		check_render(whole.msgs[i]);
	run_clear(&whole);
	return 0;
}
