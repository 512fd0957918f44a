/*
 * ssh://[user@]host[:port][/?keyfile=PATH&socket=REMOTE_SOCKET&
 * command=REMOTE_QLAUNCH]: a qlaunchd reached over the user's own ssh, as
 * virsh's qemu+ssh:// URIs reach a remote libvirtd.  The URI is parsed
 * here, and turned into ssh's argv: ssh runs "qlaunch proxy" on the
 * host, which relays its stdin and stdout to that host's supervisor.
 */
#ifndef LAUNCHER_SSHURI_H
#define LAUNCHER_SSHURI_H

#include <stddef.h>

struct sshuri {
	char	user[64];
	char	host[256];	/* without an IPv6 address's brackets */
	int	port;		/* 0: ssh's own */
	char	keyfile[1024];
	char	socket[108];	/* the remote control socket; "": its default */
	char	command[1024];	/* the remote qlaunch; default "qlaunch" */
};

/* 1 when s is an ssh:// URI (well formed or not). */
int	 sshuri_is(const char *s);
/* Parse; -1 with err ("ssh://...: why"). */
int	 sshuri_parse(const char *s, struct sshuri *, char *err, size_t errlen);
/* "[user@]host[:port]", for messages. */
void	 sshuri_label(const struct sshuri *, char *buf, size_t len);

#define SSHURI_ARGV_MAX	24
/*
 * ssh's argv (NULL-ended, pointing into u and into buf for the remote
 * command line): prog -T -o BatchMode=yes ... host 'CMD' [-c 'SOCK']
 * proxy, each remote word quoted for the remote shell.  -1 when buf is
 * too small.
 */
int	 sshuri_argv(const struct sshuri *, const char *prog,
	    const char *argv[SSHURI_ARGV_MAX], char *buf, size_t buflen);

#endif
