/* External snapshots' offline image work: see snapext.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jget.h"
#include "qimg.h"
#include "snapext.h"
#include "util.h"
#include "vmdef.h"

#define MAX_CHAIN	64	/* images followed down a backing chain */

int
snapext_base_format(struct json_object *disk, char *fmt, size_t len,
    char *err, size_t errlen)
{
	const char *f = jstr(disk, "backing_format"), *b = jstr(disk,
	    "backing");
	struct qimg_info in;
	char why[1024];

	if (f != NULL) {
		strlcpy(fmt, f, len);
		return 0;
	}
	if (b == NULL) {
		snprintf(err, errlen, "the snapshot's metadata names no base "
		    "image for disk %s", jstr_or(disk, "target", "?"));
		return -1;
	}
	if (qimg_info(b, NULL, &in, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "disk %s: %s", jstr_or(disk, "target",
		    "?"), why);
		return -1;
	}
	strlcpy(fmt, in.format, len);
	return 0;
}

/* The entry's target, overlay and base, checked present. */
static int
entry(struct json_object *disk, const char **t, const char **o,
    const char **b, char *err, size_t errlen)
{
	*t = jstr(disk, "target");
	*o = jstr(disk, "source");
	*b = jstr(disk, "backing");
	if (*t == NULL || *o == NULL || *b == NULL) {
		snprintf(err, errlen, "the snapshot's metadata lacks a disk's "
		    "target, overlay or base image");
		return -1;
	}
	return 0;
}

int
snapext_revert_check(const struct vmdef *d, struct json_object *meta,
    char *err, size_t errlen)
{
	struct json_object *disks = jget(meta, "disks");
	struct vmdef_disk k;
	const char *t, *o, *b;
	size_t i;

	if (disks == NULL || json_object_array_length(disks) == 0) {
		snprintf(err, errlen, "the snapshot's metadata lists no disks");
		return -1;
	}
	for (size_t n = 0; n < json_object_array_length(disks); n++) {
		if (entry(json_object_array_get_idx(disks, n), &t, &o, &b, err,
		    errlen) == -1)
			return -1;
		if (vmdef_disk_find(d, t, &i) == -1) {
			snprintf(err, errlen, "the VM has no disk %s any more",
			    t);
			return -1;
		}
		vmdef_disk_get(d, i, &k);
		if (k.path == NULL || strcmp(k.path, o) != 0) {
			snprintf(err, errlen, "disk %s is on %s, not on the "
			    "snapshot's overlay %s", t, k.path != NULL ?
			    k.path : "no medium", o);
			return -1;
		}
		if (access(b, R_OK) == -1) {
			snprintf(err, errlen, "disk %s: the snapshot's base "
			    "image %s: %s", t, b, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
tmp_name(const char *path, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s-tmp", path, what);
}

int
snapext_revert(const struct vmdef *d, struct json_object *meta, char *err,
    size_t errlen)
{
	struct json_object *disks = jget(meta, "disks");
	size_t n = disks != NULL ? json_object_array_length(disks) : 0;
	size_t made = 0, moved = 0;
	char fmt[32], tmp[PATH_MAX], old[PATH_MAX], why[1024];
	const char *t, *o, *b;

	if (snapext_revert_check(d, meta, err, errlen) == -1)
		return -1;
	/* every new overlay first, beside the old ones */
	for (; made < n; made++) {
		struct json_object *k = json_object_array_get_idx(disks, made);
		entry(k, &t, &o, &b, err, errlen);
		if (snapext_base_format(k, fmt, sizeof(fmt), err, errlen) == -1)
			goto undo;
		tmp_name(o, "revert", tmp, sizeof(tmp));
		unlink(tmp);	/* left by a supervisor that died here */
		if (qimg_create(tmp, "qcow2", 0, b, fmt, 0, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "disk %s: %s", t, why);
			goto undo;
		}
	}
	/* then each in place of the old one, which is kept until all are */
	for (; moved < n; moved++) {
		entry(json_object_array_get_idx(disks, moved), &t, &o, &b, err,
		    errlen);
		tmp_name(o, "revert", tmp, sizeof(tmp));
		tmp_name(o, "old", old, sizeof(old));
		if (rename(o, old) == -1) {
			snprintf(err, errlen, "disk %s: cannot rename %s: %s",
			    t, o, strerror(errno));
			goto undo;
		}
		if (rename(tmp, o) == -1) {
			snprintf(err, errlen, "disk %s: cannot rename %s: %s",
			    t, tmp, strerror(errno));
			rename(old, o);
			goto undo;
		}
	}
	for (size_t i = 0; i < n; i++) {
		entry(json_object_array_get_idx(disks, i), &t, &o, &b, err,
		    errlen);
		tmp_name(o, "old", old, sizeof(old));
		unlink(old);
	}
	return 0;
undo:
	for (size_t i = 0; i < made; i++) {
		entry(json_object_array_get_idx(disks, i), &t, &o, &b, why,
		    sizeof(why));
		tmp_name(o, "revert", tmp, sizeof(tmp));
		tmp_name(o, "old", old, sizeof(old));
		if (i < moved) {
			rename(o, tmp);
			rename(old, o);
		}
		unlink(tmp);
	}
	return -1;
}

int
snapext_chain_find(const char *top, const char *overlay, char *above,
    size_t len, char *err, size_t errlen)
{
	struct qimg_info in;
	char cur[PATH_MAX], why[1024];

	*err = '\0';
	if (strcmp(top, overlay) == 0)
		return 0;
	strlcpy(cur, top, sizeof(cur));
	for (int n = 0; n < MAX_CHAIN; n++) {
		/* reading a chain, not starting from it: probing is fine */
		if (qimg_info(cur, NULL, &in, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		if (in.backing[0] == '\0')
			return -1;
		if (strcmp(in.backing, overlay) == 0) {
			strlcpy(above, cur, len);
			return 1;
		}
		strlcpy(cur, in.backing, sizeof(cur));
	}
	snprintf(err, errlen, "%s: the backing chain is longer than %d images",
	    top, MAX_CHAIN);
	return -1;
}

int
snapext_merge(const char *top, struct json_object *disk, int *switched,
    char *err, size_t errlen)
{
	const char *t, *o, *b;
	char fmt[32], above[PATH_MAX], why[1024];
	int where;

	*switched = 0;
	if (entry(disk, &t, &o, &b, err, errlen) == -1 ||
	    snapext_base_format(disk, fmt, sizeof(fmt), err, errlen) == -1)
		return -1;
	where = snapext_chain_find(top, o, above, sizeof(above), why,
	    sizeof(why));
	if (where == -1) {
		snprintf(err, errlen, "disk %s: the snapshot's overlay %s is "
		    "not in the disk's backing chain%s%s", t, o,
		    *why != '\0' ? ": " : "", why);
		return -1;
	}
	if (qimg_commit(o, "qcow2", why, sizeof(why)) == -1) {
		snprintf(err, errlen, "disk %s: %s", t, why);
		return -1;
	}
	if (where == 0) {
		*switched = 1;
		return 0;
	}
	/* the overlay stays intact (-d): until this is done, above is right */
	if (qimg_rebase_unsafe(above, b, fmt, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "disk %s: %s", t, why);
		return -1;
	}
	return 0;
}
