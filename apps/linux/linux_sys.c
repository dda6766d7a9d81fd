/* Linux system calls for the guest's own programs (linux_sys.h). */
#include "linux_sys.h"

#include <base/fmt.h>

#include <stddef.h>

long linux_syscall6(long number, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long x8 __asm__("x8") = number;
	register long x0 __asm__("x0") = a0;
	register long x1 __asm__("x1") = a1;
	register long x2 __asm__("x2") = a2;
	register long x3 __asm__("x3") = a3;
	register long x4 __asm__("x4") = a4;
	register long x5 __asm__("x5") = a5;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

long linux_syscall(long number, long a0, long a1, long a2, long a3, long a4)
{
	return linux_syscall6(number, a0, a1, a2, a3, a4, 0);
}

_Noreturn void linux_exit(int status)
{
	linux_syscall(SYS_EXIT_GROUP, status, 0, 0, 0, 0);
	__builtin_unreachable();
}

void linux_print_line(const char *lead, const char *fmt, va_list ap)
{
	char line[256];
	size_t len = (size_t)fmt_snprintf(line, sizeof(line), "%s", lead);
	int more = fmt_vsnprintf(line + len, sizeof(line) - len, fmt, ap);

	len += (size_t)more;
	if (len > sizeof(line) - 1)
		len = sizeof(line) - 1;
	line[len] = '\n';
	linux_syscall(SYS_WRITE, 1, (long)line, (long)len + 1, 0, 0);
}

/* A line with the lead "[FAIL ]mica-guest: PROGRAM: ". */
static void program_line(const char *fail, const char *fmt, va_list ap)
{
	char lead[64];

	(void)fmt_snprintf(lead, sizeof(lead), "%smica-guest: %s: ", fail, linux_program);
	linux_print_line(lead, fmt, ap);
}

void linux_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	program_line("", fmt, ap);
	va_end(ap);
}

void linux_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	program_line("FAIL ", fmt, ap);
	va_end(ap);
	linux_exit(status);
}

uint64_t linux_counter(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

uint64_t linux_counter_hz(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

bool linux_parse_u64(const char *s, uint64_t *v)
{
	*v = 0;
	if (*s == '\0')
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		*v = *v * 10 + (uint64_t)(*s - '0');
	return *s == '\0';
}

/* Linux's struct timespec on arm64 (clock_gettime). */
struct linux_timespec {
	long sec;
	long nsec;
};

#define SYS_CLOCK_GETTIME 113
#define CLOCK_MONOTONIC	  1
#define AT_FDCWD	  (-100)
#define O_RDONLY	  00

uint64_t linux_now_ns(void)
{
	struct linux_timespec ts = {0, 0};
	long ret = linux_syscall(SYS_CLOCK_GETTIME, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0);

	if (ret != 0)
		linux_fail(1, "clock_gettime failed (error %ld)", -ret);
	return (uint64_t)ts.sec * UINT64_C(1000000000) + (uint64_t)ts.nsec;
}

uint64_t linux_idle_ms(void)
{
	char text[64];
	long fd = linux_syscall(SYS_OPENAT, AT_FDCWD, (long)"/proc/uptime", O_RDONLY, 0, 0);
	long len;
	const char *p;
	uint64_t cs = 0;

	if (fd < 0)
		linux_fail(1, "cannot open /proc/uptime (error %ld)", -fd);
	len = linux_syscall(SYS_READ, fd, (long)text, sizeof(text) - 1, 0, 0);
	(void)linux_syscall(SYS_CLOSE, fd, 0, 0, 0, 0);
	if (len <= 0)
		linux_fail(1, "cannot read /proc/uptime (%ld)", len);
	text[len] = '\0';
	for (p = text; *p != ' ' && *p != '\0'; p++)
		;
	for (; *p == ' '; p++)
		;
	for (; (*p >= '0' && *p <= '9') || *p == '.'; p++)
		if (*p != '.')
			cs = cs * 10 + (uint64_t)(*p - '0');
	return cs * 10;
}
