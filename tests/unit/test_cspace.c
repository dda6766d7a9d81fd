/*
 * Unit tests for CSpace lookup (cspace_lookup in kernel/cnode.c): radix
 * indexing over one and more levels, guards, depth errors, wrong types and
 * lookups that loop through a CNode holding a capability to itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cnode.h"
#include "objects.h"

/* cnode.c reaches the object layer through cap.c; lookup never deletes. */
void object_dying(const struct cap *cap)
{
	(void)cap;
}

void object_cap_removed(const struct cap *cap, bool final)
{
	(void)cap;
	(void) final;
	fail_msg("lookup removed a capability");
}

struct slot *object_slots(const struct cap *cap, size_t *count)
{
	(void)cap;
	*count = 0;
	return NULL;
}

static struct slot top[16];
static struct slot second[8];
static struct slot third[4];

static struct cap cnode_cap(struct slot *slots, unsigned radix, unsigned guard_bits, uint64_t guard)
{
	return (struct cap){.type = MICA_OBJ_CNODE,
			    .rights = MICA_RIGHTS_ALL,
			    .size_bits = (uint8_t)radix,
			    .guard_bits = (uint8_t)guard_bits,
			    .object = (uintptr_t)slots,
			    .data = guard};
}

static struct cap endpoint_cap(void)
{
	return (struct cap){.type = MICA_OBJ_ENDPOINT, .rights = MICA_RIGHTS_ALL, .object = 0x1000};
}

static int reset(void **state)
{
	(void)state;
	memset(top, 0, sizeof(top));
	memset(second, 0, sizeof(second));
	memset(third, 0, sizeof(third));
	return 0;
}

static void assert_finds(const struct cap *root, uint64_t cptr, unsigned depth,
			 const struct slot *want)
{
	struct slot_ret r = cspace_lookup(root, cptr, depth);

	assert_int_equal(r.err, MICA_OK);
	assert_ptr_equal(r.slot, want);
}

static void assert_fails(const struct cap *root, uint64_t cptr, unsigned depth,
			 enum mica_error want)
{
	struct slot_ret r = cspace_lookup(root, cptr, depth);

	assert_int_equal(r.err, want);
	assert_null(r.slot);
}

static void test_lookup_indexes_one_level_by_radix(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);

	(void)state;
	assert_finds(&root, 0, 4, &top[0]);
	assert_finds(&root, 5, 4, &top[5]);
	assert_finds(&root, 15, 4, &top[15]);
}

static void test_lookup_ignores_bits_above_the_depth(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);

	(void)state;
	assert_finds(&root, UINT64_C(0xfffffffffffffff5), 4, &top[5]);
}

static void test_lookup_continues_through_a_cnode_capability(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);

	(void)state;
	top[3].cap = cnode_cap(second, 3, 0, 0);
	assert_finds(&root, (3 << 3) | 6, 7, &second[6]);
	assert_finds(&root, (3 << 3) | 0, 7, &second[0]);
}

static void test_lookup_that_ends_at_a_cnode_slot_returns_that_slot(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);

	(void)state;
	top[3].cap = cnode_cap(second, 3, 0, 0);
	assert_finds(&root, 3, 4, &top[3]);
}

static void test_lookup_follows_three_levels(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);

	(void)state;
	top[9].cap = cnode_cap(second, 3, 0, 0);
	second[2].cap = cnode_cap(third, 2, 0, 0);
	assert_finds(&root, (9 << 5) | (2 << 2) | 1, 9, &third[1]);
}

static void test_lookup_matches_the_guard_before_the_index(void **state)
{
	struct cap root = cnode_cap(top, 4, 3, 5);

	(void)state;
	assert_finds(&root, (5 << 4) | 7, 7, &top[7]);
	assert_fails(&root, (4 << 4) | 7, 7, MICA_ERR_LOOKUP_FAILED);
	assert_fails(&root, (1 << 4) | 7, 7, MICA_ERR_LOOKUP_FAILED);
}

static void test_lookup_matches_the_guard_of_every_level(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);

	(void)state;
	top[1].cap = cnode_cap(second, 3, 2, 2);
	assert_finds(&root, (1 << 5) | (2 << 3) | 4, 9, &second[4]);
	assert_fails(&root, (1 << 5) | (3 << 3) | 4, 9, MICA_ERR_LOOKUP_FAILED);
	assert_fails(&root, (1 << 5) | (0 << 3) | 4, 9, MICA_ERR_LOOKUP_FAILED);
}

static void test_lookup_handles_a_guard_that_fills_the_word(void **state)
{
	uint64_t guard = UINT64_C(0x00abcdef01234567) & ((UINT64_C(1) << 56) - 1);
	struct cap root = cnode_cap(second, 3, 61, guard);

	(void)state;
	assert_finds(&root, (guard << 3) | 6, 64, &second[6]);
	assert_fails(&root, ((guard ^ 1) << 3) | 6, 64, MICA_ERR_LOOKUP_FAILED);
	assert_fails(&root, (guard << 3) | 6, 63, MICA_ERR_LOOKUP_FAILED);
}

static void test_lookup_rejects_depth_zero_and_depth_above_64(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);

	(void)state;
	assert_fails(&root, 0, 0, MICA_ERR_RANGE);
	assert_fails(&root, 0, 65, MICA_ERR_RANGE);
	assert_fails(&root, 0, 1000, MICA_ERR_RANGE);
}

static void test_lookup_rejects_a_root_that_is_not_a_cnode(void **state)
{
	struct cap ep = endpoint_cap();
	struct cap empty = {0};

	(void)state;
	assert_fails(&ep, 0, 4, MICA_ERR_WRONG_TYPE);
	assert_fails(&empty, 0, 4, MICA_ERR_WRONG_TYPE);
}

static void test_lookup_fails_when_bits_remain_at_a_slot_that_is_not_a_cnode(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);

	(void)state;
	top[2].cap = endpoint_cap();
	assert_fails(&root, (2 << 3) | 1, 7, MICA_ERR_LOOKUP_FAILED);
	assert_fails(&root, (4 << 3) | 1, 7, MICA_ERR_LOOKUP_FAILED);
	assert_finds(&root, 2, 4, &top[2]);
}

static void test_lookup_fails_when_too_few_bits_remain_for_a_level(void **state)
{
	struct cap root = cnode_cap(top, 4, 0, 0);
	struct cap guarded = cnode_cap(top, 4, 2, 0);

	(void)state;
	top[3].cap = cnode_cap(second, 3, 0, 0);
	assert_fails(&root, 3, 3, MICA_ERR_LOOKUP_FAILED);
	assert_fails(&root, (3 << 2) | 1, 6, MICA_ERR_LOOKUP_FAILED);
	assert_fails(&guarded, 3, 5, MICA_ERR_LOOKUP_FAILED);
}

static void test_lookup_through_a_cnode_holding_itself_ends_at_depth_64(void **state)
{
	struct cap root = cnode_cap(third, 1, 0, 0);

	(void)state;
	third[0].cap = root;
	/* 64 levels of one bit each, all through slot 0, then slot 1 at the end. */
	assert_finds(&root, 1, 64, &third[1]);
	assert_finds(&root, 0, 64, &third[0]);
	/* A path that leaves the loop at an empty slot fails like any other. */
	assert_fails(&root, 2, 64, MICA_ERR_LOOKUP_FAILED);
}

static void test_lookup_through_a_self_loop_that_does_not_divide_the_depth_fails(void **state)
{
	struct cap root = cnode_cap(third, 2, 0, 0);

	(void)state;
	third[0].cap = root;
	assert_fails(&root, 0, 63, MICA_ERR_LOOKUP_FAILED);
	assert_finds(&root, 3, 64, &third[3]);
}

static void test_lookup_through_a_malformed_cnode_that_consumes_no_bits_still_ends(void **state)
{
	struct cap root = cnode_cap(third, 0, 0, 0);

	(void)state;
	third[0].cap = root;
	assert_fails(&root, 0, 64, MICA_ERR_LOOKUP_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lookup_indexes_one_level_by_radix, reset),
		cmocka_unit_test_setup(test_lookup_ignores_bits_above_the_depth, reset),
		cmocka_unit_test_setup(test_lookup_continues_through_a_cnode_capability, reset),
		cmocka_unit_test_setup(test_lookup_that_ends_at_a_cnode_slot_returns_that_slot,
				       reset),
		cmocka_unit_test_setup(test_lookup_follows_three_levels, reset),
		cmocka_unit_test_setup(test_lookup_matches_the_guard_before_the_index, reset),
		cmocka_unit_test_setup(test_lookup_matches_the_guard_of_every_level, reset),
		cmocka_unit_test_setup(test_lookup_handles_a_guard_that_fills_the_word, reset),
		cmocka_unit_test_setup(test_lookup_rejects_depth_zero_and_depth_above_64, reset),
		cmocka_unit_test_setup(test_lookup_rejects_a_root_that_is_not_a_cnode, reset),
		cmocka_unit_test_setup(
			test_lookup_fails_when_bits_remain_at_a_slot_that_is_not_a_cnode, reset),
		cmocka_unit_test_setup(test_lookup_fails_when_too_few_bits_remain_for_a_level,
				       reset),
		cmocka_unit_test_setup(test_lookup_through_a_cnode_holding_itself_ends_at_depth_64,
				       reset),
		cmocka_unit_test_setup(
			test_lookup_through_a_self_loop_that_does_not_divide_the_depth_fails,
			reset),
		cmocka_unit_test_setup(
			test_lookup_through_a_malformed_cnode_that_consumes_no_bits_still_ends,
			reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
