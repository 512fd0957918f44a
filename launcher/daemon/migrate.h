/*
 * Live migration between two supervisors: what the source side
 * (cmd-migrate.c) and the destination side (migrate-in.c) share.
 *
 * The source qlaunchd is a client of the destination's control socket:
 *
 *   source                                destination
 *   qom-get /machine, probe caps/params
 *   migrate-prepare {text, machine,  -->  define, QEMU -incoming defer
 *     capabilities, parameters}           (taps opened), probe, set caps
 *                                         and params, migrate-incoming
 *                                   <--   {uri}
 *   set caps/params, migrate {uri}
 *   query-migrate until completed
 *   migrate-finish {name}            -->  query-migrate until completed,
 *                                         cont
 *                                   <--   the VM's info
 *   QEMU quits, undefine (or kept
 *   shut off with --keep-source)
 *
 * On any failure the source sends migrate-abort {name}; the destination
 * also cleans up by itself when its QEMU exits or its incoming
 * migration fails.  Cleaning up means: QEMU gone (its taps with it), the
 * definition gone when the preparation made it.
 */
#ifndef LAUNCHER_MIGRATE_H
#define LAUNCHER_MIGRATE_H

#include <sys/queue.h>

#include <stddef.h>

struct daemon;
struct json_object;
struct migctl;
struct req;
struct vm;

/* A migration under way, in the daemon's list (one per VM at most). */
struct migration {
	TAILQ_ENTRY(migration)	 entry;
	struct vm		*vm;
	int			 incoming;	/* the destination's */
	void			*self;		/* the side's own record */
	struct migctl		*ctl;		/* the source's (migctl.h) */
	/* migrate-cancel, where the side's own record is not a migout */
	void			(*cancel)(struct migration *, const char *why);
};

void		 migreg_add(struct daemon *, struct migration *, struct vm *,
		    int incoming, void *self);
void		 migreg_del(struct daemon *, struct migration *);
struct migration *migreg_find(struct daemon *, const struct vm *);
/* -1 (r answered) when vm is migrating: what cannot wait for the end. */
int		 migreg_refuse(struct req *r, const struct vm *vm);

/*
 * The options a migration sets, both sides alike: a capability list
 * [{"capability", "state"}] and parameters {"max-bandwidth": N, ...}.
 * Every capability is listed, on or off, so that a QEMU that was a
 * destination with other settings does not keep them.  Each one on and
 * each parameter must be known to the QEMU whose
 * query-migrate-capabilities (caps) and query-migrate-parameters
 * (params) replies are given; -1 with a line naming the first missing.
 * side is "source" or "destination", for that line.
 */
/* Appends {"capability": name, "state": on} to the list caps. */
void		 migopt_add_cap(struct json_object *caps, const char *name,
		    int on);
int		 migopt_check(struct json_object *caps_have,
		    struct json_object *params_have, struct json_object *caps,
		    struct json_object *params, const char *side, char *err,
		    size_t errlen);
/*
 * What migrate-set-capabilities gets: "events" on, and those of caps the
 * QEMU knows (one asked off that it lacks is left out).  A new list.
 */
struct json_object *migopt_with_events(struct json_object *caps_have,
		    struct json_object *caps);
/*
 * The undo of caps and params: the states and values the QEMU had
 * (from its query replies), for the same names (new objects).
 */
struct json_object *migopt_old_caps(struct json_object *caps_have,
		    struct json_object *caps);
struct json_object *migopt_old_params(struct json_object *params_have,
		    struct json_object *params);

/* The machine type from qom-get /machine type ("pc-i440fx-7.2-machine"). */
int		 migopt_machine(struct json_object *ret, char *buf, size_t len);

#endif
