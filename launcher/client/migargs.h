/*
 * migrate's further options (postcopy, the timeout's action, xbzrle's
 * cache, multifd's compression, the stall timeout) as the request's
 * arguments; the supervisor checks how they go together (migctl.h).
 */
#ifndef LAUNCHER_MIGARGS_H
#define LAUNCHER_MIGARGS_H

struct json_object;

struct migargs {
	int		 postcopy;
	const char	*postcopy_after;
	const char	*timeout_action;
	const char	*xbzrle_cache;		/* --xbzrle=CACHE */
	const char	*compression;
	const char	*stall_timeout;
	const char	*postcopy_bandwidth;	/* MiB/s */
};

/* Into the request's arguments a; a bad number or size: exit, one line. */
void	 migargs_add(struct json_object *a, const struct migargs *);

#endif
