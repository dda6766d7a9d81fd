/*
 * The fake architecture's guest state: EL1 registers and list registers,
 * held by one fake CPU at a time as on hardware, with load and save
 * counters; tests read and change them as a guest would.
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

/*
 * A vCPU's state. While a fake CPU holds it (arch_vcpu_load, until
 * arch_vcpu_save), reg, lr and underflow live in that CPU's registers
 * (struct fake_vcpu_regs), and the copy here is stale, as on hardware; a
 * CPU that reaches state another CPU holds is a kernel bug, reported
 * through fake_misuse (fake.h).
 */
struct arch_vcpu {
	unsigned loads;
	unsigned saves;
	unsigned undefs; /* Undefined-instruction exceptions injected. */
	unsigned aborts; /* External aborts injected... */
	bool abortable;	 /* ...each for an abort exit a test marked so (then cleared). */
	uint64_t reg[MICA_VCPU_REG_COUNT];
	struct fake_lr lr[16];
	bool underflow;	      /* The underflow maintenance interrupt is asked for. */
	uint32_t timers_due;  /* What arch_timers_due answers. */
	uint8_t held_by;      /* 1 + the fake CPU whose registers hold it; 0: none. */
	uint64_t incarnation; /* A new number at each arch_vcpu_init: the state began anew. */
};

/* A fake CPU's registers for the vCPU state it holds. */
struct fake_vcpu_regs {
	uint64_t reg[MICA_VCPU_REG_COUNT];
	struct fake_lr lr[16];
	bool underflow;
};

void arch_vcpu_init(struct arch_vcpu *v);
void arch_vcpu_load(struct arch_vcpu *v);
void arch_vcpu_save(struct arch_vcpu *v);

/*
 * What the guest reaches directly, as it runs on the fake CPU the test runs
 * as: list register n, and EL1 register reg, of v's state where it is now
 * (the CPU's registers, or v's copy if no CPU holds it).
 */
struct fake_lr *fake_vcpu_lr(struct arch_vcpu *v, unsigned n);
uint64_t *fake_vcpu_reg(struct arch_vcpu *v, unsigned reg);

static inline void arch_vcpu_reset_regs(struct arch_regs *regs)
{
	regs->is_guest = true;
}

struct tcb;

enum mica_error arch_vcpu_read_reg(struct arch_vcpu *v, bool loaded, const struct tcb *t,
				   uint64_t reg, uint64_t *out);
enum mica_error arch_vcpu_write_reg(struct arch_vcpu *v, bool loaded, struct tcb *t, uint64_t reg,
				    uint64_t value);
void arch_vcpu_inject_undef(struct arch_vcpu *v, bool loaded, struct arch_regs *regs);
enum mica_error arch_vcpu_inject_abort(struct arch_vcpu *v, bool loaded, struct arch_regs *regs);

#endif
