/*
 * Untyped memory: retyping it into kernel objects.
 */
#ifndef MICA_UNTYPED_H
#define MICA_UNTYPED_H

#include "cap.h"

#define UNTYPED_RETYPE_MAX_COUNT 256

/*
 * Retype part of the Untyped capability in slot ut into count objects of
 * type (user_bits as for object_size_bits), whose capabilities go into
 * slots offset .. offset+count-1 of the CNode that cnode (a CNode
 * capability) names, as children of ut.
 *
 * Everything is checked before anything changes; errors, distinct:
 *   MICA_ERR_WRONG_TYPE         ut is not Untyped, or cnode is not a CNode;
 *   MICA_ERR_INVALID_ARGUMENT   type cannot be retyped (NULL, IRQ*), or a
 *                               device Untyped asked for anything but frames
 *                               and Untyped;
 *   MICA_ERR_RANGE              user_bits out of range for type (an Untyped
 *                               child must be smaller than ut), count 0 or
 *                               above UNTYPED_RETYPE_MAX_COUNT, or the slots
 *                               run past the CNode's end;
 *   MICA_ERR_DELETE_FIRST       a destination slot is not empty;
 *   MICA_ERR_NOT_ENOUGH_MEMORY  the objects do not fit in what is left;
 *   and for VSpaces and VMs, pool's errors (asid_pool_check, vspace.h).
 * ERR_PREEMPTED (preempt.h): clearing the memory was cut short; made again,
 * the retype goes on.
 *
 * Objects are placed from the Untyped's watermark up, each aligned to its
 * own size; the watermark restarts at 0 when ut has no children (after a
 * revoke, say), once what lies below it is cleared. Device memory is never
 * written.
 */
MUST_CHECK enum mica_error untyped_retype(struct slot *ut, enum mica_object_type type,
					  unsigned user_bits, const struct cap *cnode,
					  uint64_t offset, uint64_t count, const struct cap *pool);

#endif
