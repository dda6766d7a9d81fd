/*
 * Unit tests for servers/drv/virtio_net_drv.c: the driver against a fake
 * virtio-mmio version 2 network device in host memory, playing the switch
 * on the queue region's rings. The fake reaches the driver's DMA region and
 * the queue region by physical address, as the real device would, and
 * fails the test if given any other address. Its wire records the frames
 * it sends; a test puts frames on it into the receive buffers posted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "virtio_net_drv.h"

#define DMA_PA	  UINT64_C(0x40000000)
#define QUEUE_PA  UINT64_C(0x80000000)
#define DEVICE_PA UINT64_C(0x0a003c00)
#define HEADER	  12u
#define WIRE_MAX  1100u /* Frames the wire records. */
#define RECEIVEQ  0u
#define TRANSMITQ 1u

#define VERSION_1 (UINT64_C(1) << 32)
#define MAC	  (UINT64_C(1) << 5)
/* Not to be accepted: CSUM, GUEST_CSUM, MRG_RXBUF, STATUS, CTRL_VQ, EVENT_IDX. */
#define UNWANTED                                                                                   \
	((UINT64_C(1) << 0) | (UINT64_C(1) << 1) | (UINT64_C(1) << 15) | (UINT64_C(1) << 16) |     \
	 (UINT64_C(1) << 17) | (UINT64_C(1) << 29))

#define DESC_F_WRITE	   2u
#define STATUS_FEATURES_OK 8u
#define STATUS_DRIVER_OK   4u
#define STATUS_FAILED	   0x80u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct used_elem {
	uint32_t id;
	uint32_t len;
};

static const uint8_t the_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* The fake device: what it is, its registers, its queues, and its wire. */
static struct {
	uint32_t magic, version, device_id, queue_num_max[2];
	uint64_t offered;
	uint32_t status, device_features_sel, driver_features_sel, queue_sel;
	uint32_t queue_num[2], queue_ready[2], interrupt_status;
	uint64_t accepted, desc_pa[2], avail_pa[2], used_pa[2];
	uint16_t last_avail[2], used_idx[2];
	uint16_t rx_heads[256]; /* The receive buffers posted, oldest first from rx_first. */
	unsigned rx_first, rx_count;
	uint16_t tx_pending[256]; /* Transmit chains taken, not yet sent (deferred). */
	unsigned tx_pending_count;
	bool is_deferred, switch_fills_on_notify;
	unsigned resets, notifies[2], sent_count;
	uint16_t wire_len[WIRE_MAX];
	uint8_t wire[WIRE_MAX][NETQ_FRAME_MAX];
} dev;

static _Alignas(4096) uint8_t dma[NETQ_DMA_SIZE];
static _Alignas(4096) uint8_t queue[NETQ_REGION_SIZE];
static struct netq_boot boot;
static struct vnet drv;

/* The host memory at physical [pa, pa + len): the DMA region or the queue region only. */
static uint8_t *host(uint64_t pa, uint64_t len)
{
	if (pa >= DMA_PA && pa - DMA_PA <= NETQ_DMA_SIZE && len <= NETQ_DMA_SIZE - (pa - DMA_PA))
		return dma + (pa - DMA_PA);
	if (pa >= QUEUE_PA && pa - QUEUE_PA <= NETQ_REGION_SIZE &&
	    len <= NETQ_REGION_SIZE - (pa - QUEUE_PA))
		return queue + (pa - QUEUE_PA);
	fail_msg("the device was given 0x%llx, %llu bytes: nobody's memory", (unsigned long long)pa,
		 (unsigned long long)len);
	return NULL;
}

static const struct desc *descriptor(unsigned q, uint16_t head)
{
	assert_true(head < dev.queue_num[q]);
	return (const struct desc *)(const void *)host(dev.desc_pa[q] + sizeof(struct desc) * head,
						       sizeof(struct desc));
}

static void push_used(unsigned q, uint32_t id, uint32_t len)
{
	uint8_t *used = host(dev.used_pa[q], 4 + sizeof(struct used_elem) * dev.queue_num[q]);
	struct used_elem *ring = (struct used_elem *)(void *)(used + 4);

	ring[dev.used_idx[q] % dev.queue_num[q]] = (struct used_elem){id, len};
	dev.used_idx[q]++;
	__atomic_store_n((uint16_t *)(void *)(used + 2), dev.used_idx[q], __ATOMIC_RELEASE);
	dev.interrupt_status |= 1;
}

static void expect_filled(const uint8_t *p, uint8_t byte, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != byte)
			fail_msg("byte %zu is 0x%x, not 0x%x", i, p[i], byte);
}

/* Send the transmit chain at head on the wire, header stripped, as §5.1.6.2 says. */
static void send(uint16_t head)
{
	const struct desc *d = descriptor(TRANSMITQ, head);
	const uint8_t *b;

	assert_int_equal(d->flags, 0); /* One descriptor, read by the device. */
	assert_true(d->len >= HEADER + NETQ_FRAME_MIN && d->len <= HEADER + NETQ_FRAME_MAX);
	b = host(d->addr, d->len);
	expect_filled(b, 0, HEADER);
	if (dev.sent_count < WIRE_MAX) {
		memcpy(dev.wire[dev.sent_count], b + HEADER, d->len - HEADER);
		dev.wire_len[dev.sent_count] = (uint16_t)(d->len - HEADER);
	}
	dev.sent_count++;
	push_used(TRANSMITQ, head, 0);
}

static void send_pending(void)
{
	for (unsigned i = 0; i < dev.tx_pending_count; i++)
		send(dev.tx_pending[i]);
	dev.tx_pending_count = 0;
}

static struct netq_ring *ring(uint64_t offset)
{
	return (struct netq_ring *)(void *)(queue + offset);
}

static uint8_t *entry(uint64_t data, uint32_t n)
{
	return queue + data + (n % NETQ_SLOTS) * NETQ_BUF_SIZE;
}

/* Frame number seed, len bytes: every frame's bytes differ from its neighbours'. */
static void fill_frame(uint8_t *p, unsigned seed, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* The switch's side: put frame seed of len bytes on the tx ring (len may be bad). */
static void switch_put(unsigned seed, uint16_t len)
{
	struct netq_ring *r = ring(NETQ_TX_RING);
	uint32_t head = r->head;

	fill_frame(entry(NETQ_TX_DATA, head), seed, len < NETQ_BUF_SIZE ? len : NETQ_BUF_SIZE);
	r->len[head % NETQ_SLOTS] = len;
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
}

/* Made to happen mid-batch: the switch fills the tx ring against the tail it sees. */
static void switch_fill(void)
{
	struct netq_ring *r = ring(NETQ_TX_RING);

	while (r->head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) < NETQ_SLOTS)
		switch_put(r->head, 60);
}

/* Take what the driver made available on queue q. */
static void collect(unsigned q)
{
	const uint8_t *avail = host(dev.avail_pa[q], 4 + 2 * dev.queue_num[q]);
	uint16_t idx =
		__atomic_load_n((const uint16_t *)(const void *)(avail + 2), __ATOMIC_ACQUIRE);

	for (; dev.last_avail[q] != idx; dev.last_avail[q]++) {
		uint16_t head;

		memcpy(&head, avail + 4 + 2 * (size_t)(dev.last_avail[q] % dev.queue_num[q]), 2);
		if (q == TRANSMITQ) {
			dev.tx_pending[dev.tx_pending_count++] = head;
			continue;
		}
		assert_int_equal(descriptor(q, head)->flags, DESC_F_WRITE);
		assert_true(descriptor(q, head)->len >= HEADER + NETQ_FRAME_MAX);
		assert_true(dev.rx_count < dev.queue_num[q]);
		dev.rx_heads[(dev.rx_first + dev.rx_count++) % 256] = head;
	}
	if (q == TRANSMITQ && dev.switch_fills_on_notify)
		switch_fill();
	if (q == TRANSMITQ && !dev.is_deferred)
		send_pending();
}

/* A frame arrives: len bytes of frame seed, with used length used_len, in the oldest buffer. */
static void arrive(unsigned seed, uint32_t len, uint32_t used_len)
{
	uint16_t head;
	const struct desc *d;
	uint8_t *b;

	assert_true(dev.rx_count > 0);
	head = dev.rx_heads[dev.rx_first];
	dev.rx_first = (dev.rx_first + 1) % 256;
	dev.rx_count--;
	d = descriptor(RECEIVEQ, head);
	assert_true(HEADER + len <= d->len);
	b = host(d->addr, d->len);
	memset(b, 0, HEADER);
	b[10] = 1; /* num_buffers (§5.1.6.4). */
	fill_frame(b + HEADER, seed, len);
	push_used(RECEIVEQ, head, used_len);
}

static void receive(unsigned seed, uint32_t len)
{
	arrive(seed, len, HEADER + len);
}

static void reset_device(void)
{
	dev.status = dev.device_features_sel = dev.driver_features_sel = dev.queue_sel = 0;
	dev.interrupt_status = 0;
	dev.accepted = 0;
	for (unsigned q = 0; q < 2; q++) {
		dev.queue_num[q] = dev.queue_ready[q] = 0;
		dev.desc_pa[q] = dev.avail_pa[q] = dev.used_pa[q] = 0;
		dev.last_avail[q] = dev.used_idx[q] = 0;
	}
	dev.rx_first = dev.rx_count = dev.tx_pending_count = 0;
	dev.resets++;
}

static uint32_t fake_read(void *ctx, uint32_t offset)
{
	switch (offset) {
	case 0x000:
		return dev.magic;
	case 0x004:
		return dev.version;
	case 0x008:
		return dev.device_id;
	case 0x010:
		return dev.device_features_sel > 1
			       ? 0
			       : (uint32_t)(dev.offered >> (32 * dev.device_features_sel));
	case 0x034:
		return dev.queue_num_max[dev.queue_sel];
	case 0x044:
		return dev.queue_ready[dev.queue_sel];
	case 0x060:
		return dev.interrupt_status;
	case 0x070:
		return dev.status;
	case 0x0fc:
		return 0;
	default:
		fail_msg("the driver read register 0x%x", offset);
		return 0;
	}
}

/* The configuration space's MAC, read a byte at a time. */
static uint8_t fake_read8(void *ctx, uint32_t offset)
{
	assert_true(offset >= 0x100 && offset < 0x106);
	return the_mac[offset - 0x100];
}

static void set_status(uint32_t value)
{
	bool is_acceptable = (dev.accepted & ~dev.offered) == 0 && (dev.accepted & VERSION_1) != 0;

	if (value == 0) {
		reset_device();
		return;
	}
	if ((value & STATUS_FEATURES_OK) != 0 && !is_acceptable)
		value &= ~STATUS_FEATURES_OK;
	dev.status = value;
}

static void fake_write(void *ctx, uint32_t offset, uint32_t value)
{
	uint64_t *address = NULL;

	switch (offset) {
	case 0x014:
		dev.device_features_sel = value;
		return;
	case 0x024:
		dev.driver_features_sel = value;
		return;
	case 0x020:
		assert_true(dev.driver_features_sel <= 1);
		dev.accepted |= (uint64_t)value << (32 * dev.driver_features_sel);
		return;
	case 0x030:
		assert_true(value <= 1);
		dev.queue_sel = value;
		return;
	case 0x038:
		dev.queue_num[dev.queue_sel] = value;
		return;
	case 0x044:
		dev.queue_ready[dev.queue_sel] = value;
		return;
	case 0x050:
		assert_true(value <= 1);
		assert_true((dev.status & STATUS_DRIVER_OK) != 0 && dev.queue_ready[value] == 1);
		dev.notifies[value]++;
		collect(value);
		return;
	case 0x064:
		dev.interrupt_status &= ~value;
		return;
	case 0x070:
		set_status(value);
		return;
	case 0x080:
	case 0x084:
		address = &dev.desc_pa[dev.queue_sel];
		break;
	case 0x090:
	case 0x094:
		address = &dev.avail_pa[dev.queue_sel];
		break;
	case 0x0a0:
	case 0x0a4:
		address = &dev.used_pa[dev.queue_sel];
		break;
	default:
		fail_msg("the driver wrote register 0x%x", offset);
		return;
	}
	if ((offset & 4) == 0)
		*address = (*address & ~UINT64_C(0xffffffff)) | value;
	else
		*address = (*address & UINT64_C(0xffffffff)) | (uint64_t)value << 32;
}

static void fake_barrier(void *ctx)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static enum vdrv_error start(void)
{
	const struct vdrv_bus bus = {.read = fake_read,
				     .read8 = fake_read8,
				     .write = fake_write,
				     .dma_barrier = fake_barrier};

	return vnet_init(&drv, &boot, &bus);
}

static int setup(void **state)
{
	memset(&dev, 0, sizeof(dev));
	dev.magic = 0x74726976;
	dev.version = 2;
	dev.device_id = 1;
	dev.queue_num_max[RECEIVEQ] = dev.queue_num_max[TRANSMITQ] = 256;
	dev.offered = VERSION_1 | MAC | UNWANTED;
	memset(dma, 0x5c, sizeof(dma)); /* What a last instance might have left. */
	memset(queue, 0, sizeof(queue));
	boot = (struct netq_boot){.magic = NETQ_BOOT_MAGIC,
				  .device_pa = DEVICE_PA,
				  .dma_va = (uintptr_t)dma,
				  .dma_pa = DMA_PA,
				  .queue_va = (uintptr_t)queue,
				  .queue_pa = QUEUE_PA};
	assert_int_equal(start(), VDRV_OK);
	return 0;
}

/* The device's interrupts until it is quiet, as the driver's loop takes them. */
static bool drain(void)
{
	bool must_signal = false;

	for (unsigned i = 0; i < 1000 && dev.interrupt_status != 0; i++)
		must_signal = vnet_interrupt(&drv) || must_signal;
	assert_int_equal(dev.interrupt_status, 0);
	return must_signal;
}

static void expect_sent(unsigned n, unsigned seed, uint32_t len)
{
	uint8_t frame[NETQ_FRAME_MAX];

	assert_true(n < dev.sent_count && n < WIRE_MAX);
	assert_int_equal(dev.wire_len[n], len);
	fill_frame(frame, seed, len);
	assert_memory_equal(dev.wire[n], frame, len);
}

/* The switch's side: take the rx ring's next frame, which must be frame seed of len bytes. */
static void switch_take(unsigned seed, uint32_t len)
{
	struct netq_ring *r = ring(NETQ_RX_RING);
	uint32_t tail = r->tail;
	uint8_t frame[NETQ_FRAME_MAX];

	assert_true(__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) != tail);
	assert_int_equal(r->len[tail % NETQ_SLOTS], len);
	fill_frame(frame, seed, len);
	assert_memory_equal(entry(NETQ_RX_DATA, tail), frame, len);
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
}

static void test_init_accepts_only_version_1_and_mac_and_reads_the_mac(void **state)
{
	assert_int_equal(dev.resets, 1);
	assert_int_equal(dev.accepted, VERSION_1 | MAC);
	assert_int_equal(dev.status, 1 | 2 | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
	assert_true(drv.has_mac);
	assert_memory_equal(drv.mac, the_mac, sizeof(the_mac));
	for (unsigned q = 0; q < 2; q++) {
		assert_int_equal(dev.queue_num[q], 256);
		assert_int_equal(dev.queue_ready[q], 1);
	}
	assert_int_equal(dev.rx_count, 256); /* The receiveq is full. */
	assert_int_equal(dev.notifies[RECEIVEQ], 1);
	assert_int_equal(drv.tx_free_count, 256);

	/* Without MAC offered there is none; a queue of 100 is used as one of 64. */
	dev.offered = VERSION_1;
	dev.queue_num_max[TRANSMITQ] = 100;
	assert_int_equal(start(), VDRV_OK);
	assert_false(drv.has_mac);
	assert_int_equal(dev.accepted, VERSION_1);
	assert_int_equal(dev.queue_num[RECEIVEQ], 256);
	assert_int_equal(dev.queue_num[TRANSMITQ], 64);
}

static void test_a_legacy_device_is_refused_with_what_to_add_to_qemus_command_line(void **state)
{
	dev.version = 1;
	assert_int_equal(start(), VDRV_LEGACY);
	assert_non_null(
		strstr(vnet_init_error_text(VDRV_LEGACY),
		       "add -global virtio-mmio.force-legacy=false to QEMU's command line"));
	assert_int_equal(dev.resets, 1); /* Only setup's: the driver left the device alone. */
}

static void test_devices_the_driver_cannot_use_are_refused(void **state)
{
	dev.version = 3;
	assert_int_equal(start(), VDRV_BAD_VERSION);
	dev.version = 2;
	dev.device_id = 2; /* A block device. */
	assert_int_equal(start(), VDRV_WRONG_DEVICE);
	dev.device_id = 1;
	dev.magic = 0;
	assert_int_equal(start(), VDRV_NOT_VIRTIO);
	dev.magic = 0x74726976;
	dev.offered = MAC;
	assert_int_equal(start(), VDRV_NO_VERSION_1);
	assert_int_equal(dev.status & STATUS_FAILED, STATUS_FAILED);
	dev.offered = VERSION_1;
	dev.queue_num_max[TRANSMITQ] = 0;
	assert_int_equal(start(), VDRV_NO_QUEUE);
	assert_int_equal(dev.status & (STATUS_FAILED | STATUS_DRIVER_OK), STATUS_FAILED);
	assert_non_null(strstr(vnet_init_error_text(VDRV_WRONG_DEVICE), "DeviceID is not 1"));
}

static void test_a_frame_from_the_switch_goes_out_on_the_wire_without_its_header(void **state)
{
	switch_put(1, 60);
	switch_put(2, NETQ_FRAME_MAX);
	switch_put(3, NETQ_FRAME_MIN);
	assert_false(vnet_serve_switch(&drv));
	assert_int_equal(dev.notifies[TRANSMITQ], 1); /* One per batch. */
	assert_int_equal(ring(NETQ_TX_RING)->tail, 3);
	assert_int_equal(dev.sent_count, 3);
	expect_sent(0, 1, 60);
	expect_sent(1, 2, NETQ_FRAME_MAX);
	expect_sent(2, 3, NETQ_FRAME_MIN);

	assert_int_equal(drv.tx_free_count, 253);
	assert_false(drain());
	assert_int_equal(drv.tx_free_count, 256);
	assert_int_equal(drv.counts.sent, 3);
}

static void test_frames_from_the_wire_reach_the_rx_ring_in_order(void **state)
{
	receive(1, 60);
	receive(2, NETQ_FRAME_MAX);
	receive(3, NETQ_FRAME_MIN);
	assert_true(drain());
	assert_int_equal(ring(NETQ_RX_RING)->head, 3);
	switch_take(1, 60);
	switch_take(2, NETQ_FRAME_MAX);
	switch_take(3, NETQ_FRAME_MIN);
	assert_int_equal(drv.counts.received, 3);
	assert_int_equal(dev.rx_count, 256); /* The buffers went back to the device. */
	assert_int_equal(dev.notifies[RECEIVEQ], 2);
}

static void test_frames_of_bad_length_from_either_side_are_dropped_and_counted(void **state)
{
	switch_put(1, 0);
	switch_put(2, NETQ_FRAME_MIN - 1);
	switch_put(3, NETQ_FRAME_MAX + 1);
	switch_put(4, UINT16_MAX);
	switch_put(5, 100);
	assert_false(vnet_serve_switch(&drv));
	assert_int_equal(dev.sent_count, 1);
	expect_sent(0, 5, 100);
	assert_int_equal(drv.counts.tx_bad_length, 4);
	assert_int_equal(ring(NETQ_TX_RING)->tail, 5);

	arrive(1, 0, HEADER);			     /* No frame. */
	arrive(2, 0, 3);			     /* Shorter than the header. */
	arrive(3, 13, HEADER + 13);		     /* Shorter than an Ethernet header. */
	arrive(4, 100, HEADER + NETQ_FRAME_MAX + 1); /* Longer than the MTU. */
	arrive(5, 100, 5000);			     /* Longer than the buffer. */
	arrive(6, 100, UINT32_MAX);		     /* Wraps around. */
	receive(7, 100);
	assert_true(drain());
	assert_int_equal(drv.counts.rx_bad_length, 6);
	assert_int_equal(ring(NETQ_RX_RING)->head, 1);
	switch_take(7, 100);
	assert_int_equal(dev.rx_count, 256);
}

static void test_a_full_rx_ring_drops_frames_without_overwriting_any(void **state)
{
	unsigned seed = 0;

	for (unsigned i = 0; i < 2; i++) {
		for (; dev.rx_count > 0 && seed < NETQ_SLOTS + 10; seed++)
			receive(seed, 60 + seed);
		(void)drain();
	}
	assert_int_equal(seed, NETQ_SLOTS + 10);
	assert_int_equal(ring(NETQ_RX_RING)->head, NETQ_SLOTS);
	assert_int_equal(drv.counts.rx_ring_full, 10);

	/* The switch takes five; of seven more, five go in and two are dropped. */
	for (unsigned i = 0; i < 5; i++)
		switch_take(i, 60 + i);
	for (unsigned i = 0; i < 7; i++)
		receive(1000 + i, 200);
	assert_true(drain());
	assert_int_equal(ring(NETQ_RX_RING)->head, NETQ_SLOTS + 5);
	assert_int_equal(drv.counts.rx_ring_full, 12);
	for (unsigned i = 5; i < NETQ_SLOTS; i++)
		switch_take(i, 60 + i);
	for (unsigned i = 0; i < 5; i++)
		switch_take(1000 + i, 200);
	assert_int_equal(dev.rx_count, 256);
}

static void test_a_broken_switch_gets_nothing_taken_or_overwritten(void **state)
{
	struct netq_ring *tx = ring(NETQ_TX_RING), *rx = ring(NETQ_RX_RING);

	switch_put(1, 60);
	tx->head = tx->tail + NETQ_SLOTS + 1;
	assert_false(vnet_serve_switch(&drv));
	tx->head = tx->tail - 1;
	assert_false(vnet_serve_switch(&drv));
	assert_int_equal(drv.counts.tx_ring_broken, 2);
	assert_int_equal(tx->tail, 0);
	assert_int_equal(dev.sent_count, 0);
	assert_int_equal(dev.notifies[TRANSMITQ], 0);

	/* A tail ahead of head leaves no room. */
	rx->tail = 5;
	receive(1, 60);
	assert_false(drain());
	assert_int_equal(rx->head, 0);
	assert_int_equal(drv.counts.rx_ring_full, 1);
	expect_filled(entry(NETQ_RX_DATA, 0), 0, NETQ_BUF_SIZE);

	/* Once the switch mends its rings, frames flow again. */
	tx->head = 1;
	rx->tail = 0;
	assert_false(vnet_serve_switch(&drv));
	expect_sent(0, 1, 60);
	receive(2, 70);
	assert_true(drain());
	switch_take(2, 70);
}

static void test_taking_from_a_full_tx_ring_says_to_signal_the_switch(void **state)
{
	for (unsigned i = 0; i < 10; i++)
		switch_put(i, 60);
	assert_false(vnet_serve_switch(&drv));
	assert_false(drain());

	for (unsigned i = 0; i < NETQ_SLOTS; i++)
		switch_put(i, 60);
	assert_true(vnet_serve_switch(&drv));
	assert_int_equal(dev.sent_count, 10 + NETQ_SLOTS);
	assert_false(drain());
}

static void test_a_tx_ring_filled_while_the_driver_took_says_to_signal_the_switch(void **state)
{
	/* The switch, seeing the tail from before the batch, fills the ring during it. */
	switch_put(0, 60);
	dev.switch_fills_on_notify = true;
	assert_true(vnet_serve_switch(&drv));
	dev.switch_fills_on_notify = false;
	assert_int_equal(ring(NETQ_TX_RING)->head, NETQ_SLOTS);
	assert_int_equal(ring(NETQ_TX_RING)->tail, 1);
}

static void test_many_frames_both_ways_keep_flowing_through_small_queues(void **state)
{
	const unsigned count = 1000;
	unsigned put = 0, received = 0, taken = 0;

	dev.queue_num_max[RECEIVEQ] = dev.queue_num_max[TRANSMITQ] = 16;
	assert_int_equal(start(), VDRV_OK);
	for (unsigned round = 0; round < 1000 && (dev.sent_count < count || taken < count);
	     round++) {
		struct netq_ring *tx = ring(NETQ_TX_RING), *rx = ring(NETQ_RX_RING);

		while (put < count && tx->head - tx->tail < NETQ_SLOTS) {
			switch_put(put, (uint16_t)(NETQ_FRAME_MIN + put % 1400));
			put++;
		}
		(void)vnet_serve_switch(&drv);
		while (received < count && dev.rx_count > 0) {
			receive(5000 + received, NETQ_FRAME_MAX - received % 1400);
			received++;
		}
		(void)drain();
		for (; taken < count && rx->tail != rx->head; taken++)
			switch_take(5000 + taken, NETQ_FRAME_MAX - taken % 1400);
	}
	assert_int_equal(dev.sent_count, count);
	assert_int_equal(taken, count);
	for (unsigned i = 0; i < count; i++)
		expect_sent(i, i, NETQ_FRAME_MIN + i % 1400);
	assert_int_equal(drv.tx_free_count, 16);
	assert_int_equal(dev.rx_count, 16);
	assert_int_equal(drv.counts.rx_ring_full + drv.counts.ignored_used, 0);
}

static void test_a_used_entry_the_driver_never_issued_is_ignored(void **state)
{
	dev.is_deferred = true;
	switch_put(1, 60);
	assert_false(vnet_serve_switch(&drv));
	assert_int_equal(dev.tx_pending_count, 1);
	push_used(TRANSMITQ, dev.tx_pending[0] == 7 ? 8 : 7, 0); /* A free buffer. */
	push_used(TRANSMITQ, 4000, 0);
	push_used(RECEIVEQ, 256, 100);
	push_used(RECEIVEQ, UINT32_MAX, 100);
	assert_false(drain());
	assert_int_equal(drv.counts.ignored_used, 4);
	assert_int_equal(drv.tx_free_count, 255);
	assert_int_equal(ring(NETQ_RX_RING)->head, 0);

	send_pending();
	receive(2, 80);
	assert_true(drain());
	assert_int_equal(drv.tx_free_count, 256);
	expect_sent(0, 1, 60);
	switch_take(2, 80);
	assert_int_equal(drv.counts.ignored_used, 4);
}

static void test_a_restarted_driver_sends_what_waits_and_goes_on_from_the_rings(void **state)
{
	struct netq_ring *rx = ring(NETQ_RX_RING);

	dev.is_deferred = true;
	switch_put(1, 60);
	switch_put(2, 61);
	assert_false(vnet_serve_switch(&drv));
	receive(3, 62);
	assert_true(drain());

	/* The driver faults, the switch puts two more, and a fresh driver starts. */
	switch_put(4, 63);
	switch_put(5, 64);
	memset(&drv, 0xdb, sizeof(drv));
	boot.restarts = 1;
	assert_int_equal(start(), VDRV_OK);
	assert_int_equal(dev.resets, 2);
	assert_int_equal(dev.tx_pending_count, 0); /* The reset dropped the two taken: lost. */
	dev.is_deferred = false;
	assert_false(vnet_serve_switch(&drv));
	assert_int_equal(ring(NETQ_TX_RING)->tail, 4);
	assert_int_equal(dev.sent_count, 2);
	expect_sent(0, 4, 63);
	expect_sent(1, 5, 64);

	receive(6, 65);
	assert_true(drain());
	assert_int_equal(rx->head, 2);
	switch_take(3, 62);
	switch_take(6, 65);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_accepts_only_version_1_and_mac_and_reads_the_mac),
		T(test_a_legacy_device_is_refused_with_what_to_add_to_qemus_command_line),
		T(test_devices_the_driver_cannot_use_are_refused),
		T(test_a_frame_from_the_switch_goes_out_on_the_wire_without_its_header),
		T(test_frames_from_the_wire_reach_the_rx_ring_in_order),
		T(test_frames_of_bad_length_from_either_side_are_dropped_and_counted),
		T(test_a_full_rx_ring_drops_frames_without_overwriting_any),
		T(test_a_broken_switch_gets_nothing_taken_or_overwritten),
		T(test_taking_from_a_full_tx_ring_says_to_signal_the_switch),
		T(test_a_tx_ring_filled_while_the_driver_took_says_to_signal_the_switch),
		T(test_many_frames_both_ways_keep_flowing_through_small_queues),
		T(test_a_used_entry_the_driver_never_issued_is_ignored),
		T(test_a_restarted_driver_sends_what_waits_and_goes_on_from_the_rings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
