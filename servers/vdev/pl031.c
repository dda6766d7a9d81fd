/*
 * The PL031 register model (see pl031.h).
 *
 * The alarm. Hardware compares the counter with MR on every tick of its
 * 1 Hz clock and sets RIS when they are equal (the TRM's functional
 * description). The model looks
 * only when it is asked (an access, or pl031_update), so it remembers the
 * counter value it last looked at and raises the alarm if MR lies in the
 * stretch the counter has moved through since: (seen, now]. Counting is
 * modulo 2^32, as the 32-bit counter wraps. A counter that went back (the
 * machine's clock was set back) matches nothing on the way. Two writes
 * make the counter take a value without a tick, and both compare as a
 * tick would: loading LR with MR's value raises the alarm, and so does
 * writing MR with the counter's value (as QEMU's PL031 does).
 *
 * The line is RIS & IMSC (MIS), reported when it changes after any access.
 * RIS stays set until ICR clears it, whatever the counter does next.
 *
 * Every access is safe to apply twice, as a restarted server may see the
 * access its last instance had in hand again: reads change nothing but
 * what time has changed, MR, IMSC and ICR writes store the same again, and
 * an LR write loads the counter with the same value, at the time it is
 * applied.
 */
#include "pl031.h"

#include <stddef.h>

/*
 * PeriphID0..3 (part 0x031, designer 0x41 ARM, revision 1: 0x00141031,
 * which Linux's AMBA bus matches as 0x00041031 under its mask 0x000fffff)
 * and PCellID0..3 (0xb105f00d).
 */
static const uint8_t id_bytes[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

uint32_t pl031_counter(const struct pl031 *r, uint64_t now)
{
	return (uint32_t)(now + (uint64_t)r->offset);
}

static void update_line(struct pl031 *r)
{
	bool level = r->is_alarm && r->is_unmasked;

	if (level == r->line)
		return;
	r->line = level;
	if (r->ops.irq != NULL)
		r->ops.irq(r->ops.ctx, level);
}

/* Look at the counter: raise the alarm if it moved forward onto or past MR. */
static void look(struct pl031 *r, uint64_t now)
{
	uint32_t counter = pl031_counter(r, now);
	uint32_t moved = counter - r->seen;

	/* Less than half the counter's range forward: a move, not a step back. */
	if (moved != 0 && moved < UINT32_C(0x80000000) && r->mr - r->seen - 1u < moved)
		r->is_alarm = true;
	r->seen = counter;
}

uint64_t pl031_next_alarm(const struct pl031 *r, uint64_t now)
{
	uint32_t ahead = r->mr - pl031_counter(r, now);

	if (!r->is_unmasked || r->is_alarm || ahead == 0 || ahead >= UINT32_C(0x80000000))
		return 0;
	return now + ahead;
}

void pl031_init(struct pl031 *r, const struct pl031_ops *ops, uint64_t now)
{
	*r = (struct pl031){.ops = *ops};
	r->seen = pl031_counter(r, now);
}

void pl031_resume(struct pl031 *r, const struct pl031_ops *ops)
{
	r->ops = *ops;
	r->line = r->is_alarm && r->is_unmasked;
	if (r->ops.irq != NULL)
		r->ops.irq(r->ops.ctx, r->line);
}

void pl031_update(struct pl031 *r, uint64_t now)
{
	look(r, now);
	update_line(r);
}

/* The access's register, or an error: aligned 32-bit accesses inside the frame only. */
static enum mica_error check_access(uint64_t offset, unsigned size)
{
	if (offset >= PL031_MMIO_SIZE || size > PL031_MMIO_SIZE - offset)
		return MICA_ERR_RANGE;
	if (size != 4)
		return MICA_ERR_INVALID_ARGUMENT;
	if (offset % 4 != 0)
		return MICA_ERR_ALIGNMENT;
	return MICA_OK;
}

enum mica_error pl031_read(struct pl031 *r, uint64_t now, uint64_t offset, unsigned size,
			   uint64_t *value)
{
	enum mica_error err = check_access(offset, size);

	if (err != MICA_OK)
		return err;
	pl031_update(r, now);
	switch (offset) {
	case PL031_DR:
		*value = pl031_counter(r, now);
		break;
	case PL031_MR:
		*value = r->mr;
		break;
	case PL031_LR:
		*value = r->lr;
		break;
	case PL031_CR:
		*value = PL031_CR_START;
		break;
	case PL031_IMSC:
		*value = r->is_unmasked ? PL031_INT_ALARM : 0;
		break;
	case PL031_RIS:
		*value = r->is_alarm ? PL031_INT_ALARM : 0;
		break;
	case PL031_MIS:
		*value = r->is_alarm && r->is_unmasked ? PL031_INT_ALARM : 0;
		break;
	default:
		if (offset >= PL031_PERIPHID0) {
			*value = id_bytes[(offset - PL031_PERIPHID0) / 4];
			break;
		}
		/* ICR is write-only; everything else between is absent. */
		*value = 0;
		r->unknown_reads++;
		break;
	}
	return MICA_OK;
}

enum mica_error pl031_write(struct pl031 *r, uint64_t now, uint64_t offset, unsigned size,
			    uint64_t value)
{
	enum mica_error err = check_access(offset, size);
	uint32_t v = (uint32_t)value;

	if (err != MICA_OK)
		return err;
	pl031_update(r, now);
	switch (offset) {
	case PL031_MR:
		r->mr = v;
		/* Compare at once, as a tick would: MR may equal the counter now. */
		r->seen = pl031_counter(r, now) - 1u;
		look(r, now);
		break;
	case PL031_LR:
		r->lr = v;
		r->offset = (int64_t)((uint64_t)v - now);
		/* The counter takes v now; v equal to MR is a match. */
		r->seen = v - 1u;
		look(r, now);
		break;
	case PL031_CR:
		/* Once started the RTC runs until reset; writes have no effect (RTCCR). */
		break;
	case PL031_IMSC:
		r->is_unmasked = (v & PL031_INT_ALARM) != 0;
		break;
	case PL031_ICR:
		if ((v & PL031_INT_ALARM) != 0)
			r->is_alarm = false;
		break;
	default:
		/* DR, RIS, MIS and the identification are read-only; the rest absent. */
		r->ignored_writes++;
		break;
	}
	update_line(r);
	return MICA_OK;
}
