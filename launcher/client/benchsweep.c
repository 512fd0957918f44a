/*
 * The sweep: the table of options migrate-bench may vary, the parser of
 * --vary, and the numbering of the cross product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "benchsweep.h"
#include "util.h"
#include "xalloc.h"

static const struct bench_key keys[] = {
	{ "bandwidth",		"bandwidth",	0, 1, 1 << 20, -1 },
	{ "downtime",		"downtime",	0, 1, 2000000, -1 },
	{ "multifd",		"multifd",	0, 0, 255, 0 },
	{ "xbzrle",		"xbzrle",	1, 0, 1, 0 },
	{ "auto-converge",	"auto_converge", 1, 0, 1, 0 },
};

static const struct {
	const char	*word;
	int		 v;
} bools[] = {
	{ "on", 1 }, { "off", 0 }, { "yes", 1 }, { "no", 0 },
	{ "true", 1 }, { "false", 0 }, { "1", 1 }, { "0", 0 },
};

const struct bench_key *
bench_key_find(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

void
bench_key_list(char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, keys[i].name, len);
	}
}

int
bench_key_value(const struct bench_key *k, const char *s, long long *v,
    char *err, size_t errlen)
{
	const char *why = NULL;

	if (k->boolean) {
		for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
			if (strcmp(bools[i].word, s) == 0) {
				*v = bools[i].v;
				return 0;
			}
		snprintf(err, errlen, "%s '%s': on or off", k->name, s);
		return -1;
	}
	*v = strtonum(s, k->min, k->max, &why);
	if (why != NULL) {
		snprintf(err, errlen, "%s '%s': not a number from %lld to %lld",
		    k->name, s, k->min, k->max);
		return -1;
	}
	return 0;
}

void
bench_key_arg(const struct bench_key *k, long long v, struct json_object *a)
{
	if (k->boolean) {
		if (v)
			json_object_object_add(a, k->arg,
			    json_object_new_boolean(1));
	} else if (v != k->none)
		json_object_object_add(a, k->arg, json_object_new_int64(v));
}

static void
vary_clear(struct bench_vary *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->text[i]);
	memset(v, 0, sizeof(*v));
}

int
bench_vary_parse(struct bench_sweep *s, const char *arg, char *err,
    size_t errlen)
{
	char name[32], list[256], e[200];
	const char *eq = strchr(arg, '=');
	struct bench_vary v;
	size_t combos;

	memset(&v, 0, sizeof(v));
	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(name)) {
		snprintf(err, errlen, "--vary '%s': KEY=V1,V2,... expected",
		    arg);
		return -1;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if ((v.key = bench_key_find(name)) == NULL) {
		bench_key_list(list, sizeof(list));
		snprintf(err, errlen, "--vary '%s': no option '%s' to vary "
		    "(%s)", arg, name, list);
		return -1;
	}
	if (bench_varies(s, name)) {
		snprintf(err, errlen, "--vary '%s': %s is varied twice", arg,
		    name);
		return -1;
	}
	if (s->nvary == BENCH_MAX_VARY) {
		snprintf(err, errlen, "--vary '%s': at most %d options vary",
		    arg, BENCH_MAX_VARY);
		return -1;
	}
	for (const char *p = eq + 1;; ) {
		const char *c = strchr(p, ',');
		size_t n = c != NULL ? (size_t)(c - p) : strlen(p);
		char val[32];
		if (n == 0 || n >= sizeof(val)) {
			snprintf(err, errlen, "--vary '%s': %s value", arg,
			    n == 0 ? "an empty" : "a too long");
			goto bad;
		}
		if (v.n == BENCH_MAX_VALUES) {
			snprintf(err, errlen, "--vary '%s': at most %d values",
			    arg, BENCH_MAX_VALUES);
			goto bad;
		}
		memcpy(val, p, n);
		val[n] = '\0';
		if (bench_key_value(v.key, val, &v.val[v.n], e,
		    sizeof(e)) == -1) {
			snprintf(err, errlen, "--vary %s", e);
			goto bad;
		}
		for (size_t i = 0; i < v.n; i++)
			if (v.val[i] == v.val[v.n]) {
				snprintf(err, errlen, "--vary '%s': %s is "
				    "there twice", arg, val);
				goto bad;
			}
		v.text[v.n++] = xstrdup(val);
		if (c == NULL)
			break;
		p = c + 1;
	}
	combos = bench_combos(s);
	if (combos * v.n > BENCH_MAX_COMBOS) {
		snprintf(err, errlen, "--vary '%s': more than %d combinations",
		    arg, BENCH_MAX_COMBOS);
		goto bad;
	}
	s->v[s->nvary++] = v;
	return 0;
bad:
	vary_clear(&v);
	return -1;
}

int
bench_varies(const struct bench_sweep *s, const char *name)
{
	for (size_t i = 0; i < s->nvary; i++)
		if (strcmp(s->v[i].key->name, name) == 0)
			return 1;
	return 0;
}

size_t
bench_combos(const struct bench_sweep *s)
{
	size_t n = 1;

	for (size_t i = 0; i < s->nvary; i++)
		n *= s->v[i].n;
	return n;
}

void
bench_combo(const struct bench_sweep *s, size_t i, size_t *idx)
{
	for (size_t k = s->nvary; k-- > 0; ) {
		idx[k] = i % s->v[k].n;
		i /= s->v[k].n;
	}
}

void
bench_combo_label(const struct bench_sweep *s, size_t i, char *buf,
    size_t len)
{
	size_t idx[BENCH_MAX_VARY];

	buf[0] = '\0';
	if (s->nvary == 0) {
		strlcpy(buf, "default", len);
		return;
	}
	bench_combo(s, i, idx);
	for (size_t k = 0; k < s->nvary; k++) {
		char one[64];
		snprintf(one, sizeof(one), "%s%s=%s", k > 0 ? "," : "",
		    s->v[k].key->name, s->v[k].text[idx[k]]);
		strlcat(buf, one, len);
	}
}

void
bench_combo_args(const struct bench_sweep *s, size_t i, struct json_object *a)
{
	size_t idx[BENCH_MAX_VARY];

	bench_combo(s, i, idx);
	for (size_t k = 0; k < s->nvary; k++)
		bench_key_arg(s->v[k].key, s->v[k].val[idx[k]], a);
}

void
bench_sweep_free(struct bench_sweep *s)
{
	for (size_t i = 0; i < s->nvary; i++)
		vary_clear(&s->v[i]);
	s->nvary = 0;
}
