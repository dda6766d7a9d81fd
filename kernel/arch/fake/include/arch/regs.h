/*
 * The fake architecture's thread context and address space, for host unit
 * tests of generic kernel code. Shapes mirror a real port's: registers for
 * the system-call convention, and an address space named by its root.
 */
#ifndef MICA_FAKE_REGS_H
#define MICA_FAKE_REGS_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_REGS_COUNT	  8
#define FAKE_VSPACE_PAGES 16

struct arch_regs {
	uint64_t x[FAKE_REGS_COUNT]; /* x[7] is the system-call number, as on aarch64. */
	uint64_t pc;
	uint64_t sp;
	bool is_guest; /* The context runs at a guest's exception level (PSTATE's mode). */
};

/* FP/SIMD registers: the fake has one, so tests can see which state is loaded. */
struct arch_fp {
	uint64_t v0;
};

/* An address space is its root table's address; fake.c walks real tables from it. */
struct arch_vspace {
	uint64_t root_pa;
	uint16_t asid;
	bool stage2;
};

/* Tests may look at the last activation. */
extern uint64_t fake_active_token;

/* The fake FP/SIMD unit: open or closed, and its one register. */
extern bool fake_fp_on;
extern struct arch_fp fake_fp;

static inline void arch_fp_close(void)
{
	fake_fp_on = false;
}

static inline uint64_t arch_vspace_token(const struct arch_vspace *vs)
{
	return vs->root_pa ^ (uint64_t)vs->asid << 48;
}

static inline void arch_vspace_activate_host_token(uint64_t token)
{
	fake_active_token = token;
}

static inline void arch_vspace_activate_token(uint64_t token, uint64_t previous)
{
	(void)previous;
	fake_active_token = token;
}

struct arch_cpu {
	unsigned index;
};

/* The host tests run as CPU 0 (fake.c points this at sched_cpus[0]). */
extern void *fake_cpu_local;

static inline void *arch_cpu_local(void)
{
	return fake_cpu_local;
}

static inline unsigned arch_cpu_index(void)
{
	return 0;
}

static inline uintptr_t arch_regs_syscall(const struct arch_regs *regs)
{
	return regs->x[7];
}

static inline uintptr_t arch_regs_arg(const struct arch_regs *regs, unsigned i)
{
	return i < 7 ? regs->x[i] : 0;
}

static inline uint64_t arch_regs_get_mr(const struct arch_regs *regs, unsigned i)
{
	return i < 4 ? regs->x[2 + i] : 0;
}

static inline void arch_regs_set_mr(struct arch_regs *regs, unsigned i, uint64_t v)
{
	if (i < 4)
		regs->x[2 + i] = v;
}

static inline void arch_regs_copy_mrs(struct arch_regs *to, const struct arch_regs *from)
{
	for (unsigned i = 2; i < 6; i++)
		to->x[i] = from->x[i];
}

static inline void arch_regs_set_ipc_result(struct arch_regs *regs, int err, uint64_t badge,
					    uint64_t info)
{
	regs->x[0] = badge;
	regs->x[1] = info;
	regs->x[6] = (uint64_t)err;
}

#endif
