/* Helpers shared by the cmocka test programs. */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

struct event_base;
struct json_object;
struct vmdef;

/* A definition that must parse (file "vm.conf"); fails the test if not. */
struct vmdef *tu_parse_ok(const char *text);

/* A fresh directory under $TMPDIR, removed (recursively) by tu_rmtree. */
char	*tu_mkdtemp(const char *tag);
void	 tu_rmtree(const char *path);

/* Read a whole file into a NUL-terminated buffer (NULL if missing). */
char	*tu_slurp(const char *path, size_t *lenp);

/* Milliseconds on the monotonic clock. */
long long tu_now_ms(void);

/* Pump the event loop without blocking until *flag or timeout; returns *flag. */
int	 tu_pump(struct event_base *, const int *flag, int timeout_ms);

/*
 * Write all of buf to fd (blocking); read one newline-terminated line
 * from fd within timeout (pumping base, if given, meanwhile).  The line is
 * returned without the newline, malloc'd; NULL on timeout or EOF.
 */
void	 tu_write_all(int fd, const void *buf, size_t len);
void	 tu_write_str(int fd, const char *s);
char	*tu_read_line(int fd, struct event_base *, int timeout_ms);

/* Poll a file until it contains needle; returns 0 when found. */
int	 tu_wait_file(const char *path, const char *needle, int timeout_ms);

/* Start a program in its own session; stdout/stderr to logpath if set. */
pid_t	 tu_spawn(char *const argv[], const char *logpath);
/* Wait for exit up to timeout; then SIGKILL.  Returns the wait status. */
int	 tu_reap(pid_t, int timeout_ms);

/* The QEMU binary under test ($QEMU, else configure's choice). */
const char *tu_qemu(void);
/* The guest directory ($QLAUNCH_GUEST_DIR) or NULL if it is not built. */
const char *tu_guest_dir(void);

/*
 * Connect to a UNIX stream socket, retrying until timeout; -1 on failure.
 */
int	 tu_connect_unix(const char *path, int timeout_ms);

/*
 * A control-protocol exchange on a connected socket: req written, one
 * reply line read (5 s) and parsed; fails the test when it is not JSON.
 */
struct json_object *tu_exchange(int fd, const char *req);
/* o is an error of class whose desc says desc; o is put. */
void	 tu_expect_error(struct json_object *o, const char *cls,
	    const char *desc);

#endif
