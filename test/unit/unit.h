/*
 * unit.h — a tiny TAP producer for the C unit tests of src/core.
 *
 * Each test/unit/test_*.c is its own executable: call the CHECK macros, end
 * main() with `return unit_done();`.  Output is TAP (ok / not ok lines and a
 * trailing plan), which test/run_tests.sh counts.
 */
#ifndef IMS_UNIT_H
#define IMS_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int	unit_run = 0;
static int	unit_failed = 0;

static inline void
unit_report(int ok, const char *file, int line, const char *what)
{
	unit_run++;
	if (!ok)
		unit_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", unit_run, what);
	if (!ok)
		printf("#   failed at %s:%d\n", file, line);
}

#define CHECK(cond, name) unit_report((cond) ? 1 : 0, __FILE__, __LINE__, (name))

#define CHECK_INT(got, want, name) do { \
	long long g_ = (long long) (got), w_ = (long long) (want); \
	unit_report(g_ == w_, __FILE__, __LINE__, (name)); \
	if (g_ != w_) printf("#   got %lld, want %lld\n", g_, w_); \
} while (0)

#define CHECK_STR(got, want, name) do { \
	const char *g_ = (got), *w_ = (want); \
	int ok_ = (g_ && w_ && strcmp(g_, w_) == 0); \
	unit_report(ok_, __FILE__, __LINE__, (name)); \
	if (!ok_) printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static inline int
unit_done(void)
{
	printf("1..%d\n", unit_run);
	if (unit_failed)
		printf("# %d of %d failed\n", unit_failed, unit_run);
	return unit_failed ? 1 : 0;
}

#endif							/* IMS_UNIT_H */
