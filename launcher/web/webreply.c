/*
 * The web manager's JSON answers, one way for every route: a body as
 * JSON, an error as {"error": {"class", "desc"}} with the HTTP status of
 * the supervisor's error class, and a request's body read as a JSON
 * object.
 */
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "names.h"
#include "util.h"
#include "web.h"

/* The supervisor's error classes as HTTP statuses. */
static const struct {
	const char	*class;
	int		 code;
} statuses[] = {
	{ ERR_PERMISSION,	403 },
	{ ERR_NOT_FOUND,	404 },
	{ ERR_COMMAND_NOT_FOUND, 404 },
	{ ERR_INVALID_STATE,	409 },
	{ ERR_EXISTS,		409 },
	{ ERR_IN_USE,		409 },
	{ ERR_DISCONNECTED,	502 },
	{ ERR_TIMEOUT,		504 },
};

int
web_status_of(const char *class)
{
	for (size_t i = 0; class != NULL && i < nitems(statuses); i++)
		if (strcmp(statuses[i].class, class) == 0)
			return statuses[i].code;
	return 400;
}

void
web_reply_json(struct evhttp_request *req, int code, struct json_object *o)
{
	struct evbuffer *b = evbuffer_new();
	const char *s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN);

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	if (b != NULL)
		evbuffer_add(b, s, strlen(s));
	evhttp_send_reply(req, code, code < 300 ? "OK" : "Error", b);
	if (b != NULL)
		evbuffer_free(b);
	json_object_put(o);
}

void
web_reply_error(struct evhttp_request *req, int code, const char *class,
    const char *desc)
{
	struct json_object *o = json_object_new_object(),
	    *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(class));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(o, "error", e);
	web_reply_json(req, code != 0 ? code : web_status_of(class), o);
}

struct json_object *
web_body_json(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;

	if (tok != NULL && len > 0) {
		o = json_tokener_parse_ex(tok, (const char *)evbuffer_pullup(in,
		    -1), (int)len);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    tok->char_offset != (int)len) {
			json_object_put(o);
			o = NULL;
		}
	}
	if (tok != NULL)
		json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	if (o == NULL)
		web_reply_error(req, 400, ERR_GENERIC, "the body must be a JSON "
		    "object");
	return o;
}

/* ---- server-sent events ---- */

void
web_sse_send(struct evhttp_request *req, const char *event,
    struct json_object *data)
{
	struct evbuffer *b;

	if (req == NULL || (b = evbuffer_new()) == NULL)
		return;
	evbuffer_add_printf(b, "event: %s\ndata: %s\n\n", event,
	    json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN));
	evhttp_send_reply_chunk(req, b);
	evbuffer_free(b);
}

void
web_sse_failed(struct evhttp_request *req, const char *class,
    const char *desc)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(
	    class != NULL ? class : ERR_GENERIC));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	web_sse_send(req, "failed", e);
	json_object_put(e);
}

void
web_sse_let_go(struct evhttp_request *req, int end_reply)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);

	if (con != NULL)
		evhttp_connection_set_closecb(con, NULL, NULL);
	if (end_reply)
		evhttp_send_reply_end(req);
}

int
web_sse_detached(struct evhttp_request *req)
{
	return req != NULL && evhttp_request_get_connection(req) == NULL;
}
