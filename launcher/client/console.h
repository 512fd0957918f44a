/* The serial console relay of qlaunch console. */
#ifndef LAUNCHER_CONSOLE_H
#define LAUNCHER_CONSOLE_H

#include "client.h"

/*
 * Relay the console on c, whose "console" request the supervisor has
 * just accepted: bytes that came with its reply are the guest's first
 * output.  On a terminal: raw mode, Ctrl-] leaves.  Otherwise until stdin
 * has ended and the guest has been quiet for quiet_ms.  timeout_s > 0
 * detaches after that many seconds.  name is for the messages.  Returns 0.
 */
int	 console_relay(struct client_conn *c, const char *name, int timeout_s,
	    int quiet_ms);

#endif
