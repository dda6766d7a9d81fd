/*
 * Capabilities and the derivation tree: deriving one capability from another,
 * putting capabilities into slots, moving them, and taking them out again,
 * which is where objects die.
 *
 * Two invariants make "is this the last capability to its object?"
 * (cap_is_final) a question about a slot's immediate neighbours:
 *
 *  1. Connected. The capabilities to one object are joined by parent-child
 *     links between them and by sharing a parent. A copy is a child of its
 *     source, a new object's first capability is a child of its Untyped, and
 *     deleting a capability splices its children into its place, so no
 *     operation ever separates them (slot_insert's callers promise that a
 *     capability they insert names its parent's object or a new object).
 *  2. Grouped. In every sibling list, the capabilities to one object are
 *     contiguous, and those to the parent's own object come first.
 *
 * Together they mean that if another capability to s's object exists, one of
 * them is s's parent, its previous or next sibling, or its first child, so
 * finality costs four comparisons however wide the tree grows (a revoke of a
 * large Untyped deletes millions of siblings; a scan of all of them for each
 * would make it quadratic). Insertion and splicing below keep rule 2; the
 * unit tests check both rules against a reference model.
 *
 * The kernel runs on one 16 KiB stack, so nothing here recurses: destroying
 * an object that holds slots (a CNode, a TCB) deletes the capabilities in
 * them with an explicit walk whose state lives in the slots of the dying
 * objects themselves (see empty_dead_object).
 */
#include "cap.h"
#include "cnode.h"
#include "objects.h"
#include "preempt.h"

/*
 * A slot type private to slot_delete: a slot whose final capability to an
 * object with slots (object_slots) has left the derivation tree while that
 * object still holds capabilities to delete. cap.reserved keeps the
 * capability's real type, and first_child (free, since a zombie has no place
 * in the tree) points at the next slot of the dying object to look at.
 * Keeping this state in the slot instead of on the stack lets CNodes nested
 * to any depth die without recursion. No zombie outlives the slot_delete
 * that made it.
 */
#define CAP_TYPE_ZOMBIE 0xffu
_Static_assert(CAP_TYPE_ZOMBIE >= MICA_OBJ_TYPE_COUNT, "the zombie type is not an object type");

/* A run of consecutive siblings, first to last; both NULL when empty. */
struct chain {
	struct slot *first;
	struct slot *last;
};

bool cap_same_object(const struct cap *a, const struct cap *b)
{
	if (a->type == MICA_OBJ_NULL || a->type != b->type)
		return false;
	if (a->type == MICA_OBJ_IRQ_HANDLER)
		return a->data == b->data;
	return a->object == b->object && a->size_bits == b->size_bits;
}

bool cap_is_final(const struct slot *s)
{
	const struct cap *c = &s->cap;

	if (slot_is_empty(s))
		return false;
	if (s->parent != NULL && cap_same_object(&s->parent->cap, c))
		return false;
	if (s->prev_sibling != NULL && cap_same_object(&s->prev_sibling->cap, c))
		return false;
	if (s->next_sibling != NULL && cap_same_object(&s->next_sibling->cap, c))
		return false;
	/* Rule 2: children to s's own object come first among its children. */
	return s->first_child == NULL || !cap_same_object(&s->first_child->cap, c);
}

bool slot_has_children(const struct slot *s)
{
	return s->first_child != NULL;
}

/*
 * The fields cap_derive changes: rights are ANDed in, and with set_badge,
 * data becomes an endpoint or notification badge or a CNode guard. out is
 * written only on success.
 */
static enum mica_error derive_fields(const struct cap *src, unsigned rights, bool set_badge,
				     uint64_t data, struct cap *out)
{
	struct cap c = *src;

	c.rights = (uint8_t)(src->rights & rights);
	if (set_badge) {
		switch (src->type) {
		case MICA_OBJ_ENDPOINT:
		case MICA_OBJ_NOTIFICATION:
			/* A badge, once set, identifies the holder for good. */
			if (src->data != 0)
				return MICA_ERR_ILLEGAL_OPERATION;
			c.data = data;
			break;
		case MICA_OBJ_CNODE: {
			unsigned guard_bits = CNODE_GUARD_BITS(data);
			uint64_t guard = CNODE_GUARD_VALUE(data);

			if (guard_bits + src->size_bits > 64)
				return MICA_ERR_RANGE;
			/*
			 * The value is data's top 58 bits, so a guard that wide
			 * holds any value; a narrower one must hold this one.
			 */
			if (guard_bits < 64 - 6 && (guard >> guard_bits) != 0)
				return MICA_ERR_RANGE;
			c.guard_bits = (uint8_t)guard_bits;
			c.data = guard;
			break;
		}
		default:
			return MICA_ERR_ILLEGAL_OPERATION;
		}
	}
	*out = c;
	return MICA_OK;
}

enum mica_error cap_derive(const struct cap *src, unsigned rights, bool set_badge, uint64_t data,
			   struct cap *out)
{
	struct cap c;
	enum mica_error err;

	if (src->type == MICA_OBJ_NULL)
		return MICA_ERR_INVALID_CAPABILITY;
	/*
	 * An Untyped capability accounts for its memory alone (a copy would
	 * let two holders retype the same bytes), and IRQControl and ASIDControl
	 * are unique. A
	 * page table has one capability, so that it sits in at most one place
	 * in one address space: two copies could map it into a VSpace and a
	 * VM at once, where the same entries mean different things and TLB
	 * maintenance would reach only one of the two.
	 */
	if (src->type == MICA_OBJ_UNTYPED || src->type == MICA_OBJ_IRQ_CONTROL ||
	    src->type == MICA_OBJ_ASID_CONTROL || src->type == MICA_OBJ_PAGE_TABLE)
		return MICA_ERR_ILLEGAL_OPERATION;
	err = derive_fields(src, rights, set_badge, data, &c);
	if (err != MICA_OK)
		return err;
	/* A mapping belongs to the one capability that made it. */
	if (c.type == MICA_OBJ_FRAME_4K || c.type == MICA_OBJ_FRAME_2M) {
		c.is_mapped = 0;
		c.map_rights = 0;
		c.data = 0;
		c.data2 = 0;
	}
	*out = c;
	return MICA_OK;
}

/* Insert ch into parent's children after the sibling after (NULL: at the head). */
static void chain_insert(struct slot *parent, struct slot *after, struct chain ch)
{
	struct slot *next = after != NULL ? after->next_sibling : parent->first_child;

	if (ch.first == NULL)
		return;
	ch.first->prev_sibling = after;
	ch.last->next_sibling = next;
	if (after != NULL)
		after->next_sibling = ch.first;
	else
		parent->first_child = ch.first;
	if (next != NULL)
		next->prev_sibling = ch.last;
}

/* Take s out of its sibling list, leaving its own children alone. */
static void sibling_unlink(struct slot *s)
{
	if (s->prev_sibling != NULL)
		s->prev_sibling->next_sibling = s->next_sibling;
	else if (s->parent != NULL)
		s->parent->first_child = s->next_sibling;
	if (s->next_sibling != NULL)
		s->next_sibling->prev_sibling = s->prev_sibling;
	s->prev_sibling = NULL;
	s->next_sibling = NULL;
}

/*
 * Cut the sibling list that starts at first into its leading run of
 * capabilities to obj's object and the rest, giving every slot the new
 * parent on the way.
 */
static void split_run(struct slot *first, const struct cap *obj, struct slot *parent,
		      struct chain *run, struct chain *rest)
{
	*run = (struct chain){NULL, NULL};
	*rest = (struct chain){NULL, NULL};
	for (struct slot *c = first; c != NULL; c = c->next_sibling) {
		struct chain *into =
			rest->first == NULL && cap_same_object(&c->cap, obj) ? run : rest;

		c->parent = parent;
		if (into->first == NULL)
			into->first = c;
		into->last = c;
	}
	if (run->last != NULL)
		run->last->next_sibling = NULL;
	if (rest->first != NULL)
		rest->first->prev_sibling = NULL;
}

/* The last slot of a sibling list, or NULL for an empty one. */
static struct slot *last_sibling(struct slot *first)
{
	struct slot *last = first;

	while (last != NULL && last->next_sibling != NULL)
		last = last->next_sibling;
	return last;
}

/*
 * s has a parent: its children take its place among their new siblings.
 * Those to s's own object go exactly where s was, inside s's run; any others
 * (an Untyped's objects, say) go after the end of that run, so no run is cut
 * in two. Those others name objects no capability outside s's subtree names
 * (rule 1), so they cannot split a run of their new siblings either.
 */
static void splice_into_parent(struct slot *s)
{
	struct slot *parent = s->parent;
	struct slot *after = s->prev_sibling;
	struct slot *run_end = s;
	struct chain run;
	struct chain rest;

	split_run(s->first_child, &s->cap, parent, &run, &rest);
	if (rest.first != NULL)
		while (run_end->next_sibling != NULL &&
		       cap_same_object(&run_end->next_sibling->cap, &s->cap))
			run_end = run_end->next_sibling;
	sibling_unlink(s);
	chain_insert(parent, after, run);
	if (rest.first == NULL)
		return;
	if (run_end == s)
		run_end = run.last != NULL ? run.last : after;
	chain_insert(parent, run_end, rest);
}

/*
 * s is a root: its first child becomes a root in its place and the other
 * children become that child's children. The new root's children then read:
 * its former siblings to its own object, its own children, and its other
 * former siblings (which name objects no capability below it names).
 */
static void promote_first_child(struct slot *s)
{
	struct slot *heir = s->first_child;
	struct slot *own_last = last_sibling(heir->first_child);
	struct chain run;
	struct chain rest;

	split_run(heir->next_sibling, &heir->cap, heir, &run, &rest);
	heir->parent = NULL;
	heir->prev_sibling = NULL;
	heir->next_sibling = NULL;
	chain_insert(heir, NULL, run);
	chain_insert(heir, own_last != NULL ? own_last : run.last, rest);
}

/* Take s out of the derivation tree, its children taking its place. */
static void tree_remove(struct slot *s)
{
	if (s->first_child == NULL)
		sibling_unlink(s);
	else if (s->parent != NULL)
		splice_into_parent(s);
	else
		promote_first_child(s);
	s->parent = NULL;
	s->first_child = NULL;
	s->prev_sibling = NULL;
	s->next_sibling = NULL;
}

/* Empty a slot that is already out of the tree. */
static void slot_clear(struct slot *s)
{
	*s = (struct slot){0};
}

void slot_insert(struct slot *dest, struct cap cap, struct slot *parent)
{
	struct slot *after = NULL;

	dest->cap = cap;
	dest->parent = parent;
	dest->first_child = NULL;
	dest->prev_sibling = NULL;
	dest->next_sibling = NULL;
	if (parent == NULL)
		return;
	/*
	 * A copy joins the run of its parent's object at the head; a new
	 * object's capability goes after that run, starting a run of its own.
	 */
	if (!cap_same_object(&cap, &parent->cap))
		for (struct slot *c = parent->first_child;
		     c != NULL && cap_same_object(&c->cap, &parent->cap); c = c->next_sibling)
			after = c;
	chain_insert(parent, after, (struct chain){dest, dest});
}

void slot_move(struct slot *src, struct slot *dest)
{
	if (src == dest)
		return;
	*dest = *src;
	if (dest->prev_sibling != NULL)
		dest->prev_sibling->next_sibling = dest;
	else if (dest->parent != NULL)
		dest->parent->first_child = dest;
	if (dest->next_sibling != NULL)
		dest->next_sibling->prev_sibling = dest;
	for (struct slot *c = dest->first_child; c != NULL; c = c->next_sibling)
		c->parent = dest;
	slot_clear(src);
}

/* Would deleting s's capability destroy an object that holds slots? */
static bool delete_cascades(const struct slot *s)
{
	size_t count;

	(void)object_slots(&s->cap, &count);
	return count != 0 && cap_is_final(s);
}

/*
 * Empty the full slot s and return the capability it held; *final says
 * whether that was the last capability to its object (looked at before the
 * tree changes, since cap_is_final reads s's neighbours).
 */
static struct cap slot_take(struct slot *s, bool *final)
{
	struct cap old = s->cap;

	*final = cap_is_final(s);
	tree_remove(s);
	slot_clear(s);
	return old;
}

/* The capability a zombie stands for, as object_cap_removed must see it. */
static struct cap zombie_cap(const struct slot *z)
{
	struct cap c = z->cap;

	c.type = c.reserved;
	c.reserved = 0;
	return c;
}

/*
 * Turn s, which holds the final capability to an object with slots, into a
 * zombie: out of the tree, its walk starting at the object's first slot.
 * Returns the end of the object's slots.
 */
static struct slot *zombie_make(struct slot *s)
{
	size_t count;
	struct slot *slots = object_slots(&s->cap, &count);

	tree_remove(s);
	s->cap.reserved = s->cap.type;
	s->cap.type = CAP_TYPE_ZOMBIE;
	s->first_child = slots;
	return slots + count;
}

/* The end of the slots of the object that the zombie z stands for. */
static struct slot *zombie_end(const struct slot *z)
{
	struct cap c = zombie_cap(z);
	size_t count;
	struct slot *slots = object_slots(&c, &count);

	return slots + count;
}

/*
 * The first full slot from *cursor up to end, or NULL; *cursor moves to it.
 * Slots passed over stay empty (nothing can fill a slot of a dying object),
 * so each slot is looked at a bounded number of times.
 */
static struct slot *next_full(struct slot **cursor, struct slot *end)
{
	for (struct slot *s = *cursor; s < end; s++) {
		if (!slot_is_empty(s)) {
			*cursor = s;
			return s;
		}
	}
	*cursor = end;
	return NULL;
}

/*
 * dead named an object with slots, and was its last capability: delete every
 * capability in those slots before the caller destroys the object.
 *
 * The dying objects form a tree: the outermost (dead) at the root, and below
 * each the objects whose final capability sat in one of its slots, each
 * represented by that slot, now a zombie. Each object has one place in this
 * tree, since its final capability was in one slot, so the tree has no
 * cycles. The walk goes down from the root along zombies to the first object
 * with a full slot that is not a zombie, deletes that capability (making it a
 * zombie instead if it is in turn final to an object with slots), and when
 * an object has no full slot left, destroys it, empties its zombie and
 * starts again from the root. Each object's cursor makes every restart skip
 * what is already empty. Time is bounded by the slots of all dying objects
 * times the nesting depth; stack use is constant.
 */
static void empty_dead_object(const struct cap *dead)
{
	size_t root_count;
	struct slot *root_cursor = object_slots(dead, &root_count);
	struct slot *root_end;

	if (root_count == 0)
		return;
	root_end = root_cursor + root_count;
	for (;;) {
		struct slot **cursor = &root_cursor;
		struct slot *end = root_end;
		struct slot *zombie = NULL; /* Where the walk is; NULL: in dead. */
		struct slot *s;
		struct cap gone;
		bool final;

		while ((s = next_full(cursor, end)) != NULL) {
			if (s->cap.type == CAP_TYPE_ZOMBIE) {
				end = zombie_end(s);
			} else if (delete_cascades(s)) {
				end = zombie_make(s);
			} else {
				gone = slot_take(s, &final);
				object_cap_removed(&gone, final);
				continue;
			}
			zombie = s;
			cursor = &s->first_child;
		}
		if (zombie == NULL)
			return;
		gone = zombie_cap(zombie);
		slot_clear(zombie);
		object_cap_removed(&gone, true);
	}
}

void slot_delete(struct slot *s)
{
	struct cap gone;
	bool final;

	if (slot_is_empty(s))
		return;
	/*
	 * The slot is empty before anything else happens, so that an object
	 * that holds s itself (a CNode with the last capability to itself)
	 * never finds this capability while it is being emptied.
	 */
	gone = slot_take(s, &final);
	if (final)
		empty_dead_object(&gone);
	object_cap_removed(&gone, final);
}

enum mica_error slot_revoke_preemptible(struct slot *s)
{
	struct slot *cur = s;

	/*
	 * Delete leaves, deepest first, so that no deletion splices anything.
	 * After a plain leaf the walk goes on from its parent, which is still
	 * there; a deletion that destroys an object with slots may delete any
	 * slot, s itself included, so the walk then starts again from s (and
	 * stops if s has gone: its remaining children then belong to s's
	 * parent). Every deletion stands on its own, so between two of them
	 * is a preemption point: the revoke made again starts from s anew.
	 */
	while (s->first_child != NULL) {
		struct slot *up;
		bool cascades;

		while (cur->first_child != NULL)
			cur = cur->first_child;
		up = cur->parent;
		cascades = delete_cascades(cur);
		slot_delete(cur);
		cur = cascades ? s : up;
		if (s->first_child != NULL && preempt_pending())
			return ERR_PREEMPTED;
	}
	return MICA_OK;
}

void slot_revoke(struct slot *s)
{
	while (slot_revoke_preemptible(s) != MICA_OK)
		;
}
