/*
 * Unit tests for free-memory bookkeeping and the boot allocator
 * (kernel/bootmem.c), on the fake architecture.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bootmem.h"

#define MIB (UINT64_C(1) << 20)

static struct mem_range range(uint64_t base, uint64_t size)
{
	return (struct mem_range){base, size};
}

static void test_remove_splits_a_range_around_a_hole(void **state)
{
	struct mem_range r[4] = {range(0x40000000, 256 * MIB)};
	size_t n = mem_ranges_remove(r, 1, 4, range(0x40200000, 2 * MIB));

	(void)state;
	assert_int_equal(n, 2);
	assert_int_equal(r[0].base, 0x40000000);
	assert_int_equal(r[0].size, 2 * MIB);
	assert_int_equal(r[1].base, 0x40400000);
	assert_int_equal(r[1].size, 256 * MIB - 4 * MIB);
}

static void test_remove_trims_the_head_and_the_tail(void **state)
{
	struct mem_range r[4] = {range(0x1000, 0x3000)};
	size_t n = mem_ranges_remove(r, 1, 4, range(0x0, 0x2000));

	(void)state;
	assert_int_equal(n, 1);
	assert_int_equal(r[0].base, 0x2000);
	assert_int_equal(r[0].size, 0x2000);
	n = mem_ranges_remove(r, n, 4, range(0x3000, 0x10000));
	assert_int_equal(n, 1);
	assert_int_equal(r[0].base, 0x2000);
	assert_int_equal(r[0].size, 0x1000);
}

static void test_remove_drops_a_range_the_hole_covers(void **state)
{
	struct mem_range r[4] = {range(0x1000, 0x1000), range(0x8000, 0x1000)};
	size_t n = mem_ranges_remove(r, 2, 4, range(0x0, 0x4000));

	(void)state;
	assert_int_equal(n, 1);
	assert_int_equal(r[0].base, 0x8000);
}

static void test_remove_ignores_disjoint_and_empty_holes(void **state)
{
	struct mem_range r[4] = {range(0x1000, 0x1000)};

	(void)state;
	assert_int_equal(mem_ranges_remove(r, 1, 4, range(0x2000, 0x1000)), 1);
	assert_int_equal(mem_ranges_remove(r, 1, 4, range(0x0, 0x1000)), 1);
	assert_int_equal(mem_ranges_remove(r, 1, 4, range(0x1800, 0)), 1);
	assert_int_equal(r[0].base, 0x1000);
	assert_int_equal(r[0].size, 0x1000);
}

static void test_remove_without_room_loses_memory_but_never_overlaps(void **state)
{
	struct mem_range r[1] = {range(0x0, 0x10000)};
	size_t n = mem_ranges_remove(r, 1, 1, range(0x4000, 0x1000));

	(void)state;
	assert_int_equal(n, 1);
	assert_int_equal(r[0].base, 0x0);
	assert_int_equal(r[0].size, 0x4000);
}

static void test_alloc_hands_out_distinct_zeroed_pages_until_empty(void **state)
{
	uint8_t *mem = aligned_alloc(PAGE_SIZE, 3 * PAGE_SIZE);
	struct mem_range free_mem = range((uintptr_t)mem, 3 * PAGE_SIZE);
	paddr_t a, b, c;

	(void)state;
	memset(mem, 0xa5, 3 * PAGE_SIZE);
	bootmem_init(&free_mem, 1);
	assert_int_equal(bootmem_free_bytes(), 3 * PAGE_SIZE);
	a = bootmem_alloc_page();
	b = bootmem_alloc_page();
	c = bootmem_alloc_page();
	assert_int_not_equal(pa_addr(a), pa_addr(b));
	assert_int_not_equal(pa_addr(b), pa_addr(c));
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(((uint8_t *)pa_addr(b))[i], 0);
	assert_int_equal(pa_addr(bootmem_alloc_page()), 0);
	assert_int_equal(bootmem_free_bytes(), 0);
	free(mem);
}

static void test_init_rounds_ranges_inward_to_pages(void **state)
{
	struct mem_range free_mem[2] = {range(0x1001, 0x2000), range(0x10000, 0xfff)};

	(void)state;
	bootmem_init(free_mem, 2);
	assert_int_equal(bootmem_free_bytes(), 0x1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_splits_a_range_around_a_hole),
		cmocka_unit_test(test_remove_trims_the_head_and_the_tail),
		cmocka_unit_test(test_remove_drops_a_range_the_hole_covers),
		cmocka_unit_test(test_remove_ignores_disjoint_and_empty_holes),
		cmocka_unit_test(test_remove_without_room_loses_memory_but_never_overlaps),
		cmocka_unit_test(test_alloc_hands_out_distinct_zeroed_pages_until_empty),
		cmocka_unit_test(test_init_rounds_ranges_inward_to_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
