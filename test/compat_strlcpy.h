/* Used by test/compat_check.sh only: see there. */
#include <stddef.h>
#include <string.h>
extern size_t strlcpy(char *dst, const char *src, size_t siz);
