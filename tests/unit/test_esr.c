/*
 * Unit tests for syndrome decoding (kernel/arch/aarch64/esr.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/esr.h"

/* ESR of an EL0 read of an unmapped address: DABT_LOW, IL, level-3 translation fault. */
#define ESR_DABT_LOW_READ_L3 UINT64_C(0x92000007)

static void test_ec_is_bits_31_to_26(void **state)
{
	(void)state;
	assert_int_equal(esr_ec(ESR_DABT_LOW_READ_L3), ESR_EC_DABT_LOW);
	assert_int_equal(esr_ec(UINT64_C(0x56000000)), ESR_EC_SVC64);
	assert_int_equal(esr_ec(UINT64_C(0xfc000000)), 0x3f);
}

static void test_class_names_name_the_common_classes(void **state)
{
	(void)state;
	assert_string_equal(esr_class_name(ESR_EC_DABT_LOW), "Data Abort from a lower EL");
	assert_string_equal(esr_class_name(ESR_EC_IABT_CUR), "Instruction Abort from the same EL");
	assert_string_equal(esr_class_name(ESR_EC_SVC64), "SVC from AArch64");
	assert_string_equal(esr_class_name(ESR_EC_HVC64), "HVC from AArch64");
	assert_string_equal(esr_class_name(ESR_EC_SYSREG),
			    "Trapped MSR, MRS or system instruction");
	assert_string_equal(esr_class_name(ESR_EC_UNKNOWN),
			    "Unknown reason (undefined instruction)");
}

static void test_class_name_of_reserved_class_is_not_null(void **state)
{
	(void)state;
	for (unsigned ec = 0; ec <= ESR_EC_MASK; ec++)
		assert_non_null(esr_class_name(ec));
	assert_string_equal(esr_class_name(0x3f), "Reserved exception class");
	assert_string_equal(esr_class_name(0x02), "Reserved exception class");
}

static void test_fault_names_cover_each_level(void **state)
{
	(void)state;
	for (unsigned level = 0; level < 4; level++) {
		assert_string_equal(esr_fault_name(0x04 + level), "translation fault");
		assert_string_equal(esr_fault_name(0x08 + level), "access flag fault");
		assert_string_equal(esr_fault_name(0x0c + level), "permission fault");
		assert_string_equal(esr_fault_name(0x00 + level), "address size fault");
	}
	assert_string_equal(esr_fault_name(0x21), "alignment fault");
	assert_string_equal(esr_fault_name(0x10), "synchronous external abort");
	assert_string_equal(esr_fault_name(0x3f), "other fault");
}

static void test_decode_abort_reads_level_and_direction(void **state)
{
	struct esr_abort a = esr_decode_abort(ESR_DABT_LOW_READ_L3);

	(void)state;
	assert_int_equal(a.fsc, 0x07);
	assert_int_equal(a.level, 3);
	assert_false(a.is_write);
	assert_true(a.far_valid);
	assert_false(a.isv);

	a = esr_decode_abort(ESR_DABT_LOW_READ_L3 | (1u << 6) | (1u << 10));
	assert_true(a.is_write);
	assert_false(a.far_valid);
}

static void test_decode_abort_reads_the_access_syndrome(void **state)
{
	/* ISV, SAS = 1 (halfword), SSE, SRT = 5, SF, WnR = 0, translation fault L1. */
	uint64_t esr = (UINT64_C(0x24) << 26) | (1u << 25) | (1u << 24) | (1u << 22) | (1u << 21) |
		       (5u << 16) | (1u << 15) | 0x05;
	struct esr_abort a = esr_decode_abort(esr);

	(void)state;
	assert_true(a.isv);
	assert_int_equal(a.size, 2);
	assert_true(a.sign_extend);
	assert_int_equal(a.reg, 5);
	assert_true(a.reg_64bit);
	assert_int_equal(a.level, 1);

	esr = (UINT64_C(0x24) << 26) | (1u << 24) | (3u << 22) | (31u << 16) | (1u << 6);
	a = esr_decode_abort(esr);
	assert_int_equal(a.size, 8);
	assert_false(a.sign_extend);
	assert_int_equal(a.reg, 31);
	assert_true(a.is_write);
}

static void test_instruction_abort_has_no_access_syndrome(void **state)
{
	/* Bits that would be ISV and WnR in a data abort mean nothing here. */
	uint64_t esr = (UINT64_C(0x20) << 26) | (1u << 24) | (1u << 6) | 0x0f;
	struct esr_abort a = esr_decode_abort(esr);

	(void)state;
	assert_false(a.isv);
	assert_false(a.is_write);
	assert_int_equal(a.level, 3);
	assert_string_equal(esr_fault_name(a.fsc), "permission fault");
}

static void test_non_translation_faults_have_no_level(void **state)
{
	(void)state;
	assert_int_equal(esr_decode_abort((UINT64_C(0x25) << 26) | 0x21).level, -1);
	assert_int_equal(esr_decode_abort((UINT64_C(0x25) << 26) | 0x10).level, -1);
}

static void test_is_abort_accepts_only_abort_classes(void **state)
{
	(void)state;
	for (unsigned ec = 0; ec <= ESR_EC_MASK; ec++)
		assert_int_equal(esr_is_abort(ec),
				 ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec_is_bits_31_to_26),
		cmocka_unit_test(test_class_names_name_the_common_classes),
		cmocka_unit_test(test_class_name_of_reserved_class_is_not_null),
		cmocka_unit_test(test_fault_names_cover_each_level),
		cmocka_unit_test(test_decode_abort_reads_level_and_direction),
		cmocka_unit_test(test_decode_abort_reads_the_access_syndrome),
		cmocka_unit_test(test_instruction_abort_has_no_access_syndrome),
		cmocka_unit_test(test_non_translation_faults_have_no_level),
		cmocka_unit_test(test_is_abort_accepts_only_abort_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
