/*
 * Threads and scheduling, in the minimal form the boot needs: a single
 * user thread on the boot CPU, preempted only by the kernel's tick.
 */
#include <string.h>

#include "print.h"
#include "thread.h"

#include <mica/abi/status.h>

static struct thread *current;
static uint64_t ticks;

struct thread *thread_current(void)
{
	return current;
}

void thread_start(struct thread *t)
{
	t->state = THREAD_RUNNABLE;
	current = t;
}

void thread_fault(struct thread *t)
{
	t->state = THREAD_DEAD;
}

struct arch_regs *schedule(void)
{
	if (current != NULL && current->state == THREAD_RUNNABLE) {
		arch_vspace_activate(&current->vspace);
		return &current->regs;
	}
	/*
	 * The root task is the only thread, and it is gone: nothing can ever
	 * run again, so end the system rather than idle forever.
	 */
	kprintf("mica: the root task has stopped; powering off\n");
	arch_power_off(MICA_EXIT_ROOT_FAULT);
}

void sched_tick(void)
{
	ticks++;
}

uint64_t sched_ticks(void)
{
	return ticks;
}
