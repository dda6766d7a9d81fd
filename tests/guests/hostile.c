/*
 * A hostile guest: it tries, one after the other, the things a guest must
 * not be able to hurt the kernel with — hypercalls full of garbage, WFI and
 * WFE, hogging the CPU, system registers it may not touch (EL2's, the
 * physical timer's, the GIC's, debug, PMU, implementation-defined and
 * unallocated encodings, writes to read-only ones), loads and stores of
 * every kind to guest-physical addresses where nothing is mapped, cache
 * maintenance there, branches into nothing, and exception returns with
 * garbage — and tells its VMM (tests/user/vm_hostile.c) about each one
 * before and after, so that the VMM can hold what the kernel reported
 * against what was done.
 *
 * Each attack is a leaf function that keeps x30: a fault it causes is
 * recovered by resuming at x30, by the guest's own vectors
 * (hostile_vectors.S) or by the VMM, and both also let an instruction that
 * completes fall through to the attack's ret.
 */
#include <stdint.h>

#include "guest.h"

void guest_main(void);

/* In hostile_vectors.S. */
extern const char hostile_vectors[];
extern volatile uint64_t hostile_el1_count;
extern volatile uint64_t hostile_el1_esr;

typedef uint64_t attack_fn(uint64_t a, uint64_t b);

struct attack {
	attack_fn *fn;
	uint64_t a; /* x0 on entry. */
	uint64_t b; /* x1 on entry. */
};

/* A leaf function of nothing but the instructions given, then ret. */
#define ATTACK(name, insns)                                                                        \
	__attribute__((naked)) static uint64_t name(uint64_t a, uint64_t b)                        \
	{                                                                                          \
		__asm__ volatile(insns "\n\tret");                                                 \
	}

/* SPSR values for exception returns (Arm ARM C5.2.19, SPSR_EL1). */
#define SPSR_EL1H_MASKED 0x3c5ull /* EL1h, DAIF masked: what the guest runs with. */
#define SPSR_EL2H_MASKED 0x3c9ull /* EL2h: higher than the guest's EL, so illegal. */
#define SPSR_SVC32	 0x1d3ull /* AArch32 Supervisor: EL1 is AArch64, so illegal. */

static uint64_t hypercall(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	register uint64_t x4 __asm__("x4") = a4;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4)::"memory");
	return x0;
}

/*
 * HVC #0, HVC #0xffff or SMC #0x1234 with hostile_garbage() in x0..x7. The
 * VMM answers nothing, so x0 keeps its garbage.
 */
static uint64_t garbage_call(uint64_t kind, uint64_t attack)
{
	register uint64_t x0 __asm__("x0") = hostile_garbage((unsigned)attack, 0);
	register uint64_t x1 __asm__("x1") = hostile_garbage((unsigned)attack, 1);
	register uint64_t x2 __asm__("x2") = hostile_garbage((unsigned)attack, 2);
	register uint64_t x3 __asm__("x3") = hostile_garbage((unsigned)attack, 3);
	register uint64_t x4 __asm__("x4") = hostile_garbage((unsigned)attack, 4);
	register uint64_t x5 __asm__("x5") = hostile_garbage((unsigned)attack, 5);
	register uint64_t x6 __asm__("x6") = hostile_garbage((unsigned)attack, 6);
	register uint64_t x7 __asm__("x7") = hostile_garbage((unsigned)attack, 7);

	if (kind == 0)
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 : "r"(x4), "r"(x5), "r"(x6), "r"(x7)
				 : "memory");
	else if (kind == 1)
		__asm__ volatile("hvc #0xffff"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 : "r"(x4), "r"(x5), "r"(x6), "r"(x7)
				 : "memory");
	else
		__asm__ volatile("smc #0x1234"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 : "r"(x4), "r"(x5), "r"(x6), "r"(x7)
				 : "memory");
	return x0;
}

/* SMC #0xffff with every general register but SP all ones (x30 is saved). */
ATTACK(smc_all_ones, "stp x19, x20, [sp, #-96]!\n\t"
		     "stp x21, x22, [sp, #16]\n\t"
		     "stp x23, x24, [sp, #32]\n\t"
		     "stp x25, x26, [sp, #48]\n\t"
		     "stp x27, x28, [sp, #64]\n\t"
		     "stp x29, x30, [sp, #80]\n\t"
		     "mov x0, #-1\n\tmov x1, #-1\n\tmov x2, #-1\n\tmov x3, #-1\n\t"
		     "mov x4, #-1\n\tmov x5, #-1\n\tmov x6, #-1\n\tmov x7, #-1\n\t"
		     "mov x8, #-1\n\tmov x9, #-1\n\tmov x10, #-1\n\tmov x11, #-1\n\t"
		     "mov x12, #-1\n\tmov x13, #-1\n\tmov x14, #-1\n\tmov x15, #-1\n\t"
		     "mov x16, #-1\n\tmov x17, #-1\n\tmov x18, #-1\n\tmov x19, #-1\n\t"
		     "mov x20, #-1\n\tmov x21, #-1\n\tmov x22, #-1\n\tmov x23, #-1\n\t"
		     "mov x24, #-1\n\tmov x25, #-1\n\tmov x26, #-1\n\tmov x27, #-1\n\t"
		     "mov x28, #-1\n\tmov x29, #-1\n\tmov x30, #-1\n\t"
		     "smc #0xffff\n\t"
		     "ldp x21, x22, [sp, #16]\n\t"
		     "ldp x23, x24, [sp, #32]\n\t"
		     "ldp x25, x26, [sp, #48]\n\t"
		     "ldp x27, x28, [sp, #64]\n\t"
		     "ldp x29, x30, [sp, #80]\n\t"
		     "ldp x19, x20, [sp], #96")

/*
 * WFI (a = 0) or WFE with the virtual timer armed a millisecond ahead, so
 * that a kernel that really blocks the vCPU until an interrupt is pending
 * has one to wake it with; the timer is disarmed again after.
 */
static uint64_t wait(uint64_t a, uint64_t b)
{
	__asm__ volatile("msr cntv_cval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb" ::"r"(
				 guest_ticks() + guest_tick_hz() / 1000),
			 "r"(1ull));
	if (a == 0)
		__asm__ volatile("dsb sy\n\twfi" ::: "memory");
	else
		__asm__ volatile("dsb sy\n\twfe" ::: "memory");
	__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb");
	return 0;
}

/* Run without a single exit for a milliseconds, as a guest hogging its CPU. */
static uint64_t spin(uint64_t a, uint64_t b)
{
	uint64_t end = guest_ticks() + guest_tick_hz() / 1000 * a;
	uint64_t loops = 0;

	while (guest_ticks() < end)
		loops++;
	return loops;
}

/* System registers, named by encoding where the assembler would refuse a name at EL1. */
ATTACK(read_id_reg, "mrs x0, id_aa64pfr0_el1")
ATTACK(write_id_reg, "msr s3_0_c0_c4_0, x0")	/* ID_AA64PFR0_EL1 is read-only. */
ATTACK(write_midr, "msr s3_0_c0_c0_0, x0")	/* MIDR_EL1 is read-only. */
ATTACK(read_write_only, "mrs x0, s2_0_c1_c0_4") /* OSLAR_EL1 is write-only. */
ATTACK(read_impdef_c15, "mrs x0, s3_0_c15_c0_0")
ATTACK(write_impdef_c15, "msr s3_7_c15_c15_7, x0")
ATTACK(read_impdef_c11, "mrs x0, s3_3_c11_c9_2")
ATTACK(read_el3_impdef, "mrs x0, s3_6_c15_c1_0")
ATTACK(sys_unallocated, "sys #7, c15, c15, #7, x0")
ATTACK(read_hcr_el2, "mrs x0, hcr_el2")
ATTACK(write_vbar_el2, "msr vbar_el2, x0")
ATTACK(read_el2_timer, "mrs x0, cnthp_ctl_el2")
ATTACK(write_el2_timer, "msr cnthp_cval_el2, x0")
ATTACK(write_cntvoff, "msr cntvoff_el2, x0")
ATTACK(tlbi_el2, "tlbi alle2")
ATTACK(read_phys_counter, "mrs x0, cntpct_el0")
ATTACK(write_phys_timer, "msr cntp_ctl_el0, x0")
ATTACK(write_icc_sgi1r, "msr s3_0_c12_c11_5, x0") /* ICC_SGI1R_EL1: an SGI to everyone. */
ATTACK(read_icc_iar1, "mrs x0, s3_0_c12_c12_0")	  /* ICC_IAR1_EL1. */
ATTACK(write_icc_pmr, "msr s3_0_c4_c6_0, x0")	  /* ICC_PMR_EL1. */
ATTACK(read_mdscr, "mrs x0, mdscr_el1")
ATTACK(write_dbgbvr, "msr dbgbvr0_el1, x0")
ATTACK(read_pmcr, "mrs x0, pmcr_el0")
ATTACK(read_pmccntr, "mrs x0, pmccntr_el0")
ATTACK(write_oslar, "msr oslar_el1, x0")
ATTACK(write_mdscr, "msr mdscr_el1, x0")

/* Loads and stores: x0 the address, x1 the value stored. */
ATTACK(ldrb, "ldrb w0, [x0]")
ATTACK(ldrh, "ldrh w0, [x0]")
ATTACK(ldr_w, "ldr w0, [x0]")
ATTACK(ldr_x, "ldr x0, [x0]")
ATTACK(ldrsb_x, "ldrsb x0, [x0]")
ATTACK(ldrsh_w, "ldrsh w0, [x0]")
ATTACK(ldrsw, "ldrsw x0, [x0]")
ATTACK(ldar, "ldar x0, [x0]")
ATTACK(strb, "strb w1, [x0]")
ATTACK(strh, "strh w1, [x0]")
ATTACK(str_w, "str w1, [x0]")
ATTACK(str_x, "str x1, [x0]")
ATTACK(str_xzr, "str xzr, [x0]")
ATTACK(stlr, "stlr x1, [x0]")
ATTACK(ldxr, "ldxr x0, [x0]")
ATTACK(stxr, "stxr w2, x1, [x0]\n\tmov x0, x2") /* x0: 1 if it failed without faulting. */
ATTACK(ldr_checked, "mrs x2, sctlr_el1\n\t"	/* With SCTLR_EL1.A set: guest_main clears it. */
		    "orr x2, x2, #2\n\t"
		    "msr sctlr_el1, x2\n\t"
		    "isb\n\t"
		    "ldr x0, [x0]")
ATTACK(ldp, "ldp x0, x1, [x0]")
ATTACK(stp, "stp x1, x1, [x0]")
ATTACK(ldr_writeback, "ldr x2, [x0], #8")
ATTACK(dc_civac, "dc civac, x0")
ATTACK(dc_ivac, "dc ivac, x0")
ATTACK(dc_zva, "dc zva, x0")
ATTACK(ic_ivau, "ic ivau, x0\n\tdsb ish\n\tisb")
ATTACK(at_s1e1r, "at s1e1r, x0\n\tisb\n\tmrs x0, par_el1")
ATTACK(dc_isw, "dc isw, xzr")
ATTACK(tlbi_vmalle1, "tlbi vmalle1is\n\tdsb ish\n\tisb")

/* Control flow: x30 stays the way back. */
ATTACK(branch, "br x0")
ATTACK(branch_misaligned, "add x0, x30, #2\n\tbr x0")
ATTACK(brk, "brk #0x1234")
ATTACK(svc, "svc #0x42")
ATTACK(hlt, "hlt #0x1")
ATTACK(udf, ".inst 0x00000000") /* UDF #0. */
ATTACK(eret_spsr, "msr spsr_el1, x0\n\tmsr elr_el1, x30\n\teret")
ATTACK(eret_elr, "msr spsr_el1, x0\n\tmsr elr_el1, x1\n\teret")
ATTACK(eret_misaligned, "msr spsr_el1, x0\n\tadd x1, x30, #2\n\tmsr elr_el1, x1\n\teret")

/*
 * FMOV D0, X0 (as a word, since the guest is built without FP registers):
 * first with the guest's own CPACR_EL1 trapping it, then with CPACR_EL1
 * allowing it, so that only the kernel's CPTR_EL2 stands in the way. The
 * VMM skips the trapped instruction, and CPACR_EL1 is put back.
 */
ATTACK(fp_el1_trap, ".inst 0x9e670000")
ATTACK(fp_enabled, "mrs x1, cpacr_el1\n\t"
		   "orr x2, x1, #(3 << 20)\n\t"
		   "msr cpacr_el1, x2\n\t"
		   "isb\n\t"
		   ".inst 0x9e670000\n\t"
		   "msr cpacr_el1, x1\n\t"
		   "isb")

static const struct attack attacks[HOSTILE_ATTACK_COUNT] = {
	[HOSTILE_HVC_GARBAGE] = {garbage_call, 0, HOSTILE_HVC_GARBAGE},
	[HOSTILE_HVC_IMM_GARBAGE] = {garbage_call, 1, HOSTILE_HVC_IMM_GARBAGE},
	[HOSTILE_SMC_GARBAGE] = {garbage_call, 2, HOSTILE_SMC_GARBAGE},
	[HOSTILE_SMC_ALL_ONES] = {smc_all_ones, 0, 0},
	[HOSTILE_WFI] = {wait, 0, 0},
	[HOSTILE_WFE] = {wait, 1, 0},
	[HOSTILE_SPIN] = {spin, 200, 0},
	[HOSTILE_READ_ID_REG] = {read_id_reg, 0, 0},
	[HOSTILE_WRITE_ID_REG] = {write_id_reg, ~0ull, 0},
	[HOSTILE_WRITE_MIDR] = {write_midr, 0, 0},
	[HOSTILE_READ_WRITE_ONLY_REG] = {read_write_only, 0, 0},
	[HOSTILE_READ_IMPDEF_C15] = {read_impdef_c15, 0, 0},
	[HOSTILE_WRITE_IMPDEF_C15] = {write_impdef_c15, ~0ull, 0},
	[HOSTILE_READ_IMPDEF_C11] = {read_impdef_c11, 0, 0},
	[HOSTILE_READ_EL3_IMPDEF] = {read_el3_impdef, 0, 0},
	[HOSTILE_SYS_UNALLOCATED] = {sys_unallocated, 0, 0},
	[HOSTILE_READ_HCR_EL2] = {read_hcr_el2, 0, 0},
	[HOSTILE_WRITE_VBAR_EL2] = {write_vbar_el2, 0, 0},
	[HOSTILE_READ_EL2_TIMER] = {read_el2_timer, 0, 0},
	[HOSTILE_WRITE_EL2_TIMER] = {write_el2_timer, 0, 0},
	[HOSTILE_WRITE_CNTVOFF] = {write_cntvoff, ~0ull, 0},
	[HOSTILE_TLBI_EL2] = {tlbi_el2, 0, 0},
	[HOSTILE_READ_PHYS_COUNTER] = {read_phys_counter, 0, 0},
	[HOSTILE_WRITE_PHYS_TIMER] = {write_phys_timer, 1, 0},
	[HOSTILE_WRITE_ICC_SGI1R] = {write_icc_sgi1r, 1ull << 40, 0}, /* IRM: all but self. */
	[HOSTILE_READ_ICC_IAR1] = {read_icc_iar1, 0, 0},
	[HOSTILE_WRITE_ICC_PMR] = {write_icc_pmr, 0xff, 0},
	[HOSTILE_READ_MDSCR] = {read_mdscr, 0, 0},
	[HOSTILE_WRITE_DBGBVR] = {write_dbgbvr, 0xdead0000, 0},
	[HOSTILE_READ_PMCR] = {read_pmcr, 0, 0},
	[HOSTILE_READ_PMCCNTR] = {read_pmccntr, 0, 0},
	[HOSTILE_LDRB] = {ldrb, HOSTILE_MMIO_IPA, 0},
	[HOSTILE_LDRH] = {ldrh, HOSTILE_MMIO_IPA + 2, 0},
	[HOSTILE_LDR_W] = {ldr_w, HOSTILE_MMIO_IPA + 4, 0},
	[HOSTILE_LDR_X] = {ldr_x, HOSTILE_MMIO_IPA + 8, 0},
	[HOSTILE_LDRSB_X] = {ldrsb_x, HOSTILE_MMIO_IPA + 1, 0},
	[HOSTILE_LDRSH_W] = {ldrsh_w, HOSTILE_MMIO_IPA + 6, 0},
	[HOSTILE_LDRSW] = {ldrsw, HOSTILE_MMIO_IPA + 12, 0},
	[HOSTILE_LDAR] = {ldar, HOSTILE_MMIO_IPA + 16, 0},
	[HOSTILE_STRB] = {strb, HOSTILE_MMIO_IPA + 3, HOSTILE_MMIO_WRITE},
	[HOSTILE_STRH] = {strh, HOSTILE_MMIO_IPA + 0x22, HOSTILE_MMIO_WRITE},
	[HOSTILE_STR_W] = {str_w, HOSTILE_MMIO_IPA + 0x24, HOSTILE_MMIO_WRITE},
	[HOSTILE_STR_X] = {str_x, HOSTILE_MMIO_IPA + 0x28, HOSTILE_MMIO_WRITE},
	[HOSTILE_STR_XZR] = {str_xzr, HOSTILE_MMIO_IPA + 0x30, HOSTILE_MMIO_WRITE},
	[HOSTILE_STLR] = {stlr, HOSTILE_MMIO_IPA + 0x38, HOSTILE_MMIO_WRITE},
	[HOSTILE_LDR_UNALIGNED] = {ldr_x, HOSTILE_MMIO_IPA + 0x41, 0},
	[HOSTILE_LDR_UNALIGNED_CHECKED] = {ldr_checked, HOSTILE_MMIO_IPA + 0x43, 0},
	[HOSTILE_LDXR] = {ldxr, HOSTILE_MMIO_IPA + 0x48, 0},
	[HOSTILE_STXR] = {stxr, HOSTILE_MMIO_IPA + 0x50, HOSTILE_MMIO_WRITE},
	[HOSTILE_LDP] = {ldp, HOSTILE_MMIO_IPA + 0x60, 0},
	[HOSTILE_STP] = {stp, HOSTILE_MMIO_IPA + 0x70, HOSTILE_MMIO_WRITE},
	[HOSTILE_LDR_WRITEBACK] = {ldr_writeback, HOSTILE_MMIO_IPA + 0x80, 0},
	[HOSTILE_LDR_FAR_IPA] = {ldr_x, HOSTILE_FAR_IPA, 0},
	[HOSTILE_LDR_HUGE_IPA] = {ldr_x, HOSTILE_HUGE_IPA, 0},
	[HOSTILE_LDR_WILD_VA] = {ldr_x, HOSTILE_WILD_VA, 0},
	[HOSTILE_DC_CIVAC] = {dc_civac, HOSTILE_MMIO_IPA + 0x100, 0},
	[HOSTILE_DC_IVAC] = {dc_ivac, HOSTILE_MMIO_IPA + 0x140, 0},
	[HOSTILE_DC_ZVA] = {dc_zva, HOSTILE_MMIO_IPA + 0x200, 0},
	[HOSTILE_IC_IVAU] = {ic_ivau, HOSTILE_MMIO_IPA + 0x300, 0},
	[HOSTILE_AT_S1E1R] = {at_s1e1r, HOSTILE_MMIO_IPA, 0},
	[HOSTILE_DC_ISW] = {dc_isw, 0, 0},
	[HOSTILE_TLBI_VMALLE1] = {tlbi_vmalle1, 0, 0},
	[HOSTILE_BRANCH_UNMAPPED] = {branch, HOSTILE_MMIO_IPA + 0x1000, 0},
	[HOSTILE_BRANCH_HUGE_IPA] = {branch, HOSTILE_HUGE_IPA, 0},
	[HOSTILE_BRANCH_WILD_VA] = {branch, HOSTILE_WILD_VA, 0},
	[HOSTILE_BRANCH_MISALIGNED] = {branch_misaligned, 0, 0},
	[HOSTILE_BRK] = {brk, 0, 0},
	[HOSTILE_SVC] = {svc, 0, 0},
	[HOSTILE_HLT] = {hlt, 0, 0},
	[HOSTILE_UDF] = {udf, 0, 0},
	[HOSTILE_ERET_EL2] = {eret_spsr, SPSR_EL2H_MASKED, 0},
	[HOSTILE_ERET_AARCH32] = {eret_spsr, SPSR_SVC32, 0},
	[HOSTILE_ERET_ALL_ONES] = {eret_spsr, 0xffffffffull, 0},
	[HOSTILE_ERET_UNMAPPED] = {eret_elr, SPSR_EL1H_MASKED, HOSTILE_MMIO_IPA + 0x2000},
	[HOSTILE_ERET_MISALIGNED] = {eret_misaligned, SPSR_EL1H_MASKED, 0},
	[HOSTILE_FP_EL1_TRAP] = {fp_el1_trap, 0, 0},
	[HOSTILE_FP_ENABLED] = {fp_enabled, 0, 0},
	[HOSTILE_UNLOCK_OS_LOCK] = {write_oslar, 0, 0},
	[HOSTILE_MDSCR_SOFTWARE_STEP] = {write_mdscr, 1, 0}, /* MDSCR_EL1.SS. */
};

void guest_main(void)
{
	unsigned made = 0;
	uint64_t sctlr;
	uint64_t cpacr;

	__asm__ volatile("msr vbar_el1, %0\n\tisb" ::"r"(hostile_vectors));
	__asm__ volatile("mrs %0, sctlr_el1\n\tmrs %1, cpacr_el1" : "=r"(sctlr), "=r"(cpacr));
	for (unsigned i = 0; i < HOSTILE_ATTACK_COUNT; i++) {
		const struct attack *at = &attacks[i];
		uint64_t before;
		uint64_t x0;

		(void)hypercall(GUEST_CALL_ATTACK, i, 0, 0, 0);
		hostile_el1_esr = 0;
		before = hostile_el1_count;
		x0 = at->fn(at->a, at->b);
		/* An attack that faulted may leave these changed: put them back. */
		__asm__ volatile("msr sctlr_el1, %0\n\tmsr cpacr_el1, %1\n\tisb" ::"r"(sctlr),
				 "r"(cpacr));
		(void)hypercall(GUEST_CALL_ATTACK_END, i, hostile_el1_count - before,
				hostile_el1_esr, x0);
		made++;
	}
	(void)hypercall(GUEST_CALL_HOSTILE_DONE, made, 0, 0, 0);
}
