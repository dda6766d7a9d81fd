/*
 * Unit tests for servers/vdev/virtio_blk.c: requests as a driver lays them
 * out, on a disk of four and a bit sectors. Values are written out as
 * virtio 1.2 §5.2 numbers them.
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

#define DISK_BYTES (4 * 512 + 100)

static uint8_t disk[DISK_BYTES];
static struct virtio_blk blk;
static struct driver drv;
static unsigned line_changes;

static void set_line(void *ctx, bool level)
{
	line_changes++;
}

static int setup(void **state)
{
	const struct guest_mem mem = drv_mem();
	const struct virtio_irq irq = {.set = set_line, .ctx = NULL};

	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i / 512 * 16 + i % 7);
	line_changes = 0;
	virtio_blk_init(&blk, disk, sizeof(disk), NULL, &mem, &irq);
	drv_reset_ram(&drv, &blk.mmio);
	drv_start(&drv, (UINT64_C(1) << 32) | (1u << 9) | (1u << 6) | (1u << 2), 1);
	return 0;
}

/* A request header at a fresh buffer. */
static uint64_t header(uint32_t type, uint64_t sector)
{
	uint64_t ipa = drv_alloc(&drv, 16);
	uint8_t *p = drv_host(ipa);

	memset(p, 0, 16);
	memcpy(p, &type, 4);
	memcpy(p + 8, &sector, 8);
	return ipa;
}

/* Submit the chain, notify, and return the status byte at status_ipa and the used length. */
static uint8_t submit(const struct seg *segs, unsigned n, uint64_t status_ipa, uint32_t *used_len)
{
	uint32_t id, len;
	uint16_t head;

	*drv_host(status_ipa) = 0xee;
	head = drv_add(&drv, 0, segs, n);
	drv_write(&drv, 0x050, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, head);
	if (used_len != NULL)
		*used_len = len;
	return *drv_host(status_ipa);
}

static void test_config_reports_capacity_seg_max_and_block_size(void **state)
{
	uint64_t v;

	assert_int_equal(drv_read(&drv, 0x008), 2);
	assert_int_equal(drv_read(&drv, 0x010), (1u << 9) | (1u << 6) | (1u << 2));
	assert_int_equal(virtio_mmio_read(&blk.mmio, 0x100, 8, &v), MICA_OK);
	assert_int_equal(v, 4); /* the partial fifth sector does not count */
	assert_int_equal(drv_read(&drv, 0x100), 4);
	assert_int_equal(drv_read(&drv, 0x104), 0);
	assert_int_equal(drv_read(&drv, 0x10c), 254);
	assert_int_equal(drv_read(&drv, 0x114), 512);
}

static void test_in_reads_sectors_into_guest_buffers(void **state)
{
	uint64_t h = header(0, 1), d1 = drv_alloc(&drv, 512), d2 = drv_alloc(&drv, 512),
		 st = drv_alloc(&drv, 1);
	const struct seg segs[] = {{h, 16, false}, {d1, 512, true}, {d2, 512, true}, {st, 1, true}};
	uint32_t len;

	assert_int_equal(submit(segs, 4, st, &len), 0);
	assert_int_equal(len, 1025);
	assert_memory_equal(drv_host(d1), disk + 512, 512);
	assert_memory_equal(drv_host(d2), disk + 1024, 512);
	assert_int_equal(blk.reads, 1);
	assert_int_equal(line_changes, 1);
}

static void test_out_writes_sectors_and_in_reads_them_back(void **state)
{
	uint64_t h = header(1, 3), d = drv_alloc(&drv, 512), st = drv_alloc(&drv, 1);
	const struct seg out[] = {{h, 16, false}, {d, 512, false}, {st, 1, true}};
	uint64_t h2, d2;
	uint32_t len;

	memset(drv_host(d), 0x5a, 512);
	assert_int_equal(submit(out, 3, st, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(disk[1536], 0x5a);
	assert_int_equal(disk[2047], 0x5a);
	/* The bytes either side keep the pattern of setup(). */
	assert_int_equal(disk[1535], (uint8_t)(2 * 16 + 1535 % 7));
	assert_int_equal(disk[2048], (uint8_t)(4 * 16 + 2048 % 7));
	assert_int_equal(blk.writes, 1);

	h2 = header(0, 3);
	d2 = drv_alloc(&drv, 512);
	assert_int_equal(
		submit((const struct seg[]){{h2, 16, false}, {d2, 512, true}, {st, 1, true}}, 3, st,
		       NULL),
		0);
	assert_memory_equal(drv_host(d2), drv_host(d), 512);
}

static void test_layout_across_descriptors_does_not_matter(void **state)
{
	/* Header in two pieces, data and status in one writable buffer. */
	uint64_t h = header(0, 2), buf = drv_alloc(&drv, 513);
	const struct seg segs[] = {{h, 8, false}, {h + 8, 8, false}, {buf, 513, true}};
	uint32_t len;

	assert_int_equal(submit(segs, 3, buf + 512, &len), 0);
	assert_int_equal(len, 513);
	assert_memory_equal(drv_host(buf), disk + 1024, 512);
}

static void test_flush_completes_and_is_counted(void **state)
{
	uint64_t h = header(4, 0), st = drv_alloc(&drv, 1);
	uint32_t len;

	assert_int_equal(submit((const struct seg[]){{h, 16, false}, {st, 1, true}}, 2, st, &len),
			 0);
	assert_int_equal(len, 1);
	assert_int_equal(blk.flushes, 1);
}

static void test_get_id_returns_the_padded_serial(void **state)
{
	uint64_t h = header(8, 0), id = drv_alloc(&drv, 20), st = drv_alloc(&drv, 1);
	uint32_t len;

	memset(drv_host(id), 0xff, 20);
	assert_int_equal(submit((const struct seg[]){{h, 16, false}, {id, 20, true}, {st, 1, true}},
				3, st, &len),
			 0);
	assert_int_equal(len, 21);
	assert_memory_equal(drv_host(id), "mica-disk\0\0\0\0\0\0\0\0\0\0\0", 20);
}

static void test_get_id_into_a_short_buffer_is_truncated(void **state)
{
	uint64_t h = header(8, 0), id = drv_alloc(&drv, 5), st = drv_alloc(&drv, 1);
	uint32_t len;

	assert_int_equal(submit((const struct seg[]){{h, 16, false}, {id, 4, true}, {st, 1, true}},
				3, st, &len),
			 0);
	assert_int_equal(len, 5);
	assert_memory_equal(drv_host(id), "mica", 4);
}

static void test_out_of_range_sectors_are_ioerr_and_touch_nothing(void **state)
{
	static const uint64_t sectors[] = {4, 5, UINT64_MAX, UINT64_MAX / 512 + 1, 3};
	static const uint32_t lens[] = {512, 512, 512, 512, 1024};
	uint8_t before[DISK_BYTES];

	memcpy(before, disk, sizeof(disk));
	for (size_t i = 0; i < sizeof(sectors) / sizeof(sectors[0]); i++) {
		uint64_t h = header(1, sectors[i]), d = drv_alloc(&drv, lens[i]),
			 st = drv_alloc(&drv, 1);

		assert_int_equal(submit((const struct seg[]){{h, 16, false},
							     {d, lens[i], false},
							     {st, 1, true}},
					3, st, NULL),
				 1);
		h = header(0, sectors[i]);
		assert_int_equal(submit((const struct seg[]){{h, 16, false},
							     {d, lens[i], true},
							     {st, 1, true}},
					3, st, NULL),
				 1);
	}
	assert_memory_equal(before, disk, sizeof(disk));
	assert_int_equal(blk.errors, 10);
	assert_int_equal(blk.reads + blk.writes, 0);
}

static void test_partial_sectors_are_ioerr(void **state)
{
	uint64_t h = header(0, 0), d = drv_alloc(&drv, 100), st = drv_alloc(&drv, 1);

	assert_int_equal(submit((const struct seg[]){{h, 16, false}, {d, 100, true}, {st, 1, true}},
				3, st, NULL),
			 1);
}

static void test_short_header_is_ioerr(void **state)
{
	uint64_t h = header(0, 0), st = drv_alloc(&drv, 1);

	assert_int_equal(submit((const struct seg[]){{h, 12, false}, {st, 1, true}}, 2, st, NULL),
			 1);
}

static void test_unknown_types_are_unsupported(void **state)
{
	static const uint32_t types[] = {2, 11, 13, 99, UINT32_MAX};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t h = header(types[i], 0), st = drv_alloc(&drv, 1);
		uint32_t len;

		assert_int_equal(
			submit((const struct seg[]){{h, 16, false}, {st, 1, true}}, 2, st, &len),
			2);
		assert_int_equal(len, 1);
	}
	assert_int_equal(blk.unsupported, 5);
}

static void test_request_without_a_status_byte_needs_reset(void **state)
{
	uint64_t h = header(4, 0);

	drv_add(&drv, 0, (const struct seg[]){{h, 16, false}}, 1);
	drv_write(&drv, 0x050, 0);
	assert_int_equal(drv_read(&drv, 0x070) & 0x40, 0x40);
	assert_int_equal(drv_read(&drv, 0x060), 2);
	assert_int_equal(blk.flushes, 0);
}

static void test_several_requests_are_served_in_order(void **state)
{
	uint64_t st1 = drv_alloc(&drv, 1), st2 = drv_alloc(&drv, 1), d = drv_alloc(&drv, 512);
	uint64_t h1 = header(1, 0), h2 = header(4, 0);
	uint32_t id, len;
	uint16_t a, b;

	memset(drv_host(d), 0x77, 512);
	a = drv_add(&drv, 0, (const struct seg[]){{h1, 16, false}, {d, 512, false}, {st1, 1, true}},
		    3);
	b = drv_add(&drv, 0, (const struct seg[]){{h2, 16, false}, {st2, 1, true}}, 2);
	drv_write(&drv, 0x050, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, a);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, b);
	assert_false(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(disk[0], 0x77);
	assert_int_equal(blk.flushes, 1);
	assert_int_equal(line_changes, 1);
}

/*
 * The server crashes and a new instance resumes from blk, which the root
 * task kept (the device's state pages): every pointer into the old
 * process is stale, so scribble on them first.
 */
static void restart(void)
{
	const struct guest_mem mem = drv_mem();
	const struct virtio_irq irq = {.set = set_line, .ctx = NULL};

	blk.disk = (uint8_t *)16;
	blk.mmio.mem.host = (uint8_t *)16;
	blk.mmio.irq.set = NULL;
	blk.mmio.dev.notify = NULL;
	blk.mmio.dev.dev = NULL;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		blk.mmio.queues[i].desc = blk.mmio.queues[i].avail = blk.mmio.queues[i].used =
			(uint8_t *)16;
	line_changes = 0;
	virtio_blk_resume(&blk, disk, sizeof(disk), NULL, &mem, &irq);
}

/* A read of sector into a fresh buffer, made available without a notify. */
static uint16_t add_read(uint64_t sector, uint64_t *data, uint64_t *status)
{
	uint64_t h = header(0, sector);

	*data = drv_alloc(&drv, 512);
	*status = drv_alloc(&drv, 1);
	*drv_host(*status) = 0xee;
	return drv_add(&drv, 0,
		       (const struct seg[]){{h, 16, false}, {*data, 512, true}, {*status, 1, true}},
		       3);
}

static void test_resume_keeps_what_the_driver_set_and_serves_on(void **state)
{
	uint64_t d, st;
	uint32_t id, len;
	uint16_t head;

	restart();
	assert_int_equal(drv_read(&drv, 0x070), 15); /* DRIVER_OK and all before it. */
	assert_int_equal(drv_read(&drv, 0x044), 1);  /* The queue is ready. */
	assert_int_equal(drv_read(&drv, 0x100), 4);  /* The capacity. */
	head = add_read(2, &d, &st);
	drv_write(&drv, 0x050, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(*drv_host(st), 0);
	assert_memory_equal(drv_host(d), disk + 1024, 512);
}

static void test_resume_serves_a_request_made_available_before_the_crash(void **state)
{
	uint64_t d, st;
	uint32_t id, len;
	uint16_t head = add_read(1, &d, &st);

	restart(); /* The guest's notify never arrived, or arrived and was lost. */
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 513);
	assert_int_equal(*drv_host(st), 0);
	assert_memory_equal(drv_host(d), disk + 512, 512);
	assert_int_equal(drv_read(&drv, 0x060) & 1, 1); /* And the driver hears of it. */
}

static void test_resume_redoes_a_request_consumed_but_not_completed(void **state)
{
	struct virtq_chain c;
	uint64_t d, st;
	uint32_t id, len;
	uint16_t head = add_read(3, &d, &st);

	/* The old instance took the chain, and crashed before completing it. */
	assert_int_equal(virtio_mmio_pop(&blk.mmio, 0, &c), MICA_OK);
	assert_int_equal(blk.mmio.queues[0].last_avail, 1);
	restart();
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(*drv_host(st), 0);
	assert_memory_equal(drv_host(d), disk + 1536, 512);
	assert_false(drv_take_used(&drv, 0, &id, &len));
}

static void test_resume_redoes_a_request_whose_used_idx_was_not_published(void **state)
{
	uint64_t h = header(1, 0), d = drv_alloc(&drv, 512), st = drv_alloc(&drv, 1);
	uint32_t id, len;
	uint16_t head;

	memset(drv_host(d), 0x3c, 512);
	head = drv_add(&drv, 0,
		       (const struct seg[]){{h, 16, false}, {d, 512, false}, {st, 1, true}}, 3);
	drv_write(&drv, 0x050, 0);
	/*
	 * The old instance wrote the disk, the status and the used element, and
	 * crashed before storing the used idx: the driver has seen nothing.
	 */
	put16(drv_used(0) + 2, 0);
	*drv_host(st) = 0xee;
	restart();
	assert_int_equal(drv_used_idx(0), 1);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(*drv_host(st), 0);
	assert_int_equal(disk[0], 0x3c);
	assert_int_equal(blk.writes, 2); /* Written twice, to the same effect. */
	assert_false(drv_take_used(&drv, 0, &id, &len));
}

static void test_resume_does_not_redo_a_published_request_and_interrupts_again(void **state)
{
	uint64_t d, st;
	uint32_t id, len;
	uint16_t head = add_read(0, &d, &st);

	drv_write(&drv, 0x050, 0);
	/* Published, and the old instance crashed before raising the interrupt. */
	blk.mmio.interrupt_status = 0;
	blk.reads = 0;
	restart();
	assert_int_equal(blk.reads, 0);
	assert_int_equal(drv_used_idx(0), 1);
	assert_int_equal(drv_read(&drv, 0x060) & 1, 1);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, head);
	assert_false(drv_take_used(&drv, 0, &id, &len));
}

static void test_resume_across_wrapped_indices_redoes_each_request_in_flight(void **state)
{
	uint64_t d[2], st[2];
	uint16_t head[2];
	uint32_t id, len;

	/* Both sides one short of wrapping: the driver's avail idx and the used idx. */
	drv.avail_idx[0] = drv.used_seen[0] = 65535;
	put16(drv_avail(0) + 2, 65535);
	put16(drv_used(0) + 2, 65535);
	blk.mmio.queues[0].last_avail = blk.mmio.queues[0].used_idx = 65535;
	for (unsigned i = 0; i < 2; i++)
		head[i] = add_read(i, &d[i], &st[i]);
	restart();
	assert_int_equal(drv_used_idx(0), 1);
	for (unsigned i = 0; i < 2; i++) {
		assert_true(drv_take_used(&drv, 0, &id, &len));
		assert_int_equal(id, head[i]);
		assert_int_equal(*drv_host(st[i]), 0);
		assert_memory_equal(drv_host(d[i]), disk + (size_t)512 * i, 512);
	}
	assert_false(drv_take_used(&drv, 0, &id, &len));
}

static void test_resume_before_driver_ok_only_keeps_the_registers(void **state)
{
	drv_write(&drv, 0x070, 0);
	drv_write(&drv, 0x070, 1);
	drv_write(&drv, 0x070, 3);
	restart();
	assert_int_equal(drv_read(&drv, 0x070), 3);
	assert_int_equal(drv_read(&drv, 0x044), 0);
	assert_int_equal(drv_read(&drv, 0x060), 0);
	assert_int_equal(line_changes, 1); /* Low, sent whatever was sent before. */
}

static void test_resume_keeps_a_device_that_needs_reset_so(void **state)
{
	uint64_t h = header(0, 0);

	drv_add(&drv, 0, (const struct seg[]){{h, 16, false}}, 1);
	drv_write(&drv, 0x050, 0);
	restart();
	assert_int_equal(drv_read(&drv, 0x070) & 0x40, 0x40);
	assert_int_equal(drv_read(&drv, 0x060) & 2, 2);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_reports_capacity_seg_max_and_block_size),
		T(test_in_reads_sectors_into_guest_buffers),
		T(test_out_writes_sectors_and_in_reads_them_back),
		T(test_layout_across_descriptors_does_not_matter),
		T(test_flush_completes_and_is_counted),
		T(test_get_id_returns_the_padded_serial),
		T(test_get_id_into_a_short_buffer_is_truncated),
		T(test_out_of_range_sectors_are_ioerr_and_touch_nothing),
		T(test_partial_sectors_are_ioerr),
		T(test_short_header_is_ioerr),
		T(test_unknown_types_are_unsupported),
		T(test_request_without_a_status_byte_needs_reset),
		T(test_several_requests_are_served_in_order),
		T(test_resume_keeps_what_the_driver_set_and_serves_on),
		T(test_resume_serves_a_request_made_available_before_the_crash),
		T(test_resume_redoes_a_request_consumed_but_not_completed),
		T(test_resume_redoes_a_request_whose_used_idx_was_not_published),
		T(test_resume_does_not_redo_a_published_request_and_interrupts_again),
		T(test_resume_across_wrapped_indices_redoes_each_request_in_flight),
		T(test_resume_before_driver_ok_only_keeps_the_registers),
		T(test_resume_keeps_a_device_that_needs_reset_so),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
