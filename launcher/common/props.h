/*
 * Property strings, as virt-install's flags and QEMU's options write them:
 * "2048,maxmemory=4096", "vnc,listen=127.0.0.1,port=auto".  Items are
 * separated by commas; ",," is a literal comma (as in QEMU).  An item
 * without '=' is positional (key NULL).  A CLI flag "--disk X" and a file
 * line "disk0: X" go through this same parser.
 */
#ifndef LAUNCHER_PROPS_H
#define LAUNCHER_PROPS_H

#include <stddef.h>

struct prop {
	char	*key;		/* NULL for a positional item */
	char	*val;
	int	 used;		/* set by props_get*, for props_unused */
};

struct props {
	struct prop	*v;
	size_t		 n;
};

/* Returns -1 with a reason in err on an empty item or empty key. */
int		 props_parse(const char *, struct props *, char *err, size_t);
void		 props_free(struct props *);
/* The value of key (last one wins), marking it used; NULL if absent. */
const char	*props_get(struct props *, const char *key);
/* The i-th positional item, marking it used; NULL if absent. */
const char	*props_pos(struct props *, size_t i);
/* The first item not looked at, for "unknown property" errors. */
const struct prop *props_unused(const struct props *);
/* Escape a value for a property string (doubles commas); malloc'd. */
char		*props_escape(const char *);

#endif
