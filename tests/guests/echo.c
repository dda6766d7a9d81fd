/*
 * The echo guest (qemu.console-focus): a bare-metal VM beside Linux, with
 * a PL011 of its own served by the same PL011 server, so that the machine's
 * console input reaches it only while it has the focus. It says it is up,
 * then answers each line typed to it with "echo: got LINE", and powers the
 * VM off (PSCI SYSTEM_OFF) on "quit". On "ask" it asks the terminal where
 * its cursor is (ESC [ 6 n) and reports the answer (ESC [ ROW ; COL R)
 * when it comes, as "echo: terminal answered ROW;COL", whether or not it
 * has the focus then.
 *
 * Input arrives by the UART's receive interrupt, an SPI that goes through
 * the VMM's emulated distributor; meanwhile the guest's virtual timer ticks
 * at 100 Hz. Both reach its own vectors while it waits in WFI. Every answer
 * says how many ticks it has taken and in how much time: a count that keeps
 * up with the time shows the guest ran all along, beside the other VM.
 */
#include <stdbool.h>
#include <stdint.h>

#include "gic.h"
#include "guest.h"

/* The description's serial@9000000 (tests/qemu/systems/linux-echo.dts). */
#define UART_BASE  0x09000000ull
#define UART_INTID 33u

#define UARTDR	    0x000u
#define UARTFR	    0x018u
#define UARTLCR_H   0x02cu
#define UARTCR	    0x030u
#define UARTIFLS    0x034u
#define UARTIMSC    0x038u
#define FR_RXFE	    (1u << 4)
#define FR_TXFF	    (1u << 5)
#define LCR_H_FEN   (1u << 4)
#define LCR_H_8BITS (3u << 5)
#define CR_UARTEN   (1u << 0)
#define CR_TXE	    (1u << 8)
#define CR_RXE	    (1u << 9)
#define INT_RX	    (1u << 4)
#define INT_RT	    (1u << 6)

/* The distributor and vCPU 0's redistributor, where QEMU virt has them. */
#define GICD_BASE	    0x08000000ull
#define GICD_CTLR	    0x0000u
#define GICD_IGROUPR	    0x0080u
#define GICD_ISENABLER	    0x0100u
#define GICD_IPRIORITYR	    0x0400u
#define GICD_IROUTER	    0x6000u
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ARE	    (1u << 4)
#define GICR_BASE	    0x080a0000ull
#define GICR_WAKER	    0x0014u
#define WAKER_SLEEP	    (1u << 1)
#define WAKER_ASLEEP	    (1u << 2)

#define PSCI_SYSTEM_OFF 0x84000008u

#define TICK_HZ	   100u
#define RX_SIZE	   64u /* A power of two: the indices wrap. */
#define LINE_SIZE  64u
#define UART_PRIO  0xa0u
#define QUIT_LINE  "quit"
#define ASK_LINE   "ask"
#define ESC	   '\x1b'
#define MAX_DIGITS 20u

void guest_main(void);

static uint64_t tick_period;
static volatile unsigned ticks;
/* Characters from the UART's handler (it moves rx_head) to guest_main (rx_tail). */
static volatile uint8_t rx_buf[RX_SIZE];
static volatile unsigned rx_head, rx_tail;

static uint32_t reg_read(uint64_t base, unsigned reg)
{
	return *(volatile uint32_t *)(uintptr_t)(base + reg);
}

static void reg_write(uint64_t base, unsigned reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(base + reg) = value;
}

static void uart_putc(char c)
{
	while (reg_read(UART_BASE, UARTFR) & FR_TXFF)
		;
	reg_write(UART_BASE, UARTDR, (uint8_t)c);
}

static void uart_puts(const char *s)
{
	while (*s != '\0')
		uart_putc(*s++);
}

static void put_unsigned(uint64_t v)
{
	char digits[MAX_DIGITS];
	unsigned n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		uart_putc(digits[--n]);
}

/* "N ticks in S.HH s": what the timer delivered since start, and the time. */
static void put_ticks(uint64_t start)
{
	uint64_t centis = (guest_ticks() - start) * 100 / guest_tick_hz();

	put_unsigned(ticks);
	uart_puts(" ticks in ");
	put_unsigned(centis / 100);
	uart_putc('.');
	uart_putc((char)('0' + centis / 10 % 10));
	uart_putc((char)('0' + centis % 10));
	uart_puts(" s");
}

void guest_irq(void)
{
	unsigned intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	if (intid == VTIMER_INTID) {
		vtimer_arm(tick_period); /* A deadline ahead lowers the line. */
		ticks++;
	} else if (intid == UART_INTID) {
		/* Drained to empty, the UART lowers its line (RXRIS and RTRIS). */
		while (!(reg_read(UART_BASE, UARTFR) & FR_RXFE)) {
			uint8_t ch = (uint8_t)reg_read(UART_BASE, UARTDR);

			if (rx_head - rx_tail < RX_SIZE) {
				rx_buf[rx_head % RX_SIZE] = ch;
				rx_head++;
			}
		}
	}
	gic_eoi(intid);
}

/* SPI intid: Group 1, enabled, to vCPU 0; and Group 1 on at the distributor. */
static void gic_enable_spi(unsigned intid)
{
	volatile uint8_t *prio = (volatile uint8_t *)(uintptr_t)(GICD_BASE + GICD_IPRIORITYR);
	volatile uint64_t *route = (volatile uint64_t *)(uintptr_t)(GICD_BASE + GICD_IROUTER);
	unsigned word = intid / 32 * 4, bit = intid % 32;

	reg_write(GICR_BASE, GICR_WAKER, reg_read(GICR_BASE, GICR_WAKER) & ~WAKER_SLEEP);
	while (reg_read(GICR_BASE, GICR_WAKER) & WAKER_ASLEEP)
		;
	reg_write(GICD_BASE, GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	reg_write(GICD_BASE, GICD_IGROUPR + word,
		  reg_read(GICD_BASE, GICD_IGROUPR + word) | (1u << bit));
	prio[intid] = UART_PRIO;
	route[intid] = 0; /* Affinity 0.0.0.0: this vCPU. */
	reg_write(GICD_BASE, GICD_ISENABLER + word, 1u << bit);
}

static bool str_equal(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

void guest_main(void)
{
	uint64_t start = guest_ticks();
	char line[LINE_SIZE + 1], answer[LINE_SIZE + 1];
	unsigned len = 0, answer_len = 0;
	bool is_in_answer = false;

	tick_period = guest_tick_hz() / TICK_HZ;
	guest_vectors_install();
	gic_cpu_enable();
	gic_enable_spi(UART_INTID);
	reg_write(UART_BASE, UARTLCR_H, LCR_H_FEN | LCR_H_8BITS);
	reg_write(UART_BASE, UARTIFLS, 0); /* Interrupt at 1/8 full, or by timeout. */
	reg_write(UART_BASE, UARTIMSC, INT_RX | INT_RT);
	reg_write(UART_BASE, UARTCR, CR_UARTEN | CR_TXE | CR_RXE);
	vtimer_arm(tick_period);
	uart_puts("echo: up; answering lines, \"" QUIT_LINE "\" powers off\r\n");

	irqs_off();
	for (;;) {
		char ch;

		while (rx_tail == rx_head) {
			wfi();	   /* A pending interrupt ends WFI even while masked... */
			irqs_on(); /* ...and is taken here. */
			irqs_off();
		}
		ch = (char)rx_buf[rx_tail % RX_SIZE];
		rx_tail++;
		/* ESC [ ... R: the terminal's answer; the parameters are kept. */
		if (ch == ESC) {
			is_in_answer = true;
			answer_len = 0;
			continue;
		}
		if (is_in_answer) {
			if (ch == 'R') {
				answer[answer_len] = '\0';
				uart_puts("echo: terminal answered ");
				uart_puts(answer);
				uart_puts("\r\n");
				is_in_answer = false;
			} else if (ch != '[' && answer_len < LINE_SIZE) {
				answer[answer_len++] = ch;
			}
			continue;
		}
		if (ch != '\r' && ch != '\n') {
			if (len < LINE_SIZE)
				line[len++] = ch;
			continue;
		}
		if (len == 0)
			continue; /* The \n of a \r\n, or an empty line. */
		line[len] = '\0';
		len = 0;
		if (str_equal(line, QUIT_LINE))
			break;
		if (str_equal(line, ASK_LINE)) {
			uart_puts("echo: asking where the cursor is\x1b[6n\r\n");
			continue;
		}
		uart_puts("echo: got ");
		uart_puts(line);
		uart_puts(" after ");
		put_ticks(start);
		uart_puts("\r\n");
	}
	uart_puts("echo: quit after ");
	put_ticks(start);
	uart_puts("; powering off\r\n");
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		wfi(); /* SYSTEM_OFF does not return. */
}
