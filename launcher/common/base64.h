/* Base64 (RFC 4648, with padding), for binary data in JSON strings. */
#ifndef LAUNCHER_BASE64_H
#define LAUNCHER_BASE64_H

#include <stddef.h>

/* A NUL-terminated encoding of len bytes; malloc'd. */
char	*base64_encode(const void *, size_t len);
/* The decoded bytes (malloc'd, *lenp set), or NULL when s is not base64. */
void	*base64_decode(const char *s, size_t *lenp);

#endif
