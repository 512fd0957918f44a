/* Unit tests for the JSON stream framing (qmp/jstream.c). */
#include <stdlib.h>
#include <string.h>

#include "jstream.h"
#include "testutil.h"

struct got {
	int			 n;
	struct json_object	*msgs[64];
	int			 stop_after;	/* 0: never stop */
};

static int
collect(void *arg, struct json_object *msg)
{
	struct got *g = arg;

	assert_true(g->n < 64);
	g->msgs[g->n++] = json_object_get(msg);
	return g->stop_after != 0 && g->n >= g->stop_after;
}

static void
got_free(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		json_object_put(g->msgs[i]);
	g->n = 0;
}

static const char *
str_at(struct got *g, int i, const char *key)
{
	struct json_object *v;

	assert_true(i < g->n);
	assert_true(json_object_object_get_ex(g->msgs[i], key, &v));
	return json_object_get_string(v);
}

static void
test_one_message(void **state)
{
	struct jstream js;
	struct got g = { 0 };
	const char *s = "{\"return\": {}, \"id\": 1}\r\n";

	(void)state;
	assert_int_equal(jstream_init(&js, 0), 0);
	assert_int_equal(jstream_feed(&js, s, strlen(s), collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(jstream_partial(&js), 0);
	got_free(&g);
	jstream_free(&js);
}

static void
test_many_in_one_read(void **state)
{
	struct jstream js;
	struct got g = { 0 };
	const char *s = "{\"a\":\"1\"}{\"a\":\"2\"}\n{\"a\":\"3\"}  \n\n{\"a\":\"4\"}";

	(void)state;
	jstream_init(&js, 0);
	assert_int_equal(jstream_feed(&js, s, strlen(s), collect, &g), 0);
	assert_int_equal(g.n, 4);
	for (int i = 0; i < 4; i++) {
		char want[2] = { (char)('1' + i), 0 };
		assert_string_equal(str_at(&g, i, "a"), want);
	}
	got_free(&g);
	jstream_free(&js);
}

/* Split the same input at every byte boundary, and feed byte by byte. */
static void
test_split_everywhere(void **state)
{
	const char *s = "{\"event\":\"STOP\",\"data\":{\"x\":[1,2,{\"y\":\"a\\\"b\\\\c\"}]},"
	    "\"timestamp\":{\"seconds\":1,\"microseconds\":2}}\n{\"return\":{},\"id\":7}\n";
	size_t len = strlen(s);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		struct jstream js;
		struct got g = { 0 };
		jstream_init(&js, 0);
		assert_int_equal(jstream_feed(&js, s, cut, collect, &g), 0);
		assert_int_equal(jstream_feed(&js, s + cut, len - cut, collect, &g), 0);
		assert_int_equal(g.n, 2);
		assert_string_equal(str_at(&g, 0, "event"), "STOP");
		got_free(&g);
		jstream_free(&js);
	}
	struct jstream js;
	struct got g = { 0 };
	jstream_init(&js, 0);
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(jstream_feed(&js, s + i, 1, collect, &g), 0);
		if (i + 1 < len && g.n < 2)
			assert_int_equal(g.n, i >= strlen(s) - 23 ? 1 : 0);
	}
	assert_int_equal(g.n, 2);
	got_free(&g);
	jstream_free(&js);
}

static void
test_escapes_and_utf8(void **state)
{
	struct jstream js;
	struct got g = { 0 };
	/* \u00e9 escaped, raw UTF-8 e-acute, a surrogate pair (U+1F600) */
	const char *s = "{\"a\":\"caf\\u00e9\",\"b\":\"caf\xc3\xa9\","
	    "\"c\":\"\\ud83d\\ude00\",\"d\":\"tab\\tnl\\n\\/\"}";

	(void)state;
	jstream_init(&js, 0);
	assert_int_equal(jstream_feed(&js, s, strlen(s), collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(str_at(&g, 0, "a"), "caf\xc3\xa9");
	assert_string_equal(str_at(&g, 0, "b"), "caf\xc3\xa9");
	assert_string_equal(str_at(&g, 0, "c"), "\xf0\x9f\x98\x80");
	assert_string_equal(str_at(&g, 0, "d"), "tab\tnl\n/");

	/* render and parse back: same object */
	size_t n;
	char *line = jstream_render(g.msgs[0], &n);
	assert_non_null(line);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1));
	struct got g2 = { 0 };
	struct jstream js2;
	jstream_init(&js2, 0);
	assert_int_equal(jstream_feed(&js2, line, n, collect, &g2), 0);
	assert_int_equal(g2.n, 1);
	assert_true(json_object_equal(g.msgs[0], g2.msgs[0]));
	free(line);
	got_free(&g2);
	jstream_free(&js2);
	got_free(&g);
	jstream_free(&js);
}

static void
expect_error(const char *input, size_t len, const char *needle)
{
	struct jstream js;
	struct got g = { 0 };

	jstream_init(&js, 0);
	assert_int_equal(jstream_feed(&js, input, len, collect, &g), -1);
	if (strstr(js.err, needle) == NULL)
		fail_msg("error '%s' does not mention '%s'", js.err, needle);
	/* a dead stream stays dead */
	assert_int_equal(jstream_feed(&js, "{}", 2, collect, &g), -1);
	got_free(&g);
	jstream_free(&js);
}

static void
test_garbage(void **state)
{
	(void)state;
	expect_error("hello", 5, "does not start with '{'");
	expect_error("[1,2]", 5, "does not start with '{'");
	expect_error("{}x", 3, "does not start with '{'");
	expect_error("{\"a\":}", 6, "invalid JSON");
	expect_error("{\"a\" 1}", 7, "invalid JSON");
	expect_error("{\"a\":\"\xff\xfe\"}", 10, "invalid JSON");	/* bad UTF-8 */
	expect_error("{\"a\":1,}", 8, "invalid JSON");
	expect_error("\0{}", 3, "byte 0x00");
}

static void
test_depth_limit(void **state)
{
	char buf[1024];
	size_t n = 0;

	(void)state;
	buf[n++] = '{';
	buf[n++] = '"';
	buf[n++] = 'a';
	buf[n++] = '"';
	buf[n++] = ':';
	for (int i = 0; i < 200; i++)
		buf[n++] = '[';
	expect_error(buf, n, "invalid JSON");
}

static void
test_size_cap(void **state)
{
	struct jstream js;
	struct got g = { 0 };
	char buf[300];

	(void)state;
	/* exactly 100 bytes passes a 100-byte cap */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "{\"a\":\"", 6);
	memcpy(buf + 98, "\"}", 2);
	jstream_init(&js, 100);
	assert_int_equal(jstream_feed(&js, buf, 100, collect, &g), 0);
	assert_int_equal(g.n, 1);
	got_free(&g);
	jstream_free(&js);

	/* 101 bytes do not, even fed in small pieces */
	memcpy(buf + 98, "x\"}", 3);
	jstream_init(&js, 100);
	int r = 0;
	for (size_t i = 0; i < 101 && r == 0; i += 7)
		r = jstream_feed(&js, buf + i, i + 7 > 101 ? 101 - i : 7,
		    collect, &g);
	assert_int_equal(r, -1);
	assert_non_null(strstr(js.err, "exceeds 100 bytes"));
	assert_int_equal(g.n, 0);
	jstream_free(&js);
}

/* A 3 MiB reply, fed in 4 KiB reads as a socket would deliver it. */
static void
test_large_message(void **state)
{
	size_t big = 3u << 20;
	char *buf = malloc(big + 64);
	struct jstream js;
	struct got g = { 0 };

	(void)state;
	assert_non_null(buf);
	size_t n = (size_t)sprintf(buf, "{\"id\":1,\"return\":\"");
	memset(buf + n, 'q', big);
	n += big;
	n += (size_t)sprintf(buf + n, "\"}\n{\"id\":2,\"return\":{}}");
	jstream_init(&js, 0);
	for (size_t off = 0; off < n; off += 4096)
		assert_int_equal(jstream_feed(&js, buf + off,
		    off + 4096 > n ? n - off : 4096, collect, &g), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(strlen(str_at(&g, 0, "return")), big);
	got_free(&g);
	jstream_free(&js);
	free(buf);
}

static void
test_callback_stops(void **state)
{
	struct jstream js;
	struct got g = { 0 };
	const char *s = "{\"a\":1}{\"a\":2}{\"a\":3}";

	(void)state;
	g.stop_after = 1;
	jstream_init(&js, 0);
	assert_int_equal(jstream_feed(&js, s, strlen(s), collect, &g), 1);
	assert_int_equal(g.n, 1);
	got_free(&g);
	jstream_free(&js);
}

static void
test_partial_and_reset(void **state)
{
	struct jstream js;
	struct got g = { 0 };

	(void)state;
	jstream_init(&js, 0);
	assert_int_equal(jstream_feed(&js, "  \n", 3, collect, &g), 0);
	assert_int_equal(jstream_partial(&js), 0);
	assert_int_equal(jstream_feed(&js, "{\"a\":", 5, collect, &g), 0);
	assert_int_equal(jstream_partial(&js), 1);
	jstream_reset(&js);
	assert_int_equal(jstream_partial(&js), 0);
	assert_int_equal(jstream_feed(&js, "{\"b\":2}", 7, collect, &g), 0);
	assert_int_equal(g.n, 1);
	got_free(&g);
	jstream_free(&js);
}

/* Inputs the fuzzer found: each must give the same at every cut. */
static void
test_split_utf8_numbers_nan(void **state)
{
	static const struct {
		const char *in;
		int ok;		/* delivered whole, or an error */
	} cases[] = {
		{ "{\"a\":\"\xc3\xa9\"}", 1 },		/* UTF-8 over two reads */
		{ "{\"a\":\"\xf0\x9f\x98\x80\"}", 1 },
		{ "{\"a\":1-2}", 0 },			/* json-c resumed numbers */
		{ "{\"a\":9-}", 0 },
		{ "{\"a\":-12.5e+3,\"b\":true}", 1 },
		{ "{\"a\":NaN}", 0 },			/* not JSON */
		{ "{\"a\":-Infinity}", 0 },
		{ "{\"NaN\":\"Infinity\"}", 1 },	/* in strings they are fine */
		{ "{\"a\":\"\xed\xa0\x80\"}", 0 },	/* a surrogate in UTF-8 */
		{ "{\"a\":\"\xc0\xaf\"}", 0 },		/* overlong */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;
		size_t len = strlen(in);
		for (size_t cut = 0; cut <= len; cut++) {
			struct jstream js;
			struct got g = { 0 };
			jstream_init(&js, 0);
			int r = jstream_feed(&js, in, cut, collect, &g);
			if (r == 0)
				r = jstream_feed(&js, in + cut, len - cut,
				    collect, &g);
			if (cases[i].ok && (r != 0 || g.n != 1))
				fail_msg("case %zu cut %zu: r=%d n=%d err=%s", i,
				    cut, r, g.n, js.err);
			if (!cases[i].ok && (r != -1 || g.n != 0))
				fail_msg("case %zu cut %zu: accepted", i, cut);
			got_free(&g);
			jstream_free(&js);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_message),
		cmocka_unit_test(test_many_in_one_read),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_escapes_and_utf8),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_large_message),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_partial_and_reset),
		cmocka_unit_test(test_split_utf8_numbers_nan),
	};
	return cmocka_run_group_tests_name("jstream", tests, NULL, NULL);
}
