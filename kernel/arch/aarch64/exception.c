/*
 * Exception handling in C: system calls, faults and interrupts from EL0,
 * and the kernel's own exceptions (which are bugs, with one exception:
 * a semihosting call on a QEMU started without -semihosting).
 */
#include "arch/esr.h"
#include "arch/internal.h"
#include "arch/power.h"
#include "arch/sysreg.h"
#include "debug.h"
#include "irq.h"
#include "print.h"
#include "sched.h"
#include "smp.h"
#include "thread.h"
#include "vcpu.h"
#include "vgic.h"

#include <mica/abi/context.h>
#include <mica/abi/fault.h>

static void print_syndrome(uint64_t esr, uint64_t far)
{
	unsigned ec = esr_ec(esr);

	kprintf("  exception %s (EC 0x%02x)\n", esr_class_name(ec), ec);
	kprintf("  ESR       0x%016llx\n", (unsigned long long)esr);
	if (esr_is_abort(ec)) {
		struct esr_abort a = esr_decode_abort(esr);

		kprintf("  fault     %s", esr_fault_name(a.fsc));
		if (a.level >= 0)
			kprintf(" at level %d", a.level);
		if (ec == ESR_EC_DABT_LOW || ec == ESR_EC_DABT_CUR)
			kprintf(", %s", a.is_write ? "write" : "read");
		kprintf("\n");
		if (!a.far_valid)
			kprintf("  FAR       not valid\n");
	}
	kprintf("  FAR       0x%016llx\n", (unsigned long long)far);
}

void arch_regs_dump(const struct arch_regs *regs)
{
	kprintf("  ELR       0x%016llx  SPSR 0x%08llx\n", (unsigned long long)regs->pc,
		(unsigned long long)regs->pstate);
	for (unsigned i = 0; i < 31; i++)
		kprintf("  x%-2u 0x%016llx%s", i, (unsigned long long)regs->x[i],
			i % 4 == 3 || i == 30 ? "\n" : "");
	kprintf("  sp  0x%016llx  tpidr 0x%016llx\n", (unsigned long long)regs->sp,
		(unsigned long long)regs->tpidr);
}

static void handle_irq(void)
{
	uint32_t intid = gic_acknowledge();

	if (intid >= GIC_SPURIOUS_FIRST)
		return;
	if (intid < 16) {
		/* An SGI (GIC_SGI_KICK): entering the kernel was its point. */
		gic_end_of_interrupt(intid);
		return;
	}
	if (intid == timer_intid())
		timer_handle();
	else if (intid == vgic_hw_maintenance_intid())
		vgic_maintenance();
	else if (vgic_timer_of(intid) < VGIC_TIMERS)
		vgic_timer_fired(intid);
	else
		irq_deliver(intid);
	gic_end_of_interrupt(intid);
}

/*
 * A fault from EL0 becomes a message to the thread's fault endpoint. A
 * thread with nobody to handle its faults gets the decoded report on the
 * console instead, and stops.
 */
static void user_fault(struct tcb *t, const struct arch_regs *regs, uint64_t esr, uint64_t far)
{
	unsigned ec = esr_ec(esr);
	uint64_t mr[4];
	uint64_t label;

	if (ec == ESR_EC_DABT_LOW || ec == ESR_EC_IABT_LOW) {
		label = MICA_FAULT_VM;
		mr[0] = regs->pc;
		mr[1] = far;
		mr[2] = ec == ESR_EC_IABT_LOW		 ? MICA_FAULT_VM_FETCH
			: esr_decode_abort(esr).is_write ? MICA_FAULT_VM_WRITE
							 : 0;
		mr[3] = esr;
	} else {
		label = MICA_FAULT_USER_EXCEPTION;
		mr[0] = regs->pc;
		mr[1] = regs->sp;
		mr[2] = esr;
		mr[3] = far;
	}
	if (t->slots[TCB_SLOT_FAULT_EP].cap.type != MICA_OBJ_ENDPOINT) {
		kprintf("mica: unhandled fault in thread \"%s\" at EL0\n", t->name);
		print_syndrome(esr, far);
		arch_regs_dump(regs);
	}
	thread_fault(t, label, mr, 4);
}

/*
 * Each entry from EL0 or a guest begins a stretch with interrupts masked;
 * each return to a thread ends one (debug.h: test builds measure them).
 */
static struct arch_regs *to_user(struct arch_regs *regs)
{
	debug_stretch_point();
	return regs;
}

/*
 * Every entry from a thread or guest, with more than one CPU up: take the
 * kernel lock. NULL: go on with the entry; else it was abandoned (smp.h),
 * and this is the thread to resume.
 */
struct arch_regs *exception_enter_user(struct arch_regs *regs, bool sync)
{
	if (!smp_lock_entry(regs, sync))
		return NULL;
	debug_stretch_begin();
	return to_user(schedule());
}

struct arch_regs *exception_user_sync(struct arch_regs *regs)
{
	struct tcb *t;
	uint64_t esr;

	debug_stretch_begin();
	t = thread_current();
	esr = sysreg_read(esr_el2);

	if (esr_ec(esr) == ESR_EC_FP_ASIMD)
		sched_fp_take(t); /* Guests' too: their own CPACR traps go to their EL1. */
	else if (t->vcpu != NULL)
		arch_guest_exit(t, esr);
	else if (esr_ec(esr) == ESR_EC_SVC64)
		syscall_dispatch(t);
	else
		user_fault(t, regs, esr, sysreg_read(far_el2));
	return to_user(schedule());
}

struct arch_regs *exception_user_irq(struct arch_regs *regs)
{
	const struct tcb *t = (const struct tcb *)regs;

	if (t->vcpu != NULL)
		t->vcpu->stats[MICA_VCPU_STAT_IRQ]++;
	debug_stretch_begin();
	handle_irq();
	return to_user(schedule());
}

/*
 * The kernel uses no FIQs (it never enables a Group 0 interrupt), so one
 * taken from EL0 or a guest says nothing about the thread that ran: it is
 * reported and the thread goes on. ESR_EL2 is not written for an
 * interrupt, so nothing may be read from it here.
 */
struct arch_regs *exception_user_fiq(struct arch_regs *regs)
{
	uint64_t intid;

	(void)regs;
	debug_stretch_begin();
	/* Group 0: acknowledged and ended (EOImode 0), so that it cannot fire again and again. */
	intid = sysreg_read(S3_0_C12_C8_0); /* ICC_IAR0_EL1 */
	if (intid < GIC_SPURIOUS_FIRST)
		sysreg_write(S3_0_C12_C8_1, intid); /* ICC_EOIR0_EL1 */
	kprintf("mica: unexpected FIQ %lu (ignored)\n", (unsigned long)intid);
	return to_user(schedule());
}

/*
 * An SError. A guest's is an exit like any other: a fault for its VMM,
 * with the exit record saying so, so that the answer completes nothing. A
 * host thread's is a fault.
 */
struct arch_regs *exception_user_serror(struct arch_regs *regs)
{
	struct tcb *t = thread_current();

	debug_stretch_begin();
	if (t->vcpu != NULL) {
		arch_guest_exit(t, sysreg_read(esr_el2));
		return to_user(schedule());
	}
	kprintf("mica: SError in thread \"%s\"\n", t->name);
	user_fault(t, regs, sysreg_read(esr_el2), sysreg_read(far_el2));
	return to_user(schedule());
}

void exception_kernel_sync(struct arch_regs *frame)
{
	uint64_t esr = sysreg_read(esr_el2);

	/* power.c's semihosting call, without -semihosting: report failure. */
	if (esr_ec(esr) == ESR_EC_UNKNOWN &&
	    *(const volatile uint32_t *)(uintptr_t)frame->pc == SEMIHOSTING_HLT_INSN) {
		frame->x[0] = (uint64_t)-1;
		frame->pc += 4;
		return;
	}
	kprintf("mica: PANIC (kernel bug): exception at EL2\n");
	print_syndrome(esr, sysreg_read(far_el2));
	arch_regs_dump(frame);
	arch_power_off(MICA_EXIT_KERNEL_PANIC);
}

void exception_kernel_bad(struct arch_regs *frame)
{
	kprintf("mica: PANIC (kernel bug): unexpected exception vector at EL2\n");
	print_syndrome(sysreg_read(esr_el2), sysreg_read(far_el2));
	arch_regs_dump(frame);
	arch_power_off(MICA_EXIT_KERNEL_PANIC);
}

/* The kernel runs with interrupts masked, idle too (arch_wait_for_interrupt). */
NORETURN void exception_kernel_irq(struct arch_regs *frame)
{
	exception_kernel_bad(frame);
}

/* ISR_EL1.I: an IRQ is pending (the physical one at EL2). */
#define ISR_I (UINT64_C(1) << 7)

bool arch_irq_pending(void)
{
	return (sysreg_read(isr_el1) & ISR_I) != 0;
}

void arch_wait_for_interrupt(void)
{
	bool shared = smp_cpu_count > 1;
	const struct vcpu *loaded;

	debug_stretch_point();
	/*
	 * The vCPU whose state stays loaded here may have a virtual interrupt
	 * pending in a list register: with its CPU interface on, that would
	 * end the WFI at once, again and again (QEMU wakes on one at EL2 too),
	 * and the idle CPU would spin. Off until the CPU has something to run.
	 */
	arch_vgic_idle();
	if (shared)
		smp_unlock();
	/*
	 * WFI with interrupts masked: one that comes first still wakes it
	 * (unmasked, it could be taken just before the WFI, which would then
	 * wait for the next one). It is handled here, under the lock, rather
	 * than taken as an exception: a CPU woken to run a thread enters the
	 * kernel only once. Any others pending wake the next WFI at once.
	 */
	__asm__ volatile("wfi" ::: "memory");
	if (shared)
		smp_lock();
	debug_stretch_begin();
	/* Still loaded unless another CPU took it meanwhile (a stall). */
	loaded = sched_this_cpu()->loaded_vcpu;
	vgic_hw_resume(loaded != NULL ? &loaded->arch : NULL);
	handle_irq();
}

uint64_t arch_cycles(void)
{
	return sysreg_read(pmccntr_el0);
}
