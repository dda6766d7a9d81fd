/*
 * printf for EL0 programs: output is gathered in a buffer and written to
 * the debug console a line at a time (or when the buffer fills).
 */
#include <base/fmt.h>
#include <mica/print.h>
#include <mica/sys.h>
#include <string.h>

#define LINE_MAX 256

struct line_buffer {
	char buf[LINE_MAX];
	size_t len;
};

static void flush(struct line_buffer *lb)
{
	if (lb->len > 0)
		(void)sys_debug_write(lb->buf, lb->len);
	lb->len = 0;
}

static void line_sink(void *ctx, const char *s, size_t len)
{
	struct line_buffer *lb = ctx;

	for (size_t i = 0; i < len; i++) {
		lb->buf[lb->len++] = s[i];
		if (s[i] == '\n' || lb->len == LINE_MAX)
			flush(lb);
	}
}

int printf(const char *fmt, ...)
{
	struct line_buffer lb = {.len = 0};
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vformat(line_sink, &lb, fmt, ap);
	va_end(ap);
	flush(&lb);
	return n;
}

int puts(const char *s)
{
	return printf("%s\n", s);
}
