/*
 * Guest exits: what a vCPU thread's fault endpoint (its VMM), or the device
 * server bound to an MMIO range, receives when the guest does something the
 * kernel does not handle itself, sent as if the vCPU thread had called. The
 * badge is that of the capability the message went through (the fault
 * endpoint, or the endpoint bound with MICA_VM_BIND_MMIO).
 *
 * The receiver answers through the reply object: label 0 (MICA_EXIT_RESUME)
 * completes the exit and resumes the guest, with the answer's words as each
 * kind says below. Any other label from the VMM leaves the vCPU stopped;
 * from a bound device server, it hands the same exit on to the VMM.
 */
#ifndef MICA_ABI_EXIT_H
#define MICA_ABI_EXIT_H

enum mica_exit_label {
	MICA_EXIT_RESUME = 0,
	/*
	 * HVC or SMC: MR0..MR7 = the guest's x0..x7 (MR4..7 in the IPC
	 * buffer). The guest resumes after the instruction; an answer of n
	 * words (at most 4) is written to its x0..x(n-1) first.
	 */
	MICA_EXIT_HYPERCALL = 16,
	/*
	 * Anything else the kernel does not handle: MR0 = the raw syndrome
	 * (ESR_EL2), MR1 = FAR, MR2 = the faulting IPA's page (HPFAR_EL2
	 * shifted to an address), MR3 = the guest PC. Resuming retries the
	 * instruction (after the VMM has changed what it must).
	 */
	MICA_EXIT_FAULT = 17,
	/* Reserved for port I/O on architectures that have it. */
	MICA_EXIT_PORT_IO = 18,
	/*
	 * A load or store to guest-physical memory that is not RAM, with a
	 * syndrome the kernel could decode: MR0 = the guest-physical address,
	 * MR1 = the access (MICA_MMIO_* below), MR2 = the value stored (a
	 * write; zero-extended from the access width), MR3 = the guest PC.
	 * Answer (label 0): a read's value in MR0, which the kernel truncates
	 * to the access width, sign-extends if the access asks for it, and
	 * writes to the destination register; the guest continues after the
	 * instruction.
	 */
	MICA_EXIT_MMIO = 19,
	/*
	 * A trapped MSR or MRS: MR0 = the register, MICA_SYSREG(op0, op1, CRn,
	 * CRm, op2); MR1 = MICA_SYSREG_WRITE for an MSR, and the general
	 * register number (bits 12..8, 31 for XZR); MR2 = the value written,
	 * or for a read of an ID register (op0 3, op1 0, CRn 0, CRm 1..7) the
	 * CPU's own value, for the VMM to filter; MR3 = the guest PC. Answer (label 0): a read's
	 * value in MR0; the guest continues after the instruction. A VMM that cannot emulate the
	 * register answers with MICA_VCPU_INJECT_UNDEF first.
	 */
	MICA_EXIT_SYSREG = 20,
	/*
	 * The guest deactivated a virtual interrupt that was injected with
	 * MICA_VIRQ_NOTIFY_EOI: MR0 = its INTID. Answer label 0 to resume.
	 */
	MICA_EXIT_VIRQ_EOI = 21,
};

#define MICA_EXIT_HYPERCALL_WORDS   8
#define MICA_EXIT_HYPERCALL_RESULTS 4

/* MR1 of a MICA_EXIT_MMIO message. */
#define MICA_MMIO_SIZE_MASK   3u	/* log2 of the access width in bytes. */
#define MICA_MMIO_WRITE	      (1u << 2) /* A store (else a load). */
#define MICA_MMIO_SIGN_EXTEND (1u << 3) /* A load that sign-extends (LDRSB, LDRSH, LDRSW). */
#define MICA_MMIO_REG64	      (1u << 4) /* The register is 64-bit (Xn, else Wn). */
#define MICA_MMIO_REG_SHIFT   8		/* The general register, 31 for XZR. */
#define MICA_MMIO_REG_MASK    31u

static inline unsigned mica_mmio_size(unsigned long access)
{
	return 1u << (access & MICA_MMIO_SIZE_MASK);
}

static inline unsigned mica_mmio_reg(unsigned long access)
{
	return (unsigned)(access >> MICA_MMIO_REG_SHIFT) & MICA_MMIO_REG_MASK;
}

/* MR1 of a MICA_EXIT_SYSREG message (the register as for MMIO). */
#define MICA_SYSREG_WRITE 1u

/* A system register's encoding, as MR0 of MICA_EXIT_SYSREG gives it. */
#define MICA_SYSREG(op0, op1, crn, crm, op2)                                                       \
	(((unsigned long)(op0) << 14) | ((unsigned long)(op1) << 11) |                             \
	 ((unsigned long)(crn) << 7) | ((unsigned long)(crm) << 3) | (unsigned long)(op2))

#endif
