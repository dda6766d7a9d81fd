/*
 * A test guest for device passthrough: the VMM maps the machine's PL011
 * into its guest-physical space and passes the UART's interrupt through,
 * so the guest drives the device itself. Each round it enables the
 * transmit interrupt, sends a newline and waits in WFI; its handler clears
 * the interrupt at the UART and deactivates it, which lets the kernel
 * unmask the physical line for the next round. (QEMU 7.2's PL011 raises
 * its raw transmit interrupt on every write to UARTDR until UARTICR
 * clears it.)
 */
#include <stdint.h>

#include "gic.h"
#include "guest.h"

#define UARTDR	    0x000
#define UARTIMSC    0x038
#define UARTICR	    0x044
#define UART_INT_TX (1u << 5)

void guest_main(void);

static volatile unsigned taken, spurious, last_intid;

static void uart_write(unsigned reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(GUEST_UART_IPA + reg) = value;
}

void guest_irq(void)
{
	unsigned intid = gic_ack();

	if (intid == GIC_SPURIOUS) {
		spurious++;
		return;
	}
	if (intid == GUEST_UART_INTID) {
		uart_write(UARTIMSC, 0);
		uart_write(UARTICR, UART_INT_TX);
	}
	last_intid = intid;
	taken++;
	gic_eoi(intid);
}

void guest_main(void)
{
	guest_vectors_install();
	gic_cpu_enable();
	uart_write(UARTICR, UART_INT_TX);
	for (unsigned round = 0; round < GUEST_PASSTHROUGH_ROUNDS; round++) {
		irqs_off();
		uart_write(UARTIMSC, UART_INT_TX);
		uart_write(UARTDR, '\n');
		while (taken == round) {
			wfi();	   /* A pending interrupt ends WFI even while masked... */
			irqs_on(); /* ...and is taken here. */
			irqs_off();
		}
	}
	(void)guest_hvc(GUEST_CALL_PASSTHROUGH, taken, last_intid, spurious, 0);
}
