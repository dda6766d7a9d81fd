/*
 * Unit tests of the virtual GIC's generic half on the fake architecture:
 * the queue of pending virtual interrupts (priority order, capacity, no
 * duplicates, withdrawal), filling the fake's four list registers, the
 * maintenance interrupt's refill and EOI bookkeeping, lines passed through
 * or behind the guest timer, and WFI/WFE waits. The tests play the guest
 * by changing the fake list registers the way the GIC would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake.h"
#include "irq.h"
#include "print.h"
#include "sched.h"
#include "vcpu.h"

#include <mica/abi/exit.h>
#include <mica/abi/invocation.h>

void print_init(volatile void *regs)
{
	(void)regs;
}

void print_write(const char *s, size_t len)
{
	(void)s;
	(void)len;
}

int kprintf(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

void panic(const char *fmt, ...)
{
	(void)fmt;
	fail_msg("kernel panic");
	abort();
}

#define VTIMER 27u

static struct vcpu vcpu;
static struct tcb thread;

/* A vCPU bound to a running thread, its state loaded on CPU 0. */
static int setup(void **state)
{
	(void)state;
	memset(sched_cpus, 0, sizeof(sched_cpus));
	memset(&thread, 0, sizeof(thread));
	memset(fake_irq_enabled, 0, sizeof(fake_irq_enabled));
	tcb_init(&thread);
	vcpu_init(&vcpu);
	vcpu.state = MICA_VCPU_FREE; /* As SET_ENTRY leaves it. */
	assert_int_equal(vcpu_bind(&vcpu, &thread), MICA_OK);
	thread.state = THREAD_RUNNABLE;
	thread.priority = 10;
	sched_cpus[0].current = &thread;
	sched_cpus[0].loaded_vcpu = &vcpu;
	vgic_set_timer_intid(VGIC_TIMER_VIRT, VTIMER);
	return 0;
}

static struct fake_lr *lr(unsigned n)
{
	return &vcpu.arch.lr[n];
}

/* The guest takes LR n's interrupt and deactivates it, as the GIC records that. */
static void guest_handles(unsigned n)
{
	lr(n)->state = VGIC_LR_INVALID;
}

/* The list register holding intid in any state but invalid, or -1. */
static int lr_holding(unsigned intid)
{
	for (unsigned n = 0; n < fake_lr_count; n++)
		if (lr(n)->state != VGIC_LR_INVALID && lr(n)->intid == intid)
			return (int)n;
	return -1;
}

/* The list register that must hold intid (test failure if none). */
static unsigned lr_of(unsigned intid)
{
	int n = lr_holding(intid);

	assert_true(n >= 0);
	return n >= 0 ? (unsigned)n : 0;
}

static void inject(unsigned intid, unsigned priority, unsigned flags)
{
	assert_int_equal(vgic_inject(&vcpu, intid, priority, flags), MICA_OK);
}

/*
 * An interrupt goes straight into a free list register while none waits
 * before it: here every one holds an interrupt the guest has taken, so
 * what comes next waits in the queue.
 */
static void busy_registers(void)
{
	for (unsigned n = 0; n < fake_lr_count; n++) {
		inject(900 + n, 0, 0);
		lr(lr_of(900 + n))->state = VGIC_LR_ACTIVE;
	}
	assert_int_equal(vcpu.vgic.count, 0);
}

/* The guest deactivates what busy_registers left. */
static void free_registers(void)
{
	for (unsigned n = 0; n < fake_lr_count; n++)
		if (lr(n)->intid >= 900)
			guest_handles(n);
}

static void test_inject_rejects_bad_intid_priority_and_flags(void **state)
{
	(void)state;
	assert_int_equal(vgic_inject(&vcpu, 1020, 0, 0), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgic_inject(&vcpu, 40, 256, 0), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgic_inject(&vcpu, 40, 0, 2), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vcpu.vgic.count, 0);
	assert_false(vcpu.vgic.has_work);
	/* Nothing waits and a list register is free: the guest has it at once. */
	inject(1019, 255, MICA_VIRQ_NOTIFY_EOI);
	assert_int_equal(lr(lr_of(1019))->state, VGIC_LR_PENDING);
	assert_int_equal(lr(lr_of(1019))->priority, 255);
	assert_true(lr(lr_of(1019))->eoi);
	assert_int_equal(vcpu.vgic.count, 0);
	assert_false(vcpu.vgic.has_work);
	assert_true(vgic_has_pending(&vcpu));
}

static void test_queue_orders_by_priority_then_arrival(void **state)
{
	const unsigned want[] = {41, 43, 44, 40, 42};

	(void)state;
	busy_registers();
	inject(40, 0x80, 0);
	inject(41, 0x20, 0);
	inject(42, 0x80, 0);
	inject(43, 0x20, 0);
	inject(44, 0x40, 0);
	assert_int_equal(vcpu.vgic.count, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(vcpu.vgic.queue[i].intid, want[i]);
}

static void test_an_intid_already_pending_is_not_queued_twice(void **state)
{
	(void)state;
	busy_registers();
	inject(40, 0x80, 0);
	inject(40, 0x10, MICA_VIRQ_NOTIFY_EOI);
	assert_int_equal(vcpu.vgic.count, 1);
	assert_int_equal(vcpu.vgic.queue[0].priority, 0x80);
	assert_int_equal(vcpu.vgic.queue[0].flags, VGIC_NOTIFY_VMM);
	/* In a list register, pending: still once, and now it asks for its EOI. */
	free_registers();
	assert_true(vgic_enter(&vcpu));
	assert_int_equal(vcpu.vgic.count, 0);
	inject(50, 0x80, 0);
	inject(50, 0x80, MICA_VIRQ_NOTIFY_EOI);
	assert_int_equal(vcpu.vgic.count, 0);
	assert_true(lr(lr_of(50))->eoi);
	assert_false(vcpu.vgic.has_work);
}

static void test_a_full_queue_refuses_the_vmm_but_keeps_room_for_lines(void **state)
{
	unsigned room = VGIC_VMM_ENTRIES;

	(void)state;
	busy_registers();
	for (unsigned i = 0; i < room; i++)
		inject(100 + i, i, 0);
	assert_int_equal(vgic_inject(&vcpu, 99, 0, 0), MICA_ERR_NOT_ENOUGH_MEMORY);
	inject(100, 0, 0); /* A duplicate still succeeds. */
	vgic_timer_fired(VTIMER);
	assert_int_equal(vcpu.vgic.count, room + 1);
	assert_false(fake_irq_enabled[VTIMER]);
	/* Once list registers take some, the VMM may inject again. */
	free_registers();
	assert_true(vgic_enter(&vcpu));
	assert_int_equal(vcpu.vgic.count, room + 1 - fake_lr_count);
	inject(99, 0, 0);
}

static void test_entry_fills_the_best_into_free_registers_and_asks_for_underflow(void **state)
{
	(void)state;
	inject(40, 0x60, 0);
	inject(41, 0x50, 0);
	inject(42, 0x40, 0);
	inject(43, 0x30, 0);
	inject(44, 0x20, 0);
	inject(45, 0x10, 0);
	assert_true(vgic_enter(&vcpu));
	for (unsigned intid = 42; intid <= 45; intid++) {
		unsigned n = lr_of(intid);

		assert_int_equal(lr(n)->state, VGIC_LR_PENDING);
		assert_false(lr(n)->eoi);
	}
	assert_int_equal(vcpu.vgic.count, 2);
	assert_int_equal(vcpu.vgic.queue[0].intid, 41);
	assert_true(vcpu.arch.underflow);
	assert_true(vcpu.vgic.has_work);
	assert_true(vgic_has_pending(&vcpu));
}

static void test_a_better_interrupt_evicts_the_worst_pending_register(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 4; i++)
		inject(40 + i, 0x40 + 0x10 * i, 0);
	assert_true(vgic_enter(&vcpu));
	lr(lr_of(40))->state = VGIC_LR_ACTIVE; /* The guest took the best one. */
	inject(50, 0x00, 0);
	inject(51, 0xf0, 0);
	assert_true(vgic_enter(&vcpu));
	assert_true(lr_holding(50) >= 0);
	assert_int_equal(lr_holding(43), -1); /* The worst pending one went back... */
	assert_int_equal(vcpu.vgic.count, 2);
	assert_int_equal(vcpu.vgic.queue[0].intid, 43); /* ...ahead of a worse one. */
	assert_int_equal(vcpu.vgic.queue[1].intid, 51);
	assert_int_equal(lr(lr_of(40))->state, VGIC_LR_ACTIVE);
}

static void test_clear_withdraws_queued_and_pending_but_not_active(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 6; i++)
		inject(40 + i, 0x10 * i, 0);
	assert_true(vgic_enter(&vcpu));
	lr(lr_of(40))->state = VGIC_LR_ACTIVE;
	assert_false(vgic_clear(&vcpu, 40)); /* Active: the guest has it. */
	assert_true(vgic_clear(&vcpu, 41));  /* Pending in a list register. */
	assert_true(vgic_clear(&vcpu, 45));  /* Queued. */
	assert_false(vgic_clear(&vcpu, 99)); /* Never injected. */
	assert_int_equal(lr(lr_of(40))->state, VGIC_LR_ACTIVE);
	assert_int_equal(lr_holding(41), -1);
	assert_int_equal(vcpu.vgic.count, 1);
	assert_int_equal(vcpu.vgic.queue[0].intid, 44);
	vgic_clear(&vcpu, 44);
	assert_false(vcpu.vgic.has_work);
	/* Pending and active: only the pending part goes. */
	inject(40, 0, 0);
	assert_true(vgic_enter(&vcpu));
	assert_int_equal(lr(lr_of(40))->state, VGIC_LR_PENDING_ACTIVE);
	vgic_clear(&vcpu, 40);
	assert_int_equal(lr(lr_of(40))->state, VGIC_LR_ACTIVE);
}

static void test_maintenance_refills_registers_the_guest_emptied(void **state)
{
	unsigned seen[8], count = 0;

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		inject(40 + i, 0xf0 - 0x10 * i, 0); /* 47 is the best. */
	assert_true(vgic_enter(&vcpu));
	/* The guest handles the best pending one each time; the kernel refills on underflow. */
	while (count < 8) {
		unsigned best = fake_lr_count;

		for (unsigned n = 0; n < fake_lr_count; n++)
			if (lr(n)->state == VGIC_LR_PENDING &&
			    (best == fake_lr_count || lr(n)->priority < lr(best)->priority))
				best = n;
		assert_true(best < fake_lr_count);
		if (best == fake_lr_count)
			return;
		seen[count++] = lr(best)->intid;
		guest_handles(best);
		vgic_maintenance();
	}
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(seen[i], 47 - i);
	assert_false(vcpu.arch.underflow);
	assert_false(vgic_has_pending(&vcpu));
}

static void test_eoi_notify_frees_the_register_and_exits_once_per_entry(void **state)
{
	(void)state;
	inject(60, 0x20, MICA_VIRQ_NOTIFY_EOI);
	inject(61, 0x10, MICA_VIRQ_NOTIFY_EOI);
	inject(62, 0x30, 0);
	assert_true(vgic_enter(&vcpu));
	assert_true(lr(lr_of(60))->eoi);
	assert_false(lr(lr_of(62))->eoi);
	for (unsigned intid = 60; intid <= 62; intid++)
		guest_handles(lr_of(intid));
	/* A register asking for its EOI stays busy until the kernel has seen it. */
	for (unsigned n = 0, busy = 0; n < fake_lr_count; n++) {
		busy += lr(n)->eoi;
		if (n == fake_lr_count - 1)
			assert_int_equal(busy, 2);
	}

	/* The vCPU thread is not running (its VMM is): the exits wait for its entry. */
	sched_cpus[0].current = NULL;
	thread.state = THREAD_BLOCKED_REPLY;
	vgic_maintenance();
	for (unsigned n = 0; n < fake_lr_count; n++) {
		assert_int_equal(lr(n)->state, VGIC_LR_INVALID);
		assert_false(lr(n)->eoi);
	}
	assert_int_equal(vcpu.vgic.eoi_owed_count, 2);
	assert_true(vcpu.vgic.has_work);

	sched_cpus[0].current = &thread;
	thread.state = THREAD_RUNNABLE;
	assert_false(vgic_enter(&vcpu));
	assert_int_equal(thread.fault_label, MICA_EXIT_VIRQ_EOI);
	assert_int_equal(thread.fault_count, 1);
	assert_int_equal(thread.fault_mr[0], 60);
	thread.state = THREAD_RUNNABLE;
	assert_false(vgic_enter(&vcpu));
	assert_int_equal(thread.fault_mr[0], 61);
	thread.state = THREAD_RUNNABLE;
	assert_true(vgic_enter(&vcpu));
	assert_false(vcpu.vgic.has_work);
}

/*
 * Straight into a free list register only while nothing waits: behind a
 * queued interrupt another queues too, even with a register free, and the
 * way into the guest takes the best first.
 */
static void test_nothing_overtakes_the_queue(void **state)
{
	(void)state;
	busy_registers();
	inject(40, 0x20, 0);
	guest_handles(lr_of(900)); /* Free, and not yet filled again. */
	inject(41, 0x80, 0);
	assert_int_equal(vcpu.vgic.count, 2);
	assert_int_equal(lr_holding(41), -1);
	assert_true(vgic_enter(&vcpu));
	assert_int_equal(lr(lr_of(40))->state, VGIC_LR_PENDING);
	assert_int_equal(lr_holding(41), -1);
	assert_int_equal(vcpu.vgic.count, 1);
	assert_int_equal(vcpu.vgic.queue[0].intid, 41);
}

/*
 * The guest deactivated an interrupt that asks for its EOI, and the kernel
 * has not seen that yet (the register is invalid, still busy) when the same
 * INTID comes again: it goes into another register at once, the only valid
 * one with that INTID; the maintenance then reports the old one's EOI once
 * and the new one stays pending, once, asking for nothing.
 */
static void test_an_intid_again_before_its_eoi_is_seen_takes_another_register(void **state)
{
	unsigned old, now;

	(void)state;
	inject(40, 0x20, MICA_VIRQ_NOTIFY_EOI);
	old = lr_of(40);
	guest_handles(old);
	assert_true(lr(old)->eoi);
	inject(40, 0x30, 0);
	assert_int_equal(vcpu.vgic.count, 0);
	now = lr_of(40);
	assert_int_not_equal(now, old);
	assert_int_equal(lr(now)->state, VGIC_LR_PENDING);
	assert_int_equal(lr(now)->priority, 0x30);
	assert_false(lr(now)->eoi);
	assert_int_equal(lr(old)->state, VGIC_LR_INVALID);
	assert_true(lr(old)->eoi);

	sched_cpus[0].current = NULL;
	thread.state = THREAD_BLOCKED_REPLY;
	vgic_maintenance();
	assert_false(lr(old)->eoi);
	assert_int_equal(vcpu.vgic.eoi_owed_count, 1);
	assert_int_equal(lr_of(40), now);
	assert_int_equal(lr(now)->state, VGIC_LR_PENDING);

	sched_cpus[0].current = &thread;
	thread.state = THREAD_RUNNABLE;
	assert_false(vgic_enter(&vcpu));
	assert_int_equal(thread.fault_label, MICA_EXIT_VIRQ_EOI);
	assert_int_equal(thread.fault_mr[0], 40);
	thread.state = THREAD_RUNNABLE;
	assert_true(vgic_enter(&vcpu));
	assert_int_equal(lr_of(40), now);
	assert_int_equal(vcpu.vgic.count, 0);
	guest_handles(now);
	vgic_maintenance();
	assert_int_equal(vcpu.vgic.eoi_owed_count, 0);
	assert_false(vgic_has_pending(&vcpu));
}

static void test_injecting_an_active_interrupt_makes_it_pending_again(void **state)
{
	(void)state;
	inject(40, 0x20, 0);
	assert_true(vgic_enter(&vcpu));
	lr(lr_of(40))->state = VGIC_LR_ACTIVE;
	/* Pending again where it is, at once (nothing waits in the queue). */
	inject(40, 0x20, 0);
	assert_int_equal(vcpu.vgic.count, 0);
	assert_int_equal(lr(lr_of(40))->state, VGIC_LR_PENDING_ACTIVE);
	assert_false(lr(lr_of(40))->eoi);

	/*
	 * With a flag the active one lacks, it waits in the queue: withdrawn
	 * before the guest's next entry, the flag goes with it, and the guest's
	 * end of the active one asks for no EOI exit.
	 */
	lr(lr_of(40))->state = VGIC_LR_ACTIVE;
	inject(40, 0x20, MICA_VIRQ_NOTIFY_EOI);
	assert_int_equal(vcpu.vgic.count, 1);
	assert_int_equal(lr(lr_of(40))->state, VGIC_LR_ACTIVE);
	assert_true(vgic_clear(&vcpu, 40));
	assert_int_equal(vcpu.vgic.count, 0);
	assert_false(lr(lr_of(40))->eoi);
	/* Not withdrawn, it is pending again on the way in, and asks for the EOI. */
	inject(40, 0x20, MICA_VIRQ_NOTIFY_EOI);
	assert_true(vgic_enter(&vcpu));
	assert_int_equal(lr(lr_of(40))->state, VGIC_LR_PENDING_ACTIVE);
	assert_true(lr(lr_of(40))->eoi);
	for (unsigned n = 0, held = 0; n < fake_lr_count; n++) {
		held += lr(n)->intid == 40 && lr(n)->state != VGIC_LR_INVALID;
		assert_true(held <= 1);
	}
}

static void test_a_line_passed_through_stays_masked_until_the_guest_deactivates_it(void **state)
{
	unsigned idles = fake_vgic_idles;

	(void)state;
	assert_int_equal(irq_handler_set_vcpu(48, &vcpu, 0x30), MICA_OK);
	assert_true(fake_irq_enabled[48]);
	irq_deliver(48);
	assert_false(fake_irq_enabled[48]);
	assert_true(vgic_enter(&vcpu));
	assert_int_equal(lr(lr_of(48))->priority, 0x30);
	guest_handles(lr_of(48));
	vgic_maintenance();
	assert_true(fake_irq_enabled[48]);
	assert_false(vcpu.vgic.has_work); /* No exit: the VMM did not ask. */

	/* Once the vCPU is gone, nothing points at it and the line is quiet. */
	irq_deliver(48);
	vcpu_destroy(&vcpu);
	assert_false(fake_irq_enabled[48]);
	assert_int_equal(vcpu.vgic.passthrough_count, 0);
	assert_null(sched_cpus[0].loaded_vcpu);
	vgic_maintenance();
	assert_int_equal(fake_vgic_idles, idles + 1);
}

static void test_a_reset_drops_every_interrupt_and_unmasks_their_lines(void **state)
{
	(void)state;
	assert_int_equal(irq_handler_set_vcpu(48, &vcpu, 0x30), MICA_OK);
	assert_int_equal(irq_handler_set_vcpu(49, &vcpu, 0x30), MICA_OK);
	irq_deliver(48);
	assert_true(vgic_enter(&vcpu)); /* 48 in a list register... */
	irq_deliver(49);		/* ...49 queued. */
	inject(40, 0, MICA_VIRQ_NOTIFY_EOI);
	assert_false(fake_irq_enabled[48] || fake_irq_enabled[49]);
	vgic_reset(&vcpu);
	assert_true(fake_irq_enabled[48] && fake_irq_enabled[49]);
	assert_int_equal(vcpu.vgic.count, 0);
	assert_false(vcpu.vgic.has_work);
	assert_int_equal(vcpu.vgic.passthrough_count, 2); /* The lines stay bound. */
	irq_forget_vcpu(&vcpu);
}

static void test_a_vcpu_takes_only_so_many_lines(void **state)
{
	(void)state;
	for (unsigned i = 0; i < VGIC_PASSTHROUGH_MAX; i++)
		assert_int_equal(irq_handler_set_vcpu(64 + i, &vcpu, 0), MICA_OK);
	assert_int_equal(irq_handler_set_vcpu(90, &vcpu, 0), MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_int_equal(irq_handler_set_vcpu(64, &vcpu, 1), MICA_OK); /* Rebinding is fine. */
	irq_handler_clear(65);
	assert_int_equal(irq_handler_set_vcpu(90, &vcpu, 0), MICA_OK);
	irq_forget_vcpu(&vcpu);
	assert_int_equal(vcpu.vgic.passthrough_count, 0);
}

static void test_the_timer_ppi_is_unmasked_when_the_guest_deactivates_it(void **state)
{
	struct vcpu other = {0};

	(void)state;
	fake_irq_enabled[VTIMER] = true;
	vgic_timer_fired(VTIMER);
	assert_false(fake_irq_enabled[VTIMER]);
	assert_true(vcpu.vgic.timers_masked & (1u << VGIC_TIMER_VIRT));
	assert_true(vgic_enter(&vcpu));
	/* Another vCPU takes the CPU: its own timer line is unmasked; back, masked again. */
	vgic_load(&vcpu, &other);
	assert_true(fake_irq_enabled[VTIMER]);
	vgic_load(&other, &vcpu);
	assert_false(fake_irq_enabled[VTIMER]);
	/* With no vCPU known to have been loaded, the line is set whatever it was. */
	fake_irq_enabled[VTIMER] = true;
	vgic_load(NULL, &vcpu);
	assert_false(fake_irq_enabled[VTIMER]);
	vgic_load(NULL, &other);
	assert_true(fake_irq_enabled[VTIMER]);
	vgic_load(&other, &vcpu);
	guest_handles(lr_of(VTIMER));
	vgic_maintenance();
	assert_true(fake_irq_enabled[VTIMER]);
	assert_false(vcpu.vgic.timers_masked & (1u << VGIC_TIMER_VIRT));
}

/*
 * The guest's redistributor view of its timer: disabled, the timer's PPI
 * fires but the guest sees nothing (the line stays masked, held); enabled
 * again, the line is unmasked and, still high, fires into the guest at the
 * priority the guest chose. Disabled while pending, it is withdrawn.
 */
static void test_a_disabled_timer_ppi_is_held_until_enabled_at_its_priority(void **state)
{
	(void)state;
	vgic_set_timers(&vcpu, 1u << VGIC_TIMER_PHYS, (const uint8_t[VGIC_TIMERS]){0x80, 0x80});
	fake_irq_enabled[VTIMER] = true;
	vgic_timer_fired(VTIMER);
	assert_false(fake_irq_enabled[VTIMER]);
	assert_int_equal(vcpu.vgic.count, 0);
	assert_false(vgic_has_pending(&vcpu));

	vgic_set_timers(&vcpu, 3u, (const uint8_t[VGIC_TIMERS]){0x30, 0x80});
	assert_true(fake_irq_enabled[VTIMER]);
	vgic_timer_fired(VTIMER);
	assert_int_equal(lr(lr_of(VTIMER))->state, VGIC_LR_PENDING);
	assert_int_equal(lr(lr_of(VTIMER))->priority, 0x30);

	/* Disabled before the guest took it: withdrawn, and the line may fire (and be held). */
	vgic_set_timers(&vcpu, 0, (const uint8_t[VGIC_TIMERS]){0x30, 0x80});
	assert_int_equal(lr_holding(VTIMER), -1);
	assert_false(vgic_has_pending(&vcpu));
	assert_true(fake_irq_enabled[VTIMER]);
	vgic_timer_fired(VTIMER);
	assert_false(vgic_has_pending(&vcpu));
	assert_false(fake_irq_enabled[VTIMER]);
}

/*
 * A new priority for a timer reaches its interrupt while it waits, queued
 * or pending in a list register (so a guest that raises it above its
 * priority mask takes it at once), but not once the guest has taken it.
 */
static void
test_a_pending_timer_takes_its_new_priority_but_an_active_one_keeps_its_own(void **state)
{
	(void)state;
	busy_registers();
	vgic_set_timers(&vcpu, 3u, (const uint8_t[VGIC_TIMERS]){0xc0, 0x80});
	fake_irq_enabled[VTIMER] = true;
	vgic_timer_fired(VTIMER);
	inject(40, 0x80, 0);
	assert_int_equal(vcpu.vgic.queue[0].intid, 40);
	assert_int_equal(vcpu.vgic.queue[1].intid, VTIMER);

	/* Queued: it moves ahead of the SPI it now outranks. */
	vgic_set_timers(&vcpu, 3u, (const uint8_t[VGIC_TIMERS]){0x40, 0x80});
	assert_int_equal(vcpu.vgic.count, 2);
	assert_int_equal(vcpu.vgic.queue[0].intid, VTIMER);
	assert_int_equal(vcpu.vgic.queue[0].priority, 0x40);
	assert_int_equal(vcpu.vgic.queue[1].intid, 40);

	/* Pending in a list register: the register changes. */
	free_registers();
	assert_true(vgic_enter(&vcpu));
	assert_int_equal(lr(lr_of(VTIMER))->priority, 0x40);
	vgic_set_timers(&vcpu, 3u, (const uint8_t[VGIC_TIMERS]){0x60, 0x80});
	assert_int_equal(lr(lr_of(VTIMER))->priority, 0x60);
	assert_int_equal(lr(lr_of(40))->priority, 0x80);

	/* Taken: it keeps the priority it was taken at. */
	lr(lr_of(VTIMER))->state = VGIC_LR_ACTIVE;
	vgic_set_timers(&vcpu, 3u, (const uint8_t[VGIC_TIMERS]){0x20, 0x80});
	assert_int_equal(lr(lr_of(VTIMER))->priority, 0x60);
	assert_int_equal(vcpu.vgic.timer_priority[VGIC_TIMER_VIRT], 0x20);
}

/*
 * What the VMM's GIC model reads of the timers (MICA_VCPU_REG_TIMER_IRQS):
 * each timer's line, and a timer's interrupt active while the guest holds
 * it active (active, or active and pending again), not while it is only
 * pending, nor once deactivated; another INTID's active state is not a
 * timer's.
 */
/*
 * A vCPU switch sets a timer line only where the two vCPUs' masks differ,
 * so a reset that drops a mask the CPU's line still follows (here: the
 * timer fired while disabled at the guest's redistributor, nothing queued)
 * must make the CPU forget the vCPU: the next one loaded gets its line
 * whatever the line was.
 */
static void test_after_a_reset_the_next_vcpu_loaded_gets_its_timer_line(void **state)
{
	struct vcpu other;
	struct tcb other_thread;

	(void)state;
	vgic_set_timers(&vcpu, 0, (const uint8_t[VGIC_TIMERS]){0x80, 0x80});
	fake_irq_enabled[VTIMER] = true;
	vgic_timer_fired(VTIMER);
	assert_false(fake_irq_enabled[VTIMER]);
	assert_true(vcpu.vgic.timers_masked & (1u << VGIC_TIMER_VIRT));
	assert_false(vgic_has_pending(&vcpu));

	sched_cpus[0].current = NULL;
	vcpu_unbind(&vcpu);
	assert_int_equal(vcpu.vgic.timers_masked, 0);
	assert_null(sched_cpus[0].loaded_vcpu);
	assert_false(fake_irq_enabled[VTIMER]); /* Until a vCPU is loaded. */

	memset(&other_thread, 0, sizeof(other_thread));
	tcb_init(&other_thread);
	vcpu_init(&other);
	other.state = MICA_VCPU_FREE;
	assert_int_equal(vcpu_bind(&other, &other_thread), MICA_OK);
	vcpu_switch_to(&other_thread);
	assert_ptr_equal(sched_cpus[0].loaded_vcpu, &other);
	assert_true(fake_irq_enabled[VTIMER]);
	sched_cpus[0].loaded_vcpu = NULL;
	arch_vcpu_save(&other.arch);
}

static void test_timer_irqs_show_each_line_and_an_active_timer_interrupt(void **state)
{
	unsigned n;

	(void)state;
	assert_int_equal(vgic_timer_irqs(&vcpu, 0), 0);
	vcpu.arch.timers_due = 1u << VGIC_TIMER_PHYS;
	assert_int_equal(vgic_timer_irqs(&vcpu, 0), MICA_VCPU_TIMER_LINE(MICA_VCPU_TIMER_PHYS));
	vcpu.arch.timers_due = 1u << VGIC_TIMER_VIRT;
	fake_irq_enabled[VTIMER] = true;
	vgic_timer_fired(VTIMER);
	inject(40, 0x80, 0);
	assert_true(vgic_enter(&vcpu));
	n = lr_of(VTIMER);
	assert_int_equal(vgic_timer_irqs(&vcpu, 0), MICA_VCPU_TIMER_LINE(MICA_VCPU_TIMER_VIRT));
	lr(lr_of(40))->state = VGIC_LR_ACTIVE;
	assert_int_equal(vgic_timer_irqs(&vcpu, 0), MICA_VCPU_TIMER_LINE(MICA_VCPU_TIMER_VIRT));

	lr(n)->state = VGIC_LR_ACTIVE;
	vcpu.arch.timers_due = 0; /* The handler stopped the timer. */
	assert_int_equal(vgic_timer_irqs(&vcpu, 0), MICA_VCPU_TIMER_ACTIVE(MICA_VCPU_TIMER_VIRT));
	lr(n)->state = VGIC_LR_PENDING_ACTIVE;
	assert_int_equal(vgic_timer_irqs(&vcpu, 0), MICA_VCPU_TIMER_ACTIVE(MICA_VCPU_TIMER_VIRT));
	guest_handles(n);
	assert_int_equal(vgic_timer_irqs(&vcpu, 0), 0);
}

static void test_wfi_blocks_until_an_injection_and_suspend_cancels_it(void **state)
{
	(void)state;
	vcpu_wait(&thread, false);
	assert_int_equal(thread.state, THREAD_BLOCKED_WFI);
	sched_cpus[0].current = NULL;
	assert_int_equal(vcpu_state(&vcpu), MICA_VCPU_BLOCKED);
	vcpu_tick(); /* A WFI is not ended by the tick. */
	assert_int_equal(thread.state, THREAD_BLOCKED_WFI);
	inject(40, 0, 0);
	assert_int_equal(thread.state, THREAD_RUNNABLE);
	assert_ptr_equal(sched_cpus[0].queue.head[10], &thread);
	assert_int_equal(vcpu_state(&vcpu), MICA_VCPU_READY);

	/* With an interrupt pending the guest goes on at once. */
	sched_block(&thread);
	sched_cpus[0].current = &thread;
	vcpu_wait(&thread, false);
	assert_int_equal(thread.state, THREAD_RUNNABLE);

	vgic_clear(&vcpu, 40);
	vcpu_wait(&thread, false);
	sched_cpus[0].current = NULL;
	thread_suspend(&thread);
	assert_int_equal(thread.state, THREAD_INACTIVE);
	inject(41, 0, 0);
	assert_int_equal(thread.state, THREAD_INACTIVE);
}

static void test_wfe_ends_at_the_tick_and_wfi_when_a_saved_timer_is_due(void **state)
{
	(void)state;
	vcpu_wait(&thread, true);
	sched_cpus[0].current = NULL;
	vcpu_tick();
	assert_int_equal(thread.state, THREAD_RUNNABLE);
	sched_block(&thread);

	sched_cpus[0].current = &thread;
	thread.state = THREAD_RUNNABLE;
	vcpu_wait(&thread, false);
	sched_cpus[0].current = NULL;
	vcpu.arch.timers_due =
		1u << VGIC_TIMER_VIRT; /* Loaded: its PPI will say so, not the tick. */
	vcpu_tick();
	assert_int_equal(thread.state, THREAD_BLOCKED_WFI);
	sched_cpus[0].loaded_vcpu = NULL;
	vcpu_tick();
	assert_int_equal(thread.state, THREAD_RUNNABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_inject_rejects_bad_intid_priority_and_flags, setup),
		cmocka_unit_test_setup(test_queue_orders_by_priority_then_arrival, setup),
		cmocka_unit_test_setup(test_an_intid_already_pending_is_not_queued_twice, setup),
		cmocka_unit_test_setup(test_a_full_queue_refuses_the_vmm_but_keeps_room_for_lines,
				       setup),
		cmocka_unit_test_setup(
			test_entry_fills_the_best_into_free_registers_and_asks_for_underflow,
			setup),
		cmocka_unit_test_setup(test_a_better_interrupt_evicts_the_worst_pending_register,
				       setup),
		cmocka_unit_test_setup(test_clear_withdraws_queued_and_pending_but_not_active,
				       setup),
		cmocka_unit_test_setup(test_maintenance_refills_registers_the_guest_emptied, setup),
		cmocka_unit_test_setup(test_eoi_notify_frees_the_register_and_exits_once_per_entry,
				       setup),
		cmocka_unit_test_setup(test_nothing_overtakes_the_queue, setup),
		cmocka_unit_test_setup(
			test_an_intid_again_before_its_eoi_is_seen_takes_another_register, setup),
		cmocka_unit_test_setup(test_injecting_an_active_interrupt_makes_it_pending_again,
				       setup),
		cmocka_unit_test_setup(
			test_a_line_passed_through_stays_masked_until_the_guest_deactivates_it,
			setup),
		cmocka_unit_test_setup(test_a_reset_drops_every_interrupt_and_unmasks_their_lines,
				       setup),
		cmocka_unit_test_setup(test_a_vcpu_takes_only_so_many_lines, setup),
		cmocka_unit_test_setup(test_the_timer_ppi_is_unmasked_when_the_guest_deactivates_it,
				       setup),
		cmocka_unit_test_setup(
			test_a_disabled_timer_ppi_is_held_until_enabled_at_its_priority, setup),
		cmocka_unit_test_setup(
			test_a_pending_timer_takes_its_new_priority_but_an_active_one_keeps_its_own,
			setup),
		cmocka_unit_test_setup(test_after_a_reset_the_next_vcpu_loaded_gets_its_timer_line,
				       setup),
		cmocka_unit_test_setup(test_timer_irqs_show_each_line_and_an_active_timer_interrupt,
				       setup),
		cmocka_unit_test_setup(test_wfi_blocks_until_an_injection_and_suspend_cancels_it,
				       setup),
		cmocka_unit_test_setup(test_wfe_ends_at_the_tick_and_wfi_when_a_saved_timer_is_due,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
