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
	json_tokener_set_flags(js->tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	return 0;
}

void
jstream_reset(struct jstream *js)
{
	json_tokener_reset(js->tok);
	js->cur = 0;
	js->inmsg = 0;
	js->dead = 0;
	js->err[0] = '\0';
}

void
jstream_free(struct jstream *js)
{
	if (js->tok != NULL)
		json_tokener_free(js->tok);
	js->tok = NULL;
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

static int
isws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
jstream_feed(struct jstream *js, const char *buf, size_t len,
    jstream_msg_cb cb, void *arg)
{
	size_t off = 0;

	js->consumed = 0;
	if (js->dead)
		return -1;
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

		struct json_object *obj = json_tokener_parse_ex(js->tok,
		    buf + off, (int)n);
		enum json_tokener_error jerr = json_tokener_get_error(js->tok);
		if (obj == NULL && jerr == json_tokener_continue) {
			js->cur += n;
			off += n;
			if (capped || js->cur >= js->max)
				return jstream_fail(js,
				    "message exceeds %zu bytes", js->max);
			continue;
		}
		if (jerr != json_tokener_success)
			return jstream_fail(js, "invalid JSON: %s (message byte %zu)",
			    json_tokener_error_desc(jerr),
			    js->cur + json_tokener_get_parse_end(js->tok));
		size_t used = json_tokener_get_parse_end(js->tok);
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
