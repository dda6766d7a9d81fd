/*
 * Threads and the scheduler. For now the kernel runs one user thread, the
 * root task, on the boot CPU; the full TCB object and per-CPU run queues
 * come with capabilities.
 */
#ifndef MICA_THREAD_H
#define MICA_THREAD_H

#include "arch.h"

#define THREAD_NAME_MAX 16

enum thread_state {
	THREAD_INACTIVE = 0, /* Created, not started. */
	THREAD_RUNNABLE,     /* May run. */
	THREAD_DEAD,	     /* Stopped for good (an unhandled fault). */
};

struct thread {
	struct arch_regs regs;
	struct arch_vspace vspace;
	enum thread_state state;
	char name[THREAD_NAME_MAX];
};

/* The thread the boot CPU runs, or NULL. */
struct thread *thread_current(void);

/* Make t runnable; it becomes the current thread. */
void thread_start(struct thread *t);

/* t took a fault nobody handles: stop it for good. */
void thread_fault(struct thread *t);

/*
 * Choose what runs next and return its context for arch_return_to_user.
 * With no thread left, the system has ended: power off.
 */
struct arch_regs *schedule(void);

/* The periodic timer interrupt. */
void sched_tick(void);
uint64_t sched_ticks(void);

/* Handle the system call the thread just made. */
void syscall_dispatch(struct thread *t);

#endif
