/* The core keys of a definition (corekeys.c): the table vmdef.c uses. */
#ifndef LAUNCHER_COREKEYS_H
#define LAUNCHER_COREKEYS_H

#include <stddef.h>

struct vmdef;

struct corekey {
	const char	*name;
	/* Set from the value; err holds the reason (no "KEY: "). */
	int		(*set)(struct vmdef *, const char *, char *, size_t);
	int		 repeat;	/* may be given more than once */
};

extern const struct corekey corekeys[];
extern const size_t ncorekeys;

const struct corekey *corekey_find(const char *name);
/* The canonical value of the memory key; malloc'd. */
char	*corekey_memory_value(const struct vmdef *);

#endif
