/*
 * The AArch64 register context the kernel saves for a thread at every
 * exception from EL0, and the per-address-space translation state.
 */
#ifndef MICA_ARCH_REGS_H
#define MICA_ARCH_REGS_H

#define REGS_SP	    248
#define REGS_PC	    256
#define REGS_PSTATE 264
#define REGS_TPIDR  272
#define REGS_SIZE   288

/* struct arch_cpu, for vectors.S. */
#define ARCH_CPU_KICKS 12

/* offsetof(struct arch_fp, fpsr): after q0..q31. */
#define ARCH_FP_FPSR 512

/* The system calls vectors.S sends to the fastpath (static_assert in user.c). */
#define FASTPATH_SYS_CALL	5
#define FASTPATH_SYS_REPLY_RECV 8
#define ESR_EC_SVC64_VALUE	0x15
#define ESR_EC_HVC64_VALUE	0x16
#define ESR_EC_SYSREG_VALUE	0x18
#define ESR_EC_DABT_LOW_VALUE	0x24

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

#include "vmid.h"

/* SPSR_EL2.SS: a guest's software step of the instruction it returns to is still to do. */
#define ARCH_PSTATE_SS (UINT64_C(1) << 21)

/*
 * A thread's whole user context. vectors.S saves into and restores from it
 * at fixed offsets (REGS_* below), so the layout is part of the entry code.
 */
struct arch_regs {
	uint64_t x[31];	 /* x0..x30 */
	uint64_t sp;	 /* SP_EL0 */
	uint64_t pc;	 /* ELR_EL2: where the thread resumes */
	uint64_t pstate; /* SPSR_EL2 */
	uint64_t tpidr;	 /* TPIDR_EL0: the thread pointer */
	uint64_t pad;	 /* Keeps the frame a multiple of 16 bytes. */
};

/*
 * A thread's FP/SIMD registers, saved only when another thread wants the
 * unit (lazy switching, sched_fp_take): q0..q31, FPSR and FPCR. fp.S
 * stores it with paired 128-bit accesses, hence the alignment.
 */
struct arch_fp {
	uint64_t q[64];
	uint64_t fpsr, fpcr;
} __attribute__((aligned(16)));

_Static_assert(__builtin_offsetof(struct arch_fp, fpsr) == ARCH_FP_FPSR, "fp.S's layout");

/* CPTR_EL2 = 0: FP/SIMD (and SVE, SME) trap to EL2 (arch_fp_open opens them). */
static inline void arch_fp_close(void)
{
	__asm__ volatile("msr cptr_el2, xzr" ::: "memory");
}

/*
 * A user address space (stage 1: level-1 table and ASID) or a guest's
 * physical address space (stage 2: level-1 table and VMID).
 */
struct arch_vspace {
	uint64_t root_pa;
	uint16_t asid; /* The VMID for stage 2. */
	bool stage2;
};

/*
 * The system-call convention (<mica/abi/syscall.h>): number in x7,
 * arguments x0..x6; IPC results x0 badge, x1 info, x2..x5 message
 * registers, x6 error. Inline: the IPC fastpath lives on these.
 */
#define ARCH_MR_FIRST	   2
#define ARCH_IPC_ERROR_REG 6

/*
 * The counter, for statistics: read where it stands, with no barrier
 * (arch_counter orders the read; a count of ticks need not).
 */
static inline uint64_t arch_stat_clock(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntpct_el0" : "=r"(v));
	return v;
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
	return i < 4 ? regs->x[ARCH_MR_FIRST + i] : 0;
}

static inline void arch_regs_set_mr(struct arch_regs *regs, unsigned i, uint64_t v)
{
	if (i < 4)
		regs->x[ARCH_MR_FIRST + i] = v;
}

/* Copy message registers 0..3 from one context to another. */
static inline void arch_regs_copy_mrs(struct arch_regs *to, const struct arch_regs *from)
{
	to->x[2] = from->x[2];
	to->x[3] = from->x[3];
	to->x[4] = from->x[4];
	to->x[5] = from->x[5];
}

/*
 * Resume the thread past the instruction of len bytes that it trapped on.
 * For a guest single-stepping that instruction, the step is then complete:
 * PSTATE.SS clear, it takes its software step exception before the next
 * (Arm ARM D2.12, "Software Step exceptions").
 */
static inline void arch_regs_skip(struct arch_regs *regs, unsigned len)
{
	regs->pc += len;
	regs->pstate &= ~ARCH_PSTATE_SS;
}

static inline void arch_regs_set_ipc_result(struct arch_regs *regs, int err, uint64_t badge,
					    uint64_t info)
{
	regs->x[0] = badge;
	regs->x[1] = info;
	regs->x[ARCH_IPC_ERROR_REG] = (uint64_t)err;
}

/*
 * An address space as one word that names it and activates it: the
 * TTBR0_EL2 value (ASID in bits 63..48) for a host address space; for a
 * guest's, its stage-2 root with the VM's handle in bits 63..48 (see
 * vmid.h) and bit 0 set.
 */
#define ARCH_TOKEN_STAGE2 UINT64_C(1)
#define ARCH_TOKEN_ROOT	  UINT64_C(0x0000fffffffffffe)

static inline uint64_t arch_vspace_token(const struct arch_vspace *vs)
{
	return vs->root_pa | (uint64_t)vs->asid << 48 | (vs->stage2 ? ARCH_TOKEN_STAGE2 : 0);
}

/* HCR_EL2 for host threads (EL2&0 regime) and for guests (EL1&0, trapping). */
extern uint64_t arch_hcr_host, arch_hcr_guest;

/*
 * No ISB: the kernel itself never uses TTBR0_EL2 translations (it reaches
 * user memory through the physmap), and the ERET back to EL0 is a context
 * synchronization event (Arm ARM D1.4.1 / "Context synchronization
 * event"), so the new tables are in effect for the first user instruction.
 */
/*
 * What the arch keeps of a CPU at the head of its per-CPU data (struct
 * sched_cpu), which TPIDR_EL2 points at: vectors.S finds the kernel stack
 * there on every entry from a thread.
 */
struct arch_cpu {
	uintptr_t stack_top; /* Offset 0: vectors.S loads it. */
	uint16_t index;
	uint16_t vm_handle; /* The VM whose VMID VTTBR_EL2 was last given (arch_vmid_held). */
	uint32_t kicks;	    /* Offset 12: CPUs to kick once the lock is released (arch_kick). */
	/*
	 * TPIDRRO_EL0 is an EL0 register that a guest's EL1 writes and every
	 * host thread at EL0 could read. While host threads run on this CPU it
	 * holds 0, and the value of the vCPU loaded here waits in this word;
	 * the switches between host and guest address spaces below move it
	 * (and arch_vcpu_save/load know where it is). Per CPU: each CPU has a
	 * vCPU of its own loaded, perhaps of another VM.
	 */
	uint64_t guest_tpidrro;
	/*
	 * MDSCR_EL1 governs debug exceptions at every level, the host's
	 * included: host threads run with 0 (no breakpoint, watchpoint or
	 * step), and the loaded vCPU's value waits here, moved like
	 * guest_tpidrro. Guests never write the register themselves
	 * (MDCR_EL2.TDA traps them to their VMM).
	 */
	uint64_t guest_mdscr;
};

/* This CPU's per-CPU data (the kernel code running on a CPU stays on it). */
static inline void *arch_cpu_local(void)
{
	void *local;

	__asm__("mrs %0, tpidr_el2" : "=r"(local));
	return local;
}

/* Switch between host address spaces only (HCR_EL2 stays as it is). */
static inline void arch_vspace_activate_host_token(uint64_t token)
{
	__asm__ volatile("msr ttbr0_el2, %0" ::"r"(token) : "memory");
}

/* Switch from the address space previous (a token) to token's. */
static inline void arch_vspace_activate_token(uint64_t token, uint64_t previous)
{
	if (__builtin_expect(token & ARCH_TOKEN_STAGE2, 0)) {
		/* The token names the VM by its handle; VTTBR_EL2 wants its VMID now. */
		struct arch_cpu *cpu = arch_cpu_local();
		uint16_t handle = (uint16_t)(token >> 48);
		uint64_t vttbr = (token & ARCH_TOKEN_ROOT) | (uint64_t)vmid_hw(&vmids, handle)
								     << 48;

		cpu->vm_handle = handle;

		__asm__ volatile("msr vttbr_el2, %0\n\tmsr hcr_el2, %1" ::"r"(vttbr),
				 "r"(arch_hcr_guest)
				 : "memory");
		if (!(previous & ARCH_TOKEN_STAGE2))
			__asm__ volatile("msr tpidrro_el0, %0\n\tmsr mdscr_el1, %1" ::"r"(
						 cpu->guest_tpidrro),
					 "r"(cpu->guest_mdscr)
					 : "memory");
		return;
	}
	__asm__ volatile("msr ttbr0_el2, %0" ::"r"(token) : "memory");
	/* From a guest back to the host: TGE again (EL0 in the EL2&0 regime). */
	if (__builtin_expect(previous & ARCH_TOKEN_STAGE2, 0)) {
		uint64_t tpidrro;

		__asm__ volatile("msr hcr_el2, %1\n\t"
				 "mrs %0, tpidrro_el0\n\t"
				 "msr tpidrro_el0, xzr\n\t"
				 "msr mdscr_el1, xzr"
				 : "=&r"(tpidrro)
				 : "r"(arch_hcr_host)
				 : "memory");
		((struct arch_cpu *)arch_cpu_local())->guest_tpidrro = tpidrro;
	}
}

/* Which CPU this is. */
static inline unsigned arch_cpu_index(void)
{
	return ((const struct arch_cpu *)arch_cpu_local())->index;
}

_Static_assert(sizeof(struct arch_regs) == REGS_SIZE, "vectors.S frame size");
_Static_assert(__builtin_offsetof(struct arch_cpu, kicks) == ARCH_CPU_KICKS, "vectors.S kicks");
_Static_assert(__builtin_offsetof(struct arch_regs, sp) == REGS_SP, "vectors.S sp offset");
_Static_assert(__builtin_offsetof(struct arch_regs, pc) == REGS_PC, "vectors.S pc offset");
_Static_assert(__builtin_offsetof(struct arch_regs, pstate) == REGS_PSTATE, "vectors.S pstate");
_Static_assert(__builtin_offsetof(struct arch_regs, tpidr) == REGS_TPIDR, "vectors.S tpidr");
#endif

#endif
