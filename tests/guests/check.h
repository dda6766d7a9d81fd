/*
 * Checks a test guest reports on its console, the PL011 at 0x09000000 of
 * the PL011 server: a line "NAME: what held" for each that holds, and
 * "NAME: FAIL check: field: got X, expected Y" for each field that does
 * not, NAME being check_name. check_failures counts the fields that failed.
 */
#ifndef MICA_TESTS_GUESTS_CHECK_H
#define MICA_TESTS_GUESTS_CHECK_H

#include <stdbool.h>
#include <stdint.h>

extern const char *check_name;
extern unsigned check_failures;

void say(const char *s);
void put_hex(uint64_t v);

/* One field of a check: true if it holds, else a FAIL line with both values. */
bool same(const char *check, const char *field, uint64_t got, uint64_t expected);

/* A field of a check that must lie in [low, high]. */
bool within(const char *check, const char *field, uint64_t got, uint64_t low, uint64_t high);

/* Start the FAIL line of a check (counted): "NAME: FAIL what"; the caller ends it. */
void fail(const char *what);

/* The line of a check that held, if ok. */
void held(bool ok, const char *line);

bool streq(const char *a, const char *b);

/* /chosen's bootargs in the device tree at fdt, or "" if it has none. */
const char *bootargs(const uint8_t *fdt);

#endif
