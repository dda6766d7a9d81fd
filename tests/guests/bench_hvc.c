/*
 * A benchmark guest: the cost of a null hypercall round trip to a
 * user-level VMM as the guest sees it, in instructions (PMCCNTR_EL0 under
 * QEMU's -icount counts every instruction at every exception level; the
 * kernel leaves the counter readable at EL1). It sorts its samples and
 * reports min, median and max through one last hypercall.
 */
#include <stdint.h>

#include "guest.h"

#define ITERATIONS 10000
#define WARMUP	   100

void guest_main(void);

static uint64_t samples[ITERATIONS];

static inline uint64_t counter(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, pmccntr_el0" : "=r"(v)::"memory");
	return v;
}

static void hvc(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"x4", "x5", "x6", "x7",
			   "memory");
}

void guest_main(void)
{
	uint64_t overhead = UINT64_MAX;

	for (int i = 0; i < 100; i++) {
		uint64_t t0 = counter();
		uint64_t d = counter() - t0;

		if (d < overhead)
			overhead = d;
	}
	for (int i = -WARMUP; i < ITERATIONS; i++) {
		uint64_t t0 = counter();

		hvc(GUEST_CALL_NULL, 0, 0, 0);
		if (i >= 0)
			samples[i] = counter() - t0 - overhead;
	}
	for (unsigned gap = ITERATIONS / 2; gap > 0; gap /= 2)
		for (unsigned i = gap; i < ITERATIONS; i++)
			for (unsigned j = i; j >= gap && samples[j - gap] > samples[j]; j -= gap) {
				uint64_t t = samples[j];

				samples[j] = samples[j - gap];
				samples[j - gap] = t;
			}
	hvc(GUEST_CALL_RESULT, samples[0], samples[ITERATIONS / 2], samples[ITERATIONS - 1]);
}
