/*
 * diskbench: sequential direct I/O on a block device, timed, for
 * tools/disk-bench.
 *
 *   diskbench DEVICE MIB   writes MIB MiB from the device's start in 1 MiB
 *                          O_DIRECT writes, then fdatasync (the device's
 *                          flush); then reads them back in 1 MiB O_DIRECT
 *                          reads and checks each block's stamp
 *
 * It prints each pass's time on CLOCK_MONOTONIC, in nanoseconds, and how
 * long every CPU was idle meanwhile (idle_ns), in nanoseconds:
 *
 *   mica-guest: diskbench: wrote MIB MiB in NS ns, idle IDLE ns, of which the flush FLUSH ns
 *   mica-guest: diskbench: read MIB MiB in NS ns, idle IDLE ns
 *
 * O_DIRECT keeps the page cache out of it, so every byte crosses the
 * device both ways. The buffer is filled once; only its first 16 bytes
 * change between blocks (the block's number and a constant), which the
 * read pass checks, so a block that was not written, or came back from
 * the wrong place, fails the run. Under QEMU's -icount shift=0 a
 * nanosecond of the guest's clock is an instruction executed by the
 * machine, except while every CPU waits in WFI, when QEMU moves the clock
 * on to its next timer at once: that lies in the idle time, with what the
 * rest of the machine ran while the guest idled.
 *
 * A static program without a C library (linux_sys.h). A failure is a line
 * starting "FAIL mica-guest: diskbench: " and exit status 1 (2 for a wrong
 * command line).
 */
#include "linux_sys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

const char linux_program[] = "diskbench";

#define SYS_FDATASYNC 83

#define AT_FDCWD (-100)
#define O_RDONLY 00
#define O_RDWR	 02
#define O_DIRECT 0200000 /* arm64's (arch/arm64/include/uapi/asm/fcntl.h). */
#define SEEK_SET 0

#define BLOCK	  (UINT64_C(1) << 20)
#define MIB_MAX	  4096u
#define STAMP_KEY UINT64_C(0x6d6963612d64736b) /* "mica-dsk" */

/* 1 MiB, page-aligned as O_DIRECT asks. */
static _Alignas(4096) unsigned char buffer[BLOCK];

static _Noreturn void usage(void)
{
	linux_fail(2, "usage: diskbench DEVICE MIB (1 to %u)", MIB_MAX);
}

static void stamp(uint64_t block)
{
	uint64_t words[2] = {block, block ^ STAMP_KEY};

	memcpy(buffer, words, sizeof(words));
}

static bool is_stamped(uint64_t block)
{
	uint64_t words[2];

	memcpy(words, buffer, sizeof(words));
	return words[0] == block && words[1] == (block ^ STAMP_KEY);
}

/* The first whole number after p, or 0; *end is where it stops. */
static uint64_t number_after(const char *p, const char **end)
{
	uint64_t v = 0;

	for (; *p != '\0' && *p != '\n' && (*p < '0' || *p > '9'); p++)
		;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	*end = p;
	return v;
}

/* Where word next appears in p, or NULL. */
static const char *find(const char *p, const char *word)
{
	size_t len = strlen(word);

	for (; *p != '\0'; p++)
		if (strncmp(p, word, len) == 0)
			return p;
	return NULL;
}

static char listing[64 * 1024];

/* The file at path, NUL-terminated in listing; false if it cannot be read. */
static bool read_listing(const char *path)
{
	long fd = linux_syscall(SYS_OPENAT, AT_FDCWD, (long)path, O_RDONLY, 0, 0);
	size_t len = 0;
	long got = 1;

	if (fd < 0)
		return false;
	while (got > 0 && len < sizeof(listing) - 1) {
		got = linux_syscall(SYS_READ, fd, (long)(listing + len),
				    (long)(sizeof(listing) - 1 - len), 0, 0);
		if (got > 0)
			len += (size_t)got;
	}
	(void)linux_syscall(SYS_CLOSE, fd, 0, 0, 0, 0);
	listing[len] = '\0';
	return got >= 0 && len > 0;
}

/*
 * Nanoseconds every CPU has spent idle, waiting for I/O or not (a CPU
 * idles as iowait while a task of its waits for the disk, as this one
 * does): the sum of each CPU's idle_sleeptime and iowait_sleeptime in
 * /proc/timer_list, which the tick code keeps to the nanosecond. Without
 * that file, /proc/stat's idle and iowait figures, in 10 ms steps.
 */
static uint64_t idle_ns(void)
{
	const char *p;
	uint64_t ns = 0;

	if (read_listing("/proc/timer_list")) {
		for (p = listing; (p = find(p, "_sleeptime")) != NULL;)
			ns += number_after(p, &p);
		return ns;
	}
	if (!read_listing("/proc/stat"))
		linux_fail(1, "cannot read /proc/timer_list or /proc/stat");
	/* The "cpu" line: user, nice, system, idle, iowait, ... in USER_HZ (100) ticks. */
	p = listing;
	for (unsigned field = 0; field < 5; field++) {
		uint64_t v = number_after(p, &p);

		if (field >= 3)
			ns += v * UINT64_C(10000000);
	}
	return ns;
}

static void seek_start(long fd)
{
	long ret = linux_syscall(SYS_LSEEK, fd, 0, SEEK_SET, 0, 0);

	if (ret != 0)
		linux_fail(1, "lseek failed (error %ld)", -ret);
}

/* One pass: MIB blocks written (is_write) or read; prints its time. */
static void pass(long fd, uint64_t mib, bool is_write)
{
	uint64_t idle = idle_ns(), start, flushed, ns;

	seek_start(fd);
	start = linux_now_ns();
	for (uint64_t block = 0; block < mib; block++) {
		long done;

		if (is_write)
			stamp(block);
		done = linux_syscall(is_write ? SYS_WRITE : SYS_READ, fd, (long)buffer, (long)BLOCK,
				     0, 0);
		if (done != (long)BLOCK)
			linux_fail(1, "%s of block %llu gave %ld", is_write ? "write" : "read",
				   (unsigned long long)block, done);
		if (!is_write && !is_stamped(block))
			linux_fail(1, "block %llu read back is not the one written",
				   (unsigned long long)block);
	}
	flushed = linux_now_ns();
	if (is_write && linux_syscall(SYS_FDATASYNC, fd, 0, 0, 0, 0) != 0)
		linux_fail(1, "fdatasync failed");
	ns = linux_now_ns() - start;
	idle = idle_ns() - idle;
	if (is_write)
		linux_say("wrote %llu MiB in %llu ns, idle %llu ns, of which the flush %llu ns",
			  (unsigned long long)mib, (unsigned long long)ns, (unsigned long long)idle,
			  (unsigned long long)(ns - (flushed - start)));
	else
		linux_say("read %llu MiB in %llu ns, idle %llu ns", (unsigned long long)mib,
			  (unsigned long long)ns, (unsigned long long)idle);
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
	uint64_t mib;
	long fd;

	if (sp[0] != 3 || !linux_parse_u64(argv[2], &mib) || mib == 0 || mib > MIB_MAX)
		usage();
	fd = linux_syscall(SYS_OPENAT, AT_FDCWD, (long)argv[1], O_RDWR | O_DIRECT, 0, 0);
	if (fd < 0)
		linux_fail(1, "cannot open %s for direct I/O (error %ld)", argv[1], -fd);
	for (size_t i = 0; i < sizeof(buffer); i++)
		buffer[i] = (unsigned char)(i * 7 + 1);
	pass(fd, mib, true);
	pass(fd, mib, false);
	(void)linux_syscall(SYS_CLOSE, fd, 0, 0, 0, 0);
	linux_exit(0);
}
