/*
 * Untyped memory: retyping it into kernel objects, the only way objects
 * come to exist after boot.
 */
#include <string.h>

#include "arch.h"
#include "objects.h"
#include "untyped.h"

/* Can Untyped memory become an object of this type at all? */
static bool type_is_retypeable(enum mica_object_type type)
{
	return type > MICA_OBJ_NULL && type < MICA_OBJ_TYPE_COUNT && type != MICA_OBJ_IRQ_CONTROL &&
	       type != MICA_OBJ_IRQ_HANDLER;
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
			       const struct cap *cnode, uint64_t offset, uint64_t count)
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
	start = ALIGN_UP(u->object + used, UINT64_C(1) << bits);
	if (used > ut_size || start - u->object > ut_size ||
	    count > (ut_size - (start - u->object)) >> bits)
		return MICA_ERR_NOT_ENOUGH_MEMORY;

	for (uint64_t i = 0; i < count; i++) {
		paddr_t pa = pa_init(start + (i << bits));

		/*
		 * New objects start zeroed, so nothing of what the memory held
		 * before leaks through them. Device memory is never touched,
		 * and a new Untyped is not either: whatever is made from it is
		 * zeroed then, and zeroing a large Untyped twice would hold the
		 * kernel for nothing.
		 */
		if (!u->is_device && type != MICA_OBJ_UNTYPED)
			memset(arch_phys_to_virt(pa), 0, (size_t)1 << bits);
		slot_insert(&dest[i], object_create(type, pa, user_bits, u->is_device), ut);
	}
	ut->cap.data = start - u->object + (count << bits);
	return MICA_OK;
}
