/*
 * The machine's UART, a PL011, as console servers drive it (see
 * vdev/vdev.h): polled output, input drained from the receive FIFO when
 * its interrupt arrives, the interrupt masked while the input has nowhere
 * to go (vdev/console.h). The register page is device memory mapped at
 * uart_va; every access is a single volatile 32-bit load or store.
 */
#include <vdev/vdev.h>

#include "pl011.h"

static volatile uint32_t *reg(uint64_t uart_va, uint32_t offset)
{
	return (volatile uint32_t *)(uintptr_t)(uart_va + offset);
}

void vdev_uart_putc(uint64_t uart_va, uint8_t ch)
{
	while ((*reg(uart_va, PL011_FR) & PL011_FR_TXFF) != 0)
		;
	*reg(uart_va, PL011_DR) = ch;
}

int vdev_uart_getc(uint64_t uart_va)
{
	if ((*reg(uart_va, PL011_FR) & PL011_FR_RXFE) != 0)
		return -1;
	return (int)(*reg(uart_va, PL011_DR) & 0xffu);
}

void vdev_uart_set_rx_interrupt(uint64_t uart_va, bool on)
{
	uint32_t imsc = *reg(uart_va, PL011_IMSC);

	if (on)
		imsc |= PL011_INT_RX | PL011_INT_RT;
	else
		imsc &= ~(PL011_INT_RX | PL011_INT_RT);
	*reg(uart_va, PL011_IMSC) = imsc;
}
