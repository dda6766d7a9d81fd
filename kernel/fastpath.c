/*
 * The IPC fastpath: Call and ReplyRecv between two threads on one CPU with
 * a short message (registers only, no capabilities), when the other side
 * is already waiting and may run at once. Each path is a run of cheap
 * checks that hand anything unusual to the slow path (endpoint.c), then a
 * transfer that cannot fail. Measured first, written second: see
 * docs/benchmarks.md.
 */
#include "fastpath.h"
#include "vcpu.h"
#include "vm.h"
#include "arch/exit.h"
#include "ipc.h"
#include "sched.h"

#include <mica/abi/exit.h>
#include <mica/abi/hypercall.h>
#include <mica/abi/syscall.h>

/* Always empty: what a lookup the fastpath cannot do returns, so type checks fail. */
static struct slot no_slot;

/*
 * Look cptr up in a CSpace whose root CNode resolves every address in one
 * step (guard + radix = 64: the usual layout). An empty slot: leave it to
 * the slow path, which handles (and reports) everything else. Only after
 * tcb_cspace_cache_valid(t): the cached slot array is not read before.
 */
static inline __attribute__((always_inline)) struct slot *lookup_one_level(const struct tcb *t,
									   uint64_t cptr)
{
	if ((cptr >> t->fast_radix) != t->fast_guard)
		return &no_slot;
	return &t->fast_slots[cptr & t->fast_mask];
}

/*
 * A message the fastpath can carry: no capabilities, at most the registers.
 * One compare does both, as the capability count sits just above the
 * length: any capability makes the value at least 128.
 */
#define MSG_LENGTH_AND_CAPS ((MICA_MSG_CAPS_MASK << MICA_MSG_CAPS_SHIFT) | MICA_MSG_LENGTH_MASK)

static inline bool is_short_message(uint64_t info)
{
	return (info & MSG_LENGTH_AND_CAPS) <= MICA_MSG_REGISTERS;
}

/*
 * A capability's type and rights in one halfword (type in the low byte,
 * rights in the high one), so "this type, with at least these rights" is a
 * single compare.
 */
static inline bool cap_is(const struct cap *c, unsigned type, unsigned rights)
{
	uint16_t both;

	__builtin_memcpy(&both, &c->type, sizeof(both)); /* Little-endian: type is the low byte. */
	return (both & (0xffu | rights << 8)) == (type | rights << 8);
}

_Static_assert(__builtin_offsetof(struct cap, rights) == __builtin_offsetof(struct cap, type) + 1,
	       "cap_is reads type and rights together");

/*
 * The message registers, as the slow path leaves them: the first length
 * words of the sender's, zero after that (nothing the sender did not send
 * reaches the receiver, and nothing of the receiver's stays behind).
 */
static inline __attribute__((always_inline)) void
copy_message(struct tcb *to, const struct tcb *from, unsigned length)
{
	uint64_t *d = &to->regs.x[2];
	const uint64_t *s = &from->regs.x[2];

	if (length == 0) {
		__builtin_memset(d, 0, 4 * sizeof(uint64_t));
	} else if (length == 4) {
		__builtin_memcpy(d, s, 4 * sizeof(uint64_t));
	} else {
		for (unsigned i = 0; i < 4; i++)
			d[i] = i < length ? s[i] : 0;
	}
}

/*
 * Take r, the first receiver, off ep's queue. Queue links and blocked_on of
 * a thread that is not blocked are never read, so r's are left as they are.
 */
static inline __attribute__((always_inline)) void take_receiver(struct endpoint *ep, struct tcb *r)
{
	ep->queue.head = r->queue_next;
	if (r->queue_next != NULL) {
		r->queue_next->queue_prev = NULL;
	} else {
		ep->queue.tail = NULL;
		ep->state = EP_IDLE;
	}
}

/* t now waits on the reply object r offered; r's offer ends. */
static inline __attribute__((always_inline)) void bind_caller(struct tcb *t, struct tcb *r,
							      struct reply *reply)
{
	t->state = THREAD_BLOCKED_REPLY;
	t->caller_of = reply;
	reply->caller = t;
	reply->holder = NULL;
	r->reply = NULL;
}

struct arch_regs *fastpath_call(struct arch_regs *regs)
{
	struct tcb *t = (struct tcb *)regs;
	uint64_t info = arch_regs_arg(&t->regs, 1);
	struct slot *s;
	struct endpoint *ep;
	struct tcb *r;
	struct reply *reply;
	const unsigned need = MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY;

	if (!tcb_cspace_cache_valid(t))
		return exception_user_sync(regs);
	s = lookup_one_level(t, arch_regs_arg(&t->regs, 0));
	if (!cap_is(&s->cap, MICA_OBJ_ENDPOINT, need) || !is_short_message(info))
		return exception_user_sync(regs);
	ep = (struct endpoint *)s->cap.object;
	if (ep->state != EP_RECEIVING)
		return exception_user_sync(regs);
	r = ep->queue.head;
	reply = r->reply;
	/* A receiver on another CPU runs there: the slow path wakes it. */
	if (reply == NULL || r->priority < t->priority || r->cpu != t->cpu)
		return exception_user_sync(regs);

	/*
	 * Committed: nothing below can fail. send_is_fault is left as it is:
	 * it is only ever set while its thread is blocked delivering a fault.
	 */
	take_receiver(ep, r);
	copy_message(r, t, mica_msg_length(info));
	arch_regs_set_ipc_result(
		&r->regs, MICA_OK, s->cap.data,
		info & ~((uint64_t)MICA_MSG_UNWRAPPED_MASK << MICA_MSG_UNWRAPPED_SHIFT));

	bind_caller(t, r, reply);

	r->state = THREAD_RUNNABLE;
	sched_switch_host_vspace(r);
	sched_set_current(r);
	return &r->regs;
}

/*
 * The server of a ReplyRecv waits on the endpoint again, offering the same
 * reply object. A reply object with a caller has no holder (binding a
 * caller ends the offer), so there is no previous holder to tell; and the
 * server offers no other reply object (the fastpath checked), so none is
 * left thinking the server holds it.
 */
static inline __attribute__((always_inline)) void wait_again(struct tcb *t, struct endpoint *ep,
							     struct reply *reply)
{
	reply->holder = t;
	t->reply = reply;
	t->state = THREAD_BLOCKED_RECV;
	t->blocked_on = ep;
	queue_append(&ep->queue, t);
	ep->state = EP_RECEIVING;
}

/*
 * ReplyRecv answering a fault: only a guest's exit, and only to resume it,
 * is done here (as reply_send does it: the answer's words go to the
 * guest's x0..; the rest of its registers stay as they are).
 */
static struct arch_regs *answer_guest(struct tcb *t, struct tcb *c, struct endpoint *ep,
				      struct reply *reply, uint64_t info)
{
	unsigned n = mica_msg_length(info);

	/* Interrupts to put into list registers, or exits owed: the slow path. */
	if (c->vcpu == NULL || mica_msg_label(info) != 0 || vcpu_has_work(c->vcpu))
		return exception_user_sync(&t->regs);
	reply->caller = NULL;
	c->caller_of = NULL;
	if (c->vcpu->exit.label == MICA_EXIT_HYPERCALL) {
		for (unsigned i = 0; i < n; i++)
			c->regs.x[i] = arch_regs_get_mr(&t->regs, i);
	} else if (c->vcpu->exit.label != MICA_EXIT_FAULT) {
		vcpu_exit_complete(c, n > 0 ? arch_regs_get_mr(&t->regs, 0) : 0);
	}
	vcpu_exit_over(c->vcpu);
	c->vcpu->exit.label = MICA_EXIT_RESUME;
	c->send_is_fault = false;
	wait_again(t, ep, reply);
	c->state = THREAD_RUNNABLE;
	sched_switch_vspace(c);
	vcpu_switch_to(c);
	sched_set_current(c);
	return &c->regs;
}

struct arch_regs *fastpath_reply_recv(struct arch_regs *regs)
{
	struct tcb *t = (struct tcb *)regs;
	uint64_t info = arch_regs_arg(&t->regs, 1);
	struct slot *s, *rs;
	struct endpoint *ep;
	struct reply *reply;
	struct tcb *c;

	if (!tcb_cspace_cache_valid(t))
		return exception_user_sync(regs);
	s = lookup_one_level(t, arch_regs_arg(&t->regs, 0));
	rs = lookup_one_level(t, arch_regs_arg(&t->regs, 6));
	if (!cap_is(&s->cap, MICA_OBJ_ENDPOINT, MICA_RIGHT_READ) ||
	    !cap_is(&rs->cap, MICA_OBJ_REPLY, 0) || !is_short_message(info))
		return exception_user_sync(regs);
	ep = (struct endpoint *)s->cap.object;
	reply = (struct reply *)rs->cap.object;
	c = reply->caller;
	/* An offer of another reply object must be withdrawn: the slow path's work. */
	if (c == NULL || c->priority < t->priority || c->cpu != t->cpu || ep->state == EP_SENDING ||
	    t->reply != NULL || (t->bound_notification != NULL && t->bound_notification->pending))
		return exception_user_sync(regs);
	if (__builtin_expect(c->send_is_fault, 0))
		return answer_guest(t, c, ep, reply, info);

	/* Committed. The caller gets the reply... */
	reply->caller = NULL;
	c->caller_of = NULL;
	copy_message(c, t, mica_msg_length(info));
	arch_regs_set_ipc_result(&c->regs, MICA_OK, 0,
				 mica_msg_info(mica_msg_label(info), 0, mica_msg_length(info)));

	wait_again(t, ep, reply);
	c->state = THREAD_RUNNABLE;
	sched_switch_host_vspace(c);
	sched_set_current(c);
	return &c->regs;
}

/*
 * For a guest's exit: the receiver waiting on the endpoint ep_cap names
 * (which t may send to), with a reply object and at t's priority or
 * above, or NULL.
 */
static inline __attribute__((always_inline)) struct tcb *exit_receiver(const struct tcb *t,
								       const struct cap *ep_cap)
{
	const struct endpoint *ep = (const struct endpoint *)ep_cap->object;
	struct tcb *r;

	if (!cap_is(ep_cap, MICA_OBJ_ENDPOINT, MICA_RIGHT_WRITE) || ep->state != EP_RECEIVING)
		return NULL;
	r = ep->queue.head;
	return r->reply != NULL && r->priority >= t->priority && r->cpu == t->cpu ? r : NULL;
}

/*
 * A guest's HVC to a VMM already waiting on the vCPU thread's fault
 * endpoint with a reply object: the slow path's exit message (label
 * MICA_EXIT_HYPERCALL, x0..x7) delivered straight, as a Call would be.
 */
struct arch_regs *fastpath_guest_hvc(struct arch_regs *regs)
{
	struct tcb *t = (struct tcb *)regs;
	const struct cap *ep_cap = &t->slots[TCB_SLOT_FAULT_EP].cap;
	struct mica_ipc_buffer *rbuf;
	struct endpoint *ep;
	struct reply *reply;
	struct tcb *r;

	if (t->vcpu != NULL && (uint32_t)t->regs.x[0] == MICA_HVC_RING_DOORBELL) {
		/* The kernel's own hypercall, as arch_guest_exit answers an SMC's: no exit. */
		t->regs.x[0] = (uint64_t)vcpu_ring_doorbell(t, t->regs.x[1]);
		return schedule();
	}
	r = t->vcpu != NULL ? exit_receiver(t, ep_cap) : NULL;
	rbuf = r != NULL ? tcb_ipc_buffer(r) : NULL;
	if (rbuf == NULL)
		return exception_user_sync(regs);
	ep = (struct endpoint *)ep_cap->object;
	reply = r->reply;

	/* Committed. */
	take_receiver(ep, r);
	__builtin_memcpy(&r->regs.x[2], &t->regs.x[0], 4 * sizeof(uint64_t));
	__builtin_memcpy(&rbuf->mr[4], &t->regs.x[4], 4 * sizeof(uint64_t));
	arch_regs_set_ipc_result(&r->regs, MICA_OK, ep_cap->data,
				 mica_msg_info(MICA_EXIT_HYPERCALL, 0, MICA_EXIT_HYPERCALL_WORDS));

	t->send_is_fault = true;
	t->vcpu->exit = (struct vcpu_exit){.label = MICA_EXIT_HYPERCALL};
	vcpu_exit_sent_as(t->vcpu, MICA_VCPU_STAT_HYPERCALL);
	bind_caller(t, r, reply);

	r->state = THREAD_RUNNABLE;
	sched_switch_vspace(r); /* From the guest's stage 2 back to a host space. */
	sched_set_current(r);
	return &r->regs;
}

/*
 * A guest's MMIO access or trapped system register, to a device server
 * bound to the address or to the VMM, already waiting with a reply object:
 * the slow path's exit message (four words in registers) delivered
 * straight. A host thread's page fault also comes here, and goes on.
 */
struct arch_regs *fastpath_guest_exit(struct arch_regs *regs)
{
	struct tcb *t = (struct tcb *)regs;
	const struct cap *vm_cap = &t->slots[TCB_SLOT_VSPACE].cap;
	const struct cap *ep_cap = &t->slots[TCB_SLOT_FAULT_EP].cap;
	struct vcpu_exit e;
	uint64_t words[4];
	struct endpoint *ep;
	struct reply *reply;
	struct tcb *r;
	unsigned sgi;
	uint32_t targets;

	if (t->vcpu == NULL || vm_cap->type != MICA_OBJ_VM ||
	    !arch_decode_exit(regs, &t->vcpu->arch, &e, words))
		return exception_user_sync(regs);
	if (e.label == MICA_EXIT_SYSREG && arch_sgi_write(words, &sgi, &targets) &&
	    vgic_send_sgi(vm_of(vm_cap), sgi, targets)) {
		/* An SGI the VM routes itself: done, no exit (a target here may run now). */
		t->vcpu->stats[MICA_VCPU_STAT_SGI_DIRECT]++;
		arch_regs_skip(regs, e.insn_len);
		return schedule();
	}
	if (e.label == MICA_EXIT_MMIO) {
		const struct cap *server = vm_mmio_server(vm_of(vm_cap), words[0]);

		if (server != NULL) {
			ep_cap = server;
			e.to_server = true;
		}
	}
	r = exit_receiver(t, ep_cap);
	if (r == NULL)
		return exception_user_sync(regs);
	ep = (struct endpoint *)ep_cap->object;
	reply = r->reply;

	/* Committed. The words stay in the TCB too, should a server hand them on. */
	take_receiver(ep, r);
	__builtin_memcpy(&r->regs.x[2], words, sizeof(words));
	__builtin_memcpy(t->fault_mr, words, sizeof(words));
	t->fault_label = e.label;
	t->fault_count = 4;
	arch_regs_set_ipc_result(&r->regs, MICA_OK, ep_cap->data, mica_msg_info(e.label, 0, 4));

	t->vcpu->exit = e;
	vcpu_exit_sent_as(t->vcpu, e.label == MICA_EXIT_SYSREG ? MICA_VCPU_STAT_SYSREG
				   : e.to_server	       ? MICA_VCPU_STAT_MMIO_SERVER
							       : MICA_VCPU_STAT_MMIO_VMM);
	t->send_is_fault = true;
	bind_caller(t, r, reply);

	r->state = THREAD_RUNNABLE;
	sched_switch_vspace(r);
	sched_set_current(r);
	return &r->regs;
}
