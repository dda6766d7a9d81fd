/*
 * The scheduler: fixed priorities, FIFO round robin within a priority,
 * preemption by the timer tick and by higher-priority threads waking.
 *
 * Invariant: a RUNNABLE thread is either its CPU's current thread or in
 * exactly one run queue; a thread in any other state is in no run queue.
 */
#include "print.h"
#include "sched.h"
#include "smp.h"
#include "thread.h"
#include "vcpu.h"

struct sched_cpu sched_cpus[PLATFORM_MAX_CPUS];
uint64_t sched_empty_vspace_token, sched_empty_vm_token;

void sched_init(void)
{
	sched_empty_vspace_token = arch_vspace_token(&arch_vspace_empty);
	sched_empty_vm_token = arch_vspace_token(&arch_vm_empty);
}

static void queue_push(struct run_queue *q, struct tcb *t)
{
	unsigned p = t->priority;

	t->sched_next = NULL;
	t->sched_prev = q->tail[p];
	if (q->tail[p] != NULL)
		q->tail[p]->sched_next = t;
	else
		q->head[p] = t;
	q->tail[p] = t;
	q->bitmap[p / 64] |= UINT64_C(1) << (p % 64);
}

static void queue_remove(struct run_queue *q, struct tcb *t)
{
	unsigned p = t->priority;

	if (t->sched_prev != NULL)
		t->sched_prev->sched_next = t->sched_next;
	else
		q->head[p] = t->sched_next;
	if (t->sched_next != NULL)
		t->sched_next->sched_prev = t->sched_prev;
	else
		q->tail[p] = t->sched_prev;
	t->sched_next = t->sched_prev = NULL;
	if (q->head[p] == NULL)
		q->bitmap[p / 64] &= ~(UINT64_C(1) << (p % 64));
}

/* The highest priority with a queued thread, or -1. */
static int queue_top(const struct run_queue *q)
{
	for (int w = BITMAP_WORDS - 1; w >= 0; w--)
		if (q->bitmap[w] != 0)
			return w * 64 + 63 - __builtin_clzll(q->bitmap[w]);
	return -1;
}

struct tcb *thread_current(void)
{
	return sched_this_cpu()->current;
}

void sched_wake(struct tcb *t)
{
	struct sched_cpu *c = &sched_cpus[t->cpu];

	if (t->state == THREAD_RUNNABLE && t != c->current)
		return; /* Already queued. */
	t->state = THREAD_RUNNABLE;
	if (t != c->current) {
		queue_push(&c->queue, t);
		smp_kick(t->cpu, t->priority);
	}
}

static void hurry(struct tcb *t, bool end_slice)
{
	struct sched_cpu *c = &sched_cpus[t->cpu];
	struct run_queue *q = &c->queue;
	bool remote = t->cpu != arch_cpu_index();

	if (t->state != THREAD_RUNNABLE)
		return;
	if (t == c->current) {
		/* It runs there: it enters the kernel, and sees what changed. */
		if (remote)
			arch_kick(t->cpu);
		return;
	}
	if (q->head[t->priority] != t) {
		queue_remove(q, t);
		t->sched_next = q->head[t->priority];
		q->head[t->priority]->sched_prev = t;
		q->head[t->priority] = t;
	}
	/* An equal: the current thread's slice ends now (a better one wins anyway). */
	if (c->current != NULL && c->current->priority == t->priority && (remote || end_slice)) {
		c->slice_over = true;
		if (remote)
			arch_kick(t->cpu);
	}
}

void sched_hurry(struct tcb *t)
{
	hurry(t, true);
}

void sched_hurry_next(struct tcb *t)
{
	hurry(t, false);
}

void sched_requeue(struct tcb *t)
{
	queue_push(&sched_cpus[t->cpu].queue, t);
	smp_kick(t->cpu, t->priority);
}

void thread_set_cpu(struct tcb *t, unsigned cpu)
{
	struct sched_cpu *here = sched_this_cpu();
	struct sched_cpu *was = &sched_cpus[t->cpu];
	bool queued;

	if (cpu == t->cpu)
		return;
	/* Nothing of t stays on another CPU, nor in this one's registers. */
	smp_claim_thread(t);
	if (here->fp_owner == t) {
		arch_fp_open();
		arch_fp_save(&t->fp);
		here->fp_owner = NULL;
		here->fp_on = false;
		arch_fp_close();
	}
	if (t->vcpu != NULL && here->loaded_vcpu == t->vcpu) {
		arch_vcpu_save(&t->vcpu->arch);
		here->loaded_vcpu = NULL;
	}
	if (t->state == THREAD_BLOCKED_WFI)
		vcpu_cancel_wait(t);
	queued = t->state == THREAD_RUNNABLE && t != was->current;
	if (queued)
		queue_remove(&was->queue, t);
	t->cpu = (uint8_t)cpu;
	if (queued)
		sched_requeue(t);
	if (t->state == THREAD_BLOCKED_WFI)
		vcpu_requeue_wait(t);
	/* If t is this CPU's current thread, choose() sends it on. */
}

void sched_block(struct tcb *t)
{
	struct sched_cpu *c = &sched_cpus[t->cpu];

	if (t->state == THREAD_RUNNABLE && t != c->current)
		queue_remove(&c->queue, t);
}

void sched_yield(void)
{
	sched_this_cpu()->slice_over = true;
}

void thread_set_priority(struct tcb *t, uint8_t priority)
{
	struct sched_cpu *c = &sched_cpus[t->cpu];
	bool queued = t->state == THREAD_RUNNABLE && t != c->current;

	if (queued)
		queue_remove(&c->queue, t);
	t->priority = priority;
	/* Queued anew as if it had just woken: another CPU it now beats is kicked. */
	if (queued)
		sched_requeue(t);
}

/* The thread to run next (made current, its address space and vCPU state loaded). */
static inline __attribute__((always_inline)) struct tcb *choose(void)
{
	struct sched_cpu *c = sched_this_cpu();
	struct tcb *cur = c->current;
	int top = queue_top(&c->queue);

	if (cur != NULL && cur->state == THREAD_RUNNABLE) {
		if (cur->cpu != arch_cpu_index()) {
			/* It was moved to another CPU (thread_set_cpu) while it ran here. */
			c->current = NULL;
			sched_requeue(cur);
		} else if (top < (int)cur->priority ||
			   (top == (int)cur->priority && !c->slice_over)) {
			/* Keep running unless someone strictly more urgent, or an equal
			 * peer after a used-up slice, is waiting. (A stall takes the
			 * current thread too: what it runs on is still here.) */
			c->slice_over = false;
			return cur;
		} else {
			queue_push(&c->queue, cur);
		}
		top = queue_top(&c->queue);
	}
	c->slice_over = false;
	while (top < 0) {
		/* Nothing to run: idle until an interrupt wakes a thread. */
		c->current = NULL;
		arch_wait_for_interrupt();
		top = queue_top(&c->queue);
	}
	cur = c->queue.head[top];
	queue_remove(&c->queue, cur);
	sched_switch_vspace(cur);
	sched_set_current(cur);
	if (cur->vcpu != NULL)
		vcpu_switch_to(cur);
	return cur;
}

/*
 * t, chosen, is a vCPU thread with work to do before its guest runs
 * (vcpu_has_work). If that delivered an exit instead, t waits for its VMM
 * and another thread is chosen. Out of line, to keep schedule() lean.
 */
static __attribute__((noinline)) struct tcb *enter_guest_with_work(struct tcb *t)
{
	while (t->vcpu != NULL && vcpu_has_work(t->vcpu) && !vgic_enter(t->vcpu))
		t = choose();
	return t;
}

struct arch_regs *schedule(void)
{
	struct tcb *t = choose();

	if (t->vcpu != NULL && vcpu_has_work(t->vcpu))
		t = enter_guest_with_work(t);
	return &t->regs;
}

void sched_fp_take(struct tcb *t)
{
	struct sched_cpu *c = sched_this_cpu();

	arch_fp_open();
	if (c->fp_owner != t) {
		if (c->fp_owner != NULL)
			arch_fp_save(&c->fp_owner->fp);
		arch_fp_load(&t->fp);
		c->fp_owner = t;
	}
	c->fp_on = true;
}

void sched_fp_forget(const struct tcb *t)
{
	for (unsigned cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++)
		if (sched_cpus[cpu].fp_owner == t)
			sched_cpus[cpu].fp_owner = NULL;
}

void thread_forget_fp(struct tcb *t)
{
	sched_fp_forget(t);
	t->fp = (struct arch_fp){0};
}

void sched_vspace_destroyed(uint64_t token, bool stage2)
{
	struct sched_cpu *c = sched_this_cpu();
	uint64_t empty = stage2 ? sched_empty_vm_token : sched_empty_vspace_token;

	smp_claim_space(token);
	if (c->active_vs == token) {
		arch_vspace_activate_token(empty, token);
		c->active_vs = empty;
	}
}

void sched_tick(void)
{
	struct sched_cpu *c = sched_this_cpu();

	c->ticks++;
	c->slice_over = true;
	vcpu_tick();
}

uint64_t sched_ticks(void)
{
	return sched_this_cpu()->ticks;
}

/* Run queues: the bitmap matches the heads; queued threads are runnable and in the right queue. */
unsigned sched_check(void)
{
	unsigned bad = 0;

	for (unsigned cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++) {
		const struct run_queue *q = &sched_cpus[cpu].queue;

		for (unsigned p = 0; p < PRIORITY_COUNT; p++) {
			bool bit = (q->bitmap[p / 64] >> (p % 64)) & 1;
			unsigned n = 0;

			if (bit != (q->head[p] != NULL))
				bad++;
			for (const struct tcb *t = q->head[p]; t != NULL && n < 100000;
			     t = t->sched_next, n++) {
				if (t->state != THREAD_RUNNABLE || t->priority != p ||
				    t == sched_cpus[cpu].current || t->cpu != cpu)
					bad++;
				if (t->sched_next == NULL && q->tail[p] != t)
					bad++;
			}
		}
	}
	/* What a CPU runs and holds lazily belongs to threads placed on it. */
	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		const struct sched_cpu *c = &sched_cpus[cpu];

		if ((c->current != NULL && c->current->cpu != cpu) ||
		    (c->fp_owner != NULL && c->fp_owner->cpu != cpu) ||
		    (c->loaded_vcpu != NULL && c->loaded_vcpu->tcb != NULL &&
		     c->loaded_vcpu->tcb->cpu != cpu))
			bad++;
		/* One CPU at most holds a vCPU's state (even one with no thread). */
		for (unsigned other = 0; other < cpu; other++)
			if (c->loaded_vcpu != NULL &&
			    sched_cpus[other].loaded_vcpu == c->loaded_vcpu)
				bad++;
	}
	if (bad != 0)
		kprintf("mica: check: %u broken run-queue invariants\n", bad);
	return bad;
}
