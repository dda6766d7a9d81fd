/*
 * Kernel self-checks for tests: the invariant checker
 * (MICA_SYS_DEBUG_CHECK) and the longest stretch the kernel runs with
 * interrupts masked (MICA_SYS_DEBUG_STRETCH). Test builds only
 * (MICA_CONFIG_DEBUG); elsewhere the stretch marks cost nothing.
 */
#ifndef MICA_DEBUG_H
#define MICA_DEBUG_H

#include "cap.h"

#ifdef MICA_CONFIG_DEBUG
/* The number of broken invariants found (each is printed). */
unsigned debug_check(const struct cap *cnode);

/*
 * Stretches with interrupts masked, in arch_cycles() (instructions under
 * QEMU's -icount): one begins where the kernel is entered (or leaves the
 * idle loop) and ends at every point an interrupt waiting would be taken:
 * the return to a thread, a preemption point, idling.
 */
void debug_stretch_begin(void);
void debug_stretch_point(void);

/* The longest stretch since the last call (which starts a new measurement). */
uint64_t debug_stretch_take_longest(void);

/* A system call was preempted (to be made again); how many since the last take. */
void debug_preempted(void);
uint64_t debug_take_preemptions(void);
#else
static inline void debug_stretch_begin(void)
{
}

static inline void debug_stretch_point(void)
{
}

static inline void debug_preempted(void)
{
}
#endif

#endif
