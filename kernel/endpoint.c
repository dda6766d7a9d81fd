/*
 * Synchronous IPC through endpoints, and replies through reply objects.
 *
 * A blocked sender's message stays in its own registers and IPC buffer
 * until a receiver arrives; transfer then copies straight from sender to
 * receiver. Calls bind the caller to the reply object the receiver
 * offered; the receiver answers with ReplyRecv (or drops it by receiving
 * again with the same reply object, which cancels the old caller).
 */
#include <string.h>

#include "cnode.h"
#include "ipc.h"
#include "vcpu.h"
#include "virq.h"

#include <mica/abi/context.h>
#include <mica/abi/exit.h>
#include <mica/abi/fault.h>

/* Take t out of ep's queue; the endpoint goes idle when the queue empties. */
static struct tcb *endpoint_take(struct endpoint *ep, struct tcb *t)
{
	queue_unlink(&ep->queue, t);
	if (ep->queue.head == NULL)
		ep->state = EP_IDLE;
	t->blocked_on = NULL;
	return t;
}

void ipc_set_result(struct tcb *t, enum mica_error err, uint64_t badge, uint64_t info)
{
	arch_regs_set_ipc_result(&t->regs, err, badge, info);
}

/*
 * Transfer one capability the sender named in its IPC buffer. An endpoint
 * capability to the very endpoint the message travels through is
 * "unwrapped": the receiver gets only its badge. Anything else is copied
 * into the receiver's receive slot, if it named one and it is empty.
 * Returns false when the transfer stops (as seL4 does, later capabilities
 * are then not sent).
 */
static bool transfer_cap(struct tcb *from, struct tcb *to, const struct endpoint *ep, uint64_t cptr,
			 unsigned i, bool *receive_slot_used, unsigned *unwrapped)
{
	struct mica_ipc_buffer *rbuf = tcb_ipc_buffer(to);
	const struct cap *from_root = &from->slots[TCB_SLOT_CSPACE].cap;
	const struct cap *to_root = &to->slots[TCB_SLOT_CSPACE].cap;
	struct slot_ret src = cspace_lookup(from_root, cptr, 64);
	struct slot_ret cnode, dest;

	if (src.err != MICA_OK || slot_is_empty(src.slot) || rbuf == NULL)
		return false;
	if (src.slot->cap.type == MICA_OBJ_ENDPOINT && src.slot->cap.object == (uintptr_t)ep &&
	    src.slot->cap.data != 0) {
		rbuf->badges[i] = src.slot->cap.data;
		*unwrapped |= 1u << i;
		return true;
	}
	if (*receive_slot_used || rbuf->receive_depth == 0)
		return false;
	cnode = cspace_lookup(to_root, rbuf->receive_cnode, 64);
	if (cnode.err != MICA_OK || cnode.slot->cap.type != MICA_OBJ_CNODE)
		return false;
	dest = cspace_lookup(&cnode.slot->cap, rbuf->receive_index, (unsigned)rbuf->receive_depth);
	if (dest.err != MICA_OK ||
	    cnode_copy(dest.slot, src.slot, MICA_RIGHTS_ALL, false, 0) != MICA_OK)
		return false;
	*receive_slot_used = true;
	return true;
}

/* Copy the message described by info from one thread to another. */
static void transfer(struct tcb *from, struct tcb *to, uint64_t info, uint64_t badge,
		     bool can_grant, const struct endpoint *ep)
{
	unsigned length = mica_msg_length(info);
	unsigned caps = can_grant ? mica_msg_caps(info) : 0;
	unsigned sent_caps = 0, unwrapped = 0;
	bool receive_slot_used = false;
	struct mica_ipc_buffer *sbuf = tcb_ipc_buffer(from);
	struct mica_ipc_buffer *rbuf = tcb_ipc_buffer(to);

	if (length > MICA_MSG_MAX_LENGTH)
		length = MICA_MSG_MAX_LENGTH;
	if (length > MICA_MSG_REGISTERS && (sbuf == NULL || rbuf == NULL))
		length = MICA_MSG_REGISTERS;
	/* Registers past the message are zeroed: no stale words, no unsent ones. */
	for (unsigned i = 0; i < MICA_MSG_REGISTERS; i++)
		arch_regs_set_mr(&to->regs, i, i < length ? arch_regs_get_mr(&from->regs, i) : 0);
	for (unsigned i = MICA_MSG_REGISTERS; i < length; i++)
		rbuf->mr[i] = sbuf->mr[i];
	if (caps > MICA_MSG_MAX_EXTRA_CAPS)
		caps = MICA_MSG_MAX_EXTRA_CAPS;
	for (; sbuf != NULL && sent_caps < caps; sent_caps++)
		if (!transfer_cap(from, to, ep, sbuf->caps[sent_caps], sent_caps,
				  &receive_slot_used, &unwrapped))
			break;
	ipc_set_result(to, MICA_OK, badge,
		       mica_msg_info(mica_msg_label(info), sent_caps, length) |
			       ((uint64_t)unwrapped << MICA_MSG_UNWRAPPED_SHIFT));
}

/*
 * A fault (or guest exit) message: the label and words kept in the
 * faulting TCB, the first four in registers, the rest in the receiver's
 * IPC buffer (without one, the message is cut to four).
 */
static void transfer_fault(struct tcb *from, struct tcb *to, uint64_t badge)
{
	struct mica_ipc_buffer *rbuf = tcb_ipc_buffer(to);
	unsigned count = from->fault_count;

	if (count > MICA_MSG_REGISTERS && rbuf == NULL)
		count = MICA_MSG_REGISTERS;
	for (unsigned i = 0; i < MICA_MSG_REGISTERS; i++)
		arch_regs_set_mr(&to->regs, i, i < count ? from->fault_mr[i] : 0);
	for (unsigned i = MICA_MSG_REGISTERS; i < count; i++)
		rbuf->mr[i] = from->fault_mr[i];
	ipc_set_result(to, MICA_OK, badge, mica_msg_info(from->fault_label, 0, count));
}

/* The caller now waits on r; the receiver's hold on r ends. */
static void bind_caller(struct tcb *caller, struct reply *r)
{
	sched_block(caller);
	caller->state = THREAD_BLOCKED_REPLY;
	caller->caller_of = r;
	r->caller = caller;
	if (r->holder != NULL)
		r->holder->reply = NULL;
	r->holder = NULL;
}

/*
 * The fault (or guest exit) t is blocked delivering cannot be answered: it
 * stays stopped, its registers as they were (they are the faulting
 * context, or a guest's), unless a device server had a guest's exit, which
 * the guest then retries (vcpu_exit_retry).
 */
static void fault_lost(struct tcb *t)
{
	t->send_is_fault = false;
	t->state = THREAD_INACTIVE;
	if (t->vcpu != NULL)
		vcpu_exit_retry(t);
}

/* A blocked Call or send that cannot complete: a fault is lost, anything else fails. */
static void cancel_sender(struct tcb *t)
{
	if (t->send_is_fault) {
		fault_lost(t);
		return;
	}
	ipc_set_result(t, MICA_ERR_CANCELLED, 0, 0);
	t->state = THREAD_INACTIVE;
	sched_wake(t);
}

/* After a Call reached a receiver: bind the caller, or tell it nobody can reply. */
static void complete_call(struct tcb *caller, struct tcb *receiver)
{
	if (receiver->reply != NULL) {
		bind_caller(caller, receiver->reply);
	} else {
		cancel_sender(caller);
	}
}

void endpoint_send(struct tcb *t, struct endpoint *ep, const struct send_args *args)
{
	uint64_t info = arch_regs_arg(&t->regs, 1);

	if (ep->state == EP_RECEIVING) {
		struct tcb *r = endpoint_take(ep, ep->queue.head);

		transfer(t, r, info, args->badge, args->can_grant, ep);
		sched_wake(r);
		t->send_is_fault = false;
		if (args->is_call && args->can_grant_reply)
			complete_call(t, r);
		else
			ipc_set_result(t, MICA_OK, 0, 0);
		return;
	}
	if (!args->blocking) {
		ipc_set_result(t, MICA_OK, 0, 0); /* NBSend: dropped, by design. */
		return;
	}
	sched_block(t);
	t->state = THREAD_BLOCKED_SEND;
	t->blocked_on = ep;
	t->send_badge = args->badge;
	t->send_is_call = args->is_call && args->can_grant_reply;
	t->send_can_grant = args->can_grant;
	t->send_can_grant_reply = args->can_grant_reply;
	t->send_is_fault = false;
	queue_append(&ep->queue, t);
	ep->state = EP_SENDING;
}

void endpoint_send_fault(struct tcb *t, struct endpoint *ep, uint64_t badge)
{
	if (ep->state == EP_RECEIVING) {
		struct tcb *r = endpoint_take(ep, ep->queue.head);

		transfer_fault(t, r, badge);
		sched_wake(r);
		t->send_is_fault = true;
		complete_call(t, r);
		return;
	}
	sched_block(t);
	t->state = THREAD_BLOCKED_SEND;
	t->blocked_on = ep;
	t->send_badge = badge;
	t->send_is_call = true;
	t->send_can_grant = false;
	t->send_can_grant_reply = true;
	t->send_is_fault = true;
	queue_append(&ep->queue, t);
	ep->state = EP_SENDING;
}

/*
 * A receiver offering r drops whatever caller r still had, and withdraws
 * any other reply object it offered before: a thread holds at most one,
 * and a reply object is held by at most one thread, each pointing at the
 * other (a holder left pointing at a thread that has moved on would, once
 * that thread's memory is reused, make the reply object's deletion write
 * into whatever is there).
 */
static void offer_reply(struct tcb *t, struct reply *r)
{
	if (t->reply != NULL && t->reply != r) {
		t->reply->holder = NULL;
		t->reply = NULL;
	}
	if (r == NULL)
		return;
	if (r->caller != NULL) {
		struct tcb *old = r->caller;

		old->caller_of = NULL;
		r->caller = NULL;
		cancel_sender(old);
	}
	if (r->holder != NULL && r->holder != t)
		r->holder->reply = NULL;
	r->holder = t;
	t->reply = r;
}

void endpoint_receive(struct tcb *t, struct endpoint *ep, struct reply *reply, bool blocking)
{
	struct notification *n = t->bound_notification;

	offer_reply(t, reply);
	if (n != NULL && n->pending) {
		ipc_set_result(t, MICA_OK, n->word, mica_msg_info(MICA_LABEL_NOTIFICATION, 0, 0));
		n->word = 0;
		n->pending = false;
		return;
	}
	if (ep->state == EP_SENDING) {
		struct tcb *s = endpoint_take(ep, ep->queue.head);

		if (s->send_is_fault)
			transfer_fault(s, t, s->send_badge);
		else
			transfer(s, t, arch_regs_arg(&s->regs, 1), s->send_badge, s->send_can_grant,
				 ep);
		if (s->send_is_call) {
			s->state = THREAD_INACTIVE; /* Not runnable; complete_call decides. */
			complete_call(s, t);
		} else {
			ipc_set_result(s, MICA_OK, 0, 0);
			sched_wake(s);
		}
		return;
	}
	if (!blocking) {
		ipc_set_result(t, MICA_ERR_NOT_FOUND, 0, 0);
		return;
	}
	sched_block(t);
	t->state = THREAD_BLOCKED_RECV;
	t->blocked_on = ep;
	queue_append(&ep->queue, t);
	ep->state = EP_RECEIVING;
}

void reply_send(struct tcb *t, struct reply *r)
{
	struct tcb *caller = r->caller;
	uint64_t info = arch_regs_arg(&t->regs, 1);

	if (caller == NULL)
		return;
	r->caller = NULL;
	caller->caller_of = NULL;
	if (caller->send_is_fault) {
		/*
		 * A fault reply: resume, or stay stopped. A guest's VMM may hand
		 * back words first (a hypercall's results go to x0..).
		 */
		caller->send_is_fault = false;
		caller->state = THREAD_INACTIVE;
		if (caller->vcpu != NULL ? vcpu_exit_answered(caller, info, &t->regs)
					 : mica_msg_label(info) == MICA_FAULT_RESUME)
			sched_wake(caller);
		return;
	}
	transfer(t, caller, info, 0, false, NULL);
	caller->state = THREAD_INACTIVE;
	sched_wake(caller);
}

void ipc_cancel(struct tcb *t)
{
	switch (t->state) {
	case THREAD_BLOCKED_SEND:
	case THREAD_BLOCKED_RECV: {
		(void)endpoint_take(t->blocked_on, t);
		break;
	}
	case THREAD_BLOCKED_NTFN: {
		struct notification *n = t->blocked_on;

		queue_unlink(&n->queue, t);
		break;
	}
	case THREAD_BLOCKED_WFI:
		vcpu_cancel_wait(t);
		break;
	case THREAD_BLOCKED_REPLY:
		if (t->caller_of != NULL)
			t->caller_of->caller = NULL;
		t->caller_of = NULL;
		break;
	case THREAD_INACTIVE:
	case THREAD_RUNNABLE:
		break;
	}
	t->blocked_on = NULL;
	/* A vCPU's exit that will not be answered now is over: InjectUndef must not use it. */
	if (t->vcpu != NULL && t->send_is_fault && t->vcpu->exit.label != MICA_EXIT_RESUME) {
		vcpu_exit_over(t->vcpu);
		t->vcpu->exit.label = MICA_EXIT_RESUME;
	}
	t->send_is_fault = false;
	if (t->reply != NULL) {
		t->reply->holder = NULL;
		t->reply = NULL;
	}
	if (t->state != THREAD_RUNNABLE)
		t->state = THREAD_INACTIVE;
}

/* Wake every thread queued on q with MICA_ERR_CANCELLED. */
static void cancel_queue(struct thread_queue *q)
{
	while (q->head != NULL) {
		struct tcb *t = q->head;

		queue_unlink(q, t);
		t->blocked_on = NULL;
		cancel_sender(t);
	}
}

void endpoint_destroy(struct endpoint *ep)
{
	cancel_queue(&ep->queue);
	ep->state = EP_IDLE;
}

void reply_destroy(struct reply *r)
{
	if (r->caller != NULL) {
		struct tcb *c = r->caller;

		c->caller_of = NULL;
		r->caller = NULL;
		cancel_sender(c);
	}
	if (r->holder != NULL)
		r->holder->reply = NULL;
	r->holder = NULL;
}

/* Notifications ----------------------------------------------------------------------- */

void notification_signal(struct notification *n, uint64_t badge)
{
	struct tcb *b = n->bound;

	if (n->virq_vcpu != NULL) {
		virq_signal(n, badge);
		return;
	}
	if (n->queue.head != NULL) {
		struct tcb *w = n->queue.head;

		queue_unlink(&n->queue, w);
		w->blocked_on = NULL;
		ipc_set_result(w, MICA_OK, n->word | badge, 0);
		n->word = 0;
		n->pending = false;
		w->state = THREAD_INACTIVE;
		sched_wake(w);
		return;
	}
	if (b != NULL && b->state == THREAD_BLOCKED_RECV) {
		/* A bound thread waiting on an endpoint gets the signal instead. */
		ipc_cancel(b);
		ipc_set_result(b, MICA_OK, n->word | badge,
			       mica_msg_info(MICA_LABEL_NOTIFICATION, 0, 0));
		n->word = 0;
		n->pending = false;
		sched_wake(b);
		return;
	}
	n->word |= badge;
	n->pending = true;
}

/*
 * A pending signal is taken at once (its badge bits in the badge); with
 * none, a poll says MICA_ERR_NOT_FOUND and a wait blocks.
 */
void notification_wait(struct tcb *t, struct notification *n, bool blocking)
{
	if (n->virq_vcpu != NULL) {
		/* Its signals go to a vCPU (virq.h): nobody else may wait for them. */
		ipc_set_result(t, MICA_ERR_ILLEGAL_OPERATION, 0, 0);
		return;
	}
	if (n->pending) {
		ipc_set_result(t, MICA_OK, n->word, 0);
		n->word = 0;
		n->pending = false;
		return;
	}
	if (!blocking) {
		ipc_set_result(t, MICA_ERR_NOT_FOUND, 0, 0);
		return;
	}
	sched_block(t);
	t->state = THREAD_BLOCKED_NTFN;
	t->blocked_on = n;
	queue_append(&n->queue, t);
}

void notification_bind(struct notification *n, struct tcb *t)
{
	n->bound = t;
	t->bound_notification = n;
}

void notification_unbind(struct notification *n)
{
	if (n->bound != NULL)
		n->bound->bound_notification = NULL;
	n->bound = NULL;
}

void notification_destroy(struct notification *n)
{
	cancel_queue(&n->queue);
	notification_unbind(n);
}
