/*
 * Decoding a guest exit that becomes a message of four words (MMIO, a
 * trapped system register), shared by the slow path (vcpu.c) and the exit
 * fastpath: inline, so the fastpath pays for no call.
 */
#ifndef MICA_ARCH_EXIT_H
#define MICA_ARCH_EXIT_H

#include "arch/esr.h"
#include "arch/sysreg.h"
/* Included after the generic "vcpu.h" (struct vcpu_exit). */

#include <mica/abi/exit.h>

/* HPFAR_EL2.FIPA (bits 43..4) is the faulting IPA's page number. */
#define HPFAR_FIPA UINT64_C(0x00000ffffffffff0)

static inline uint64_t arch_fault_ipa_page(void)
{
	return (sysreg_read(hpfar_el2) & HPFAR_FIPA) << 8;
}

static inline uint64_t arch_guest_reg(const struct arch_regs *regs, unsigned reg)
{
	return reg == 31 ? 0 : regs->x[reg];
}

/*
 * A data abort (esr) on guest-physical memory with nothing mapped and a
 * syndrome that says what the instruction did is an MMIO access: fill in
 * e and the message words, and note the abort in av. False for anything
 * else (a permission fault on RAM; an access the syndrome cannot describe:
 * a load or store pair, an exclusive, SIMD; an address beyond the VM's IPA
 * space), which is a fault.
 */
static inline __attribute__((always_inline)) bool
arch_decode_mmio(const struct arch_regs *regs, struct arch_vcpu *av, uint64_t esr,
		 struct vcpu_exit *e, uint64_t *words)
{
	uint32_t iss = esr_iss(esr);
	unsigned log2 = (iss >> ABORT_SAS_SHIFT) & 3;
	unsigned reg = (iss >> ABORT_SRT_SHIFT) & 0x1f;
	bool is_write = (iss & ABORT_WNR) != 0;
	bool sign_extend = (iss & ABORT_SSE) != 0;
	bool reg64 = (iss & ABORT_SF) != 0;
	uint64_t far = sysreg_read(far_el2);
	uint64_t ipa = arch_fault_ipa_page() | (far & 0xfff);

	if (!(iss & ABORT_ISV) || (iss & ABORT_S1PTW) ||
	    !esr_is_translation_fault(iss & ABORT_FSC_MASK) || (ipa >> STAGE2_IPA_BITS) != 0)
		return false;
	av->exit_esr = esr;
	av->exit_far = far;
	*e = (struct vcpu_exit){
		.label = MICA_EXIT_MMIO,
		.reg = (uint8_t)reg,
		.size_log2 = (uint8_t)log2,
		.insn_len = (esr & ESR_IL) ? 4 : 2,
		.is_read = !is_write,
		.sign_extend = sign_extend,
		.reg64 = reg64,
	};
	words[0] = ipa;
	words[1] = log2 | (is_write ? MICA_MMIO_WRITE : 0) |
		   (sign_extend ? MICA_MMIO_SIGN_EXTEND : 0) | (reg64 ? MICA_MMIO_REG64 : 0) |
		   (uint64_t)reg << MICA_MMIO_REG_SHIFT;
	words[2] = 0;
	if (is_write) {
		words[2] = arch_guest_reg(regs, reg);
		if (log2 < 3)
			words[2] &= (UINT64_C(1) << (8u << log2)) - 1;
	}
	words[3] = regs->pc;
	return true;
}

/*
 * The CPU's own value of the ID register (op0 3, op1 0, CRn 0, crm, op2)
 * whose read a guest trapped on (HCR_EL2.TID3), for its VMM to filter: MR2
 * of the exit. 0 outside CRm 1..7.
 */
uint64_t arch_id_reg(unsigned crm, unsigned op2);

/* A trapped MSR or MRS (EC 0x18): e and the message words. */
static inline __attribute__((always_inline)) void
arch_decode_sysreg(const struct arch_regs *regs, uint64_t esr, struct vcpu_exit *e, uint64_t *words)
{
	struct esr_sysreg r = esr_decode_sysreg(esr);

	*e = (struct vcpu_exit){
		.label = MICA_EXIT_SYSREG,
		.reg = (uint8_t)r.reg,
		.size_log2 = 3,
		.insn_len = 4,
		.is_read = r.is_read,
		.reg64 = true,
	};
	words[0] = MICA_SYSREG(r.op0, r.op1, r.crn, r.crm, r.op2);
	words[1] = (r.is_read ? 0 : MICA_SYSREG_WRITE) | (uint64_t)r.reg << MICA_MMIO_REG_SHIFT;
	words[2] = !r.is_read				    ? arch_guest_reg(regs, r.reg)
		   : r.op0 == 3 && r.op1 == 0 && r.crn == 0 ? arch_id_reg(r.crm, r.op2)
							    : 0;
	words[3] = regs->pc;
}

/* ICC_SGI1R_EL1 (Arm ARM D19.3): INTID 27:24, TargetList 15:0, and the fields below. */
#define SGI1R_INTID_SHIFT 24
#define SGI1R_TARGETS	  UINT64_C(0xffff)
/* Aff3 55:48, RS 47:44, IRM 40, Aff2 39:32, Aff1 23:16: all 0 for a write the kernel routes. */
#define SGI1R_NOT_ROUTED UINT64_C(0x00fff1ff00ff0000)

/*
 * A trapped system register access, as arch_decode_sysreg gave it in words,
 * that is a write of ICC_SGI1R_EL1 the kernel may route (vgic_send_sgi): a
 * target list at affinity 0.0.0.x. Its SGI and target list; false for
 * anything else.
 */
static inline __attribute__((always_inline)) bool arch_sgi_write(const uint64_t *words,
								 unsigned *intid, uint32_t *targets)
{
	uint64_t value = words[2];

	if (words[0] != MICA_SYSREG(3, 0, 12, 11, 5) || !(words[1] & MICA_SYSREG_WRITE) ||
	    (value & SGI1R_NOT_ROUTED) != 0)
		return false;
	*intid = (unsigned)(value >> SGI1R_INTID_SHIFT) & 0xfu;
	*targets = (uint32_t)(value & SGI1R_TARGETS);
	return true;
}

/*
 * The exit the current guest (whose EL1 state is av) took, if it is one of
 * the four-word kinds: MMIO or a system register. False: leave it to the
 * slow path.
 */
static inline __attribute__((always_inline)) bool arch_decode_exit(const struct arch_regs *regs,
								   struct arch_vcpu *av,
								   struct vcpu_exit *e,
								   uint64_t *words)
{
	uint64_t esr = sysreg_read(esr_el2);

	if (esr_ec(esr) == ESR_EC_SYSREG) {
		arch_decode_sysreg(regs, esr, e, words);
		return true;
	}
	return esr_ec(esr) == ESR_EC_DABT_LOW && arch_decode_mmio(regs, av, esr, e, words);
}

#endif
