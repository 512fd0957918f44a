/*
 * What the files of the definition share: errors in the "reason" form
 * that vmdef_set prefixes with the key, numbers from property values, and
 * the QMP command shape of vmdef_runtime_qmp.
 */
#ifndef LAUNCHER_DEFUTIL_H
#define LAUNCHER_DEFUTIL_H

#include <stddef.h>

struct json_object;
struct props;
struct vmdef;

/* Format the reason into err; returns -1, so "return def_err(...)". */
int	 def_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A number in [min, max]; the error reads "WHAT 'V': why (MIN to MAX)". */
int	 def_uint(const char *what, const char *v, long long min,
	    long long max, unsigned *out, char *err, size_t errlen);
/* "unknown property 'k'" or "unexpected value 'v'" for what was not read. */
int	 def_unused(const struct props *, char *err, size_t errlen);
/* The machine type: the first word of machine:, in buf. */
const char *machine_type(const struct vmdef *, char *buf, size_t len);
/* Does the machine type (the first word of machine:) name microvm? */
int	 def_microvm(const struct vmdef *);
/* Does it name q35 (q35, pc-q35-7.2, ...)? */
int	 def_q35(const struct vmdef *);
/*
 * The i-th line of key (0-based, in the order of the text, comments
 * skipped) of the stored text becomes "key: value", or goes when value is
 * NULL; i equal to the number of such lines adds one after the last of
 * them (at the end when there is none).  Nothing when d has no text.
 */
void	 vmdef_text_set_nth(struct vmdef *, const char *key, size_t i,
	    const char *value);
/*
 * Append "key=val" (or "val" when key is NULL), escaped, to the
 * property string *s (malloc'd, "" to start), a comma between items.
 */
void	 def_print_add(char **s, const char *key, const char *val);
/* Append {"execute": cmd, "arguments": args} to the array cmds. */
void	 def_cmd(struct json_object *cmds, const char *cmd,
	    struct json_object *args);

/* d becomes nd (a changed copy of it), which is freed. */
void	 def_take(struct vmdef *d, struct vmdef *nd);
/*
 * Hot-plug steps: append {"execute": cmd, "arguments": args, "undo":
 * {"execute": ucmd, "arguments": uargs}} to steps (no undo when ucmd is
 * NULL); args1 is {key: val}.
 */
void	 def_step(struct json_object *steps, const char *cmd,
	    struct json_object *args, const char *ucmd,
	    struct json_object *uargs);
struct json_object *def_args1(const char *key, const char *val);

#endif
