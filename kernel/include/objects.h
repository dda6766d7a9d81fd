/*
 * The object layer: sizes, creation and destruction of each kind of kernel
 * object, as used by Untyped retype (untyped.c) and capability deletion
 * (cap.c, delete.c). Implemented in objects.c.
 */
#ifndef MICA_OBJECTS_H
#define MICA_OBJECTS_H

#include "cap.h"

/*
 * log2 of the bytes an object of type occupies; user_bits is the size the
 * caller asked for where the type has a variable size (UNTYPED: log2
 * bytes; CNODE: radix). Returns 0 (no object is that small) for a type
 * that cannot be retyped or a size out of range.
 */
unsigned object_size_bits(enum mica_object_type type, unsigned user_bits);

/*
 * Initialise a new object of type in the memory at pa (already zeroed
 * unless is_device) and return its first capability, with all rights. A
 * VSpace or VM takes its ID from pool (asid_pool_check said it may).
 */
struct cap object_create(enum mica_object_type type, paddr_t pa, unsigned user_bits, bool is_device,
			 const struct cap *pool);

/*
 * The slots embedded in the object cap names that must be emptied before
 * the object is destroyed: a CNode's slot array, a TCB's own slots, a
 * VM's bound endpoints. Sets *count to 0 (and returns NULL) for every
 * other type.
 */
struct slot *object_slots(const struct cap *cap, size_t *count);

#endif
