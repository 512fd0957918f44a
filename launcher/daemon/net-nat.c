/*
 * NAT for a network: nftables masquerade through libnftables, in
 * qlaunch's own table ("table ip qlaunch", one chain per network, so
 * stopping a network removes its rules and nobody else's); iptables when
 * nft does not work; else NAT is off, and said so.  Also IPv4 forwarding.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "log.h"
#include "netdef.h"
#include "net-priv.h"
#include "util.h"

#define NFT_TABLE	"qlaunch"

static const char *const nat_names[] = {
	[NAT_NONE] = "none",
	[NAT_NFT] = "nftables",
	[NAT_IPTABLES] = "iptables",
	[NAT_OFF] = "off",
};

const char *
nat_kind_name(enum nat_kind k)
{
	return nat_names[k];
}

enum nat_kind
nat_kind_parse(const char *s)
{
	for (size_t i = 0; s != NULL && i < sizeof(nat_names) /
	    sizeof(nat_names[0]); i++)
		if (strcmp(s, nat_names[i]) == 0)
			return (enum nat_kind)i;
	return NAT_NONE;
}

/* Run nft commands in one transaction; -1 with nft's first error line. */
static int
nft_run(const char *cmds, char *err, size_t errlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create an nftables context");
		return -1;
	}
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int r = nft_run_cmd_from_buffer(ctx, cmds);
	if (r != 0) {
		const char *e = nft_ctx_get_error_buffer(ctx);
		if (e == NULL || *e == '\0')
			e = "nft failed";
		snprintf(err, errlen, "%.*s", (int)strcspn(e, "\n"), e);
	}
	nft_ctx_free(ctx);
	return r == 0 ? 0 : -1;
}

static int
nft_add(const struct netdef *d, char *err, size_t errlen)
{
	char net[64];

	netdef_subnet(d, net, sizeof(net));
	/* the chain is emptied first: a leftover never doubles a rule */
	char *c = xasprintf(
	    "add table ip " NFT_TABLE "\n"
	    "add chain ip " NFT_TABLE " net-%s { type nat hook postrouting "
	    "priority srcnat; policy accept; }\n"
	    "flush chain ip " NFT_TABLE " net-%s\n"
	    "add rule ip " NFT_TABLE " net-%s ip saddr %s ip daddr "
	    "224.0.0.0/24 return\n"
	    "add rule ip " NFT_TABLE " net-%s ip saddr %s ip daddr "
	    "255.255.255.255 return\n"
	    "add rule ip " NFT_TABLE " net-%s ip saddr %s ip daddr != %s "
	    "masquerade\n",
	    d->name, d->name, d->name, net, d->name, net, d->name, net, net);
	int r = nft_run(c, err, errlen);
	free(c);
	return r;
}

static void
nft_del(const struct netdef *d, int last)
{
	char err[256];
	char *c = xasprintf("flush chain ip " NFT_TABLE " net-%s\n"
	    "delete chain ip " NFT_TABLE " net-%s\n", d->name, d->name);

	if (nft_run(c, err, sizeof(err)) == -1)
		log_warnx("network %s: removing its nft chain: %s", d->name,
		    err);
	free(c);
	if (last && nft_run("delete table ip " NFT_TABLE "\n", err,
	    sizeof(err)) == -1)
		log_debug("removing table ip " NFT_TABLE ": %s", err);
}

/* ---- iptables ---- */

static const char *
iptables_path(void)
{
	static const char *const paths[] = { "/usr/sbin/iptables",
	    "/sbin/iptables" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* iptables -t nat -A|-D POSTROUTING ...; -1 with its message. */
static int
iptables_rule(const struct netdef *d, const char *op, char *err,
    size_t errlen)
{
	const char *ipt = iptables_path();
	char net[64], comment[96];
	int p[2], status;

	if (ipt == NULL) {
		snprintf(err, errlen, "no iptables");
		return -1;
	}
	netdef_subnet(d, net, sizeof(net));
	snprintf(comment, sizeof(comment), "qlaunch:%s", d->name);
	const char *argv[] = { "iptables", "-w", "-t", "nat", op,
	    "POSTROUTING", "-s", net, "!", "-d", net, "-m", "comment",
	    "--comment", comment, "-j", "MASQUERADE", NULL };
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(ipt, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	char out[512];
	ssize_t n = 0, r;
	while (pid > 0 && (size_t)n < sizeof(out) - 1 &&
	    (r = read(p[0], out + n, sizeof(out) - 1 - (size_t)n)) > 0)
		n += r;
	out[n] = '\0';
	close(p[0]);
	if (pid == -1 || waitpid(pid, &status, 0) == -1 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "iptables: %.*s", (int)strcspn(out, "\n"),
		    n > 0 ? out : "failed");
		return -1;
	}
	return 0;
}

/* ---- the network's NAT ---- */

static int
ip_forward_on(char *err, size_t errlen)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, "1\n", 2) != 2) {
		snprintf(err, errlen, "cannot turn on IPv4 forwarding: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void
nat_add(const struct netdef *d, enum nat_kind *kind, char *warn,
    size_t warnlen)
{
	char e1[256], e2[256];

	warn[0] = '\0';
	*kind = NAT_NONE;
	if (d->forward == NET_FWD_NONE)
		return;
	if (ip_forward_on(e1, sizeof(e1)) == -1) {
		snprintf(warn, warnlen, "%s", e1);
		if (d->forward == NET_FWD_NAT)
			snprintf(warn, warnlen, "NAT is off: %s", e1);
		*kind = d->forward == NET_FWD_NAT ? NAT_OFF : NAT_NONE;
		return;
	}
	if (d->forward != NET_FWD_NAT)
		return;
	if (nft_add(d, e1, sizeof(e1)) == 0) {
		*kind = NAT_NFT;
		return;
	}
	if (iptables_rule(d, "-A", e2, sizeof(e2)) == 0) {
		log_warnx("network %s: nftables: %s; NAT through iptables",
		    d->name, e1);
		*kind = NAT_IPTABLES;
		return;
	}
	*kind = NAT_OFF;
	snprintf(warn, warnlen, "NAT is off: nftables: %s; %s", e1, e2);
}

void
nat_del(const struct netdef *d, enum nat_kind kind, int last)
{
	char err[256];

	if (kind == NAT_NFT)
		nft_del(d, last);
	else if (kind == NAT_IPTABLES &&
	    iptables_rule(d, "-D", err, sizeof(err)) == -1)
		log_warnx("network %s: removing its iptables rule: %s",
		    d->name, err);
}
