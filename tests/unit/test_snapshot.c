/*
 * Snapshots in the supervisor against the fake QEMU: QEMU's snapshot
 * jobs (snapshot-save's JOB_STATUS_CHANGE events, query-jobs and
 * job-dismiss; a job that concludes with an error; QEMU vanishing while
 * the job runs), external snapshots' transaction rolled back, the node
 * names after an external snapshot, and the job helper's event matched
 * on two members.  qemu-img is the real one (overlays, image files).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "fakeqemu.h"
#include "jget.h"
#include "job.h"
#include "log.h"
#include "qimg.h"
#include "qmp.h"
#include "snapext.h"
#include "testutil.h"
#include "vm.h"
#include "xalloc.h"

/* The request's answer, past its progress events. */
static struct json_object *
final(struct fx *f)
{
	for (;;) {
		struct json_object *m = reply(f);
		if (jget(m, "event") == NULL)
			return m;
		json_object_put(m);
	}
}

static struct json_object *
final_return(struct fx *f)
{
	struct json_object *m = final(f), *r = jget(m, "return");

	if (r == NULL)
		fail_msg("not a return: %s", json_object_to_json_string(m));
	json_object_get(r);
	json_object_put(m);
	return r;
}

static void
final_error(struct fx *f, const char *class, const char *part, int qemu)
{
	struct json_object *m = final(f), *e = jget(m, "error");

	if (e == NULL)
		fail_msg("not an error: %s", json_object_to_json_string(m));
	assert_string_equal(jstr(e, "class"), class);
	if (strstr(jstr(e, "desc"), part) == NULL)
		fail_msg("desc '%s' lacks '%s'", jstr(e, "desc"), part);
	assert_int_equal(jbool(e, "qemu"), qemu);
	json_object_put(m);
}

/* A qcow2 image in the fixture's directory. */
static const char *
image(struct fx *f, const char *name)
{
	static char path[512];
	char err[512];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	if (qimg_create(path, "qcow2", 1 << 20, NULL, NULL, 0, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	return path;
}

static struct vm *
vm_with_disk(struct fx *f)
{
	char conf[1024];

	snprintf(conf, sizeof(conf), PLAIN_VM "disk: %s,format=qcow2\n",
	    image(f, "d.qcow2"));
	return fx_running_vm(f, conf);
}

static void
job_event(struct fx *f, const char *id, const char *status)
{
	peer_send(f, "{\"event\": \"JOB_STATUS_CHANGE\", \"data\": "
	    "{\"id\": \"%s\", \"status\": \"%s\"}, \"timestamp\": "
	    "{\"seconds\": 1, \"microseconds\": 0}}", id, status);
}

static int
snapshots(struct fx *f)
{
	request(f, "snapshot-list", "{\"name\": \"t1\"}");
	struct json_object *r = final_return(f);
	int n = (int)json_object_array_length(r);

	json_object_put(r);
	return n;
}

/* snapshot-save: its id and arguments; the job runs to "concluded". */
static char *
save_started(struct fx *f)
{
	struct json_object *a, *dev;

	request(f, "snapshot-create", "{\"name\": \"t1\", \"snapshot\": "
	    "\"s1\", \"description\": \"before\"}");
	long long id = expect_cmd(f, "snapshot-save", &a);
	assert_string_equal(jstr(a, "tag"), "s1");
	assert_string_equal(jstr(a, "vmstate"), "fmt-vda");
	dev = jget(a, "devices");
	assert_int_equal(json_object_array_length(dev), 1);
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(dev, 0)), "fmt-vda");
	char *jobid = xstrdup(jstr(a, "job-id"));
	json_object_put(a);
	answer(f, id, "{}");
	return jobid;
}

/* The job's outcome through its events, query-jobs and job-dismiss. */
static void
test_save_job(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;
	char ret[512];

	(void)state;
	vm_with_disk(f);
	char *jobid = save_started(f);
	/* other statuses, and other jobs, do not end the wait */
	job_event(f, jobid, "running");
	job_event(f, "another", "concluded");
	pump(f, 50);
	job_event(f, jobid, "concluded");
	snprintf(ret, sizeof(ret), "[{\"id\": \"%s\", \"type\": "
	    "\"snapshot-save\", \"status\": \"concluded\", "
	    "\"current-progress\": 1, \"total-progress\": 1}]", jobid);
	answer(f, expect_cmd(f, "query-jobs", NULL), ret);
	answer(f, expect_cmd(f, "job-dismiss", &a), "{}");
	assert_string_equal(jstr(a, "id"), jobid);
	json_object_put(a);
	struct json_object *r = final_return(f);
	assert_string_equal(jstr(r, "name"), "s1");
	assert_string_equal(jstr(r, "state"), "running");
	assert_string_equal(jstr(r, "location"), "internal");
	json_object_put(r);
	/* its metadata is there, current, and the next one's parent */
	request(f, "snapshot-current", "{\"name\": \"t1\"}");
	r = final_return(f);
	assert_string_equal(jstr(r, "name"), "s1");
	assert_string_equal(jstr(r, "description"), "before");
	assert_string_equal(jstr(r, "domain"), "t1");
	json_object_put(r);
	/* the same name again: one clear error, nothing sent to QEMU */
	request(f, "snapshot-create", "{\"name\": \"t1\", \"snapshot\": "
	    "\"s1\"}");
	final_error(f, "Exists", "has a snapshot named 's1' already", 0);
	free(jobid);
	fx_free(f);
}

/* A job that concludes with "error": the error reaches the client. */
static void
test_save_job_fails(void **state)
{
	struct fx *f = fx_new();
	char ret[512];

	(void)state;
	vm_with_disk(f);
	char *jobid = save_started(f);
	job_event(f, jobid, "concluded");
	snprintf(ret, sizeof(ret), "[{\"id\": \"%s\", \"type\": "
	    "\"snapshot-save\", \"status\": \"concluded\", \"error\": "
	    "\"Device 'fmt-vda' is writable but does not support snapshots\"}]",
	    jobid);
	answer(f, expect_cmd(f, "query-jobs", NULL), ret);
	/* the concluded job is dismissed all the same (query-jobs' undo) */
	answer(f, expect_cmd(f, "job-dismiss", NULL), "{}");
	final_error(f, "GenericError", "does not support snapshots", 0);
	assert_int_equal(snapshots(f), 0);
	free(jobid);
	fx_free(f);
}

/* QEMU vanishes while its job runs: Disconnected at once, no metadata. */
static void
test_save_qemu_vanishes(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	vm_with_disk(f);
	char *jobid = save_started(f);
	pump(f, 20);
	close(f->peer);
	f->peer = -1;
	final_error(f, "Disconnected", "snapshot-create-as t1 s1", 0);
	assert_int_equal(snapshots(f), 0);
	free(jobid);
	fx_free(f);
}

/* A raw disk cannot hold an internal snapshot: one clear error. */
static void
test_raw_disk_refused(void **state)
{
	struct fx *f = fx_new();
	char conf[1024], path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/r.img", f->dir);
	fclose(fopen(path, "w"));
	snprintf(conf, sizeof(conf), PLAIN_VM "disk: %s,format=raw\n", path);
	fx_running_vm(f, conf);
	request(f, "snapshot-create", "{\"name\": \"t1\", \"snapshot\": "
	    "\"s1\"}");
	final_error(f, "GenericError", "disk vda is raw: internal snapshots "
	    "need qcow2", 0);
	request(f, "snapshot-revert", "{\"name\": \"t1\", \"snapshot\": "
	    "\"nope\"}");
	final_error(f, "NotFound", "has no snapshot named 'nope'", 0);
	fx_free(f);
}

/*
 * A shut off VM's snapshots are qemu-img's work, run by the supervisor:
 * a user's VM naming an image the user cannot write (root's) is refused,
 * and the image is not touched; its own image is fine.
 */
static void
test_offline_needs_user_access(void **state)
{
	struct fx *f = fx_new();
	char conf[1024], path[512], why[512];

	(void)state;
	if (geteuid() != 0) {	/* setfsuid needs root */
		fx_free(f);
		skip();
	}
	assert_int_equal(chmod(f->dir, 0711), 0);
	snprintf(path, sizeof(path), "%s/root.qcow2", f->dir);
	assert_int_equal(qimg_create(path, "qcow2", 1 << 20, NULL, NULL, 0,
	    why, sizeof(why)), 0);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(conf, sizeof(conf), PLAIN_VM "owner: 1234\n"
	    "disk: %s,format=qcow2\n", path);
	struct vm *vm = fx_running_vm(f, conf);
	/* QEMU gone: shut off (as vm-life does on its pidfd) */
	close(f->peer);
	f->peer = -1;
	vm_cleanup_process(vm);
	vm_set_state(vm, VM_SHUTOFF, "destroyed");
	request_as(f, 1234, "snapshot-create", "{\"name\": \"t1\", "
	    "\"snapshot\": \"s1\"}");
	final_error(f, "PermissionDenied", "root.qcow2: Permission denied", 0);
	request_as(f, 1234, "snapshot-delete", "{\"name\": \"t1\", "
	    "\"snapshot\": \"s1\"}");
	final_error(f, "PermissionDenied", "Permission denied", 0);
	/* the image is the user's: allowed */
	assert_int_equal(chown(path, 1234, 1234), 0);
	request_as(f, 1234, "snapshot-create", "{\"name\": \"t1\", "
	    "\"snapshot\": \"s1\"}");
	struct json_object *r = reply(f);
	assert_null(jget(r, "error"));
	json_object_put(r);
	fx_free(f);
}

/*
 * --disk-only: the overlay made, its nodes added, the transaction
 * refused: the nodes deleted in reverse, the overlay file removed.
 */
static void
test_disk_only_rolls_back(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;
	char ovl[512];

	(void)state;
	vm_with_disk(f);
	snprintf(ovl, sizeof(ovl), "%s/d.e1.qcow2", f->dir);
	request(f, "snapshot-create", "{\"name\": \"t1\", \"snapshot\": "
	    "\"e1\", \"disk_only\": true}");
	answer(f, expect_cmd(f, "blockdev-add", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "file-vda.1");
	assert_string_equal(jstr(a, "filename"), ovl);
	json_object_put(a);
	assert_int_equal(access(ovl, F_OK), 0);
	answer(f, expect_cmd(f, "blockdev-add", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "fmt-vda.1");
	assert_string_equal(jstr(a, "file"), "file-vda.1");
	assert_true(jget(a, "backing") == NULL &&
	    json_object_object_get_ex(a, "backing", NULL));
	json_object_put(a);
	answer_error(f, expect_cmd(f, "transaction", &a), "GenericError",
	    "The overlay is already in use");
	struct json_object *act = json_object_array_get_idx(jget(a, "actions"),
	    0);
	assert_string_equal(jstr(act, "type"), "blockdev-snapshot");
	assert_string_equal(jstr(jget(act, "data"), "node"), "fmt-vda");
	assert_string_equal(jstr(jget(act, "data"), "overlay"), "fmt-vda.1");
	json_object_put(a);
	answer(f, expect_cmd(f, "blockdev-del", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "fmt-vda.1");
	json_object_put(a);
	answer(f, expect_cmd(f, "blockdev-del", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "file-vda.1");
	json_object_put(a);
	final_error(f, "GenericError", "already in use", 1);
	assert_int_equal(access(ovl, F_OK), -1);
	assert_int_equal(snapshots(f), 0);
	fx_free(f);
}

/*
 * --disk-only that works: the disk is on its overlay, in what runs and
 * what is stored; unplug then deletes both generations' nodes.
 */
static void
test_disk_only_then_detach(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;
	char ovl[512];

	(void)state;
	struct vm *vm = vm_with_disk(f);
	snprintf(ovl, sizeof(ovl), "%s/d.e1.qcow2", f->dir);
	request(f, "snapshot-create", "{\"name\": \"t1\", \"snapshot\": "
	    "\"e1\", \"disk_only\": true}");
	answer(f, expect_cmd(f, "blockdev-add", NULL), "{}");
	answer(f, expect_cmd(f, "blockdev-add", NULL), "{}");
	answer(f, expect_cmd(f, "transaction", NULL), "{}");
	struct json_object *r = final_return(f);
	assert_string_equal(jstr(r, "state"), "disk-snapshot");
	assert_string_equal(jstr(r, "location"), "external");
	json_object_put(r);
	struct vmdef_disk k;
	assert_int_equal(vmdef_disk_get(vm->def, 0, &k), 0);
	assert_string_equal(k.path, ovl);
	assert_string_equal(k.node, "fmt-vda.1");
	assert_int_equal(vmdef_disk_get(vm_persistent(vm), 0, &k), 0);
	assert_string_equal(k.path, ovl);
	assert_string_equal(k.node, "fmt-vda");	/* the next start's */
	char *state_json = tu_slurp(vm->paths.state, NULL);
	assert_non_null(strstr(state_json, "\"vda\":1"));
	free(state_json);

	request(f, "detach-disk", "{\"name\": \"t1\", \"target\": \"vda\", "
	    "\"live\": true}");
	answer(f, expect_cmd(f, "device_del", NULL), "{}");
	peer_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": "
	    "{\"device\": \"vda\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}");
	static const char *const nodes[] = {
		"fmt-vda.1", "file-vda.1", "fmt-vda", "file-vda"
	};
	for (size_t i = 0; i < 4; i++) {
		answer(f, expect_cmd(f, "blockdev-del", &a), "{}");
		assert_string_equal(jstr(a, "node-name"), nodes[i]);
		json_object_put(a);
	}
	json_object_put(final_return(f));
	fx_free(f);
}

/* An external snapshot of the running VM, its transaction answered. */
static void
external_live(struct fx *f, const char *snap)
{
	char args[256];

	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"snapshot\": "
	    "\"%s\", \"disk_only\": true}", snap);
	request(f, "snapshot-create", args);
	answer(f, expect_cmd(f, "blockdev-add", NULL), "{}");
	answer(f, expect_cmd(f, "blockdev-add", NULL), "{}");
	answer(f, expect_cmd(f, "transaction", NULL), "{}");
	json_object_put(final_return(f));
}

/* block-commit's arguments; its job id (the caller frees it). */
static char *
commit_started(struct fx *f)
{
	struct json_object *a;

	request(f, "snapshot-delete", "{\"name\": \"t1\", \"snapshot\": "
	    "\"e1\"}");
	long long id = expect_cmd(f, "block-commit", &a);
	assert_string_equal(jstr(a, "device"), "fmt-vda.1");
	assert_string_equal(jstr(a, "top-node"), "fmt-vda.1");
	assert_string_equal(jstr(a, "base-node"), "fmt-vda");
	assert_false(jbool(a, "auto-dismiss"));
	char *jobid = xstrdup(jstr(a, "job-id"));
	json_object_put(a);
	answer(f, id, "{}");
	return jobid;
}

static void
query_jobs(struct fx *f, const char *jobid, const char *status,
    const char *error)
{
	char ret[512];

	snprintf(ret, sizeof(ret), "[{\"id\": \"%s\", \"type\": \"commit\", "
	    "\"status\": \"%s\", \"current-progress\": 1, "
	    "\"total-progress\": 1%s%s%s}]", jobid, status,
	    error != NULL ? ", \"error\": \"" : "", error != NULL ? error : "",
	    error != NULL ? "\"" : "");
	answer(f, expect_cmd(f, "query-jobs", NULL), ret);
}

/*
 * Deleting an external snapshot of the running VM: active commit, ready,
 * job-complete, concluded, query-jobs, job-dismiss, the overlay's nodes
 * deleted; the disk is on its base again, in what runs and what is
 * stored, and the overlay file is gone.
 */
static void
test_external_delete_commits(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;
	char ovl[512], base[512];
	struct vmdef_disk k;

	(void)state;
	struct vm *vm = vm_with_disk(f);
	snprintf(base, sizeof(base), "%s/d.qcow2", f->dir);
	snprintf(ovl, sizeof(ovl), "%s/d.e1.qcow2", f->dir);
	external_live(f, "e1");
	char *jobid = commit_started(f);
	job_event(f, jobid, "running");
	job_event(f, jobid, "ready");
	query_jobs(f, jobid, "ready", NULL);
	answer(f, expect_cmd(f, "job-complete", NULL), "{}");
	job_event(f, jobid, "concluded");
	query_jobs(f, jobid, "concluded", NULL);
	answer(f, expect_cmd(f, "job-dismiss", NULL), "{}");
	static const char *const nodes[] = { "fmt-vda.1", "file-vda.1" };
	for (size_t i = 0; i < 2; i++) {
		answer(f, expect_cmd(f, "blockdev-del", &a), "{}");
		assert_string_equal(jstr(a, "node-name"), nodes[i]);
		json_object_put(a);
	}
	json_object_put(final_return(f));
	assert_int_equal(snapshots(f), 0);
	assert_int_equal(access(ovl, F_OK), -1);
	assert_int_equal(vmdef_disk_get(vm->def, 0, &k), 0);
	assert_string_equal(k.path, base);
	assert_string_equal(k.node, "fmt-vda");
	assert_int_equal(vmdef_disk_get(vm_persistent(vm), 0, &k), 0);
	assert_string_equal(k.path, base);
	free(jobid);
	fx_free(f);
}

/*
 * The commit fails before it is ready: the outcome read from query-jobs,
 * the job cancelled and dismissed; the snapshot, the overlay and both
 * definitions stay as they were.
 */
static void
test_external_delete_commit_fails(void **state)
{
	struct fx *f = fx_new();
	char ovl[512];
	struct vmdef_disk k;

	(void)state;
	struct vm *vm = vm_with_disk(f);
	snprintf(ovl, sizeof(ovl), "%s/d.e1.qcow2", f->dir);
	external_live(f, "e1");
	char *jobid = commit_started(f);
	job_event(f, jobid, "concluded");
	query_jobs(f, jobid, "concluded", "Input/output error");
	answer_error(f, expect_cmd(f, "block-job-cancel", NULL),
	    "GenericError", "the job is concluded");
	answer(f, expect_cmd(f, "job-dismiss", NULL), "{}");
	final_error(f, "GenericError", "block-commit job failed: Input/output "
	    "error", 0);
	assert_int_equal(snapshots(f), 1);
	assert_int_equal(access(ovl, F_OK), 0);
	assert_int_equal(vmdef_disk_get(vm->def, 0, &k), 0);
	assert_string_equal(k.path, ovl);
	assert_string_equal(k.node, "fmt-vda.1");
	assert_int_equal(vmdef_disk_get(vm_persistent(vm), 0, &k), 0);
	assert_string_equal(k.path, ovl);
	/* QEMU fails job-complete: the ready job is cancelled */
	free(jobid);
	jobid = commit_started(f);
	job_event(f, jobid, "ready");
	query_jobs(f, jobid, "ready", NULL);
	answer_error(f, expect_cmd(f, "job-complete", NULL), "GenericError",
	    "no");
	answer(f, expect_cmd(f, "block-job-cancel", NULL), "{}");
	answer(f, expect_cmd(f, "job-dismiss", NULL), "{}");
	final_error(f, "GenericError", "no", 1);
	assert_int_equal(snapshots(f), 1);
	assert_int_equal(vmdef_disk_get(vm->def, 0, &k), 0);
	assert_string_equal(k.node, "fmt-vda.1");
	free(jobid);
	fx_free(f);
}

/*
 * Refusals that change nothing and send QEMU nothing: an overlay below a
 * newer one while the VM runs; an external snapshot with a child, to
 * revert to; a revert that would start a new QEMU, without --force.
 */
static void
test_external_refusals(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	vm_with_disk(f);
	external_live(f, "e1");
	external_live(f, "e2");
	request(f, "snapshot-delete", "{\"name\": \"t1\", \"snapshot\": "
	    "\"e1\"}");
	final_error(f, "GenericError", "is below the newer", 0);
	request(f, "snapshot-revert", "{\"name\": \"t1\", \"snapshot\": "
	    "\"e1\"}");
	final_error(f, "GenericError", "has 1 child snapshot", 0);
	request(f, "snapshot-revert", "{\"name\": \"t1\", \"snapshot\": "
	    "\"e2\", \"running\": true}");
	final_error(f, "GenericError", "that needs --force", 0);
	assert_int_equal(snapshots(f), 2);
	assert_int_equal(F->vm->state, VM_RUNNING);
	pump(f, 50);
	fx_free(f);
}

/*
 * Offline revert of an external snapshot, all disks or none: the second
 * disk's new overlay cannot be made, so the first disk keeps its overlay
 * (the same file, content and all) and no temporary file is left.
 */
static void
test_external_revert_all_or_none(void **state)
{
	struct fx *f = fx_new();
	char conf[2048], err[1024], ov[2][512], meta[2048];
	struct vmdef *d;

	(void)state;
	for (int i = 0; i < 2; i++) {
		char base[512];
		snprintf(base, sizeof(base), "%s", image(f, i ? "b.qcow2" :
		    "a.qcow2"));
		snprintf(ov[i], sizeof(ov[i]), "%s/%c.e1.qcow2", f->dir,
		    i ? 'b' : 'a');
		if (qimg_create(ov[i], "qcow2", 0, base, "qcow2", 0, err,
		    sizeof(err)) == -1)
			fail_msg("%s", err);
	}
	snprintf(conf, sizeof(conf), PLAIN_VM "disk: %s,format=qcow2\n"
	    "disk: %s,format=qcow2\n", ov[0], ov[1]);
	assert_non_null(d = vmdef_parse(conf, "t1.conf", err, sizeof(err)));
	snprintf(meta, sizeof(meta), "{\"name\": \"e1\", \"disks\": ["
	    "{\"target\": \"vda\", \"source\": \"%s\", \"backing\": "
	    "\"%s/a.qcow2\", \"backing_format\": \"qcow2\"}, "
	    "{\"target\": \"vdb\", \"source\": \"%s\", \"backing\": "
	    "\"%s/b.qcow2\", \"backing_format\": \"nosuchformat\"}]}",
	    ov[0], f->dir, ov[1], f->dir);
	struct json_object *m = json_tokener_parse(meta);
	struct stat before, after;
	assert_int_equal(stat(ov[0], &before), 0);
	/* a mark in the first overlay: it must survive */
	assert_int_equal(truncate(ov[0], before.st_size + 4096), 0);
	assert_int_equal(stat(ov[0], &before), 0);
	assert_int_equal(snapext_revert(d, m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "disk vdb"));
	assert_int_equal(stat(ov[0], &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(before.st_size, after.st_size);
	DIR *dp = opendir(f->dir);
	struct dirent *e;
	assert_non_null(dp);
	while ((e = readdir(dp)) != NULL)
		if (strstr(e->d_name, "tmp") != NULL)
			fail_msg("left behind: %s", e->d_name);
	closedir(dp);
	/* and with a right format both are made anew, at the same paths */
	json_object_object_add(json_object_array_get_idx(jget(m, "disks"), 1),
	    "backing_format", json_object_new_string("qcow2"));
	assert_int_equal(snapext_revert(d, m, err, sizeof(err)), 0);
	assert_int_equal(stat(ov[0], &after), 0);
	assert_true(before.st_ino != after.st_ino);
	assert_true(after.st_size < before.st_size);
	/* a disk no longer on the overlay: refused, nothing made */
	json_object_object_add(json_object_array_get_idx(jget(m, "disks"), 0),
	    "source", json_object_new_string("/nonexistent.qcow2"));
	assert_int_equal(snapext_revert(d, m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not on the snapshot's overlay"));
	json_object_put(m);
	vmdef_free(d);
	fx_free(f);
}

/*
 * Offline delete of an external snapshot whose overlay is below a newer
 * one: qemu-img commit into the base, then the newer overlay rebased
 * onto the base; the data the overlay held is in the base, the chain is
 * one image shorter.  An overlay not in the chain is refused as such.
 */
static void
test_external_merge_below(void **state)
{
	struct fx *f = fx_new();
	char raw[512], base[512], ovl[512], top[512], out[512], err[1024];
	char meta[2048];
	int switched = -1;

	(void)state;
	snprintf(raw, sizeof(raw), "%s/data.raw", f->dir);
	snprintf(base, sizeof(base), "%s", image(f, "b.qcow2"));
	snprintf(ovl, sizeof(ovl), "%s/b.e1.qcow2", f->dir);
	snprintf(top, sizeof(top), "%s/b.e1.e2.qcow2", f->dir);
	snprintf(out, sizeof(out), "%s/out.raw", f->dir);
	/* the overlay's data: a pattern in its first 64 KiB */
	char *data = xcalloc(1, 1 << 20);
	memset(data, 0x5a, 65536);
	FILE *fp = fopen(raw, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, 1 << 20, fp), 1 << 20);
	fclose(fp);
	if (qimg_convert(raw, "raw", ovl, "qcow2", 1, NULL, NULL, err,
	    sizeof(err)) == -1 ||
	    qimg_rebase_unsafe(ovl, base, "qcow2", err, sizeof(err)) == -1 ||
	    qimg_create(top, "qcow2", 0, ovl, "qcow2", 0, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	snprintf(meta, sizeof(meta), "{\"target\": \"vda\", \"source\": "
	    "\"%s\", \"backing\": \"%s\", \"backing_format\": \"qcow2\"}",
	    ovl, base);
	struct json_object *e = json_tokener_parse(meta);
	/* not in the chain of the base alone */
	assert_int_equal(snapext_merge(base, e, &switched, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "not in the disk's backing chain"));
	assert_int_equal(snapext_merge(top, e, &switched, err, sizeof(err)), 0);
	assert_int_equal(switched, 0);
	struct qimg_info in;
	assert_int_equal(qimg_info(top, "qcow2", &in, err, sizeof(err)), 0);
	assert_string_equal(in.backing, base);
	assert_int_equal(qimg_convert(base, "qcow2", out, "raw", 1, NULL, NULL,
	    err, sizeof(err)), 0);
	size_t len;
	char *got = tu_slurp(out, &len);
	assert_int_equal(len, 1 << 20);
	assert_memory_equal(got, data, 1 << 20);
	/* the top itself: committed, and the disk must name the base */
	unlink(out);
	json_object_object_add(e, "source", json_object_new_string(top));
	assert_int_equal(snapext_merge(top, e, &switched, err, sizeof(err)), 0);
	assert_int_equal(switched, 1);
	free(got);
	free(data);
	json_object_put(e);
	fx_free(f);
}

/* The job helper: an event matched on two data members. */
struct outcome {
	int	done, ok;
	char	desc[256];
};

static void
done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct outcome *o = arg;

	(void)class;
	(void)qemu;
	o->done++;
	o->ok = ok;
	if (desc != NULL)
		strlcpy(o->desc, desc, sizeof(o->desc));
}

static void
test_job_event_two_members(void **state)
{
	struct fx *f = fx_new();
	struct outcome o = { 0, 0, "" };

	(void)state;
	fx_bare_qmp(f);
	struct job *j = job_new(f->base, f->q, "save", 10000, done, &o);
	job_step(j, "snapshot-save", NULL, NULL, NULL);
	job_expect_event2(j, "JOB_STATUS_CHANGE", "id", "j1", "status",
	    "concluded", 3000);
	job_step(j, "query-jobs", NULL, NULL, NULL);
	job_start(j);
	answer(f, expect_cmd(f, "snapshot-save", NULL), "{}");
	job_event(f, "j1", "running");
	job_event(f, "j2", "concluded");
	pump(f, 50);
	assert_int_equal(o.done, 0);
	job_event(f, "j1", "concluded");
	answer(f, expect_cmd(f, "query-jobs", NULL), "[]");
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 1);

	/* and its timeout names both */
	memset(&o, 0, sizeof(o));
	j = job_new(f->base, f->q, "save", 10000, done, &o);
	job_step(j, "snapshot-save", NULL, NULL, NULL);
	job_expect_event2(j, "JOB_STATUS_CHANGE", "id", "j3", "status",
	    "concluded", 200);
	job_start(j);
	answer(f, expect_cmd(f, "snapshot-save", NULL), "{}");
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 0);
	assert_non_null(strstr(o.desc, "no JOB_STATUS_CHANGE for id j3 and "
	    "status concluded"));

	/* alternatives: whichever comes first, and only those */
	memset(&o, 0, sizeof(o));
	j = job_new(f->base, f->q, "commit", 10000, done, &o);
	job_step(j, "block-commit", NULL, NULL, NULL);
	job_expect_event2(j, "JOB_STATUS_CHANGE", "id", "j4", "status",
	    "ready|concluded", 3000);
	job_start(j);
	answer(f, expect_cmd(f, "block-commit", NULL), "{}");
	job_event(f, "j4", "rea");
	job_event(f, "j4", "running");
	pump(f, 50);
	assert_int_equal(o.done, 0);
	job_event(f, "j4", "concluded");
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 1);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_job),
		cmocka_unit_test(test_save_job_fails),
		cmocka_unit_test(test_save_qemu_vanishes),
		cmocka_unit_test(test_raw_disk_refused),
		cmocka_unit_test(test_offline_needs_user_access),
		cmocka_unit_test(test_disk_only_rolls_back),
		cmocka_unit_test(test_disk_only_then_detach),
		cmocka_unit_test(test_job_event_two_members),
		cmocka_unit_test(test_external_delete_commits),
		cmocka_unit_test(test_external_delete_commit_fails),
		cmocka_unit_test(test_external_refusals),
		cmocka_unit_test(test_external_revert_all_or_none),
		cmocka_unit_test(test_external_merge_below),
	};

	log_init("test_snapshot", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
