/*
 * Several CPUs: the big kernel lock, stalls, and kicks (see smp.h).
 *
 * The lock is a word: its low byte 0 when free, else the holder's CPU
 * number plus one; above it, a count of the times it was taken. It is
 * taken by compare-and-swap, by whichever CPU is running when it goes free:
 * not a queue, because a queue hands the lock to the next waiter whether it
 * runs or not. An emulator that runs more CPUs than it has host cores (or a
 * hypervisor below this one) stops a waiter for whole time slices, and a
 * ticket lock then stops every CPU behind it: on QEMU with four CPUs on two
 * host cores, Linux took minutes to print its first lines.
 *
 * Taking it in no order could leave a CPU waiting for ever, so the wait is
 * bounded: a waiter that has seen the lock taken smp_cpu_count times (as
 * often as a queue would have made it wait) says it starves, and no CPU
 * that does not starve takes the lock while one does.
 *
 * A waiter spins a while, then sleeps until the CPU that lets the lock go
 * wakes it. While it waits, it answers stalls: the CPU holding the lock may
 * need it to give up what it holds, and it cannot take the lock to do so.
 */
#include "sched.h"
#include "smp.h"
#include "thread.h"
#include "vcpu.h"

unsigned smp_cpu_count = 1;

/* vectors.S lets it go itself (a release store of the count, then the wake-up). */
uint32_t smp_big_lock __attribute__((aligned(64)));
#define LOCK_HOLDER 0xffu
#define LOCK_TAKEN  0x100u

/* Waiters that sleep (bit n: CPU n), after spinning LOCK_SPINS times... */
#define LOCK_SPINS 1024u
uint32_t smp_lock_sleepers __attribute__((aligned(64)));
/* ...and those that starve. */
uint32_t smp_lock_starving;

/* The holder byte names CPUs 0..254; the masks of waiters have a bit for each CPU. */
_Static_assert(PLATFORM_MAX_CPUS <= 32, "a lock waiter's bit is a 32-bit mask's");

/* One per CPU, each in a cache line of its own. */
static struct smp_cpu {
	uint32_t stall;	 /* Set by the lock holder; cleared when this CPU has given up all. */
	bool abandoned;	 /* It did, while waiting: the entry it was making is void. */
	bool entry_sync; /* That entry is an exception (not an interrupt)... */
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

/* How often the lock was taken between two of its words, then and now (the count wraps). */
static uint32_t lock_takings(uint32_t then, uint32_t now)
{
	return (now / LOCK_TAKEN - then / LOCK_TAKEN) & (UINT32_MAX / LOCK_TAKEN);
}

/* CPU me may not take the lock, whose word is lock: it is held, or others starve and me not. */
static bool lock_refuses(unsigned me, uint32_t lock)
{
	uint32_t starving = __atomic_load_n(&smp_lock_starving, __ATOMIC_RELAXED);

	return (lock & LOCK_HOLDER) != 0 || (starving != 0 && (starving & UINT32_C(1) << me) == 0);
}

/* Take the lock, whose word was lock, unless lock_refuses. */
static bool lock_try(unsigned me, uint32_t lock)
{
	if (lock_refuses(me, lock))
		return false;
	return __atomic_compare_exchange_n(&smp_big_lock, &lock, (lock + LOCK_TAKEN) | (me + 1),
					   false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Sleep until an interrupt: the wake-up of a CPU letting the lock go, a
 * stall, or any other. Saying it sleeps, then looking at the lock, is one
 * half of a handshake whose other half is letting the lock go, then
 * looking at the sleepers: with a full barrier between the store and the
 * load on each side, one of the two sees the other's store, so a waiter
 * does not sleep through the release it waits for. It also sleeps while
 * the lock is free for a starving CPU, which clears its bit before it lets
 * the lock go (the acquire load keeps that order here), and wakes a
 * sleeper then.
 */
static __attribute__((noinline)) void lock_sleep(unsigned me)
{
	__atomic_fetch_or(&smp_lock_sleepers, UINT32_C(1) << me, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (lock_refuses(me, __atomic_load_n(&smp_big_lock, __ATOMIC_ACQUIRE)))
		arch_wait_for_lock();
	__atomic_fetch_and(&smp_lock_sleepers, ~(UINT32_C(1) << me), __ATOMIC_RELAXED);
}

static __attribute__((noinline)) void lock_wait_long(unsigned me, uint32_t lock)
{
	uint32_t first = lock;
	bool starves = false;
	unsigned spins = 0;

	do {
		smp_answer_stall();
		if (!starves && lock_takings(first, lock) >= smp_cpu_count) {
			__atomic_fetch_or(&smp_lock_starving, UINT32_C(1) << me, __ATOMIC_RELAXED);
			starves = true;
		}
		if (++spins < LOCK_SPINS) {
			arch_cpu_relax();
		} else {
			lock_sleep(me);
			spins = 0;
		}
		lock = __atomic_load_n(&smp_big_lock, __ATOMIC_RELAXED);
	} while (!lock_try(me, lock));
	if (starves)
		__atomic_fetch_and(&smp_lock_starving, ~(UINT32_C(1) << me), __ATOMIC_RELAXED);
}

static inline void lock_wait(unsigned me)
{
	uint32_t lock = __atomic_load_n(&smp_big_lock, __ATOMIC_RELAXED);

	if (!lock_try(me, lock))
		lock_wait_long(me, lock);
}

/*
 * Called with the lock just let go and a full barrier since: wake one
 * sleeper, one that starves if any does, and of those the first after this
 * CPU in CPU order, so that each in turn gets the chance. It may find the
 * lock taken again and sleep again; whoever took it wakes the next when it
 * lets go.
 */
void smp_wake_lock_sleeper(void)
{
	uint32_t sleepers = __atomic_load_n(&smp_lock_sleepers, __ATOMIC_RELAXED);
	uint32_t starving = sleepers & __atomic_load_n(&smp_lock_starving, __ATOMIC_RELAXED);
	uint32_t some = starving != 0 ? starving : sleepers;
	uint32_t after = some & ~((UINT32_C(2) << arch_cpu_index()) - 1);

	if (some != 0)
		arch_send_ipi((unsigned)__builtin_ctz(after != 0 ? after : some));
}

void smp_lock(void)
{
	unsigned me = arch_cpu_index();

	cpus[me].entry = NULL;
	lock_wait(me);
	/* Entries from the kernel itself (idle) abandon nothing. */
	cpus[me].abandoned = false;
}

void smp_unlock(void)
{
	__atomic_store_n(&smp_big_lock, smp_big_lock & ~LOCK_HOLDER, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&smp_lock_sleepers, __ATOMIC_RELAXED) != 0)
		smp_wake_lock_sleeper();
	arch_send_kicks();
}

bool smp_lock_entry(struct arch_regs *regs, bool sync)
{
	unsigned me = arch_cpu_index();

	cpus[me].entry = regs;
	cpus[me].entry_sync = sync;
	lock_wait(me);
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
