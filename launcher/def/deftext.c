/* The author's text of a definition, changed one key line at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defutil.h"
#include "util.h"
#include "vmdef.h"

/* A line of the text: from start to end, its newline or the NUL. */
struct keyline {
	size_t	start, end;
};

/* The lines of key in text, in order, comments skipped; malloc'd. */
static struct keyline *
key_lines(const char *text, const char *key, size_t *np)
{
	struct keyline *v = NULL;
	size_t klen = strlen(key), n = 0;
	const char *line = text;

	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		const char *k = line;
		while (k < line + len && (*k == ' ' || *k == '\t'))
			k++;
		const char *c = k + klen;
		while (c < line + len && (*c == ' ' || *c == '\t'))
			c++;
		if (*k != '#' && (size_t)(line + len - k) > klen &&
		    strncmp(k, key, klen) == 0 && c < line + len && *c == ':') {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n].start = (size_t)(line - text);
			v[n++].end = (size_t)(line - text) + len;
		}
		line += len + (end != NULL);
	}
	*np = n;
	return v;
}

/* Put s in place of text[from, to). */
static void
splice(struct vmdef *d, size_t from, size_t to, const char *s)
{
	char *nt = xasprintf("%.*s%s%s", (int)from, d->text, s, d->text + to);

	free(d->text);
	d->text = nt;
}

/* Add a line at the end. */
static void
append(struct vmdef *d, const char *key, const char *value)
{
	size_t len = strlen(d->text);
	char *nt = xasprintf("%s%s%s: %s\n", d->text,
	    len > 0 && d->text[len - 1] != '\n' ? "\n" : "", key, value);

	free(d->text);
	d->text = nt;
}

void
vmdef_text_set(struct vmdef *d, const char *key, const char *value)
{
	struct keyline *v;
	size_t n;

	if (d->text == NULL)
		return;
	if ((v = key_lines(d->text, key, &n)) != NULL) {
		char *s = xasprintf("%s: %s", key, value);
		splice(d, v[0].start, v[0].end, s);
		free(s);
	} else
		append(d, key, value);
	free(v);
}

void
vmdef_text_set_nth(struct vmdef *d, const char *key, size_t i,
    const char *value)
{
	struct keyline *v;
	size_t n;

	if (d->text == NULL)
		return;
	v = key_lines(d->text, key, &n);
	if (i < n && value == NULL) {
		size_t to = v[i].end + (d->text[v[i].end] == '\n');
		splice(d, v[i].start, to, "");
	} else if (i < n || (i == n && n > 0 && value != NULL)) {
		char *s = xasprintf("%s%s: %s", i < n ? "" : "\n", key, value);
		size_t at = i < n ? v[i].start : v[n - 1].end;
		splice(d, at, i < n ? v[i].end : at, s);
		free(s);
	} else if (i == n && value != NULL)
		append(d, key, value);
	free(v);
}
