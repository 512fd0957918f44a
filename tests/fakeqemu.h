/*
 * A fake QEMU for the supervisor's unit tests: the supervisor's library
 * (struct daemon, the VM core, dispatch) on one end of a socketpair, and
 * the test writing exactly what QEMU would on the other.  Requests are
 * sent through dispatch as a client would and their answers collected.
 */
#ifndef TESTS_FAKEQEMU_H
#define TESTS_FAKEQEMU_H

#include <sys/types.h>

#include <stddef.h>

#include "daemon.h"

struct json_object;
struct qmp;
struct vm;
struct req_ops;

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " \
	"\"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": []}}\r\n"

struct fx {
	struct event_base	*base;
	struct daemon		 d;
	char			*dir;
	struct vm		*vm;
	struct qmp		*q;		/* job tests: a bare connection */
	int			 peer;
	int			 ready;
	struct json_object	*msgs[32];	/* what requests sent back */
	int			 nmsgs;
};

/* The fixture being run (one at a time). */
extern struct fx *F;
extern const struct req_ops test_ops;

#define PLAIN_VM "name: t1\nmemory: 256\nballoon: off\nconsole: none\n"

/* A daemon context with its state directory; no VM, no QEMU. */
struct fx	*fx_new(void);
void		 fx_free(struct fx *);
/* A bare QMP connection to the fake QEMU, negotiated (f->q). */
void		 fx_bare_qmp(struct fx *);
/* A defined VM whose QEMU is the fake peer, starting (not negotiated). */
struct vm	*fx_vm(struct fx *, const char *text);
/* The same, through its start job: every start command answered {}. */
struct vm	*fx_running_vm(struct fx *, const char *text);

/* The fake QEMU's side. */
struct json_object *peer_recv(struct fx *);
/* Read one command, check its name; its id (and arguments when asked). */
long long	 expect_cmd(struct fx *, const char *name,
		    struct json_object **argsp);
void		 peer_send(struct fx *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 answer(struct fx *, long long id, const char *ret);
void		 answer_error(struct fx *, long long id, const char *class,
		    const char *desc);
void		 handshake(struct fx *);
/* The next command is name, its argument "id" is id: answered {}. */
void		 answer_id(struct fx *, const char *name, const char *id);
/* QEMU's DEVICE_DELETED for device id: the guest let it go. */
void		 device_deleted(struct fx *, const char *id);
void		 pump(struct fx *, int ms);

/* Requests through dispatch, as uid 0; their answers in order. */
void		 request(struct fx *, const char *cmd, const char *args);
/* The same from another user (a peer that is not root). */
void		 request_as(struct fx *, uid_t uid, const char *cmd,
		    const char *args);
struct json_object *reply(struct fx *);
void		 expect_error(struct fx *, const char *class,
		    const char *desc_part, int qemu);
struct json_object *expect_return(struct fx *);
/* The next reply that is not an event (events dropped). */
struct json_object *reply_not_event(struct fx *);

/*
 * A fake destination supervisor for migration tests: a listening UNIX
 * socket in f->dir (non-blocking), the source's connection to it, a
 * request read there (its id; its arguments when argsp is not NULL),
 * an answer to it.
 */
int		 dest_listen(struct fx *, char *path, size_t len);
int		 dest_accept(struct fx *, int lfd);
long long	 dest_expect(struct fx *, int c, const char *name,
		    struct json_object **argsp);
/* The same, answering requests named skip with skip_ret on the way. */
long long	 dest_expect_answering(struct fx *, int c, const char *name,
		    struct json_object **argsp, const char *skip,
		    const char *skip_ret);
void		 dest_answer(int c, long long id, const char *ret);
/* migrate {"name": "t1", "dest": dest, more...} */
void		 migrate_request(struct fx *, const char *dest,
		    const char *more);
/*
 * The source's probes answered: qom-get (pc-i440fx-7.2),
 * query-migrate-capabilities with caps, query-migrate-parameters with
 * params.
 */
void		 migrate_probes(struct fx *, const char *caps,
		    const char *params);
/*
 * migrate to the fake destination listening on lfd (path), up to QEMU's
 * migrate: the probes answered with caps and params, migrate-prepare
 * with a unix: URI, the settings and migrate with {}.  The destination's
 * connection.
 */
int		 migrate_started(struct fx *, const char *path, int lfd,
		    const char *more, const char *caps, const char *params);
/* A capability's state in a list of {"capability", "state"}; -1: absent. */
int		 cap_state(struct json_object *caps, const char *name);

#endif
