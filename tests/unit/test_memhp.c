/*
 * Memory hot-plug against the fake QEMU: what attach-memory and
 * detach-memory send, in order, what a failure undoes, what is refused
 * before QEMU hears of it; and the host checks of a start (memhost.c)
 * against a fake /sys.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fakeqemu.h"
#include "fsutil.h"
#include "jget.h"
#include "memdef.h"
#include "memhost.h"
#include "testutil.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"

#define HP_VM "name: t1\nmemory: 256,maxmemory=512,slots=2\nballoon: off\n" \
	"console: none\n"

static char *
stored_text(struct fx *f)
{
	return vmdef_text(vm_persistent(f->vm));
}

/* object-add ok, device_add refused: object-del, nothing changes. */
static void
test_attach_rolls_back(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	fx_running_vm(f, HP_VM);
	char *before = stored_text(f);
	request(f, "attach-memory", "{\"name\": \"t1\", \"size_mib\": 128, "
	    "\"live\": true, \"config\": true}");
	answer(f, expect_cmd(f, "object-add", &a), "{}");
	assert_string_equal(jstr(a, "qom-type"), "memory-backend-ram");
	assert_string_equal(jstr(a, "id"), "mem-0");
	assert_int_equal(jint(a, "size", 0), 128LL << 20);
	json_object_put(a);
	answer_error(f, expect_cmd(f, "device_add", &a), "GenericError",
	    "not enough slots");
	assert_string_equal(jstr(a, "driver"), "pc-dimm");
	assert_string_equal(jstr(a, "id"), "memdimm0");
	assert_string_equal(jstr(a, "memdev"), "mem-0");
	json_object_put(a);
	answer_id(f, "object-del", "mem-0");
	expect_error(f, "GenericError", "not enough slots", 1);
	assert_int_equal(vmdef_dimm_count(f->vm->def), 0);
	assert_int_equal(vmdef_dimm_count(vm_persistent(f->vm)), 0);
	char *after = stored_text(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
	fx_free(f);
}

/* Both scopes: the running VM and the stored definition get dimm: id=0. */
static void
test_attach_live_config(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	fx_running_vm(f, HP_VM);
	request(f, "attach-memory", "{\"name\": \"t1\", \"size_mib\": 128, "
	    "\"live\": true, \"config\": true}");
	answer(f, expect_cmd(f, "object-add", NULL), "{}");
	answer(f, expect_cmd(f, "device_add", &a), "{}");
	assert_null(jget(a, "node"));
	json_object_put(a);
	json_object_put(expect_return(f));
	assert_int_equal(vmdef_dimm_count(f->vm->def), 1);
	assert_int_equal(vmdef_dimm_mib(f->vm->def), 128);
	assert_int_equal(vmdef_dimm_count(vm_persistent(f->vm)), 1);
	char *t = stored_text(f);
	assert_non_null(strstr(t, "\ndimm: 128M,id=0\n"));
	free(t);
	/* the next one takes id 1; then the slots are full */
	request(f, "attach-memory", "{\"name\": \"t1\", \"size_mib\": 64, "
	    "\"live\": true}");
	answer_id(f, "object-add", "mem-1");
	answer_id(f, "device_add", "memdimm1");
	json_object_put(expect_return(f));
	request(f, "attach-memory", "{\"name\": \"t1\", \"size_mib\": 16, "
	    "\"live\": true}");
	expect_error(f, "GenericError", "attach-memory: dimm: 3 DIMMs, but "
	    "memory has 2 slots", 0);
	fx_free(f);
}

/* Past maxmemory, no maxmemory, a bad node: one line, no QMP. */
static void
test_attach_refused(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_running_vm(f, HP_VM);
	request(f, "attach-memory", "{\"name\": \"t1\", \"size_mib\": 512, "
	    "\"live\": true}");
	expect_error(f, "GenericError", "attach-memory: dimm: memory and "
	    "DIMMs come to 768M, more than maxmemory 512M", 0);
	request(f, "attach-memory", "{\"name\": \"t1\", \"size_mib\": 64, "
	    "\"node\": 1, \"live\": true}");
	expect_error(f, "GenericError", "node 1: the guest has 1 NUMA nodes",
	    0);
	request(f, "attach-memory", "{\"name\": \"t1\", \"live\": true}");
	expect_error(f, "GenericError", "size_mib", 0);
	assert_int_equal(vmdef_dimm_count(f->vm->def), 0);
	fx_free(f);

	f = fx_new();
	fx_running_vm(f, PLAIN_VM);
	request(f, "attach-memory", "{\"name\": \"t1\", \"size_mib\": 64, "
	    "\"live\": true}");
	expect_error(f, "GenericError", "dimm: needs memory's maxmemory= and "
	    "slots=", 0);
	fx_free(f);
}

/* Unplug: device_del, the guest lets go, then object-del. */
static void
test_detach(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_running_vm(f, HP_VM "dimm: 64M\ndimm: 128M\n");
	request(f, "detach-memory", "{\"name\": \"t1\", \"id\": 0, "
	    "\"live\": true, \"config\": true}");
	answer_id(f, "device_del", "memdimm0");
	device_deleted(f, "memdimm0");
	answer_id(f, "object-del", "mem-0");
	json_object_put(expect_return(f));
	assert_int_equal(vmdef_dimm_count(f->vm->def), 1);
	assert_int_equal(vmdef_dimm_mib(vm_persistent(f->vm)), 128);
	/* the one left keeps its id (and so its QEMU ids) */
	char *t = stored_text(f);
	assert_non_null(strstr(t, "dimm: 128M,id=1"));
	assert_null(strstr(t, "dimm: 64M"));
	free(t);
	request(f, "detach-memory", "{\"name\": \"t1\", \"id\": 0, "
	    "\"live\": true}");
	expect_error(f, "GenericError", "no DIMM memdimm0", 0);
	fx_free(f);
}

/*
 * The guest keeps the DIMM: the whole line names the operation once
 * (the job's own message does not repeat it), and nothing changes.
 */
static void
test_detach_not_let_go(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_running_vm(f, HP_VM "dimm: 64M\n");
	request(f, "detach-memory", "{\"name\": \"t1\", \"id\": 0, "
	    "\"live\": true, \"config\": true, \"timeout_ms\": 1000}");
	answer_id(f, "device_del", "memdimm0");
	struct json_object *m = reply(f), *e = jget(m, "error");
	assert_non_null(e);
	assert_string_equal(jstr(e, "class"), "Timeout");
	assert_string_equal(jstr(e, "desc"), "detach-memory memdimm0: no "
	    "DEVICE_DELETED for device memdimm0 within 1 s after device_del");
	json_object_put(m);
	assert_int_equal(vmdef_dimm_count(f->vm->def), 1);
	assert_int_equal(vmdef_dimm_count(vm_persistent(f->vm)), 1);
	request(f, "detach-memory", "{\"name\": \"t1\", \"id\": 0, "
	    "\"live\": true, \"timeout_ms\": 0}");
	expect_error(f, "GenericError", "timeout_ms: 1 to 3600000", 0);
	fx_free(f);
}

/* setmem --hotplug: qom-set of vmem0's requested-size, and the line. */
static void
test_virtio_mem(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	fx_running_vm(f, HP_VM "virtio_mem: 128M\n");
	request(f, "setmem-hotplug", "{\"name\": \"t1\", \"size_mib\": 64, "
	    "\"live\": true, \"config\": true}");
	answer(f, expect_cmd(f, "qom-set", &a), "{}");
	assert_string_equal(jstr(a, "path"), "/machine/peripheral/vmem0");
	assert_string_equal(jstr(a, "property"), "requested-size");
	assert_int_equal(jint(a, "value", 0), 64LL << 20);
	json_object_put(a);
	json_object_put(expect_return(f));
	char *t = stored_text(f);
	assert_non_null(strstr(t, "\nvirtio_mem: 128M,requested=64M\n"));
	free(t);
	t = vmdef_text(f->vm->def);
	assert_non_null(strstr(t, "\nvirtio_mem: 128M,requested=64M\n"));
	free(t);
	/* more than the device: one line, nothing asked */
	request(f, "setmem-hotplug", "{\"name\": \"t1\", \"size_mib\": 256, "
	    "\"live\": true}");
	expect_error(f, "GenericError", "256M is more than the virtio-mem "
	    "device's size 128M", 0);
	/* QEMU refuses: the definition keeps what it had */
	request(f, "setmem-hotplug", "{\"name\": \"t1\", \"size_mib\": 32, "
	    "\"live\": true}");
	answer_error(f, expect_cmd(f, "qom-set", NULL), "GenericError",
	    "busy");
	expect_error(f, "GenericError", "busy", 1);
	t = vmdef_text(f->vm->def);
	assert_non_null(strstr(t, "requested=64M"));
	free(t);
	fx_free(f);

	f = fx_new();
	fx_running_vm(f, HP_VM);
	request(f, "setmem-hotplug", "{\"name\": \"t1\", \"size_mib\": 64, "
	    "\"live\": true}");
	expect_error(f, "GenericError", "no virtio_mem: line", 0);
	fx_free(f);
}

static void
put(const char *root, const char *rel, const char *text)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
}

static void
mk(const char *root, const char *rel)
{
	char p[4096], cmd[4200];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
}

/* A start's host checks: free hugepages, host nodes. */
static void
test_host_check(void **state)
{
	char *root = tu_mkdtemp("memhost"), err[512];
	struct vmdef *d;

	(void)state;
	mk(root, "/sys/kernel/mm/hugepages/hugepages-2048kB");
	mk(root, "/sys/devices/system/node/node0");
	put(root, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
	    "31\n");
	d = tu_parse_ok("name: h\nmemory: 64\nmemorybacking: hugepages=2M\n");
	assert_int_equal(memhost_check(d, root, err, sizeof(err)), -1);
	assert_string_equal(err, "memorybacking: 32 hugepages of 2048 kB "
	    "needed, the host has 31 free (echo N > /sys/kernel/mm/hugepages/"
	    "hugepages-2048kB/nr_hugepages)");
	put(root, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
	    "32\n");
	assert_int_equal(memhost_check(d, root, err, sizeof(err)), 0);
	vmdef_free(d);
	/* the DIMMs count too */
	d = tu_parse_ok("name: h\nmemory: 64,maxmemory=128,slots=1\n"
	    "memorybacking: hugepages=2M\ndimm: 2M\n");
	assert_int_equal(memhost_check(d, root, err, sizeof(err)), -1);
	vmdef_free(d);
	d = tu_parse_ok("name: h\nmemory: 1024\nmemorybacking: hugepages=1G,"
	    "source=file,path=/hp\n");
	assert_int_equal(memhost_check(d, root, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "memorybacking: the host has no 1048576 "
	    "kB hugepages"));
	vmdef_free(d);
	d = tu_parse_ok("name: h\nvcpus: 2\nmemory: 256\nnuma: node0=cpus=0,"
	    "mem=128M; node1=cpus=1,mem=128M,hostnodes=1\n");
	assert_int_equal(memhost_check(d, root, err, sizeof(err)), -1);
	assert_string_equal(err, "hostnodes: the host has no NUMA node 1");
	mk(root, "/sys/devices/system/node/node1");
	assert_int_equal(memhost_check(d, root, err, sizeof(err)), 0);
	vmdef_free(d);
	d = tu_parse_ok("name: h\nmemory: 256\nmemorybacking: source=file,"
	    "path=/nowhere\n");
	assert_int_equal(memhost_check(d, root, err, sizeof(err)), -1);
	assert_string_equal(err, "memorybacking: path /nowhere: No such file "
	    "or directory");
	vmdef_free(d);
	tu_rmtree(root);
	free(root);
}

/* The line round-trips; canonical text. */
static void
test_canonical(void **state)
{
	struct vmdef *d = tu_parse_ok("name: c\nvcpus: 2\n"
	    "memory: 512,maxmemory=1G,slots=2\n"
	    "memorybacking: mergeable=off,hugepages=2M,locked=yes\n"
	    "numa: node0=cpus=0,mem=256M ;node1=cpus=1,mem=256M,hostnodes=0-1\n"
	    "dimm: size=64M,node=1\n");
	char *t = vmdef_print(d);

	(void)state;
	assert_non_null(strstr(t, "memorybacking: hugepages=2M,source=memfd,"
	    "locked=on,mergeable=off\n"));
	assert_non_null(strstr(t, "numa: node0=cpus=0,mem=256; node1=cpus=1,"
	    "mem=256,hostnodes=0-1,policy=bind\n"));
	assert_non_null(strstr(t, "dimm: 64M,node=1\n"));
	struct vmdef *e = tu_parse_ok(t);
	char *t2 = vmdef_print(e);
	assert_string_equal(t, t2);
	free(t);
	free(t2);
	vmdef_free(d);
	vmdef_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_rolls_back),
		cmocka_unit_test(test_attach_live_config),
		cmocka_unit_test(test_attach_refused),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_detach_not_let_go),
		cmocka_unit_test(test_virtio_mem),
		cmocka_unit_test(test_host_check),
		cmocka_unit_test(test_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
