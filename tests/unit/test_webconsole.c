/*
 * Web consoles, the supervisor's side: console tickets (one-time, per
 * user and VM, expiring), console-open against the fake QEMU (getfd with
 * a descriptor, then add_client with that fdname and skipauth, the other
 * end passed back with the reply), a QEMU error rolled back (closefd,
 * the caller's end closed), the serial relay through a passed
 * descriptor (one client at a time), ctlsend_fd's ordering on a real
 * bufferevent, and the client's side (clientfd) keeping the descriptor
 * that came with a reply.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "client.h"
#include "clientfd.h"
#include "ctlsend.h"
#include "daemon.h"
#include "events.h"
#include "dispatch.h"
#include "fakeqemu.h"
#include "jget.h"
#include "names.h"
#include "req.h"
#include "testutil.h"
#include "vm.h"
#include "webticket.h"

#define VNC_VM	"name: t1\nmemory: 256\nballoon: off\nconsole: none\n" \
		"graphics: vnc,listen=127.0.0.1,port=5990,password=pw\n"
#define SER_VM	"name: t1\nmemory: 256\nballoon: off\n"

/* the descriptor the last console-open passed; -1: none */
static int passed = -1;

static void
ops_send(void *conn, struct json_object *m)
{
	struct fx *f = conn;

	assert_true(f->nmsgs < 32);
	f->msgs[f->nmsgs++] = json_object_get(m);
}

static int
ops_send_fd(void *conn, struct json_object *m, int fd)
{
	assert_int_equal(passed, -1);
	passed = dup(fd);
	assert_true(passed >= 0);
	ops_send(conn, m);
	return 0;
}

static int
ops_send_fd_fails(void *conn, struct json_object *m, int fd)
{
	(void)conn;
	(void)m;
	(void)fd;
	errno = EAGAIN;
	return -1;
}

static const struct req_ops fd_ops = { .send = ops_send,
    .send_fd = ops_send_fd };
static const struct req_ops stuck_ops = { .send = ops_send,
    .send_fd = ops_send_fd_fails };

static void
req_on(struct fx *f, const struct req_ops *ops, uid_t uid, const char *cmd,
    const char *args)
{
	struct json_object *a = json_tokener_parse(args);

	assert_non_null(a);
	dispatch(req_new(&f->d, ops, f, cmd, json_object_new_int(1), a, uid,
	    1));
}

/* console-ticket as uid: the ticket (64 hex digits) into t */
static void
get_ticket(struct fx *f, uid_t uid, const char *kind, char *t, size_t len)
{
	char args[128];

	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"kind\": \"%s\"}",
	    kind);
	request_as(f, uid, "console-ticket", args);
	struct json_object *r = expect_return(f);
	const char *s = jstr(r, "ticket");
	assert_non_null(s);
	assert_int_equal(strlen(s), WEBTICKET_HEX);
	assert_int_equal(strspn(s, "0123456789abcdef"), WEBTICKET_HEX);
	assert_string_equal(jstr(r, "kind"), kind);
	assert_int_equal(jint(r, "expires_in", -1), WEBTICKET_TTL_MS / 1000);
	strlcpy(t, s, len);
	json_object_put(r);
}

static void
open_as(struct fx *f, const struct req_ops *ops, uid_t uid, const char *t)
{
	char args[160];

	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"ticket\": \"%s\"}",
	    t);
	req_on(f, ops, uid, "console-open", args);
}

/* The descriptor beside the fake QEMU's next byte (getfd's), peeked. */
static int
peek_fd(struct fx *f)
{
	struct pollfd p = { f->peer, POLLIN, 0 };

	for (int i = 0; i < 3000 && poll(&p, 1, 0) == 0; i++)
		pump(f, 1);
	char c;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	assert_int_equal(recvmsg(f->peer, &mh, MSG_PEEK | MSG_CMSG_CLOEXEC),
	    1);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

/* Nothing more reached the fake QEMU. */
static void
qemu_got_nothing(struct fx *f)
{
	struct pollfd p = { f->peer, POLLIN, 0 };

	pump(f, 30);
	assert_int_equal(poll(&p, 1, 0), 0);
}

/* Bytes written on one end arrive at the other. */
static void
carries(int from, int to, const char *what)
{
	char buf[64] = "";
	struct pollfd p = { to, POLLIN, 0 };

	tu_write_str(from, what);
	assert_int_equal(poll(&p, 1, 3000), 1);
	assert_int_equal(read(to, buf, sizeof(buf) - 1), (ssize_t)strlen(what));
	assert_string_equal(buf, what);
}

/* getfd (with a descriptor) and add_client as QEMU sees them; its end. */
static int
expect_handover(struct fx *f, char *fdname, size_t len)
{
	struct json_object *a;
	int qfd = peek_fd(f);

	assert_true(qfd >= 0);
	long long id = expect_cmd(f, "getfd", &a);
	strlcpy(fdname, jstr(a, "fdname"), len);
	json_object_put(a);
	answer(f, id, "{}");
	id = expect_cmd(f, "add_client", &a);
	assert_string_equal(jstr(a, "protocol"), "vnc");
	assert_string_equal(jstr(a, "fdname"), fdname);
	assert_true(jbool(a, "skipauth"));
	json_object_put(a);
	answer(f, id, "{}");
	return qfd;
}

static void
test_vnc_open(void **state)
{
	struct fx *f = fx_new();
	char t[WEBTICKET_HEX + 1], fdname[64];

	(void)state;
	fx_running_vm(f, VNC_VM);
	get_ticket(f, 0, "vnc", t, sizeof(t));
	assert_int_equal(webticket_count(&f->d), 1);
	open_as(f, &fd_ops, 0, t);
	int qfd = expect_handover(f, fdname, sizeof(fdname));
	struct json_object *r = expect_return(f);
	assert_string_equal(jstr(r, "kind"), "vnc");
	json_object_put(r);
	assert_true(passed >= 0);
	/* QEMU's end and the caller's are one socketpair */
	carries(qfd, passed, "RFB 003.008\n");
	carries(passed, qfd, "RFB 003.008\n");
	assert_int_equal(webticket_count(&f->d), 0);
	close(passed);
	passed = -1;

	/* used once: the same ticket again opens nothing */
	open_as(f, &fd_ops, 0, t);
	expect_error(f, ERR_NOT_FOUND, "no such console ticket", 0);
	qemu_got_nothing(f);
	assert_int_equal(passed, -1);
	close(qfd);
	fx_free(f);
}

static void
test_vnc_qemu_error(void **state)
{
	struct fx *f = fx_new();
	char t[WEBTICKET_HEX + 1], fdname[64];
	struct json_object *a;

	(void)state;
	fx_running_vm(f, VNC_VM);
	get_ticket(f, 0, "vnc", t, sizeof(t));
	open_as(f, &fd_ops, 0, t);
	int qfd = peek_fd(f);
	assert_true(qfd >= 0);
	long long id = expect_cmd(f, "getfd", &a);
	strlcpy(fdname, jstr(a, "fdname"), sizeof(fdname));
	json_object_put(a);
	answer(f, id, "{}");
	answer_error(f, expect_cmd(f, "add_client", NULL), "GenericError",
	    "no VNC display");
	/* the descriptor QEMU was given is closed again */
	id = expect_cmd(f, "closefd", &a);
	assert_string_equal(jstr(a, "fdname"), fdname);
	json_object_put(a);
	answer(f, id, "{}");
	expect_error(f, "GenericError", "no VNC display", 1);
	assert_int_equal(passed, -1);
	/* and the caller's end went: QEMU's reads EOF */
	char c;
	struct pollfd p = { qfd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 3000), 1);
	assert_int_equal(read(qfd, &c, 1), 0);
	close(qfd);
	/* the ticket stays spent */
	open_as(f, &fd_ops, 0, t);
	expect_error(f, ERR_NOT_FOUND, "no such console ticket", 0);
	fx_free(f);
}

static void
test_getfd_error(void **state)
{
	struct fx *f = fx_new();
	char t[WEBTICKET_HEX + 1];

	(void)state;
	fx_running_vm(f, VNC_VM);
	get_ticket(f, 0, "vnc", t, sizeof(t));
	open_as(f, &fd_ops, 0, t);
	answer_error(f, expect_cmd(f, "getfd", NULL), "GenericError",
	    "No file descriptor supplied via SCM_RIGHTS");
	expect_error(f, "GenericError", "SCM_RIGHTS", 1);
	/* no add_client, nothing to undo */
	qemu_got_nothing(f);
	assert_int_equal(passed, -1);
	fx_free(f);
}

/* The reply with the descriptor cannot go: QEMU's client is closed. */
static void
test_send_fails(void **state)
{
	struct fx *f = fx_new();
	char t[WEBTICKET_HEX + 1], fdname[64];

	(void)state;
	fx_running_vm(f, VNC_VM);
	get_ticket(f, 0, "vnc", t, sizeof(t));
	open_as(f, &stuck_ops, 0, t);
	int qfd = expect_handover(f, fdname, sizeof(fdname));
	expect_error(f, ERR_GENERIC, "does not read what it was sent", 0);
	char c;
	struct pollfd p = { qfd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 3000), 1);
	assert_int_equal(read(qfd, &c, 1), 0);
	close(qfd);
	fx_free(f);
}

static void
test_ticket_rules(void **state)
{
	struct fx *f = fx_new();
	char t[WEBTICKET_HEX + 1];

	(void)state;
	fx_running_vm(f, VNC_VM "owner: 4242\n");
	/* a copied ticket: another user (who may use the VM) */
	get_ticket(f, 4242, "vnc", t, sizeof(t));
	open_as(f, &fd_ops, 0, t);
	expect_error(f, ERR_PERMISSION, "issued to another user", 0);
	qemu_got_nothing(f);
	/* ...and it is spent for its owner too */
	open_as(f, &fd_ops, 4242, t);
	expect_error(f, ERR_NOT_FOUND, "no such console ticket", 0);
	/* a user who may not use the VM gets no ticket, opens nothing */
	request_as(f, 4243, "console-ticket", "{\"name\": \"t1\", "
	    "\"kind\": \"vnc\"}");
	expect_error(f, ERR_PERMISSION, "belongs to another user", 0);
	get_ticket(f, 4242, "vnc", t, sizeof(t));
	open_as(f, &fd_ops, 4243, t);
	expect_error(f, ERR_PERMISSION, "belongs to another user", 0);
	qemu_got_nothing(f);
	assert_int_equal(passed, -1);

	/* malformed */
	open_as(f, &fd_ops, 4242, "1234");
	expect_error(f, ERR_GENERIC, "64 hexadecimal digits", 0);
	request(f, "console-open", "{\"name\": \"t1\"}");
	expect_error(f, ERR_GENERIC, "needs \"ticket\"", 0);
	request(f, "console-ticket", "{\"name\": \"t1\", \"kind\": \"spice\"}");
	expect_error(f, ERR_GENERIC, "\"vnc\" or \"serial\"", 0);
	request(f, "console-ticket", "{\"name\": \"t1\", \"kind\": \"serial\"}");
	expect_error(f, ERR_GENERIC, "has no serial console", 0);

	/* a connection that cannot carry a descriptor spends nothing */
	get_ticket(f, 4242, "vnc", t, sizeof(t));
	size_t n = webticket_count(&f->d);
	char args[160];
	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"ticket\": "
	    "\"%s\"}", t);
	request_as(f, 4242, "console-open", args);
	expect_error(f, ERR_GENERIC, "cannot carry a descriptor", 0);
	assert_int_equal(webticket_count(&f->d), n);

	/* expired */
	webticket_set_ttl(&f->d, 20);
	get_ticket(f, 4242, "vnc", t, sizeof(t));
	pump(f, 40);
	open_as(f, &fd_ops, 4242, t);
	expect_error(f, ERR_GENERIC, "expired", 0);
	qemu_got_nothing(f);
	webticket_set_ttl(&f->d, WEBTICKET_TTL_MS);

	/* a user's tickets are bounded */
	for (int i = webticket_count(&f->d); i < WEBTICKET_MAX_UID; i++)
		get_ticket(f, 4242, "vnc", t, sizeof(t));
	request_as(f, 4242, "console-ticket", "{\"name\": \"t1\", "
	    "\"kind\": \"vnc\"}");
	expect_error(f, ERR_GENERIC, "too many console tickets", 0);
	/* ...and go with the VM */
	vm_fire(f->vm, VMEV_STOPPED);
	assert_int_equal(webticket_count(&f->d), 0);
	fx_free(f);
}

/* Tickets are bound to one VM and one run of its QEMU. */
static void
test_ticket_vm(void **state)
{
	struct fx *f = fx_new();
	struct vm a = { .pid = 100 }, b = { .pid = 100 };
	char t[WEBTICKET_HEX + 1], err[256];
	enum webcon_kind k;
	const char *cl;

	(void)state;
	strlcpy(a.name, "a", sizeof(a.name));
	assert_int_equal(webticket_issue(&f->d, &a, 7, WEBCON_SERIAL, t, err,
	    sizeof(err)), 0);
	assert_int_equal(webticket_redeem(&f->d, &b, 7, t, &k, &cl, err,
	    sizeof(err)), -1);
	assert_string_equal(cl, ERR_PERMISSION);
	assert_non_null(strstr(err, "for another VM"));
	assert_int_equal(webticket_issue(&f->d, &a, 7, WEBCON_SERIAL, t, err,
	    sizeof(err)), 0);
	a.pid = 101;
	assert_int_equal(webticket_redeem(&f->d, &a, 7, t, &k, &cl, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "started again"));
	assert_int_equal(webticket_issue(&f->d, &a, 7, WEBCON_SERIAL, t, err,
	    sizeof(err)), 0);
	/* upper case hex is the same ticket */
	for (char *p = t; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(webticket_redeem(&f->d, &a, 7, t, &k, &cl, err,
	    sizeof(err)), 0);
	assert_int_equal(k, WEBCON_SERIAL);
	/* two tickets differ */
	char t2[WEBTICKET_HEX + 1];
	assert_int_equal(webticket_issue(&f->d, &a, 7, WEBCON_VNC, t, err,
	    sizeof(err)), 0);
	assert_int_equal(webticket_issue(&f->d, &a, 7, WEBCON_VNC, t2, err,
	    sizeof(err)), 0);
	assert_string_not_equal(t, t2);
	fx_free(f);
}

/* The serial console through a passed descriptor; one client at a time. */
static void
test_serial_open(void **state)
{
	struct fx *f = fx_new();
	char t[WEBTICKET_HEX + 1], t2[WEBTICKET_HEX + 1];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	(void)state;
	struct vm *vm = fx_running_vm(f, SER_VM);
	/* QEMU's console socket: ours, as the fake QEMU is this process */
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	strlcpy(sun.sun_path, vm->paths.console, sizeof(sun.sun_path));
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	get_ticket(f, 0, "serial", t, sizeof(t));
	get_ticket(f, 0, "serial", t2, sizeof(t2));
	open_as(f, &fd_ops, 0, t);
	struct json_object *r = expect_return(f);
	assert_string_equal(jstr(r, "kind"), "serial");
	json_object_put(r);
	int qc = accept(lfd, NULL, NULL);
	assert_true(qc >= 0);
	assert_true(passed >= 0);
	int cfd = passed;
	passed = -1;
	/* both ways through the relay */
	tu_write_str(qc, "login: ");
	char buf[64] = "";
	struct pollfd p = { cfd, POLLIN, 0 };
	for (int i = 0; i < 3000 && poll(&p, 1, 0) == 0; i++)
		pump(f, 1);
	assert_int_equal(read(cfd, buf, sizeof(buf) - 1), 7);
	assert_string_equal(buf, "login: ");
	tu_write_str(cfd, "root\n");
	p.fd = qc;
	for (int i = 0; i < 3000 && poll(&p, 1, 0) == 0; i++)
		pump(f, 1);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(qc, buf, sizeof(buf) - 1), 5);
	assert_string_equal(buf, "root\n");
	/* a second client is refused while the first is attached */
	open_as(f, &fd_ops, 0, t2);
	expect_error(f, ERR_IN_USE, "in use by another client", 0);
	assert_int_equal(passed, -1);
	/* the first leaves: the relay lets QEMU's side go */
	close(cfd);
	p.fd = qc;
	for (int i = 0; i < 3000 && poll(&p, 1, 0) == 0; i++)
		pump(f, 1);
	assert_int_equal(read(qc, buf, 1), 0);
	close(qc);
	close(lfd);
	fx_free(f);
}

/* ---- ctlsend ---- */

static void
test_ctlsend(void **state)
{
	struct event_base *base = event_base_new();
	int sv[2], pv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	assert_int_equal(pipe(pv), 0);
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0],
	    BEV_OPT_CLOSE_ON_FREE);
	/* output still waiting goes first; the descriptor with the line */
	bufferevent_write(bev, "first\n", 6);
	assert_int_equal(ctlsend_fd(bev, "second\n", 7, pv[0]), 0);
	char buf[32] = "";
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { buf, 6 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	assert_int_equal(recvmsg(sv[1], &mh, 0), 6);
	assert_memory_equal(buf, "first\n", 6);
	assert_null(CMSG_FIRSTHDR(&mh));
	iov.iov_len = sizeof(buf);
	mh.msg_controllen = sizeof(u.buf);
	assert_int_equal(recvmsg(sv[1], &mh, 0), 7);
	assert_memory_equal(buf, "second\n", 7);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
	int got;
	memcpy(&got, CMSG_DATA(cm), sizeof(got));
	tu_write_str(pv[1], "x");
	assert_int_equal(read(got, buf, 1), 1);
	close(got);

	/* a peer that does not read: nothing is sent, EAGAIN */
	char big[65536];
	memset(big, 'a', sizeof(big));
	while (write(sv[0], big, sizeof(big)) > 0)
		;
	bufferevent_write(bev, "pending\n", 8);
	errno = 0;
	assert_int_equal(ctlsend_fd(bev, "third\n", 6, pv[0]), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(evbuffer_get_length(bufferevent_get_output(bev)), 8);
	bufferevent_free(bev);
	close(sv[1]);
	close(pv[0]);
	close(pv[1]);
	event_base_free(base);
}

/* ---- clientfd ---- */

static void
test_clientfd(void **state)
{
	int sv[2], pv[2], pw[2], fd = -1;
	char buf[64];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(pv), 0);
	assert_int_equal(pipe(pw), 0);
	struct event_base *base = event_base_new();
	struct bufferevent *bev = bufferevent_socket_new(base, sv[0],
	    BEV_OPT_CLOSE_ON_FREE);
	/* plain bytes: no descriptor */
	tu_write_str(sv[0], "one\n");
	assert_int_equal(clientfd_read(sv[1], buf, sizeof(buf), &fd), 4);
	assert_int_equal(fd, -1);
	/* a reply with one: kept; a second replaces (closes) the first */
	assert_int_equal(ctlsend_fd(bev, "two\n", 4, pv[0]), 0);
	assert_int_equal(clientfd_read(sv[1], buf, sizeof(buf), &fd), 4);
	assert_true(fd >= 0);
	int first = fd;
	assert_int_equal(ctlsend_fd(bev, "six\n", 4, pw[0]), 0);
	assert_int_equal(clientfd_read(sv[1], buf, sizeof(buf), &fd), 4);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(first, F_GETFD), -1);	/* closed */
	tu_write_str(pw[1], "y");
	assert_int_equal(read(fd, buf, 1), 1);
	assert_int_equal(buf[0], 'y');
	/* client_take_fd hands it over once */
	struct client_conn c;
	memset(&c, 0, sizeof(c));
	c.recv_fd = fd;
	assert_int_equal(client_take_fd(&c), fd);
	assert_int_equal(client_take_fd(&c), -1);
	close(fd);
	/* not a socket (ssh's pipe): a plain read */
	fd = -1;
	tu_write_str(pv[1], "pipe");
	assert_int_equal(clientfd_read(pv[0], buf, sizeof(buf), &fd), 4);
	assert_int_equal(fd, -1);
	bufferevent_free(bev);
	close(sv[1]);
	close(pv[0]);
	close(pv[1]);
	close(pw[0]);
	close(pw[1]);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vnc_open),
		cmocka_unit_test(test_vnc_qemu_error),
		cmocka_unit_test(test_getfd_error),
		cmocka_unit_test(test_send_fails),
		cmocka_unit_test(test_ticket_rules),
		cmocka_unit_test(test_ticket_vm),
		cmocka_unit_test(test_serial_open),
		cmocka_unit_test(test_ctlsend),
		cmocka_unit_test(test_clientfd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
