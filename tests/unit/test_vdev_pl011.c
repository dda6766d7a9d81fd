/*
 * Unit tests for servers/vdev/pl011.c: the PL011 register model. Offsets
 * and bit values are written out as the PL011 TRM (ARM DDI 0183) numbers
 * them, not taken from pl011.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pl011.h"

struct sink {
	uint8_t out[64];
	unsigned out_count;
	bool levels[16];
	unsigned level_count;
};

static struct sink sink;
static struct pl011 uart;

static void tx(void *ctx, uint8_t ch)
{
	struct sink *s = ctx;

	assert_true(s->out_count < sizeof(s->out));
	s->out[s->out_count++] = ch;
}

static void irq(void *ctx, bool level)
{
	struct sink *s = ctx;

	assert_true(s->level_count < 16);
	s->levels[s->level_count++] = level;
}

static int setup(void **state)
{
	const struct pl011_ops ops = {.tx = tx, .irq = irq, .ctx = &sink};

	memset(&sink, 0, sizeof(sink));
	pl011_init(&uart, &ops);
	return 0;
}

static uint32_t rd(uint64_t off)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(pl011_read(&uart, off, 4, &v), MICA_OK);
	return (uint32_t)v;
}

static uint32_t rd_n(uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(pl011_read(&uart, off, size, &v), MICA_OK);
	return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t v)
{
	assert_int_equal(pl011_write(&uart, off, 4, v), MICA_OK);
}

static void wr_n(uint64_t off, unsigned size, uint32_t v)
{
	assert_int_equal(pl011_write(&uart, off, size, v), MICA_OK);
}

/* Enable the FIFOs. */
static void fifo_on(void)
{
	wr(0x2c, 0x70); /* 8 bits, FEN. */
}

static void test_reset_values_match_the_trm(void **state)
{
	assert_int_equal(rd(0x18), 0x90); /* TXFE | RXFE */
	assert_int_equal(rd(0x30), 0x300);
	assert_int_equal(rd(0x34), 0x12);
	assert_int_equal(rd(0x38), 0);
	assert_int_equal(rd(0x2c), 0);
	assert_int_equal(rd(0x24), 0);
	assert_int_equal(rd(0x28), 0);
	assert_int_equal(rd(0x48), 0);
	assert_int_equal(rd(0x04), 0);
	/* The transmitter is not enabled (UARTEN clear): no TX interrupt yet. */
	assert_int_equal(rd(0x3c), 0);
	assert_int_equal(sink.level_count, 0);
}

static void test_identification_registers_match_amba_ids(void **state)
{
	static const uint32_t expect[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	uint32_t periph = 0, cell = 0;

	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(rd(0xfe0 + 4 * i), expect[i]);
		assert_int_equal(rd_n(0xfe0 + 4 * i, 1), expect[i]);
		assert_int_equal(rd_n(0xfe0 + 4 * i + 1, 1), 0);
	}
	/* As Linux's AMBA bus assembles them. */
	for (unsigned i = 0; i < 4; i++) {
		periph |= (rd(0xfe0 + 4 * i) & 0xff) << (8 * i);
		cell |= (rd(0xff0 + 4 * i) & 0xff) << (8 * i);
	}
	/* Part 0x011, designer 0x41, revision 1: Linux matches 0x00041011 under mask 0x000fffff. */
	assert_int_equal(periph, 0x00141011);
	assert_int_equal(periph & 0x000fffff, 0x00041011);
	assert_int_equal(cell, 0xb105f00d);
	wr(0xfe0, 0x55);
	assert_int_equal(rd(0xfe0), 0x11);
	assert_int_equal(uart.ignored_writes, 1);
}

static void test_dr_writes_transmit_the_low_byte_at_any_width(void **state)
{
	wr(0x00, 0x141);
	wr_n(0x00, 1, 'B');
	wr_n(0x00, 2, 0x7743);
	/* A store to DR's upper bytes alone transmits nothing. */
	wr_n(0x01, 1, 'X');
	wr_n(0x02, 2, 'Y');
	assert_int_equal(sink.out_count, 3);
	assert_memory_equal(sink.out, "ABC", 3);
	/* Transmission is instant: the transmit FIFO never fills. */
	assert_int_equal(rd(0x18) & 0xa8, 0x80); /* TXFE set, TXFF and BUSY clear. */
}

static void test_dr_reads_pop_the_fifo_in_order_and_empty_reads_zero(void **state)
{
	fifo_on();
	assert_true(pl011_rx_push(&uart, 'x'));
	assert_true(pl011_rx_push(&uart, 'y'));
	assert_int_equal(rd(0x18) & 0x10, 0);
	assert_int_equal(rd(0x00), 'x');
	assert_int_equal(rd_n(0x00, 1), 'y');
	assert_int_equal(rd(0x18) & 0x10, 0x10);
	assert_int_equal(rd(0x00), 0);
}

static void test_fifo_full_sets_rxff_and_overrun_flags_oe(void **state)
{
	fifo_on();
	for (unsigned i = 0; i < 32; i++) {
		assert_int_equal(rd(0x18) & 0x40, 0);
		assert_true(pl011_rx_push(&uart, (uint8_t)('a' + i)));
	}
	assert_int_equal(pl011_rx_space(&uart), 0);
	assert_int_equal(rd(0x18) & 0x40, 0x40);
	assert_false(pl011_rx_push(&uart, '!'));
	assert_int_equal(uart.rx_overruns, 1);
	assert_int_equal(rd(0x04), 0x8);	   /* RSR.OE */
	assert_int_equal(rd(0x3c) & 0x400, 0x400); /* OERIS */
	/* The first 31 entries read clean; the newest carries OE (bit 11). */
	for (unsigned i = 0; i < 31; i++)
		assert_int_equal(rd(0x00), 'a' + i);
	assert_int_equal(rd(0x00), 0x800 | ('a' + 31));
	/* RSR.OE stays until ECR is written; OERIS until ICR clears it. */
	assert_int_equal(rd(0x04), 0x8);
	wr(0x04, 0);
	assert_int_equal(rd(0x04), 0);
	assert_int_equal(rd(0x3c) & 0x400, 0x400);
	wr(0x44, 0x400);
	assert_int_equal(rd(0x3c) & 0x400, 0);
}

static void test_fifo_disabled_holds_one_character(void **state)
{
	assert_true(pl011_rx_push(&uart, '1'));
	assert_int_equal(rd(0x18) & 0x40, 0x40);
	assert_false(pl011_rx_push(&uart, '2'));
	assert_int_equal(rd(0x00), 0x800 | '1');
	assert_true(pl011_rx_push(&uart, '3'));
	assert_int_equal(rd(0x00), '3');
}

static void test_rx_interrupt_follows_the_trigger_level(void **state)
{
	static const unsigned levels[5] = {4, 8, 16, 24, 28};

	fifo_on();
	for (unsigned sel = 0; sel < 5; sel++) {
		wr(0x34, sel << 3);
		for (unsigned i = 0; i < levels[sel]; i++) {
			assert_int_equal(rd(0x3c) & 0x10, 0);
			assert_true(pl011_rx_push(&uart, 'q'));
		}
		assert_int_equal(rd(0x3c) & 0x10, 0x10);
		/* A read below the level drops it. */
		(void)rd(0x00);
		assert_int_equal(rd(0x3c) & 0x10, 0);
		while ((rd(0x18) & 0x10) == 0)
			(void)rd(0x00);
	}
}

static void test_rx_interrupt_with_fifo_disabled_is_any_character(void **state)
{
	assert_true(pl011_rx_push(&uart, 'z'));
	assert_int_equal(rd(0x3c) & 0x50, 0x50);
	(void)rd(0x00);
	assert_int_equal(rd(0x3c) & 0x50, 0);
}

static void test_receive_timeout_is_raised_while_data_waits(void **state)
{
	fifo_on();
	assert_true(pl011_rx_push(&uart, 'k'));
	/* One character: below the trigger level, but RTRIS says it is there. */
	assert_int_equal(rd(0x3c) & 0x50, 0x40);
	/* ICR cannot hold it down while data remains. */
	wr(0x44, 0x50);
	assert_int_equal(rd(0x3c) & 0x40, 0x40);
	(void)rd(0x00);
	assert_int_equal(rd(0x3c) & 0x40, 0);
}

static void test_tx_interrupt_is_high_while_the_transmitter_is_enabled(void **state)
{
	wr(0x30, 0x301);
	assert_int_equal(rd(0x3c), 0x20);
	/* ICR and DR writes: the FIFO is still empty, so it stays. */
	wr(0x44, 0x20);
	assert_int_equal(rd(0x3c), 0x20);
	wr(0x00, 'a');
	assert_int_equal(rd(0x3c), 0x20);
	wr(0x30, 0x201); /* TXE off */
	assert_int_equal(rd(0x3c), 0);
	wr(0x30, 0x300); /* UARTEN off */
	assert_int_equal(rd(0x3c), 0);
}

static void test_mis_is_ris_masked_by_imsc(void **state)
{
	fifo_on();
	wr(0x30, 0x301);
	assert_true(pl011_rx_push(&uart, 'm'));
	assert_int_equal(rd(0x3c), 0x60);
	assert_int_equal(rd(0x40), 0);
	wr(0x38, 0x40);
	assert_int_equal(rd(0x40), 0x40);
	wr(0x38, 0x7ff);
	assert_int_equal(rd(0x40), 0x60);
	assert_int_equal(rd(0x38), 0x7ff);
	wr(0x38, 0xffffffff);
	assert_int_equal(rd(0x38), 0x7ff);
}

static void test_line_changes_are_reported_exactly_once(void **state)
{
	fifo_on();
	wr(0x38, 0x50); /* RXIM | RTIM */
	assert_int_equal(sink.level_count, 0);
	assert_true(pl011_rx_push(&uart, '1'));
	assert_true(pl011_rx_push(&uart, '2'));
	assert_int_equal(sink.level_count, 1);
	assert_true(sink.levels[0]);
	(void)rd(0x00);
	(void)rd(0x18);
	assert_int_equal(sink.level_count, 1);
	(void)rd(0x00);
	assert_int_equal(sink.level_count, 2);
	assert_false(sink.levels[1]);
	/* Unmasking a raised interrupt raises the line; masking lowers it. */
	wr(0x30, 0x301);
	assert_int_equal(sink.level_count, 2);
	wr(0x38, 0x70);
	assert_int_equal(sink.level_count, 3);
	assert_true(sink.levels[2]);
	wr(0x38, 0x70);
	assert_int_equal(sink.level_count, 3);
	wr(0x38, 0x00);
	assert_int_equal(sink.level_count, 4);
	assert_false(sink.levels[3]);
}

static void test_overrun_interrupt_raises_the_line_until_cleared(void **state)
{
	wr(0x38, 0x400); /* OEIM */
	assert_true(pl011_rx_push(&uart, '1'));
	assert_int_equal(sink.level_count, 0);
	assert_false(pl011_rx_push(&uart, '2'));
	assert_int_equal(sink.level_count, 1);
	assert_true(sink.levels[0]);
	wr(0x44, 0x400);
	assert_int_equal(sink.level_count, 2);
	assert_false(sink.levels[1]);
}

static void test_state_registers_read_back_their_writable_bits(void **state)
{
	static const struct {
		uint32_t off, mask;
	} regs[] = {
		{0x20, 0xff},	{0x24, 0xffff}, {0x28, 0x3f},  {0x2c, 0xff},
		{0x30, 0xff87}, {0x34, 0x3f},	{0x38, 0x7ff}, {0x48, 0x7},
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		wr(regs[i].off, 0xffffffff);
		assert_int_equal(rd(regs[i].off), regs[i].mask);
		wr(regs[i].off, 0);
		assert_int_equal(rd(regs[i].off), 0);
	}
}

static void test_narrow_writes_replace_only_their_bytes(void **state)
{
	wr(0x24, 0x1234);
	wr_n(0x24, 1, 0xab);
	assert_int_equal(rd(0x24), 0x12ab);
	wr_n(0x25, 1, 0x56);
	assert_int_equal(rd(0x24), 0x56ab);
	assert_int_equal(rd_n(0x25, 1), 0x56);
	wr_n(0x30, 2, 0x0301);
	assert_int_equal(rd(0x30), 0x301);
	assert_int_equal(rd_n(0x30, 2), 0x301);
}

static void test_read_only_registers_ignore_writes(void **state)
{
	wr(0x18, 0);
	wr(0x3c, 0x7ff);
	wr(0x40, 0x7ff);
	assert_int_equal(rd(0x18), 0x90);
	assert_int_equal(rd(0x3c), 0);
	assert_int_equal(uart.ignored_writes, 3);
}

static void test_unknown_offsets_read_zero_and_ignore_writes(void **state)
{
	static const uint32_t offs[] = {0x08, 0x0c, 0x14, 0x1c, 0x4c, 0x100, 0xf00, 0xfdc};

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		wr(offs[i], 0xffffffff);
		assert_int_equal(rd(offs[i]), 0);
	}
	assert_int_equal(uart.ignored_writes, 8);
	assert_int_equal(uart.unknown_reads, 8);
	assert_int_equal(sink.out_count, 0);
}

static void test_bad_accesses_are_errors_without_effect(void **state)
{
	uint64_t v = 77;

	assert_true(pl011_rx_push(&uart, 'e'));
	assert_int_equal(pl011_read(&uart, 0x1000, 4, &v), MICA_ERR_RANGE);
	assert_int_equal(pl011_read(&uart, UINT64_MAX, 1, &v), MICA_ERR_RANGE);
	assert_int_equal(pl011_read(&uart, 0x00, 8, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(pl011_read(&uart, 0x00, 3, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(pl011_read(&uart, 0x02, 4, &v), MICA_ERR_ALIGNMENT);
	assert_int_equal(pl011_read(&uart, 0x01, 2, &v), MICA_ERR_ALIGNMENT);
	assert_int_equal(pl011_write(&uart, 0x02, 4, 'x'), MICA_ERR_ALIGNMENT);
	assert_int_equal(pl011_write(&uart, 0x00, 8, 'x'), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(v, 77);
	assert_int_equal(sink.out_count, 0);
	/* The character is still there. */
	assert_int_equal(rd(0x00), 'e');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_values_match_the_trm, setup),
		cmocka_unit_test_setup(test_identification_registers_match_amba_ids, setup),
		cmocka_unit_test_setup(test_dr_writes_transmit_the_low_byte_at_any_width, setup),
		cmocka_unit_test_setup(test_dr_reads_pop_the_fifo_in_order_and_empty_reads_zero,
				       setup),
		cmocka_unit_test_setup(test_fifo_full_sets_rxff_and_overrun_flags_oe, setup),
		cmocka_unit_test_setup(test_fifo_disabled_holds_one_character, setup),
		cmocka_unit_test_setup(test_rx_interrupt_follows_the_trigger_level, setup),
		cmocka_unit_test_setup(test_rx_interrupt_with_fifo_disabled_is_any_character,
				       setup),
		cmocka_unit_test_setup(test_receive_timeout_is_raised_while_data_waits, setup),
		cmocka_unit_test_setup(test_tx_interrupt_is_high_while_the_transmitter_is_enabled,
				       setup),
		cmocka_unit_test_setup(test_mis_is_ris_masked_by_imsc, setup),
		cmocka_unit_test_setup(test_line_changes_are_reported_exactly_once, setup),
		cmocka_unit_test_setup(test_overrun_interrupt_raises_the_line_until_cleared, setup),
		cmocka_unit_test_setup(test_state_registers_read_back_their_writable_bits, setup),
		cmocka_unit_test_setup(test_narrow_writes_replace_only_their_bytes, setup),
		cmocka_unit_test_setup(test_read_only_registers_ignore_writes, setup),
		cmocka_unit_test_setup(test_unknown_offsets_read_zero_and_ignore_writes, setup),
		cmocka_unit_test_setup(test_bad_accesses_are_errors_without_effect, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
