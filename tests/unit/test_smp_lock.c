/*
 * The big kernel lock (kernel/smp.c) under real contention: four host
 * threads, each a fake CPU, take it and let it go while the others wait for
 * it. The other unit tests run their fake CPUs one at a time, which never
 * contend.
 *
 * This test's copy of smp.c reads fake_cpu_local through a call,
 * lock_test_cpu_local() (see tests/unit/CMakeLists.txt), so arch_cpu_index()
 * answers for the calling thread. The rest of the arch seam smp.c calls is
 * here. arch_wait_for_lock blocks the thread until an IPI for its CPU comes;
 * one sent before the wait ends it at once, as a pending interrupt, even a
 * masked one, ends WFI. The wait takes the IPI, where on hardware it stays
 * pending and ends every WFI until it is taken: the stricter model, in which
 * a wake-up spent cannot hide one lost. A wait longer than WAIT_LIMIT_S is a
 * lost wake-up: it is counted, fails the test, and ends, so the test does
 * not hang. Nothing asks for a stall, so what smp.c
 * calls to answer one never runs (smp_lock_stubs.c).
 *
 * cmocka's checks may only fail on the thread that runs the test: the other
 * threads count what they see, and the test checks the counts once they
 * have finished.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

/* What fake_cpu_local reads as in this test's copy of smp.c. */
void *lock_test_cpu_local(void);

#include "arch.h"
#include "smp.h"

#define CPU_COUNT 4
/* No wait of the test is meant to take more than a moment: this long is a hang. */
#define WAIT_LIMIT_S 10

/* smp.c's lock word: the holder's CPU number plus one, below a count of the times it was taken. */
#define LOCK_HOLDER 0xffu
#define LOCK_TAKEN  0x100u

/* Each test thread is one CPU: arch_cpu_index() reads this. */
static _Thread_local struct arch_cpu this_cpu;

void *lock_test_cpu_local(void)
{
	return &this_cpu;
}

/* The interrupt controller and the spin loop of one CPU, as smp.c sees them. */
static struct test_cpu {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	bool has_ipi;	/* An IPI was sent that the CPU has not taken. */
	bool is_asleep; /* Blocked in arch_wait_for_lock. */
	/*
	 * While gated, each arch_cpu_relax call counts in relaxes and waits
	 * for a permit: the test steps the CPU's spin loop one turn at a time.
	 */
	bool is_gated;
	unsigned relaxes;
	unsigned permits;
} test_cpus[CPU_COUNT];

/*
 * False: arch_wait_for_lock only gives the host CPU to another thread, and
 * waiters only spin. (arch_cpu_relax does not: a thread that yields on a
 * busy host may wait a whole time slice each time, and sleeps would take
 * seconds to come.)
 */
static bool sleeps_block;

/* Counted by every thread, checked by the test. */
static _Atomic unsigned long waits;	    /* arch_wait_for_lock calls... */
static _Atomic unsigned long blocked_waits; /* ...that blocked, no IPI pending. */
static _Atomic unsigned long lost_wakeups;  /* Waits that reached WAIT_LIMIT_S. */
static _Atomic unsigned long stuck_steps;   /* Steps of the test that waited that long. */

/* The lock's holder updates these; other CPUs look at them only once all have finished. */
static bool inside;		       /* A CPU is between taking the lock and letting it go... */
static _Atomic unsigned long overlaps; /* ...and another one took it meanwhile. */
static _Atomic unsigned long wrong_holders;
static unsigned long counter; /* Plain: the lock alone keeps its increments whole. */
/* Acquisitions by others since their holder saw CPU n starve (bit n of smp_lock_starving). */
static unsigned passed_starving[CPU_COUNT];

/* What each CPU saw of its own acquisitions. */
static struct cpu_stats {
	unsigned max_passes;	      /* Acquisitions by others while it waited... */
	unsigned max_passed_starving; /* ...and those since a holder saw it starve. */
} stats[CPU_COUNT];

static struct timespec deadline(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += WAIT_LIMIT_S;
	return t;
}

/* Wait on c's condition until the time limit: false then. Called with c's mutex held. */
static bool wait_on(struct test_cpu *c, const struct timespec *limit)
{
	return pthread_cond_timedwait(&c->cond, &c->mutex, limit) != ETIMEDOUT;
}

void arch_wait_for_lock(void)
{
	struct test_cpu *c = &test_cpus[this_cpu.index];
	struct timespec limit = deadline();

	waits++;
	if (!sleeps_block)
		sched_yield();
	pthread_mutex_lock(&c->mutex);
	if (sleeps_block && !c->has_ipi) {
		blocked_waits++;
		c->is_asleep = true;
		pthread_cond_broadcast(&c->cond);
		while (!c->has_ipi) {
			if (!wait_on(c, &limit)) {
				lost_wakeups++;
				break;
			}
		}
		c->is_asleep = false;
	}
	c->has_ipi = false;
	pthread_mutex_unlock(&c->mutex);
}

void arch_send_ipi(unsigned cpu)
{
	struct test_cpu *c = &test_cpus[cpu];

	pthread_mutex_lock(&c->mutex);
	c->has_ipi = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mutex);
}

void arch_cpu_relax(void)
{
	struct test_cpu *c = &test_cpus[this_cpu.index];
	struct timespec limit;

	if (__atomic_load_n(&c->is_gated, __ATOMIC_ACQUIRE)) {
		limit = deadline();
		pthread_mutex_lock(&c->mutex);
		c->relaxes++;
		pthread_cond_broadcast(&c->cond);
		while (__atomic_load_n(&c->is_gated, __ATOMIC_RELAXED) && c->permits == 0) {
			if (!wait_on(c, &limit)) {
				stuck_steps++;
				break;
			}
		}
		if (c->permits > 0)
			c->permits--;
		pthread_mutex_unlock(&c->mutex);
	}
}

void arch_send_kicks(void)
{
}

static uint32_t lock_count(uint32_t lock)
{
	return lock / LOCK_TAKEN;
}

/* Acquisitions between two words of the lock (the count wraps, as in smp.c). */
static uint32_t takings(uint32_t then, uint32_t now)
{
	return (lock_count(now) - lock_count(then)) & (UINT32_MAX / LOCK_TAKEN);
}

static uint32_t lock_word(void)
{
	return __atomic_load_n(&smp_big_lock, __ATOMIC_RELAXED);
}

/*
 * What a CPU does with the lock, which it asked for when the lock's word
 * was before: check that it is alone, count, and note how often others
 * took the lock meanwhile.
 */
static void hold(uint32_t before)
{
	unsigned me = this_cpu.index;
	uint32_t now = lock_word();
	uint32_t starving = __atomic_load_n(&smp_lock_starving, __ATOMIC_RELAXED);
	struct cpu_stats *s = &stats[me];
	unsigned passes = takings(before, now) - 1;

	if (__atomic_exchange_n(&inside, true, __ATOMIC_SEQ_CST))
		overlaps++;
	if ((now & LOCK_HOLDER) != me + 1)
		wrong_holders++;
	counter++;
	if (passes > s->max_passes)
		s->max_passes = passes;
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		if (cpu != me && (starving & UINT32_C(1) << cpu) != 0)
			passed_starving[cpu]++;
	if (passed_starving[me] > s->max_passed_starving)
		s->max_passed_starving = passed_starving[me];
	passed_starving[me] = 0;
	__atomic_store_n(&inside, false, __ATOMIC_SEQ_CST);
}

/* Take the lock, hold it and let it go, on this thread's CPU. */
static void take_and_let_go(void)
{
	uint32_t before = lock_word();

	smp_lock();
	hold(before);
	smp_unlock();
}

static int setup(void **state)
{
	pthread_condattr_t attr;

	(void)state;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++) {
		test_cpus[cpu] = (struct test_cpu){0};
		pthread_mutex_init(&test_cpus[cpu].mutex, NULL);
		pthread_cond_init(&test_cpus[cpu].cond, &attr);
		stats[cpu] = (struct cpu_stats){0};
		passed_starving[cpu] = 0;
	}
	pthread_condattr_destroy(&attr);
	smp_cpu_count = CPU_COUNT;
	smp_big_lock = 0;
	smp_lock_sleepers = 0;
	smp_lock_starving = 0;
	sleeps_block = true;
	waits = blocked_waits = lost_wakeups = stuck_steps = 0;
	overlaps = wrong_holders = counter = 0;
	inside = false;
	this_cpu.index = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++) {
		pthread_cond_destroy(&test_cpus[cpu].cond);
		pthread_mutex_destroy(&test_cpus[cpu].mutex);
	}
	smp_cpu_count = 1;
	return 0;
}

/* A test thread: CPU cpu, running body. */
struct cpu_thread {
	pthread_t thread;
	unsigned cpu;
	void (*body)(void);
};

static void *cpu_thread_main(void *arg)
{
	const struct cpu_thread *t = arg;

	this_cpu.index = t->cpu;
	t->body();
	return NULL;
}

static void start_cpu(struct cpu_thread *t, unsigned cpu, void (*body)(void))
{
	t->cpu = cpu;
	t->body = body;
	assert_int_equal(pthread_create(&t->thread, NULL, cpu_thread_main, t), 0);
}

/* Run body on every CPU at once, each its own thread, and wait for all. */
static void run_on_every_cpu(void (*body)(void))
{
	struct cpu_thread threads[CPU_COUNT];

	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		start_cpu(&threads[cpu], cpu, body);
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		assert_int_equal(pthread_join(threads[cpu].thread, NULL), 0);
}

/* The most any CPU saw of a statistic. */
static unsigned most_passes(void)
{
	unsigned most = 0;

	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		if (stats[cpu].max_passes > most)
			most = stats[cpu].max_passes;
	return most;
}

static unsigned most_passed_starving(void)
{
	unsigned most = 0;

	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		if (stats[cpu].max_passed_starving > most)
			most = stats[cpu].max_passed_starving;
	return most;
}

/*
 * The lock is free and nobody waits for it, and it was taken exactly
 * acquisitions times since the test began (the count wraps).
 */
static void assert_lock_at_rest(unsigned long acquisitions)
{
	assert_int_equal(lost_wakeups, 0);
	assert_int_equal(stuck_steps, 0);
	assert_int_equal(overlaps, 0);
	assert_int_equal(wrong_holders, 0);
	assert_int_equal(counter, acquisitions);
	assert_int_equal(smp_big_lock & LOCK_HOLDER, 0);
	assert_int_equal(lock_count(smp_big_lock), acquisitions & (UINT32_MAX / LOCK_TAKEN));
	assert_int_equal(smp_lock_starving, 0);
	assert_int_equal(smp_lock_sleepers, 0);
}

/*
 * Once a holder of the lock has seen a waiter W starve (its bit in
 * smp_lock_starving), at most CPU_COUNT - 1 acquisitions pass W: each other
 * CPU takes the lock at most once before W does. Such a CPU X took it
 * either having read smp_lock_starving before W's bit reached it (the
 * relaxed load, then the compare-and-swap), or because X starves too.
 * From X's holding on, every look at smp_lock_starving sees W's bit until
 * W clears it: X's own by read-read coherence, later holders' through the
 * lock's release and acquire. So X takes the lock again before W only if
 * it starves again, having seen CPU_COUNT acquisitions after its own: by
 * the CPU_COUNT - 2 CPUs other than W and X, so one of them took it twice
 * first. The first CPU to take it twice cannot, so none does.
 *
 * No bound holds on the acquisitions that pass W before a holder sees it
 * starve: W counts only those it sees, and a host thread (or a vCPU on a
 * busy host) may be descheduled between two of its looks at the lock. The
 * test reports the most it saw of those, and checks nothing of them.
 */
#define MAX_PASSED_STARVING (CPU_COUNT - 1)

/* Many acquisitions on every CPU at once. */
#define CONTENDED_ACQUISITIONS 200000

static void contend(void)
{
	for (unsigned i = 0; i < CONTENDED_ACQUISITIONS; i++)
		take_and_let_go();
}

static void test_cpus_contending_for_the_lock_hold_it_one_at_a_time(void **state)
{
	(void)state;
	run_on_every_cpu(contend);
	assert_lock_at_rest((unsigned long)CPU_COUNT * CONTENDED_ACQUISITIONS);
	print_message("contending: %lu waits, %lu blocked; most acquisitions passing a waiter "
		      "%u, a starving one %u\n",
		      waits, blocked_waits, most_passes(), most_passed_starving());
	assert_in_range(most_passed_starving(), 0, MAX_PASSED_STARVING);
}

#define SPINNING_ACQUISITIONS 100000

static void spin_contend(void)
{
	for (unsigned i = 0; i < SPINNING_ACQUISITIONS; i++)
		take_and_let_go();
}

/*
 * Sleeps that return at once: the waiters only spin, and nothing but the
 * lock's own rule bounds how often one that starves is passed.
 */
static void test_a_cpu_that_starves_while_spinning_is_passed_at_most_once_by_each(void **state)
{
	(void)state;
	sleeps_block = false;
	run_on_every_cpu(spin_contend);
	assert_lock_at_rest((unsigned long)CPU_COUNT * SPINNING_ACQUISITIONS);
	print_message("spinning: %lu waits; most acquisitions passing a waiter %u, a starving one "
		      "%u\n",
		      waits, most_passes(), most_passed_starving());
	assert_in_range(most_passed_starving(), 0, MAX_PASSED_STARVING);
}

/*
 * In each round one CPU holds the lock until every other one sleeps
 * waiting for it, then lets it go: each wakes another as it lets the lock
 * go in turn, and a wake-up lost leaves a CPU asleep until its wait ends
 * in failure.
 */
#define SLEEP_ROUNDS 60

static pthread_barrier_t round_phase;
static unsigned rounds_run;

/* Wait until every CPU but this one sleeps in arch_wait_for_lock. */
static void wait_for_sleepers(void)
{
	struct timespec limit = deadline();

	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++) {
		struct test_cpu *c = &test_cpus[cpu];
		bool is_there = true;

		if (cpu == this_cpu.index)
			continue;
		pthread_mutex_lock(&c->mutex);
		while (!c->is_asleep && is_there)
			is_there = wait_on(c, &limit);
		pthread_mutex_unlock(&c->mutex);
		if (!is_there) {
			stuck_steps++;
			return;
		}
	}
}

static void sleep_rounds(void)
{
	for (unsigned round = 1; round <= SLEEP_ROUNDS; round++) {
		bool is_holder = round % CPU_COUNT == this_cpu.index;
		uint32_t before = lock_word();

		if (this_cpu.index == 0)
			rounds_run = round;
		if (is_holder) {
			smp_lock();
			hold(before);
		}
		pthread_barrier_wait(&round_phase);
		if (is_holder) {
			wait_for_sleepers();
			smp_unlock();
		} else {
			take_and_let_go();
		}
		/*
		 * Every CPU looks at lost_wakeups after the round, before any
		 * waits in the next: all stop after a lost wake-up, rather
		 * than lose WAIT_LIMIT_S in every round.
		 */
		pthread_barrier_wait(&round_phase);
		if (lost_wakeups != 0)
			return;
	}
}

static void test_waiters_that_sleep_are_each_woken_when_the_lock_goes_free(void **state)
{
	(void)state;
	rounds_run = 0;
	assert_int_equal(pthread_barrier_init(&round_phase, NULL, CPU_COUNT), 0);
	run_on_every_cpu(sleep_rounds);
	pthread_barrier_destroy(&round_phase);
	print_message("sleeping: %lu waits, %lu blocked, in %u rounds\n", waits, blocked_waits,
		      rounds_run);
	assert_lock_at_rest((unsigned long)CPU_COUNT * rounds_run);
	assert_int_equal(rounds_run, SLEEP_ROUNDS);
	/* Every CPU but the holder slept in every round (and none waited in vain). */
	assert_in_range(blocked_waits, (CPU_COUNT - 1) * SLEEP_ROUNDS, ULONG_MAX);
}

/*
 * The regression test for a waiter that compared whole lock words: one
 * whose first look found the lock held, and whose next found it free but
 * lost it (here: was refused it, for another CPU starved), counted the
 * holder byte it had seen as most of a wrap of the count, and said it
 * starved at once. The CPUs here step one turn of their spin loops at a
 * time (the gate in arch_cpu_relax), and the test's own thread takes the
 * lock as CPU 1 or CPU 2 in between.
 */
#define STARVER 3
#define WAITER	0

static void gate(unsigned cpu)
{
	__atomic_store_n(&test_cpus[cpu].is_gated, true, __ATOMIC_RELEASE);
}

/* Let cpu, gated, out of its relaxes-th turn; false: it never got there. */
static bool await_turn(unsigned cpu, unsigned relaxes)
{
	struct test_cpu *c = &test_cpus[cpu];
	struct timespec limit = deadline();
	bool is_there = true;

	pthread_mutex_lock(&c->mutex);
	while (c->relaxes < relaxes && is_there)
		is_there = wait_on(c, &limit);
	pthread_mutex_unlock(&c->mutex);
	return is_there;
}

/* Let cpu spin one more turn and wait until it is back in arch_cpu_relax. */
static bool step(unsigned cpu)
{
	struct test_cpu *c = &test_cpus[cpu];
	unsigned relaxes;

	pthread_mutex_lock(&c->mutex);
	relaxes = c->relaxes;
	c->permits++;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mutex);
	return await_turn(cpu, relaxes + 1);
}

static void ungate(unsigned cpu)
{
	struct test_cpu *c = &test_cpus[cpu];

	pthread_mutex_lock(&c->mutex);
	__atomic_store_n(&c->is_gated, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mutex);
}

/* The test's thread takes or lets go of the lock as cpu. */
static void lock_as(unsigned cpu)
{
	uint32_t before = lock_word();

	this_cpu.index = cpu;
	smp_lock();
	hold(before);
}

static void unlock_as(unsigned cpu)
{
	this_cpu.index = cpu;
	smp_unlock();
}

static void test_a_waiter_that_loses_a_free_lock_does_not_starve_at_once(void **state)
{
	struct cpu_thread starver, waiter;
	bool is_stepped = true;
	uint32_t starving_then, starving_now;

	(void)state;
	lock_as(1);
	/* The starver starts waiting, and sees the lock taken CPU_COUNT times. */
	gate(STARVER);
	start_cpu(&starver, STARVER, take_and_let_go);
	is_stepped &= await_turn(STARVER, 1);
	for (unsigned i = 0; i < CPU_COUNT / 2; i++) {
		unlock_as(1);
		lock_as(2);
		unlock_as(2);
		lock_as(1);
	}
	is_stepped &= step(STARVER);
	starving_then = __atomic_load_n(&smp_lock_starving, __ATOMIC_RELAXED);
	/* The waiter starts waiting while CPU 1 holds the lock, then is refused it free. */
	gate(WAITER);
	start_cpu(&waiter, WAITER, take_and_let_go);
	is_stepped &= await_turn(WAITER, 1);
	unlock_as(1);
	is_stepped &= step(WAITER);
	starving_now = __atomic_load_n(&smp_lock_starving, __ATOMIC_RELAXED);
	ungate(STARVER);
	assert_int_equal(pthread_join(starver.thread, NULL), 0);
	ungate(WAITER);
	assert_int_equal(pthread_join(waiter.thread, NULL), 0);

	assert_true(is_stepped);
	assert_int_equal(starving_then, UINT32_C(1) << STARVER);
	/* Seen taken no time since it began to wait, the waiter does not starve. */
	assert_int_equal(starving_now, UINT32_C(1) << STARVER);
	assert_lock_at_rest(CPU_COUNT + 3);
}

#define LOCK_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		LOCK_TEST(test_cpus_contending_for_the_lock_hold_it_one_at_a_time),
		LOCK_TEST(test_a_cpu_that_starves_while_spinning_is_passed_at_most_once_by_each),
		LOCK_TEST(test_waiters_that_sleep_are_each_woken_when_the_lock_goes_free),
		LOCK_TEST(test_a_waiter_that_loses_a_free_lock_does_not_starve_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
