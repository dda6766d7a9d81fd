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
extern uint16_t fake_vmid_held[];  /* arch_vmid_held: the VM each CPU last ran. */
extern bool fake_irq_enabled[1024];
/* What arch_counter reads, and the earliest time arch_timer_wake_by was asked for. */
extern uint64_t fake_counter;
extern uint64_t fake_timer_wake_by;

/* If not 0, every fake_preempt_every-th preemption point finds an interrupt pending. */
extern unsigned fake_preempt_every;
/* The list registers the fake GIC has (4, like QEMU's), and arch_vgic_idle calls. */
extern unsigned fake_lr_count;
extern unsigned fake_vgic_idles;

/*
 * The fake CPUs (struct fake_cpu in <arch/regs.h>). fake_cpu_switch makes
 * the host thread run as cpu: the kernel finds sched_cpus[cpu] as its
 * per-CPU data, and the fake's registers are that CPU's. fake_cpus_reset
 * clears every CPU's registers and runs as CPU 0 again. With more than one
 * CPU (smp_cpu_count), arch_send_ipi raises a CPU's ipi_pending, and
 * arch_cpu_relax, the lock holder's spin, has every other CPU answer a
 * stall (smp_answer_stall) as if it waited for the lock: so a stall ends
 * (and a million spins with no kick in between are reported as a misuse).
 */
void fake_cpu_switch(unsigned cpu);
void fake_cpus_reset(void);

/*
 * Called when a CPU reaches state another CPU holds (a vCPU's registers,
 * or state the kernel believes elsewhere), with what happened; NULL: the
 * fake prints it and aborts.
 */
extern void (*fake_misuse)(const char *what);
void fake_report_misuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A zeroed page for tables a test asks arch_vspace_map to make
 * (alloc_page); fake_forget_mappings frees them all (between tests).
 */
paddr_t fake_alloc_page(void);
void fake_forget_mappings(void);

#endif
