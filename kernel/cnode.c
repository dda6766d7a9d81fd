/*
 * CSpace lookup and the CNode operations that copy and move capabilities
 * between slots.
 */
#include "cnode.h"

/*
 * Lookup consumes at least one bit per level (a CNode's radix is at least
 * MICA_CNODE_MIN_RADIX), so 64 levels exhaust any depth. The bound is
 * checked anyway, so that a malformed CNode capability with a radix and
 * guard of 0 could not make lookup spin.
 */
#define CSPACE_MAX_LEVELS 64

/* Bits [shift, shift + count) of x; count may be 0 and shift + count may be 64. */
static uint64_t bits_at(uint64_t x, unsigned shift, unsigned count)
{
	if (count == 0)
		return 0;
	x >>= shift;
	return count >= 64 ? x : x & ((UINT64_C(1) << count) - 1);
}

struct slot_ret cspace_lookup(const struct cap *root, uint64_t cptr, unsigned depth)
{
	const struct cap *cnode = root;
	unsigned left = depth;

	if (depth == 0 || depth > 64)
		return (struct slot_ret){MICA_ERR_RANGE, NULL};
	if (root->type != MICA_OBJ_CNODE)
		return (struct slot_ret){MICA_ERR_WRONG_TYPE, NULL};
	for (unsigned level = 0; level < CSPACE_MAX_LEVELS; level++) {
		unsigned guard_bits = cnode->guard_bits;
		unsigned radix = cnode->size_bits;
		struct slot *slot;

		/* Each level needs its whole guard and index within the bits left. */
		if (guard_bits + radix > left)
			break;
		left -= guard_bits;
		if (bits_at(cptr, left, guard_bits) != cnode->data)
			break;
		left -= radix;
		slot = (struct slot *)cnode->object + bits_at(cptr, left, radix);
		if (left == 0)
			return (struct slot_ret){MICA_OK, slot};
		if (slot->cap.type != MICA_OBJ_CNODE)
			break;
		cnode = &slot->cap;
	}
	return (struct slot_ret){MICA_ERR_LOOKUP_FAILED, NULL};
}

/* The checks copy and move share, in the order cnode.h gives the errors. */
static enum mica_error check_slots(const struct slot *dest, const struct slot *src)
{
	/* A zombie stays where its deletion will look for it. */
	if (slot_is_empty(src) || slot_is_zombie(src))
		return MICA_ERR_INVALID_CAPABILITY;
	if (dest == src)
		return MICA_ERR_ILLEGAL_OPERATION;
	if (!slot_is_empty(dest))
		return MICA_ERR_DELETE_FIRST;
	return MICA_OK;
}

enum mica_error cnode_copy(struct slot *dest, struct slot *src, unsigned rights, bool mint,
			   uint64_t data)
{
	struct cap cap;
	enum mica_error err = check_slots(dest, src);

	if (err == MICA_OK)
		err = cap_derive(&src->cap, rights, mint, data, &cap);
	if (err != MICA_OK)
		return err;
	slot_insert(dest, cap, src);
	return MICA_OK;
}

enum mica_error cnode_move(struct slot *dest, struct slot *src, bool mutate, unsigned rights,
			   uint64_t data)
{
	struct cap cap = src->cap;
	enum mica_error err = check_slots(dest, src);

	/*
	 * Mutate takes data as mint does, which only endpoint, notification
	 * and CNode capabilities accept; none of them is refused copying or
	 * carries a mapping, so cap_derive gives exactly the mutated
	 * capability, and refuses the rest as mint would.
	 */
	if (err == MICA_OK && mutate)
		err = cap_derive(&src->cap, rights, true, data, &cap);
	if (err != MICA_OK)
		return err;
	slot_move(src, dest);
	dest->cap = cap;
	return MICA_OK;
}
