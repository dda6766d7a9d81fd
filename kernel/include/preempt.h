/*
 * Preemption points. The kernel runs with interrupts masked, so a long
 * operation (clearing memory, deleting many capabilities) stops at a point
 * where everything it did so far stands on its own, if an interrupt is
 * waiting: it returns ERR_PREEMPTED, the system call is restarted
 * (arch_regs_restart_syscall), the interrupt is taken on the way back to
 * the thread, and the call, made again, goes on from where it stopped
 * (seL4's preemption points, in Mica's own form).
 */
#ifndef MICA_PREEMPT_H
#define MICA_PREEMPT_H

#include "arch.h"
#include "debug.h"

/*
 * Never returned to a thread: the kernel restarts the call instead. It
 * lies outside enum mica_error's values on purpose.
 */
#define ERR_PREEMPTED ((enum mica_error)0x100)

/* Is an interrupt waiting, so the operation in progress should stop at this point? */
static inline bool preempt_pending(void)
{
	debug_stretch_point();
	return arch_irq_pending();
}

#endif
