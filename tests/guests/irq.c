/*
 * A test guest for virtual interrupts: its virtual timer wakes it from
 * WFI (twice: the timer's line must be unmasked again after the first),
 * and so does its EL1 physical timer, its own as the virtual one is,
 * an SPI the VMM injects while it waits in WFI reaches its handler and
 * is deactivated (the VMM hears of that), an SPI withdrawn before the
 * guest unmasks never arrives, and more SPIs than there are list
 * registers all arrive once each, best priority first. It reports each
 * step with a hypercall that its VMM checks.
 */
#include <stdint.h>

#include "gic.h"
#include "guest.h"

void guest_main(void);

static volatile unsigned taken_count;
static volatile unsigned timer_count;
static volatile unsigned ptimer_count;
static volatile unsigned last_intid;
static volatile uint64_t taken_order;

void guest_irq(void)
{
	unsigned intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	if (intid == VTIMER_INTID) {
		vtimer_arm(0); /* Its line stays high until the timer is stopped. */
		timer_count++;
	} else if (intid == PTIMER_INTID) {
		ptimer_arm(0);
		ptimer_count++;
	} else {
		if (taken_count < 16)
			taken_order |= (uint64_t)((intid - GUEST_SPI_MANY) & 0xf)
				       << (4 * taken_count);
		taken_count++;
		last_intid = intid;
	}
	gic_eoi(intid);
}

/* Sleep in WFI until the virtual timer has fired, ticks from now. */
static void timer_wait(uint64_t ticks)
{
	unsigned before = timer_count;
	uint64_t armed = guest_ticks();
	uint64_t deadline;

	vtimer_arm(ticks);
	deadline = vtimer_deadline();
	(void)guest_hvc(GUEST_CALL_TIMER_WAIT, armed, 0, 0, 0);
	while (timer_count == before)
		wfi();
	(void)guest_hvc(GUEST_CALL_TIMER_WOKE, armed, deadline, guest_ticks(),
			timer_count - before);
}

/* The same with the EL1 physical timer, ticks of the physical counter from now. */
static void ptimer_wait(uint64_t ticks)
{
	unsigned before = ptimer_count;
	uint64_t armed = guest_ticks();
	uint64_t deadline;

	ptimer_arm(ticks);
	deadline = ptimer_deadline();
	(void)guest_hvc(GUEST_CALL_TIMER_WAIT, armed, 0, 0, 0);
	while (ptimer_count == before)
		wfi();
	(void)guest_hvc(GUEST_CALL_PTIMER_WOKE, armed, deadline, guest_ticks(),
			ptimer_count - before);
}

/* Spin (unmasked) until count interrupts were taken or ticks went by. */
static void take_for(unsigned count, uint64_t ticks)
{
	uint64_t end = guest_ticks() + ticks;

	irqs_on();
	while (taken_count < count && guest_ticks() < end)
		;
	irqs_off();
}

void guest_main(void)
{
	uint64_t ms = guest_tick_hz() / 1000;

	guest_vectors_install();
	gic_cpu_enable();
	irqs_on();
	timer_wait(20 * ms);
	timer_wait(5 * ms);
	ptimer_wait(5 * ms);

	(void)guest_hvc(GUEST_CALL_SPI_WAIT, 0, 0, 0, 0);
	while (taken_count == 0)
		wfi();
	(void)guest_hvc(GUEST_CALL_SPI_TAKEN, last_intid, taken_count, 0, 0);

	irqs_off();
	taken_count = 0;
	(void)guest_hvc(GUEST_CALL_CLEAR_SETUP, 0, 0, 0, 0);
	(void)guest_hvc(GUEST_CALL_CLEAR_NOW, 0, 0, 0, 0);
	take_for(1, 2 * ms);
	(void)guest_hvc(GUEST_CALL_CLEAR_DONE, taken_count, 0, 0, 0);

	taken_count = 0;
	taken_order = 0;
	(void)guest_hvc(GUEST_CALL_MANY, 0, 0, 0, 0);
	take_for(GUEST_SPI_COUNT + 1, 20 * ms); /* One more than due: none may come twice. */
	(void)guest_hvc(GUEST_CALL_MANY_DONE, taken_order, taken_count, 0, 0);
}
