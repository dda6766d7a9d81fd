/*
 * The virtio-net driver's logic (virtio_net_drv.h): device set-up, sending
 * the switch's frames and handing it the frames received.
 *
 * The switch is untrusted. A tx ring entry's length is read once and
 * checked before the frame is copied, the rings' head and tail only ever
 * index an entry modulo NETQ_SLOTS, and every loop is bounded by a queue's
 * size or the ring's, so nothing the switch writes can make the driver
 * reach outside the queue region, or the device outside the DMA region.
 */
#include <stddef.h>
#include <string.h>

#include <mica/proto/virtio_mmio.h>

#include "virtio_net_drv.h"

/* The transport's registers are <mica/proto/virtio_mmio.h>'s; the device's configuration: */
#define VIRTIO_NET_CONFIG_MAC 0x100u /* u8 mac[6] (§5.1.4). */

#define VIRTIO_ID_NET	  1u
#define VNET_RECEIVEQ	  0u
#define VNET_TRANSMITQ	  1u
#define VNET_CONFIG_TRIES 4u

/* Feature bits (§6, §5.1.3): all the driver accepts. */
#define VIRTIO_NET_F_MAC (UINT64_C(1) << 5)

/*
 * The header before every frame in both directions (§5.1.6): with
 * VIRTIO_F_VERSION_1 it has num_buffers even without mergeable buffers.
 * The driver sends it zeroed, as it negotiates no offload, and skips it on
 * receipt.
 */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define VNET_HEADER_SIZE ((uint32_t)sizeof(struct virtio_net_hdr))
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "the header is 12 bytes (§5.1.6)");
_Static_assert(VNET_HEADER_SIZE + NETQ_FRAME_MAX <= VNET_BUFFER_SIZE, "a frame fits a buffer");
_Static_assert(VNET_BUFFER_SIZE <= NETQ_BUF_SIZE, "a buffer fits a ring entry's");

/*
 * A queue's rings, laid out for the largest queue; a smaller one uses
 * their first entries. Event indices are not negotiated, so used_event
 * and avail_event are never read.
 */
struct vnet_virtq {
	struct virtq_desc desc[VNET_QUEUE_MAX]; /* 16-byte aligned (§2.7). */
	struct {
		uint16_t flags;
		uint16_t idx;
		uint16_t ring[VNET_QUEUE_MAX];
	} avail;
	_Alignas(4) struct {
		uint16_t flags;
		uint16_t idx;
		struct virtq_used_elem ring[VNET_QUEUE_MAX];
	} used;
};

/* The DMA region: both queues' rings, then receiveq's buffers, then transmitq's. */
#define VNET_BUFFERS_OFFSET	0x4000u
#define VNET_QUEUE_BUFFERS_SIZE (VNET_QUEUE_MAX * VNET_BUFFER_SIZE)
_Static_assert(2 * sizeof(struct vnet_virtq) <= VNET_BUFFERS_OFFSET, "the rings come first");
_Static_assert(VNET_BUFFERS_OFFSET + 2 * VNET_QUEUE_BUFFERS_SIZE <= NETQ_DMA_SIZE,
	       "the buffers fit the DMA region");

/*
 * The features beside VERSION_1: MAC, if offered (§3.1.1 steps 4-6).
 * Without the checksum, GSO and mergeable-buffer features the device sends
 * whole, checksummed frames of at most 1514 bytes, one per buffer, and
 * expects the same; without the control queue there is only receiveq and
 * transmitq.
 */
#define VNET_WANTED VIRTIO_NET_F_MAC

/*
 * The MAC, a byte at a time as byte fields must be read (§4.2.2.2), again
 * if ConfigGeneration moved meanwhile (§4.2.3.3).
 */
static void read_mac(struct vnet *d)
{
	for (unsigned i = 0; i < VNET_CONFIG_TRIES; i++) {
		uint32_t generation = vdrv_read(&d->bus, VIRTIO_MMIO_CONFIG_GENERATION);

		for (uint32_t b = 0; b < VNET_MAC_SIZE; b++)
			d->mac[b] = d->bus.read8(d->bus.ctx, VIRTIO_NET_CONFIG_MAC + b);
		if (vdrv_read(&d->bus, VIRTIO_MMIO_CONFIG_GENERATION) == generation)
			return;
	}
}

/*
 * Set up queue index, empty, on its rings and buffers in the DMA region
 * (§4.2.3.2). Its size is the largest power of two the device allows, up
 * to VNET_QUEUE_MAX: a split queue's size is a power of two (§2.7), which
 * also keeps idx % size right as the 16-bit indices wrap.
 */
static bool setup_queue(struct vnet *d, struct vnet_queue *q, uint16_t index,
			const struct netq_boot *boot)
{
	uint64_t rings = index * sizeof(struct vnet_virtq);
	uint64_t buffers = VNET_BUFFERS_OFFSET + index * VNET_QUEUE_BUFFERS_SIZE;
	uint64_t rings_pa = boot->dma_pa + rings;
	uint32_t size = VNET_QUEUE_MAX, max;

	vdrv_write(&d->bus, VIRTIO_MMIO_QUEUE_SEL, index);
	max = vdrv_read(&d->bus, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (vdrv_read(&d->bus, VIRTIO_MMIO_QUEUE_READY) != 0 || max == 0)
		return false;
	while (size > max)
		size /= 2;
	*q = (struct vnet_queue){
		.rings = (struct vnet_virtq *)(uintptr_t)(boot->dma_va + rings),
		.buffers = (uint8_t *)(uintptr_t)(boot->dma_va + buffers),
		.buffers_pa = boot->dma_pa + buffers,
		.index = index,
		.size = (uint16_t)size,
	};
	memset(q->rings, 0, sizeof(*q->rings));
	vdrv_write(&d->bus, VIRTIO_MMIO_QUEUE_NUM, size);
	vdrv_write_address(&d->bus, VIRTIO_MMIO_QUEUE_DESC_LOW,
			   rings_pa + offsetof(struct vnet_virtq, desc));
	vdrv_write_address(&d->bus, VIRTIO_MMIO_QUEUE_DRIVER_LOW,
			   rings_pa + offsetof(struct vnet_virtq, avail));
	vdrv_write_address(&d->bus, VIRTIO_MMIO_QUEUE_DEVICE_LOW,
			   rings_pa + offsetof(struct vnet_virtq, used));
	vdrv_write(&d->bus, VIRTIO_MMIO_QUEUE_READY, 1);
	return true;
}

static uint8_t *buffer(const struct vnet_queue *q, uint16_t i)
{
	return q->buffers + (size_t)i * VNET_BUFFER_SIZE;
}

/* Give buffer i to the device as a one-descriptor chain of len bytes. */
static void post(struct vnet_queue *q, uint16_t i, uint32_t len, uint16_t flags)
{
	q->rings->desc[i] = (struct virtq_desc){
		.addr = q->buffers_pa + (uint64_t)i * VNET_BUFFER_SIZE, .len = len, .flags = flags};
	q->rings->avail.ring[q->avail_idx % q->size] = i;
	q->avail_idx++;
	q->is_on_device[i] = true;
}

/* Publish a batch of posted buffers with one avail idx update and one notification (§2.7.13). */
static void publish(const struct vnet *d, const struct vnet_queue *q, unsigned posted)
{
	if (posted == 0)
		return;
	vdrv_dma_barrier(&d->bus);
	__atomic_store_n(&q->rings->avail.idx, q->avail_idx, __ATOMIC_RELEASE);
	vdrv_write(&d->bus, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

enum vdrv_error vnet_init(struct vnet *d, const struct netq_boot *boot, const struct vdrv_bus *bus)
{
	enum vdrv_error err;
	uint64_t accepted;

	memset(d, 0, sizeof(*d));
	d->bus = *bus;
	d->queue_region = (uint8_t *)(uintptr_t)boot->queue_va;
	d->tx_ring = (struct netq_ring *)(void *)(d->queue_region + NETQ_TX_RING);
	d->rx_ring = (struct netq_ring *)(void *)(d->queue_region + NETQ_RX_RING);
	err = vdrv_start(&d->bus, VIRTIO_ID_NET, 0, VNET_WANTED, &accepted);
	if (err != VDRV_OK)
		return err;
	d->has_mac = (accepted & VIRTIO_NET_F_MAC) != 0;
	if (!setup_queue(d, &d->receiveq, VNET_RECEIVEQ, boot) ||
	    !setup_queue(d, &d->transmitq, VNET_TRANSMITQ, boot)) {
		vdrv_fail(&d->bus);
		return VDRV_NO_QUEUE;
	}
	if (d->has_mac)
		read_mac(d);
	/* Every receive buffer to the device (§3.1.1 step 7); every transmit buffer free. */
	for (uint16_t i = 0; i < d->receiveq.size; i++)
		post(&d->receiveq, i, VNET_BUFFER_SIZE, VIRTQ_DESC_F_WRITE);
	for (uint16_t i = 0; i < d->transmitq.size; i++)
		d->tx_free[i] = (uint16_t)(d->transmitq.size - 1 - i);
	d->tx_free_count = d->transmitq.size;
	vdrv_live(&d->bus);
	/* Notified only now: no notification may come before DRIVER_OK (§3.1.1). */
	publish(d, &d->receiveq, d->receiveq.size);
	return VDRV_OK;
}

const char *vnet_init_error_text(enum vdrv_error err)
{
	if (err == VDRV_WRONG_DEVICE)
		return "not a network device (DeviceID is not 1; 0 means no device is attached "
		       "to the transport)";
	if (err == VDRV_FEATURES_REFUSED)
		return "the device refused the features the driver accepted, VIRTIO_F_VERSION_1 "
		       "and MAC if offered (FEATURES_OK did not stay set)";
	if (err == VDRV_NO_QUEUE)
		return "queue 0 or 1 is in use or has no descriptors";
	return vdrv_error_text(err);
}

/* The device's used idx for q, with the device's writes before it visible. */
static uint16_t load_used_idx(const struct vnet *d, const struct vnet_queue *q)
{
	uint16_t used;

	vdrv_dma_barrier(&d->bus);
	used = __atomic_load_n(&q->rings->used.idx, __ATOMIC_ACQUIRE);
	vdrv_dma_barrier(&d->bus);
	return used;
}

/*
 * Take q's next used entry before used into *e, false once there is none.
 * An entry naming a buffer the device does not hold (a device bug) is
 * counted and skipped, so a buffer is never taken back twice.
 */
static bool take_used(struct vnet *d, struct vnet_queue *q, uint16_t used,
		      struct virtq_used_elem *e)
{
	for (; q->used_idx != used; q->used_idx++) {
		const struct virtq_used_elem *entry = &q->rings->used.ring[q->used_idx % q->size];

		e->id = __atomic_load_n(&entry->id, __ATOMIC_RELAXED);
		e->len = __atomic_load_n(&entry->len, __ATOMIC_RELAXED);
		if (e->id < q->size && q->is_on_device[e->id]) {
			q->is_on_device[e->id] = false;
			q->used_idx++;
			return true;
		}
		d->counts.ignored_used++;
	}
	return false;
}

/*
 * Put a received frame in rx ring entry *head if the switch has left room
 * (a tail it wrote that is ahead of head looks like no room), or drop it,
 * as a NIC does when its ring is full.
 */
static void put_frame(struct vnet *d, uint32_t *head, const uint8_t *frame, uint32_t len)
{
	uint32_t tail = __atomic_load_n(&d->rx_ring->tail, __ATOMIC_ACQUIRE);
	uint32_t entry = *head % NETQ_SLOTS;

	if (*head - tail >= NETQ_SLOTS) {
		d->counts.rx_ring_full++;
		return;
	}
	memcpy(d->queue_region + NETQ_RX_DATA + entry * NETQ_BUF_SIZE, frame, len);
	__atomic_store_n(&d->rx_ring->len[entry], (uint16_t)len, __ATOMIC_RELAXED);
	(*head)++;
	d->counts.received++;
}

/*
 * The frames the device received: each, header stripped, onto the rx
 * ring, and its buffer back on the receiveq. Returns whether any was put.
 */
static bool receive(struct vnet *d)
{
	struct vnet_queue *q = &d->receiveq;
	uint16_t used = load_used_idx(d, q);
	uint32_t first = __atomic_load_n(&d->rx_ring->head, __ATOMIC_RELAXED), head = first;
	struct virtq_used_elem e;
	unsigned posted = 0;

	while (take_used(d, q, used, &e)) {
		/* Larger than the buffer is too large: what the device wrote is never trusted. */
		if (e.len < VNET_HEADER_SIZE + NETQ_FRAME_MIN ||
		    e.len > VNET_HEADER_SIZE + NETQ_FRAME_MAX)
			d->counts.rx_bad_length++;
		else
			put_frame(d, &head, buffer(q, (uint16_t)e.id) + VNET_HEADER_SIZE,
				  e.len - VNET_HEADER_SIZE);
		post(q, (uint16_t)e.id, VNET_BUFFER_SIZE, VIRTQ_DESC_F_WRITE);
		posted++;
	}
	publish(d, q, posted);
	if (head == first)
		return false;
	__atomic_store_n(&d->rx_ring->head, head, __ATOMIC_RELEASE);
	return true;
}

/* The transmit buffers the device is done with are free again. */
static void complete_transmits(struct vnet *d)
{
	struct vnet_queue *q = &d->transmitq;
	uint16_t used = load_used_idx(d, q);
	struct virtq_used_elem e;

	while (take_used(d, q, used, &e)) {
		d->tx_free[d->tx_free_count++] = (uint16_t)e.id;
		d->counts.sent++;
	}
}

/* Copy a frame from the tx ring into a free transmit buffer, behind a zeroed header. */
static void transmit(struct vnet *d, const uint8_t *frame, uint32_t len)
{
	struct vnet_queue *q = &d->transmitq;
	uint16_t i = d->tx_free[--d->tx_free_count];
	uint8_t *b = buffer(q, i);

	memset(b, 0, VNET_HEADER_SIZE);
	memcpy(b + VNET_HEADER_SIZE, frame, len);
	post(q, i, VNET_HEADER_SIZE + len, 0);
}

bool vnet_serve_switch(struct vnet *d)
{
	struct netq_ring *ring = d->tx_ring;
	uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	uint32_t first = __atomic_load_n(&ring->tail, __ATOMIC_RELAXED), tail = first;
	unsigned posted = 0;

	if (head - tail > NETQ_SLOTS) {
		d->counts.tx_ring_broken++;
		return false;
	}
	for (; tail != head; tail++) {
		uint32_t entry = tail % NETQ_SLOTS;
		uint16_t len = __atomic_load_n(&ring->len[entry], __ATOMIC_RELAXED);

		if (len < NETQ_FRAME_MIN || len > NETQ_FRAME_MAX) {
			d->counts.tx_bad_length++;
			continue;
		}
		if (d->tx_free_count == 0)
			break;
		transmit(d, d->queue_region + NETQ_TX_DATA + entry * NETQ_BUF_SIZE, len);
		posted++;
	}
	publish(d, &d->transmitq, posted);
	if (tail == first)
		return false;
	__atomic_store_n(&ring->tail, tail, __ATOMIC_RELEASE);
	/*
	 * The switch may have found the ring full against this batch's first
	 * tail, or against a later one it read while the batch went on, and
	 * now waits for room. Either way head, read again after the store, is
	 * NETQ_SLOTS or more past the first tail. The full fence pairs with
	 * the switch's between storing head and loading tail, so that either
	 * it sees the new tail or this load sees its head.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&ring->head, __ATOMIC_RELAXED) - first >= NETQ_SLOTS;
}

bool vnet_interrupt(struct vnet *d)
{
	uint32_t pending = vdrv_read(&d->bus, VIRTIO_MMIO_INTERRUPT_STATUS);
	bool has_received, has_taken;

	/*
	 * Acknowledge before reading the rings, so that a buffer the device
	 * uses after the read raises the interrupt again. A configuration
	 * change (bit 1) needs nothing: the MAC is read once, at init.
	 */
	if (pending != 0)
		vdrv_write(&d->bus, VIRTIO_MMIO_INTERRUPT_ACK, pending);
	has_received = receive(d);
	complete_transmits(d);
	/* Transmit buffers may have come free for frames that waited on the tx ring. */
	has_taken = vnet_serve_switch(d);
	return has_received || has_taken;
}
