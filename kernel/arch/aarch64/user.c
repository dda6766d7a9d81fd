/*
 * User thread contexts: the AArch64 system-call convention of
 * <mica/abi/syscall.h> (number in x7, arguments x0..x6; results x0, x1;
 * IPC: badge x0, message info x1, message registers x2..x5, error x6).
 */
#include <string.h>

#include "arch.h"
#include "arch/sysreg.h"

#include <mica/abi/context.h>
#include <mica/abi/syscall.h>
#include <mica/abi/ipc.h>

_Static_assert(FASTPATH_SYS_CALL == MICA_SYS_CALL, "vectors.S's fastpath numbers");
_Static_assert(FASTPATH_SYS_REPLY_RECV == MICA_SYS_REPLY_RECV, "vectors.S's fastpath numbers");

/* The only PSTATE bits a thread may set: the condition flags. */
#define PSTATE_NZCV UINT64_C(0xf0000000)

void arch_regs_init_user(struct arch_regs *regs, uintptr_t entry, uintptr_t sp, uintptr_t arg)
{
	memset(regs, 0, sizeof(*regs));
	regs->pc = entry;
	regs->sp = sp;
	regs->x[0] = arg;
	regs->pstate = SPSR_MODE_EL0T; /* EL0, interrupts unmasked */
}

/* An SVC is 4 bytes (host threads run A64 alone); ELR_EL2 points past it. */
void arch_regs_restart_syscall(struct arch_regs *regs)
{
	regs->pc -= 4;
}

void arch_regs_set_result(struct arch_regs *regs, enum mica_error err, uintptr_t val)
{
	regs->x[0] = (uint64_t)err;
	regs->x[1] = val;
}

uint64_t arch_regs_get(const struct arch_regs *regs, unsigned i)
{
	switch (i) {
	case MICA_CTX_PC:
		return regs->pc;
	case MICA_CTX_SP:
		return regs->sp;
	case MICA_CTX_FLAGS:
		return regs->pstate & PSTATE_NZCV;
	case MICA_CTX_TPIDR:
		return regs->tpidr;
	default:
		return i < MICA_CONTEXT_WORDS ? regs->x[i - MICA_CTX_X0] : 0;
	}
}

void arch_regs_set(struct arch_regs *regs, unsigned i, uint64_t v)
{
	switch (i) {
	case MICA_CTX_PC:
		regs->pc = v;
		break;
	case MICA_CTX_SP:
		regs->sp = v;
		break;
	case MICA_CTX_FLAGS:
		/* A thread never gets to pick its exception level or masks. */
		regs->pstate = (regs->pstate & ~PSTATE_NZCV) | (v & PSTATE_NZCV);
		break;
	case MICA_CTX_TPIDR:
		regs->tpidr = v;
		break;
	default:
		if (i < MICA_CONTEXT_WORDS)
			regs->x[i - MICA_CTX_X0] = v;
		break;
	}
}

uintptr_t arch_regs_pc(const struct arch_regs *regs)
{
	return regs->pc;
}

/*
 * Host threads run in AArch64 EL0t alone; any other mode (SPSR M[4:0]:
 * EL1, or AArch32 EL0 with M[4] set) is a guest's.
 */
bool arch_regs_is_guest(const struct arch_regs *regs)
{
	return (regs->pstate & SPSR_MODE_MASK) != SPSR_MODE_EL0T;
}
