/*
 * benchlib: what the qlaunch benchmarks share.  A private temporary
 * directory, a private qlaunchd in it, raw QEMUs started by hand, timed
 * runs of programs, a blocking line client for QMP and the control
 * protocol, latency series, process memory, and the optional libvirt
 * peer.  Everything a benchmark starts is stopped at exit, on errx() and
 * on SIGINT/SIGTERM/SIGHUP alike: the VMs through qlaunchd, then by pid
 * (only processes whose command line names our temporary directory),
 * our own children by pid, libvirt domains we defined, and the directory.
 */
#ifndef TESTS_BENCH_BENCHLIB_H
#define TESTS_BENCH_BENCHLIB_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "client.h"

struct json_object;

/* ---- set-up and paths ---- */

extern char		 bl_tmp[];	/* the private temporary directory */
extern const char	*bl_qemu;	/* $QEMU or the configured one */
extern char		 bl_qlaunch[];	/* the built client and supervisor */
extern char		 bl_qlaunchd[];
extern char		 bl_sock[];	/* the private control socket */

/*
 * Temporary directory, binaries, signal handlers, exit hook.  The
 * binaries: $QLAUNCH_BUILDDIR/launcher/, else the build tree this
 * program sits in (BUILDDIR/tests/bench/).  QLAUNCH_BENCH_KEEP=1 keeps
 * the temporary directory (logs) for a look after a failure.
 */
void		 bl_init(const char *prog);
/* QLAUNCH_BENCH_QUICK set (and not 0): as if -q was given. */
int		 bl_quick_env(void);
/*
 * The options of a benchmark that times runs: -q (short, as
 * QLAUNCH_BENCH_QUICK), -n RUNS, -w WARMUP.  *runs and *warmup hold the
 * defaults; a short run takes at most quick_runs and one warm-up.  Bad
 * options end the program with the usage line.
 */
void		 bl_run_options(int argc, char **argv, const char *prog,
		    int *runs, int *warmup, int quick_runs);
/*
 * An option's number, lo to hi; else the program ends (status 2) with
 * "WHAT ARG: why", followed by " (LO to HI UNIT)" when unit is not NULL.
 */
long long	 bl_optnum(const char *what, const char *arg, long long lo,
		    long long hi, const char *unit);

/* ---- time and series ---- */

uint64_t	 bl_now_ns(void);
void		 bl_sleep_ms(int ms);

struct bl_series {
	const char	*name;
	uint64_t	*v;		/* ns, in the order added */
	uint64_t	*sv;		/* sorted copy, for quantiles */
	size_t		 n, cap;
	int		 sorted;
};

void		 bl_series_init(struct bl_series *, const char *name);
void		 bl_series_add(struct bl_series *, uint64_t ns);
/* q-quantile (0..1), nearest rank, in ms / us */
double		 bl_q_ms(struct bl_series *, double q);
double		 bl_q_us(struct bl_series *, double q);
double		 bl_mean_ms(const struct bl_series *);
void		 bl_series_free(struct bl_series *);
double		 bl_ratio(double a, double b);
/*
 * The median of the paired differences, run i of a minus run i of b, in
 * ms: the runs were interleaved, so this cancels slow drift on the host.
 */
double		 bl_paired_ms(const struct bl_series *a, const struct bl_series *b);
/* "  WHAT   1.05x   +1.50 ms   +1.20 ms": ratio, difference, paired. */
void		 bl_compare(const char *what, struct bl_series *a,
		    struct bl_series *b);
/* "  NAME   median   p90   min" in ms. */
void		 bl_row(struct bl_series *);

/* ---- processes ---- */

/*
 * Fork and exec argv.  stdout and stderr go to out (a file, truncated)
 * or /dev/null; stdin is /dev/null.  newsession: setsid() as qlaunchd
 * does for QEMU.  The child dies with us (PR_SET_PDEATHSIG) and is
 * remembered for the cleanup.
 */
pid_t		 bl_spawn(char *const argv[], const char *out, int newsession);
/* Wait for a child; -1 after timeout_ms (it is then killed). */
int		 bl_wait(pid_t, int timeout_ms);
/* Run argv to its end; the time it took, in ns.  Dies unless it exits 0. */
uint64_t	 bl_run_timed(char *const argv[]);
/* Same, output kept in a file; returns the exit status (not fatal). */
int		 bl_run_status(char *const argv[], const char *out,
		    int timeout_ms);
void		 bl_forget_child(pid_t);

/* Remember a process we did not fork (a QEMU qlaunchd started for us). */
void		 bl_track_foreign(pid_t);
void		 bl_untrack_foreign(pid_t);
int		 bl_alive(pid_t);

/* ---- the private qlaunchd ---- */

pid_t		 bl_daemon_start(void);
/* Arguments for the next bl_daemon_start's qlaunchd (at most 4; kept). */
void		 bl_daemon_args(char *const args[]);
void		 bl_daemon_stop(void);
pid_t		 bl_daemon_pid(void);
/* A connection to it; dies on failure. */
void		 bl_connect(struct client_conn *);
/* A request that must succeed; the return value is the caller's. */
struct json_object *bl_call(struct client_conn *, const char *cmd,
		    struct json_object *args);
/* A request that may fail: 0 or -1 with the error in err. */
int		 bl_try(struct client_conn *, const char *cmd,
		    struct json_object *args, struct json_object **ret,
		    char *err, size_t errlen);
struct json_object *bl_name_args(const char *name);
/* create NAME --memory 64 --accel tcg,tb-size=32 [--start [--paused]] */
void		 bl_vm_create(struct client_conn *, const char *name,
		    int start, int paused);
/* start; remembers the QEMU pid.  Returns it. */
pid_t		 bl_vm_start(struct client_conn *, const char *name, int paused);
void		 bl_vm_destroy(struct client_conn *, const char *name);
/* The VM's QEMU pid from info, 0 when it runs none. */
pid_t		 bl_vm_pid(struct client_conn *, const char *name);
/*
 * The VM's QEMU command line from "cmdline", with its runtime directory
 * replaced by dir (so a hand-started copy does not collide) and the
 * directories its paths need created.  NULL-ended; free with
 * bl_argv_free.
 */
char		**bl_vm_cmdline(struct client_conn *, const char *name,
		    const char *dir);
/*
 * Type cmd on the VM's console with "qlaunch console"; what it printed
 * until quiet_ms of silence (malloc'd).  Dies when the client fails.
 */
char		*bl_console_cmd(const char *name, const char *cmd, int quiet_ms);
/* The same through the qlaunchd at sock. */
char		*bl_console_cmd_at(const char *sock, const char *name,
		    const char *cmd, int quiet_ms);
/* The path of the QMP socket a QEMU argv listens on (id=qmp chardev). */
void		 bl_argv_qmp_path(char **argv, char *out, size_t len);
/* The test guest's directory: QLAUNCH_GUEST_DIR, else BUILDDIR/images/guest. */
void		 bl_guest_dir(char *out, size_t len);
/*
 * create's settings for the test guest in dir: memory mem (MiB), TCG
 * with a 32 MiB translation cache, its kernel and initrd, a serial
 * console (a new object, to add to).
 */
struct json_object *bl_guest_settings(const char *dir, const char *mem);
/* The path= of the first argument starting with prefix (or die). */
void		 bl_argv_path(char **argv, const char *prefix, char *out,
		    size_t len);
void		 bl_argv_free(char **);

/* ---- raw QEMU and line clients ---- */

/* Connect to a UNIX socket, retrying every 100 us while it is missing. */
int		 bl_unix_connect(const char *path, int timeout_ms, pid_t watch);

struct bl_line {
	int	 fd;
	char	*buf;
	size_t	 off, len, cap;
};

void		 bl_line_init(struct bl_line *, int fd);
void		 bl_line_close(struct bl_line *);
void		 bl_write_all(int fd, const char *s, size_t n);
/* The next line (NUL-ended, without its newline); dies at EOF. */
char		*bl_line_read(struct bl_line *);
/* The next line that is not an event. */
char		*bl_line_reply(struct bl_line *);
/* Read the QMP greeting and negotiate; the reply line is checked. */
void		 bl_qmp_handshake(struct bl_line *);
/*
 * Waiting for a text on a raw guest's serial socket: bl_match_read reads
 * what fd has (one read) into m, keeping its last 256 bytes when half
 * full; 1 once needle (shorter than 256) has come.  Dies at EOF.
 */
struct bl_match {
	char	 buf[1 << 14];
	size_t	 len;
};

int		 bl_match_read(struct bl_match *, int fd, const char *needle);
/*
 * "quit" on a raw QEMU's QMP line: read until it closes, close it, and
 * wait for pid (killed after timeout_ms, with a warning).
 */
void		 bl_raw_quit(struct bl_line *qmp, pid_t pid, int timeout_ms);

/* ---- memory ---- */

struct bl_mem {
	long	 rss_kb;	/* smaps_rollup Rss */
	long	 pss_kb;
	long	 priv_kb;	/* Private_Clean + Private_Dirty */
	long	 anon_kb;
	long	 hwm_kb;	/* status VmHWM */
	int	 fds;		/* open file descriptors */
};

int		 bl_proc_mem(pid_t, struct bl_mem *);

/* ---- libvirt, the optional peer ---- */

/*
 * Is a working libvirt there (virsh, and qemu:///system answering)?
 * 1, or 0 with the reason in why.
 */
int		 bl_libvirt_usable(char *why, size_t len);
/*
 * Define a domain equivalent to the qlaunch test VM (pc, 64 MiB, 1 vCPU,
 * tcg with a 32 MiB translation cache, a serial console, a balloon, no
 * display, no NIC, no USB).  Undefined again at exit.
 */
void		 bl_libvirt_define(const char *name);
/* "virsh -q -c qemu:///system A1 A2": timed (dies unless it exits 0) */
uint64_t	 bl_virsh_timed(const char *a1, const char *a2);
/* ...or just its exit status */
int		 bl_virsh_quiet(const char *a1, const char *a2);

#endif
