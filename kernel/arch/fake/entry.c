/*
 * The fake architecture's kernel entry: what kernel/arch/aarch64's
 * exception code does with a system call, for tests that drive the whole
 * generic kernel (it lives apart from fake.c, which tests of single
 * modules link without the rest of the kernel).
 */
#include "fastpath.h"

struct arch_regs *exception_user_sync(struct arch_regs *regs)
{
	syscall_dispatch((struct tcb *)regs);
	return schedule();
}
