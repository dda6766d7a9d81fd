/*
 * Virtual lines: a notification bound to one of a vCPU's virtual
 * interrupts (MICA_NOTIFICATION_BIND_VIRQ). A signal makes the interrupt
 * pending in the vCPU, as an edge on its line would, and wakes no thread:
 * the way a device server or another VM interrupts a guest without a
 * round trip through its VMM. The VMM, whose GIC model knows whether the
 * guest has the interrupt enabled and which vCPU it routes it to, binds
 * and moves the binding; while it says the interrupt is disabled, signals
 * wait in the notification (its pending flag) and go in as one interrupt
 * when it is enabled.
 */
#ifndef MICA_VIRQ_H
#define MICA_VIRQ_H

#include "ipc.h"
#include "vcpu.h"

/* MICA_NOTIFICATION_BIND_VIRQ's checks and effect; flags are MICA_VIRQ_BIND_*. */
MUST_CHECK enum mica_error virq_bind(struct notification *n, struct vcpu *v, uint64_t intid,
				     uint64_t priority, uint64_t flags);

/*
 * n raises nothing any more (deleted, or UNBIND_VIRQ): its interrupt, if
 * the guest has not taken it, is withdrawn and waits in n as a signal.
 * MICA_ERR_NOT_FOUND if it was not bound.
 */
enum mica_error virq_unbind(struct notification *n);

/* v is deleted or leaves its thread: every notification bound to it is unbound. */
void virq_forget_vcpu(struct vcpu *v);

/* A signal of n, which is bound (n->virq_vcpu). */
void virq_signal(struct notification *n, uint64_t badge);

#endif
