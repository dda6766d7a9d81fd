/*
 * The system-call interface between EL0 programs and the kernel.
 *
 * Calling convention (AArch64): "svc #0" with the system-call number in x7
 * and arguments in x0..x6. The kernel returns an enum mica_error in x0 and
 * a result value, where there is one, in x1. Every other register is
 * preserved: the kernel saves and restores the caller's whole context.
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
	 * one. Does not return.
	 */
	MICA_SYS_SYSTEM_OFF = 2,
};

/* The largest buffer one MICA_SYS_DEBUG_WRITE accepts. */
#define MICA_DEBUG_WRITE_MAX 4096

#endif
