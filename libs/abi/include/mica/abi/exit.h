/*
 * Guest exits: what a vCPU thread's fault endpoint (its VMM) receives when
 * the guest does something the kernel does not handle itself, sent as if
 * the vCPU thread had called. The VMM answers through the reply object:
 * label 0 resumes the guest, and a reply of n words first writes them to
 * the guest's x0..x(n-1) (a hypercall's results); any other label leaves
 * the vCPU stopped.
 */
#ifndef MICA_ABI_EXIT_H
#define MICA_ABI_EXIT_H

enum mica_exit_label {
	/*
	 * HVC or SMC: MR0..MR7 = the guest's x0..x7 (MR4..7 in the IPC
	 * buffer). The guest resumes after the instruction.
	 */
	MICA_EXIT_HYPERCALL = 16,
	/*
	 * Anything else the kernel does not handle: MR0 = the raw syndrome
	 * (ESR_EL2), MR1 = FAR, MR2 = the faulting IPA's page (HPFAR_EL2
	 * shifted to an address), MR3 = the guest PC.
	 */
	MICA_EXIT_FAULT = 17,
	/* Reserved for port I/O on architectures that have it. */
	MICA_EXIT_PORT_IO = 18,
};

#define MICA_EXIT_HYPERCALL_WORDS 8

#endif
