/*
 * The page's live migration and graphs (issue 11):
 *   webmig    POST /api/migrate/NAME, POST /api/migrate-cancel/NAME,
 *             GET /api/migrate/NAME; the supervisor's migration progress
 *             as 'migration' server-sent events
 *   webstats  GET /api/stats/NAME: the VM's stats-watch as a stream of
 *             its own, one watch per VM while some page shows graphs
 * The small reply helpers both use are here too.
 */
#ifndef LAUNCHER_WEBMIG_H
#define LAUNCHER_WEBMIG_H

#include <stddef.h>

struct evhttp_request;
struct json_object;
struct web;
struct websess;

/* routes (webapi.c's table): rest is the VM's name */
void	 webmig_start(struct web *, struct evhttp_request *,
	    struct websess *, const char *rest);
void	 webmig_cancel(struct web *, struct evhttp_request *,
	    struct websess *, const char *rest);
void	 webmig_info(struct web *, struct evhttp_request *,
	    struct websess *, const char *rest);
void	 webstats_open(struct web *, struct evhttp_request *,
	    struct websess *, const char *rest);

/* A supervisor event (webmain.c): migration progress to the pages. */
void	 webmig_event(struct web *, struct json_object *ev);

/*
 * The migrate form's fields as the migrate request's arguments
 * (besides "name"); NULL with err for a bad field.
 */
struct json_object *webmig_args(struct json_object *form, char *err,
	    size_t errlen);

#endif
