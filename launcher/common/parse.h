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

/*
 * Network: interface names (1-15 of [A-Za-z0-9_.:+-], not . or ..), and
 * unicast MAC addresses "52:54:00:ab:cd:ef" (any case in, lower case
 * out).  A generated MAC is 52:54:00 (QEMU's and libvirt's prefix) and
 * three random bytes.
 */
#define IFNAME_MAX_LEN	15
#define MAC_STR_LEN	18
int	 valid_ifname(const char *);
int	 parse_mac(const char *, unsigned char mac[6]);
void	 format_mac(const unsigned char mac[6], char out[MAC_STR_LEN]);
void	 mac_generate_str(char out[MAC_STR_LEN]);

#endif
