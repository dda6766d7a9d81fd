/*
 * What a guest learns of the CPU, and what its trapped system-register
 * accesses do. A trapped read of an ID register (HCR_EL2.TID3) gets the
 * CPU's own value, which the exit brings, filtered: features whose state
 * the kernel does not switch between vCPUs are hidden, so that a guest
 * never turns them on: SVE and SME (their registers), MTE (tags), the
 * activity monitors, RAS error records, statistical profiling, the trace
 * buffer, MPAM, and the PMU. Every other trapped access is classified by
 * idregs_classify (docs/guests.md has the table).
 */
#ifndef MICA_VMM_IDREGS_H
#define MICA_VMM_IDREGS_H

#include <stdbool.h>
#include <stdint.h>

/* What the VMM does with a trapped MSR or MRS. */
enum sysreg_action {
	SYSREG_ID,	  /* An ID register read: idregs_guest_value. */
	SYSREG_SGI,	  /* An ICC_SGI1R_EL1 write: the GIC model sends the SGI. */
	SYSREG_DEBUG,	  /* A debug register (op0 2): vdebug.h. */
	SYSREG_IGNORE,	  /* Nothing happens; a read is zero (see idregs.c for which, and why). */
	SYSREG_UNDEFINED, /* An undefined-instruction exception, as on a CPU without it. */
};

/* The action for an access to the register enc (MICA_SYSREG()), a write if is_write. */
enum sysreg_action idregs_classify(uint64_t enc, bool is_write);

/* The value the guest reads for the ID register enc (MICA_SYSREG()), which the CPU has as hw. */
uint64_t idregs_guest_value(uint64_t enc, uint64_t hw);

/* Is enc an ID register that HCR_EL2.TID3 traps (op0 3, op1 0, CRn 0, CRm 1..7)? */
int idregs_is_id_space(uint64_t enc);

/*
 * Is enc a performance-monitors register (Arm ARM D13, the PM* registers
 * of op0 3 in CRn 9 and 14)? The kernel traps them all (MDCR_EL2.TPM) and
 * guests have no PMU (ID_AA64DFR0_EL1.PMUVer reads 0): an access is an
 * undefined instruction, as on a CPU without one.
 */
int idregs_is_pmu(uint64_t enc);

#endif
