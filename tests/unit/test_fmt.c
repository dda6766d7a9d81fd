/*
 * Unit tests for libs/base/fmt.c: exact outputs for the cases C pins down
 * (and for Mica's own choices, such as "(null)" and unknown conversions),
 * then a table of formats and values checked against the host's snprintf.
 */
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <base/fmt.h>

/*
 * Format into a buffer much larger than any expected output and check both
 * the text and the returned length. A macro, so that a failure names the
 * line of the case that failed, and so that the compiler checks each format
 * against its arguments.
 */
#define EXPECT_FMT(expected, ...)                                                                  \
	do {                                                                                       \
		char out_[512];                                                                    \
		int n_ = fmt_snprintf(out_, sizeof(out_), __VA_ARGS__);                            \
		assert_string_equal(out_, (expected));                                             \
		assert_int_equal(n_, (int)strlen(expected));                                       \
	} while (0)

/*
 * Format the same arguments with fmt_snprintf and the host's snprintf and
 * require identical text and return values. The format is not a literal
 * here, so neither call is format-checked: the tables below must pair each
 * format with an argument of the right type themselves.
 */
#define EXPECT_SAME_AS_HOST(format, ...)                                                           \
	do {                                                                                       \
		char mine_[256];                                                                   \
		char host_[256];                                                                   \
		int mine_n_ = fmt_snprintf(mine_, sizeof(mine_), (format), __VA_ARGS__);           \
		int host_n_ = snprintf(host_, sizeof(host_), (format), __VA_ARGS__);               \
		if (strcmp(mine_, host_) != 0 || mine_n_ != host_n_)                               \
			print_error("format \"%s\": got \"%s\" (%d), host \"%s\" (%d)\n",          \
				    (format), mine_, mine_n_, host_, host_n_);                     \
		assert_string_equal(mine_, host_);                                                 \
		assert_int_equal(mine_n_, host_n_);                                                \
	} while (0)

/* What a test sink has received: the bytes in order, and how it was called. */
struct capture {
	char text[256];
	size_t len;
	size_t calls;
	size_t empty_calls;
};

static void capture_sink(void *ctx, const char *s, size_t len)
{
	struct capture *c = ctx;

	c->calls++;
	if (len == 0)
		c->empty_calls++;
	assert_true(len <= sizeof(c->text) - 1 - c->len);
	memcpy(c->text + c->len, s, len);
	c->len += len;
	c->text[c->len] = '\0';
}

/* Counts bytes without storing them, for outputs too long to keep. */
static void counting_sink(void *ctx, const char *s, size_t len)
{
	size_t *count = ctx;

	(void)s;
	*count += len;
}

static int vformat_into(struct capture *c, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static int vformat_into(struct capture *c, const char *format, ...)
{
	va_list ap;
	int n;

	va_start(ap, format);
	n = fmt_vformat(capture_sink, c, format, ap);
	va_end(ap);
	return n;
}

static void test_formats_plain_text_and_percent(void **state)
{
	EXPECT_FMT("", "%s", "");
	EXPECT_FMT("hello, world", "hello, world%s", "");
	EXPECT_FMT("100%", "100%%");
	EXPECT_FMT("a%b%c", "a%%b%%c");
}

static void test_formats_signed_decimal_extremes(void **state)
{
	EXPECT_FMT("0", "%d", 0);
	EXPECT_FMT("-1", "%i", -1);
	EXPECT_FMT("2147483647", "%d", INT_MAX);
	EXPECT_FMT("-2147483648", "%d", INT_MIN);
	EXPECT_FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	EXPECT_FMT("-9223372036854775808", "%" PRId64, INT64_MIN);
	EXPECT_FMT("9223372036854775807", "%jd", INTMAX_MAX);
	EXPECT_FMT("-9223372036854775808", "%jd", INTMAX_MIN);
	EXPECT_FMT("-9223372036854775808", "%ld", LONG_MIN);
	EXPECT_FMT("-0009223372036854775808", "%.22lld", (long long)INT64_MIN);
	EXPECT_FMT("-009223372036854775808", "%022lld", (long long)INT64_MIN);
}

static void test_formats_unsigned_in_every_base(void **state)
{
	EXPECT_FMT("4294967295", "%u", UINT_MAX);
	EXPECT_FMT("deadbeef", "%x", 0xdeadbeefu);
	EXPECT_FMT("DEADBEEF", "%X", 0xdeadbeefu);
	EXPECT_FMT("777", "%o", 0777u);
	EXPECT_FMT("18446744073709551615", "%llu", ULLONG_MAX);
	EXPECT_FMT("1777777777777777777777", "%llo", ULLONG_MAX);
	EXPECT_FMT("ffffffffffffffff", "%jx", UINTMAX_MAX);
	EXPECT_FMT("18446744073709551615", "%zu", SIZE_MAX);
}

static void test_zero_with_zero_precision_prints_no_digits(void **state)
{
	EXPECT_FMT("", "%.0d", 0);
	EXPECT_FMT("", "%.d", 0);
	EXPECT_FMT("", "%.0u", 0u);
	EXPECT_FMT("", "%.0x", 0u);
	EXPECT_FMT("", "%.0o", 0u);
	EXPECT_FMT("   ", "%3.0d", 0);
	EXPECT_FMT("   ", "%-3.0x", 0u);
	EXPECT_FMT("   ", "%03.0d", 0);
	EXPECT_FMT("0", "%.1d", 0);
	EXPECT_FMT("1", "%.0d", 1);
	EXPECT_FMT("", "%.*d", 0, 0);
}

static void test_width_pads_left_right_and_with_zeros(void **state)
{
	EXPECT_FMT("   42", "%5d", 42);
	EXPECT_FMT("42   |", "%-5d|", 42);
	EXPECT_FMT("00042", "%05d", 42);
	EXPECT_FMT("-0042", "%05d", -42);
	EXPECT_FMT("  -42", "%5d", -42);
	EXPECT_FMT("-42  |", "%-5d|", -42);
	EXPECT_FMT("000ff", "%05x", 0xffu);
	EXPECT_FMT("12345", "%3d", 12345);
	EXPECT_FMT("42", "%0d", 42);
}

static void test_precision_sets_minimum_digits_and_disables_zero_flag(void **state)
{
	EXPECT_FMT("00042", "%.5d", 42);
	EXPECT_FMT("-00042", "%.5d", -42);
	EXPECT_FMT("  00042", "%07.5d", 42);
	EXPECT_FMT(" -00042", "%07.5d", -42);
	EXPECT_FMT("00042  |", "%-7.5d|", 42);
	EXPECT_FMT("42", "%.1d", 42);
}

static void test_star_takes_width_and_precision_from_arguments(void **state)
{
	EXPECT_FMT("   42", "%*d", 5, 42);
	EXPECT_FMT("  042", "%*.*d", 5, 3, 42);
	EXPECT_FMT("00042", "%0*d", 5, 42);
	EXPECT_FMT("he", "%.*s", 2, "hello");
	EXPECT_FMT("   he", "%*.*s", 5, 2, "hello");
	EXPECT_FMT("7 8", "%*d %d", 0, 7, 8);
}

static void test_negative_star_width_means_left_adjust(void **state)
{
	EXPECT_FMT("42   |", "%*d|", -5, 42);
	EXPECT_FMT("42   |", "%0*d|", -5, 42);
	EXPECT_FMT("ab   |", "%*s|", -5, "ab");
	EXPECT_FMT("x  |9", "%*c|%d", -3, 'x', 9);
}

static void test_negative_star_precision_means_no_precision(void **state)
{
	EXPECT_FMT("42", "%.*d", -1, 42);
	EXPECT_FMT("00042", "%05.*d", -3, 42);
	EXPECT_FMT("0", "%.*d", -1, 0);
	EXPECT_FMT("hello", "%.*s", -1, "hello");
}

static void test_formats_pointers_as_hex_with_prefix(void **state)
{
	EXPECT_FMT("0x1234", "%p", (void *)0x1234);
	EXPECT_FMT("0x0", "%p", (void *)0);
	EXPECT_FMT("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
	EXPECT_FMT("  0xabc", "%7p", (void *)0xabc);
	EXPECT_FMT("0xabc  |", "%-7p|", (void *)0xabc);
}

static void test_formats_null_string_as_null_marker(void **state)
{
	EXPECT_FMT("(null)", "%s", (char *)NULL);
	EXPECT_FMT("  (null)", "%8s", (char *)NULL);
	EXPECT_FMT("(nu", "%.3s", (char *)NULL);
}

static void test_strings_and_characters_honour_width_and_precision(void **state)
{
	EXPECT_FMT("  abc", "%5s", "abc");
	EXPECT_FMT("abc  |", "%-5s|", "abc");
	EXPECT_FMT("ab", "%.2s", "abc");
	EXPECT_FMT("abc", "%.10s", "abc");
	EXPECT_FMT("", "%.0s", "abc");
	EXPECT_FMT("x", "%c", 'x');
	EXPECT_FMT("  x", "%3c", 'x');
	EXPECT_FMT("x  |", "%-3c|", 'x');
}

/*
 * With a precision, %s must stop at that many bytes, so an unterminated
 * array is fine; ASan reports any read past its end.
 */
static void test_string_precision_bounds_the_bytes_read(void **state)
{
	const char unterminated[3] = {'a', 'b', 'c'};

	EXPECT_FMT("abc", "%.3s", unterminated);
	EXPECT_FMT("ab", "%.2s", unterminated);
}

/*
 * The tests from here to the matching pop hand the formatter what the
 * compiler rightly warns about: flags C says are ignored, arguments wider
 * than the length modifier, and formats that are not valid at all. That
 * is the behaviour under test, so -Wformat is off for them alone.
 */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat"
#pragma clang diagnostic ignored "-Wformat-extra-args"
#pragma clang diagnostic ignored "-Wformat-invalid-specifier"
static void test_minus_flag_overrides_zero_flag(void **state)
{
	EXPECT_FMT("42   |", "%-05d|", 42);
	EXPECT_FMT("42   |", "%0-5d|", 42);
	EXPECT_FMT("-7   |", "%-05d|", -7);
}

/* Zero padding is for numbers: text is padded with spaces whatever the flags. */
static void test_zero_flag_does_not_pad_text(void **state)
{
	EXPECT_FMT("  abc", "%05s", "abc");
	EXPECT_FMT("  x", "%03c", 'x');
	EXPECT_FMT("  (null)", "%08s", (char *)NULL);
}

/* A length modifier converts the promoted argument to its own type. */
static void test_length_modifiers_convert_to_their_type(void **state)
{
	EXPECT_FMT("127", "%hhd", 0x17f);
	EXPECT_FMT("-128", "%hhd", 0x80);
	EXPECT_FMT("255", "%hhu", -1);
	EXPECT_FMT("9029", "%hu", 0x12345);
	EXPECT_FMT("-1", "%hd", 0xffff);
	EXPECT_FMT("ffff", "%hx", -1);
	EXPECT_FMT("-5", "%td", (ptrdiff_t)-5);
	EXPECT_FMT("-5", "%zd", (ptrdiff_t)-5);
	EXPECT_FMT("fffffffffffffffb", "%tx", (ptrdiff_t)-5);
	EXPECT_FMT("4294967295", "%lu", 4294967295ul);
}

/*
 * Mica prints a directive it does not know as its own text and consumes no
 * argument for the conversion itself.
 */
static void test_unknown_conversion_is_printed_as_is(void **state)
{
	EXPECT_FMT("%y", "%y");
	EXPECT_FMT("[%-5y]", "[%-5y]");
	EXPECT_FMT("%y7", "%y%d", 7);
	EXPECT_FMT("%+d", "%+d", 3);
	EXPECT_FMT("%#x", "%#x", 3u);
	EXPECT_FMT("50%", "50%");
	EXPECT_FMT("50%-3", "50%-3");
	EXPECT_FMT("%f", "%f", 1);
}
#pragma clang diagnostic pop

static void test_snprintf_truncates_and_returns_full_length(void **state)
{
	char buf[16];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(fmt_snprintf(buf, 5, "%s", "hello world"), 11);
	assert_string_equal(buf, "hell");
	for (size_t i = 5; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(fmt_snprintf(buf, 6, "%d-%d", 123, 456), 7);
	assert_string_equal(buf, "123-4");

	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%5d", 1), 5);
	assert_string_equal(buf, "    1");
}

static void test_snprintf_with_zero_size_writes_nothing(void **state)
{
	char buf[4] = {'X', 'X', 'X', 'X'};

	assert_int_equal(fmt_snprintf(NULL, 0, "%d apples", 12), 9);
	assert_int_equal(fmt_snprintf(buf, 0, "%d apples", 12), 9);
	assert_memory_equal(buf, "XXXX", 4);
}

static void test_snprintf_with_size_one_writes_only_terminator(void **state)
{
	char buf[4] = {'X', 'X', 'X', 'X'};

	assert_int_equal(fmt_snprintf(buf, 1, "abc%d", 5), 4);
	assert_int_equal(buf[0], '\0');
	assert_memory_equal(buf + 1, "XXX", 3);
}

static void test_format_sends_output_to_sink_in_order(void **state)
{
	struct capture c = {.len = 0};

	int n = vformat_into(&c, "pc=%p el%u %s%c %5d|", (void *)0x80000, 2u, "ok", '!', -3);

	assert_string_equal(c.text, "pc=0x80000 el2 ok!    -3|");
	assert_int_equal(n, (int)c.len);
	assert_true(c.calls > 0);
	assert_int_equal(c.empty_calls, 0);
}

static void test_format_counts_wide_padding(void **state)
{
	size_t count = 0;
	char buf[8];

	assert_int_equal(fmt_format(counting_sink, &count, "%100000d", 1), 100000);
	assert_int_equal(count, 100000);
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%-100000s|", "a"), 100001);
	assert_string_equal(buf, "a      ");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%.70000d", 5), 70000);
	assert_string_equal(buf, "0000000");
}

/* Formats that C defines fully for an int argument, against the host. */
static void test_int_conversions_match_host_snprintf(void **state)
{
	static const char *const formats[] = {
		"%d",	  "%i",	  "%5d",   "%-5d|", "%05d",   "%.3d",  "%8.3d", "%-8.3d|",
		"%08.3d", "%.0d", "%3.0d", "%12d",  "%-12d|", "%012d", "[%1d]", "%.12d",
	};
	static const int values[] = {0, 1, -1, 7, -7, 42, -42, 999, 123456, INT_MAX, INT_MIN};

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
			EXPECT_SAME_AS_HOST(formats[f], values[v]);
	}
}

static void test_unsigned_conversions_match_host_snprintf(void **state)
{
	static const char *const formats[] = {
		"%u", "%x", "%X", "%o", "%08x", "%-8X|", "%.0o", "%.5x", "%10o", "%3u", "%010.4X",
	};
	static const unsigned int values[] = {0, 1, 7, 8, 15, 16, 0xff, 0xdeadbeef, UINT_MAX};

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
			EXPECT_SAME_AS_HOST(formats[f], values[v]);
	}
}

static void test_long_long_conversions_match_host_snprintf(void **state)
{
	static const char *const signed_formats[] = {
		"%lld", "%25lld", "%-25lld|", "%025lld", "%.21lld", "%ld", "%jd", "%.0lld",
	};
	static const char *const unsigned_formats[] = {
		"%llu", "%llx", "%llX", "%llo", "%30llo", "%-20llx|", "%lx", "%ju", "%zx",
	};
	static const long long signed_values[] = {
		0, 1, -1, LLONG_MAX, LLONG_MIN, LLONG_MIN + 1, 1000000000000LL,
	};
	static const unsigned long long unsigned_values[] = {
		0, 1, ULLONG_MAX, 0x8000000000000000ull, 0x123456789abcdefull,
	};

	for (size_t f = 0; f < sizeof(signed_formats) / sizeof(signed_formats[0]); f++) {
		for (size_t v = 0; v < sizeof(signed_values) / sizeof(signed_values[0]); v++)
			EXPECT_SAME_AS_HOST(signed_formats[f], signed_values[v]);
	}
	for (size_t f = 0; f < sizeof(unsigned_formats) / sizeof(unsigned_formats[0]); f++) {
		for (size_t v = 0; v < sizeof(unsigned_values) / sizeof(unsigned_values[0]); v++)
			EXPECT_SAME_AS_HOST(unsigned_formats[f], unsigned_values[v]);
	}
}

static void test_short_and_char_conversions_match_host_snprintf(void **state)
{
	static const char *const formats[] = {"%hhd", "%hhu", "%hhx", "%hd", "%hu", "%hX", "%5hhd"};
	static const int values[] = {0, 127, 128, 255, 256, -1, -129, 32767, 32768, 65535, 70000};

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
			EXPECT_SAME_AS_HOST(formats[f], values[v]);
	}
}

static void test_string_and_char_conversions_match_host_snprintf(void **state)
{
	static const char *const string_formats[] = {
		"%s", "%10s", "%-10s|", "%.2s", "%10.3s", "%-6.1s|", "%.0s", "<%s>",
	};
	static const char *const strings[] = {"", "a", "hello", "hello world!"};
	static const char *const char_formats[] = {"%c", "%3c", "%-3c|"};
	static const int chars[] = {'a', 'Z', ' ', '~'};

	for (size_t f = 0; f < sizeof(string_formats) / sizeof(string_formats[0]); f++) {
		for (size_t v = 0; v < sizeof(strings) / sizeof(strings[0]); v++)
			EXPECT_SAME_AS_HOST(string_formats[f], strings[v]);
	}
	for (size_t f = 0; f < sizeof(char_formats) / sizeof(char_formats[0]); f++) {
		for (size_t v = 0; v < sizeof(chars) / sizeof(chars[0]); v++)
			EXPECT_SAME_AS_HOST(char_formats[f], chars[v]);
	}
}

/* glibc prints a null pointer as "(nil)", so only non-null ones compare. */
static void test_pointer_conversions_match_host_snprintf(void **state)
{
	static const char *const formats[] = {"%p", "%20p", "%-20p|"};
	static void *const values[] = {(void *)1, (void *)0xdeadbeef, (void *)UINTPTR_MAX};

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
			EXPECT_SAME_AS_HOST(formats[f], values[v]);
	}
}

static void test_star_conversions_match_host_snprintf(void **state)
{
	static const int sizes[] = {-12, -3, -1, 0, 1, 3, 12};

	for (size_t a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++) {
		EXPECT_SAME_AS_HOST("%*d|", sizes[a], -42);
		EXPECT_SAME_AS_HOST("%.*d|", sizes[a], -42);
		EXPECT_SAME_AS_HOST("%0*x|", sizes[a], 0xbeefu);
		EXPECT_SAME_AS_HOST("%*s|", sizes[a], "str");
		EXPECT_SAME_AS_HOST("%.*s|", sizes[a], "str");
		for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++)
			EXPECT_SAME_AS_HOST("%*.*d|", sizes[a], sizes[b], 1234);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_plain_text_and_percent),
		cmocka_unit_test(test_formats_signed_decimal_extremes),
		cmocka_unit_test(test_formats_unsigned_in_every_base),
		cmocka_unit_test(test_zero_with_zero_precision_prints_no_digits),
		cmocka_unit_test(test_width_pads_left_right_and_with_zeros),
		cmocka_unit_test(test_minus_flag_overrides_zero_flag),
		cmocka_unit_test(test_precision_sets_minimum_digits_and_disables_zero_flag),
		cmocka_unit_test(test_star_takes_width_and_precision_from_arguments),
		cmocka_unit_test(test_negative_star_width_means_left_adjust),
		cmocka_unit_test(test_negative_star_precision_means_no_precision),
		cmocka_unit_test(test_length_modifiers_convert_to_their_type),
		cmocka_unit_test(test_formats_pointers_as_hex_with_prefix),
		cmocka_unit_test(test_formats_null_string_as_null_marker),
		cmocka_unit_test(test_strings_and_characters_honour_width_and_precision),
		cmocka_unit_test(test_zero_flag_does_not_pad_text),
		cmocka_unit_test(test_string_precision_bounds_the_bytes_read),
		cmocka_unit_test(test_unknown_conversion_is_printed_as_is),
		cmocka_unit_test(test_snprintf_truncates_and_returns_full_length),
		cmocka_unit_test(test_snprintf_with_zero_size_writes_nothing),
		cmocka_unit_test(test_snprintf_with_size_one_writes_only_terminator),
		cmocka_unit_test(test_format_sends_output_to_sink_in_order),
		cmocka_unit_test(test_format_counts_wide_padding),
		cmocka_unit_test(test_int_conversions_match_host_snprintf),
		cmocka_unit_test(test_unsigned_conversions_match_host_snprintf),
		cmocka_unit_test(test_long_long_conversions_match_host_snprintf),
		cmocka_unit_test(test_short_and_char_conversions_match_host_snprintf),
		cmocka_unit_test(test_string_and_char_conversions_match_host_snprintf),
		cmocka_unit_test(test_pointer_conversions_match_host_snprintf),
		cmocka_unit_test(test_star_conversions_match_host_snprintf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
