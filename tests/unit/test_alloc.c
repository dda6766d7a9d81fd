/*
 * Unit tests for the root task's allocator (libs/user/alloc.c) against a
 * model of the kernel's Untyped retype: an object starts at its Untyped's
 * watermark rounded up to its size, device memory becomes only frames and
 * Untyped, and a retype with no room fails. Every object made is recorded
 * with its physical range, so the tests check where memory went, not what
 * the allocator says about it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mica/alloc.h>
#include <mica/kobj.h>

#define MIB	    (UINT64_C(1) << 20)
#define SLOTS	    512
#define FIRST_UT    16
#define FIRST_EMPTY 64
#define RAM_BASE    UINT64_C(0x40000000)
#define DEVICE_BASE UINT64_C(0x08000000)
#define BLOCK_BITS  21
#define PAGE_BITS   12
#define BLOCK	    (UINT64_C(1) << BLOCK_BITS)
#define PAGE	    (UINT64_C(1) << PAGE_BITS)

/* What the model kernel knows of each slot of the root CNode. */
struct fake_slot {
	bool is_used;
	enum mica_object_type type;
	uint64_t paddr;
	unsigned bits;
	bool is_device;
	uint64_t watermark; /* Untyped only: bytes used from paddr. */
};

static struct fake_slot slots[SLOTS];
static struct mica_boot_info info;

enum mica_error mica_untyped_retype(uint64_t untyped, enum mica_object_type type,
				    unsigned size_bits, uint64_t root, uint64_t node_index,
				    unsigned node_depth, uint64_t dest_offset, uint64_t count)
{
	struct fake_slot *ut = untyped < SLOTS ? &slots[untyped] : NULL;
	unsigned bits = mica_object_size_bits(type, size_bits);
	uint64_t size = UINT64_C(1) << bits, start;

	assert_int_equal(root, MICA_CAP_ROOT_CNODE);
	assert_int_equal(node_index, 0);
	assert_int_equal(node_depth, 0);
	assert_int_equal(count, 1);
	if (ut == NULL || !ut->is_used || ut->type != MICA_OBJ_UNTYPED || bits == 0)
		return MICA_ERR_INVALID_ARGUMENT;
	if (dest_offset >= SLOTS || slots[dest_offset].is_used)
		return MICA_ERR_DELETE_FIRST;
	if (ut->is_device && type != MICA_OBJ_UNTYPED && type != MICA_OBJ_FRAME_4K &&
	    type != MICA_OBJ_FRAME_2M)
		return MICA_ERR_INVALID_ARGUMENT;
	start = (ut->paddr + ut->watermark + size - 1) & ~(size - 1);
	if (start + size > ut->paddr + (UINT64_C(1) << ut->bits))
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	ut->watermark = start + size - ut->paddr;
	slots[dest_offset] = (struct fake_slot){.is_used = true,
						.type = type,
						.paddr = start,
						.bits = bits,
						.is_device = ut->is_device};
	return MICA_OK;
}

/* ASID pools in the model: any number, each with room for MICA_ASID_POOL_SIZE spaces. */
static unsigned pools_made;
static unsigned spaces_from_pool[SLOTS];

enum mica_error mica_asid_control_make_pool(uint64_t control, unsigned kind, uint64_t root,
					    uint64_t index, unsigned depth)
{
	assert_int_equal(control, MICA_CAP_ASID_CONTROL);
	assert_int_equal(root, MICA_CAP_ROOT_CNODE);
	assert_int_equal(depth, 64);
	assert_true(kind <= MICA_ASID_POOL_VM);
	if (index >= SLOTS || slots[index].is_used)
		return MICA_ERR_DELETE_FIRST;
	slots[index] = (struct fake_slot){.is_used = true, .type = MICA_OBJ_ASID_POOL};
	spaces_from_pool[index] = 0;
	pools_made++;
	return MICA_OK;
}

enum mica_error mica_untyped_retype_space(uint64_t untyped, enum mica_object_type type,
					  uint64_t pool, uint64_t root, uint64_t node_index,
					  unsigned node_depth, uint64_t offset, uint64_t count)
{
	enum mica_error err;

	assert_true(type == MICA_OBJ_VSPACE || type == MICA_OBJ_VM);
	assert_true(pool < SLOTS && slots[pool].is_used && slots[pool].type == MICA_OBJ_ASID_POOL);
	if (spaces_from_pool[pool] == MICA_ASID_POOL_SIZE)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	err = mica_untyped_retype(untyped, type, 0, root, node_index, node_depth, offset, count);
	if (err == MICA_OK)
		spaces_from_pool[pool]++;
	return err;
}

/* A machine with the given Untyped, handed to the allocator. */
static void boot(const struct mica_untyped_desc *uts, unsigned count)
{
	memset(slots, 0, sizeof(slots));
	memset(&info, 0, sizeof(info));
	info.magic = MICA_BOOT_INFO_MAGIC;
	info.untyped_first = FIRST_UT;
	info.untyped_count = count;
	info.empty_first = FIRST_EMPTY;
	info.empty_end = SLOTS;
	for (unsigned i = 0; i < count; i++) {
		info.untyped[i] = uts[i];
		slots[FIRST_UT + i] = (struct fake_slot){.is_used = true,
							 .type = MICA_OBJ_UNTYPED,
							 .paddr = uts[i].paddr,
							 .bits = uts[i].size_bits,
							 .is_device = uts[i].is_device != 0};
	}
	assert_int_equal(alloc_init(&info), MICA_OK);
}

/* One 64 MiB RAM Untyped at 0x44000000 and one 16 MiB device Untyped. */
static void boot_default(void)
{
	const struct mica_untyped_desc uts[] = {
		{.paddr = RAM_BASE + 64 * MIB, .size_bits = 26},
		{.paddr = DEVICE_BASE, .size_bits = 24, .is_device = 1},
	};

	boot(uts, 2);
}

/* Objects (not Untyped, nor pools, which are no memory) the model made: none may share a byte. */
static void assert_objects_disjoint(void)
{
	for (unsigned i = 0; i < SLOTS; i++) {
		const struct fake_slot *a = &slots[i];

		if (!a->is_used || a->type == MICA_OBJ_UNTYPED || a->type == MICA_OBJ_ASID_POOL)
			continue;
		for (unsigned j = i + 1; j < SLOTS; j++) {
			const struct fake_slot *b = &slots[j];

			if (!b->is_used || b->type == MICA_OBJ_UNTYPED ||
			    b->type == MICA_OBJ_ASID_POOL)
				continue;
			assert_false(a->paddr < b->paddr + (UINT64_C(1) << b->bits) &&
				     b->paddr < a->paddr + (UINT64_C(1) << a->bits));
		}
	}
}

static void test_ram_frame_lands_at_its_address(void **state)
{
	uint64_t want = RAM_BASE + 64 * MIB + 10 * BLOCK;
	struct alloc_ret r;

	(void)state;
	boot_default();
	r = alloc_ram_frame_at_ret(want, BLOCK_BITS);
	assert_int_equal(r.err, MICA_OK);
	assert_int_equal(slots[r.cptr].type, MICA_OBJ_FRAME_2M);
	assert_int_equal(slots[r.cptr].paddr, want);
	assert_false(slots[r.cptr].is_device);
	r = alloc_ram_frame_at_ret(want + BLOCK + 3 * PAGE, PAGE_BITS);
	assert_int_equal(r.err, MICA_OK);
	assert_int_equal(slots[r.cptr].type, MICA_OBJ_FRAME_4K);
	assert_int_equal(slots[r.cptr].paddr, want + BLOCK + 3 * PAGE);
}

/* The memory skipped to reach the frame still serves alloc_object. */
static void test_memory_in_front_is_not_lost(void **state)
{
	uint64_t base = RAM_BASE + 64 * MIB;
	uint64_t before;
	struct alloc_ret r;

	(void)state;
	boot_default();
	before = alloc_free_bytes();
	r = alloc_ram_frame_at_ret(base + 32 * MIB, BLOCK_BITS);
	assert_int_equal(r.err, MICA_OK);
	assert_int_equal(alloc_free_bytes(), before - BLOCK);
	/* 16 frames of 2 MiB fit in front of it, and the objects stay apart. */
	for (int i = 0; i < 16; i++) {
		uint64_t f = alloc_object(MICA_OBJ_FRAME_2M, 0);

		assert_int_not_equal(f, 0);
		assert_true(slots[f].paddr < base + 32 * MIB);
	}
	assert_int_not_equal(alloc_object(MICA_OBJ_TCB, 0), 0);
	assert_int_not_equal(alloc_object(MICA_OBJ_FRAME_4K, 0), 0);
	assert_objects_disjoint();
}

/* A whole region, 2 MiB frames then 4 KiB ones, in address order: each where it belongs. */
static void test_region_in_order(void **state)
{
	uint64_t base = RAM_BASE + 64 * MIB + 4 * MIB, end = base + 2 * BLOCK + 5 * PAGE;

	(void)state;
	boot_default();
	for (uint64_t pa = base; pa < end;) {
		unsigned bits = end - pa >= BLOCK ? BLOCK_BITS : PAGE_BITS;
		struct alloc_ret r = alloc_ram_frame_at_ret(pa, bits);

		assert_int_equal(r.err, MICA_OK);
		assert_int_equal(slots[r.cptr].paddr, pa);
		pa += UINT64_C(1) << bits;
	}
	assert_objects_disjoint();
}

static void test_bad_requests(void **state)
{
	uint64_t base = RAM_BASE + 64 * MIB;

	(void)state;
	boot_default();
	/* Misaligned, or a size that is no frame. */
	assert_int_equal(alloc_ram_frame_at_ret(base + PAGE, BLOCK_BITS).err,
			 MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(alloc_ram_frame_at_ret(base + 1, PAGE_BITS).err,
			 MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(alloc_ram_frame_at_ret(base, 16).err, MICA_ERR_INVALID_ARGUMENT);
	/* Not in any Untyped: below it (the kernel's, say), past its end, device memory. */
	assert_int_equal(alloc_ram_frame_at_ret(RAM_BASE, BLOCK_BITS).err, MICA_ERR_NOT_FOUND);
	assert_int_equal(alloc_ram_frame_at_ret(base + 64 * MIB, PAGE_BITS).err,
			 MICA_ERR_NOT_FOUND);
	assert_int_equal(alloc_ram_frame_at_ret(DEVICE_BASE, PAGE_BITS).err, MICA_ERR_NOT_FOUND);
	/* Nothing above was made. */
	assert_int_equal(alloc_free_bytes(), 64 * MIB);
}

/* Memory handed out already, by either path, is refused. */
static void test_used_memory_refused(void **state)
{
	uint64_t base = RAM_BASE + 64 * MIB;
	uint64_t f;

	(void)state;
	boot_default();
	assert_int_equal(alloc_ram_frame_at_ret(base + 8 * BLOCK, BLOCK_BITS).err, MICA_OK);
	assert_int_equal(alloc_ram_frame_at_ret(base + 8 * BLOCK, BLOCK_BITS).err,
			 MICA_ERR_NOT_FOUND);
	assert_int_equal(alloc_ram_frame_at_ret(base + 8 * BLOCK + PAGE, PAGE_BITS).err,
			 MICA_ERR_NOT_FOUND);
	f = alloc_object(MICA_OBJ_FRAME_4K, 0);
	assert_int_not_equal(f, 0);
	assert_int_equal(alloc_ram_frame_at_ret(slots[f].paddr, PAGE_BITS).err, MICA_ERR_NOT_FOUND);
}

/* Device pages, out of order: the pages in front stay available. */
static void test_device_pages_any_order(void **state)
{
	uint64_t a, b;

	(void)state;
	boot_default();
	a = alloc_device_frame(DEVICE_BASE + 0x10000 + 0x123);
	b = alloc_device_frame(DEVICE_BASE + 0x3000);
	assert_int_not_equal(a, 0);
	assert_int_not_equal(b, 0);
	assert_int_equal(slots[a].paddr, DEVICE_BASE + 0x10000);
	assert_int_equal(slots[b].paddr, DEVICE_BASE + 0x3000);
	assert_true(slots[a].is_device && slots[b].is_device);
	assert_int_equal(alloc_device_frame_ret(DEVICE_BASE + 0x3000).err, MICA_ERR_NOT_FOUND);
	assert_int_equal(alloc_device_frame_ret(RAM_BASE + 64 * MIB).err, MICA_ERR_NOT_FOUND);
	/* Device memory never serves alloc_object. */
	assert_int_equal(alloc_free_bytes(), 64 * MIB);
}

/* With no slots left, no retype is attempted and nothing leaks. */
static void test_out_of_slots(void **state)
{
	(void)state;
	boot_default();
	while (alloc_slot() != 0)
		;
	assert_int_equal(alloc_ram_frame_at_ret(RAM_BASE + 80 * MIB, BLOCK_BITS).err,
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_int_equal(alloc_free_bytes(), 64 * MIB);
}

/* VSpaces and VMs take their IDs from pools the allocator makes as it needs them. */
static void test_spaces_take_ids_from_pools_made_as_needed(void **state)
{
	unsigned made_before;

	(void)state;
	boot_default();
	made_before = pools_made;
	for (unsigned i = 0; i < MICA_ASID_POOL_SIZE; i++)
		assert_int_not_equal(alloc_object(MICA_OBJ_VSPACE, 0), 0);
	assert_int_equal(pools_made, made_before + 1);
	assert_int_not_equal(alloc_object(MICA_OBJ_VSPACE, 0), 0); /* The pool is full: another. */
	assert_int_not_equal(alloc_object(MICA_OBJ_VM, 0), 0);	   /* And one for VMs. */
	assert_int_equal(pools_made, made_before + 3);
	assert_objects_disjoint();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram_frame_lands_at_its_address),
		cmocka_unit_test(test_memory_in_front_is_not_lost),
		cmocka_unit_test(test_region_in_order),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_used_memory_refused),
		cmocka_unit_test(test_device_pages_any_order),
		cmocka_unit_test(test_out_of_slots),
		cmocka_unit_test(test_spaces_take_ids_from_pools_made_as_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
