/* The author's text of a definition, changed one key at a time. */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vmdef.h"

void
vmdef_text_set(struct vmdef *d, const char *key, const char *value)
{
	if (d->text == NULL)
		return;
	size_t klen = strlen(key), len = strlen(d->text);
	const char *line = d->text;
	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
		const char *k = line;
		while (k < line + n && (*k == ' ' || *k == '\t'))
			k++;
		const char *c = k + klen;
		while (c < line + n && (*c == ' ' || *c == '\t'))
			c++;
		if (*k != '#' && (size_t)(line + n - k) > klen &&
		    strncmp(k, key, klen) == 0 && c < line + n && *c == ':') {
			char *nt = xasprintf("%.*s%s: %s%s", (int)(line - d->text),
			    d->text, key, value, end != NULL ? end : "");
			free(d->text);
			d->text = nt;
			return;
		}
		line = end != NULL ? end + 1 : line + n;
	}
	char *nt = xasprintf("%s%s%s: %s\n", d->text,
	    len > 0 && d->text[len - 1] != '\n' ? "\n" : "", key, value);
	free(d->text);
	d->text = nt;
}
