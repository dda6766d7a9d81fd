/*
 * The fake architecture's guest state: load and save counters, and list
 * registers in memory that tests read and change as a guest would.
 */
#ifndef MICA_FAKE_VCPU_H
#define MICA_FAKE_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/regs.h>
#include <mica/abi/errors.h>
#include <mica/abi/vcpu.h>

/* A list register as the fake keeps it (struct vgic_lr's fields). */
struct fake_lr {
	uint16_t intid;
	uint8_t priority;
	uint8_t state;
	bool eoi;
};

struct arch_vcpu {
	unsigned loads;
	unsigned saves;
	unsigned undefs; /* Undefined-instruction exceptions injected. */
	uint64_t reg[MICA_VCPU_REG_COUNT];
	struct fake_lr lr[16];
	bool underflow;	 /* The underflow maintenance interrupt is asked for. */
	bool vtimer_due; /* What arch_vtimer_is_due answers. */
};

static inline void arch_vcpu_init(struct arch_vcpu *v)
{
	*v = (struct arch_vcpu){0};
}

static inline void arch_vcpu_load(struct arch_vcpu *v)
{
	v->loads++;
}

static inline void arch_vcpu_save(struct arch_vcpu *v)
{
	v->saves++;
}

static inline void arch_vcpu_reset_regs(struct arch_regs *regs)
{
	regs->is_guest = true;
}

struct tcb;

static inline enum mica_error arch_vcpu_read_reg(struct arch_vcpu *v, bool loaded,
						 const struct tcb *t, uint64_t reg, uint64_t *out)
{
	(void)loaded;
	(void)t;
	if (reg >= MICA_VCPU_REG_COUNT)
		return MICA_ERR_INVALID_ARGUMENT;
	*out = v->reg[reg];
	return MICA_OK;
}

static inline enum mica_error arch_vcpu_write_reg(struct arch_vcpu *v, bool loaded, struct tcb *t,
						  uint64_t reg, uint64_t value)
{
	(void)loaded;
	(void)t;
	if (reg >= MICA_VCPU_REG_COUNT)
		return MICA_ERR_INVALID_ARGUMENT;
	v->reg[reg] = value;
	return MICA_OK;
}

static inline void arch_vcpu_inject_undef(struct arch_vcpu *v, bool loaded, struct arch_regs *regs)
{
	(void)loaded;
	(void)regs;
	v->undefs++;
}

#endif
