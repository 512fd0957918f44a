/*
 * Snapshots in the supervisor against the fake QEMU: QEMU's snapshot
 * jobs (snapshot-save's JOB_STATUS_CHANGE events, query-jobs and
 * job-dismiss; a job that concludes with an error; QEMU vanishing while
 * the job runs), external snapshots' transaction rolled back, the node
 * names after an external snapshot, and the job helper's event matched
 * on two members.  qemu-img is the real one (overlays, image files).
 */
#include <sys/stat.h>

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
		cmocka_unit_test(test_disk_only_rolls_back),
		cmocka_unit_test(test_disk_only_then_detach),
		cmocka_unit_test(test_job_event_two_members),
	};

	log_init("test_snapshot", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
