/*
 * Unit tests for servers/vdev/virtqueue.c and virtio.c: guest-memory
 * bounds, split virtqueues (well-formed and malformed chains) and the
 * virtio-mmio version 2 transport, driven through its registers as a
 * driver would drive it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vdev_driver.h"

struct fake_dev {
	unsigned notified[2];
	unsigned resets;
	bool levels[16];
	unsigned level_count;
};

static struct fake_dev dev;
static struct virtio_mmio mmio;
static struct driver drv;
static struct virtq_chain chain;

static void notify(void *ctx, unsigned queue)
{
	struct fake_dev *f = ctx;

	f->notified[queue]++;
}

static void reset(void *ctx)
{
	struct fake_dev *f = ctx;

	f->resets++;
}

static void set_line(void *ctx, bool level)
{
	struct fake_dev *f = ctx;

	assert_true(f->level_count < 16);
	f->levels[f->level_count++] = level;
}

static int setup(void **state)
{
	const struct virtio_dev d = {.device_id = 42,
				     .features = 1u | (UINT64_C(1) << 35),
				     .queue_count = 2,
				     .notify = notify,
				     .reset = reset,
				     .dev = &dev};
	const struct virtio_irq irq = {.set = set_line, .ctx = &dev};
	const struct guest_mem mem = drv_mem();

	memset(&dev, 0, sizeof(dev));
	virtio_mmio_init(&mmio, &d, &mem, &irq);
	mmio.config_size = 6;
	memcpy(mmio.config, "\x11\x22\x33\x44\x55\x66", 6);
	drv_reset_ram(&drv, &mmio);
	return 0;
}

/* Set up and start the device, then forget the notifications so far. */
static int setup_running(void **state)
{
	setup(state);
	drv_start(&drv, UINT64_C(1) << 32, 2);
	memset(&dev, 0, sizeof(dev));
	return 0;
}

/* A queue of num 8 at the driver's rings, enabled directly. */
static struct virtq ready_queue(void)
{
	struct virtq q = {.num = 8,
			  .desc_ipa = drv_desc(0),
			  .avail_ipa = drv_avail(0),
			  .used_ipa = drv_used(0)};
	const struct guest_mem m = drv_mem();

	assert_int_equal(virtq_enable(&q, &m), MICA_OK);
	return q;
}

static enum mica_error pop(struct virtq *q)
{
	const struct guest_mem m = drv_mem();

	return virtq_pop(q, &m, &chain);
}

/* ---- guest memory ---- */

static void test_guest_mem_accepts_only_ranges_inside_the_window(void **state)
{
	const struct guest_mem m = drv_mem();
	const struct guest_mem none = {.ipa_base = RAM_IPA, .size = RAM_SIZE, .host = NULL};

	assert_ptr_equal(guest_mem_ptr(&m, RAM_IPA, RAM_SIZE), drv_ram);
	assert_ptr_equal(guest_mem_ptr(&m, RAM_IPA + 16, 16), drv_ram + 16);
	assert_ptr_equal(guest_mem_ptr(&m, RAM_IPA + RAM_SIZE, 0), drv_ram + RAM_SIZE);
	assert_null(guest_mem_ptr(&m, RAM_IPA + RAM_SIZE, 1));
	assert_null(guest_mem_ptr(&m, RAM_IPA + RAM_SIZE - 1, 2));
	assert_null(guest_mem_ptr(&m, RAM_IPA - 1, 1));
	assert_null(guest_mem_ptr(&m, RAM_IPA, RAM_SIZE + 1));
	/* Lengths and addresses that would wrap a naive sum. */
	assert_null(guest_mem_ptr(&m, RAM_IPA + 16, UINT64_MAX));
	assert_null(guest_mem_ptr(&m, RAM_IPA + 16, UINT64_MAX - 15));
	assert_null(guest_mem_ptr(&m, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&m, 0, 1));
	assert_null(guest_mem_ptr(&none, RAM_IPA, 1));
}

/* ---- virtqueues ---- */

static void test_enable_checks_size_alignment_and_placement(void **state)
{
	static const uint16_t bad_sizes[] = {0, 3, 6, 257, 512, 1000};
	const struct guest_mem m = drv_mem();
	struct virtq q;

	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		q = (struct virtq){.num = bad_sizes[i],
				   .desc_ipa = drv_desc(0),
				   .avail_ipa = drv_avail(0),
				   .used_ipa = drv_used(0)};
		assert_int_equal(virtq_enable(&q, &m), MICA_ERR_INVALID_ARGUMENT);
		assert_false(q.is_ready);
	}
	q = (struct virtq){.num = 8,
			   .desc_ipa = drv_desc(0) + 8,
			   .avail_ipa = drv_avail(0),
			   .used_ipa = drv_used(0)};
	assert_int_equal(virtq_enable(&q, &m), MICA_ERR_ALIGNMENT);
	q = (struct virtq){.num = 8,
			   .desc_ipa = drv_desc(0),
			   .avail_ipa = drv_avail(0) + 1,
			   .used_ipa = drv_used(0)};
	assert_int_equal(virtq_enable(&q, &m), MICA_ERR_ALIGNMENT);
	q = (struct virtq){.num = 8,
			   .desc_ipa = drv_desc(0),
			   .avail_ipa = drv_avail(0),
			   .used_ipa = drv_used(0) + 2};
	assert_int_equal(virtq_enable(&q, &m), MICA_ERR_ALIGNMENT);
	/* A used ring that runs past the end of RAM by a few bytes. */
	q = (struct virtq){.num = 8,
			   .desc_ipa = drv_desc(0),
			   .avail_ipa = drv_avail(0),
			   .used_ipa = RAM_IPA + RAM_SIZE - 68};
	assert_int_equal(virtq_enable(&q, &m), MICA_ERR_BAD_ADDRESS);
	q.used_ipa = RAM_IPA + RAM_SIZE - 72;
	assert_int_equal(virtq_enable(&q, &m), MICA_OK);
	q = (struct virtq){
		.num = 8, .desc_ipa = 0x1000, .avail_ipa = drv_avail(0), .used_ipa = drv_used(0)};
	assert_int_equal(virtq_enable(&q, &m), MICA_ERR_BAD_ADDRESS);
	assert_false(q.is_ready);
}

static void test_pop_of_an_empty_or_unready_queue_finds_nothing(void **state)
{
	struct virtq q = ready_queue();
	struct virtq unready = {0};

	assert_int_equal(pop(&q), MICA_ERR_NOT_FOUND);
	assert_int_equal(pop(&unready), MICA_ERR_NOT_FOUND);
}

static void test_pop_gathers_readable_then_writable_buffers(void **state)
{
	struct virtq q = ready_queue();
	uint64_t a = drv_alloc(&drv, 5), b = drv_alloc(&drv, 3), c = drv_alloc(&drv, 4),
		 e = drv_alloc(&drv, 6);
	const struct seg segs[] = {{a, 5, false}, {b, 3, false}, {c, 4, true}, {e, 6, true}};
	uint8_t buf[16] = {0};
	uint16_t head;

	memcpy(drv_host(a), "hello", 5);
	memcpy(drv_host(b), "abc", 3);
	head = drv_add(&drv, 0, segs, 4);
	assert_int_equal(pop(&q), MICA_OK);
	assert_int_equal(chain.head, head);
	assert_int_equal(chain.out_count, 2);
	assert_int_equal(chain.in_count, 2);
	assert_int_equal(chain.out_len, 8);
	assert_int_equal(chain.in_len, 10);
	/* Reads and writes run across buffer boundaries, from any offset. */
	assert_int_equal(virtq_chain_read(&chain, 3, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "loabc", 5);
	assert_int_equal(virtq_chain_read(&chain, 8, buf, 4), 0);
	assert_int_equal(virtq_chain_write(&chain, 2, "0123456789", 10), 8);
	assert_memory_equal(drv_host(c),
			    "\0\0"
			    "01",
			    4);
	assert_memory_equal(drv_host(e), "234567", 6);
	assert_int_equal(pop(&q), MICA_ERR_NOT_FOUND);
}

static void test_chain_as_long_as_the_queue_is_accepted(void **state)
{
	struct virtq q = ready_queue();
	struct seg segs[8];

	for (unsigned i = 0; i < 8; i++)
		segs[i] = (struct seg){drv_alloc(&drv, 1), 1, i >= 4};
	drv_add(&drv, 0, segs, 8);
	assert_int_equal(pop(&q), MICA_OK);
	assert_int_equal(chain.out_count + chain.in_count, 8);
}

static void test_descriptor_loop_is_malformed(void **state)
{
	struct virtq q = ready_queue();
	uint64_t a = drv_alloc(&drv, 4);

	put_desc(0, 0, a, 4, 1, 1);
	put_desc(0, 1, a, 4, 1, 0);
	drv_kick_head(&drv, 0, 0);
	assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
}

static void test_descriptor_pointing_at_itself_is_malformed(void **state)
{
	struct virtq q = ready_queue();

	put_desc(0, 3, drv_alloc(&drv, 4), 4, 1, 3);
	drv_kick_head(&drv, 0, 3);
	assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
}

static void test_next_or_head_past_the_queue_is_malformed(void **state)
{
	struct virtq q = ready_queue();

	put_desc(0, 0, drv_alloc(&drv, 4), 4, 1, 8);
	drv_kick_head(&drv, 0, 0);
	assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
	drv_kick_head(&drv, 0, 8);
	assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
	drv_kick_head(&drv, 0, 0xffff);
	assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
}

static void test_buffers_outside_guest_memory_are_malformed(void **state)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{RAM_IPA + RAM_SIZE, 1},  {RAM_IPA + RAM_SIZE - 4, 5}, {RAM_IPA - 1, 2}, {0, 16},
		{UINT64_MAX - 7, 16}, /* addr + len wraps */
		{UINT64_MAX, UINT32_MAX}, {RAM_IPA, UINT32_MAX},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct virtq q = ready_queue();

		drv.avail_idx[0] = 0;
		put_desc(0, 0, bad[i].addr, bad[i].len, 0, 0);
		drv_kick_head(&drv, 0, 0);
		assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
	}
}

static void test_readable_after_writable_is_malformed(void **state)
{
	struct virtq q = ready_queue();
	const struct seg segs[] = {{drv_alloc(&drv, 4), 4, true}, {drv_alloc(&drv, 4), 4, false}};

	drv_add(&drv, 0, segs, 2);
	assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
}

static void test_indirect_descriptor_is_malformed(void **state)
{
	struct virtq q = ready_queue();

	put_desc(0, 0, drv_alloc(&drv, 32), 32, 4, 0);
	drv_kick_head(&drv, 0, 0);
	assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
}

static void test_more_available_than_the_queue_holds_is_malformed(void **state)
{
	struct virtq q = ready_queue();

	put16(drv_avail(0) + 2, 9);
	assert_int_equal(pop(&q), MICA_ERR_MALFORMED);
	/* Wrapping through 65535: 0xffff to 0x0007 is 8 entries, fine. */
	q = ready_queue();
	q.last_avail = 0xffff;
	put_desc(0, 0, drv_alloc(&drv, 1), 1, 0, 0);
	put16(drv_avail(0) + 4 + 14, 0); /* ring[7] */
	put16(drv_avail(0) + 2, 7);
	assert_int_equal(pop(&q), MICA_OK);
	assert_int_equal(q.last_avail, 0);
}

static void test_total_length_over_32_bits_is_malformed(void **state)
{
	/* A window of 16 GiB, of which the test touches only the rings. */
	const struct guest_mem big = {
		.ipa_base = RAM_IPA, .size = UINT64_C(0x400000000), .host = drv_ram};
	struct virtq q = {.num = 8,
			  .desc_ipa = drv_desc(0),
			  .avail_ipa = drv_avail(0),
			  .used_ipa = drv_used(0)};

	assert_int_equal(virtq_enable(&q, &big), MICA_OK);
	put_desc(0, 0, RAM_IPA, 0x80000000u, 3, 1);
	put_desc(0, 1, RAM_IPA, 0x80000000u, 2, 0);
	drv_kick_head(&drv, 0, 0);
	assert_int_equal(virtq_pop(&q, &big, &chain), MICA_ERR_MALFORMED);
	/* One byte less is fine. */
	put_desc(0, 1, RAM_IPA, 0x7fffffffu, 2, 0);
	drv_kick_head(&drv, 0, 0);
	assert_int_equal(virtq_pop(&q, &big, &chain), MICA_OK);
	assert_int_equal(chain.in_len, UINT32_MAX);
}

static void test_push_publishes_used_elements_and_honours_no_interrupt(void **state)
{
	struct virtq q = ready_queue();
	uint32_t id = 0, len = 0;

	assert_true(virtq_push(&q, 5, 77));
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, 5);
	assert_int_equal(len, 77);
	put16(drv_avail(0), 1);
	assert_false(virtq_push(&q, 6, 1));
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, 6);
	assert_false(drv_take_used(&drv, 0, &id, &len));
}

static void test_used_index_wraps_at_16_bits(void **state)
{
	struct virtq q = ready_queue();
	uint16_t idx;

	q.used_idx = 0xffff;
	(void)virtq_push(&q, 1, 1);
	memcpy(&idx, drv_host(drv_used(0) + 2), 2);
	assert_int_equal(idx, 0);
	/* Entry 0xffff % 8 = 7 holds it. */
	assert_int_equal(drv_host(drv_used(0) + 4 + 56)[0], 1); /* ring[7].id */
}

/* ---- the transport ---- */

static uint32_t rd(uint64_t off)
{
	return drv_read(&drv, off);
}

static void wr(uint64_t off, uint32_t v)
{
	drv_write(&drv, off, v);
}

static void test_identification_registers(void **state)
{
	assert_int_equal(rd(0x000), 0x74726976);
	assert_int_equal(rd(0x004), 2);
	assert_int_equal(rd(0x008), 42);
	assert_int_equal(rd(0x00c), 0x4143494d);
	assert_int_equal(rd(0x0fc), 0);
}

static void test_device_features_come_in_banks_with_version_1(void **state)
{
	assert_int_equal(rd(0x010), 1);
	wr(0x014, 1);
	assert_int_equal(rd(0x010), 0x9); /* bit 32 (VERSION_1) and bit 35 */
	wr(0x014, 2);
	assert_int_equal(rd(0x010), 0);
}

static void test_features_ok_requires_version_1_and_only_offered_bits(void **state)
{
	wr(0x070, 3);
	wr(0x024, 0);
	wr(0x020, 1);
	wr(0x070, 11);
	assert_int_equal(rd(0x070), 3); /* no VERSION_1 */
	wr(0x024, 1);
	wr(0x020, 0x3); /* VERSION_1 and bit 33, not offered */
	wr(0x070, 11);
	assert_int_equal(rd(0x070), 3);
	wr(0x020, 0x9);
	wr(0x070, 11);
	assert_int_equal(rd(0x070), 11);
	assert_int_equal(mmio.driver_features, UINT64_C(0x900000001));
	/* Too late to change them now. */
	wr(0x020, 0x1);
	assert_int_equal(mmio.driver_features, UINT64_C(0x900000001));
}

static void test_control_registers_take_only_aligned_32_bit_accesses(void **state)
{
	uint64_t v = 5;

	assert_int_equal(virtio_mmio_read(&mmio, 0x000, 1, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(virtio_mmio_read(&mmio, 0x000, 2, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(virtio_mmio_read(&mmio, 0x000, 8, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(virtio_mmio_read(&mmio, 0x002, 4, &v), MICA_ERR_ALIGNMENT);
	assert_int_equal(virtio_mmio_write(&mmio, 0x070, 1, 1), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(virtio_mmio_read(&mmio, 0x200, 4, &v), MICA_ERR_RANGE);
	assert_int_equal(virtio_mmio_write(&mmio, UINT64_MAX - 3, 4, 1), MICA_ERR_RANGE);
	assert_int_equal(v, 5);
	assert_int_equal(rd(0x070), 0);
}

static void test_config_space_is_little_endian_and_read_only(void **state)
{
	uint64_t v = 0;

	assert_int_equal(virtio_mmio_read(&mmio, 0x100, 1, &v), MICA_OK);
	assert_int_equal(v, 0x11);
	assert_int_equal(virtio_mmio_read(&mmio, 0x102, 2, &v), MICA_OK);
	assert_int_equal(v, 0x4433);
	assert_int_equal(virtio_mmio_read(&mmio, 0x104, 4, &v), MICA_OK);
	assert_int_equal(v, 0x6655); /* past config_size: zero */
	assert_int_equal(virtio_mmio_read(&mmio, 0x100, 8, &v), MICA_OK);
	assert_int_equal(v, UINT64_C(0x665544332211));
	assert_int_equal(virtio_mmio_read(&mmio, 0x101, 2, &v), MICA_ERR_ALIGNMENT);
	assert_int_equal(virtio_mmio_write(&mmio, 0x100, 1, 0xff), MICA_OK);
	assert_int_equal(mmio.config[0], 0x11);
	assert_int_equal(mmio.ignored_writes, 1);
}

static void test_queue_num_max_is_zero_for_absent_queues(void **state)
{
	wr(0x030, 0);
	assert_int_equal(rd(0x034), 256);
	wr(0x030, 1);
	assert_int_equal(rd(0x034), 256);
	wr(0x030, 2);
	assert_int_equal(rd(0x034), 0);
	assert_int_equal(rd(0x044), 0);
	wr(0x038, 8);
	wr(0x044, 1);
	assert_int_equal(rd(0x044), 0);
	assert_int_equal(rd(0x070) & 0x40, 0);
}

static void test_queue_registers_are_frozen_while_ready(void **state)
{
	drv_start(&drv, UINT64_C(1) << 32, 2);
	wr(0x030, 0);
	assert_int_equal(rd(0x044), 1);
	wr(0x038, 4);
	wr(0x080, 0x1000);
	assert_int_equal(mmio.queues[0].num, 8);
	assert_int_equal(mmio.queues[0].desc_ipa, drv_desc(0));
	wr(0x044, 0);
	assert_int_equal(rd(0x044), 0);
	wr(0x038, 4);
	assert_int_equal(mmio.queues[0].num, 4);
}

static void test_bad_queue_needs_reset_and_interrupts_once_running(void **state)
{
	wr(0x070, 1);
	wr(0x030, 0);
	wr(0x038, 6); /* not a power of two */
	wr(0x044, 1);
	assert_int_equal(rd(0x044), 0);
	assert_int_equal(rd(0x070) & 0x40, 0x40);
	/* Not yet DRIVER_OK: no interrupt. */
	assert_int_equal(rd(0x060), 0);
	assert_int_equal(dev.level_count, 0);
	/* A driver cannot clear the bit, only reset. */
	wr(0x070, 0x07);
	assert_int_equal(rd(0x070), 0x47);
	wr(0x070, 0);
	assert_int_equal(rd(0x070), 0);
	assert_int_equal(dev.resets, 1);
}

static void test_notify_reaches_the_device_only_for_a_live_ready_queue(void **state)
{
	wr(0x050, 0);
	assert_int_equal(dev.notified[0], 0);
	drv_start(&drv, UINT64_C(1) << 32, 1);
	wr(0x050, 0);
	wr(0x050, 1); /* queue 1 is not ready */
	wr(0x050, 7);
	assert_int_equal(dev.notified[0], 1);
	assert_int_equal(dev.notified[1], 0);
	virtio_mmio_needs_reset(&mmio);
	wr(0x050, 0);
	assert_int_equal(dev.notified[0], 1);
}

static void test_malformed_chain_needs_reset_with_a_config_interrupt(void **state)
{
	put_desc(0, 0, drv_alloc(&drv, 4), 4, 1, 0);
	drv_kick_head(&drv, 0, 0);
	assert_int_equal(virtio_mmio_pop(&mmio, 0, &chain), MICA_ERR_MALFORMED);
	assert_int_equal(rd(0x070), 0x4f);
	assert_int_equal(rd(0x060), 2);
	assert_int_equal(dev.level_count, 1);
	assert_true(dev.levels[0]);
	assert_int_equal(mmio.malformed, 1);
	/* The device does nothing more until reset. */
	drv_add(&drv, 0, (const struct seg[]){{drv_alloc(&drv, 4), 4, false}}, 1);
	assert_int_equal(virtio_mmio_pop(&mmio, 0, &chain), MICA_ERR_NOT_FOUND);
	wr(0x064, 2);
	assert_int_equal(dev.level_count, 2);
	assert_false(dev.levels[1]);
}

static void test_push_raises_the_used_interrupt_until_acknowledged(void **state)
{
	uint16_t head = drv_add(&drv, 1, (const struct seg[]){{drv_alloc(&drv, 4), 4, true}}, 1);
	uint32_t id, len;

	assert_int_equal(virtio_mmio_pop(&mmio, 1, &chain), MICA_OK);
	virtio_mmio_push(&mmio, 1, chain.head, 4);
	assert_true(drv_take_used(&drv, 1, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 4);
	assert_int_equal(rd(0x060), 1);
	assert_int_equal(dev.level_count, 1);
	virtio_mmio_push(&mmio, 1, chain.head, 4);
	assert_int_equal(dev.level_count, 1);
	wr(0x064, 1);
	assert_int_equal(rd(0x060), 0);
	assert_int_equal(dev.level_count, 2);
	assert_false(dev.levels[1]);
}

static void test_reset_returns_everything_to_its_initial_state(void **state)
{
	drv_add(&drv, 0, (const struct seg[]){{drv_alloc(&drv, 4), 4, true}}, 1);
	assert_int_equal(virtio_mmio_pop(&mmio, 0, &chain), MICA_OK);
	virtio_mmio_push(&mmio, 0, chain.head, 0);
	assert_int_equal(dev.level_count, 1);
	wr(0x070, 0);
	assert_int_equal(rd(0x070), 0);
	assert_int_equal(rd(0x060), 0);
	assert_int_equal(dev.level_count, 2);
	assert_false(dev.levels[1]);
	assert_int_equal(dev.resets, 1);
	assert_int_equal(mmio.driver_features, 0);
	for (unsigned q = 0; q < 2; q++) {
		wr(0x030, q);
		assert_int_equal(rd(0x044), 0);
		assert_int_equal(mmio.queues[q].num, 0);
		assert_int_equal(mmio.queues[q].desc_ipa, 0);
	}
	assert_int_equal(virtio_mmio_pop(&mmio, 0, &chain), MICA_ERR_NOT_FOUND);
	/* The driver can start over. */
	drv_reset_ram(&drv, &mmio);
	drv_start(&drv, UINT64_C(1) << 32, 2);
	assert_true(virtio_mmio_is_live(&mmio));
}

static void test_shared_memory_regions_are_absent_and_unknown_reads_zero(void **state)
{
	assert_int_equal(rd(0x0b0), UINT32_MAX);
	assert_int_equal(rd(0x0b4), UINT32_MAX);
	assert_int_equal(rd(0x018), 0);
	assert_int_equal(rd(0x0f8), 0);
	assert_int_equal(mmio.unknown_reads, 2);
	wr(0x000, 1);
	wr(0x0c0, 1);
	assert_int_equal(mmio.ignored_writes, 2);
}

static void test_config_change_bumps_the_generation(void **state)
{
	virtio_mmio_config_changed(&mmio);
	assert_int_equal(rd(0x0fc), 1);
	assert_int_equal(rd(0x060), 2);
}

#define T(f)	   cmocka_unit_test_setup(f, setup)
#define RUNNING(f) cmocka_unit_test_setup(f, setup_running)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_guest_mem_accepts_only_ranges_inside_the_window),
		T(test_enable_checks_size_alignment_and_placement),
		T(test_pop_of_an_empty_or_unready_queue_finds_nothing),
		T(test_pop_gathers_readable_then_writable_buffers),
		T(test_chain_as_long_as_the_queue_is_accepted),
		T(test_descriptor_loop_is_malformed),
		T(test_descriptor_pointing_at_itself_is_malformed),
		T(test_next_or_head_past_the_queue_is_malformed),
		T(test_buffers_outside_guest_memory_are_malformed),
		T(test_readable_after_writable_is_malformed),
		T(test_indirect_descriptor_is_malformed),
		T(test_more_available_than_the_queue_holds_is_malformed),
		T(test_total_length_over_32_bits_is_malformed),
		T(test_push_publishes_used_elements_and_honours_no_interrupt),
		T(test_used_index_wraps_at_16_bits),
		T(test_identification_registers),
		T(test_device_features_come_in_banks_with_version_1),
		T(test_features_ok_requires_version_1_and_only_offered_bits),
		T(test_control_registers_take_only_aligned_32_bit_accesses),
		T(test_config_space_is_little_endian_and_read_only),
		T(test_queue_num_max_is_zero_for_absent_queues),
		T(test_queue_registers_are_frozen_while_ready),
		T(test_bad_queue_needs_reset_and_interrupts_once_running),
		T(test_notify_reaches_the_device_only_for_a_live_ready_queue),
		RUNNING(test_malformed_chain_needs_reset_with_a_config_interrupt),
		RUNNING(test_push_raises_the_used_interrupt_until_acknowledged),
		RUNNING(test_reset_returns_everything_to_its_initial_state),
		T(test_shared_memory_regions_are_absent_and_unknown_reads_zero),
		RUNNING(test_config_change_bumps_the_generation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
