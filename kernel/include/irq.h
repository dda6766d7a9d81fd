/*
 * Interrupts for user-level drivers: IRQControl hands out IRQHandler
 * capabilities; an interrupt is masked, then delivered as a signal on the
 * handler's notification, until the driver acknowledges it.
 */
#ifndef MICA_IRQ_H
#define MICA_IRQ_H

#include "cap.h"

#define IRQ_COUNT 1020 /* INTIDs 0..1019: SGIs, PPIs and SPIs. */

/* May a user driver claim intid (not the kernel's own, not an SGI)? */
bool irq_is_claimable(uint32_t intid);

/* IRQControl GET: put a handler capability for intid into dest. */
MUST_CHECK enum mica_error irq_control_get(uint32_t intid, struct slot *dest, struct slot *control);

struct vcpu;

/* Signal ntfn, or (passthrough) inject the same INTID into v at priority. */
void irq_handler_set_notification(uint32_t intid, const struct cap *ntfn);
MUST_CHECK enum mica_error irq_handler_set_vcpu(uint32_t intid, struct vcpu *v, uint8_t priority);
void irq_handler_clear(uint32_t intid);
void irq_handler_ack(uint32_t intid);

/* v's guest deactivated (or v withdrew) the virtual interrupt of a line passed through. */
void irq_passthrough_done(const struct vcpu *v, uint32_t intid);

/* A VCPU is going away: no line may pass through to it any more. */
void irq_forget_vcpu(const struct vcpu *v);

/* The last handler capability is gone: mask and forget the line. */
void irq_handler_destroy(uint32_t intid);

struct notification;
void irq_forget_notification(const struct notification *n);

/* An interrupt the kernel does not use itself arrived (called by the arch). */
void irq_deliver(uint32_t intid);

#endif
