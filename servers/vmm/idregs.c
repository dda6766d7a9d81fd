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
		return 0; /* SVE's and SME's own feature registers. */
	case ID_AA64DFR0:
		return hw & ~DFR0_HIDDEN;
	case ID_DFR0:
		return hw & ~DFR0_32_HIDDEN;
	default:
		return idregs_is_id_space(enc) ? hw : 0;
	}
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
