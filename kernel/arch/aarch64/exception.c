/*
 * Exception handling in C: system calls, faults and interrupts from EL0,
 * and the kernel's own exceptions (which are bugs, with one exception:
 * a semihosting call on a QEMU started without -semihosting).
 */
#include "arch/esr.h"
#include "arch/internal.h"
#include "arch/power.h"
#include "arch/sysreg.h"
#include "print.h"
#include "thread.h"

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
	if (intid == timer_intid())
		timer_handle();
	else
		kprintf("mica: unexpected interrupt %u\n", intid);
	gic_end_of_interrupt(intid);
}

struct arch_regs *exception_user_sync(struct arch_regs *regs)
{
	struct thread *t = thread_current();
	uint64_t esr = sysreg_read(esr_el2);
	uint64_t far = sysreg_read(far_el2);

	if (esr_ec(esr) == ESR_EC_SVC64) {
		syscall_dispatch(t);
		return schedule();
	}
	kprintf("mica: unhandled fault in thread \"%s\" at EL0\n", t->name);
	print_syndrome(esr, far);
	arch_regs_dump(regs);
	thread_fault(t);
	return schedule();
}

struct arch_regs *exception_user_irq(struct arch_regs *regs)
{
	(void)regs;
	handle_irq();
	return schedule();
}

struct arch_regs *exception_user_bad(struct arch_regs *regs)
{
	struct thread *t = thread_current();

	kprintf("mica: unexpected FIQ, SError or AArch32 exception in thread \"%s\"\n", t->name);
	print_syndrome(sysreg_read(esr_el2), sysreg_read(far_el2));
	arch_regs_dump(regs);
	thread_fault(t);
	return schedule();
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

void exception_kernel_irq(struct arch_regs *frame)
{
	(void)frame;
	handle_irq();
}

void exception_kernel_bad(struct arch_regs *frame)
{
	kprintf("mica: PANIC (kernel bug): unexpected exception vector at EL2\n");
	print_syndrome(sysreg_read(esr_el2), sysreg_read(far_el2));
	arch_regs_dump(frame);
	arch_power_off(MICA_EXIT_KERNEL_PANIC);
}

void arch_wait_for_interrupt(void)
{
	__asm__ volatile("msr daifclr, #2\n\twfi\n\tmsr daifset, #2" ::: "memory");
}
