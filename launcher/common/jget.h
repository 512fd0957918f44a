/*
 * Typed getters for json-c objects: one place decides what a missing or
 * mistyped member means.  o may be NULL or not an object (all absent).
 */
#ifndef LAUNCHER_JGET_H
#define LAUNCHER_JGET_H

#include <stdint.h>

struct json_object;

/* The member if it exists, else NULL. */
struct json_object *jget(struct json_object *o, const char *key);
/* The string value; NULL when absent or not a string. */
const char	*jstr(struct json_object *o, const char *key);
/* The same, or dflt when absent or not a string (for printing: "-"). */
const char	*jstr_or(struct json_object *o, const char *key,
		    const char *dflt);
/* The integer value; dflt when absent or not an integer. */
long long	 jint(struct json_object *o, const char *key, long long dflt);
/* 1 only for a member that is true. */
int		 jbool(struct json_object *o, const char *key);
/*
 * Strict: an integer in [min, max].  0 with *out set; -1 when absent; -2
 * when present but not an integer in range.
 */
int		 jint_range(struct json_object *o, const char *key,
		    long long min, long long max, long long *out);
/*
 * The first object of the array a whose string member key is val (QMP's
 * lists: {"capability": NAME, ...}, {"name": NAME, ...}); NULL when none
 * or a is not an array.
 */
struct json_object *jfind(struct json_object *a, const char *key,
		    const char *val);

#endif
