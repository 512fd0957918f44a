/*
 * The VM page's management sections (issue 11): snapshots, disks, NICs,
 * memory and vCPUs, as routes under /api/manage/NAME/WHAT (webmanage.c).
 * webapi.c's table has one row for its GETs and one for its POSTs; the
 * rest is passed here as "NAME/WHAT".
 */
#ifndef LAUNCHER_WEBMANAGE_H
#define LAUNCHER_WEBMANAGE_H

#include <stddef.h>

struct json_object;
struct web;
struct evhttp_request;
struct websess;

#define WEBMANAGE_PREFIX	"/api/manage/"

void	 webmanage_get(struct web *, struct evhttp_request *, struct websess *,
	    const char *rest);
void	 webmanage_post(struct web *, struct evhttp_request *, struct websess *,
	    const char *rest);

/*
 * The supervisor's request for a route: GET (post 0) or POST of WHAT on
 * VM vm with the page's body; its arguments with *cmd set, or NULL with
 * err: *cmd NULL when there is no such route, else the body is bad.
 */
struct json_object *webmanage_args(int post, const char *what,
	    const char *vm, struct json_object *body, const char **cmd,
	    char *err, size_t errlen);

#endif
