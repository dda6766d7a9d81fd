/*
 * The PL011 register model (see pl011.h).
 *
 * Interrupts (TRM 2.8). RIS is computed from the FIFOs, except for the
 * error interrupts, which latch until ICR clears them:
 *
 *   - RXRIS: with the FIFO enabled, the receive FIFO holds at least the
 *     IFLS.RXIFLSEL level (4, 8, 16, 24 or 28 of 32 entries); with it
 *     disabled, any character. It falls when reads take the FIFO below
 *     that level, as the TRM says.
 *   - RTRIS: the receive timeout. Hardware raises it when data has sat in
 *     the FIFO for 32 bit periods with nothing new arriving. Input reaches
 *     the model in bursts far apart on the line's time scale, so the model
 *     raises it whenever the FIFO holds data; it falls when the FIFO
 *     empties. This is what lets a driver (Linux's) see fewer characters
 *     than the trigger level.
 *   - TXRIS: the TRM asserts it while the transmit FIFO is at or below its
 *     trigger level, and clears it by filling the FIFO above the level or
 *     by ICR; hardware then raises it again when the FIFO drains through
 *     the level. Here every byte leaves as it is written, so the FIFO is
 *     always empty and "drains through the level" happens after every
 *     write: the limit of that behaviour is a level that is always high.
 *     TXRIS therefore reads 1 whenever the transmitter is enabled (CR's
 *     UARTEN and TXE), and ICR's TXIC has no lasting effect. A driver that
 *     writes in its interrupt handler and relies on the interrupt coming
 *     back (Linux writes up to half a FIFO per pass and loops while MIS
 *     shows TXMIS) keeps getting it until it has nothing more to send and
 *     masks TXIM; a driver that unmasks TXIM with nothing to send would be
 *     interrupted at once and again, as it would by an idle real PL011
 *     whose trigger edge it had not yet cleared.
 *   - RXRIS and RTRIS likewise follow the FIFO: ICR's RXIC and RTIC do not
 *     hold them down while data remains (Linux's handler never writes
 *     them; it reads the FIFO empty).
 *   - OERIS: set when a character is lost to a full FIFO; ICR clears it.
 *
 * The line is (RIS & IMSC) != 0, reported when it changes after any
 * access or received character.
 *
 * The receiver's enable bits are not modelled either: input is queued
 * whether or not the guest has enabled the receiver, so nothing typed
 * before the driver starts is lost.
 */
#include "pl011.h"

#include <stddef.h>
#include <string.h>

#define IBRD_MASK  0xffffu
#define FBRD_MASK  0x3fu
#define LCR_H_MASK 0xffu
#define CR_MASK	   0xff87u /* Bits 6..3 are reserved. */
#define IFLS_MASK  0x3fu
#define ILPR_MASK  0xffu
#define DMACR_MASK 0x7u

#define IFLS_RX_SHIFT 3
#define IFLS_SEL_MASK 7u

#define DR_DATA_MASK 0xffu

/*
 * PeriphID0..3 (part 0x011, designer 0x41 ARM, revision 1: 0x00141011, which
 * Linux matches as 0x00041011 under its mask 0x000fffff) and PCellID0..3
 * (0xb105f00d).
 */
static const uint8_t id_bytes[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static unsigned fifo_depth(const struct pl011 *u)
{
	return (u->lcr_h & PL011_LCR_H_FEN) != 0 ? PL011_FIFO_DEPTH : 1u;
}

/* The receive trigger level in entries (TRM 3.3.13: 1/8 .. 7/8 of 32). */
static unsigned rx_trigger(const struct pl011 *u)
{
	static const unsigned levels[] = {4, 8, 16, 24, 28};
	unsigned sel = (u->ifls >> IFLS_RX_SHIFT) & IFLS_SEL_MASK;

	if ((u->lcr_h & PL011_LCR_H_FEN) == 0)
		return 1;
	/* Reserved encodings (5..7): treat as the highest level. */
	return levels[sel < 5 ? sel : 4];
}

uint32_t pl011_ris(const struct pl011 *u)
{
	uint32_t ris = u->ris_latched;
	uint32_t tx_on = PL011_CR_UARTEN | PL011_CR_TXE;

	if (u->rx_count >= rx_trigger(u))
		ris |= PL011_INT_RX;
	if (u->rx_count > 0)
		ris |= PL011_INT_RT;
	if ((u->cr & tx_on) == tx_on)
		ris |= PL011_INT_TX;
	return ris;
}

/* Report the line if it changed. */
static void update_line(struct pl011 *u)
{
	bool level = (pl011_ris(u) & u->imsc) != 0;

	if (level == u->line)
		return;
	u->line = level;
	if (u->ops.irq != NULL)
		u->ops.irq(u->ops.ctx, level);
}

void pl011_init(struct pl011 *u, const struct pl011_ops *ops)
{
	memset(u, 0, sizeof(*u));
	u->ops = *ops;
	u->cr = PL011_CR_RESET;
	u->ifls = PL011_IFLS_RESET;
}

void pl011_resume(struct pl011 *u, const struct pl011_ops *ops)
{
	u->ops = *ops;
	u->line = (pl011_ris(u) & u->imsc) != 0;
	if (u->ops.irq != NULL)
		u->ops.irq(u->ops.ctx, u->line);
}

unsigned pl011_rx_space(const struct pl011 *u)
{
	unsigned depth = fifo_depth(u);

	return u->rx_count < depth ? depth - u->rx_count : 0;
}

bool pl011_rx_push(struct pl011 *u, uint8_t ch)
{
	if (pl011_rx_space(u) == 0) {
		/*
		 * TRM 3.3.2: the character is lost, RSR.OE sets at once, and
		 * the entry last written to the FIFO carries OE in its DR read.
		 */
		unsigned newest = (u->rx_head + u->rx_count - 1) % PL011_FIFO_DEPTH;

		if (u->rx_count > 0)
			u->rx_fifo[newest] |= PL011_DR_OE;
		u->rsr |= PL011_RSR_OE;
		u->ris_latched |= PL011_INT_OE;
		u->rx_overruns++;
		update_line(u);
		return false;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % PL011_FIFO_DEPTH] = ch;
	u->rx_count++;
	update_line(u);
	return true;
}

/* DR read: the oldest entry with its error bits, or 0 from an empty FIFO. */
static uint32_t rx_pop(struct pl011 *u)
{
	uint32_t v;

	if (u->rx_count == 0)
		return 0;
	v = u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % PL011_FIFO_DEPTH;
	u->rx_count--;
	return v;
}

static uint32_t flags(const struct pl011 *u)
{
	uint32_t fr = PL011_FR_TXFE;

	if (u->rx_count == 0)
		fr |= PL011_FR_RXFE;
	if (u->rx_count >= fifo_depth(u))
		fr |= PL011_FR_RXFF;
	return fr;
}

/* The 32-bit register at reg (4-aligned), with a DR read's side effect. */
static uint32_t read_reg(struct pl011 *u, uint32_t reg)
{
	switch (reg) {
	case PL011_DR:
		return rx_pop(u);
	case PL011_RSR:
		return u->rsr;
	case PL011_FR:
		return flags(u);
	case PL011_ILPR:
		return u->ilpr;
	case PL011_IBRD:
		return u->ibrd;
	case PL011_FBRD:
		return u->fbrd;
	case PL011_LCR_H:
		return u->lcr_h;
	case PL011_CR:
		return u->cr;
	case PL011_IFLS:
		return u->ifls;
	case PL011_IMSC:
		return u->imsc;
	case PL011_RIS:
		return pl011_ris(u);
	case PL011_MIS:
		return pl011_ris(u) & u->imsc;
	case PL011_ICR:
		return 0; /* Write-only. */
	case PL011_DMACR:
		return u->dmacr;
	default:
		break;
	}
	if (reg >= PL011_PERIPHID0 && reg < PL011_MMIO_SIZE)
		return id_bytes[(reg - PL011_PERIPHID0) / 4];
	u->unknown_reads++;
	return 0;
}

/* Replace the bytes of *r in byte_mask with value's, within the register's writable bits. */
static void merge(uint32_t *r, uint32_t writable, uint32_t value, uint32_t byte_mask)
{
	*r = (*r & ~(byte_mask & writable)) | (value & byte_mask & writable);
}

/* A store to a register that holds state; false if reg is not one. */
static bool write_state(struct pl011 *u, uint32_t reg, uint32_t value, uint32_t byte_mask)
{
	switch (reg) {
	case PL011_ILPR:
		merge(&u->ilpr, ILPR_MASK, value, byte_mask);
		return true;
	case PL011_IBRD:
		merge(&u->ibrd, IBRD_MASK, value, byte_mask);
		return true;
	case PL011_FBRD:
		merge(&u->fbrd, FBRD_MASK, value, byte_mask);
		return true;
	case PL011_LCR_H:
		merge(&u->lcr_h, LCR_H_MASK, value, byte_mask);
		return true;
	case PL011_CR:
		merge(&u->cr, CR_MASK, value, byte_mask);
		return true;
	case PL011_IFLS:
		merge(&u->ifls, IFLS_MASK, value, byte_mask);
		return true;
	case PL011_IMSC:
		merge(&u->imsc, PL011_INT_ALL, value, byte_mask);
		return true;
	case PL011_DMACR:
		merge(&u->dmacr, DMACR_MASK, value, byte_mask);
		return true;
	default:
		return false;
	}
}

/*
 * A store of the bytes in byte_mask (of the 32-bit register at reg) with
 * value already shifted into place.
 */
static void write_reg(struct pl011 *u, uint32_t reg, uint32_t value, uint32_t byte_mask)
{
	switch (reg) {
	case PL011_DR:
		/* Only the data byte is transmitted; a store to DR's upper bytes does nothing. */
		if ((byte_mask & DR_DATA_MASK) != 0 && u->ops.tx != NULL)
			u->ops.tx(u->ops.ctx, (uint8_t)(value & DR_DATA_MASK));
		return;
	case PL011_RSR:
		/* ECR: any write clears the error status. */
		u->rsr = 0;
		return;
	case PL011_ICR:
		u->ris_latched &= ~(value & byte_mask & PL011_INT_ALL);
		return;
	default:
		break;
	}
	if (!write_state(u, reg, value, byte_mask))
		u->ignored_writes++;
}

static enum mica_error check_access(uint64_t offset, unsigned size)
{
	if (offset >= PL011_MMIO_SIZE)
		return MICA_ERR_RANGE;
	if (size != 1 && size != 2 && size != 4)
		return MICA_ERR_INVALID_ARGUMENT;
	if (offset % size != 0)
		return MICA_ERR_ALIGNMENT;
	return MICA_OK;
}

static uint32_t width_mask(unsigned size)
{
	return size == 4 ? UINT32_MAX : (UINT32_C(1) << (size * 8)) - 1;
}

enum mica_error pl011_read(struct pl011 *u, uint64_t offset, unsigned size, uint64_t *value)
{
	enum mica_error err = check_access(offset, size);
	unsigned shift;

	if (err != MICA_OK)
		return err;
	shift = (unsigned)(offset & 3) * 8;
	*value = (read_reg(u, (uint32_t)offset & ~3u) >> shift) & width_mask(size);
	update_line(u);
	return MICA_OK;
}

enum mica_error pl011_write(struct pl011 *u, uint64_t offset, unsigned size, uint64_t value)
{
	enum mica_error err = check_access(offset, size);
	unsigned shift;

	if (err != MICA_OK)
		return err;
	shift = (unsigned)(offset & 3) * 8;
	write_reg(u, (uint32_t)offset & ~3u, ((uint32_t)value & width_mask(size)) << shift,
		  width_mask(size) << shift);
	update_line(u);
	return MICA_OK;
}
