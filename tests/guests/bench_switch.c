/*
 * A benchmark guest for a switch between the vCPUs of two VMs on one CPU:
 * from one vCPU's last read of the cycle counter before it hands the CPU
 * to the other VM's vCPU to that vCPU's first read once it runs, in
 * instructions (PMCCNTR_EL0 under -icount counts every instruction at
 * every exception level; both vCPUs run on one CPU, so they read one
 * counter).
 *
 * apps/bench runs this image in two VMs, one vCPU each, both on CPU 0 at
 * one priority. It maps the same pages at GUEST_SWITCH_IPA into both
 * (struct switch_shared), and makes each VM's SGI target 0 the other VM's
 * vCPU (VM BindSGI, VCPU SetSGI). The two pass the CPU back and forth
 * with GUEST_IPI_SGI: the kernel delivers the write itself, and the
 * target, runnable at the sender's priority, runs at once (the sender's
 * slice ends; docs/kernel.md, "SGIs without the VMM"). So neither ever
 * waits, and no host thread and no idle CPU come between the two.
 *
 * Each round, the vCPU that runs takes the SGI that woke it (polling
 * ICC_IAR1_EL1 with interrupts masked, so no vector runs), stores the
 * counter in the shared pages and writes ICC_SGI1R_EL1. When it runs again
 * it reads the counter first, and keeps the difference if the count there
 * is no longer its own: the other vCPU handed the CPU back.
 *
 * The kernel's tick switches too, and breaks the pattern: a vCPU the tick
 * takes the CPU from before it has acknowledged its SGI still has it
 * pending, so the next SGI to it is no news and switches nothing; the
 * sender goes on until the next tick. A vCPU that runs again and finds
 * its own count there (a tick, not the other vCPU, switched back to it)
 * marks the next switch as not to be kept. Only a tick between a store
 * and its SGI write stays in a sample.
 *
 * After WARMUP switches, the vCPU that takes the last of ITERATIONS sorts
 * them all and reports (GUEST_CALL_RESULT, x4 = GUEST_BENCH_VM_SWITCH),
 * then GUEST_CALL_DONE.
 */
#include <stdint.h>

#include "bench_report.h"
#include "gic.h"
#include "guest.h"

#define ITERATIONS 10000
#define WARMUP	   100

/* ICC_SGI1R_EL1 (Arm ARM D19.3.25): TargetList 15:0 (by Aff0), INTID 27:24. */
#define SGI1R_INTID_SHIFT 24
#define SGI_TO_OTHER_VM	  ((uint64_t)GUEST_IPI_SGI << SGI1R_INTID_SHIFT | 1u)

void guest_main(void);

/*
 * What the two VMs share, at GUEST_SWITCH_IPA. The words the other vCPU
 * writes between two of this one's reads are volatile; the samples are
 * only written, by whichever vCPU takes one, and read by the last.
 */
struct switch_shared {
	volatile uint64_t t0;	    /* The last count read before an SGI, by either vCPU. */
	volatile uint64_t switches; /* Switches seen so far; the first WARMUP are not kept. */
	volatile uint64_t is_stale; /* A tick switched: the next switch is not kept either. */
	uint64_t samples[ITERATIONS];
};

_Static_assert(sizeof(struct switch_shared) <= GUEST_SWITCH_PAGES * 4096,
	       "the shared pages hold every sample");

/*
 * Read the counter into *t0 and *mine and send the SGI to the other VM's
 * vCPU, which takes the CPU at the write; return the first counter read
 * after it, once this vCPU runs again. (The assembly writes *t0, which
 * clang-tidy does not see.)
 */
static uint64_t hand_over(volatile uint64_t *t0, /* NOLINT(readability-non-const-parameter) */
			  uint64_t *mine)
{
	uint64_t before, after;

	__asm__ volatile("isb\n\t"
			 "mrs	%[before], pmccntr_el0\n\t"
			 "str	%[before], [%[t0]]\n\t"
			 "msr	S3_0_C12_C11_5, %[sgi]\n\t"
			 "isb\n\t"
			 "mrs	%[after], pmccntr_el0"
			 : [before] "=&r"(before), [after] "=r"(after)
			 : [t0] "r"(t0), [sgi] "r"(SGI_TO_OTHER_VM)
			 : "memory");
	*mine = before;
	return after;
}

void guest_main(void)
{
	struct switch_shared *s = (struct switch_shared *)GUEST_SWITCH_IPA;
	uint64_t overhead = bench_counter_overhead();

	irqs_off();
	gic_cpu_enable();
	for (;;) {
		unsigned intid = gic_ack();
		uint64_t mine, t1;
		int64_t i;

		if (intid != GIC_SPURIOUS)
			gic_eoi(intid);
		t1 = hand_over(&s->t0, &mine);
		if (s->t0 == mine) {
			s->is_stale = 1;
			continue;
		}
		if (s->is_stale) {
			s->is_stale = 0;
			continue;
		}
		i = (int64_t)s->switches++ - WARMUP;
		if (i < 0 || i >= ITERATIONS)
			continue;
		s->samples[i] = t1 - s->t0 - overhead;
		if (i == ITERATIONS - 1) {
			bench_report(s->samples, ITERATIONS, GUEST_BENCH_VM_SWITCH);
			return;
		}
	}
}
