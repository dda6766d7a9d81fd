/*
 * A benchmark guest for a channel's doorbell between two VMs on one CPU
 * (apps/bench): in instructions (PMCCNTR_EL0 under -icount counts every
 * instruction at every exception level; both vCPUs run on CPU 0 and read
 * one counter), from VM A's ring to the first instruction of VM B's
 * interrupt handler (one way), and on to the first instruction of A's
 * handler once B's handler has rung back (a round trip).
 *
 * apps/bench loads this image into both VMs, A with x0 = 0 and B with
 * x0 = 1, one vCPU each at one priority, maps the same pages at
 * GUEST_SWITCH_IPA into both (struct doorbell_shared), and binds in each
 * VM doorbell 0 to a notification bound to the other vCPU's SPI
 * GUEST_DOORBELL_SPI (MICA_VM_BIND_DOORBELL, MICA_NOTIFICATION_BIND_VIRQ):
 * a ring is the kernel's hypercall, and wakes the other vCPU from WFI
 * into its handler, with no VMM and no distributor involved.
 *
 * B says it is ready by ringing A once. Then, each round, A stores the
 * counter and rings, and waits in WFI; B's handler stores its
 * sample and rings back; A's handler takes its own. After WARMUP rounds A
 * reports both (GUEST_CALL_RESULT, GUEST_BENCH_DOORBELL_*), then
 * GUEST_CALL_DONE.
 *
 * On one CPU, B's ring back makes A run at once, and B finishes its
 * handler when A waits again, so a one-way figure includes the end of B's
 * last handler, as in any ping-pong. With GUEST_DOORBELL_CROSS_CPU in x0, B runs
 * on another CPU: A waits until B waits in WFI again before each round (so
 * none of B's work from the last round is counted), and B's samples are
 * corrected by the offset between the two CPUs' cycle counters
 * (bench_counter_skew), as bench_ipi.c does.
 */
#include <stdint.h>

#include <mica/guest/ivc.h>

#include "bench_report.h"
#include "gic.h"
#include "guest.h"

#define ITERATIONS 10000
#define WARMUP	   100
#define ROUNDS	   (ITERATIONS + WARMUP)

/* x0 at entry: this vCPU is B (else A), and GUEST_DOORBELL_CROSS_CPU. */
#define DOORBELL_B 1u

void guest_main(uint64_t x0);

struct doorbell_shared {
	volatile uint64_t t0;	   /* A's count just before its ring. */
	volatile uint64_t rounds;  /* Rounds B's handler has answered. */
	volatile uint64_t b_waits; /* B's WFIs so far. */
	volatile int64_t b_skew;   /* B's bench_counter_skew(), across CPUs. */
	uint64_t one_way[ITERATIONS];
};

_Static_assert(sizeof(struct doorbell_shared) <= GUEST_SWITCH_PAGES * 4096,
	       "the shared pages hold every sample");

static struct doorbell_shared *const shared = (struct doorbell_shared *)GUEST_SWITCH_IPA;
static uint64_t round_trip[ITERATIONS]; /* A's own. */
static uint64_t overhead;
static volatile uint64_t taken; /* This vCPU's interrupts. */
static uint64_t is_b;

void guest_irq(void)
{
	uint64_t now = guest_cycles();
	unsigned intid = gic_ack();
	int64_t i;

	if (intid == GIC_SPURIOUS)
		return;
	i = (int64_t)taken - 1 - WARMUP; /* A: its first interrupt is B's "ready". */
	if (is_b) {
		i = (int64_t)shared->rounds - WARMUP;
		if (i >= 0 && i < ITERATIONS)
			shared->one_way[i] = now - shared->t0 - overhead;
		shared->rounds++;
		(void)ivc_ring_doorbell(0);
	} else if (i >= 0 && i < ITERATIONS) {
		round_trip[i] = now - shared->t0 - overhead;
	}
	taken++;
	gic_eoi(intid);
}

void guest_main(uint64_t x0)
{
	int64_t adjust = 0;

	is_b = x0 & DOORBELL_B;
	overhead = bench_counter_overhead();
	guest_vectors_install();
	gic_cpu_enable();
	if (is_b) {
		shared->b_skew = (x0 & GUEST_DOORBELL_CROSS_CPU) ? bench_counter_skew() : 0;
		__asm__ volatile("dsb sy" ::: "memory");
		irqs_on();
		(void)ivc_ring_doorbell(0); /* Ready. */
		for (;;) {
			shared->b_waits++;
			wfi();
		}
	}
	irqs_on();
	while (taken == 0)
		wfi();
	/* B's cycle counter reads adjust less than A's at the same moment. */
	if (x0 & GUEST_DOORBELL_CROSS_CPU)
		adjust = bench_counter_skew() - shared->b_skew;
	for (uint64_t r = 0, waits_at_send = 0; r < ROUNDS; r++) {
		uint64_t t0;

		/* Across CPUs, B waits in WFI again first (YIELD lets QEMU run its CPU). */
		while ((x0 & GUEST_DOORBELL_CROSS_CPU) && shared->b_waits == waits_at_send)
			__asm__ volatile("yield" ::: "memory");
		waits_at_send = shared->b_waits;
		__asm__ volatile("isb\n\tmrs %0, pmccntr_el0" : "=r"(t0));
		shared->t0 = t0;
		(void)ivc_ring_doorbell(0);
		while (taken < r + 2)
			wfi();
	}
	for (unsigned i = 0; i < ITERATIONS; i++)
		shared->one_way[i] += (uint64_t)adjust;
	bench_report(shared->one_way, ITERATIONS, GUEST_BENCH_DOORBELL_ONE_WAY);
	bench_report(round_trip, ITERATIONS, GUEST_BENCH_DOORBELL_ROUND_TRIP);
	(void)guest_hvc(GUEST_CALL_DONE, 0, 0, 0, 0);
	for (;;)
		wfi();
}
