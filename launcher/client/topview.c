/* top's table (topview.h). */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "csv.h"
#include "jget.h"
#include "topview.h"
#include "util.h"

size_t
topview_rows(struct json_object *data, struct toprow **rowsp)
{
	struct json_object *vms = jget(data, "vms");
	size_t n = json_object_is_type(vms, json_type_array) ?
	    json_object_array_length(vms) : 0;
	struct toprow *rows = calloc(n > 0 ? n : 1, sizeof(*rows));

	if (rows == NULL)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(vms, i),
		    *r = jget(v, "rates");
		struct toprow *t = &rows[i];
		t->id = jint(v, "id", 0);
		strlcpy(t->name, jstr_or(v, "name", "?"), sizeof(t->name));
		strlcpy(t->state, jstr_or(v, "state", "?"), sizeof(t->state));
		t->mem_mib = jget(v, "balloon") != NULL ? jint(jget(v,
		    "balloon"), "current_mib", 0) : -1;
		t->has_rates = r != NULL;
		t->cpu_pct = r != NULL ? json_object_get_double(jget(r,
		    "cpu_pct")) : 0;
		t->rd_bps = jint(r, "rd_bps", 0);
		t->wr_bps = jint(r, "wr_bps", 0);
		t->rx_bps = jint(r, "rx_bps", 0);
		t->tx_bps = jint(r, "tx_bps", 0);
	}
	*rowsp = rows;
	return n;
}

/* the tie-breaker of every order */
static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct toprow *)a)->name,
	    ((const struct toprow *)b)->name);
}

#define DESC(x, y)	((x) > (y) ? -1 : (x) < (y) ? 1 : 0)

static int
by_cpu(const void *a, const void *b)
{
	const struct toprow *x = a, *y = b;
	int c = DESC(x->cpu_pct, y->cpu_pct);
	return c != 0 ? c : by_name(a, b);
}

static int
by_mem(const void *a, const void *b)
{
	const struct toprow *x = a, *y = b;
	int c = DESC(x->mem_mib, y->mem_mib);
	return c != 0 ? c : by_name(a, b);
}

static int
by_block(const void *a, const void *b)
{
	const struct toprow *x = a, *y = b;
	int c = DESC(x->rd_bps + x->wr_bps, y->rd_bps + y->wr_bps);
	return c != 0 ? c : by_name(a, b);
}

static int
by_net(const void *a, const void *b)
{
	const struct toprow *x = a, *y = b;
	int c = DESC(x->rx_bps + x->tx_bps, y->rx_bps + y->tx_bps);
	return c != 0 ? c : by_name(a, b);
}

static const struct topsort sorts[] = {
	{ 'P', "cpu",	by_cpu },
	{ 'M', "mem",	by_mem },
	{ 'N', "name",	by_name },
	{ 'B', "block",	by_block },
	{ 'T', "net",	by_net },
};

const struct topsort *
topview_sort_key(int key)
{
	for (size_t i = 0; i < nitems(sorts); i++)
		if (sorts[i].key == key)
			return &sorts[i];
	return NULL;
}

const struct topsort *
topview_sort_name(const char *name)
{
	for (size_t i = 0; i < nitems(sorts); i++)
		if (strcmp(sorts[i].name, name) == 0)
			return &sorts[i];
	return NULL;
}

const char *
topview_sort_names(void)
{
	return "cpu, mem, name, block or net";
}

void
topview_sort(struct toprow *rows, size_t n, const struct topsort *s)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), s->cmp);
}

void
topview_print(FILE *f, const struct toprow *rows, size_t n,
    const char *when, const struct topsort *s)
{
	size_t running = 0;

	for (size_t i = 0; i < n; i++)
		running += rows[i].id > 0;
	fprintf(f, "qlaunch top %s - %zu domains, %zu running, sorted by "
	    "%s\n\n", when, n, running, s->name);
	fprintf(f, "%4s %-10s %6s %8s %12s %12s %12s %12s  %s\n", "ID",
	    "STATE", "%CPU", "MEM_MiB", "RD_B/s", "WR_B/s", "RX_B/s",
	    "TX_B/s", "NAME");
	for (size_t i = 0; i < n; i++) {
		const struct toprow *t = &rows[i];
		if (t->id <= 0) {
			fprintf(f, "%4s %-10s %6s %8s %12s %12s %12s %12s  %s\n",
			    "-", t->state, "-", "-", "-", "-", "-", "-",
			    t->name);
			continue;
		}
		fprintf(f, "%4lld %-10s %6.1f %8lld %12lld %12lld %12lld "
		    "%12lld  %s\n", t->id, t->state, t->cpu_pct, t->mem_mib,
		    t->rd_bps, t->wr_bps, t->rx_bps, t->tx_bps, t->name);
	}
}

void
topview_csv_header(FILE *f)
{
	fprintf(f, "time,id,name,state,cpu_pct,mem_mib,rd_bps,wr_bps,"
	    "rx_bps,tx_bps\n");
}

void
topview_csv(FILE *f, const struct toprow *rows, size_t n, const char *when)
{
	for (size_t i = 0; i < n; i++) {
		const struct toprow *t = &rows[i];
		fprintf(f, "%s,", when);
		if (t->id > 0)
			fprintf(f, "%lld", t->id);
		fputc(',', f);
		csv_field(f, t->name);
		fputc(',', f);
		csv_field(f, t->state);
		if (t->id <= 0)		/* not running: no figures */
			fputs(",,,,,,\n", f);
		else
			fprintf(f, ",%.1f,%lld,%lld,%lld,%lld,%lld\n",
			    t->cpu_pct, t->mem_mib, t->rd_bps, t->wr_bps,
			    t->rx_bps, t->tx_bps);
	}
	fflush(f);
}
