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
/* install: (install.c) */
int	 corekey_install(struct vmdef *, const char *, char *, size_t);
char	*corekey_install_value(const struct vmdef *);
int	 corekey_install_check(const struct vmdef *, char *, size_t);
void	 corekey_install_free(struct vmdef *);
/* The install key's settings go (not the text: vmdef_install_end). */
void	 corekey_install_clear(struct vmdef *);
void	 corekey_install_dup(struct vmdef *, const struct vmdef *);
/* The canonical value of the memory key; malloc'd. */
char	*corekey_memory_value(const struct vmdef *);

#endif
