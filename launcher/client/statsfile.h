/*
 * qlaunch migrate's measurements and progress line: the samples the
 * source's supervisor sends as "migrate-sample" events while it
 * migrates (with --stats), kept here and written at the end, by the
 * client and not the root daemon, as CSV or JSON (chosen by the file's
 * extension) with the reply's summary and provenance; and the live
 * progress line (speed, remaining, pass) on a terminal.
 *
 * CSV: a header of the sample keys, the vCPU arrays flattened
 * (src_vcpu0_cpu_ms, src_vcpu1_cpu_ms, ..., as many as the widest
 * sample has), one row per sample, an empty cell for null; then the
 * summary and provenance as "# summary.KEY=VALUE" and
 * "# provenance.KEY.KEY=VALUE" lines (arrays as JSON).
 * JSON: {"samples": [...], "summary": {...}, "provenance": {...}}.
 */
#ifndef LAUNCHER_CLIENT_STATSFILE_H
#define LAUNCHER_CLIENT_STATSFILE_H

#include <stddef.h>
#include <stdio.h>

struct cli;
struct json_object;

enum statsfile_fmt { STATSFILE_CSV, STATSFILE_JSON };

struct statsfile {
	FILE			*f;		/* NULL: no --stats */
	enum statsfile_fmt	 fmt;
	struct json_object	*samples;
	int			 json;		/* --json: events as lines */
	int			 bar;		/* stdout is a terminal */
	int			 drawn;
};

/* The format by path's extension; -1 with err for any other. */
int	 statsfile_format(const char *path, enum statsfile_fmt *, char *err,
	    size_t errlen);
/*
 * Ready for a migration: path (NULL: no file) checked and created now,
 * so that a bad one fails before anything starts; -1 with err.
 */
int	 statsfile_open(struct statsfile *, const char *path, int json,
	    char *err, size_t errlen);
/* client_call's event function: samples kept, the progress line. */
void	 statsfile_event(struct json_object *ev, void *file);
/* The file written and closed (summary and provenance may be NULL). */
int	 statsfile_close(struct statsfile *, struct json_object *summary,
	    struct json_object *provenance);
/* The whole file to f. */
int	 statsfile_write_csv(FILE *, struct json_object *samples,
	    struct json_object *summary, struct json_object *provenance);
int	 statsfile_write_json(FILE *, struct json_object *samples,
	    struct json_object *summary, struct json_object *provenance);
/*
 * migrate's call with its events: the progress line, the samples; on
 * failure the file gets the samples so far and a summary
 * {"status": "failed", "error"}, the error is printed and qlaunch exits 1.
 */
struct json_object *statsfile_call(struct cli *, struct statsfile *,
	    struct json_object *args);

#endif
