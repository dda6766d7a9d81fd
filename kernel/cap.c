/*
 * Capabilities and the derivation tree: deriving one capability from another,
 * putting capabilities into slots, moving them, and taking them out of the
 * tree (delete.c deletes them, which is where objects die).
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
 * The kernel runs on one 16 KiB stack, so nothing here recurses.
 */
#include "cap.h"
#include "cnode.h"

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

	if (src->type == MICA_OBJ_NULL || src->type == CAP_TYPE_ZOMBIE)
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
 *
 * A zombie (delete.c) never has children, so zombies are set aside first:
 * each is the only capability to its object, so they go last among the new
 * root's children, or, with no other child to take s's place, become
 * roots of their own.
 */
static void promote_first_child(struct slot *s)
{
	struct chain zombies = {NULL, NULL};
	struct slot *heir;
	struct slot *own_last;
	struct chain run;
	struct chain rest;

	for (struct slot *c = s->first_child, *next; c != NULL; c = next) {
		next = c->next_sibling;
		if (!slot_is_zombie(c))
			continue;
		sibling_unlink(c);
		c->parent = NULL;
		c->prev_sibling = zombies.last;
		if (zombies.last != NULL)
			zombies.last->next_sibling = c;
		else
			zombies.first = c;
		zombies.last = c;
	}
	heir = s->first_child;
	if (heir == NULL) {
		for (struct slot *z = zombies.first, *next; z != NULL; z = next) {
			next = z->next_sibling;
			z->prev_sibling = NULL;
			z->next_sibling = NULL;
		}
		return;
	}
	own_last = last_sibling(heir->first_child);
	split_run(heir->next_sibling, &heir->cap, heir, &run, &rest);
	heir->parent = NULL;
	heir->prev_sibling = NULL;
	heir->next_sibling = NULL;
	chain_insert(heir, NULL, run);
	chain_insert(heir, own_last != NULL ? own_last : run.last, rest);
	for (struct slot *z = zombies.first; z != NULL; z = z->next_sibling)
		z->parent = heir;
	chain_insert(heir, last_sibling(heir->first_child), zombies);
}

/* Take s out of the derivation tree, its children taking its place. */
void tree_remove(struct slot *s)
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

void slot_clear(struct slot *s)
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
