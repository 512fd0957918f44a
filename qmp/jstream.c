#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jstream.h"

int
jstream_init(struct jstream *js, size_t max)
{
	memset(js, 0, sizeof(*js));
	js->max = max ? max : JSTREAM_DEFAULT_MAX;
	js->tok = json_tokener_new_ex(JSTREAM_DEPTH);
	if (js->tok == NULL)
		return -1;
	/*
	 * Not JSON_TOKENER_VALIDATE_UTF8: json-c forgets a partial sequence
	 * between calls, so a character split over two reads is an error.
	 * UTF-8 is checked here instead, with state kept across reads.
	 */
	json_tokener_set_flags(js->tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	return 0;
}

void
jstream_reset(struct jstream *js)
{
	json_tokener_reset(js->tok);
	js->cur = 0;
	js->inmsg = 0;
	js->dead = 0;
	js->u8need = 0;
	js->instr = 0;
	js->nhold = 0;
	js->err[0] = '\0';
}

void
jstream_free(struct jstream *js)
{
	if (js->tok != NULL)
		json_tokener_free(js->tok);
	js->tok = NULL;
	free(js->hold);
	js->hold = NULL;
	js->nhold = js->holdsz = 0;
}

int
jstream_partial(const struct jstream *js)
{
	return js->inmsg;
}

static int __attribute__((format(printf, 2, 3)))
jstream_fail(struct jstream *js, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(js->err, sizeof(js->err), fmt, ap);
	va_end(ap);
	js->dead = 1;
	return -1;
}

/*
 * Check n bytes that the tokener took: UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), carrying an incomplete
 * sequence over to the next call, and no NaN or Infinity, which json-c
 * takes even when strict.  Returns the offset of the first bad byte, or
 * n, with *why set.
 */
static size_t
jstream_scan(struct jstream *js, const char *buf, size_t n, const char **why)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (js->u8need > 0) {
			if (c < js->u8lo || c > js->u8hi) {
				*why = "invalid UTF-8";
				return i;
			}
			js->u8need--;
			js->u8lo = 0x80;
			js->u8hi = 0xbf;
			continue;
		}
		if (c < 0x80) {
			if (js->instr == 2)
				js->instr = 1;
			else if (js->instr == 1) {
				if (c == '\\')
					js->instr = 2;
				else if (c == '"')
					js->instr = 0;
			} else if (c == '"')
				js->instr = 1;
			else if (c == 'N' || c == 'I') {
				*why = "NaN and Infinity are not JSON";
				return i;
			}
			continue;
		}
		js->u8lo = 0x80;
		js->u8hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			js->u8need = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			js->u8need = 2;
			if (c == 0xe0)
				js->u8lo = 0xa0;
			else if (c == 0xed)
				js->u8hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			js->u8need = 3;
			if (c == 0xf0)
				js->u8lo = 0x90;
			else if (c == 0xf4)
				js->u8hi = 0x8f;
		} else {
			*why = "invalid UTF-8";
			return i;
		}
	}
	return n;
}

static int
isws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
isnumch(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	    c == 'e' || c == 'E';
}

/*
 * Keep bytes of the current message back from the tokener until the next
 * read: json-c (0.16) misparses a number that is resumed in a later call
 * ("{\"a\":1" then "-2}" gives {"a":1}), so no call may end inside one.
 */
static int
jstream_hold(struct jstream *js, const char *p, size_t n)
{
	if (js->cur + js->nhold + n >= js->max)
		return jstream_fail(js, "message exceeds %zu bytes", js->max);
	if (js->nhold + n > js->holdsz) {
		size_t sz = js->holdsz ? js->holdsz : 64;
		while (sz < js->nhold + n)
			sz *= 2;
		char *h = realloc(js->hold, sz);
		if (h == NULL)
			return jstream_fail(js, "out of memory");
		js->hold = h;
		js->holdsz = sz;
	}
	memcpy(js->hold + js->nhold, p, n);
	js->nhold += n;
	return 0;
}

/*
 * Hand n bytes of the current message to the tokener.  Returns 0 if they
 * were all taken and the message goes on, 1 with *objp and *usedp when it
 * ended, -1 on error.
 */
static int
jstream_parse(struct jstream *js, const char *p, size_t n,
    struct json_object **objp, size_t *usedp)
{
	struct json_object *obj = json_tokener_parse_ex(js->tok, p, (int)n);
	enum json_tokener_error jerr = json_tokener_get_error(js->tok);
	int more = obj == NULL && jerr == json_tokener_continue;
	/* the bytes the tokener took: all, or up to the end or the error */
	size_t took = more ? n : json_tokener_get_parse_end(js->tok);
	const char *why = NULL;
	size_t bad = jstream_scan(js, p, took, &why);

	if (bad < took) {
		if (obj != NULL)
			json_object_put(obj);
		return jstream_fail(js, "invalid JSON: %s (message byte %zu)",
		    why, js->cur + bad);
	}
	if (more) {
		js->cur += n;
		return 0;
	}
	if (jerr != json_tokener_success)
		return jstream_fail(js, "invalid JSON: %s (message byte %zu)",
		    json_tokener_error_desc(jerr), js->cur + took);
	*objp = obj;
	*usedp = took;
	return 1;
}

int
jstream_feed(struct jstream *js, const char *buf, size_t len,
    jstream_msg_cb cb, void *arg)
{
	struct json_object *obj;
	size_t off = 0, used;

	js->consumed = 0;
	if (js->dead)
		return -1;
	if (js->nhold > 0) {
		/* complete the held number, then parse it */
		while (off < len && isnumch(buf[off]))
			off++;
		if (jstream_hold(js, buf, off) == -1)
			return -1;
		if (off == len)
			return 0;
		size_t n = js->nhold;
		js->nhold = 0;
		int r = jstream_parse(js, js->hold, n, &obj, &used);
		if (r == 1) {
			/* cannot happen: a message ends with '}' */
			json_object_put(obj);
			return jstream_fail(js, "invalid JSON: number at end");
		}
		if (r == -1)
			return -1;
	}
	while (off < len) {
		if (!js->inmsg) {
			while (off < len && isws(buf[off]))
				off++;
			if (off == len)
				break;
			if (buf[off] != '{')
				return jstream_fail(js,
				    "message does not start with '{' (byte 0x%02x)",
				    (unsigned char)buf[off]);
			js->inmsg = 1;
			js->cur = 0;
			js->u8need = 0;
			js->instr = 0;
		}

		/* Never hand the tokener more than the cap allows. */
		size_t room = js->max - js->cur;
		size_t n = len - off;
		int capped = 0;
		if (n > room) {
			n = room;
			capped = 1;
		}
		if (n > (1u << 30))
			n = 1u << 30;
		/* nor a number that may go on in the next read */
		size_t t = 0;
		if (!capped && off + n == len)
			while (t < n && isnumch(buf[off + n - 1 - t]))
				t++;

		int r = t == n ? 0 : jstream_parse(js, buf + off, n - t, &obj,
		    &used);
		if (r == -1)
			return -1;
		if (r == 0) {
			off += n;
			if (t > 0) {
				if (jstream_hold(js, buf + off - t, t) == -1)
					return -1;
			} else if (capped || js->cur >= js->max)
				return jstream_fail(js,
				    "message exceeds %zu bytes", js->max);
			continue;
		}
		off += used;
		js->cur = 0;
		js->inmsg = 0;
		json_tokener_reset(js->tok);
		if (!json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			return jstream_fail(js, "message is not an object");
		}
		js->nmsg++;
		int stop = cb(arg, obj);
		json_object_put(obj);
		if (stop) {
			js->consumed = off;
			return 1;
		}
	}
	js->consumed = off;
	return 0;
}

char *
jstream_render(struct json_object *obj, size_t *lenp)
{
	const char *s = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return NULL;
	size_t n = strlen(s);
	char *out = malloc(n + 2);
	if (out == NULL)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	if (lenp != NULL)
		*lenp = n + 1;
	return out;
}
