/*
 * The stats guest (qemu.vmm-stats): a known number of each kind of exit,
 * so that the exit statistics its VMM prints when the VM ends can be
 * checked exactly. With its MMU off and nothing else running, it makes
 *
 *   10 hypercalls no one serves (an SMCCC vendor call: NOT_SUPPORTED),
 *   20 reads of its PL011's flag register (MMIO to the PL011 server),
 *    6 reads of the distributor's GICD_TYPER (MMIO to the VMM's model),
 *    7 reads of MDSCR_EL1 (a trapped debug register, the VMM's model),
 *
 * and then PSCI SYSTEM_OFF: 11 hypercalls in all.
 */
#include <stdint.h>

#include "guest.h"

#define UART_FR		 0x09000018ull
#define GICD_TYPER	 0x08000004ull
#define SMCCC_VENDOR_HYP 0xc6000000u
#define PSCI_SYSTEM_OFF	 0x84000008u

void guest_main(void);

static uint32_t mmio_read(uint64_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

void guest_main(void)
{
	for (unsigned i = 0; i < 10; i++)
		(void)guest_hvc(SMCCC_VENDOR_HYP, 0, 0, 0, 0);
	for (unsigned i = 0; i < 20; i++)
		(void)mmio_read(UART_FR);
	for (unsigned i = 0; i < 6; i++)
		(void)mmio_read(GICD_TYPER);
	for (unsigned i = 0; i < 7; i++) {
		uint64_t v;

		__asm__ volatile("mrs %0, mdscr_el1" : "=r"(v));
	}
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}
