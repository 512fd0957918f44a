/*
 * The supervisor's own configuration file (qlaunchd.conf(5)):
 * `key = value` lines of defaults, '#' comments.  Not a VM definition
 * (that is qlaunch.conf(5)).  Parsed whole before anything is changed;
 * the first bad line is the error, named FILE:LINE.
 */
#ifndef DCONF_H
#define DCONF_H

#include <limits.h>
#include <stddef.h>

/* What qlaunchd does with running guests when it is stopped. */
enum dconf_onstop {
	ONSTOP_LEAVE,		/* guests outlive the supervisor (default) */
	ONSTOP_SHUTDOWN,	/* ACPI shutdown, then destroy at the timeout */
	ONSTOP_SUSPEND,		/* save to the state dir, restore at start */
};

struct dconf {
	char		 image_dir[PATH_MAX];	/* "" = STATEDIR/images */
	char		 web_user[64];		/* "" = none (--web-user) */
	char		 vnc_listen[64];	/* "" = 127.0.0.1 */
	int		 log_debug;		/* log_level = debug */
	long long	 console_log_max;	/* bytes; 0 = no cap */
	int		 console_log_rotate;	/* kept rotated files */
	long long	 qemu_log_max;		/* bytes; 0 = no cap */
	int		 on_stop;		/* enum dconf_onstop */
	int		 stop_timeout;		/* seconds, for ONSTOP_SHUTDOWN */
};

/* The defaults a missing file gives. */
void	 dconf_defaults(struct dconf *);
/* Parse text (from a file named name) over the defaults already in c. */
int	 dconf_parse(struct dconf *, const char *name, const char *text,
	    char *err, size_t errlen);
/* Read path; a missing file is no error when !must_exist. */
int	 dconf_load(struct dconf *, const char *path, int must_exist,
	    char *err, size_t errlen);
const char *dconf_onstop_name(int);

#endif
