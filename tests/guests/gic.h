/*
 * What test guests need of the GICv3 CPU interface and the virtual timer.
 * A guest reaches the virtual CPU interface through the ICC_* system
 * registers (the kernel sets HCR_EL2.IMO, so they are the ICV_* ones);
 * its distributor is not emulated yet, and list-register delivery needs
 * none.
 */
#ifndef MICA_TESTS_GIC_H
#define MICA_TESTS_GIC_H

#include <stdint.h>

#define GIC_SPURIOUS	1023u
#define VTIMER_INTID	27u
#define PTIMER_INTID	30u
#define CNTV_CTL_ENABLE 1u

/* irq_vectors.S */
void guest_vectors_install(void);
void guest_irq(void); /* Each test guest's handler. */

#define sysreg_set(reg, v)                                                                         \
	__asm__ volatile("msr " reg ", %0\n\tisb" ::"r"((uint64_t)(v)) : "memory")

/* Let every priority through and enable Group 1 (ICC_PMR_EL1, ICC_IGRPEN1_EL1). */
static inline void gic_cpu_enable(void)
{
	sysreg_set("S3_0_C4_C6_0", 0xff);
	sysreg_set("S3_0_C12_C12_7", 1);
}

/* ICC_IAR1_EL1: acknowledge the best pending interrupt. */
static inline unsigned gic_ack(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(v)::"memory");
	return (unsigned)v & 0xffffff;
}

/* ICC_EOIR1_EL1: drop its priority and deactivate it (EOImode 0). */
static inline void gic_eoi(unsigned intid)
{
	sysreg_set("S3_0_C12_C12_1", intid);
}

static inline void irqs_on(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

static inline void irqs_off(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static inline void wfi(void)
{
	__asm__ volatile("dsb sy\n\twfi" ::: "memory");
}

/* The virtual timer fires ticks from now; 0 stops it. */
static inline void vtimer_arm(uint64_t ticks)
{
	sysreg_set("cntv_tval_el0", ticks);
	sysreg_set("cntv_ctl_el0", ticks != 0 ? CNTV_CTL_ENABLE : 0);
}

/* The EL1 physical timer likewise. */
static inline void ptimer_arm(uint64_t ticks)
{
	sysreg_set("cntp_tval_el0", ticks);
	sysreg_set("cntp_ctl_el0", ticks != 0 ? CNTV_CTL_ENABLE : 0);
}

static inline uint64_t ptimer_deadline(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntp_cval_el0" : "=r"(v));
	return v;
}

static inline uint64_t vtimer_deadline(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntv_cval_el0" : "=r"(v));
	return v;
}

#endif
