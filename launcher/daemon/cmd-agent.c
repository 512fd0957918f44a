/*
 * The guest agent's commands: agent (virsh qemu-agent-command: a request
 * passed through), agent-info (virsh guestinfo: OS, hostname, users,
 * file systems), set-user-password, fsfreeze and fsthaw.  Everything the
 * agent says is checked for shape before it is used: it is untrusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "base64.h"
#include "dispatch.h"
#include "jget.h"
#include "names.h"
#include "req.h"
#include "vm.h"
#include "xalloc.h"

#define AGENT_MAX_REQUEST	65536	/* bytes of a passed-through request */

/* The timeout the request asks for ("timeout": seconds), in ms. */
static int
req_timeout(struct req *r)
{
	long long s;

	if (jint_range(r->args, "timeout", 1, 3600, &s) == 0)
		return (int)(s * 1000);
	return AGENT_TIMEOUT_MS;
}

static void
agent_fail(struct req *r, const char *class, const char *desc)
{
	/* the agent's own class and desc, as QEMU's reach the user */
	if (strcmp(class, AGENT_ERR_TIMEOUT) == 0)
		req_error(r, ERR_TIMEOUT, "guest agent: %s", desc);
	else if (strcmp(class, AGENT_ERR_PROTOCOL) == 0 ||
	    strcmp(class, AGENT_ERR_CLOSED) == 0)
		req_error(r, ERR_GENERIC, "guest agent: %s", desc);
	else	/* the agent's own, as QEMU's errors pass */
		req_qemu_error(r, class, desc);
}

/* Answer r with the agent's return value, unchanged. */
static void
reply_pass(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	struct req *r = arg;

	if (ret == NULL && class != NULL) {
		agent_fail(r, class, desc);
		return;
	}
	req_return(r, ret != NULL ? json_object_get(ret) : NULL);
}

/* {"name", "command": "JSON text", "timeout": s} */
static void
d_agent(struct req *r, struct vm *vm)
{
	const char *text = req_str(r, "command");
	struct json_object *req, *ex;
	char err[512];

	if (text == NULL || strlen(text) > AGENT_MAX_REQUEST) {
		req_error(r, ERR_GENERIC, "command: a JSON request of at most %d "
		    "bytes is needed", AGENT_MAX_REQUEST);
		return;
	}
	req = json_tokener_parse(text);
	if (req == NULL || !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "execute", &ex) ||
	    !json_object_is_type(ex, json_type_string)) {
		json_object_put(req);
		req_error(r, ERR_GENERIC, "command: not a guest agent request "
		    "({\"execute\": \"guest-...\", \"arguments\": {...}})");
		return;
	}
	if (strcmp(json_object_get_string(ex), "guest-sync-delimited") == 0) {
		/* its 0xFF is the connection's own business */
		json_object_put(req);
		req_error(r, ERR_GENERIC, "command: guest-sync-delimited is the "
		    "supervisor's; use guest-sync");
		return;
	}
	if (agent_call_req(r->d, vm, req, req_timeout(r),
	    strcmp(json_object_get_string(ex), "guest-shutdown") == 0,
	    reply_pass, r, err, sizeof(err)) == -1)
		req_error(r, ERR_GENERIC, "%s", err);
}

/*
 * ---- agent-info: its four calls queued at once (each timeout counts
 * from then, so the whole answer comes within one); the parts that
 * answered, and for each that did not, its error ("errors").
 */

static int take_os(struct json_object *, struct json_object *);
static int take_host(struct json_object *, struct json_object *);
static int take_users(struct json_object *, struct json_object *);
static int take_fs(struct json_object *, struct json_object *);

static const struct infostep {
	const char	*part;		/* the member it fills */
	const char	*cmd;
	/* -1: the reply's shape is wrong */
	int		 (*take)(struct json_object *ret, struct json_object *out);
} infosteps[] = {
	{ "os",			"guest-get-osinfo",	take_os },
	{ "hostname",		"guest-get-host-name",	take_host },
	{ "users",		"guest-get-users",	take_users },
	{ "filesystems",	"guest-get-fsinfo",	take_fs },
};

#define NINFO	(sizeof(infosteps) / sizeof(infosteps[0]))

struct info;

/* One call's context: the request's, and which part it is. */
struct infocall {
	struct info		*in;
	size_t			 step;
};

struct info {
	struct req		*r;
	struct infocall		 calls[NINFO];
	size_t			 waiting;	/* calls not answered yet */
	size_t			 answered;
	struct json_object	*out;
	struct json_object	*errors;	/* [{part, command, class, desc, error}] */
	/* the first failure, and whether all were the same */
	char			 class[64], desc[512];
	int			 same;
};

/* The string members of src named in keys, copied into a new object. */
static struct json_object *
strings(struct json_object *src, const char *const *keys)
{
	struct json_object *o = json_object_new_object();

	for (; *keys != NULL; keys++) {
		const char *v = jstr(src, *keys);
		if (v != NULL)
			json_object_object_add(o, *keys,
			    json_object_new_string_len(v, (int)strnlen(v, 256)));
	}
	return o;
}

static int
take_os(struct json_object *ret, struct json_object *out)
{
	static const char *const keys[] = { "id", "name", "pretty-name",
	    "version", "version-id", "kernel-release", "kernel-version",
	    "machine", NULL };

	if (!json_object_is_type(ret, json_type_object))
		return -1;
	json_object_object_add(out, "os", strings(ret, keys));
	return 0;
}

static int
take_host(struct json_object *ret, struct json_object *out)
{
	const char *h = jstr(ret, "host-name");

	if (!json_object_is_type(ret, json_type_object) || h == NULL)
		return -1;
	json_object_object_add(out, "hostname",
	    json_object_new_string_len(h, (int)strnlen(h, 256)));
	return 0;
}

static int
take_users(struct json_object *ret, struct json_object *out)
{
	struct json_object *a = json_object_new_array();

	if (!json_object_is_type(ret, json_type_array)) {
		json_object_put(a);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(ret) && i < 256; i++) {
		struct json_object *u = json_object_array_get_idx(ret, i), *o, *t;
		const char *name = jstr(u, "user");

		if (name == NULL)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "user",
		    json_object_new_string_len(name, (int)strnlen(name, 256)));
		if (json_object_object_get_ex(u, "login-time", &t) &&
		    (json_object_is_type(t, json_type_double) ||
		    json_object_is_type(t, json_type_int)))
			json_object_object_add(o, "login-time",
			    json_object_new_double(json_object_get_double(t)));
		json_object_array_add(a, o);
	}
	json_object_object_add(out, "users", a);
	return 0;
}

static int
take_fs(struct json_object *ret, struct json_object *out)
{
	static const char *const keys[] = { "name", "mountpoint", "type",
	    NULL };
	static const char *const sizes[] = { "used-bytes", "total-bytes",
	    NULL };
	struct json_object *a = json_object_new_array();

	if (!json_object_is_type(ret, json_type_array)) {
		json_object_put(a);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(ret) && i < 1024; i++) {
		struct json_object *f = json_object_array_get_idx(ret, i), *o, *v;

		if (jstr(f, "mountpoint") == NULL)
			continue;
		o = strings(f, keys);
		for (const char *const *k = sizes; *k != NULL; k++)
			if (json_object_object_get_ex(f, *k, &v) &&
			    json_object_is_type(v, json_type_int))
				json_object_object_add(o, *k,
				    json_object_new_int64(json_object_get_int64(v)));
		json_object_array_add(a, o);
	}
	json_object_object_add(out, "filesystems", a);
	return 0;
}

/* The line a failed call makes, as agent_fail's. */
static void
fail_line(char *buf, size_t len, const char *class, const char *desc)
{
	if (strcmp(class, AGENT_ERR_TIMEOUT) == 0 ||
	    strcmp(class, AGENT_ERR_PROTOCOL) == 0 ||
	    strcmp(class, AGENT_ERR_CLOSED) == 0)
		snprintf(buf, len, "guest agent: %s", desc);
	else
		snprintf(buf, len, "%s: %s", class, desc);
}

/*
 * All answered: the parts there are, with "errors" when some failed.
 * None answered: one error; the agent's reason when every call failed
 * for the same (a silent or broken agent), else each part's in turn.
 */
static void
info_end(struct info *in)
{
	if (in->answered > 0) {
		if (json_object_array_length(in->errors) > 0)
			json_object_object_add(in->out, "errors",
			    json_object_get(in->errors));
		req_return(in->r, json_object_get(in->out));
	} else if (in->same)
		agent_fail(in->r, in->class, in->desc);
	else {
		char all[2048] = "";
		size_t n = 0;
		for (size_t i = 0; i < json_object_array_length(in->errors);
		    i++) {
			struct json_object *e = json_object_array_get_idx(
			    in->errors, i);
			n += (size_t)snprintf(all + n, n < sizeof(all) ?
			    sizeof(all) - n : 0, "%s%s: %s", i ? "; " : "",
			    jstr(e, "command"), jstr(e, "error"));
			if (n >= sizeof(all))
				break;
		}
		req_error(in->r, ERR_GENERIC, "agent-info: no part answered: %s",
		    all);
	}
	json_object_put(in->out);
	json_object_put(in->errors);
	free(in);
}

static void
info_failed(struct info *in, size_t step, const char *class,
    const char *desc)
{
	struct json_object *e = json_object_new_object();
	char line[768];

	fail_line(line, sizeof(line), class, desc);
	json_object_object_add(e, "part",
	    json_object_new_string(infosteps[step].part));
	json_object_object_add(e, "command",
	    json_object_new_string(infosteps[step].cmd));
	json_object_object_add(e, "class", json_object_new_string(class));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(e, "error", json_object_new_string(line));
	json_object_array_add(in->errors, e);
	if (json_object_array_length(in->errors) == 1) {
		strlcpy(in->class, class, sizeof(in->class));
		strlcpy(in->desc, desc, sizeof(in->desc));
		in->same = 1;
	} else if (strcmp(in->class, class) != 0 ||
	    strcmp(in->desc, desc) != 0)
		in->same = 0;
}

static void
info_reply(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	struct infocall *call = arg;
	struct info *in = call->in;

	if (ret == NULL)
		info_failed(in, call->step, class != NULL ? class :
		    AGENT_ERR_PROTOCOL, desc != NULL ? desc : "no reply");
	else if (infosteps[call->step].take(ret, in->out) == -1)
		info_failed(in, call->step, AGENT_ERR_PROTOCOL, "the reply is "
		    "not what the protocol says");
	else
		in->answered++;
	if (--in->waiting == 0)
		info_end(in);
}

static void
d_agent_info(struct req *r, struct vm *vm)
{
	struct info *in = xcalloc(1, sizeof(*in));
	int timeout_ms = req_timeout(r);
	char err[512];

	in->r = r;
	in->out = json_object_new_object();
	in->errors = json_object_new_array();
	/* one more until all are queued: no answer ends it before */
	in->waiting = 1;
	for (size_t i = 0; i < NINFO; i++) {
		in->calls[i].in = in;
		in->calls[i].step = i;
		in->waiting++;
		if (agent_call(r->d, vm, infosteps[i].cmd, NULL, timeout_ms, 0,
		    info_reply, &in->calls[i], err, sizeof(err)) == -1) {
			in->waiting--;
			if (i == 0) {
				/* no agent to ask: the whole request fails */
				req_error(r, ERR_GENERIC, "%s", err);
				json_object_put(in->out);
				json_object_put(in->errors);
				free(in);
				return;
			}
			info_failed(in, i, AGENT_ERR_PROTOCOL, err);
		}
	}
	if (--in->waiting == 0)
		info_end(in);
}

/* ---- the rest: one call each */

static void
reply_ok(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	struct req *r = arg;

	(void)ret;
	if (class != NULL)
		agent_fail(r, class, desc);
	else
		req_return(r, NULL);
}

/* {"name", "user", "password", "crypted": bool} */
static void
d_set_user_password(struct req *r, struct vm *vm)
{
	const char *user = req_str(r, "user"), *pass = req_str(r, "password");
	struct json_object *a;
	char err[512], *b64;

	if (user == NULL || *user == '\0' || pass == NULL) {
		req_error(r, ERR_GENERIC, "a user and a password are needed");
		return;
	}
	b64 = base64_encode(pass, strlen(pass));
	a = json_object_new_object();
	json_object_object_add(a, "username", json_object_new_string(user));
	json_object_object_add(a, "password", json_object_new_string(b64));
	json_object_object_add(a, "crypted",
	    json_object_new_boolean(req_bool(r, "crypted")));
	free(b64);
	if (agent_call(r->d, vm, "guest-set-user-password", a, req_timeout(r),
	    0, reply_ok, r, err, sizeof(err)) == -1)
		req_error(r, ERR_GENERIC, "%s", err);
}

/* {"filesystems": N}: how many the agent froze or thawed */
static void
reply_count(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	struct req *r = arg;
	struct json_object *o;

	if (class != NULL) {
		agent_fail(r, class, desc);
		return;
	}
	if (ret == NULL || !json_object_is_type(ret, json_type_int)) {
		req_error(r, ERR_GENERIC, "guest agent: the reply is not a count "
		    "of file systems");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "filesystems",
	    json_object_new_int64(json_object_get_int64(ret)));
	req_return(r, o);
}

static void
freeze_thaw(struct req *r, struct vm *vm, const char *cmd)
{
	char err[512];

	if (agent_call(r->d, vm, cmd, NULL, req_timeout(r), 0, reply_count, r,
	    err, sizeof(err)) == -1)
		req_error(r, ERR_GENERIC, "%s", err);
}

static void
d_fsfreeze(struct req *r, struct vm *vm)
{
	freeze_thaw(r, vm, "guest-fsfreeze-freeze");
}

static void
d_fsthaw(struct req *r, struct vm *vm)
{
	freeze_thaw(r, vm, "guest-fsfreeze-thaw");
}

/* ---- ifaddr --source agent */

static void
ifaddr_reply(void *arg, struct json_object *ret, const char *class,
    const char *desc)
{
	struct req *r = arg;
	struct json_object *arr;

	if (class != NULL) {
		agent_fail(r, class, desc);
		return;
	}
	if (ret == NULL || !json_object_is_type(ret, json_type_array)) {
		req_error(r, ERR_GENERIC, "guest agent: "
		    "guest-network-get-interfaces: the reply is not a list");
		return;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ret) && i < 256; i++) {
		struct json_object *n = json_object_array_get_idx(ret, i);
		struct json_object *ips = jget(n, "ip-addresses"), *o, *addrs;
		const char *name = jstr(n, "name"), *mac;

		if (name == NULL)
			continue;
		mac = jstr_or(n, "hardware-address", "-");
		o = json_object_new_object();
		addrs = json_object_new_array();
		json_object_object_add(o, "interface", json_object_new_string_len(
		    name, (int)strnlen(name, 64)));
		json_object_object_add(o, "mac", json_object_new_string_len(mac,
		    (int)strnlen(mac, 64)));
		for (size_t k = 0; ips != NULL &&
		    json_object_is_type(ips, json_type_array) &&
		    k < json_object_array_length(ips) && k < 256; k++) {
			struct json_object *ip = json_object_array_get_idx(ips, k),
			    *a;
			const char *addr = jstr(ip, "ip-address"),
			    *type = jstr_or(ip, "ip-address-type", "");
			long long prefix = jint(ip, "prefix", -1);

			if (addr == NULL || prefix < 0 || prefix > 128)
				continue;
			a = json_object_new_object();
			json_object_object_add(a, "address",
			    json_object_new_string_len(addr,
			    (int)strnlen(addr, 64)));
			json_object_object_add(a, "family", json_object_new_string(
			    strcmp(type, "ipv6") == 0 ? "ipv6" : "ipv4"));
			json_object_object_add(a, "prefix",
			    json_object_new_int((int)prefix));
			json_object_object_add(a, "source",
			    json_object_new_string("agent"));
			json_object_array_add(addrs, a);
		}
		json_object_object_add(o, "addresses", addrs);
		json_object_array_add(arr, o);
	}
	req_return(r, arr);
}

void
agent_ifaddr(struct req *r, struct vm *vm)
{
	char err[512];

	if (agent_call(r->d, vm, "guest-network-get-interfaces", NULL,
	    req_timeout(r), 0, ifaddr_reply, r, err, sizeof(err)) == -1)
		req_error(r, ERR_GENERIC, "%s", err);
}

const struct dcmd dcmds_agent[] = {
	{ "agent",		d_agent,		NEEDS_VM | NEEDS_ACTIVE },
	{ "agent-info",		d_agent_info,		NEEDS_VM | NEEDS_ACTIVE },
	{ "set-user-password",	d_set_user_password,	NEEDS_VM | NEEDS_ACTIVE },
	{ "fsfreeze",		d_fsfreeze,		NEEDS_VM | NEEDS_ACTIVE },
	{ "fsthaw",		d_fsthaw,		NEEDS_VM | NEEDS_ACTIVE },
	{ NULL,			NULL,			0 },
};
