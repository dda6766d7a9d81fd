/*
 * Power-off. Semihosting (Arm "Semihosting for AArch32 and AArch64",
 * SYS_EXIT 0x18 with ADP_Stopped_ApplicationExit and a subcode) lets QEMU
 * exit with the status; PSCI SYSTEM_OFF (PSCI spec DEN0022, function
 * 0x84000008) powers off real machines and QEMU without semihosting.
 * Without -semihosting the HLT is undefined: the exception vectors then
 * skip it, returning -1.
 */
#include "arch/power.h"

#define SEMIHOSTING_SYS_EXIT	     0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define PSCI_SYSTEM_OFF		     0x84000008u

static long semihosting_exit(int status)
{
	/* The parameter block must be in memory: x1 points at it. */
	uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(status & 0xff)};
	register uint64_t x0 __asm__("x0") = SEMIHOSTING_SYS_EXIT;
	register uint64_t x1 __asm__("x1") = (uintptr_t)block;

	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return (long)x0;
}

static void psci_system_off(enum psci_conduit conduit)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;

	switch (conduit) {
	case PSCI_CONDUIT_SMC:
		__asm__ volatile("smc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
		break;
	case PSCI_CONDUIT_HVC:
		__asm__ volatile("hvc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
		break;
	case PSCI_CONDUIT_NONE:
		break;
	}
}

void power_off(int status, enum psci_conduit conduit)
{
	(void)semihosting_exit(status);
	psci_system_off(conduit);
	for (;;)
		__asm__ volatile("wfi");
}
