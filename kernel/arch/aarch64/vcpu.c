/*
 * Guest EL1 state and guest exits on AArch64. With HCR_EL2.E2H set, the
 * kernel's *_EL1 accesses go to EL2 registers; the guest's EL1 registers
 * are reached through the *_EL12 aliases (Arm ARM D5.3, "Virtualization
 * Host Extensions").
 */
#include "arch/esr.h"
#include "arch/internal.h"
#include "arch/sysreg.h"
#include "vcpu.h"

#include <mica/abi/exit.h>

/* SCTLR_EL1 at reset: its RES1 bits, MMU, caches and alignment checks off. */
#define SCTLR_EL1_RESET UINT64_C(0x30d00800)

void arch_vcpu_init(struct arch_vcpu *v)
{
	*v = (struct arch_vcpu){.sctlr = SCTLR_EL1_RESET, .vmpidr = UINT64_C(1) << 31};
}

void arch_vcpu_reset_regs(struct arch_regs *regs)
{
	regs->pstate = SPSR_MODE_EL1H | SPSR_DAIF;
}

void arch_vcpu_load(const struct arch_vcpu *v)
{
	sysreg_write(sctlr_el12, v->sctlr);
	sysreg_write(cpacr_el12, v->cpacr);
	sysreg_write(ttbr0_el12, v->ttbr0);
	sysreg_write(ttbr1_el12, v->ttbr1);
	sysreg_write(tcr_el12, v->tcr);
	sysreg_write(mair_el12, v->mair);
	sysreg_write(amair_el12, v->amair);
	sysreg_write(vbar_el12, v->vbar);
	sysreg_write(contextidr_el12, v->contextidr);
	sysreg_write(sp_el1, v->sp_el1);
	sysreg_write(elr_el12, v->elr);
	sysreg_write(spsr_el12, v->spsr);
	sysreg_write(esr_el12, v->esr);
	sysreg_write(far_el12, v->far);
	sysreg_write(afsr0_el12, v->afsr0);
	sysreg_write(afsr1_el12, v->afsr1);
	sysreg_write(tpidr_el1, v->tpidr_el1);
	sysreg_write(tpidrro_el0, v->tpidrro_el0);
	sysreg_write(par_el1, v->par);
	sysreg_write(cntkctl_el12, v->cntkctl);
	sysreg_write(cntv_cval_el02, v->cntv_cval);
	sysreg_write(cntv_ctl_el02, v->cntv_ctl);
	sysreg_write(vmpidr_el2, v->vmpidr);
	isb();
}

void arch_vcpu_save(struct arch_vcpu *v)
{
	v->sctlr = sysreg_read(sctlr_el12);
	v->cpacr = sysreg_read(cpacr_el12);
	v->ttbr0 = sysreg_read(ttbr0_el12);
	v->ttbr1 = sysreg_read(ttbr1_el12);
	v->tcr = sysreg_read(tcr_el12);
	v->mair = sysreg_read(mair_el12);
	v->amair = sysreg_read(amair_el12);
	v->vbar = sysreg_read(vbar_el12);
	v->contextidr = sysreg_read(contextidr_el12);
	v->sp_el1 = sysreg_read(sp_el1);
	v->elr = sysreg_read(elr_el12);
	v->spsr = sysreg_read(spsr_el12);
	v->esr = sysreg_read(esr_el12);
	v->far = sysreg_read(far_el12);
	v->afsr0 = sysreg_read(afsr0_el12);
	v->afsr1 = sysreg_read(afsr1_el12);
	v->tpidr_el1 = sysreg_read(tpidr_el1);
	v->tpidrro_el0 = sysreg_read(tpidrro_el0);
	v->par = sysreg_read(par_el1);
	v->cntkctl = sysreg_read(cntkctl_el12);
	v->cntv_ctl = sysreg_read(cntv_ctl_el02);
	v->cntv_cval = sysreg_read(cntv_cval_el02);
	v->vmpidr = sysreg_read(vmpidr_el2);
}

/*
 * A guest exit (an exception from EL1/EL0 with TGE clear) the kernel does
 * not handle itself becomes a message to the VMM. Every exception class
 * ends up here, so no guest action can stop the kernel.
 */
void arch_guest_exit(struct tcb *t, uint64_t esr)
{
	struct arch_regs *regs = &t->regs;
	uint64_t words[MICA_EXIT_HYPERCALL_WORDS];

	switch (esr_ec(esr)) {
	case ESR_EC_SMC64:
		regs->pc += 4; /* A trapped SMC returns to itself; HVC already points past. */
		__attribute__((fallthrough));
	case ESR_EC_HVC64:
		for (unsigned i = 0; i < MICA_EXIT_HYPERCALL_WORDS; i++)
			words[i] = regs->x[i];
		vcpu_exit(t, MICA_EXIT_HYPERCALL, words, MICA_EXIT_HYPERCALL_WORDS);
		return;
	case ESR_EC_WFX:
		/* Until virtual interrupts exist, a WFI or WFE just gives up the CPU. */
		regs->pc += 4;
		sched_yield();
		return;
	default:
		words[0] = esr;
		words[1] = sysreg_read(far_el2);
		words[2] = (sysreg_read(hpfar_el2) >> 4) << 12;
		words[3] = regs->pc;
		vcpu_exit(t, MICA_EXIT_FAULT, words, 4);
		return;
	}
}
