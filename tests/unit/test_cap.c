/*
 * Unit tests for capabilities and the derivation tree (kernel/cap.c and kernel/delete.c, and
 * copy and move in kernel/cnode.c): derivation rules, insert, move and
 * mutate, deletion with splicing, finality, revoke, the destruction of
 * nested and self-referencing CNodes (also when preemption points stop it
 * part-way), and a model-based test that runs
 * thousands of random operation sequences against a simple reference model.
 *
 * The object layer is this file's recording stubs: every capability the
 * kernel removes is logged, and destroying an object with slots checks that
 * its slots are already empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cnode.h"
#include "fake.h"
#include "objects.h"
#include "preempt.h"

/* The object layer, recorded ------------------------------------------------------------ */

#define MAX_REMOVALS 16384

struct removal {
	struct cap cap;
	bool final;
};

static struct removal removals[MAX_REMOVALS];
static size_t removal_count;

/* A stand-in TCB: an object with slots that is not a CNode. */
struct fake_tcb {
	struct slot slots[3];
};

static struct fake_tcb tcb;

struct slot *object_slots(const struct cap *cap, size_t *count)
{
	if (cap->type == MICA_OBJ_CNODE) {
		*count = (size_t)1 << cap->size_bits;
		return (struct slot *)cap->object;
	}
	if (cap->type == MICA_OBJ_TCB && cap->object == (uintptr_t)&tcb) {
		*count = ARRAY_SIZE(tcb.slots);
		return tcb.slots;
	}
	*count = 0;
	return NULL;
}

/* How many objects were told they are dying. */
static unsigned dying_count;

void object_dying(const struct cap *cap)
{
	assert_true(cap->type == MICA_OBJ_CNODE || cap->type == MICA_OBJ_TCB);
	dying_count++;
}

void object_cap_removed(const struct cap *cap, bool final)
{
	assert_true(cap->type != MICA_OBJ_NULL && cap->type < MICA_OBJ_TYPE_COUNT);
	assert_int_equal(cap->reserved, 0);
	if (final) {
		size_t count;
		struct slot *slots = object_slots(cap, &count);

		for (size_t i = 0; i < count; i++)
			assert_true(slot_is_empty(&slots[i]));
	}
	assert_true(removal_count < MAX_REMOVALS);
	removals[removal_count++] = (struct removal){*cap, final};
}

/* How many removals of capabilities to c's object were logged, final or not. */
static unsigned removed(const struct cap *c, bool final)
{
	unsigned n = 0;

	for (size_t i = 0; i < removal_count; i++)
		if (removals[i].final == final && cap_same_object(&removals[i].cap, c))
			n++;
	return n;
}

/* The position in the log of the final removal of c's object. */
static size_t destroyed_at(const struct cap *c)
{
	for (size_t i = 0; i < removal_count; i++)
		if (removals[i].final && cap_same_object(&removals[i].cap, c))
			return i;
	fail_msg("object never destroyed");
	return 0;
}

/* Capabilities to made-up objects ------------------------------------------------------- */

static uintptr_t next_object = 0x100000;

static struct cap new_cap(uint8_t type)
{
	struct cap c = {.type = type, .rights = MICA_RIGHTS_ALL, .object = next_object};

	next_object += 0x1000;
	if (type == MICA_OBJ_FRAME_4K)
		c.size_bits = MICA_PAGE_BITS;
	if (type == MICA_OBJ_UNTYPED)
		c.size_bits = 12;
	return c;
}

static struct cap cnode_cap(struct slot *slots, unsigned radix)
{
	return (struct cap){.type = MICA_OBJ_CNODE,
			    .rights = MICA_RIGHTS_ALL,
			    .size_bits = (uint8_t)radix,
			    .object = (uintptr_t)slots};
}

static struct cap mapped_frame(void)
{
	struct cap c = new_cap(MICA_OBJ_FRAME_4K);

	c.is_mapped = 1;
	c.map_rights = MICA_RIGHT_READ;
	c.data = 0x400000;
	c.data2 = 7;
	return c;
}

static struct slot s[16];

static int reset(void **state)
{
	(void)state;
	memset(s, 0, sizeof(s));
	removal_count = 0;
	return 0;
}

/* Tree shape ---------------------------------------------------------------------------- */

static unsigned child_count(const struct slot *p)
{
	unsigned n = 0;

	for (const struct slot *c = p->first_child; c != NULL; c = c->next_sibling)
		n++;
	return n;
}

static bool is_child_of(const struct slot *c, const struct slot *p)
{
	for (const struct slot *x = p->first_child; x != NULL; x = x->next_sibling)
		if (x == c)
			return c->parent == p;
	return false;
}

/*
 * Check the links of the slots in set: empty slots have none; children
 * lists are doubly linked and point back at their parent; roots have no
 * siblings; and the capabilities to one object are contiguous among
 * siblings, those to the parent's own object first.
 */
static void check_links(struct slot *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct slot *x = set[i];
		const struct slot *prev = NULL;
		unsigned count = 0;

		if (slot_is_empty(x)) {
			assert_null(x->parent);
			assert_null(x->first_child);
			assert_null(x->prev_sibling);
			assert_null(x->next_sibling);
			continue;
		}
		if (x->parent == NULL) {
			assert_null(x->prev_sibling);
			assert_null(x->next_sibling);
		} else if (x->prev_sibling == NULL) {
			assert_ptr_equal(x->parent->first_child, x);
		}
		for (const struct slot *c = x->first_child; c != NULL; c = c->next_sibling) {
			bool parent_run = cap_same_object(&c->cap, &x->cap);

			assert_false(slot_is_empty(c));
			assert_ptr_equal(c->parent, x);
			assert_ptr_equal(c->prev_sibling, prev);
			/* Rule 2: the parent's own object first... */
			if (prev != NULL && parent_run)
				assert_true(cap_same_object(&prev->cap, &x->cap));
			/* ...and no run resumes after it was left. */
			for (const struct slot *e = x->first_child; prev != NULL && e != prev;
			     e = e->next_sibling)
				if (cap_same_object(&e->cap, &c->cap))
					assert_true(
						cap_same_object(&e->next_sibling->cap, &c->cap));
			prev = c;
			assert_true(++count <= 100000);
		}
	}
}

/* Derivation ---------------------------------------------------------------------------- */

static void test_derive_ands_the_rights_with_the_source(void **state)
{
	struct cap src = new_cap(MICA_OBJ_ENDPOINT);
	struct cap out;

	(void)state;
	src.rights = MICA_RIGHT_READ | MICA_RIGHT_WRITE;
	assert_int_equal(cap_derive(&src, MICA_RIGHT_WRITE | MICA_RIGHT_GRANT, false, 0, &out),
			 MICA_OK);
	assert_int_equal(out.rights, MICA_RIGHT_WRITE);
	assert_int_equal(out.object, src.object);
	assert_int_equal(out.type, MICA_OBJ_ENDPOINT);
	assert_int_equal(cap_derive(&src, 0, false, 0, &out), MICA_OK);
	assert_int_equal(out.rights, 0);
}

static void test_derive_refuses_an_empty_source(void **state)
{
	struct cap empty = {0};
	struct cap out = new_cap(MICA_OBJ_ENDPOINT);
	struct cap before = out;

	(void)state;
	assert_int_equal(cap_derive(&empty, MICA_RIGHTS_ALL, false, 0, &out),
			 MICA_ERR_INVALID_CAPABILITY);
	assert_memory_equal(&out, &before, sizeof(out));
}

static void test_derive_refuses_untyped_and_irq_control(void **state)
{
	struct cap ut = new_cap(MICA_OBJ_UNTYPED);
	struct cap irq = {.type = MICA_OBJ_IRQ_CONTROL, .rights = MICA_RIGHTS_ALL};
	struct cap out = {0};

	(void)state;
	assert_int_equal(cap_derive(&ut, MICA_RIGHTS_ALL, false, 0, &out),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(cap_derive(&irq, MICA_RIGHTS_ALL, false, 0, &out),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(out.type, MICA_OBJ_NULL);
}

static void test_mint_sets_a_badge_only_once(void **state)
{
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);
	struct cap badged;
	struct cap again = {0};

	(void)state;
	assert_int_equal(cap_derive(&ep, MICA_RIGHTS_ALL, true, 42, &badged), MICA_OK);
	assert_int_equal(badged.data, 42);
	assert_int_equal(cap_derive(&badged, MICA_RIGHTS_ALL, true, 7, &again),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(cap_derive(&badged, MICA_RIGHTS_ALL, true, 0, &again),
			 MICA_ERR_ILLEGAL_OPERATION);
	/* A plain copy keeps the badge. */
	assert_int_equal(cap_derive(&badged, MICA_RIGHT_WRITE, false, 99, &again), MICA_OK);
	assert_int_equal(again.data, 42);
	/* Badge 0 means none, so the result can still be badged later. */
	assert_int_equal(cap_derive(&ep, MICA_RIGHTS_ALL, true, 0, &again), MICA_OK);
	assert_int_equal(again.data, 0);
	assert_int_equal(cap_derive(&again, MICA_RIGHTS_ALL, true, 5, &again), MICA_OK);
	assert_int_equal(again.data, 5);
}

static void test_mint_badges_notifications_too(void **state)
{
	struct cap n = new_cap(MICA_OBJ_NOTIFICATION);
	struct cap out;

	(void)state;
	assert_int_equal(cap_derive(&n, MICA_RIGHT_WRITE, true, UINT64_MAX, &out), MICA_OK);
	assert_int_equal(out.data, UINT64_MAX);
	assert_int_equal(out.rights, MICA_RIGHT_WRITE);
}

static void test_mint_sets_a_cnode_guard_within_range(void **state)
{
	struct cap cn = cnode_cap(s, 4);
	struct cap out = {0};

	(void)state;
	assert_int_equal(cap_derive(&cn, MICA_RIGHTS_ALL, true, (5 << 6) | 3, &out), MICA_OK);
	assert_int_equal(out.guard_bits, 3);
	assert_int_equal(out.data, 5);
	assert_int_equal(out.size_bits, 4);
	/* The value must fit in the guard size. */
	assert_int_equal(cap_derive(&cn, MICA_RIGHTS_ALL, true, (8 << 6) | 3, &out),
			 MICA_ERR_RANGE);
	assert_int_equal(cap_derive(&cn, MICA_RIGHTS_ALL, true, 1 << 6, &out), MICA_ERR_RANGE);
	/* Guard and radix together must fit in 64 bits. */
	assert_int_equal(cap_derive(&cn, MICA_RIGHTS_ALL, true, 60, &out), MICA_OK);
	assert_int_equal(cap_derive(&cn, MICA_RIGHTS_ALL, true, 61, &out), MICA_ERR_RANGE);
	/* A 58-bit guard or wider holds any value the data word can carry. */
	assert_int_equal(cap_derive(&cn, MICA_RIGHTS_ALL, true, UINT64_MAX - 63 + 58, &out),
			 MICA_OK);
	assert_int_equal(out.guard_bits, 58);
	assert_int_equal(out.data, UINT64_MAX >> 6);
	/* A CNode's guard may be changed again (it is not a badge). */
	assert_int_equal(cap_derive(&out, MICA_RIGHTS_ALL, true, 0, &out), MICA_OK);
	assert_int_equal(out.guard_bits, 0);
	assert_int_equal(out.data, 0);
}

static void test_mint_refuses_data_for_types_without_badge_or_guard(void **state)
{
	struct cap frame = new_cap(MICA_OBJ_FRAME_4K);
	struct cap thread = new_cap(MICA_OBJ_TCB);
	struct cap out = {0};

	(void)state;
	assert_int_equal(cap_derive(&frame, MICA_RIGHTS_ALL, true, 0, &out),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(cap_derive(&thread, MICA_RIGHTS_ALL, true, 1, &out),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(out.type, MICA_OBJ_NULL);
}

static void test_copy_of_a_mapped_frame_is_unmapped(void **state)
{
	struct cap frame = mapped_frame();
	struct cap out;

	(void)state;
	assert_int_equal(cap_derive(&frame, MICA_RIGHT_READ, false, 0, &out), MICA_OK);
	assert_int_equal(out.is_mapped, 0);
	assert_int_equal(out.map_rights, 0);
	assert_int_equal(out.data, 0);
	assert_int_equal(out.data2, 0);
	assert_int_equal(out.object, frame.object);
	assert_int_equal(out.size_bits, frame.size_bits);
	assert_int_equal(out.rights, MICA_RIGHT_READ);
}

/*
 * Issue 11, item 5: two copies of one page table could each map it, in a
 * VSpace and a VM at once. A page table has exactly one capability.
 */
static void test_a_page_table_capability_cannot_be_copied_mapped_or_not(void **state)
{
	struct cap table = new_cap(MICA_OBJ_PAGE_TABLE);
	struct cap out = {0};

	(void)state;
	assert_int_equal(cap_derive(&table, MICA_RIGHTS_ALL, false, 0, &out),
			 MICA_ERR_ILLEGAL_OPERATION);
	table.is_mapped = 1;
	table.data = 0x200000;
	table.data2 = 3;
	assert_int_equal(cap_derive(&table, MICA_RIGHTS_ALL, false, 0, &out),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(out.type, MICA_OBJ_NULL);
}

/* Insert, copy, move, mutate ------------------------------------------------------------ */

static void test_copy_makes_a_child_of_the_source(void **state)
{
	(void)state;
	slot_insert(&s[0], new_cap(MICA_OBJ_ENDPOINT), NULL);
	assert_int_equal(cnode_copy(&s[1], &s[0], MICA_RIGHT_READ, false, 0), MICA_OK);
	assert_int_equal(cnode_copy(&s[2], &s[0], MICA_RIGHTS_ALL, true, 9), MICA_OK);
	assert_true(is_child_of(&s[1], &s[0]));
	assert_true(is_child_of(&s[2], &s[0]));
	assert_int_equal(s[1].cap.rights, MICA_RIGHT_READ);
	assert_int_equal(s[2].cap.data, 9);
	assert_int_equal(child_count(&s[0]), 2);
	assert_null(s[0].parent);
	check_links((struct slot *[]){&s[0], &s[1], &s[2]}, 3);
}

static void test_copy_errors_change_nothing(void **state)
{
	struct slot before[4];

	(void)state;
	slot_insert(&s[0], new_cap(MICA_OBJ_ENDPOINT), NULL);
	slot_insert(&s[1], new_cap(MICA_OBJ_UNTYPED), NULL);
	slot_insert(&s[2], cnode_cap(&s[8], 2), NULL);
	slot_insert(&s[3], new_cap(MICA_OBJ_NOTIFICATION), NULL);
	memcpy(before, s, sizeof(before));
	assert_int_equal(cnode_copy(&s[4], &s[5], MICA_RIGHTS_ALL, false, 0),
			 MICA_ERR_INVALID_CAPABILITY);
	assert_int_equal(cnode_copy(&s[3], &s[0], MICA_RIGHTS_ALL, false, 0),
			 MICA_ERR_DELETE_FIRST);
	assert_int_equal(cnode_copy(&s[0], &s[0], MICA_RIGHTS_ALL, false, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(cnode_copy(&s[4], &s[1], MICA_RIGHTS_ALL, false, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(cnode_copy(&s[4], &s[2], MICA_RIGHTS_ALL, true, 63), MICA_ERR_RANGE);
	assert_int_equal(cnode_copy(&s[4], &s[0], MICA_RIGHTS_ALL, true, 1), MICA_OK);
	assert_int_equal(cnode_copy(&s[5], &s[4], MICA_RIGHTS_ALL, true, 2),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_memory_equal(&s[1], &before[1], 3 * sizeof(struct slot));
	assert_true(slot_is_empty(&s[5]));
	assert_int_equal(removal_count, 0);
}

static void test_move_carries_the_capability_and_its_tree_position(void **state)
{
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	slot_insert(&s[0], ep, NULL);
	slot_insert(&s[1], ep, &s[0]);
	slot_insert(&s[2], ep, &s[0]);
	slot_insert(&s[3], ep, &s[0]);
	slot_insert(&s[4], ep, &s[2]);
	slot_insert(&s[5], ep, &s[2]);
	assert_int_equal(cnode_move(&s[9], &s[2], false, 0, 0), MICA_OK);
	assert_true(slot_is_empty(&s[2]));
	assert_true(is_child_of(&s[9], &s[0]));
	assert_true(is_child_of(&s[4], &s[9]));
	assert_true(is_child_of(&s[5], &s[9]));
	assert_int_equal(child_count(&s[0]), 3);
	assert_int_equal(s[9].cap.rights, MICA_RIGHTS_ALL);
	check_links((struct slot *[]){&s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[9]}, 7);
	/* The first child and a root move as well. */
	assert_int_equal(cnode_move(&s[10], &s[0], false, 0, 0), MICA_OK);
	assert_int_equal(cnode_move(&s[11], &s[3], false, 0, 0), MICA_OK);
	assert_true(is_child_of(&s[11], &s[10]));
	assert_true(is_child_of(&s[9], &s[10]));
	assert_null(s[10].parent);
	check_links((struct slot *[]){&s[0], &s[1], &s[3], &s[4], &s[5], &s[9], &s[10], &s[11]}, 8);
	assert_int_equal(removal_count, 0);
}

static void test_move_takes_every_type_and_keeps_a_mapping(void **state)
{
	struct cap irq = {.type = MICA_OBJ_IRQ_CONTROL, .rights = MICA_RIGHTS_ALL};

	(void)state;
	slot_insert(&s[0], new_cap(MICA_OBJ_UNTYPED), NULL);
	slot_insert(&s[1], irq, NULL);
	slot_insert(&s[2], mapped_frame(), NULL);
	assert_int_equal(cnode_move(&s[3], &s[0], false, 0, 0), MICA_OK);
	assert_int_equal(cnode_move(&s[4], &s[1], false, 0, 0), MICA_OK);
	assert_int_equal(cnode_move(&s[5], &s[2], false, 0, 0), MICA_OK);
	assert_int_equal(s[3].cap.type, MICA_OBJ_UNTYPED);
	assert_int_equal(s[4].cap.type, MICA_OBJ_IRQ_CONTROL);
	assert_int_equal(s[5].cap.is_mapped, 1);
	assert_int_equal(s[5].cap.data, 0x400000);
	assert_int_equal(s[5].cap.data2, 7);
}

static void test_move_errors_change_nothing(void **state)
{
	(void)state;
	slot_insert(&s[0], new_cap(MICA_OBJ_ENDPOINT), NULL);
	slot_insert(&s[1], new_cap(MICA_OBJ_UNTYPED), NULL);
	assert_int_equal(cnode_move(&s[2], &s[3], false, 0, 0), MICA_ERR_INVALID_CAPABILITY);
	assert_int_equal(cnode_move(&s[0], &s[0], false, 0, 0), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(cnode_move(&s[1], &s[0], false, 0, 0), MICA_ERR_DELETE_FIRST);
	assert_int_equal(cnode_move(&s[2], &s[1], true, 0, 0), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(s[0].cap.type, MICA_OBJ_ENDPOINT);
	assert_int_equal(s[1].cap.type, MICA_OBJ_UNTYPED);
	assert_true(slot_is_empty(&s[2]));
}

static void test_mutate_applies_rights_and_badge_while_moving(void **state)
{
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	slot_insert(&s[0], ep, NULL);
	slot_insert(&s[1], ep, &s[0]);
	slot_insert(&s[2], ep, &s[1]);
	assert_int_equal(cnode_move(&s[5], &s[1], true, MICA_RIGHT_WRITE, 77), MICA_OK);
	assert_true(slot_is_empty(&s[1]));
	assert_int_equal(s[5].cap.rights, MICA_RIGHT_WRITE);
	assert_int_equal(s[5].cap.data, 77);
	assert_true(is_child_of(&s[5], &s[0]));
	assert_true(is_child_of(&s[2], &s[5]));
	/* A badge is set once, by mint or mutate alike; a refusal changes nothing. */
	assert_int_equal(cnode_move(&s[6], &s[5], true, MICA_RIGHTS_ALL, 78),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(s[5].cap.data, 77);
	assert_true(slot_is_empty(&s[6]));
	/* A CNode's guard changes with mutate. */
	slot_insert(&s[3], cnode_cap(&s[12], 2), NULL);
	assert_int_equal(cnode_move(&s[4], &s[3], true, MICA_RIGHTS_ALL, (1 << 6) | 1), MICA_OK);
	assert_int_equal(s[4].cap.guard_bits, 1);
	assert_int_equal(s[4].cap.data, 1);
	assert_int_equal(removal_count, 0);
}

/* Delete and finality ------------------------------------------------------------------- */

static void test_delete_of_an_empty_slot_does_nothing(void **state)
{
	(void)state;
	slot_delete(&s[0]);
	assert_int_equal(removal_count, 0);
	assert_true(slot_is_empty(&s[0]));
}

static void test_delete_splices_children_into_the_parent(void **state)
{
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	slot_insert(&s[0], ep, NULL);
	slot_insert(&s[1], ep, &s[0]);
	slot_insert(&s[2], ep, &s[0]);
	slot_insert(&s[3], ep, &s[1]);
	slot_insert(&s[4], ep, &s[1]);
	slot_insert(&s[5], ep, &s[3]);
	slot_delete(&s[1]);
	assert_true(slot_is_empty(&s[1]));
	assert_true(is_child_of(&s[2], &s[0]));
	assert_true(is_child_of(&s[3], &s[0]));
	assert_true(is_child_of(&s[4], &s[0]));
	assert_true(is_child_of(&s[5], &s[3]));
	assert_int_equal(child_count(&s[0]), 3);
	assert_int_equal(removed(&ep, false), 1);
	assert_int_equal(removed(&ep, true), 0);
	check_links((struct slot *[]){&s[0], &s[1], &s[2], &s[3], &s[4], &s[5]}, 6);
}

static void test_delete_of_a_root_makes_its_first_child_the_root(void **state)
{
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);
	struct slot *heir;

	(void)state;
	slot_insert(&s[0], ep, NULL);
	slot_insert(&s[1], ep, &s[0]);
	slot_insert(&s[2], ep, &s[0]);
	slot_insert(&s[3], ep, &s[0]);
	slot_insert(&s[4], ep, &s[3]);
	heir = s[0].first_child;
	slot_delete(&s[0]);
	assert_null(heir->parent);
	assert_int_equal(child_count(heir), heir == &s[3] ? 3 : 2);
	for (int i = 1; i <= 3; i++)
		if (&s[i] != heir)
			assert_true(is_child_of(&s[i], heir));
	assert_true(s[4].parent == &s[3]);
	assert_false(cap_is_final(heir));
	check_links((struct slot *[]){&s[0], &s[1], &s[2], &s[3], &s[4]}, 5);
	for (int i = 1; i <= 4; i++)
		slot_delete(&s[i]);
	assert_int_equal(removed(&ep, false), 4);
	assert_int_equal(removed(&ep, true), 1);
}

static void test_delete_of_a_root_keeps_other_objects_grouped(void **state)
{
	struct cap a = new_cap(MICA_OBJ_ENDPOINT);
	struct cap b = new_cap(MICA_OBJ_NOTIFICATION);
	struct cap c = new_cap(MICA_OBJ_TCB);
	struct slot *all[12];

	(void)state;
	for (int i = 0; i < 12; i++)
		all[i] = &s[i];
	/* A root Untyped with three objects, two of them copied below and beside. */
	slot_insert(&s[0], new_cap(MICA_OBJ_UNTYPED), NULL);
	slot_insert(&s[1], a, &s[0]);
	slot_insert(&s[2], b, &s[0]);
	slot_insert(&s[3], c, &s[0]);
	slot_insert(&s[4], a, &s[1]);
	slot_insert(&s[5], b, &s[2]);
	slot_insert(&s[6], b, &s[2]);
	slot_delete(&s[2]); /* b's copies join the Untyped's children. */
	check_links(all, 12);
	slot_delete(&s[0]);
	check_links(all, 12);
	for (int i = 1; i <= 6; i++)
		if (i != 2)
			assert_false(slot_is_empty(&s[i]));
	assert_true(cap_is_final(&s[3]));
	assert_false(cap_is_final(&s[5]));
	assert_false(cap_is_final(&s[1]));
	slot_delete(&s[4]);
	assert_true(cap_is_final(&s[1]));
	slot_delete(&s[6]);
	assert_true(cap_is_final(&s[5]));
	check_links(all, 12);
}

static void test_only_the_last_capability_is_final(void **state)
{
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);
	struct cap other = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	slot_insert(&s[0], new_cap(MICA_OBJ_UNTYPED), NULL);
	slot_insert(&s[1], ep, &s[0]);
	slot_insert(&s[2], other, &s[0]);
	assert_true(cap_is_final(&s[1]));
	assert_true(cap_is_final(&s[0]));
	assert_int_equal(cnode_copy(&s[3], &s[1], MICA_RIGHTS_ALL, false, 0), MICA_OK);
	assert_int_equal(cnode_copy(&s[4], &s[3], MICA_RIGHTS_ALL, true, 3), MICA_OK);
	assert_false(cap_is_final(&s[1]));
	assert_false(cap_is_final(&s[3]));
	assert_false(cap_is_final(&s[4]));
	assert_true(cap_is_final(&s[2]));
	assert_false(cap_is_final(&s[5]));
	slot_delete(&s[1]);
	slot_delete(&s[3]);
	assert_int_equal(removed(&ep, true), 0);
	assert_true(cap_is_final(&s[4]));
	assert_true(is_child_of(&s[4], &s[0]));
	slot_delete(&s[4]);
	assert_int_equal(removed(&ep, false), 2);
	assert_int_equal(removed(&ep, true), 1);
	assert_int_equal(removed(&other, false) + removed(&other, true), 0);
}

static void test_irq_handlers_are_the_same_object_by_interrupt(void **state)
{
	struct cap a = {.type = MICA_OBJ_IRQ_HANDLER, .data = 33};
	struct cap b = {.type = MICA_OBJ_IRQ_HANDLER, .data = 33};
	struct cap c = {.type = MICA_OBJ_IRQ_HANDLER, .data = 34};
	struct cap ut_small = {.type = MICA_OBJ_UNTYPED, .object = 0x1000, .size_bits = 12};
	struct cap ut_big = {.type = MICA_OBJ_UNTYPED, .object = 0x1000, .size_bits = 16};
	struct cap empty = {0};

	(void)state;
	assert_true(cap_same_object(&a, &b));
	assert_false(cap_same_object(&a, &c));
	assert_false(cap_same_object(&ut_small, &ut_big));
	assert_false(cap_same_object(&empty, &empty));
}

/* CNode destruction --------------------------------------------------------------------- */

static struct slot cn_a[4];
static struct slot cn_b[4];
static struct slot cn_c[2];

static int reset_cnodes(void **state)
{
	memset(cn_a, 0, sizeof(cn_a));
	memset(cn_b, 0, sizeof(cn_b));
	memset(cn_c, 0, sizeof(cn_c));
	return reset(state);
}

static void test_deleting_the_last_cnode_capability_deletes_its_contents_first(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);
	struct cap n = new_cap(MICA_OBJ_NOTIFICATION);

	(void)state;
	slot_insert(&s[0], a, NULL);
	slot_insert(&cn_a[1], ep, NULL);
	slot_insert(&cn_a[3], n, NULL);
	slot_insert(&s[1], n, &cn_a[3]);
	slot_delete(&s[0]);
	for (int i = 0; i < 4; i++)
		assert_true(slot_is_empty(&cn_a[i]));
	assert_int_equal(removed(&a, true), 1);
	assert_int_equal(removed(&ep, true), 1);
	assert_int_equal(removed(&n, false), 1);
	assert_int_equal(removed(&n, true), 0);
	assert_int_equal(removal_count, 3);
	assert_int_equal(destroyed_at(&a), 2);
	/* The notification's other capability took the deleted one's place. */
	assert_null(s[1].parent);
	assert_true(cap_is_final(&s[1]));
}

static void test_deleting_a_copy_of_a_cnode_leaves_its_contents(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);

	(void)state;
	slot_insert(&s[0], a, NULL);
	slot_insert(&s[1], a, &s[0]);
	slot_insert(&cn_a[0], new_cap(MICA_OBJ_ENDPOINT), NULL);
	slot_delete(&s[0]);
	assert_false(slot_is_empty(&cn_a[0]));
	assert_int_equal(removal_count, 1);
	assert_int_equal(removed(&a, false), 1);
}

static void test_a_cnode_holding_its_last_capability_is_destroyed_once(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	slot_insert(&s[0], a, NULL);
	assert_int_equal(cnode_copy(&cn_a[2], &s[0], MICA_RIGHTS_ALL, false, 0), MICA_OK);
	slot_insert(&cn_a[0], ep, NULL);
	/* With a capability outside as well, deleting either destroys nothing. */
	slot_delete(&s[0]);
	assert_int_equal(removed(&a, false), 1);
	assert_int_equal(removal_count, 1);
	/* Now the CNode deletes its own last capability from inside. */
	slot_delete(&cn_a[2]);
	assert_int_equal(removed(&a, true), 1);
	assert_int_equal(removed(&ep, true), 1);
	assert_int_equal(removal_count, 3);
	assert_int_equal(destroyed_at(&a), 2);
	for (int i = 0; i < 4; i++)
		assert_true(slot_is_empty(&cn_a[i]));
}

static void test_nested_and_self_referencing_cnodes_are_all_destroyed(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);
	struct cap b = cnode_cap(cn_b, 2);
	struct cap c = cnode_cap(cn_c, 1);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	/* A holds its own capability and B's last; B holds C's last; C an endpoint. */
	slot_insert(&cn_a[3], a, NULL);
	slot_insert(&cn_a[1], b, NULL);
	slot_insert(&cn_b[0], c, NULL);
	slot_insert(&cn_c[1], ep, NULL);
	slot_insert(&cn_b[3], a, &cn_a[3]); /* B holds a copy of A's. */
	slot_delete(&cn_a[3]);
	/* The copy in B survives, so nothing died. */
	assert_int_equal(removal_count, 1);
	slot_delete(&cn_b[3]);
	/* That was A's last: A, and with it B, C and the endpoint, die. */
	assert_int_equal(removed(&a, false), 1);
	assert_int_equal(removed(&a, true), 1);
	assert_int_equal(removed(&b, true), 1);
	assert_int_equal(removed(&c, true), 1);
	assert_int_equal(removed(&ep, true), 1);
	assert_int_equal(removal_count, 5);
	assert_true(destroyed_at(&ep) < destroyed_at(&c));
	assert_true(destroyed_at(&c) < destroyed_at(&b));
	assert_true(destroyed_at(&b) < destroyed_at(&a));
	for (int i = 0; i < 4; i++) {
		assert_true(slot_is_empty(&cn_a[i]));
		assert_true(slot_is_empty(&cn_b[i]));
	}
}

static void test_a_slot_deleted_inside_the_cnodes_it_kills_is_not_seen_twice(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);
	struct cap b = cnode_cap(cn_b, 2);

	(void)state;
	/* B's slot holds A's last capability; A's slot holds B's. */
	slot_insert(&cn_b[1], a, NULL);
	slot_insert(&cn_a[0], b, NULL);
	slot_insert(&cn_a[2], new_cap(MICA_OBJ_REPLY), NULL);
	slot_delete(&cn_b[1]);
	assert_int_equal(removed(&a, true), 1);
	assert_int_equal(removed(&b, true), 1);
	assert_int_equal(removal_count, 3);
	assert_true(destroyed_at(&b) < destroyed_at(&a));
}

#define CHAIN_LENGTH 4096

static struct slot chain[CHAIN_LENGTH][2];

/* s[0] the last capability to a chain of CNodes, each holding the last one to the next; the last an
 * endpoint. */
static void make_chain(void)
{
	memset(chain, 0, sizeof(chain));
	slot_insert(&s[0], cnode_cap(chain[0], 1), NULL);
	for (int i = 0; i < CHAIN_LENGTH; i++) {
		if (i + 1 < CHAIN_LENGTH)
			slot_insert(&chain[i][1], cnode_cap(chain[i + 1], 1), NULL);
		else
			slot_insert(&chain[i][1], new_cap(MICA_OBJ_ENDPOINT), NULL);
	}
}

static void test_a_chain_of_cnodes_deeper_than_the_stack_allows_is_destroyed(void **state)
{
	(void)state;
	make_chain();
	slot_delete(&s[0]);
	assert_int_equal(removal_count, CHAIN_LENGTH + 1);
	for (int i = 0; i < CHAIN_LENGTH; i++) {
		struct cap c = cnode_cap(chain[i], 1);

		assert_int_equal(removed(&c, true), 1);
		assert_int_equal(removed(&c, false), 0);
		assert_true(slot_is_empty(&chain[i][0]));
		assert_true(slot_is_empty(&chain[i][1]));
	}
	/* Innermost first: the endpoint, then the CNodes back out. */
	assert_int_equal(removals[0].cap.type, MICA_OBJ_ENDPOINT);
	assert_int_equal(removals[1].cap.object, (uintptr_t)chain[CHAIN_LENGTH - 1]);
	assert_int_equal(removals[CHAIN_LENGTH].cap.object, (uintptr_t)chain[0]);
}

static void test_objects_with_slots_that_are_not_cnodes_are_emptied_too(void **state)
{
	struct cap t = {.type = MICA_OBJ_TCB, .rights = MICA_RIGHTS_ALL, .object = (uintptr_t)&tcb};
	struct cap a = cnode_cap(cn_a, 2);
	struct cap frame = mapped_frame();

	(void)state;
	memset(&tcb, 0, sizeof(tcb));
	/* The TCB's last capability lives in A, and A's last in the TCB. */
	slot_insert(&cn_a[1], t, NULL);
	slot_insert(&tcb.slots[0], a, NULL);
	slot_insert(&tcb.slots[2], frame, NULL);
	slot_delete(&cn_a[1]);
	assert_int_equal(removed(&t, true), 1);
	assert_int_equal(removed(&a, true), 1);
	assert_int_equal(removed(&frame, true), 1);
	assert_int_equal(removal_count, 3);
	assert_true(destroyed_at(&a) < destroyed_at(&t));
	/* The frame capability was removed with its mapping for objects.c to undo. */
	assert_int_equal(removals[destroyed_at(&frame)].cap.is_mapped, 1);
	for (int i = 0; i < 3; i++)
		assert_true(slot_is_empty(&tcb.slots[i]));
}

static void test_deleting_cnode_contents_splices_their_children_elsewhere(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	slot_insert(&s[0], ep, NULL);
	slot_insert(&cn_a[0], ep, &s[0]);
	slot_insert(&s[1], ep, &cn_a[0]);
	slot_insert(&cn_a[1], ep, &s[1]);
	slot_insert(&s[2], ep, &cn_a[1]);
	slot_insert(&s[3], a, NULL);
	slot_delete(&s[3]);
	assert_true(is_child_of(&s[1], &s[0]));
	assert_true(is_child_of(&s[2], &s[1]));
	assert_int_equal(removed(&ep, false), 2);
	assert_int_equal(removed(&a, true), 1);
	check_links((struct slot *[]){&s[0], &s[1], &s[2], &s[3], &cn_a[0], &cn_a[1]}, 6);
}

/* Deletion that stops part-way ------------------------------------------------------------ */

static struct slot cn_big[64];

/* Call the preemptible delete on d until it ends; how many calls it took. */
static unsigned delete_to_the_end(struct slot *d, size_t most_per_call)
{
	unsigned calls = 1;
	size_t before = removal_count;

	while (slot_delete_preemptible(d) == ERR_PREEMPTED) {
		assert_true(removal_count - before <= most_per_call);
		before = removal_count;
		calls++;
	}
	assert_null(slot_deletion_root());
	return calls;
}

static void test_a_large_cnode_dies_across_preemption_points(void **state)
{
	struct cap big = cnode_cap(cn_big, 6);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);
	unsigned calls = 1;

	(void)state;
	memset(cn_big, 0, sizeof(cn_big));
	slot_insert(&s[2], new_cap(MICA_OBJ_UNTYPED), NULL);
	slot_insert(&s[0], big, &s[2]);
	slot_insert(&cn_big[0], ep, NULL);
	for (int i = 1; i < 64; i++)
		slot_insert(&cn_big[i], ep, &cn_big[i - 1]);
	fake_preempt_every = 1;
	while (slot_delete_preemptible(&s[0]) == ERR_PREEMPTED) {
		calls++;
		/* Nothing is destroyed twice, and a call deletes one capability at most. */
		assert_true(removal_count <= (size_t)calls);
		assert_true(slot_is_zombie(&s[0]));
		assert_ptr_equal(slot_deletion_root(), &s[0]);
		/* In between, the zombie is no capability: it cannot be copied or moved... */
		assert_int_equal(cnode_copy(&s[1], &s[0], MICA_RIGHTS_ALL, false, 0),
				 MICA_ERR_INVALID_CAPABILITY);
		assert_int_equal(cnode_move(&s[1], &s[0], false, MICA_RIGHTS_ALL, 0),
				 MICA_ERR_INVALID_CAPABILITY);
		assert_true(slot_is_empty(&s[1]));
		/* ...and the Untyped still has a child, so its memory cannot be retyped. */
		assert_true(slot_has_children(&s[2]));
		assert_int_equal(removed(&big, true), 0);
	}
	fake_preempt_every = 0;
	assert_true(calls >= 64);
	assert_int_equal(removed(&ep, true), 1);
	assert_int_equal(removed(&ep, false), 63);
	assert_int_equal(removed(&big, true), 1);
	assert_int_equal(destroyed_at(&big), 64);
	for (int i = 0; i < 64; i++)
		assert_true(slot_is_empty(&cn_big[i]));
	assert_true(slot_is_empty(&s[0]));
	assert_false(slot_has_children(&s[2]));
	assert_null(slot_deletion_root());
}

static void test_a_deletion_in_progress_ends_before_another_begins(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);
	struct cap b = cnode_cap(cn_b, 2);
	struct cap ep_a = new_cap(MICA_OBJ_ENDPOINT);
	struct cap ep_b = new_cap(MICA_OBJ_NOTIFICATION);

	(void)state;
	slot_insert(&s[0], a, NULL);
	slot_insert(&s[1], b, NULL);
	for (int i = 0; i < 4; i++) {
		slot_insert(&cn_a[i], ep_a, i == 0 ? NULL : &cn_a[i - 1]);
		slot_insert(&cn_b[i], ep_b, i == 0 ? NULL : &cn_b[i - 1]);
	}
	fake_preempt_every = 1;
	assert_int_equal(slot_delete_preemptible(&s[0]), ERR_PREEMPTED);
	assert_true(slot_is_zombie(&s[0]));
	/* Plain deletions do not wait for it... */
	slot_insert(&s[3], new_cap(MICA_OBJ_REPLY), NULL);
	assert_int_equal(slot_delete_preemptible(&s[3]), MICA_OK);
	/* ...but destroying B finishes A first. */
	(void)delete_to_the_end(&s[1], 2);
	fake_preempt_every = 0;
	assert_true(slot_is_empty(&s[0]));
	assert_true(slot_is_empty(&s[1]));
	assert_int_equal(removed(&a, true), 1);
	assert_int_equal(removed(&b, true), 1);
	assert_true(destroyed_at(&a) < destroyed_at(&ep_b));
	assert_true(destroyed_at(&ep_b) < destroyed_at(&b));
}

static void test_cycles_of_last_capabilities_die_across_preemption_points(void **state)
{
	struct cap t = {.type = MICA_OBJ_TCB, .rights = MICA_RIGHTS_ALL, .object = (uintptr_t)&tcb};
	struct cap a = cnode_cap(cn_a, 2);
	struct cap b = cnode_cap(cn_b, 2);
	struct cap c = cnode_cap(cn_c, 1);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	for (unsigned every = 1; every <= 4; every++) {
		reset_cnodes(state);
		memset(&tcb, 0, sizeof(tcb));
		/*
		 * An Untyped made them all. A holds B's last capability, B the
		 * TCB's, the TCB A's (a cycle no CSpace reaches) and C's; C
		 * holds its own last capability and an endpoint. Revoking the
		 * Untyped meets these capabilities in tree order, from inside.
		 */
		slot_insert(&s[0], new_cap(MICA_OBJ_UNTYPED), NULL);
		slot_insert(&tcb.slots[0], a, &s[0]);
		slot_insert(&cn_a[1], b, &s[0]);
		slot_insert(&cn_b[2], t, &s[0]);
		slot_insert(&tcb.slots[1], c, &s[0]);
		slot_insert(&cn_c[0], ep, &s[0]);
		slot_insert(&cn_a[3], ep, &cn_c[0]);
		fake_preempt_every = every;
		while (slot_revoke_preemptible(&s[0]) == ERR_PREEMPTED)
			;
		fake_preempt_every = 0;
		assert_null(slot_deletion_root());
		assert_null(s[0].first_child);
		assert_int_equal(removed(&a, true), 1);
		assert_int_equal(removed(&b, true), 1);
		assert_int_equal(removed(&t, true), 1);
		assert_int_equal(removed(&c, true), 1);
		assert_int_equal(removed(&ep, true), 1);
		assert_int_equal(removal_count, 6);
		for (int i = 0; i < 4; i++)
			assert_true(slot_is_empty(&cn_a[i]) && slot_is_empty(&cn_b[i]));
		for (int i = 0; i < 3; i++)
			assert_true(slot_is_empty(&tcb.slots[i]));
		assert_true(slot_is_empty(&cn_c[0]) && slot_is_empty(&cn_c[1]));
	}
}

static struct slot cn_sparse[4096];

static void test_a_sparse_cnode_is_looked_through_between_preemption_points(void **state)
{
	struct cap sparse = cnode_cap(cn_sparse, 12);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);
	unsigned calls;

	(void)state;
	memset(cn_sparse, 0, sizeof(cn_sparse));
	slot_insert(&s[0], sparse, NULL);
	slot_insert(&cn_sparse[4095], ep, NULL);
	fake_preempt_every = 1;
	calls = delete_to_the_end(&s[0], 1);
	fake_preempt_every = 0;
	/* 4096 empty slots are not looked through at one go. */
	assert_true(calls >= 4096 / 64);
	assert_int_equal(removed(&ep, true), 1);
	assert_int_equal(removed(&sparse, true), 1);
}

static void test_a_zombie_takes_no_children_when_its_untyped_root_goes(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	for (int order = 0; order < 2; order++) {
		reset_cnodes(state);
		/* A root Untyped, with A (stopped part-way) first or last among its children. */
		slot_insert(&s[0], new_cap(MICA_OBJ_UNTYPED), NULL);
		if (order == 0)
			slot_insert(&s[2], ep, &s[0]);
		slot_insert(&s[1], a, &s[0]);
		if (order == 1)
			slot_insert(&s[2], ep, &s[0]);
		slot_insert(&s[3], ep, &s[2]);
		for (int i = 0; i < 4; i++)
			slot_insert(&cn_a[i], new_cap(MICA_OBJ_NOTIFICATION), NULL);
		fake_preempt_every = 1;
		assert_int_equal(slot_delete_preemptible(&s[1]), ERR_PREEMPTED);
		fake_preempt_every = 0;
		slot_delete(&s[0]);
		assert_true(slot_is_zombie(&s[1]));
		assert_null(s[1].first_child);
		assert_true(zombie_in_place(&s[1]));
		check_links((struct slot *[]){&s[0], &s[1], &s[2], &s[3]}, 4);
		slot_delete(&s[1]);
		assert_int_equal(removed(&a, true), 1);
		assert_null(slot_deletion_root());
	}
}

static void test_a_deep_chain_dies_one_step_per_preemption_point(void **state)
{
	unsigned calls;

	(void)state;
	make_chain();
	fake_preempt_every = 1;
	calls = delete_to_the_end(&s[0], 1);
	fake_preempt_every = 0;
	/* One step per call: down a level, or one object destroyed. */
	assert_int_equal(calls, 2 * CHAIN_LENGTH);
	assert_int_equal(removal_count, CHAIN_LENGTH + 1);
	for (int i = 0; i < CHAIN_LENGTH; i++)
		assert_true(slot_is_empty(&chain[i][0]) && slot_is_empty(&chain[i][1]));
}

/* Revoke -------------------------------------------------------------------------------- */

static void test_revoke_deletes_every_descendant_but_not_the_slot(void **state)
{
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	slot_insert(&s[0], ep, NULL);
	slot_insert(&s[1], ep, &s[0]);
	slot_insert(&s[2], ep, &s[1]);
	slot_insert(&s[3], ep, &s[2]);
	slot_insert(&s[4], ep, &s[1]);
	slot_insert(&s[5], ep, &s[0]);
	slot_insert(&s[6], ep, &s[4]);
	slot_revoke(&s[1]);
	assert_false(slot_is_empty(&s[0]));
	assert_false(slot_is_empty(&s[1]));
	assert_false(slot_is_empty(&s[5]));
	for (int i = 2; i <= 4; i++)
		assert_true(slot_is_empty(&s[i]));
	assert_true(slot_is_empty(&s[6]));
	assert_int_equal(removed(&ep, false), 4);
	assert_int_equal(removed(&ep, true), 0);
	assert_null(s[1].first_child);
	check_links((struct slot *[]){&s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[6]}, 7);
	slot_revoke(&s[0]);
	assert_true(cap_is_final(&s[0]));
	slot_revoke(&s[0]);
	assert_int_equal(removed(&ep, true), 0);
}

static void test_revoke_of_an_untyped_keeps_its_watermark_for_clearing(void **state)
{
	struct cap ut = new_cap(MICA_OBJ_UNTYPED);
	struct cap a = cnode_cap(cn_a, 2);

	(void)state;
	ut.data = 0x800;
	slot_insert(&s[0], ut, NULL);
	slot_insert(&s[1], new_cap(MICA_OBJ_ENDPOINT), &s[0]);
	slot_insert(&s[2], a, &s[0]);
	slot_insert(&s[3], a, &s[2]);
	slot_insert(&cn_a[0], new_cap(MICA_OBJ_NOTIFICATION), NULL);
	slot_revoke(&s[0]);
	/* What lies below it is not zero now: retype clears it first (test_untyped). */
	assert_int_equal(s[0].cap.data, 0x800);
	assert_null(s[0].first_child);
	assert_int_equal(removed(&a, true), 1);
	assert_true(slot_is_empty(&cn_a[0]));
	assert_int_equal(removal_count, 4);
}

static void test_revoke_survives_destroying_the_cnode_that_holds_the_revoked_slot(void **state)
{
	struct cap a = cnode_cap(cn_a, 2);
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	/* An Untyped in A; A and an endpoint made from it, A's capability outside. */
	slot_insert(&cn_a[0], new_cap(MICA_OBJ_UNTYPED), NULL);
	slot_insert(&s[1], ep, &cn_a[0]);
	slot_insert(&s[0], a, &cn_a[0]);
	slot_insert(&s[2], ep, &s[1]);
	slot_revoke(&cn_a[0]);
	assert_true(slot_is_empty(&cn_a[0]));
	assert_true(slot_is_empty(&s[0]));
	assert_int_equal(removed(&a, true), 1);
	check_links((struct slot *[]){&s[0], &s[1], &s[2], &cn_a[0]}, 4);
	/* Whatever of the endpoint survived is whole. */
	assert_int_equal(removed(&ep, true), slot_is_empty(&s[1]) && slot_is_empty(&s[2]));
}

static void test_revoke_of_a_long_copy_chain_uses_no_recursion(void **state)
{
	struct cap ep = new_cap(MICA_OBJ_ENDPOINT);

	(void)state;
	memset(chain, 0, sizeof(chain));
	slot_insert(&chain[0][0], ep, NULL);
	for (int i = 1; i < CHAIN_LENGTH; i++)
		slot_insert(&chain[i][0], ep, &chain[i - 1][0]);
	slot_revoke(&chain[0][0]);
	assert_int_equal(removed(&ep, false), CHAIN_LENGTH - 1);
	assert_int_equal(removed(&ep, true), 0);
	assert_true(cap_is_final(&chain[0][0]));
	for (int i = 1; i < CHAIN_LENGTH; i++)
		assert_true(slot_is_empty(&chain[i][0]));
}

/* The model-based test ------------------------------------------------------------------ */

/*
 * The world: a few external slots (like a TCB's) and a pool of small CNodes
 * that come and go. Slot ids number the external slots first, then every
 * pool slot.
 */
#define RADIX	  2
#define CN_SLOTS  (1 << RADIX)
#define POOL	  6
#define EXT	  4
#define UNIVERSE  (EXT + POOL * CN_SLOTS)
#define MAX_OBJS  512
#define SEQUENCES 3000
#define STEPS	  80

static struct slot ext[EXT];
static struct slot pool[POOL][CN_SLOTS];

struct mobj {
	uint8_t type;
	uintptr_t addr;
};

/* The model's view of a slot: what it holds and its parent's id (-1: none). */
struct mslot {
	uint64_t data;
	uint64_t data2;
	int obj;
	int parent;
	bool full;
	uint8_t rights;
	uint8_t guard_bits;
	uint8_t mapped;
};

static struct mobj mobjs[MAX_OBJS];
static int mobj_count;
static struct mslot m[UNIVERSE];
static int pool_owner[POOL]; /* The CNode object living in each pool entry, or -1. */
static uint64_t rng = 0x2545f4914f6cdd1d;
static unsigned long steps_run;
static unsigned long op_counts[5];

/* What the random runs reached, so that a quiet model cannot pass for a thorough one. */
static struct {
	unsigned long cnodes_destroyed; /* CNodes whose last capability went. */
	unsigned long nested_destroyed; /* Steps that destroyed two CNodes or more. */
	unsigned long roots_replaced;	/* Survivors re-rooted after their root died. */
	unsigned long revokes_run;	/* Revokes that deleted something. */
	unsigned long refusals;		/* Copies and moves that returned an error. */
	unsigned long successes;	/* Copies and moves that succeeded. */
} seen;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static struct slot *slot_of(int id)
{
	if (id < EXT)
		return &ext[id];
	return &pool[(id - EXT) / CN_SLOTS][(id - EXT) % CN_SLOTS];
}

static int id_of(const struct slot *x)
{
	for (int id = 0; id < UNIVERSE; id++)
		if (slot_of(id) == x)
			return id;
	fail_msg("a link points outside the world");
	return -1;
}

static bool accessible(int id)
{
	return id < EXT || pool_owner[(id - EXT) / CN_SLOTS] >= 0;
}

static uint8_t mtype(int id)
{
	return mobjs[m[id].obj].type;
}

/* The capability the model says slot id holds. */
static struct cap model_cap(int id)
{
	const struct mslot *x = &m[id];
	const struct mobj *o = &mobjs[x->obj];
	struct cap c = {.type = o->type, .rights = x->rights, .object = o->addr};

	c.guard_bits = x->guard_bits;
	c.is_mapped = x->mapped;
	c.map_rights = x->mapped ? MICA_RIGHT_READ : 0;
	c.data = x->data;
	c.data2 = x->data2;
	if (o->type == MICA_OBJ_CNODE)
		c.size_bits = RADIX;
	else if (o->type == MICA_OBJ_UNTYPED || o->type == MICA_OBJ_FRAME_4K)
		c.size_bits = 12;
	return c;
}

static unsigned caps_to(int obj)
{
	unsigned n = 0;

	for (int id = 0; id < UNIVERSE; id++)
		if (m[id].full && m[id].obj == obj)
			n++;
	return n;
}

/* The model object a capability names: the newest at its address (pool CNodes are reused). */
static int obj_of_cap(const struct cap *c)
{
	for (int o = mobj_count - 1; o >= 0; o--)
		if (mobjs[o].type == c->type && mobjs[o].addr == c->object)
			return o;
	fail_msg("a removed capability names no model object");
	return -1;
}

static void world_reset(void)
{
	memset(ext, 0, sizeof(ext));
	memset(pool, 0, sizeof(pool));
	memset(m, 0, sizeof(m));
	for (int id = 0; id < UNIVERSE; id++)
		m[id].parent = -1;
	for (int p = 0; p < POOL; p++)
		pool_owner[p] = -1;
	mobj_count = 0;
	removal_count = 0;
}

/* Compare every slot of the world with the model, and the tree's shape and finality. */
static void check_world(void)
{
	struct slot *all[UNIVERSE];

	for (int id = 0; id < UNIVERSE; id++) {
		struct slot *x = slot_of(id);

		all[id] = x;
		assert_int_equal(!slot_is_empty(x), m[id].full);
		if (!m[id].full)
			continue;
		struct cap want = model_cap(id);

		assert_int_equal(x->cap.type, want.type);
		assert_int_equal(x->cap.object, want.object);
		assert_int_equal(x->cap.rights, want.rights);
		assert_int_equal(x->cap.size_bits, want.size_bits);
		assert_int_equal(x->cap.guard_bits, want.guard_bits);
		assert_int_equal(x->cap.is_mapped, want.is_mapped);
		assert_int_equal(x->cap.map_rights, want.map_rights);
		assert_int_equal(x->cap.data, want.data);
		assert_int_equal(x->cap.data2, want.data2);
		assert_int_equal(x->parent != NULL ? id_of(x->parent) : -1, m[id].parent);
		assert_int_equal(cap_is_final(x), caps_to(m[id].obj) == 1);
		/* No cycles: every parent chain ends. */
		int hops = 0;

		for (int p = m[id].parent; p >= 0; p = m[p].parent)
			assert_true(++hops <= UNIVERSE);
	}
	check_links(all, UNIVERSE);
}

/* A random slot that can be used now; full with probability want_full/4 if any is. */
static int pick_slot(unsigned want_full)
{
	int ids[UNIVERSE];
	int n = 0;
	bool full = rnd(4) < want_full;

	for (int id = 0; id < UNIVERSE; id++)
		if (accessible(id) && m[id].full == full)
			ids[n++] = id;
	if (n == 0)
		for (int id = 0; id < UNIVERSE; id++)
			if (accessible(id))
				ids[n++] = id;
	return ids[rnd((unsigned)n)];
}

static int new_object(uint8_t type, uintptr_t addr)
{
	assert_true(mobj_count < MAX_OBJS);
	mobjs[mobj_count] = (struct mobj){type, addr};
	return mobj_count++;
}

/* A new object's first capability, as a root or under some full slot (often an Untyped). */
static void op_create(void)
{
	static const uint8_t kinds[] = {MICA_OBJ_ENDPOINT, MICA_OBJ_NOTIFICATION, MICA_OBJ_FRAME_4K,
					MICA_OBJ_UNTYPED,  MICA_OBJ_CNODE,	  MICA_OBJ_CNODE};
	int dest = pick_slot(0);
	uint8_t type = kinds[rnd(ARRAY_SIZE(kinds))];
	int parent = -1;
	int free_pool = -1;
	int obj;
	struct mslot *x = &m[dest];

	if (x->full)
		return;
	for (int p = 0; p < POOL && type == MICA_OBJ_CNODE; p++)
		if (pool_owner[p] < 0)
			free_pool = p;
	if (type == MICA_OBJ_CNODE && free_pool < 0)
		type = MICA_OBJ_ENDPOINT;
	if (rnd(4) != 0) {
		int uts[UNIVERSE];
		int n = 0;

		for (int id = 0; id < UNIVERSE; id++)
			if (m[id].full && (mtype(id) == MICA_OBJ_UNTYPED || rnd(8) == 0))
				uts[n++] = id;
		if (n > 0)
			parent = uts[rnd((unsigned)n)];
	}
	if (type == MICA_OBJ_CNODE) {
		for (int i = 0; i < CN_SLOTS; i++)
			assert_true(slot_is_empty(&pool[free_pool][i]));
		obj = new_object(type, (uintptr_t)pool[free_pool]);
		pool_owner[free_pool] = obj;
	} else {
		obj = new_object(type, next_object);
		next_object += 0x1000;
	}
	*x = (struct mslot){.full = true, .obj = obj, .rights = MICA_RIGHTS_ALL, .parent = parent};
	if (type == MICA_OBJ_UNTYPED)
		x->data = 0x100;
	if (type == MICA_OBJ_FRAME_4K && rnd(2) == 0) {
		x->mapped = 1;
		x->data = 0x400000;
		x->data2 = 1 + rnd(5);
	}
	slot_insert(slot_of(dest), model_cap(dest), parent >= 0 ? slot_of(parent) : NULL);
}

/* What deriving from src gives under the rules of cap.h, or the error. */
static enum mica_error model_derive(int src, unsigned rights, bool mint, uint64_t data,
				    struct mslot *out)
{
	uint8_t type = mtype(src);

	*out = m[src];
	out->rights = (uint8_t)(m[src].rights & rights);
	if (type == MICA_OBJ_UNTYPED)
		return MICA_ERR_ILLEGAL_OPERATION;
	if (mint) {
		if (type == MICA_OBJ_ENDPOINT || type == MICA_OBJ_NOTIFICATION) {
			if (m[src].data != 0)
				return MICA_ERR_ILLEGAL_OPERATION;
			out->data = data;
		} else if (type == MICA_OBJ_CNODE) {
			unsigned bits = (unsigned)(data & 63);
			uint64_t value = data >> 6;

			if (bits + RADIX > 64 || (bits < 58 && (value >> bits) != 0))
				return MICA_ERR_RANGE;
			out->guard_bits = (uint8_t)bits;
			out->data = value;
		} else {
			return MICA_ERR_ILLEGAL_OPERATION;
		}
	}
	return MICA_OK;
}

static uint64_t random_data(void)
{
	switch (rnd(4)) {
	case 0:
		return 0;
	case 1:
		return 1 + rnd(1000);
	case 2:
		return ((uint64_t)rnd(8) << 6) | rnd(4); /* A CNode guard, often valid. */
	default:
		return ((uint64_t)rnd(1u << 20) << 6) | (58 + rnd(6));
	}
}

static enum mica_error check_pair(int dest, int src)
{
	if (!m[src].full)
		return MICA_ERR_INVALID_CAPABILITY;
	if (dest == src)
		return MICA_ERR_ILLEGAL_OPERATION;
	if (m[dest].full)
		return MICA_ERR_DELETE_FIRST;
	return MICA_OK;
}

static void op_copy(void)
{
	int src = pick_slot(rnd(8) == 0 ? 0 : 4);
	int dest = rnd(6) == 0 ? pick_slot(4) : pick_slot(0);
	unsigned rights = rnd(16);
	bool mint = rnd(2) == 0;
	uint64_t data = random_data();
	struct mslot out;
	enum mica_error want = check_pair(dest, src);

	if (want == MICA_OK)
		want = model_derive(src, rights, mint, data, &out);
	assert_int_equal(cnode_copy(slot_of(dest), slot_of(src), rights, mint, data), want);
	if (want != MICA_OK) {
		seen.refusals++;
		return;
	}
	seen.successes++;
	if (mtype(src) == MICA_OBJ_FRAME_4K) {
		out.mapped = 0;
		out.data = 0;
		out.data2 = 0;
	}
	out.parent = src;
	m[dest] = out;
}

static void op_move(void)
{
	int src = pick_slot(rnd(8) == 0 ? 0 : 4);
	int dest = rnd(6) == 0 ? pick_slot(4) : pick_slot(0);
	bool mutate = rnd(3) == 0;
	unsigned rights = rnd(16);
	uint64_t data = random_data();
	struct mslot out;
	enum mica_error want = check_pair(dest, src);

	if (want == MICA_OK) {
		out = m[src];
		if (mutate)
			want = model_derive(src, rights, true, data, &out);
	}
	assert_int_equal(cnode_move(slot_of(dest), slot_of(src), mutate, rights, data), want);
	if (want != MICA_OK) {
		seen.refusals++;
		return;
	}
	seen.successes++;
	out.parent = m[src].parent;
	m[dest] = out;
	m[src] = (struct mslot){.parent = -1};
	for (int id = 0; id < UNIVERSE; id++)
		if (m[id].full && m[id].parent == src)
			m[id].parent = dest;
}

/*
 * Close the set of deleted slots: an object whose capabilities are all
 * deleted dies, and if it is a CNode every slot in it is deleted too.
 */
static void close_deletion(bool *del)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (int p = 0; p < POOL; p++) {
			int obj = pool_owner[p];
			bool dies = obj >= 0;

			for (int id = 0; id < UNIVERSE && dies; id++)
				if (m[id].full && m[id].obj == obj && !del[id])
					dies = false;
			for (int i = 0; i < CN_SLOTS && dies; i++) {
				int id = EXT + p * CN_SLOTS + i;

				if (m[id].full && !del[id]) {
					del[id] = true;
					changed = true;
				}
			}
		}
	}
}

static int old_root(int id)
{
	while (m[id].parent >= 0)
		id = m[id].parent;
	return id;
}

/*
 * The model's side of deleting the slots in del (already closed): check the
 * object layer's log, then the new tree. A survivor whose parent died moves
 * to its nearest surviving ancestor. Where that chain ends in a deleted root
 * the implementation chose which former child became the root; the model
 * checks that the choice stayed inside the old tree and adopts it.
 */
static void apply_deletion(const bool *del)
{
	int new_parent[UNIVERSE];
	int roots[UNIVERSE];
	unsigned want_removed[MAX_OBJS] = {0};
	unsigned got_removed[MAX_OBJS] = {0};
	unsigned got_final[MAX_OBJS] = {0};
	unsigned total = 0;

	for (int id = 0; id < UNIVERSE; id++) {
		roots[id] = m[id].full ? old_root(id) : -1;
		if (m[id].full && del[id]) {
			want_removed[m[id].obj]++;
			total++;
		}
	}
	assert_int_equal(removal_count, total);
	for (size_t i = 0; i < removal_count; i++) {
		int obj = obj_of_cap(&removals[i].cap);

		got_removed[obj]++;
		got_final[obj] += removals[i].final;
	}
	for (int o = 0; o < mobj_count; o++) {
		assert_int_equal(got_removed[o], want_removed[o]);
		assert_int_equal(got_final[o],
				 want_removed[o] > 0 && want_removed[o] == caps_to(o));
	}
	for (int id = 0; id < UNIVERSE; id++) {
		int p = m[id].parent;

		new_parent[id] = -1;
		if (!m[id].full || del[id])
			continue;
		while (p >= 0 && del[p])
			p = m[p].parent;
		if (p >= 0 || m[id].parent < 0) {
			new_parent[id] = p;
			continue;
		}
		struct slot *ip = slot_of(id)->parent;

		seen.roots_replaced++;
		if (ip != NULL) {
			p = id_of(ip);
			assert_true(m[p].full && !del[p]);
			assert_int_equal(roots[p], roots[id]);
		}
		new_parent[id] = p;
	}
	unsigned cnodes = 0;

	for (int o = 0; o < mobj_count; o++) {
		if (got_final[o] == 0 || mobjs[o].type != MICA_OBJ_CNODE)
			continue;
		cnodes++;
		for (int pe = 0; pe < POOL; pe++)
			if (pool_owner[pe] == o)
				pool_owner[pe] = -1;
	}
	seen.cnodes_destroyed += cnodes;
	seen.nested_destroyed += cnodes >= 2;
	for (int id = 0; id < UNIVERSE; id++) {
		if (del[id])
			m[id] = (struct mslot){.parent = -1};
		else
			m[id].parent = new_parent[id];
	}
}

static void op_delete(void)
{
	bool del[UNIVERSE] = {false};
	int target = pick_slot(3);

	if (m[target].full) {
		del[target] = true;
		close_deletion(del);
	}
	slot_delete(slot_of(target));
	apply_deletion(del);
}

static bool is_ancestor(int a, int id)
{
	for (int p = m[id].parent; p >= 0; p = m[p].parent)
		if (p == a)
			return true;
	return false;
}

static void op_revoke(void)
{
	bool del[UNIVERSE] = {false};
	int target = pick_slot(4);

	for (int id = 0; id < UNIVERSE; id++)
		if (m[id].full && is_ancestor(target, id))
			del[id] = true;
	close_deletion(del);
	/*
	 * When the revoke destroys a CNode holding the revoked slot or one of
	 * its ancestors, which descendants it still reaches depends on the
	 * order of deletion; a directed test covers that case instead.
	 */
	for (int id = 0; id < UNIVERSE; id++)
		if (del[id] && (id == target || is_ancestor(id, target)))
			return;
	slot_revoke(slot_of(target));
	seen.revokes_run += removal_count > 0;
	/* An Untyped keeps its watermark: its next retype clears what lies below it. */
	apply_deletion(del);
}

static void run_sequence(void)
{
	world_reset();
	/* Deletions stop at preemption points, now and then, and are made again. */
	fake_preempt_every = rnd(4);
	/* A root Untyped, and a CNode made from it that holds a copy of itself. */
	m[0] = (struct mslot){.full = true,
			      .obj = new_object(MICA_OBJ_UNTYPED, next_object),
			      .rights = MICA_RIGHTS_ALL,
			      .data = 0x100,
			      .parent = -1};
	next_object += 0x1000;
	slot_insert(&ext[0], model_cap(0), NULL);
	pool_owner[0] = new_object(MICA_OBJ_CNODE, (uintptr_t)pool[0]);
	m[1] = (struct mslot){
		.full = true, .obj = pool_owner[0], .rights = MICA_RIGHTS_ALL, .parent = 0};
	slot_insert(&ext[1], model_cap(1), &ext[0]);
	assert_int_equal(cnode_copy(&pool[0][0], &ext[1], MICA_RIGHTS_ALL, false, 0), MICA_OK);
	m[EXT] = m[1];
	m[EXT].parent = 1;
	check_world();
	for (int step = 0; step < STEPS; step++) {
		static void (*const ops[])(void) = {op_create, op_create, op_create, op_create,
						    op_copy,   op_copy,	  op_copy,   op_copy,
						    op_move,   op_move,	  op_delete, op_delete,
						    op_delete, op_delete, op_revoke, op_revoke};
		static const unsigned kind[] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4};
		unsigned op = rnd(ARRAY_SIZE(ops));

		removal_count = 0;
		ops[op]();
		op_counts[kind[op]]++;
		steps_run++;
		check_world();
	}
}

static void test_random_operations_match_a_reference_model(void **state)
{
	(void)state;
	for (int i = 0; i < SEQUENCES; i++)
		run_sequence();
	/* The mix must really exercise every operation. */
	assert_int_equal(steps_run, (unsigned long)SEQUENCES * STEPS);
	for (int op = 0; op < 5; op++)
		assert_true(op_counts[op] > (unsigned long)SEQUENCES * STEPS / 20);
	assert_true(seen.cnodes_destroyed > SEQUENCES);
	assert_true(seen.nested_destroyed > SEQUENCES / 4);
	assert_true(seen.roots_replaced > SEQUENCES);
	assert_true(seen.revokes_run > SEQUENCES);
	assert_true(seen.refusals > SEQUENCES && seen.successes > SEQUENCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_derive_ands_the_rights_with_the_source, reset),
		cmocka_unit_test_setup(test_derive_refuses_an_empty_source, reset),
		cmocka_unit_test_setup(test_derive_refuses_untyped_and_irq_control, reset),
		cmocka_unit_test_setup(test_mint_sets_a_badge_only_once, reset),
		cmocka_unit_test_setup(test_mint_badges_notifications_too, reset),
		cmocka_unit_test_setup(test_mint_sets_a_cnode_guard_within_range, reset),
		cmocka_unit_test_setup(test_mint_refuses_data_for_types_without_badge_or_guard,
				       reset),
		cmocka_unit_test_setup(test_copy_of_a_mapped_frame_is_unmapped, reset),
		cmocka_unit_test_setup(test_a_page_table_capability_cannot_be_copied_mapped_or_not,
				       reset),
		cmocka_unit_test_setup(test_copy_makes_a_child_of_the_source, reset),
		cmocka_unit_test_setup(test_copy_errors_change_nothing, reset),
		cmocka_unit_test_setup(test_move_carries_the_capability_and_its_tree_position,
				       reset),
		cmocka_unit_test_setup(test_move_takes_every_type_and_keeps_a_mapping, reset),
		cmocka_unit_test_setup(test_move_errors_change_nothing, reset),
		cmocka_unit_test_setup(test_mutate_applies_rights_and_badge_while_moving, reset),
		cmocka_unit_test_setup(test_delete_of_an_empty_slot_does_nothing, reset),
		cmocka_unit_test_setup(test_delete_splices_children_into_the_parent, reset),
		cmocka_unit_test_setup(test_delete_of_a_root_makes_its_first_child_the_root, reset),
		cmocka_unit_test_setup(test_delete_of_a_root_keeps_other_objects_grouped, reset),
		cmocka_unit_test_setup(test_only_the_last_capability_is_final, reset),
		cmocka_unit_test_setup(test_irq_handlers_are_the_same_object_by_interrupt, reset),
		cmocka_unit_test_setup(
			test_deleting_the_last_cnode_capability_deletes_its_contents_first,
			reset_cnodes),
		cmocka_unit_test_setup(test_deleting_a_copy_of_a_cnode_leaves_its_contents,
				       reset_cnodes),
		cmocka_unit_test_setup(test_a_cnode_holding_its_last_capability_is_destroyed_once,
				       reset_cnodes),
		cmocka_unit_test_setup(test_nested_and_self_referencing_cnodes_are_all_destroyed,
				       reset_cnodes),
		cmocka_unit_test_setup(
			test_a_slot_deleted_inside_the_cnodes_it_kills_is_not_seen_twice,
			reset_cnodes),
		cmocka_unit_test_setup(
			test_a_chain_of_cnodes_deeper_than_the_stack_allows_is_destroyed,
			reset_cnodes),
		cmocka_unit_test_setup(test_objects_with_slots_that_are_not_cnodes_are_emptied_too,
				       reset_cnodes),
		cmocka_unit_test_setup(
			test_deleting_cnode_contents_splices_their_children_elsewhere,
			reset_cnodes),
		cmocka_unit_test_setup(test_a_large_cnode_dies_across_preemption_points,
				       reset_cnodes),
		cmocka_unit_test_setup(test_a_deletion_in_progress_ends_before_another_begins,
				       reset_cnodes),
		cmocka_unit_test_setup(
			test_cycles_of_last_capabilities_die_across_preemption_points,
			reset_cnodes),
		cmocka_unit_test_setup(test_a_deep_chain_dies_one_step_per_preemption_point,
				       reset_cnodes),
		cmocka_unit_test_setup(
			test_a_sparse_cnode_is_looked_through_between_preemption_points,
			reset_cnodes),
		cmocka_unit_test_setup(test_a_zombie_takes_no_children_when_its_untyped_root_goes,
				       reset_cnodes),
		cmocka_unit_test_setup(test_revoke_deletes_every_descendant_but_not_the_slot,
				       reset_cnodes),
		cmocka_unit_test_setup(test_revoke_of_an_untyped_keeps_its_watermark_for_clearing,
				       reset_cnodes),
		cmocka_unit_test_setup(
			test_revoke_survives_destroying_the_cnode_that_holds_the_revoked_slot,
			reset_cnodes),
		cmocka_unit_test_setup(test_revoke_of_a_long_copy_chain_uses_no_recursion,
				       reset_cnodes),
		cmocka_unit_test_setup(test_random_operations_match_a_reference_model,
				       reset_cnodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
