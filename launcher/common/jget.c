#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "jget.h"

struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

const char *
jstr_or(struct json_object *o, const char *key, const char *dflt)
{
	const char *s = jstr(o, key);

	return s != NULL ? s : dflt;
}

long long
jint(struct json_object *o, const char *key, long long dflt)
{
	struct json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_int) ?
	    (long long)json_object_get_int64(v) : dflt;
}

int
jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v);
}

int
jint_range(struct json_object *o, const char *key, long long min,
    long long max, long long *out)
{
	struct json_object *v = jget(o, key);

	if (v == NULL)
		return -1;
	if (!json_object_is_type(v, json_type_int))
		return -2;
	errno = 0;
	long long n = json_object_get_int64(v);
	if (errno != 0 || n < min || n > max)
		return -2;
	*out = n;
	return 0;
}

struct json_object *
jfind(struct json_object *a, const char *key, const char *val)
{
	size_t n = json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		const char *s = jstr(e, key);
		if (s != NULL && strcmp(s, val) == 0)
			return e;
	}
	return NULL;
}
