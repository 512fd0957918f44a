/*
 * qlaunch proxy: stdin and stdout relayed to the supervisor's control
 * socket, for a qlaunch on another host that reaches this one over ssh
 * (an ssh:// URI: "ssh host qlaunch proxy").  The supervisor sees this
 * process, so the ssh user's rights apply.  It never starts a
 * supervisor: a destination that is not running is an error.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define PROXY_BUF	65536

/* One read from in written to out; 0 at the end of in, -1 on error. */
static int
relay(int in, int out)
{
	char buf[PROXY_BUF];
	ssize_t n = read(in, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	return write_all(out, buf, (size_t)n) == -1 ? -1 : 1;
}

static int
c_proxy(struct cli *cli, int argc, char **argv)
{
	int first = cli_opts(cli, &argc, argv, NULL, 0);

	cli_operands(cli, argc, first, 0);
	cli->autostart = 0;
	cli_connect(cli);
	int sock = cli->conn.fd, in_open = 1;

	for (;;) {
		struct pollfd p[2] = {
			{ in_open ? 0 : -1, POLLIN, 0 },
			{ sock, POLLIN, 0 },
		};
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			cli_die("proxy: poll: %s", strerror(errno));
		}
		if (p[0].revents != 0) {
			int r = relay(0, sock);
			if (r == -1)
				cli_die("proxy: %s", strerror(errno));
			if (r == 0) {
				/* the client is done: the supervisor answers on */
				shutdown(sock, SHUT_WR);
				in_open = 0;
			}
		}
		if (p[1].revents != 0) {
			int r = relay(sock, 1);
			if (r == -1)
				cli_die("proxy: %s", strerror(errno));
			if (r == 0)
				return 0;
		}
	}
}

const struct cmd cmds_proxy[] = {
	{ "proxy", NULL, c_proxy, "(stdin and stdout to the supervisor, "
	    "for ssh:// URIs)" },
	{ NULL, NULL, NULL, NULL }
};
