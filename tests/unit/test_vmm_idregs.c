/*
 * Unit tests for servers/vmm/idregs.c: which ID-register fields a guest
 * sees. Encodings and field positions are written out from the Arm ARM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "idregs.h"

#define ENC(op0, op1, crn, crm, op2)                                                               \
	(((uint64_t)(op0) << 14) | ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) |              \
	 ((uint64_t)(crm) << 3) | (uint64_t)(op2))

/* A value with every 4-bit field set to a different nonzero digit. */
#define ALL UINT64_C(0x123456789abcdef1)

/* ID_AA64PFR0_EL1: RAS [31:28], SVE [35:32], MPAM [43:40] and AMU [47:44] read 0. */
static void test_pfr0_hides_ras_sve_mpam_amu(void **state)
{
	(void)state;
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 4, 0), ALL), UINT64_C(0x123400700abcdef1));
}

/* ID_AA64PFR1_EL1: MTE [11:8], RAS_frac [15:12], MPAM_frac [19:16] and SME [27:24]. */
static void test_pfr1_hides_mte_sme(void **state)
{
	(void)state;
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 4, 1), ALL), UINT64_C(0x1234567890b000f1));
}

/* ID_AA64DFR0_EL1: PMSVer [35:32] (statistical profiling), TraceBuffer [47:44]. */
static void test_dfr0_hides_pmu_spe_trbe(void **state)
{
	(void)state;
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 5, 0), ALL), UINT64_C(0x123406709abcd0f1));
	/* The AArch32 view, ID_DFR0_EL1: PerfMon [27:24] reads 0 too. */
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 1, 2), ALL), UINT64_C(0x1234567890bcdef1));
	/* ID_AA64DFR1_EL1: the debug extensions after Armv8.8, none switched. */
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 5, 1), ALL), 0);
}

/* Every PMU register, and nothing next to them, is the PMU's (Arm ARM D13.3 encodings). */
static void test_pmu_registers_are_recognised(void **state)
{
	(void)state;
	assert_true(idregs_is_pmu(ENC(3, 3, 9, 12, 0)));  /* PMCR_EL0 */
	assert_true(idregs_is_pmu(ENC(3, 3, 9, 12, 2)));  /* PMCNTENCLR_EL0 */
	assert_true(idregs_is_pmu(ENC(3, 3, 9, 13, 0)));  /* PMCCNTR_EL0 */
	assert_true(idregs_is_pmu(ENC(3, 3, 9, 14, 0)));  /* PMUSERENR_EL0 */
	assert_true(idregs_is_pmu(ENC(3, 3, 9, 14, 3)));  /* PMOVSSET_EL0 */
	assert_true(idregs_is_pmu(ENC(3, 0, 9, 14, 1)));  /* PMINTENSET_EL1 */
	assert_true(idregs_is_pmu(ENC(3, 0, 9, 14, 6)));  /* PMMIR_EL1 */
	assert_true(idregs_is_pmu(ENC(3, 3, 14, 8, 0)));  /* PMEVCNTR0_EL0 */
	assert_true(idregs_is_pmu(ENC(3, 3, 14, 15, 6))); /* PMEVTYPER30_EL0 */
	assert_true(idregs_is_pmu(ENC(3, 3, 14, 15, 7))); /* PMCCFILTR_EL0 */
	assert_false(idregs_is_pmu(ENC(3, 3, 14, 0, 1))); /* CNTPCT_EL0 */
	assert_false(idregs_is_pmu(ENC(3, 3, 14, 2, 1))); /* CNTP_CTL_EL0 */
	assert_false(idregs_is_pmu(ENC(3, 0, 9, 14, 0))); /* unallocated */
	assert_false(idregs_is_pmu(ENC(2, 3, 9, 12, 0))); /* op0 2: debug */
	assert_false(idregs_is_pmu(ENC(3, 0, 10, 2, 0))); /* MAIR_EL1 */
	assert_false(idregs_is_pmu(ENC(3, 3, 13, 0, 2))); /* TPIDR_EL0 */
}

/* SVE's and SME's own feature registers read 0 whatever the CPU has. */
static void test_sve_sme_feature_registers_read_zero(void **state)
{
	(void)state;
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 4, 4), ALL), 0);
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 4, 5), ALL), 0);
}

/* Everything else in the ID space is the CPU's own value (ISAR0, MMFR0, an AArch32 one). */
static void test_other_id_registers_pass_through(void **state)
{
	(void)state;
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 6, 0), ALL), ALL);
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 7, 0), ALL), ALL);
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 1, 0), ALL), ALL);
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 7, 7), ALL), ALL);
}

/* Outside CRm 1..7 of op0 3, op1 0, CRn 0 is not the ID space: 0, never the value. */
static void test_outside_id_space(void **state)
{
	(void)state;
	assert_false(idregs_is_id_space(ENC(3, 0, 0, 0, 0))); /* MIDR_EL1 */
	assert_false(idregs_is_id_space(ENC(3, 0, 0, 8, 0)));
	assert_false(idregs_is_id_space(ENC(3, 1, 0, 4, 0)));
	assert_false(idregs_is_id_space(ENC(3, 0, 1, 4, 0)));
	assert_false(idregs_is_id_space(ENC(2, 0, 0, 4, 0)));
	assert_true(idregs_is_id_space(ENC(3, 0, 0, 1, 0)));
	assert_true(idregs_is_id_space(ENC(3, 0, 0, 7, 7)));
	assert_int_equal(idregs_guest_value(ENC(3, 0, 0, 0, 0), ALL), 0);
	assert_int_equal(idregs_guest_value(ENC(3, 0, 1, 4, 0), ALL), 0);
}

/*
 * What each trapped access does: an ID register is read through the filter
 * and never written; the SGI generation registers are written, never read;
 * set/way maintenance, ACTLR_EL1 and the debug registers are ignored; the
 * PMU, the implementation-defined space and anything else (the timers,
 * which no longer trap) are undefined.
 */
static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(idregs_classify(ENC(3, 0, 0, 4, 0), false), SYSREG_ID);
	assert_int_equal(idregs_classify(ENC(3, 0, 0, 7, 7), false), SYSREG_ID);
	assert_int_equal(idregs_classify(ENC(3, 0, 0, 4, 0), true), SYSREG_UNDEFINED);
	/* MIDR_EL1 (CRm 0) is not in TID3's space: it does not trap, and is nothing here. */
	assert_int_equal(idregs_classify(ENC(3, 0, 0, 0, 0), false), SYSREG_UNDEFINED);

	assert_int_equal(idregs_classify(ENC(3, 0, 12, 11, 5), true), SYSREG_SGI);
	assert_int_equal(idregs_classify(ENC(3, 0, 12, 11, 5), false), SYSREG_UNDEFINED);
	assert_int_equal(idregs_classify(ENC(3, 0, 12, 11, 6), true), SYSREG_IGNORE);
	assert_int_equal(idregs_classify(ENC(3, 0, 12, 11, 7), true), SYSREG_IGNORE);
	assert_int_equal(idregs_classify(ENC(3, 0, 12, 11, 7), false), SYSREG_UNDEFINED);

	/* DC ISW, DC CSW, DC CISW; DC IVAC (1, 0, 7, 6, 1) is another instruction. */
	assert_int_equal(idregs_classify(ENC(1, 0, 7, 6, 2), true), SYSREG_IGNORE);
	assert_int_equal(idregs_classify(ENC(1, 0, 7, 10, 2), true), SYSREG_IGNORE);
	assert_int_equal(idregs_classify(ENC(1, 0, 7, 14, 2), true), SYSREG_IGNORE);
	assert_int_equal(idregs_classify(ENC(1, 0, 7, 6, 1), true), SYSREG_UNDEFINED);

	assert_int_equal(idregs_classify(ENC(3, 0, 1, 0, 1), false), SYSREG_IGNORE);
	assert_int_equal(idregs_classify(ENC(3, 0, 1, 0, 1), true), SYSREG_IGNORE);
	/* MDSCR_EL1, DBGBVR0_EL1, OSLAR_EL1. */
	assert_int_equal(idregs_classify(ENC(2, 0, 0, 2, 2), false), SYSREG_DEBUG);
	assert_int_equal(idregs_classify(ENC(2, 0, 0, 0, 4), true), SYSREG_DEBUG);
	assert_int_equal(idregs_classify(ENC(2, 0, 1, 0, 4), true), SYSREG_DEBUG);
	/* CNTP_CTL_EL0, CNTPCT_EL0: the guest's own now. */
	assert_int_equal(idregs_classify(ENC(3, 3, 14, 2, 1), true), SYSREG_UNDEFINED);
	assert_int_equal(idregs_classify(ENC(3, 3, 14, 0, 1), false), SYSREG_UNDEFINED);

	/* PMCR_EL0, PMCCNTR_EL0, PMEVTYPER0_EL0. */
	assert_int_equal(idregs_classify(ENC(3, 3, 9, 12, 0), false), SYSREG_UNDEFINED);
	assert_int_equal(idregs_classify(ENC(3, 3, 9, 13, 0), false), SYSREG_UNDEFINED);
	assert_int_equal(idregs_classify(ENC(3, 3, 14, 12, 0), true), SYSREG_UNDEFINED);
	/* Implementation defined (CRn 11 and 15). */
	assert_int_equal(idregs_classify(ENC(3, 1, 15, 2, 0), false), SYSREG_UNDEFINED);
	assert_int_equal(idregs_classify(ENC(3, 1, 11, 0, 2), true), SYSREG_UNDEFINED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pfr0_hides_ras_sve_mpam_amu),
		cmocka_unit_test(test_pfr1_hides_mte_sme),
		cmocka_unit_test(test_dfr0_hides_pmu_spe_trbe),
		cmocka_unit_test(test_pmu_registers_are_recognised),
		cmocka_unit_test(test_sve_sme_feature_registers_read_zero),
		cmocka_unit_test(test_other_id_registers_pass_through),
		cmocka_unit_test(test_outside_id_space),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
