/*
 * qlaunch, the client: what its command files share.  Each cmd-*.c
 * exports one table of struct cmd, ended by an entry without a name;
 * qlaunch.c lists the tables.  A command gets the client's state as its
 * first argument; nothing here is global.
 */
#ifndef LAUNCHER_CLI_H
#define LAUNCHER_CLI_H

#include <stddef.h>

#include "client.h"
#include "util.h"

struct json_object;
struct cmd;

struct cli {
	struct client_conn	 conn;
	int			 connected;
	char			 sock[1024];	/* a path, or an ssh:// URI */
	int			 autostart;
	const struct cmd	*cmd;	/* the command being run */
};

struct cmd {
	const char	*name;
	const char	*alias;		/* virsh's name, if it differs */
	int		(*fn)(struct cli *, int, char **);
	const char	*usage;
};

/* "qlaunch: MESSAGE" on stderr, exit 1. */
void	 cli_die(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));
/* The usage line of the command, exit 2. */
void	 cli_usage_exit(struct cli *) __attribute__((noreturn));
/* "qlaunch COMMAND: MESSAGE" and exit 2: options that do not go together. */
void	 cli_usage_error(struct cli *, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

void	 cli_connect(struct cli *);
/*
 * Call the supervisor; on error print "qlaunch: DESC" (or "CLASS: DESC"
 * for errors QEMU raised) and exit 1.  args is consumed.
 */
struct json_object *cli_call(struct cli *, const char *cmd,
	    struct json_object *args);
/* The same, returning -1 instead of exiting (error printed). */
int	 cli_try(struct cli *, const char *cmd, struct json_object *args,
	    struct json_object **ret);
/* The same, with the events tied to the request (progress) given to fn. */
struct json_object *cli_call_ev(struct cli *, const char *cmd,
	    struct json_object *args, void (*fn)(struct json_object *, void *),
	    void *arg);
/*
 * The progress of a long request (save, restore, clone): a bar on the
 * terminal (stderr), or with json each JOB_PROGRESS event as a JSON line
 * on stdout; nothing otherwise.  Its events go to cli_progress_event.
 */
struct cli_progress {
	int	json;
	int	bar;
	int	drawn;
};
void	 cli_progress_init(struct cli_progress *, int json);
void	 cli_progress_event(struct json_object *ev, void *progress);
/* The bar's line ends (before anything else is printed). */
void	 cli_progress_end(struct cli_progress *);
/*
 * cli_call, with the request's progress drawn as a bar on a terminal, or
 * each event as a JSON line with json.
 */
struct json_object *cli_call_progress(struct cli *, const char *cmd,
	    struct json_object *args, int json);
/* An absolute path from the current directory, as the supervisor needs. */
char	*cli_abs_path(const char *);

/* {"name": name} */
struct json_object *cli_name_args(const char *name);
void	 cli_print_json(struct json_object *);

/*
 * Options of one command ("--json", "--all", "--wait[=N]", ...), before
 * or after the operands.  The operands are moved to argv[1..] and *argcp
 * becomes 1 + their number; the return value is 1, the first operand.
 * An unknown option ends the program with the usage line.
 */
struct opt {
	const char	*name;
	int		 has_arg;	/* 0 none, 1 required, 2 optional (=) */
	const char	**val;		/* argument */
	int		*flag;
};
int	 cli_opts(struct cli *, int *argcp, char **argv, const struct opt *,
	    size_t nopts);
/*
 * A command of one operand, NAME, and no options: send {"name"} as cmd
 * and print "VM NAME DONE" (when done is not NULL).
 */
int	 cli_simple(struct cli *, int argc, char **argv, const char *cmd,
	    const char *done);
/*
 * virsh's operands may also be named (--domain D --source S): v holds the
 * named ones; those not named are taken from the words from first on, in
 * order.  The first need of them must be there, the others may stay NULL;
 * else, or with words left over, the usage line.
 */
void	 cli_named_operands(struct cli *, int argc, char **argv, int first,
	    const char **v, size_t n, size_t need);
/* Exactly n operands from first on, else the usage line. */
void	 cli_operands(struct cli *, int argc, int first, int n);
/* A number in [min, max], else "qlaunch: WHAT 'S': why" and exit 1. */
long long cli_num(const char *what, const char *s, long long min,
	    long long max);
/* 59s, 3m07s, 5h02m, 3d04h; "-" for s < 0. */
void	 cli_duration(long long s, char *buf, size_t len);

/*
 * virsh's --live, --config and --current (--current alone, or --live
 * and/or --config).  cli_scope_check exits 2 when --current comes with
 * another.
 */
struct scope {
	int	 live;
	int	 config;
	int	 current;
};
#define SCOPE_OPTS(s) \
	{ "live", 0, NULL, &(s).live }, \
	{ "config", 0, NULL, &(s).config }, \
	{ "current", 0, NULL, &(s).current }
void	 cli_scope_check(struct cli *, const struct scope *);
/* The same, with virsh's --persistent (not with --current). */
void	 cli_scope_persistent(struct cli *, const struct scope *,
	    int persistent);
/*
 * "live" and "config" into the request a: --persistent is --config, and
 * --live as well when the VM runs; neither (--current, no flag): the
 * supervisor goes by the VM's state.
 */
void	 cli_scope_args(struct cli *, struct json_object *a, const char *name,
	    struct scope *, int persistent);
/* A flag's value must be one of words (NULL-ended); else exit 2. */
void	 cli_one_of(struct cli *, const char *flag, const char *val,
	    const char *const *words);

/*
 * A VM given as virsh gives a domain: by id (a number), by UUID or by
 * name, in that order, as allowed by the LOOKUP_* bits.  Looked up in
 * the supervisor's list of every VM; returns that list's entry (a new
 * reference), or prints "qlaunch: no VM with id 7" (or uuid, or named)
 * and exits 1.
 */
#define LOOKUP_ID	0x1
#define LOOKUP_UUID	0x2
#define LOOKUP_NAME	0x4
struct json_object *cli_lookup(struct cli *, const char *arg, int by);

/* cmd-console.c: ask for the console of name and relay it. */
int	 cli_attach_console(struct cli *, const char *name, int timeout_s,
	    int quiet_ms);

/* A size as virsh prints it (domjobinfo, --human): "1.029 GiB". */
void	 cli_size_str(unsigned long long, char *buf, size_t len);

#endif
