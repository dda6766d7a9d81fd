/*
 * Kernel self-checks for tests (MICA_SYS_DEBUG_CHECK).
 */
#ifndef MICA_DEBUG_H
#define MICA_DEBUG_H

#include "cap.h"

/* The number of broken invariants found (each is printed). */
unsigned debug_check(const struct cap *cnode);

#endif
