/*
 * Unit tests for servers/vdev/virtio_blk.c over a drive: the guest's
 * virtio-blk requests become slots of a block driver's queue
 * (<mica/proto/blk.h>), and their data stays in the guest's buffers, which
 * a slot names as guest-physical segments. The test plays the block
 * driver, over a machine disk in host memory of which the device is given
 * a part: it reads a slot's segments, moves the data between the disk and
 * the guest's memory at those addresses as the device's DMA would, and
 * finishes slots when and in the order it chooses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vdev_driver.h"
#include "virtio_blk.h"

#define PART_FIRST	 ((size_t)16) /* The device's part starts at sector 16 of the machine's disk */
#define PART_SECTORS	 ((size_t)32)	 /*   and has 32 sectors, */
#define BIG_PART_SECTORS ((size_t)10240) /*   or 5 MiB's worth, for the largest requests. */
#define MACHINE_SECTORS	 (PART_FIRST + BIG_PART_SECTORS + 16)
#define QUEUE_SIZE	 256u /* The largest queue the device offers. */
#define HEADER_BYTES	 16u
#define PAGE		 4096u
/* VERSION_1, FLUSH, BLK_SIZE and SEG_MAX. */
#define DRIVER_FEATURES ((UINT64_C(1) << 32) | (1u << 9) | (1u << 6) | (1u << 2))

static uint8_t machine_disk[MACHINE_SECTORS * 512];
_Alignas(4096) static uint8_t region[BLK_REGION_SIZE];
static struct virtio_blk_drive drive;
static struct virtio_blk blk;
static struct driver drv;
static unsigned signals;

static void set_line(void *ctx, bool level)
{
}

static void count_signal(void *ctx)
{
	signals++;
}

static struct blk_table *table(void)
{
	return (struct blk_table *)(void *)region;
}

/* Slot i's segments, as the device server wrote them. */
static struct blk_seg *segs_of(uint32_t i)
{
	return (struct blk_seg *)(void *)(region + BLK_SEGS_OFFSET + (uint64_t)i * BLK_SEGS_SIZE);
}

/* The disk's bytes at sector of the device's part. */
static uint8_t *part_at(uint64_t sector)
{
	return machine_disk + (PART_FIRST + sector) * 512;
}

static struct virtio_blk_drive fresh_drive(bool is_read_only, uint64_t sectors)
{
	return (struct virtio_blk_drive){.table = table(),
					 .segs = segs_of(0),
					 .sectors = sectors,
					 .is_read_only = is_read_only,
					 .signal = count_signal};
}

/* The device over a part of sectors sectors (a partition's driver may have found none). */
static void start_sized(bool is_read_only, uint64_t sectors)
{
	const struct guest_mem mem = drv_mem();
	const struct virtio_irq irq = {.set = set_line, .ctx = NULL};

	for (size_t i = 0; i < sizeof(machine_disk); i++)
		machine_disk[i] = (uint8_t)(i / 512 + i % 11);
	memset(region, 0, sizeof(region));
	signals = 0;
	drive = fresh_drive(is_read_only, sectors);
	virtio_blk_init(&blk, NULL, 0, &drive, &mem, &irq);
	drv_reset_ram(&drv, &blk.mmio);
	drv.num = QUEUE_SIZE;
	drv_start(&drv, DRIVER_FEATURES, 1);
}

static void start(bool is_read_only)
{
	start_sized(is_read_only, PART_SECTORS);
}

static int setup(void **state)
{
	start(false);
	return 0;
}

/*
 * The test as block driver: check slot i's request as the driver does (its
 * part, its segments in the guest's RAM and adding up to its bytes), do it
 * between the machine's disk and the guest's memory at the segments' guest-
 * physical addresses, and finish it with status.
 */
static void finish(uint32_t i, uint32_t status)
{
	struct blk_slot *s = &table()->slots[i];
	const struct blk_seg *segs = segs_of(i);
	uint64_t done = 0;
	uint8_t *at;

	assert_int_equal(s->state, BLK_SLOT_SUBMITTED);
	assert_true(s->sector + s->bytes / 512 <= drive.sectors);
	at = part_at(s->sector);
	if (s->op == BLK_OP_FLUSH) {
		assert_int_equal(s->bytes, 0);
		assert_int_equal(s->seg_count, 0);
	} else {
		assert_in_range(s->seg_count, 1, BLK_SEGS_MAX);
	}
	for (uint32_t k = 0; k < s->seg_count; k++) {
		assert_int_not_equal(segs[k].bytes, 0);
		assert_true(segs[k].addr >= RAM_IPA &&
			    segs[k].addr + segs[k].bytes <= RAM_IPA + RAM_SIZE);
		if (status == BLK_STATUS_OK && s->op == BLK_OP_READ)
			memcpy(drv_host(segs[k].addr), at + done, segs[k].bytes);
		if (status == BLK_STATUS_OK && s->op == BLK_OP_WRITE)
			memcpy(at + done, drv_host(segs[k].addr), segs[k].bytes);
		done += segs[k].bytes;
	}
	assert_int_equal(done, s->bytes);
	s->status = status;
	__atomic_store_n(&s->state, BLK_SLOT_DONE, __ATOMIC_RELEASE);
}

static unsigned submitted(void)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < BLK_SLOTS; i++)
		n += table()->slots[i].state == BLK_SLOT_SUBMITTED;
	return n;
}

/* The submitted slot for sector, or BLK_SLOTS. */
static uint32_t slot_for(uint64_t sector)
{
	for (uint32_t i = 0; i < BLK_SLOTS; i++) {
		const struct blk_slot *s = &table()->slots[i];

		if (s->state == BLK_SLOT_SUBMITTED && s->sector == sector)
			return i;
	}
	return BLK_SLOTS;
}

/* Slot i's segment k must be bytes at guest-physical addr. */
static void expect_seg(uint32_t i, uint32_t k, uint64_t addr, uint32_t bytes)
{
	assert_int_equal(segs_of(i)[k].addr, addr);
	assert_int_equal(segs_of(i)[k].bytes, bytes);
}

struct request {
	uint64_t data, status; /* Guest-physical addresses. */
	uint16_t head;
};

/* A request header of type for sector at ipa. */
static void put_header(uint64_t ipa, uint32_t type, uint64_t sector)
{
	memset(drv_host(ipa), 0, HEADER_BYTES);
	memcpy(drv_host(ipa), &type, 4);
	memcpy(drv_host(ipa) + 8, &sector, 8);
}

/* Make the chain of the n buffers available, notify the device, and return its head. */
static uint16_t kick(const struct seg *bufs, unsigned n)
{
	uint16_t head = drv_add(&drv, 0, bufs, n);

	drv_write(&drv, 0x050, 0);
	return head;
}

/*
 * A guest request of type over bytes at sector, in three buffers (header,
 * data, status), its data all fill, made available and notified.
 */
static struct request request_fill(uint32_t type, uint64_t sector, uint32_t bytes, uint8_t fill)
{
	uint64_t h = drv_alloc(&drv, HEADER_BYTES);
	struct request r = {.data = bytes ? drv_alloc(&drv, bytes) : 0,
			    .status = drv_alloc(&drv, 1)};
	struct seg bufs[3];
	unsigned n = 0;

	put_header(h, type, sector);
	bufs[n++] = (struct seg){h, HEADER_BYTES, false};
	if (bytes != 0) {
		memset(drv_host(r.data), fill, bytes);
		bufs[n++] = (struct seg){r.data, bytes, type == 0 || type == 8};
	}
	bufs[n++] = (struct seg){r.status, 1, true};
	*drv_host(r.status) = 0xee;
	r.head = kick(bufs, n);
	return r;
}

static struct request request(uint32_t type, uint64_t sector, uint32_t bytes)
{
	return request_fill(type, sector, bytes, 0x33);
}

/* The next used element must be r's, with status and length. */
static void expect_used(const struct request *r, uint8_t status, uint32_t len)
{
	uint32_t id, got;

	assert_true(drv_take_used(&drv, 0, &id, &got));
	assert_int_equal(id, r->head);
	assert_int_equal(got, len);
	assert_int_equal(*drv_host(r->status), status);
}

static void expect_nothing_used(void)
{
	uint32_t id, len;

	assert_false(drv_take_used(&drv, 0, &id, &len));
}

static void test_config_offers_the_part_and_a_seg_max_that_fits_the_drivers_chain(void **state)
{
	uint32_t features;

	assert_int_equal(drv_read(&drv, 0x100), PART_SECTORS);
	assert_int_equal(drv_read(&drv, 0x104), 0);
	/* seg_max: the driver's chain of 256, less header, status and a split where runs meet. */
	assert_int_equal(drv_read(&drv, 0x10c), BLK_GUEST_SEG_MAX);
	assert_int_equal(BLK_GUEST_SEG_MAX, 254 - 15);
	assert_int_equal(drv_read(&drv, 0x114), 512); /* blk_size */
	drv_write(&drv, 0x014, 0);
	features = drv_read(&drv, 0x010);
	assert_int_equal(features & (1u << 2), 1u << 2); /* SEG_MAX */
	/* SIZE_MAX: with SEG_MAX, it keeps a request within BLK_REQUEST_MAX. */
	assert_int_equal(features & (1u << 1), 1u << 1);
	assert_int_equal(drv_read(&drv, 0x108), BLK_GUEST_SIZE_MAX);
	assert_true((uint64_t)BLK_GUEST_SEG_MAX * BLK_GUEST_SIZE_MAX <= BLK_REQUEST_MAX);
	assert_int_equal(features & (1u << 5), 0); /* Not read-only. */
	start(true);
	assert_int_equal(drv_read(&drv, 0x010) & (1u << 5), 1u << 5);
	assert_int_equal(drv_read(&drv, 0x10c), BLK_GUEST_SEG_MAX);
}

static void test_read_lands_in_the_guests_buffer_once_the_driver_finishes(void **state)
{
	struct request r = request(0, 2, 1024);
	uint32_t i = slot_for(2);

	assert_int_not_equal(i, BLK_SLOTS);
	assert_int_equal(table()->slots[i].op, BLK_OP_READ);
	assert_int_equal(table()->slots[i].bytes, 1024);
	assert_int_equal(table()->slots[i].seg_count, 1);
	expect_seg(i, 0, r.data, 1024); /* The guest's own buffer: no copy on the way. */
	assert_int_equal(signals, 1);
	expect_nothing_used(); /* In flight: the guest waits. */
	finish(i, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&r, 0, 1025);
	assert_memory_equal(drv_host(r.data), part_at(2), 1024);
	assert_int_equal(table()->slots[i].state, BLK_SLOT_FREE);
	assert_int_equal(blk.reads, 1);
}

static void test_write_reaches_the_part_and_nothing_else(void **state)
{
	static uint8_t before[sizeof(machine_disk)];
	struct request w;
	uint32_t i;

	memcpy(before, machine_disk, sizeof(before));
	w = request_fill(1, PART_SECTORS - 1, 512, 0x77);
	i = slot_for(PART_SECTORS - 1);
	assert_int_not_equal(i, BLK_SLOTS);
	assert_int_equal(table()->slots[i].op, BLK_OP_WRITE);
	assert_int_equal(table()->slots[i].seg_count, 1);
	expect_seg(i, 0, w.data, 512);
	finish(i, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&w, 0, 1);
	for (size_t k = 0; k < sizeof(machine_disk); k++) {
		bool is_written = k / 512 == PART_FIRST + PART_SECTORS - 1;

		if (machine_disk[k] != (is_written ? 0x77 : before[k]))
			fail_msg("byte %zu of the machine's disk is %u", k, machine_disk[k]);
	}
	assert_int_equal(blk.writes, 1);
}

static void test_a_read_over_several_buffers_names_each_as_a_segment(void **state)
{
	static const uint32_t lens[] = {512, 1536, 1024};
	struct request r = {0};
	struct seg bufs[5];
	uint64_t data[3], h = drv_alloc(&drv, HEADER_BYTES), done = 0;
	uint32_t i;

	put_header(h, 0, 4);
	bufs[0] = (struct seg){h, HEADER_BYTES, false};
	for (unsigned k = 0; k < 3; k++) {
		(void)drv_alloc(&drv, 64); /* A gap: the buffers are not one run of memory. */
		data[k] = drv_alloc(&drv, lens[k]);
		memset(drv_host(data[k]), 0xee, lens[k]);
		bufs[1 + k] = (struct seg){data[k], lens[k], true};
	}
	r.status = drv_alloc(&drv, 1);
	*drv_host(r.status) = 0xee;
	bufs[4] = (struct seg){r.status, 1, true};
	r.head = kick(bufs, 5);
	i = slot_for(4);
	assert_int_not_equal(i, BLK_SLOTS);
	assert_int_equal(table()->slots[i].bytes, 3072);
	assert_int_equal(table()->slots[i].seg_count, 3);
	for (unsigned k = 0; k < 3; k++)
		expect_seg(i, k, data[k], lens[k]);
	finish(i, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&r, 0, 3073);
	for (unsigned k = 0; k < 3; k++) {
		assert_memory_equal(drv_host(data[k]), part_at(4) + done, lens[k]);
		done += lens[k];
	}
}

static void test_a_write_whose_header_shares_a_buffer_starts_its_data_after_the_header(void **state)
{
	uint64_t first = drv_alloc(&drv, HEADER_BYTES + 1024), second = drv_alloc(&drv, 512);
	struct request w = {.status = drv_alloc(&drv, 1)};
	const struct seg bufs[] = {
		{first, HEADER_BYTES + 1024, false}, {second, 512, false}, {w.status, 1, true}};
	uint32_t i;

	put_header(first, 1, 10);
	memset(drv_host(first) + HEADER_BYTES, 0x5a, 1024);
	memset(drv_host(second), 0xa5, 512);
	*drv_host(w.status) = 0xee;
	w.head = kick(bufs, 3);
	i = slot_for(10);
	assert_int_not_equal(i, BLK_SLOTS);
	assert_int_equal(table()->slots[i].op, BLK_OP_WRITE);
	assert_int_equal(table()->slots[i].bytes, 1536);
	assert_int_equal(table()->slots[i].seg_count, 2);
	expect_seg(i, 0, first + HEADER_BYTES, 1024);
	expect_seg(i, 1, second, 512);
	finish(i, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&w, 0, 1);
	for (unsigned k = 0; k < 1536; k++)
		assert_int_equal(part_at(10)[k], k < 1024 ? 0x5a : 0xa5);
}

static void test_a_read_whose_status_shares_a_buffer_stops_its_data_before_the_status(void **state)
{
	uint64_t h = drv_alloc(&drv, HEADER_BYTES), data = drv_alloc(&drv, 1024 + 1);
	struct request r = {.data = data, .status = data + 1024};
	const struct seg bufs[] = {{h, HEADER_BYTES, false}, {data, 1024 + 1, true}};
	uint32_t i;

	put_header(h, 0, 12);
	memset(drv_host(data), 0xee, 1024 + 1);
	r.head = kick(bufs, 2);
	i = slot_for(12);
	assert_int_not_equal(i, BLK_SLOTS);
	assert_int_equal(table()->slots[i].bytes, 1024);
	assert_int_equal(table()->slots[i].seg_count, 1);
	expect_seg(i, 0, data, 1024);
	finish(i, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&r, 0, 1025);
	assert_memory_equal(drv_host(data), part_at(12), 1024);
}

/*
 * The most data buffers a chain can have. A queue holds at most 256
 * entries, so a chain at most 256 descriptors, and one of them at least is
 * not data: the status's for a write (whose header may share the first
 * data buffer), the header's for a read (whose status may share the last).
 * That is 255 data buffers, one more than BLK_SEGS_MAX, which is what the
 * driver's own chain of 256 holds besides its header and status: such a
 * request (past the SEG_MAX offered) fails here, and the driver never
 * sees it.
 */
static void test_a_write_in_the_most_buffers_a_chain_holds_fails_before_the_driver(void **state)
{
	static uint8_t before[sizeof(machine_disk)];
	struct seg bufs[QUEUE_SIZE];
	struct request w = {0};
	uint64_t first;

	start_sized(false, BIG_PART_SECTORS);
	first = drv_alloc(&drv, HEADER_BYTES + 512);
	put_header(first, 1, 3);
	memset(drv_host(first) + HEADER_BYTES, 1, 512);
	bufs[0] = (struct seg){first, HEADER_BYTES + 512, false};
	for (unsigned k = 1; k < QUEUE_SIZE - 1; k++) {
		bufs[k] = (struct seg){drv_alloc(&drv, 512), 512, false};
		memset(drv_host(bufs[k].ipa), (int)(k + 1), 512);
	}
	w.status = drv_alloc(&drv, 1);
	*drv_host(w.status) = 0xee;
	bufs[QUEUE_SIZE - 1] = (struct seg){w.status, 1, true};
	memcpy(before, machine_disk, sizeof(before));
	w.head = kick(bufs, QUEUE_SIZE);
	assert_int_equal(submitted(), 0);
	assert_int_equal(signals, 0);
	expect_used(&w, 1, 1);
	assert_memory_equal(machine_disk, before, sizeof(before));
}

static void test_a_read_in_the_most_buffers_a_chain_holds_fails_before_the_driver(void **state)
{
	struct seg bufs[QUEUE_SIZE];
	struct request r = {0};
	uint64_t h;

	start_sized(false, BIG_PART_SECTORS);
	h = drv_alloc(&drv, HEADER_BYTES);
	put_header(h, 0, 5);
	bufs[0] = (struct seg){h, HEADER_BYTES, false};
	for (unsigned k = 1; k < QUEUE_SIZE; k++) {
		uint32_t len = k < QUEUE_SIZE - 1 ? 512 : 512 + 1; /* The last holds the status. */

		bufs[k] = (struct seg){drv_alloc(&drv, len), len, true};
	}
	r.status = bufs[QUEUE_SIZE - 1].ipa + 512;
	*drv_host(r.status) = 0xee;
	r.head = kick(bufs, QUEUE_SIZE);
	assert_int_equal(submitted(), 0);
	assert_int_equal(signals, 0);
	expect_used(&r, 1, 1);
}

/*
 * 1 MiB, in BLK_SEGS_MAX (254) buffers: 252 pages and two runs of two pages, as
 * a guest merges neighbouring pages. (256 buffers of a page each, with
 * the header and the status, would be a chain of 258: longer than any
 * queue.) The test's guest RAM is smaller than 1 MiB, so the buffers reuse
 * a pool of pages, each with a pattern of its own: written out to the disk
 * and read back into the same buffers, every page gets its pattern back.
 */
#define POOL_PAGES 32u
#define MIB	   (UINT32_C(1) << 20)

static void test_a_request_of_1_mib_goes_to_the_driver_as_one_slot(void **state)
{
	static uint8_t patterns[POOL_PAGES * PAGE];
	struct seg bufs[QUEUE_SIZE];
	struct request w = {0}, r = {0};
	uint64_t pool, done = 0;
	uint32_t i;

	start_sized(false, BIG_PART_SECTORS);
	pool = drv_alloc(&drv, POOL_PAGES * PAGE);
	for (unsigned b = 0; b < POOL_PAGES * PAGE; b++)
		drv_host(pool)[b] = (uint8_t)(b / PAGE * 7 + b % 251);
	memcpy(patterns, drv_host(pool), sizeof(patterns));
	for (unsigned k = 0; k < QUEUE_SIZE - 2; k++) {
		uint32_t len = k < 2 ? 2 * PAGE : PAGE;

		bufs[1 + k] = (struct seg){pool + (uint64_t)(k % POOL_PAGES) * PAGE, len, false};
	}

	/* The write: one slot of 254 segments, the buffers themselves. */
	bufs[0] = (struct seg){drv_alloc(&drv, HEADER_BYTES), HEADER_BYTES, false};
	put_header(bufs[0].ipa, 1, 8);
	w.status = drv_alloc(&drv, 1);
	*drv_host(w.status) = 0xee;
	bufs[QUEUE_SIZE - 1] = (struct seg){w.status, 1, true};
	w.head = kick(bufs, QUEUE_SIZE);
	assert_int_equal(submitted(), 1);
	assert_int_equal(signals, 1);
	i = slot_for(8);
	assert_int_not_equal(i, BLK_SLOTS);
	assert_int_equal(table()->slots[i].op, BLK_OP_WRITE);
	assert_int_equal(table()->slots[i].bytes, MIB);
	assert_int_equal(table()->slots[i].seg_count, QUEUE_SIZE - 2);
	for (unsigned k = 0; k < QUEUE_SIZE - 2; k++)
		expect_seg(i, k, bufs[1 + k].ipa, bufs[1 + k].len);
	finish(i, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&w, 0, 1);
	for (unsigned k = 0; k < QUEUE_SIZE - 2; k++) {
		assert_memory_equal(part_at(8) + done, drv_host(bufs[1 + k].ipa), bufs[1 + k].len);
		done += bufs[1 + k].len;
	}
	assert_int_equal(done, MIB);

	/* The read, into the same buffers, cleared first. */
	memset(drv_host(pool), 0, sizeof(patterns));
	bufs[0] = (struct seg){drv_alloc(&drv, HEADER_BYTES), HEADER_BYTES, false};
	put_header(bufs[0].ipa, 0, 8);
	for (unsigned k = 1; k < QUEUE_SIZE - 1; k++)
		bufs[k].is_write = true;
	r.status = drv_alloc(&drv, 1);
	*drv_host(r.status) = 0xee;
	bufs[QUEUE_SIZE - 1] = (struct seg){r.status, 1, true};
	r.head = kick(bufs, QUEUE_SIZE);
	assert_int_equal(submitted(), 1);
	i = slot_for(8);
	assert_int_not_equal(i, BLK_SLOTS);
	assert_int_equal(table()->slots[i].op, BLK_OP_READ);
	assert_int_equal(table()->slots[i].bytes, MIB);
	assert_int_equal(table()->slots[i].seg_count, QUEUE_SIZE - 2);
	finish(i, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&r, 0, MIB + 1);
	assert_memory_equal(drv_host(pool), patterns, sizeof(patterns));
	assert_int_equal(blk.reads, 1);
	assert_int_equal(blk.writes, 1);
}

/* A request over BLK_REQUEST_MAX (past SIZE_MAX's promise) fails here: the driver never sees it. */
static void test_a_request_over_the_largest_fails_before_the_driver(void **state)
{
	static uint8_t before[sizeof(machine_disk)];
	const unsigned count = BLK_REQUEST_MAX / (POOL_PAGES * PAGE) + 1;
	struct seg bufs[QUEUE_SIZE];
	struct request w = {0};
	uint64_t pool;

	start_sized(false, BIG_PART_SECTORS);
	pool = drv_alloc(&drv, (uint64_t)POOL_PAGES * PAGE);
	memset(drv_host(pool), 0x5a, (size_t)POOL_PAGES * PAGE);
	bufs[0] = (struct seg){drv_alloc(&drv, HEADER_BYTES), HEADER_BYTES, false};
	put_header(bufs[0].ipa, 1, 0);
	for (unsigned k = 1; k <= count; k++)
		bufs[k] = (struct seg){pool, POOL_PAGES * PAGE, false};
	w.status = drv_alloc(&drv, 1);
	*drv_host(w.status) = 0xee;
	bufs[count + 1] = (struct seg){w.status, 1, true};
	memcpy(before, machine_disk, sizeof(before));
	w.head = kick(bufs, count + 2);
	assert_int_equal(submitted(), 0);
	assert_int_equal(signals, 0);
	expect_used(&w, 1, 1);
	assert_memory_equal(machine_disk, before, sizeof(before));
}

static void test_requests_complete_in_the_order_taken(void **state)
{
	struct request a = request(0, 0, 512), b = request(0, 1, 512), c = request(0, 2, 512);

	assert_int_equal(submitted(), 3);
	finish(slot_for(2), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_nothing_used(); /* c is done, but a and b were taken first. */
	finish(slot_for(0), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&a, 0, 513);
	expect_nothing_used();
	finish(slot_for(1), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&b, 0, 513);
	expect_used(&c, 0, 513);
	assert_memory_equal(drv_host(a.data), part_at(0), 512);
	assert_memory_equal(drv_host(b.data), part_at(1), 512);
	assert_memory_equal(drv_host(c.data), part_at(2), 512);
}

static void test_more_requests_than_slots_wait_for_one(void **state)
{
	struct request r[20];

	for (unsigned k = 0; k < 20; k++)
		r[k] = request(0, k, 512);
	assert_int_equal(submitted(), BLK_SLOTS);
	for (uint64_t s = 0; s < BLK_SLOTS; s++)
		finish(slot_for(s), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	/* The first 15 went back, and the 5 waiting took slots as they came free. */
	for (unsigned k = 0; k < BLK_SLOTS; k++)
		expect_used(&r[k], 0, 513);
	assert_int_equal(submitted(), 5);
	for (uint64_t s = BLK_SLOTS; s < 20; s++)
		finish(slot_for(s), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	for (unsigned k = BLK_SLOTS; k < 20; k++)
		expect_used(&r[k], 0, 513);
	for (unsigned k = 0; k < 20; k++)
		assert_memory_equal(drv_host(r[k].data), part_at(k), 512);
	expect_nothing_used();
}

static void test_what_the_driver_would_refuse_fails_here(void **state)
{
	struct request past = request(0, PART_SECTORS - 1, 1024);
	struct request wrap = request(0, UINT64_MAX, 512);
	struct request partial = request(0, 0, 100);
	struct request empty_read = request(0, 0, 0);
	struct request empty_write = request(1, 0, 0);

	expect_used(&past, 1, 1);
	expect_used(&wrap, 1, 1);
	expect_used(&partial, 1, 1);
	expect_used(&empty_read, 1, 1);
	expect_used(&empty_write, 1, 1);
	assert_int_equal(submitted(), 0);
	assert_int_equal(signals, 0);
	assert_int_equal(blk.errors, 5);
}

static void test_a_read_only_part_refuses_writes_without_the_driver(void **state)
{
	struct request w;

	start(true);
	w = request(1, 0, 512);
	expect_used(&w, 1, 1);
	assert_int_equal(submitted(), 0);
	assert_int_equal(machine_disk[PART_FIRST * 512],
			 (uint8_t)(PART_FIRST + PART_FIRST * 512 % 11));
	assert_int_equal(signals, 0);
}

static void test_a_driver_error_is_an_ioerr(void **state)
{
	struct request r = request(0, 3, 512);

	memset(drv_host(r.data), 0x11, 512);
	finish(slot_for(3), BLK_STATUS_IOERR);
	virtio_blk_drive_done(&blk);
	expect_used(&r, 1, 1);
	assert_int_equal(*drv_host(r.data), 0x11); /* The device server touched no data. */
	assert_int_equal(blk.errors, 1);
	assert_int_equal(blk.reads, 0);
}

static void test_flush_goes_to_the_driver_and_get_id_waits_its_turn(void **state)
{
	struct request read = request(0, 0, 512);
	struct request flush = request(4, 0, 0);
	struct request id = request(8, 0, 20);
	const struct blk_slot *flush_slot = NULL;
	uint32_t f = 0;

	for (uint32_t i = 0; i < BLK_SLOTS; i++) {
		if (table()->slots[i].state == BLK_SLOT_SUBMITTED &&
		    table()->slots[i].op == BLK_OP_FLUSH) {
			flush_slot = &table()->slots[i];
			f = i;
		}
	}
	assert_non_null(flush_slot);
	assert_int_equal(flush_slot->bytes, 0);
	assert_int_equal(flush_slot->seg_count, 0);
	assert_int_equal(submitted(), 2); /* GET_ID is answered here, */
	expect_nothing_used();		  /*   but after the two before it. */
	finish(f, BLK_STATUS_OK);
	finish(slot_for(0), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&read, 0, 513);
	expect_used(&flush, 0, 1);
	expect_used(&id, 0, 21);
	assert_memory_equal(drv_host(id.data), "mica-disk", 9);
	assert_int_equal(blk.flushes, 1);
}

/*
 * The guest resets the device (Status 0) while request old is with the
 * driver, and starts it again. The server would hold the guest there until
 * the driver finished old (the device may still write into the guest's RAM
 * for it); the test lets it go on, its new buffers away from old's.
 */
static uint32_t reset_with_a_request_in_flight(uint64_t sector, struct request *old)
{
	uint32_t i;

	*old = request(0, sector, 512);
	i = slot_for(sector);
	assert_int_not_equal(i, BLK_SLOTS);
	assert_false(virtio_blk_drive_is_stale(&blk));
	drv_write(&drv, 0x070, 0);
	assert_true(virtio_blk_drive_is_stale(&blk));
	drv_reset_ram(&drv, &blk.mmio);
	drv.num = QUEUE_SIZE;
	drv_start(&drv, DRIVER_FEATURES, 1);
	(void)drv_alloc(&drv, PAGE);
	return i;
}

static void test_a_reset_forgets_the_request_in_flight_and_waits_for_its_slot(void **state)
{
	struct request old_r, r;
	uint32_t old = reset_with_a_request_in_flight(5, &old_r), now;

	/* A new request takes another slot: the old one is the driver's until it finishes. */
	r = request(0, 6, 512);
	now = slot_for(6);
	assert_int_not_equal(now, BLK_SLOTS);
	assert_int_not_equal(now, old);
	finish(old, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_nothing_used(); /* Old is not the guest's any more. */
	assert_int_equal(*drv_host(old_r.status), 0);
	assert_int_equal(table()->slots[old].state, BLK_SLOT_FREE);
	assert_false(virtio_blk_drive_is_stale(&blk));
	finish(now, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&r, 0, 513);
	assert_memory_equal(drv_host(r.data), part_at(6), 512);
	expect_nothing_used();
}

static void test_after_a_reset_nothing_goes_back_while_a_stale_slot_is_with_the_driver(void **state)
{
	struct request old_r, r;
	uint32_t old = reset_with_a_request_in_flight(5, &old_r), now;

	r = request(0, 6, 512);
	now = slot_for(6);
	assert_int_not_equal(now, BLK_SLOTS);
	finish(now, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_nothing_used(); /* r is done, but the device may still write for old. */
	assert_true(virtio_blk_drive_is_stale(&blk));
	assert_int_equal(*drv_host(r.status), 0xee);
	finish(old, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	assert_false(virtio_blk_drive_is_stale(&blk));
	expect_used(&r, 0, 513);
	assert_memory_equal(drv_host(r.data), part_at(6), 512);
	expect_nothing_used();
	assert_int_equal(submitted(), 0);
	assert_int_equal(table()->slots[old].state, BLK_SLOT_FREE);
	assert_int_equal(table()->slots[now].state, BLK_SLOT_FREE);
}

/* The server restarts: its new instance, with fresh memory, takes over blk. */
static void restart_server(void)
{
	const struct guest_mem mem = drv_mem();
	const struct virtio_irq irq = {.set = set_line, .ctx = NULL};

	drive = fresh_drive(false, PART_SECTORS);
	virtio_blk_resume(&blk, NULL, 0, &drive, &mem, &irq);
}

/* The submitted slot for sector other than except, or BLK_SLOTS. */
static uint32_t other_slot_for(uint64_t sector, uint32_t except)
{
	for (uint32_t i = 0; i < BLK_SLOTS; i++) {
		const struct blk_slot *s = &table()->slots[i];

		if (i != except && s->state == BLK_SLOT_SUBMITTED && s->sector == sector)
			return i;
	}
	return BLK_SLOTS;
}

static void test_a_restarted_server_redoes_requests_and_waits_for_stale_slots(void **state)
{
	struct request a = request(0, 7, 512), b = request_fill(1, 8, 512, 0x44);
	uint32_t old_a = slot_for(7), old_b = slot_for(8), new_a;

	/* The old instance finished nothing back to the guest; b's slot is done at the driver. */
	finish(old_b, BLK_STATUS_OK);
	restart_server();
	assert_true(virtio_blk_drive_is_stale(&blk));
	/*
	 * Both requests are taken again: a into a new slot, as its old one is
	 * still the driver's; b's old one, which the driver had finished, was
	 * free at once.
	 */
	assert_int_equal(submitted(), 3);
	assert_int_equal(table()->slots[old_a].state, BLK_SLOT_SUBMITTED);
	new_a = other_slot_for(7, old_a);
	assert_int_not_equal(new_a, BLK_SLOTS);
	assert_int_not_equal(slot_for(8), BLK_SLOTS);
	finish(old_a, BLK_STATUS_OK); /* The last instance's copy of a: freed, not published. */
	virtio_blk_drive_done(&blk);
	expect_nothing_used();
	assert_false(virtio_blk_drive_is_stale(&blk));
	assert_int_equal(table()->slots[old_a].state, BLK_SLOT_FREE);
	finish(new_a, BLK_STATUS_OK);
	finish(slot_for(8), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&a, 0, 513);
	expect_used(&b, 0, 1);
	expect_nothing_used();
	assert_memory_equal(drv_host(a.data), part_at(7), 512);
	assert_int_equal(part_at(8)[0], 0x44);
	for (uint32_t i = 0; i < BLK_SLOTS; i++)
		assert_int_equal(table()->slots[i].state, BLK_SLOT_FREE);
}

/*
 * Every slot was the driver's when the server restarted, and more requests
 * wait in the guest's queue: once the driver finishes the old slots (one
 * signal for them all), the new instance takes the guest's requests again,
 * and every one completes.
 */
static void test_a_restart_with_every_slot_stale_takes_the_requests_once_they_are_done(void **state)
{
	struct request r[20];
	uint32_t old[BLK_SLOTS];

	for (unsigned k = 0; k < 20; k++)
		r[k] = request(0, k, 512);
	for (uint64_t sector = 0; sector < BLK_SLOTS; sector++)
		old[sector] = slot_for(sector);
	signals = 0;
	restart_server();
	assert_true(virtio_blk_drive_is_stale(&blk));
	assert_int_equal(submitted(), BLK_SLOTS); /* The old ones: no slot is free. */
	/* The last instance may have fallen before it told the driver of them: this one does. */
	assert_int_equal(signals, 1);
	for (unsigned k = 0; k < BLK_SLOTS; k++)
		finish(old[k], BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	assert_false(virtio_blk_drive_is_stale(&blk));
	expect_nothing_used();
	assert_int_equal(submitted(), BLK_SLOTS); /* Taken again, the first 15 of 20. */
	for (uint64_t sector = 0; sector < BLK_SLOTS; sector++)
		finish(slot_for(sector), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	for (unsigned k = 0; k < BLK_SLOTS; k++)
		expect_used(&r[k], 0, 513);
	assert_int_equal(submitted(), 5);
	for (uint64_t sector = BLK_SLOTS; sector < 20; sector++)
		finish(slot_for(sector), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	for (unsigned k = BLK_SLOTS; k < 20; k++)
		expect_used(&r[k], 0, 513);
	expect_nothing_used();
}

/* A slot the driver finished before the restart is free at once: nothing waits for it. */
static void test_a_slot_finished_before_a_restart_is_free_at_once(void **state)
{
	struct request a = request(0, 3, 512);

	finish(slot_for(3), BLK_STATUS_OK);
	restart_server();
	assert_false(virtio_blk_drive_is_stale(&blk));
	assert_int_equal(submitted(), 1); /* a, taken again. */
	finish(slot_for(3), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&a, 0, 513);
	assert_memory_equal(drv_host(a.data), part_at(3), 512);
	expect_nothing_used();
}

static void
test_after_a_restart_nothing_goes_back_while_a_stale_slot_is_with_the_driver(void **state)
{
	struct request a = request(0, 7, 512), b = request_fill(1, 8, 512, 0x44);
	uint32_t old_a = slot_for(7), old_b = slot_for(8), new_a, new_b;

	restart_server();
	assert_true(virtio_blk_drive_is_stale(&blk));
	assert_int_equal(submitted(), 4);
	new_a = other_slot_for(7, old_a);
	new_b = other_slot_for(8, old_b);
	assert_int_not_equal(new_a, BLK_SLOTS);
	assert_int_not_equal(new_b, BLK_SLOTS);
	/* The new instance's requests are done first: neither goes back. */
	finish(new_a, BLK_STATUS_OK);
	finish(new_b, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_nothing_used();
	assert_true(virtio_blk_drive_is_stale(&blk));
	finish(old_a, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_nothing_used(); /* old_b is still with the driver. */
	assert_true(virtio_blk_drive_is_stale(&blk));
	finish(old_b, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	assert_false(virtio_blk_drive_is_stale(&blk));
	expect_used(&a, 0, 513);
	expect_used(&b, 0, 1);
	expect_nothing_used();
	assert_memory_equal(drv_host(a.data), part_at(7), 512);
	assert_int_equal(part_at(8)[0], 0x44);
	assert_int_equal(submitted(), 0);
}

static void test_the_window_tells_a_partitions_size_once_the_driver_writes_it(void **state)
{
	struct blk_window *w = &table()->window;
	uint64_t sectors = 99;

	assert_false(virtio_blk_drive_window(table(), &sectors));
	assert_int_equal(sectors, 0);
	*w = (struct blk_window){.partition = 2, .first_sector = 2048, .sectors = 40};
	__atomic_store_n(&w->state, BLK_WINDOW_READY, __ATOMIC_RELEASE);
	assert_true(virtio_blk_drive_window(table(), &sectors));
	assert_int_equal(sectors, 40);
	/* A failed one has no sectors, whatever the field holds. */
	__atomic_store_n(&w->state, BLK_WINDOW_FAILED, __ATOMIC_RELEASE);
	assert_true(virtio_blk_drive_window(table(), &sectors));
	assert_int_equal(sectors, 0);
}

static void test_a_part_of_0_sectors_has_capacity_0_and_fails_every_transfer(void **state)
{
	struct request r, w, f;

	start_sized(false, 0);
	assert_int_equal(drv_read(&drv, 0x100), 0);
	assert_int_equal(drv_read(&drv, 0x104), 0);
	r = request(0, 0, 512);
	w = request(1, 0, 512);
	expect_used(&r, 1, 1);
	expect_used(&w, 1, 1);
	assert_int_equal(submitted(), 0);
	assert_int_equal(signals, 0);
	/* A flush still goes to the driver, which answers it. */
	f = request(4, 0, 0);
	assert_int_equal(submitted(), 1);
	finish(slot_for(0), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&f, 0, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			test_config_offers_the_part_and_a_seg_max_that_fits_the_drivers_chain,
			setup),
		cmocka_unit_test_setup(
			test_read_lands_in_the_guests_buffer_once_the_driver_finishes, setup),
		cmocka_unit_test_setup(test_write_reaches_the_part_and_nothing_else, setup),
		cmocka_unit_test_setup(test_a_read_over_several_buffers_names_each_as_a_segment,
				       setup),
		cmocka_unit_test_setup(
			test_a_write_whose_header_shares_a_buffer_starts_its_data_after_the_header,
			setup),
		cmocka_unit_test_setup(
			test_a_read_whose_status_shares_a_buffer_stops_its_data_before_the_status,
			setup),
		cmocka_unit_test_setup(
			test_a_write_in_the_most_buffers_a_chain_holds_fails_before_the_driver,
			setup),
		cmocka_unit_test_setup(
			test_a_read_in_the_most_buffers_a_chain_holds_fails_before_the_driver,
			setup),
		cmocka_unit_test_setup(test_a_request_of_1_mib_goes_to_the_driver_as_one_slot,
				       setup),
		cmocka_unit_test_setup(test_a_request_over_the_largest_fails_before_the_driver,
				       setup),
		cmocka_unit_test_setup(test_requests_complete_in_the_order_taken, setup),
		cmocka_unit_test_setup(test_more_requests_than_slots_wait_for_one, setup),
		cmocka_unit_test_setup(test_what_the_driver_would_refuse_fails_here, setup),
		cmocka_unit_test_setup(test_a_read_only_part_refuses_writes_without_the_driver,
				       setup),
		cmocka_unit_test_setup(test_a_driver_error_is_an_ioerr, setup),
		cmocka_unit_test_setup(test_flush_goes_to_the_driver_and_get_id_waits_its_turn,
				       setup),
		cmocka_unit_test_setup(
			test_a_reset_forgets_the_request_in_flight_and_waits_for_its_slot, setup),
		cmocka_unit_test_setup(
			test_after_a_reset_nothing_goes_back_while_a_stale_slot_is_with_the_driver,
			setup),
		cmocka_unit_test_setup(
			test_the_window_tells_a_partitions_size_once_the_driver_writes_it, setup),
		cmocka_unit_test_setup(
			test_a_part_of_0_sectors_has_capacity_0_and_fails_every_transfer, setup),
		cmocka_unit_test_setup(
			test_a_restarted_server_redoes_requests_and_waits_for_stale_slots, setup),
		cmocka_unit_test_setup(
			test_a_restart_with_every_slot_stale_takes_the_requests_once_they_are_done,
			setup),
		cmocka_unit_test_setup(test_a_slot_finished_before_a_restart_is_free_at_once,
				       setup),
		cmocka_unit_test_setup(
			test_after_a_restart_nothing_goes_back_while_a_stale_slot_is_with_the_driver,
			setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
