/*
 * qemu.guest-state: nothing a guest can write crosses to another VM or to
 * a host thread. The kernel keeps a vCPU's EL1 state loaded until another
 * vCPU takes the CPU (kernel/arch/aarch64/vcpu.c, vgic.c), so a register
 * it neither traps nor switches keeps one guest's value for the next VM,
 * and for every host thread in between.
 *
 * Two VMs of the state guest (tests/guests/state.c), one vCPU each, at the
 * same priority on the one CPU, run in turns this VMM decides:
 *
 *   A reads everything fresh, then writes A's values      (A's state loaded)
 *   B reads everything fresh, then writes B's values      (A's saved, B's loaded)
 *   A reads everything: its own values, never B's         (B's saved, A's loaded)
 *   B reads everything: its own values, never A's         (A's saved, B's loaded)
 *
 * and then a host thread reads the registers EL0 can read that a guest
 * could have set, which must hold what they held before any guest ran.
 *
 * The VMM answers every trapped access to a register with an undefined
 * instruction (MICA_VCPU_INJECT_UNDEF), so a trapped register is hidden
 * from guests and cannot cross; one that does not trap is one the kernel
 * must switch. One line per register documents which it is and what each
 * VM read; a FAIL line names each register that crossed.
 */
#include <base/fmt.h>
#include <mica/abi/bootinfo.h>
#include <mica/abi/context.h>
#include <mica/abi/exit.h>
#include <mica/abi/fault.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../guests/guest.h"
#include "../guests/state_regs.h"
#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

/* Both vCPU threads and the host thread run at this priority, below the VMM's. */
#define GUEST_PRIORITY 100

/* Who is running: each holds its own reply object while the others run. */
enum actor { ACTOR_A, ACTOR_B, ACTOR_HOST, ACTOR_COUNT };

/* Badges of what arrives on the VMM's endpoint. */
#define BADGE_A		 1
#define BADGE_B		 2
#define BADGE_HOST	 3 /* The host thread's calls. */
#define BADGE_HOST_FAULT 4 /* The host thread's faults. */

/* The steps of the test, in order; each is one command to one VM. */
enum phase {
	PHASE_A_FRESH,
	PHASE_A_WRITTEN,
	PHASE_B_FRESH,
	PHASE_B_WRITTEN,
	PHASE_A_CHECK,
	PHASE_B_CHECK,
	PHASE_COUNT,
};

/* A step: the command its VM gets, and the tag of the values a WRITE writes. */
struct step {
	enum actor actor;
	uint64_t command;
	uint64_t tag;
};

static const struct step steps[PHASE_COUNT] = {
	[PHASE_A_FRESH] = {ACTOR_A, STATE_CMD_READ, 0},
	[PHASE_A_WRITTEN] = {ACTOR_A, STATE_CMD_WRITE, STATE_TAG_A},
	[PHASE_B_FRESH] = {ACTOR_B, STATE_CMD_READ, 0},
	[PHASE_B_WRITTEN] = {ACTOR_B, STATE_CMD_WRITE, STATE_TAG_B},
	[PHASE_A_CHECK] = {ACTOR_A, STATE_CMD_READ, 0},
	[PHASE_B_CHECK] = {ACTOR_B, STATE_CMD_READ, 0},
};

/* Each register's name, encoding (as MR0 of a MICA_EXIT_SYSREG gives it) and flags. */
struct reg_info {
	const char *name;
	uint64_t encoding;
	unsigned flags;
};

#define SYSREG_INFO(name, op0, op1, crn, crm, op2, a, b, flags)                                    \
	{#name, MICA_SYSREG(op0, op1, crn, crm, op2), flags},
#define FPREG_INFO(name, ...) {#name, 0, 0},

static const struct reg_info regs[STATE_REG_COUNT] = {STATE_SYSREGS(SYSREG_INFO)
							      STATE_FPREGS(FPREG_INFO)};

/* Trapped accesses the VMM saw, per register. */
#define TRAPPED_READ  1u
#define TRAPPED_WRITE 2u

/* What the VMM learnt of one register. */
struct reg_seen {
	uint64_t value[PHASE_COUNT];
	unsigned status[PHASE_COUNT]; /* STATE_READ_EXCEPTION, ... */
	unsigned reports[PHASE_COUNT];
	unsigned trapped;  /* TRAPPED_*: MICA_EXIT_SYSREG exits. */
	unsigned fault_ec; /* The class of a MICA_EXIT_FAULT its probe caused, or 0. */
};

static struct reg_seen seen[STATE_REG_COUNT];
static int phase = -1; /* The phase under way. */

static uint64_t ep;
static uint64_t replies[ACTOR_COUNT];
static struct check_guest vms[2];
static uint64_t host_tcb;

/* What serve() does with a message. */
#define ANSWER_HOLD  (-1) /* Return it: the test's next step answers it. */
#define ANSWER_ABORT (-2) /* Something went wrong: stop the test. */

/* What the host thread reads: EL0-readable registers a guest could have set. */
struct host_regs {
	uint64_t tpidrro;
	uint64_t tpidr2;
	bool tpidr2_faulted;
	uint64_t pmcr;
	uint64_t pmselr;
	uint64_t pmcntenset;
	uint64_t pmovsset;
	uint64_t pmccfiltr;
	uint64_t pmevtyper0;
	uint64_t pmevcntr0;
	unsigned pmu_faulted; /* Bit n: the nth PMU read above (from pmcr) trapped at EL0. */
	uint64_t cycles[2];   /* PMCCNTR_EL0 twice, with the virtual counter moving in between. */
};

static struct host_regs host_before, host_after;
static volatile unsigned host_faults;
static uint64_t host_faulted_esr;
static uint64_t host_ep;
static uint8_t host_stack[4096] __attribute__((aligned(16)));

#define ESR_EC_SHIFT 26
#define ESR_EC_MASK  0x3fu

static unsigned esr_ec(uint64_t esr)
{
	return (unsigned)(esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
}

/* PMCCNTR_EL0 at EL0 (PMUSERENR_EL0.CR, which the kernel sets). */
static uint64_t host_cycles(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, pmccntr_el0" : "=r"(v)::"memory");
	return v;
}

/*
 * Read the registers at EL0. TPIDR2_EL0 may not be readable there
 * (SCTLR_EL2.EnTP2): the VMM then steps over the read and counts the
 * fault in host_faults.
 */
static void host_read(struct host_regs *r)
{
	unsigned faults = host_faults;
	uint64_t tick;

	__asm__ volatile("mrs %0, tpidrro_el0" : "=r"(r->tpidrro));
	__asm__ volatile("mrs %0, s3_3_c13_c0_5" : "+r"(r->tpidr2)::"memory"); /* TPIDR2_EL0 */
	r->tpidr2_faulted = host_faults != faults;
	/*
	 * The PMU's registers but the cycle counter may trap at EL0 too
	 * (PMUSERENR_EL0.EN clear): a host thread that cannot read them
	 * cannot see what a guest left there.
	 */
	r->pmu_faulted = 0;
#define PMU_READ(n, reg, field)                                                                    \
	do {                                                                                       \
		faults = host_faults;                                                              \
		r->field = 0;                                                                      \
		__asm__ volatile("mrs %0, " reg : "+r"(r->field)::"memory");                       \
		if (host_faults != faults)                                                         \
			r->pmu_faulted |= 1u << (n);                                               \
	} while (0)
	PMU_READ(0, "pmcr_el0", pmcr);
	PMU_READ(1, "pmselr_el0", pmselr);
	PMU_READ(2, "pmcntenset_el0", pmcntenset);
	PMU_READ(3, "pmovsset_el0", pmovsset);
	PMU_READ(4, "pmccfiltr_el0", pmccfiltr);
	PMU_READ(5, "pmevtyper0_el0", pmevtyper0);
	PMU_READ(6, "pmevcntr0_el0", pmevcntr0);
#undef PMU_READ
	/* A counter that counts moves while the virtual counter ticks twice. */
	r->cycles[0] = host_cycles();
	tick = guest_ticks();
	while (guest_ticks() < tick + 2)
		;
	r->cycles[1] = host_cycles();
}

/* The host thread: its reads before any guest ran, and after both had. */
static void host_thread(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	host_read(&host_before);
	(void)mica_call(host_ep, mica_msg_info(0, 0, 0), mr);
	host_read(&host_after);
	(void)mica_call(host_ep, mica_msg_info(0, 0, 0), mr);
	for (;;)
		mica_yield(); /* The VMM never answers the second call. */
}

/* The register whose encoding a trapped access gives, or -1. */
static int reg_by_encoding(uint64_t encoding)
{
	for (unsigned i = 0; i < STATE_FPREG_FIRST; i++)
		if (regs[i].encoding == encoding)
			return (int)i;
	return -1;
}

/* An ID register (op0 3, op1 0, CRn 0, CRm 1..7): MR2 brings the CPU's value. */
static bool is_id_reg(uint64_t encoding)
{
	unsigned crm = (unsigned)(encoding >> 3) & 15u;

	return (encoding & ~UINT64_C(0x7f)) == MICA_SYSREG(3, 0, 0, 0, 0) && crm >= 1 && crm <= 7;
}

/* A report: register mr[1] holds mr[2], with status mr[3], in the phase under way. */
static int record_report(const uint64_t mr[MICA_MSG_REGISTERS])
{
	if (phase < 0 || mr[1] >= STATE_REG_COUNT) {
		printf("FAIL %s:%d a report of register %llu outside a phase\n", __FILE__, __LINE__,
		       (unsigned long long)mr[1]);
		check_failures++;
		return ANSWER_ABORT;
	}
	seen[mr[1]].value[phase] = mr[2];
	seen[mr[1]].status[phase] = (unsigned)mr[3];
	seen[mr[1]].reports[phase]++;
	return 0;
}

/*
 * A guest exit: the protocol's hypercalls, or the trapped accesses its
 * probes cause. Returns the answer's length, or ANSWER_*.
 */
static int guest_exit(enum actor who, uint64_t label, uint64_t mr[MICA_MSG_REGISTERS])
{
	uint64_t ctx[MICA_CONTEXT_WORDS] = {0};
	uint64_t probe;
	int i;

	switch (label) {
	case MICA_EXIT_HYPERCALL:
		if (mr[0] == GUEST_CALL_STATE_NEXT)
			return ANSWER_HOLD;
		if (mr[0] == GUEST_CALL_STATE_REG)
			return record_report(mr);
		break;
	case MICA_EXIT_SYSREG:
		if (!(mr[1] & MICA_SYSREG_WRITE) && is_id_reg(mr[0])) {
			mr[0] = mr[2]; /* The guest looks for FEAT_PAuth. */
			return 1;
		}
		i = reg_by_encoding(mr[0]);
		if (i < 0)
			break;
		seen[i].trapped |= mr[1] & MICA_SYSREG_WRITE ? TRAPPED_WRITE : TRAPPED_READ;
		CHECK_OK(mica_vcpu_inject_undef(vms[who].vcpu));
		return 0;
	case MICA_EXIT_FAULT:
		/* SVE's and SME's traps: the guest's probe register says which register it was. */
		CHECK_OK(mica_tcb_read_registers(vms[who].tcb, MICA_CONTEXT_WORDS, ctx));
		probe = ctx[MICA_CTX_X0 + STATE_PROBE_XREG];
		if (probe >= STATE_FPREG_FIRST)
			break;
		seen[probe].fault_ec = esr_ec(mr[0]);
		CHECK_OK(mica_vcpu_inject_undef(vms[who].vcpu));
		return 0;
	default:
		break;
	}
	printf("FAIL %s:%d VM %c: unexpected exit (label %llu, MR0 0x%llx, MR1 0x%llx)\n", __FILE__,
	       __LINE__, who == ACTOR_A ? 'A' : 'B', (unsigned long long)label,
	       (unsigned long long)mr[0], (unsigned long long)mr[1]);
	check_failures++;
	return ANSWER_ABORT;
}

/* A host-thread fault: its TPIDR2_EL0 read, stepped over. */
static int host_fault(uint64_t label, const uint64_t mr[MICA_MSG_REGISTERS])
{
	uint64_t ctx[MICA_CONTEXT_WORDS] = {0};

	if (label != MICA_FAULT_USER_EXCEPTION) {
		printf("FAIL %s:%d the host thread faulted (label %llu, PC 0x%llx)\n", __FILE__,
		       __LINE__, (unsigned long long)label, (unsigned long long)mr[0]);
		check_failures++;
		return ANSWER_ABORT;
	}
	host_faults++;
	host_faulted_esr = mr[2];
	ctx[MICA_CTX_PC] = mr[0] + 4;
	CHECK_OK(mica_tcb_write_registers(host_tcb, 1, ctx));
	return 0;
}

static uint64_t badge_of(enum actor who)
{
	return who == ACTOR_A ? BADGE_A : who == ACTOR_B ? BADGE_B : BADGE_HOST;
}

/*
 * Serve who, the one thread running, until it sends what the test's next
 * step answers (a VM's GUEST_CALL_STATE_NEXT, the host thread's call):
 * that stays held in who's reply object. Returns false if the test must
 * stop.
 */
static bool serve(enum actor who)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	for (;;) {
		struct mica_msg m = mica_recv(ep, replies[who], mr);
		uint64_t label = mica_msg_label(m.info);
		int answer;

		if (m.err != MICA_OK) {
			printf("FAIL %s:%d receiving: error %d\n", __FILE__, __LINE__, m.err);
			check_failures++;
			return false;
		}
		if (who == ACTOR_HOST && m.badge == BADGE_HOST_FAULT)
			answer = host_fault(label, mr);
		else if (m.badge != badge_of(who))
			answer = ANSWER_ABORT;
		else if (who == ACTOR_HOST)
			answer = ANSWER_HOLD;
		else
			answer = guest_exit(who, label, mr);
		if (answer == ANSWER_HOLD)
			return true;
		if (answer == ANSWER_ABORT) {
			if (m.badge != badge_of(who)) {
				printf("FAIL %s:%d a message with badge %llu while %llu runs\n",
				       __FILE__, __LINE__, (unsigned long long)m.badge,
				       (unsigned long long)badge_of(who));
				check_failures++;
			}
			return false;
		}
		(void)mica_send(replies[who], mica_msg_info(0, 0, (unsigned)answer), mr);
	}
}

/* One step: its VM's held GUEST_CALL_STATE_NEXT gets the command; serve it to its next one. */
static bool run_phase(enum phase p)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {steps[p].command, steps[p].tag, 0, 0};
	bool ok;

	phase = (int)p;
	(void)mica_send(replies[steps[p].actor], mica_msg_info(0, 0, 2), mr);
	ok = serve(steps[p].actor);
	for (unsigned i = 0; ok && i < STATE_REG_COUNT; i++) {
		if (seen[i].reports[p] != 1) {
			printf("FAIL %s:%d %s: reported %u times in phase %u\n", __FILE__, __LINE__,
			       regs[i].name, seen[i].reports[p], (unsigned)p);
			check_failures++;
			ok = false;
		}
	}
	return ok;
}

/* Whether a register read as got holds want (a counter: has counted on from want). */
static bool matches(unsigned i, uint64_t got, uint64_t want)
{
	if (regs[i].flags & STATE_F_COUNTER)
		return got - want < STATE_COUNTER_WINDOW;
	return got == want;
}

/* How one kind of access (read or write) went: direct, trapped, or refused at EL1. */
static void describe_access(const struct reg_seen *s, bool exception, unsigned ec, unsigned trap,
			    char *out, size_t len)
{
	if (!exception)
		fmt_snprintf(out, len, "direct");
	else if (s->trapped & trap)
		fmt_snprintf(out, len, "trapped");
	else if (s->fault_ec != 0)
		fmt_snprintf(out, len, "trapped EC 0x%02x", s->fault_ec);
	else if (ec == 0)
		fmt_snprintf(out, len, "UNDEF at EL1");
	else
		fmt_snprintf(out, len, "EL1 EC 0x%02x", ec);
}

/* The access column of a register's line: one word when reads and writes went alike. */
static void describe(unsigned i, char *out, size_t len)
{
	const struct reg_seen *s = &seen[i];
	unsigned rs = s->status[PHASE_A_FRESH];
	unsigned ws = s->status[PHASE_A_WRITTEN];
	char r[24], w[24];

	describe_access(s, rs & STATE_READ_EXCEPTION, (rs >> STATE_READ_EC_SHIFT) & STATE_EC_MASK,
			TRAPPED_READ, r, sizeof(r));
	describe_access(s, ws & STATE_WRITE_EXCEPTION, (ws >> STATE_WRITE_EC_SHIFT) & STATE_EC_MASK,
			TRAPPED_WRITE, w, sizeof(w));
	if (strcmp(r, w) == 0)
		fmt_snprintf(out, len, "%s", r);
	else
		fmt_snprintf(out, len, "read %s, write %s", r, w);
}

/* A FAIL line naming register i: what went wrong, what was read and what was expected. */
static void fail_reg(unsigned line, unsigned i, const char *what, uint64_t got,
		     const char *relation, uint64_t expected)
{
	printf("FAIL %s:%u %s: %s (read 0x%llx, %s 0x%llx)\n", __FILE__, line, regs[i].name, what,
	       (unsigned long long)got, relation, (unsigned long long)expected);
	check_failures++;
}

/* Totals for the summary. */
static unsigned switched_count, hidden_count, absent_count, inert_count, crossed_count,
	host_crossed_count;

/*
 * Judge one register from what the four reads and two writes saw, and
 * print its line: a fresh VM must read what the first fresh VM read, and
 * each VM what it wrote; a value the other VM wrote is a crossing.
 */
static void judge(unsigned i)
{
	const struct reg_seen *s = &seen[i];
	const uint64_t *v = s->value;
	uint64_t base = v[PHASE_A_FRESH], wa = v[PHASE_A_WRITTEN], wb = v[PHASE_B_WRITTEN];
	char access[48];
	const char *verdict = "kept apart";
	unsigned read_exceptions = 0;
	bool crossed = false;

	describe(i, access, sizeof(access));
	if (s->status[PHASE_A_FRESH] & STATE_SKIPPED) {
		printf("guest-state: %-15s %-24s\n", regs[i].name, "absent (ID registers)");
		absent_count++;
		return;
	}
	for (unsigned p = 0; p < PHASE_COUNT; p++)
		read_exceptions += (s->status[p] & STATE_READ_EXCEPTION) != 0;
	if (read_exceptions == PHASE_COUNT) {
		bool trapped = s->trapped != 0 || s->fault_ec != 0;

		printf("guest-state: %-15s %-24s %s\n", regs[i].name, access,
		       trapped ? "hidden: the VMM refuses it" : "not implemented");
		if (trapped)
			hidden_count++;
		else
			absent_count++;
		return;
	}
	if (read_exceptions != 0) {
		printf("FAIL %s:%d %s: %u of %u reads took an exception\n", __FILE__, __LINE__,
		       regs[i].name, read_exceptions, (unsigned)PHASE_COUNT);
		check_failures++;
		return;
	}
	if (!matches(i, v[PHASE_B_FRESH], base)) {
		if (matches(i, v[PHASE_B_FRESH], wa) && !matches(i, wa, base)) {
			fail_reg(__LINE__, i, "VM A's value reached VM B", v[PHASE_B_FRESH],
				 "fresh", base);
			crossed = true;
		} else if (!(regs[i].flags & STATE_F_COUNTER)) {
			/* (A counter each VM had of its own would start where it was made.) */
			fail_reg(__LINE__, i, "VM B did not start with what VM A started with",
				 v[PHASE_B_FRESH], "fresh", base);
		}
	}
	if (!matches(i, v[PHASE_A_CHECK], wa)) {
		if (matches(i, v[PHASE_A_CHECK], wb) && !matches(i, wb, wa)) {
			fail_reg(__LINE__, i, "VM B's value reached VM A", v[PHASE_A_CHECK],
				 "VM A wrote", wa);
			crossed = true;
		} else {
			fail_reg(__LINE__, i, "VM A lost its value", v[PHASE_A_CHECK], "VM A wrote",
				 wa);
		}
	}
	if (!matches(i, v[PHASE_B_CHECK], wb))
		fail_reg(__LINE__, i, "VM B lost its value", v[PHASE_B_CHECK], "VM B wrote", wb);
	if (crossed) {
		verdict = "CROSSED";
		crossed_count++;
	} else if (matches(i, wa, base) && matches(i, wb, base)) {
		verdict = "writes change nothing";
		inert_count++;
	} else {
		switched_count++;
	}
	printf("guest-state: %-15s %-24s fresh 0x%016llx A 0x%016llx B 0x%016llx %s\n",
	       regs[i].name, access, (unsigned long long)base, (unsigned long long)wa,
	       (unsigned long long)wb, verdict);
}

/* One register at the host: it must hold what it held before any guest ran. */
static void judge_host(const char *name, unsigned i, uint64_t before, uint64_t after)
{
	const char *verdict = "kept";

	if (after != before) {
		verdict = "CHANGED";
		if (matches(i, after, seen[i].value[PHASE_A_WRITTEN]))
			verdict = "CROSSED from VM A";
		else if (matches(i, after, seen[i].value[PHASE_B_WRITTEN]))
			verdict = "CROSSED from VM B";
		printf("FAIL %s:%d %s at the host thread: %s (read 0x%llx, before the guests "
		       "0x%llx)\n",
		       __FILE__, __LINE__, name, verdict, (unsigned long long)after,
		       (unsigned long long)before);
		check_failures++;
		host_crossed_count++;
	}
	printf("guest-state: host %-15s before 0x%016llx after 0x%016llx %s\n", name,
	       (unsigned long long)before, (unsigned long long)after, verdict);
}

/* The nth PMU register of host_read: unreadable at EL0 both times, or unchanged. */
static void judge_host_pmu(unsigned n, const char *name, unsigned i, uint64_t before,
			   uint64_t after)
{
	bool before_faulted = (host_before.pmu_faulted >> n) & 1;
	bool after_faulted = (host_after.pmu_faulted >> n) & 1;

	if (before_faulted && after_faulted)
		printf("guest-state: host %-15s not readable at EL0\n", name);
	else if (before_faulted || after_faulted)
		fail_reg(__LINE__, i, "readable at the host only sometimes", after,
			 "before the guests", before);
	else
		judge_host(name, i, before, after);
}

static void judge_host_all(void)
{
	const struct host_regs *b = &host_before, *a = &host_after;

	judge_host("TPIDRRO_EL0", STATE_TPIDRRO_EL0, b->tpidrro, a->tpidrro);
	if (b->tpidr2_faulted && a->tpidr2_faulted)
		printf("guest-state: host %-15s not readable at EL0 (EC 0x%02x)\n", "TPIDR2_EL0",
		       esr_ec(host_faulted_esr));
	else if (b->tpidr2_faulted || a->tpidr2_faulted)
		fail_reg(__LINE__, STATE_TPIDR2_EL0, "readable at the host only sometimes",
			 a->tpidr2, "before the guests", b->tpidr2);
	else
		judge_host("TPIDR2_EL0", STATE_TPIDR2_EL0, b->tpidr2, a->tpidr2);
	judge_host_pmu(0, "PMCR_EL0", STATE_PMCR_EL0, b->pmcr, a->pmcr);
	judge_host_pmu(1, "PMSELR_EL0", STATE_PMSELR_EL0, b->pmselr, a->pmselr);
	judge_host_pmu(2, "PMCNTENSET_EL0", STATE_PMCNTENSET_EL0, b->pmcntenset, a->pmcntenset);
	judge_host_pmu(3, "PMOVSSET_EL0", STATE_PMOVSSET_EL0, b->pmovsset, a->pmovsset);
	judge_host_pmu(4, "PMCCFILTR_EL0", STATE_PMCCFILTR_EL0, b->pmccfiltr, a->pmccfiltr);
	judge_host_pmu(5, "PMEVTYPER0_EL0", STATE_PMEVTYPER0_EL0, b->pmevtyper0, a->pmevtyper0);
	judge_host_pmu(6, "PMEVCNTR0_EL0", STATE_PMEVCNTR0_EL0, b->pmevcntr0, a->pmevcntr0);

	/* The cycle counter: still counting, on from where the host left it. */
	printf("guest-state: host %-15s before 0x%016llx after 0x%016llx, 0x%016llx\n",
	       "PMCCNTR_EL0", (unsigned long long)b->cycles[1], (unsigned long long)a->cycles[0],
	       (unsigned long long)a->cycles[1]);
	CHECK(b->cycles[1] > b->cycles[0]);
	if (a->cycles[1] <= a->cycles[0])
		fail_reg(__LINE__, STATE_PMCCNTR_EL0, "stopped counting at the host thread",
			 a->cycles[1], "expected more than", a->cycles[0]);
	if (a->cycles[0] - b->cycles[1] >= STATE_COUNTER_WINDOW || a->cycles[0] <= b->cycles[1]) {
		const char *what = "jumped at the host thread";

		if (matches(STATE_PMCCNTR_EL0, a->cycles[0],
			    seen[STATE_PMCCNTR_EL0].value[PHASE_A_WRITTEN]))
			what = "holds VM A's value at the host thread";
		else if (matches(STATE_PMCCNTR_EL0, a->cycles[0],
				 seen[STATE_PMCCNTR_EL0].value[PHASE_B_WRITTEN]))
			what = "holds VM B's value at the host thread";
		fail_reg(__LINE__, STATE_PMCCNTR_EL0, what, a->cycles[0], "counting on from",
			 b->cycles[1]);
		host_crossed_count++;
	}
}

/* The VMs, the host thread, and the endpoint and reply objects between them. */
static bool setup(const struct mica_boot_info *info)
{
	uint64_t host_fault_ep;

	CHECK_OK(alloc_init(info));
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	for (unsigned i = 0; i < ACTOR_COUNT; i++)
		replies[i] = alloc_object(MICA_OBJ_REPLY, 0);
	host_ep = alloc_slot();
	host_fault_ep = alloc_slot();
	CHECK(ep && replies[ACTOR_A] && replies[ACTOR_B] && replies[ACTOR_HOST] && host_ep &&
	      host_fault_ep);
	CHECK_OK(mica_cnode_mint(ROOT, host_ep, 64, ROOT, ep, 64, MICA_RIGHTS_ALL, BADGE_HOST));
	CHECK_OK(mica_cnode_mint(ROOT, host_fault_ep, 64, ROOT, ep, 64, MICA_RIGHTS_ALL,
				 BADGE_HOST_FAULT));
	vms[ACTOR_A] = check_guest(info, "state", ep, BADGE_A, GUEST_PRIORITY, "state-a");
	vms[ACTOR_B] = check_guest(info, "state", ep, BADGE_B, GUEST_PRIORITY, "state-b");
	CHECK_EQ(vms[ACTOR_A].entry, GUEST_IMAGE_BASE);
	CHECK_EQ(vms[ACTOR_B].entry, GUEST_IMAGE_BASE);
	host_tcb = check_thread(alloc_object, host_thread, host_stack + sizeof(host_stack),
				GUEST_PRIORITY, ROOT, host_fault_ep, "state-host");
	return check_failures == 0;
}

/* The test's steps, in order; false if one could not be taken. */
static bool run(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	CHECK_OK(mica_tcb_resume(host_tcb));
	if (!serve(ACTOR_HOST))
		return false;
	CHECK_OK(mica_tcb_resume(vms[ACTOR_A].tcb));
	if (!serve(ACTOR_A) || !run_phase(PHASE_A_FRESH) || !run_phase(PHASE_A_WRITTEN))
		return false;
	/* A waits with its values written; B takes the CPU. */
	CHECK_OK(mica_tcb_resume(vms[ACTOR_B].tcb));
	if (!serve(ACTOR_B))
		return false;
	for (unsigned p = PHASE_B_FRESH; p < PHASE_COUNT; p++)
		if (!run_phase((enum phase)p))
			return false;
	/* B's state is loaded: the host thread runs after it. */
	(void)mica_send(replies[ACTOR_HOST], mica_msg_info(0, 0, 0), mr);
	return serve(ACTOR_HOST);
}

int main(const struct mica_boot_info *info)
{
	printf("START guest-state\n");
	if (!setup(info) || !run())
		return check_finish("guest-state");
	for (unsigned i = 0; i < STATE_REG_COUNT; i++)
		judge(i);
	judge_host_all();
	printf("guest-state: %u registers: %u switched, %u hidden (trapped), %u not implemented, "
	       "%u unchanged by writes; %u crossed between the VMs, %u to the host thread\n",
	       (unsigned)STATE_REG_COUNT, switched_count, hidden_count, absent_count, inert_count,
	       crossed_count, host_crossed_count);
	if (check_failures == 0)
		printf("guest-state: nothing a guest wrote reached the other VM or the host\n");
	return check_finish("guest-state");
}
