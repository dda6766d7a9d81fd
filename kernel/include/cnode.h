/*
 * CNode operations on capabilities already looked up (the syscall layer
 * resolves capability addresses with cspace_lookup first).
 */
#ifndef MICA_CNODE_H
#define MICA_CNODE_H

#include "cap.h"

/*
 * Cap data for CNode capabilities (mint and mutate): bits 5..0 are the
 * guard size, bits 63..6 the guard value. guard size + radix must not
 * exceed 64, and the value must fit in the guard size.
 */
#define CNODE_GUARD_BITS(data)	((unsigned)((data)&0x3f))
#define CNODE_GUARD_VALUE(data) ((data) >> 6)

/*
 * Copy src into the empty slot dest, as src's child, with rights ANDed in.
 * With mint, data sets an endpoint/notification badge (0: none) or a CNode
 * guard (see above). Errors: MICA_ERR_INVALID_CAPABILITY (src empty),
 * MICA_ERR_DELETE_FIRST (dest full), MICA_ERR_ILLEGAL_OPERATION (dest ==
 * src, a type that cannot be copied, re-badging), MICA_ERR_RANGE (a bad
 * guard). Nothing changes on error.
 */
MUST_CHECK enum mica_error cnode_copy(struct slot *dest, struct slot *src, unsigned rights,
				      bool mint, uint64_t data);

/*
 * Move src's capability, with its place in the derivation tree, into the
 * empty slot dest. With mutate, rights are ANDed in and data applies as in
 * mint. Errors as cnode_copy, except that every type can be moved.
 */
MUST_CHECK enum mica_error cnode_move(struct slot *dest, struct slot *src, bool mutate,
				      unsigned rights, uint64_t data);

#endif
