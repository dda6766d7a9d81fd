/*
 * A guest's EL1 state on AArch64: what must be saved when another vCPU
 * takes the CPU (reached from EL2 through the *_EL12 aliases with E2H=1),
 * including its GIC virtual CPU interface (the ICH_*_EL2 registers).
 */
#ifndef MICA_ARCH_VCPU_H
#define MICA_ARCH_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/regs.h>
#include <mica/abi/errors.h>

#include "types.h"

struct arch_vcpu {
	uint64_t sctlr, cpacr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
	uint64_t sp_el1, elr, spsr, esr, far, afsr0, afsr1, tpidr_el1, tpidrro_el0, par;
	uint64_t cntkctl, cntv_ctl, cntv_cval, cntp_ctl, cntp_cval;
	uint64_t vmpidr;
	/*
	 * Reached directly by the guest, neither trapped nor E2H-redirected:
	 * CSSELR_EL1 (cache size selection), VDISR_EL2 (the guest's DISR_EL1
	 * with HCR_EL2.AMO set, FEAT_RAS), TPIDR2_EL0 (FEAT_SME).
	 */
	uint64_t csselr, vdisr, tpidr2;
	uint64_t apkeys[10]; /* Pointer-authentication keys (IA, IB, DA, DB, GA; lo, hi). */
	uint64_t ich_lr[16]; /* The list registers the CPU has: those in lr_used. */
	uint64_t ich_hcr, ich_vmcr;
	uint32_t ich_apr[2][4]; /* Active priorities of Group 0 and 1, as many as implemented. */
	bool is_loaded;		/* The CPU holds this state (then the fields above are stale). */
	uint32_t lr_used;	/* Valid or asking for maintenance: ICH_ELRSR_EL2's clear bits. */
	/*
	 * The syndrome (ESR_EL2) and address (FAR_EL2) of the last exit that
	 * was an abort (an MMIO access or a fault), for an injected external
	 * abort to describe it; the kernel's own, never the CPU's. 0 once an
	 * exception was injected for it.
	 */
	uint64_t exit_esr, exit_far;
	/*
	 * Self-hosted debug (MICA_VCPU_REG_MDSCR and DBG*): the MDSCR_EL1 the
	 * guest runs with, and its breakpoints and watchpoints as written. The
	 * guest's own accesses trap to its VMM (MDCR_EL2.TDA), so the CPU's
	 * copy never changes under the kernel: loading is all there is.
	 */
	uint64_t mdscr;
	uint64_t dbg[4][16]; /* enum arch_dbg: DBGBVR, DBGBCR, DBGWVR, DBGWCR 0..15. */
};

enum arch_dbg { ARCH_DBG_BVR, ARCH_DBG_BCR, ARCH_DBG_WVR, ARCH_DBG_WCR };

/* The CPU has pointer authentication: guests use it, and their keys are switched. */
extern bool arch_has_pauth;
/* The CPU has FEAT_RAS (VDISR_EL2) and FEAT_SME (TPIDR2_EL0): switched too. */
extern bool arch_has_ras, arch_has_sme;
/* The breakpoints and watchpoints the CPU has (ID_AA64DFR0_EL1.BRPs and WRPs, plus 1). */
extern unsigned arch_debug_brps, arch_debug_wrps;

/* Architectural reset values: MMU and caches off (SCTLR_EL1's RES1 bits set). */
void arch_vcpu_init(struct arch_vcpu *v);
void arch_vcpu_load(struct arch_vcpu *v);
void arch_vcpu_save(struct arch_vcpu *v);

/* A thread that now runs a guest starts at EL1h with interrupts masked. */
void arch_vcpu_reset_regs(struct arch_regs *regs);

/*
 * A MICA_VCPU_REG_* of v (PSTATE: of t, its thread). loaded: v's state is
 * in this CPU's registers, not in v.
 */
struct tcb;
MUST_CHECK enum mica_error arch_vcpu_read_reg(struct arch_vcpu *v, bool loaded, const struct tcb *t,
					      uint64_t reg, uint64_t *out);
MUST_CHECK enum mica_error arch_vcpu_write_reg(struct arch_vcpu *v, bool loaded, struct tcb *t,
					       uint64_t reg, uint64_t value);

/* The guest, at regs, takes an undefined-instruction exception to its EL1. */
void arch_vcpu_inject_undef(struct arch_vcpu *v, bool loaded, struct arch_regs *regs);

/*
 * The guest, at regs, takes a synchronous external abort to its EL1 for
 * the abort exit it last took (exit_esr): an instruction abort for a
 * fetch, else a data abort, at that exit's address. MICA_ERR_ILLEGAL_OPERATION
 * if that exit was no abort, or one already answered with an exception.
 */
MUST_CHECK enum mica_error arch_vcpu_inject_abort(struct arch_vcpu *v, bool loaded,
						  struct arch_regs *regs);

#endif
