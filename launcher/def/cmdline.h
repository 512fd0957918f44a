/*
 * QEMU command-line generation: a definition plus the VM's runtime paths
 * give the exact argv that start executes (qlaunch cmdline prints it).
 */
#ifndef LAUNCHER_CMDLINE_H
#define LAUNCHER_CMDLINE_H

#include <limits.h>
#include <stddef.h>

#include "vmdef.h"

struct json_object;

/*
 * The files of a running VM.  Its runtime directory holds what only the
 * supervisor writes; the qemu/ directory below it what QEMU creates
 * (given to the VM's owner when QEMU runs as the owner).
 */
struct vmpaths {
	char	dir[108];
	char	qdir[108];	/* dir/qemu */
	char	qmp[108];	/* sun_path limits */
	char	console[108];
	char	heartbeat[108];	/* channel: heartbeat's socket, hb.sock:
				   shorter than console's */
	char	agent[108];	/* guest-agent: on, qga.sock */
	char	log[PATH_MAX];	/* everything the guest wrote on ttyS0 */
	char	pid[PATH_MAX];
	char	state[PATH_MAX];/* what the supervisor knows, for re-adoption */
	char	qemulog[PATH_MAX];/* QEMU's own stderr */
	/* a VNC display without listen=: this host's address ("": 127.0.0.1) */
	char	vnc_listen[64];
};

/* Fails with a clear reason when a socket path would be too long. */
int	 vmpaths_init(struct vmpaths *, const char *runroot, const char *name,
	    char *err, size_t errlen);

struct argv {
	char	**v;
	size_t	  n;
};

void	 argv_add(struct argv *, const char *);
void	 argv_addf(struct argv *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 argv_free(struct argv *);

/*
 * accel is the resolved accelerator (kvm or tcg, never auto); qemu is the
 * binary to use when the definition names no emulator.
 */
int	 cmdline_build(const struct vmdef *, const struct vmpaths *,
	    enum accel accel, const char *qemu, struct argv *,
	    char *err, size_t errlen);
/*
 * The same with options for how QEMU starts: CMDLINE_INCOMING adds
 * "-incoming defer", a QEMU that waits for its state (restore's
 * migrate-incoming) instead of booting.
 */
#define CMDLINE_INCOMING	0x01
int	 cmdline_build_flags(const struct vmdef *, const struct vmpaths *,
	    enum accel accel, const char *qemu, int flags, struct argv *,
	    char *err, size_t errlen);
/*
 * The same with the URI of -incoming given (CMDLINE_INCOMING), for a
 * QEMU started by hand (qlaunch cmdline --incoming); CMDLINE_NOSTOP
 * leaves out -S, so that QEMU runs the guest once its state is in, as a
 * QEMU started by hand in the tutorials does.
 */
#define CMDLINE_NOSTOP		0x02
int	 cmdline_build_uri(const struct vmdef *, const struct vmpaths *,
	    enum accel accel, const char *qemu, int flags, const char *uri,
	    struct argv *, char *err, size_t errlen);

/*
 * What the install phase runs (vmdef.h's install: key): a definition of
 * its own, which cmdline_build takes by itself; NULL with err.
 */
struct vmdef	*vmdef_install_phase(const struct vmdef *, char *err,
		    size_t errlen);

#endif
