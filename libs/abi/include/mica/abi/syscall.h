/*
 * The system-call interface between EL0 programs and the kernel.
 *
 * Calling convention (AArch64): "svc #0" with the system-call number in x7
 * and arguments in x0..x6. DEBUG_WRITE and SYSTEM_OFF return an enum
 * mica_error in x0 and a value in x1; the IPC calls return as described
 * below. Every other register is preserved: the kernel saves and restores
 * the caller's whole context.
 *
 * An unknown number becomes a fault message to the thread's fault
 * endpoint (<mica/abi/fault.h>); a thread without one gets
 * MICA_ERR_UNKNOWN_SYSCALL in x0.
 */
#ifndef MICA_ABI_SYSCALL_H
#define MICA_ABI_SYSCALL_H

enum mica_syscall {
	/*
	 * Write x1 bytes at user address x0 to the kernel's debug console.
	 * Returns MICA_ERR_BAD_ADDRESS, writing nothing, if any byte of the
	 * buffer is not mapped readable for the caller; MICA_ERR_RANGE if
	 * x1 exceeds MICA_DEBUG_WRITE_MAX. x1 returns the bytes written.
	 */
	MICA_SYS_DEBUG_WRITE = 1,
	/*
	 * End the whole system: power the machine off, handing x0 (0..255) to
	 * whoever started it as the exit status where the platform can carry
	 * one. Only the root task may (others get MICA_ERR_NO_RIGHTS). Does not
	 * return.
	 */
	MICA_SYS_SYSTEM_OFF = 2,
	/*
	 * IPC (<mica/abi/ipc.h>). In: x0 capability address, x1 message info,
	 * x2..x5 message registers, x6 a reply object's address (Recv and
	 * ReplyRecv). Out: x0 badge, x1 message info, x2..x5 message
	 * registers, x6 an enum mica_error (MICA_OK: a message arrived).
	 *
	 * SEND and NBSEND on an endpoint (needs write), a notification
	 * (signal; needs write) or a reply object (answer its caller). CALL on an endpoint (needs
	 * write and grant-reply) waits for the reply; CALL on any other object but a reply object
	 * (which it answers, as SEND) is an invocation
	 * (<mica/abi/invocation.h>). RECV and NBRECV on an endpoint (needs read) or a notification
	 * (wait or poll; needs read). REPLY_RECV replies through the reply object, then receives.
	 */
	MICA_SYS_SEND = 3,
	MICA_SYS_NBSEND = 4,
	MICA_SYS_CALL = 5,
	MICA_SYS_RECV = 6,
	MICA_SYS_NBRECV = 7,
	MICA_SYS_REPLY_RECV = 8,
	/* Give up the rest of the time slice. */
	MICA_SYS_YIELD = 9,
	/*
	 * Check the kernel's invariants (run queues, and the derivation tree of
	 * every capability reachable from the CNode at x0, through at most
	 * MICA_DEBUG_CHECK_DEPTH levels of CNodes), printing each broken one.
	 * x0 = error, x1 = the number of broken invariants. Only the test
	 * kernel has it (a test build, MICA_CONFIG_DEBUG); to every other it
	 * is an unknown system call.
	 */
	MICA_SYS_DEBUG_CHECK = 10,
	/*
	 * x1 = the longest stretch the kernel ran with interrupts masked since
	 * the last such call (from an entry, or leaving idle, to the next point
	 * where a waiting interrupt is taken: a return to a thread, a
	 * preemption point, idling), in cycle-counter counts: executed
	 * instructions under QEMU's -icount; x2 = how many system calls were
	 * preempted (and made again) meanwhile. Test kernel only, like
	 * DEBUG_CHECK.
	 */
	MICA_SYS_DEBUG_STRETCH = 11,
};

#define MICA_DEBUG_CHECK_DEPTH 4

/* The largest buffer one MICA_SYS_DEBUG_WRITE accepts. */
#define MICA_DEBUG_WRITE_MAX 4096

#endif
