/*
 * The fake architecture's guest state: nothing to load or save.
 */
#ifndef MICA_FAKE_VCPU_H
#define MICA_FAKE_VCPU_H

#include <arch/regs.h>

struct arch_vcpu {
	unsigned loads;
	unsigned saves;
};

static inline void arch_vcpu_init(struct arch_vcpu *v)
{
	v->loads = 0;
	v->saves = 0;
}

static inline void arch_vcpu_load(const struct arch_vcpu *v)
{
	(void)v;
}

static inline void arch_vcpu_save(struct arch_vcpu *v)
{
	v->saves++;
}

static inline void arch_vcpu_reset_regs(struct arch_regs *regs)
{
	(void)regs;
}

#endif
