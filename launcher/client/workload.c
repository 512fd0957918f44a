/*
 * The workload through the console: each action is one shell line, and
 * its answer one line tagged QLWL with key=value words.  qlstress starts
 * in a subshell, so that it is no job of the console's interactive shell
 * (busybox ash, whose job control sometimes ended the shell itself when
 * such a job was killed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "guestsh.h"
#include "workload.h"

#define WL_TIMEOUT_MS	30000
#define WL_RUNNING	"[ -f /run/qlwl.pid ] && kill -0 $(cat /run/qlwl.pid) 2>/dev/null"

static int
wl_state(const char *out, char *st, size_t len, char *err, size_t errlen)
{
	if (guest_sh_field(out, "QLWL", "state", st, len) == NULL) {
		snprintf(err, errlen, "the guest's shell gave no answer the "
		    "workload understands");
		return -1;
	}
	return 0;
}

int
workload_start(const char *sock, const char *name, long long size_mib,
    long long rate, char *err, size_t errlen)
{
	char cmd[1024], out[4096], st[32], why[256];

	snprintf(cmd, sizeof(cmd), "if ! command -v qlstress >/dev/null; then "
	    "echo QLWL state=noqlstress; elif " WL_RUNNING "; then echo QLWL "
	    "state=busy pid=$(cat /run/qlwl.pid); else (qlstress -s %lld -r %lld "
	    "-i 1000 </dev/null >/run/qlwl.log 2>&1 & echo $! >/run/qlwl.pid); "
	    "echo %lld %lld >/run/qlwl.args; sleep 1; if " WL_RUNNING "; then "
	    "echo QLWL state=running pid=$(cat /run/qlwl.pid); else echo QLWL "
	    "state=failed why=$(tail -1 /run/qlwl.log | tr ' ' _); fi; fi",
	    size_mib, rate, size_mib, rate);
	if (guest_sh(sock, name, cmd, WL_TIMEOUT_MS, out, sizeof(out), err,
	    errlen) == -1 || wl_state(out, st, sizeof(st), err, errlen) == -1)
		return -1;
	if (strcmp(st, "running") == 0)
		return 0;
	if (strcmp(st, "noqlstress") == 0)
		snprintf(err, errlen, "guest '%s' has no qlstress (the test "
		    "guest has it)", name);
	else if (strcmp(st, "busy") == 0)
		snprintf(err, errlen, "a workload runs already in '%s' "
		    "(workload %s stop ends it)", name, name);
	else
		snprintf(err, errlen, "qlstress did not start in '%s': %s",
		    name, guest_sh_field(out, "QLWL", "why", why, sizeof(why))
		    != NULL ? why : "no reason given");
	return -1;
}

int
workload_stop(const char *sock, const char *name, int *was_running,
    char *err, size_t errlen)
{
	char out[4096], st[32];

	if (guest_sh(sock, name, "if " WL_RUNNING "; then kill $(cat "
	    "/run/qlwl.pid); rm -f /run/qlwl.pid; echo QLWL state=stopped; "
	    "else echo QLWL state=none; fi", WL_TIMEOUT_MS, out, sizeof(out),
	    err, errlen) == -1 || wl_state(out, st, sizeof(st), err,
	    errlen) == -1)
		return -1;
	*was_running = strcmp(st, "stopped") == 0;
	return 0;
}

static void
add_num(struct json_object *o, const char *key, const char *out,
    const char *tag, const char *field, int dbl)
{
	char v[64];

	if (guest_sh_field(out, tag, field, v, sizeof(v)) == NULL)
		return;
	json_object_object_add(o, key, dbl ? json_object_new_double(
	    strtod(v, NULL)) : json_object_new_int64(strtoll(v, NULL, 10)));
}

struct json_object *
workload_status(const char *sock, const char *name, char *err, size_t errlen)
{
	char out[8192], st[32];
	struct json_object *o;

	if (guest_sh(sock, name, "if " WL_RUNNING "; then echo QLWL "
	    "state=running pid=$(cat /run/qlwl.pid); else echo QLWL "
	    "state=idle; fi; set -- $(cat /run/qlwl.args 2>/dev/null); "
	    "echo QLWL-ARGS size=$1 rate=$2; echo QLWL-LAST $(grep "
	    "'^QLSTRESS t=' /run/qlwl.log 2>/dev/null | tail -1)",
	    WL_TIMEOUT_MS, out, sizeof(out), err, errlen) == -1 ||
	    wl_state(out, st, sizeof(st), err, errlen) == -1)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "running", json_object_new_boolean(
	    strcmp(st, "running") == 0));
	add_num(o, "pid", out, "QLWL", "pid", 0);
	add_num(o, "size_mib", out, "QLWL-ARGS", "size", 0);
	add_num(o, "rate_mib_s", out, "QLWL-ARGS", "rate", 0);
	add_num(o, "t_ms", out, "QLWL-LAST", "t", 0);
	add_num(o, "iter", out, "QLWL-LAST", "iter", 0);
	add_num(o, "mib", out, "QLWL-LAST", "mib", 0);
	add_num(o, "measured_mib_s", out, "QLWL-LAST", "rate", 1);
	return o;
}
