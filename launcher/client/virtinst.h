/*
 * create's command line, which is virt-install's: each flag a row of one
 * table (virtinst.c) that makes it a definition setting, an argument of
 * the create request, a flag of the client, or accepted and ignored with
 * its reason.  A pure function from argv to the result: nothing is
 * printed or sent.
 */
#ifndef LAUNCHER_VIRTINST_H
#define LAUNCHER_VIRTINST_H

#include <stddef.h>

struct json_object;

/* What virtinst_parse returns: the exit status it calls for. */
#define VI_OK		0
#define VI_ERROR	1	/* a bad value */
#define VI_USAGE	2	/* an unknown flag, a missing value, ... */

struct virtinst {
	char			*name;
	/* definition settings: {"key": "value"}, or ["v", ...] repeated */
	struct json_object	*settings;
	/* more arguments of create: "install", "location", "extra_args" */
	struct json_object	*args;
	int			 start;		/* start it once defined */
	int			 paused;	/* ...with its CPUs paused */
	int			 attach;	/* attach to its serial console */
	int			 wait;		/* wait until it shuts off */
	long long		 wait_min;	/* that long; -1 forever */
	int			 print;		/* --print-xml: print, send nothing */
	int			 dry_run;	/* --dry-run: check, send nothing */
	char			**warnings;	/* lines for the user */
	size_t			 nwarnings;

	/* as given; start, attach and wait above are what follows */
	int			 f_start, f_paused, f_console, f_noauto;
	int			 install;	/* --cdrom, --location, --import */
};

/*
 * argv[0] is the command's name; flags and the name operand follow.  On
 * error (VI_ERROR or VI_USAGE) err holds one line without a prefix, and
 * the result is freed.
 */
int	 virtinst_parse(int argc, char **argv, struct virtinst *, char *err,
	    size_t errlen);
void	 virtinst_free(struct virtinst *);

#endif
