/*
 * The debug guest (qemu.vmm-debug): a guest's self-hosted debug, as the
 * Arm ARM describes it (D2, "AArch64 Self-hosted Debug"), caught by its
 * own EL1 vectors (fidelity_vectors.S). Two VMs run it on one CPU, told
 * apart by their bootargs.
 *
 * "debug=alpha" checks that its breakpoints, watchpoints and software
 * step work: the OS Lock, set at reset, keeps a breakpoint from firing
 * until it is cleared; a breakpoint, a watchpoint and a step then each
 * take the guest's vector with the syndrome, FAR and ELR a CPU gives; a
 * step over an instruction its VMM or a device server emulates stops
 * after that one instruction; the registers read back what was written;
 * one the CPU lacks is undefined; its second vCPU, powered up a second
 * time, finds its debug logic reset. Then it arms what would stop the host
 * if it leaked there (software step, and a watchpoint over the low 2 GiB
 * at every level) and makes hundreds of exits to its VMM and its UART's
 * server: they must go on serving. Last, it keeps a watchpoint on a word
 * of its own armed and stores to it over many scheduling ticks.
 *
 * "debug=beta" runs meanwhile on the same CPU with breakpoints and
 * watchpoints enabled but none on that word: storing to its own copy of
 * it over the same ticks must never stop it, and its debug registers read
 * only what it wrote, never alpha's.
 */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "fidelity_vectors.h"
#include "guest.h"

/* ESR_EL1 (Arm ARM D19.2): EC 31:26, IL 25; the debug syndromes' ISS. */
#define ESR_EC_SHIFT	  26
#define ESR_EC_MASK	  0x3fu
#define ESR_ISS_MASK	  0x1ffffffull
#define ESR_IL		  (1ull << 25)
#define EC_UNKNOWN	  0x00u
#define EC_BREAKPOINT_CUR 0x31u
#define EC_STEP_CUR	  0x33u
#define EC_WATCHPOINT_CUR 0x35u
#define FSC_DEBUG	  0x22u	       /* IFSC / DFSC: a debug exception. */
#define ISS_WNR		  (1ull << 6)  /* Watchpoint: a write. */
#define ISS_STEP_ISV	  (1ull << 24) /* Software step: EX is valid. */
#define ISS_STEP_EX	  (1ull << 6)  /* Software step: the step was a load-exclusive. */

/* MDSCR_EL1: SS 0, KDE 13, MDE 15. OSLSR_EL1: OSLM 0b10 (bit 3), OSLK 1. */
#define MDSCR_SS   (1ull << 0)
#define MDSCR_KDE  (1ull << 13)
#define MDSCR_MDE  (1ull << 15)
#define OSLSR_OSLM 0x8ull
#define OSLSR_OSLK 0x2ull

/*
 * DBGBCR<n>_EL1 / DBGWCR<n>_EL1: E 0, PMC (PAC) 2:1, LSC 4:3, BAS 8:5 or
 * 12:5, HMC 13, SSC 15:14, MASK 28:24.
 */
#define CR_E	      1ull
#define CR_EL1	      (1ull << 1) /* PMC / PAC 0b01: EL1. */
#define CR_EL1_EL0    (3ull << 1)
#define CR_HMC	      (1ull << 13)
#define CR_SSC_NS     (1ull << 14)
#define BCR_BAS_A64   (0xfull << 5)
#define WCR_LSC_STORE (2ull << 3)
#define WCR_LSC_ANY   (3ull << 3)
#define WCR_BAS_8     (0xffull << 5)
#define WCR_MASK_2G   (31ull << 24)
/* An EL1 breakpoint on an A64 instruction; the same asking for EL2 too (HMC, SSC 0b01). */
#define BCR_EL1	    (CR_E | CR_EL1 | BCR_BAS_A64)
#define BCR_EL2_EL1 (BCR_EL1 | CR_HMC | CR_SSC_NS)
/* An EL1 watchpoint on stores to 8 bytes. */
#define WCR_STORE (CR_E | CR_EL1 | WCR_LSC_STORE | WCR_BAS_8)
/* Every access to the low 2 GiB at EL2, EL1 and EL0. */
#define WCR_HOST_TRAP                                                                              \
	(CR_E | CR_EL1_EL0 | CR_HMC | CR_SSC_NS | WCR_LSC_ANY | WCR_BAS_8 | WCR_MASK_2G)

#define VECTOR_EL1H_S	0x200u
#define PSCI_VERSION	0x84000000u
#define PSCI_CPU_OFF	0x84000002u
#define PSCI_CPU_ON	0xc4000003u
#define PSCI_AFFINITY	0xc4000004u
#define AFFINITY_OFF	1u
#define PSCI_SYSTEM_OFF 0x84000008u
#define UART_FR		0x09000018ull
#define FR_EMPTIES	(1u << 7 | 1u << 4) /* UARTFR: TXFE, RXFE; a live UART has one set. */

/* How long alpha keeps its watchpoint armed and beta stores beside it: many 10 ms ticks. */
#define SHARED_MS 50u

void guest_main(uint64_t dtb);

/*
 * What the checks run: a function whose first instruction a breakpoint
 * names (its vector resumes after it), a store whose address is known,
 * and three places to step from, each an instruction followed by a NOP:
 * one the guest runs itself, one its VMM emulates (a trapped system
 * register) and one a device server emulates (a UART read). debug_step
 * enters one at EL1h with PSTATE.SS set and D clear, x2 as given.
 */
extern const uint32_t debug_target[], debug_step_own[], debug_step_sysreg[], debug_step_mmio[];
void debug_target_call(void);
void debug_step(const uint32_t *at, uint64_t x2);

__asm__(".text\n"
	".global debug_target, debug_target_call\n"
	"debug_target_call:\n"
	"debug_target:\n"
	"	nop\n"
	"	ret\n"
	".global debug_step_own, debug_step_sysreg, debug_step_mmio, debug_step\n"
	"debug_step_own:\n"
	"	mov x1, #1\n"
	"	nop\n"
	"	b .\n"
	"debug_step_sysreg:\n"
	"	mrs x1, actlr_el1\n"
	"	nop\n"
	"	b .\n"
	"debug_step_mmio:\n"
	"	ldr w1, [x2]\n"
	"	nop\n"
	"	b .\n"
	"debug_step:\n"
	"	adr x9, 1f\n"
	"	adrp x10, fidelity_resume\n"
	"	str x9, [x10, :lo12:fidelity_resume]\n"
	"	msr elr_el1, x0\n"
	"	mov x9, #0x1c5\n"	 /* EL1h, A, I and F masked, D clear... */
	"	orr x9, x9, #0x200000\n" /* ...and SS: step one instruction. */
	"	msr spsr_el1, x9\n"
	"	mov x2, x1\n"
	"	isb\n"
	"	eret\n"
	"1:	ret\n");

static volatile uint64_t watched, shared_word, beta_word;

#define WRITE(reg, v) __asm__ volatile("msr " #reg ", %0\n\tisb" ::"r"((uint64_t)(v)) : "memory")
#define READ(reg, v)  __asm__ volatile("mrs %0, " #reg : "=r"(v)::"memory")

/* Debug exceptions at EL1 unmasked (PSTATE.D clear), or masked again. */
static void debug_unmask(void)
{
	__asm__ volatile("msr daifclr, #8\n\tisb" ::: "memory");
}

static void debug_mask(void)
{
	__asm__ volatile("msr daifset, #8\n\tisb" ::: "memory");
}

/* The one exception the check took: EC ec, ISS iss, at ELR elr, to the EL1h vector. */
static bool took(const char *check, unsigned ec, uint64_t iss, uint64_t elr)
{
	uint64_t esr = fidelity_seen_esr;
	bool ok;

	if (!same(check, "exceptions taken", fidelity_seen_count, 1))
		return false;
	ok = same(check, "vector offset", fidelity_seen_vector, VECTOR_EL1H_S);
	ok &= same(check, "ESR.EC", (esr >> ESR_EC_SHIFT) & ESR_EC_MASK, ec);
	ok &= same(check, "ESR.IL", (esr & ESR_IL) != 0, 1);
	ok &= same(check, "ESR.ISS", esr & ESR_ISS_MASK, iss);
	ok &= same(check, "ELR_EL1", fidelity_seen_elr, elr);
	return ok;
}

static uint64_t mdscr(void)
{
	uint64_t v;

	READ(mdscr_el1, v);
	return v;
}

/* The OS Lock at reset, and a breakpoint that fires only once it is cleared. */
static void check_breakpoint(void)
{
	uint64_t oslsr, bcr;
	bool ok;

	READ(oslsr_el1, oslsr);
	ok = same("OS Lock", "OSLSR_EL1 at reset", oslsr, OSLSR_OSLM | OSLSR_OSLK);
	WRITE(dbgbvr0_el1, (uintptr_t)debug_target);
	WRITE(dbgbcr0_el1, BCR_EL2_EL1);
	WRITE(mdscr_el1, MDSCR_KDE | MDSCR_MDE);
	READ(dbgbcr0_el1, bcr);
	ok &= same("OS Lock", "DBGBCR0_EL1 read back", bcr, BCR_EL2_EL1);
	ok &= same("OS Lock", "MDSCR_EL1 read back", mdscr(), MDSCR_KDE | MDSCR_MDE);
	fidelity_forget();
	debug_unmask();
	debug_target_call();
	debug_mask();
	ok &= same("OS Lock", "exceptions while locked", fidelity_seen_count, 0);
	held(ok, "OSLSR_EL1 0xa at reset; a breakpoint does not fire while the OS Lock is set");

	WRITE(oslar_el1, 0);
	READ(oslsr_el1, oslsr);
	ok = same("breakpoint", "OSLSR_EL1 unlocked", oslsr, OSLSR_OSLM);
	fidelity_forget();
	debug_unmask();
	debug_target_call();
	debug_mask();
	ok &= took("breakpoint", EC_BREAKPOINT_CUR, FSC_DEBUG, (uintptr_t)debug_target);
	held(ok, "breakpoint: EC 0x31 IFSC 0x22, ELR at the target, once the OS Lock is clear");
	WRITE(dbgbcr0_el1, 0);
}

/* A store to a watched word: stopped before it writes, with its address in FAR. */
static void check_watchpoint(void)
{
	uint64_t at, v;
	bool ok;

	watched = 1;
	WRITE(dbgwvr0_el1, (uintptr_t)&watched);
	WRITE(dbgwcr0_el1, WCR_STORE);
	fidelity_forget();
	debug_unmask();
	v = watched; /* A load: not watched. */
	__asm__ volatile("adr %0, 1f\n1:\tstr %1, [%2]"
			 : "=&r"(at)
			 : "r"(v + 1), "r"(&watched)
			 : "memory");
	debug_mask();
	ok = took("watchpoint", EC_WATCHPOINT_CUR, ISS_WNR | FSC_DEBUG, at);
	ok &= within("watchpoint", "FAR_EL1", fidelity_seen_far, (uintptr_t)&watched,
		     (uintptr_t)&watched + 7);
	ok &= same("watchpoint", "the word (the store did not happen)", watched, 1);
	held(ok, "watchpoint: a store takes EC 0x35 DFSC 0x22 WnR 1, FAR at the word, ELR at the "
		 "store, which has not written; a load does not");
	WRITE(dbgwcr0_el1, 0);
}

/*
 * One instruction stepped at at: a software step exception right after
 * it. One the guest ran itself says so (ISV 1, EX 0: not a load-exclusive);
 * after one emulated for it the CPU stepped nothing, and takes the
 * exception as on an exception return with PSTATE.SS 0 (ISV 0; Arm ARM
 * D2.12, "the active-pending state"), as on a hypervisor that skips it.
 */
static bool stepped(const char *check, const uint32_t *at, uint64_t x2, bool emulated)
{
	fidelity_forget();
	debug_step(at, x2);
	return took(check, EC_STEP_CUR, (emulated ? 0 : ISS_STEP_ISV) | FSC_DEBUG,
		    (uintptr_t)(at + 1));
}

static void check_step(void)
{
	bool ok;

	WRITE(mdscr_el1, MDSCR_SS | MDSCR_KDE | MDSCR_MDE);
	ok = stepped("step", debug_step_own, 0, false);
	held(ok, "software step: EC 0x33 ISV 1 EX 0, ELR at the next instruction");
	ok = stepped("step over a trapped MRS", debug_step_sysreg, 0, true);
	held(ok, "software step over an MRS its VMM emulates: ISV 0, ELR at the next instruction");
	ok = stepped("step over MMIO", debug_step_mmio, UART_FR, true);
	held(ok, "software step over a UART read a device server emulates: ISV 0, ELR at the next "
		 "instruction");
	WRITE(mdscr_el1, MDSCR_KDE | MDSCR_MDE);
}

/* A breakpoint the CPU lacks (ID_AA64DFR0_EL1.BRPs) is undefined, as on the CPU. */
static void check_missing(void)
{
	uint64_t dfr0, v;
	unsigned brps;
	bool ok;

	READ(id_aa64dfr0_el1, dfr0);
	brps = (unsigned)((dfr0 >> 12) & 0xf) + 1;
	if (brps == 16) {
		held(true, "all 16 breakpoints exist: none to find undefined");
		return;
	}
	fidelity_forget();
	__asm__ volatile("mrs %0, dbgbcr15_el1" : "=r"(v)::"memory");
	(void)v;
	ok = same("DBGBCR15_EL1", "exceptions", fidelity_seen_count, 1);
	ok = ok && same("DBGBCR15_EL1", "ESR.EC", (fidelity_seen_esr >> ESR_EC_SHIFT) & ESR_EC_MASK,
			EC_UNKNOWN);
	held(ok, "a breakpoint past ID_AA64DFR0_EL1.BRPs is undefined");
}

/*
 * Armed with debug exceptions masked in the guest (it would stop itself
 * otherwise): software step, and a watchpoint on every access to the low
 * 2 GiB at EL2, EL1 and EL0. Were either in force while the kernel or a
 * host thread runs, the VMM and the UART's server (host threads) would
 * stop at their first instruction or access.
 */
static void check_host_untouched(void)
{
	unsigned exits = 0;

	WRITE(dbgwvr1_el1, 0);
	WRITE(dbgwcr1_el1, WCR_HOST_TRAP);
	WRITE(mdscr_el1, MDSCR_SS | MDSCR_KDE | MDSCR_MDE);
	for (unsigned i = 0; i < 200; i++) {
		struct guest_answer a = guest_hvc(PSCI_VERSION, 0, 0, 0, 0);

		exits += a.x[0] != 0; /* The VMM's answer: PSCI 1.x. */
		exits += (*(volatile uint32_t *)UART_FR & FR_EMPTIES) != 0; /* Its server's. */
	}
	WRITE(dbgwcr1_el1, 0);
	WRITE(mdscr_el1, MDSCR_KDE | MDSCR_MDE);
	held(same("host", "exits answered by the VMM and the server", exits, 400),
	     "400 exits to the VMM and the UART server with step and a 2 GiB watchpoint armed at "
	     "every level: the host ran on");
}

/*
 * Store to word for SHARED_MS: how many of the stores were stopped, and
 * in how many places the count jumped by more than GAP_MS between two
 * stores, the other VM having had the CPU meanwhile.
 */
#define GAP_MS 4u

static uint64_t store_for_a_while(volatile uint64_t *word, unsigned *gaps)
{
	uint64_t ms = guest_tick_hz() / 1000, now = guest_ticks();
	uint64_t end = now + ms * SHARED_MS, stops = 0;

	*gaps = 0;
	while (now < end) {
		uint64_t before = now;

		fidelity_forget();
		debug_unmask();
		*word = before;
		debug_mask();
		stops += fidelity_seen_count;
		now = guest_ticks();
		*gaps += now - before > ms * GAP_MS;
	}
	return stops;
}

/*
 * alpha's vCPU 1, started twice with CPU_ON: the first time it clears the
 * OS Lock and enables debug, the second it reports what a power-up left
 * (a cold reset of its debug logic: OS Lock set, MDSCR_EL1 0). Each time
 * it turns itself off.
 */
static volatile uint64_t secondary_oslsr, secondary_mdscr, secondary_runs;

static void secondary(uint64_t run)
{
	if (run == 1) {
		WRITE(oslar_el1, 0);
		WRITE(mdscr_el1, MDSCR_KDE | MDSCR_MDE);
	} else {
		READ(oslsr_el1, secondary_oslsr);
		READ(mdscr_el1, secondary_mdscr);
	}
	secondary_runs = run;
	(void)guest_hvc(PSCI_CPU_OFF, 0, 0, 0, 0);
	for (;;)
		; /* CPU_OFF does not return. */
}

/* Start vCPU 1 for run, and wait until it is off again. */
static bool run_secondary(uint64_t run)
{
	uint64_t err = guest_hvc(PSCI_CPU_ON, 1, GUEST_IMAGE_BASE, run, 0).x[0];

	if (!same("CPU_ON", "PSCI status", err, 0))
		return false;
	while (secondary_runs != run || guest_hvc(PSCI_AFFINITY, 1, 0, 0, 0).x[0] != AFFINITY_OFF)
		;
	return true;
}

static void check_power_up(void)
{
	bool ok = run_secondary(1) && run_secondary(2);

	ok = ok && same("power-up", "OSLSR_EL1", secondary_oslsr, OSLSR_OSLM | OSLSR_OSLK);
	ok = ok && same("power-up", "MDSCR_EL1", secondary_mdscr, 0);
	held(ok, "a vCPU powered up again (CPU_ON) has its OS Lock set and MDSCR_EL1 0");
}

static void alpha(void)
{
	uint64_t stops;
	unsigned gaps;
	bool ok;

	check_breakpoint();
	check_watchpoint();
	check_step();
	check_missing();
	check_power_up();
	check_host_untouched();

	WRITE(dbgwvr2_el1, (uintptr_t)&shared_word);
	WRITE(dbgwcr2_el1, WCR_STORE);
	stops = store_for_a_while(&shared_word, &gaps);
	WRITE(dbgwcr2_el1, 0);
	ok = within("alpha", "stores stopped by its own watchpoint", stops, 1, UINT64_MAX);
	ok &= within("alpha", "times beta had the CPU meanwhile", gaps, 1, UINT32_MAX);
	held(ok, "alpha: its watchpoint stopped its stores, beta running in between");
}

static void beta(void)
{
	uint64_t wvr, wcr, stops;
	unsigned gaps;
	bool ok;

	WRITE(oslar_el1, 0);
	WRITE(dbgwvr0_el1, (uintptr_t)&beta_word);
	WRITE(dbgwcr0_el1, WCR_STORE);
	WRITE(mdscr_el1, MDSCR_KDE | MDSCR_MDE);
	stops = store_for_a_while(&shared_word, &gaps);
	READ(dbgwvr2_el1, wvr);
	READ(dbgwcr2_el1, wcr);
	ok = same("beta", "stores stopped", stops, 0);
	ok &= within("beta", "times alpha had the CPU meanwhile", gaps, 1, UINT32_MAX);
	ok &= same("beta", "DBGWVR2_EL1", wvr, 0);
	ok &= same("beta", "DBGWCR2_EL1", wcr, 0);
	held(ok, "beta: never stopped by alpha's watchpoint on the same word, alpha running in "
		 "between; reads none of alpha's registers");
}

void guest_main(uint64_t dtb)
{
	uint64_t mpidr;
	const char *args;

	READ(mpidr_el1, mpidr);
	if ((mpidr & 0xff) != 0)
		secondary(dtb); /* alpha's vCPU 1: x0 is CPU_ON's context. */
	args = bootargs((const uint8_t *)dtb);

	check_name = "debug";
	__asm__ volatile("msr vbar_el1, %0\n\tisb" ::"r"(fidelity_vectors) : "memory");
	if (streq(args, "debug=alpha")) {
		say("debug: alpha up\r\n");
		alpha();
	} else if (streq(args, "debug=beta")) {
		say("debug: beta up\r\n");
		beta();
	} else {
		fail("bootargs: got \"");
		say(args);
		say("\", expected debug=alpha or debug=beta\r\n");
	}
	if (check_failures == 0)
		say("debug: every check held\r\n");
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		; /* SYSTEM_OFF does not return. */
}
