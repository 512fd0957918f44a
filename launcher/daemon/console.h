/*
 * The serial console relay: one client at a time per VM, bytes both ways
 * between the client's connection and QEMU's console socket, until either
 * side closes or the VM's QEMU goes.
 */
#ifndef LAUNCHER_CONSOLE_H
#define LAUNCHER_CONSOLE_H

#include <stddef.h>

struct daemon;
struct vm;
struct bufferevent;
struct console;

/* Register the relay's event sink (once per daemon). */
void		 console_init(struct daemon *);
void		 console_fini(struct daemon *);
/* Is the VM's console in use? */
int		 console_busy(const struct vm *);
/*
 * A connection to QEMU's console socket, checked to be its QEMU's
 * (SO_PEERCRED); -1 with one line in err.
 */
int		 console_qemu_fd(const struct vm *, char *err, size_t errlen);
/*
 * Reserve the VM's console for a relay on qemu_fd (taken over); the
 * client side arrives with console_attach once the reply is out.
 */
struct console	*console_open(struct vm *, int qemu_fd);
/*
 * The same with a descriptor for the client's end (console-open's
 * socketpair), taken over; -1 when it cannot (it is closed then, and
 * the relay given up).
 */
int		 console_attach_fd(struct console *, int fd);
/* Give up a relay no client was attached to. */
void		 console_cancel(struct console *);
/* The client's stream; the relay owns it from now on. */
void		 console_attach(void *console, struct bufferevent *client);
#endif
