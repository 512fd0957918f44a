/*
 * virt-install's --os-variant (--osinfo): a small built-in table of
 * well-known OS names, each giving the device models virt-install would
 * pick for it.  No osinfo database and no inspection of install media.
 */
#ifndef LAUNCHER_OSVARIANT_H
#define LAUNCHER_OSVARIANT_H

#include <stddef.h>

/* Device defaults of an OS; NULL members leave the definition's own. */
struct osdefaults {
	const char	*kind;		/* "linux", "old windows", ... */
	const char	*disk_bus;	/* bus= of a disk that names none */
	const char	*disk_bus_q35;	/* the same on a q35 machine */
	const char	*net_model;	/* model= of a NIC that names none */
	const char	*video;		/* video: when there is a display */
};

/*
 * The defaults for the value of --os-variant: NAME, name=NAME,
 * short-id=NAME, id=URL (osinfo's, as http://ubuntu.com/ubuntu/22.04),
 * none, or detect=on[,require=on|off|auto][,name=NAME].  *out is never
 * NULL on success: an unknown name, or detection without a name to
 * fall back on, gives the generic defaults (none at all) and a warning
 * in warn (empty otherwise).  -1 with err for a malformed value, or
 * detect=on,require=on without a name (nothing here inspects media).
 */
int	 osvariant_parse(const char *value, const struct osdefaults **out,
	    char *warn, size_t warnlen, char *err, size_t errlen);

/* The defaults of one name, or NULL when the table lacks it. */
const struct osdefaults *osvariant_find(const char *name);

#endif
