/*
 * Untyped memory: retyping it into kernel objects, the only way objects
 * come to exist after boot.
 *
 * RAM above an Untyped's watermark (cap.data) is always zero, so a new
 * object needs no clearing. Memory below it may hold anything (objects
 * live there, or did). When an Untyped with no children is retyped, it is
 * reset first: cleared from the watermark down, a chunk at a time, the
 * watermark following, with a preemption point between chunks, so that
 * clearing any amount of memory never holds the kernel for long and a
 * restarted retype goes on where the last stopped (seL4 resets Untyped
 * memory the same way). Device memory is never cleared: its watermark
 * only says where objects go.
 */
#include <string.h>

#include "arch.h"
#include "objects.h"
#include "preempt.h"
#include "untyped.h"
#include "vspace.h"

/* Bytes cleared between two preemption points. */
#define RESET_CHUNK (UINT64_C(1) << 16)

/* Zero RAM [start, end): whole pages the fast way, the ragged ends byte-wise. */
static void clear(uint64_t start, uint64_t end)
{
	uint64_t first = ALIGN_UP(start, (uint64_t)PAGE_SIZE);
	uint64_t last = ALIGN_DOWN(end, (uint64_t)PAGE_SIZE);

	if (first >= last) {
		memset(arch_phys_to_virt(pa_init(start)), 0, (size_t)(end - start));
		return;
	}
	memset(arch_phys_to_virt(pa_init(start)), 0, (size_t)(first - start));
	arch_clear_pages(arch_phys_to_virt(pa_init(first)), (size_t)(last - first));
	memset(arch_phys_to_virt(pa_init(last)), 0, (size_t)(end - last));
}

/* Clear u's memory below its watermark, from the top down; may be preempted. */
static enum mica_error reset(struct cap *u)
{
	while (u->data > 0) {
		uint64_t low = u->data > RESET_CHUNK ? ALIGN_DOWN(u->data - 1, RESET_CHUNK) : 0;

		clear(u->object + low, u->object + u->data);
		u->data = low;
		if (u->data > 0 && preempt_pending())
			return ERR_PREEMPTED;
	}
	return MICA_OK;
}

/* Can Untyped memory become an object of this type at all? */
static bool type_is_retypeable(enum mica_object_type type)
{
	return type > MICA_OBJ_NULL && type < MICA_OBJ_TYPE_COUNT && type != MICA_OBJ_IRQ_CONTROL &&
	       type != MICA_OBJ_IRQ_HANDLER && type != MICA_OBJ_ASID_CONTROL &&
	       type != MICA_OBJ_ASID_POOL;
}

/*
 * Device memory may only become memory again: frames to map, or smaller
 * Untyped. Kernel objects in it would live in memory with device semantics
 * that the kernel may not even have mapped.
 */
static bool type_fits_device(enum mica_object_type type)
{
	return type == MICA_OBJ_UNTYPED || type == MICA_OBJ_FRAME_4K || type == MICA_OBJ_FRAME_2M;
}

enum mica_error untyped_retype(struct slot *ut, enum mica_object_type type, unsigned user_bits,
			       const struct cap *cnode, uint64_t offset, uint64_t count,
			       const struct cap *pool)
{
	const struct cap *u = &ut->cap;
	struct slot *dest;
	unsigned bits;
	uint64_t slot_count;
	uint64_t ut_size;
	uint64_t used;
	uint64_t start;

	if (u->type != MICA_OBJ_UNTYPED || cnode->type != MICA_OBJ_CNODE)
		return MICA_ERR_WRONG_TYPE;
	if (!type_is_retypeable(type) || (u->is_device && !type_fits_device(type)))
		return MICA_ERR_INVALID_ARGUMENT;
	bits = object_size_bits(type, user_bits);
	slot_count = UINT64_C(1) << cnode->size_bits;
	if (bits == 0 || count == 0 || count > UNTYPED_RETYPE_MAX_COUNT || offset > slot_count ||
	    count > slot_count - offset)
		return MICA_ERR_RANGE;
	dest = (struct slot *)cnode->object + offset;
	for (uint64_t i = 0; i < count; i++)
		if (!slot_is_empty(&dest[i]))
			return MICA_ERR_DELETE_FIRST;

	/*
	 * Objects go from the watermark up, the first aligned to the object
	 * size and the rest packed after it. An Untyped with no children has
	 * nothing left in it, whatever its watermark says. The Untyped is
	 * aligned to its own size, so an object larger than it cannot fit, and
	 * ruling that out first keeps every shift and sum below in range.
	 */
	if (bits > u->size_bits)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	/* An Untyped child as large as its parent would be the same object twice. */
	if (type == MICA_OBJ_UNTYPED && bits == u->size_bits)
		return MICA_ERR_RANGE;
	ut_size = UINT64_C(1) << u->size_bits;
	used = slot_has_children(ut) ? u->data : 0;
	if (used > ut_size)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	start = ALIGN_UP(u->object + used, UINT64_C(1) << bits);
	if (start - u->object > ut_size || count > (ut_size - (start - u->object)) >> bits)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	/* An address space needs an ID from a pool of its kind, one for each. */
	if (type == MICA_OBJ_VSPACE || type == MICA_OBJ_VM) {
		enum mica_error err = asid_pool_check(pool, type, count);

		if (err != MICA_OK)
			return err;
	}

	/*
	 * Everything is checked. An Untyped with nothing in it is cleared
	 * first (a restart after preemption checks again and goes on), so
	 * that new objects start zeroed and nothing of what the memory held
	 * before leaks through them.
	 */
	if (!slot_has_children(ut)) {
		enum mica_error err = u->is_device ? MICA_OK : reset(&ut->cap);

		if (err != MICA_OK)
			return err;
		ut->cap.data = 0;
	}
	for (uint64_t i = 0; i < count; i++)
		slot_insert(&dest[i],
			    object_create(type, pa_init(start + (i << bits)), user_bits,
					  u->is_device, pool),
			    ut);
	ut->cap.data = start - u->object + (count << bits);
	return MICA_OK;
}
