/*
 * Polled PL011 output (PrimeCell UART PL011 TRM, DDI 0183: UARTDR at 0x000,
 * UARTFR at 0x018 with TXFF, "transmit FIFO full", in bit 5). Safe to call
 * with the MMU off: it touches nothing but the registers it is given.
 */
#include "drivers/pl011.h"

#define UARTDR	    0x000
#define UARTFR	    0x018
#define UARTFR_TXFF (1u << 5)

static void pl011_putc(volatile uint8_t *regs, char c)
{
	volatile uint32_t *fr = (volatile uint32_t *)(regs + UARTFR);
	volatile uint32_t *dr = (volatile uint32_t *)(regs + UARTDR);

	while (*fr & UARTFR_TXFF)
		;
	*dr = (uint8_t)c;
}

void pl011_write(volatile void *base, const char *s, size_t len)
{
	volatile uint8_t *regs = base;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			pl011_putc(regs, '\r');
		pl011_putc(regs, s[i]);
	}
}

void pl011_puts(volatile void *base, const char *s)
{
	size_t len = 0;

	while (s[len] != '\0')
		len++;
	pl011_write(base, s, len);
}
