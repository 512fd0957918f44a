/*
 * graphics: none | vnc[,listen=ADDR][,port=PORT|auto][,password=PW]
 * [,websocket=PORT].  Without listen, the host's default: the
 * supervisor's vnc_listen (vmpaths.vnc_listen), else 127.0.0.1.  QEMU never opens a window of its own (-display
 * none); a VNC display is -vnc, its password set over QMP so that it
 * never shows on the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defutil.h"
#include "dev.h"
#include "props.h"
#include "util.h"

struct display {
	int	 vnc;
	char	 listen[64];	/* IP address */
	int	 port;		/* TCP port, or VNC_PORT_AUTO */
	char	*password;	/* NULL: none */
	int	 websocket;	/* TCP port, 0: none */
};

static const struct display display_default = { 0, "", VNC_PORT_AUTO, NULL,
    0 };

static int
vnc_props(struct display *g, struct props *p, char *err, size_t errlen)
{
	const char *s;
	unsigned n;

	g->listen[0] = '\0';	/* the host's default (vmpaths.vnc_listen) */
	g->port = VNC_PORT_AUTO;
	if ((s = props_get(p, "listen")) != NULL &&
	    (strlcpy(g->listen, s, sizeof(g->listen)) >= sizeof(g->listen) ||
	    !*s || strspn(s, "0123456789abcdefABCDEF.:[]") != strlen(s)))
		return def_err(err, errlen, "listen '%s' is not an IP address",
		    s);
	if ((s = props_get(p, "port")) != NULL && strcmp(s, "auto") != 0) {
		if (def_uint("port", s, 5900, 65535, &n, err, errlen) == -1)
			return -1;
		g->port = (int)n;
	}
	if ((s = props_get(p, "websocket")) != NULL) {
		if (def_uint("websocket", s, 1, 65535, &n, err, errlen) == -1)
			return -1;
		g->websocket = (int)n;
	}
	if ((s = props_get(p, "password")) != NULL) {
		if (strlen(s) == 0 || strlen(s) > 8)
			return def_err(err, errlen, "a VNC password has 1 to 8 "
			    "characters");
		g->password = xstrdup(s);
	}
	return 0;
}

static void
display_free(void *conf)
{
	struct display *g = conf;

	if (g == NULL)
		return;
	free(g->password);
	free(g);
}

static void *
display_parse(const char *v, char *err, size_t errlen)
{
	struct props p;
	struct display *g = NULL;
	const char *type;

	if (props_parse(v, &p, err, errlen) == -1)
		return NULL;
	type = props_pos(&p, 0);
	if (type == NULL || (strcmp(type, "none") != 0 &&
	    strcmp(type, "vnc") != 0)) {
		def_err(err, errlen, "'%s' is not vnc or none",
		    type ? type : v);
		goto out;
	}
	g = xcalloc(1, sizeof(*g));
	g->port = VNC_PORT_AUTO;
	g->vnc = strcmp(type, "vnc") == 0;
	if ((g->vnc && vnc_props(g, &p, err, errlen) == -1) ||
	    def_unused(&p, err, errlen) == -1) {
		display_free(g);
		g = NULL;
	}
out:
	props_free(&p);
	return g;
}

static char *
display_print(const void *conf)
{
	const struct display *g = conf;
	char port[16], *pw = NULL, *s;

	if (!g->vnc)
		return xstrdup("none");
	if (g->port == VNC_PORT_AUTO)
		strlcpy(port, "auto", sizeof(port));
	else
		snprintf(port, sizeof(port), "%d", g->port);
	if (g->password != NULL)
		pw = props_escape(g->password);
	char ws[32] = "";
	if (g->websocket)
		snprintf(ws, sizeof(ws), ",websocket=%d", g->websocket);
	s = xasprintf("vnc%s%s,port=%s%s%s%s", g->listen[0] ? ",listen=" : "",
	    g->listen, port, pw ? ",password=" : "", pw ? pw : "", ws);
	free(pw);
	return s;
}

static void *
display_dup(const void *conf)
{
	struct display *g = xmemdup(conf, sizeof(struct display));

	g->password = xstrdup_null(g->password);
	return g;
}

static const void *
display_dflt(const struct vmdef *d, const struct devfacts *f)
{
	(void)d;
	(void)f;
	return &display_default;
}

static void
display_facts(const void *conf, struct devfacts *f)
{
	const struct display *g = conf;

	if (!g->vnc)
		return;
	f->vnc = 1;
	f->vnc_conf.listen = g->listen;
	f->vnc_conf.port = g->port;
	f->vnc_conf.password = g->password;
	f->vnc_conf.websocket = g->websocket;
}

static void
display_options(const struct vmdef *d, const void *conf,
    const struct vmpaths *p, struct argv *a)
{
	const struct display *g = conf;

	(void)d;
	argv_add(a, "-display");
	argv_add(a, "none");
	if (!g->vnc)
		return;
	/* QEMU takes a display number: port 5900 + N */
	const char *l = g->listen[0] ? g->listen : p->vnc_listen[0] ?
	    p->vnc_listen : VNC_LISTEN_DEFAULT;
	int v6 = strchr(l, ':') != NULL && l[0] != '[';
	char addr[80], disp[16], ws[100] = "";
	snprintf(addr, sizeof(addr), "%s%s%s", v6 ? "[" : "", l, v6 ? "]" : "");
	if (g->port == VNC_PORT_AUTO)
		strlcpy(disp, "0,to=99", sizeof(disp));
	else
		snprintf(disp, sizeof(disp), "%d", g->port - 5900);
	if (g->websocket)	/* on the same address as VNC */
		snprintf(ws, sizeof(ws), ",websocket=%s:%d", addr,
		    g->websocket);
	argv_add(a, "-vnc");
	argv_addf(a, "%s:%s%s%s", addr, disp,
	    g->password != NULL ? ",password=on" : "", ws);
}

static void
display_runtime(const struct vmdef *d, const void *conf,
    struct json_object *cmds)
{
	const struct display *g = conf;
	struct json_object *a;

	(void)d;
	if (!g->vnc || g->password == NULL)
		return;
	a = json_object_new_object();
	json_object_object_add(a, "protocol", json_object_new_string("vnc"));
	json_object_object_add(a, "password",
	    json_object_new_string(g->password));
	def_cmd(cmds, "set_password", a);
}

const struct devkind devkind_display = {
	.key = "graphics",
	.parse = display_parse,
	.print = display_print,
	.free = display_free,
	.dup = display_dup,
	.dflt = display_dflt,
	.facts = display_facts,
	.options = display_options,
	.runtime = display_runtime,
};
