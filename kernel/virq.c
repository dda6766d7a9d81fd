/*
 * Virtual lines (see virq.h). The binding lives in the notification
 * (which vCPU, INTID, priority, enabled) and in the vCPU's table of bound
 * notifications, whose size bounds the queue entries they can take: each
 * bound notification raises one INTID, and an INTID is queued at most
 * once, so VGIC_BOUND_LINES entries kept for them always suffice.
 */
#include "virq.h"

#include "vgic.h"

#include <mica/abi/invocation.h>

#define FIRST_SPI 32u

/* The waiting signal goes in; if it cannot, it keeps waiting for the next signal. */
static void deliver(struct notification *n)
{
	if (!vgic_inject_bound(n->virq_vcpu, n->virq_intid, n->virq_priority))
		return;
	n->pending = false;
	n->word = 0;
}

static int free_entry(const struct vcpu *v)
{
	for (unsigned i = 0; i < VGIC_BOUND_LINES; i++)
		if (v->virq_bound[i] == NULL)
			return (int)i;
	return -1;
}

enum mica_error virq_bind(struct notification *n, struct vcpu *v, uint64_t intid,
			  uint64_t priority, uint64_t flags)
{
	if (intid < FIRST_SPI || intid >= VGIC_INTID_COUNT || priority > 255 ||
	    (flags & ~(uint64_t)MICA_VIRQ_BIND_ENABLED) != 0)
		return MICA_ERR_INVALID_ARGUMENT;
	if (n->queue.head != NULL || n->bound != NULL)
		return MICA_ERR_ILLEGAL_OPERATION; /* A thread takes its signals. */
	if (n->virq_vcpu != v) {
		int i = free_entry(v);

		if (i < 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		virq_unbind(n);
		v->virq_bound[i] = n;
		n->virq_vcpu = v;
	}
	n->virq_intid = (uint16_t)intid;
	n->virq_priority = (uint8_t)priority;
	n->virq_enabled = (flags & MICA_VIRQ_BIND_ENABLED) != 0;
	if (n->virq_enabled && n->pending)
		deliver(n);
	return MICA_OK;
}

void virq_unbind(struct notification *n)
{
	struct vcpu *v = n->virq_vcpu;

	if (v == NULL)
		return;
	for (unsigned i = 0; i < VGIC_BOUND_LINES; i++)
		if (v->virq_bound[i] == n)
			v->virq_bound[i] = NULL;
	n->virq_vcpu = NULL;
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
