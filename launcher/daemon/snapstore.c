/* Snapshot metadata on disk: see snapstore.h. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fsutil.h"
#include "jget.h"
#include "parse.h"
#include "snapstore.h"

#define SUFFIX	".json"

static int
file_of(const char *dir, const char *name, char *buf, size_t len)
{
	if (name == NULL || !valid_name(name))
		return -1;
	snprintf(buf, len, "%s/%s" SUFFIX, dir, name);
	return 0;
}

int
snapstore_put(const char *dir, struct json_object *meta, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	const char *s;

	if (file_of(dir, jstr(meta, "name"), path, sizeof(path)) == -1) {
		snprintf(err, errlen, "'%s' is not a valid snapshot name",
		    jstr(meta, "name") != NULL ? jstr(meta, "name") : "");
		return -1;
	}
	if (mkdirs(dir, 0700) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	s = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (write_file_atomic(path, s, strlen(s), 0600) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct json_object *
snapstore_get(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX], *text;
	struct json_object *o;

	if (file_of(dir, name, path, sizeof(path)) == -1 ||
	    (text = read_file(path, NULL)) == NULL) {
		if (name != NULL && valid_name(name) && errno != ENOENT)
			snprintf(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
		else
			snprintf(err, errlen, "no snapshot named '%s'",
			    name != NULL ? name : "");
		return NULL;
	}
	o = json_tokener_parse(text);
	free(text);
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    jstr(o, "name") == NULL || strcmp(jstr(o, "name"), name) != 0) {
		json_object_put(o);
		snprintf(err, errlen, "%s: not the metadata of snapshot %s",
		    path, name);
		return NULL;
	}
	return o;
}

int
snapstore_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return file_of(dir, name, path, sizeof(path)) == 0 &&
	    access(path, F_OK) == 0;
}

static int
older(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	long long tx = jint(x, "creationTime", 0), ty = jint(y, "creationTime",
	    0);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(jstr(x, "name"), jstr(y, "name"));
}

struct json_object *
snapstore_list(const char *dir, char *err, size_t errlen)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct dirent *e;
	DIR *dp;
	char name[NAME_MAX + 1];

	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return arr;
		snprintf(err, errlen, "cannot read %s: %s", dir,
		    strerror(errno));
		json_object_put(arr);
		return NULL;
	}
	while ((e = readdir(dp)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n <= strlen(SUFFIX) || strcmp(e->d_name + n -
		    strlen(SUFFIX), SUFFIX) != 0)
			continue;	/* ., .., the temporary files */
		snprintf(name, sizeof(name), "%.*s", (int)(n - strlen(SUFFIX)),
		    e->d_name);
		if (!valid_name(name))
			continue;
		if ((o = snapstore_get(dir, name, err, errlen)) == NULL) {
			closedir(dp);
			json_object_put(arr);
			return NULL;
		}
		json_object_array_add(arr, o);
	}
	closedir(dp);
	json_object_array_sort(arr, older);
	return arr;
}

struct json_object *
snapstore_current(const char *dir)
{
	char err[256];
	struct json_object *all = snapstore_list(dir, err, sizeof(err)), *cur;

	if (all == NULL)
		return NULL;
	cur = NULL;
	for (size_t i = 0; i < json_object_array_length(all) && !cur; i++) {
		struct json_object *o = json_object_array_get_idx(all, i);
		if (jbool(o, "current"))
			cur = json_object_get(o);
	}
	json_object_put(all);
	return cur;
}

int
snapstore_set_current(const char *dir, const char *name, char *err,
    size_t errlen)
{
	struct json_object *all = snapstore_list(dir, err, errlen);
	int rc = 0;

	if (all == NULL)
		return -1;
	for (size_t i = 0; i < json_object_array_length(all) && rc == 0; i++) {
		struct json_object *o = json_object_array_get_idx(all, i);
		int want = name != NULL && strcmp(jstr(o, "name"), name) == 0;
		if (jbool(o, "current") == want)
			continue;
		json_object_object_add(o, "current",
		    json_object_new_boolean(want));
		rc = snapstore_put(dir, o, err, errlen);
	}
	json_object_put(all);
	return rc;
}

int
snapstore_del(const char *dir, const char *name, char *err, size_t errlen)
{
	struct json_object *all = snapstore_list(dir, err, errlen), *me = NULL;
	char path[PATH_MAX];
	int rc = 0;

	if (all == NULL)
		return -1;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		struct json_object *o = json_object_array_get_idx(all, i);
		if (strcmp(jstr(o, "name"), name) == 0)
			me = o;
	}
	if (me == NULL) {
		snprintf(err, errlen, "no snapshot named '%s'", name);
		json_object_put(all);
		return -1;
	}
	const char *parent = jstr(me, "parent");
	for (size_t i = 0; i < json_object_array_length(all) && rc == 0; i++) {
		struct json_object *o = json_object_array_get_idx(all, i);
		const char *p = jstr(o, "parent");
		int cur = jbool(me, "current") && parent != NULL &&
		    strcmp(jstr(o, "name"), parent) == 0;
		if (o == me || ((p == NULL || strcmp(p, name) != 0) && !cur))
			continue;
		if (p != NULL && strcmp(p, name) == 0)
			json_object_object_add(o, "parent", parent != NULL ?
			    json_object_new_string(parent) : NULL);
		if (cur)
			json_object_object_add(o, "current",
			    json_object_new_boolean(1));
		rc = snapstore_put(dir, o, err, errlen);
	}
	file_of(dir, name, path, sizeof(path));
	if (rc == 0 && unlink(path) == -1) {
		snprintf(err, errlen, "cannot remove %s: %s", path,
		    strerror(errno));
		rc = -1;
	}
	json_object_put(all);
	return rc;
}

static int
count_below(struct json_object *list, const char *name, int depth)
{
	int n = 0;

	if (depth > 10000)
		return 0;	/* a loop in edited files: stop */
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_array_get_idx(list, i);
		const char *p = jstr(o, "parent");
		if (p != NULL && strcmp(p, name) == 0)
			n += 1 + count_below(list, jstr(o, "name"), depth + 1);
	}
	return n;
}

void
snapstore_family(struct json_object *list, const char *name, int *children,
    int *descendants)
{
	*children = 0;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *p = jstr(json_object_array_get_idx(list, i),
		    "parent");
		if (p != NULL && strcmp(p, name) == 0)
			(*children)++;
	}
	*descendants = count_below(list, name, 0);
}
