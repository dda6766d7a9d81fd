/*
 * Number parsing for libs/base (see <stdlib.h>). Also built for the host's
 * unit tests, under the name base_strtoul so that the tests call this
 * function rather than the host C library's.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* ISO C's strings: isspace in the "C" locale. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The value of c as a digit in bases up to 36, or 36 when it is none. */
static unsigned int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	if (c >= 'a' && c <= 'z')
		return (unsigned int)(c - 'a') + 10;
	if (c >= 'A' && c <= 'Z')
		return (unsigned int)(c - 'A') + 10;
	return 36;
}

/* ISO C's ends: const in, not const out; going through an integer says so. */
static char *drop_const(const char *p)
{
	return (char *)(uintptr_t)p;
}

/*
 * ISO C 7.22.1.4: white space, an optional sign, then digits in base (2 to
 * 36), or for base 0 in the base the prefix gives: "0x" or "0X" hex, "0"
 * octal, else decimal. A "0x" not followed by a hex digit is just the "0".
 * A minus sign negates the result in unsigned long arithmetic. When there
 * are no digits, nothing is converted and *end is s itself.
 */
unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	const char *p = s;
	unsigned long value = 0;
	bool is_negative = false;
	bool is_overflow = false;
	const char *digits;

	if (end != NULL)
		*end = drop_const(s);
	if (base < 0 || base == 1 || base > 36)
		return 0;
	while (is_space(*p))
		p++;
	if (*p == '+' || *p == '-')
		is_negative = *p++ == '-';
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    digit_value(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = p[0] == '0' ? 8 : 10;
	}
	digits = p;
	for (unsigned int d; (d = digit_value(*p)) < (unsigned int)base; p++) {
		if (value > (ULONG_MAX - d) / (unsigned int)base)
			is_overflow = true;
		value = value * (unsigned int)base + d;
	}
	if (p == digits)
		return 0;
	if (end != NULL)
		*end = drop_const(p);
	if (is_overflow)
		return ULONG_MAX;
	return is_negative ? -value : value;
}
