/*
 * Endpoints, notifications and reply objects: the kernel side of IPC.
 */
#ifndef MICA_IPC_H
#define MICA_IPC_H

#include "thread.h"

#include <mica/abi/ipc.h>

/* A queue of threads blocked on an endpoint or notification. */
struct thread_queue {
	struct tcb *head;
	struct tcb *tail;
};

enum endpoint_state {
	EP_IDLE = 0,
	EP_SENDING,   /* The queue holds senders. */
	EP_RECEIVING, /* The queue holds receivers. */
};

struct endpoint {
	struct thread_queue queue;
	enum endpoint_state state;
};

struct notification {
	struct thread_queue queue; /* Waiters. */
	uint64_t word;		   /* Pending badge bits. */
	struct tcb *bound;	   /* The TCB this notification is bound to, if any. */
	/* Its alarm (alarm.h): due when the counter reaches alarm_at; 0 if unarmed. */
	uint64_t alarm_at;
	uint64_t alarm_bits;
	/* Its place in the heap of armed alarms: first child, next sibling, and prev. */
	struct notification *alarm_child, *alarm_sibling, *alarm_prev;
	/* The vCPU whose virtual interrupt it raises (virq.h), or NULL, and how. */
	struct vcpu *virq_vcpu;
	uint16_t virq_intid;
	uint8_t virq_priority;
	bool virq_enabled;
	bool pending; /* A signal is pending (even one with badge 0). */
};

struct reply {
	struct tcb *caller; /* The thread waiting for this reply, if any. */
	struct tcb *holder; /* The receiver that offered this reply object, if any. */
};

_Static_assert(sizeof(struct endpoint) <= (1u << MICA_ENDPOINT_BITS), "endpoint size");
_Static_assert(sizeof(struct notification) <= (1u << MICA_NOTIFICATION_BITS), "ntfn size");
_Static_assert(sizeof(struct reply) <= (1u << MICA_REPLY_BITS), "reply size");

/* Thread queues, inline: the fastpath uses them too. */
static inline void queue_append(struct thread_queue *q, struct tcb *t)
{
	t->queue_next = NULL;
	t->queue_prev = q->tail;
	if (q->tail != NULL)
		q->tail->queue_next = t;
	else
		q->head = t;
	q->tail = t;
}

static inline void queue_unlink(struct thread_queue *q, struct tcb *t)
{
	if (t->queue_prev != NULL)
		t->queue_prev->queue_next = t->queue_next;
	else
		q->head = t->queue_next;
	if (t->queue_next != NULL)
		t->queue_next->queue_prev = t->queue_prev;
	else
		q->tail = t->queue_prev;
	t->queue_next = t->queue_prev = NULL;
}

/* What a sender may do with the endpoint capability it used. */
struct send_args {
	uint64_t badge;
	bool is_call;
	bool can_grant;
	bool can_grant_reply;
	bool blocking;
};

/* Send (or Call) from t on ep. */
void endpoint_send(struct tcb *t, struct endpoint *ep, const struct send_args *args);

/* Receive on ep into t, binding callers to reply (may be NULL). */
void endpoint_receive(struct tcb *t, struct endpoint *ep, struct reply *reply, bool blocking);

/* Reply through r with t's message; does nothing if r has no caller. */
void reply_send(struct tcb *t, struct reply *r);

/* Deliver t's pending fault to ep, as a Call that a reply resumes. */
void endpoint_send_fault(struct tcb *t, struct endpoint *ep, uint64_t badge);

void notification_signal(struct notification *n, uint64_t badge);
void notification_wait(struct tcb *t, struct notification *n, bool blocking);
void notification_bind(struct notification *n, struct tcb *t);
void notification_unbind(struct notification *n);

/* Take t out of whatever IPC it is blocked in (it stays blocked-state-less). */
void ipc_cancel(struct tcb *t);

/* Objects going away: wake everyone waiting with MICA_ERR_CANCELLED. */
void endpoint_destroy(struct endpoint *ep);
void notification_destroy(struct notification *n);
void reply_destroy(struct reply *r);

/* Set t's system-call results: error, badge and message info. */
void ipc_set_result(struct tcb *t, enum mica_error err, uint64_t badge, uint64_t info);

#endif
