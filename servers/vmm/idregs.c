/*
 * Filtering the ID registers a guest reads (idregs.h). Fields are 4 bits
 * wide; a hidden feature's field reads 0, "not implemented", in every
 * register the Arm ARM gives it (D19.2, the ID_AA64* registers).
 */
#include "idregs.h"

#include <mica/abi/exit.h>

#define FIELD(shift) (UINT64_C(0xf) << (shift))

#define ID_AA64PFR0  MICA_SYSREG(3, 0, 0, 4, 0)
#define ID_AA64PFR1  MICA_SYSREG(3, 0, 0, 4, 1)
#define ID_AA64ZFR0  MICA_SYSREG(3, 0, 0, 4, 4)
#define ID_AA64SMFR0 MICA_SYSREG(3, 0, 0, 4, 5)
#define ID_AA64DFR0  MICA_SYSREG(3, 0, 0, 5, 0)

/* ID_AA64PFR0_EL1: RAS [31:28], SVE [35:32], MPAM [43:40], AMU [47:44]. */
#define PFR0_HIDDEN (FIELD(28) | FIELD(32) | FIELD(40) | FIELD(44))
/* ID_AA64PFR1_EL1: MTE [11:8], RAS_frac [15:12], MPAM_frac [19:16], SME [27:24]. */
#define PFR1_HIDDEN (FIELD(8) | FIELD(12) | FIELD(16) | FIELD(24))
/* ID_AA64DFR0_EL1: PMUVer [11:8], PMSVer [35:32] (SPE), TraceBuffer [47:44]. */
#define DFR0_HIDDEN (FIELD(8) | FIELD(32) | FIELD(44))
/*
 * ID_AA64DFR1_EL1: the debug extensions after Armv8.8 (more than 16
 * breakpoints and watchpoints, banked through MDSELR_EL1, and the rest),
 * none of which the kernel switches: all hidden.
 */
#define ID_AA64DFR1 MICA_SYSREG(3, 0, 0, 5, 1)
/* ID_DFR0_EL1 (AArch32 view): PerfMon [27:24]. */
#define ID_DFR0	       MICA_SYSREG(3, 0, 0, 1, 2)
#define DFR0_32_HIDDEN FIELD(24)

int idregs_is_id_space(uint64_t enc)
{
	uint64_t crm = (enc >> 3) & 0xf;

	return (enc & ~(uint64_t)0x7f) == MICA_SYSREG(3, 0, 0, 0, 0) && crm >= 1 && crm <= 7;
}

uint64_t idregs_guest_value(uint64_t enc, uint64_t hw)
{
	switch (enc) {
	case ID_AA64PFR0:
		return hw & ~PFR0_HIDDEN;
	case ID_AA64PFR1:
		return hw & ~PFR1_HIDDEN;
	case ID_AA64ZFR0:
	case ID_AA64SMFR0:
	case ID_AA64DFR1:
		return 0; /* SVE's and SME's own feature registers; later debug. */
	case ID_AA64DFR0:
		return hw & ~DFR0_HIDDEN;
	case ID_DFR0:
		return hw & ~DFR0_32_HIDDEN;
	default:
		return idregs_is_id_space(enc) ? hw : 0;
	}
}

#define ACTLR_EL1      MICA_SYSREG(3, 0, 1, 0, 1)
#define ICC_SGI1R_EL1  MICA_SYSREG(3, 0, 12, 11, 5)
#define ICC_ASGI1R_EL1 MICA_SYSREG(3, 0, 12, 11, 6)
#define ICC_SGI0R_EL1  MICA_SYSREG(3, 0, 12, 11, 7)
/* DC ISW, DC CSW, DC CISW: op0 1, op1 0, CRn 7, CRm 6, 10 or 14, op2 2. */
#define DC_ISW	MICA_SYSREG(1, 0, 7, 6, 2)
#define DC_CSW	MICA_SYSREG(1, 0, 7, 10, 2)
#define DC_CISW MICA_SYSREG(1, 0, 7, 14, 2)

/*
 * Ignored, a read being zero:
 * - cache maintenance by set and way (HCR_EL2.TSW): the guest's RAM is
 *   ordinary cacheable memory, coherent for every observer under QEMU, so
 *   there is nothing to clean;
 * - ACTLR_EL1 (HCR_EL2.TACR): every CPU has it, its contents are
 *   implementation defined, and zero asks for nothing;
 * - the Group 0 and other-Security-state SGI registers: a GIC with one
 *   Security state and Group 1 interrupts only (vgicd.h) has none to send.
 * The debug registers (op0 2: MDCR_EL2.TDA, TDOSA, TDRA) are vdebug.h's.
 * Undefined: the ID registers written, the SGI registers read, the PMU,
 * the implementation-defined registers (op0 3, CRn 11 or 15: HCR_EL2.TIDCP)
 * and anything else that traps.
 */
enum sysreg_action idregs_classify(uint64_t enc, bool is_write)
{
	unsigned op0 = (unsigned)(enc >> 14) & 3;

	if (idregs_is_id_space(enc))
		return is_write ? SYSREG_UNDEFINED : SYSREG_ID;
	if (idregs_is_pmu(enc))
		return SYSREG_UNDEFINED;
	if (enc == ICC_SGI1R_EL1)
		return is_write ? SYSREG_SGI : SYSREG_UNDEFINED;
	if (enc == ICC_SGI0R_EL1 || enc == ICC_ASGI1R_EL1)
		return is_write ? SYSREG_IGNORE : SYSREG_UNDEFINED;
	if (enc == DC_ISW || enc == DC_CSW || enc == DC_CISW)
		return is_write ? SYSREG_IGNORE : SYSREG_UNDEFINED;
	if (op0 == 2)
		return SYSREG_DEBUG;
	if (enc == ACTLR_EL1)
		return SYSREG_IGNORE;
	return SYSREG_UNDEFINED;
}

int idregs_is_pmu(uint64_t enc)
{
	unsigned op0 = (unsigned)(enc >> 14) & 3, op1 = (unsigned)(enc >> 11) & 7;
	unsigned crn = (unsigned)(enc >> 7) & 0xf, crm = (unsigned)(enc >> 3) & 0xf;
	unsigned op2 = (unsigned)enc & 7;

	if (op0 != 3)
		return 0;
	/* PMCR_EL0 .. PMCEID1_EL0, PMCCNTR_EL0 .. PMXEVCNTR_EL0, PMUSERENR_EL0, PMOVSSET_EL0. */
	if (op1 == 3 && crn == 9 && crm >= 12 && crm <= 14)
		return 1;
	/* PMINTENSET_EL1, PMINTENCLR_EL1, PMMIR_EL1. */
	if (op1 == 0 && crn == 9 && crm == 14 && (op2 == 1 || op2 == 2 || op2 == 6))
		return 1;
	/* PMEVCNTR<n>_EL0, PMEVTYPER<n>_EL0, PMCCFILTR_EL0. */
	return op1 == 3 && crn == 14 && crm >= 8;
}
