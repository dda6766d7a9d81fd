/*
 * What the Linux guest's own static programs (hwdebug, consolebench, ivccopy,
 * netbench, diskbench) need of Linux without a C library: its arm64 system
 * calls, a line of output in one write(), and the clock.
 */
#ifndef MICA_APPS_LINUX_SYS_H
#define MICA_APPS_LINUX_SYS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* Linux's arm64 system-call numbers (include/uapi/asm-generic/unistd.h). */
enum linux_syscall_number {
	SYS_IOCTL = 29,
	SYS_OPENAT = 56,
	SYS_CLOSE = 57,
	SYS_LSEEK = 62,
	SYS_READ = 63,
	SYS_WRITE = 64,
	SYS_PPOLL = 73,
	SYS_EXIT_GROUP = 94,
	SYS_PTRACE = 117,
	SYS_KILL = 129,
	SYS_MUNMAP = 215,
	SYS_CLONE = 220,
	SYS_MMAP = 222,
	SYS_WAIT4 = 260,
};

/*
 * A Linux system call: its number in x8, up to five arguments from x0, the
 * result in x0 (a negative errno on failure); nothing else changes.
 */
long linux_syscall(long number, long a0, long a1, long a2, long a3, long a4);

/* The same with a sixth argument, in x5 (mmap's offset). */
long linux_syscall6(long number, long a0, long a1, long a2, long a3, long a4, long a5);

/* The process ends with status. */
_Noreturn void linux_exit(int status);

/*
 * Writes one line to standard output: lead, then fmt formatted, then a
 * newline, in one write() so that it is not split by the kernel's own
 * messages. A line too long for the buffer is cut short.
 */
void linux_print_line(const char *lead, const char *fmt, va_list ap);

/*
 * The name a program's lines carry (linux_say, linux_fail): a program that
 * uses them defines it.
 */
extern const char linux_program[];

/* One line "mica-guest: PROGRAM: " and fmt (linux_print_line). */
void linux_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line "FAIL mica-guest: PROGRAM: " and fmt; then the process ends with status. */
_Noreturn void linux_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The virtual counter (after an ISB), and its frequency in Hz. */
uint64_t linux_counter(void);
uint64_t linux_counter_hz(void);

/* CLOCK_MONOTONIC, in nanoseconds. */
uint64_t linux_now_ns(void);

/*
 * The guest's idle time so far, in milliseconds: /proc/uptime's second
 * number, seconds with two decimals, summed over its CPUs.
 */
uint64_t linux_idle_ms(void);

/* The decimal number s spells, whole, into *v; false for an empty string or anything else. */
bool linux_parse_u64(const char *s, uint64_t *v);

#endif
