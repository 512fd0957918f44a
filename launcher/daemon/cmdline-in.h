/*
 * qlaunch cmdline NAME --incoming URI: the tutorials' raw way.  The argv
 * a destination supervisor would run for this VM (the same builder,
 * vm-argv.h), the machine type pinned to the one its QEMU runs when it
 * runs (as migrate-prepare pins it), with -incoming URI and without -S,
 * so that a QEMU started by hand runs the guest once its state is in.
 */
#ifndef LAUNCHER_CMDLINE_IN_H
#define LAUNCHER_CMDLINE_IN_H

struct argv;
struct json_object;
struct req;
struct vm;

/* {"argv": [...]} of a; a freed. */
struct json_object *cmdline_reply(struct argv *a);

/* Answers r: {"argv": [...], "machine": the type pinned, or absent}. */
void	 cmdline_incoming(struct req *, struct vm *, const char *uri);

#endif
