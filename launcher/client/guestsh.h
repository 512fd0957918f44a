/*
 * One shell command in the guest, typed on its serial console (relayed by
 * qlaunchd, one client at a time), and what it printed.  Needs a guest
 * with a shell on its console (the test guest has one).
 */
#ifndef LAUNCHER_GUESTSH_H
#define LAUNCHER_GUESTSH_H

#include <stddef.h>

/*
 * Run cmd (one line, no newline) in the guest name through the supervisor
 * at sock; its output (from after the line typed to before the end mark)
 * in out.  Returns 0, or -1 with err: the console refused (busy, VM not
 * running) or no answer within timeout_ms.
 */
int	 guest_sh(const char *sock, const char *name, const char *cmd,
	    int timeout_ms, char *out, size_t outlen, char *err, size_t errlen);

/*
 * The value of key in the line of out that begins with tag ("QLWL-RUN"):
 * words "key=value" after it.  NULL when absent; buf holds the value.
 */
const char *guest_sh_field(const char *out, const char *tag, const char *key,
	    char *buf, size_t len);

#endif
