/* migrate --stats and migrate's progress line (statsfile.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "csv.h"
#include "jget.h"
#include "statsfile.h"

/*
 * The sample's keys in the CSV's order; an array of vCPU figures becomes
 * one column per vCPU, named with its side.
 */
static const struct {
	const char	*key;
	const char	*side;		/* an array: "src" or "dst" */
} cols[] = {
	{ "t_ms", NULL }, { "reason", NULL }, { "status", NULL },
	{ "pass", NULL }, { "transferred", NULL }, { "remaining", NULL },
	{ "total", NULL }, { "mbps", NULL }, { "dirty_rate", NULL },
	{ "throttle_pct", NULL }, { "xbzrle_cache_miss", NULL },
	{ "postcopy_requests", NULL }, { "expected_downtime_ms", NULL },
	{ "src_qemu_cpu_ms", NULL }, { "src_vcpu_cpu_ms", "src" },
	{ "dst_qemu_cpu_ms", NULL }, { "dst_vcpu_cpu_ms", "dst" },
};

int
statsfile_format(const char *path, enum statsfile_fmt *fmt, char *err,
    size_t errlen)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	if (dot != NULL && (slash == NULL || dot > slash)) {
		if (strcmp(dot, ".csv") == 0) {
			*fmt = STATSFILE_CSV;
			return 0;
		}
		if (strcmp(dot, ".json") == 0) {
			*fmt = STATSFILE_JSON;
			return 0;
		}
	}
	snprintf(err, errlen, "--stats %s: the file must end in .csv or "
	    ".json", path);
	return -1;
}

int
statsfile_open(struct statsfile *sf, const char *path, int json,
    char *err, size_t errlen)
{
	memset(sf, 0, sizeof(*sf));
	sf->json = json;
	sf->bar = !json && isatty(STDOUT_FILENO);
	if (path == NULL)
		return 0;
	if (statsfile_format(path, &sf->fmt, err, errlen) == -1)
		return -1;
	if ((sf->f = fopen(path, "we")) == NULL) {
		snprintf(err, errlen, "--stats %s: %s", path, strerror(errno));
		return -1;
	}
	sf->samples = json_object_new_array();
	return 0;
}

/* ---- the progress line ---- */

static void
human(double v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < nitems(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}

#define BAR	20	/* the line stays under 80 columns */

static void
draw(struct statsfile *sf, struct json_object *d)
{
	struct json_object *v = jget(d, "percent");
	double pct = v != NULL ? json_object_get_double(v) : 0;
	char left[32];

	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	int n = (int)(pct * BAR / 100);
	human((double)jint(d, "remaining", 0), left, sizeof(left));
	v = jget(d, "mbps");
	/* one line, redrawn; \033[K clears what a longer one left */
	/* the job: migrate, or copy-storage while the disks copy */
	printf("\r%s [%.*s%*s] %3.0f%% %.1f Mbit/s, %s left, pass "
	    "%lld, %s\033[K", jstr_or(d, "job", "migrate"), n,
	    "####################", BAR - n, "", pct,
	    v != NULL ? json_object_get_double(v) : 0.0, left,
	    jint(d, "pass", 0), jstr_or(d, "status", ""));
	fflush(stdout);
	sf->drawn = 1;
}

static void
undraw(struct statsfile *sf)
{
	if (sf->drawn)
		putchar('\n');
	sf->drawn = 0;
}

void
statsfile_event(struct json_object *ev, void *arg)
{
	struct statsfile *sf = arg;
	const char *name = jstr(ev, "event");

	if (name == NULL)
		return;
	if (strcmp(name, "migrate-sample") == 0) {
		if (sf->samples != NULL && jget(ev, "data") != NULL)
			json_object_array_add(sf->samples, json_object_get(
			    jget(ev, "data")));
		return;
	}
	if (strcmp(name, "JOB_PROGRESS") != 0)
		return;
	if (sf->json) {
		printf("%s\n", json_object_to_json_string_ext(ev,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		fflush(stdout);
	} else if (sf->bar)
		draw(sf, jget(ev, "data"));
}

/* ---- CSV ---- */

static void
csv_cell(FILE *f, struct json_object *v)
{
	if (v == NULL)
		return;
	if (!json_object_is_type(v, json_type_string)) {
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		    f);
		return;
	}
	csv_field(f, json_object_get_string(v));
}

/* The widest vCPU array under key among the samples. */
static size_t
widest(struct json_object *samples, const char *key)
{
	size_t n = 0, len = json_object_array_length(samples);

	for (size_t i = 0; i < len; i++) {
		struct json_object *a = jget(json_object_array_get_idx(samples,
		    i), key);
		if (json_object_is_type(a, json_type_array) &&
		    json_object_array_length(a) > n)
			n = json_object_array_length(a);
	}
	return n;
}

/* "# PREFIX.KEY=VALUE" for each member, objects flattened. */
static void
csv_comments(FILE *f, const char *prefix, struct json_object *o)
{
	if (!json_object_is_type(o, json_type_object)) {
		fprintf(f, "# %s=", prefix);
		if (json_object_is_type(o, json_type_string))
			fputs(json_object_get_string(o), f);
		else if (o != NULL)
			fputs(json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE), f);
		fputc('\n', f);
		return;
	}
	json_object_object_foreach(o, k, v) {
		char key[256];
		snprintf(key, sizeof(key), "%s.%s", prefix, k);
		csv_comments(f, key, v);
	}
}

int
statsfile_write_csv(FILE *f, struct json_object *samples,
    struct json_object *summary, struct json_object *provenance)
{
	size_t len = json_object_array_length(samples), nv[nitems(cols)];

	for (size_t k = 0; k < nitems(cols); k++) {
		nv[k] = cols[k].side != NULL ? widest(samples, cols[k].key) : 0;
		if (cols[k].side == NULL)
			fprintf(f, "%s%s", k > 0 ? "," : "", cols[k].key);
		for (size_t i = 0; i < nv[k]; i++)
			fprintf(f, ",%s_vcpu%zu_cpu_ms", cols[k].side, i);
	}
	fputc('\n', f);
	for (size_t r = 0; r < len; r++) {
		struct json_object *o = json_object_array_get_idx(samples, r);
		for (size_t k = 0; k < nitems(cols); k++) {
			struct json_object *v = jget(o, cols[k].key);
			if (cols[k].side == NULL) {
				if (k > 0)
					fputc(',', f);
				csv_cell(f, v);
				continue;
			}
			for (size_t i = 0; i < nv[k]; i++) {
				fputc(',', f);
				if (json_object_is_type(v, json_type_array) &&
				    i < json_object_array_length(v))
					csv_cell(f, json_object_array_get_idx(
					    v, i));
			}
		}
		fputc('\n', f);
	}
	if (summary != NULL)
		csv_comments(f, "summary", summary);
	if (provenance != NULL)
		csv_comments(f, "provenance", provenance);
	return ferror(f) ? -1 : 0;
}

int
statsfile_write_json(FILE *f, struct json_object *samples,
    struct json_object *summary, struct json_object *provenance)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "samples", json_object_get(samples));
	json_object_object_add(o, "summary", json_object_get(summary));
	json_object_object_add(o, "provenance", json_object_get(provenance));
	fprintf(f, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return ferror(f) ? -1 : 0;
}

int
statsfile_close(struct statsfile *sf, struct json_object *summary,
    struct json_object *provenance)
{
	int rc = 0;

	undraw(sf);
	if (sf->f != NULL) {
		rc = sf->fmt == STATSFILE_CSV ? statsfile_write_csv(sf->f,
		    sf->samples, summary, provenance) : statsfile_write_json(
		    sf->f, sf->samples, summary, provenance);
		if (fclose(sf->f) != 0)
			rc = -1;
	}
	sf->f = NULL;
	json_object_put(sf->samples);
	sf->samples = NULL;
	return rc;
}

struct json_object *
statsfile_call(struct cli *cli, struct statsfile *sf,
    struct json_object *args)
{
	char eclass[64], edesc[2048];
	struct json_object *ret = NULL;
	int keep = sf->f != NULL;

	if (keep)
		json_object_object_add(args, "stats", json_object_new_boolean(
		    1));
	cli_connect(cli);
	if (client_call(&cli->conn, "migrate", args, &ret, eclass,
	    sizeof(eclass), edesc, sizeof(edesc), statsfile_event, sf) == -1) {
		struct json_object *sum = json_object_new_object();
		json_object_object_add(sum, "status", json_object_new_string(
		    "failed"));
		json_object_object_add(sum, "error", json_object_new_string(
		    edesc));
		int rc = statsfile_close(sf, sum, NULL);
		json_object_put(sum);
		if (cli->conn.error_from_qemu)
			fprintf(stderr, "qlaunch: %s: %s\n", eclass, edesc);
		else
			fprintf(stderr, "qlaunch: %s\n", edesc);
		if (rc == -1)
			fprintf(stderr, "qlaunch: the --stats file could not "
			    "be written\n");
		exit(1);
	}
	if (statsfile_close(sf, jget(ret, "summary"), jget(ret,
	    "provenance")) == -1)
		cli_die("migrated, but the --stats file could not be written");
	return ret;
}
