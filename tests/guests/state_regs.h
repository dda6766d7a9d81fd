/*
 * The registers qemu.guest-state covers, shared by the state guest
 * (tests/guests/state.c) and its VMM (tests/user/vm_state.c): every system
 * register a guest at EL1 can write, named by its encoding (op0, op1, CRn,
 * CRm, op2: Arm ARM D18, "AArch64 System Register Descriptions"), with the
 * value each of the test's two VMs writes into it. The values keep the
 * guest running: its MMU stays off, its timers masked and far in the
 * future, breakpoints and watchpoints disabled, and the PMU counting for
 * the host (PMCR_EL0.E and PMUSERENR_EL0.CR stay set, so that a crossing
 * shows as a value, not as a host thread that faults).
 *
 * What a register really holds after a write (RES0 and RES1 bits, fields
 * the CPU lacks, read-only fields) is what the writer reads back, so the
 * VMM judges by the values read back, and these are only what is written.
 */
#ifndef MICA_TESTS_STATE_REGS_H
#define MICA_TESTS_STATE_REGS_H

#include <stdint.h>

/* Hypercalls (x0) of the state guest. */
#define GUEST_CALL_STATE_NEXT 0xe0 /* Asks what to do; x0 = STATE_CMD_*, x1 = the tag. */
#define GUEST_CALL_STATE_REG  0xe1 /* x1 = the register, x2 = its value, x3 = STATE_* status. */

/* What the VMM answers GUEST_CALL_STATE_NEXT with. */
#define STATE_CMD_READ	1 /* Read every register, then report them. */
#define STATE_CMD_WRITE 2 /* Write the tag's values, read them back, report them. */

/* Tags: whose values a WRITE writes. */
#define STATE_TAG_A 1
#define STATE_TAG_B 2

/* The status word of a report: whether the read and the write took an EL1 exception, and its EC. */
#define STATE_READ_EXCEPTION  (1u << 0)
#define STATE_WRITE_EXCEPTION (1u << 1)
#define STATE_SKIPPED	      (1u << 2) /* The ID registers say the register is absent. */
#define STATE_READ_EC_SHIFT   8
#define STATE_WRITE_EC_SHIFT  16
#define STATE_EC_MASK	      0x3fu

/*
 * The general register in which the guest keeps the index of the register
 * it probes: a trap the kernel reports as a fault exit (SVE's and SME's,
 * whose syndrome does not name the register) is told apart by it.
 */
#define STATE_PROBE_XREG 17

/* Register flags. */
#define STATE_F_LAST	(1u << 0) /* An exception to EL1 overwrites it: written last, read first. */
#define STATE_F_COUNTER (1u << 1) /* Counts by itself: compared within STATE_COUNTER_WINDOW. */
#define STATE_F_PAUTH	(1u << 2) /* A pointer-authentication key: only with FEAT_PAuth. */

/* How far a counter may run on between a write and a read: 18 minutes at 1 GHz. */
#define STATE_COUNTER_WINDOW (UINT64_C(1) << 40)

/* Each of the state guest's vector tables is this large; VBAR_EL1 "values" are tables. */
#define STATE_VECTOR_TABLE_SIZE 0x800u

/*
 * X(name, op0, op1, CRn, CRm, op2, VM A's value, VM B's value, flags), in
 * the order the guest reads them. The four registers an exception
 * overwrites come first, so that a read sees them before any probe below
 * can take an exception; VBAR_EL1 and CPACR_EL1 come next, because the
 * guest installs its vectors and opens the FP/SIMD unit once it has read
 * them; each register another one changes comes after it (ICC_BPR1_EL1
 * before ICC_CTLR_EL1.CBPR, CNTV_CVAL_EL0 before CNTV_CTL_EL0 turns the
 * timer on).
 */
#define STATE_SYSREGS(X)                                                                           \
	X(ELR_EL1, 3, 0, 4, 0, 1, 0xa5a5000040081234, 0x5a5a000040085678, STATE_F_LAST)            \
	X(SPSR_EL1, 3, 0, 4, 0, 0, 0xa00003c5, 0x500003c4, STATE_F_LAST)                           \
	X(ESR_EL1, 3, 0, 5, 2, 0, 0x5e00a5a5, 0x1e005a5a, STATE_F_LAST)                            \
	X(FAR_EL1, 3, 0, 6, 0, 0, 0xa5a50000dead0000, 0x5a5a0000beef0000, STATE_F_LAST)            \
	X(VBAR_EL1, 3, 0, 12, 0, 0, 0, 0, 0) /* A copy of the guest's vectors per tag. */          \
	/* FPEN, ZEN and SMEN open (the probes of ZCR and SMCR must reach EL2); TTA differs. */    \
	X(CPACR_EL1, 3, 0, 1, 0, 2, 0x03330000, 0x13330000, 0)                                     \
	/* The RES1 bits with EL0 controls only: UCT, UCI, DZE; nTWI, nTWE, UMA. */                \
	X(SCTLR_EL1, 3, 0, 1, 0, 0, 0x34d0c800, 0x30d50a00, 0)                                     \
	X(TTBR0_EL1, 3, 0, 2, 0, 0, 0xa5a5000040001000, 0x5a5a000040002000, 0)                     \
	X(TTBR1_EL1, 3, 0, 2, 0, 1, 0xa5a6000040003000, 0x5a5b000040004000, 0)                     \
	X(TCR_EL1, 3, 0, 2, 0, 2, 0x00000005b5193519, 0x0000000280102510, 0)                       \
	X(MAIR_EL1, 3, 0, 10, 2, 0, 0x000000ff440c0400, 0x0000bb44ff040c00, 0)                     \
	X(AMAIR_EL1, 3, 0, 10, 3, 0, 0xa5a5a5a5a5a5a5a5, 0x5a5a5a5a5a5a5a5a, 0)                    \
	X(CONTEXTIDR_EL1, 3, 0, 13, 0, 1, 0xa5a50001, 0x5a5a0002, 0)                               \
	X(AFSR0_EL1, 3, 0, 5, 1, 0, 0xa5a50003, 0x5a5a0004, 0)                                     \
	X(AFSR1_EL1, 3, 0, 5, 1, 1, 0xa5a50005, 0x5a5a0006, 0)                                     \
	X(TPIDR_EL1, 3, 0, 13, 0, 4, 0xa5a5000000000007, 0x5a5a000000000008, 0)                    \
	X(TPIDR_EL0, 3, 3, 13, 0, 2, 0xa5a5000000000009, 0x5a5a00000000000a, 0)                    \
	X(TPIDRRO_EL0, 3, 3, 13, 0, 3, 0xa5a500000000000b, 0x5a5a00000000000c, 0)                  \
	X(SP_EL0, 3, 0, 4, 1, 0, 0xa5a50000000000d0, 0x5a5a0000000000e0, 0)                        \
	X(PAR_EL1, 3, 0, 7, 4, 0, 0xa5a5000040005000, 0x5a5a000040006000, 0)                       \
	X(CNTKCTL_EL1, 3, 0, 14, 1, 0, 0x53, 0x302, 0)                                             \
	X(CNTV_CVAL_EL0, 3, 3, 14, 3, 2, 0xa5a5000000000011, 0x5a5a000000000012, 0)                \
	X(CNTV_CTL_EL0, 3, 3, 14, 3, 1, 0x2, 0x3, 0) /* IMASK; B also ENABLE. */                   \
	X(CSSELR_EL1, 3, 2, 0, 0, 0, 0x1, 0x2, 0)                                                  \
	X(DISR_EL1, 3, 0, 12, 1, 1, 0x800000a5, 0x8000005a, 0)                                     \
	X(ICC_PMR_EL1, 3, 0, 4, 6, 0, 0xa8, 0x58, 0)                                               \
	X(ICC_BPR0_EL1, 3, 0, 12, 8, 3, 3, 4, 0)                                                   \
	X(ICC_BPR1_EL1, 3, 0, 12, 12, 3, 5, 6, 0)                                                  \
	X(ICC_CTLR_EL1, 3, 0, 12, 12, 4, 0x2, 0x0, 0) /* EOImode; CBPR would hide BPR1. */         \
	X(ICC_IGRPEN0_EL1, 3, 0, 12, 12, 6, 1, 0, 0)                                               \
	X(ICC_IGRPEN1_EL1, 3, 0, 12, 12, 7, 1, 0, 0)                                               \
	X(ICC_AP0R0_EL1, 3, 0, 12, 8, 4, 0xa5a50001, 0x5a5a0002, 0)                                \
	X(ICC_AP1R0_EL1, 3, 0, 12, 9, 0, 0xa5a50010, 0x5a5a0020, 0)                                \
	X(FPCR, 3, 3, 4, 4, 0, 0x02400000, 0x01800000, 0) /* DN, RMode 1; FZ, RMode 2. */          \
	X(FPSR, 3, 3, 4, 4, 1, 0x1f, 0x08000080, 0)                                                \
	X(APIAKEYLO_EL1, 3, 0, 2, 1, 0, 0xa5a5000000000101, 0x5a5a000000000201, STATE_F_PAUTH)     \
	X(APIAKEYHI_EL1, 3, 0, 2, 1, 1, 0xa5a5000000000102, 0x5a5a000000000202, STATE_F_PAUTH)     \
	X(APIBKEYLO_EL1, 3, 0, 2, 1, 2, 0xa5a5000000000103, 0x5a5a000000000203, STATE_F_PAUTH)     \
	X(APIBKEYHI_EL1, 3, 0, 2, 1, 3, 0xa5a5000000000104, 0x5a5a000000000204, STATE_F_PAUTH)     \
	X(APDAKEYLO_EL1, 3, 0, 2, 2, 0, 0xa5a5000000000105, 0x5a5a000000000205, STATE_F_PAUTH)     \
	X(APDAKEYHI_EL1, 3, 0, 2, 2, 1, 0xa5a5000000000106, 0x5a5a000000000206, STATE_F_PAUTH)     \
	X(APDBKEYLO_EL1, 3, 0, 2, 2, 2, 0xa5a5000000000107, 0x5a5a000000000207, STATE_F_PAUTH)     \
	X(APDBKEYHI_EL1, 3, 0, 2, 2, 3, 0xa5a5000000000108, 0x5a5a000000000208, STATE_F_PAUTH)     \
	X(APGAKEYLO_EL1, 3, 0, 2, 3, 0, 0xa5a5000000000109, 0x5a5a000000000209, STATE_F_PAUTH)     \
	X(APGAKEYHI_EL1, 3, 0, 2, 3, 1, 0xa5a500000000010a, 0x5a5a00000000020a, STATE_F_PAUTH)     \
	/* SVE and SME (FEAT_SVE, FEAT_SME): vector lengths, priority, and the SME thread ID. */   \
	X(ZCR_EL1, 3, 0, 1, 2, 0, 0x1, 0x3, 0)                                                     \
	X(SMCR_EL1, 3, 0, 1, 2, 6, 0x1, 0x3, 0)                                                    \
	X(SMPRI_EL1, 3, 0, 1, 2, 4, 0x1, 0x2, 0)                                                   \
	X(TPIDR2_EL0, 3, 3, 13, 0, 5, 0xa5a500000000000d, 0x5a5a00000000000e, 0)                   \
	/* Software context numbers (FEAT_CSV2_2), MTE (FEAT_MTE2), RAS, LOR. */                   \
	X(SCXTNUM_EL1, 3, 0, 13, 0, 7, 0xa5a500000000000f, 0x5a5a000000000010, 0)                  \
	X(SCXTNUM_EL0, 3, 3, 13, 0, 7, 0xa5a5000000000013, 0x5a5a000000000014, 0)                  \
	X(GCR_EL1, 3, 0, 1, 0, 6, 0x1a5a5, 0x15a5a, 0)                                             \
	X(RGSR_EL1, 3, 0, 1, 0, 5, 0xa5a50, 0x5a5a0, 0)                                            \
	X(TFSR_EL1, 3, 0, 5, 6, 0, 0x1, 0x2, 0)                                                    \
	X(TFSRE0_EL1, 3, 0, 5, 6, 1, 0x1, 0x2, 0)                                                  \
	X(ERRSELR_EL1, 3, 0, 5, 3, 1, 0x1, 0x2, 0)                                                 \
	X(LORSA_EL1, 3, 0, 10, 4, 0, 0xa5a50000, 0x5a5a0000, 0)                                    \
	X(ACTLR_EL1, 3, 0, 1, 0, 1, 0xa5a5, 0x5a5a, 0)                                             \
	/* The PMU: PMCR_EL0.E stays set, event counter 0 counts SW_INCR only (that is, never). */ \
	X(PMCR_EL0, 3, 3, 9, 12, 0, 0x51, 0x61, 0) /* E, LC; X or DP. */                           \
	X(PMUSERENR_EL0, 3, 3, 9, 14, 0, 0xf, 0xd, 0)                                              \
	X(PMSELR_EL0, 3, 3, 9, 12, 5, 0x1, 0x2, 0)                                                 \
	X(PMCNTENSET_EL0, 3, 3, 9, 12, 1, 0x1, 0x2, 0)                                             \
	X(PMINTENSET_EL1, 3, 0, 9, 14, 1, 0x4, 0x8, 0)                                             \
	/* Overflow flags apart from the interrupt enables above: no PMU interrupt is raised. */   \
	X(PMOVSSET_EL0, 3, 3, 9, 14, 3, 0x10, 0x20, 0)                                             \
	X(PMCCFILTR_EL0, 3, 3, 14, 15, 7, 0x0c000000, 0x88000000, 0) /* NSH kept; M or P. */       \
	X(PMEVTYPER0_EL0, 3, 3, 14, 12, 0, 0x48000000, 0x88000000, 0)                              \
	X(PMEVCNTR0_EL0, 3, 3, 14, 8, 0, 0xa5a50011, 0x5a5a0012, 0)                                \
	X(PMCCNTR_EL0, 3, 3, 9, 13, 0, 0xa5a5000000000000, 0x5a5a000000000000, STATE_F_COUNTER)    \
	/* Self-hosted debug, every enable bit clear. */                                           \
	X(MDSCR_EL1, 2, 0, 0, 2, 2, 0x1000, 0x401000, 0) /* TDCC; INTdis too. */                   \
	X(MDCCINT_EL1, 2, 0, 0, 2, 0, 0x20000000, 0x40000000, 0)                                   \
	X(DBGBVR0_EL1, 2, 0, 0, 0, 4, 0x40080000, 0x40090000, 0)                                   \
	X(DBGBCR0_EL1, 2, 0, 0, 0, 5, 0x1e0, 0x1e6, 0)                                             \
	X(DBGWVR0_EL1, 2, 0, 0, 0, 6, 0x40088000, 0x40089000, 0)                                   \
	X(DBGWCR0_EL1, 2, 0, 0, 0, 7, 0x1fe8, 0x1ff0, 0)                                           \
	/* The EL1 physical timer, masked. */                                                      \
	X(CNTP_CVAL_EL0, 3, 3, 14, 2, 2, 0xa5a5000000000015, 0x5a5a000000000016, 0)                \
	X(CNTP_CTL_EL0, 3, 3, 14, 2, 1, 0x2, 0x3, 0)

/* X(name, the FP/SIMD register's half, VM A's value, VM B's value): after the system registers. */
#define STATE_FPREGS(X)                                                                            \
	X(Q0_LO, "d0", 0xa5a5000000000a00, 0x5a5a000000000b00)                                     \
	X(Q0_HI, "v0.d[1]", 0xa5a5000000000a01, 0x5a5a000000000b01)                                \
	X(Q15_LO, "d15", 0xa5a5000000000a15, 0x5a5a000000000b15)                                   \
	X(Q31_HI, "v31.d[1]", 0xa5a5000000000a31, 0x5a5a000000000b31)

#define STATE_ENUM_SYSREG(name, ...) STATE_##name,
#define STATE_ENUM_FPREG(name, ...)  STATE_##name,

enum state_reg { STATE_SYSREGS(STATE_ENUM_SYSREG) STATE_FPREGS(STATE_ENUM_FPREG) STATE_REG_COUNT };

#undef STATE_ENUM_SYSREG
#undef STATE_ENUM_FPREG

/* The FP/SIMD registers follow the system registers. */
#define STATE_FPREG_FIRST STATE_Q0_LO

#endif
