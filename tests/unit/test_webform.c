/*
 * The web manager's pure parts: the create form as virt-install's flags
 * (webform.c, through the CLI's own parser), and constant-time
 * comparison of secrets (ctcmp.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctcmp.h"
#include "testutil.h"
#include "web.h"

static struct json_object *
form(const char *json, char *err, size_t errlen)
{
	struct json_object *f = json_tokener_parse(json);

	assert_non_null(f);
	struct json_object *a = webform_create(f, err, errlen);
	json_object_put(f);
	return a;
}

static const char *
setting(struct json_object *a, const char *key)
{
	struct json_object *s, *v;

	assert_true(json_object_object_get_ex(a, "settings", &s));
	if (!json_object_object_get_ex(s, key, &v))
		return NULL;
	if (json_object_is_type(v, json_type_array))
		v = json_object_array_get_idx(v, 0);
	return json_object_get_string(v);
}

static void
test_form_to_create(void **state)
{
	char err[256];
	struct json_object *a, *v;

	(void)state;
	a = form("{\"name\":\"f1\",\"memory\":\"256\",\"vcpus\":\"2\","
	    "\"disk\":\"4\",\"network\":\"default\"}", err, sizeof(err));
	if (a == NULL)
		fail_msg("%s", err);
	assert_true(json_object_object_get_ex(a, "name", &v));
	assert_string_equal(json_object_get_string(v), "f1");
	assert_non_null(setting(a, "memory"));
	assert_non_null(strstr(setting(a, "memory"), "256"));
	assert_non_null(strstr(setting(a, "vcpus"), "2"));
	assert_non_null(strstr(setting(a, "disk"), "size=4"));
	assert_non_null(strstr(setting(a, "network"), "network=default"));
	/* no ISO: defined, not started */
	assert_false(json_object_object_get_ex(a, "start", &v));
	json_object_put(a);

	/* an ISO is an install: it starts, from the CD-ROM */
	a = form("{\"name\":\"f2\",\"memory\":\"512\",\"iso\":\"/srv/d.iso\"}",
	    err, sizeof(err));
	if (a == NULL)
		fail_msg("%s", err);
	assert_non_null(strstr(setting(a, "disk"), "path=/srv/d.iso"));
	assert_non_null(strstr(setting(a, "disk"), "device=cdrom"));
	assert_true(json_object_object_get_ex(a, "start", &v));
	json_object_put(a);
}

static void
expect_refused(const char *json, const char *msg)
{
	char err[256] = "";

	if (form(json, err, sizeof(err)) != NULL)
		fail_msg("%s: accepted", json);
	if (strstr(err, msg) == NULL)
		fail_msg("%s: '%s' does not say '%s'", json, err, msg);
}

static void
test_form_refused(void **state)
{
	(void)state;
	expect_refused("{\"name\":\"x\",\"memory\":\"64\",\"qemu-arg\":\"-x\"}",
	    "the form has no field 'qemu-arg'");
	expect_refused("{\"memory\":\"64\"}", "the form needs name");
	expect_refused("{\"name\":\"x\"}", "the form needs memory");
	expect_refused("{\"name\":\"--import\",\"memory\":\"64\"}",
	    "name: '--import' is not a name");
	expect_refused("{\"name\":\"x\",\"memory\":\"64M,x=1\"}",
	    "memory: '64M,x=1' is not a number");
	expect_refused("{\"name\":\"x\",\"memory\":\"64\",\"disk\":\"1,path=/etc/shadow\"}",
	    "disk: '1,path=/etc/shadow' is not a number");
	expect_refused("{\"name\":\"x\",\"memory\":\"64\",\"iso\":\"d.iso\"}",
	    "iso: 'd.iso' is not an absolute path");
	expect_refused("{\"name\":\"x\",\"memory\":\"64\",\"iso\":\"/d.iso,format=raw\"}",
	    "is not an absolute path");
	expect_refused("{\"name\":\"x\",\"memory\":\"64\",\"network\":\"br0,model=e1000\"}",
	    "is not a name");
	char err[64];
	struct json_object *arr = json_object_new_array();
	assert_null(webform_create(arr, err, sizeof(err)));
	assert_string_equal(err, "the form must be a JSON object");
	json_object_put(arr);
}

static void
test_ct_equal(void **state)
{
	(void)state;
	assert_true(ct_equal("abcd", "abcd", 4));
	assert_false(ct_equal("abcd", "abce", 4));
	assert_true(ct_equal("x", "y", 0));
	assert_true(ct_streq("token", "token"));
	assert_false(ct_streq("token", "tokens"));
	assert_false(ct_streq("", "a"));
	assert_true(ct_streq("", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_to_create),
		cmocka_unit_test(test_form_refused),
		cmocka_unit_test(test_ct_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
