/*
 * What host tests can see and steer of the fake architecture.
 */
#ifndef MICA_FAKE_H
#define MICA_FAKE_H

#include <setjmp.h>
#include <stdbool.h>

#include "types.h"

/* If set, arch_power_off longjmps here (after recording the status). */
extern jmp_buf *fake_power_off_jump;
extern int fake_power_off_status;
/* If set, arch_wait_for_interrupt (nothing to run) longjmps here. */
extern jmp_buf *fake_idle_jump;
extern unsigned fake_interrupt_waits;
/* Calls of arch_vspace_unmap and arch_vspace_unmap_table. */
extern unsigned fake_unmap_count;
extern unsigned fake_vmid_flushes; /* arch_vmid_flush_all calls. */
extern bool fake_irq_enabled[1024];
/* If not 0, every fake_preempt_every-th preemption point finds an interrupt pending. */
extern unsigned fake_preempt_every;
/* The list registers the fake GIC has (4, like QEMU's), and arch_vgic_idle calls. */
extern unsigned fake_lr_count;
extern unsigned fake_vgic_idles;

/*
 * A zeroed page for tables a test asks arch_vspace_map to make
 * (alloc_page); fake_forget_mappings frees them all (between tests).
 */
paddr_t fake_alloc_page(void);
void fake_forget_mappings(void);

#endif
