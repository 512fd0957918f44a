/*
 * libFuzzer target for the property-string parser (launcher/common/
 * props.c): "key=val,key=val" with ",," for a literal comma, the syntax
 * of --disk/--network and of definition values.
 *
 * The input is the string (cut at its first NUL).  Invariants:
 *  - an error leaves nothing allocated and says why; success gives at
 *    least one item, none empty, no key empty;
 *  - every item is found again: props_get(key) is the last item of that
 *    key, props_pos(i) the i-th positional one, and after both nothing is
 *    unused;
 *  - printing the items back (key=escaped value, or the escaped value;
 *    the key as it was written) and parsing that gives the same items,
 *    unless a positional value holds '=' (it would read as a key then);
 *  - props_escape doubles exactly the commas and nothing else.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "props.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
FUZZ_UBSAN_OPTIONS

static void
check_escape(const char *v)
{
	char *e = props_escape(v);
	size_t commas = 0, j = 0;

	for (const char *c = v; *c; c++)
		commas += *c == ',';
	CHECK(strlen(e) == strlen(v) + commas);
	for (const char *c = v; *c; c++) {
		CHECK(e[j++] == *c);
		if (*c == ',')
			CHECK(e[j++] == ',');
	}
	free(e);
}

static char *
print(const struct props *p, int *ambiguous)
{
	size_t cap = 1;
	*ambiguous = 0;
	for (size_t i = 0; i < p->n; i++)
		cap += (p->v[i].key ? strlen(p->v[i].key) + 1 : 0) +
		    2 * strlen(p->v[i].val) + 1;
	char *s = calloc(1, cap);
	CHECK(s != NULL);
	for (size_t i = 0; i < p->n; i++) {
		char *e = props_escape(p->v[i].val);
		if (i > 0)
			strlcat(s, ",", cap);
		if (p->v[i].key != NULL) {
			strlcat(s, p->v[i].key, cap);
			strlcat(s, "=", cap);
		} else if (strchr(p->v[i].val, '=') != NULL)
			*ambiguous = 1;
		strlcat(s, e, cap);
		free(e);
	}
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	char err[256] = "";
	struct props p;

	CHECK(s != NULL);
	if (props_parse(s, &p, err, sizeof(err)) == -1) {
		CHECK(err[0] != '\0');
		CHECK(p.n == 0 && p.v == NULL);
		free(s);
		return 0;
	}
	CHECK(p.n > 0);
	size_t npos = 0;
	for (size_t i = 0; i < p.n; i++) {
		const struct prop *pr = &p.v[i];
		CHECK(pr->val != NULL && !pr->used);
		if (pr->key == NULL) {
			CHECK(pr->val[0] != '\0');
			npos++;
		} else
			CHECK(pr->key[0] != '\0');
		check_escape(pr->val);
	}

	int ambiguous;
	char *text = print(&p, &ambiguous);
	if (!ambiguous) {
		struct props q;
		CHECK(props_parse(text, &q, err, sizeof(err)) == 0);
		CHECK(q.n == p.n);
		for (size_t i = 0; i < p.n; i++) {
			CHECK((p.v[i].key == NULL) == (q.v[i].key == NULL));
			if (p.v[i].key != NULL)
				CHECK(strcmp(p.v[i].key, q.v[i].key) == 0);
			CHECK(strcmp(p.v[i].val, q.v[i].val) == 0);
		}
		props_free(&q);
	}
	free(text);

	for (size_t i = 0; i < p.n; i++) {
		if (p.v[i].key == NULL)
			continue;
		const char *last = NULL;
		for (size_t j = 0; j < p.n; j++)
			if (p.v[j].key && strcmp(p.v[j].key, p.v[i].key) == 0)
				last = p.v[j].val;
		CHECK(props_get(&p, p.v[i].key) == last);
	}
	for (size_t i = 0; i < npos; i++)
		CHECK(props_pos(&p, i) != NULL);
	CHECK(props_pos(&p, npos) == NULL);
	CHECK(props_unused(&p) == NULL);
	props_free(&p);
	CHECK(p.n == 0 && p.v == NULL);
	free(s);
	return 0;
}
