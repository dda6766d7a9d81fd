/*
 * The state guest (tests/user/vm_state.c is its VMM, state_regs.h the
 * registers): it does what its VMM says, one command per
 * GUEST_CALL_STATE_NEXT, and reports every register after each.
 *
 * READ reads every register of state_regs.h, the ones an exception would
 * overwrite first, and reports each value; WRITE writes the tag's value
 * into every register, reads them all back and reports what they hold.
 * The VMM runs two VMs of this guest on one CPU in turns, so what one
 * reads after the other wrote says whether anything crossed.
 *
 * A register the kernel traps reaches the VMM, which answers with an
 * undefined instruction; the guest's vectors (state_vectors.S) count that
 * and skip the instruction, and the report says the access took an
 * exception and its class.
 */
#include <stdbool.h>
#include <stdint.h>

#include "guest.h"
#include "state_regs.h"

void guest_main(void);

/* In state_vectors.S. */
extern const char state_vectors[];
extern volatile uint64_t state_exceptions;
extern volatile uint64_t state_last_esr;

#define ESR_EC_SHIFT 26

/* CPACR_EL1: FPEN, ZEN and SMEN fully open (Arm ARM D19.2.30). */
#define CPACR_OPEN UINT64_C(0x03330000)

/* Tables 0 (a fresh guest's), STATE_TAG_A's and STATE_TAG_B's. */
#define VECTOR_TABLES UINT64_C(3)

/* Each system register's values and flags, in enum state_reg's order. */
struct reg_values {
	uint64_t a;
	uint64_t b;
	unsigned flags;
};

#define SYSREG_VALUES(name, op0, op1, crn, crm, op2, a, b, flags) {a, b, flags},
#define FPREG_VALUES(name, half, a, b)				  {a, b, 0},

static const struct reg_values reg_values[STATE_REG_COUNT] = {STATE_SYSREGS(SYSREG_VALUES)
								      STATE_FPREGS(FPREG_VALUES)};

static uint64_t values[STATE_REG_COUNT];
static unsigned status[STATE_REG_COUNT];
static unsigned write_status[STATE_REG_COUNT];
static bool has_pauth;

/* The generic name of a register's encoding, which the assembler takes for any register. */
#define ENCODING(op0, op1, crn, crm, op2) "s" #op0 "_" #op1 "_c" #crn "_c" #crm "_" #op2

/*
 * One case of reg_read and reg_write. The register's index rides in
 * probe, x17 (STATE_PROBE_XREG), for the VMM to read at a fault exit.
 */
#define READ_CASE(name, op0, op1, crn, crm, op2, ...)                                              \
	case STATE_##name:                                                                         \
		__asm__ volatile("mrs %0, " ENCODING(op0, op1, crn, crm, op2)                      \
				 : "+r"(v)                                                         \
				 : "r"(probe)                                                      \
				 : "memory");                                                      \
		break;
#define WRITE_CASE(name, op0, op1, crn, crm, op2, ...)                                             \
	case STATE_##name:                                                                         \
		__asm__ volatile("msr " ENCODING(op0, op1, crn, crm, op2) ", %0\n\tisb" ::"r"(v),  \
				 "r"(probe)                                                        \
				 : "memory");                                                      \
		break;
/* fmov to a D register clears the upper half, so each Q register's low half is written first. */
#define FP_READ_CASE(name, half, ...)                                                              \
	case STATE_##name:                                                                         \
		__asm__ volatile(".arch_extension fp\n\t.arch_extension simd\n\t"                  \
				 "fmov %0, " half                                                  \
				 : "+r"(v)                                                         \
				 : "r"(probe)                                                      \
				 : "memory");                                                      \
		break;
#define FP_WRITE_CASE(name, half, ...)                                                             \
	case STATE_##name:                                                                         \
		__asm__ volatile(".arch_extension fp\n\t.arch_extension simd\n\t"                  \
				 "fmov " half ", %0" ::"r"(v),                                     \
				 "r"(probe)                                                        \
				 : "memory");                                                      \
		break;

/* Read register i into *out; returns the STATE_READ_* bits of what happened. */
static unsigned reg_read(unsigned i, uint64_t *out)
{
	_Static_assert(STATE_PROBE_XREG == 17, "probe is x17");
	register uint64_t probe __asm__("x17") = i;
	uint64_t before = state_exceptions;
	uint64_t v = 0;

	switch (i) {
		STATE_SYSREGS(READ_CASE)
		STATE_FPREGS(FP_READ_CASE)
	default:
		break;
	}
	*out = v;
	if (state_exceptions == before)
		return 0;
	return STATE_READ_EXCEPTION | (unsigned)((state_last_esr >> ESR_EC_SHIFT) & STATE_EC_MASK)
					      << STATE_READ_EC_SHIFT;
}

/* Write v into register i; returns the STATE_WRITE_* bits of what happened. */
static unsigned reg_write(unsigned i, uint64_t v)
{
	register uint64_t probe __asm__("x17") = i;
	uint64_t before = state_exceptions;

	switch (i) {
		STATE_SYSREGS(WRITE_CASE)
		STATE_FPREGS(FP_WRITE_CASE)
	default:
		break;
	}
	if (state_exceptions == before)
		return 0;
	return STATE_WRITE_EXCEPTION | (unsigned)((state_last_esr >> ESR_EC_SHIFT) & STATE_EC_MASK)
					       << STATE_WRITE_EC_SHIFT;
}

static bool is_skipped(unsigned i)
{
	return (reg_values[i].flags & STATE_F_PAUTH) && !has_pauth;
}

static bool is_our_vectors(uint64_t vbar)
{
	uint64_t base = (uintptr_t)state_vectors;

	return vbar >= base && vbar < base + VECTOR_TABLES * STATE_VECTOR_TABLE_SIZE &&
	       (vbar - base) % STATE_VECTOR_TABLE_SIZE == 0;
}

/*
 * Read the registers whose STATE_F_LAST flag is last, in order. Once it
 * has read VBAR_EL1 and CPACR_EL1, a fresh guest installs its vectors
 * and opens the FP/SIMD unit (and SVE's and SME's, so that their probes
 * reach EL2); a guest that already has them changes nothing.
 */
static void read_regs(bool last)
{
	for (unsigned i = 0; i < STATE_REG_COUNT; i++) {
		if (((reg_values[i].flags & STATE_F_LAST) != 0) != last)
			continue;
		if (is_skipped(i)) {
			values[i] = 0;
			status[i] = STATE_SKIPPED;
			continue;
		}
		status[i] = reg_read(i, &values[i]);
		if (i == STATE_VBAR_EL1 && !is_our_vectors(values[i]))
			__asm__ volatile("msr vbar_el1, %0\n\tisb" ::"r"(state_vectors));
		if (i == STATE_CPACR_EL1 && (values[i] & CPACR_OPEN) != CPACR_OPEN)
			__asm__ volatile("msr cpacr_el1, %0\n\tisb" ::"r"(values[i] | CPACR_OPEN));
	}
}

/* What the tag writes into register i. */
static uint64_t tag_value(unsigned i, uint64_t tag)
{
	if (i == STATE_VBAR_EL1)
		return (uintptr_t)state_vectors + tag * STATE_VECTOR_TABLE_SIZE;
	return tag == STATE_TAG_A ? reg_values[i].a : reg_values[i].b;
}

/* Write the tag's values into the registers whose STATE_F_LAST flag is last. */
static void write_regs(bool last, uint64_t tag)
{
	for (unsigned i = 0; i < STATE_REG_COUNT; i++) {
		if (((reg_values[i].flags & STATE_F_LAST) != 0) != last)
			continue;
		write_status[i] = is_skipped(i) ? 0 : reg_write(i, tag_value(i, tag));
	}
}

/*
 * Write everything, then read it all back, so that what one register
 * does to another (ICC_CTLR_EL1.CBPR to ICC_BPR1_EL1) shows in the values
 * reported. The registers an exception overwrites come last: the
 * read-back of the others may take exceptions.
 */
static void write_all(uint64_t tag)
{
	write_regs(false, tag);
	read_regs(false);
	write_regs(true, tag);
	read_regs(true);
	for (unsigned i = 0; i < STATE_REG_COUNT; i++)
		status[i] |= write_status[i];
}

/* FEAT_PAuth, as the kernel decides it: ID_AA64ISAR1_EL1 APA, API, GPA, GPI; ISAR2 APA3. */
static bool pauth_present(void)
{
	uint64_t isar1;
	uint64_t isar2;

	__asm__ volatile("mrs %0, id_aa64isar1_el1\n\tmrs %1, s3_0_c0_c6_2"
			 : "=r"(isar1), "=r"(isar2));
	return (isar1 & UINT64_C(0xf0000ff0)) != 0 || ((isar2 >> 12) & 0xf) != 0;
}

void guest_main(void)
{
	/*
	 * The ID registers trap to the VMM (HCR_EL2.TID3), which answers with
	 * the CPU's values: no EL1 register changes, so this may come first.
	 */
	has_pauth = pauth_present();
	for (;;) {
		struct guest_answer a = guest_hvc(GUEST_CALL_STATE_NEXT, 0, 0, 0, 0);

		if (a.x[0] == STATE_CMD_READ) {
			read_regs(true);
			read_regs(false);
		} else if (a.x[0] == STATE_CMD_WRITE) {
			write_all(a.x[1]);
		} else {
			return;
		}
		for (unsigned i = 0; i < STATE_REG_COUNT; i++)
			(void)guest_hvc(GUEST_CALL_STATE_REG, i, values[i], status[i], 0);
	}
}
