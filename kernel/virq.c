/*
 * Virtual lines (see virq.h). The binding lives in the notification
 * (which vCPU, INTID, priority, enabled) and in the vCPU's table of bound
 * notifications, whose size bounds the queue entries they can take: each
 * bound notification raises one INTID, queued at most once, and a binding
 * that moves or ends takes back what the guest has not taken yet, so the
 * VGIC_BOUND_LINES entries kept for them always suffice.
 */
#include "virq.h"

#include "smp.h"
#include "vgic.h"

#include <mica/abi/invocation.h>

#define FIRST_SPI 32u

_Static_assert(MICA_VCPU_VIRQ_BINDINGS == VGIC_BOUND_LINES, "the ABI's table is the kernel's");

/* The waiting signal goes in; if it cannot, it keeps waiting for the next signal. */
static void deliver(struct notification *n)
{
	if (!vgic_inject_bound(n->virq_vcpu, n->virq_intid, n->virq_priority))
		return;
	n->pending = false;
	n->word = 0;
}

/*
 * n's interrupt as its vCPU has it, if the guest has not taken it yet,
 * goes back to waiting in n: a moved line raises it where it goes.
 */
static void withdraw(struct notification *n)
{
	smp_claim_vcpu(n->virq_vcpu);
	if (vgic_clear(n->virq_vcpu, n->virq_intid))
		n->pending = true;
}

/* n leaves its vCPU's table. */
static void leave(struct notification *n)
{
	for (unsigned i = 0; i < VGIC_BOUND_LINES; i++)
		if (n->virq_vcpu->virq_bound[i] == n)
			n->virq_vcpu->virq_bound[i] = NULL;
	n->virq_vcpu = NULL;
}

enum mica_error virq_bind(struct notification *n, struct vcpu *v, uint64_t intid, uint64_t priority,
			  uint64_t flags)
{
	bool enabled = (flags & MICA_VIRQ_BIND_ENABLED) != 0;
	unsigned i = 0; /* A free entry of v's table, if it moves there. */

	while (n->virq_vcpu != v && i < VGIC_BOUND_LINES && v->virq_bound[i] != NULL)
		i++;

	if (intid < FIRST_SPI || intid >= VGIC_INTID_COUNT || priority > 255 ||
	    (flags & ~(uint64_t)MICA_VIRQ_BIND_ENABLED) != 0)
		return MICA_ERR_INVALID_ARGUMENT;
	if (n->queue.head != NULL || n->bound != NULL)
		return MICA_ERR_ILLEGAL_OPERATION; /* A thread takes its signals. */
	if (i == VGIC_BOUND_LINES)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (n->virq_vcpu != NULL && (n->virq_vcpu != v || n->virq_intid != intid || !enabled))
		withdraw(n);
	if (n->virq_vcpu != v) {
		if (n->virq_vcpu != NULL)
			leave(n);
		v->virq_bound[i] = n;
		n->virq_vcpu = v;
	}
	n->virq_intid = (uint16_t)intid;
	n->virq_priority = (uint8_t)priority;
	n->virq_enabled = enabled;
	if (enabled && n->pending)
		deliver(n);
	return MICA_OK;
}

enum mica_error virq_unbind(struct notification *n)
{
	if (n->virq_vcpu == NULL)
		return MICA_ERR_NOT_FOUND;
	withdraw(n);
	leave(n);
	return MICA_OK;
}

void virq_forget_vcpu(struct vcpu *v)
{
	for (unsigned i = 0; i < VGIC_BOUND_LINES; i++) {
		if (v->virq_bound[i] != NULL)
			v->virq_bound[i]->virq_vcpu = NULL;
		v->virq_bound[i] = NULL;
	}
}

void virq_signal(struct notification *n, uint64_t badge)
{
	n->word |= badge;
	n->pending = true;
	if (n->virq_enabled)
		deliver(n);
}
