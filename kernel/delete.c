/*
 * Deleting capabilities, which is where objects die: one slot (slot_delete),
 * or every descendant of one (slot_revoke). Deleting the last capability to
 * an object that holds slots (a CNode, a TCB) deletes the capabilities in
 * them first, with an explicit walk whose state lives in the slots of the
 * dying objects themselves and which stops at preemption points (see "Dying
 * objects" below): the kernel runs on one 16 KiB stack, so nothing here
 * recurses, and nothing runs long with interrupts masked.
 */
#include "cap.h"
#include "objects.h"
#include "preempt.h"

/* Would deleting s's capability destroy an object that holds slots? */
static bool delete_cascades(const struct slot *s)
{
	size_t count;

	(void)object_slots(&s->cap, &count);
	return count != 0 && cap_is_final(s);
}

/*
 * Would it destroy a CNode or a TCB, whose slots may hold the last
 * capabilities to more of them? (A VM's slots hold endpoint and VCPU
 * capabilities only, objects without slots: delete_leaf empties them on
 * the spot.)
 */
static bool delete_walks(const struct slot *s)
{
	return (s->cap.type == MICA_OBJ_CNODE || s->cap.type == MICA_OBJ_TCB) && delete_cascades(s);
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

/*
 * Delete s's capability, which does not destroy a CNode or a TCB. A VM it
 * destroys has its capabilities deleted first (MMIO endpoints, SGI target
 * vCPUs, which a final one destroys): those objects hold no slots, so this
 * goes no deeper.
 */
static void delete_leaf(struct slot *s)
{
	bool final;
	struct cap gone = slot_take(s, &final);
	size_t count;
	struct slot *slots = final ? object_slots(&gone, &count) : NULL;

	for (size_t i = 0; slots != NULL && i < count; i++) {
		if (!slot_is_empty(&slots[i])) {
			bool held_final;
			struct cap held = slot_take(&slots[i], &held_final);

			object_cap_removed(&held, held_final);
		}
	}
	object_cap_removed(&gone, final);
}

/*
 * Dying objects ---------------------------------------------------------------------------------
 *
 * Deleting the last capability to a CNode or a TCB first deletes every
 * capability in its slots, which may destroy further CNodes and TCBs, nested
 * to any depth: it can take long, so it stops at preemption points and goes
 * on when called again. Its state lives in the slots (seL4's zombies, in
 * Mica's form):
 *
 *  - A slot whose capability was the last to such an object becomes a
 *    zombie (slot_is_zombie): it keeps its place in the derivation tree, so
 *    the Untyped the object came from still has a child and cannot be
 *    retyped under it; cap.reserved keeps the real type, cap.data is the
 *    index of the next of the object's slots to look at, and cap.data2 the
 *    zombie whose object holds this one (0: the root's). The object's other
 *    fields, and its memory, are untouched until it is destroyed.
 *  - One deletion at a time is in progress: dying.root is the zombie it
 *    started at, dying.deepest the zombie whose object it is emptying, and
 *    every zombie lies on the chain from dying.deepest up to dying.root. A
 *    deletion that would begin another first finishes this one, so no two
 *    ever see each other's state, and each step costs the same however
 *    deep the nesting.
 *  - A zombie cannot be invoked, copied or moved, and lookup does not go
 *    through it, so nothing fills a slot of a dying object: slots passed over
 *    stay empty, and each is looked at once.
 *  - The root may lie inside an object it is destroying (a CNode that held
 *    the last capability to itself, or to a TCB or CNode that held the last
 *    one to it). Emptying skips it; when the object that holds it is
 *    destroyed, the root moves into that object's zombie's slot, one level
 *    up, so it never outlives the memory it is in.
 */
static struct {
	struct slot *root;
	struct slot *deepest;
} dying;

/* The capability a zombie stands for, as object_cap_removed must see it. */
static struct cap zombie_cap(const struct slot *z)
{
	struct cap c = z->cap;

	c.type = c.reserved;
	c.reserved = 0;
	return c;
}

/* Turn s, which holds the last capability to a CNode or TCB, into a zombie below above. */
static void zombie_make(struct slot *s, const struct slot *above)
{
	object_dying(&s->cap);
	s->cap.reserved = s->cap.type;
	s->cap.type = CAP_TYPE_ZOMBIE;
	s->cap.data = 0;
	s->cap.data2 = above == dying.root ? 0 : (uintptr_t)above;
}

static bool slot_within(const struct slot *s, const struct slot *slots, size_t count)
{
	return (uintptr_t)s >= (uintptr_t)slots && (uintptr_t)s < (uintptr_t)(slots + count);
}

/* Slots a step of a deletion looks at, at most, before it passes a preemption point. */
#define ZOMBIE_SCAN 64

/*
 * The next full slot of z's object to delete from; NULL if none is left,
 * and then *empty. The cursor moves up to it; after ZOMBIE_SCAN empty slots
 * the step ends with NULL and !*empty, so a large sparse CNode is looked
 * through between preemption points.
 */
static struct slot *zombie_next(struct slot *z, bool *empty)
{
	struct cap c = zombie_cap(z);
	size_t count;
	struct slot *slots = object_slots(&c, &count);
	size_t stop = count - z->cap.data > ZOMBIE_SCAN ? z->cap.data + ZOMBIE_SCAN : count;

	for (; z->cap.data < stop; z->cap.data++) {
		struct slot *s = &slots[z->cap.data];

		if (!slot_is_empty(s) && s != dying.root)
			return s;
	}
	*empty = z->cap.data == count;
	return NULL;
}

/* z's object holds nothing more: destroy it, and go on one level up. */
static void zombie_destroy(struct slot *z)
{
	struct cap gone = zombie_cap(z);
	uintptr_t above = z->cap.data2;
	bool is_root = z == dying.root;
	size_t count;
	struct slot *slots = object_slots(&gone, &count);

	tree_remove(z);
	slot_clear(z);
	if (!is_root && slot_within(dying.root, slots, count)) {
		slot_move(dying.root, z);
		dying.root = z;
	}
	if (is_root)
		dying.root = NULL;
	dying.deepest = is_root ? NULL : above != 0 ? (struct slot *)above : dying.root;
	object_cap_removed(&gone, true);
}

/* Go on with the deletion in progress, to its end or to a preemption point. */
static enum mica_error dying_continue(void)
{
	while (dying.root != NULL) {
		struct slot *z = dying.deepest;
		bool empty = false;
		struct slot *s = zombie_next(z, &empty);

		if (s == NULL) {
			if (empty)
				zombie_destroy(z);
		} else if (delete_walks(s)) {
			zombie_make(s, z);
			dying.deepest = s;
		} else {
			delete_leaf(s);
		}
		if (dying.root != NULL && preempt_pending())
			return ERR_PREEMPTED;
	}
	return MICA_OK;
}

enum mica_error slot_delete_preemptible(struct slot *s)
{
	enum mica_error err;

	if (slot_is_empty(s))
		return MICA_OK;
	if (!slot_is_zombie(s) && !delete_walks(s)) {
		delete_leaf(s);
		return MICA_OK;
	}
	/* One at a time: the one in progress first (s may be part of it). */
	err = dying_continue();
	if (err != MICA_OK || slot_is_empty(s))
		return err;
	if (!delete_walks(s)) {
		delete_leaf(s);
		return MICA_OK;
	}
	zombie_make(s, NULL);
	dying.root = s;
	dying.deepest = s;
	return dying_continue();
}

void slot_delete(struct slot *s)
{
	bool walks = !slot_is_empty(s) && (slot_is_zombie(s) || delete_walks(s));

	while (slot_delete_preemptible(s) != MICA_OK)
		;
	/* s may have been a root that moved on (see above): finish that too. */
	while (walks && dying_continue() != MICA_OK)
		;
}

const struct slot *slot_deletion_root(void)
{
	return dying.root;
}

bool zombie_in_place(const struct slot *z)
{
	const struct slot *above =
		z->cap.data2 != 0 ? (const struct slot *)z->cap.data2 : dying.root;
	struct cap c;
	size_t count;
	const struct slot *slots;

	if (dying.root == NULL || z->first_child != NULL)
		return false;
	if (z == dying.root)
		return true;
	if (!slot_is_zombie(above))
		return false;
	c = zombie_cap(above);
	slots = object_slots(&c, &count);
	return slot_within(z, slots, count);
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
	 * is a preemption point: the revoke made again starts from s anew, and
	 * finishes any deletion it left part-way when it meets its zombie.
	 */
	while (s->first_child != NULL) {
		struct slot *up;
		bool cascades;
		enum mica_error err;

		while (cur->first_child != NULL)
			cur = cur->first_child;
		up = cur->parent;
		cascades = slot_is_zombie(cur) || delete_cascades(cur);
		err = slot_delete_preemptible(cur);
		if (err != MICA_OK)
			return err;
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
