/*
 * The install: key (vmdef.h): "cdrom", or the installer's kernel as
 * "kernel=PATH,initrd=PATH,append=TEXT,location=SOURCE"; the checks
 * against the rest of the definition; and the end of the install.  The
 * definition the install phase runs is cmdline.c's.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "corekeys.h"
#include "dev.h"
#include "defutil.h"
#include "props.h"
#include "util.h"
#include "vmdef.h"

void
corekey_install_clear(struct vmdef *d)
{
	free(d->install.kernel);
	free(d->install.initrd);
	free(d->install.append);
	free(d->install.location);
	memset(&d->install, 0, sizeof(d->install));
}

void
corekey_install_free(struct vmdef *d)
{
	corekey_install_clear(d);
}

void
corekey_install_dup(struct vmdef *d, const struct vmdef *s)
{
	d->install.kind = s->install.kind;
	d->install.kernel = xstrdup_null(s->install.kernel);
	d->install.initrd = xstrdup_null(s->install.initrd);
	d->install.append = xstrdup_null(s->install.append);
	d->install.location = xstrdup_null(s->install.location);
}

/* The properties of install: kernel=, its pieces. */
static const struct {
	const char	*prop;
	int		 path;
	size_t		 off;
} kernel_props[] = {
	{ "kernel", 1, offsetof(struct vmdef, install.kernel) },
	{ "initrd", 1, offsetof(struct vmdef, install.initrd) },
	{ "append", 0, offsetof(struct vmdef, install.append) },
	{ "location", 1, offsetof(struct vmdef, install.location) },
};
#define NPROPS	(sizeof(kernel_props) / sizeof(kernel_props[0]))

static char **
field(struct vmdef *d, size_t i)
{
	return (char **)(void *)((char *)d + kernel_props[i].off);
}

static char *const *
cfield(const struct vmdef *d, size_t i)
{
	return (char *const *)(const void *)((const char *)d +
	    kernel_props[i].off);
}

int
corekey_install(struct vmdef *d, const char *v, char *err, size_t errlen)
{
	struct props p;
	const char *s, *val[NPROPS];
	const struct prop *u;
	int r = -1;

	if (props_parse(v, &p, err, errlen) == -1)
		return -1;
	if ((s = props_pos(&p, 0)) != NULL) {
		if (strcmp(s, "cdrom") != 0 || p.n != 1) {
			def_err(err, errlen, "'%s' is not cdrom or kernel=PATH"
			    "[,initrd=PATH][,append=TEXT]", v);
			goto out;
		}
		corekey_install_clear(d);
		d->install.kind = INSTALL_CDROM;
		r = 0;
		goto out;
	}
	for (size_t i = 0; i < NPROPS; i++) {
		val[i] = props_get(&p, kernel_props[i].prop);
		if (val[i] != NULL && kernel_props[i].path && val[i][0] != '/') {
			def_err(err, errlen, "%s '%s' is not an absolute path",
			    kernel_props[i].prop, val[i]);
			goto out;
		}
	}
	if ((u = props_unused(&p)) != NULL) {
		def_err(err, errlen, "unknown property '%s' (kernel, initrd, "
		    "append, location)", u->key != NULL ? u->key : u->val);
		goto out;
	}
	if (val[0] == NULL) {
		def_err(err, errlen, "'%s' is not cdrom or kernel=PATH"
		    "[,initrd=PATH][,append=TEXT]", v);
		goto out;
	}
	corekey_install_clear(d);
	d->install.kind = INSTALL_KERNEL;
	for (size_t i = 0; i < NPROPS; i++)
		*field(d, i) = xstrdup_null(val[i]);
	r = 0;
out:
	props_free(&p);
	return r;
}

char *
corekey_install_value(const struct vmdef *d)
{
	char *s = NULL, *n, *e;

	if (d->install.kind == INSTALL_CDROM)
		return xstrdup("cdrom");
	for (size_t i = 0; i < NPROPS; i++) {
		const char *v = *cfield(d, i);
		if (v == NULL)
			continue;
		e = props_escape(v);
		n = xasprintf("%s%s%s=%s", s != NULL ? s : "", s != NULL ?
		    "," : "", kernel_props[i].prop, e);
		free(e);
		free(s);
		s = n;
	}
	return s != NULL ? s : xstrdup("");
}

/* The first CD-ROM with a medium: the one an install boots. */
int
vmdef_install_cdrom(const struct vmdef *d, size_t *ip)
{
	struct devfacts f;

	dev_walk(d, &f, NULL, NULL);
	if (f.cdrom == 0)
		return -1;
	*ip = f.cdrom - 1;
	return 0;
}

int
corekey_install_check(const struct vmdef *d, char *err, size_t errlen)
{
	size_t i;

	if (d->install.kind == INSTALL_NONE)
		return 0;
	if (d->kernel != NULL)
		return def_err(err, errlen, "install: the VM boots the kernel "
		    "%s; an install boots its CD-ROM or the installer's kernel",
		    d->kernel);
	if (d->install.kind == INSTALL_CDROM && vmdef_install_cdrom(d, &i) == -1)
		return def_err(err, errlen, "install: cdrom needs a disk with "
		    "device=cdrom and a path");
	return 0;
}

void
vmdef_install_end(struct vmdef *d)
{
	corekey_install_clear(d);
	vmdef_text_set_nth(d, "install", 0, NULL);
}
