/*
 * What the fuzz targets (tests/fuzz/) found, each kept as the request or
 * text that showed it.  Run under ASan/UBSan in the sanitizer build.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "fakeqemu.h"
#include "log.h"
#include "qimg.h"
#include "testutil.h"
#include "vm.h"
#include "vmdef.h"

/* A defined VM, shut off. */
static void
defined_vm(struct fx *f, const char *text)
{
	char err[512];
	struct vmdef *def = vmdef_parse(text, "test", err, sizeof(err));

	if (def == NULL)
		fail_msg("%s", err);
	assert_non_null(vm_add(&f->d, def));
}

/*
 * fuzz_control: snapshot-create with a bad snapshot name answered the
 * request, then read its arguments again (a use after free).
 */
static void
test_snapshot_create_bad_name(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	defined_vm(f, PLAIN_VM);
	request(f, "snapshot-create", "{\"name\": \"t1\"}");
	expect_error(f, "GenericError", "is not a valid snapshot name", 0);
	request(f, "snapshot-create", "{\"name\": \"t1\", \"snapshot\": "
	    "\"a b\", \"description\": \"d\"}");
	expect_error(f, "GenericError", "'a b' is not a valid snapshot name",
	    0);
	fx_free(f);
}

/* fuzz_control: the same in snapshot-revert (its flags read after). */
static void
test_snapshot_revert_bad_name(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	defined_vm(f, PLAIN_VM);
	request(f, "snapshot-revert", "{\"name\": \"t1\", \"running\": "
	    "true}");
	expect_error(f, "GenericError", "is not a valid snapshot name", 0);
	request(f, "snapshot-delete", "{\"name\": \"t1\", \"snapshot\": "
	    "\"../x\"}");
	expect_error(f, "GenericError", "is not a valid snapshot name", 0);
	fx_free(f);
}

/*
 * fuzz_qimg: an info whose "format" was "" passed, and the supervisor
 * would have used an empty format (a -blockdev with driver "").
 */
static void
test_qimg_empty_format(void **state)
{
	static const char out[] = "{\"format\": \"\", \"virtual-size\": 1}";
	struct json_object *o;
	struct qimg_info in;
	char err[256];

	(void)state;
	assert_int_equal(qimg_parse_json(out, sizeof(out) - 1, &o, err,
	    sizeof(err)), 0);
	assert_int_equal(qimg_parse_info(o, &in, err, sizeof(err)), -1);
	assert_string_equal(err, "qemu-img's \"format\" is empty");
	json_object_put(o);
}

/*
 * fuzz_vmdef: "boot: kernel_args= ow2" kept the space, printed as the line
 * "append:  ow2", which reads back as "ow2": the round trip changed the
 * definition.  Values of --boot that become lines are trimmed as lines.
 */
static void
test_boot_kernel_args_trimmed(void **state)
{
	static const char text[] = "name: t\nmemory: 64\nconsole: none\n"
	    "boot: hd,kernel= /k/bzImage ,kernel_args= ow2 \n";
	char err[512];

	(void)state;
	struct vmdef *d = vmdef_parse(text, "t.conf", err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(d->append, "ow2");
	assert_string_equal(d->kernel, "/k/bzImage");
	char *p1 = vmdef_print(d);
	struct vmdef *d2 = vmdef_parse(p1, "printed", err, sizeof(err));
	assert_non_null(d2);
	char *p2 = vmdef_print(d2);
	assert_string_equal(p1, p2);
	free(p2);
	vmdef_free(d2);
	free(p1);
	vmdef_free(d);

	/* an empty kernel_args= (or only blanks) is none: "append: " would
	   not read back */
	d = vmdef_parse("name: t\nmemory: 64\nappend: quiet\n"
	    "boot: hd,kernel=/k,kernel_args=\r\n", "t.conf", err, sizeof(err));
	assert_non_null(d);
	assert_null(d->append);
	p1 = vmdef_print(d);
	d2 = vmdef_parse(p1, "printed", err, sizeof(err));
	if (d2 == NULL)
		fail_msg("%s", err);
	vmdef_free(d2);
	free(p1);
	vmdef_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_create_bad_name),
		cmocka_unit_test(test_snapshot_revert_bad_name),
		cmocka_unit_test(test_qimg_empty_format),
		cmocka_unit_test(test_boot_kernel_args_trimmed),
	};

	log_init("test_fuzzfound", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
