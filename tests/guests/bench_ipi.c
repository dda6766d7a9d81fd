/*
 * A benchmark guest for virtual IPIs between vCPUs on different physical
 * CPUs: from a vCPU's write of ICC_SGI1R_EL1 to the first instruction of
 * the handler on the other vCPU, in instructions (PMCCNTR_EL0 under
 * -icount, which counts every CPU's instructions in one counter).
 *
 * Two vCPUs (MPIDR Aff0 0 and 1; apps/bench puts vCPU 0 on CPU 0 beside
 * the VMM that serves the write's trap, and vCPU 1 on CPU 1) play ping-pong:
 * vCPU 0 notes the counter and sends SGI GUEST_IPI_SGI to vCPU 1, whose
 * handler notes the counter on entry (one "with the sender" sample) and
 * sends one back, whose handler on vCPU 0 notes its entry (one "with the
 * target" sample: the VMM now shares the receiver's CPU). Each vCPU waits
 * for its SGI in WFI, so a CPU with nothing to do executes nothing that
 * the counter would add to the other's figure.
 *
 * The two figures of a sample come from the counters of two CPUs, which
 * QEMU starts at different moments (each when its CPU enables it). Under
 * -icount shift=0 both count the same executed instructions (of every
 * CPU), one instruction a nanosecond, and so does the virtual counter, in
 * ticks of 1e9 / CNTFRQ_EL0 instructions, alike on every CPU. Each vCPU
 * finds the smallest value of its cycle counter less the virtual counter
 * in cycles over 256 reads (a loop of an odd length meets every phase of
 * the tick); those minima differ by exactly the offset between the two
 * cycle counters, which the figures are corrected by. (While some CPU
 * runs, the virtual counter does not jump; here one always does.)
 *
 * vCPU 0 sorts and reports both sets (GUEST_CALL_RESULT, x4 =
 * GUEST_BENCH_IPI_*), and ends with GUEST_CALL_DONE.
 */
#include <stdint.h>

#include "bench_report.h"
#include "gic.h"
#include "guest.h"

#define ITERATIONS 10000
#define WARMUP	   100

/* ICC_SGI1R_EL1 (Arm ARM D19.3.25): TargetList 15:0 (by Aff0), INTID 27:24. */
#define SGI1R_INTID_SHIFT 24

void guest_main(void);

static uint64_t to_target[ITERATIONS], to_sender[ITERATIONS];
static uint64_t overhead;

/* Each written by one vCPU, read by the other. */
static volatile uint64_t sent_at, back_sent_at;
static volatile unsigned taken[2];
static volatile int round_no;
static volatile int target_up;
static volatile unsigned target_waits; /* vCPU 1's WFIs so far. */
static volatile int64_t target_skew;

static unsigned this_vcpu(void)
{
	uint64_t mpidr;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	return (unsigned)(mpidr & 0xff);
}

static void send_sgi(unsigned target)
{
	uint64_t v = (uint64_t)GUEST_IPI_SGI << SGI1R_INTID_SHIFT | UINT64_C(1) << target;

	/* YIELD: QEMU's round robin moves on to the next CPU (see above). */
	__asm__ volatile("msr S3_0_C12_C11_5, %0\n\tisb\n\tyield" ::"r"(v) : "memory");
}

void guest_irq(void)
{
	uint64_t now = guest_cycles();
	unsigned intid = gic_ack();
	unsigned me = this_vcpu();
	int i = round_no;

	if (intid == GIC_SPURIOUS)
		return;
	gic_eoi(intid);
	if (intid != GUEST_IPI_SGI)
		return;
	if (me == 1) {
		if (i >= 0)
			to_target[i] = now - sent_at - overhead;
		taken[1]++;
		__asm__ volatile("dsb sy" ::: "memory");
		back_sent_at = guest_cycles();
		send_sgi(0);
	} else {
		if (i >= 0)
			to_sender[i] = now - back_sent_at - overhead;
		taken[0]++;
	}
}

/* Wait in WFI until this vCPU's handler has run once more than before. */
static void wait_taken(unsigned me, unsigned before)
{
	for (;;) {
		irqs_off();
		if (taken[me] != before)
			break;
		wfi(); /* Wakes on a pending interrupt even while masked. */
		irqs_on();
	}
	irqs_on();
}

static void target_main(void)
{
	guest_vectors_install();
	gic_cpu_enable();
	target_skew = bench_counter_skew();
	__asm__ volatile("dsb sy" ::: "memory");
	target_up = 1;
	for (;;) {
		irqs_off();
		target_waits++;
		wfi();
		irqs_on();
	}
}

void guest_main(void)
{
	unsigned waits_at_send = 0;
	int64_t adjust;

	if (this_vcpu() != 0)
		target_main();
	overhead = bench_counter_overhead();
	guest_vectors_install();
	gic_cpu_enable();
	while (!target_up)
		__asm__ volatile("yield" ::: "memory");
	/* vCPU 1's cycle counter reads adjust less than vCPU 0's at the same moment. */
	adjust = bench_counter_skew() - target_skew;
	for (int i = -WARMUP; i < ITERATIONS; i++) {
		unsigned before = taken[0];

		/*
		 * vCPU 1 has finished the last round and waits in WFI again:
		 * then no work of its own is counted in this round's figures.
		 * (YIELD lets QEMU run the other CPU; it is not timed.)
		 */
		while (target_waits == waits_at_send)
			__asm__ volatile("yield" ::: "memory");
		waits_at_send = target_waits;
		round_no = i;
		__asm__ volatile("dsb sy" ::: "memory");
		sent_at = guest_cycles();
		send_sgi(1);
		wait_taken(0, before);
	}
	for (unsigned i = 0; i < ITERATIONS; i++) {
		to_target[i] += (uint64_t)adjust;
		to_sender[i] -= (uint64_t)adjust;
	}
	bench_report(to_target, ITERATIONS, GUEST_BENCH_IPI_VMM_WITH_SENDER);
	bench_report(to_sender, ITERATIONS, GUEST_BENCH_IPI_VMM_WITH_TARGET);
}
