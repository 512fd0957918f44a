/*
 * The client's end of a stats-watch stream (domstats --watch, top): the
 * request is sent without waiting, then each STATS event's data goes to
 * on_sample, and keys typed on stdin_fd (when >= 0) to on_key, as they
 * come, until either returns 1, iterations samples were taken (0: no
 * bound), or the supervisor answers.  Closing the connection is what
 * ends the watch on the supervisor.
 */
#ifndef LAUNCHER_STATWATCH_H
#define LAUNCHER_STATWATCH_H

struct cli;
struct json_object;

struct statwatch {
	int	 delay_ms;
	int	 iterations;
	int	 stdin_fd;
	int	(*on_sample)(struct json_object *data, void *arg);
	int	(*on_key)(int key, void *arg);
	void	*arg;
};

/* --delay S (seconds, decimals allowed, 0.1 to 3600) in ms; def if NULL. */
int	 statwatch_delay(const char *s, int def);
/*
 * args (consumed) are stats-watch's ({"names"}); delay_ms is added.
 * 0, or -1 with why in err (the supervisor's refusal, or it went).
 */
int	 statwatch_run(struct cli *, struct json_object *args,
	    struct statwatch *, char *err, size_t errlen);

#endif
