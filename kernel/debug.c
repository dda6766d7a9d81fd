/*
 * The kernel's invariants as code, for test builds (MICA_CONFIG_DEBUG):
 * MICA_SYS_DEBUG_CHECK, and the host tests and fuzzer, run this after any
 * sequence of operations. docs/security.md gives each invariant and why
 * it matters; the numbers in the messages below are those of that list.
 *
 * The check finds the objects through the capabilities reachable from a
 * CNode (nested CNodes, and the slots of TCBs and VMs), remembers each
 * object once, and then checks every object's links both ways and every
 * mapping in every address space it found. Its tables are static: they
 * are the test kernel's, and a world larger than them is checked in part
 * (and says so), never wrongly.
 */
#ifdef MICA_CONFIG_DEBUG
#include "debug.h"
#include "ipc.h"
#include "objects.h"
#include "print.h"
#include "sched.h"
#include "thread.h"
#include "vcpu.h"
#include "vm.h"
#include "vspace.h"

#include <mica/abi/syscall.h>

#define CHECK_MAX_OBJECTS 2048
#define CHECK_MAX_CAPS	  4096

/* Everything the walk found: objects once each, mapping capabilities all. */
static struct {
	const void *object[CHECK_MAX_OBJECTS];
	uint8_t type[CHECK_MAX_OBJECTS];
	unsigned count;
	const struct cap *mapper[CHECK_MAX_CAPS]; /* Frame and page-table capabilities. */
	unsigned mapper_count;
	const struct cap *space[CHECK_MAX_OBJECTS]; /* One VSpace or VM capability each. */
	unsigned space_count;
	bool overflow;
	unsigned bad;
} found;

static void broken(const char *what, const void *where)
{
	kprintf("mica: check: %s (%p)\n", what, where);
	found.bad++;
}

/* Remember obj of type; false if it was known already (or no room is left). */
static bool remember(const void *obj, uint8_t type)
{
	for (unsigned i = 0; i < found.count; i++)
		if (found.object[i] == obj && found.type[i] == type)
			return false;
	if (found.count == CHECK_MAX_OBJECTS) {
		found.overflow = true;
		return false;
	}
	found.object[found.count] = obj;
	found.type[found.count++] = type;
	return true;
}

/* Links around s agree with each other (invariant 1: the derivation tree). */
static void check_links(const struct slot *s)
{
	if (slot_is_zombie(s)) {
		if (!zombie_in_place(s))
			broken("8: a zombie the deletion in progress does not reach", s);
	} else if (s->cap.type >= MICA_OBJ_TYPE_COUNT) {
		broken("a slot holds no capability type", s);
		return;
	}
	if (s->prev_sibling != NULL && s->prev_sibling->next_sibling != s)
		broken("1: sibling links disagree", s);
	if (s->next_sibling != NULL && s->next_sibling->prev_sibling != s)
		broken("1: sibling links disagree", s);
	if (s->parent != NULL && s->prev_sibling == NULL && s->parent->first_child != s)
		broken("1: a first child its parent does not know", s);
	if (s->parent == NULL && s->prev_sibling != NULL)
		broken("1: a root with siblings", s);
	for (const struct slot *c = s->first_child; c != NULL; c = c->next_sibling) {
		if (c->parent != s) {
			broken("1: a child with another parent", s);
			break;
		}
	}
	if (s->cap.type == MICA_OBJ_UNTYPED && s->cap.data > (UINT64_C(1) << s->cap.size_bits))
		broken("1: an Untyped used beyond its size", s);
}

/* The slots of an object with slots, to walk next (a bounded stack of them). */
static struct {
	const struct slot *slots;
	size_t count;
} pending[CHECK_MAX_OBJECTS];
static unsigned pending_count;

static void push_slots(const struct slot *slots, size_t count)
{
	if (pending_count == CHECK_MAX_OBJECTS) {
		found.overflow = true;
		return;
	}
	pending[pending_count].slots = slots;
	pending[pending_count++].count = count;
}

/* One full slot: its links, and what its capability names. */
static void record(const struct slot *s)
{
	const struct cap *c = &s->cap;

	check_links(s);
	if (slot_is_zombie(s)) {
		/* A dying CNode or TCB: what it still holds is checked as if it lived. */
		struct cap real = *c;
		size_t count;
		const struct slot *slots;

		real.type = c->reserved;
		slots = object_slots(&real, &count);
		if (remember((const void *)c->object, real.type) && slots != NULL)
			push_slots(slots, count);
		return;
	}
	switch ((enum mica_object_type)c->type) {
	case MICA_OBJ_CNODE:
		if (remember((const void *)c->object, c->type))
			push_slots((const struct slot *)c->object, (size_t)1 << c->size_bits);
		break;
	case MICA_OBJ_TCB:
		if (remember((const void *)c->object, c->type))
			push_slots(((const struct tcb *)c->object)->slots, TCB_SLOT_COUNT);
		break;
	case MICA_OBJ_VM:
		if (remember((const void *)c->object, c->type)) {
			push_slots(vm_of(c)->slots, VM_SLOTS);
			found.space[found.space_count++] = c;
		}
		break;
	case MICA_OBJ_VSPACE:
		if (remember((const void *)c->object, c->type))
			found.space[found.space_count++] = c;
		break;
	case MICA_OBJ_FRAME_4K:
	case MICA_OBJ_FRAME_2M:
	case MICA_OBJ_PAGE_TABLE:
		if (found.mapper_count < CHECK_MAX_CAPS)
			found.mapper[found.mapper_count++] = c;
		else
			found.overflow = true;
		break;
	case MICA_OBJ_ENDPOINT:
	case MICA_OBJ_NOTIFICATION:
	case MICA_OBJ_REPLY:
	case MICA_OBJ_VCPU:
		(void)remember((const void *)c->object, c->type);
		break;
	case MICA_OBJ_NULL:
	case MICA_OBJ_UNTYPED:
	case MICA_OBJ_IRQ_CONTROL:
	case MICA_OBJ_IRQ_HANDLER:
	case MICA_OBJ_ASID_CONTROL:
	case MICA_OBJ_ASID_POOL:
	case MICA_OBJ_TYPE_COUNT:
		break;
	}
}

/* Remembers a derivation tree by its root (no object's type). */
#define CHECK_TREE 0xfe

/* The slot after s in a walk of the tree rooted at root, depth first; NULL at the end. */
static const struct slot *tree_next(const struct slot *s, const struct slot *root)
{
	if (s->first_child != NULL)
		return s->first_child;
	while (s != root && s->next_sibling == NULL)
		s = s->parent;
	return s == root ? NULL : s->next_sibling;
}

/*
 * A full slot found in an object: every slot of its derivation tree is
 * recorded, the first time the tree is met. So capabilities that no CNode
 * reachable from the start holds (a CNode that holds the last capability
 * to itself, say) are found too: they are still in some tree.
 */
static void visit(const struct slot *s)
{
	const struct slot *root = s;

	while (root->parent != NULL)
		root = root->parent;
	if (!remember(root, CHECK_TREE))
		return;
	for (const struct slot *x = root; x != NULL; x = tree_next(x, root))
		record(x);
}

static void walk_from(const struct cap *cnode)
{
	pending_count = 0;
	if (remember((const void *)cnode->object, MICA_OBJ_CNODE))
		push_slots((const struct slot *)cnode->object, (size_t)1 << cnode->size_bits);
	while (pending_count > 0) {
		const struct slot *slots = pending[pending_count - 1].slots;
		size_t count = pending[--pending_count].count;

		for (size_t i = 0; i < count; i++)
			if (!slot_is_empty(&slots[i]))
				visit(&slots[i]);
	}
}

static bool queue_holds(const struct thread_queue *q, const struct tcb *t)
{
	unsigned n = 0;

	for (const struct tcb *i = q->head; i != NULL && n < 100000; i = i->queue_next, n++)
		if (i == t)
			return true;
	return false;
}

/* Invariants 2-5: a thread's links, its space and its exception level. */
static void check_tcb(const struct tcb *t)
{
	const struct cap *root = &t->slots[TCB_SLOT_CSPACE].cap;

	if (t->is_destroyed)
		broken("2: a destroyed thread still has a capability", t);
	if (arch_regs_is_guest(&t->regs) != (t->vcpu != NULL))
		broken("3: a thread's exception level does not match its vCPU binding", t);
	if (t->vcpu != NULL && t->vcpu->tcb != t)
		broken("3: a thread's vCPU is bound to another thread", t);
	if (t->state != THREAD_INACTIVE && !thread_space_fits(t, &t->slots[TCB_SLOT_VSPACE].cap))
		broken("3: a thread that may run has a space of the wrong kind", t);
	if (root->type == MICA_OBJ_CNODE) {
		bool one_step = root->guard_bits + root->size_bits == 64;

		if (one_step ? t->fast_slots != (struct slot *)root->object ||
				       t->fast_radix != root->size_bits ||
				       t->fast_guard != root->data
			     : t->fast_guard != UINT64_MAX)
			broken("4: a thread's cached CSpace root is not its CSpace root", t);
	}
	if (t->reply != NULL && t->reply->holder != t)
		broken("5: a thread offers a reply object held by another", t);
	if (t->caller_of != NULL && (t->state != THREAD_BLOCKED_REPLY || t->caller_of->caller != t))
		broken("5: a thread waits on a reply object that does not wait for it", t);
	if (t->bound_notification != NULL && t->bound_notification->bound != t)
		broken("5: a thread's notification is bound to another", t);
	switch (t->state) {
	case THREAD_BLOCKED_SEND:
	case THREAD_BLOCKED_RECV: {
		const struct endpoint *ep = t->blocked_on;

		if (ep == NULL || !queue_holds(&ep->queue, t) ||
		    ep->state != (t->state == THREAD_BLOCKED_SEND ? EP_SENDING : EP_RECEIVING))
			broken("5: a thread blocked on an endpoint is not in its queue", t);
		break;
	}
	case THREAD_BLOCKED_NTFN:
		if (t->blocked_on == NULL ||
		    !queue_holds(&((const struct notification *)t->blocked_on)->queue, t))
			broken("5: a thread waiting on a notification is not in its queue", t);
		break;
	case THREAD_BLOCKED_REPLY:
	case THREAD_BLOCKED_WFI:
	case THREAD_RUNNABLE:
	case THREAD_INACTIVE:
		break;
	}
}

static void check_reply(const struct reply *r)
{
	if (r->holder != NULL && r->holder->reply != r)
		broken("5: a reply object's holder offers another", r);
	if (r->caller != NULL &&
	    (r->caller->caller_of != r || r->caller->state != THREAD_BLOCKED_REPLY))
		broken("5: a reply object's caller does not wait for it", r);
}

static void check_queue(const struct thread_queue *q, enum thread_state want, const void *on)
{
	const struct tcb *prev = NULL;
	unsigned n = 0;

	for (const struct tcb *t = q->head; t != NULL && n < 100000; t = t->queue_next, n++) {
		if (t->queue_prev != prev || t->state != want || t->blocked_on != on)
			broken("5: a queued thread is not blocked there", t);
		prev = t;
	}
	if (q->tail != prev)
		broken("5: a queue's tail is not its last thread", on);
}

static void check_endpoint(const struct endpoint *ep)
{
	if ((ep->state == EP_IDLE) != (ep->queue.head == NULL))
		broken("5: an endpoint's state disagrees with its queue", ep);
	if (ep->state != EP_IDLE)
		check_queue(&ep->queue,
			    ep->state == EP_SENDING ? THREAD_BLOCKED_SEND : THREAD_BLOCKED_RECV,
			    ep);
}

static void check_notification(const struct notification *n)
{
	check_queue(&n->queue, THREAD_BLOCKED_NTFN, n);
	if (n->bound != NULL && n->bound->bound_notification != n)
		broken("5: a notification's thread is bound to another", n);
}

/* Invariant 6: an unmapped page table is empty, and one table has one capability. */
static void check_page_table(const struct cap *c)
{
	const uint64_t *entry = (const uint64_t *)c->object;

	if (!c->is_mapped)
		for (unsigned i = 0; i < (1u << MICA_PAGE_TABLE_BITS) / sizeof(*entry); i++)
			if (entry[i] != 0) {
				broken("6: an unmapped page table holds entries", entry);
				break;
			}
	for (unsigned i = 0; i < found.mapper_count; i++)
		if (found.mapper[i] != c && found.mapper[i]->type == MICA_OBJ_PAGE_TABLE &&
		    found.mapper[i]->object == c->object) {
			broken("6: a page table has two capabilities", entry);
			break;
		}
}

/* Invariant 7: every live translation is one that a live capability made. */
struct space_walk {
	const struct arch_vspace *vs;
	uint64_t record;
	uint8_t mapped;
};

static void check_translation(void *ctx, const struct arch_translation *m)
{
	const struct space_walk *w = ctx;

	if (m->is_boot)
		return; /* The root task's start-up mappings: memory that never becomes Untyped. */
	for (unsigned i = 0; i < found.mapper_count; i++) {
		const struct cap *c = found.mapper[i];
		bool is_table = c->type == MICA_OBJ_PAGE_TABLE;

		if (is_table != m->is_table || c->is_mapped != w->mapped || c->data2 != w->record)
			continue;
		if (is_table ? (uintptr_t)arch_phys_to_virt(m->pa) == c->object
			     : c->object == pa_addr(m->pa) && c->data == m->va &&
				       c->size_bits == m->size_bits)
			return;
	}
	kprintf("mica: check: 7: %s 0x%lx -> 0x%lx in address space %u is no capability's\n",
		m->is_table ? "table at" : "mapping", (unsigned long)m->va,
		(unsigned long)pa_addr(m->pa), (unsigned)w->vs->asid);
	found.bad++;
}

static void check_space(const struct cap *c)
{
	struct arch_vspace vs = vspace_of(c);
	struct space_walk w = {&vs, vspace_mapping_record(&vs),
			       vs.stage2 ? CAP_MAPPED_STAGE2 : CAP_MAPPED};

	/* The scheduler activates what the capability's token says: it must be the space's own. */
	if (c->data != (vs.asid != 0 ? arch_vspace_token(&vs) : 0))
		broken("7: an address space's token is not its own", (const void *)c->object);
	if (vs.asid == 0)
		return;
	arch_vspace_walk(&vs, check_translation, &w);
}

static void check_objects(void)
{
	for (unsigned i = 0; i < found.count; i++) {
		const void *o = found.object[i];

		switch ((enum mica_object_type)found.type[i]) {
		case MICA_OBJ_TCB:
			check_tcb(o);
			break;
		case MICA_OBJ_REPLY:
			check_reply(o);
			break;
		case MICA_OBJ_ENDPOINT:
			check_endpoint(o);
			break;
		case MICA_OBJ_NOTIFICATION:
			check_notification(o);
			break;
		case MICA_OBJ_VCPU: {
			const struct vcpu *v = o;

			if (v->tcb != NULL && v->tcb->vcpu != v)
				broken("3: a vCPU's thread runs another vCPU", v);
			break;
		}
		case MICA_OBJ_NULL:
		case MICA_OBJ_UNTYPED:
		case MICA_OBJ_CNODE:
		case MICA_OBJ_FRAME_4K:
		case MICA_OBJ_FRAME_2M:
		case MICA_OBJ_PAGE_TABLE:
		case MICA_OBJ_VSPACE:
		case MICA_OBJ_IRQ_CONTROL:
		case MICA_OBJ_IRQ_HANDLER:
		case MICA_OBJ_VM:
		case MICA_OBJ_ASID_CONTROL:
		case MICA_OBJ_ASID_POOL:
		case MICA_OBJ_TYPE_COUNT:
			break;
		}
	}
	for (unsigned i = 0; i < found.mapper_count; i++)
		if (found.mapper[i]->type == MICA_OBJ_PAGE_TABLE)
			check_page_table(found.mapper[i]);
	for (unsigned i = 0; i < found.space_count; i++)
		check_space(found.space[i]);
}

unsigned debug_check(const struct cap *cnode)
{
	found.count = 0;
	found.mapper_count = 0;
	found.space_count = 0;
	found.overflow = false;
	found.bad = sched_check();
	if (cnode->type == MICA_OBJ_CNODE) {
		walk_from(cnode);
		check_objects();
	}
	if (found.overflow)
		kprintf("mica: check: more objects than the checker holds; checked in part\n");
	return found.bad;
}

static uint64_t stretch_start, stretch_longest, preemptions;

void debug_preempted(void)
{
	preemptions++;
}

uint64_t debug_take_preemptions(void)
{
	uint64_t n = preemptions;

	preemptions = 0;
	return n;
}

void debug_stretch_begin(void)
{
	stretch_start = arch_cycles();
}

void debug_stretch_point(void)
{
	uint64_t now = arch_cycles();

	if (now - stretch_start > stretch_longest)
		stretch_longest = now - stretch_start;
	stretch_start = now;
}

uint64_t debug_stretch_take_longest(void)
{
	uint64_t longest = stretch_longest;

	stretch_longest = 0;
	return longest;
}

#endif /* MICA_CONFIG_DEBUG */
