/*
 * Unit tests of the scheduler's choice on several CPUs (kernel/sched.c and
 * kernel/smp.c), on four fake CPUs: a thread runs only on the CPU its
 * affinity names; each CPU runs the best thread of its own run queue, in
 * turns among equals; a thread moved to another CPU leaves the old CPU's
 * queue; a CPU with nothing queued idles, whatever the other CPUs have;
 * and another CPU is kicked (an IPI) when a thread made runnable, hurried
 * or given a higher priority there should run before the thread it runs.
 *
 * The test acts as the boss, a thread of the highest priority on CPU 0
 * (which therefore keeps running it), and changes other threads through
 * their TCB capabilities, as the root task does. Another CPU enters the
 * kernel only when the test says so (enter): to take its kick, for its
 * timer's tick, or for a system call of the thread it runs. The fake CPUs
 * take turns, one entry at a time, so the big kernel lock is not taken; a
 * CPU that the entering one stalls answers in the fake's arch_cpu_relax.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel_world.h"

#include "fake.h"
#include "sched.h"
#include "smp.h"

#include <mica/abi/invocation.h>
#include <mica/abi/ipc.h>
#include <mica/abi/syscall.h>

#define CPU_COUNT 4

/* The thread the test acts as: on CPU 0, of the highest priority. */
static struct tcb *boss;

static int setup(void **state)
{
	world_setup(state);
	smp_cpu_count = CPU_COUNT;
	fake_idle_jump = NULL;
	boss = make_thread(MICA_MAX_PRIORITY);
	run(boss);
	return 0;
}

static int teardown(void **state)
{
	world_teardown(state);
	smp_cpu_count = 1;
	fake_idle_jump = NULL;
	return 0;
}

/* The root CNode slot holding t's TCB capability. */
static unsigned slot_of(const struct tcb *t)
{
	for (unsigned i = SLOT_FIRST_TCB; i < (1U << ROOT_RADIX); i++)
		if (root_slots[i].cap.type == MICA_OBJ_TCB &&
		    root_slots[i].cap.object == (uintptr_t)t)
			return i;
	fail_msg("the thread has no TCB capability in the root CNode");
	return 0;
}

/* Why a CPU enters the kernel. */
enum entry_kind {
	ENTRY_KICK,	  /* It takes its kick, or another interrupt that wakes no thread. */
	ENTRY_TICK,	  /* Its timer ticks: the running thread's time slice is over. */
	ENTRY_YIELD,	  /* The thread it runs makes the Yield system call. */
	ENTRY_CALL,	  /* The thread it runs invokes target's TCB capability. */
	ENTRY_HURRY,	  /* Something target waits for came (a virtual interrupt): sched_hurry. */
	ENTRY_HURRY_NEXT, /* The same, asked by the running thread: sched_hurry_next. */
	ENTRY_WAKE,	  /* An interrupt makes target runnable, if it is inactive. */
};

struct entry {
	enum entry_kind kind;
	struct tcb *target;
	uint64_t label; /* ENTRY_CALL: the invocation, with one word. */
	uint64_t word;
};

/* What the kernel does on the entry, on this CPU, up to its choice of what runs next. */
static struct tcb *handle(const struct entry *e)
{
	const uint64_t words[4] = {e->word};
	struct tcb *cur = thread_current();

	switch (e->kind) {
	case ENTRY_KICK:
		fake_cpus[fake_cpu_now].ipi_pending = false;
		break;
	case ENTRY_TICK:
		sched_tick();
		break;
	case ENTRY_YIELD:
		return sys(cur, false, MICA_SYS_YIELD, 0, 0, 0, NULL);
	case ENTRY_CALL:
		return sys(cur, false, MICA_SYS_CALL, slot_of(e->target),
			   mica_msg_info(e->label, 0, 1), 0, words);
	case ENTRY_HURRY:
		sched_hurry(e->target);
		break;
	case ENTRY_HURRY_NEXT:
		sched_hurry_next(e->target);
		break;
	case ENTRY_WAKE:
		thread_resume(e->target);
		break;
	}
	return (struct tcb *)schedule();
}

/*
 * cpu enters the kernel for e: the thread it runs next, or NULL if it
 * idles. The test goes on as the CPU it was.
 */
static struct tcb *enter(unsigned cpu, struct entry e)
{
	unsigned was = fake_cpu_now;
	jmp_buf idle;
	struct tcb *next;

	fake_cpu_switch(cpu);
	if (setjmp(idle) != 0) {
		next = NULL;
	} else {
		fake_idle_jump = &idle;
		next = handle(&e);
	}
	fake_idle_jump = NULL;
	fake_cpu_switch(was);
	return next;
}

static struct tcb *kick_on(unsigned cpu)
{
	return enter(cpu, (struct entry){.kind = ENTRY_KICK});
}

static struct tcb *tick_on(unsigned cpu)
{
	return enter(cpu, (struct entry){.kind = ENTRY_TICK});
}

static struct tcb *yield_on(unsigned cpu)
{
	return enter(cpu, (struct entry){.kind = ENTRY_YIELD});
}

/* cpu hurries t (as injecting a virtual interrupt into t's vCPU would). */
static struct tcb *hurry_from(unsigned cpu, struct tcb *t)
{
	return enter(cpu, (struct entry){.kind = ENTRY_HURRY, .target = t});
}

/* The boss invokes t's TCB capability with label and word; CPU 0 goes on running the boss. */
static enum mica_error boss_calls(struct tcb *t, uint64_t label, uint64_t word)
{
	struct entry e = {.kind = ENTRY_CALL, .target = t, .label = label, .word = word};

	assert_ptr_equal(enter(0, e), boss);
	return (enum mica_error)boss->regs.x[6];
}

static void start(struct tcb *t)
{
	assert_int_equal(boss_calls(t, MICA_TCB_RESUME, 0), MICA_OK);
}

static void stop(struct tcb *t)
{
	assert_int_equal(boss_calls(t, MICA_TCB_SUSPEND, 0), MICA_OK);
}

/* A new thread of priority, not started, with its affinity set to cpu. */
static struct tcb *thread_on(unsigned cpu, uint8_t priority)
{
	struct tcb *t = make_thread(priority);

	assert_int_equal(boss_calls(t, MICA_TCB_SET_AFFINITY, cpu), MICA_OK);
	assert_int_equal(t->cpu, cpu);
	return t;
}

/* Kicks raised for cpu since the world began. */
static unsigned kicks(unsigned cpu)
{
	return fake_cpus[cpu].ipis;
}

static void test_a_thread_runs_only_on_the_cpu_its_affinity_names(void **state)
{
	struct tcb *low = thread_on(1, 100);
	struct tcb *high = thread_on(2, 200);

	(void)state;
	start(low);
	start(high);
	/* high waits on CPU 2 and beats low, yet CPU 1 runs low and CPU 3 nothing. */
	assert_null(kick_on(3));
	assert_ptr_equal(kick_on(1), low);
	assert_ptr_equal(kick_on(2), high);
	/* The same after their time slices end: neither has a peer on its CPU. */
	assert_ptr_equal(tick_on(1), low);
	assert_ptr_equal(tick_on(2), high);
	assert_null(tick_on(3));
	assert_int_equal(sched_check(), 0);
}

static void test_affinity_past_the_last_cpu_is_refused_and_moves_nothing(void **state)
{
	struct tcb *t = thread_on(2, 100);

	(void)state;
	start(t);
	assert_int_equal(boss_calls(t, MICA_TCB_SET_AFFINITY, CPU_COUNT), MICA_ERR_RANGE);
	assert_int_equal(boss_calls(t, MICA_TCB_SET_AFFINITY, PLATFORM_MAX_CPUS - 1),
			 MICA_ERR_RANGE);
	assert_int_equal(t->cpu, 2);
	assert_ptr_equal(kick_on(2), t);
}

static void test_a_cpu_runs_its_best_thread_and_equals_take_turns(void **state)
{
	struct tcb *low = thread_on(2, 40);
	struct tcb *first = thread_on(2, 120);
	struct tcb *second = thread_on(2, 120);
	struct tcb *elsewhere = thread_on(3, 250);

	(void)state;
	start(low);
	start(first);
	start(second);
	start(elsewhere);
	assert_ptr_equal(kick_on(2), first);
	/* An equal waits until the slice ends, */
	assert_ptr_equal(kick_on(2), first);
	/* by a yield or by the tick, and they take turns in the order they came. */
	assert_ptr_equal(yield_on(2), second);
	assert_ptr_equal(tick_on(2), first);
	assert_ptr_equal(yield_on(2), second);
	assert_ptr_equal(yield_on(2), first);
	/* The lower one runs when no better one is left, and then nothing. */
	stop(first);
	assert_ptr_equal(kick_on(2), second);
	stop(second);
	assert_ptr_equal(kick_on(2), low);
	stop(low);
	assert_null(kick_on(2));
	/* CPU 3's thread, better than all of them, waited for CPU 3 all along. */
	assert_ptr_equal(kick_on(3), elsewhere);
	assert_int_equal(sched_check(), 0);
}

static void test_a_thread_hurried_by_the_running_one_runs_next_not_now(void **state)
{
	struct tcb *first = thread_on(2, 120);
	struct tcb *second = thread_on(2, 120);
	struct tcb *third = thread_on(2, 120);

	(void)state;
	start(first);
	start(second);
	start(third);
	assert_ptr_equal(kick_on(2), first);
	/* first asks (a VMM injecting): it keeps its slice, and third jumps the queue. */
	assert_ptr_equal(enter(2, (struct entry){.kind = ENTRY_HURRY_NEXT, .target = third}),
			 first);
	assert_ptr_equal(yield_on(2), third);
	assert_ptr_equal(yield_on(2), second);
	/* Hurried otherwise (an interrupt, a guest's SGI), an equal's slice ends at once. */
	assert_ptr_equal(hurry_from(2, third), third);
	assert_int_equal(sched_check(), 0);
}

static void test_a_thread_moved_while_queued_leaves_the_old_cpu_for_the_new(void **state)
{
	struct tcb *busy = thread_on(1, 150);
	struct tcb *t = thread_on(1, 150);
	unsigned before;

	(void)state;
	start(busy);
	assert_ptr_equal(kick_on(1), busy);
	start(t); /* It waits behind busy, its equal, on CPU 1. */
	before = kicks(3);
	assert_int_equal(boss_calls(t, MICA_TCB_SET_AFFINITY, 3), MICA_OK);
	assert_int_equal(t->cpu, 3);
	assert_int_equal(kicks(3), before + 1); /* CPU 3 idles: it is told. */
	/* busy's slice ends, but there is no equal on CPU 1 to take a turn any more. */
	assert_ptr_equal(yield_on(1), busy);
	assert_ptr_equal(tick_on(1), busy);
	assert_ptr_equal(kick_on(3), t);
	assert_int_equal(sched_check(), 0);
}

static void test_a_running_thread_moved_away_stops_and_runs_on_the_new_cpu(void **state)
{
	struct tcb *t = thread_on(1, 100);
	unsigned before1, before2;

	(void)state;
	start(t);
	assert_ptr_equal(kick_on(1), t);
	before1 = kicks(1);
	before2 = kicks(2);
	assert_int_equal(boss_calls(t, MICA_TCB_SET_AFFINITY, 2), MICA_OK);
	assert_true(kicks(1) > before1);	 /* CPU 1 was stopped, */
	assert_int_equal(kicks(2), before2 + 1); /* and CPU 2 told. */
	assert_null(kick_on(1));
	assert_ptr_equal(kick_on(2), t);
	assert_int_equal(sched_check(), 0);
}

static void test_a_thread_that_moves_itself_runs_next_on_the_new_cpu(void **state)
{
	struct tcb *stay = thread_on(0, 100);
	struct entry move = {
		.kind = ENTRY_CALL, .target = boss, .label = MICA_TCB_SET_AFFINITY, .word = 3};
	unsigned before = kicks(3);

	(void)state;
	start(stay);
	/* The call returns to the next thread of CPU 0, not to the boss. */
	assert_ptr_equal(enter(0, move), stay);
	assert_int_equal(boss->regs.x[6], MICA_OK);
	assert_int_equal(kicks(3), before + 1);
	assert_ptr_equal(kick_on(3), boss);
	assert_ptr_equal(kick_on(0), stay);
	assert_int_equal(sched_check(), 0);
}

static void test_waking_a_thread_kicks_its_cpu_only_if_it_beats_what_runs_there(void **state)
{
	struct tcb *running = thread_on(2, 100);
	struct tcb *lower = thread_on(2, 50);
	struct tcb *equal = thread_on(2, 100);
	struct tcb *higher = thread_on(2, 150);
	struct tcb *alone = thread_on(1, 10);
	struct tcb *local = thread_on(2, 200);
	struct entry wake_local = {.kind = ENTRY_CALL, .target = local, .label = MICA_TCB_RESUME};
	unsigned before;

	(void)state;
	start(running);
	assert_ptr_equal(kick_on(2), running);
	before = kicks(2);
	start(lower);
	start(equal);
	assert_int_equal(kicks(2), before);
	start(higher);
	assert_int_equal(kicks(2), before + 1);
	assert_ptr_equal(kick_on(2), higher);

	/* An idle CPU is told of any thread. */
	before = kicks(1);
	start(alone);
	assert_int_equal(kicks(1), before + 1);
	assert_ptr_equal(kick_on(1), alone);

	/* A thread woken on the caller's own CPU needs no kick: it runs when the call returns. */
	before = kicks(2);
	assert_ptr_equal(enter(2, wake_local), local);
	assert_int_equal(kicks(2), before);
	assert_int_equal(kicks(3), 0);
	assert_int_equal(sched_check(), 0);
}

static void test_hurrying_a_thread_kicks_its_cpu_if_it_equals_what_runs_there(void **state)
{
	struct tcb *running = thread_on(2, 100);
	struct tcb *first = thread_on(2, 100);
	struct tcb *second = thread_on(2, 100);
	struct tcb *lower = thread_on(2, 50);
	unsigned before;

	(void)state;
	start(running);
	assert_ptr_equal(kick_on(2), running);
	start(first);
	start(second);
	start(lower);
	before = kicks(2);

	/* A lower one waits, hurried or not. */
	assert_ptr_equal(hurry_from(0, lower), boss);
	assert_int_equal(kicks(2), before);
	assert_ptr_equal(kick_on(2), running);

	/* An equal runs next: before the equal queued ahead of it, and at once. */
	assert_ptr_equal(hurry_from(0, second), boss);
	assert_int_equal(kicks(2), before + 1);
	assert_ptr_equal(kick_on(2), second);

	/* One that runs already is kicked, to see what changed, and runs on. */
	assert_ptr_equal(hurry_from(0, second), boss);
	assert_int_equal(kicks(2), before + 2);
	assert_ptr_equal(kick_on(2), second);

	/* Hurried from its own CPU, it needs no kick. */
	assert_ptr_equal(hurry_from(2, first), first);
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		assert_int_equal(kicks(cpu), cpu == 2 ? before + 2 : 0);
	assert_int_equal(sched_check(), 0);
}

/*
 * A thread waiting on another CPU that a priority change makes better than
 * what runs there must be seen there at once, as if it had just woken.
 */
static void test_raising_a_waiting_thread_above_what_runs_kicks_its_cpu(void **state)
{
	struct tcb *running = thread_on(1, 100);
	struct tcb *waiting = thread_on(1, 50);
	unsigned before;

	(void)state;
	start(running);
	assert_ptr_equal(kick_on(1), running);
	start(waiting);
	before = kicks(1);
	assert_int_equal(boss_calls(waiting, MICA_TCB_SET_PRIORITY, 100), MICA_OK);
	assert_int_equal(kicks(1), before); /* An equal waits for the tick. */
	assert_int_equal(boss_calls(waiting, MICA_TCB_SET_PRIORITY, 101), MICA_OK);
	assert_int_equal(kicks(1), before + 1);
	assert_ptr_equal(kick_on(1), waiting);
	assert_int_equal(sched_check(), 0);
}

static void test_a_cpu_with_nothing_queued_idles_while_others_have_work(void **state)
{
	struct tcb *a = thread_on(1, 100);
	struct tcb *b = thread_on(1, 120);
	struct tcb *c = thread_on(2, 100);
	struct tcb *late = thread_on(3, 10);
	unsigned waits = fake_interrupt_waits;
	unsigned before;

	(void)state;
	start(a);
	start(b);
	start(c);
	assert_null(kick_on(3));
	assert_int_equal(fake_interrupt_waits, waits + 1);
	assert_true(fake_cpus[3].idle);
	assert_null(sched_cpus[3].current);
	/* It took nothing of theirs. */
	assert_ptr_equal(kick_on(1), b);
	assert_ptr_equal(kick_on(2), c);
	/* A thread of its own, however low, wakes it. */
	before = kicks(3);
	start(late);
	assert_int_equal(kicks(3), before + 1);
	assert_ptr_equal(kick_on(3), late);
	assert_int_equal(sched_check(), 0);
}

/*
 * Random entries on every CPU: threads are started, stopped, moved and
 * reprioritised by the thread a CPU runs, hurried, and the timer ticks. After
 * each, every CPU runs a thread placed on it, and no thread waiting for a CPU
 * beats what that CPU runs (nothing, when it idles) unless the CPU has a kick
 * waiting, which it then takes, or not, at random.
 */
#define RANDOM_THREADS 8
#define RANDOM_SEEDS   16
#define RANDOM_OPS     2000

static uint64_t random_state;

static unsigned below(unsigned n)
{
	random_state ^= random_state << 13;
	random_state ^= random_state >> 7;
	random_state ^= random_state << 17;
	return (unsigned)(random_state % n);
}

static bool is_running(const struct tcb *t)
{
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		if (sched_cpus[cpu].current == t)
			return true;
	return false;
}

/* The best priority among threads waiting to run on cpu, or -1 if none waits. */
static int best_waiting(struct tcb *const threads[], unsigned cpu)
{
	int best = -1;

	for (unsigned i = 0; i < RANDOM_THREADS; i++) {
		const struct tcb *t = threads[i];

		if (t->state == THREAD_RUNNABLE && t->cpu == cpu && !is_running(t) &&
		    (int)t->priority > best)
			best = t->priority;
	}
	return best;
}

/* Something the thread cpu runs, or cpu itself, might do now. */
static struct entry random_entry(unsigned cpu, struct tcb *const threads[])
{
	static const uint64_t labels[] = {MICA_TCB_SET_AFFINITY, MICA_TCB_SET_PRIORITY,
					  MICA_TCB_RESUME, MICA_TCB_SUSPEND};
	struct entry e = {.target = threads[below(RANDOM_THREADS)]};

	if (fake_cpus[cpu].ipi_pending && below(2) == 0)
		e.kind = ENTRY_KICK;
	else if (sched_cpus[cpu].current == NULL)
		e.kind = ENTRY_WAKE; /* An idle CPU wakes only for an interrupt. */
	else if (below(3) != 0) {
		e.kind = ENTRY_CALL;
		e.label = labels[below(4)];
		e.word = e.label == MICA_TCB_SET_AFFINITY ? below(CPU_COUNT) : 10 + 60 * below(5);
	} else {
		static const enum entry_kind others[] = {ENTRY_TICK, ENTRY_YIELD, ENTRY_HURRY,
							 ENTRY_HURRY_NEXT};

		e.kind = others[below(4)];
	}
	return e;
}

static void check_cpus(struct tcb *const threads[], unsigned seed, unsigned op)
{
	if (sched_check() != 0)
		fail_msg("seed %u, op %u: run queues broken: %s", seed, op, console);
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++) {
		const struct tcb *cur = sched_cpus[cpu].current;
		int best = best_waiting(threads, cpu);

		if (cur != NULL && cur->cpu != cpu)
			fail_msg("seed %u, op %u: cpu %u runs a thread placed on cpu %u", seed, op,
				 cpu, cur->cpu);
		if (best > (cur != NULL ? (int)cur->priority : -1) && !fake_cpus[cpu].ipi_pending)
			fail_msg("seed %u, op %u: cpu %u runs %s (priority %d) while one of "
				 "priority %d waits there, and no kick is on its way",
				 seed, op, cpu, cur != NULL ? "a thread" : "nothing",
				 cur != NULL ? (int)cur->priority : -1, best);
	}
}

static void test_every_cpu_runs_its_best_thread_or_has_a_kick_coming(void **state)
{
	struct tcb *threads[RANDOM_THREADS];
	unsigned switches = 0, idles = 0;

	for (unsigned seed = 1; seed <= RANDOM_SEEDS; seed++) {
		if (seed > 1) {
			teardown(state);
			setup(state);
		}
		random_state = seed * UINT64_C(0x9e3779b97f4a7c15);
		threads[0] = boss;
		for (unsigned i = 1; i < RANDOM_THREADS; i++) {
			threads[i] = thread_on(below(CPU_COUNT), (uint8_t)(10 + 60 * below(5)));
			start(threads[i]);
		}
		for (unsigned op = 0; op < RANDOM_OPS; op++) {
			unsigned cpu = below(CPU_COUNT);
			const struct tcb *was = sched_cpus[cpu].current;
			struct entry e = random_entry(cpu, threads);
			struct tcb *next = enter(cpu, e);

			switches += next != was;
			idles += next == NULL;
			if (next != sched_cpus[cpu].current)
				fail_msg("seed %u, op %u: cpu %u returns to a thread it does not "
					 "run",
					 seed, op, cpu);
			/* What the CPU chose is the best it has, kick or no kick. */
			if ((next != NULL ? (int)next->priority : -1) < best_waiting(threads, cpu))
				fail_msg("seed %u, op %u: cpu %u chose what a waiting thread "
					 "beats",
					 seed, op, cpu);
			check_cpus(threads, seed, op);
		}
	}
	/* The runs did what they are for: CPUs changed threads often, and idled. */
	assert_true(switches > RANDOM_SEEDS * RANDOM_OPS / 20);
	assert_true(idles > RANDOM_SEEDS * RANDOM_OPS / 100);
}

#define SMP_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SMP_TEST(test_a_thread_runs_only_on_the_cpu_its_affinity_names),
		SMP_TEST(test_affinity_past_the_last_cpu_is_refused_and_moves_nothing),
		SMP_TEST(test_a_cpu_runs_its_best_thread_and_equals_take_turns),
		SMP_TEST(test_a_thread_hurried_by_the_running_one_runs_next_not_now),
		SMP_TEST(test_a_thread_moved_while_queued_leaves_the_old_cpu_for_the_new),
		SMP_TEST(test_a_running_thread_moved_away_stops_and_runs_on_the_new_cpu),
		SMP_TEST(test_a_thread_that_moves_itself_runs_next_on_the_new_cpu),
		SMP_TEST(test_waking_a_thread_kicks_its_cpu_only_if_it_beats_what_runs_there),
		SMP_TEST(test_hurrying_a_thread_kicks_its_cpu_if_it_equals_what_runs_there),
		SMP_TEST(test_raising_a_waiting_thread_above_what_runs_kicks_its_cpu),
		SMP_TEST(test_a_cpu_with_nothing_queued_idles_while_others_have_work),
		SMP_TEST(test_every_cpu_runs_its_best_thread_or_has_a_kick_coming),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
