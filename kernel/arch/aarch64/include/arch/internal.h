/*
 * Functions private to the aarch64 port, shared among its files.
 */
#ifndef MICA_ARCH_INTERNAL_H
#define MICA_ARCH_INTERNAL_H

#include "arch.h"

/* mmu.c */
void mmu_drop_identity_map(void);

/* gicv3.c: the physical GIC, driven by the kernel for its own interrupts. */
#define GIC_SPURIOUS_FIRST 1020u
void gic_init(const struct platform *platform);
void gic_enable_ppi(uint32_t intid);
uint32_t gic_acknowledge(void);
void gic_end_of_interrupt(uint32_t intid);

/* timer.c: the kernel's tick, and the PPI of the guests' virtual timer. */
uint32_t timer_intid(void);
uint32_t timer_virt_intid(void);
void timer_handle(void);

/* vgic.c: the GIC virtual CPU interface (ICH_*_EL2) and its maintenance interrupt. */
struct arch_vcpu;
void vgic_hw_init(const struct platform *platform);
uint32_t vgic_hw_maintenance_intid(void);
void vgic_hw_init_vcpu(struct arch_vcpu *v);
void vgic_hw_load(struct arch_vcpu *v);
void vgic_hw_save(struct arch_vcpu *v);

/* vcpu.c: a guest's exception arrived (t runs a vCPU). */
struct tcb;
void arch_guest_exit(struct tcb *t, uint64_t esr);

/* exception.c: entered from vectors.S. */
struct arch_regs *exception_user_sync(struct arch_regs *regs);
struct arch_regs *exception_user_irq(struct arch_regs *regs);
struct arch_regs *exception_user_fiq(struct arch_regs *regs);
struct arch_regs *exception_user_serror(struct arch_regs *regs);
void exception_kernel_sync(struct arch_regs *frame);
void exception_kernel_irq(struct arch_regs *frame);
NORETURN void exception_kernel_bad(struct arch_regs *frame);

#endif
