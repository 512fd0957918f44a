/*
 * The console relay: after the supervisor answers the console request,
 * the connection carries the guest's serial console both ways.  On a terminal
 * it is interactive (raw mode, Ctrl-] leaves); otherwise stdin goes to
 * the guest and the guest's output to stdout, unbuffered, until stdin has
 * ended and the guest has been quiet for a while (or --timeout).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "util.h"

#define ESCAPE_CHAR	0x1d	/* Ctrl-] */

static struct termios saved_tio;
static int tio_saved;

static void
restore_tty(void)
{
	if (tio_saved)
		tcsetattr(0, TCSAFLUSH, &saved_tio);
	tio_saved = 0;
}

int
console_relay(struct client_conn *c, const char *name, int timeout_s,
    int quiet_ms)
{
	int tty = isatty(0);
	char buf[16384];
	int sock = c->fd;

	/* bytes that came with the reply belong to the console */
	if (c->nrest > 0) {
		write_all(1, c->rest, c->nrest);
		free(c->rest);
		c->rest = NULL;
		c->nrest = 0;
	}
	if (tty) {
		struct termios raw;
		if (tcgetattr(0, &saved_tio) == 0) {
			tio_saved = 1;
			atexit(restore_tty);
			raw = saved_tio;
			cfmakeraw(&raw);
			tcsetattr(0, TCSAFLUSH, &raw);
		}
		fprintf(stderr, "Connected to %s (escape character is ^])\r\n",
		    name);
	}
	int64_t start = mono_ms(), last_out = mono_ms();
	int in_open = 1;
	for (;;) {
		struct pollfd p[2] = { { sock, POLLIN, 0 }, { 0, POLLIN, 0 } };
		int np = in_open ? 2 : 1;
		int wait = 200;
		if (poll(p, (nfds_t)np, wait) < 0 && errno != EINTR)
			break;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(sock, buf, sizeof(buf));
			if (n <= 0) {
				if (tty)
					fprintf(stderr, "\r\nconsole closed: "
					    "the VM stopped\r\n");
				break;
			}
			write_all(1, buf, (size_t)n);
			last_out = mono_ms();
		}
		if (in_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				in_open = 0;	/* now wait for quiet */
				last_out = mono_ms();
			} else if (tty && memchr(buf, ESCAPE_CHAR, (size_t)n)) {
				size_t k = (size_t)((char *)memchr(buf,
				    ESCAPE_CHAR, (size_t)n) - buf);
				write_all(sock, buf, k);
				break;
			} else if (write_all(sock, buf, (size_t)n) == -1)
				break;
		}
		int64_t now = mono_ms();
		if (timeout_s > 0 && now - start >= (int64_t)timeout_s * 1000)
			break;
		if (!in_open && !tty && now - last_out >= quiet_ms)
			break;
	}
	restore_tty();
	if (tty)
		fprintf(stderr, "\n");
	return 0;
}
