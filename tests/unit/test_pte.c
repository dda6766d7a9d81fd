/*
 * Unit tests for translation-table descriptor encoding
 * (kernel/arch/aarch64/include/arch/pte.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/pte.h"

#define PA UINT64_C(0x40123000)

static void test_index_splits_a_39_bit_address(void **state)
{
	uint64_t va = (UINT64_C(0x1a5) << 30) | (UINT64_C(0x0f3) << 21) | (UINT64_C(0x101) << 12);

	(void)state;
	assert_int_equal(pte_index(va, 1), 0x1a5);
	assert_int_equal(pte_index(va, 2), 0x0f3);
	assert_int_equal(pte_index(va, 3), 0x101);
	/* The upper half indexes the same way (the top bits select TTBR1). */
	assert_int_equal(pte_index(UINT64_C(0xffffffffc0000000), 1), 511);
	assert_int_equal(pte_index(UINT64_C(0xffffff8000000000), 1), 0);
}

static void test_level_sizes_are_1g_2m_4k(void **state)
{
	(void)state;
	assert_int_equal(pte_level_size(1), UINT64_C(1) << 30);
	assert_int_equal(pte_level_size(2), UINT64_C(1) << 21);
	assert_int_equal(pte_level_size(3), UINT64_C(1) << 12);
}

static void test_table_descriptor_has_type_bits_and_address(void **state)
{
	pte_t t = pte_table(PA | 0xfff);

	(void)state;
	assert_int_equal(t & 3, 3);
	assert_int_equal(pte_address(t), PA);
	assert_true(pte_is_table(t, 1));
	assert_true(pte_is_table(t, 2));
	assert_false(pte_is_table(t, 3)); /* At level 3 the same bits mean "page". */
}

static void test_page_and_block_type_bits_differ(void **state)
{
	(void)state;
	assert_int_equal(pte_leaf(PA, 3, MAP_READ) & 3, 3);
	assert_int_equal(pte_leaf(PA & ~UINT64_C(0x1fffff), 2, MAP_READ) & 3, 1);
	assert_int_equal(pte_leaf(0x40000000, 1, MAP_READ) & 3, 1);
	assert_false(pte_is_table(pte_leaf(0x40000000, 1, MAP_READ), 1));
}

static void test_kernel_text_is_read_only_and_executable_at_el2_only(void **state)
{
	pte_t p = pte_leaf(PA, 3, MAP_READ | MAP_EXEC);

	(void)state;
	assert_true(p & PTE_AP_RO);
	assert_false(p & PTE_AP_EL0);
	assert_false(p & PTE_PXN);
	assert_true(p & PTE_UXN);
	assert_false(p & PTE_NG);
	assert_true(p & PTE_AF);
	assert_int_equal(pte_prot(p), MAP_READ | MAP_EXEC);
}

static void test_kernel_data_is_never_executable(void **state)
{
	pte_t p = pte_leaf(PA, 3, MAP_READ | MAP_WRITE | MAP_EXEC);

	(void)state;
	assert_false(p & PTE_AP_RO);
	assert_true(p & PTE_PXN);
	assert_true(p & PTE_UXN);
	assert_int_equal(pte_prot(p), MAP_READ | MAP_WRITE);
}

static void test_user_page_is_not_global_and_never_el2_executable(void **state)
{
	pte_t text = pte_leaf(PA, 3, MAP_READ | MAP_EXEC | MAP_USER);
	pte_t data = pte_leaf(PA, 3, MAP_READ | MAP_WRITE | MAP_USER);

	(void)state;
	assert_true(text & PTE_AP_EL0);
	assert_true(text & PTE_NG);
	assert_true(text & PTE_PXN);
	assert_false(text & PTE_UXN);
	assert_int_equal(pte_prot(text), MAP_READ | MAP_EXEC | MAP_USER);
	assert_true(data & PTE_UXN);
	assert_false(data & PTE_AP_RO);
	assert_int_equal(pte_prot(data), MAP_READ | MAP_WRITE | MAP_USER);
}

static void test_user_writable_executable_request_drops_execute(void **state)
{
	pte_t p = pte_leaf(PA, 3, MAP_READ | MAP_WRITE | MAP_EXEC | MAP_USER);

	(void)state;
	assert_true(p & PTE_UXN);
	assert_false(pte_prot(p) & MAP_EXEC);
}

static void test_device_memory_uses_device_attributes_and_no_execute(void **state)
{
	pte_t dev = pte_leaf(0x09000000, 3, MAP_READ | MAP_WRITE | MAP_DEVICE | MAP_EXEC);
	pte_t ram = pte_leaf(PA, 3, MAP_READ);

	(void)state;
	assert_int_equal((dev & PTE_ATTR_MASK) >> PTE_ATTR_SHIFT, MAIR_IDX_DEVICE_NGNRE);
	assert_true(dev & PTE_PXN);
	assert_true(dev & PTE_UXN);
	assert_true(pte_prot(dev) & MAP_DEVICE);
	assert_int_equal((ram & PTE_ATTR_MASK) >> PTE_ATTR_SHIFT, MAIR_IDX_NORMAL);
	assert_int_equal(ram & PTE_SH_INNER, PTE_SH_INNER);
	assert_false(pte_prot(ram) & MAP_DEVICE);
}

static void test_leaf_address_drops_low_and_high_bits(void **state)
{
	(void)state;
	assert_int_equal(pte_address(pte_leaf(PA | 0x7ff, 3, MAP_READ)), PA);
	assert_int_equal(pte_address(pte_leaf(PA | (UINT64_C(1) << 60), 3, MAP_READ)), PA);
	assert_false(pte_is_valid(0));
	assert_true(pte_is_valid(pte_leaf(PA, 3, MAP_READ)));
}

static void test_stage2_normal_memory_is_cacheable_and_may_run_code(void **state)
{
	pte_t p = pte_s2_leaf(PA, 3, MAP_READ | MAP_WRITE | MAP_EXEC);

	(void)state;
	assert_int_equal(p & 3, 3);
	assert_int_equal(p & (UINT64_C(0xf) << 2), PTE_S2_MEMATTR_NORMAL);
	assert_true(p & PTE_S2_READ);
	assert_true(p & PTE_S2_WRITE);
	assert_int_equal(p & PTE_S2_XN, 0); /* Guests write and run their own code. */
	assert_true(p & PTE_AF);
	assert_int_equal(pte_address(p), PA);
}

static void test_stage2_device_memory_never_runs_code(void **state)
{
	pte_t p = pte_s2_leaf(0x09000000, 3, MAP_READ | MAP_WRITE | MAP_DEVICE | MAP_EXEC);

	(void)state;
	assert_int_equal(p & (UINT64_C(0xf) << 2), PTE_S2_MEMATTR_DEVICE);
	assert_int_equal(p & PTE_S2_XN, PTE_S2_XN);
}

static void test_stage2_read_only_and_block_encodings(void **state)
{
	pte_t ro = pte_s2_leaf(PA, 3, MAP_READ);
	pte_t block = pte_s2_leaf(PA & ~UINT64_C(0x1fffff), 2, MAP_READ | MAP_EXEC);

	(void)state;
	assert_true(ro & PTE_S2_READ);
	assert_false(ro & PTE_S2_WRITE);
	assert_true(ro & PTE_S2_XN);
	assert_int_equal(block & 3, 1);
	assert_false(block & PTE_S2_XN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_splits_a_39_bit_address),
		cmocka_unit_test(test_level_sizes_are_1g_2m_4k),
		cmocka_unit_test(test_table_descriptor_has_type_bits_and_address),
		cmocka_unit_test(test_page_and_block_type_bits_differ),
		cmocka_unit_test(test_kernel_text_is_read_only_and_executable_at_el2_only),
		cmocka_unit_test(test_kernel_data_is_never_executable),
		cmocka_unit_test(test_user_page_is_not_global_and_never_el2_executable),
		cmocka_unit_test(test_user_writable_executable_request_drops_execute),
		cmocka_unit_test(test_device_memory_uses_device_attributes_and_no_execute),
		cmocka_unit_test(test_leaf_address_drops_low_and_high_bits),
		cmocka_unit_test(test_stage2_normal_memory_is_cacheable_and_may_run_code),
		cmocka_unit_test(test_stage2_device_memory_never_runs_code),
		cmocka_unit_test(test_stage2_read_only_and_block_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
