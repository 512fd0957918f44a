#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"
#include "util.h"

static int
props_add(struct props *p, const char *item, size_t len, char *err,
    size_t errlen)
{
	char *s = xcalloc(1, len + 1);
	size_t o = 0;

	/* un-double commas */
	for (size_t i = 0; i < len; i++) {
		s[o++] = item[i];
		if (item[i] == ',' && i + 1 < len && item[i + 1] == ',')
			i++;
	}
	s[o] = '\0';
	if (o == 0) {
		snprintf(err, errlen, "empty item in property list");
		free(s);
		return -1;
	}
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	struct prop *pr = &p->v[p->n];
	memset(pr, 0, sizeof(*pr));
	/* the key is what comes before the first '=' of the raw item */
	const char *eq = memchr(item, '=', len);
	if (eq != NULL) {
		size_t klen = (size_t)(eq - item);
		if (klen == 0) {
			snprintf(err, errlen, "property '%s' has no name", s);
			free(s);
			return -1;
		}
		pr->key = strndup(item, klen);
		pr->val = xstrdup(strchr(s, '=') + 1);
		free(s);
	} else
		pr->val = s;
	p->n++;
	return 0;
}

int
props_parse(const char *s, struct props *p, char *err, size_t errlen)
{
	const char *start = s;

	memset(p, 0, sizeof(*p));
	if (*s == '\0') {
		snprintf(err, errlen, "empty value");
		return -1;
	}
	for (const char *c = s; ; c++) {
		if (*c == ',' && c[1] == ',') {
			c++;
			continue;
		}
		if (*c == ',' || *c == '\0') {
			if (props_add(p, start, (size_t)(c - start), err,
			    errlen) == -1) {
				props_free(p);
				return -1;
			}
			if (*c == '\0')
				break;
			start = c + 1;
		}
	}
	return 0;
}

void
props_free(struct props *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].val);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

const char *
props_get(struct props *p, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].key != NULL && strcmp(p->v[i].key, key) == 0) {
			p->v[i].used = 1;
			v = p->v[i].val;
		}
	}
	return v;
}

const char *
props_pos(struct props *p, size_t idx)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].key == NULL && idx-- == 0) {
			p->v[i].used = 1;
			return p->v[i].val;
		}
	}
	return NULL;
}

const struct prop *
props_unused(const struct props *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (!p->v[i].used)
			return &p->v[i];
	return NULL;
}

char *
props_escape(const char *s)
{
	size_t n = 0;

	for (const char *c = s; *c; c++)
		n += *c == ',' ? 2 : 1;
	char *out = xcalloc(1, n + 1), *o = out;
	for (const char *c = s; *c; c++) {
		*o++ = *c;
		if (*c == ',')
			*o++ = ',';
	}
	*o = '\0';
	return out;
}
