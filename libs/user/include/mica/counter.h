/*
 * The generic counter, which EL0 may read (the kernel sets
 * CNTHCTL_EL2.EL0VCTEN; CNTVOFF_EL2 is 0, so it is the physical count):
 * time stamps without a system call.
 */
#ifndef MICA_USER_COUNTER_H
#define MICA_USER_COUNTER_H

#include <stdint.h>

/* CNTVCT_EL0, after the instructions before it (ISB). */
static inline uint64_t mica_counter(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

/* CNTFRQ_EL0: the counter's ticks per second. */
static inline uint64_t mica_counter_hz(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

#endif
