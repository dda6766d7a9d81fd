/*
 * Capabilities, slots and the derivation tree (seL4's model, in Mica's own
 * form).
 *
 * A slot holds one capability and its place in the derivation tree: the
 * capability it was derived from (parent) and those derived from it
 * (children, a doubly linked sibling list). Retyping Untyped memory makes
 * each new object's first capability a child of the Untyped capability;
 * copy and mint make children of the source. Deleting a capability that
 * still has children splices them into its place under its parent, so
 * every capability to one object stays connected in the tree and
 * "is this the last capability to the object?" (cap_is_final) is a local
 * question.
 *
 * Slots live in CNode objects (2^radix slots each) and, for the capabilities
 * a thread holds on to, inside TCB objects.
 */
#ifndef MICA_CAP_H
#define MICA_CAP_H

#include "types.h"

#include <mica/abi/objects.h>

/*
 * A capability: fixed fields plus two words whose meaning depends on type.
 *
 *   type            object field            data                 data2
 *   UNTYPED         base (physical)         bytes used (watermark;  -
 *                                           RAM above it is zero)
 *   CNODE           the slot array          guard value          -
 *   TCB/REPLY       the object              -                    -
 *   ENDPOINT/NTFN   the object              badge                -
 *   FRAME_*         base (physical)         mapped VA            mapping record (vspace.h)
 *   PAGE_TABLE      the table               mapped VA            mapping record
 *   VSPACE / VM     the top-level table     token (sched.h)      ASID / VM handle
 *   IRQ_CONTROL     -                       -                    -
 *   IRQ_HANDLER     -                       INTID                -
 *   ASID_CONTROL    -                       -                    -
 *   ASID_POOL       kind and block          block                kind
 */
struct cap {
	uint8_t type;	    /* enum mica_object_type; MICA_OBJ_NULL for an empty slot. */
	uint8_t rights;	    /* MICA_RIGHT_* this capability grants. */
	uint8_t size_bits;  /* UNTYPED: log2 size; CNODE: radix; FRAME: page bits. */
	uint8_t guard_bits; /* CNODE: guard size in bits. */
	uint8_t is_device;  /* UNTYPED and FRAME: device memory (never zeroed, never RAM). */
	uint8_t is_mapped;  /* FRAME and PAGE_TABLE: data/data2 describe a live mapping. */
	uint8_t map_rights; /* FRAME: rights of the live mapping (MICA_RIGHT_*, +exec). */
	uint8_t reserved;
	uintptr_t object; /* Kernel virtual address of the object (physical for
			   * UNTYPED and FRAME, which may be device memory the
			   * kernel does not map), or 0. */
	uint64_t data;
	uint64_t data2;
};

struct slot {
	struct cap cap;
	struct slot *parent;
	struct slot *first_child;
	struct slot *next_sibling;
	struct slot *prev_sibling;
};

_Static_assert(sizeof(struct slot) == (1u << MICA_SLOT_BITS), "CNode slot size");

static inline bool slot_is_empty(const struct slot *s)
{
	return s->cap.type == MICA_OBJ_NULL;
}

/*
 * A slot whose capability was the last to a CNode or TCB that is being
 * destroyed, a deletion stopped at a preemption point (delete.c, "Dying
 * objects"). It is no capability: it cannot be invoked, copied, moved or
 * looked up through; deleting it (or revoking its parent) goes on with the
 * destruction.
 */
#define CAP_TYPE_ZOMBIE 0xffu
_Static_assert(CAP_TYPE_ZOMBIE >= MICA_OBJ_TYPE_COUNT, "the zombie type is not an object type");

static inline bool slot_is_zombie(const struct slot *s)
{
	return s->cap.type == CAP_TYPE_ZOMBIE;
}

/*
 * Find the slot that cptr names in the CSpace whose root is the CNode
 * capability root, consuming depth bits of cptr from the most significant
 * of those bits down: at each CNode, guard_bits must match the CNode's
 * guard, then radix bits index a slot; if bits remain and the slot holds a
 * CNode capability, lookup continues there. Errors (distinct):
 *   MICA_ERR_RANGE           depth is 0 or above 64;
 *   MICA_ERR_WRONG_TYPE      root is not a CNode capability;
 *   MICA_ERR_LOOKUP_FAILED   a guard mismatch, bits left over at a slot that
 *                            is not a CNode, or too few bits for a level.
 * Lookup never follows more than 64 levels, so it always ends.
 */
struct slot_ret {
	enum mica_error err;
	struct slot *slot;
};
MUST_CHECK struct slot_ret cspace_lookup(const struct cap *root, uint64_t cptr, unsigned depth);

/*
 * Make the capability that copying (mint: with fewer rights and/or cap
 * data) src gives, without touching any slot. rights is ANDed with the
 * source's. With set_badge, data is a badge for an endpoint or notification
 * capability that has none yet (MICA_ERR_ILLEGAL_OPERATION otherwise; 0
 * means "no badge"), or a guard for a CNode capability (cnode.h; a bad one
 * is MICA_ERR_RANGE), and is refused for other types
 * (MICA_ERR_ILLEGAL_OPERATION). Untyped, IRQControl and page-table
 * capabilities cannot be copied (MICA_ERR_ILLEGAL_OPERATION); nor can a
 * mapped frame capability carry its mapping: the copy is unmapped. An empty
 * source gives MICA_ERR_INVALID_CAPABILITY.
 */
MUST_CHECK enum mica_error cap_derive(const struct cap *src, unsigned rights, bool set_badge,
				      uint64_t data, struct cap *out);

/*
 * Put cap into the empty slot dest as a child of parent (NULL: a root). cap
 * must name parent's object (a copy) or an object no other capability names
 * (a new one): cap_is_final relies on every capability to an object being
 * connected in the tree.
 */
void slot_insert(struct slot *dest, struct cap cap, struct slot *parent);

/* Move src's capability and tree position into the empty slot dest. */
void slot_move(struct slot *src, struct slot *dest);

/*
 * Do a and b name the same object? Same type, object address and size_bits
 * (an Untyped retyped into a smaller Untyped at its own base is another
 * object); for IRQ handlers, the same INTID.
 */
bool cap_same_object(const struct cap *a, const struct cap *b);

/*
 * Is s the last capability to its object? Only s's parent, siblings and
 * children need looking at: see the splice rule at the top and in
 * slot_delete.
 */
bool cap_is_final(const struct slot *s);

bool slot_has_children(const struct slot *s);

/*
 * Empty slot s. Its children take its place under its parent; if s has no
 * parent, its first child becomes a root in its place and the other
 * children become that child's children (so capabilities to one object
 * stay connected either way). Then the object is told
 * (object_cap_removed): mapped frames and page tables are unmapped for
 * every capability, and the last capability to an object destroys it.
 * Destroying a CNode or a TCB first deletes every capability inside it,
 * iteratively: nested CNodes and CNodes that hold capabilities to
 * themselves never make the kernel recurse. Deleting an empty slot does
 * nothing.
 *
 * The preemptible form stops with ERR_PREEMPTED (preempt.h) when an
 * interrupt is waiting while it destroys a CNode or TCB, leaving s a zombie
 * (slot_is_zombie); called again on s, it goes on. Only one such deletion
 * is in progress at a time: starting another, or deleting a zombie, first
 * finishes the one in progress. slot_delete runs to the end.
 */
MUST_CHECK enum mica_error slot_delete_preemptible(struct slot *s);
void slot_delete(struct slot *s);

/* The debug checker's view of the deletion in progress: its first zombie, or NULL. */
const struct slot *slot_deletion_root(void);
/* Is the zombie z where the deletion in progress can find it? */
bool zombie_in_place(const struct slot *z);

/*
 * Delete every descendant of s (not s itself), deepest first. The
 * preemptible form stops with ERR_PREEMPTED (preempt.h) between two
 * deletions when an interrupt is waiting; called again, it goes on. An
 * Untyped keeps its watermark: its memory is cleared when it is next
 * retyped (untyped.c).
 */
MUST_CHECK enum mica_error slot_revoke_preemptible(struct slot *s);
void slot_revoke(struct slot *s);

/*
 * Between cap.c and delete.c: take s out of the derivation tree, its
 * children taking its place (the splice rule above), leaving its
 * capability; and empty a slot that is already out of the tree.
 */
void tree_remove(struct slot *s);
void slot_clear(struct slot *s);

/*
 * Hooks into the object layer (objects.c) -------------------------------------------------
 */

/*
 * A capability is leaving its slot for good: undo what it alone holds
 * (a frame's or page table's mapping) and, if final, destroy the object it
 * names (but never a CNode's contents: the caller has emptied the CNode
 * first). Must not touch any slot.
 */
void object_cap_removed(const struct cap *cap, bool final);

/*
 * The last capability to cap's object (a CNode or TCB) has become a zombie:
 * the object will be destroyed, perhaps across preemption points, and
 * must do nothing meanwhile (a TCB's thread stops now). Must not touch any
 * slot.
 */
void object_dying(const struct cap *cap);

#endif
