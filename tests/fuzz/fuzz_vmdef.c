/*
 * libFuzzer target for the definition parser (launcher/def/): a VM's
 * definition file, and a network's (netdef) on the same text.
 *
 * The input is the file's text (cut at its first NUL).  Invariants:
 *  - parse fails with "FILE:..." in err, or gives a definition;
 *  - the round trip: parse -> vmdef_print -> parse succeeds and prints
 *    the same canonical text (the same tree); vmdef_dup prints the same;
 *    the stored text (vmdef_text) parses again;
 *  - the command line builds (or fails with a reason) for kvm and tcg,
 *    every argument a string, and the runtime QMP list is an array;
 *  - a network definition parses or fails with a reason, and its stored
 *    text parses again.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "cmdline.h"
#include "fuzz.h"
#include "netdef.h"
#include "vmdef.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
FUZZ_UBSAN_OPTIONS

static void
check_cmdline(const struct vmdef *d, enum accel accel)
{
	struct vmpaths vp;
	struct argv av = { NULL, 0 };
	char err[1024] = "";

	if (vmpaths_init(&vp, "/nonexistent/run", d->name, err,
	    sizeof(err)) == -1) {
		CHECK(err[0] != '\0');
		return;
	}
	if (cmdline_build(d, &vp, accel, "/nonexistent/qemu", &av, err,
	    sizeof(err)) == 0) {
		CHECK(av.n > 0);
		for (size_t i = 0; i < av.n; i++)
			CHECK(av.v[i] != NULL);
	} else
		CHECK(err[0] != '\0');
	argv_free(&av);
}

static void
check_net(const char *text)
{
	char err[1024] = "";
	struct netdef *n = netdef_parse(text, "fuzz", err, sizeof(err));

	if (n == NULL) {
		CHECK(strncmp(err, "fuzz", 4) == 0);
		return;
	}
	if (n->text != NULL) {
		struct netdef *n2 = netdef_parse(n->text, "again", err,
		    sizeof(err));
		if (n2 == NULL)
			fprintf(stderr, "stored text: %s\n", err);
		CHECK(n2 != NULL);
		netdef_free(n2);
	}
	netdef_free(n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);
	char err[1024] = "";

	CHECK(text != NULL);
	check_net(text);
	struct vmdef *d = vmdef_parse(text, "fuzz", err, sizeof(err));
	if (d == NULL) {
		CHECK(strncmp(err, "fuzz", 4) == 0);
		free(text);
		return 0;
	}
	char *p1 = vmdef_print(d);
	CHECK(p1 != NULL);
	struct vmdef *d2 = vmdef_parse(p1, "printed", err, sizeof(err));
	if (d2 == NULL)
		fprintf(stderr, "printed text does not parse: %s\n---\n%s---\n",
		    err, p1);
	CHECK(d2 != NULL);
	char *p2 = vmdef_print(d2);
	if (strcmp(p1, p2) != 0)
		fprintf(stderr, "round trip differs:\n---\n%s---\n%s---\n",
		    p1, p2);
	CHECK(strcmp(p1, p2) == 0);

	struct vmdef *d3 = vmdef_dup(d);
	char *p3 = vmdef_print(d3);
	CHECK(strcmp(p1, p3) == 0);

	char *stored = vmdef_text(d);
	struct vmdef *d4 = vmdef_parse(stored, "stored", err, sizeof(err));
	if (d4 == NULL)
		fprintf(stderr, "stored text does not parse: %s\n", err);
	CHECK(d4 != NULL);

	check_cmdline(d, ACCEL_TCG);
	check_cmdline(d, ACCEL_KVM);
	struct json_object *rt = vmdef_runtime_qmp(d);
	CHECK(rt != NULL && json_object_is_type(rt, json_type_array));
	json_object_put(rt);

	vmdef_free(d4);
	free(stored);
	free(p3);
	vmdef_free(d3);
	free(p2);
	vmdef_free(d2);
	free(p1);
	vmdef_free(d);
	free(text);
	return 0;
}
