/*
 * Unit tests for the C library functions of libs/base that hold real
 * logic: strtoul. The library is built for these tests with its functions
 * renamed (strtoul is base_strtoul here, through a definition the build
 * adds), so the host's own strtoul cannot stand in for it; the host's is
 * not used: the expected values are written out.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*
 * Parse s in base and check the value and how many characters were
 * consumed. A macro, so that a failure names the line of the case.
 */
#define EXPECT_STRTOUL(s, base, value, consumed)                                                   \
	do {                                                                                       \
		const char *s_ = (s);                                                              \
		char *end_ = NULL;                                                                 \
		assert_int_equal(strtoul(s_, &end_, (base)), (value));                             \
		assert_ptr_equal(end_, s_ + (consumed));                                           \
	} while (0)

static void test_strtoul_reads_decimal_and_stops_at_the_first_non_digit(void **state)
{
	EXPECT_STRTOUL("0", 10, 0, 1);
	EXPECT_STRTOUL("42", 10, 42, 2);
	EXPECT_STRTOUL("123:456", 10, 123, 3);
	EXPECT_STRTOUL("18446744073709551615", 10, ULONG_MAX, 20);
	/* libfdt's use: an offset, then a colon it checks for. */
	EXPECT_STRTOUL("8:/node", 10, 8, 1);
}

static void test_strtoul_skips_space_and_takes_a_sign(void **state)
{
	EXPECT_STRTOUL(" \t\n\v\f\r7", 10, 7, 7);
	EXPECT_STRTOUL("+5", 10, 5, 2);
	/* A minus sign negates in unsigned arithmetic, as ISO C says. */
	EXPECT_STRTOUL("-1", 10, ULONG_MAX, 2);
	EXPECT_STRTOUL("-0", 10, 0, 2);
}

static void test_strtoul_takes_its_base_from_the_prefix_for_base_zero(void **state)
{
	EXPECT_STRTOUL("0x1f", 0, 0x1f, 4);
	EXPECT_STRTOUL("0X1F", 0, 0x1f, 4);
	EXPECT_STRTOUL("017", 0, 017, 3);
	EXPECT_STRTOUL("0", 0, 0, 1);
	EXPECT_STRTOUL("99", 0, 99, 2);
	/* 8 is no octal digit: the 0 alone is the number. */
	EXPECT_STRTOUL("08", 0, 0, 1);
	EXPECT_STRTOUL("0x1f", 16, 0x1f, 4);
	EXPECT_STRTOUL("ff", 16, 0xff, 2);
	EXPECT_STRTOUL("zz", 36, 35 * 36 + 35, 2);
	EXPECT_STRTOUL("1012", 2, 5, 3);
}

static void test_strtoul_reads_a_bare_0x_as_the_zero_alone(void **state)
{
	EXPECT_STRTOUL("0x", 0, 0, 1);
	EXPECT_STRTOUL("0xg", 16, 0, 1);
	EXPECT_STRTOUL("-0x", 0, 0, 2);
}

static void test_strtoul_converts_nothing_without_digits(void **state)
{
	EXPECT_STRTOUL("", 10, 0, 0);
	EXPECT_STRTOUL("  ", 10, 0, 0);
	EXPECT_STRTOUL("+", 10, 0, 0);
	EXPECT_STRTOUL(" -x", 10, 0, 0);
	EXPECT_STRTOUL("9", 8, 0, 0);
}

static void test_strtoul_saturates_on_overflow(void **state)
{
	EXPECT_STRTOUL("18446744073709551616", 10, ULONG_MAX, 20);
	EXPECT_STRTOUL("99999999999999999999999", 10, ULONG_MAX, 23);
	EXPECT_STRTOUL("0x10000000000000000", 0, ULONG_MAX, 19);
	EXPECT_STRTOUL("-18446744073709551616", 10, ULONG_MAX, 21);
}

static void test_strtoul_rejects_a_bad_base(void **state)
{
	EXPECT_STRTOUL("10", 1, 0, 0);
	EXPECT_STRTOUL("10", 37, 0, 0);
	EXPECT_STRTOUL("10", -2, 0, 0);
}

static void test_strtoul_takes_a_null_end(void **state)
{
	assert_int_equal(strtoul("123", NULL, 10), 123);
	assert_int_equal(strtoul("x", NULL, 10), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strtoul_reads_decimal_and_stops_at_the_first_non_digit),
		cmocka_unit_test(test_strtoul_skips_space_and_takes_a_sign),
		cmocka_unit_test(test_strtoul_takes_its_base_from_the_prefix_for_base_zero),
		cmocka_unit_test(test_strtoul_reads_a_bare_0x_as_the_zero_alone),
		cmocka_unit_test(test_strtoul_converts_nothing_without_digits),
		cmocka_unit_test(test_strtoul_saturates_on_overflow),
		cmocka_unit_test(test_strtoul_rejects_a_bad_base),
		cmocka_unit_test(test_strtoul_takes_a_null_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
