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
 * counter and rings, and waits in WFI; B's handler stores its sample and
 * rings back; A's handler takes its own. After WARMUP rounds A reports
 * both (GUEST_CALL_RESULT, GUEST_BENCH_DOORBELL_*), then GUEST_CALL_DONE.
 */
#include <stdint.h>

#include <mica/guest/ivc.h>

#include "bench_report.h"
#include "gic.h"
#include "guest.h"

#define ITERATIONS 10000
#define WARMUP	   100
#define ROUNDS	   (ITERATIONS + WARMUP)

void guest_main(uint64_t role);

struct doorbell_shared {
	volatile uint64_t t0;	  /* A's count just before its ring. */
	volatile uint64_t rounds; /* Rounds B's handler has answered. */
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

void guest_main(uint64_t role)
{
	is_b = role;
	overhead = bench_counter_overhead();
	guest_vectors_install();
	gic_cpu_enable();
	irqs_on();
	if (is_b) {
		(void)ivc_ring_doorbell(0); /* Ready. */
		for (;;)
			wfi();
	}
	while (taken == 0)
		wfi();
	for (uint64_t r = 0; r < ROUNDS; r++) {
		uint64_t t0;

		__asm__ volatile("isb\n\tmrs %0, pmccntr_el0" : "=r"(t0));
		shared->t0 = t0;
		(void)ivc_ring_doorbell(0);
		while (taken < r + 2)
			wfi();
	}
	bench_report(shared->one_way, ITERATIONS, GUEST_BENCH_DOORBELL_ONE_WAY);
	bench_report(round_trip, ITERATIONS, GUEST_BENCH_DOORBELL_ROUND_TRIP);
	(void)guest_hvc(GUEST_CALL_DONE, 0, 0, 0, 0);
	for (;;)
		wfi();
}
