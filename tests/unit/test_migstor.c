/*
 * migrate --copy-storage and --offline (migstor.h, migoff.h): which
 * disks are copied; the destination's checks of the disks it is asked
 * to make (nothing made on bad input); the source against the fake QEMU
 * (tests/fakeqemu.h) and a fake destination: the disks' sizes in
 * migrate-prepare, the NBD node and mirror to the address the
 * destination gave, the ready jobs cancelled (not forced) and their
 * nodes deleted before migrate-finish, and the rollback when QEMU refuses the NBD node or a
 * mirror job dies (the node deleted, migrate-abort, one error naming the
 * cause, the guest running); --offline refusing a running VM.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "fakeqemu.h"
#include "jget.h"
#include "migstor.h"
#include "names.h"
#include "testutil.h"
#include "vm.h"
#include "vmdef.h"

#define UUID_LINE	"uuid: 00000000-0000-4000-8000-0000000000c1\n"
/* the same inside a JSON string */
#define UUID_LINE_ESC	"uuid: 00000000-0000-4000-8000-0000000000c1\\n"

/* A definition with an image, a CD-ROM and a read-only disk. */
static struct vmdef *
three_disks(void)
{
	return tu_parse_ok(PLAIN_VM UUID_LINE
	    "disk: /img/a.qcow2,format=qcow2\n"
	    "disk: /img/b.iso,device=cdrom,format=raw\n"
	    "disk: /img/c.raw,format=raw,readonly=on\n");
}

static void
test_disks_selected(void **state)
{
	struct vmdef *d = three_disks();
	struct json_object *blocks = json_tokener_parse("[{\"qdev\": \"x\", "
	    "\"inserted\": {\"node-name\": \"fmt-vda\", \"image\": "
	    "{\"virtual-size\": 1048576}}}]"), *out = NULL;
	char err[256];

	(void)state;
	assert_int_equal(migstor_disks(d, blocks, &out, err, sizeof(err)), 0);
	assert_int_equal(json_object_array_length(out), 1);
	struct json_object *o = json_object_array_get_idx(out, 0);
	assert_string_equal(jstr(o, "target"), "vda");
	assert_string_equal(jstr(o, "node"), "fmt-vda");
	assert_int_equal(jint(o, "size", 0), 1048576);
	json_object_put(out);
	json_object_put(blocks);
	/* QEMU without the node: an error naming the disk */
	blocks = json_tokener_parse("[]");
	assert_int_equal(migstor_disks(d, blocks, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "disk vda: QEMU has no image"));
	json_object_put(blocks);
	vmdef_free(d);
	/* nothing to copy */
	d = tu_parse_ok(PLAIN_VM UUID_LINE);
	blocks = json_tokener_parse("[]");
	assert_int_equal(migstor_disks(d, blocks, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no disk image to copy"));
	json_object_put(blocks);
	vmdef_free(d);
}

/* migstor_in_new on bad input: NULL with the line, no file made. */
static void
in_refused(const char *dir, const char *copy, const char *want)
{
	struct vmdef *d = three_disks();
	struct json_object *c = json_tokener_parse(copy);
	char err[512];

	assert_null(migstor_in_new(d, dir, c, err, sizeof(err)));
	if (strstr(err, want) == NULL)
		fail_msg("'%s' lacks '%s'", err, want);
	json_object_put(c);
	vmdef_free(d);
}

static void
test_destination_checks(void **state)
{
	char *dir = tu_mkdtemp("migstor");
	char path[512], err[512];

	(void)state;
	in_refused(dir, "[]", "is a list of disks");
	in_refused(dir, "{}", "is a list of disks");
	in_refused(dir, "[{\"target\": \"vda\"}]", "a \"target\" and a size");
	in_refused(dir, "[{\"target\": \"vdz\", \"size\": 1}]",
	    "has no disk image vdz");
	in_refused(dir, "[{\"target\": \"hda\", \"size\": 1}]",
	    "has no disk image hda");
	in_refused(dir, "[{\"target\": \"vda\", \"size\": 1}, "
	    "{\"target\": \"vda\", \"size\": 1}]", "listed twice");
	/* an image of that name exists: refused, and left alone */
	snprintf(path, sizeof(path), "%s/t1-vda.qcow2", dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd != -1);
	close(fd);
	in_refused(dir, "[{\"target\": \"vda\", \"size\": 1}]",
	    "has an image");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	/* accepted: the definition names the new image */
	struct vmdef *d = three_disks();
	struct json_object *c = json_tokener_parse("[{\"target\": \"vda\", "
	    "\"size\": 1048576}]");
	struct migstor_in *si = migstor_in_new(d, dir, c, err, sizeof(err));
	assert_non_null(si);
	struct vmdef_disk k;
	assert_int_equal(vmdef_disk_get(d, 0, &k), 0);
	assert_string_equal(k.path, path);
	assert_string_equal(k.format, "qcow2");
	migstor_in_free(si);
	json_object_put(c);
	vmdef_free(d);
	tu_rmtree(dir);
	free(dir);
}

/* ---- the source, against the fake QEMU and a fake destination ---- */

/*
 * dest_expect (fakeqemu.h), with the source's questions while the disks
 * copy (migrate-info) answered on the way.
 */
static long long
dest_expect_q(struct fx *f, int c, const char *name,
    struct json_object **argsp)
{
	return dest_expect_answering(f, c, name, argsp, "migrate-info",
	    "{\"status\": \"active\"}");
}

/* blockdev-del of the NBD node mig-vda, answered */
static void
node_deleted(struct fx *f)
{
	struct json_object *a;
	long long id = expect_cmd(f, "blockdev-del", &a);

	assert_string_equal(jstr(a, "node-name"), "mig-vda");
	json_object_put(a);
	answer(f, id, "{}");
}

/*
 * The end of a failed copy: the destination drops its half, the migrate
 * request's error holds want, the VM runs on here.
 */
static void
aborted_with(struct fx *f, struct vm *vm, int c, const char *want)
{
	dest_answer(c, dest_expect_q(f, c, "migrate-abort", NULL), "{}");
	struct json_object *m = reply_not_event(f);
	const char *e = jstr(jget(m, "error"), "desc");
	if (e == NULL || strstr(e, want) == NULL)
		fail_msg("error '%s' lacks '%s'", e != NULL ? e : "(none)",
		    want);
	json_object_put(m);
	assert_int_equal(vm->state, VM_RUNNING);
}

/*
 * A running VM with an image; the steps up to the destination's answer
 * to migrate-prepare with its NBD server; c the destination's side.
 */
static struct vm *
up_to_prepare(struct fx *f, int lfd, const char *path, int *cp,
    long long *addp)
{
	char text[1024], img[512];

	snprintf(img, sizeof(img), "%s/a.qcow2", f->dir);
	int fd = open(img, O_CREAT | O_WRONLY, 0600);
	assert_true(fd != -1);
	close(fd);
	snprintf(text, sizeof(text), PLAIN_VM UUID_LINE
	    "disk: %s,format=qcow2\n", img);
	struct vm *vm = fx_running_vm(f, text);
	snprintf(text, sizeof(text), "{\"name\": \"t1\", \"dest\": \"%s\", "
	    "\"copy_storage\": true, \"bandwidth\": 2}", path);
	request(f, "migrate", text);
	migrate_probes(f, "[{\"capability\": \"events\", \"state\": false}]",
	    "{\"max-bandwidth\": 33554432}");
	answer(f, expect_cmd(f, "query-block", NULL), "[{\"qdev\": \"x\", "
	    "\"inserted\": {\"node-name\": \"fmt-vda\", \"image\": "
	    "{\"virtual-size\": 4194304}}}]");
	int c = dest_accept(f, lfd);
	struct json_object *a;
	long long id = dest_expect_q(f, c, "migrate-prepare", &a);
	struct json_object *copy = jget(a, "copy_storage");
	assert_int_equal(json_object_array_length(copy), 1);
	assert_string_equal(jstr(json_object_array_get_idx(copy, 0),
	    "target"), "vda");
	assert_int_equal(jint(json_object_array_get_idx(copy, 0), "size", 0),
	    4194304);
	json_object_put(a);
	dest_answer(c, id, "{\"uri\": \"unix:/nowhere/migrate.sock\", "
	    "\"nbd\": {\"type\": \"unix\", \"path\": \"/nowhere/nbd.sock\"}}");
	/* the NBD node, to the export named by the target */
	id = expect_cmd(f, "blockdev-add", &a);
	assert_string_equal(jstr(a, "driver"), "nbd");
	assert_string_equal(jstr(a, "node-name"), "mig-vda");
	assert_string_equal(jstr(a, "export"), "vda");
	assert_string_equal(jstr(jget(a, "server"), "path"),
	    "/nowhere/nbd.sock");
	json_object_put(a);
	*cp = c;
	*addp = id;	/* the caller answers blockdev-add */
	return vm;
}

/*
 * The whole way: mirror ready (progress events), the RAM, then the
 * ready job cancelled without force, gone, its node deleted, and only
 * then migrate-finish.
 */
static void
test_source_steps(void **state)
{
	struct fx *f = fx_new();
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path)), c, nev = 0;
	struct json_object *m, *a;
	long long add, id;

	(void)state;
	struct vm *vm = up_to_prepare(f, lfd, path, &c, &add);
	answer(f, add, "{}");
	answer(f, expect_cmd(f, "blockdev-mirror", NULL), "{}");
	answer(f, expect_cmd(f, "query-block-jobs", NULL), "[{\"device\": "
	    "\"mig-vda\", \"offset\": 4194304, \"len\": 4194304, "
	    "\"ready\": true}]");
	answer(f, expect_cmd(f, "migrate-set-capabilities", NULL), "{}");
	answer(f, expect_cmd(f, "migrate-set-parameters", NULL), "{}");
	answer(f, expect_cmd(f, "migrate", NULL), "{}");
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"completed\", \"total-time\": 120, \"downtime\": 7, "
	    "\"ram\": {\"total\": 1000, \"remaining\": 0}}");
	answer(f, expect_cmd(f, "query-block-jobs", NULL), "[{\"device\": "
	    "\"mig-vda\", \"offset\": 4194304, \"len\": 4194304, "
	    "\"ready\": true}]");
	id = expect_cmd(f, "block-job-cancel", &a);
	assert_string_equal(jstr(a, "device"), "mig-vda");
	assert_null(jget(a, "force"));
	json_object_put(a);
	answer(f, id, "{}");
	answer(f, expect_cmd(f, "query-block-jobs", NULL), "[]");
	node_deleted(f);
	id = dest_expect_q(f, c, "migrate-finish", NULL);
	dest_answer(c, id, "{}");
	answer(f, expect_cmd(f, "quit", NULL), "{}");
	close(f->peer);
	f->peer = -1;
	vm_cleanup_process(vm);
	vm_set_state(vm, VM_SHUTOFF, "migrated");
	for (;;) {
		m = reply(f);
		if (jget(m, "event") == NULL)
			break;
		if (strcmp(jstr(jget(m, "data"), "job"), "copy-storage") == 0)
			nev++;
		json_object_put(m);
	}
	assert_non_null(jget(m, "return"));
	json_object_put(m);
	assert_true(nev >= 1);
	assert_null(vm_find(&f->d, "t1"));
	close(c);
	close(lfd);
	fx_free(f);
}

static void
test_source_nbd_refused(void **state)
{
	struct fx *f = fx_new();
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path)), c;

	(void)state;
	long long add;
	struct vm *vm = up_to_prepare(f, lfd, path, &c, &add);
	answer_error(f, add, "GenericError",
	    "Failed to connect to '/nowhere/nbd.sock'");
	/* nothing was made here: the destination drops its half */
	aborted_with(f, vm, c, "Failed to connect");
	close(c);
	close(lfd);
	fx_free(f);
}

static void
test_source_job_dies(void **state)
{
	struct fx *f = fx_new();
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path)), c;
	struct json_object *a;

	(void)state;
	long long add;
	struct vm *vm = up_to_prepare(f, lfd, path, &c, &add);
	answer(f, add, "{}");
	long long id = expect_cmd(f, "blockdev-mirror", &a);
	assert_string_equal(jstr(a, "device"), "fmt-vda");
	assert_string_equal(jstr(a, "target"), "mig-vda");
	assert_string_equal(jstr(a, "sync"), "full");
	assert_int_equal(jint(a, "speed", 0), 2 * 1024 * 1024);
	json_object_put(a);
	answer(f, id, "{}");
	answer(f, expect_cmd(f, "query-block-jobs", NULL), "[{\"device\": "
	    "\"mig-vda\", \"offset\": 0, \"len\": 4194304, \"ready\": false}]");
	/* the job dies: its event says why, the next poll misses it */
	peer_send(f, "{\"event\": \"BLOCK_JOB_COMPLETED\", \"data\": "
	    "{\"device\": \"mig-vda\", \"type\": \"mirror\", \"len\": 4194304, "
	    "\"offset\": 65536, \"speed\": 0, \"error\": \"Input/output "
	    "error\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}");
	answer(f, expect_cmd(f, "query-block-jobs", NULL), "[]");
	/* the undo: no job left to cancel; the node deleted */
	node_deleted(f);
	aborted_with(f, vm, c, "the copy of disk vda failed: Input/output "
	    "error");
	close(c);
	close(lfd);
	fx_free(f);
}

/*
 * The destination's side is gone while the disks copy (its QEMU died):
 * the source's question says so at once; the job is cancelled with
 * force, the node deleted, one error.
 */
static void
test_source_destination_gone(void **state)
{
	struct fx *f = fx_new();
	char path[256];
	int lfd = dest_listen(f, path, sizeof(path)), c;
	struct json_object *a;
	long long add, id;

	(void)state;
	struct vm *vm = up_to_prepare(f, lfd, path, &c, &add);
	answer(f, add, "{}");
	answer(f, expect_cmd(f, "blockdev-mirror", NULL), "{}");
	answer(f, expect_cmd(f, "query-block-jobs", NULL), "[{\"device\": "
	    "\"mig-vda\", \"offset\": 0, \"len\": 4194304, \"ready\": false}]");
	id = dest_expect_q(f, c, "migrate-info", NULL);
	char buf[256];
	snprintf(buf, sizeof(buf), "{\"id\": %lld, \"error\": {\"class\": "
	    "\"GenericError\", \"desc\": \"no VM named 't1'\"}}\n", id);
	tu_write_str(c, buf);
	id = expect_cmd(f, "block-job-cancel", &a);
	assert_true(jbool(a, "force"));
	json_object_put(a);
	answer(f, id, "{}");
	answer(f, expect_cmd(f, "query-block-jobs", NULL), "[]");
	answer(f, expect_cmd(f, "blockdev-del", NULL), "{}");
	aborted_with(f, vm, c, "the destination dropped its side: no VM "
	    "named 't1'");
	close(c);
	close(lfd);
	fx_free(f);
}

/* --offline: a running VM is refused, and nothing is sent anywhere. */
static void
test_offline_running_refused(void **state)
{
	struct fx *f = fx_new();
	char path[256], args[512];
	int lfd = dest_listen(f, path, sizeof(path));

	(void)state;
	struct vm *vm = fx_running_vm(f, PLAIN_VM UUID_LINE);
	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"dest\": \"%s\", "
	    "\"offline\": true}", path);
	request(f, "migrate", args);
	expect_error(f, ERR_INVALID_STATE, "--offline moves a shut off VM", 0);
	pump(f, 20);
	assert_int_equal(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), -1);
	assert_int_equal(vm->state, VM_RUNNING);
	/* the destination's migrate-define: another VM has the UUID */
	request(f, "migrate-define", "{\"text\": \"name: t2\\nmemory: 256\\n"
	    UUID_LINE_ESC "\"}");
	expect_error(f, ERR_EXISTS, "the destination has VM 't1' with UUID", 0);
	assert_null(vm_find(&f->d, "t2"));
	close(lfd);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disks_selected),
		cmocka_unit_test(test_destination_checks),
		cmocka_unit_test(test_source_steps),
		cmocka_unit_test(test_source_nbd_refused),
		cmocka_unit_test(test_source_job_dies),
		cmocka_unit_test(test_source_destination_gone),
		cmocka_unit_test(test_offline_running_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
