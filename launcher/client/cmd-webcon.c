/*
 * qlaunch: console-ticket and console-fd, the supervisor's web console
 * requests from the command line (what the web process does for a
 * browser): a one-time ticket, and the console's own descriptor relayed
 * to stdin and stdout (VNC's RFB bytes, or the serial console's).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "clientfd.h"
#include "console.h"
#include "jget.h"
#include "util.h"

static const char *const kinds[] = { "vnc", "serial", NULL };

static struct json_object *
ticket_args(const char *name, const char *kind)
{
	struct json_object *a = cli_name_args(name);

	json_object_object_add(a, "kind", json_object_new_string(kind));
	return a;
}

static int
c_console_ticket(struct cli *cli, int argc, char **argv)
{
	const char *kind = NULL;
	int json = 0;
	struct opt o[] = {
		{ "kind", 1, &kind, NULL },
		{ "json", 0, NULL, &json },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	if (kind == NULL)
		cli_usage_exit(cli);
	cli_one_of(cli, "kind", kind, kinds);
	struct json_object *v = cli_call(cli, "console-ticket",
	    ticket_args(argv[first], kind));
	if (json)
		cli_print_json(v);
	else
		printf("%s\n", jstr(v, "ticket"));
	json_object_put(v);
	return 0;
}

static int
c_console_fd(struct cli *cli, int argc, char **argv)
{
	const char *kind = NULL, *ticket = NULL, *timeout = NULL, *quiet = NULL;
	struct opt o[] = {
		{ "kind", 1, &kind, NULL },
		{ "ticket", 1, &ticket, NULL },
		{ "timeout", 1, &timeout, NULL },
		{ "quiet", 1, &quiet, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	cli_operands(cli, argc, first, 1);
	if ((kind == NULL) == (ticket == NULL))
		cli_usage_error(cli, "give --kind (a ticket is asked for) or "
		    "--ticket, one of them");
	if (kind != NULL)
		cli_one_of(cli, "kind", kind, kinds);
	int timeout_s = timeout ? (int)cli_num("--timeout", timeout, 1,
	    86400) : 0;
	int quiet_ms = quiet ? (int)cli_num("--quiet", quiet, 1, 3600000) :
	    1500;
	struct json_object *v = NULL;
	if (ticket == NULL) {
		v = cli_call(cli, "console-ticket", ticket_args(argv[first],
		    kind));
		ticket = jstr(v, "ticket");
	}
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "ticket", json_object_new_string(ticket));
	json_object_put(v);
	json_object_put(cli_call(cli, "console-open", a));
	int fd = client_take_fd(&cli->conn);
	if (fd == -1)
		cli_die("the supervisor answered console-open without the "
		    "console's descriptor");
	/* the descriptor is the console: the relay of qlaunch console */
	struct client_conn c;
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	console_relay(&c, argv[first], timeout_s, quiet_ms);
	close(fd);
	return 0;
}

const struct cmd cmds_webcon[] = {
	{ "console-ticket", NULL, c_console_ticket,
	    "NAME --kind vnc|serial [--json]" },
	{ "console-fd", NULL, c_console_fd, "NAME --kind vnc|serial | "
	    "--ticket TICKET [--timeout SECONDS] [--quiet MS]" },
	{ NULL, NULL, NULL, NULL }
};
