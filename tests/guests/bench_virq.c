/*
 * A benchmark guest for virtual interrupt injection: it waits in WFI, its
 * VMM injects an SPI, and its handler notes the instruction counter
 * (PMCCNTR_EL0 under -icount) on entry. Each hypercall
 * GUEST_CALL_VIRQ_READY hands the last handler-entry count to the VMM,
 * which subtracts when it started the injection.
 */
#include <stdint.h>

#include "gic.h"
#include "guest.h"

#define ROUNDS (10000 + 100) /* apps/bench's iterations and warm-up. */

void guest_main(void);

static volatile uint64_t entered_at;
static volatile unsigned taken;

void guest_irq(void)
{
	uint64_t now = guest_cycles();
	unsigned intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	entered_at = now;
	taken++;
	gic_eoi(intid);
}

static void ready(uint64_t last)
{
	register uint64_t x0 __asm__("x0") = GUEST_CALL_VIRQ_READY;
	register uint64_t x1 __asm__("x1") = last;

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1)::"x2", "x3", "x4", "x5", "x6", "x7", "memory");
}

void guest_main(void)
{
	guest_vectors_install();
	gic_cpu_enable();
	irqs_on();
	ready(0);
	for (unsigned i = 0; i < ROUNDS; i++) {
		unsigned before = taken;

		while (taken == before)
			wfi();
		ready(entered_at);
	}
}
