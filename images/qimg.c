/*
 * The image operations (see qimg.h): each builds qemu-img's argv, runs it
 * through qimg_run and reads what it printed.  Messages are built bare
 * here ("Could not open ...") and get their "cannot VERB PATH: " in the
 * public function.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "jget.h"
#include "qimg-run.h"
#include "qimg.h"
#include "util.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define MAXARGS		24
#define MSGLEN		1024

/* An argv being built; its strings live as long as the caller's. */
struct av {
	const char	*v[MAXARGS + 1];
	int		 n;
	char		 bufs[4][4200];	/* paths made "./PATH", numbers */
	int		 nbufs;
	const char	*file;		/* the last file name, as passed */
};

static void
av_init(struct av *a, const char *sub)
{
	a->n = 0;
	a->nbufs = 0;
	a->file = NULL;
	a->v[a->n++] = qimg_binary();
	a->v[a->n++] = sub;
	a->v[a->n] = NULL;
}

static void
av_add(struct av *a, const char *s)
{
	if (a->n >= MAXARGS)
		abort();	/* a bug here, not a user's error */
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void __attribute__((format(printf, 2, 3)))
av_addf(struct av *a, const char *fmt, ...)
{
	va_list ap;

	if (a->nbufs >= (int)nitems(a->bufs))
		abort();
	char *b = a->bufs[a->nbufs++];
	va_start(ap, fmt);
	vsnprintf(b, sizeof(a->bufs[0]), fmt, ap);
	va_end(ap);
	av_add(a, b);
}

/*
 * A file name as qemu-img must see it: a relative one that it would take
 * for a protocol ("nbd:x", a ':' before any '/') or for an option ("-x")
 * gets "./" before it.
 */
static void
av_file(struct av *a, const char *path)
{
	if (path[0] != '/' && (path[0] == '-' ||
	    path[strcspn(path, ":/\\")] == ':'))
		av_addf(a, "./%s", path);
	else
		av_add(a, path);
	a->file = a->v[a->n - 1];
}

static char *const *
av_argv(struct av *a)
{
	return (char *const *)a->v;
}

const char *
qimg_binary(void)
{
	const char *b = getenv("QEMU_IMG");

	return b != NULL && *b != '\0' ? b : QLAUNCH_QEMU_IMG;
}

/* Format names: qemu-img's driver names, short enough for qimg_info. */
static int
check_format(const char *f, char *msg, size_t len)
{
	size_t n = strlen(f);

	if (n == 0 || n >= sizeof(((struct qimg_info *)0)->format))
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)f[i]) &&
		    !isdigit((unsigned char)f[i]) && f[i] != '_' && f[i] != '-')
			goto bad;
	return 0;
bad:
	snprintf(msg, len, "'%s' is not a format name (such as qcow2 or raw)",
	    f);
	return -1;
}

static int
check_path(const char *p, char *msg, size_t len)
{
	if (p == NULL || *p == '\0') {
		snprintf(msg, len, "an empty file name");
		return -1;
	}
	if (strlen(p) >= 4096) {
		snprintf(msg, len, "the file name is too long");
		return -1;
	}
	return 0;
}

/*
 * qemu-img's message, without the file name it may begin with (the
 * caller's message names the file already) and without a repeated
 * first part.
 */
static void
message(const struct av *a, const struct qimg_run *r, char *msg, size_t len)
{
	size_t n;

	qimg_run_message(r, msg, len);
	if (a->file != NULL && strncmp(msg, a->file, n = strlen(a->file)) == 0 &&
	    msg[n] == ':' && msg[n + 1] == ' ')
		memmove(msg, msg + n + 2, strlen(msg + n + 2) + 1);
	/* "Could not open 'x': Could not open 'x': why": once is enough */
	char *sep = strstr(msg, ": ");
	if (sep != NULL) {
		n = (size_t)(sep - msg) + 2;
		if (strncmp(sep + 2, msg, n) == 0)
			memmove(msg, msg + n, strlen(msg + n) + 1);
	}
}

/*
 * Run a: the exit status, or -1 with the message.  ok_max: the highest
 * exit status that is not a failure (check's 2 and 3).
 */
static int
run(struct av *a, struct qimg_run *r, int ok_max, char *msg, size_t len)
{
	int st = qimg_run(av_argv(a), r, msg, len);

	if (st == -1)
		return -1;
	if (st > ok_max) {
		message(a, r, msg, len);
		qimg_run_free(r);
		return -1;
	}
	return st;
}

static int
info_json(const char *path, const char *format, struct json_object **out,
    char *msg, size_t len)
{
	struct qimg_run r = { .what = "info", .timeout_ms = QIMG_QUICK_MS };
	struct av a;

	*out = NULL;
	if (check_path(path, msg, len) == -1 ||
	    (format != NULL && check_format(format, msg, len) == -1))
		return -1;
	av_init(&a, "info");
	av_add(&a, "--output=json");
	av_add(&a, "-U");
	if (format != NULL) {
		av_add(&a, "-f");
		av_add(&a, format);
	}
	av_file(&a, path);
	if (run(&a, &r, 0, msg, len) == -1)
		return -1;
	int rc = qimg_parse_json(r.out, r.outlen, out, msg, len);
	qimg_run_free(&r);
	return rc;
}

static int
info(const char *path, const char *format, struct qimg_info *in, char *msg,
    size_t len)
{
	struct json_object *o;

	if (info_json(path, format, &o, msg, len) == -1)
		return -1;
	int rc = qimg_parse_info(o, in, msg, len);
	json_object_put(o);
	return rc;
}

int
qimg_info_json(const char *path, const char *format, struct json_object **out,
    char *err, size_t errlen)
{
	char msg[MSGLEN];

	if (info_json(path, format, out, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path, msg);
		return -1;
	}
	return 0;
}

int
qimg_info(const char *path, const char *format, struct qimg_info *in,
    char *err, size_t errlen)
{
	char msg[MSGLEN];

	if (info(path, format, in, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path, msg);
		return -1;
	}
	return 0;
}

/*
 * Make path with O_EXCL: 1 when made (ours to remove on failure), 0 when
 * it could not be made for another reason than its existence (qemu-img
 * then says why), -1 when it exists.
 */
static int
make_excl(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd == -1)
		return errno == EEXIST ? -1 : 0;
	close(fd);
	return 1;
}

/* The backing file as qemu-img opens it: relative to the image's dir. */
static void
backing_path(const char *image, const char *backing, char *out, size_t len)
{
	const char *slash = strrchr(image, '/');

	if (backing[0] == '/' || slash == NULL)
		strlcpy(out, backing, len);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - image + 1) - 1,
		    image, backing);
}

static int
create(const char *path, const char *format, uint64_t size,
    const char *backing, const char *bformat, int prealloc, char *msg,
    size_t len)
{
	struct qimg_run r = { .what = "create", .timeout_ms = QIMG_QUICK_MS };
	struct qimg_info bi;
	char bpath[4200], bmsg[MSGLEN];
	struct av a;

	if (check_path(path, msg, len) == -1 ||
	    check_format(format, msg, len) == -1 ||
	    (bformat != NULL && check_format(bformat, msg, len) == -1))
		return -1;
	if (backing != NULL && check_path(backing, msg, len) == -1)
		return -1;
	if (size > INT64_MAX) {
		snprintf(msg, len, "a size of more than 8 EiB");
		return -1;
	}
	if (backing != NULL && bformat == NULL) {
		backing_path(path, backing, bpath, sizeof(bpath));
		if (info(bpath, NULL, &bi, bmsg, sizeof(bmsg)) == -1) {
			snprintf(msg, len, "backing file %s: %s", bpath, bmsg);
			return -1;
		}
		bformat = bi.format;
	}
	av_init(&a, "create");
	av_add(&a, "-q");
	av_add(&a, "-f");
	av_add(&a, format);
	if (backing != NULL) {
		av_add(&a, "-b");
		av_file(&a, backing);
		av_add(&a, "-F");
		av_add(&a, bformat);
	}
	if (prealloc) {
		av_add(&a, "-o");
		av_add(&a, "preallocation=full");
		/* writing it all: allow 16 MiB/s */
		uint64_t ms = QIMG_QUICK_MS + size / (16u << 20) * 1000;
		r.timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
	}
	av_file(&a, path);
	if (size > 0 || backing == NULL)
		av_addf(&a, "%llu", (unsigned long long)size);

	int made = make_excl(path);
	if (made == -1) {
		snprintf(msg, len, "it exists already");
		return -1;
	}
	if (run(&a, &r, 0, msg, len) == -1) {
		if (made)
			unlink(path);
		return -1;
	}
	qimg_run_free(&r);
	return 0;
}

int
qimg_create(const char *path, const char *format, uint64_t size,
    const char *backing, const char *backing_format, int preallocate,
    char *err, size_t errlen)
{
	char msg[MSGLEN];

	if (create(path, format, size, backing, backing_format, preallocate,
	    msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", path, msg);
		return -1;
	}
	return 0;
}

static int
resize(const char *path, const char *format, int grow, int shrink_ok,
    uint64_t size, char *msg, size_t len)
{
	struct qimg_run r = { .what = "resize", .timeout_ms = QIMG_QUICK_MS };
	struct qimg_info in;
	char hc[32], hn[32], hs[32];
	uint64_t to;
	struct av a;

	if (info(path, format, &in, msg, len) == -1)
		return -1;
	qimg_human_size(in.virtual_size, hc, sizeof(hc));
	qimg_human_size(size, hs, sizeof(hs));
	if (grow > 0) {
		if (size > INT64_MAX - in.virtual_size) {
			snprintf(msg, len, "%s + %s is more than 8 EiB", hc,
			    hs);
			return -1;
		}
		to = in.virtual_size + size;
	} else if (grow < 0) {
		if (size > in.virtual_size) {
			snprintf(msg, len, "it is %s, less than the %s to take "
			    "off", hc, hs);
			return -1;
		}
		to = in.virtual_size - size;
	} else if (size > INT64_MAX) {
		snprintf(msg, len, "a size of more than 8 EiB");
		return -1;
	} else
		to = size;
	qimg_human_size(to, hn, sizeof(hn));
	if (to < in.virtual_size && !shrink_ok) {
		snprintf(msg, len, "shrinking it from %s to %s loses what is "
		    "past %s; give --shrink to do it", hc, hn, hn);
		return -1;
	}
	av_init(&a, "resize");
	av_add(&a, "-q");
	av_add(&a, "-f");
	av_add(&a, in.format);
	if (to < in.virtual_size)
		av_add(&a, "--shrink");
	av_file(&a, path);
	av_addf(&a, "%llu", (unsigned long long)to);
	if (run(&a, &r, 0, msg, len) == -1)
		return -1;
	qimg_run_free(&r);
	return 0;
}

int
qimg_resize(const char *path, const char *format, int grow, int shrink_ok,
    uint64_t size, char *err, size_t errlen)
{
	char msg[MSGLEN];

	if (check_path(path, msg, sizeof(msg)) == 0 &&
	    (format == NULL || check_format(format, msg, sizeof(msg)) == 0) &&
	    resize(path, format, grow, shrink_ok, size, msg,
	    sizeof(msg)) == 0)
		return 0;
	snprintf(err, errlen, "cannot resize %s: %s", path, msg);
	return -1;
}

/* convert -p's reports, "    (12.50/100%)\r", split over reads. */
struct progress {
	void	(*fn)(void *, double);
	void	*arg;
	char	 line[128];
	size_t	 len;
	double	 last;
};

static void
progress_line(struct progress *p)
{
	double pct;

	p->line[p->len] = '\0';
	p->len = 0;
	if (qimg_parse_progress(p->line, &pct) == 0 && pct != p->last) {
		p->last = pct;
		if (p->fn != NULL)
			p->fn(p->arg, pct);
	}
}

static void
progress_out(void *arg, const char *buf, size_t n)
{
	struct progress *p = arg;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\r' || buf[i] == '\n')
			progress_line(p);
		else if (p->len < sizeof(p->line) - 1)
			p->line[p->len++] = buf[i];
	}
}

static int
convert(const char *src, const char *sfmt, const char *dst, const char *dfmt,
    int flags, struct progress *p, char *msg, size_t len)
{
	struct qimg_run r = { .what = "convert", .idle_ms = QIMG_IDLE_MS,
	    .on_out = progress_out, .arg = p };
	struct av a;

	if (check_path(src, msg, len) == -1 || check_path(dst, msg, len) == -1 ||
	    (sfmt != NULL && check_format(sfmt, msg, len) == -1) ||
	    check_format(dfmt, msg, len) == -1)
		return -1;
	av_init(&a, "convert");
	av_add(&a, "-p");
	if (flags & QIMG_CONVERT_SHARED)
		av_add(&a, "-U");
	if (sfmt != NULL) {
		av_add(&a, "-f");
		av_add(&a, sfmt);
	}
	av_add(&a, "-O");
	av_add(&a, dfmt);
	if (!(flags & QIMG_CONVERT_SPARSE)) {
		av_add(&a, "-S");
		av_add(&a, "0");
	}
	av_file(&a, src);
	if (flags & QIMG_CONVERT_NBD) {
		av_add(&a, "-n");
		av_add(&a, "--target-is-zero");
		av_add(&a, dst);
	} else
		av_file(&a, dst);

	int made = (flags & QIMG_CONVERT_NBD) ? 0 : make_excl(dst);
	if (made == -1) {
		snprintf(msg, len, "%s exists already", dst);
		return -1;
	}
	if (run(&a, &r, 0, msg, len) == -1) {
		if (made)
			unlink(dst);
		return -1;
	}
	qimg_run_free(&r);
	if (p->len > 0)
		progress_line(p);
	if (p->last != 100 && p->fn != NULL)
		p->fn(p->arg, 100);
	return 0;
}

int
qimg_convert(const char *src, const char *src_format, const char *dst,
    const char *dst_format, int sparse, void (*progress)(void *, double),
    void *arg, char *err, size_t errlen)
{
	return qimg_convert_flags(src, src_format, dst, dst_format,
	    sparse ? QIMG_CONVERT_SPARSE : 0, progress, arg, err, errlen);
}

int
qimg_convert_flags(const char *src, const char *src_format, const char *dst,
    const char *dst_format, int flags, void (*progress)(void *, double),
    void *arg, char *err, size_t errlen)
{
	struct progress p = { .fn = progress, .arg = arg, .last = -1 };
	char msg[MSGLEN];

	if (convert(src, src_format, dst, dst_format != NULL ? dst_format :
	    "raw", flags, &p, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "cannot convert %s to %s: %s", src, dst,
		    msg);
		return -1;
	}
	return 0;
}

int
qimg_check(const char *path, const char *format, struct json_object **report,
    char *err, size_t errlen)
{
	struct qimg_run r = { .what = "check", .timeout_ms = QIMG_CHECK_MS };
	char msg[MSGLEN];
	struct av a;
	int st;

	*report = NULL;
	if (check_path(path, msg, sizeof(msg)) == -1 ||
	    (format != NULL && check_format(format, msg, sizeof(msg)) == -1))
		goto fail;
	av_init(&a, "check");
	av_add(&a, "--output=json");
	if (format != NULL) {
		av_add(&a, "-f");
		av_add(&a, format);
	}
	av_file(&a, path);
	/* 2: corruptions found, 3: leaks only; a report comes with both */
	if ((st = run(&a, &r, QIMG_CHECK_LEAKS, msg, sizeof(msg))) == -1)
		goto fail;
	if (st == 1) {
		message(&a, &r, msg, sizeof(msg));
		qimg_run_free(&r);
		goto fail;
	}
	int rc = qimg_parse_json(r.out, r.outlen, report, msg, sizeof(msg));
	qimg_run_free(&r);
	if (rc == -1)
		goto fail;
	if (st == QIMG_CHECK_CORRUPT)
		snprintf(err, errlen, "%s: %lld errors were found on the image; "
		    "data may be corrupted", path, jint(*report, "corruptions",
		    0) + jint(*report, "check-errors", 0));
	else if (st == QIMG_CHECK_LEAKS)
		snprintf(err, errlen, "%s: %lld leaked clusters were found on "
		    "the image; this wastes disk space but does no harm to data",
		    path, jint(*report, "leaks", 0));
	return st;
fail:
	snprintf(err, errlen, "cannot check %s: %s", path, msg);
	return -1;
}

/* qemu-img snapshot OPT TAG PATH: -c, -a or -d, named verb in messages */
static int
snapshot(const char *path, const char *format, const char *opt,
    const char *verb, const char *tag, char *err, size_t errlen)
{
	struct qimg_run r = { .what = "snapshot", .timeout_ms = QIMG_CHECK_MS };
	char msg[MSGLEN];
	struct av a;

	if (check_path(path, msg, sizeof(msg)) == -1 ||
	    (format != NULL && check_format(format, msg, sizeof(msg)) == -1))
		goto fail;
	if (tag == NULL || *tag == '\0') {
		snprintf(msg, sizeof(msg), "an empty snapshot name");
		goto fail;
	}
	/* qemu-img snapshot takes no -f: only a qcow2 image comes here */
	if (format != NULL && strcmp(format, "qcow2") != 0) {
		snprintf(msg, sizeof(msg), "a %s image has no snapshots (only "
		    "qcow2)", format);
		goto fail;
	}
	av_init(&a, "snapshot");
	av_add(&a, "-q");
	av_add(&a, opt);
	av_add(&a, tag);
	av_file(&a, path);
	if (run(&a, &r, 0, msg, sizeof(msg)) == -1)
		goto fail;
	qimg_run_free(&r);
	return 0;
fail:
	snprintf(err, errlen, "cannot %s snapshot %s of %s: %s", verb, tag,
	    path, msg);
	return -1;
}

int
qimg_snapshot_create(const char *path, const char *format, const char *tag,
    char *err, size_t errlen)
{
	return snapshot(path, format, "-c", "create", tag, err, errlen);
}

int
qimg_snapshot_apply(const char *path, const char *format, const char *tag,
    char *err, size_t errlen)
{
	return snapshot(path, format, "-a", "revert to", tag, err, errlen);
}

int
qimg_snapshot_delete(const char *path, const char *format, const char *tag,
    char *err, size_t errlen)
{
	return snapshot(path, format, "-d", "delete", tag, err, errlen);
}

int
qimg_snapshot_list(const char *path, struct json_object **snaps, char *err,
    size_t errlen)
{
	struct json_object *o, *s;
	char msg[MSGLEN];

	*snaps = NULL;
	if (info_json(path, NULL, &o, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "cannot list the snapshots of %s: %s",
		    path, msg);
		return -1;
	}
	s = jget(o, "snapshots");
	if (s != NULL && !json_object_is_type(s, json_type_array)) {
		json_object_put(o);
		snprintf(err, errlen, "cannot list the snapshots of %s: "
		    "qemu-img's \"snapshots\" is not an array", path);
		return -1;
	}
	*snaps = s != NULL ? json_object_get(s) : json_object_new_array();
	json_object_put(o);
	return 0;
}

int
qimg_commit(const char *path, const char *format, char *err, size_t errlen)
{
	struct qimg_run r = { .what = "commit", .timeout_ms = QIMG_CHECK_MS };
	char msg[MSGLEN];
	struct av a;

	if (check_path(path, msg, sizeof(msg)) == -1 ||
	    (format != NULL && check_format(format, msg, sizeof(msg)) == -1))
		goto fail;
	av_init(&a, "commit");
	av_add(&a, "-q");
	if (format != NULL) {
		av_add(&a, "-f");
		av_add(&a, format);
	}
	/* -d: the overlay is removed by the caller, no need to empty it */
	av_add(&a, "-d");
	av_file(&a, path);
	if (run(&a, &r, 0, msg, sizeof(msg)) == -1)
		goto fail;
	qimg_run_free(&r);
	return 0;
fail:
	snprintf(err, errlen, "cannot commit %s into its backing file: %s",
	    path, msg);
	return -1;
}

int
qimg_rebase_unsafe(const char *path, const char *backing,
    const char *backing_format, char *err, size_t errlen)
{
	struct qimg_run r = { .what = "rebase", .timeout_ms = QIMG_QUICK_MS };
	char msg[MSGLEN];
	struct av a;

	if (check_path(path, msg, sizeof(msg)) == -1 ||
	    check_path(backing, msg, sizeof(msg)) == -1 ||
	    check_format(backing_format, msg, sizeof(msg)) == -1)
		goto fail;
	av_init(&a, "rebase");
	av_add(&a, "-q");
	av_add(&a, "-f");
	av_add(&a, "qcow2");
	av_add(&a, "-u");
	av_add(&a, "-F");
	av_add(&a, backing_format);
	av_add(&a, "-b");
	av_add(&a, backing);
	av_file(&a, path);
	if (run(&a, &r, 0, msg, sizeof(msg)) == -1)
		goto fail;
	qimg_run_free(&r);
	return 0;
fail:
	snprintf(err, errlen, "cannot rebase %s onto %s: %s", path,
	    backing, msg);
	return -1;
}
