/* Parsing what people type: names, sizes, numbers, booleans, UUIDs. */
#ifndef LAUNCHER_PARSE_H
#define LAUNCHER_PARSE_H

#include <stdint.h>

#define NAME_MAX_LEN	64

/* Names: [A-Za-z0-9][A-Za-z0-9._-]{0,63} */
int	 valid_name(const char *);

/*
 * Sizes: "512" is MiB; a K, M, G or T suffix (optionally followed by B or
 * iB, any case) sets the unit.  Result in bytes.  Returns -1 with a reason
 * in err when the value is malformed or out of range.
 */
int	 parse_size(const char *, uint64_t *bytes, const char **err);
/* Unsigned integer in [min, max]; strtonum's contract. */
int	 parse_uint(const char *, long long min, long long max, long long *out,
	    const char **err);
int	 parse_bool(const char *, int *out);

/* A random RFC 4122 version 4 UUID, lower case. */
void	 uuid_generate_str(char out[37]);
int	 valid_uuid(const char *);

#endif
