/*
 * A console in the browser: a WebSocket (ws.h) bridged to the descriptor
 * console-open handed over (a VNC client's socket in QEMU, or the serial
 * relay's).  The web process's request handler, having checked the
 * session and opened the console, calls wsconsole_upgrade: the request
 * is answered with 101 and the connection leaves evhttp for the bridge.
 *
 * How the connection leaves evhttp (libevent 2.1.12 has no WebSocket
 * support; 2.2's evws_new_session is not in Debian 12): the handler
 * writes the 101 answer itself into the connection's bufferevent
 * (evhttp_connection_get_bufferevent), takes that bufferevent's
 * callbacks and timeouts over and never calls evhttp_send_reply, so
 * evhttp, which acts on a connection only through those callbacks,
 * leaves it alone with the request pending on it.  The bridge ends with
 * evhttp_connection_free, which frees the request and the bufferevent; a
 * close callback on the connection tells the bridge when evhttp frees it
 * first (evhttp_free).  With TLS (bufferevent_openssl under evhttp) the
 * bufferevent is the TLS one and nothing changes.
 *
 * Both ways have backpressure: while more than high_water bytes wait to
 * go out on one side, the other is not read.  Console bytes go to the
 * browser as binary frames; the browser's text and binary data go to the
 * console as they are ("binary" is the subprotocol when the browser
 * offers it, as older noVNC does; none otherwise).  Either side closing
 * ends both: the console's end with a close frame (1000) once what was
 * read is sent, the browser's (or a protocol error: 1002, 1007, 1009)
 * with the console's descriptor closed.
 */
#ifndef LAUNCHER_WSCONSOLE_H
#define LAUNCHER_WSCONSOLE_H

#include <stddef.h>

struct evhttp_request;

struct wsconsole_limits {
	size_t	max_frame;	/* a browser frame's payload; 0: 1 MiB */
	size_t	max_message;	/* a fragmented message; 0: 4 MiB */
	size_t	high_water;	/* bytes waiting one way; 0: 256 KiB */
	int	close_ms;	/* a closing connection's time to flush;
				   0: 5000 */
};

/*
 * Answer a WebSocket opening with 101 and bridge its connection to fd
 * (taken over).  0 once bridged; -1 when the request is no valid opening
 * (answered with 400, 405 or 426 and why; fd closed).  lim may be NULL.
 */
int	 wsconsole_upgrade(struct evhttp_request *, int fd,
	    const struct wsconsole_limits *lim);
/*
 * Answer a WebSocket opening with 101, then close it at once with code
 * (a close code a peer may send, 4000-4999 for an application's) and why
 * (cut to fit a close frame), so that the page can say why; -1 when the
 * request is no valid opening (answered as wsconsole_upgrade does).
 */
int	 wsconsole_refuse(struct evhttp_request *, int code, const char *why);

#endif
