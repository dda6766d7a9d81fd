/*
 * ivccopy: a file through a channel between two VMs, for the Linux guest's
 * channel devices (/dev/ivc-NAME, module mica_ivc; docs/ivc.md).
 *
 *   ivccopy send DEVICE FILE   sends FILE to the channel's peer 0
 *   ivccopy recv DEVICE FILE   writes what peer 0 sends into FILE
 *   ivccopy info DEVICE        prints what the device says of the channel,
 *                              and checks its refusals
 *   ivccopy fill FILE BYTES    writes a test file of BYTES bytes: 8-byte
 *                              records, record i being i modulo 10^7 in
 *                              seven decimal digits and a newline, so that
 *                              16 MiB of it is exactly what coreutils'
 *                              `seq -w 0 2097151` prints
 *
 * The two ends agree through the channel's memory alone, one chunk at a
 * time: the first 4 KiB page holds two headers, one each side writes, and
 * the rest is the buffer. The sender puts a chunk in the buffer, describes
 * it in its header, publishes it by storing its sequence number last (a
 * store-release) and rings; the receiver, on its interrupt, loads the
 * sequence number (a load-acquire), takes the chunk out, stores the same
 * number as its acknowledgement (a store-release: its loads of the buffer
 * come before) and rings back; the sender reuses the buffer only once it
 * loads that acknowledgement (a load-acquire). The module's write() makes a
 * DSB before each ring. Sequence numbers go on from what the memory holds,
 * so transfers can follow one another on a channel; each side checks the
 * memory before it waits, so it does not matter which starts first, or
 * whether a ring came before the device was open.
 *
 * A static program without a C library (linux_sys.h). Lines it prints
 * start "mica-guest: ivccopy: "; a failure is a line starting "FAIL " and
 * exit status 1 (2 for a wrong command line).
 */
#include <base/fmt.h>

#include "ivc/mica_ivc.h"
#include "linux_sys.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

const char linux_program[] = "ivccopy";

#define AT_FDCWD   (-100)
#define O_RDONLY   00
#define O_WRONLY   01
#define O_RDWR	   02
#define O_CREAT	   0100
#define O_TRUNC	   01000
#define O_NONBLOCK 04000
#define O_CLOEXEC  02000000
#define SEEK_SET   0
#define SEEK_END   2
#define PROT_READ  1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define POLLIN	   1
#define EAGAIN	   11
#define EACCES	   13
#define EINVAL	   22

/* The channel's layout: the headers in the first page, then the buffer. */
#define HEADER_PAGE  4096u
#define SEND_HEADER  0u		 /* offset of struct send_header */
#define RECV_HEADER  64u	 /* offset of struct recv_header: a cache line further */
#define CHUNK_MAGIC  0x6976636bu /* "ivck" */
#define FILL_RECORD  8u
#define FILL_MODULUS 10000000u
#define FILL_BUFFER  65536u
#define PEER	     0u /* the only peer on a channel of two ends */

/* Written by the sender only. */
struct send_header {
	uint64_t seq;	 /* the chunk in the buffer; stored last, with release */
	uint64_t offset; /* where the chunk goes in the file */
	uint64_t total;	 /* the file's size */
	uint32_t len;	 /* the chunk's bytes */
	uint32_t magic;	 /* CHUNK_MAGIC */
};
_Static_assert(sizeof(struct send_header) == 32, "send_header is 32 bytes");

/* Written by the receiver only. */
struct recv_header {
	uint64_t ack; /* the last chunk taken out of the buffer */
};

/* An open channel device and its memory. */
struct channel {
	const char *path;
	long fd;
	struct mica_ivc_info info;
	struct send_header *send;
	struct recv_header *recv;
	unsigned char *buffer;
	uint64_t buffer_size;
	uint64_t waits; /* how often this side had to wait for the other */
};

static uint64_t elapsed_ms(uint64_t start)
{
	return (linux_counter() - start) * 1000 / linux_counter_hz();
}

static long sys_open(const char *path, long flags)
{
	return linux_syscall(SYS_OPENAT, AT_FDCWD, (long)path, flags | O_CLOEXEC, 0644, 0);
}

/* Opens the device and maps the whole channel (readable only if prot says so). */
static void channel_open(struct channel *ch, const char *path, long flags, long prot)
{
	long ret;

	ch->path = path;
	ch->fd = sys_open(path, O_RDWR | flags);
	if (ch->fd < 0)
		linux_fail(1, "cannot open %s (error %ld)", path, -ch->fd);
	ret = linux_syscall(SYS_IOCTL, ch->fd, MICA_IVC_INFO, (long)&ch->info, 0, 0);
	if (ret != 0)
		linux_fail(1, "%s: MICA_IVC_INFO failed (error %ld)", path, -ret);
	ret = linux_syscall6(SYS_MMAP, 0, (long)ch->info.size, prot, MAP_SHARED, ch->fd, 0);
	/* An address, or a negative errno; never 0, which no mapping gets. */
	if (ret <= 0 && ret > -4096)
		linux_fail(1, "%s: mmap of %llu bytes failed (error %ld)", path,
			   (unsigned long long)ch->info.size, -ret);
	ch->send = (struct send_header *)(uintptr_t)(ret + SEND_HEADER);
	ch->recv = (struct recv_header *)(uintptr_t)(ret + RECV_HEADER);
	ch->buffer = (unsigned char *)(uintptr_t)(ret + HEADER_PAGE);
	ch->buffer_size = ch->info.size - HEADER_PAGE;
}

/* A channel for send or recv: both sides write their header, to peer 0. */
static void channel_open_for_copy(struct channel *ch, const char *path, long flags)
{
	channel_open(ch, path, flags, PROT_READ | PROT_WRITE);
	if (ch->info.flags & MICA_IVC_READ_ONLY)
		linux_fail(1, "%s: a read-only end cannot take part in a copy", path);
	if (ch->info.size <= HEADER_PAGE)
		linux_fail(1, "%s: %llu bytes leave no room for a buffer", path,
			   (unsigned long long)ch->info.size);
	if (ch->info.peer_count == 0)
		linux_fail(1, "%s: the channel has no peer", path);
}

/* Rings peer 0: the module makes a DSB, then the hypercall. */
static void ring(struct channel *ch)
{
	uint32_t peer = PEER;
	long ret = linux_syscall(SYS_WRITE, ch->fd, (long)&peer, sizeof(peer), 0, 0);

	if (ret != (long)sizeof(peer))
		linux_fail(1, "%s: ringing peer %u failed (%ld)", ch->path, peer, ret);
}

/* Waits for an interrupt in a blocking read() (the sender's way). */
static void wait_by_read(struct channel *ch)
{
	uint64_t count;
	long ret = linux_syscall(SYS_READ, ch->fd, (long)&count, sizeof(count), 0, 0);

	if (ret != (long)sizeof(count))
		linux_fail(1, "%s: read failed (%ld)", ch->path, ret);
	ch->waits++;
}

/* The layout of Linux's struct pollfd. */
struct linux_pollfd {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

/*
 * Waits for an interrupt in ppoll(), then takes the news with a read() that
 * does not block (the receiver's way, for the device opened O_NONBLOCK).
 */
static void wait_by_poll(struct channel *ch)
{
	struct linux_pollfd pfd = {.fd = (int32_t)ch->fd, .events = POLLIN};
	uint64_t count;
	long ret;

	for (;;) {
		ret = linux_syscall(SYS_PPOLL, (long)&pfd, 1, 0, 0, 0);
		if (ret != 1 || !(pfd.revents & POLLIN))
			linux_fail(1, "%s: ppoll failed (%ld, revents %d)", ch->path, ret,
				   pfd.revents);
		ret = linux_syscall(SYS_READ, ch->fd, (long)&count, sizeof(count), 0, 0);
		if (ret == (long)sizeof(count))
			break;
		if (ret != -EAGAIN)
			linux_fail(1, "%s: read failed (%ld)", ch->path, ret);
	}
	ch->waits++;
}

/* Reads len bytes of fd into buf, or fails: the file must not shrink. */
static void read_fully(long fd, const char *path, unsigned char *buf, uint64_t len)
{
	while (len > 0) {
		long ret = linux_syscall(SYS_READ, fd, (long)buf, (long)len, 0, 0);

		if (ret <= 0)
			linux_fail(1, "reading %s failed (%ld)", path, ret);
		buf += ret;
		len -= (uint64_t)ret;
	}
}

static void write_fully(long fd, const char *path, const unsigned char *buf, uint64_t len)
{
	while (len > 0) {
		long ret = linux_syscall(SYS_WRITE, fd, (long)buf, (long)len, 0, 0);

		if (ret <= 0)
			linux_fail(1, "writing %s failed (%ld)", path, ret);
		buf += ret;
		len -= (uint64_t)ret;
	}
}

static int do_send(const char *device, const char *path)
{
	struct channel ch = {0};
	uint64_t total, offset = 0, seq, chunks = 0, start;
	long file = sys_open(path, O_RDONLY);

	if (file < 0)
		linux_fail(1, "cannot open %s (error %ld)", path, -file);
	total = (uint64_t)linux_syscall(SYS_LSEEK, file, 0, SEEK_END, 0, 0);
	if ((long)total < 0 || linux_syscall(SYS_LSEEK, file, 0, SEEK_SET, 0, 0) != 0)
		linux_fail(1, "%s: cannot tell its size", path);
	channel_open_for_copy(&ch, device, 0);
	start = linux_counter();
	/* Go on from the last transfer, once the receiver has taken it all. */
	seq = ch.send->seq;
	while (__atomic_load_n(&ch.recv->ack, __ATOMIC_ACQUIRE) != seq)
		wait_by_read(&ch);
	do {
		uint64_t len = total - offset < ch.buffer_size ? total - offset : ch.buffer_size;

		read_fully(file, path, ch.buffer, len);
		ch.send->offset = offset;
		ch.send->total = total;
		ch.send->len = (uint32_t)len;
		ch.send->magic = CHUNK_MAGIC;
		__atomic_store_n(&ch.send->seq, ++seq, __ATOMIC_RELEASE);
		ring(&ch);
		while (__atomic_load_n(&ch.recv->ack, __ATOMIC_ACQUIRE) != seq)
			wait_by_read(&ch);
		offset += len;
		chunks++;
	} while (offset < total);
	linux_say("sent %llu bytes in %llu chunks of up to %llu bytes through %s, %llu ms, %llu "
		  "waits",
		  (unsigned long long)total, (unsigned long long)chunks,
		  (unsigned long long)ch.buffer_size, device, (unsigned long long)elapsed_ms(start),
		  (unsigned long long)ch.waits);
	return 0;
}

/* Checks that the chunk the sender published fits the transfer so far. */
static void check_chunk(const struct channel *ch, uint64_t seq, uint64_t received, uint64_t total)
{
	const struct send_header *h = ch->send;

	if (h->magic != CHUNK_MAGIC || h->len > ch->buffer_size || h->offset != received ||
	    h->total != total || h->len > total - received || (h->len == 0 && total != 0))
		linux_fail(
			1,
			"%s: chunk %llu is not the next of a transfer of %llu bytes, %llu so far: "
			"magic %#x, offset %llu, %u bytes, of %llu",
			ch->path, (unsigned long long)seq, (unsigned long long)total,
			(unsigned long long)received, h->magic, (unsigned long long)h->offset,
			h->len, (unsigned long long)h->total);
}

static int do_recv(const char *device, const char *path)
{
	struct channel ch = {0};
	uint64_t received = 0, total = 0, chunks = 0, seq, start = 0;
	long file = sys_open(path, O_WRONLY | O_CREAT | O_TRUNC);

	if (file < 0)
		linux_fail(1, "cannot create %s (error %ld)", path, -file);
	channel_open_for_copy(&ch, device, O_NONBLOCK);
	seq = ch.recv->ack;
	for (;;) {
		uint64_t published = __atomic_load_n(&ch.send->seq, __ATOMIC_ACQUIRE);

		if (published == seq) {
			wait_by_poll(&ch);
			continue;
		}
		if (published != seq + 1)
			linux_fail(1, "%s: chunk %llu published after %llu", device,
				   (unsigned long long)published, (unsigned long long)seq);
		if (chunks == 0) {
			/* A transfer starts at offset 0 and names its size. */
			start = linux_counter();
			total = ch.send->total;
		}
		check_chunk(&ch, published, received, total);
		write_fully(file, path, ch.buffer, ch.send->len);
		received += ch.send->len;
		chunks++;
		seq = published;
		__atomic_store_n(&ch.recv->ack, seq, __ATOMIC_RELEASE);
		ring(&ch);
		if (received == total)
			break;
	}
	if (linux_syscall(SYS_CLOSE, file, 0, 0, 0, 0) != 0)
		linux_fail(1, "closing %s failed", path);
	linux_say("received %llu bytes in %llu chunks through %s, %llu ms, %llu waits",
		  (unsigned long long)received, (unsigned long long)chunks, device,
		  (unsigned long long)elapsed_ms(start), (unsigned long long)ch.waits);
	return 0;
}

/*
 * Prints the channel as the device describes it, and checks what the
 * device must refuse: a peer index out of range (EINVAL), a read with
 * nothing new in non-blocking mode (EAGAIN, as long as no peer rings this
 * channel meanwhile), and on a read-only end a writable mapping (EACCES).
 */
static int do_info(const char *device)
{
	struct channel ch = {0};
	bool is_read_only;
	uint32_t peer;
	uint64_t count;
	long ret;

	channel_open(&ch, device, O_NONBLOCK, PROT_READ);
	is_read_only = (ch.info.flags & MICA_IVC_READ_ONLY) != 0;
	linux_say("%s: %llu bytes, %s, %u peer(s)", device, (unsigned long long)ch.info.size,
		  is_read_only ? "read-only" : "read-write", ch.info.peer_count);
	peer = ch.info.peer_count;
	ret = linux_syscall(SYS_WRITE, ch.fd, (long)&peer, sizeof(peer), 0, 0);
	if (ret != -EINVAL)
		linux_fail(1, "%s: ringing peer %u of %u answered %ld, not -EINVAL", device, peer,
			   ch.info.peer_count, ret);
	ret = linux_syscall(SYS_READ, ch.fd, (long)&count, sizeof(count), 0, 0);
	if (ret != -EAGAIN)
		linux_fail(1, "%s: a non-blocking read with nothing new answered %ld, not -EAGAIN",
			   device, ret);
	ret = linux_syscall6(SYS_MMAP, 0, (long)ch.info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			     ch.fd, 0);
	if (is_read_only && ret != -EACCES)
		linux_fail(1, "%s: a writable mapping of a read-only end answered %ld, not -EACCES",
			   device, ret);
	if (!is_read_only && ret <= 0 && ret > -4096)
		linux_fail(1, "%s: a writable mapping failed (%ld)", device, -ret);
	linux_say("%s: refuses peer %u (EINVAL), a read with nothing new (EAGAIN)%s", device, peer,
		  is_read_only ? " and a writable mapping (EACCES)" : "");
	return 0;
}

/* Writes BYTES bytes of the records described at the top. */
static int do_fill(const char *path, uint64_t bytes)
{
	static unsigned char buf[FILL_BUFFER];
	uint64_t record = 0, written = 0;
	long file = sys_open(path, O_WRONLY | O_CREAT | O_TRUNC);

	if (file < 0)
		linux_fail(1, "cannot create %s (error %ld)", path, -file);
	while (written < bytes) {
		uint64_t len = bytes - written < FILL_BUFFER ? bytes - written : FILL_BUFFER;

		for (uint64_t at = 0; at < len; at += FILL_RECORD, record++) {
			uint32_t n = (uint32_t)(record % FILL_MODULUS);

			buf[at + 7] = '\n';
			for (int digit = 6; digit >= 0; digit--, n /= 10)
				buf[at + (unsigned)digit] = (unsigned char)('0' + n % 10);
		}
		write_fully(file, path, buf, len);
		written += len;
	}
	if (linux_syscall(SYS_CLOSE, file, 0, 0, 0, 0) != 0)
		linux_fail(1, "closing %s failed", path);
	linux_say("wrote %llu bytes of records to %s", (unsigned long long)bytes, path);
	return 0;
}

static _Noreturn void usage(void)
{
	linux_fail(2, "usage: ivccopy send|recv DEVICE FILE | info DEVICE | fill FILE BYTES");
}

void cmain(const long *sp);

/* The kernel's entry: sp holds argc, then argv. */
__asm__(".globl _start\n"
	"_start:\n"
	"	mov	x0, sp\n"
	"	bl	cmain\n");

void cmain(const long *sp)
{
	long argc = sp[0];
	const char *const *argv = (const char *const *)(sp + 1);
	uint64_t bytes;

	if (argc == 4 && strcmp(argv[1], "send") == 0)
		linux_exit(do_send(argv[2], argv[3]));
	if (argc == 4 && strcmp(argv[1], "recv") == 0)
		linux_exit(do_recv(argv[2], argv[3]));
	if (argc == 3 && strcmp(argv[1], "info") == 0)
		linux_exit(do_info(argv[2]));
	if (argc == 4 && strcmp(argv[1], "fill") == 0 && linux_parse_u64(argv[3], &bytes))
		linux_exit(do_fill(argv[2], bytes));
	usage();
}
