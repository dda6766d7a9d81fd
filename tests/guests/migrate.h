/*
 * What the migration guest (tests/guests/migrate.c, migrate_check.S) and
 * its VMM (tests/user/vm_migrate.c) agree on, for qemu.vm-migrate: the
 * hypercalls, the layout of the values the check loop compares against,
 * and the EL1 system registers it fills.
 *
 * Included by C and by the assembler: only macros outside the C part.
 */
#ifndef MICA_TESTS_MIGRATE_H
#define MICA_TESTS_MIGRATE_H

/* Hypercalls (x0). */
#define GUEST_CALL_MIGRATE_READY 0xe8 /* The VMM answers x0 = the guest's tag (1 or 2). */
/*
 * x1 = rounds done, x2 = 0 if this round saw every register hold its
 * value, else MIGRATE_INDEX_* + 1 of the first that did not, x3 = what it
 * held. The VMM answers x0 = 1 for another round, 0 to stop.
 */
#define GUEST_CALL_MIGRATE_ROUND 0xe9
#define GUEST_CALL_MIGRATE_FAIL	 0xea /* x1 = the guest's line: a set-up step failed. */

/* Check-loop iterations in a round: each compares every register once. */
#define MIGRATE_ITERATIONS 500

/*
 * What each register is checked against, in struct migrate_values: x0..x27
 * at 0, the stack pointer at MIGRATE_SP_OFFSET, v0..v31 (low and high
 * halves) from MIGRATE_FP_OFFSET, and the system registers, in the order of
 * MIGRATE_SYSREGS, from MIGRATE_SYS_OFFSET. x28 and x30 are the loop's
 * scratch registers, and x29 holds the table's address (itself checked).
 */
#define MIGRATE_GPR_COUNT  28
#define MIGRATE_SP_OFFSET  224
#define MIGRATE_FP_OFFSET  256
#define MIGRATE_SYS_OFFSET 768

/* What a mismatch's index names. */
#define MIGRATE_INDEX_X29 29
#define MIGRATE_INDEX_SP  31
#define MIGRATE_INDEX_FP  32 /* + 2n for vn's low half, + 2n + 1 for its high half. */
#define MIGRATE_INDEX_SYS 96 /* + the register's place in MIGRATE_SYSREGS. */

/*
 * X(name, op0, op1, CRn, CRm, op2, tag 1's value, tag 2's value): EL1 and
 * EL0 system registers a guest writes without a trap (qemu.guest-state
 * lists them as "direct"), which the kernel must carry with the vCPU. The
 * values keep the guest running with its MMU off, its timer masked and its
 * interrupts masked; the guest compares against what it reads back after
 * writing, since RES0 bits and absent fields read as the CPU has them.
 */
#define MIGRATE_SYSREGS(X)                                                                         \
	X(ELR_EL1, 3, 0, 4, 0, 1, 0x1e1e000040081230ull, 0x2e2e000040085670ull)                    \
	X(SPSR_EL1, 3, 0, 4, 0, 0, 0x600003c5ull, 0x900003c4ull)                                   \
	X(ESR_EL1, 3, 0, 5, 2, 0, 0x5e001e1eull, 0x1e002e2eull)                                    \
	X(FAR_EL1, 3, 0, 6, 0, 0, 0x1e1e0000f00d0000ull, 0x2e2e0000cafe0000ull)                    \
	X(VBAR_EL1, 3, 0, 12, 0, 0, 0x40100000ull, 0x40100800ull)                                  \
	X(CPACR_EL1, 3, 0, 1, 0, 2, 0x03330000ull, 0x13330000ull)                                  \
	X(SCTLR_EL1, 3, 0, 1, 0, 0, 0x34d0c800ull, 0x30d50a00ull)                                  \
	X(TTBR0_EL1, 3, 0, 2, 0, 0, 0x1e1e000040011000ull, 0x2e2e000040012000ull)                  \
	X(TTBR1_EL1, 3, 0, 2, 0, 1, 0x1e1f000040013000ull, 0x2e2f000040014000ull)                  \
	X(TCR_EL1, 3, 0, 2, 0, 2, 0x00000005b5193519ull, 0x0000000280102510ull)                    \
	X(MAIR_EL1, 3, 0, 10, 2, 0, 0x0000ff04440c0400ull, 0x00bb0044ff040c00ull)                  \
	X(CONTEXTIDR_EL1, 3, 0, 13, 0, 1, 0x1e1e0001ull, 0x2e2e0002ull)                            \
	X(TPIDR_EL1, 3, 0, 13, 0, 4, 0x1e1e000000000017ull, 0x2e2e000000000018ull)                 \
	X(TPIDR_EL0, 3, 3, 13, 0, 2, 0x1e1e000000000019ull, 0x2e2e00000000001aull)                 \
	X(TPIDRRO_EL0, 3, 3, 13, 0, 3, 0x1e1e00000000001bull, 0x2e2e00000000001cull)               \
	X(TPIDR2_EL0, 3, 3, 13, 0, 5, 0x1e1e00000000001dull, 0x2e2e00000000001eull)                \
	X(SP_EL0, 3, 0, 4, 1, 0, 0x1e1e0000000000d0ull, 0x2e2e0000000000e0ull)                     \
	X(PAR_EL1, 3, 0, 7, 4, 0, 0x1e1e000040015000ull, 0x2e2e000040016000ull)                    \
	X(CNTKCTL_EL1, 3, 0, 14, 1, 0, 0x53ull, 0x302ull)                                          \
	X(CNTV_CVAL_EL0, 3, 3, 14, 3, 2, 0x1e1e000000000021ull, 0x2e2e000000000022ull)             \
	X(CNTV_CTL_EL0, 3, 3, 14, 3, 1, 0x2ull, 0x3ull) /* IMASK; tag 2 also ENABLE. */            \
	X(CSSELR_EL1, 3, 2, 0, 0, 0, 0x1ull, 0x2ull)                                               \
	X(DISR_EL1, 3, 0, 12, 1, 1, 0x8000001eull, 0x8000002eull)                                  \
	X(ICC_PMR_EL1, 3, 0, 4, 6, 0, 0xc8ull, 0x38ull)                                            \
	X(ICC_BPR0_EL1, 3, 0, 12, 8, 3, 4ull, 3ull)                                                \
	X(ICC_BPR1_EL1, 3, 0, 12, 12, 3, 6ull, 5ull)                                               \
	X(ICC_CTLR_EL1, 3, 0, 12, 12, 4, 0x2ull, 0x0ull)                                           \
	X(ICC_IGRPEN0_EL1, 3, 0, 12, 12, 6, 1ull, 0ull)                                            \
	X(ICC_IGRPEN1_EL1, 3, 0, 12, 12, 7, 0ull, 1ull)                                            \
	X(ICC_AP0R0_EL1, 3, 0, 12, 8, 4, 0x1e1e0001ull, 0x2e2e0002ull)                             \
	X(ICC_AP1R0_EL1, 3, 0, 12, 9, 0, 0x1e1e0010ull, 0x2e2e0020ull)                             \
	X(FPCR, 3, 3, 4, 4, 0, 0x01c00000ull, 0x02800000ull) /* FZ, RMode 3; DN, RMode 2. */       \
	X(FPSR, 3, 3, 4, 4, 1, 0x08000017ull, 0x0000009full)                                       \
	X(APIAKEYLO_EL1, 3, 0, 2, 1, 0, 0x1e1e000000000301ull, 0x2e2e000000000401ull)              \
	X(APIAKEYHI_EL1, 3, 0, 2, 1, 1, 0x1e1e000000000302ull, 0x2e2e000000000402ull)              \
	X(APIBKEYLO_EL1, 3, 0, 2, 1, 2, 0x1e1e000000000303ull, 0x2e2e000000000403ull)              \
	X(APIBKEYHI_EL1, 3, 0, 2, 1, 3, 0x1e1e000000000304ull, 0x2e2e000000000404ull)              \
	X(APDAKEYLO_EL1, 3, 0, 2, 2, 0, 0x1e1e000000000305ull, 0x2e2e000000000405ull)              \
	X(APDAKEYHI_EL1, 3, 0, 2, 2, 1, 0x1e1e000000000306ull, 0x2e2e000000000406ull)              \
	X(APDBKEYLO_EL1, 3, 0, 2, 2, 2, 0x1e1e000000000307ull, 0x2e2e000000000407ull)              \
	X(APDBKEYHI_EL1, 3, 0, 2, 2, 3, 0x1e1e000000000308ull, 0x2e2e000000000408ull)              \
	X(APGAKEYLO_EL1, 3, 0, 2, 3, 0, 0x1e1e000000000309ull, 0x2e2e000000000409ull)              \
	X(APGAKEYHI_EL1, 3, 0, 2, 3, 1, 0x1e1e00000000030aull, 0x2e2e00000000040aull)

#ifndef __ASSEMBLER__

#include <stdint.h>

/* The indices of MIGRATE_SYSREGS: MIGRATE_SYS_ELR_EL1, ... */
#define MIGRATE_SYS_ENUM(name, ...) MIGRATE_SYS_##name,
enum migrate_sysreg { MIGRATE_SYSREGS(MIGRATE_SYS_ENUM) MIGRATE_SYS_COUNT };

/* What the check loop compares against (the offsets above). */
struct migrate_values {
	uint64_t gpr[MIGRATE_GPR_COUNT];
	uint64_t sp;
	uint64_t pad[3];
	uint64_t fp[32][2];
	uint64_t sys[MIGRATE_SYS_COUNT];
};

_Static_assert(__builtin_offsetof(struct migrate_values, sp) == MIGRATE_SP_OFFSET, "sp");
_Static_assert(__builtin_offsetof(struct migrate_values, fp) == MIGRATE_FP_OFFSET, "fp");
_Static_assert(__builtin_offsetof(struct migrate_values, sys) == MIGRATE_SYS_OFFSET, "sys");

/* What the check loop compares against (migrate_fill.c), and where it reports a mismatch. */
extern struct migrate_values migrate_values;
extern volatile uint64_t migrate_result[2];

/*
 * Give the registers tag's values (1 or 2): the tables for x0..x27 and
 * v0..v31, which migrate_check loads, and the system registers themselves,
 * whose values read back go in the table too.
 */
void migrate_fill(uint64_t tag);

/*
 * migrate_check.S: load the registers from migrate_values and compare them
 * all, iterations times, with a YIELD after each if yield is set. 0 if
 * every comparison held; else 1, with the index (MIGRATE_INDEX_*) and the
 * value of the first that did not in migrate_result.
 */
uint64_t migrate_check(uint64_t iterations, uint64_t yield);

#endif

#endif
