/*
 * What test guests and the test VMMs that run them agree on.
 */
#ifndef MICA_TESTS_GUEST_H
#define MICA_TESTS_GUEST_H

#define GUEST_RAM_BASE	   0x40000000ull
#define GUEST_IMAGE_BASE   0x40080000ull /* Where the image is linked (guest.ld). */
#define GUEST_IMAGE_PAGES  64ull
#define GUEST_UNMAPPED_IPA 0x10000000ull /* Nothing there until the VMM maps it. */
#define GUEST_MAGIC	   0x6d696361ull

/* Hypercall numbers (x0) of the test protocol. */
#define GUEST_CALL_HELLO  0xa1 /* x1..x7 = 1..7; the VMM answers x0..x3 = 0xb0..0xb3. */
#define GUEST_CALL_ECHO	  0xa2 /* x1..x4 = what the guest got back from HELLO. */
#define GUEST_CALL_SMC	  0xa3 /* Made with SMC; answered like an HVC. */
#define GUEST_CALL_READ	  0xa4 /* x1 = what the guest read at GUEST_UNMAPPED_IPA. */
#define GUEST_CALL_DONE	  0xaf
#define GUEST_CALL_NULL	  0xb0 /* The benchmark guest's null hypercall. */
#define GUEST_CALL_RESULT 0xb1 /* x1..x3 = min, median, max instructions; x4 = GUEST_BENCH_*. */

/* The benchmark guest's measurements. */
#define GUEST_BENCH_HVC		  0
#define GUEST_BENCH_MMIO_READ	  1
#define GUEST_BENCH_MMIO_WRITE	  2
#define GUEST_BENCH_MMIO_READ_VMM 3
#define GUEST_BENCH_SYSREG_READ	  4
/* bench_ipi.c: an SGI to a vCPU on another CPU, with the VMM on the sender's CPU or the target's.
 */
#define GUEST_BENCH_IPI_VMM_WITH_SENDER 5
#define GUEST_BENCH_IPI_VMM_WITH_TARGET 6
/* bench_switch.c: one VM's vCPU hands its CPU to another VM's by SGI. */
#define GUEST_BENCH_VM_SWITCH 7
/* bench_doorbell.c: a channel's doorbell between two VMs, one way and a round trip. */
#define GUEST_BENCH_DOORBELL_ONE_WAY	8
#define GUEST_BENCH_DOORBELL_ROUND_TRIP 9
/*
 * bench_bulk.c: 16 MiB through a channel's ring between two VMs, the consumer copying each
 * slot out or checksumming it in place, and for scale the same 16 MiB copied, and
 * checksummed, in one VM. Each reports from its id up: instructions, bytes per 1000
 * instructions, and (the channel's) doorbells rung per MiB.
 */
#define GUEST_BENCH_BULK_MEMCPY	  10
#define GUEST_BENCH_BULK_COPY_OUT 12
#define GUEST_BENCH_BULK_IN_PLACE 15
#define GUEST_BENCH_BULK_CHECKSUM 18
#define GUEST_BENCH_COUNT	  20
#define GUEST_DOORBELL_SPI	  48u
#define GUEST_DOORBELL_CROSS_CPU  2u /* In x0: the two VMs run on two CPUs. */
#define GUEST_IPI_SGI		  3u

/*
 * The VM-switch benchmark's two VMs both have the same GUEST_SWITCH_PAGES
 * pages at GUEST_SWITCH_IPA (above the image), which their VMM
 * (apps/bench) maps into both.
 */
#define GUEST_SWITCH_IPA   0x40200000ull
#define GUEST_SWITCH_PAGES 21ull

/* The MMIO guest (mmio.c) and its VMM (tests/user/vm_mmio.c). */
#define GUEST_DEV_BASE		 0x09100000ull /* Bound to the test device server. */
#define GUEST_DEV_SIZE		 0x1000ull
#define GUEST_VMM_DEV_BASE	 0x09200000ull /* Not bound: the VMM serves it. */
#define GUEST_DEV_NEGATIVE	 0x0 /* Reads give 0xf0e1d2c3b4a59687: every width's top bit set. */
#define GUEST_DEV_POSITIVE	 0x8 /* Reads give 0x1122334455667708: no width's top bit set. */
#define GUEST_DEV_WRITES	 0x100 /* Stores of 1, 2, 4, 8 bytes at +0, +2, +4, +8. */
#define GUEST_DEV_DECLINE	 0xff8 /* The server declines: the VMM answers. */
#define GUEST_DEV_ABANDON	 0xff0 /* The server drops its reply object: the load comes again. */
#define GUEST_DEV_NEGATIVE_VALUE 0xf0e1d2c3b4a59687ull
#define GUEST_DEV_POSITIVE_VALUE 0x1122334455667708ull
#define GUEST_VMM_DEV_VALUE	 0x5a5a5a5aull
#define GUEST_DECLINED_VALUE	 0x77ull
#define GUEST_ABANDONED_VALUE	 0x88ull
#define GUEST_ACTLR_VALUE	 0xacc0ull

/* The FP/SIMD guest (fp.c) and its VMM (tests/user/fp.c). */
#define GUEST_CALL_FP	    0xd0 /* x1 = round: the guest's registers are full. */
#define GUEST_CALL_FP_CHECK 0xd1 /* x1 = round, x2 = values that changed (want 0). */
#define GUEST_FP_ROUNDS	    4u
#define GUEST_FP_SEED	    0x6600000000000000ull

#define GUEST_CALL_FAIL	      0xa6 /* x1 = the guest's line, x2 = got, x3 = expected. */
#define GUEST_CALL_UNDEF      0xa7 /* Next: ACTLR_EL1 read; answer it with an undefined instruction. */
#define GUEST_CALL_MMIO_END   0xa8 /* x1 = checks made, x2 = exceptions taken at EL1. */
#define GUEST_CALL_UNEXPECTED 0xae /* irq_vectors.S: x1 vector offset, x2 ESR_EL1, x3 ELR_EL1. */

/*
 * The irq test guest (irq.c) and its VMM (tests/user/vm_irq.c). SPIs the
 * VMM injects are GUEST_SPI and up.
 */
#define GUEST_SPI	       40u
#define GUEST_SPI_MANY	       48u /* GUEST_SPI_COUNT of them, at GUEST_SPI_PRIORITY(i). */
#define GUEST_SPI_COUNT	       8u
#define GUEST_SPI_PRIORITY(i)  ((((i)*5u) % 8u) * 0x10u) /* A permutation of 0x00..0x70. */
#define GUEST_CALL_TIMER_WAIT  0xc0 /* x1 = when armed: the guest now waits in WFI. */
#define GUEST_CALL_TIMER_WOKE  0xc1 /* x1 armed, x2 deadline, x3 woke, x4 timer IRQs. */
#define GUEST_CALL_SPI_WAIT    0xc2 /* Waiting in WFI: inject GUEST_SPI, notify EOI. */
#define GUEST_CALL_SPI_TAKEN   0xc3 /* x1 = the INTID taken, x2 = how many. */
#define GUEST_CALL_CLEAR_SETUP 0xc4 /* Interrupts masked: inject GUEST_SPI + 1. */
#define GUEST_CALL_CLEAR_NOW   0xc5 /* Withdraw it (it sits in a list register now). */
#define GUEST_CALL_CLEAR_DONE  0xc6 /* x1 = interrupts taken while unmasked (want 0). */
#define GUEST_CALL_MANY	       0xc7 /* Masked: inject all GUEST_SPI_MANY ones. */
/* x1 = each INTID - GUEST_SPI_MANY, 4 bits each in the order taken; x2 = how many. */
#define GUEST_CALL_MANY_DONE  0xc8
#define GUEST_CALL_VIRQ_READY 0xc9 /* Benchmark: x1 = counter at the last handler entry. */
/* As GUEST_CALL_TIMER_WOKE, for the EL1 physical timer: x4 = its IRQs. */
#define GUEST_CALL_PTIMER_WOKE 0xca

/*
 * The hostile guest (hostile.c) and its VMM (tests/user/vm_hostile.c). The
 * guest announces each attack with GUEST_CALL_ATTACK, makes it, then says
 * what its own EL1 vectors saw with GUEST_CALL_ATTACK_END; every exit in
 * between belongs to the attack. An attack is a leaf function entered with
 * x30 its return address: whoever recovers from a fault it causes (the
 * guest's vectors, or the VMM writing the PC) resumes at x30.
 */
#define GUEST_CALL_ATTACK 0xc0 /* x1 = the attack (enum hostile_attack). */
/* x1 = the attack, x2 = EL1 exceptions it caused, x3 = the last ESR_EL1, x4 = x0 after it. */
#define GUEST_CALL_ATTACK_END	0xc1
#define GUEST_CALL_HOSTILE_DONE 0xc2 /* x1 = attacks made. */
#define GUEST_CALL_TICK		0xc8 /* The steady guest: x1 = iterations so far. */

/* Guest-physical addresses the hostile guest attacks; none is ever mapped. */
#define HOSTILE_MMIO_IPA 0x0a000000ull	       /* Below RAM, as a device would be. */
#define HOSTILE_FAR_IPA	 0x7f00000000ull       /* Near the top of the 39-bit IPA space. */
#define HOSTILE_HUGE_IPA 0x10000000000ull      /* Bit 40: past the IPA space, within the PA size. */
#define HOSTILE_WILD_VA	 0x1000000000000000ull /* Past any physical address size. */

/* What the VMM answers to an MMIO read, and what the guest stores. */
#define HOSTILE_MMIO_READ   0x8899aabbccddeeffull
#define HOSTILE_SYSREG_READ 0x5ca1ab1e0000beefull /* What it answers to a trapped MRS. */
#define HOSTILE_MMIO_WRITE  0x0123456789abcdefull

/* The hostile guest's attacks, in the order it makes them. */
enum hostile_attack {
	/* Hypercalls with garbage. */
	HOSTILE_HVC_GARBAGE,
	HOSTILE_HVC_IMM_GARBAGE,
	HOSTILE_SMC_GARBAGE,
	HOSTILE_SMC_ALL_ONES,
	/* Waiting, and hogging the CPU. */
	HOSTILE_WFI,
	HOSTILE_WFE,
	HOSTILE_SPIN,
	/* System registers. */
	HOSTILE_READ_ID_REG,
	HOSTILE_WRITE_ID_REG,
	HOSTILE_WRITE_MIDR,
	HOSTILE_READ_WRITE_ONLY_REG,
	HOSTILE_READ_IMPDEF_C15,
	HOSTILE_WRITE_IMPDEF_C15,
	HOSTILE_READ_IMPDEF_C11,
	HOSTILE_READ_EL3_IMPDEF,
	HOSTILE_SYS_UNALLOCATED,
	HOSTILE_READ_HCR_EL2,
	HOSTILE_WRITE_VBAR_EL2,
	HOSTILE_READ_EL2_TIMER,
	HOSTILE_WRITE_EL2_TIMER,
	HOSTILE_WRITE_CNTVOFF,
	HOSTILE_TLBI_EL2,
	HOSTILE_READ_PHYS_COUNTER,
	HOSTILE_WRITE_PHYS_TIMER,
	HOSTILE_WRITE_ICC_SGI1R,
	HOSTILE_READ_ICC_IAR1,
	HOSTILE_WRITE_ICC_PMR,
	HOSTILE_READ_MDSCR,
	HOSTILE_WRITE_DBGBVR,
	HOSTILE_READ_PMCR,
	HOSTILE_READ_PMCCNTR,
	/* Loads and stores to guest-physical addresses with nothing there. */
	HOSTILE_LDRB,
	HOSTILE_LDRH,
	HOSTILE_LDR_W,
	HOSTILE_LDR_X,
	HOSTILE_LDRSB_X,
	HOSTILE_LDRSH_W,
	HOSTILE_LDRSW,
	HOSTILE_LDAR,
	HOSTILE_STRB,
	HOSTILE_STRH,
	HOSTILE_STR_W,
	HOSTILE_STR_X,
	HOSTILE_STR_XZR,
	HOSTILE_STLR,
	HOSTILE_LDR_UNALIGNED,
	HOSTILE_LDR_UNALIGNED_CHECKED,
	HOSTILE_LDXR,
	HOSTILE_STXR,
	HOSTILE_LDP,
	HOSTILE_STP,
	HOSTILE_LDR_WRITEBACK,
	HOSTILE_LDR_FAR_IPA,
	HOSTILE_LDR_HUGE_IPA,
	HOSTILE_LDR_WILD_VA,
	HOSTILE_DC_CIVAC,
	HOSTILE_DC_IVAC,
	HOSTILE_DC_ZVA,
	HOSTILE_IC_IVAU,
	HOSTILE_AT_S1E1R,
	HOSTILE_DC_ISW,
	HOSTILE_TLBI_VMALLE1,
	/* Control flow. */
	HOSTILE_BRANCH_UNMAPPED,
	HOSTILE_BRANCH_HUGE_IPA,
	HOSTILE_BRANCH_WILD_VA,
	HOSTILE_BRANCH_MISALIGNED,
	HOSTILE_BRK,
	HOSTILE_SVC,
	HOSTILE_HLT,
	HOSTILE_UDF,
	HOSTILE_ERET_EL2,
	HOSTILE_ERET_AARCH32,
	HOSTILE_ERET_ALL_ONES,
	HOSTILE_ERET_UNMAPPED,
	HOSTILE_ERET_MISALIGNED,
	/* Floating point, which the guest's CPACR and then the kernel's CPTR trap. */
	HOSTILE_FP_EL1_TRAP,
	HOSTILE_FP_ENABLED,
	/* Last: unlock the OS lock and turn on software step. */
	HOSTILE_UNLOCK_OS_LOCK,
	HOSTILE_MDSCR_SOFTWARE_STEP,
	HOSTILE_ATTACK_COUNT,
};

/* Garbage in x0..x7 of HVC and SMC attacks: hostile_garbage(attack, i). */
static inline unsigned long long hostile_garbage(unsigned attack, unsigned i)
{
	unsigned long long x = 0x9e3779b97f4a7c15ull * (attack * 8u + i + 1u);

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

/*
 * The passthrough guest (passthrough.c) and its VMM (tests/user/vm_passthrough.c):
 * QEMU virt's PL011 mapped into the guest at its own address, and its
 * interrupt passed through as the same INTID.
 */
#define GUEST_UART_IPA		 0x09000000ull
#define GUEST_UART_INTID	 33u
#define GUEST_PASSTHROUGH_ROUNDS 3u
#define GUEST_CALL_PASSTHROUGH                                                                     \
	0xd0 /* x1 = interrupts taken, x2 = the last INTID, x3 = spurious.                         \
	      */

/*
 * The TPIDRRO guest (tpidrro.c) and its VMMs (tests/user/vm_tpidrro.c): the
 * guest sets TPIDRRO_EL0 to the value its VMM gives it, then exits to the
 * VMM round after round and reads the register back after each exit.
 */
#define GUEST_CALL_TPIDRRO_READY    0xf0 /* The VMM answers x0 = the value, x1 = the rounds. */
#define GUEST_CALL_TPIDRRO_ROUND    0xf1 /* x1 = the round (1, 2, ...); read back after it. */
#define GUEST_CALL_TPIDRRO_MISMATCH 0xf2 /* x1 = the round, x2 = what TPIDRRO_EL0 held. */
#define GUEST_CALL_TPIDRRO_DONE	    0xf3 /* x1 = rounds made, x2 = mismatches seen. */

/*
 * Helpers for the guests themselves (the counters also read at EL0 under
 * Mica, so their VMMs use them too).
 */
#include <stdint.h>

/* PMCCNTR_EL0: under QEMU's -icount, instructions executed at every level. */
static inline uint64_t guest_cycles(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, pmccntr_el0" : "=r"(v)::"memory");
	return v;
}

/* CNTVCT_EL0 and CNTFRQ_EL0: the virtual count and its ticks per second. */
static inline uint64_t guest_ticks(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

static inline uint64_t guest_tick_hz(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* What a hypercall's answer leaves in x0..x3. */
struct guest_answer {
	uint64_t x[4];
};

/* HVC #0 with x0..x4 (x5..x7 are the VMM's to change). */
static inline struct guest_answer guest_hvc(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
					    uint64_t a4)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	register uint64_t x4 __asm__("x4") = a4;

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4)::"x5", "x6", "x7",
			   "memory");
	return (struct guest_answer){{x0, x1, x2, x3}};
}

#endif
