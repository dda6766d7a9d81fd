/*
 * The fidelity guest (qemu.vmm-fidelity, -raz, -stop): what a guest of the
 * user-level VMM sees where the hypervisor answers for the hardware, as its
 * own EL1 vectors (fidelity_vectors.S) catch it.
 *
 * First what does not depend on the VM's 'unmapped-access': the physical
 * counter reads without a trap and agrees with the virtual one (CNTVOFF is
 * 0); PMCR_EL0 is undefined (no PMU for guests); ACTLR_EL1 reads as zero
 * and DC CISW does nothing, neither taking an exception.
 *
 * Then accesses to guest-physical addresses where nothing is (past the
 * VM's RAM, no device; the MMU is off, so an address is its IPA): an LDR W,
 * an STR W, an LDP and a branch there. A CPU takes a synchronous external
 * abort for each (Arm ARM, ESR_EL1's ISS for data and instruction aborts:
 * fault status 0b010000, FAR valid), at the access's instruction; so does
 * the guest under "abort". Under "read-as-zero" the load reads 0 and the
 * store is ignored, with no exception, but the LDP (which the kernel cannot
 * decode) and the fetch still abort. Under "stop" the VMM stops the VM at
 * the first load, so nothing after it may print.
 *
 * The guest learns which of them its VM has from /chosen's bootargs,
 * "unmapped-access=abort", "=read-as-zero" or "=stop", written next to the
 * property in the system description, rather than guessing it from what
 * the load does. Each check prints a line when it holds and a line with
 * FAIL, what was got and what was expected, when not; then the guest
 * powers the VM off with PSCI SYSTEM_OFF.
 */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "fidelity_vectors.h"
#include "guest.h"

/* Where nothing is: past RAM (tests/qemu/systems/fidelity*.dts), no device. */
#define NOWHERE_LOAD  0x7f000010ull
#define NOWHERE_STORE 0x7f000020ull
#define NOWHERE_PAIR  0x7f000030ull
#define NOWHERE_FETCH 0x7f000040ull

/* What a destination holds before a load that must not complete. */
#define UNTOUCHED 0x5e5e5e5eu
#define POISON	  FIDELITY_POISON

#define PSCI_SYSTEM_OFF 0x84000008u

/* ESR_EL1 (Arm ARM, "ESR_EL1"): EC 31:26, IL 25, ISS 24:0 and its abort fields. */
#define ESR_EC_SHIFT  26
#define ESR_EC_MASK   0x3fu
#define ESR_IL	      (1ull << 25)
#define ESR_ISS_MASK  0x1ffffffull
#define ESR_FSC_MASK  0x3fu
#define ESR_WNR	      (1ull << 6)
#define ESR_S1PTW     (1ull << 7)
#define ESR_FNV	      (1ull << 10)
#define EC_UNKNOWN    0x00u
#define EC_IABT_CUR   0x21u
#define EC_DABT_CUR   0x25u
#define FSC_SYNC_EXT  0x10u
#define SPSR_M_MASK   0xfu
#define SPSR_M_EL1H   0x5u
#define VECTOR_EL1H_S 0x200u /* Synchronous, from the current EL with SP_ELx. */

void guest_main(uint64_t dtb);

/* The VM's 'unmapped-access', as its bootargs say. */
enum mode {
	MODE_ABORT,
	MODE_READ_AS_ZERO,
	MODE_STOP,
	MODE_UNKNOWN,
};

static enum mode mode_of(const char *args)
{
	if (streq(args, "unmapped-access=abort"))
		return MODE_ABORT;
	if (streq(args, "unmapped-access=read-as-zero"))
		return MODE_READ_AS_ZERO;
	if (streq(args, "unmapped-access=stop"))
		return MODE_STOP;
	return MODE_UNKNOWN;
}

/*
 * The probe named check took one synchronous external abort, from EL1h at
 * insn: EC ec (a data abort's WnR is_write), not on a walk, with FAR the
 * address it reached for.
 */
static bool took_abort(const char *check, unsigned ec, bool is_write, uint64_t far, uint64_t insn)
{
	uint64_t esr = fidelity_seen_esr;
	bool ok;

	if (!same(check, "exceptions taken", fidelity_seen_count, 1))
		return false; /* The rest is the poison fidelity_forget() left, or a later
				 exception's. */
	ok = same(check, "vector offset", fidelity_seen_vector, VECTOR_EL1H_S);
	ok &= same(check, "ESR.EC", (esr >> ESR_EC_SHIFT) & ESR_EC_MASK, ec);
	ok &= same(check, "ESR.IL", (esr & ESR_IL) != 0, 1);
	ok &= same(check, "ESR.FSC", esr & ESR_FSC_MASK, FSC_SYNC_EXT);
	ok &= same(check, "ESR.S1PTW", (esr & ESR_S1PTW) != 0, 0);
	ok &= same(check, "ESR.FnV", (esr & ESR_FNV) != 0, 0);
	if (ec == EC_DABT_CUR)
		ok &= same(check, "ESR.WnR", (esr & ESR_WNR) != 0, is_write);
	ok &= same(check, "FAR_EL1", fidelity_seen_far, far);
	ok &= same(check, "ELR_EL1", fidelity_seen_elr, insn);
	ok &= same(check, "SPSR_EL1.M", fidelity_seen_spsr & SPSR_M_MASK, SPSR_M_EL1H);
	return ok;
}

/* An LDR W from addr: what it read (UNTOUCHED if it did not complete); *insn its address. */
static uint32_t load32(uint64_t addr, uint64_t *insn)
{
	uint32_t v = UNTOUCHED;
	uint64_t at;

	__asm__ volatile("adr %1, 1f\n1:\tldr %w0, [%2]"
			 : "+r"(v), "=&r"(at)
			 : "r"(addr)
			 : "memory");
	*insn = at;
	return v;
}

/* An STR W of v to addr; *insn its address. */
static void store32(uint64_t addr, uint32_t v, uint64_t *insn)
{
	uint64_t at;

	__asm__ volatile("adr %0, 1f\n1:\tstr %w1, [%2]"
			 : "=&r"(at)
			 : "r"(v), "r"(addr)
			 : "memory");
	*insn = at;
}

/* An LDP of two X registers from addr: their sum (both UNTOUCHED if it did not complete). */
static uint64_t load_pair(uint64_t addr, uint64_t *insn)
{
	uint64_t a = UNTOUCHED, b = UNTOUCHED, at;

	__asm__ volatile("adr %2, 1f\n1:\tldp %0, %1, [%3]"
			 : "+r"(a), "+r"(b), "=&r"(at)
			 : "r"(addr)
			 : "memory");
	*insn = at;
	return a + b;
}

/*
 * A BLR to target. Nothing there can run, so the exception the fetch takes
 * resumes after the BLR (fidelity_resume), as if the call had returned.
 */
static void call_at(uint64_t target)
{
	__asm__ volatile("adr x9, 1f\n\t"
			 "str x9, [%1]\n\t"
			 "blr %0\n"
			 "1:"
			 :
			 : "r"(target), "r"(&fidelity_resume)
			 : "x9", "x30", "memory");
}

/*
 * CNTPCT_EL0 reads without an exception, is not zero, lies between two
 * reads of CNTVCT_EL0 around it (CNTVOFF_EL2 is 0), and advances.
 */
static void check_counter(void)
{
	const char *c = "CNTPCT_EL0";
	uint64_t before = 0, phys = 0, after = 0, later = 0;
	bool ok;

	fidelity_forget();
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0\n\t"
			 "isb\n\tmrs %1, cntpct_el0\n\t"
			 "isb\n\tmrs %2, cntvct_el0"
			 : "+r"(before), "+r"(phys), "+r"(after)::"memory");
	while (guest_ticks() <= after + 100)
		;
	__asm__ volatile("isb\n\tmrs %0, cntpct_el0" : "+r"(later)::"memory");
	ok = same(c, "exceptions taken", fidelity_seen_count, 0);
	ok &= within(c, "the count", phys, 1, UINT64_MAX);
	ok &= within(c, "the count, between CNTVCT_EL0 before and after", phys, before, after);
	ok &= within(c, "the count later", later, phys + 1, UINT64_MAX);
	held(ok, "CNTPCT_EL0 reads without a trap, between two CNTVCT_EL0 reads, and advances");
}

/* PMCR_EL0 is undefined; ACTLR_EL1 reads 0 and DC CISW runs, neither trapping. */
static void check_sysregs(void)
{
	uint64_t v = POISON, insn = 0;
	bool ok;

	fidelity_forget();
	__asm__ volatile("adr %1, 1f\n1:\tmrs %0, pmcr_el0" : "+r"(v), "=&r"(insn)::"memory");
	ok = same("MRS PMCR_EL0", "exceptions taken", fidelity_seen_count, 1);
	ok &= same("MRS PMCR_EL0", "vector offset", fidelity_seen_vector, VECTOR_EL1H_S);
	ok &= same("MRS PMCR_EL0", "ESR.EC", (fidelity_seen_esr >> ESR_EC_SHIFT) & ESR_EC_MASK,
		   EC_UNKNOWN);
	ok &= same("MRS PMCR_EL0", "ESR.IL", (fidelity_seen_esr & ESR_IL) != 0, 1);
	ok &= same("MRS PMCR_EL0", "ESR.ISS", fidelity_seen_esr & ESR_ISS_MASK, 0);
	ok &= same("MRS PMCR_EL0", "ELR_EL1", fidelity_seen_elr, insn);
	ok &= same("MRS PMCR_EL0", "its destination", v, POISON);
	held(ok, "MRS PMCR_EL0 is undefined: EC 0x0, IL 1, ELR at the MRS");

	fidelity_forget();
	v = POISON;
	__asm__ volatile("mrs %0, actlr_el1" : "+r"(v)::"memory");
	ok = same("MRS ACTLR_EL1", "exceptions taken", fidelity_seen_count, 0);
	ok &= same("MRS ACTLR_EL1", "the value", v, 0);
	held(ok, "ACTLR_EL1 reads 0 without an exception");

	fidelity_forget();
	__asm__ volatile("dc cisw, %0" ::"r"(UINT64_C(0)) : "memory");
	ok = same("DC CISW", "exceptions taken", fidelity_seen_count, 0);
	held(ok, "DC CISW runs without an exception");
}

/* An LDR W and an STR W where nothing is: aborts, or zero and nothing under read-as-zero. */
static void check_load_store(enum mode mode)
{
	uint64_t insn = 0;
	uint32_t v;
	bool ok;

	fidelity_forget();
	v = load32(NOWHERE_LOAD, &insn);
	if (mode == MODE_STOP) {
		/* Not reached: the VMM stopped the VM at the load. */
		fail("LDR W in stop mode: the VM ran on after the load, which read ");
		put_hex(v);
		say("\r\n");
		return;
	}
	if (mode == MODE_READ_AS_ZERO) {
		ok = same("LDR W", "exceptions taken", fidelity_seen_count, 0);
		ok &= same("LDR W", "the value", v, 0);
		held(ok, "LDR W from 0x7f000010 read 0, no exception (read-as-zero)");
	} else {
		ok = took_abort("LDR W", EC_DABT_CUR, false, NOWHERE_LOAD, insn);
		ok &= same("LDR W", "its destination", v, UNTOUCHED);
		held(ok, "LDR W from 0x7f000010: synchronous external abort, EC 0x25 DFSC 0x10 "
			 "WnR 0, FAR and ELR right, from EL1h");
	}

	fidelity_forget();
	store32(NOWHERE_STORE, 0x600d, &insn);
	if (mode == MODE_READ_AS_ZERO) {
		ok = same("STR W", "exceptions taken", fidelity_seen_count, 0);
		held(ok, "STR W to 0x7f000020 ignored, no exception (read-as-zero)");
	} else {
		ok = took_abort("STR W", EC_DABT_CUR, true, NOWHERE_STORE, insn);
		held(ok, "STR W to 0x7f000020: synchronous external abort, EC 0x25 DFSC 0x10 "
			 "WnR 1, FAR and ELR right, from EL1h");
	}
}

/* An LDP and a fetch where nothing is: they abort in every mode that goes on. */
static void check_pair_fetch(void)
{
	uint64_t insn = 0, sum;
	bool ok;

	fidelity_forget();
	sum = load_pair(NOWHERE_PAIR, &insn);
	ok = took_abort("LDP", EC_DABT_CUR, false, NOWHERE_PAIR, insn);
	ok &= same("LDP", "its destinations' sum", sum, 2 * (uint64_t)UNTOUCHED);
	held(ok, "LDP from 0x7f000030: synchronous external abort, EC 0x25 DFSC 0x10 WnR 0, FAR "
		 "and ELR right, from EL1h");

	fidelity_forget();
	call_at(NOWHERE_FETCH);
	ok = took_abort("BLR", EC_IABT_CUR, false, NOWHERE_FETCH, NOWHERE_FETCH);
	held(ok, "BLR to 0x7f000040: instruction abort, EC 0x21 IFSC 0x10, FAR = ELR = the "
		 "target, from EL1h");
}

void guest_main(uint64_t dtb)
{
	static const char *const names[] = {
		[MODE_ABORT] = "abort",
		[MODE_READ_AS_ZERO] = "read-as-zero",
		[MODE_STOP] = "stop",
		[MODE_UNKNOWN] = "unknown",
	};
	const char *args = bootargs((const uint8_t *)dtb);
	enum mode mode = mode_of(args);

	check_name = "fidelity";
	__asm__ volatile("msr vbar_el1, %0\n\tisb" ::"r"(fidelity_vectors) : "memory");
	say("fidelity: up; unmapped-access ");
	say(names[mode]);
	say("\r\n");
	if (mode == MODE_UNKNOWN) {
		fail("bootargs: got \"");
		say(args);
		say("\", expected unmapped-access=abort, =read-as-zero or =stop\r\n");
	} else {
		check_counter();
		check_sysregs();
		check_load_store(mode);
		if (mode != MODE_STOP)
			check_pair_fetch();
	}
	if (check_failures == 0)
		say("fidelity: every check held\r\n");
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		; /* SYSTEM_OFF does not return. */
}
