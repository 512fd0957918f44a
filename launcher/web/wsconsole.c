/*
 * A WebSocket bridged to a console's descriptor (wsconsole.h): two
 * bufferevents, the browser's (taken from evhttp) and the console's,
 * ws.c's reader between them.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ws.h"
#include "wsconsole.h"

#define WSC_MAX_FRAME	(1u << 20)
#define WSC_MAX_MESSAGE	(4u << 20)
#define WSC_HIGH_WATER	(256u << 10)
#define WSC_CLOSE_MS	5000
#define WSC_CHUNK	65536	/* console bytes in one frame, at most */

struct wscon {
	struct evhttp_connection *evcon;	/* owns ws */
	struct bufferevent	*ws;		/* the browser's */
	struct bufferevent	*con;		/* the console's */
	struct ws_reader	 rd;
	struct wsconsole_limits	 lim;
	int			 closing;	/* our close frame is out */
	int			 ws_paused;	/* the console's side is full */
	int			 con_paused;	/* the browser's side is full */
};

static void	ws_read(struct bufferevent *, void *);
static void	con_read(struct bufferevent *, void *);

static void
wscon_free(struct wscon *w)
{
	if (w->con != NULL)
		bufferevent_free(w->con);
	if (w->evcon != NULL) {
		evhttp_connection_set_closecb(w->evcon, NULL, NULL);
		evhttp_connection_free(w->evcon);
	}
	free(w);
}

static void
send_frame(struct wscon *w, int op, const void *data, size_t len)
{
	unsigned char hdr[WS_HDR_MAX];
	size_t n = ws_frame_header(hdr, op, 1, len);
	struct evbuffer *out = bufferevent_get_output(w->ws);

	evbuffer_add(out, hdr, n);
	if (len > 0)
		evbuffer_add(out, data, len);
}

/*
 * Our close frame: the browser's side takes no more, the console's end
 * goes, and the connection closes once the frame is out (or close_ms
 * passed).
 */
static void
close_with(struct wscon *w, int code, const char *why)
{
	unsigned char p[WS_CTL_MAX];

	if (w->closing)
		return;
	w->closing = 1;
	send_frame(w, WS_OP_CLOSE, p, ws_close_payload(p, code, why));
	if (w->con != NULL) {
		bufferevent_free(w->con);
		w->con = NULL;
	}
	struct timeval tv = { w->lim.close_ms / 1000,
	    (w->lim.close_ms % 1000) * 1000 };
	bufferevent_disable(w->ws, EV_READ);
	bufferevent_setwatermark(w->ws, EV_WRITE, 0, 0);
	bufferevent_set_timeouts(w->ws, NULL, &tv);
	bufferevent_enable(w->ws, EV_WRITE);
}

/* Is the closing connection done?  Then it goes (1). */
static int
closed_out(struct wscon *w)
{
	if (!w->closing ||
	    evbuffer_get_length(bufferevent_get_output(w->ws)) > 0)
		return 0;
	wscon_free(w);
	return 1;
}

/* One frame from the browser. */
static void
frame(struct wscon *w, const struct ws_frame *f)
{
	switch (f->opcode) {
	case WS_OP_CONT:
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (f->len > 0)
			bufferevent_write(w->con, f->data, f->len);
		break;
	case WS_OP_PING:
		send_frame(w, WS_OP_PONG, f->data, f->len);
		break;
	case WS_OP_CLOSE:
		close_with(w, f->close_code == WS_CLOSE_NO_STATUS ?
		    WS_CLOSE_NORMAL : f->close_code, "");
		break;
	default:	/* a pong */
		break;
	}
}

static void
ws_read(struct bufferevent *bev, void *arg)
{
	struct wscon *w = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t avail, need;
	struct ws_frame f;
	char err[160];
	int code;

	while (!w->closing && !w->ws_paused &&
	    (avail = evbuffer_get_length(in)) > 0) {
		size_t take = avail < WS_HDR_MAX ? avail : WS_HDR_MAX;
		unsigned char *p = evbuffer_pullup(in, (ssize_t)take);
		ssize_t n = ws_read_frame(&w->rd, p, take, &f, &need, &code,
		    err, sizeof(err));
		if (n == 0 && need > take && need <= avail) {
			p = evbuffer_pullup(in, (ssize_t)need);
			if (p == NULL) {
				close_with(w, WS_CLOSE_ERROR, "out of memory");
				break;
			}
			n = ws_read_frame(&w->rd, p, need, &f, &need, &code,
			    err, sizeof(err));
		}
		if (n == 0)
			break;	/* the rest of the frame is to come */
		if (n < 0) {
			close_with(w, code, err);
			break;
		}
		frame(w, &f);
		evbuffer_drain(in, (size_t)n);
		if (w->con != NULL && evbuffer_get_length(
		    bufferevent_get_output(w->con)) > w->lim.high_water) {
			w->ws_paused = 1;
			bufferevent_disable(w->ws, EV_READ);
		}
	}
	if (w->closing)
		evbuffer_drain(in, evbuffer_get_length(in));
	(void)closed_out(w);
}

static void
ws_written(struct bufferevent *bev, void *arg)
{
	struct wscon *w = arg;

	(void)bev;
	if (closed_out(w) || w->closing)
		return;
	if (w->con_paused) {
		w->con_paused = 0;
		bufferevent_enable(w->con, EV_READ);
		con_read(w->con, w);
	}
}

static void
ws_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	/* the browser went, or did not take our close in time */
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		wscon_free(arg);
}

static void
con_read(struct bufferevent *bev, void *arg)
{
	struct wscon *w = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(w->ws);
	size_t len;

	while (!w->con_paused && (len = evbuffer_get_length(in)) > 0) {
		unsigned char hdr[WS_HDR_MAX];
		if (len > WSC_CHUNK)
			len = WSC_CHUNK;
		evbuffer_add(out, hdr, ws_frame_header(hdr, WS_OP_BINARY, 1,
		    len));
		evbuffer_remove_buffer(in, out, len);
		if (evbuffer_get_length(out) > w->lim.high_water) {
			w->con_paused = 1;
			bufferevent_disable(bev, EV_READ);
		}
	}
}

static void
con_written(struct bufferevent *bev, void *arg)
{
	struct wscon *w = arg;

	(void)bev;
	if (w->ws_paused && !w->closing) {
		w->ws_paused = 0;
		bufferevent_enable(w->ws, EV_READ);
		ws_read(w->ws, w);
	}
}

static void
con_event(struct bufferevent *bev, short what, void *arg)
{
	struct wscon *w = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	/* what the console said last goes first */
	con_read(bev, w);
	close_with(w, WS_CLOSE_NORMAL, "the console closed");
	(void)closed_out(w);
}

/* evhttp frees the connection itself (evhttp_free): the bridge goes. */
static void
evcon_closed(struct evhttp_connection *evcon, void *arg)
{
	struct wscon *w = arg;

	(void)evcon;
	w->evcon = NULL;
	if (w->con != NULL)
		bufferevent_free(w->con);
	free(w);
}

static void
refuse(struct evhttp_request *req, int status, const char *why)
{
	static const struct {
		int		 status;
		const char	*reason;
	} reasons[] = {
		{ 400, "Bad Request" },
		{ 405, "Method Not Allowed" },
		{ 426, "Upgrade Required" },
		{ 500, "Internal Server Error" },
	};
	const char *reason = "Bad Request";
	struct evbuffer *body = evbuffer_new();

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			reason = reasons[i].reason;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (status == 426)
		evhttp_add_header(h, "Sec-WebSocket-Version", "13");
	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	if (body != NULL)
		evbuffer_add_printf(body, "%s\n", why);
	evhttp_send_reply(req, status, reason, body);
	if (body != NULL)
		evbuffer_free(body);
}

static void
limits(struct wsconsole_limits *l, const struct wsconsole_limits *given)
{
	memset(l, 0, sizeof(*l));
	if (given != NULL)
		*l = *given;
	if (l->max_frame == 0)
		l->max_frame = WSC_MAX_FRAME;
	if (l->max_message == 0)
		l->max_message = WSC_MAX_MESSAGE;
	if (l->high_water == 0)
		l->high_water = WSC_HIGH_WATER;
	if (l->close_ms <= 0)
		l->close_ms = WSC_CLOSE_MS;
}

/* The opening answered and bridged to fd: the bridge, or NULL (answered
 * with an HTTP error, fd closed).  early: frames already in are read. */
static struct wscon *
bridge(struct evhttp_request *req, int fd, const struct wsconsole_limits *lim,
    int early)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	char accept[WS_ACCEPT_LEN + 1], err[160];
	int st;

	st = ws_handshake(evhttp_request_get_command(req) == EVHTTP_REQ_GET ?
	    "GET" : "other", evhttp_find_header(h, "Upgrade"),
	    evhttp_find_header(h, "Connection"),
	    evhttp_find_header(h, "Sec-WebSocket-Key"),
	    evhttp_find_header(h, "Sec-WebSocket-Version"), accept, err,
	    sizeof(err));
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ?
	    evhttp_connection_get_bufferevent(evcon) : NULL;
	if (st == 0 && bev == NULL) {
		st = 500;
		snprintf(err, sizeof(err), "the connection is gone");
	}
	struct wscon *w = st == 0 ? calloc(1, sizeof(*w)) : NULL;
	if (st == 0 && w == NULL) {
		st = 500;
		snprintf(err, sizeof(err), "out of memory");
	}
	if (st == 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		w->con = bufferevent_socket_new(bufferevent_get_base(bev), fd,
		    BEV_OPT_CLOSE_ON_FREE);
		if (w->con == NULL) {
			free(w);
			st = 500;
			snprintf(err, sizeof(err), "out of memory");
		}
	}
	if (st != 0) {
		refuse(req, st, err);
		close(fd);
		return NULL;
	}
	limits(&w->lim, lim);
	ws_reader_init(&w->rd, &(struct ws_limits){ w->lim.max_frame,
	    w->lim.max_message });
	w->evcon = evcon;
	w->ws = bev;
	/* evhttp's no more: our answer, callbacks and (no) timeouts */
	evbuffer_add_printf(bufferevent_get_output(bev),
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n%s\r\n", accept,
	    /* older noVNC asks for "binary": the frames are that */
	    ws_has_token(evhttp_find_header(h, "Sec-WebSocket-Protocol"),
	    "binary") ? "Sec-WebSocket-Protocol: binary\r\n" : "");
	evhttp_connection_set_closecb(evcon, evcon_closed, w);
	bufferevent_set_timeouts(bev, NULL, NULL);
	bufferevent_setcb(bev, ws_read, ws_written, ws_event, w);
	/* a whole frame fits: reading stops only above one */
	bufferevent_setwatermark(bev, EV_READ, 0,
	    w->lim.max_frame + WS_HDR_MAX);
	bufferevent_setwatermark(bev, EV_WRITE, w->lim.high_water / 2, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	bufferevent_setcb(w->con, con_read, con_written, con_event, w);
	bufferevent_setwatermark(w->con, EV_WRITE, w->lim.high_water / 2, 0);
	bufferevent_enable(w->con, EV_READ | EV_WRITE);
	/* frames the browser sent right behind its request */
	if (early && evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		ws_read(bev, w);
	return w;
}

int
wsconsole_upgrade(struct evhttp_request *req, int fd,
    const struct wsconsole_limits *lim)
{
	return bridge(req, fd, lim, 1) != NULL ? 0 : -1;
}

int
wsconsole_refuse(struct evhttp_request *req, int code, const char *why)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		refuse(req, 500, why);
		return -1;
	}
	close(sv[1]);
	struct wscon *w = bridge(req, sv[0], NULL, 0);
	if (w == NULL)
		return -1;
	close_with(w, code, why);
	return 0;
}
