/*
 * Formatted printing for freestanding code (the kernel and EL0 programs):
 * a printf subset that writes through a caller-supplied sink, so it needs
 * no buffer, no allocation and no libc.
 *
 * Conversions: %d %i %u %x %X %o %p %s %c %%, with the flags '-' and '0',
 * a field width and a precision (either may be '*'), and the length
 * modifiers hh h l ll z t j. %p prints 0x followed by hex digits. %s of a
 * NULL pointer prints "(null)". An unknown conversion is printed as is.
 */
#ifndef MICA_BASE_FMT_H
#define MICA_BASE_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives consecutive pieces of the output, len bytes at s. */
typedef void (*fmt_sink_fn)(void *ctx, const char *s, size_t len);

/* Format into sink; returns the number of characters produced. */
int fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

int fmt_format(fmt_sink_fn sink, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Format into buf, which holds size bytes; the result is always NUL
 * terminated when size > 0. Returns the length the full output would have
 * had, as C99's snprintf does.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
