/* What the fuzz targets share: a fatal check and UBSan's options. */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* Make UBSan findings fatal with a stack trace. */
#define FUZZ_UBSAN_OPTIONS						\
const char *__ubsan_default_options(void);				\
const char *								\
__ubsan_default_options(void)						\
{									\
	return "halt_on_error=1:print_stacktrace=1";			\
}

#endif
