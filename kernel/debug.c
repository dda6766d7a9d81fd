/*
 * Invariant checks, for tests: after any sequence of system calls the
 * scheduler's queues and the derivation tree must still be well formed.
 * Only test builds have them (MICA_CONFIG_DEBUG).
 */
#ifdef MICA_CONFIG_DEBUG
#include "debug.h"
#include "print.h"
#include "thread.h"

#include <mica/abi/syscall.h>

/* Links around s must agree with each other. */
static unsigned check_slot(const struct slot *s)
{
	unsigned bad = 0;

	if (s->cap.type >= MICA_OBJ_TYPE_COUNT) {
		kprintf("mica: check: slot %p has type %u\n", (const void *)s, s->cap.type);
		return 1;
	}
	if (s->prev_sibling != NULL && s->prev_sibling->next_sibling != s)
		bad++;
	if (s->next_sibling != NULL && s->next_sibling->prev_sibling != s)
		bad++;
	if (s->parent != NULL && s->prev_sibling == NULL && s->parent->first_child != s)
		bad++;
	if (s->parent == NULL && s->prev_sibling != NULL)
		bad++;
	for (const struct slot *c = s->first_child; c != NULL; c = c->next_sibling) {
		if (c->parent != s) {
			bad++;
			break;
		}
	}
	if (s->first_child != NULL && s->first_child->prev_sibling != NULL)
		bad++;
	if (s->cap.type == MICA_OBJ_UNTYPED && s->cap.data > (UINT64_C(1) << s->cap.size_bits))
		bad++;
	if (bad != 0)
		kprintf("mica: check: slot %p (type %u) has %u broken links\n", (const void *)s,
			s->cap.type, bad);
	return bad;
}

/*
 * Every slot of the CNode cnode names, and of the CNodes below it up to
 * MICA_DEBUG_CHECK_DEPTH levels, walked with an explicit stack (the
 * kernel never recurses).
 */
static unsigned check_cnode(const struct cap *cnode)
{
	struct {
		const struct cap *cnode;
		size_t next;
	} stack[MICA_DEBUG_CHECK_DEPTH];
	unsigned depth = 1;
	unsigned bad = 0;

	stack[0].cnode = cnode;
	stack[0].next = 0;
	while (depth > 0) {
		const struct cap *c = stack[depth - 1].cnode;
		const struct slot *slots = (const struct slot *)c->object;
		size_t i = stack[depth - 1].next++;

		if (i >= (size_t)1 << c->size_bits) {
			depth--;
			continue;
		}
		if (slot_is_empty(&slots[i]))
			continue;
		bad += check_slot(&slots[i]);
		if (slots[i].cap.type == MICA_OBJ_CNODE && depth < MICA_DEBUG_CHECK_DEPTH &&
		    slots[i].cap.object != c->object) {
			stack[depth].cnode = &slots[i].cap;
			stack[depth].next = 0;
			depth++;
		}
	}
	return bad;
}

unsigned debug_check(const struct cap *cnode)
{
	unsigned bad = sched_check();

	if (cnode->type == MICA_OBJ_CNODE)
		bad += check_cnode(cnode);
	return bad;
}

#endif /* MICA_CONFIG_DEBUG */
