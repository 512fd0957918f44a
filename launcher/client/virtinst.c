/*
 * create's flags, which are virt-install's.  One table: each flag (its
 * long name, its short letter, whether it takes a value) has a handler
 * that makes it a definition setting, an argument of the create request
 * or a flag of the client; a few are accepted and ignored, each with its
 * reason, and a few refused with what to do instead.  A --KEY that is not
 * in the table but is a definition key (qlaunch.conf(5)) sets that key,
 * dashes read as underscores.
 *
 * Some settings wait for the end: --os-variant's defaults go to the
 * --disk and --network lines that name no bus or model, and to the video
 * device when there is a display; --nographics asks for the serial
 * console unless --console says otherwise.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jget.h"
#include "osvariant.h"
#include "props.h"
#include "util.h"
#include "virtinst.h"
#include "vmdef.h"
#include "xalloc.h"

#define WAIT_MAX_MIN	(366LL * 24 * 60)

enum { ARG_NONE, ARG_REQ, ARG_OPT };

struct vi;
struct viflag;
typedef int	(*vi_fn)(struct vi *, const struct viflag *, const char *);

struct viflag {
	const char	*name;		/* --name */
	char		 letter;	/* -n; '\0' for none */
	int		 arg;		/* ARG_NONE, ARG_REQ, ARG_OPT */
	vi_fn		 fn;
	const char	*key;		/* the definition key it sets */
	size_t		 off;		/* a flag: its int in struct virtinst */
	/* ARG_OPT: is the next word this flag's value? */
	int		(*takes)(const char *);
	const char	*why;		/* ignored: why; refused: what instead */
};

/* A parse in progress. */
struct vi {
	struct virtinst	*out;
	char		*err;
	size_t		 errlen;
	char		 flag[64];	/* the flag at hand, as typed */
	struct json_object *origin;	/* key: the flag that set it */
	struct json_object *soft;	/* key: value, when no flag sets it */
	struct json_object *disks;	/* --disk values, for the OS defaults */
	struct json_object *nets;	/* --network values */
	const struct osdefaults *os;
	char		 method[64];	/* the install method's flag */
	const char	*cdrom;
	int		 location;
	int		 extra_args;
	int		 autotext;	/* --autoconsole text */
	char		 os_flag[64];	/* --os-variant or --osinfo, once */
};

static int __attribute__((format(printf, 3, 4)))
vi_err(struct vi *v, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, v->errlen, fmt, ap);
	va_end(ap);
	return status;
}

static void __attribute__((format(printf, 2, 3)))
vi_warn(struct vi *v, const char *fmt, ...)
{
	struct virtinst *o = v->out;
	va_list ap;

	o->warnings = xreallocarray(o->warnings, o->nwarnings + 1,
	    sizeof(*o->warnings));
	va_start(ap, fmt);
	o->warnings[o->nwarnings++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Set a definition key; a key that does not repeat is set once. */
static int
set_key(struct vi *v, const char *key, const char *val, int repeat)
{
	struct json_object *set = v->out->settings, *old;

	if (json_object_object_get_ex(set, key, &old)) {
		const char *by = jstr(v->origin, key);
		if (repeat) {
			json_object_array_add(old, json_object_new_string(val));
			return 0;
		}
		if (by != NULL && strcmp(by, v->flag) == 0)
			return vi_err(v, VI_USAGE, "%s is given twice", v->flag);
		return vi_err(v, VI_USAGE, "%s: %s is set already by %s",
		    v->flag, key, by != NULL ? by : "another flag");
	}
	if (repeat) {
		struct json_object *a = json_object_new_array();
		json_object_array_add(a, json_object_new_string(val));
		json_object_object_add(set, key, a);
	} else
		json_object_object_add(set, key, json_object_new_string(val));
	json_object_object_add(v->origin, key, json_object_new_string(v->flag));
	return 0;
}

static int
has_key(struct vi *v, const char *key)
{
	return jget(v->out->settings, key) != NULL;
}

/* Add one item to a property string being built. */
static void
join(char **s, const char *key, const char *val)
{
	char *e = props_escape(val), *n;

	n = xasprintf("%s%s%s%s%s", *s != NULL ? *s : "",
	    *s != NULL ? "," : "", key != NULL ? key : "",
	    key != NULL ? "=" : "", e);
	free(e);
	free(*s);
	*s = n;
}

/*
 * virt-install also takes the first item as a property (--memory
 * memory=2048,maxmemory=4096): that one first and bare, as the
 * definition writes it.  A value that does not parse goes as it is, for
 * the definition to say what is wrong with it.  malloc'd.
 */
static char *
bare_first(const char *val, const char *const *names)
{
	struct props p;
	char err[256], *s = NULL;
	size_t which = SIZE_MAX;

	if (props_parse(val, &p, err, sizeof(err)) == -1)
		return xstrdup(val);
	for (size_t i = 0; i < p.n; i++) {
		if (p.v[i].key == NULL) {
			props_free(&p);
			return xstrdup(val);
		}
		for (size_t k = 0; names[k] != NULL; k++)
			if (strcmp(p.v[i].key, names[k]) == 0)
				which = i;
	}
	if (which == SIZE_MAX) {
		props_free(&p);
		return xstrdup(val);
	}
	join(&s, NULL, p.v[which].val);
	for (size_t i = 0; i < p.n; i++)
		if (i != which)
			join(&s, p.v[i].key, p.v[i].val);
	props_free(&p);
	return s;
}

/* ---- handlers ---- */

static int
fn_key(struct vi *v, const struct viflag *f, const char *val)
{
	return set_key(v, f->key, val, 0);
}

static int
fn_key_repeat(struct vi *v, const struct viflag *f, const char *val)
{
	return set_key(v, f->key, val, 1);
}

static int
fn_flag(struct vi *v, const struct viflag *f, const char *val)
{
	(void)val;
	*(int *)(void *)((char *)v->out + f->off) = 1;
	return 0;
}

static int
fn_ignore(struct vi *v, const struct viflag *f, const char *val)
{
	(void)v;
	(void)f;
	(void)val;
	return 0;
}

static int
fn_refuse(struct vi *v, const struct viflag *f, const char *val)
{
	(void)val;
	return vi_err(v, VI_ERROR, "%s: %s", v->flag, f->why);
}

static int
fn_name(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	if (v->out->name != NULL)
		return vi_err(v, VI_USAGE, "the name is given twice");
	if (!valid_name(val))
		return vi_err(v, VI_ERROR, "%s: '%s' is not a valid name "
		    "([A-Za-z0-9][A-Za-z0-9._-]{0,63})", v->flag, val);
	v->out->name = xstrdup(val);
	return 0;
}

static int
fn_bare_first(struct vi *v, const struct viflag *f, const char *val,
    const char *const *names)
{
	char *s = bare_first(val, names);
	int r = set_key(v, f->key, s, 0);

	free(s);
	return r;
}

static int
fn_memory(struct vi *v, const struct viflag *f, const char *val)
{
	static const char *const names[] = { "memory", NULL };

	return fn_bare_first(v, f, val, names);
}

static int
fn_vcpus(struct vi *v, const struct viflag *f, const char *val)
{
	static const char *const names[] = { "vcpus", NULL };

	return fn_bare_first(v, f, val, names);
}

static int
fn_graphics(struct vi *v, const struct viflag *f, const char *val)
{
	static const char *const names[] = { "type", NULL };

	return fn_bare_first(v, f, val, names);
}

/* --cpu: virt-install's host-model is the host's CPU too. */
static int
fn_cpu(struct vi *v, const struct viflag *f, const char *val)
{
	static const char *const names[] = { "mode", "model", NULL };
	static const char *const host[] = { "host-model-only", "host-model" };
	char *s = bare_first(val, names), *t;

	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		size_t n = strlen(host[i]);
		if (strncmp(s, host[i], n) == 0 && (s[n] == '\0' ||
		    s[n] == ',')) {
			t = xasprintf("host%s", s + n);
			free(s);
			s = t;
			break;
		}
	}
	int r = set_key(v, f->key, s, 0);
	free(s);
	return r;
}

static int
fn_virt_type(struct vi *v, const struct viflag *f, const char *val)
{
	/* virt-install's qemu is QEMU without KVM: TCG */
	if (strcmp(val, "kvm") == 0)
		return set_key(v, f->key, "kvm", 0);
	if (strcmp(val, "qemu") == 0)
		return set_key(v, f->key, "tcg", 0);
	return vi_err(v, VI_ERROR, "%s '%s': qlaunch runs kvm or qemu (TCG)",
	    v->flag, val);
}

static int
fn_connect(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	if (strcmp(val, "qemu:///system") == 0 ||
	    strcmp(val, "qemu:///session") == 0)
		return 0;
	return vi_err(v, VI_ERROR, "%s '%s': qlaunch talks to its own "
	    "qlaunchd only (qemu:///system or qemu:///session)", v->flag, val);
}

static int
fn_arch(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	if (strcmp(val, "x86_64") == 0)
		return 0;
	return vi_err(v, VI_ERROR, "%s '%s': qlaunch runs x86_64 guests only",
	    v->flag, val);
}

static int
fn_metadata(struct vi *v, const struct viflag *f, const char *val)
{
	struct props p;
	const char *s;
	const struct prop *u;
	char err[256];
	int r = 0;

	(void)f;
	if (props_parse(val, &p, err, sizeof(err)) == -1)
		return vi_err(v, VI_ERROR, "%s '%s': %s", v->flag, val, err);
	if ((s = props_get(&p, "name")) != NULL)
		r = fn_name(v, f, s);
	if (r == 0 && (s = props_get(&p, "uuid")) != NULL)
		r = set_key(v, "uuid", s, 0);
	if (r == 0 && (s = props_get(&p, "description")) != NULL)
		r = set_key(v, "description", s, 0);
	if (r == 0 && props_get(&p, "title") != NULL)
		vi_warn(v, "%s title= is not kept: a definition has no title",
		    v->flag);
	if (r == 0 && (u = props_unused(&p)) != NULL)
		r = vi_err(v, VI_ERROR, "%s: unknown property '%s' (name, "
		    "uuid, description, title)", v->flag,
		    u->key != NULL ? u->key : u->val);
	props_free(&p);
	return r;
}

static int
fn_disk(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	/* virt-install's --disk none: no disk */
	if (strcmp(val, "none") != 0)
		json_object_array_add(v->disks, json_object_new_string(val));
	return 0;
}

static int
fn_network(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	json_object_array_add(v->nets, json_object_new_string(val));
	return 0;
}

/* The install method: one of --cdrom, --location and --import. */
static int
install_method(struct vi *v)
{
	if (v->method[0] != '\0') {
		if (strcmp(v->method, v->flag) == 0)
			return vi_err(v, VI_USAGE, "%s is given twice", v->flag);
		return vi_err(v, VI_USAGE, "%s and %s: give one install method",
		    v->method, v->flag);
	}
	strlcpy(v->method, v->flag, sizeof(v->method));
	v->out->install = 1;
	return 0;
}

static int
fn_cdrom(struct vi *v, const struct viflag *f, const char *val)
{
	int r;

	(void)f;
	if ((r = install_method(v)) != 0)
		return r;
	v->cdrom = val;
	json_object_object_add(v->out->args, "install",
	    json_object_new_string("cdrom"));
	return 0;
}

static int
fn_import(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	(void)val;
	return install_method(v);
}

static int
fn_location(struct vi *v, const struct viflag *f, const char *val)
{
	int r;

	(void)f;
	if ((r = install_method(v)) != 0)
		return r;
	v->location = 1;
	/* the supervisor reads it: a relative path is the client's */
	char *abs = val[0] != '/' && strstr(val, "://") == NULL ?
	    absolute_path(val) : xstrdup(val);
	json_object_object_add(v->out->args, "location",
	    json_object_new_string(abs));
	free(abs);
	return 0;
}

static int
fn_extra_args(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	if (v->extra_args)
		return vi_err(v, VI_USAGE, "%s is given twice", v->flag);
	v->extra_args = 1;
	json_object_object_add(v->out->args, "extra_args",
	    json_object_new_string(val));
	return 0;
}

static int
fn_nographics(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	(void)val;
	json_object_object_add(v->soft, "console",
	    json_object_new_string("serial"));
	return set_key(v, "graphics", "none", 0);
}

/* The next word is --console's value: serial, none, pty[,...]. */
static int
console_value(const char *s)
{
	return strcmp(s, "serial") == 0 || strcmp(s, "none") == 0 ||
	    strncmp(s, "pty", 3) == 0;
}

/*
 * --console alone attaches to the console; with a value it is the
 * console key, virt-install's pty[,target_type=serial] being serial.
 */
static int
fn_console(struct vi *v, const struct viflag *f, const char *val)
{
	struct props p;
	const char *t, *tt;
	const struct prop *u;
	char err[256];
	int r;

	if (val == NULL) {
		v->out->f_console = 1;
		return 0;
	}
	if (strncmp(val, "pty", 3) != 0 || (val[3] != '\0' && val[3] != ','))
		return set_key(v, f->key, val, 0);
	if (props_parse(val, &p, err, sizeof(err)) == -1)
		return vi_err(v, VI_ERROR, "%s '%s': %s", v->flag, val, err);
	props_pos(&p, 0);
	t = props_get(&p, "target_type");
	tt = props_get(&p, "target.type");
	if (t == NULL)
		t = tt;
	if ((u = props_unused(&p)) != NULL)
		r = vi_err(v, VI_ERROR, "%s '%s': unknown property '%s' "
		    "(target_type)", v->flag, val,
		    u->key != NULL ? u->key : u->val);
	else if (t != NULL && strcmp(t, "serial") != 0)
		r = vi_err(v, VI_ERROR, "%s '%s': the console is a serial "
		    "port (target_type=serial)", v->flag, val);
	else
		r = set_key(v, f->key, "serial", 0);
	props_free(&p);
	return r;
}

/*
 * --boot: hd, cdrom, network, fd and menu= are the boot key; kernel=,
 * initrd= and kernel_args= (cmdline=) are the keys kernel, initrd and
 * append.
 */
static int
fn_boot(struct vi *v, const struct viflag *f, const char *val)
{
	static const struct { const char *prop, *key; } split[] = {
		{ "kernel", "kernel" },
		{ "initrd", "initrd" },
		{ "kernel_args", "append" },
		{ "cmdline", "append" },
	};
	struct props p;
	char err[256], *rest = NULL;
	int r = 0;

	if (props_parse(val, &p, err, sizeof(err)) == -1)
		return vi_err(v, VI_ERROR, "%s '%s': %s", v->flag, val, err);
	for (size_t i = 0; i < p.n && r == 0; i++) {
		size_t k;
		for (k = 0; k < sizeof(split) / sizeof(split[0]); k++)
			if (p.v[i].key != NULL &&
			    strcmp(p.v[i].key, split[k].prop) == 0)
				break;
		if (k < sizeof(split) / sizeof(split[0]))
			r = set_key(v, split[k].key, p.v[i].val, 0);
		else
			join(&rest, p.v[i].key, p.v[i].val);
	}
	if (r == 0 && rest != NULL)
		r = set_key(v, f->key, rest, 0);
	free(rest);
	props_free(&p);
	return r;
}

/* --events on_poweroff=X,on_reboot=X,on_crash=X */
static int
fn_events(struct vi *v, const struct viflag *f, const char *val)
{
	static const char *const keys[] = {
		"on_poweroff", "on_reboot", "on_crash"
	};
	struct props p;
	const struct prop *u;
	const char *s;
	char err[256];
	int r = 0;

	(void)f;
	if (props_parse(val, &p, err, sizeof(err)) == -1)
		return vi_err(v, VI_ERROR, "%s '%s': %s", v->flag, val, err);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && r == 0; i++)
		if ((s = props_get(&p, keys[i])) != NULL)
			r = set_key(v, keys[i], s, 0);
	if (r == 0 && (u = props_unused(&p)) != NULL)
		r = vi_err(v, VI_ERROR, "%s: unknown property '%s' "
		    "(on_poweroff, on_reboot, on_crash)", v->flag,
		    u->key != NULL ? u->key : u->val);
	props_free(&p);
	return r;
}

static int
fn_memballoon(struct vi *v, const struct viflag *f, const char *val)
{
	const char *m = strncmp(val, "model=", 6) == 0 ? val + 6 : val;

	if (strcmp(m, "virtio") == 0)
		return set_key(v, f->key, "on", 0);
	if (strcmp(m, "none") == 0)
		return set_key(v, f->key, "off", 0);
	return vi_err(v, VI_ERROR, "%s '%s': the balloon is virtio or none",
	    v->flag, val);
}

/*
 * --qemu-commandline "-device foo,bar=1": QEMU arguments split at blanks
 * as a shell would (quotes group), each a qemu-arg.
 */
static int
fn_qemu_commandline(struct vi *v, const struct viflag *f, const char *val)
{
	char *word = xcalloc(1, strlen(val) + 1);
	const char *s = val;
	int r = 0, n = 0;

	if (strncmp(val, "env=", 4) == 0) {
		free(word);
		return vi_err(v, VI_ERROR, "%s '%s': QEMU's environment is "
		    "not set from a definition", v->flag, val);
	}
	while (r == 0) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (*s == '\0')
			break;
		char *w = word, q = 0;
		for (; *s != '\0'; s++) {
			if (q != 0 && *s == q)
				q = 0;
			else if (q == 0 && (*s == '\'' || *s == '"'))
				q = *s;
			else if (q == 0 && (*s == ' ' || *s == '\t' ||
			    *s == '\n'))
				break;
			else
				*w++ = *s;
		}
		*w = '\0';
		if (q != 0)
			r = vi_err(v, VI_ERROR, "%s '%s': a quote is not closed",
			    v->flag, val);
		else {
			r = set_key(v, f->key, word, 1);
			n++;
		}
	}
	free(word);
	if (r == 0 && n == 0)
		r = vi_err(v, VI_ERROR, "%s: no argument given", v->flag);
	return r;
}

static int
fn_os_variant(struct vi *v, const struct viflag *f, const char *val)
{
	char warn[256], err[256];

	(void)f;
	if (v->os_flag[0] != '\0' && strcmp(v->os_flag, v->flag) == 0)
		return vi_err(v, VI_USAGE, "%s is given twice", v->flag);
	if (v->os_flag[0] != '\0')
		return vi_err(v, VI_USAGE, "%s: the OS is given already by %s",
		    v->flag, v->os_flag);
	strlcpy(v->os_flag, v->flag, sizeof(v->os_flag));
	if (osvariant_parse(val, &v->os, warn, sizeof(warn), err,
	    sizeof(err)) == -1)
		return vi_err(v, VI_ERROR, "%s %s", v->flag, err);
	if (warn[0] != '\0')
		vi_warn(v, "%s", warn);
	return 0;
}

static int
is_bool(const char *s)
{
	int b;

	return parse_bool(s, &b) == 0;
}

static int
fn_autostart(struct vi *v, const struct viflag *f, const char *val)
{
	return set_key(v, f->key, val != NULL ? val : "yes", 0);
}

static int
fn_autoconsole(struct vi *v, const struct viflag *f, const char *val)
{
	(void)f;
	if (strcmp(val, "none") == 0)
		v->out->f_noauto = 1;
	else if (strcmp(val, "text") == 0)
		v->autotext = 1;
	else if (strcmp(val, "graphical") != 0 && strcmp(val, "default") != 0)
		return vi_err(v, VI_ERROR, "%s '%s': not text, graphical or "
		    "none", v->flag, val);
	return 0;
}

/* A whole number, maybe negative. */
static int
is_int(const char *s)
{
	if (*s == '-')
		s++;
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

static int
is_digits(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* --wait [MINUTES]: alone or negative, for ever; 0, not at all. */
static int
fn_wait(struct vi *v, const struct viflag *f, const char *val)
{
	const char *e;
	long long m = -1;

	(void)f;
	if (val != NULL) {
		if (!is_int(val))
			return vi_err(v, VI_ERROR, "%s '%s': not a number of "
			    "minutes", v->flag, val);
		if (val[0] != '-') {
			m = strtonum(val, 0, WAIT_MAX_MIN, &e);
			if (e != NULL)
				return vi_err(v, VI_ERROR, "%s '%s': %s (at most "
				    "%lld minutes)", v->flag, val, e,
				    WAIT_MAX_MIN);
		}
	}
	v->out->wait = 1;
	v->out->wait_min = m;
	return 0;
}

/*
 * --channel: the guest agent's port (virt-install's
 * "unix,target.type=virtio,name=org.qemu.guest_agent.0") is guest-agent:
 * on; anything else is the channel key's (heartbeat).
 */
static int
fn_channel(struct vi *v, const struct viflag *f, const char *val)
{
	if (strstr(val, "name=org.qemu.guest_agent.0") != NULL)
		return set_key(v, "guest-agent", "on", 0);
	return fn_key(v, f, val);
}

/* A definition key given as --KEY (qlaunch.conf(5)'s, dashes or not). */
static int
fn_defkey(struct vi *v, const struct viflag *f, const char *val)
{
	return set_key(v, f->key, val, vmdef_key_repeats(f->key));
}

#define OFF(field)	offsetof(struct virtinst, field)
#define VALUE(n, l, fn, key) \
	{ n, l, ARG_REQ, fn, key, 0, NULL, NULL }
#define OPTIONAL(n, fn, key, takes) \
	{ n, 0, ARG_OPT, fn, key, 0, takes, NULL }
#define FLAG(n, field) \
	{ n, 0, ARG_NONE, fn_flag, NULL, OFF(field), NULL, NULL }
#define IGNORED(n, l, arg, why) \
	{ n, l, arg, fn_ignore, NULL, 0, NULL, why }
#define REFUSED(n, arg, why) \
	{ n, 0, arg, fn_refuse, NULL, 0, NULL, why }

static const struct viflag flags[] = {
	VALUE("name",		'n', fn_name,		NULL),
	VALUE("memory",		0,   fn_memory,		"memory"),
	VALUE("ram",		'r', fn_memory,		"memory"),
	VALUE("vcpus",		0,   fn_vcpus,		"vcpus"),
	VALUE("cpu",		0,   fn_cpu,		"cpu"),
	VALUE("machine",	0,   fn_key,		"machine"),
	VALUE("arch",		0,   fn_arch,		NULL),
	VALUE("virt-type",	0,   fn_virt_type,	"accel"),
	VALUE("connect",	0,   fn_connect,	NULL),
	VALUE("uuid",		'u', fn_key,		"uuid"),
	VALUE("description",	0,   fn_key,		"description"),
	VALUE("metadata",	0,   fn_metadata,	NULL),
	VALUE("disk",		0,   fn_disk,		"disk"),
	VALUE("cdrom",		'c', fn_cdrom,		NULL),
	{ "import", 0, ARG_NONE, fn_import, NULL, 0, NULL, NULL },
	VALUE("location",	'l', fn_location,	NULL),
	VALUE("extra-args",	'x', fn_extra_args,	NULL),
	VALUE("network",	'w', fn_network,	"network"),
	VALUE("graphics",	0,   fn_graphics,	"graphics"),
	{ "nographics", 0, ARG_NONE, fn_nographics, NULL, 0, NULL, NULL },
	VALUE("video",		0,   fn_key,		"video"),
	VALUE("input",		0,   fn_key_repeat,	"input"),
	OPTIONAL("console",	fn_console,	"console", console_value),
	VALUE("boot",		0,   fn_boot,		"boot"),
	VALUE("events",		0,   fn_events,		NULL),
	VALUE("memballoon",	0,   fn_memballoon,	"balloon"),
	VALUE("channel",	0,   fn_channel,	"channel"),
	VALUE("guest-agent",	0,   fn_key,		"guest-agent"),
	VALUE("qemu-commandline", 0, fn_qemu_commandline, "qemu-arg"),
	VALUE("qemu-arg",	0,   fn_key_repeat,	"qemu-arg"),
	VALUE("os-variant",	0,   fn_os_variant,	NULL),
	VALUE("osinfo",		0,   fn_os_variant,	NULL),
	OPTIONAL("autostart",	fn_autostart,	"autostart", is_bool),
	FLAG("start",		f_start),
	FLAG("paused",		f_paused),
	FLAG("noautoconsole",	f_noauto),
	VALUE("autoconsole",	0,   fn_autoconsole,	NULL),
	OPTIONAL("wait",	fn_wait,	NULL,	is_int),
	{ "print-xml", 0, ARG_OPT, fn_flag, NULL, OFF(print), is_digits,
	    NULL },
	FLAG("dry-run",		dry_run),
	IGNORED("force",	0,   ARG_NONE, "qlaunch asks no questions"),
	IGNORED("os-type",	0,   ARG_REQ, "virt-install ignores it too; "
	    "--os-variant gives the defaults"),
	IGNORED("hvm",		'v', ARG_NONE, "every VM is fully virtualized"),
	IGNORED("accelerate",	0,   ARG_NONE, "the accelerator is accel's"),
	IGNORED("check",	0,   ARG_REQ, "nothing is checked ahead"),
	IGNORED("quiet",	'q', ARG_NONE, "qlaunch prints little"),
	IGNORED("debug",	'd', ARG_NONE, "qlaunchd's log has the detail"),
	REFUSED("pxe",		ARG_NONE, "network installs are not supported; "
	    "use --cdrom, --location or --import"),
	REFUSED("transient",	ARG_NONE, "every VM has a definition; "
	    "undefine it when done"),
};

static const struct viflag *
find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strlen(flags[i].name) == len &&
		    strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

static const struct viflag *
find_short(char c)
{
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (flags[i].letter != '\0' && flags[i].letter == c)
			return &flags[i];
	return NULL;
}

/* ---- the end: defaults that depend on everything given ---- */

/* The first item of a key's value, or "" when the key is not set. */
static void
first_item(struct vi *v, const char *key, char *buf, size_t len)
{
	const char *s = jstr(v->out->settings, key);

	buf[0] = '\0';
	if (s != NULL)
		snprintf(buf, len, "%.*s", (int)strcspn(s, ","), s);
}

/*
 * val with ",key=dflt" added unless one of keys is there already, or a
 * property skip= names one of skipvals (a CD-ROM takes no disk bus).
 */
static char *
with_default(const char *val, const char *const *keys, const char *dflt,
    const char *skip, const char *const *skipvals)
{
	struct props p;
	char err[256];
	const char *s;
	int add = dflt != NULL;

	if (!add || props_parse(val, &p, err, sizeof(err)) == -1)
		return xstrdup(val);
	for (size_t k = 0; keys[k] != NULL; k++)
		if (props_get(&p, keys[k]) != NULL)
			add = 0;
	if (skip != NULL && (s = props_get(&p, skip)) != NULL)
		for (size_t k = 0; skipvals[k] != NULL; k++)
			if (strcmp(s, skipvals[k]) == 0)
				add = 0;
	props_free(&p);
	return add ? xasprintf("%s,%s=%s", val, keys[0], dflt) : xstrdup(val);
}

static int
finish(struct vi *v)
{
	static const char *const buskeys[] = { "bus", "target.bus", NULL };
	static const char *const modelkeys[] = { "model", "model.type", NULL };
	static const char *const nobus[] = { "cdrom", "floppy", NULL };
	static const char *const nonet[] = { NULL };
	struct virtinst *o = v->out;
	const struct osdefaults *os = v->os;
	char first[64];
	int r = 0;

	if (o->name == NULL)
		return vi_err(v, VI_USAGE, "no name given (--name NAME)");
	if (v->extra_args && !v->location)
		return vi_err(v, VI_USAGE, "--extra-args needs --location");
	first_item(v, "machine", first, sizeof(first));
	int q35 = strcmp(first, "q35") == 0 || strncmp(first, "pc-q35", 6) == 0;
	const char *bus = os == NULL ? NULL : q35 ? os->disk_bus_q35 :
	    os->disk_bus;

	strlcpy(v->flag, "--disk", sizeof(v->flag));
	for (size_t i = 0; i < json_object_array_length(v->disks) && r == 0;
	    i++) {
		char *d = with_default(json_object_get_string(
		    json_object_array_get_idx(v->disks, i)), buskeys, bus,
		    "device", nobus);
		r = set_key(v, "disk", d, 1);
		free(d);
	}
	if (r == 0 && v->cdrom != NULL) {
		char *a = absolute_path(v->cdrom), *e = props_escape(a), *d;
		free(a);
		d = xasprintf("path=%s,device=cdrom", e);
		r = set_key(v, "disk", d, 1);
		free(d);
		free(e);
	}
	strlcpy(v->flag, "--network", sizeof(v->flag));
	for (size_t i = 0; i < json_object_array_length(v->nets) && r == 0;
	    i++) {
		const char *n = json_object_get_string(
		    json_object_array_get_idx(v->nets, i));
		char *d = strcmp(n, "none") == 0 ? xstrdup(n) :
		    with_default(n, modelkeys, os != NULL ? os->net_model :
		    NULL, NULL, nonet);
		r = set_key(v, "network", d, 1);
		free(d);
	}
	if (r != 0)
		return r;

	first_item(v, "graphics", first, sizeof(first));
	int display = first[0] != '\0' && strcmp(first, "none") != 0;
	if (os != NULL && os->video != NULL && display && !has_key(v, "video"))
		json_object_object_add(v->soft, "video",
		    json_object_new_string(os->video));
	json_object_object_foreach(v->soft, key, val)
		if (!has_key(v, key))
			json_object_object_add(o->settings, key,
			    json_object_get(val));

	/* virt-install starts what it installs, and shows its console */
	first_item(v, "console", first, sizeof(first));
	int text = strcmp(first, "none") != 0;
	int nowait = o->wait && o->wait_min == 0;
	if (nowait)
		o->wait = 0;
	o->paused = o->f_paused;
	o->start = o->f_start || o->f_paused || o->f_console || o->install ||
	    o->wait;
	o->attach = o->f_console || (o->install && !o->f_noauto && !nowait &&
	    text && (!display || v->autotext));
	return 0;
}

int
virtinst_parse(int argc, char **argv, struct virtinst *o, char *err,
    size_t errlen)
{
	struct vi v;
	int r = 0, dashdash = 0;

	memset(o, 0, sizeof(*o));
	memset(&v, 0, sizeof(v));
	o->settings = json_object_new_object();
	o->args = json_object_new_object();
	v.out = o;
	v.err = err;
	v.errlen = errlen;
	v.origin = json_object_new_object();
	v.soft = json_object_new_object();
	v.disks = json_object_new_array();
	v.nets = json_object_new_array();
	for (int i = 1; i < argc && r == 0; i++) {
		const char *a = argv[i], *inl = NULL, *val = NULL;
		const struct viflag *f;
		struct viflag def;
		char key[64];

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			if (o->name != NULL)
				r = vi_err(&v, VI_USAGE, "unexpected argument "
				    "'%s'", a);
			else {
				strlcpy(v.flag, "name", sizeof(v.flag));
				r = fn_name(&v, NULL, a);
			}
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a, '=');
			size_t len = eq != NULL ? (size_t)(eq - a - 2) :
			    strlen(a + 2);
			snprintf(v.flag, sizeof(v.flag), "--%.*s", (int)len,
			    a + 2);
			if (eq != NULL)
				inl = eq + 1;
			if ((f = find_long(a + 2, len)) == NULL &&
			    len < sizeof(v.flag) - 2) {
				/* a definition key: --on-crash is on_crash */
				snprintf(key, sizeof(key), "%.*s", (int)len,
				    a + 2);
				for (char *p = key; *p != '\0'; p++)
					if (*p == '-')
						*p = '_';
				if (vmdef_known_key(key)) {
					def = (struct viflag){ key, 0, ARG_REQ,
					    fn_defkey, key, 0, NULL, NULL };
					f = &def;
				}
			}
		} else {
			snprintf(v.flag, sizeof(v.flag), "-%c", a[1]);
			if (a[2] != '\0')
				inl = a + 2;
			f = find_short(a[1]);
		}
		if (f == NULL) {
			r = vi_err(&v, VI_USAGE, "unknown option %s", v.flag);
			continue;
		}
		switch (f->arg) {
		case ARG_NONE:
			if (inl != NULL)
				r = vi_err(&v, VI_USAGE, "%s takes no value",
				    v.flag);
			break;
		case ARG_REQ:
			if (inl != NULL)
				val = inl;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				r = vi_err(&v, VI_USAGE, "%s needs a value",
				    v.flag);
			break;
		default:
			if (inl != NULL)
				val = inl;
			else if (i + 1 < argc && f->takes(argv[i + 1]))
				val = argv[++i];
			break;
		}
		if (r == 0)
			r = f->fn(&v, f, val);
	}
	if (r == 0)
		r = finish(&v);
	json_object_put(v.origin);
	json_object_put(v.soft);
	json_object_put(v.disks);
	json_object_put(v.nets);
	if (r != 0)
		virtinst_free(o);
	return r;
}

void
virtinst_free(struct virtinst *o)
{
	free(o->name);
	json_object_put(o->settings);
	json_object_put(o->args);
	for (size_t i = 0; i < o->nwarnings; i++)
		free(o->warnings[i]);
	free(o->warnings);
	memset(o, 0, sizeof(*o));
}
