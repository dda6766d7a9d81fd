/*
 * The hostile-guest test's VMM: two VMs at the same priority, each with
 * one vCPU, whose exits all come to this root task — the hostile guest
 * (tests/guests/hostile.c), which announces and then makes a long list of
 * forbidden things, and the steady guest (tests/guests/steady.c), which
 * counts and reports its progress with a hypercall every so often.
 *
 * For every attack the VMM gathers what the kernel reported (the exits
 * between the announcement and the end of the attack) and what the guest's
 * own EL1 vectors saw, logs one line, and fails if that is not what the
 * attack must produce. It answers the exits as a VMM would: an MMIO read
 * with a value, a fault by moving the guest on (past the instruction, or
 * back to the attack's caller after a branch into nothing). At the end the
 * steady guest must have kept running during the attacks and after them.
 */
#include <base/fmt.h>
#include <formats/archive.h>
#include <mica/abi/bootinfo.h>
#include <mica/abi/context.h>
#include <mica/abi/exit.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>
#include <mica/vmimage.h>

#include <stdbool.h>
#include <stdint.h>

#include "../guests/guest.h"
#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

/* Both vCPU threads run at this priority, below the VMM's. */
#define GUEST_PRIORITY 100

/*
 * The CPUs their threads run on: both on the VMM's (CPU 0) unless the build
 * says otherwise (qemu.vm-hostile-smp puts each on a CPU of its own).
 */
#ifndef HOSTILE_CPU
#define HOSTILE_CPU 0
#endif
#ifndef STEADY_CPU
#define STEADY_CPU 0
#endif

#define HOSTILE_BADGE 0x1
#define STEADY_BADGE  0x2

/* Steady-guest hypercalls to wait for after the hostile guest has ended. */
#define STEADY_TICKS_AFTER 20

/* A hostile guest silent for this long (while the steady one runs) is stuck. */
#define STUCK_SECONDS 5

/* The most exits one attack may cause that are kept for the report. */
#define EXITS_KEPT 4

/* Exception classes (ESR_ELx.EC, Arm ARM D17.2.37) the attacks produce. */
#define EC_UNKNOWN	 0x00
#define EC_FP		 0x07
#define EC_ILLEGAL_STATE 0x0e
#define EC_SVC64	 0x15
#define EC_IABT_LOW	 0x20
#define EC_IABT_CUR	 0x21
#define EC_PC_ALIGN	 0x22
#define EC_DABT_LOW	 0x24
#define EC_DABT_CUR	 0x25
#define EC_BRK64	 0x3c
#define ESR_EC_SHIFT	 26
#define ESR_EC_MASK	 0x3fu
#define ESR_ISV		 (1ull << 24)
#define ESR_DABT_CM	 (1ull << 8)
#define ESR_DABT_DFSC(e) ((e)&0x3fu)
#define DFSC_ALIGNMENT	 0x21

static unsigned esr_ec(uint64_t esr)
{
	return (unsigned)(esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
}

/* What an attack must produce. */
enum outcome {
	OUT_NONE,      /* Nothing: the guest may do it, and nobody hears of it. */
	OUT_GUEST,     /* One exception to the guest's own EL1 vectors, class ec. */
	OUT_HYPERCALL, /* One MICA_EXIT_HYPERCALL with the attack's garbage. */
	OUT_MMIO,      /* One MICA_EXIT_MMIO: ipa, access. */
	OUT_SYSREG,    /* One MICA_EXIT_SYSREG: sysreg, access. */
	OUT_FAULT,     /* One MICA_EXIT_FAULT of class ec. */
};

struct expect {
	const char *name;
	enum outcome out;
	unsigned ec;	 /* OUT_GUEST, OUT_FAULT: the exception class. */
	uint64_t ipa;	 /* OUT_MMIO: the address. */
	unsigned access; /* OUT_MMIO: MICA_MMIO_*; OUT_SYSREG: MICA_SYSREG_WRITE
			    | reg. */
	uint64_t sysreg; /* OUT_SYSREG: MICA_SYSREG(). */
	unsigned also;	 /* ALSO_*: another outcome that is allowed too. */
	bool refuse;	 /* OUT_SYSREG: the VMM answers with an undefined
			    instruction. */
};

/*
 * The attack may go unreported: a DC CIVAC or DC IVAC may or may not
 * translate its address, a store-exclusive with no exclusive monitor set
 * may fail without an access (Arm ARM B2.9.5), and QEMU does neither.
 */
#define ALSO_NOTHING 1u
/*
 * An alignment fault at the guest's own EL1 is allowed too: with its MMU
 * off, all the guest's data accesses are to Device memory, which the
 * architecture aligns (B2.5.2), while QEMU 7.2 checks only with SCTLR.A.
 */
#define ALSO_ALIGNMENT_FAULT 2u
/*
 * An undefined instruction at the guest's own EL1 is allowed too: QEMU
 * 7.2 does not implement HCR_EL2.TIDCP, so implementation-defined
 * encodings it does not have are undefined instead of trapping.
 */
#define ALSO_UNDEFINED 4u

/* MR1 of an MMIO exit for an access of 2^size bytes through register reg. */
#define LOAD(size, reg)	   ((size) | MICA_MMIO_REG64 | ((reg) << MICA_MMIO_REG_SHIFT))
#define LOAD_W(size, reg)  ((size) | ((reg) << MICA_MMIO_REG_SHIFT))
#define STORE(size, reg)   (LOAD(size, reg) | MICA_MMIO_WRITE)
#define STORE_W(size, reg) (LOAD_W(size, reg) | MICA_MMIO_WRITE)
#define MMIO(off, acc)	   .out = OUT_MMIO, .ipa = HOSTILE_MMIO_IPA + (off), .access = (acc)
#define NONE		   .out = OUT_NONE
#define HYPERCALL	   .out = OUT_HYPERCALL
#define GUEST(class)	   .out = OUT_GUEST, .ec = (class)
#define FAULT(class)	   .out = OUT_FAULT, .ec = (class)
#define SYSREG(enc, acc)   .out = OUT_SYSREG, .sysreg = (enc), .access = (acc)
#define IMPDEF(enc, acc)   SYSREG(enc, acc), .also = ALSO_UNDEFINED
#define READS(reg)	   (reg)
#define WRITES(reg)	   (MICA_SYSREG_WRITE | ((reg) << MICA_MMIO_REG_SHIFT))
#define SIGN(access)	   ((access) | MICA_MMIO_SIGN_EXTEND)

static const struct expect expected[HOSTILE_ATTACK_COUNT] = {
	[HOSTILE_HVC_GARBAGE] = {.name = "hvc-garbage", HYPERCALL},
	[HOSTILE_HVC_IMM_GARBAGE] = {.name = "hvc-imm-garbage", HYPERCALL},
	[HOSTILE_SMC_GARBAGE] = {.name = "smc-garbage", HYPERCALL},
	[HOSTILE_SMC_ALL_ONES] = {.name = "smc-all-ones", HYPERCALL},
	[HOSTILE_WFI] = {.name = "wfi", NONE},
	[HOSTILE_WFE] = {.name = "wfe", NONE},
	[HOSTILE_SPIN] = {.name = "spin-200ms", NONE},
	/* HCR_EL2.TID3: the VMM filters what the guest learns of the CPU. */
	[HOSTILE_READ_ID_REG] = {.name = "mrs-id-aa64pfr0",
				 SYSREG(MICA_SYSREG(3, 0, 0, 4, 0), READS(0))},
	[HOSTILE_WRITE_ID_REG] = {.name = "msr-id-aa64pfr0", GUEST(EC_UNKNOWN)},
	[HOSTILE_WRITE_MIDR] = {.name = "msr-midr", GUEST(EC_UNKNOWN)},
	[HOSTILE_READ_WRITE_ONLY_REG] = {.name = "mrs-oslar", GUEST(EC_UNKNOWN)},
	[HOSTILE_READ_IMPDEF_C15] = {.name = "mrs-s3-0-c15-c0-0",
				     IMPDEF(MICA_SYSREG(3, 0, 15, 0, 0), READS(0))},
	[HOSTILE_WRITE_IMPDEF_C15] = {.name = "msr-s3-7-c15-c15-7",
				      IMPDEF(MICA_SYSREG(3, 7, 15, 15, 7), WRITES(0))},
	[HOSTILE_READ_IMPDEF_C11] = {.name = "mrs-s3-3-c11-c9-2",
				     IMPDEF(MICA_SYSREG(3, 3, 11, 9, 2), READS(0))},
	[HOSTILE_READ_EL3_IMPDEF] = {.name = "mrs-s3-6-c15-c1-0",
				     IMPDEF(MICA_SYSREG(3, 6, 15, 1, 0), READS(0))},
	[HOSTILE_SYS_UNALLOCATED] = {.name = "sys-7-c15-c15-7",
				     IMPDEF(MICA_SYSREG(1, 7, 15, 15, 7), WRITES(0))},
	[HOSTILE_READ_HCR_EL2] = {.name = "mrs-hcr-el2", GUEST(EC_UNKNOWN)},
	[HOSTILE_WRITE_VBAR_EL2] = {.name = "msr-vbar-el2", GUEST(EC_UNKNOWN)},
	[HOSTILE_READ_EL2_TIMER] = {.name = "mrs-cnthp-ctl-el2", GUEST(EC_UNKNOWN)},
	[HOSTILE_WRITE_EL2_TIMER] = {.name = "msr-cnthp-cval-el2", GUEST(EC_UNKNOWN)},
	[HOSTILE_WRITE_CNTVOFF] = {.name = "msr-cntvoff-el2", GUEST(EC_UNKNOWN)},
	[HOSTILE_TLBI_EL2] = {.name = "tlbi-alle2", GUEST(EC_UNKNOWN)},
	/* The physical counter reads as the virtual one does (CNTVOFF_EL2 0), without an exit. */
	[HOSTILE_READ_PHYS_COUNTER] = {.name = "mrs-cntpct", NONE},
	/* The EL1 physical timer is the guest's own, switched with its vCPU. */
	[HOSTILE_WRITE_PHYS_TIMER] = {.name = "msr-cntp-ctl", NONE},
	[HOSTILE_WRITE_ICC_SGI1R] = {.name = "msr-icc-sgi1r",
				     SYSREG(MICA_SYSREG(3, 0, 12, 11, 5), WRITES(0)),
				     .refuse = true},
	[HOSTILE_READ_ICC_IAR1] = {.name = "mrs-icc-iar1", NONE},
	[HOSTILE_WRITE_ICC_PMR] = {.name = "msr-icc-pmr", NONE},
	[HOSTILE_READ_MDSCR] = {.name = "mrs-mdscr", SYSREG(MICA_SYSREG(2, 0, 0, 2, 2), READS(0))},
	[HOSTILE_WRITE_DBGBVR] = {.name = "msr-dbgbvr0",
				  SYSREG(MICA_SYSREG(2, 0, 0, 0, 4), WRITES(0))},
	/* The PMU is the host's: every guest access traps (MDCR_EL2.TPM), for its VMM to refuse. */
	[HOSTILE_READ_PMCR] = {.name = "mrs-pmcr", SYSREG(MICA_SYSREG(3, 3, 9, 12, 0), READS(0))},
	[HOSTILE_READ_PMCCNTR] = {.name = "mrs-pmccntr",
				  SYSREG(MICA_SYSREG(3, 3, 9, 13, 0), READS(0))},
	[HOSTILE_LDRB] = {.name = "ldrb", MMIO(0, LOAD_W(0, 0))},
	[HOSTILE_LDRH] = {.name = "ldrh", MMIO(2, LOAD_W(1, 0))},
	[HOSTILE_LDR_W] = {.name = "ldr-w", MMIO(4, LOAD_W(2, 0))},
	[HOSTILE_LDR_X] = {.name = "ldr-x", MMIO(8, LOAD(3, 0))},
	[HOSTILE_LDRSB_X] = {.name = "ldrsb-x", MMIO(1, SIGN(LOAD(0, 0)))},
	[HOSTILE_LDRSH_W] = {.name = "ldrsh-w", MMIO(6, SIGN(LOAD_W(1, 0)))},
	[HOSTILE_LDRSW] = {.name = "ldrsw", MMIO(12, SIGN(LOAD(2, 0)))},
	[HOSTILE_LDAR] = {.name = "ldar", MMIO(16, LOAD(3, 0))},
	[HOSTILE_STRB] = {.name = "strb", MMIO(3, STORE_W(0, 1))},
	[HOSTILE_STRH] = {.name = "strh", MMIO(0x22, STORE_W(1, 1))},
	[HOSTILE_STR_W] = {.name = "str-w", MMIO(0x24, STORE_W(2, 1))},
	[HOSTILE_STR_X] = {.name = "str-x", MMIO(0x28, STORE(3, 1))},
	[HOSTILE_STR_XZR] = {.name = "str-xzr", MMIO(0x30, STORE(3, 31))},
	[HOSTILE_STLR] = {.name = "stlr", MMIO(0x38, STORE(3, 1))},
	[HOSTILE_LDR_UNALIGNED] = {.name = "ldr-unaligned",
				   MMIO(0x41, LOAD(3, 0)),
				   .also = ALSO_ALIGNMENT_FAULT},
	[HOSTILE_LDR_UNALIGNED_CHECKED] = {.name = "ldr-unaligned-sctlr-a", GUEST(EC_DABT_CUR)},
	[HOSTILE_LDXR] = {.name = "ldxr", FAULT(EC_DABT_LOW)},
	[HOSTILE_STXR] = {.name = "stxr", FAULT(EC_DABT_LOW), .also = ALSO_NOTHING},
	[HOSTILE_LDP] = {.name = "ldp", FAULT(EC_DABT_LOW)},
	[HOSTILE_STP] = {.name = "stp", FAULT(EC_DABT_LOW)},
	[HOSTILE_LDR_WRITEBACK] = {.name = "ldr-post-index", FAULT(EC_DABT_LOW)},
	[HOSTILE_LDR_FAR_IPA] = {.name = "ldr-far-ipa",
				 .out = OUT_MMIO,
				 .ipa = HOSTILE_FAR_IPA,
				 .access = LOAD(3, 0)},
	/* Past the 39-bit IPA space no device can be: a fault, not MMIO. */
	[HOSTILE_LDR_HUGE_IPA] = {.name = "ldr-ipa-bit-40", FAULT(EC_DABT_LOW)},
	[HOSTILE_LDR_WILD_VA] = {.name = "ldr-bit-60", GUEST(EC_DABT_CUR)},
	[HOSTILE_DC_CIVAC] = {.name = "dc-civac", FAULT(EC_DABT_LOW), .also = ALSO_NOTHING},
	[HOSTILE_DC_IVAC] = {.name = "dc-ivac", FAULT(EC_DABT_LOW), .also = ALSO_NOTHING},
	[HOSTILE_DC_ZVA] = {.name = "dc-zva", FAULT(EC_DABT_LOW), .also = ALSO_ALIGNMENT_FAULT},
	[HOSTILE_IC_IVAU] = {.name = "ic-ivau", NONE},
	[HOSTILE_AT_S1E1R] = {.name = "at-s1e1r", NONE},
	[HOSTILE_DC_ISW] = {.name = "dc-isw", SYSREG(MICA_SYSREG(1, 0, 7, 6, 2), WRITES(31))},
	[HOSTILE_TLBI_VMALLE1] = {.name = "tlbi-vmalle1is", NONE},
	[HOSTILE_BRANCH_UNMAPPED] = {.name = "br-unmapped", FAULT(EC_IABT_LOW)},
	[HOSTILE_BRANCH_HUGE_IPA] = {.name = "br-ipa-bit-40", FAULT(EC_IABT_LOW)},
	[HOSTILE_BRANCH_WILD_VA] = {.name = "br-bit-60", GUEST(EC_IABT_CUR)},
	[HOSTILE_BRANCH_MISALIGNED] = {.name = "br-misaligned", GUEST(EC_PC_ALIGN)},
	[HOSTILE_BRK] = {.name = "brk", GUEST(EC_BRK64)},
	[HOSTILE_SVC] = {.name = "svc-from-el1", GUEST(EC_SVC64)},
	[HOSTILE_HLT] = {.name = "hlt", GUEST(EC_UNKNOWN)},
	[HOSTILE_UDF] = {.name = "udf", GUEST(EC_UNKNOWN)},
	[HOSTILE_ERET_EL2] = {.name = "eret-to-el2", GUEST(EC_ILLEGAL_STATE)},
	[HOSTILE_ERET_AARCH32] = {.name = "eret-to-aarch32-el1", GUEST(EC_ILLEGAL_STATE)},
	[HOSTILE_ERET_ALL_ONES] = {.name = "eret-spsr-all-ones", GUEST(EC_ILLEGAL_STATE)},
	[HOSTILE_ERET_UNMAPPED] = {.name = "eret-elr-unmapped", FAULT(EC_IABT_LOW)},
	[HOSTILE_ERET_MISALIGNED] = {.name = "eret-elr-misaligned", GUEST(EC_PC_ALIGN)},
	[HOSTILE_FP_EL1_TRAP] = {.name = "fp-cpacr-off", GUEST(EC_FP)},
	/* The kernel lends the guest the FP/SIMD unit (lazy switching): no exit. */
	[HOSTILE_FP_ENABLED] = {.name = "fp-cpacr-on", NONE},
	/* Unlocked and with MDSCR_EL1.SS set, the next return to a host thread
	   would step. */
	[HOSTILE_UNLOCK_OS_LOCK] = {.name = "msr-oslar",
				    SYSREG(MICA_SYSREG(2, 0, 1, 0, 4), WRITES(0))},
	[HOSTILE_MDSCR_SOFTWARE_STEP] = {.name = "msr-mdscr-ss",
					 SYSREG(MICA_SYSREG(2, 0, 0, 2, 2), WRITES(0))},
};

/* A VM with one vCPU bound to a thread, not yet started. */

/* One exit the kernel reported during an attack. */
struct exit_report {
	uint64_t label;
	uint64_t mr[MICA_EXIT_HYPERCALL_WORDS];
};

/* What the VMM has seen of the attack under way. */
struct attack_state {
	int current; /* The announced attack, or -1 between attacks. */
	unsigned next;
	unsigned exit_count;
	struct exit_report exits[EXITS_KEPT];
	uint64_t steady_ticks_at_start;
	uint64_t last_heard; /* Counter value of the hostile guest's last exit.
			      */
};

static struct attack_state att = {.current = -1};
static uint64_t steady_ticks;

static void fail_attack(unsigned a, const char *what)
{
	printf("FAIL %s:%d attack %u (%s): %s\n", __FILE__, __LINE__, a, expected[a].name, what);
	check_failures++;
}

/* What a load of access returns to the guest's register when the VMM answers
 * value. */
static uint64_t loaded_value(unsigned access, uint64_t value)
{
	unsigned bits = mica_mmio_size(access) * 8;

	if (bits < 64) {
		value &= (1ull << bits) - 1;
		if ((access & MICA_MMIO_SIGN_EXTEND) && (value >> (bits - 1)) != 0)
			value |= ~0ull << bits;
	}
	if (!(access & MICA_MMIO_REG64))
		value &= 0xffffffffull;
	return value;
}

/* The value a store of access carries: the register, zero-extended from the
 * width. */
static uint64_t stored_value(unsigned access)
{
	unsigned bits = mica_mmio_size(access) * 8;

	if (mica_mmio_reg(access) == 31)
		return 0;
	return bits < 64 ? HOSTILE_MMIO_WRITE & ((1ull << bits) - 1) : HOSTILE_MMIO_WRITE;
}

/*
 * Check the one exit an attack that must be reported caused, and say what
 * it was in out. x0 is what the guest had in x0 after the attack.
 */
static void check_exit(unsigned a, const struct exit_report *r, uint64_t x0, char *out,
		       size_t out_len)
{
	const struct expect *e = &expected[a];
	unsigned ec = r->label == MICA_EXIT_FAULT ? esr_ec(r->mr[0]) : 0;

	switch (e->out) {
	case OUT_HYPERCALL:
		fmt_snprintf(out, out_len, "exit HYPERCALL, x0..x7 as made");
		if (r->label != MICA_EXIT_HYPERCALL) {
			fail_attack(a, "not reported as a hypercall");
			break;
		}
		for (unsigned i = 0; i < MICA_EXIT_HYPERCALL_WORDS; i++) {
			uint64_t want = a == HOSTILE_SMC_ALL_ONES ? ~0ull : hostile_garbage(a, i);

			CHECK_EQ(r->mr[i], want);
		}
		break;
	case OUT_MMIO:
		fmt_snprintf(out, out_len, "exit MMIO, 0x%llx, %u bytes, %s",
			     (unsigned long long)r->mr[0], mica_mmio_size(r->mr[1]),
			     r->mr[1] & MICA_MMIO_WRITE ? "write" : "read");
		if (r->label != MICA_EXIT_MMIO) {
			fail_attack(a, "not reported as an MMIO access");
			break;
		}
		CHECK_EQ(r->mr[0], e->ipa);
		CHECK_EQ(r->mr[1], e->access);
		if (e->access & MICA_MMIO_WRITE)
			CHECK_EQ(r->mr[2], stored_value(e->access));
		else
			CHECK_EQ(x0, loaded_value(e->access, HOSTILE_MMIO_READ));
		break;
	case OUT_SYSREG:
		fmt_snprintf(out, out_len, "exit SYSREG, S%llu_%llu_C%llu_C%llu_%llu, %s%s",
			     (unsigned long long)(r->mr[0] >> 14) & 3,
			     (unsigned long long)(r->mr[0] >> 11) & 7,
			     (unsigned long long)(r->mr[0] >> 7) & 15,
			     (unsigned long long)(r->mr[0] >> 3) & 15,
			     (unsigned long long)r->mr[0] & 7,
			     r->mr[1] & MICA_SYSREG_WRITE ? "write" : "read",
			     e->refuse ? ", refused: guest EL1 undefined instruction" : "");
		if (r->label != MICA_EXIT_SYSREG) {
			fail_attack(a, "not reported as a system register access");
			break;
		}
		CHECK_EQ(r->mr[0], e->sysreg);
		CHECK_EQ(r->mr[1], e->access);
		if (!e->refuse && !(e->access & MICA_SYSREG_WRITE))
			CHECK_EQ(x0, HOSTILE_SYSREG_READ);
		/* An ID register's read brings the CPU's value: AArch64 at EL0 and EL1. */
		if (a == HOSTILE_READ_ID_REG && ((r->mr[2] & 0xf) == 0 || (r->mr[2] & 0xf0) == 0))
			fail_attack(a, "the CPU's ID_AA64PFR0_EL1 did not come with the exit");
		break;
	case OUT_FAULT:
		fmt_snprintf(out, out_len, "exit FAULT, EC 0x%02x, ESR 0x%08llx", ec,
			     (unsigned long long)r->mr[0]);
		if (r->label != MICA_EXIT_FAULT || ec != e->ec)
			fail_attack(a, "not reported as the fault it is");
		else if (ec == EC_DABT_LOW && (r->mr[0] & ESR_ISV) && (r->mr[2] >> 39) == 0)
			fail_attack(a, "an MMIO access inside the IPA space came as a fault");
		else if ((a == HOSTILE_DC_CIVAC || a == HOSTILE_DC_IVAC) &&
			 !(r->mr[0] & ESR_DABT_CM))
			fail_attack(a, "cache maintenance reported as a plain access");
		break;
	case OUT_NONE:
	case OUT_GUEST:
		break;
	}
}

/*
 * Whether an attack with an ALSO_* outcome took that one instead; if so,
 * check it and say what it was in out.
 */
static bool took_other_outcome(unsigned a, uint64_t el1_count, uint64_t el1_esr, uint64_t x0,
			       char *out, size_t out_len)
{
	unsigned also = expected[a].also;

	if ((also & ALSO_NOTHING) && att.exit_count == 0 && el1_count == 0) {
		fmt_snprintf(out, out_len, "no exit, no guest exception (allowed)");
		if (a == HOSTILE_STXR)
			CHECK_EQ(x0, 1); /* It failed, as it must without a
					    monitor. */
		return true;
	}
	if ((also & ALSO_UNDEFINED) && att.exit_count == 0 && el1_count == 1 &&
	    esr_ec(el1_esr) == EC_UNKNOWN) {
		fmt_snprintf(out, out_len, "guest EL1 undefined instruction (allowed)");
		return true;
	}
	if ((also & ALSO_ALIGNMENT_FAULT) && att.exit_count == 0 && el1_count == 1) {
		fmt_snprintf(out, out_len, "guest EL1 alignment fault (allowed)");
		CHECK_EQ(esr_ec(el1_esr), EC_DABT_CUR);
		CHECK_EQ(ESR_DABT_DFSC(el1_esr), DFSC_ALIGNMENT);
		return true;
	}
	return false;
}

/* The guest's ATTACK_END: judge attack a and log one line. */
static void end_attack(unsigned a, uint64_t el1_count, uint64_t el1_esr, uint64_t x0)
{
	const struct expect *e = &expected[a];
	char what[96] = "no exit, no guest exception";
	unsigned want_exits = e->out == OUT_NONE || e->out == OUT_GUEST ? 0 : 1;
	unsigned want_el1 = e->out == OUT_GUEST || e->refuse ? 1 : 0;

	if (took_other_outcome(a, el1_count, el1_esr, x0, what, sizeof(what))) {
		/* Checked. */
	} else if (att.exit_count != want_exits) {
		printf("FAIL %s:%d attack %u (%s): %u exits, expected %u "
		       "(first: label %llu, "
		       "MR0 0x%llx)\n",
		       __FILE__, __LINE__, a, e->name, att.exit_count, want_exits,
		       (unsigned long long)att.exits[0].label,
		       (unsigned long long)att.exits[0].mr[0]);
		check_failures++;
	} else if (el1_count != want_el1) {
		printf("FAIL %s:%d attack %u (%s): %llu guest EL1 exceptions "
		       "(ESR 0x%llx), "
		       "expected %u\n",
		       __FILE__, __LINE__, a, e->name, (unsigned long long)el1_count,
		       (unsigned long long)el1_esr, want_el1);
		check_failures++;
	} else if (want_exits == 1) {
		check_exit(a, &att.exits[0], x0, what, sizeof(what));
		if (e->refuse)
			CHECK_EQ(esr_ec(el1_esr), EC_UNKNOWN);
	} else if (want_el1 == 1) {
		fmt_snprintf(what, sizeof(what), "guest EL1 exception, EC 0x%02x, ESR 0x%08llx",
			     esr_ec(el1_esr), (unsigned long long)el1_esr);
		if (esr_ec(el1_esr) != e->ec)
			fail_attack(a, "the guest's own exception is of the "
				       "wrong class");
		if (a == HOSTILE_LDR_UNALIGNED_CHECKED)
			CHECK_EQ(ESR_DABT_DFSC(el1_esr), DFSC_ALIGNMENT);
	}
	if (a == HOSTILE_SPIN && steady_ticks == att.steady_ticks_at_start)
		fail_attack(a, "the steady guest made no progress while this "
			       "guest spun");
	printf("hostile: %2u %-21s %s\n", a, e->name, what);
}

/*
 * Move a faulted hostile vCPU on: back to the attack's caller (x30) after
 * an instruction fetch from nowhere, else past the faulting instruction.
 */
static void skip_fault(uint64_t tcb, uint64_t esr, uint64_t pc)
{
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	if (esr_ec(esr) == EC_IABT_LOW) {
		CHECK_OK(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, regs));
		regs[MICA_CTX_PC] = regs[MICA_CTX_X0 + 30];
	} else {
		regs[MICA_CTX_PC] = pc + 4;
	}
	CHECK_OK(mica_tcb_write_registers(tcb, 1, regs));
}

/*
 * A hostile-guest exit: the protocol's hypercalls, or the exits its attacks
 * cause. Returns the answer's length, or -1 to leave the guest stopped.
 */
static int hostile_exit(const struct check_guest *g, uint64_t label,
			uint64_t mr[MICA_MSG_REGISTERS], bool *done)
{
	struct mica_ipc_buffer *buf = mica_ipc_buffer();
	struct exit_report r = {.label = label};

	for (unsigned i = 0; i < MICA_EXIT_HYPERCALL_WORDS; i++)
		r.mr[i] = i < MICA_MSG_REGISTERS ? mr[i] : buf->mr[i];
	att.last_heard = guest_ticks();

	if (label == MICA_EXIT_HYPERCALL && att.current < 0) {
		switch (mr[0]) {
		case GUEST_CALL_ATTACK:
			CHECK_EQ(mr[1], att.next);
			att.current = (int)mr[1];
			att.exit_count = 0;
			att.exits[0] = (struct exit_report){0};
			att.steady_ticks_at_start = steady_ticks;
			return 0;
		case GUEST_CALL_HOSTILE_DONE:
			CHECK_EQ(mr[1], HOSTILE_ATTACK_COUNT);
			printf("vm-hostile: the hostile guest ran to its end "
			       "after %llu attacks\n",
			       (unsigned long long)mr[1]);
			*done = true;
			return -1;
		default:
			printf("FAIL %s:%d hypercall 0x%llx between attacks\n", __FILE__, __LINE__,
			       (unsigned long long)mr[0]);
			check_failures++;
			return -1;
		}
	}
	if (att.current < 0) {
		printf("FAIL %s:%d exit (label %llu, MR0 0x%llx) between "
		       "attacks\n",
		       __FILE__, __LINE__, (unsigned long long)label, (unsigned long long)mr[0]);
		check_failures++;
		return -1;
	}
	if (label == MICA_EXIT_HYPERCALL && mr[0] == GUEST_CALL_ATTACK_END &&
	    mr[1] == (uint64_t)att.current) {
		end_attack((unsigned)att.current, mr[2], mr[3], buf->mr[4]);
		att.current = -1;
		att.next++;
		return 0;
	}

	/* An exit the attack caused: keep it, and answer it. */
	if (att.exit_count < EXITS_KEPT)
		att.exits[att.exit_count] = r;
	att.exit_count++;
	switch (label) {
	case MICA_EXIT_HYPERCALL:
		return 0;
	case MICA_EXIT_MMIO:
		mr[0] = HOSTILE_MMIO_READ;
		return 1;
	case MICA_EXIT_SYSREG:
		if (expected[att.current].refuse) {
			CHECK_OK(mica_vcpu_inject_undef(g->vcpu));
			return 0;
		}
		mr[0] = HOSTILE_SYSREG_READ;
		return 1;
	case MICA_EXIT_FAULT:
		skip_fault(g->tcb, r.mr[0], r.mr[3]);
		return 0;
	default:
		printf("FAIL %s:%d attack %d: unknown exit label %llu\n", __FILE__, __LINE__,
		       att.current, (unsigned long long)label);
		check_failures++;
		return -1;
	}
}

int main(const struct mica_boot_info *info)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t ep, reply;
	uint64_t ticks_at_done = 0;
	uint64_t ticks_at_first_attack = 0;
	bool done = false;
	struct check_guest hostile, steady;
	struct mica_msg m;

	printf("START vm-hostile\n");
	CHECK_OK(alloc_init(info));
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	CHECK(ep && reply);
	hostile = check_guest(info, "hostile", ep, HOSTILE_BADGE, GUEST_PRIORITY, "hostile");
	steady = check_guest(info, "steady", ep, STEADY_BADGE, GUEST_PRIORITY, "steady");
	CHECK_EQ(hostile.entry, GUEST_IMAGE_BASE);
	CHECK_EQ(steady.entry, GUEST_IMAGE_BASE);
	CHECK_OK(mica_tcb_set_affinity(hostile.tcb, HOSTILE_CPU));
	CHECK_OK(mica_tcb_set_affinity(steady.tcb, STEADY_CPU));
	if (check_failures != 0)
		return check_finish("vm-hostile");
	CHECK_OK(mica_tcb_resume(steady.tcb));
	CHECK_OK(mica_tcb_resume(hostile.tcb));
	att.last_heard = guest_ticks();

	m = mica_recv(ep, reply, mr);
	for (;;) {
		uint64_t label = mica_msg_label(m.info);
		int answer = 0;

		if (m.err != MICA_OK) {
			printf("FAIL %s:%d bad exit message (error %d)\n", __FILE__, __LINE__,
			       m.err);
			check_failures++;
			break;
		}
		if (m.badge == STEADY_BADGE) {
			if (label != MICA_EXIT_HYPERCALL || mr[0] != GUEST_CALL_TICK) {
				printf("FAIL %s:%d the steady guest exited "
				       "with label %llu (0x%llx 0x%llx 0x%llx 0x%llx)\n",
				       __FILE__, __LINE__, (unsigned long long)label,
				       (unsigned long long)mr[0], (unsigned long long)mr[1],
				       (unsigned long long)mr[2], (unsigned long long)mr[3]);
				check_failures++;
				break;
			}
			steady_ticks++;
			if (done && steady_ticks >= ticks_at_done + STEADY_TICKS_AFTER)
				break;
			if (!done &&
			    guest_ticks() - att.last_heard > STUCK_SECONDS * guest_tick_hz()) {
				printf("FAIL %s:%d the hostile guest is stuck "
				       "in attack %d "
				       "(next %u)\n",
				       __FILE__, __LINE__, att.current, att.next);
				check_failures++;
				break;
			}
		} else if (m.badge == HOSTILE_BADGE && !done) {
			if (att.next == 0 && att.current < 0)
				ticks_at_first_attack = steady_ticks;
			answer = hostile_exit(&hostile, label, mr, &done);
			if (done)
				ticks_at_done = steady_ticks;
		} else {
			printf("FAIL %s:%d a message with badge 0x%llx\n", __FILE__, __LINE__,
			       (unsigned long long)m.badge);
			check_failures++;
			break;
		}
		m = mica_reply_recv(ep, reply,
				    answer < 0 ? mica_msg_info(1, 0, 0)
					       : mica_msg_info(0, 0, (unsigned)answer),
				    mr);
	}

	CHECK(done);
	CHECK(ticks_at_done > ticks_at_first_attack);
	CHECK(steady_ticks >= ticks_at_done + STEADY_TICKS_AFTER);
	if (done && ticks_at_done > ticks_at_first_attack &&
	    steady_ticks >= ticks_at_done + STEADY_TICKS_AFTER)
		printf("vm-hostile: the other VM kept running (%llu hypercalls "
		       "during the "
		       "attacks, %llu after)\n",
		       (unsigned long long)(ticks_at_done - ticks_at_first_attack),
		       (unsigned long long)(steady_ticks - ticks_at_done));
	return check_finish("vm-hostile");
}
