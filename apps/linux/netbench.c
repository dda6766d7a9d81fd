/*
 * netbench: one TCP transfer, timed, for tools/net-bench (between VMs, or
 * over loopback) and tools/uplink-bench (to a sink on the host, which reads
 * everything and closes as a receiver here does).
 *
 *   netbench recv PORT BYTES          takes one connection on PORT (any
 *                                     address), reads until the sender
 *                                     closes, and checks it got BYTES
 *   netbench send ADDRESS PORT BYTES  connects to ADDRESS:PORT (IPv4),
 *                                     writes BYTES bytes, closes its
 *                                     sending side and waits until the
 *                                     receiver has closed too
 *
 * Each side prints the transfer's time on CLOCK_MONOTONIC, in nanoseconds,
 * and how much of it the guest spent idle by /proc/uptime (10 ms steps):
 *
 *   mica-guest: netbench: sent BYTES bytes to ADDRESS:PORT in NS ns, idle MS ms
 *   mica-guest: netbench: received BYTES bytes on port PORT in NS ns, idle MS ms
 *
 * The sender's time runs from its connection being made to its seeing the
 * receiver's end-of-file, so it covers every byte reaching the receiving
 * process; the receiver's runs from accept() to its read of end-of-file.
 * Nothing is generated or checked inside the timed part: the data is one
 * 64 KiB buffer, filled before, written again and again, and read into a
 * buffer of the same size. Under QEMU's -icount shift=0 a nanosecond of
 * the guest's clock is an instruction executed by the machine, except
 * while every CPU waits (sleep=off then moves the clock on to the next
 * timer at once).
 *
 * A sender whose connection is refused or finds no route tries again,
 * every 100 ms, up to 300 times; a receiver waits 60 s for its connection.
 *
 * A static program without a C library (linux_sys.h). A failure is a line
 * starting "FAIL mica-guest: netbench: " and exit status 1 (2 for a wrong
 * command line).
 */
#include <base/fmt.h>

#include "linux_sys.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

const char linux_program[] = "netbench";

/* Linux's arm64 system calls that linux_sys.h does not list. */
#define SYS_NANOSLEEP  101
#define SYS_SOCKET     198
#define SYS_BIND       200
#define SYS_LISTEN     201
#define SYS_ACCEPT     202
#define SYS_CONNECT    203
#define SYS_SETSOCKOPT 208
#define SYS_SHUTDOWN   210

#define AT_FDCWD     (-100)
#define O_RDONLY     00
#define AF_INET	     2
#define SOCK_STREAM  1
#define SOCK_CLOEXEC 02000000
#define SOL_SOCKET   1
#define SO_REUSEADDR 2
#define SHUT_WR	     1
#define POLLIN	     1
#define EINTR	     4
#define ENETUNREACH  101
#define ETIMEDOUT    110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113

#define BUFFER_SIZE	 65536u
#define CONNECT_TRIES	 300u
#define CONNECT_PAUSE_NS 100000000L /* 100 ms between tries */
#define ACCEPT_TIMEOUT_S 60L

/* Linux's struct sockaddr_in: port and address in network byte order. */
struct sockaddr_in {
	uint16_t family;
	uint16_t port;
	uint32_t addr;
	uint8_t zero[8];
};
_Static_assert(sizeof(struct sockaddr_in) == 16, "sockaddr_in is 16 bytes");

/* Linux's struct timespec on arm64 (clock_gettime, nanosleep, ppoll). */
struct timespec {
	long sec;
	long nsec;
};

/* Linux's struct pollfd (ppoll). */
struct pollfd {
	int fd;
	short events;
	short revents;
};

/* What the sender writes, again and again, and the receiver reads into. */
static unsigned char buffer[BUFFER_SIZE];

static _Noreturn void usage(void)
{
	linux_fail(2, "usage: netbench recv PORT BYTES | netbench send ADDRESS PORT BYTES");
}

static uint16_t parse_port(const char *s)
{
	uint64_t v;

	if (!linux_parse_u64(s, &v) || v == 0 || v > 65535)
		usage();
	return (uint16_t)v;
}

static uint64_t parse_bytes(const char *s)
{
	uint64_t v;

	if (!linux_parse_u64(s, &v) || v == 0)
		usage();
	return v;
}

/* A dotted IPv4 address, in network byte order (its bytes in order). */
static uint32_t parse_address(const char *s)
{
	uint8_t octet[4];
	unsigned i = 0;

	for (;;) {
		unsigned v = 0, digits = 0;

		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (digits == 0 || v > 255)
			usage();
		octet[i++] = (uint8_t)v;
		if (i == 4)
			break;
		if (*s++ != '.')
			usage();
	}
	if (*s != '\0')
		usage();
	return (uint32_t)octet[0] | (uint32_t)octet[1] << 8 | (uint32_t)octet[2] << 16 |
	       (uint32_t)octet[3] << 24;
}

static uint16_t to_network(uint16_t port)
{
	return (uint16_t)(port >> 8 | port << 8);
}

static long new_socket(void)
{
	long fd = linux_syscall(SYS_SOCKET, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0);

	if (fd < 0)
		linux_fail(1, "socket failed (error %ld)", -fd);
	return fd;
}

/* Reads from fd into buffer until end-of-file; the bytes read. */
static uint64_t read_to_end(long fd, const char *what)
{
	uint64_t total = 0;

	for (;;) {
		long n = linux_syscall(SYS_READ, fd, (long)buffer, BUFFER_SIZE, 0, 0);

		if (n == 0)
			return total;
		if (n == -EINTR)
			continue;
		if (n < 0)
			linux_fail(1, "%s: read failed after %llu bytes (error %ld)", what,
				   (unsigned long long)total, -n);
		total += (uint64_t)n;
	}
}

static void do_recv(uint16_t port, uint64_t bytes)
{
	struct sockaddr_in sa = {.family = AF_INET, .port = to_network(port)};
	struct timespec timeout = {.sec = ACCEPT_TIMEOUT_S};
	struct pollfd pfd;
	int one = 1;
	long ls = new_socket(), fd, ret;
	uint64_t start, idle, got;

	ret = linux_syscall(SYS_SETSOCKOPT, ls, SOL_SOCKET, SO_REUSEADDR, (long)&one, sizeof(one));
	if (ret != 0)
		linux_fail(1, "setsockopt SO_REUSEADDR failed (error %ld)", -ret);
	ret = linux_syscall(SYS_BIND, ls, (long)&sa, sizeof(sa), 0, 0);
	if (ret != 0)
		linux_fail(1, "bind to port %u failed (error %ld)", port, -ret);
	ret = linux_syscall(SYS_LISTEN, ls, 1, 0, 0, 0);
	if (ret != 0)
		linux_fail(1, "listen on port %u failed (error %ld)", port, -ret);
	pfd = (struct pollfd){.fd = (int)ls, .events = POLLIN};
	ret = linux_syscall(SYS_PPOLL, (long)&pfd, 1, (long)&timeout, 0, 0);
	if (ret == 0)
		linux_fail(1, "no connection on port %u in %ld s", port, ACCEPT_TIMEOUT_S);
	if (ret < 0)
		linux_fail(1, "ppoll on port %u failed (error %ld)", port, -ret);
	fd = linux_syscall(SYS_ACCEPT, ls, 0, 0, 0, 0);
	if (fd < 0)
		linux_fail(1, "accept on port %u failed (error %ld)", port, -fd);
	start = linux_now_ns();
	idle = linux_idle_ms();
	got = read_to_end(fd, "recv");
	idle = linux_idle_ms() - idle;
	start = linux_now_ns() - start;
	(void)linux_syscall(SYS_CLOSE, fd, 0, 0, 0, 0);
	(void)linux_syscall(SYS_CLOSE, ls, 0, 0, 0, 0);
	if (got != bytes)
		linux_fail(1, "received %llu bytes on port %u, not %llu", (unsigned long long)got,
			   port, (unsigned long long)bytes);
	linux_say("received %llu bytes on port %u in %llu ns, idle %llu ms",
		  (unsigned long long)got, port, (unsigned long long)start,
		  (unsigned long long)idle);
}

/* A connected socket to sa, after up to CONNECT_TRIES tries. */
static long connect_to(const struct sockaddr_in *sa, const char *address, uint16_t port)
{
	static const struct timespec pause = {.nsec = CONNECT_PAUSE_NS};

	for (unsigned tries = 1;; tries++) {
		long fd = new_socket();
		long ret = linux_syscall(SYS_CONNECT, fd, (long)sa, sizeof(*sa), 0, 0);

		if (ret == 0)
			return fd;
		(void)linux_syscall(SYS_CLOSE, fd, 0, 0, 0, 0);
		if (ret != -ECONNREFUSED && ret != -EHOSTUNREACH && ret != -ENETUNREACH &&
		    ret != -ETIMEDOUT && ret != -EINTR)
			linux_fail(1, "connect to %s:%u failed (error %ld)", address, port, -ret);
		if (tries == CONNECT_TRIES)
			linux_fail(1, "connect to %s:%u failed %u times (last error %ld)", address,
				   port, tries, -ret);
		(void)linux_syscall(SYS_NANOSLEEP, (long)&pause, 0, 0, 0, 0);
	}
}

static void do_send(const char *address, uint16_t port, uint64_t bytes)
{
	struct sockaddr_in sa = {
		.family = AF_INET, .port = to_network(port), .addr = parse_address(address)};
	long fd, ret;
	uint64_t start, idle, sent = 0, extra;

	for (unsigned i = 0; i < BUFFER_SIZE; i++)
		buffer[i] = (unsigned char)(i * 7 + (i >> 8));
	fd = connect_to(&sa, address, port);
	start = linux_now_ns();
	idle = linux_idle_ms();
	while (sent < bytes) {
		uint64_t n = bytes - sent < BUFFER_SIZE ? bytes - sent : BUFFER_SIZE;
		long done = linux_syscall(SYS_WRITE, fd, (long)buffer, (long)n, 0, 0);

		if (done == -EINTR)
			continue;
		if (done <= 0)
			linux_fail(1, "write to %s:%u failed after %llu bytes (%ld)", address, port,
				   (unsigned long long)sent, done);
		sent += (uint64_t)done;
	}
	ret = linux_syscall(SYS_SHUTDOWN, fd, SHUT_WR, 0, 0, 0);
	if (ret != 0)
		linux_fail(1, "shutdown of the connection to %s:%u failed (error %ld)", address,
			   port, -ret);
	/* The receiver closes once it has read everything: wait for that. */
	extra = read_to_end(fd, "send");
	idle = linux_idle_ms() - idle;
	start = linux_now_ns() - start;
	(void)linux_syscall(SYS_CLOSE, fd, 0, 0, 0, 0);
	if (extra != 0)
		linux_fail(1, "%s:%u sent back %llu bytes", address, port,
			   (unsigned long long)extra);
	linux_say("sent %llu bytes to %s:%u in %llu ns, idle %llu ms", (unsigned long long)sent,
		  address, port, (unsigned long long)start, (unsigned long long)idle);
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

	if (sp[0] == 4 && strcmp(argv[1], "recv") == 0)
		do_recv(parse_port(argv[2]), parse_bytes(argv[3]));
	else if (sp[0] == 5 && strcmp(argv[1], "send") == 0)
		do_send(argv[2], parse_port(argv[3]), parse_bytes(argv[4]));
	else
		usage();
	linux_exit(0);
}
