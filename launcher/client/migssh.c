/*
 * migrate to an ssh:// destination, the client's part: ssh runs here,
 * as the user (keys, agent, known hosts: the user's own), to "qlaunch
 * proxy" on the destination host, and is checked to reach the
 * supervisor there before anything starts; its connection goes to the
 * local supervisor with the migrate request (SCM_RIGHTS), which uses it
 * as its way to the destination.  The stream itself goes by TCP to the
 * URI's host unless --listen-address says otherwise.  The local
 * supervisor is asked first whether the user may have the VM at all, so a
 * refusal comes before any ssh runs.
 */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "cli.h"
#include "jget.h"
#include "migssh.h"
#include "sshconn.h"
#include "xalloc.h"

char *
migssh_dest(struct cli *cli, const char *uri, struct json_object *a,
    struct sshconn *ssh)
{
	char err[1024];

	/* exits with the supervisor's one line: another user's, no such VM */
	json_object_put(cli_call(cli, "state", cli_name_args(jstr(a,
	    "name"))));
	if (sshconn_open(uri, ssh, err, sizeof(err)) == -1)
		cli_die("migrate: %s", err);
	json_object_object_add(a, "dest", json_object_new_string(ssh->label));
	json_object_object_add(a, "peer_fd", json_object_new_boolean(1));
	if (jget(a, "listen") == NULL)
		json_object_object_add(a, "listen", json_object_new_string(
		    ssh->host));
	/* the supervisor has it from the request on; ssh stays ours */
	cli->conn.pass_fd = ssh->fd;
	ssh->fd = -1;
	return xstrdup(ssh->label);
}
