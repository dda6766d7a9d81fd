/*
 * User thread contexts: the AArch64 system-call convention of
 * <mica/abi/syscall.h> (number in x7, arguments x0..x6, results x0, x1).
 */
#include <string.h>

#include "arch.h"
#include "arch/sysreg.h"

void arch_regs_init_user(struct arch_regs *regs, uintptr_t entry, uintptr_t sp, uintptr_t arg)
{
	memset(regs, 0, sizeof(*regs));
	regs->pc = entry;
	regs->sp = sp;
	regs->x[0] = arg;
	regs->pstate = SPSR_MODE_EL0T; /* EL0, interrupts unmasked */
}

uintptr_t arch_regs_syscall(const struct arch_regs *regs)
{
	return regs->x[7];
}

uintptr_t arch_regs_arg(const struct arch_regs *regs, unsigned i)
{
	return i < 7 ? regs->x[i] : 0;
}

void arch_regs_set_result(struct arch_regs *regs, enum mica_error err, uintptr_t val)
{
	regs->x[0] = (uint64_t)err;
	regs->x[1] = val;
}
