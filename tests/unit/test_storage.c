/*
 * Disks settled off the event loop (storage.c, imgwork.c) against the
 * fake QEMU (tests/fakeqemu.h) and a stand-in qemu-img ($QEMU_IMG, a
 * shell script): while a define's probe or image creation runs, other
 * requests (list, a QMP command to a running VM) are answered; a step
 * that does not end in time gives one line, nothing defined and no image
 * left; a failure after an image was made removes it; a VM undefined or
 * renamed meanwhile refuses the definition or the attach-disk and
 * removes what was made for it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "fakeqemu.h"
#include "jget.h"
#include "names.h"
#include "testutil.h"
#include "util.h"
#include "vm.h"

static int
setup(void **state)
{
	*state = fx_new();
	return 0;
}

static int
teardown(void **state)
{
	unsetenv("QEMU_IMG");
	fx_free(*state);
	return 0;
}

/*
 * $QEMU_IMG: info sleeps info_s then says raw (or fails when info_s is
 * negative), create sleeps create_s then leaves the file qlaunch made;
 * each run writes its pid to DIR/pid.
 */
static void
stand_in(struct fx *f, const char *info_s, const char *create_s)
{
	char *p = xasprintf("%s/qemu-img", f->dir);
	FILE *o = fopen(p, "w");

	assert_non_null(o);
	fprintf(o, "#!/bin/sh\necho $$ > %s/pid\n"
	    "case \"$1\" in\n"
	    "info)\tif [ %s = fail ]; then echo 'qemu-img: broken image' >&2; "
	    "exit 1; fi\n"
	    "\tsleep %s\n"
	    "\techo '{\"format\": \"raw\", \"virtual-size\": 1048576, "
	    "\"filename\": \"x\"}';;\n"
	    "create)\tsleep %s;;\n"
	    "*)\texit 1;;\n"
	    "esac\n", f->dir, info_s, info_s, create_s);
	assert_int_equal(fclose(o), 0);
	assert_int_equal(chmod(p, 0755), 0);
	assert_int_equal(setenv("QEMU_IMG", p, 1), 0);
	free(p);
}

/* An image file that exists (its content does not matter here). */
static char *
image(struct fx *f, const char *name)
{
	char *p = xasprintf("%s/%s", f->dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd != -1);
	close(fd);
	return p;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The pid the stand-in wrote: gone, or a zombie no one waits for yet. */
static void
assert_stand_in_gone(struct fx *f)
{
	char *p = xasprintf("%s/pid", f->dir), *t = tu_slurp(p, NULL);

	assert_non_null(t);
	pid_t pid = (pid_t)atoi(t);
	for (int i = 0; i < 200; i++) {
		char stat[64], *s;
		snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)pid);
		if ((s = tu_slurp(stat, NULL)) == NULL)
			break;
		char *r = strrchr(s, ')');
		int zombie = r != NULL && r[1] == ' ' && r[2] == 'Z';
		free(s);
		if (zombie)
			break;
		usleep(10000);
		assert_int_not_equal(i, 199);
	}
	free(t);
	free(p);
}

/* define's request with this text, as the client sends it */
static void
define(struct fx *f, const char *text)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "text", json_object_new_string(text));
	request(f, "define", json_object_to_json_string(a));
	json_object_put(a);
}

/* A probe that takes a second does not hold up list or QMP. */
static void
test_probe_pending(void **state)
{
	struct fx *f = *state;
	char *img = image(f, "probe.img");
	struct vmdef_disk k;

	fx_running_vm(f, "name: run\nmemory: 256\nballoon: off\n"
	    "console: none\n");
	stand_in(f, "1", "0");
	char *text = xasprintf("name: t2\nmemory: 256\ndisk: path=%s\n", img);
	long long t0 = tu_now_ms();
	define(f, text);
	assert_int_equal(f->nmsgs, 0);	/* the probe runs */

	request(f, "list", "{}");
	struct json_object *l = expect_return(f);
	assert_int_equal(json_object_array_length(l), 1);	/* not t2 yet */
	json_object_put(l);

	request(f, "qmp", "{\"name\": \"run\", \"command\": \"query-status\"}");
	long long id = expect_cmd(f, "query-status", NULL);
	answer(f, id, "{\"status\": \"running\", \"running\": true}");
	json_object_put(expect_return(f));
	assert_true(tu_now_ms() - t0 < 900);
	assert_null(vm_find(&f->d, "t2"));

	/* then the define, with the format the probe found */
	struct json_object *r = expect_return(f);
	assert_false(jbool(r, "replaced"));
	json_object_put(r);
	assert_true(tu_now_ms() - t0 >= 900);
	struct vm *vm = vm_find(&f->d, "t2");
	assert_non_null(vm);
	assert_int_equal(vmdef_disk_get(vm_persistent(vm), 0, &k), 0);
	assert_string_equal(k.format, "raw");
	free(text);
	free(img);
}

/* A probe that does not answer: one line, nothing defined, no child. */
static void
test_probe_timeout(void **state)
{
	struct fx *f = *state;
	char *img = image(f, "slow.img");

	f->d.img_step_ms = 300;
	stand_in(f, "30", "0");
	char *text = xasprintf("name: t1\nmemory: 256\ndisk: path=%s\n", img);
	long long t0 = tu_now_ms();
	define(f, text);
	char *want = xasprintf("disk vda: qemu-img info %s did not answer in "
	    "1 s", img);
	expect_error(f, ERR_GENERIC, want, 0);
	assert_true(tu_now_ms() - t0 < 5000);
	assert_null(vm_find(&f->d, "t1"));
	char *conf = xasprintf("%s/t1.conf", f->d.defdir);
	assert_false(exists(conf));
	assert_true(exists(img));	/* not ours: left alone */
	assert_stand_in_gone(f);
	free(conf);
	free(want);
	free(text);
	free(img);
}

/* An image being created when time runs out is removed. */
static void
test_create_timeout(void **state)
{
	struct fx *f = *state;

	f->d.img_step_ms = 300;
	stand_in(f, "0", "30");
	char *img = xasprintf("%s/new.qcow2", f->dir);
	char *text = xasprintf("name: t1\nmemory: 256\n"
	    "disk: path=%s,size=1\n", img);
	define(f, text);
	char *want = xasprintf("disk vda: qemu-img create %s did not answer "
	    "in 1 s", img);
	expect_error(f, ERR_GENERIC, want, 0);
	assert_null(vm_find(&f->d, "t1"));
	assert_false(exists(img));
	assert_stand_in_gone(f);
	free(want);
	free(text);
	free(img);
}

/* The second disk's probe fails: the first disk's new image goes. */
static void
test_failure_removes_created(void **state)
{
	struct fx *f = *state;
	char *old = image(f, "old.img");

	stand_in(f, "fail", "0");
	/* a disk given only a size: STATEDIR/images/t1-vda.qcow2 */
	char *made = xasprintf("%s/images/t1-vda.qcow2", f->dir);
	char *text = xasprintf("name: t1\nmemory: 256\ndisk: size=1\n"
	    "disk: path=%s\n", old);
	define(f, text);
	expect_error(f, ERR_GENERIC, "disk vdb: cannot read", 0);
	assert_null(vm_find(&f->d, "t1"));
	assert_false(exists(made));
	assert_true(exists(old));

	/* create is the same: nothing defined, nothing made */
	char *args = xasprintf("{\"name\": \"t1\", \"settings\": {\"memory\": "
	    "\"256\", \"disk\": [\"size=1\", \"path=%s\"]}}", old);
	request(f, "create", args);
	free(args);
	expect_error(f, ERR_GENERIC, "disk vdb: cannot read", 0);
	assert_null(vm_find(&f->d, "t1"));
	assert_false(exists(made));
	free(text);
	free(made);
	free(old);
}

/* A new image of a VM with an owner is the owner's (its QEMU runs as the
 * owner); an owner who is no user: one line, nothing defined or left. */
static void
test_owner_owns_image(void **state)
{
	struct fx *f = *state;
	struct passwd *pw = getpwnam("nobody");
	struct stat st;

	if (getuid() != 0 || pw == NULL)
		skip();
	uid_t uid = pw->pw_uid;
	stand_in(f, "0", "0");
	char *made = xasprintf("%s/images/t1-vda.qcow2", f->dir);
	define(f, "name: t1\nmemory: 256\nowner: nobody\ndisk: size=1\n");
	json_object_put(expect_return(f));
	assert_int_equal(stat(made, &st), 0);
	assert_int_equal(st.st_uid, uid);

	char *made2 = xasprintf("%s/images/t2-vda.qcow2", f->dir);
	define(f, "name: t2\nmemory: 256\nowner: qlt-no-such-user\n"
	    "disk: size=1\n");
	expect_error(f, ERR_GENERIC, "no user 'qlt-no-such-user' to own it", 0);
	assert_null(vm_find(&f->d, "t2"));
	assert_false(exists(made2));
	free(made);
	free(made2);
}

/* The VM replaced goes while its new definition's image is made. */
static void
test_undefined_meanwhile(void **state)
{
	struct fx *f = *state;
	char *img = xasprintf("%s/t1-data.qcow2", f->dir);

	define(f, "name: t1\nmemory: 256\n");
	json_object_put(expect_return(f));
	stand_in(f, "0", "1");
	char *text = xasprintf("name: t1\nmemory: 256\n"
	    "disk: path=%s,size=1\n", img);
	define(f, text);
	request(f, "undefine", "{\"name\": \"t1\"}");
	json_object_put(expect_return(f));	/* at once */
	expect_error(f, ERR_NOT_FOUND, "VM 't1' was undefined or renamed "
	    "while its disks were prepared", 0);
	assert_null(vm_find(&f->d, "t1"));
	assert_false(exists(img));

	/* a new VM of that name defined meanwhile: the later one loses */
	define(f, text);
	define(f, "name: t1\nmemory: 128\n");
	json_object_put(expect_return(f));
	expect_error(f, ERR_EXISTS, "VM 't1' was defined while its disks "
	    "were prepared", 0);
	assert_int_equal(vm_persistent(vm_find(&f->d, "t1"))->memory_mib, 128);
	assert_false(exists(img));
	free(text);
	free(img);
}

/* attach-disk to a VM renamed while the image is made: refused, undone. */
static void
test_attach_renamed_meanwhile(void **state)
{
	struct fx *f = *state;
	char *img = xasprintf("%s/add.qcow2", f->dir);

	define(f, "name: t1\nmemory: 256\n");
	json_object_put(expect_return(f));
	stand_in(f, "0", "1");
	char *args = xasprintf("{\"name\": \"t1\", \"disk\": "
	    "\"path=%s,size=1,format=qcow2\", \"config\": true}", img);
	request(f, "attach-disk", args);
	request(f, "rename", "{\"name\": \"t1\", \"new_name\": \"t9\"}");
	json_object_put(expect_return(f));
	expect_error(f, ERR_NOT_FOUND, "VM 't1' was undefined or renamed "
	    "while the disk was prepared", 0);
	assert_false(exists(img));
	struct vmdef_disk k;
	assert_int_equal(vmdef_disk_get(vm_persistent(vm_find(&f->d, "t9")), 0,
	    &k), -1);

	/* and without the rename it is attached */
	free(args);
	args = xasprintf("{\"name\": \"t9\", \"disk\": "
	    "\"path=%s,size=1,format=qcow2\", \"config\": true}", img);
	request(f, "attach-disk", args);
	json_object_put(expect_return(f));
	assert_true(exists(img));
	assert_int_equal(vmdef_disk_get(vm_persistent(vm_find(&f->d, "t9")), 0,
	    &k), 0);
	assert_string_equal(k.path, img);
	free(args);
	free(img);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_pending, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_probe_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_create_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_owner_owns_image, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failure_removes_created,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_undefined_meanwhile, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_attach_renamed_meanwhile,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
