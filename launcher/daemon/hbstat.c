/* Heartbeat statistics from the ticks' lines (hbstat.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hbstat.h"

/* "QLHB <seq> <ns>": decimal, nothing else */
static int
parse_tick(const char *s, uint64_t *seq, uint64_t *ns)
{
	uint64_t *v[2] = { seq, ns };

	if (strncmp(s, "QLHB ", 5) != 0)
		return -1;
	s += 5;
	for (int i = 0; i < 2; i++) {
		uint64_t x = 0;
		const char *p = s;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (x > (UINT64_MAX - 9) / 10)
				return -1;
			x = x * 10 + (uint64_t)(*p - '0');
		}
		if (p == s || p - s > 20)
			return -1;
		*v[i] = x;
		if (i == 0 && *p != ' ')
			return -1;
		s = p + (i == 0);
	}
	return *s == '\0' || (*s == '\r' && s[1] == '\0') ? 0 : -1;
}

int
hbstat_line(struct hbstat *h, const char *line, uint64_t mono, uint64_t real)
{
	uint64_t seq, ns;

	if (parse_tick(line, &seq, &ns) == -1 || seq == 0) {
		h->bad++;
		return -1;
	}
	if (h->ticks == 0) {
		h->first_seq = seq;
		h->first_real = real;
	}
	if (h->have_last) {
		uint64_t gap = mono > h->last_mono ? mono - h->last_mono : 0;
		if (seq > h->last_seq + 1)
			h->missed += seq - h->last_seq - 1;
		else if (seq <= h->last_seq)
			h->restarts++;	/* qlstress started again */
		if (gap > h->gap) {
			h->gap = gap;
			h->gap_real = real;
			h->gap_seq = seq;
			h->gap_guest = (int64_t)(ns - h->last_guest);
		}
	}
	h->ticks++;
	h->last_seq = seq;
	h->last_real = real;
	h->last_mono = mono;
	h->last_guest = ns;
	h->have_last = 1;
	return 0;
}

void
hbstat_reset(struct hbstat *h)
{
	struct hbstat keep = *h;

	memset(h, 0, sizeof(*h));
	h->have_last = keep.have_last;
	h->last_seq = keep.last_seq;
	h->last_real = keep.last_real;
	h->last_mono = keep.last_mono;
	h->last_guest = keep.last_guest;
}

static void
add_u(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(
	    v > INT64_MAX ? INT64_MAX : (int64_t)v));
}

static void
add_ms(struct json_object *o, const char *k, double ns)
{
	/* to the microsecond */
	json_object_object_add(o, k, json_object_new_double(
	    (double)(int64_t)(ns / 1e3) / 1e3));
}

struct json_object *
hbstat_json(const struct hbstat *h, uint64_t mono)
{
	struct json_object *o = json_object_new_object();

	add_u(o, "ticks", h->ticks);
	add_u(o, "missed", h->missed);
	add_u(o, "bad", h->bad);
	add_u(o, "restarts", h->restarts);
	if (h->ticks > 0) {
		add_u(o, "first_seq", h->first_seq);
		add_u(o, "last_seq", h->last_seq);
		add_u(o, "first_tick_us", h->first_real / 1000);
		add_u(o, "last_tick_us", h->last_real / 1000);
	}
	if (h->have_last)
		add_ms(o, "since_last_ms", mono > h->last_mono ?
		    (double)(mono - h->last_mono) : 0);
	if (h->gap_seq != 0) {
		add_ms(o, "longest_gap_ms", (double)h->gap);
		add_u(o, "longest_gap_at_us", h->gap_real / 1000);
		add_u(o, "longest_gap_seq", h->gap_seq);
		add_ms(o, "longest_gap_guest_ms", (double)h->gap_guest);
	}
	return o;
}
