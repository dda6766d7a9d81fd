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

/*
 * What a real CPU keeps in its own registers, one per fake CPU: the FP/SIMD
 * unit (open or closed) and its one register, the address space it
 * translates through, and its interrupt controller's kick (an IPI). The
 * host thread runs as one fake CPU at a time, fake_cpu_now (fake.h's
 * fake_cpu_switch), and the fake's functions work on that CPU's: a CPU
 * that saves or reads what another holds gets its own registers instead,
 * as hardware would give it. fake_fp, fake_fp_on and fake_active_token
 * name the running CPU's.
 */
struct fake_cpu {
	struct arch_fp fp;
	uint64_t active_token; /* The last activation. */
	unsigned fp_closes;    /* arch_fp_close calls: a CPU answering a stall closes its unit. */
	unsigned ipis;	       /* Kicks raised for it, ever. */
	unsigned abandoned;    /* Entries it was made to abandon (arch_regs_abandon_entry). */
	bool fp_on;
	bool ipi_pending; /* arch_send_ipi raised a kick that it has not taken yet. */
	bool idle;	  /* It waits in arch_wait_for_interrupt, with nothing to run. */
};

extern struct fake_cpu fake_cpus[]; /* PLATFORM_MAX_CPUS of them. */
extern unsigned fake_cpu_now;

#define fake_fp		  (fake_cpus[fake_cpu_now].fp)
#define fake_fp_on	  (fake_cpus[fake_cpu_now].fp_on)
#define fake_active_token (fake_cpus[fake_cpu_now].active_token)

/* The counter, for statistics: the fake's (fake_counter, in fake.c). */
uint64_t arch_stat_clock(void);

static inline void arch_fp_close(void)
{
	fake_fp_on = false;
	fake_cpus[fake_cpu_now].fp_closes++;
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

/*
 * The running fake CPU's struct sched_cpu (cpu_local.c points it at
 * sched_cpus[0], and fake_cpu_switch at another CPU's): the kernel learns
 * which CPU it is from there, as the real arch does from TPIDR_EL2.
 */
extern void *fake_cpu_local;

static inline void *arch_cpu_local(void)
{
	return fake_cpu_local;
}

static inline unsigned arch_cpu_index(void)
{
	return ((const struct arch_cpu *)fake_cpu_local)->index;
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

/* Resume the thread past the instruction of len bytes that it trapped on. */
static inline void arch_regs_skip(struct arch_regs *regs, unsigned len)
{
	regs->pc += len;
}

static inline void arch_regs_set_ipc_result(struct arch_regs *regs, int err, uint64_t badge,
					    uint64_t info)
{
	regs->x[0] = badge;
	regs->x[1] = info;
	regs->x[6] = (uint64_t)err;
}

#endif
