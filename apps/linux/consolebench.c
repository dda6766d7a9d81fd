/*
 * consolebench DEVICE BYTES [CHUNK]: the cost of console output, for
 * tools/console-bench. Writes BYTES bytes of 64-byte lines to the tty
 * DEVICE, CHUNK bytes (default 64, at most 4096) per write, waits until the
 * driver has sent them all (tcdrain), and prints how long that took on the
 * generic counter:
 *
 *   mica-guest: consolebench: DEVICE BYTES bytes in CHUNK TICKS ticks at HZ Hz
 *
 * Under QEMU's -icount shift=0 every executed instruction is a nanosecond,
 * so the ticks give the instructions the whole machine executed to move
 * those bytes: the guest's, and under Mica the kernel's and servers' too.
 *
 * A static program without a C library: the system calls are made here.
 */
#include <base/fmt.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Linux's arm64 system-call numbers (include/uapi/asm-generic/unistd.h). */
enum syscall_number {
	SYS_IOCTL = 29,
	SYS_OPENAT = 56,
	SYS_WRITE = 64,
	SYS_EXIT_GROUP = 94,
};

#define AT_FDCWD  (-100)
#define O_WRONLY  01
#define O_NOCTTY  0400
#define TCSBRK	  0x5409u /* With argument 1: wait until the output is sent (tcdrain). */
#define LINE_SIZE 64u
#define CHUNK_MAX 4096u

static long syscall3(long nr, long a, long b, long c)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}

static long syscall4(long nr, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

static void say(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = (size_t)fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)syscall3(SYS_WRITE, 1, (long)line, (long)n);
}

static __attribute__((noreturn)) void leave(int status)
{
	(void)syscall3(SYS_EXIT_GROUP, status, 0, 0);
	for (;;)
		;
}

static uint64_t counter(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static uint64_t counter_hz(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static uint64_t parse(const char *s)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return *s == '\0' ? v : 0;
}

void cmain(const long *sp);

/* The kernel's entry: sp holds argc, then argv. */
__asm__(".globl _start\n"
	"_start:\n"
	"	mov	x0, sp\n"
	"	bl	cmain\n");

void cmain(const long *sp)
{
	const char *const *argv = (const char *const *)(sp + 1);
	static char text[CHUNK_MAX];
	uint64_t bytes = 0, chunk = LINE_SIZE, start, ticks;
	long fd;

	if (sp[0] == 3 || sp[0] == 4) {
		bytes = parse(argv[2]);
		if (sp[0] == 4)
			chunk = parse(argv[3]);
	}
	if (bytes == 0 || chunk == 0 || chunk > CHUNK_MAX) {
		say("FAIL mica-guest: consolebench: usage: consolebench DEVICE BYTES [CHUNK]\n");
		leave(2);
	}
	fd = syscall4(SYS_OPENAT, AT_FDCWD, (long)argv[1], O_WRONLY | O_NOCTTY, 0);
	if (fd < 0) {
		say("FAIL mica-guest: consolebench: cannot open %s (error %ld)\n", argv[1], -fd);
		leave(1);
	}
	for (unsigned i = 0; i < CHUNK_MAX; i++)
		text[i] = i % LINE_SIZE == LINE_SIZE - 1 ? '\n' : (char)('a' + i % 26);
	start = counter();
	for (uint64_t sent = 0; sent < bytes;) {
		uint64_t n = bytes - sent < chunk ? bytes - sent : chunk;
		long done = syscall3(SYS_WRITE, fd, (long)text, (long)n);

		if (done <= 0) {
			say("FAIL mica-guest: consolebench: write to %s failed (%ld)\n", argv[1],
			    done);
			leave(1);
		}
		sent += (uint64_t)done;
	}
	(void)syscall3(SYS_IOCTL, fd, TCSBRK, 1);
	ticks = counter() - start;
	say("mica-guest: consolebench: %s %llu bytes in %llu %llu ticks at %llu Hz\n", argv[1],
	    (unsigned long long)bytes, (unsigned long long)chunk, (unsigned long long)ticks,
	    (unsigned long long)counter_hz());
	leave(0);
}
