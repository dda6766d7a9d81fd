/*
 * The part of <stdlib.h> that Mica's freestanding C library (libs/base)
 * provides: number parsing, which libfdt needs.
 */
#ifndef MICA_BASE_STDLIB_H
#define MICA_BASE_STDLIB_H

#include <stddef.h>

/*
 * ISO C's strtoul, except that there is no errno: a value too large for
 * unsigned long gives ULONG_MAX, and a bad base gives 0 with *end = s.
 */
unsigned long strtoul(const char *restrict s, char **restrict end, int base);

#endif
