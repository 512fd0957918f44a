/* What the fuzz targets share: a fatal check and UBSan's options. */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/*
 * A failed invariant aborts; its line also goes to the sanitizers' report
 * (a summary line), which libFuzzer keeps when -close_fd_mask=2 closes
 * the target's stderr.
 */
void	__sanitizer_report_error_summary(const char *);
#define CHECK(c) do {							\
	if (!(c)) {							\
		char m_[512];						\
		snprintf(m_, sizeof(m_), "%s:%d: invariant failed: %s",	\
		    __FILE__, __LINE__, #c);				\
		fprintf(stderr, "%s\n", m_);				\
		__sanitizer_report_error_summary(m_);			\
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
