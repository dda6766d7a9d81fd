/* Checks a test guest reports on its console (check.h). */
#include "check.h"

/* The description's serial@9000000, served by the PL011 server. */
#define UART_BASE 0x09000000ull
#define UARTDR	  0x000u
#define UARTFR	  0x018u
#define FR_TXFF	  (1u << 5)

/* Device-tree structure (devicetree specification, 5.4). */
#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u

const char *check_name = "guest";
unsigned check_failures;

static void uart_putc(char c)
{
	while (*(volatile uint32_t *)(UART_BASE + UARTFR) & FR_TXFF)
		;
	*(volatile uint32_t *)(UART_BASE + UARTDR) = (uint8_t)c;
}

void say(const char *s)
{
	while (*s != '\0')
		uart_putc(*s++);
}

void put_hex(uint64_t v)
{
	unsigned shift = 60;

	say("0x");
	while (shift > 0 && (v >> shift) == 0)
		shift -= 4;
	for (;;) {
		uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
		if (shift == 0)
			break;
		shift -= 4;
	}
}

void fail(const char *what)
{
	check_failures++;
	say(check_name);
	say(": FAIL ");
	say(what);
}

bool same(const char *check, const char *field, uint64_t got, uint64_t expected)
{
	if (got == expected)
		return true;
	fail(check);
	say(": ");
	say(field);
	say(": got ");
	put_hex(got);
	say(", expected ");
	put_hex(expected);
	say("\r\n");
	return false;
}

bool within(const char *check, const char *field, uint64_t got, uint64_t low, uint64_t high)
{
	if (got >= low && got <= high)
		return true;
	fail(check);
	say(": ");
	say(field);
	say(": got ");
	put_hex(got);
	say(", expected ");
	put_hex(low);
	say("..");
	put_hex(high);
	say("\r\n");
	return false;
}

void held(bool ok, const char *line)
{
	if (!ok)
		return;
	say(check_name);
	say(": ");
	say(line);
	say("\r\n");
}

bool streq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t cstring_len(const char *s)
{
	uint32_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

const char *bootargs(const uint8_t *fdt)
{
	const uint8_t *p = fdt + be32(fdt + 8);
	const char *strings = (const char *)fdt + be32(fdt + 12);
	unsigned depth = 0;
	bool is_chosen = false;

	if (be32(fdt) != FDT_MAGIC)
		return "";
	for (;;) {
		uint32_t token = be32(p), len;

		p += 4;
		if (token == FDT_BEGIN_NODE) {
			len = cstring_len((const char *)p);
			if (++depth == 2)
				is_chosen = streq((const char *)p, "chosen");
			p += (len + 4) & ~UINT32_C(3);
		} else if (token == FDT_END_NODE) {
			depth--;
		} else if (token == FDT_PROP) {
			len = be32(p);
			if (depth == 2 && is_chosen && streq(strings + be32(p + 4), "bootargs"))
				return (const char *)(p + 8);
			p += 8 + ((len + 3) & ~UINT32_C(3));
		} else if (token != FDT_NOP) {
			return ""; /* FDT_END, or a tree this walk does not understand. */
		}
	}
}
