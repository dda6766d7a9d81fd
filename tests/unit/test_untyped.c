/*
 * Unit tests for Untyped retype (kernel/untyped.c) on the fake architecture,
 * where physical addresses are host addresses: every error class, object
 * placement and alignment, the watermark and its reset, zeroing and the
 * rules for device memory, and where the new capabilities go.
 *
 * The object layer is this file's stubs: sizes as objects.c gives them, and
 * an object_create that records each call and checks the memory it is given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "objects.h"
#include "fake.h"
#include "preempt.h"
#include "untyped.h"
#include "vspace.h"

/* The object layer, recorded ------------------------------------------------------------ */

#define MAX_CREATED 1024
#define JUNK	    0xa5

struct created {
	enum mica_object_type type;
	uintptr_t pa;
	unsigned user_bits;
	bool is_device;
};

static struct created created[MAX_CREATED];
static size_t created_count;
static size_t removed_count;

/* The real sizes: they are the ABI's, not something to stub. */
unsigned object_size_bits(enum mica_object_type type, unsigned user_bits)
{
	return mica_object_size_bits(type, user_bits);
}

/* Any pool will do here: which IDs a space gets is vspace.c's business (test_kernel). */
enum mica_error asid_pool_check(const struct cap *pool, enum mica_object_type type, uint64_t count)
{
	(void)type;
	(void)count;
	return pool != NULL ? MICA_OK : MICA_ERR_INVALID_CAPABILITY;
}

struct cap object_create(enum mica_object_type type, paddr_t pa, unsigned user_bits, bool is_device,
			 const struct cap *pool)
{
	unsigned bits = object_size_bits(type, user_bits);
	const uint8_t *mem = (const uint8_t *)pa_addr(pa);
	struct cap c = {.type = (uint8_t)type, .rights = MICA_RIGHTS_ALL, .object = pa_addr(pa)};

	assert_true(bits != 0);
	assert_true(IS_ALIGNED(pa_addr(pa), (uintptr_t)1 << bits));
	/* RAM objects arrive zeroed, new Untyped too (all of it above its watermark); device memory
	 * untouched. */
	for (size_t i = 0; i < ((size_t)1 << bits); i++)
		assert_int_equal(mem[i], is_device ? JUNK : 0);
	assert_true(created_count < MAX_CREATED);
	created[created_count++] = (struct created){type, pa_addr(pa), user_bits, is_device};
	if (type == MICA_OBJ_UNTYPED || type == MICA_OBJ_CNODE)
		c.size_bits = (uint8_t)user_bits;
	else if (type == MICA_OBJ_FRAME_4K || type == MICA_OBJ_FRAME_2M)
		c.size_bits = (uint8_t)bits;
	c.is_device = is_device;
	return c;
}

void object_dying(const struct cap *cap)
{
	(void)cap;
}

void object_cap_removed(const struct cap *cap, bool final)
{
	(void)cap;
	(void) final;
	removed_count++;
}

struct slot *object_slots(const struct cap *cap, size_t *count)
{
	if (cap->type == MICA_OBJ_CNODE) {
		*count = (size_t)1 << cap->size_bits;
		return (struct slot *)cap->object;
	}
	*count = 0;
	return NULL;
}

/* The world: one Untyped in slot 0 of a CNode, over host memory ----------------------- */

#define CNODE_RADIX 9
#define UT_BITS	    22 /* 4 MiB: room for two 2 MiB frames. */
#define SIZE	    (UINT64_C(1) << UT_BITS)

static struct slot cnode[1 << CNODE_RADIX];
static struct cap cn;
static struct slot *ut = &cnode[0];
static uint8_t *ram;

static int setup(void **state)
{
	(void)state;
	ram = aligned_alloc((size_t)1 << UT_BITS, (size_t)1 << UT_BITS);
	assert_non_null(ram);
	memset(ram, JUNK, (size_t)1 << UT_BITS);
	memset(cnode, 0, sizeof(cnode));
	cn = (struct cap){.type = MICA_OBJ_CNODE,
			  .rights = MICA_RIGHTS_ALL,
			  .size_bits = CNODE_RADIX,
			  .object = (uintptr_t)cnode};
	slot_insert(ut,
		    (struct cap){.type = MICA_OBJ_UNTYPED,
				 .rights = MICA_RIGHTS_ALL,
				 .size_bits = UT_BITS,
				 .object = (uintptr_t)ram,
				 .data = SIZE}, /* As at boot: nothing is known to be zero. */
		    NULL);
	created_count = 0;
	fake_preempt_every = 0;
	removed_count = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static uintptr_t base(void)
{
	return (uintptr_t)ram;
}

/* Nothing happened: no objects made, no slot filled, the watermark as it was. */
static void assert_unchanged(uint64_t watermark)
{
	assert_int_equal(created_count, 0);
	assert_int_equal(ut->cap.data, watermark);
	for (size_t i = 1; i < ARRAY_SIZE(cnode); i++)
		if (i != 100)
			assert_true(slot_is_empty(&cnode[i]));
}

/* Errors -------------------------------------------------------------------------------- */

static void test_retype_refuses_a_source_that_is_not_untyped(void **state)
{
	struct cap ep = {.type = MICA_OBJ_ENDPOINT, .rights = MICA_RIGHTS_ALL, .object = 0x1000};

	(void)state;
	slot_insert(&cnode[100], ep, NULL);
	assert_int_equal(untyped_retype(&cnode[100], MICA_OBJ_ENDPOINT, 0, &cn, 1, 1, NULL),
			 MICA_ERR_WRONG_TYPE);
	assert_int_equal(untyped_retype(&cnode[5], MICA_OBJ_ENDPOINT, 0, &cn, 1, 1, NULL),
			 MICA_ERR_WRONG_TYPE);
	assert_unchanged(SIZE);
}

static void test_retype_refuses_a_destination_that_is_not_a_cnode(void **state)
{
	struct cap not_cnode = ut->cap;

	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &not_cnode, 1, 1, NULL),
			 MICA_ERR_WRONG_TYPE);
	assert_unchanged(SIZE);
}

static void test_retype_refuses_types_that_cannot_be_made(void **state)
{
	static const enum mica_object_type bad[] = {MICA_OBJ_NULL, MICA_OBJ_IRQ_CONTROL,
						    MICA_OBJ_IRQ_HANDLER, MICA_OBJ_TYPE_COUNT};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(untyped_retype(ut, bad[i], 0, &cn, 1, 1, NULL),
				 MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(untyped_retype(ut, (enum mica_object_type)200, 0, &cn, 1, 1, NULL),
			 MICA_ERR_INVALID_ARGUMENT);
	assert_unchanged(SIZE);
}

static void test_device_untyped_makes_only_frames_and_untyped(void **state)
{
	static const enum mica_object_type kernel_objects[] = {
		MICA_OBJ_CNODE, MICA_OBJ_TCB,	     MICA_OBJ_ENDPOINT, MICA_OBJ_NOTIFICATION,
		MICA_OBJ_REPLY, MICA_OBJ_PAGE_TABLE, MICA_OBJ_VSPACE,
	};

	(void)state;
	ut->cap.is_device = 1;
	for (size_t i = 0; i < ARRAY_SIZE(kernel_objects); i++)
		assert_int_equal(untyped_retype(ut, kernel_objects[i], 4, &cn, 1, 1, NULL),
				 MICA_ERR_INVALID_ARGUMENT);
	assert_unchanged(SIZE);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, &cn, 1, 2, NULL), MICA_OK);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_UNTYPED, 16, &cn, 3, 1, NULL), MICA_OK);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_2M, 0, &cn, 4, 1, NULL), MICA_OK);
	assert_int_equal(created_count, 4);
}

static void test_retype_refuses_sizes_out_of_range_for_the_type(void **state)
{
	(void)state;
	assert_int_equal(
		untyped_retype(ut, MICA_OBJ_UNTYPED, MICA_UNTYPED_MIN_BITS - 1, &cn, 1, 1, NULL),
		MICA_ERR_RANGE);
	assert_int_equal(
		untyped_retype(ut, MICA_OBJ_UNTYPED, MICA_UNTYPED_MAX_BITS + 1, &cn, 1, 1, NULL),
		MICA_ERR_RANGE);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_CNODE, 0, &cn, 1, 1, NULL), MICA_ERR_RANGE);
	assert_int_equal(
		untyped_retype(ut, MICA_OBJ_CNODE, MICA_CNODE_MAX_RADIX + 1, &cn, 1, 1, NULL),
		MICA_ERR_RANGE);
	/* A child Untyped as large as its parent would be the same object twice. */
	assert_int_equal(untyped_retype(ut, MICA_OBJ_UNTYPED, UT_BITS, &cn, 1, 1, NULL),
			 MICA_ERR_RANGE);
	assert_unchanged(SIZE);
}

static void test_retype_refuses_a_count_of_zero_or_above_the_limit(void **state)
{
	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 1, 0, NULL), MICA_ERR_RANGE);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 1,
					UNTYPED_RETYPE_MAX_COUNT + 1, NULL),
			 MICA_ERR_RANGE);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 1, UINT64_MAX, NULL),
			 MICA_ERR_RANGE);
	assert_unchanged(SIZE);
	assert_int_equal(
		untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 1, UNTYPED_RETYPE_MAX_COUNT, NULL),
		MICA_OK);
	assert_int_equal(created_count, UNTYPED_RETYPE_MAX_COUNT);
	assert_false(slot_is_empty(&cnode[UNTYPED_RETYPE_MAX_COUNT]));
	assert_true(slot_is_empty(&cnode[UNTYPED_RETYPE_MAX_COUNT + 1]));
}

static void test_retype_refuses_slots_past_the_end_of_the_cnode(void **state)
{
	uint64_t slots = ARRAY_SIZE(cnode);

	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, slots - 1, 2, NULL),
			 MICA_ERR_RANGE);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, slots, 1, NULL),
			 MICA_ERR_RANGE);
	/* An offset so large that offset + count wraps around. */
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, UINT64_MAX, 2, NULL),
			 MICA_ERR_RANGE);
	assert_unchanged(SIZE);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, slots - 2, 2, NULL),
			 MICA_OK);
	assert_false(slot_is_empty(&cnode[slots - 1]));
}

static void test_retype_refuses_a_full_destination_slot(void **state)
{
	struct cap ep = {.type = MICA_OBJ_ENDPOINT, .rights = MICA_RIGHTS_ALL, .object = 0x1000};

	(void)state;
	slot_insert(&cnode[100], ep, NULL);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 98, 3, NULL),
			 MICA_ERR_DELETE_FIRST);
	/* The Untyped's own slot is full, too. */
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 0, 1, NULL),
			 MICA_ERR_DELETE_FIRST);
	assert_unchanged(SIZE);
	assert_int_equal(cnode[100].cap.object, 0x1000);
}

static void test_retype_refuses_objects_that_do_not_fit(void **state)
{
	(void)state;
	/* Bigger than the whole Untyped. */
	assert_int_equal(untyped_retype(ut, MICA_OBJ_UNTYPED, UT_BITS + 1, &cn, 1, 1, NULL),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	/* Three 2 MiB frames in 4 MiB. */
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_2M, 0, &cn, 1, 3, NULL),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_unchanged(SIZE);
	/* After one endpoint, alignment leaves room for one 2 MiB frame only. */
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 1, 1, NULL), MICA_OK);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_2M, 0, &cn, 2, 2, NULL),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_int_equal(ut->cap.data, UINT64_C(1) << MICA_ENDPOINT_BITS);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_2M, 0, &cn, 2, 1, NULL), MICA_OK);
	assert_int_equal(ut->cap.data, UINT64_C(4) << 20);
	assert_int_equal(
		untyped_retype(ut, MICA_OBJ_UNTYPED, MICA_UNTYPED_MIN_BITS, &cn, 3, 1, NULL),
		MICA_ERR_NOT_ENOUGH_MEMORY);
}

static void test_errors_come_in_the_documented_order(void **state)
{
	struct cap ep = {.type = MICA_OBJ_ENDPOINT, .rights = MICA_RIGHTS_ALL, .object = 0x1000};

	(void)state;
	slot_insert(&cnode[100], ep, NULL);
	/* Every check fails at once: the type check wins, and so on down the list. */
	assert_int_equal(untyped_retype(&cnode[100], MICA_OBJ_NULL, 99, &ep, 100, 0, NULL),
			 MICA_ERR_WRONG_TYPE);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_NULL, 99, &cn, 100, 0, NULL),
			 MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_UNTYPED, 99, &cn, 100, 1, NULL),
			 MICA_ERR_RANGE);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_UNTYPED, UT_BITS + 1, &cn, 100, 1, NULL),
			 MICA_ERR_DELETE_FIRST);
	assert_unchanged(SIZE);
}

/* Placement, zeroing, slots ------------------------------------------------------------- */

static void test_retype_aligns_each_object_to_its_own_size(void **state)
{
	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 1, 3, NULL), MICA_OK);
	assert_int_equal(ut->cap.data, 3 << MICA_ENDPOINT_BITS);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, &cn, 4, 2, NULL), MICA_OK);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_TCB, 0, &cn, 6, 1, NULL), MICA_OK);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_CNODE, 4, &cn, 7, 1, NULL), MICA_OK);
	assert_int_equal(created_count, 7);
	for (int i = 0; i < 3; i++)
		assert_int_equal(created[i].pa, base() + ((uintptr_t)i << MICA_ENDPOINT_BITS));
	assert_int_equal(created[3].pa, base() + 0x1000);
	assert_int_equal(created[4].pa, base() + 0x2000);
	assert_int_equal(created[5].pa, base() + 0x3000);
	/* A radix-4 CNode is 1 KiB, aligned after the 2 KiB TCB. */
	assert_int_equal(created[6].pa, base() + 0x3800);
	assert_int_equal(created[6].user_bits, 4);
	assert_int_equal(ut->cap.data, 0x3c00);
	for (int i = 1; i <= 7; i++)
		assert_int_equal(cnode[i].cap.object, created[i - 1].pa);
}

/* An Untyped with nothing in it is cleared from its watermark down before it is used. */
static void test_a_first_retype_clears_the_untyped_below_its_watermark(void **state)
{
	(void)state;
	ut->cap.data = 0x3000;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_NOTIFICATION, 0, &cn, 1, 2, NULL), MICA_OK);
	for (size_t i = 0; i < 0x3000; i++)
		assert_int_equal(ram[i], 0);
	/* Above the watermark the memory counts as zero already and is not touched. */
	assert_int_equal(ram[0x3000], JUNK);
	assert_int_equal(ut->cap.data, 2u << MICA_NOTIFICATION_BITS);
	/* With children, a retype goes on above the watermark and clears nothing. */
	ram[0x10] = JUNK;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_REPLY, 0, &cn, 3, 1, NULL), MICA_OK);
	assert_int_equal(ram[0x10], JUNK);
	assert_int_equal(created_count, 3);
}

/* Clearing stops at a preemption point and goes on when the retype is made again. */
static void test_clearing_is_preemptible_and_goes_on_where_it_stopped(void **state)
{
	unsigned calls = 0;
	enum mica_error err;

	(void)state;
	fake_preempt_every = 1;
	do {
		uint64_t before = ut->cap.data;

		err = untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, &cn, 1, 1, NULL);
		calls++;
		if (err == ERR_PREEMPTED) {
			assert_true(ut->cap.data < before);
			assert_int_equal(created_count, 0);
			assert_true(slot_is_empty(&cnode[1]));
		}
	} while (err == ERR_PREEMPTED);
	assert_int_equal(err, MICA_OK);
	assert_int_equal(calls, SIZE >> 16); /* One 64 KiB chunk each. */
	for (size_t i = 0; i < SIZE; i++)
		assert_int_equal(ram[i], 0);
	assert_int_equal(created_count, 1);
}

static void test_a_new_untyped_is_zero_and_its_own_retypes_clear_nothing(void **state)
{
	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_UNTYPED, 12, &cn, 1, 1, NULL), MICA_OK);
	assert_int_equal(cnode[1].cap.size_bits, 12);
	assert_int_equal(cnode[1].cap.data, 0);
	assert_int_equal(untyped_retype(&cnode[1], MICA_OBJ_ENDPOINT, 0, &cn, 2, 1, NULL), MICA_OK);
	assert_int_equal(created[1].pa, base());
}

static void test_retype_never_writes_device_memory(void **state)
{
	(void)state;
	ut->cap.is_device = 1;
	ut->cap.data = 0;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, &cn, 1, 4, NULL), MICA_OK);
	for (size_t i = 0; i < 0x4000; i++)
		assert_int_equal(ram[i], JUNK);
	for (int i = 0; i < 4; i++) {
		assert_true(created[i].is_device);
		assert_int_equal(cnode[1 + i].cap.is_device, 1);
	}
}

static void test_new_capabilities_are_children_of_the_untyped_in_the_given_slots(void **state)
{
	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 10, 4, NULL), MICA_OK);
	for (int i = 10; i < 14; i++) {
		assert_ptr_equal(cnode[i].parent, ut);
		assert_int_equal(cnode[i].cap.type, MICA_OBJ_ENDPOINT);
		assert_true(cap_is_final(&cnode[i]));
	}
	assert_true(slot_is_empty(&cnode[9]));
	assert_true(slot_is_empty(&cnode[14]));
	assert_true(slot_has_children(ut));
	/* Slot offset i holds object i, in order. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(cnode[10 + i].cap.object, created[i].pa);
}

static void test_retype_into_another_cnode_uses_its_slots(void **state)
{
	static struct slot other[4];
	struct cap other_cap = {.type = MICA_OBJ_CNODE,
				.rights = MICA_RIGHTS_ALL,
				.size_bits = 2,
				.object = (uintptr_t)other};

	(void)state;
	memset(other, 0, sizeof(other));
	assert_int_equal(untyped_retype(ut, MICA_OBJ_REPLY, 0, &other_cap, 2, 2, NULL), MICA_OK);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_REPLY, 0, &other_cap, 3, 2, NULL),
			 MICA_ERR_RANGE);
	assert_true(slot_is_empty(&other[1]));
	assert_ptr_equal(other[2].parent, ut);
	assert_ptr_equal(other[3].parent, ut);
	assert_int_equal(created_count, 2);
}

/* The watermark ------------------------------------------------------------------------- */

static void test_watermark_restarts_at_zero_after_a_revoke(void **state)
{
	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_2M, 0, &cn, 1, 2, NULL), MICA_OK);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 3, 1, NULL),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	slot_revoke(ut);
	/* The frames' memory lies below the watermark: the next retype clears it. */
	assert_int_equal(ut->cap.data, SIZE);
	assert_true(slot_is_empty(&cnode[1]));
	assert_true(slot_is_empty(&cnode[2]));
	assert_int_equal(removed_count, 2);
	memset(ram, JUNK, 0x1000);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 3, 1, NULL), MICA_OK);
	assert_int_equal(created[2].pa, base());
}

static void test_watermark_restarts_when_every_child_was_deleted(void **state)
{
	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, &cn, 1, 2, NULL), MICA_OK);
	slot_delete(&cnode[1]);
	/* One object remains: the next goes after it. */
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, &cn, 1, 1, NULL), MICA_OK);
	assert_int_equal(created[2].pa, base() + 0x2000);
	slot_delete(&cnode[1]);
	slot_delete(&cnode[2]);
	assert_false(slot_has_children(ut));
	memset(ram, JUNK, 0x1000);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, &cn, 1, 1, NULL), MICA_OK);
	assert_int_equal(created[3].pa, base());
	assert_int_equal(ut->cap.data, 0x1000);
}

static void test_copies_of_objects_keep_the_untyped_in_use(void **state)
{
	(void)state;
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 1, 1, NULL), MICA_OK);
	slot_insert(&cnode[2], cnode[1].cap, &cnode[1]);
	slot_delete(&cnode[1]);
	/* The copy took the original's place under the Untyped. */
	assert_ptr_equal(cnode[2].parent, ut);
	assert_int_equal(untyped_retype(ut, MICA_OBJ_ENDPOINT, 0, &cn, 3, 1, NULL), MICA_OK);
	assert_int_equal(created[1].pa, base() + (1u << MICA_ENDPOINT_BITS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retype_refuses_a_source_that_is_not_untyped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_retype_refuses_a_destination_that_is_not_a_cnode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retype_refuses_types_that_cannot_be_made,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_untyped_makes_only_frames_and_untyped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_retype_refuses_sizes_out_of_range_for_the_type,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_retype_refuses_a_count_of_zero_or_above_the_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retype_refuses_slots_past_the_end_of_the_cnode,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_retype_refuses_a_full_destination_slot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retype_refuses_objects_that_do_not_fit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors_come_in_the_documented_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retype_aligns_each_object_to_its_own_size,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_first_retype_clears_the_untyped_below_its_watermark, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_clearing_is_preemptible_and_goes_on_where_it_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_new_untyped_is_zero_and_its_own_retypes_clear_nothing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_retype_never_writes_device_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_new_capabilities_are_children_of_the_untyped_in_the_given_slots, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_retype_into_another_cnode_uses_its_slots,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_watermark_restarts_at_zero_after_a_revoke,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_watermark_restarts_when_every_child_was_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copies_of_objects_keep_the_untyped_in_use,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
