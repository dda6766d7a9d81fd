/*
 * The virtio-blk driver's logic (virtio_blk_drv.h): device set-up, taking
 * the clients' slots onto the queue, and completing them.
 *
 * Every client is untrusted. A slot is read once into a private copy, with
 * a load-acquire of its state first, and only the copy is checked and used;
 * a slot the driver has taken is not looked at again until its request
 * completes. The addresses the device is given are the driver's own, or a
 * client's segments translated through that client's RAM map from the boot
 * page, so no value a client writes can point the device outside its own
 * guest's RAM, or at a sector outside its part.
 */
#include <stddef.h>
#include <string.h>

#include <mica/proto/virtio_mmio.h>

#include "virtio_blk_drv.h"
#include "virtio_drv.h"
#include "virtio_blk_parts.h"

/* The transport's registers are <mica/proto/virtio_mmio.h>'s; the device's configuration: */
#define VIRTIO_BLK_CONFIG_CAPACITY 0x100u /* 64 bits, in 512-byte sectors (§5.2.4). */

#define VIRTIO_ID_BLOCK	  2u
#define VIRTIO_BLK_QUEUE  0u
#define VBLK_QUEUE_MIN	  4u /* A power of two that holds a three-descriptor chain. */
#define VBLK_CONFIG_TRIES 4u

/* Feature bits (§6, §5.2.3): all the driver accepts. */
#define VIRTIO_BLK_F_FLUSH	    (UINT64_C(1) << 9)
#define VIRTIO_RING_F_INDIRECT_DESC (UINT64_C(1) << 28)

/* Request types and status (§5.2.6). */
#define VIRTIO_BLK_T_IN	   0u
#define VIRTIO_BLK_T_OUT   1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_S_OK	   0u
#define VBLK_STATUS_UNSET  0xffu /* Preset, so a device that writes no status fails the request. */

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
_Static_assert(VBLK_QUEUE_MEMORY_SIZE <= VBLK_OWN_OFFSET && GPT_ENTRIES_MAX <= VBLK_OWN_SIZE &&
		       VBLK_OWN_PIECE <= VBLK_OWN_SIZE,
	       "the own reads fit the DMA region past the queue");
_Static_assert(VBLK_TABLE_DESCS >= BLK_SEGS_MAX + 2 && VBLK_TABLE_DESCS <= UINT16_MAX,
	       "an indirect table holds a request with every segment whole");

/* A 64-bit field is read in two halves, again if ConfigGeneration moved between (§4.2.3.3). */
static uint64_t read_capacity(const struct vblk *d)
{
	uint64_t sectors = 0;

	for (unsigned i = 0; i < VBLK_CONFIG_TRIES; i++) {
		uint32_t generation = vdrv_read(&d->bus, VIRTIO_MMIO_CONFIG_GENERATION);

		sectors = vdrv_read(&d->bus, VIRTIO_BLK_CONFIG_CAPACITY) |
			  (uint64_t)vdrv_read(&d->bus, VIRTIO_BLK_CONFIG_CAPACITY + 4) << 32;
		if (vdrv_read(&d->bus, VIRTIO_MMIO_CONFIG_GENERATION) == generation)
			break;
	}
	return sectors;
}

/* Queue 0 at the start of the DMA region, all its descriptors free (§4.2.3.2). */
static enum vdrv_error setup_queue(struct vblk *d, const struct blk_boot *boot)
{
	struct vblk_queue_memory *q = (struct vblk_queue_memory *)(uintptr_t)boot->dma_va;
	uint32_t size = VBLK_QUEUE_MAX, max;

	vdrv_write(&d->bus, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_BLK_QUEUE);
	max = vdrv_read(&d->bus, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (vdrv_read(&d->bus, VIRTIO_MMIO_QUEUE_READY) != 0 || max < VBLK_QUEUE_MIN)
		return VDRV_NO_QUEUE;
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
	vdrv_write(&d->bus, VIRTIO_MMIO_QUEUE_NUM, size);
	vdrv_write_address(&d->bus, VIRTIO_MMIO_QUEUE_DESC_LOW,
			   d->queue_pa + offsetof(struct vblk_queue_memory, desc));
	vdrv_write_address(&d->bus, VIRTIO_MMIO_QUEUE_DRIVER_LOW,
			   d->queue_pa + offsetof(struct vblk_queue_memory, avail));
	vdrv_write_address(&d->bus, VIRTIO_MMIO_QUEUE_DEVICE_LOW,
			   d->queue_pa + offsetof(struct vblk_queue_memory, used));
	vdrv_write(&d->bus, VIRTIO_MMIO_QUEUE_READY, 1);
	return VDRV_OK;
}

/*
 * The clients from the boot page, each range cut to the disk's end; a
 * partition's sectors are found later (resolve).
 */
static void take_clients(struct vblk *d, const struct blk_boot *boot)
{
	d->client_count = (uint32_t)min_u64(boot->client_count, BLK_MAX_CLIENTS);
	for (uint32_t i = 0; i < d->client_count; i++) {
		const struct blk_boot_client *b = &boot->clients[i];
		struct vblk_client *c = &d->clients[i];

		c->table = (struct blk_table *)(uintptr_t)b->region_va;
		c->segs = (const struct blk_seg *)(uintptr_t)(b->region_va + BLK_SEGS_OFFSET);
		c->ram_run_count = (uint32_t)min_u64(b->ram_run_count, BLK_RAM_RUNS);
		memcpy(c->ram, b->ram, sizeof(c->ram));
		c->partition = b->partition;
		c->is_read_only = b->is_read_only != 0;
		if (c->partition != 0)
			continue;
		c->first_sector = b->first_sector;
		c->sector_count = b->first_sector >= d->capacity
					  ? 0
					  : min_u64(b->sector_count, d->capacity - b->first_sector);
	}
}

enum vdrv_error vblk_init(struct vblk *d, const struct blk_boot *boot, const struct vdrv_bus *bus)
{
	enum vdrv_error err;
	uint64_t accepted;

	memset(d, 0, sizeof(*d));
	d->bus = *bus;
	/* Indirect descriptors carry a request's pieces; a write cache wants flushes. */
	err = vdrv_start(&d->bus, VIRTIO_ID_BLOCK, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_BLK_F_FLUSH,
			 &accepted);
	if (err != VDRV_OK)
		return err;
	d->has_flush = (accepted & VIRTIO_BLK_F_FLUSH) != 0;
	err = setup_queue(d, boot);
	if (err != VDRV_OK) {
		vdrv_fail(&d->bus);
		return err;
	}
	d->capacity = read_capacity(d);
	d->own = (uint8_t *)(uintptr_t)(boot->dma_va + VBLK_OWN_OFFSET);
	d->own_pa = boot->dma_pa + VBLK_OWN_OFFSET;
	d->tables = (struct virtq_desc *)(uintptr_t)(boot->dma_va + VBLK_TABLES_OFFSET);
	d->tables_pa = boot->dma_pa + VBLK_TABLES_OFFSET;
	take_clients(d, boot);
	vdrv_live(&d->bus);
	return VDRV_OK;
}

const char *vblk_init_error_text(enum vdrv_error err)
{
	if (err == VDRV_WRONG_DEVICE)
		return "not a block device (DeviceID is not 2; 0 means no device is attached "
		       "to the transport)";
	if (err == VDRV_NO_FEATURE)
		return "the device does not offer VIRTIO_RING_F_INDIRECT_DESC (QEMU's "
		       "indirect_desc=on)";
	if (err == VDRV_FEATURES_REFUSED)
		return "the device refused the features the driver accepted, VIRTIO_F_VERSION_1, "
		       "VIRTIO_RING_F_INDIRECT_DESC and FLUSH if offered (FEATURES_OK did not stay "
		       "set)";
	if (err == VDRV_NO_QUEUE)
		return "queue 0 is in use or holds fewer than 4 descriptors";
	return vdrv_error_text(err);
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
	if (c->refusal != VBLK_REFUSAL_NONE)
		return false;
	if (r->op == BLK_OP_FLUSH)
		return r->bytes == 0;
	if (r->op != BLK_OP_READ && r->op != BLK_OP_WRITE)
		return false;
	if (r->op == BLK_OP_WRITE && c->is_read_only)
		return false;
	if (r->seg_count == 0 || r->seg_count > BLK_SEGS_MAX)
		return false;
	/* Written so that nothing overflows, whatever sector and bytes hold. */
	return r->bytes != 0 && r->bytes % BLK_SECTOR_SIZE == 0 && r->bytes <= BLK_REQUEST_MAX &&
	       r->sector <= c->sector_count &&
	       r->bytes / BLK_SECTOR_SIZE <= c->sector_count - r->sector;
}

/* The device's request type for each blk_op, which is_valid has checked. */
static const uint32_t request_types[] = {
	[BLK_OP_READ] = VIRTIO_BLK_T_IN,
	[BLK_OP_WRITE] = VIRTIO_BLK_T_OUT,
	[BLK_OP_FLUSH] = VIRTIO_BLK_T_FLUSH,
};

/* What a chain asks of the device: a request's header fields and its data buffer. */
struct vblk_chain {
	uint32_t type;
	uint64_t sector;  /* On the disk; 0 for a flush (§5.2.6.1). */
	uint64_t data_pa; /* Unused for a flush, which has no data. */
	uint32_t bytes;
};

static uint64_t header_pa(const struct vblk *d, uint16_t head)
{
	return d->queue_pa + offsetof(struct vblk_queue_memory, headers[head]);
}

static uint64_t status_pa(const struct vblk *d, uint16_t head)
{
	return d->queue_pa + offsetof(struct vblk_queue_memory, status[head]);
}

/* The chain at head, its descriptors written, on the avail ring for req. */
static void post(struct vblk *d, uint16_t head, uint32_t type, uint64_t sector,
		 struct vblk_request req)
{
	struct vblk_queue_memory *q = d->queue;

	q->headers[head] = (struct virtio_blk_header){.type = type, .sector = sector};
	q->status[head] = VBLK_STATUS_UNSET;
	req.is_in_flight = true;
	d->requests[head] = req;
	q->avail.ring[d->avail_idx % d->queue_size] = head;
	d->avail_idx++;
}

/*
 * Put ch on the avail ring as a chain (header, data, status; a flush has
 * no data) for req, whose slot or own read it is. False if too few
 * descriptors are free: the request waits for completions.
 */
static bool enqueue(struct vblk *d, const struct vblk_chain *ch, struct vblk_request req)
{
	struct vblk_queue_memory *q = d->queue;
	unsigned count = ch->type == VIRTIO_BLK_T_FLUSH ? 2 : 3;
	uint16_t desc[3], head;

	if (d->free_count < count)
		return false;
	for (unsigned i = 0; i < count; i++)
		desc[i] = d->free[--d->free_count];
	head = desc[0];

	struct virtq_desc parts[3] = {
		{.addr = header_pa(d, head), .len = sizeof(struct virtio_blk_header)},
		{.addr = ch->data_pa,
		 .len = ch->bytes,
		 .flags = ch->type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0},
		{.addr = status_pa(d, head), .len = 1, .flags = VIRTQ_DESC_F_WRITE},
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
	req.desc_count = (uint8_t)count;
	for (unsigned i = 0; i < 3; i++)
		req.desc[i] = i < count ? desc[i] : 0;
	post(d, head, ch->type, ch->sector, req);
	return true;
}

/* The run of c's RAM map that holds guest-physical ipa; NULL if none does. */
static const struct blk_ram_run *find_run(const struct vblk_client *c, uint64_t ipa)
{
	for (uint32_t i = 0; i < c->ram_run_count; i++) {
		const struct blk_ram_run *run = &c->ram[i];

		if (ipa >= run->ipa && ipa - run->ipa < run->size)
			return run;
	}
	return NULL;
}

/*
 * Fill the indirect table of slot s of client c for the checked read or
 * write r, whose chain's head is head: the header, each segment turned
 * into physical pieces through the client's RAM map (each segment read
 * once), the status byte. Returns the table's length in descriptors, or 0
 * if a segment is empty or lies outside the map, if the segments do not
 * add up to r->bytes, or if the chain would be longer than the queue.
 */
static uint32_t fill_table(const struct vblk *d, uint32_t c, uint32_t s, const struct blk_slot *r,
			   uint16_t head)
{
	const struct vblk_client *client = &d->clients[c];
	const struct blk_seg *segs = client->segs + (uint64_t)s * BLK_SEGS_STRIDE;
	struct virtq_desc *t = d->tables + ((uint64_t)c * BLK_SLOTS + s) * VBLK_TABLE_DESCS;
	uint16_t flags = r->op == BLK_OP_READ ? VIRTQ_DESC_F_WRITE : 0;
	/* A chain, indirect or not, is no longer than the queue (§2.7.5.3.1). */
	uint32_t max = d->queue_size < VBLK_TABLE_DESCS ? d->queue_size : VBLK_TABLE_DESCS;
	uint64_t total = 0;
	uint32_t n = 0;

	t[n++] = (struct virtq_desc){.addr = header_pa(d, head),
				     .len = sizeof(struct virtio_blk_header)};
	for (uint32_t i = 0; i < r->seg_count; i++) {
		uint64_t ipa = __atomic_load_n(&segs[i].addr, __ATOMIC_RELAXED);
		uint64_t left = __atomic_load_n(&segs[i].bytes, __ATOMIC_RELAXED);

		if (left == 0)
			return 0;
		total += left;
		while (left > 0) {
			const struct blk_ram_run *run = find_run(client, ipa);
			uint64_t piece;

			if (run == NULL || n + 1 >= max)
				return 0;
			/* ipa lies in the run, so neither this nor the sum below can wrap. */
			piece = min_u64(left, run->size - (ipa - run->ipa));
			t[n++] = (struct virtq_desc){.addr = run->pa + (ipa - run->ipa),
						     .len = (uint32_t)piece,
						     .flags = flags};
			ipa += piece;
			left -= piece;
		}
	}
	if (total != r->bytes)
		return 0;
	t[n++] = (struct virtq_desc){
		.addr = status_pa(d, head), .len = 1, .flags = VIRTQ_DESC_F_WRITE};
	for (uint32_t i = 0; i + 1 < n; i++) {
		t[i].flags |= VIRTQ_DESC_F_NEXT;
		t[i].next = (uint16_t)(i + 1);
	}
	return n;
}

/* What became of a slot taken onto the queue. */
enum vblk_take {
	VBLK_TAKE_QUEUED,
	VBLK_TAKE_NO_ROOM, /* Too few descriptors: it waits for completions. */
	VBLK_TAKE_REFUSED, /* Its segments are wrong: it fails. */
};

/* The checked request r, slot s of client c, on the queue. */
static enum vblk_take enqueue_slot(struct vblk *d, uint32_t c, uint32_t s, const struct blk_slot *r)
{
	const struct vblk_client *client = &d->clients[c];
	const struct vblk_request req = {.client = (uint8_t)c, .slot = (uint8_t)s};
	uint32_t length;
	uint16_t head;

	if (r->op == BLK_OP_FLUSH) {
		const struct vblk_chain ch = {.type = VIRTIO_BLK_T_FLUSH};

		return enqueue(d, &ch, req) ? VBLK_TAKE_QUEUED : VBLK_TAKE_NO_ROOM;
	}
	if (d->free_count == 0)
		return VBLK_TAKE_NO_ROOM;
	head = d->free[d->free_count - 1];
	length = fill_table(d, c, s, r, head);
	if (length == 0)
		return VBLK_TAKE_REFUSED;
	d->free_count--;
	d->queue->desc[head] = (struct virtq_desc){
		.addr = d->tables_pa + ((uint64_t)c * BLK_SLOTS + s) * VBLK_TABLE_BYTES,
		.len = length * (uint32_t)sizeof(struct virtq_desc),
		.flags = VIRTQ_DESC_F_INDIRECT,
	};
	/* The client's part lies on the disk (take_clients, resolve). */
	post(d, head, request_types[r->op], client->first_sector + r->sector,
	     (struct vblk_request){
		     .client = (uint8_t)c, .slot = (uint8_t)s, .desc_count = 1, .desc = {head}});
	return VBLK_TAKE_QUEUED;
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
		r.seg_count = __atomic_load_n(&slot->seg_count, __ATOMIC_RELAXED);
		if (!is_valid(client, &r)) {
			finish(slot, BLK_STATUS_IOERR);
			*signals |= 1u << c;
		} else if (r.op == BLK_OP_FLUSH && !d->has_flush) {
			/* No FLUSH, no write cache: a completed write is on the medium. */
			finish(slot, BLK_STATUS_OK);
			*signals |= 1u << c;
		} else {
			enum vblk_take take = enqueue_slot(d, c, s, &r);

			if (take == VBLK_TAKE_NO_ROOM)
				return false;
			if (take == VBLK_TAKE_REFUSED) {
				finish(slot, BLK_STATUS_IOERR);
				*signals |= 1u << c;
				continue;
			}
			client->taken |= (uint16_t)(1u << s);
			(*queued)++;
		}
	}
	return true;
}

/* Publish a batch's chains with one avail idx update and one notification (§2.7.13). */
static void publish(struct vblk *d, unsigned queued)
{
	if (queued == 0)
		return;
	vdrv_dma_barrier(&d->bus);
	__atomic_store_n(&d->queue->avail.idx, d->avail_idx, __ATOMIC_RELEASE);
	vdrv_write(&d->bus, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_BLK_QUEUE);
}

uint32_t vblk_serve_client(struct vblk *d, uint32_t c)
{
	uint32_t signals = 0;
	unsigned queued = 0;

	if (c >= d->client_count || d->phase != VBLK_SERVING)
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

	if (d->phase != VBLK_SERVING)
		return 0;
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

/* The driver's own reads, for the partition table (virtio_blk_parts.c). */
void vblk_read_own(struct vblk *d, uint64_t sector, uint32_t offset, uint32_t bytes)
{
	const struct vblk_chain ch = {.type = VIRTIO_BLK_T_IN,
				      .sector = sector,
				      .data_pa = d->own_pa + offset,
				      .bytes = bytes};

	d->own_piece = bytes;
	d->is_own_ok = false;
	/* The only request on the queue, which vblk_init left empty: it fits. */
	(void)enqueue(d, &ch, (struct vblk_request){.is_own = true});
	publish(d, 1);
}

/* The device used the chain at head: the slot is its client's again, the descriptors free. */
static uint32_t complete(struct vblk *d, uint16_t head)
{
	struct vblk_request *req = &d->requests[head];
	struct vblk_client *client = &d->clients[req->client];
	uint8_t status = __atomic_load_n(&d->queue->status[head], __ATOMIC_RELAXED);

	for (unsigned i = 0; i < req->desc_count; i++)
		d->free[d->free_count++] = req->desc[i];
	req->is_in_flight = false;
	if (req->is_own) {
		d->is_own_ok = status == VIRTIO_BLK_S_OK;
		return 0;
	}
	finish(&client->table->slots[req->slot],
	       status == VIRTIO_BLK_S_OK ? BLK_STATUS_OK : BLK_STATUS_IOERR);
	client->taken &= (uint16_t) ~(1u << req->slot);
	d->completed++;
	return 1u << req->client;
}

uint32_t vblk_interrupt(struct vblk *d)
{
	uint32_t pending = vdrv_read(&d->bus, VIRTIO_MMIO_INTERRUPT_STATUS), signals = 0;
	bool is_own_done = false;
	uint16_t used;

	/*
	 * Acknowledge before reading the ring, so that a chain the device uses
	 * after the read raises the interrupt again. A configuration change
	 * (bit 1) needs nothing: the capacity is read once, at init.
	 */
	if (pending != 0)
		vdrv_write(&d->bus, VIRTIO_MMIO_INTERRUPT_ACK, pending);
	vdrv_dma_barrier(&d->bus);
	used = __atomic_load_n(&d->queue->used.idx, __ATOMIC_ACQUIRE);
	vdrv_dma_barrier(&d->bus);
	for (; d->used_idx != used; d->used_idx++) {
		const struct virtq_used_elem *e = &d->queue->used.ring[d->used_idx % d->queue_size];
		uint32_t id = __atomic_load_n(&e->id, __ATOMIC_RELAXED);

		if (id >= d->queue_size || !d->requests[id].is_in_flight) {
			d->ignored_used++;
			continue;
		}
		signals |= complete(d, (uint16_t)id);
		is_own_done |= d->requests[id].is_own;
	}
	if (is_own_done)
		signals |= vblk_own_read_done(d);
	return signals | vblk_serve_all(d);
}
