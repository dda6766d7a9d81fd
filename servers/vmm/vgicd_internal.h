/*
 * What the two halves of the GIC model share (vgicd.h): vgicd.c keeps the
 * interrupts' state and forwards them to the vCPUs; vgicd_regs.c is the
 * guest's view of the registers, which reads and changes that state.
 */
#ifndef MICA_VMM_VGICD_INTERNAL_H
#define MICA_VMM_VGICD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vgicd.h"

#define GICD_CTLR_ENABLE_G0 (1u << 0)
#define GICD_CTLR_ENABLE_G1 (1u << 1)

/* IROUTER: Aff0..Aff2 in bits 23:0, Aff3 in 39:32; IRM (31) is RES0 with No1N. */
#define IROUTER_AFFINITY_MASK UINT64_C(0xff00ffffff)

#define SGI_COUNT 16u
#define INTID_SPI 32u

/* An interrupt and who it belongs to: vcpu for INTIDs 0..31. */
struct irq_ref {
	struct vgicd_irq *irq;
	unsigned intid;
	unsigned vcpu;
};

/* No interrupt: what lookup gives for an INTID the vCPU does not have. */
struct irq_ref no_irq(void);

/* INTID intid as vCPU vcpu sees it, or no_irq() if there is none. */
struct irq_ref lookup(struct vgicd *g, unsigned vcpu, unsigned intid);

/* Bring the vCPUs' view of one interrupt, or of all, in line with the model. */
void sync(struct vgicd *g, struct irq_ref r);
void sync_all(struct vgicd *g);

/* Tell the VMM of changes to the SGIs vCPUs take directly, and to the kernel's PPIs. */
void sync_direct_sgis(struct vgicd *g);
void sync_kernel_ppis(struct vgicd *g);

/* Is the interrupt pending, in the model or forwarded to a vCPU? */
bool is_pending(const struct vgicd_irq *irq);

/* The bytes of the redistributor frames of cfg's vCPUs. */
uint64_t redist_size(const struct vgicd_config *cfg);

#endif
