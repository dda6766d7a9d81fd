/*
 * Unit tests for servers/vdev/pl031.c: the PL031 real-time clock model.
 * Offsets and bit values are written out as the PL031 TRM (ARM DDI 0224)
 * numbers them, not taken from pl031.h. Time is the machine's, in seconds,
 * passed to every access: the tests move it by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pl031.h"

#define DR   0x00
#define MR   0x04
#define LR   0x08
#define CR   0x0c
#define IMSC 0x10
#define RIS  0x14
#define MIS  0x18
#define ICR  0x1c

/* 2024-01-01 00:00:00 UTC: a machine time past 2^30, and below 2^32. */
#define T0 UINT64_C(1704067200)

struct sink {
	bool levels[16];
	unsigned level_count;
};

static struct sink sink;
static struct pl031 rtc;
static uint64_t now;

static void irq(void *ctx, bool level)
{
	struct sink *s = ctx;

	assert_true(s->level_count < 16);
	s->levels[s->level_count++] = level;
}

static int setup(void **state)
{
	const struct pl031_ops ops = {.irq = irq, .ctx = &sink};

	memset(&sink, 0, sizeof(sink));
	now = T0;
	pl031_init(&rtc, &ops, now);
	return 0;
}

static uint32_t rd(uint64_t off)
{
	uint64_t v = 0xdeadbeefcafe;

	assert_int_equal(pl031_read(&rtc, now, off, 4, &v), MICA_OK);
	assert_true(v <= UINT32_MAX);
	return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t v)
{
	assert_int_equal(pl031_write(&rtc, now, off, 4, v), MICA_OK);
}

static void test_the_counter_reads_the_machines_time_and_counts_with_it(void **state)
{
	assert_int_equal(rd(DR), (uint32_t)T0);
	now += 59;
	assert_int_equal(rd(DR), (uint32_t)(T0 + 59));
	assert_int_equal(rd(CR), 1); /* Started: the counter runs. */
	assert_int_equal(rd(MR), 0);
	assert_int_equal(rd(IMSC), 0);
	assert_int_equal(rd(RIS), 0);
	assert_int_equal(sink.level_count, 0);
}

static void test_loading_the_counter_moves_this_clock_and_it_counts_on(void **state)
{
	wr(LR, 1000);
	assert_int_equal(rd(DR), 1000);
	assert_int_equal(rd(LR), 1000);
	now += 5;
	assert_int_equal(rd(DR), 1005);
	assert_int_equal(rd(LR), 1000);
	/* Load a time ahead of the machine's: hwclock -w of a clock set forward. */
	wr(LR, (uint32_t)(T0 + 86400));
	now += 10;
	assert_int_equal(rd(DR), (uint32_t)(T0 + 86400 + 10));
}

static void test_two_clocks_keep_their_own_offsets(void **state)
{
	const struct pl031_ops ops = {.irq = NULL, .ctx = NULL};
	struct pl031 other;

	pl031_init(&other, &ops, now);
	wr(LR, 42);
	assert_int_equal(rd(DR), 42);
	assert_int_equal(pl031_counter(&other, now), (uint32_t)now);
}

static void test_writes_to_cr_and_read_only_registers_change_nothing(void **state)
{
	wr(CR, 0);
	assert_int_equal(rd(CR), 1);
	wr(DR, 7);
	wr(RIS, 1);
	wr(MIS, 1);
	wr(0xfe0, 0);
	assert_int_equal(rd(DR), (uint32_t)T0);
	assert_int_equal(rd(RIS), 0);
	assert_int_equal(rtc.ignored_writes, 4);
	assert_int_equal(rd(ICR), 0);
	assert_int_equal(rd(0x20), 0);
	assert_int_equal(rtc.unknown_reads, 2);
}

static void test_the_alarm_fires_when_the_counter_reaches_mr(void **state)
{
	wr(MR, (uint32_t)(T0 + 10));
	wr(IMSC, 1);
	now += 9;
	assert_int_equal(rd(RIS), 0);
	assert_int_equal(sink.level_count, 0);
	now += 1;
	assert_int_equal(rd(RIS), 1);
	assert_int_equal(rd(MIS), 1);
	assert_int_equal(sink.level_count, 1);
	assert_true(sink.levels[0]);
	/* It stays raised after the counter moves on, until ICR clears it. */
	now += 100;
	assert_int_equal(rd(RIS), 1);
	wr(ICR, 1);
	assert_int_equal(rd(RIS), 0);
	assert_int_equal(rd(MIS), 0);
	assert_int_equal(sink.level_count, 2);
	assert_false(sink.levels[1]);
}

static void test_a_counter_that_passed_mr_unobserved_still_raises_the_alarm(void **state)
{
	wr(MR, (uint32_t)(T0 + 10));
	now += 3600;
	assert_int_equal(rd(RIS), 1);
	/* Masked: raw status only, the line stays low until IMSC unmasks it. */
	assert_int_equal(rd(MIS), 0);
	assert_int_equal(sink.level_count, 0);
	wr(IMSC, 1);
	assert_int_equal(sink.level_count, 1);
	assert_true(sink.levels[0]);
	wr(IMSC, 0);
	assert_int_equal(sink.level_count, 2);
	assert_false(sink.levels[1]);
}

static void test_update_raises_the_line_without_an_access(void **state)
{
	wr(MR, (uint32_t)(T0 + 2));
	wr(IMSC, 1);
	now += 2;
	pl031_update(&rtc, now);
	assert_int_equal(sink.level_count, 1);
	assert_true(sink.levels[0]);
}

/* What a server's timer waits for: the second MR comes, and only while it would raise the line. */
static void test_the_next_alarm_is_when_the_counter_reaches_an_unmasked_mr(void **state)
{
	wr(MR, (uint32_t)(T0 + 10));
	assert_int_equal(pl031_next_alarm(&rtc, now), 0); /* Masked. */
	wr(IMSC, 1);
	assert_int_equal(pl031_next_alarm(&rtc, now), T0 + 10);
	/* A guest clock of its own: MR is in its time, the answer in the machine's. */
	wr(LR, (uint32_t)(T0 + 5));
	assert_int_equal(pl031_next_alarm(&rtc, now), T0 + 5);
	now += 5;
	pl031_update(&rtc, now);
	assert_true(sink.levels[0]);
	assert_int_equal(pl031_next_alarm(&rtc, now), 0); /* Raised: nothing more to come. */
	wr(ICR, 1);
	/* MR is the counter now, matched already: the next match is a wrap away, past what counts.
	 */
	assert_int_equal(pl031_next_alarm(&rtc, now), 0);
	wr(MR, (uint32_t)(T0 + 10 + 60)); /* The counter reads T0 + 10 now. */
	assert_int_equal(pl031_next_alarm(&rtc, now), now + 60);
}

static void test_mr_behind_the_counter_waits_for_the_counter_to_wrap(void **state)
{
	wr(MR, (uint32_t)(T0 - 1));
	now += 1000;
	assert_int_equal(rd(RIS), 0);
}

static void test_writing_mr_with_the_counter_or_loading_mr_is_a_match(void **state)
{
	wr(MR, (uint32_t)T0);
	assert_int_equal(rd(RIS), 1);
	wr(ICR, 1);
	wr(MR, 500);
	assert_int_equal(rd(RIS), 0);
	wr(LR, 500);
	assert_int_equal(rd(RIS), 1);
	wr(ICR, 1);
	/* A load that jumps over MR does not match what it skipped. */
	wr(MR, 700);
	wr(LR, 800);
	assert_int_equal(rd(RIS), 0);
}

static void test_the_alarm_matches_across_the_counters_wrap(void **state)
{
	wr(LR, UINT32_MAX - 1);
	wr(MR, 1);
	now += 2;
	assert_int_equal(rd(DR), 0);
	assert_int_equal(rd(RIS), 0);
	now += 1;
	assert_int_equal(rd(RIS), 1);
}

static void test_a_machine_clock_set_back_matches_nothing(void **state)
{
	wr(MR, (uint32_t)(T0 - 30));
	now -= 60;
	assert_int_equal(rd(RIS), 0);
	now += 20; /* Forward from T0 - 60 to T0 - 40: not yet. */
	assert_int_equal(rd(RIS), 0);
	now += 10;
	assert_int_equal(rd(RIS), 1);
}

static void test_a_resumed_clock_keeps_its_time_and_reports_its_line(void **state)
{
	const struct pl031_ops ops = {.irq = irq, .ctx = &sink};
	struct pl031 copy;

	wr(LR, 1000);
	wr(MR, 1010);
	wr(IMSC, 1);
	now += 10;
	pl031_update(&rtc, now);
	assert_int_equal(sink.level_count, 1);
	/* A new instance finds the same bytes, and attaches its own callbacks. */
	memcpy(&copy, &rtc, sizeof(copy));
	memset(&copy.ops, 0xa5, sizeof(copy.ops));
	pl031_resume(&copy, &ops);
	assert_int_equal(sink.level_count, 2);
	assert_true(sink.levels[1]);
	now += 5;
	assert_int_equal(pl031_counter(&copy, now), 1015);
	assert_int_equal(pl031_write(&copy, now, ICR, 4, 1), MICA_OK);
	assert_int_equal(sink.level_count, 3);
	assert_false(sink.levels[2]);
}

static void test_every_write_is_safe_to_apply_twice(void **state)
{
	wr(LR, 5000);
	wr(LR, 5000);
	assert_int_equal(rd(DR), 5000);
	wr(MR, 5002);
	wr(MR, 5002);
	wr(IMSC, 1);
	wr(IMSC, 1);
	now += 2;
	assert_int_equal(rd(MIS), 1);
	wr(ICR, 1);
	wr(ICR, 1);
	assert_int_equal(rd(RIS), 0);
	assert_int_equal(sink.level_count, 2);
}

static void test_the_primecell_identification_is_a_pl031s(void **state)
{
	static const uint32_t want[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	uint32_t periph = 0;

	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(0xfe0 + 4 * i), want[i]);
	for (unsigned i = 0; i < 4; i++)
		periph |= rd(0xfe0 + 4 * i) << (8 * i);
	/* What Linux's AMBA bus matches for "arm,pl031": 0x00041031 under 0x000fffff. */
	assert_int_equal(periph & 0x000fffff, 0x00041031);
}

static void test_only_aligned_words_inside_the_frame_are_served(void **state)
{
	uint64_t v = 0x1234;

	assert_int_equal(pl031_read(&rtc, now, DR, 1, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(pl031_read(&rtc, now, DR, 8, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(pl031_read(&rtc, now, 2, 4, &v), MICA_ERR_ALIGNMENT);
	assert_int_equal(pl031_read(&rtc, now, 0x1000, 4, &v), MICA_ERR_RANGE);
	assert_int_equal(pl031_read(&rtc, now, 0xffe, 4, &v), MICA_ERR_RANGE);
	assert_int_equal(pl031_write(&rtc, now, LR, 2, 5), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(pl031_write(&rtc, now, UINT64_MAX - 1, 4, 5), MICA_ERR_RANGE);
	assert_int_equal(v, 0x1234);
	assert_int_equal(rd(LR), 0);
	assert_int_equal(rd(DR), (uint32_t)T0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			test_the_next_alarm_is_when_the_counter_reaches_an_unmasked_mr, setup),
		cmocka_unit_test_setup(test_the_counter_reads_the_machines_time_and_counts_with_it,
				       setup),
		cmocka_unit_test_setup(test_loading_the_counter_moves_this_clock_and_it_counts_on,
				       setup),
		cmocka_unit_test_setup(test_two_clocks_keep_their_own_offsets, setup),
		cmocka_unit_test_setup(test_writes_to_cr_and_read_only_registers_change_nothing,
				       setup),
		cmocka_unit_test_setup(test_the_alarm_fires_when_the_counter_reaches_mr, setup),
		cmocka_unit_test_setup(
			test_a_counter_that_passed_mr_unobserved_still_raises_the_alarm, setup),
		cmocka_unit_test_setup(test_update_raises_the_line_without_an_access, setup),
		cmocka_unit_test_setup(test_mr_behind_the_counter_waits_for_the_counter_to_wrap,
				       setup),
		cmocka_unit_test_setup(test_writing_mr_with_the_counter_or_loading_mr_is_a_match,
				       setup),
		cmocka_unit_test_setup(test_the_alarm_matches_across_the_counters_wrap, setup),
		cmocka_unit_test_setup(test_a_machine_clock_set_back_matches_nothing, setup),
		cmocka_unit_test_setup(test_a_resumed_clock_keeps_its_time_and_reports_its_line,
				       setup),
		cmocka_unit_test_setup(test_every_write_is_safe_to_apply_twice, setup),
		cmocka_unit_test_setup(test_the_primecell_identification_is_a_pl031s, setup),
		cmocka_unit_test_setup(test_only_aligned_words_inside_the_frame_are_served, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
