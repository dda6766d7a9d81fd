/*
 * Guest EL1 state and guest exits on AArch64. With HCR_EL2.E2H set, the
 * kernel's *_EL1 accesses go to EL2 registers; the guest's EL1 registers
 * are reached through the *_EL12 aliases (Arm ARM D5.3, "Virtualization
 * Host Extensions").
 */
#include "arch/esr.h"
#include "arch/internal.h"
#include "arch/sysreg.h"
#include "sched.h"
#include "vcpu.h"
#include "arch/exit.h"

#include <stddef.h>

#include <mica/abi/exit.h>
#include <mica/abi/hypercall.h>

/* SCTLR_EL1 at reset: its RES1 bits, MMU, caches and alignment checks off. */
#define SCTLR_EL1_RESET UINT64_C(0x30d00800)

void arch_vcpu_init(struct arch_vcpu *v)
{
	*v = (struct arch_vcpu){.sctlr = SCTLR_EL1_RESET, .vmpidr = UINT64_C(1) << 31};
	vgic_hw_init_vcpu(v);
}

void arch_vcpu_reset_regs(struct arch_regs *regs)
{
	regs->pstate = SPSR_MODE_EL1H | SPSR_DAIF;
}

bool arch_has_pauth;
bool arch_has_ras;
bool arch_has_sme;
unsigned arch_debug_brps;
unsigned arch_debug_wrps;

/*
 * Two of v's registers to or from the CPU, each pair of fields adjacent:
 * both loads (or stores) are next to each other, so that the compiler
 * makes one of them (LDP or STP), which it does not across an MRS or MSR.
 */
#define LOAD2(reg_a, field_a, reg_b, field_b)                                                      \
	do {                                                                                       \
		uint64_t a_ = v->field_a, b_ = v->field_b;                                         \
		sysreg_write(reg_a, a_);                                                           \
		sysreg_write(reg_b, b_);                                                           \
	} while (0)
#define SAVE2(reg_a, field_a, reg_b, field_b)                                                      \
	do {                                                                                       \
		uint64_t a_ = sysreg_read(reg_a), b_ = sysreg_read(reg_b);                         \
		v->field_a = a_;                                                                   \
		v->field_b = b_;                                                                   \
	} while (0)

/*
 * The keys are EL1 registers that E2H does not redirect: the kernel at EL2
 * reaches the guest's through their own names (by encoding, so that the
 * assembler needs no pointer-authentication extension). Host programs do
 * not use pointer authentication, so only guests' keys are kept.
 */
#define PAUTH_PAIRS(X)                                                                             \
	X(s3_0_c2_c1_0, apkeys[0], s3_0_c2_c1_1, apkeys[1]); /* APIAKeyLo_EL1, Hi */               \
	X(s3_0_c2_c1_2, apkeys[2], s3_0_c2_c1_3, apkeys[3]); /* APIBKey */                         \
	X(s3_0_c2_c2_0, apkeys[4], s3_0_c2_c2_1, apkeys[5]); /* APDAKey */                         \
	X(s3_0_c2_c2_2, apkeys[6], s3_0_c2_c2_3, apkeys[7]); /* APDBKey */                         \
	X(s3_0_c2_c3_0, apkeys[8], s3_0_c2_c3_1, apkeys[9])  /* APGAKey */

/* The rest of the EL1 state switched with a vCPU, a timer's deadline before its control. */
#define EL1_PAIRS(X)                                                                               \
	X(sctlr_el12, sctlr, cpacr_el12, cpacr);                                                   \
	X(ttbr0_el12, ttbr0, ttbr1_el12, ttbr1);                                                   \
	X(tcr_el12, tcr, mair_el12, mair);                                                         \
	X(amair_el12, amair, vbar_el12, vbar);                                                     \
	X(contextidr_el12, contextidr, sp_el1, sp_el1);                                            \
	X(elr_el12, elr, spsr_el12, spsr);                                                         \
	X(esr_el12, esr, far_el12, far);                                                           \
	X(afsr0_el12, afsr0, afsr1_el12, afsr1);                                                   \
	X(par_el1, par, cntkctl_el12, cntkctl);                                                    \
	X(cntv_cval_el02, cntv_cval, cntv_ctl_el02, cntv_ctl);                                     \
	X(cntp_cval_el02, cntp_cval, cntp_ctl_el02, cntp_ctl);                                     \
	X(vmpidr_el2, vmpidr, csselr_el1, csselr)

/* Where this CPU keeps the loaded vCPU's TPIDRRO_EL0 while host threads run (regs.h). */
static uint64_t *guest_tpidrro(void)
{
	return &((struct arch_cpu *)arch_cpu_local())->guest_tpidrro;
}

/* Is the CPU set up for host threads (HCR_EL2.TGE), rather than for a guest? */
static bool host_mode(void)
{
	return (sysreg_read(hcr_el2) & HCR_TGE) != 0;
}

/* Breakpoint or watchpoint n's register of one kind (enum arch_dbg), by encoding. */
#define DBG_REG(name, kind, n)                                                                     \
	case (kind) << 4 | (n):                                                                    \
		sysreg_write(name##n##_el1, value);                                                \
		return
#define DBG_ROW(name, kind)                                                                        \
	DBG_REG(name, kind, 0);                                                                    \
	DBG_REG(name, kind, 1);                                                                    \
	DBG_REG(name, kind, 2);                                                                    \
	DBG_REG(name, kind, 3);                                                                    \
	DBG_REG(name, kind, 4);                                                                    \
	DBG_REG(name, kind, 5);                                                                    \
	DBG_REG(name, kind, 6);                                                                    \
	DBG_REG(name, kind, 7);                                                                    \
	DBG_REG(name, kind, 8);                                                                    \
	DBG_REG(name, kind, 9);                                                                    \
	DBG_REG(name, kind, 10);                                                                   \
	DBG_REG(name, kind, 11);                                                                   \
	DBG_REG(name, kind, 12);                                                                   \
	DBG_REG(name, kind, 13);                                                                   \
	DBG_REG(name, kind, 14);                                                                   \
	DBG_REG(name, kind, 15)

static void dbg_write(enum arch_dbg kind, unsigned n, uint64_t value)
{
	switch ((unsigned)kind << 4 | n) {
		DBG_ROW(dbgbvr, ARCH_DBG_BVR);
		DBG_ROW(dbgbcr, ARCH_DBG_BCR);
		DBG_ROW(dbgwvr, ARCH_DBG_WVR);
		DBG_ROW(dbgwcr, ARCH_DBG_WCR);
	default:
		return;
	}
}

#undef DBG_ROW
#undef DBG_REG

/*
 * DBGBCR<n>_EL1 and DBGWCR<n>_EL1 (Arm ARM D19.3): enable E, the levels
 * PMC (PAC) and HMC, the security states SSC and SSCE; DBGBCR's type BT,
 * whose top bit selects the VMID and EL2 context types. Bits 63:32 are
 * RES0.
 */
#define DBGCR_E		  UINT64_C(1)
#define DBGCR_PMC	  (UINT64_C(3) << 1)
#define DBGCR_HMC	  (UINT64_C(1) << 13)
#define DBGCR_SSC_SHIFT	  14
#define DBGCR_SSC	  (UINT64_C(3) << DBGCR_SSC_SHIFT)
#define DBGCR_SSCE	  (UINT64_C(1) << 29)
#define DBGBCR_BT_SHIFT	  20
#define DBGBCR_BT_EL2	  (UINT64_C(8) << DBGBCR_BT_SHIFT)
#define DBGBCR_BT_LINKED  (UINT64_C(1) << DBGBCR_BT_SHIFT)
#define DBGBCR_BT_CONTEXT (UINT64_C(2) << DBGBCR_BT_SHIFT)

/*
 * A guest's breakpoint or watchpoint control as the CPU holds it: HMC,
 * SSC and SSCE 0, so that it matches at EL1 or EL0 as PMC says and never
 * at EL2 (Arm ARM D2.9 and D2.10, the HMC, SSC and PMC tables); never on
 * a VMID or an EL2 context either (BT 0b1xxx). One that asked for the
 * Secure state only (SSC 0b10, or 0b11 without HMC) matches nothing in
 * this Non-secure guest, and one left with no level to match (PMC 0,
 * reserved with HMC and SSC 0) neither: both are disabled. A linked
 * context breakpoint matches no level by itself (the breakpoint or
 * watchpoint linking to it has them), so its PMC does not matter.
 */
static uint64_t dbg_control(uint64_t ctrl, bool is_breakpoint)
{
	uint64_t ssc = (ctrl & DBGCR_SSC) >> DBGCR_SSC_SHIFT;
	uint64_t context = DBGBCR_BT_LINKED | DBGBCR_BT_CONTEXT;
	bool linked_context = is_breakpoint && (ctrl & context) == context;
	bool secure_only = ssc == 2 || (ssc == 3 && !(ctrl & DBGCR_HMC));
	bool el2_context = is_breakpoint && (ctrl & DBGBCR_BT_EL2) != 0;

	if (secure_only || el2_context || ((ctrl & DBGCR_PMC) == 0 && !linked_context))
		ctrl &= ~DBGCR_E;
	return ctrl & UINT32_MAX & ~(DBGCR_HMC | DBGCR_SSC | DBGCR_SSCE);
}

/*
 * v's breakpoints and watchpoints into their registers, while its MDSCR_EL1
 * enables them (MDE). Another VM's left there are harmless while MDE is
 * clear: they raise nothing, and the guest's reads trap.
 */
static void debug_load(const struct arch_vcpu *v)
{
	for (unsigned n = 0; n < arch_debug_brps; n++) {
		dbg_write(ARCH_DBG_BVR, n, v->dbg[ARCH_DBG_BVR][n]);
		dbg_write(ARCH_DBG_BCR, n, dbg_control(v->dbg[ARCH_DBG_BCR][n], true));
	}
	for (unsigned n = 0; n < arch_debug_wrps; n++) {
		dbg_write(ARCH_DBG_WVR, n, v->dbg[ARCH_DBG_WVR][n]);
		dbg_write(ARCH_DBG_WCR, n, dbg_control(v->dbg[ARCH_DBG_WCR][n], false));
	}
}

/* Where v keeps debug register reg (MICA_VCPU_REG_MDSCR or DBG*); NULL if the CPU lacks it. */
static uint64_t *debug_reg(struct arch_vcpu *v, uint64_t reg)
{
	uint64_t i = reg - MICA_VCPU_REG_DBGBVR0;
	unsigned kind = (unsigned)(i / 16), n = (unsigned)(i % 16);

	if (reg == MICA_VCPU_REG_MDSCR)
		return &v->mdscr;
	if (reg < MICA_VCPU_REG_DBGBVR0 || reg >= MICA_VCPU_REG_COUNT ||
	    n >= (kind <= ARCH_DBG_BCR ? arch_debug_brps : arch_debug_wrps))
		return NULL;
	return &v->dbg[kind][n];
}

void arch_vcpu_load(struct arch_vcpu *v)
{
	bool host = host_mode(); /* Then the switch to the guest loads what it reads here. */

	if (arch_has_pauth) {
		PAUTH_PAIRS(LOAD2);
	}
	EL1_PAIRS(LOAD2);
	sysreg_write(tpidr_el1, v->tpidr_el1);
	if (host)
		*guest_tpidrro() = v->tpidrro_el0;
	else
		sysreg_write(tpidrro_el0, v->tpidrro_el0);
	if (arch_has_ras)
		sysreg_write(s3_4_c12_c1_1, v->vdisr); /* VDISR_EL2 */
	if (arch_has_sme)
		sysreg_write(s3_3_c13_c0_5, v->tpidr2); /* TPIDR2_EL0 */
	vgic_hw_load(v);
	((struct arch_cpu *)arch_cpu_local())->guest_mdscr = v->mdscr;
	if (!host)
		sysreg_write(mdscr_el1, v->mdscr);
	if (v->mdscr & MDSCR_MDE)
		debug_load(v);
	isb();
}

void arch_vcpu_save(struct arch_vcpu *v)
{
	if (arch_has_pauth) {
		PAUTH_PAIRS(SAVE2);
	}
	EL1_PAIRS(SAVE2);
	v->tpidr_el1 = sysreg_read(tpidr_el1);
	v->tpidrro_el0 = host_mode() ? *guest_tpidrro() : sysreg_read(tpidrro_el0);
	if (arch_has_ras)
		v->vdisr = sysreg_read(s3_4_c12_c1_1);
	if (arch_has_sme)
		v->tpidr2 = sysreg_read(s3_3_c13_c0_5);
	vgic_hw_save(v);
}

/* One row of the ID space (op0 3, op1 0, CRn 0): CRm crm, op2 0..7. */
#define ID_ROW(crm)                                                                                \
	ID_REG(crm, 0);                                                                            \
	ID_REG(crm, 1);                                                                            \
	ID_REG(crm, 2);                                                                            \
	ID_REG(crm, 3);                                                                            \
	ID_REG(crm, 4);                                                                            \
	ID_REG(crm, 5);                                                                            \
	ID_REG(crm, 6);                                                                            \
	ID_REG(crm, 7)
#define ID_REG(crm, op2)                                                                           \
	case (crm) << 3 | (op2):                                                                   \
		return sysreg_read(s3_0_c0_c##crm##_##op2)

/* CRm 1..7 of the ID space is allocated or reads as zero (Arm ARM D18.2, "ID space"). */
uint64_t arch_id_reg(unsigned crm, unsigned op2)
{
	switch ((crm & 7) << 3 | (op2 & 7)) {
		ID_ROW(1);
		ID_ROW(2);
		ID_ROW(3);
		ID_ROW(4);
		ID_ROW(5);
		ID_ROW(6);
		ID_ROW(7);
	default:
		return 0;
	}
}

#undef ID_REG
#undef ID_ROW

/* Each MICA_VCPU_REG_* but PSTATE: where struct arch_vcpu keeps it. */
static const uint16_t reg_offset[MICA_VCPU_REG_PSTATE] = {
	[MICA_VCPU_REG_SCTLR] = offsetof(struct arch_vcpu, sctlr),
	[MICA_VCPU_REG_CPACR] = offsetof(struct arch_vcpu, cpacr),
	[MICA_VCPU_REG_TTBR0] = offsetof(struct arch_vcpu, ttbr0),
	[MICA_VCPU_REG_TTBR1] = offsetof(struct arch_vcpu, ttbr1),
	[MICA_VCPU_REG_TCR] = offsetof(struct arch_vcpu, tcr),
	[MICA_VCPU_REG_MAIR] = offsetof(struct arch_vcpu, mair),
	[MICA_VCPU_REG_AMAIR] = offsetof(struct arch_vcpu, amair),
	[MICA_VCPU_REG_VBAR] = offsetof(struct arch_vcpu, vbar),
	[MICA_VCPU_REG_CONTEXTIDR] = offsetof(struct arch_vcpu, contextidr),
	[MICA_VCPU_REG_SP_EL1] = offsetof(struct arch_vcpu, sp_el1),
	[MICA_VCPU_REG_ELR_EL1] = offsetof(struct arch_vcpu, elr),
	[MICA_VCPU_REG_SPSR_EL1] = offsetof(struct arch_vcpu, spsr),
	[MICA_VCPU_REG_ESR_EL1] = offsetof(struct arch_vcpu, esr),
	[MICA_VCPU_REG_FAR_EL1] = offsetof(struct arch_vcpu, far),
	[MICA_VCPU_REG_AFSR0] = offsetof(struct arch_vcpu, afsr0),
	[MICA_VCPU_REG_AFSR1] = offsetof(struct arch_vcpu, afsr1),
	[MICA_VCPU_REG_TPIDR_EL1] = offsetof(struct arch_vcpu, tpidr_el1),
	[MICA_VCPU_REG_TPIDRRO_EL0] = offsetof(struct arch_vcpu, tpidrro_el0),
	[MICA_VCPU_REG_PAR] = offsetof(struct arch_vcpu, par),
	[MICA_VCPU_REG_CNTKCTL] = offsetof(struct arch_vcpu, cntkctl),
	[MICA_VCPU_REG_CNTV_CTL] = offsetof(struct arch_vcpu, cntv_ctl),
	[MICA_VCPU_REG_CNTV_CVAL] = offsetof(struct arch_vcpu, cntv_cval),
	[MICA_VCPU_REG_CNTP_CTL] = offsetof(struct arch_vcpu, cntp_ctl),
	[MICA_VCPU_REG_CNTP_CVAL] = offsetof(struct arch_vcpu, cntp_cval),
	[MICA_VCPU_REG_VMPIDR] = offsetof(struct arch_vcpu, vmpidr),
};

/* The PSTATE a VMM may give a guest: flags, masks, and EL0t, EL1t or EL1h in AArch64. */
#define PSTATE_SETTABLE (UINT64_C(0xf0000000) | SPSR_DAIF | SPSR_MODE_MASK)

static bool pstate_is_guest_mode(uint64_t pstate)
{
	uint64_t mode = pstate & SPSR_MODE_MASK;

	return mode == SPSR_MODE_EL0T || mode == SPSR_MODE_EL1T || mode == SPSR_MODE_EL1H;
}

enum mica_error arch_vcpu_read_reg(struct arch_vcpu *v, bool loaded, const struct tcb *t,
				   uint64_t reg, uint64_t *out)
{
	if (reg == MICA_VCPU_REG_PSTATE) {
		if (t == NULL)
			return MICA_ERR_ILLEGAL_OPERATION; /* PSTATE is the bound thread's. */
		*out = t->regs.pstate;
		return MICA_OK;
	}
	if (reg > MICA_VCPU_REG_PSTATE) {
		const uint64_t *p = debug_reg(v, reg);

		if (p == NULL)
			return MICA_ERR_INVALID_ARGUMENT;
		*out = *p;
		return MICA_OK;
	}
	/* Saving marks the state unloaded; it stays in the CPU, so it is loaded again. */
	if (loaded) {
		arch_vcpu_save(v);
		arch_vcpu_load(v);
	}
	*out = *(const uint64_t *)((const char *)v + reg_offset[reg]);
	return MICA_OK;
}

enum mica_error arch_vcpu_write_reg(struct arch_vcpu *v, bool loaded, struct tcb *t, uint64_t reg,
				    uint64_t value)
{
	uint64_t *p;

	if (reg == MICA_VCPU_REG_PSTATE) {
		if (t == NULL)
			return MICA_ERR_ILLEGAL_OPERATION;
		if ((value & ~PSTATE_SETTABLE) != 0 || !pstate_is_guest_mode(value))
			return MICA_ERR_INVALID_ARGUMENT;
		t->regs.pstate = value;
		return MICA_OK;
	}
	p = reg > MICA_VCPU_REG_PSTATE ? debug_reg(v, reg)
				       : (uint64_t *)((char *)v + reg_offset[reg]);
	if (p == NULL)
		return MICA_ERR_INVALID_ARGUMENT;
	if (loaded)
		arch_vcpu_save(v);
	*p = reg == MICA_VCPU_REG_MDSCR ? value & MDSCR_GUEST : value;
	if (loaded)
		arch_vcpu_load(v);
	return MICA_OK;
}

/* Offsets in the guest's vector table (Arm ARM D1.10.2) of a synchronous exception. */
#define VECTOR_CURRENT_SP0 0x000
#define VECTOR_CURRENT_SPX 0x200
#define VECTOR_LOWER_A64   0x400
#define VECTOR_LOWER_A32   0x600
#define SPSR_M_AARCH32	   UINT64_C(0x10)

/* The guest, at regs, runs at EL0 (either state): an exception comes from a lower level. */
static bool from_el0(const struct arch_regs *regs)
{
	uint64_t mode = regs->pstate & SPSR_MODE_MASK;

	return mode != SPSR_MODE_EL1H && mode != SPSR_MODE_EL1T;
}

/*
 * A synchronous exception with syndrome esr taken to the guest's EL1 at
 * its current PC, as the CPU would deliver it; far is FAR_EL1's new value
 * when set_far.
 */
static void inject_sync(struct arch_vcpu *v, bool loaded, struct arch_regs *regs, uint64_t esr,
			bool set_far, uint64_t far)
{
	uint64_t mode = regs->pstate & SPSR_MODE_MASK;
	uint64_t offset = mode == SPSR_MODE_EL1H    ? VECTOR_CURRENT_SPX
			  : mode == SPSR_MODE_EL1T  ? VECTOR_CURRENT_SP0
			  : (mode & SPSR_M_AARCH32) ? VECTOR_LOWER_A32
						    : VECTOR_LOWER_A64;

	if (loaded)
		arch_vcpu_save(v);
	v->esr = esr;
	if (set_far)
		v->far = far;
	v->elr = regs->pc;
	v->spsr = regs->pstate;
	regs->pc = v->vbar + offset;
	regs->pstate = SPSR_MODE_EL1H | SPSR_DAIF;
	if (loaded)
		arch_vcpu_load(v);
	v->exit_esr = 0;
}

/* An undefined-instruction exception (EC 0, "unknown reason"). */
void arch_vcpu_inject_undef(struct arch_vcpu *v, bool loaded, struct arch_regs *regs)
{
	inject_sync(v, loaded, regs, ((uint64_t)ESR_EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, false, 0);
}

/*
 * A synchronous external abort, not on a translation table walk (fault
 * status 0b010000, Arm ARM D19.2.46), from the guest's own level or from
 * EL0 below it: an instruction abort for an exit on a fetch, else a data
 * abort that keeps the exit's WnR and CM bits (a write; a cache
 * maintenance instruction). FAR_EL1 is valid (FnV 0): the exit's address.
 */
#define FSC_SYNC_EXTERNAL 0x10u
#define ABORT_CM	  (UINT32_C(1) << 8)

enum mica_error arch_vcpu_inject_abort(struct arch_vcpu *v, bool loaded, struct arch_regs *regs)
{
	unsigned ec = esr_ec(v->exit_esr);
	bool lower = from_el0(regs);
	uint64_t esr;

	if (ec == ESR_EC_IABT_LOW)
		esr = (uint64_t)(lower ? ESR_EC_IABT_LOW : ESR_EC_IABT_CUR) << ESR_EC_SHIFT;
	else if (ec == ESR_EC_DABT_LOW)
		esr = ((uint64_t)(lower ? ESR_EC_DABT_LOW : ESR_EC_DABT_CUR) << ESR_EC_SHIFT) |
		      (v->exit_esr & (ABORT_WNR | ABORT_CM));
	else
		return MICA_ERR_ILLEGAL_OPERATION;
	inject_sync(v, loaded, regs, esr | ESR_IL | FSC_SYNC_EXTERNAL, true, v->exit_far);
	return MICA_OK;
}

/*
 * A guest exit (an exception from EL1/EL0 with TGE clear) the kernel does
 * not handle itself becomes a message: MMIO to a bound device server,
 * everything else to the VMM. Every exception class ends up here, so no
 * guest action can stop the kernel.
 */
void arch_guest_exit(struct tcb *t, uint64_t esr)
{
	struct arch_regs *regs = &t->regs;
	uint64_t words[MICA_EXIT_HYPERCALL_WORDS];
	struct vcpu_exit e = {.label = MICA_EXIT_HYPERCALL};

	switch (esr_ec(esr)) {
	case ESR_EC_SMC64:
		arch_regs_skip(regs, 4); /* A trapped SMC returns to itself; HVC points past. */
		__attribute__((fallthrough));
	case ESR_EC_HVC64:
		if ((uint32_t)regs->x[0] == MICA_HVC_RING_DOORBELL) { /* SMCCC: W0. */
			/* The kernel's own hypercall (<mica/abi/hypercall.h>): no exit. */
			regs->x[0] = (uint64_t)vcpu_ring_doorbell(t, regs->x[1]);
			return;
		}
		for (unsigned i = 0; i < MICA_EXIT_HYPERCALL_WORDS; i++)
			words[i] = regs->x[i];
		vcpu_exit(t, &e, words, MICA_EXIT_HYPERCALL_WORDS);
		return;
	case ESR_EC_WFX:
		/*
		 * No message: the kernel waits for the guest (see vcpu_wait). The
		 * trapped WFI or WFE returns to itself; IL says whether it was a
		 * 32-bit instruction or a 16-bit T32 one (guest EL0 may run
		 * AArch32).
		 */
		arch_regs_skip(regs, (esr & ESR_IL) ? 4 : 2);
		vcpu_wait(t, esr_wfx_is_wfe(esr));
		return;
	case ESR_EC_SYSREG:
		arch_decode_sysreg(regs, esr, &e, words);
		vcpu_exit(t, &e, words, 4);
		return;
	case ESR_EC_DABT_LOW:
		if (arch_decode_mmio(regs, &t->vcpu->arch, esr, &e, words)) {
			vcpu_exit_mmio(t, &e, words);
			return;
		}
		break;
	default:
		break;
	}
	e.label = MICA_EXIT_FAULT;
	words[0] = esr;
	/* FAR_EL2 and HPFAR_EL2 are UNKNOWN for an SError: never another exit's addresses. */
	words[1] = esr_ec(esr) == ESR_EC_SERROR ? 0 : sysreg_read(far_el2);
	words[2] = esr_ec(esr) == ESR_EC_SERROR ? 0 : arch_fault_ipa_page();
	words[3] = regs->pc;
	/* An abort (FAR valid: FnV clear) may be answered with an external abort. */
	t->vcpu->arch.exit_esr = 0;
	if ((esr_ec(esr) == ESR_EC_IABT_LOW || esr_ec(esr) == ESR_EC_DABT_LOW) &&
	    !(esr & ABORT_FNV)) {
		t->vcpu->arch.exit_esr = esr;
		t->vcpu->arch.exit_far = words[1];
	}
	vcpu_exit(t, &e, words, 4);
}
