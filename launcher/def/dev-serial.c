/*
 * console: serial | none.  The guest's ttyS0 on a socket in the VM's
 * runtime directory, logged to console.log, for qlaunch console.
 */
#include <stdlib.h>
#include <string.h>

#include "defutil.h"
#include "dev.h"
#include "props.h"
#include "util.h"

struct serial {
	int	on;
};

static const struct serial serial_default = { 1 };

static void *
serial_parse(const char *v, char *err, size_t errlen)
{
	struct serial *s;
	int on;

	if (strcmp(v, "serial") == 0)
		on = 1;
	else if (strcmp(v, "none") == 0)
		on = 0;
	else {
		def_err(err, errlen, "'%s' is not serial or none", v);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->on = on;
	return s;
}

static char *
serial_print(const void *conf)
{
	const struct serial *s = conf;

	return xstrdup(s->on ? "serial" : "none");
}

static void
serial_free(void *conf)
{
	free(conf);
}

static void *
serial_dup(const void *conf)
{
	return xmemdup(conf, sizeof(struct serial));
}

static const void *
serial_dflt(const struct vmdef *d, const struct devfacts *f)
{
	(void)d;
	(void)f;
	return &serial_default;
}

static void
serial_facts(const void *conf, struct devfacts *f)
{
	const struct serial *s = conf;

	f->serial = s->on;
}

static void
serial_options(const struct vmdef *d, const void *conf,
    const struct vmpaths *p, struct argv *a)
{
	const struct serial *s = conf;

	(void)d;
	if (!s->on)
		return;
	char *ec = props_escape(p->console), *el = props_escape(p->log);
	argv_add(a, "-chardev");
	argv_addf(a, "socket,id=serial0,path=%s,server=on,wait=off,"
	    "logfile=%s,logappend=on", ec, el);
	free(ec);
	free(el);
	argv_add(a, "-serial");
	argv_add(a, "chardev:serial0");
}

const struct devkind devkind_serial = {
	.key = "console",
	.parse = serial_parse,
	.print = serial_print,
	.free = serial_free,
	.dup = serial_dup,
	.dflt = serial_dflt,
	.facts = serial_facts,
	.options = serial_options,
};
