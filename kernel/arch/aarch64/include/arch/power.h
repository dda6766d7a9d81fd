/*
 * Powering the machine off, with an exit status where the platform can
 * carry one.
 */
#ifndef MICA_ARCH_POWER_H
#define MICA_ARCH_POWER_H

#include "platform.h"
#include <mica/abi/status.h>

/*
 * First try the semihosting exit call (QEMU started with -semihosting exits
 * with status), then PSCI SYSTEM_OFF through conduit. Safe with the MMU
 * off. Never returns.
 */
NORETURN void power_off(int status, enum psci_conduit conduit);

/* The HLT instruction semihosting uses; exception.c skips it if it traps. */
#define SEMIHOSTING_HLT_INSN 0xd45e0000u

#endif
