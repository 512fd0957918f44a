/*
 * libFuzzer target for the control protocol's request handling: bytes
 * sent on a real control connection (control.c reading with ctlfd and
 * jstream, req.c, dispatch and every command handler) of a supervisor
 * built in-process, with a defined VM (t1, shut off) and a defined
 * network (n1, inactive).  No QEMU and no qemu-img run: the emulator
 * and $QEMU_IMG name files that do not exist.
 *
 * Input: byte 0 picks the mode.  With its bit 1 set, a second VM (t2)
 * runs: its "QEMU" is a child that only sleeps, its QMP a fake on a
 * socketpair answering every command from a small table of canned
 * replies ({} for the rest), so the handlers that need a live VM run too.
 * Then, by bit 0:
 *  - even: the rest is sent as it is (malformed JSON, wrong types, huge
 *    values, several requests, partial ones);
 *  - odd: the rest is lines; each line's first byte picks a command from
 *    the supervisor's own table and the rest of the line is its
 *    "arguments" (which may be anything), sent as one request.
 * The client then closes its sending side and reads everything back.
 *
 * Invariants: nothing crashes or leaks (the whole supervisor is torn
 * down after each input); every reply line is a JSON object with
 * "return", "error" or "event"; an error has a class and a desc.
 *
 * The supervisor runs as root here, so the target first moves to its own
 * network namespace and a mount namespace where every mount is read-only
 * but a private tmpfs and what libFuzzer writes (the corpus and artifact
 * directories, the current one, $TMPDIR): what it does stays off the
 * host.  Each process leaves an empty /tmp/qlfuzz.* behind (the tmpfs's
 * mount point).
 */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "console.h"
#include "control.h"
#include "daemon.h"
#include "dispatch.h"
#include "fsutil.h"
#include "fuzz.h"
#include "heartbeat.h"
#include "log.h"
#include "network.h"
#include "qmp.h"
#include "vm.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
FUZZ_UBSAN_OPTIONS

#define BUDGET_MS	300	/* wall time for one input's answers */
#define MAX_CMDS	512

extern const struct dcmd dcmds_cpu[], dcmds_iothread[], dcmds_def[],
    dcmds_life[], dcmds_read[], dcmds_console[], dcmds_mem[],
    dcmds_display[], dcmds_qmp[], dcmds_disk[], dcmds_snapshot[],
    dcmds_save[], dcmds_clone[], dcmds_nic[], dcmds_net[], dcmds_iface[],
    dcmds_heartbeat[], dcmds_migrate[], dcmds_migin[], dcmds_migstats[],
    dcmds_migpost[], dcmds_dirtyrate[], dcmds_migoff[], dcmds_memhp[],
    dcmds_stats[], dcmds_agent[], dcmds_webconsole[], dcmds_web[];

static const struct dcmd *const areas[] = {
	dcmds_def, dcmds_life, dcmds_read, dcmds_console, dcmds_mem,
	dcmds_memhp, dcmds_display, dcmds_disk, dcmds_nic, dcmds_cpu,
	dcmds_iothread, dcmds_snapshot, dcmds_save, dcmds_clone, dcmds_net,
	dcmds_iface, dcmds_heartbeat, dcmds_migrate, dcmds_migin,
	dcmds_migstats, dcmds_migpost, dcmds_dirtyrate, dcmds_migoff,
	dcmds_stats, dcmds_agent, dcmds_webconsole, dcmds_web, dcmds_qmp,
};

static const char	*cmds[MAX_CMDS];
static size_t		 ncmds;
static unsigned		 seq;
static char		 work[] = "/tmp/qlfuzz.XXXXXX";

/* t1's definition; %s: the state directory, where its disk is */
static const char vm_def[] =
    "name: t1\nmemory: 128\nvcpus: 1\naccel: tcg\nconsole: serial\n"
    "balloon: on\ndisk: %s/t1.img,format=raw\n";
static const char net_def[] =
    "name: n1\naddress: 192.168.250.1/24\nforward: none\n";

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- t2's fake QEMU ---- */

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " \
	"\"minor\": 2, \"major\": 7}, \"package\": \"\"}, " \
	"\"capabilities\": []}}\r\n"

static const struct {
	const char	*cmd;
	const char	*ret;
} canned[] = {
	{ "query-status", "{\"status\": \"running\", \"running\": true}" },
	{ "query-vnc", "{\"enabled\": false}" },
	{ "query-block", "[]" },
	{ "query-named-block-nodes", "[]" },
	{ "query-cpus-fast", "[{\"cpu-index\": 0, \"thread-id\": 1, "
	    "\"qom-path\": \"/machine/unattached/device[0]\", "
	    "\"props\": {\"core-id\": 0, \"socket-id\": 0, "
	    "\"thread-id\": 0}, \"target\": \"x86_64\"}]" },
	{ "query-hotpluggable-cpus", "[]" },
	{ "query-iothreads", "[]" },
	{ "query-migrate", "{}" },
	{ "query-migrate-capabilities", "[]" },
	{ "query-migrate-parameters", "{}" },
	{ "query-balloon", "{\"actual\": 134217728}" },
	{ "query-memory-devices", "[]" },
	{ "query-memory-size-summary", "{\"base-memory\": 134217728}" },
	{ "query-jobs", "[]" },
	{ "query-block-jobs", "[]" },
	{ "query-blockstats", "[]" },
	{ "query-chardev", "[]" },
	{ "query-pci", "[]" },
	{ "query-machines", "[]" },
	{ "query-qmp-schema", "[]" },
	{ "query-version", "{\"qemu\": {\"major\": 7, \"minor\": 2, "
	    "\"micro\": 0}, \"package\": \"\"}" },
	{ "qom-list", "[]" },
	{ "human-monitor-command", "\"\"" },
};

struct fakeqemu {
	pid_t		 pid;
	int		 peer;
	char		 buf[1 << 16];
	size_t		 len;
};

static void
fake_reply(struct fakeqemu *fq, const char *line)
{
	struct json_object *c = json_tokener_parse(line), *ex, *id;
	const char *ret = "{}";
	char out[2048];

	if (c == NULL)
		return;
	if (json_object_object_get_ex(c, "execute", &ex)) {
		const char *name = json_object_get_string(ex);
		for (size_t i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
			if (strcmp(canned[i].cmd, name) == 0)
				ret = canned[i].ret;
		int n = snprintf(out, sizeof(out), "{\"return\": %s, \"id\": %s}"
		    "\r\n", ret, json_object_object_get_ex(c, "id", &id) ?
		    json_object_to_json_string(id) : "null");
		if (n > 0 && (size_t)n < sizeof(out))
			(void)!write(fq->peer, out, (size_t)n);
	}
	json_object_put(c);
}

/* Answer whatever the supervisor sent its "QEMU". */
static void
fake_pump(struct fakeqemu *fq)
{
	if (fq->peer == -1)
		return;
	for (;;) {
		ssize_t n = read(fq->peer, fq->buf + fq->len,
		    sizeof(fq->buf) - 1 - fq->len);
		if (n <= 0)
			break;
		fq->len += (size_t)n;
		fq->buf[fq->len] = '\0';
		char *p = fq->buf, *nl;
		while ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			fake_reply(fq, p);
			p = nl + 1;
		}
		fq->len -= (size_t)(p - fq->buf);
		memmove(fq->buf, p, fq->len);
		if (fq->len == sizeof(fq->buf) - 1)
			fq->len = 0;	/* a line too long for us: dropped */
	}
}

static void
send_fds(int s, const int fds[2])
{
	char c = 0, cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, 2 * sizeof(int));
	(void)!sendmsg(s, &m, 0);
	close(fds[0]);
	close(fds[1]);
}

static void
recv_fds(int s, int fds[2])
{
	char c, cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

	ssize_t n;
	/* libFuzzer's SIGALRM (its -timeout) interrupts a blocking call */
	while ((n = recvmsg(s, &m, MSG_CMSG_CLOEXEC)) == -1 && errno == EINTR)
		;
	CHECK(n == 1);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	CHECK(cm != NULL && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(2 * sizeof(int)));
	memcpy(fds, CMSG_DATA(cm), 2 * sizeof(int));
}

/* t2, defined and started on a fake QEMU; 0 when it runs. */
static int
fake_vm(struct daemon *d, struct fakeqemu *fq, const char *dir)
{
	static const struct qmp_callbacks cbs = { vm_qmp_ready_cb,
	    vm_qmp_closed_cb };
	char err[512], text[1024];
	int sv[2];

	snprintf(text, sizeof(text), "name: t2\nmemory: 128\naccel: tcg\n"
	    "console: none\nballoon: on\ndisk: %s/t1.img,format=raw\n", dir);
	struct vmdef *def = vmdef_parse(text, "t2", err, sizeof(err));
	CHECK(def != NULL);
	struct vm *vm = vm_add(d, def);
	CHECK(mkdir(vm->paths.dir, 0700) == 0 && mkdir(vm->paths.qdir,
	    0700) == 0);
	/*
	 * The supervisor takes a QMP socket only from QEMU's pid (its
	 * SO_PEERCRED): the child makes the pair, as QEMU would have made
	 * the socket, and hands both ends over.
	 */
	int ctl[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) == 0);
	if ((fq->pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0, sv) == 0)
			send_fds(ctl[1], sv);
		for (;;)
			pause();
	}
	CHECK(fq->pid > 0);
	close(ctl[1]);
	recv_fds(ctl[0], sv);
	close(ctl[0]);
	vm->pid = fq->pid;
	vm->qmp = qmp_new(d->base, NULL, &cbs, vm);
	qmp_subscribe(vm->qmp, NULL, vm_qmp_event_cb, vm);
	CHECK(qmp_attach_fd(vm->qmp, sv[0]) == 0);
	vm_process_started(vm);
	vm_set_state(vm, VM_STARTING, "booting");
	fq->peer = sv[1];
	CHECK(write(fq->peer, GREETING, strlen(GREETING)) ==
	    (ssize_t)strlen(GREETING));
	long long end = now_ms() + 2000;
	while (vm->state != VM_RUNNING && now_ms() < end) {
		event_base_loop(d->base, EVLOOP_NONBLOCK);
		fake_pump(fq);
	}
	return vm->state == VM_RUNNING ? 0 : -1;
}

static void
fake_end(struct daemon *d, struct fakeqemu *fq)
{
	struct vm *vm = vm_find(d, "t2");

	if (vm != NULL)
		vm->pid = 0;	/* ours to end, below */
	if (fq->pid > 0) {
		kill(fq->pid, SIGKILL);
		while (waitpid(fq->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	if (fq->peer != -1)
		close(fq->peer);
}

/* Make a directory of ours writable again (a new bind mount is). */
static void
keep_writable(const char *path)
{
	struct stat st;
	char dir[PATH_MAX];

	if (stat(path, &st) == -1 || realpath(path, dir) == NULL)
		return;
	if (!S_ISDIR(st.st_mode)) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			strlcpy(dir, ".", sizeof(dir));
		else
			*slash = '\0';
	}
	/* a bind mount starts with its source's flags: then made rw */
	if (mount(dir, dir, NULL, MS_BIND, NULL) == -1 ||
	    mount(NULL, dir, NULL, MS_BIND | MS_REMOUNT, NULL) == -1)
		fprintf(stderr, "fuzz_control: cannot keep %s writable: %s\n",
		    dir, strerror(errno));
}

/*
 * Every mount read-only but libFuzzer's directories (corpora, the
 * artifacts' place), a tmpfs for the supervisor's files, its own network.
 */
static void
sandbox(int argc, char **argv)
{
	char line[4096];
	FILE *f;

	if (mkdtemp(work) == NULL) {
		fprintf(stderr, "fuzz_control: %s: %s\n", work, strerror(errno));
		exit(1);
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) == -1) {
		fprintf(stderr, "fuzz_control: unshare: %s (run as root)\n",
		    strerror(errno));
		exit(1);
	}
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK((f = fopen("/proc/self/mounts", "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		char dev[1024], dir[1024];
		if (sscanf(line, "%1023s %1023s", dev, dir) != 2)
			continue;
		/* best effort: a few pseudo file systems refuse */
		(void)mount(NULL, dir, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
		    NULL);
	}
	fclose(f);
	/* libFuzzer's own temporary files (-merge's control file); before
	   the tmpfs, which a bind mount of /tmp would hide */
	keep_writable(getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	CHECK(mount("qlfuzz", work, "tmpfs", 0, "size=256m") == 0);
	char cwd[PATH_MAX];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	keep_writable(cwd);
	CHECK(chdir(cwd) == 0);	/* into the writable mount */
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-artifact_prefix=", 17) == 0)
			keep_writable(argv[i] + 17);
		else if (argv[i][0] != '-')
			keep_writable(argv[i]);
	}
	/* check the sandbox holds */
	CHECK(open("/etc/qlfuzz-probe", O_WRONLY | O_CREAT, 0600) == -1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sandbox(*argc, *argv);
	setenv("QEMU_IMG", "/nonexistent/qemu-img", 1);
	signal(SIGPIPE, SIG_IGN);
	log_init("fuzz_control", 1, 0);
	for (size_t a = 0; a < sizeof(areas) / sizeof(areas[0]); a++)
		for (const struct dcmd *c = areas[a]; c->name != NULL; c++)
			if (ncmds < MAX_CMDS)
				cmds[ncmds++] = c->name;
	cmds[ncmds++] = "subscribe";
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd != -1);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* The requests of structured mode, as one buffer. */
static char *
structured(const uint8_t *data, size_t len, size_t *outlen)
{
	size_t cap = len * 2 + 256, n = 0;
	char *out = malloc(cap);

	CHECK(out != NULL);
	for (size_t i = 0; i < len; ) {
		const uint8_t *nl = memchr(data + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - data) : len;
		const char *cmd = cmds[data[i] % ncmds];
		const char *args = (const char *)data + i + 1;
		size_t alen = end > i ? end - i - 1 : 0;
		size_t need = n + alen + strlen(cmd) + 64;
		if (need > cap) {
			cap = need * 2;
			CHECK((out = realloc(out, cap)) != NULL);
		}
		n += (size_t)snprintf(out + n, cap - n,
		    "{\"execute\": \"%s\", \"id\": %zu%s", cmd, i,
		    alen > 0 ? ", \"arguments\": " : "");
		memcpy(out + n, args, alen);
		n += alen;
		out[n++] = '}';
		out[n++] = '\n';
		i = end + 1;
	}
	*outlen = n;
	return out;
}

/* Every line the supervisor sent is a well-formed answer or event. */
static void
check_answers(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;	/* cut off by our budget */
		struct json_tokener *tok = json_tokener_new();
		struct json_object *o = json_tokener_parse_ex(tok, p,
		    (int)(nl - p));
		json_tokener_free(tok);
		CHECK(o != NULL && json_object_is_type(o, json_type_object));
		struct json_object *e, *v;
		if (json_object_object_get_ex(o, "error", &e)) {
			CHECK(json_object_object_get_ex(e, "class", &v) &&
			    json_object_is_type(v, json_type_string));
			CHECK(json_object_object_get_ex(e, "desc", &v) &&
			    json_object_is_type(v, json_type_string));
		} else
			CHECK(json_object_object_get_ex(o, "return", &v) ||
			    json_object_object_get_ex(o, "event", &v));
		json_object_put(o);
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[256], path[512];
	struct daemon d;
	char err[512];

	if (size < 1)
		return 0;
	snprintf(dir, sizeof(dir), "%s/s%u", work, seq++);
	CHECK(mkdir(dir, 0700) == 0);

	struct event_base *base = event_base_new();
	CHECK(base != NULL);
	daemon_init(&d, base, "/nonexistent/qemu-system-x86_64");
	snprintf(d.statedir, sizeof(d.statedir), "%s", dir);
	snprintf(d.defdir, sizeof(d.defdir), "%s/vms", dir);
	snprintf(d.runroot, sizeof(d.runroot), "%s/run", dir);
	snprintf(d.netdefdir, sizeof(d.netdefdir), "%s/networks", dir);
	snprintf(d.netrun, sizeof(d.netrun), "%s/netrun", dir);
	snprintf(d.sock, sizeof(d.sock), "%s/ctl.sock", dir);
	CHECK(mkdir(d.defdir, 0700) == 0 && mkdir(d.runroot, 0700) == 0 &&
	    mkdir(d.netdefdir, 0700) == 0);
	char text[1024];
	snprintf(path, sizeof(path), "%s/t1.img", dir);
	write_file(path, "");
	CHECK(truncate(path, 1 << 20) == 0);
	snprintf(text, sizeof(text), vm_def, dir);
	snprintf(path, sizeof(path), "%s/t1.conf", d.defdir);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/n1.conf", d.netdefdir);
	write_file(path, net_def);

	console_init(&d);
	heartbeat_init(&d);
	network_load_all(&d);
	vm_load_all(&d);
	CHECK(control_listen(&d, d.sock, err, sizeof(err)) == 0);
	struct fakeqemu fq = { .pid = -1, .peer = -1 };
	if ((data[0] & 2) && fake_vm(&d, &fq, dir) == -1)
		fprintf(stderr, "fuzz_control: t2 did not reach running\n");

	/* the request bytes */
	char *req;
	size_t reqlen;
	if (data[0] & 1)
		req = structured(data + 1, size - 1, &reqlen);
	else {
		reqlen = size - 1;
		CHECK((req = malloc(reqlen + 1)) != NULL);
		memcpy(req, data + 1, reqlen);
	}

	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strlcpy(sun.sun_path, d.sock, sizeof(sun.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	CHECK(fd != -1);
	CHECK(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);

	size_t off = 0, inlen = 0, incap = 1 << 16;
	char *in = malloc(incap);
	int wdone = 0, eof = 0;
	CHECK(in != NULL);
	long long end = now_ms() + BUDGET_MS;
	while (!eof && now_ms() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		fake_pump(&fq);
		if (!wdone) {
			ssize_t n = off < reqlen ? write(fd, req + off,
			    reqlen - off) : 0;
			if (n > 0)
				off += (size_t)n;
			else if (n == -1 && errno != EAGAIN)
				wdone = 1;	/* the supervisor closed */
			if (off == reqlen && !wdone) {
				shutdown(fd, SHUT_WR);
				wdone = 1;
			}
		}
		for (;;) {
			if (inlen == incap) {
				incap *= 2;
				CHECK((in = realloc(in, incap)) != NULL);
			}
			ssize_t n = read(fd, in + inlen, incap - inlen);
			if (n > 0)
				inlen += (size_t)n;
			else {
				if (n == 0)
					eof = 1;
				break;
			}
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (!eof)
			(void)poll(&pfd, 1, 0);
	}
	close(fd);
	check_answers(in, inlen);
	free(in);
	free(req);

	/* a last turn for what the close set off, then everything goes */
	event_base_loop(base, EVLOOP_NONBLOCK);
	fake_end(&d, &fq);
	control_close(&d);
	console_fini(&d);
	heartbeat_fini(&d);
	struct vm *vm, *tvm;
	TAILQ_FOREACH_SAFE(vm, &d.vms, entry, tvm)
		vm_remove(vm);
	network_fini(&d);
	daemon_fini(&d);
	event_base_free(base);
	CHECK(rmtree(dir) == 0);
	return 0;
}
