/*
 * Functions private to the aarch64 port, shared among its files.
 */
#ifndef MICA_ARCH_INTERNAL_H
#define MICA_ARCH_INTERNAL_H

#include "arch.h"

/* mmu.c */
void mmu_drop_identity_map(void);
/* Every CPU but the boot one: switch to the empty table that replaced the identity map. */
void mmu_leave_identity_map(void);

/* cpu.c: what each CPU sets up for itself; each CPU's kernel stack top. */
void cpu_init_this(unsigned cpu);

/* gicv3.c: the physical GIC, driven by the kernel for its own interrupts. */
#define GIC_SPURIOUS_FIRST 1020u
#define GIC_SGI_KICK	   0u /* Enter the kernel (smp.h). */
void gic_init(const struct platform *platform);
/* Another CPU: find its redistributor (on the boot CPU), then set it up (on that CPU). */
bool gic_find_cpu(const struct platform *platform, unsigned cpu, uint64_t mpidr);
void gic_init_this_cpu(void);
void gic_send_sgi(uint64_t mpidr, uint32_t intid);
void gic_enable_ppi(uint32_t intid);
uint32_t gic_acknowledge(void);
void gic_end_of_interrupt(uint32_t intid);

/* timer.c: the kernel's tick (the guests' timers are vgic.c's: vgic_timer_of). */
uint32_t timer_intid(void);
void timer_handle(void);
void timer_init_this_cpu(void);

/* vgic.c: the GIC virtual CPU interface (ICH_*_EL2) and its maintenance interrupt. */
struct arch_vcpu;
void vgic_hw_init(const struct platform *platform);
void vgic_hw_init_this_cpu(void);
uint32_t vgic_hw_maintenance_intid(void);
void vgic_hw_init_vcpu(struct arch_vcpu *v);
void vgic_hw_load(struct arch_vcpu *v);
void vgic_hw_save(struct arch_vcpu *v);
/* After arch_vgic_idle: the virtual CPU interface of the vCPU loaded here (NULL: none) is on again.
 */
void vgic_hw_resume(const struct arch_vcpu *loaded);

/* vcpu.c: a guest's exception arrived (t runs a vCPU). */
struct tcb;
void arch_guest_exit(struct tcb *t, uint64_t esr);

/* exception.c: entered from vectors.S. */
struct arch_regs *exception_enter_user(struct arch_regs *regs, bool sync);
struct arch_regs *exception_user_sync(struct arch_regs *regs);
struct arch_regs *exception_user_irq(struct arch_regs *regs);
struct arch_regs *exception_user_fiq(struct arch_regs *regs);
struct arch_regs *exception_user_serror(struct arch_regs *regs);
void exception_kernel_sync(struct arch_regs *frame);
NORETURN void exception_kernel_irq(struct arch_regs *frame);
NORETURN void exception_kernel_bad(struct arch_regs *frame);

#endif
