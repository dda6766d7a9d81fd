/*
 * User-level interrupt delivery. Each claimable line has at most one
 * handler capability family (its copies) and either one notification or
 * one vCPU it passes through to. Delivery masks the line, so a
 * level-triggered device cannot storm the kernel before its driver has
 * run; the driver's ACK (or the guest's deactivation of the virtual
 * interrupt) unmasks it.
 */
#include "arch.h"
#include "ipc.h"
#include "irq.h"
#include "vcpu.h"

struct irq_line {
	bool claimed;
	uint8_t vpriority; /* The virtual interrupt's priority, for a vCPU. */
	struct notification *ntfn;
	uint64_t badge;
	struct vcpu *vcpu;
};

static struct irq_line lines[IRQ_COUNT];

bool irq_is_claimable(uint32_t intid)
{
	return intid >= 16 && intid < IRQ_COUNT && arch_irq_is_claimable(intid);
}

enum mica_error irq_control_get(uint32_t intid, struct slot *dest, struct slot *control)
{
	if (!irq_is_claimable(intid))
		return MICA_ERR_RANGE;
	if (lines[intid].claimed)
		return MICA_ERR_DELETE_FIRST; /* Someone holds it already. */
	if (!slot_is_empty(dest))
		return MICA_ERR_DELETE_FIRST;
	lines[intid].claimed = true;
	slot_insert(dest,
		    (struct cap){
			    .type = MICA_OBJ_IRQ_HANDLER, .rights = MICA_RIGHTS_ALL, .data = intid},
		    control);
	return MICA_OK;
}

void irq_handler_set_notification(uint32_t intid, const struct cap *ntfn)
{
	irq_handler_clear(intid);
	lines[intid].ntfn = (struct notification *)ntfn->object;
	lines[intid].badge = ntfn->data;
	arch_irq_set_enabled(intid, true);
}

enum mica_error irq_handler_set_vcpu(uint32_t intid, struct vcpu *v, uint8_t priority)
{
	if (lines[intid].vcpu != v && v->vgic.passthrough_count >= VGIC_PASSTHROUGH_MAX)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	irq_handler_clear(intid);
	lines[intid].vcpu = v;
	lines[intid].vpriority = priority;
	v->vgic.passthrough_count++;
	arch_irq_set_enabled(intid, true);
	return MICA_OK;
}

void irq_handler_clear(uint32_t intid)
{
	arch_irq_set_enabled(intid, false);
	if (lines[intid].vcpu != NULL)
		lines[intid].vcpu->vgic.passthrough_count--;
	lines[intid].vcpu = NULL;
	lines[intid].ntfn = NULL;
	lines[intid].badge = 0;
}

void irq_passthrough_done(const struct vcpu *v, uint32_t intid)
{
	if (intid < IRQ_COUNT && lines[intid].vcpu == v)
		arch_irq_set_enabled(intid, true);
}

void irq_forget_vcpu(const struct vcpu *v)
{
	for (unsigned i = 0; i < IRQ_COUNT; i++)
		if (lines[i].vcpu == v)
			irq_handler_clear(i);
}

void irq_handler_ack(uint32_t intid)
{
	if (lines[intid].ntfn != NULL)
		arch_irq_set_enabled(intid, true);
}

void irq_handler_destroy(uint32_t intid)
{
	irq_handler_clear(intid);
	lines[intid].claimed = false;
}

/* A notification is going away: no interrupt may signal it any more. */
void irq_forget_notification(const struct notification *n)
{
	for (unsigned i = 0; i < IRQ_COUNT; i++)
		if (lines[i].ntfn == n)
			irq_handler_clear(i);
}

void irq_deliver(uint32_t intid)
{
	arch_irq_set_enabled(intid, false);
	if (intid >= IRQ_COUNT)
		return;
	if (lines[intid].vcpu != NULL) {
		vgic_inject_passthrough(lines[intid].vcpu, intid, lines[intid].vpriority);
		return;
	}
	if (lines[intid].ntfn == NULL)
		return; /* Nobody listens: keep it quiet. */
	notification_signal(lines[intid].ntfn, lines[intid].badge);
}
