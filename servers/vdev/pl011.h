/*
 * An Arm PL011 UART register model (PrimeCell UART, ARM DDI 0183, r1p5):
 * what Linux's amba-pl011 driver and its earlycon need. Pure logic: the
 * transmitted characters and the interrupt line leave through the
 * callbacks in struct pl011_ops, and the server feeds received characters
 * in with pl011_rx_push.
 *
 * What is modelled: the data register with a receive FIFO of 32 entries
 * (one when LCR_H.FEN is clear) and its overrun error, RSR/ECR, FR, the
 * baud, line and control registers (stored and read back, no timing), the
 * FIFO trigger levels, the interrupt registers, DMACR (stored; there is no
 * DMA) and the PrimeCell identification registers. What is not: loopback,
 * modem lines (CTS, DSR, DCD, RI read 0 and never interrupt), IrDA, break,
 * parity and framing errors (never happen), DMA.
 *
 * Transmission is instant: a byte written to DR goes to the tx callback at
 * once, whatever CR says (QEMU's PL011 does the same, and early boot code
 * often writes before it enables the UART). So the transmit FIFO is always
 * empty: FR reads TXFE=1, TXFF=0, BUSY=0. See pl011.c for what that means
 * for the transmit interrupt.
 */
#ifndef MICA_VDEV_PL011_H
#define MICA_VDEV_PL011_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/abi/errors.h>

#define PL011_FIFO_DEPTH 32u
#define PL011_MMIO_SIZE	 0x1000u

/* Register offsets (TRM table 3-1). */
#define PL011_DR	0x000u
#define PL011_RSR	0x004u /* Read: RSR; write: ECR. */
#define PL011_FR	0x018u
#define PL011_ILPR	0x020u
#define PL011_IBRD	0x024u
#define PL011_FBRD	0x028u
#define PL011_LCR_H	0x02cu
#define PL011_CR	0x030u
#define PL011_IFLS	0x034u
#define PL011_IMSC	0x038u
#define PL011_RIS	0x03cu
#define PL011_MIS	0x040u
#define PL011_ICR	0x044u
#define PL011_DMACR	0x048u
#define PL011_PERIPHID0 0xfe0u /* PeriphID0..3, then PCellID0..3 at 0xff0. */

/* DR read: error bits above the data byte; RSR holds the same four at 0..3. */
#define PL011_DR_FE  (1u << 8)
#define PL011_DR_PE  (1u << 9)
#define PL011_DR_BE  (1u << 10)
#define PL011_DR_OE  (1u << 11)
#define PL011_RSR_OE (1u << 3)

/* FR bits. */
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)

#define PL011_LCR_H_FEN (1u << 4) /* FIFOs enabled. */

#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_TXE	(1u << 8)
#define PL011_CR_RXE	(1u << 9)

/* Interrupt bits of IMSC, RIS, MIS and ICR. */
#define PL011_INT_RX  (1u << 4)
#define PL011_INT_TX  (1u << 5)
#define PL011_INT_RT  (1u << 6)
#define PL011_INT_FE  (1u << 7)
#define PL011_INT_PE  (1u << 8)
#define PL011_INT_BE  (1u << 9)
#define PL011_INT_OE  (1u << 10)
#define PL011_INT_ALL 0x7ffu

/* Reset values (TRM 3.3). */
#define PL011_CR_RESET	 (PL011_CR_TXE | PL011_CR_RXE)
#define PL011_IFLS_RESET 0x12u /* Both FIFOs interrupt at half full. */

/*
 * Where the model's output goes. tx receives each transmitted byte; irq
 * the interrupt line's new level, called only when it changes.
 */
struct pl011_ops {
	void (*tx)(void *ctx, uint8_t ch);
	void (*irq)(void *ctx, bool level);
	void *ctx;
};

struct pl011 {
	struct pl011_ops ops;
	uint16_t rx_fifo[PL011_FIFO_DEPTH]; /* Data byte and DR's error bits. */
	unsigned rx_head;		    /* Oldest entry. */
	unsigned rx_count;
	uint32_t rsr; /* Error status (only OE ever sets). */
	uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, dmacr;
	uint32_t ris_latched;	 /* Error interrupts, set until ICR clears them. */
	bool line;		 /* The level last reported through ops.irq. */
	uint64_t rx_overruns;	 /* Characters lost because the FIFO was full. */
	uint64_t ignored_writes; /* Writes to read-only or absent registers. */
	uint64_t unknown_reads;	 /* Reads of absent registers (read as zero). */
};

/* Set u to its reset state, with the line low (not reported). */
void pl011_init(struct pl011 *u, const struct pl011_ops *ops);

/*
 * A restarted server takes over u from the state its last instance left
 * (u lives in the device's recoverable state): the registers and the
 * receive FIFO are kept, ops is attached again, and the line is reported
 * as the registers make it, whatever was reported before. Transmitted
 * bytes are not kept: each went out as it was written.
 */
void pl011_resume(struct pl011 *u, const struct pl011_ops *ops);

/*
 * A guest load of size bytes (1, 2 or 4) at offset in the 4 KiB frame.
 * Narrow accesses read the addressed part of the 32-bit register. Errors:
 * MICA_ERR_RANGE past the frame, MICA_ERR_INVALID_ARGUMENT for another
 * width, MICA_ERR_ALIGNMENT if offset is not size-aligned; nothing changes
 * on error.
 */
enum mica_error pl011_read(struct pl011 *u, uint64_t offset, unsigned size, uint64_t *value)
	__attribute__((warn_unused_result));

/*
 * A guest store, errors as for pl011_read. A narrow store to a register
 * that holds state replaces only the bytes it covers.
 */
enum mica_error pl011_write(struct pl011 *u, uint64_t offset, unsigned size, uint64_t value)
	__attribute__((warn_unused_result));

/*
 * A character arrives on the line. When the FIFO is full it is lost, and
 * the overrun is flagged (RSR.OE, the OE interrupt, OE on the newest
 * entry's DR read); returns false then.
 */
bool pl011_rx_push(struct pl011 *u, uint8_t ch);

/* How many more characters the receive FIFO takes now. */
unsigned pl011_rx_space(const struct pl011 *u);

/* The raw interrupt status, as RIS reads. */
uint32_t pl011_ris(const struct pl011 *u);

#endif
