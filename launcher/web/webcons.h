/*
 * The consoles in the page (issue 11): the routes of webcons.c.
 *   POST /api/vms/NAME/console {"kind": "vnc"|"serial"}
 *        a one-time ticket from the supervisor (console-ticket on behalf
 *        of the session's user): {"ticket", "kind", "expires_in", "url"}
 *   GET  /ws/console?name=NAME&ticket=T
 *        the WebSocket: same origin (Origin against Host), the session's
 *        cookie; console-open on behalf of the session's user on a
 *        control connection of its own, whose descriptor wsconsole
 *        bridges.  A refusal after the opening is a close frame with the
 *        supervisor's reason and a code of 4000 + the HTTP status.
 *   GET  /vendor/PATH
 *        the console libraries' files (noVNC's modules, xterm.js) from
 *        --vendor DIR: .js and .css only, no dot files, no "..".
 * At most 32 console-opens are under way at once (503 beyond).
 */
#ifndef LAUNCHER_WEBCONS_H
#define LAUNCHER_WEBCONS_H

struct web;
struct evhttp_request;
struct websess;

void	 webcons_ticket(struct web *, struct evhttp_request *,
	    struct websess *, const char *rest);
void	 webcons_ws(struct web *, struct evhttp_request *, struct websess *,
	    const char *rest);
void	 webcons_vendor(struct web *, struct evhttp_request *,
	    struct websess *, const char *rest);

#endif
