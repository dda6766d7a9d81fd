/*
 * The AArch64 register context the kernel saves for a thread at every
 * exception from EL0, and the per-address-space translation state.
 */
#ifndef MICA_ARCH_REGS_H
#define MICA_ARCH_REGS_H

#define REGS_SP	   248
#define REGS_PC	   256
#define REGS_TPIDR 272
#define REGS_SIZE  288

/* Offset, in the per-CPU block at TPIDR_EL2, of the kernel stack's top. */
#define CPU_KSTACK_TOP 0

#ifndef __ASSEMBLER__
#include <stdint.h>

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

/* A user address space: its level-1 table and address-space identifier. */
struct arch_vspace {
	uint64_t root_pa;
	uint16_t asid;
};

_Static_assert(sizeof(struct arch_regs) == REGS_SIZE, "vectors.S frame size");
_Static_assert(__builtin_offsetof(struct arch_regs, sp) == REGS_SP, "vectors.S sp offset");
_Static_assert(__builtin_offsetof(struct arch_regs, pc) == REGS_PC, "vectors.S pc offset");
_Static_assert(__builtin_offsetof(struct arch_regs, tpidr) == REGS_TPIDR, "vectors.S tpidr");
#endif

#endif
