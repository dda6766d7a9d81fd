/*
 * Several CPUs: the big kernel lock, stalls, and kicks (see smp.h).
 *
 * The lock is a ticket lock: a CPU takes the next ticket and waits for the
 * owner count to reach it, so CPUs get the kernel in the order they asked.
 * While it waits it answers stalls: the CPU holding the lock may need it to
 * give up what it holds, and it cannot take the lock to do so.
 */
#include "sched.h"
#include "smp.h"
#include "thread.h"
#include "vcpu.h"

unsigned smp_cpu_count = 1;

/* The owner count is at offset 4: vectors.S releases the lock itself. */
struct big_lock {
	uint32_t next;
	uint32_t owner;
};
struct big_lock smp_big_lock __attribute__((aligned(64)));

/*
 * Waiters that sleep (bit n: CPU n), after spinning LOCK_SPINS times: a CPU
 * that lets the lock go wakes the one whose ticket is next. Spinning alone,
 * CPUs that an emulator runs on fewer host cores than it has CPUs keep the
 * host from running the holder (or the next in line) for whole time slices.
 */
#define LOCK_SPINS 1024u
uint32_t smp_lock_sleepers;

/* One per CPU, each in a cache line of its own. */
static struct smp_cpu {
	uint32_t sleep_ticket; /* The ticket it sleeps for (see smp_lock_sleepers). */
	uint32_t stall;	       /* Set by the lock holder; cleared when this CPU has given up all. */
	bool abandoned;	       /* It did, while waiting: the entry it was making is void. */
	bool entry_sync;       /* That entry is an exception (not an interrupt)... */
	struct arch_regs *entry; /* ...from the thread whose registers are here; NULL: none. */
} __attribute__((aligned(64))) cpus[PLATFORM_MAX_CPUS];

/*
 * This CPU, waiting for the lock, was asked to give up what it holds: the
 * lock holder waits for the answer and touches none of it meanwhile.
 */
static void serve_stall(unsigned me)
{
	struct sched_cpu *c = &sched_cpus[me];

	if (c->fp_owner != NULL) {
		arch_fp_open();
		arch_fp_save(&c->fp_owner->fp);
		c->fp_owner = NULL;
	}
	c->fp_on = false;
	arch_fp_close();
	if (c->loaded_vcpu != NULL) {
		arch_vcpu_save(&c->loaded_vcpu->arch);
		c->loaded_vcpu = NULL;
	}
	if (c->active_vs != sched_empty_vspace_token) {
		arch_vspace_activate_token(sched_empty_vspace_token, c->active_vs);
		c->active_vs = sched_empty_vspace_token;
	}
	/* The thread makes the call again (the lock holder may change its registers next). */
	if (cpus[me].entry != NULL && !cpus[me].abandoned)
		arch_regs_abandon_entry(cpus[me].entry, cpus[me].entry_sync);
	cpus[me].abandoned = true;
	__atomic_store_n(&cpus[me].stall, 0, __ATOMIC_RELEASE);
}

void smp_answer_stall(void)
{
	unsigned me = arch_cpu_index();

	if (__atomic_load_n(&cpus[me].stall, __ATOMIC_ACQUIRE) != 0)
		serve_stall(me);
}

static __attribute__((noinline)) void lock_sleep(uint32_t ticket)
{
	unsigned me = arch_cpu_index();

	cpus[me].sleep_ticket = ticket;
	__atomic_fetch_or(&smp_lock_sleepers, UINT32_C(1) << me, __ATOMIC_RELEASE);
	if (__atomic_load_n(&smp_big_lock.owner, __ATOMIC_ACQUIRE) != ticket)
		arch_wait_for_lock();
	__atomic_fetch_and(&smp_lock_sleepers, ~(UINT32_C(1) << me), __ATOMIC_RELAXED);
}

static void lock_wait(void)
{
	uint32_t ticket = __atomic_fetch_add(&smp_big_lock.next, 1, __ATOMIC_RELAXED);
	unsigned spins = 0;

	while (__atomic_load_n(&smp_big_lock.owner, __ATOMIC_ACQUIRE) != ticket) {
		smp_answer_stall();
		if (++spins < LOCK_SPINS) {
			arch_cpu_relax();
			continue;
		}
		/*
		 * Sleep until an interrupt: the unlocker's wake-up (it reads the
		 * sleepers after releasing; this CPU reads the owner after saying
		 * it sleeps, each a release then an acquire, which stay in that
		 * order), a stall, or any other.
		 */
		lock_sleep(ticket);
		spins = 0;
	}
}

void smp_wake_lock_sleeper(uint32_t owner)
{
	uint32_t sleepers = __atomic_load_n(&smp_lock_sleepers, __ATOMIC_ACQUIRE);

	for (; sleepers != 0; sleepers &= sleepers - 1) {
		unsigned cpu = (unsigned)__builtin_ctz(sleepers);

		if (cpus[cpu].sleep_ticket == owner)
			arch_send_ipi(cpu);
	}
}

void smp_lock(void)
{
	unsigned me = arch_cpu_index();

	cpus[me].entry = NULL;
	lock_wait();
	/* Entries from the kernel itself (idle) abandon nothing. */
	cpus[me].abandoned = false;
}

void smp_unlock(void)
{
	uint32_t owner = smp_big_lock.owner + 1;

	__atomic_store_n(&smp_big_lock.owner, owner, __ATOMIC_RELEASE);
	if (__atomic_load_n(&smp_lock_sleepers, __ATOMIC_ACQUIRE) != 0)
		smp_wake_lock_sleeper(owner);
	arch_send_kicks();
}

bool smp_lock_entry(struct arch_regs *regs, bool sync)
{
	unsigned me = arch_cpu_index();

	cpus[me].entry = regs;
	cpus[me].entry_sync = sync;
	lock_wait();
	if (!cpus[me].abandoned)
		return false;
	cpus[me].abandoned = false;
	return true;
}

/* Have cpu give up everything it holds, and take its thread off it. */
static void stall(unsigned cpu)
{
	struct sched_cpu *c = &sched_cpus[cpu];
	struct tcb *t;

	__atomic_store_n(&cpus[cpu].stall, 1, __ATOMIC_RELEASE);
	arch_send_ipi(cpu);
	while (__atomic_load_n(&cpus[cpu].stall, __ATOMIC_ACQUIRE) != 0)
		arch_cpu_relax();
	t = c->current;
	c->current = NULL;
	if (t != NULL && t->state == THREAD_RUNNABLE)
		sched_requeue(t);
}

void smp_claim_thread(struct tcb *t)
{
	unsigned me = arch_cpu_index();

	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		const struct sched_cpu *c = &sched_cpus[cpu];

		if (cpu != me && (c->current == t || c->fp_owner == t ||
				  (t->vcpu != NULL && c->loaded_vcpu == t->vcpu)))
			stall(cpu);
	}
}

void smp_claim_vcpu(struct vcpu *v)
{
	unsigned me = arch_cpu_index();

	if (v->tcb != NULL) {
		smp_claim_thread(v->tcb);
		return;
	}
	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++)
		if (cpu != me && sched_cpus[cpu].loaded_vcpu == v)
			stall(cpu);
}

void smp_claim_space(uint64_t token)
{
	unsigned me = arch_cpu_index();

	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++)
		if (cpu != me && sched_cpus[cpu].active_vs == token)
			stall(cpu);
}

bool smp_vcpu_held_by_other(const struct vcpu *v)
{
	unsigned me = arch_cpu_index();

	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++)
		if (cpu != me && sched_cpus[cpu].loaded_vcpu == v)
			return true;
	return false;
}

void smp_kick(unsigned cpu, unsigned priority)
{
	const struct tcb *cur = sched_cpus[cpu].current;

	if (cpu != arch_cpu_index() && (cur == NULL || priority > cur->priority))
		arch_kick(cpu);
}
