/*
 * Fault messages: what a thread's fault handler receives on its fault
 * endpoint when the thread faults. The badge is the fault endpoint
 * capability's badge (mint one per thread to tell them apart).
 *
 * The handler answers through the reply object it received with: label
 * MICA_FAULT_RESUME (0) to restart the thread (after fixing what it must,
 * e.g. mapping a page, or changing registers with TCB WriteRegisters), or
 * any other label to leave it stopped.
 */
#ifndef MICA_ABI_FAULT_H
#define MICA_ABI_FAULT_H

enum mica_fault_label {
	MICA_FAULT_RESUME = 0,
	/*
	 * A host (EL0) page fault: MR0 = PC, MR1 = faulting address,
	 * MR2 = MICA_FAULT_VM_* flags, MR3 = the raw syndrome (ESR on AArch64).
	 */
	MICA_FAULT_VM = 1,
	/* An unknown system call: MR0 = PC, MR1 = SP, MR2 = the number, MR3 = 0. */
	MICA_FAULT_UNKNOWN_SYSCALL = 2,
	/* Any other exception: MR0 = PC, MR1 = SP, MR2 = the syndrome, MR3 = FAR. */
	MICA_FAULT_USER_EXCEPTION = 3,
};

/* MR2 of a MICA_FAULT_VM message. */
#define MICA_FAULT_VM_FETCH 1u /* An instruction fetch (else a data access). */
#define MICA_FAULT_VM_WRITE 2u /* A write (data accesses only). */

#endif
