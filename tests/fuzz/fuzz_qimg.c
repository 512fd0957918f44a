/*
 * libFuzzer target for reading qemu-img's output (images/qimg-parse.c):
 * the JSON of qemu-img info --output=json (and of check, which goes
 * through the same qimg_parse_json), convert -p's progress lines, and
 * sizes as qemu-img takes them.
 *
 * The input is qemu-img's standard output.  Invariants:
 *  - qimg_parse_json gives an object, or -1 with a message and nothing;
 *  - qimg_parse_info on that object fills only terminated strings, and a
 *    success has a format and numbers qemu-img can print (<= INT64_MAX);
 *    a failure says why;
 *  - the same text cut at its first NUL, as a progress line: a success is
 *    0..100; as a size: a success is at most INT64_MAX and prints.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "qimg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
FUZZ_UBSAN_OPTIONS

static void
check_info(struct json_object *o)
{
	struct qimg_info in;
	char err[512] = "";

	memset(&in, 0xa5, sizeof(in));
	if (qimg_parse_info(o, &in, err, sizeof(err)) == -1) {
		CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
		return;
	}
	CHECK(memchr(in.format, '\0', sizeof(in.format)) != NULL);
	CHECK(in.format[0] != '\0');
	CHECK(memchr(in.backing, '\0', sizeof(in.backing)) != NULL);
	CHECK(memchr(in.backing_format, '\0', sizeof(in.backing_format)) !=
	    NULL);
	CHECK(in.virtual_size <= INT64_MAX && in.actual_size <= INT64_MAX);
	CHECK(in.nsnapshots >= 0);
	CHECK(in.encrypted == 0 || in.encrypted == 1);
	CHECK(in.dirty == 0 || in.dirty == 1);

	char human[64];
	qimg_human_size(in.virtual_size, human, sizeof(human));
	CHECK(human[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = (struct json_object *)1;
	char err[512] = "";

	if (qimg_parse_json((const char *)data, size, &o, err,
	    sizeof(err)) == -1) {
		CHECK(o == NULL && err[0] != '\0');
	} else {
		CHECK(o != NULL && json_object_is_type(o, json_type_object));
		check_info(o);
		json_object_put(o);
	}

	char *s = strndup((const char *)data, size);
	CHECK(s != NULL);
	double pct = -1;
	if (qimg_parse_progress(s, &pct) == 0)
		CHECK(pct >= 0 && pct <= 100);
	uint64_t bytes = 0;
	const char *why = NULL;
	if (qimg_parse_size(s, &bytes, &why) == 0) {
		char human[64];
		CHECK(bytes <= INT64_MAX);
		qimg_human_size(bytes, human, sizeof(human));
		CHECK(human[0] != '\0' && strlen(human) < sizeof(human));
	} else
		CHECK(why != NULL && why[0] != '\0');
	free(s);
	return 0;
}
