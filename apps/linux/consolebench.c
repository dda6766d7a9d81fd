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
 * A static program without a C library (linux_sys.h).
 */
#include <base/fmt.h>

#include "linux_sys.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

const char linux_program[] = "consolebench";

#define AT_FDCWD  (-100)
#define O_WRONLY  01
#define O_NOCTTY  0400
#define TCSBRK	  0x5409u /* With argument 1: wait until the output is sent (tcdrain). */
#define LINE_SIZE 64u
#define CHUNK_MAX 4096u

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

	if ((sp[0] == 3 || sp[0] == 4) && !linux_parse_u64(argv[2], &bytes))
		bytes = 0;
	if (sp[0] == 4 && !linux_parse_u64(argv[3], &chunk))
		chunk = 0;
	if (bytes == 0 || chunk == 0 || chunk > CHUNK_MAX) {
		linux_fail(2, "usage: consolebench DEVICE BYTES [CHUNK]");
	}
	fd = linux_syscall(SYS_OPENAT, AT_FDCWD, (long)argv[1], O_WRONLY | O_NOCTTY, 0, 0);
	if (fd < 0)
		linux_fail(1, "cannot open %s (error %ld)", argv[1], -fd);
	for (unsigned i = 0; i < CHUNK_MAX; i++)
		text[i] = i % LINE_SIZE == LINE_SIZE - 1 ? '\n' : (char)('a' + i % 26);
	start = linux_counter();
	for (uint64_t sent = 0; sent < bytes;) {
		uint64_t n = bytes - sent < chunk ? bytes - sent : chunk;
		long done = linux_syscall(SYS_WRITE, fd, (long)text, (long)n, 0, 0);

		if (done <= 0)
			linux_fail(1, "write to %s failed (%ld)", argv[1], done);
		sent += (uint64_t)done;
	}
	(void)linux_syscall(SYS_IOCTL, fd, TCSBRK, 1, 0, 0);
	ticks = linux_counter() - start;
	linux_say("%s %llu bytes in %llu %llu ticks at %llu Hz", argv[1], (unsigned long long)bytes,
		  (unsigned long long)chunk, (unsigned long long)ticks,
		  (unsigned long long)linux_counter_hz());
	linux_exit(0);
}
