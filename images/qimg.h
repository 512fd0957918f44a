/*
 * Image operations: qemu-img run by argv (no shell), with a timeout, its
 * output captured and its JSON (--output=json) read with json-c.
 *
 * The binary is $QEMU_IMG when set and not empty, else the one configure
 * found (QLAUNCH_QEMU_IMG).  Every function returns -1 with one line in
 * err on failure, built from qemu-img's own last line on its standard
 * error without its "qemu-img: " prefix:
 *
 *	cannot create /x.qcow2: Could not create '/x.qcow2': No such file
 *	or directory
 *
 * A format given as NULL is probed by qemu-img: that is for define time
 * and the image commands, never for starting a VM.  A relative path that
 * qemu-img would take for a protocol ("nbd:x") or an option ("-x") is
 * passed as "./PATH".
 */
#ifndef IMAGES_QIMG_H
#define IMAGES_QIMG_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

struct qimg_info {
	char		 format[32];
	uint64_t	 virtual_size;	/* bytes */
	uint64_t	 actual_size;	/* bytes allocated on the host */
	char		 backing[4096];	/* "" when none */
	char		 backing_format[32];
	int		 encrypted;
	int		 dirty;		/* qcow2 "corrupt" or dirty flag, when told */
	int		 nsnapshots;
};

/* qemu-img info --output=json -U PATH */
int	 qimg_info(const char *path, const char *format,
	    struct qimg_info *, char *err, size_t errlen);
/* The whole JSON of qemu-img info (for --json); *out is the caller's. */
int	 qimg_info_json(const char *path, const char *format,
	    struct json_object **out, char *err, size_t errlen);

/*
 * qemu-img create.  An existing file is refused ("... exists already"),
 * as qemu-img would truncate it: the file is made with O_EXCL first and
 * removed again when qemu-img fails.  size 0 with a backing file: the
 * backing file's size.  A backing file without backing_format gets the
 * format qemu-img probes in it (a relative backing file is relative to
 * the new image's directory, as qemu-img takes it).  preallocate: 0
 * sparse (the default), 1 full.
 */
int	 qimg_create(const char *path, const char *format, uint64_t size,
	    const char *backing, const char *backing_format, int preallocate,
	    char *err, size_t errlen);

/*
 * qemu-img resize.  grow > 0: by +size; grow < 0: by -size; 0: to size.
 * A smaller size than now is refused unless shrink_ok (--shrink).
 */
int	 qimg_resize(const char *path, const char *format, int grow,
	    int shrink_ok, uint64_t size, char *err, size_t errlen);

/*
 * qemu-img convert -p.  dst must not exist (made with O_EXCL, removed on
 * failure).  dst_format NULL: raw, as qemu-img.  sparse: 1 detects
 * zeroes (qemu-img's default), 0 writes every byte (-S 0).  progress,
 * when not NULL, is called with 0..100 as qemu-img reports it.  It
 * stops when qemu-img reports no progress for QIMG_IDLE_MS.
 */
int	 qimg_convert(const char *src, const char *src_format,
	    const char *dst, const char *dst_format, int sparse,
	    void (*progress)(void *, double), void *arg, char *err,
	    size_t errlen);

/*
 * The same with flags: QIMG_CONVERT_SPARSE is sparse above;
 * QIMG_CONVERT_SHARED reads a source that a paused QEMU holds open (-U:
 * without taking its lock).
 */
#define QIMG_CONVERT_SPARSE	0x01
#define QIMG_CONVERT_SHARED	0x02
/*
 * QIMG_CONVERT_NBD: dst is the URI of an NBD export that exists and
 * reads as zeroes (a new image behind it): written as it is, -n
 * --target-is-zero, nothing created or removed.
 */
#define QIMG_CONVERT_NBD	0x04
int	 qimg_convert_flags(const char *src, const char *src_format,
	    const char *dst, const char *dst_format, int flags,
	    void (*progress)(void *, double), void *arg, char *err,
	    size_t errlen);

/*
 * qemu-img check --output=json.  0: no errors; QIMG_CHECK_CORRUPT or
 * QIMG_CHECK_LEAKS (qemu-img's exit statuses) with err saying what was
 * found; the report is set in these three cases (the caller's).  -1 when
 * it could not check (no report).
 */
#define QIMG_CHECK_CORRUPT	2
#define QIMG_CHECK_LEAKS	3
int	 qimg_check(const char *path, const char *format,
	    struct json_object **report, char *err, size_t errlen);

/*
 * qemu-img commit -d: the content of the overlay path (format, NULL:
 * probed) goes into its backing file; path itself is left as it was
 * (-d), for the caller to remove.  Nothing may have either open.
 */
int	 qimg_commit(const char *path, const char *format, char *err,
	    size_t errlen);
/*
 * qemu-img rebase -u: the qcow2 image path names backing (in
 * backing_format) as its backing file, its data untouched (unsafe mode:
 * for a backing file that holds the same content as the old one, as
 * after a commit of the old into the new).
 */
int	 qimg_rebase_unsafe(const char *path, const char *backing,
	    const char *backing_format, char *err, size_t errlen);

/* The "snapshots" array of qemu-img info (empty when none). */
int	 qimg_snapshot_list(const char *path, struct json_object **snaps,
	    char *err, size_t errlen);

/*
 * Internal snapshots of a qcow2 image that no QEMU has open: qemu-img
 * snapshot -c (create), -a (apply: the image goes back to it), -d
 * (delete) TAG.  qemu-img snapshot takes no format: one given other than
 * qcow2 is refused here.
 */
int	 qimg_snapshot_create(const char *path, const char *format,
	    const char *tag, char *err, size_t errlen);
int	 qimg_snapshot_apply(const char *path, const char *format,
	    const char *tag, char *err, size_t errlen);
int	 qimg_snapshot_delete(const char *path, const char *format,
	    const char *tag, char *err, size_t errlen);

/* ---- helpers, pure (no qemu-img): tested on their own ---- */

/* The binary that runs: $QEMU_IMG, else the configured one. */
const char *qimg_binary(void);

/*
 * qemu-img info's JSON into the struct.  -1 with err when a member that
 * must be there (format, virtual-size) is missing or mistyped.
 */
int	 qimg_parse_info(struct json_object *, struct qimg_info *,
	    char *err, size_t errlen);
/*
 * A whole output that must be one JSON object: *out, or -1 with err
 * naming the fault and the start of the text.
 */
int	 qimg_parse_json(const char *buf, size_t len, struct json_object **out,
	    char *err, size_t errlen);
/* One "    (12.50/100%)" progress report of convert -p: 0 and *pct. */
int	 qimg_parse_progress(const char *s, double *pct);

/*
 * Sizes as qemu-img takes them: a bare number is bytes; a K, M, G or T
 * suffix (then B or iB allowed, any case) is a binary unit.  Up to
 * INT64_MAX, the most qemu-img takes.
 */
int	 qimg_parse_size(const char *, uint64_t *bytes, const char **err);
/* As qemu-img prints them: "1 GiB", "196 KiB", "1.5 GiB", "512 B". */
void	 qimg_human_size(uint64_t, char *buf, size_t len);

/* Time limits: quick commands, check, and convert without progress. */
#define QIMG_QUICK_MS	(60 * 1000)
#define QIMG_CHECK_MS	(60 * 60 * 1000)
#define QIMG_IDLE_MS	(10 * 60 * 1000)
/* The most of qemu-img's standard output kept (info of many snapshots). */
#define QIMG_MAX_OUT	(16u << 20)

#endif
