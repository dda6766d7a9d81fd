/*
 * Formatted printing for the kernel and EL0 programs (see base/fmt.h).
 *
 * Output goes through the caller's sink a piece at a time, so nothing here
 * needs a buffer, an allocation or global state, and only integers are
 * involved (the kernel is built with -mgeneral-regs-only). The same file
 * also builds on the host, against the host's libc, for unit tests.
 */
#include <base/fmt.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The '-' flag: pad on the right instead of the left. */
#define FLAG_LEFT (1u << 0)
/* The '0' flag: pad numbers with zeros after the sign, not spaces before. */
#define FLAG_ZERO (1u << 1)

/* The length modifier of a conversion, which sets the argument's type. */
enum length {
	LEN_NONE, /* int, or unsigned int. */
	LEN_HH,	  /* char, passed as int. */
	LEN_H,	  /* short, passed as int. */
	LEN_L,	  /* long. */
	LEN_LL,	  /* long long. */
	LEN_Z,	  /* size_t. */
	LEN_T,	  /* ptrdiff_t. */
	LEN_J,	  /* intmax_t. */
};

/* One parsed conversion specification, everything between '%' and the letter. */
struct spec {
	unsigned int flags; /* FLAG_*. */
	int width;	    /* Minimum field width; 0 when absent. */
	int precision;	    /* Negative when absent. */
	enum length length;
};

/* Where output goes, and how much has gone there so far. */
struct out {
	fmt_sink_fn sink;
	void *ctx;
	size_t count;
};

/* The state of fmt_vsnprintf's sink: bytes stored so far, never size or more. */
struct buffer {
	char *buf;
	size_t size;
	size_t used;
};

/* %zd takes a ptrdiff_t in place of the signed type matching size_t. */
_Static_assert(sizeof(ptrdiff_t) == sizeof(size_t), "ptrdiff_t and size_t differ in size");

static void emit(struct out *out, const char *s, size_t len)
{
	if (len == 0)
		return;
	out->sink(out->ctx, s, len);
	out->count += len;
}

/* Emit n copies of ch (a space or '0'), in chunks to keep sink calls few. */
static void emit_padding(struct out *out, char ch, size_t n)
{
	static const char spaces[] = "                ";
	static const char zeros[] = "0000000000000000";
	const char *chunk = ch == '0' ? zeros : spaces;
	const size_t chunk_len = sizeof(spaces) - 1;

	while (n > 0) {
		size_t len = n < chunk_len ? n : chunk_len;

		emit(out, chunk, len);
		n -= len;
	}
}

/* Add a decimal digit to *value, saturating instead of overflowing. */
static void accumulate_digit(int *value, char digit)
{
	int d = digit - '0';

	if (*value > (INT_MAX - d) / 10)
		*value = INT_MAX;
	else
		*value = *value * 10 + d;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parse flags, width, precision and length modifier starting just after a
 * '%', taking '*' values from ap. Returns a pointer to the conversion
 * character, which may be the format's terminating NUL. A negative '*'
 * width means the '-' flag and its absolute value, and a negative '*'
 * precision means no precision, as in C99 7.19.6.1.
 */
static const char *parse_spec(const char *p, struct spec *spec, va_list *ap)
{
	spec->flags = 0;
	spec->width = 0;
	spec->precision = -1;
	spec->length = LEN_NONE;

	for (;; p++) {
		if (*p == '-')
			spec->flags |= FLAG_LEFT;
		else if (*p == '0')
			spec->flags |= FLAG_ZERO;
		else
			break;
	}

	if (*p == '*') {
		int width = va_arg(*ap, int);

		if (width < 0) {
			spec->flags |= FLAG_LEFT;
			width = width == INT_MIN ? INT_MAX : -width;
		}
		spec->width = width;
		p++;
	} else {
		while (is_digit(*p))
			accumulate_digit(&spec->width, *p++);
	}

	if (*p == '.') {
		p++;
		if (*p == '*') {
			int precision = va_arg(*ap, int);

			spec->precision = precision < 0 ? -1 : precision;
			p++;
		} else {
			spec->precision = 0;
			while (is_digit(*p))
				accumulate_digit(&spec->precision, *p++);
		}
	}

	switch (*p) {
	case 'h':
		p++;
		spec->length = LEN_H;
		if (*p == 'h') {
			p++;
			spec->length = LEN_HH;
		}
		break;
	case 'l':
		p++;
		spec->length = LEN_L;
		if (*p == 'l') {
			p++;
			spec->length = LEN_LL;
		}
		break;
	case 'z':
		p++;
		spec->length = LEN_Z;
		break;
	case 't':
		p++;
		spec->length = LEN_T;
		break;
	case 'j':
		p++;
		spec->length = LEN_J;
		break;
	default:
		break;
	}
	return p;
}

/* Fetch a signed argument of the type the length modifier names. */
static intmax_t read_signed(enum length length, va_list *ap)
{
	switch (length) {
	case LEN_NONE:
		return va_arg(*ap, int);
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	}
	return 0;
}

/*
 * Fetch an unsigned argument of the type the length modifier names. A
 * ptrdiff_t is read as itself and converted, which is defined for negative
 * values too.
 */
static uintmax_t read_unsigned(enum length length, va_list *ap)
{
	switch (length) {
	case LEN_NONE:
		return va_arg(*ap, unsigned int);
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (size_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	}
	return 0;
}

/*
 * Emit an integer of magnitude value in base 8, 10 or 16, after the sign
 * (if negative) and prefix. The layout is: padding spaces, sign and prefix,
 * zeros (from the precision, or from the '0' flag's padding), digits, then
 * padding spaces if left-adjusted. A zero precision with a zero value
 * prints no digits at all, as C requires.
 */
static void format_integer(struct out *out, const struct spec *spec, uintmax_t value, bool negative,
			   unsigned int base, bool upper, const char *prefix)
{
	const char *digit_set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	/* Enough for the 22 octal digits of a 64-bit value, and then some. */
	char digits[3 * sizeof(uintmax_t)];
	size_t digit_count = 0;

	if (value != 0 || spec->precision != 0) {
		do {
			digit_count++;
			digits[sizeof(digits) - digit_count] = digit_set[value % base];
			value /= base;
		} while (value != 0);
	}

	size_t precision = spec->precision < 0 ? 0 : (size_t)spec->precision;
	size_t zeros = precision > digit_count ? precision - digit_count : 0;
	size_t prefix_len = strlen(prefix);
	size_t body = (negative ? 1 : 0) + prefix_len + zeros + digit_count;
	size_t width = (size_t)spec->width;
	size_t padding = width > body ? width - body : 0;

	bool left = (spec->flags & FLAG_LEFT) != 0;
	bool zero_pad = !left && (spec->flags & FLAG_ZERO) != 0 && spec->precision < 0;

	if (zero_pad) {
		zeros += padding;
		padding = 0;
	}
	if (!left)
		emit_padding(out, ' ', padding);
	if (negative)
		emit(out, "-", 1);
	emit(out, prefix, prefix_len);
	emit_padding(out, '0', zeros);
	emit(out, digits + sizeof(digits) - digit_count, digit_count);
	if (left)
		emit_padding(out, ' ', padding);
}

/* Emit len bytes at s within the field width; strings never pad with zeros. */
static void format_text(struct out *out, const struct spec *spec, const char *s, size_t len)
{
	size_t width = (size_t)spec->width;
	size_t padding = width > len ? width - len : 0;
	bool left = (spec->flags & FLAG_LEFT) != 0;

	if (!left)
		emit_padding(out, ' ', padding);
	emit(out, s, len);
	if (left)
		emit_padding(out, ' ', padding);
}

/*
 * Emit a %s argument. With a precision, at most that many bytes are looked
 * at, so the argument need not be terminated (C99 7.19.6.1p8).
 */
static void format_string(struct out *out, const struct spec *spec, const char *s)
{
	size_t len = 0;

	if (s == NULL)
		s = "(null)";
	if (spec->precision < 0) {
		len = strlen(s);
	} else {
		size_t max = (size_t)spec->precision;

		while (len < max && s[len] != '\0')
			len++;
	}
	format_text(out, spec, s, len);
}

/*
 * Perform the conversion named by conv. Returns false, having consumed no
 * argument, if conv is not a conversion this formatter knows.
 */
static bool convert(struct out *out, char conv, const struct spec *spec, va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i': {
		intmax_t v = read_signed(spec->length, ap);
		/* Negate in unsigned arithmetic: -INTMAX_MIN does not exist. */
		uintmax_t magnitude = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;

		format_integer(out, spec, magnitude, v < 0, 10, false, "");
		return true;
	}
	case 'u':
		format_integer(out, spec, read_unsigned(spec->length, ap), false, 10, false, "");
		return true;
	case 'o':
		format_integer(out, spec, read_unsigned(spec->length, ap), false, 8, false, "");
		return true;
	case 'x':
		format_integer(out, spec, read_unsigned(spec->length, ap), false, 16, false, "");
		return true;
	case 'X':
		format_integer(out, spec, read_unsigned(spec->length, ap), false, 16, true, "");
		return true;
	case 'p':
		format_integer(out, spec, (uintptr_t)va_arg(*ap, void *), false, 16, false, "0x");
		return true;
	case 'c': {
		char c = (char)va_arg(*ap, int);

		format_text(out, spec, &c, 1);
		return true;
	}
	case 's':
		format_string(out, spec, va_arg(*ap, const char *));
		return true;
	case '%':
		emit(out, "%", 1);
		return true;
	default:
		return false;
	}
}

/*
 * The formatter proper. Literal text goes to the sink in runs, not byte by
 * byte. An unknown conversion, or a '%' directive cut short by the end of
 * the format, is emitted as the directive's own text, so a mistake shows
 * in the output instead of vanishing.
 */
int fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
	struct out out = {.sink = sink, .ctx = ctx, .count = 0};
	/* A copy that can be passed by address, whatever va_list's type. */
	va_list args;
	const char *p = fmt;

	va_copy(args, ap);
	while (*p != '\0') {
		if (*p != '%') {
			const char *run = p;

			while (*p != '\0' && *p != '%')
				p++;
			emit(&out, run, (size_t)(p - run));
			continue;
		}

		const char *directive = p;
		struct spec spec;

		p = parse_spec(p + 1, &spec, &args);
		if (*p == '\0') {
			emit(&out, directive, (size_t)(p - directive));
			break;
		}
		if (!convert(&out, *p, &spec, &args))
			emit(&out, directive, (size_t)(p - directive) + 1);
		p++;
	}
	va_end(args);
	return out.count > INT_MAX ? INT_MAX : (int)out.count;
}

int fmt_format(fmt_sink_fn sink, void *ctx, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vformat(sink, ctx, fmt, ap);
	va_end(ap);
	return n;
}

/* Store what fits, keeping one byte for the terminator; drop the rest. */
static void buffer_sink(void *ctx, const char *s, size_t len)
{
	struct buffer *b = ctx;

	if (b->size == 0)
		return;

	size_t room = b->size - 1 - b->used;
	size_t n = len < room ? len : room;

	memcpy(b->buf + b->used, s, n);
	b->used += n;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buffer b = {.buf = buf, .size = size, .used = 0};
	int n = fmt_vformat(buffer_sink, &b, fmt, ap);

	if (size > 0)
		buf[b.used] = '\0';
	return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
