/*
 * What a guest learns of the CPU: the VMM's answer to a trapped read of an
 * ID register (HCR_EL2.TID3), given the CPU's own value that the exit
 * brings. Features whose state the kernel does not switch between vCPUs
 * are hidden, so that a guest never turns them on: SVE and SME (their
 * registers), MTE (tags), the activity monitors, RAS error records,
 * statistical profiling, the trace buffer, MPAM, and the PMU.
 */
#ifndef MICA_VMM_IDREGS_H
#define MICA_VMM_IDREGS_H

#include <stdint.h>

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
