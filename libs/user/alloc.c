/*
 * The root task's allocator of slots and objects (<mica/alloc.h>).
 */
#include <stdbool.h>
#include <stddef.h>

#include <mica/alloc.h>
#include <mica/kobj.h>

/* One Untyped capability and what the allocator knows of its use. */
struct alloc_untyped {
	uint64_t cptr;	/* Its slot in the root CNode. */
	uint64_t paddr; /* First byte of its memory. */
	uint64_t used;	/* Bytes from paddr up to the kernel's watermark. */
	unsigned size_bits;
	bool is_device;
};

static struct {
	uint64_t next_slot; /* The empty range still untouched: [next_slot, slot_end). */
	uint64_t slot_end;
	uint64_t freed[ALLOC_MAX_FREED_SLOTS];
	unsigned freed_count;
	struct alloc_untyped untyped[ALLOC_MAX_UNTYPED];
	unsigned untyped_count;
} pool;

/* The smallest page: device memory is handed out in these. */
#define ALLOC_PAGE_BITS MICA_PAGE_BITS

/*
 * The ASID pools VSpaces and VMs take their IDs from: one of each kind at
 * a time, made from the root task's ASIDControl, and a new one once this
 * one has given out all its IDs (counted here; IDs freed by deleted
 * spaces are left to the pool they came from).
 */
static struct {
	uint64_t cptr;
	unsigned given;
} id_pool[2];

enum mica_error alloc_init(const struct mica_boot_info *info)
{
	if (info == NULL || info->magic != MICA_BOOT_INFO_MAGIC ||
	    info->untyped_count > MICA_BOOT_MAX_UNTYPED ||
	    info->untyped_count > ALLOC_MAX_UNTYPED || info->empty_first > info->empty_end)
		return MICA_ERR_MALFORMED;
	pool.next_slot = info->empty_first;
	pool.slot_end = info->empty_end;
	id_pool[0].cptr = id_pool[1].cptr = 0;
	pool.freed_count = 0;
	pool.untyped_count = 0;
	for (uint64_t i = 0; i < info->untyped_count; i++) {
		const struct mica_untyped_desc *d = &info->untyped[i];

		pool.untyped[pool.untyped_count++] = (struct alloc_untyped){
			.cptr = info->untyped_first + i,
			.paddr = d->paddr,
			.used = 0,
			.size_bits = d->size_bits,
			.is_device = d->is_device != 0,
		};
	}
	return MICA_OK;
}

uint64_t alloc_slot(void)
{
	if (pool.freed_count > 0)
		return pool.freed[--pool.freed_count];
	if (pool.next_slot < pool.slot_end)
		return pool.next_slot++;
	return 0;
}

void alloc_slot_free(uint64_t slot)
{
	if (slot != 0 && pool.freed_count < ALLOC_MAX_FREED_SLOTS)
		pool.freed[pool.freed_count++] = slot;
}

/*
 * Where in u an object of 2^bits bytes would start (as an offset from its
 * base), following the kernel's rule: at the watermark, rounded up to the
 * object's size. Returns false if it would not fit.
 */
static bool alloc_fit(const struct alloc_untyped *u, unsigned bits, uint64_t *offset)
{
	uint64_t size = UINT64_C(1) << bits;
	uint64_t ut_size = UINT64_C(1) << u->size_bits;
	uint64_t start;

	/* An Untyped is aligned to its own size, so no larger object fits. */
	if (bits > u->size_bits || u->used > ut_size)
		return false;
	start = ((u->paddr + u->used + size - 1) & ~(size - 1)) - u->paddr;
	if (start > ut_size || ut_size - start < size)
		return false;
	*offset = start;
	return true;
}

/*
 * The RAM Untyped to take 2^bits bytes from: the smallest one with room, so
 * that large Untyped stay whole for large objects (2 MiB frames, big
 * CNodes) for as long as possible. NULL if none has room.
 */
static struct alloc_untyped *alloc_pick(unsigned bits, uint64_t *offset)
{
	struct alloc_untyped *best = NULL;
	uint64_t best_offset = 0;

	for (unsigned i = 0; i < pool.untyped_count; i++) {
		struct alloc_untyped *u = &pool.untyped[i];
		uint64_t off;

		if (u->is_device || !alloc_fit(u, bits, &off))
			continue;
		if (best == NULL || u->size_bits < best->size_bits) {
			best = u;
			best_offset = off;
		}
	}
	*offset = best_offset;
	return best;
}

/* The pool for a new VSpace or VM (kind), made when there is none with room: 0 if none can be. */
static uint64_t alloc_id_pool(unsigned kind)
{
	if (id_pool[kind].cptr == 0 || id_pool[kind].given == MICA_ASID_POOL_SIZE) {
		uint64_t slot = alloc_slot();

		if (slot == 0)
			return 0;
		if (mica_asid_control_make_pool(MICA_CAP_ASID_CONTROL, kind, MICA_CAP_ROOT_CNODE,
						slot, 64) != MICA_OK) {
			alloc_slot_free(slot);
			return 0;
		}
		id_pool[kind].cptr = slot;
		id_pool[kind].given = 0;
	}
	return id_pool[kind].cptr;
}

static bool is_space(enum mica_object_type type)
{
	return type == MICA_OBJ_VSPACE || type == MICA_OBJ_VM;
}

static unsigned space_kind(enum mica_object_type type)
{
	return type == MICA_OBJ_VM ? MICA_ASID_POOL_VM : MICA_ASID_POOL_VSPACE;
}

/* Retype one object from u into the root slot dest; the local watermark follows. */
static enum mica_error alloc_retype(struct alloc_untyped *u, enum mica_object_type type,
				    unsigned size_bits, unsigned bits, uint64_t offset,
				    uint64_t dest)
{
	enum mica_error err;

	if (is_space(type)) {
		err = mica_untyped_retype_space(u->cptr, type, id_pool[space_kind(type)].cptr,
						MICA_CAP_ROOT_CNODE, 0, 0, dest, 1);
		if (err == MICA_OK)
			id_pool[space_kind(type)].given++;
	} else {
		err = mica_untyped_retype(u->cptr, type, size_bits, MICA_CAP_ROOT_CNODE, 0, 0, dest,
					  1);
	}

	if (err == MICA_OK)
		u->used = offset + (UINT64_C(1) << bits);
	return err;
}

struct alloc_ret alloc_object_ret(enum mica_object_type type, unsigned size_bits)
{
	unsigned bits = mica_object_size_bits(type, size_bits);
	uint64_t slot;

	if (bits == 0)
		return (struct alloc_ret){MICA_ERR_INVALID_ARGUMENT, 0};
	/* A pool with an ID to give first, so that running out of memory means memory below. */
	if (is_space(type) && alloc_id_pool(space_kind(type)) == 0)
		return (struct alloc_ret){MICA_ERR_NOT_ENOUGH_MEMORY, 0};
	slot = alloc_slot();
	if (slot == 0)
		return (struct alloc_ret){MICA_ERR_NOT_ENOUGH_MEMORY, 0};
	for (;;) {
		uint64_t offset;
		struct alloc_untyped *u = alloc_pick(bits, &offset);
		enum mica_error err;

		if (u == NULL) {
			alloc_slot_free(slot);
			return (struct alloc_ret){MICA_ERR_NOT_ENOUGH_MEMORY, 0};
		}
		err = alloc_retype(u, type, size_bits, bits, offset, slot);
		if (err == MICA_OK)
			return (struct alloc_ret){MICA_OK, slot};
		/*
		 * The kernel found less room than the local watermark promised:
		 * someone else retyped this Untyped. Take it as full and try
		 * the next one, so the copy errs only on the safe side.
		 */
		if (err != MICA_ERR_NOT_ENOUGH_MEMORY) {
			alloc_slot_free(slot);
			return (struct alloc_ret){err, 0};
		}
		u->used = UINT64_C(1) << u->size_bits;
	}
}

uint64_t alloc_object(enum mica_object_type type, unsigned size_bits)
{
	return alloc_object_ret(type, size_bits).cptr;
}

/*
 * The Untyped of the given kind whose unused part holds the 2^bits bytes at
 * paddr, or NULL.
 */
static struct alloc_untyped *alloc_find_at(uint64_t paddr, unsigned bits, bool is_device)
{
	for (unsigned i = 0; i < pool.untyped_count; i++) {
		struct alloc_untyped *u = &pool.untyped[i];
		uint64_t end = u->paddr + (UINT64_C(1) << u->size_bits);

		if (u->is_device == is_device && paddr >= u->paddr + u->used && paddr < end &&
		    end - paddr >= (UINT64_C(1) << bits))
			return u;
	}
	return NULL;
}

/*
 * The largest naturally aligned block that starts at from and ends at or
 * before to (from < to, both page aligned): its log2 size.
 */
static unsigned alloc_block_bits(uint64_t from, uint64_t to, unsigned max_bits)
{
	unsigned bits = from == 0 ? 63 : (unsigned)__builtin_ctzll(from);

	if (bits > max_bits)
		bits = max_bits;
	while ((UINT64_C(1) << bits) > to - from)
		bits--;
	return bits;
}

/*
 * Turn the unused memory of Untyped u in front of paddr into smaller
 * Untyped of the same kind, the largest aligned blocks that fit, and
 * remember them as Untyped of their own: the kernel places each block at
 * u's watermark, which is already aligned to it, so nothing is skipped.
 * Afterwards u's watermark is paddr. RAM blocks go back to alloc_object's
 * pool; device blocks serve later requests for the pages in them.
 */
static enum mica_error alloc_skip_to(struct alloc_untyped *u, uint64_t paddr)
{
	while (u->paddr + u->used < paddr) {
		uint64_t from = u->paddr + u->used;
		unsigned bits = alloc_block_bits(from, paddr, u->size_bits);
		uint64_t slot = alloc_slot();
		enum mica_error err;

		if (slot == 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		err = alloc_retype(u, MICA_OBJ_UNTYPED, bits, bits, u->used, slot);
		if (err != MICA_OK) {
			alloc_slot_free(slot);
			return err;
		}
		/* A full table only loses the block for later requests. */
		if (pool.untyped_count < ALLOC_MAX_UNTYPED)
			pool.untyped[pool.untyped_count++] = (struct alloc_untyped){
				.cptr = slot,
				.paddr = from,
				.used = 0,
				.size_bits = bits,
				.is_device = u->is_device,
			};
	}
	return MICA_OK;
}

/* A frame of 2^bits bytes at paddr exactly, from an Untyped of the given kind. */
static struct alloc_ret alloc_frame_at(uint64_t paddr, unsigned bits, bool is_device)
{
	enum mica_object_type type =
		bits == MICA_LARGE_PAGE_BITS ? MICA_OBJ_FRAME_2M : MICA_OBJ_FRAME_4K;
	struct alloc_untyped *u;
	enum mica_error err;
	uint64_t slot;

	if ((bits != ALLOC_PAGE_BITS && bits != MICA_LARGE_PAGE_BITS) ||
	    (paddr & ((UINT64_C(1) << bits) - 1)) != 0)
		return (struct alloc_ret){MICA_ERR_INVALID_ARGUMENT, 0};
	u = alloc_find_at(paddr, bits, is_device);
	if (u == NULL)
		return (struct alloc_ret){MICA_ERR_NOT_FOUND, 0};
	err = alloc_skip_to(u, paddr);
	if (err != MICA_OK)
		return (struct alloc_ret){err, 0};
	slot = alloc_slot();
	if (slot == 0)
		return (struct alloc_ret){MICA_ERR_NOT_ENOUGH_MEMORY, 0};
	err = alloc_retype(u, type, 0, bits, paddr - u->paddr, slot);
	if (err != MICA_OK) {
		alloc_slot_free(slot);
		return (struct alloc_ret){err, 0};
	}
	return (struct alloc_ret){MICA_OK, slot};
}

struct alloc_ret alloc_device_frame_ret(uint64_t paddr)
{
	return alloc_frame_at(paddr & ~((UINT64_C(1) << ALLOC_PAGE_BITS) - 1), ALLOC_PAGE_BITS,
			      true);
}

uint64_t alloc_device_frame(uint64_t paddr)
{
	return alloc_device_frame_ret(paddr).cptr;
}

struct alloc_ret alloc_ram_frame_at_ret(uint64_t paddr, unsigned size_bits)
{
	return alloc_frame_at(paddr, size_bits, false);
}

uint64_t alloc_free_bytes(void)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < pool.untyped_count; i++) {
		const struct alloc_untyped *u = &pool.untyped[i];
		uint64_t size = UINT64_C(1) << u->size_bits;

		if (!u->is_device && u->used < size)
			total += size - u->used;
	}
	return total;
}
