/*
 * A benchmark guest: the cost of exits as the guest sees it, in
 * instructions (PMCCNTR_EL0 under QEMU's -icount counts every instruction
 * at every exception level; the kernel leaves the counter readable at
 * EL1): a null hypercall to the VMM, MMIO reads and writes to a device
 * server bound to the range, an MMIO read the VMM serves, a trapped system
 * register read. After each, it sorts its samples and reports min, median
 * and max through a hypercall (GUEST_CALL_RESULT, x4 = GUEST_BENCH_*).
 */
#include <stdint.h>

#include "bench_report.h"
#include "guest.h"

#define ITERATIONS 10000
#define WARMUP	   100

void guest_main(void);

static uint64_t samples[ITERATIONS];

static uint64_t overhead;

/* Run op (a statement) WARMUP + ITERATIONS times, timing each, and report it as id. */
#define MEASURE(id, op)                                                                            \
	do {                                                                                       \
		for (int i_ = -WARMUP; i_ < ITERATIONS; i_++) {                                    \
			uint64_t t0_ = guest_cycles();                                             \
			op;                                                                        \
			if (i_ >= 0)                                                               \
				samples[i_] = guest_cycles() - t0_ - overhead;                     \
		}                                                                                  \
		bench_report(samples, ITERATIONS, id);                                             \
	} while (0)

void guest_main(void)
{
	volatile uint32_t *bound = (volatile uint32_t *)GUEST_DEV_BASE;
	volatile uint32_t *unbound = (volatile uint32_t *)GUEST_VMM_DEV_BASE;
	uint64_t v;

	overhead = bench_counter_overhead();
	MEASURE(GUEST_BENCH_HVC, (void)guest_hvc(GUEST_CALL_NULL, 0, 0, 0, 0));
	MEASURE(GUEST_BENCH_MMIO_READ, (void)*bound);
	MEASURE(GUEST_BENCH_MMIO_WRITE, *bound = 1);
	MEASURE(GUEST_BENCH_MMIO_READ_VMM, (void)*unbound);
	MEASURE(GUEST_BENCH_SYSREG_READ, __asm__ volatile("mrs %0, actlr_el1" : "=r"(v)::"memory"));
	(void)guest_hvc(GUEST_CALL_DONE, 0, 0, 0, 0);
}
