/*
 * Unit tests for servers/vdev/virtio_blk.c over a drive: the guest's
 * virtio-blk requests become slots of a block driver's queue
 * (<mica/proto/blk.h>). The test plays the block driver, over a machine
 * disk in host memory of which the device is given a part, and finishes
 * slots when and in the order it chooses.
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

#define MACHINE_SECTORS ((size_t)64)
#define PART_FIRST	((size_t)16) /* The device's part: sectors 16 to 47 of the machine's disk. */
#define PART_SECTORS	((size_t)32)
#define QUEUE_SIZE	64u

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
	return (struct blk_table *)region;
}

static struct virtio_blk_drive fresh_drive(bool is_read_only, uint64_t sectors)
{
	return (struct virtio_blk_drive){.table = table(),
					 .data = region + BLK_DATA_OFFSET,
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
	drv_start(&drv, (UINT64_C(1) << 32) | (1u << 9) | (1u << 6) | (1u << 2) | (1u << 1), 1);
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

/* The test as block driver: do slot i's request on the machine's disk, finish it with status. */
static void finish(uint32_t i, uint32_t status)
{
	struct blk_slot *s = &table()->slots[i];
	uint8_t *at = machine_disk + (PART_FIRST + s->sector) * 512;
	uint8_t *data = region + BLK_DATA_OFFSET + (uint64_t)i * BLK_SLOT_SIZE;

	assert_int_equal(s->state, BLK_SLOT_SUBMITTED);
	assert_true(s->sector + s->bytes / 512 <= PART_SECTORS);
	if (status == BLK_STATUS_OK && s->op == BLK_OP_READ)
		memcpy(data, at, s->bytes);
	if (status == BLK_STATUS_OK && s->op == BLK_OP_WRITE)
		memcpy(at, data, s->bytes);
	s->status = status;
	s->state = BLK_SLOT_DONE;
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

struct request {
	uint64_t data, status;
	uint16_t head;
};

/*
 * A guest request of type over bytes at sector (a write's data all fill),
 * made available and notified.
 */
static struct request request_fill(uint32_t type, uint64_t sector, uint32_t bytes, uint8_t fill)
{
	uint64_t h = drv_alloc(&drv, 16);
	struct request r = {.data = bytes ? drv_alloc(&drv, bytes) : 0,
			    .status = drv_alloc(&drv, 1)};
	struct seg segs[3];
	unsigned n = 0;

	memset(drv_host(h), 0, 16);
	memcpy(drv_host(h), &type, 4);
	memcpy(drv_host(h) + 8, &sector, 8);
	segs[n++] = (struct seg){h, 16, false};
	if (bytes != 0) {
		memset(drv_host(r.data), fill, bytes);
		segs[n++] = (struct seg){r.data, bytes, type == 0 || type == 8};
	}
	segs[n++] = (struct seg){r.status, 1, true};
	*drv_host(r.status) = 0xee;
	r.head = drv_add(&drv, 0, segs, n);
	drv_write(&drv, 0x050, 0);
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

static void test_config_offers_the_part_and_requests_that_fit_a_slot(void **state)
{
	assert_int_equal(drv_read(&drv, 0x100), PART_SECTORS);
	assert_int_equal(drv_read(&drv, 0x108), 4096);		       /* size_max */
	assert_int_equal(drv_read(&drv, 0x10c), BLK_SLOT_SIZE / 4096); /* seg_max */
	assert_int_equal(drv_read(&drv, 0x010) & (1u << 5), 0);	       /* not read-only */
	start(true);
	assert_int_equal(drv_read(&drv, 0x010) & (1u << 5), 1u << 5);
}

static void test_read_comes_from_the_part_once_the_driver_finishes(void **state)
{
	struct request r = request(0, 2, 1024);
	uint32_t i = slot_for(2);

	assert_int_not_equal(i, BLK_SLOTS);
	assert_int_equal(table()->slots[i].op, BLK_OP_READ);
	assert_int_equal(table()->slots[i].bytes, 1024);
	assert_int_equal(signals, 1);
	expect_nothing_used(); /* In flight: the guest waits. */
	finish(i, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&r, 0, 1025);
	assert_memory_equal(drv_host(r.data), machine_disk + (PART_FIRST + 2) * 512, 1024);
	assert_int_equal(table()->slots[i].state, BLK_SLOT_FREE);
	assert_int_equal(blk.reads, 1);
}

static void test_write_reaches_the_part_and_nothing_else(void **state)
{
	uint8_t before[sizeof(machine_disk)];
	struct request w;

	memcpy(before, machine_disk, sizeof(before));
	w = request_fill(1, PART_SECTORS - 1, 512, 0x77);
	finish(slot_for(PART_SECTORS - 1), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&w, 0, 1);
	for (size_t i = 0; i < sizeof(machine_disk); i++) {
		bool is_written = i / 512 == PART_FIRST + PART_SECTORS - 1;

		assert_int_equal(machine_disk[i], is_written ? 0x77 : before[i]);
	}
	assert_int_equal(blk.writes, 1);
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
	assert_memory_equal(drv_host(c.data), machine_disk + (PART_FIRST + 2) * 512, 512);
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
	for (unsigned k = BLK_SLOTS; k < 20; k++) {
		expect_used(&r[k], 0, 513);
		assert_memory_equal(drv_host(r[k].data), machine_disk + (PART_FIRST + k) * 512,
				    512);
	}
	expect_nothing_used();
}

static void test_what_the_driver_would_refuse_fails_here(void **state)
{
	struct request past = request(0, PART_SECTORS - 1, 1024);
	struct request huge = request(0, 0, BLK_SLOT_SIZE + 512);
	struct request partial = request(0, 0, 100);

	expect_used(&past, 1, 1);
	expect_used(&huge, 1, 1);
	expect_used(&partial, 1, 1);
	assert_int_equal(submitted(), 0);
	assert_int_equal(signals, 0);
	assert_int_equal(blk.errors, 3);
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
	assert_int_equal(*drv_host(r.data), 0x11); /* Nothing was copied in. */
	assert_int_equal(blk.errors, 1);
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
	expect_nothing_used(); /* GET_ID is answered here, but after the two before it. */
	finish(f, BLK_STATUS_OK);
	finish(slot_for(0), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&read, 0, 513);
	expect_used(&flush, 0, 1);
	expect_used(&id, 0, 21);
	assert_memory_equal(drv_host(id.data), "mica-disk", 9);
	assert_int_equal(blk.flushes, 1);
}

static void test_a_reset_writes_into_no_buffer_of_the_last_boot(void **state)
{
	struct request r = request(0, 5, 512);
	uint32_t old = slot_for(5), now;

	memset(drv_host(r.data), 0x22, 512);
	drv_write(&drv, 0x070,
		  0); /* The guest resets the device, the slot still with the driver. */
	drv_reset_ram(&drv, &blk.mmio);
	memset(drv_host(r.data), 0x22, 512);
	drv.num = QUEUE_SIZE;
	drv_start(&drv, (UINT64_C(1) << 32) | (1u << 9), 1);
	/* A new request takes another slot: the old one is the driver's until it finishes. */
	r = request(0, 6, 512);
	now = slot_for(6);
	assert_int_not_equal(now, old);
	finish(old, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_nothing_used();
	assert_int_equal(table()->slots[old].state, BLK_SLOT_FREE);
	finish(now, BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&r, 0, 513);
	expect_nothing_used();
}

static void test_a_restarted_server_redoes_requests_and_waits_for_stale_slots(void **state)
{
	const struct guest_mem mem = drv_mem();
	const struct virtio_irq irq = {.set = set_line, .ctx = NULL};
	struct request a = request(0, 7, 512), b = request_fill(1, 8, 512, 0x44);
	uint32_t old_a = slot_for(7), old_b = slot_for(8), new_a;

	/* The old instance finished nothing back to the guest; b's slot is done at the driver. */
	finish(old_b, BLK_STATUS_OK);
	drive = fresh_drive(false, PART_SECTORS); /* The new instance's memory. */
	virtio_blk_resume(&blk, NULL, 0, &drive, &mem, &irq);
	/*
	 * Both requests are taken again, into new slots: a's old one is still
	 * the driver's, and b's old one was stale until the new instance saw it
	 * done.
	 */
	assert_int_equal(submitted(), 3);
	assert_int_equal(table()->slots[old_a].state, BLK_SLOT_SUBMITTED);
	new_a = slot_for(7) == old_a ? BLK_SLOTS : slot_for(7);
	for (uint32_t i = 0; i < BLK_SLOTS; i++)
		if (i != old_a && table()->slots[i].state == BLK_SLOT_SUBMITTED &&
		    table()->slots[i].sector == 7)
			new_a = i;
	assert_int_not_equal(new_a, BLK_SLOTS);
	assert_int_not_equal(slot_for(8), old_b);
	finish(old_a, BLK_STATUS_OK); /* The last instance's copy of a: freed, not published. */
	virtio_blk_drive_done(&blk);
	expect_nothing_used();
	assert_int_equal(table()->slots[old_a].state, BLK_SLOT_FREE);
	finish(new_a, BLK_STATUS_OK);
	finish(slot_for(8), BLK_STATUS_OK);
	virtio_blk_drive_done(&blk);
	expect_used(&a, 0, 513);
	expect_used(&b, 0, 1);
	expect_nothing_used();
	assert_int_equal(machine_disk[(PART_FIRST + 8) * 512], 0x44);
	for (uint32_t i = 0; i < BLK_SLOTS; i++)
		assert_int_equal(table()->slots[i].state, BLK_SLOT_FREE);
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
		cmocka_unit_test_setup(test_config_offers_the_part_and_requests_that_fit_a_slot,
				       setup),
		cmocka_unit_test_setup(test_read_comes_from_the_part_once_the_driver_finishes,
				       setup),
		cmocka_unit_test_setup(test_write_reaches_the_part_and_nothing_else, setup),
		cmocka_unit_test_setup(test_requests_complete_in_the_order_taken, setup),
		cmocka_unit_test_setup(test_more_requests_than_slots_wait_for_one, setup),
		cmocka_unit_test_setup(test_what_the_driver_would_refuse_fails_here, setup),
		cmocka_unit_test_setup(test_a_read_only_part_refuses_writes_without_the_driver,
				       setup),
		cmocka_unit_test_setup(test_a_driver_error_is_an_ioerr, setup),
		cmocka_unit_test_setup(test_flush_goes_to_the_driver_and_get_id_waits_its_turn,
				       setup),
		cmocka_unit_test_setup(test_a_reset_writes_into_no_buffer_of_the_last_boot, setup),
		cmocka_unit_test_setup(
			test_the_window_tells_a_partitions_size_once_the_driver_writes_it, setup),
		cmocka_unit_test_setup(
			test_a_part_of_0_sectors_has_capacity_0_and_fails_every_transfer, setup),
		cmocka_unit_test_setup(
			test_a_restarted_server_redoes_requests_and_waits_for_stale_slots, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
