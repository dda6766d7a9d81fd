/*
 * The virtio-blk driver's logic (virtio_blk_drv.h): device set-up, taking
 * the clients' slots onto the queue, and completing them.
 *
 * Every client is untrusted. A slot is read once into a private copy, with
 * a load-acquire of its state first, and only the copy is checked and used;
 * a slot the driver has taken is not looked at again until its request
 * completes. The addresses the device is given are computed from the slot's
 * index and the boot page alone, so no value a client writes can point the
 * device outside the client's slot, or at a sector outside its part.
 */
#include <stddef.h>
#include <string.h>

#include "virtio_blk_drv.h"

/* virtio-mmio registers, version 2 (virtio 1.2 §4.2.2, table 4.1). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000u
#define VIRTIO_MMIO_VERSION		0x004u
#define VIRTIO_MMIO_DEVICE_ID		0x008u
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010u
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014u
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020u
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024u
#define VIRTIO_MMIO_QUEUE_SEL		0x030u
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034u
#define VIRTIO_MMIO_QUEUE_NUM		0x038u
#define VIRTIO_MMIO_QUEUE_READY		0x044u
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050u
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060u
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064u
#define VIRTIO_MMIO_STATUS		0x070u
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080u
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090u
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0u
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fcu
#define VIRTIO_BLK_CONFIG_CAPACITY	0x100u /* 64 bits, in 512-byte sectors (§5.2.4). */

#define VIRTIO_MMIO_MAGIC  0x74726976u /* "virt" */
#define VIRTIO_ID_BLOCK	   2u
#define VIRTIO_MMIO_LEGACY 1u
#define VIRTIO_MMIO_MODERN 2u
#define VIRTIO_BLK_QUEUE   0u
#define VBLK_QUEUE_MIN	   4u /* A power of two that holds a three-descriptor chain. */
#define VBLK_RESET_POLLS   1000u
#define VBLK_CONFIG_TRIES  4u

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER	  2u
#define VIRTIO_STATUS_DRIVER_OK	  4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_FAILED	  0x80u

/* Feature bits (§6, §5.2.3): all the driver accepts. */
#define VIRTIO_F_VERSION_1 (UINT64_C(1) << 32)
#define VIRTIO_BLK_F_FLUSH (UINT64_C(1) << 9)

/* Descriptor flags (§2.7.5). */
#define VIRTQ_DESC_F_NEXT  1u
#define VIRTQ_DESC_F_WRITE 2u

/* Request types and status (§5.2.6). */
#define VIRTIO_BLK_T_IN	   0u
#define VIRTIO_BLK_T_OUT   1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_S_OK	   0u
#define VBLK_STATUS_UNSET  0xffu /* Preset, so a device that writes no status fails the request. */

/* A split virtqueue's descriptor (§2.7.5). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* A request's header (§5.2.6). */
struct virtio_blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/*
 * The start of the DMA region. The rings are laid out for the largest
 * queue; a smaller one uses their first entries. Event indices are not
 * negotiated, so used_event and avail_event are never read. The headers
 * and status bytes are indexed by their request's head descriptor.
 */
struct vblk_queue_memory {
	struct virtq_desc desc[VBLK_QUEUE_MAX]; /* 16-byte aligned (§2.7). */
	struct {
		uint16_t flags;
		uint16_t idx;
		uint16_t ring[VBLK_QUEUE_MAX];
	} avail;
	_Alignas(4) struct {
		uint16_t flags;
		uint16_t idx;
		struct virtq_used_elem ring[VBLK_QUEUE_MAX];
	} used;
	struct virtio_blk_header headers[VBLK_QUEUE_MAX];
	uint8_t status[VBLK_QUEUE_MAX];
};

#define VBLK_QUEUE_MEMORY_SIZE 0x4000u /* How much of the DMA region the queue takes. */
_Static_assert(sizeof(struct vblk_queue_memory) <= VBLK_QUEUE_MEMORY_SIZE, "the queue fits");
_Static_assert(VBLK_QUEUE_MEMORY_SIZE <= BLK_DMA_SIZE, "the queue fits the DMA region");
_Static_assert(BLK_SLOTS <= 16 && BLK_MAX_CLIENTS <= 32, "taken and signal bitmaps fit");

static uint32_t reg_read(const struct vblk *d, uint32_t offset)
{
	return d->bus.read(d->bus.ctx, offset);
}

static void reg_write(const struct vblk *d, uint32_t offset, uint32_t value)
{
	d->bus.write(d->bus.ctx, offset, value);
}

static void dma_barrier(const struct vblk *d)
{
	d->bus.dma_barrier(d->bus.ctx);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static enum vblk_init_error check_identity(const struct vblk *d)
{
	uint32_t version;

	if (reg_read(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
		return VBLK_INIT_NOT_VIRTIO;
	version = reg_read(d, VIRTIO_MMIO_VERSION);
	if (version == VIRTIO_MMIO_LEGACY)
		return VBLK_INIT_LEGACY;
	if (version != VIRTIO_MMIO_MODERN)
		return VBLK_INIT_BAD_VERSION;
	if (reg_read(d, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
		return VBLK_INIT_NOT_BLOCK;
	return VBLK_INIT_OK;
}

/* Writing 0 to Status resets the device; it is done when Status reads 0 (§4.2.3.1). */
static bool reset(const struct vblk *d)
{
	reg_write(d, VIRTIO_MMIO_STATUS, 0);
	for (unsigned i = 0; i < VBLK_RESET_POLLS; i++)
		if (reg_read(d, VIRTIO_MMIO_STATUS) == 0)
			return true;
	return false;
}

/* Accept VERSION_1 and, if offered, FLUSH: nothing else is needed (§3.1.1 steps 4-6). */
static enum vblk_init_error negotiate(struct vblk *d, uint32_t status)
{
	uint64_t offered, accepted;

	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered = reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered |= (uint64_t)reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if ((offered & VIRTIO_F_VERSION_1) == 0)
		return VBLK_INIT_NO_VERSION_1;
	accepted = offered & (VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accepted);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accepted >> 32));
	reg_write(d, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_FEATURES_OK);
	if ((reg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0)
		return VBLK_INIT_FEATURES_REFUSED;
	d->has_flush = (accepted & VIRTIO_BLK_F_FLUSH) != 0;
	return VBLK_INIT_OK;
}

/* A 64-bit field is read in two halves, again if ConfigGeneration moved between (§4.2.3.3). */
static uint64_t read_capacity(const struct vblk *d)
{
	uint64_t sectors = 0;

	for (unsigned i = 0; i < VBLK_CONFIG_TRIES; i++) {
		uint32_t generation = reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);

		sectors = reg_read(d, VIRTIO_BLK_CONFIG_CAPACITY) |
			  (uint64_t)reg_read(d, VIRTIO_BLK_CONFIG_CAPACITY + 4) << 32;
		if (reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION) == generation)
			break;
	}
	return sectors;
}

/* A LOW/HIGH register pair. */
static void write_address(const struct vblk *d, uint32_t low, uint64_t pa)
{
	reg_write(d, low, (uint32_t)pa);
	reg_write(d, low + 4, (uint32_t)(pa >> 32));
}

/* Queue 0 at the start of the DMA region, all its descriptors free (§4.2.3.2). */
static enum vblk_init_error setup_queue(struct vblk *d, const struct blk_boot *boot)
{
	struct vblk_queue_memory *q = (struct vblk_queue_memory *)(uintptr_t)boot->dma_va;
	uint32_t size = VBLK_QUEUE_MAX, max;

	reg_write(d, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_BLK_QUEUE);
	max = reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (reg_read(d, VIRTIO_MMIO_QUEUE_READY) != 0 || max < VBLK_QUEUE_MIN)
		return VBLK_INIT_NO_QUEUE;
	/* A split queue's size is a power of two (§2.7). */
	while (size > max)
		size /= 2;
	memset(q, 0, sizeof(*q));
	d->queue = q;
	d->queue_pa = boot->dma_pa;
	d->queue_size = (uint16_t)size;
	d->free_count = (uint16_t)size;
	for (uint32_t i = 0; i < size; i++)
		d->free[i] = (uint16_t)(size - 1 - i);
	reg_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
	write_address(d, VIRTIO_MMIO_QUEUE_DESC_LOW,
		      d->queue_pa + offsetof(struct vblk_queue_memory, desc));
	write_address(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW,
		      d->queue_pa + offsetof(struct vblk_queue_memory, avail));
	write_address(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW,
		      d->queue_pa + offsetof(struct vblk_queue_memory, used));
	reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return VBLK_INIT_OK;
}

/* The clients from the boot page, each part cut to the disk's end. */
static void take_clients(struct vblk *d, const struct blk_boot *boot)
{
	d->client_count = (uint32_t)min_u64(boot->client_count, BLK_MAX_CLIENTS);
	for (uint32_t i = 0; i < d->client_count; i++) {
		const struct blk_boot_client *b = &boot->clients[i];
		struct vblk_client *c = &d->clients[i];

		c->table = (struct blk_table *)(uintptr_t)b->region_va;
		c->region_pa = b->region_pa;
		c->first_sector = b->first_sector;
		c->sector_count = b->first_sector >= d->capacity
					  ? 0
					  : min_u64(b->sector_count, d->capacity - b->first_sector);
		c->is_read_only = b->is_read_only != 0;
	}
}

enum vblk_init_error vblk_init(struct vblk *d, const struct blk_boot *boot,
			       const struct vblk_bus *bus)
{
	const uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	enum vblk_init_error err;

	memset(d, 0, sizeof(*d));
	d->bus = *bus;
	err = check_identity(d);
	if (err != VBLK_INIT_OK)
		return err;
	/* The reset also drops every request a previous instance left on the device. */
	if (!reset(d))
		return VBLK_INIT_STUCK_IN_RESET;
	reg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	reg_write(d, VIRTIO_MMIO_STATUS, status);
	err = negotiate(d, status);
	if (err == VBLK_INIT_OK)
		err = setup_queue(d, boot);
	if (err != VBLK_INIT_OK) {
		reg_write(d, VIRTIO_MMIO_STATUS,
			  reg_read(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED);
		return err;
	}
	d->capacity = read_capacity(d);
	take_clients(d, boot);
	reg_write(d, VIRTIO_MMIO_STATUS,
		  status | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	return VBLK_INIT_OK;
}

const char *vblk_init_error_text(enum vblk_init_error err)
{
	static const char *const texts[] = {
		[VBLK_INIT_OK] = "no error",
		[VBLK_INIT_NOT_VIRTIO] = "not a virtio-mmio device (MagicValue is not 0x74726976)",
		[VBLK_INIT_LEGACY] = "a legacy virtio-mmio device (Version 1), and this driver "
				     "needs version 2: add -global virtio-mmio.force-legacy=false "
				     "to QEMU's command line",
		[VBLK_INIT_BAD_VERSION] = "an unknown virtio-mmio version (neither 1 nor 2)",
		[VBLK_INIT_NOT_BLOCK] = "not a block device (DeviceID is not 2; 0 means no "
					"device is attached to the transport)",
		[VBLK_INIT_STUCK_IN_RESET] = "the device did not reset (Status did not read 0)",
		[VBLK_INIT_NO_VERSION_1] = "the device does not offer VIRTIO_F_VERSION_1",
		[VBLK_INIT_FEATURES_REFUSED] = "the device refused the features the driver "
					       "accepted, VIRTIO_F_VERSION_1 and FLUSH if "
					       "offered (FEATURES_OK did not stay set)",
		[VBLK_INIT_NO_QUEUE] = "queue 0 is in use or holds fewer than 4 descriptors",
	};

	if ((unsigned)err >= sizeof(texts) / sizeof(texts[0]) || texts[err] == NULL)
		return "an unknown error";
	return texts[err];
}

/* Hand a slot back to its client. */
static void finish(struct blk_slot *slot, enum blk_status status)
{
	__atomic_store_n(&slot->status, (uint32_t)status, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->state, (uint32_t)BLK_SLOT_DONE, __ATOMIC_RELEASE);
}

/* Is r, the private copy of a slot of c, a request the driver may do? */
static bool is_valid(const struct vblk_client *c, const struct blk_slot *r)
{
	if (r->op == BLK_OP_FLUSH)
		return r->bytes == 0;
	if (r->op != BLK_OP_READ && r->op != BLK_OP_WRITE)
		return false;
	if (r->op == BLK_OP_WRITE && c->is_read_only)
		return false;
	/* Written so that nothing overflows, whatever sector and bytes hold. */
	return r->bytes != 0 && r->bytes % BLK_SECTOR_SIZE == 0 && r->bytes <= BLK_SLOT_SIZE &&
	       r->sector <= c->sector_count &&
	       r->bytes / BLK_SECTOR_SIZE <= c->sector_count - r->sector;
}

/* The device's request type for each blk_op, which is_valid has checked. */
static const uint32_t request_types[] = {
	[BLK_OP_READ] = VIRTIO_BLK_T_IN,
	[BLK_OP_WRITE] = VIRTIO_BLK_T_OUT,
	[BLK_OP_FLUSH] = VIRTIO_BLK_T_FLUSH,
};

/*
 * Put the checked request r, slot s of client c, on the avail ring as a
 * chain (header, data, status; a flush has no data). False if too few
 * descriptors are free: the slot waits for completions.
 */
static bool enqueue(struct vblk *d, uint32_t c, uint32_t s, const struct blk_slot *r)
{
	const struct vblk_client *client = &d->clients[c];
	struct vblk_queue_memory *q = d->queue;
	unsigned count = r->op == BLK_OP_FLUSH ? 2 : 3;
	uint16_t desc[3], head;

	if (d->free_count < count)
		return false;
	for (unsigned i = 0; i < count; i++)
		desc[i] = d->free[--d->free_count];
	head = desc[0];

	struct virtq_desc parts[3] = {
		{.addr = d->queue_pa + offsetof(struct vblk_queue_memory, headers[head]),
		 .len = sizeof(struct virtio_blk_header)},
		{.addr = client->region_pa + BLK_DATA_OFFSET + s * BLK_SLOT_SIZE,
		 .len = r->bytes,
		 .flags = r->op == BLK_OP_READ ? VIRTQ_DESC_F_WRITE : 0},
		{.addr = d->queue_pa + offsetof(struct vblk_queue_memory, status[head]),
		 .len = 1,
		 .flags = VIRTQ_DESC_F_WRITE},
	};

	if (count == 2)
		parts[1] = parts[2];
	for (unsigned i = 0; i < count; i++) {
		if (i + 1 < count) {
			parts[i].flags |= VIRTQ_DESC_F_NEXT;
			parts[i].next = desc[i + 1];
		}
		q->desc[desc[i]] = parts[i];
	}
	/* A flush's sector is 0 (§5.2.6.1); the client's part lies on the disk (take_clients). */
	q->headers[head] = (struct virtio_blk_header){
		.type = request_types[r->op],
		.sector = r->op == BLK_OP_FLUSH ? 0 : client->first_sector + r->sector};
	q->status[head] = VBLK_STATUS_UNSET;
	d->requests[head] = (struct vblk_request){
		.is_in_flight = true,
		.client = (uint8_t)c,
		.slot = (uint8_t)s,
		.desc_count = (uint8_t)count,
		.desc = {desc[0], desc[1], count == 3 ? desc[2] : 0},
	};
	q->avail.ring[d->avail_idx % d->queue_size] = head;
	d->avail_idx++;
	return true;
}

/*
 * Take client c's submitted slots: refuse or finish at once those that
 * need no device, queue the rest. Adds the clients to signal to *signals
 * and counts the queued requests in *queued. False if the queue filled up.
 */
static bool take_slots(struct vblk *d, uint32_t c, uint32_t *signals, unsigned *queued)
{
	struct vblk_client *client = &d->clients[c];

	for (uint32_t s = 0; s < BLK_SLOTS; s++) {
		struct blk_slot *slot = &client->table->slots[s];
		struct blk_slot r;

		if ((client->taken & (1u << s)) != 0 ||
		    __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != BLK_SLOT_SUBMITTED)
			continue;
		r.op = __atomic_load_n(&slot->op, __ATOMIC_RELAXED);
		r.sector = __atomic_load_n(&slot->sector, __ATOMIC_RELAXED);
		r.bytes = __atomic_load_n(&slot->bytes, __ATOMIC_RELAXED);
		if (!is_valid(client, &r)) {
			finish(slot, BLK_STATUS_IOERR);
			*signals |= 1u << c;
		} else if (r.op == BLK_OP_FLUSH && !d->has_flush) {
			/* No FLUSH, no write cache: a completed write is on the medium. */
			finish(slot, BLK_STATUS_OK);
			*signals |= 1u << c;
		} else if (enqueue(d, c, s, &r)) {
			client->taken |= (uint16_t)(1u << s);
			(*queued)++;
		} else {
			return false;
		}
	}
	return true;
}

/* Publish a batch's chains with one avail idx update and one notification (§2.7.13). */
static void publish(struct vblk *d, unsigned queued)
{
	if (queued == 0)
		return;
	dma_barrier(d);
	__atomic_store_n(&d->queue->avail.idx, d->avail_idx, __ATOMIC_RELEASE);
	reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_BLK_QUEUE);
}

uint32_t vblk_serve_client(struct vblk *d, uint32_t c)
{
	uint32_t signals = 0;
	unsigned queued = 0;

	if (c >= d->client_count)
		return 0;
	(void)take_slots(d, c, &signals, &queued);
	publish(d, queued);
	return signals;
}

/*
 * The next scan starts after the client this one started with or, if the
 * queue filled up, after the client it filled up at: a client that keeps
 * every slot submitted cannot keep the others from the descriptors that
 * completions free.
 */
uint32_t vblk_serve_all(struct vblk *d)
{
	uint32_t signals = 0, next = d->next_client + 1;
	unsigned queued = 0;

	for (uint32_t i = 0; i < d->client_count; i++) {
		uint32_t c = (d->next_client + i) % d->client_count;

		if (!take_slots(d, c, &signals, &queued)) {
			next = c + 1;
			break;
		}
	}
	if (d->client_count != 0)
		d->next_client = next % d->client_count;
	publish(d, queued);
	return signals;
}

/* The device used the chain at head: the slot is its client's again, the descriptors free. */
static uint32_t complete(struct vblk *d, uint16_t head)
{
	struct vblk_request *req = &d->requests[head];
	struct vblk_client *client = &d->clients[req->client];
	uint8_t status = __atomic_load_n(&d->queue->status[head], __ATOMIC_RELAXED);

	finish(&client->table->slots[req->slot],
	       status == VIRTIO_BLK_S_OK ? BLK_STATUS_OK : BLK_STATUS_IOERR);
	client->taken &= (uint16_t) ~(1u << req->slot);
	for (unsigned i = 0; i < req->desc_count; i++)
		d->free[d->free_count++] = req->desc[i];
	req->is_in_flight = false;
	return 1u << req->client;
}

uint32_t vblk_interrupt(struct vblk *d)
{
	uint32_t pending = reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS), signals = 0;
	uint16_t used;

	/*
	 * Acknowledge before reading the ring, so that a chain the device uses
	 * after the read raises the interrupt again. A configuration change
	 * (bit 1) needs nothing: the capacity is read once, at init.
	 */
	if (pending != 0)
		reg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, pending);
	dma_barrier(d);
	used = __atomic_load_n(&d->queue->used.idx, __ATOMIC_ACQUIRE);
	dma_barrier(d);
	for (; d->used_idx != used; d->used_idx++) {
		const struct virtq_used_elem *e = &d->queue->used.ring[d->used_idx % d->queue_size];
		uint32_t id = __atomic_load_n(&e->id, __ATOMIC_RELAXED);

		if (id >= d->queue_size || !d->requests[id].is_in_flight) {
			d->ignored_used++;
			continue;
		}
		signals |= complete(d, (uint16_t)id);
		d->completed++;
	}
	return signals | vblk_serve_all(d);
}
