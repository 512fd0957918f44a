/* cmdline --incoming: the incoming side's argv, to start by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmdline-in.h"
#include "dispatch.h"
#include "handtap.h"
#include "jget.h"
#include "migrate.h"
#include "names.h"
#include "nics.h"
#include "qmp.h"
#include "req.h"
#include "util.h"
#include "vm-argv.h"
#include "vm.h"

#define CMDLINE_IN_MS		5000
#define CMDLINE_URI_MAX		1024

/* The argv of vm's definition, machine pinned when not NULL; answers r. */
static void
answer(struct req *r, struct vm *vm, const char *machine)
{
	const struct vmdef *base = vm_active(vm) ? vm->def : vm_persistent(vm);
	const char *uri = req_str(r, "incoming");
	char err[1024];
	struct argv a;

	char *text = vmdef_text(base);
	struct vmdef *def = vmdef_parse(text, "the VM's definition", err,
	    sizeof(err));
	free(text);
	if (def == NULL) {
		req_error(r, ERR_GENERIC, "%s", err);
		return;
	}
	if (machine != NULL && vmdef_pin_machine(def, machine, err,
	    sizeof(err)) == -1) {
		vmdef_free(def);
		req_error(r, ERR_GENERIC, "the machine type %s: %s", machine,
		    err);
		return;
	}
	/* as the destination would start it: vhost-net where it has it */
	vmdef_nic_host(def, nics_vhost_net());
	/* the accelerator the running QEMU has, else as a start resolves it */
	enum accel acc = vm_active(vm) && vm->accel != ACCEL_AUTO ? vm->accel :
	    vm_resolve_accel(def->accel);
	int rc = vm_argv(r->d, def, &vm->paths, acc, CMDLINE_INCOMING |
	    CMDLINE_NOSTOP, uri, &a, err, sizeof(err));
	if (rc == 0 && (rc = handtap_rewrite(r->d, def, handtap_scriptdir(),
	    &a, err, sizeof(err))) == -1)
		argv_free(&a);
	vmdef_free(def);
	if (rc == -1) {
		req_error(r, ERR_GENERIC, "cmdline --incoming: %s", err);
		return;
	}
	struct json_object *o = cmdline_reply(&a);
	if (machine != NULL)
		json_object_object_add(o, "machine",
		    json_object_new_string(machine));
	req_return(r, o);
}

/* qom-get /machine type's reply: the machine type the QEMU runs */
static void
machine_got(void *arg, struct json_object *ret, const struct qmp_error *qe)
{
	struct req *r = arg;
	struct vm *vm = vm_find(r->d, req_str(r, "name"));
	char machine[128];

	if (qe != NULL) {
		req_error(r, ERR_GENERIC, "cmdline --incoming: the machine "
		    "type of the running QEMU: %s", qe->desc);
		return;
	}
	if (vm == NULL || !vm_active(vm)) {
		req_error(r, ERR_GENERIC, "cmdline --incoming: VM '%s' is "
		    "gone or stopped meanwhile", req_str(r, "name"));
		return;
	}
	if (migopt_machine(ret, machine, sizeof(machine)) == -1) {
		req_error(r, ERR_GENERIC, "QEMU's machine type '%s' is not "
		    "understood", json_object_get_string(ret));
		return;
	}
	answer(r, vm, machine);
}

struct json_object *
cmdline_reply(struct argv *a)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < a->n; i++)
		json_object_array_add(arr, json_object_new_string(a->v[i]));
	argv_free(a);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "argv", arr);
	return o;
}

void
cmdline_incoming(struct req *r, struct vm *vm, const char *uri)
{
	if (*uri == '\0' || strlen(uri) > CMDLINE_URI_MAX) {
		req_error(r, ERR_GENERIC, "cmdline: --incoming needs a URI "
		    "(tcp:HOST:PORT, unix:PATH, ...) of at most %d bytes",
		    CMDLINE_URI_MAX);
		return;
	}
	struct qmp *q = vm_active(vm) ? vm_qmp(vm) : NULL;
	if (q == NULL) {
		/* not running: the definition's machine type as it is */
		answer(r, vm, NULL);
		return;
	}
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "path", json_object_new_string("/machine"));
	json_object_object_add(a, "property", json_object_new_string("type"));
	if (qmp_execute(q, "qom-get", a, CMDLINE_IN_MS, machine_got, r) == -1)
		req_error(r, ERR_GENERIC, "VM '%s': QMP is not connected",
		    vm->name);
}
