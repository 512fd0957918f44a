/*
 * save and restore against the fake QEMU (tests/fakeqemu.h): save's QMP
 * steps in order (getfd, MIGRATION events, no bandwidth limit, stop,
 * migrate, query-migrate polled and woken by a MIGRATION event), its
 * progress events, the VM shut off at the end and the file's header; its
 * failures (a failed migration, QEMU refusing migrate, QEMU vanishing,
 * an existing file) each undone, the file removed and one error; and
 * restore refusing garbage, truncated and mismatched files with one
 * error and nothing defined.  clone and move-disk refusals too.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "daemon.h"
#include "dispatch.h"
#include "directio.h"
#include "fakeqemu.h"
#include "jget.h"
#include "log.h"
#include "names.h"
#include "testutil.h"
#include "vm.h"

#define RUNNING_VM	PLAIN_VM "uuid: 00000000-0000-4000-8000-0000000000a1\n"

/* QEMU exits as it does after quit (what vm-life does on its pidfd). */
static void
qemu_exits(struct fx *f, struct vm *vm, const char *reason)
{
	if (f->peer != -1)
		close(f->peer);
	f->peer = -1;
	vm_cleanup_process(vm);
	vm_set_state(vm, VM_SHUTOFF, reason);
}

/* The next reply, counting the progress events before it. */
static struct json_object *
reply_after_events(struct fx *f, int *nevents)
{
	for (;;) {
		struct json_object *m = reply(f);
		if (jget(m, "event") == NULL)
			return m;
		assert_string_equal(jstr(m, "event"), EV_JOB_PROGRESS);
		assert_string_equal(jstr(jget(m, "data"), "job"), "save");
		(*nevents)++;
		json_object_put(m);
	}
}

static void
write_bytes(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd != -1);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static char *
path_in(struct fx *f, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", f->dir, name) > 0);
	return p;
}

static void
save_request(struct fx *f, const char *file)
{
	char args[1024];

	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"file\": \"%s\"}",
	    file);
	request(f, "save", args);
}

/* The machine type QEMU runs, from its machine object's QOM type. */
static void
machine_type(struct fx *f)
{
	struct json_object *a;

	answer(f, expect_cmd(f, "qom-get", &a), "\"pc-i440fx-7.2-machine\"");
	assert_string_equal(jstr(a, "path"), "/machine");
	assert_string_equal(jstr(a, "property"), "type");
	json_object_put(a);
}

/* qom-get .. migrate, in order, with their arguments. */
static void
steps_to_migrate(struct fx *f, int running)
{
	struct json_object *a;

	machine_type(f);
	answer(f, expect_cmd(f, "getfd", &a), "{}");
	assert_string_equal(jstr(a, "fdname"), "qlaunch-save");
	json_object_put(a);
	answer(f, expect_cmd(f, "migrate-set-capabilities", &a), "{}");
	struct json_object *c = json_object_array_get_idx(jget(a,
	    "capabilities"), 0);
	assert_string_equal(jstr(c, "capability"), "events");
	json_object_put(a);
	answer(f, expect_cmd(f, "migrate-set-parameters", &a), "{}");
	assert_true(jint(a, "max-bandwidth", 0) >= (1LL << 40));
	json_object_put(a);
	if (running) {
		long long id = expect_cmd(f, "stop", NULL);
		peer_send(f, "{\"event\": \"STOP\", \"timestamp\": "
		    "{\"seconds\": 1, \"microseconds\": 0}}");
		answer(f, id, "{}");
	}
	answer(f, expect_cmd(f, "migrate", &a), "{}");
	assert_string_equal(jstr(a, "uri"), "fd:qlaunch-save");
	json_object_put(a);
}

static void
test_save_steps(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char *file = path_in(f, "t1.sav");
	int nev = 0;

	(void)state;
	save_request(f, file);
	steps_to_migrate(f, 1);
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"active\", \"ram\": {\"total\": 1000, \"remaining\": 600, "
	    "\"transferred\": 400}}");
	/* the next poll comes on its timer, or at once on MIGRATION */
	long long id = expect_cmd(f, "query-migrate", NULL);
	answer(f, id, "{\"status\": \"active\", \"ram\": {\"total\": 1000, "
	    "\"remaining\": 100, \"transferred\": 900}}");
	peer_send(f, "{\"event\": \"MIGRATION\", \"data\": {\"status\": "
	    "\"completed\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}");
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"completed\", \"total-time\": 120, \"downtime\": 7, \"ram\": "
	    "{\"total\": 1000, \"remaining\": 0, \"transferred\": 1010}}");
	/* saved: the VM goes */
	answer(f, expect_cmd(f, "quit", NULL), "{}");
	qemu_exits(f, vm, "saved");
	struct json_object *m = reply_after_events(f, &nev);
	struct json_object *r = jget(m, "return");
	assert_non_null(r);
	assert_true(nev >= 1);
	assert_int_equal(jint(r, "data_processed", 0), 1010);
	assert_int_equal(jint(r, "memory_total", 0), 1000);
	assert_int_equal(jint(r, "memory_processed", 0), 1000);
	assert_int_equal(jint(r, "downtime_ms", 0), 7);
	assert_string_equal(jstr(r, "state"), "running");
	assert_string_equal(jstr(r, "machine"), "pc-i440fx-7.2");
	assert_int_equal(vm->state, VM_SHUTOFF);
	assert_string_equal(vm->reason, "saved");

	/*
	 * the header: magic, version 2, running, the definition, the
	 * machine (13 bytes), the stream at 4096 (an aligned offset)
	 */
	size_t len;
	char *t = tu_slurp(file, &len);
	assert_non_null(t);
	assert_true(len >= 4096);
	assert_memory_equal(t, "QLSAVE\r\n\0\0\0\2\0\0\0\1", 16);
	assert_memory_equal(t + 20, "\0\0\0\15\0\0\20\0", 8);
	assert_non_null(strstr(t + 28, "name: t1\n"));
	size_t dl = ((size_t)(unsigned char)t[18] << 8) | (unsigned char)t[19];
	assert_memory_equal(t + 28 + dl, "pc-i440fx-7.2", 13);
	json_object_put(m);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(t);
	free(file);
	fx_free(f);
}

/* The migration fails: the guest runs again, the file is gone. */
static void
test_save_migration_fails(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char *file = path_in(f, "t1.sav");
	int nev = 0;

	(void)state;
	save_request(f, file);
	steps_to_migrate(f, 1);
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"failed\", \"error-desc\": \"Unable to write to file: No space "
	    "left on device\"}");
	/* undone: cont (the descriptor is QEMU's since migrate) */
	answer(f, expect_cmd(f, "cont", NULL), "{}");
	struct json_object *m = reply_after_events(f, &nev);
	struct json_object *e = jget(m, "error");
	assert_non_null(e);
	assert_string_equal(jstr(e, "class"), ERR_GENERIC);
	assert_non_null(strstr(jstr(e, "desc"), "the migration failed: "
	    "Unable to write to file: No space left on device"));
	assert_null(strchr(jstr(e, "desc"), '\n'));
	json_object_put(m);
	assert_int_equal(access(file, F_OK), -1);
	assert_true(vm_active(vm));
	free(file);
	fx_free(f);
}

/* QEMU refuses migrate: its error unchanged, closefd and cont undo. */
static void
test_save_migrate_refused(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;
	char *file = path_in(f, "t1.sav");

	(void)state;
	fx_running_vm(f, RUNNING_VM);
	save_request(f, file);
	machine_type(f);
	answer(f, expect_cmd(f, "getfd", NULL), "{}");
	answer(f, expect_cmd(f, "migrate-set-capabilities", NULL), "{}");
	answer(f, expect_cmd(f, "migrate-set-parameters", NULL), "{}");
	answer(f, expect_cmd(f, "stop", NULL), "{}");
	answer_error(f, expect_cmd(f, "migrate", NULL), "GenericError",
	    "Guest is not migratable");
	answer(f, expect_cmd(f, "closefd", &a), "{}");
	assert_string_equal(jstr(a, "fdname"), "qlaunch-save");
	json_object_put(a);
	answer(f, expect_cmd(f, "cont", NULL), "{}");
	expect_error(f, "GenericError", "Guest is not migratable", 1);
	assert_int_equal(access(file, F_OK), -1);
	free(file);
	fx_free(f);
}

/* QEMU vanishes mid-migration: one error, no file. */
static void
test_save_qemu_vanishes(void **state)
{
	struct fx *f = fx_new();
	char *file = path_in(f, "t1.sav");
	int nev = 0;

	(void)state;
	fx_running_vm(f, RUNNING_VM);
	save_request(f, file);
	steps_to_migrate(f, 1);
	expect_cmd(f, "query-migrate", NULL);
	close(f->peer);
	f->peer = -1;
	struct json_object *m = reply_after_events(f, &nev);
	struct json_object *e = jget(m, "error");
	assert_non_null(e);
	assert_non_null(strstr(jstr(e, "desc"), "QEMU went away during the "
	    "save"));
	json_object_put(m);
	assert_int_equal(access(file, F_OK), -1);
	free(file);
	fx_free(f);
}

/* A paused VM is not stopped again; an existing file is never touched. */
static void
test_save_paused_and_existing(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	char *file = path_in(f, "there.sav");

	(void)state;
	write_bytes(file, "keep me", 7);
	save_request(f, file);
	expect_error(f, ERR_EXISTS, "File exists (save never overwrites a "
	    "file)", 0);
	size_t len;
	char *t = tu_slurp(file, &len);
	assert_string_equal(t, "keep me");
	free(t);
	request(f, "save", "{\"name\": \"t1\", \"file\": \"rel.sav\"}");
	expect_error(f, ERR_GENERIC, "'rel.sav' is not an absolute path", 0);
	request(f, "save", "{\"name\": \"t1\", \"file\": \"/x\", \"running\": "
	    "true, \"paused\": true}");
	expect_error(f, ERR_GENERIC, "mutually exclusive", 0);

	/* paused: no stop, and it stays paused at restore */
	vm_set_state(vm, VM_PAUSED, "paused");
	free(file);
	file = path_in(f, "p.sav");
	save_request(f, file);
	steps_to_migrate(f, 0);
	answer(f, expect_cmd(f, "query-migrate", NULL), "{\"status\": "
	    "\"completed\", \"ram\": {\"total\": 10, \"remaining\": 0, "
	    "\"transferred\": 10}}");
	answer(f, expect_cmd(f, "quit", NULL), "{}");
	qemu_exits(f, vm, "saved");
	struct json_object *r = expect_return(f);
	assert_string_equal(jstr(r, "state"), "paused");
	json_object_put(r);
	t = tu_slurp(file, &len);
	assert_memory_equal(t + 12, "\0\0\0\0", 4);
	free(t);
	free(file);
	fx_free(f);
}

/*
 * --bypass-cache's writer: what comes into the pipe lands in the file
 * after the header, whole blocks and the tail, and a file offset that is
 * not aligned is refused before anything starts.
 */
struct dio_end {
	int	done, ok;
	char	err[512];
};

static void
dio_end(void *arg, int ok, const char *err)
{
	struct dio_end *e = arg;

	e->done = 1;
	e->ok = ok;
	if (err != NULL)
		strlcpy(e->err, err, sizeof(e->err));
}

static void
test_directio_writer(void **state)
{
	struct fx *f = fx_new();
	char *file = path_in(f, "d.sav"), err[512];
	struct dio_end e = { 0, 0, "" };
	size_t n = 3 * (1u << 20) + 12345;	/* blocks, and a tail */
	unsigned char *data = malloc(n);
	int qfd = -1;

	(void)state;
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT, 0600);
	if (fd == -1 && errno == EINVAL) {
		free(data);
		free(file);
		fx_free(f);
		skip();		/* a file system without O_DIRECT */
	}
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_null(directio_start(f->base, fd, &qfd, dio_end, &e, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "offset 1, not a multiple of 4096"));
	assert_int_equal(lseek(fd, 4096, SEEK_SET), 4096);
	struct directio *w = directio_start(f->base, fd, &qfd, dio_end, &e,
	    err, sizeof(err));
	assert_non_null(w);
	/* as QEMU would: everything, then its end of the pipe closed */
	tu_write_all(qfd, data, n);
	close(qfd);
	assert_true(tu_pump(f->base, &e.done, 10000));
	assert_int_equal(e.ok, 1);
	close(fd);
	size_t len;
	char *t = tu_slurp(file, &len);
	assert_int_equal(len, 4096 + n);
	assert_memory_equal(t + 4096, data, n);
	free(t);
	free(data);
	free(file);
	fx_free(f);
}

/* ---- restore ---- */

/* A save file: header, definition (len of it, or its own), stream. */
static void
write_save(const char *path, const char *def, uint32_t deflen,
    size_t stream)
{
	size_t dl = strlen(def), n = 20 + dl + stream;
	unsigned char *b = calloc(1, n);

	memcpy(b, "QLSAVE\r\n\0\0\0\1\0\0\0\1", 16);
	b[16] = (unsigned char)(deflen >> 24);
	b[17] = (unsigned char)(deflen >> 16);
	b[18] = (unsigned char)(deflen >> 8);
	b[19] = (unsigned char)deflen;
	memcpy(b + 20, def, dl);
	memset(b + 20 + dl, 0x5a, stream);
	write_bytes(path, b, n);
	free(b);
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Version 2: with the machine and the stream's offset. */
static void
write_save2(const char *path, const char *def, const char *machine,
    uint32_t off, size_t stream)
{
	size_t dl = strlen(def), ml = strlen(machine);
	size_t n = (off > 28 + dl + ml ? off : 28 + dl + ml) + stream;
	unsigned char *b = calloc(1, n);

	memcpy(b, "QLSAVE\r\n\0\0\0\2\0\0\0\1", 16);
	put_be32(b + 16, (uint32_t)dl);
	put_be32(b + 20, (uint32_t)ml);
	put_be32(b + 24, off);
	memcpy(b + 28, def, dl);
	memcpy(b + 28 + dl, machine, ml);
	memset(b + n - stream, 0x5a, stream);
	write_bytes(path, b, n);
	free(b);
}

static void
restore_expect(struct fx *f, const char *file, const char *class,
    const char *part)
{
	char args[1024];

	snprintf(args, sizeof(args), "{\"file\": \"%s\"}", file);
	request(f, "restore", args);
	expect_error(f, class, part, 0);
	/* nothing defined */
	assert_true(TAILQ_EMPTY(&f->d.vms));
}

static void
test_restore_bad_files(void **state)
{
	struct fx *f = fx_new();
	char *file = path_in(f, "r.sav");
	const char *def = "name: r1\nmemory: 256\n";

	(void)state;
	write_bytes(file, "\x7f" "ELF garbage, not a save file", 28);
	restore_expect(f, file, ERR_GENERIC, "is not a qlaunch save file");
	write_bytes(file, "", 0);
	restore_expect(f, file, ERR_GENERIC, "is not a qlaunch save file");
	write_bytes(file, "QLSAVE\r\n\0\0", 10);
	restore_expect(f, file, ERR_GENERIC, "truncated: the header is "
	    "incomplete");
	/* the definition cut short */
	write_save(file, "name: r1\nmem", (uint32_t)strlen(def), 0);
	restore_expect(f, file, ERR_GENERIC, "truncated: the definition is "
	    "incomplete");
	/* no stream after it */
	write_save(file, def, (uint32_t)strlen(def), 0);
	restore_expect(f, file, ERR_GENERIC, "truncated: no migration stream");
	/* a length no definition has */
	write_save(file, def, 0x7fffffff, 64);
	restore_expect(f, file, ERR_GENERIC, "not plausible");
	/* another version */
	write_save(file, def, (uint32_t)strlen(def), 64);
	int fd = open(file, O_WRONLY);
	assert_int_equal(pwrite(fd, "\0\0\0\7", 4, 8), 4);
	close(fd);
	restore_expect(f, file, ERR_GENERIC, "save file version 7 is not 1 or 2");
	/* version 2: a machine type that is no name, a stream offset short */
	write_save2(file, def, "pc;rm -rf", 4096, 64);
	restore_expect(f, file, ERR_GENERIC, "the machine type is not a name");
	write_save2(file, def, "pc-i440fx-7.2", 8, 64);
	restore_expect(f, file, ERR_GENERIC, "not plausible");
	write_save2(file, def, "pc-i440fx-7.2", 4096, 0);
	restore_expect(f, file, ERR_GENERIC, "truncated: no migration stream");
	/* a definition that does not parse names the file and line */
	const char *bad = "name: r1\nmemory: lots\n";
	write_save(file, bad, (uint32_t)strlen(bad), 64);
	restore_expect(f, file, ERR_INVALID_DEF, "r.sav:2: memory");
	/* relative, missing */
	restore_expect(f, "r.sav", ERR_GENERIC, "is not an absolute path");
	restore_expect(f, "/nonexistent/r.sav", ERR_GENERIC, "cannot open "
	    "/nonexistent/r.sav: No such file or directory");
	free(file);
	fx_free(f);
}

/* The VM exists: running (destroy it first), or with another UUID. */
static void
test_restore_existing_vm(void **state)
{
	struct fx *f = fx_new();
	char *file = path_in(f, "r.sav");
	char args[1024];
	const char *same = RUNNING_VM;
	const char *other = PLAIN_VM "uuid: 00000000-0000-4000-8000-0000000000b2\n";

	(void)state;
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	snprintf(args, sizeof(args), "{\"file\": \"%s\"}", file);
	write_save(file, same, (uint32_t)strlen(same), 64);
	request(f, "restore", args);
	expect_error(f, ERR_INVALID_STATE, "VM 't1' is running; restore "
	    "recreates it: destroy it first", 0);
	qemu_exits(f, vm, "destroyed");
	write_save(file, other, (uint32_t)strlen(other), 64);
	request(f, "restore", args);
	expect_error(f, ERR_EXISTS, "VM 't1' exists with UUID "
	    "00000000-0000-4000-8000-0000000000a1, not the saved "
	    "00000000-0000-4000-8000-0000000000b2", 0);
	/* the same UUID under another name belongs to t1 */
	const char *dup = "name: t9\nmemory: 256\n"
	    "uuid: 00000000-0000-4000-8000-0000000000a1\n";
	write_save(file, dup, (uint32_t)strlen(dup), 64);
	request(f, "restore", args);
	expect_error(f, ERR_EXISTS, "belongs to VM 't1' already", 0);
	assert_null(vm_find(&f->d, "t9"));
	free(file);
	fx_free(f);
}

/*
 * A user's own save file runs its definition: edited to give the VM to
 * root (no owner) or to another user, restore refuses it (root may).
 */
static void
test_restore_owner_kept(void **state)
{
	struct fx *f = fx_new();
	char *file = path_in(f, "r.sav");
	char args[1024];
	const char *mine = RUNNING_VM "owner: 1234\n";
	const char *nobody = RUNNING_VM;
	const char *other = RUNNING_VM "owner: 4321\n";

	(void)state;
	if (geteuid() != 0) {	/* open_as needs root to be the user */
		fx_free(f);
		skip();
	}
	assert_int_equal(chmod(f->dir, 0711), 0);
	struct vm *vm = fx_running_vm(f, mine);
	qemu_exits(f, vm, "saved");
	snprintf(args, sizeof(args), "{\"file\": \"%s\"}", file);
	write_save(file, nobody, (uint32_t)strlen(nobody), 64);
	assert_int_equal(chmod(file, 0644), 0);
	request_as(f, 1234, "restore", args);
	expect_error(f, ERR_PERMISSION, "restore: the saved definition's "
	    "owner (none) is not VM 't1''s (1234); only root may change it",
	    0);
	write_save(file, other, (uint32_t)strlen(other), 64);
	request_as(f, 1234, "restore", args);
	expect_error(f, ERR_PERMISSION, "owner (4321) is not VM 't1''s", 0);
	/* another user's VM is refused whatever the file holds */
	request_as(f, 4321, "restore", args);
	expect_error(f, ERR_PERMISSION, "VM 't1' belongs to another user", 0);
	assert_int_equal(vm->state, VM_SHUTOFF);
	free(file);
	fx_free(f);
}

/* ---- clone and move-disk: what they refuse, before any copy ---- */

static void
test_clone_refusals(void **state)
{
	struct fx *f = fx_new();
	char args[1024];

	(void)state;
	struct vm *vm = fx_running_vm(f, RUNNING_VM);
	request(f, "clone", "{\"name\": \"t1\", \"new_name\": \"t2\"}");
	expect_error(f, ERR_INVALID_STATE, "VM 't1' is running; clone needs "
	    "it shut off or paused", 0);
	vm_set_state(vm, VM_PAUSED, "paused");
	request(f, "clone", "{\"name\": \"t1\", \"new_name\": \"t2\", "
	    "\"linked\": true}");
	expect_error(f, ERR_INVALID_STATE, "a linked clone needs it shut off",
	    0);
	request(f, "clone", "{\"name\": \"t1\", \"new_name\": \"t1\"}");
	expect_error(f, ERR_EXISTS, "VM 't1' exists already", 0);
	request(f, "clone", "{\"name\": \"t1\", \"new_name\": \"-x\"}");
	expect_error(f, ERR_GENERIC, "'-x' is not a valid name", 0);
	request(f, "move-disk", "{\"name\": \"t1\", \"target\": \"vda\", "
	    "\"path\": \"/x.qcow2\"}");
	expect_error(f, ERR_INVALID_STATE, "move-disk needs it shut off", 0);
	qemu_exits(f, vm, "destroyed");
	request(f, "move-disk", "{\"name\": \"t1\", \"target\": \"vdz\", "
	    "\"path\": \"/x.qcow2\"}");
	expect_error(f, ERR_NOT_FOUND, "VM 't1' has no disk vdz", 0);
	/* a VM without disks clones at once: new name, new UUID */
	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"new_name\": "
	    "\"t2\"}");
	request(f, "clone", args);
	struct json_object *r = expect_return(f);
	assert_string_equal(jstr(r, "name"), "t2");
	assert_string_not_equal(jstr(r, "uuid"),
	    "00000000-0000-4000-8000-0000000000a1");
	json_object_put(r);
	struct vm *c = vm_find(&f->d, "t2");
	assert_non_null(c);
	assert_string_not_equal(c->def->uuid, vm->def->uuid);
	request(f, "clone", "{\"name\": \"t1\", \"new_name\": \"t3\", "
	    "\"files\": [\"/a.qcow2\"]}");
	expect_error(f, ERR_GENERIC, "1 files given, but 't1' has 0 disks to "
	    "clone", 0);
	assert_null(vm_find(&f->d, "t3"));
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_steps),
		cmocka_unit_test(test_save_migration_fails),
		cmocka_unit_test(test_save_migrate_refused),
		cmocka_unit_test(test_save_qemu_vanishes),
		cmocka_unit_test(test_directio_writer),
		cmocka_unit_test(test_save_paused_and_existing),
		cmocka_unit_test(test_restore_bad_files),
		cmocka_unit_test(test_restore_existing_vm),
		cmocka_unit_test(test_restore_owner_kept),
		cmocka_unit_test(test_clone_refusals),
	};

	log_init("test_save", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
