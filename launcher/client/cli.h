/* qlaunch, the client: shared pieces of its command files. */
#ifndef LAUNCHER_CLI_H
#define LAUNCHER_CLI_H

#include "client.h"

struct json_object;

struct cli {
	struct client_conn	 conn;
	int			 connected;
	char			 sock[108];
	int			 autostart;
	int			 json;
	const char		*cmd;	/* canonical command name */
};

extern struct cli *C;

void	 cli_connect(void);
/*
 * Call the supervisor; on error print "qlaunch: DESC" (or "CLASS: DESC"
 * for errors QEMU raised) and exit 1.  args is consumed.
 */
struct json_object *cli_call(const char *cmd, struct json_object *args);
/* The same, returning -1 instead of exiting (error printed). */
int	 cli_try(const char *cmd, struct json_object *args,
	    struct json_object **ret);
struct json_object *cli_name_args(const char *name);
void	 cli_print_json(struct json_object *);
void	 cli_usage_exit(void) __attribute__((noreturn));
void	 cli_die(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));

/* console.c */
int	 cli_console(const char *name, int timeout_s, int quiet_ms);

#endif
