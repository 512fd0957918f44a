/*
 * wsserve: a tiny web server for test_webconsole.sh, standing in for the
 * web process's console handler.  GET /console?vm=NAME&kind=vnc|serial
 * asks the supervisor at argv[1], as the caller, for a console ticket,
 * opens the console with it and hands the descriptor to
 * wsconsole_upgrade.  Listens on 127.0.0.1, a port of the kernel's
 * choosing, printed as "listening on 127.0.0.1:PORT".
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "client.h"
#include "clientfd.h"
#include "jget.h"
#include "wsconsole.h"

static const char *sock;

static int
call(struct client_conn *c, const char *cmd, struct json_object *args,
    struct json_object **ret, char *err, size_t errlen)
{
	char cl[64];

	return client_call(c, cmd, args, ret, cl, sizeof(cl), err, errlen,
	    NULL, NULL);
}

/* The console's descriptor, or -1 with err. */
static int
open_console(const char *vm, const char *kind, char *err, size_t errlen)
{
	struct client_conn c;
	struct json_object *a, *v = NULL;
	int fd = -1;

	if (client_open(&c, sock, 0, err, errlen) == -1)
		return -1;
	a = json_object_new_object();
	json_object_object_add(a, "name", json_object_new_string(vm));
	json_object_object_add(a, "kind", json_object_new_string(kind));
	if (call(&c, "console-ticket", a, &v, err, errlen) == 0) {
		a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(vm));
		json_object_object_add(a, "ticket",
		    json_object_new_string(jstr(v, "ticket")));
		json_object_put(v);
		v = NULL;
		if (call(&c, "console-open", a, &v, err, errlen) == 0 &&
		    (fd = client_take_fd(&c)) == -1)
			snprintf(err, errlen, "no descriptor came");
		json_object_put(v);
	}
	client_close(&c);
	return fd;
}

static void
handler(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(u), *query = evhttp_uri_get_query(u);
	struct evkeyvalq q;
	char err[512];

	(void)arg;
	TAILQ_INIT(&q);
	if (path == NULL || strcmp(path, "/console") != 0 || query == NULL ||
	    evhttp_parse_query_str(query, &q) == -1) {
		evhttp_send_error(req, 404, NULL);
		return;
	}
	const char *vm = evhttp_find_header(&q, "vm");
	const char *kind = evhttp_find_header(&q, "kind");
	int fd = vm != NULL && kind != NULL ? open_console(vm, kind, err,
	    sizeof(err)) : -1;
	if (fd == -1) {
		fprintf(stderr, "wsserve: %s\n", vm && kind ? err :
		    "no vm= or kind=");
		evhttp_send_error(req, 502, NULL);
	} else
		wsconsole_upgrade(req, fd, NULL);
	evhttp_clear_headers(&q);
}

int
main(int argc, char **argv)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *s;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (argc != 2) {
		fprintf(stderr, "usage: wsserve CONTROL-SOCKET\n");
		return 2;
	}
	sock = argv[1];
	evhttp_set_gencb(http, handler, NULL);
	if ((s = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) ==
	    NULL || getsockname(evhttp_bound_socket_get_fd(s),
	    (struct sockaddr *)&sin, &len) == -1) {
		fprintf(stderr, "wsserve: cannot listen on 127.0.0.1\n");
		return 1;
	}
	printf("listening on 127.0.0.1:%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
