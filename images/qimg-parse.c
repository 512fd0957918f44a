/*
 * What qemu-img prints, read: its JSON, the progress of convert -p; and
 * sizes as qemu-img takes and prints them.  No process is run here.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jget.h"
#include "qimg.h"
#include "util.h"

/* The start of a text, on one line, for a message. */
static void
snippet(const char *buf, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	while (len > i && isspace((unsigned char)buf[len - 1]))
		len--;
	for (; i < len && o + 4 < outlen && o < 40; i++) {
		unsigned char c = (unsigned char)buf[i];
		out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	if (i < len && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

int
qimg_parse_json(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	char snip[64];
	size_t end;

	*out = NULL;
	snippet(buf, len, snip, sizeof(snip));
	if (len == 0 || snip[0] == '\0') {
		snprintf(err, errlen, "qemu-img printed nothing");
		return -1;
	}
	if (len > INT_MAX) {
		snprintf(err, errlen, "qemu-img's output is too long");
		return -1;
	}
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL) {
		snprintf(err, errlen, "qemu-img's output is not JSON (%s): "
		    "'%s'", je == json_tokener_continue ? "it ends too soon" :
		    json_tokener_error_desc(je), snip);
		return -1;
	}
	for (; end < len; end++)
		if (!isspace((unsigned char)buf[end])) {
			json_object_put(o);
			snippet(buf + end, len - end, snip, sizeof(snip));
			snprintf(err, errlen, "qemu-img's output goes on after "
			    "its JSON: '%s'", snip);
			return -1;
		}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errlen, "qemu-img's output is not a JSON object: "
		    "'%s'", snip);
		return -1;
	}
	*out = o;
	return 0;
}

/* A string member that fits, else -1 with err; absent: "". */
static int
str_member(struct json_object *o, const char *key, int required, char *dst,
    size_t dstlen, char *err, size_t errlen)
{
	struct json_object *v = jget(o, key);

	dst[0] = '\0';
	if (v == NULL) {
		if (!required)
			return 0;
		snprintf(err, errlen, "qemu-img's answer has no \"%s\"", key);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "qemu-img's \"%s\" is not a string", key);
		return -1;
	}
	if (strlcpy(dst, json_object_get_string(v), dstlen) >= dstlen) {
		snprintf(err, errlen, "qemu-img's \"%s\" is too long", key);
		return -1;
	}
	return 0;
}

static int
size_member(struct json_object *o, const char *key, int required,
    uint64_t *dst, char *err, size_t errlen)
{
	long long v;

	*dst = 0;
	switch (jint_range(o, key, 0, LLONG_MAX, &v)) {
	case 0:
		*dst = (uint64_t)v;
		return 0;
	case -1:
		if (!required)
			return 0;
		snprintf(err, errlen, "qemu-img's answer has no \"%s\"", key);
		return -1;
	default:
		snprintf(err, errlen, "qemu-img's \"%s\" is not a size", key);
		return -1;
	}
}

int
qimg_parse_info(struct json_object *o, struct qimg_info *in, char *err,
    size_t errlen)
{
	struct json_object *snaps, *data;

	memset(in, 0, sizeof(*in));
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "qemu-img's answer is not an object");
		return -1;
	}
	if (str_member(o, "format", 1, in->format, sizeof(in->format), err,
	    errlen) == -1 ||
	    size_member(o, "virtual-size", 1, &in->virtual_size, err,
	    errlen) == -1 ||
	    size_member(o, "actual-size", 0, &in->actual_size, err,
	    errlen) == -1 ||
	    str_member(o, "backing-filename", 0, in->backing,
	    sizeof(in->backing), err, errlen) == -1 ||
	    str_member(o, "backing-filename-format", 0, in->backing_format,
	    sizeof(in->backing_format), err, errlen) == -1)
		return -1;
	if (in->format[0] == '\0') {
		snprintf(err, errlen, "qemu-img's \"format\" is empty");
		return -1;
	}
	in->encrypted = jbool(o, "encrypted");
	data = jget(jget(o, "format-specific"), "data");
	in->dirty = jbool(o, "dirty-flag") || jbool(data, "corrupt");
	snaps = jget(o, "snapshots");
	if (snaps != NULL) {
		if (!json_object_is_type(snaps, json_type_array)) {
			snprintf(err, errlen, "qemu-img's \"snapshots\" is not "
			    "an array");
			return -1;
		}
		size_t n = json_object_array_length(snaps);
		in->nsnapshots = n > INT_MAX ? INT_MAX : (int)n;
	}
	return 0;
}

int
qimg_parse_progress(const char *s, double *pct)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s++ != '(' || !isdigit((unsigned char)*s))
		return -1;
	double v = strtod(s, &end);
	if (end == s || strncmp(end, "/100%)", 6) != 0 || v < 0 || v > 100)
		return -1;
	*pct = v;
	return 0;
}

int
qimg_parse_size(const char *s, uint64_t *bytes, const char **err)
{
	static const char bad[] = "not a size (bytes, or a number with a K, "
	    "M, G or T suffix)";
	const char *e;
	long long v;
	size_t i;

	for (i = 0; isdigit((unsigned char)s[i]); i++)
		;
	if (i == 0) {
		*err = bad;
		return -1;
	}
	if (s[i] == '\0') {
		if (parse_uint(s, 0, INT64_MAX, &v, err) == -1)
			return -1;
		*bytes = (uint64_t)v;
		return 0;
	}
	if (parse_size(s, bytes, &e) == -1) {
		*err = strstr(e, "suffix") != NULL ? e :
		    strcmp(e, "too large") == 0 ? e : bad;
		return -1;
	}
	if (*bytes > INT64_MAX) {
		*err = "too large";
		return -1;
	}
	return 0;
}

void
qimg_human_size(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	int i = 0;

	/* the unit in which it is below 1000, as qemu-img does */
	while (i < 6 && v >= (1000ULL << (10 * i)))
		i++;
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, len, "%0.3g %s", (double)v /
		    (double)(1ULL << (10 * i)), unit[i]);
}
