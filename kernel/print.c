/*
 * Console output: formatted printing (libs/base) onto the debug UART.
 */
#include <base/fmt.h>

#include "arch.h"
#include "drivers/pl011.h"
#include "print.h"

#include <mica/abi/status.h>

static volatile void *console;

void print_init(volatile void *regs)
{
	console = regs;
}

void print_write(const char *s, size_t len)
{
	if (console != NULL)
		pl011_write(console, s, len);
}

static void print_sink(void *ctx, const char *s, size_t len)
{
	(void)ctx;
	print_write(s, len);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vformat(print_sink, NULL, fmt, ap);
	va_end(ap);
	return n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	kprintf("mica: PANIC (kernel bug): ");
	va_start(ap, fmt);
	fmt_vformat(print_sink, NULL, fmt, ap);
	va_end(ap);
	kprintf("\n");
	arch_power_off(MICA_EXIT_KERNEL_PANIC);
}
