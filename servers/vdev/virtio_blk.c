/*
 * The virtio block device (see virtio_blk.h).
 *
 * A request (§5.2.6) is a 16-byte header (type, reserved, sector), data,
 * and a status byte, in that order; the device does not assume how they
 * are split across descriptors (§2.7.4). The header is read from the
 * chain's readable bytes, the status is the last writable byte, and the
 * data is what lies between:
 *   IN      the writable bytes before the status, filled from the disk;
 *   OUT     the readable bytes after the header, stored to the disk;
 *   FLUSH   nothing: every write is in the disk buffer when it completes,
 *           so a flush only has to come after them, which it does (the
 *           queue is served in order). Flushes are counted.
 *   GET_ID  up to 20 bytes of the serial, zero-padded, as §5.2.6 gives it.
 * Data for IN and OUT must be whole sectors and lie within the capacity
 * (checked without overflow), else the request fails with IOERR and
 * touches nothing; a header shorter than 16 bytes is IOERR too; any other
 * type is UNSUPP. A chain with no writable byte has nowhere to put a
 * status: that is a driver bug, and the device goes to
 * DEVICE_NEEDS_RESET.
 */
#include "virtio_blk.h"

#include <string.h>

#define HEADER_BYTES	16u
#define HEADER_TYPE	0u
#define HEADER_SECTOR	8u
#define REQUEST_QUEUE	0u
#define CONFIG_CAPACITY 0u
#define CONFIG_SIZE_MAX 8u
#define CONFIG_SEG_MAX	12u
#define CONFIG_BLK_SIZE 20u
#define CONFIG_BYTES	24u

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

/* True if len bytes at sector are whole sectors within capacity. */
static bool disk_range_ok(uint64_t capacity, uint64_t sector, uint64_t len)
{
	return len % VIRTIO_BLK_SECTOR_SIZE == 0 && sector <= capacity &&
	       len / VIRTIO_BLK_SECTOR_SIZE <= capacity - sector;
}

/* The disk's bytes for len bytes at sector, or NULL if out of range. */
static uint8_t *disk_range(const struct virtio_blk *b, uint64_t sector, uint64_t len)
{
	if (!disk_range_ok(b->capacity, sector, len))
		return NULL;
	return b->disk + sector * VIRTIO_BLK_SECTOR_SIZE;
}

/* Serve one request; returns its status and sets *written (data bytes). */
static uint8_t serve(struct virtio_blk *b, const struct virtq_chain *c, uint64_t *written)
{
	uint8_t header[HEADER_BYTES];
	uint64_t data_in = c->in_len - 1; /* Writable bytes before the status. */
	uint64_t sector;
	uint8_t *at;

	*written = 0;
	if (virtq_chain_read(c, 0, header, sizeof(header)) != sizeof(header))
		return VIRTIO_BLK_S_IOERR;
	sector = get_le(header + HEADER_SECTOR, 8);
	switch ((uint32_t)get_le(header + HEADER_TYPE, 4)) {
	case VIRTIO_BLK_T_IN:
		at = disk_range(b, sector, data_in);
		if (at == NULL)
			return VIRTIO_BLK_S_IOERR;
		*written = virtq_chain_write(c, 0, at, data_in);
		b->reads++;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		at = disk_range(b, sector, c->out_len - HEADER_BYTES);
		if (at == NULL)
			return VIRTIO_BLK_S_IOERR;
		(void)virtq_chain_read(c, HEADER_BYTES, at, c->out_len - HEADER_BYTES);
		b->writes++;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		b->flushes++;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID: {
		uint8_t id[VIRTIO_BLK_ID_BYTES] = {0};

		memcpy(id, VIRTIO_BLK_SERIAL, sizeof(VIRTIO_BLK_SERIAL) - 1);
		*written = virtq_chain_write(c, 0, id,
					     data_in < sizeof(id) ? (size_t)data_in : sizeof(id));
		return VIRTIO_BLK_S_OK;
	}
	default:
		b->unsupported++;
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* The drive path ---------------------------------------------------------------------- */

static uint32_t slot_state(const struct virtio_blk_drive *d, uint32_t i)
{
	return __atomic_load_n(&d->table->slots[i].state, __ATOMIC_ACQUIRE);
}

/* A slot no request holds, which the driver has finished with; BLK_SLOTS if none. */
static uint32_t free_slot(const struct virtio_blk_drive *d)
{
	for (uint32_t i = 0; i < BLK_SLOTS; i++) {
		if (((d->busy | d->stale) >> i & 1) == 0 && slot_state(d, i) == BLK_SLOT_FREE)
			return i;
	}
	return BLK_SLOTS;
}

/*
 * The guest-physical segments of len bytes of c's buffers from offset on,
 * the readable ones (is_in false) or the writable ones, into slot i's
 * list; returns how many, or 0 if they do not fit it.
 */
static uint32_t chain_segments(const struct virtio_blk *b, const struct virtq_chain *c, bool is_in,
			       uint64_t offset, uint64_t len, uint32_t i)
{
	struct blk_seg *segs = b->drive->segs + (uint64_t)i * BLK_SEGS_STRIDE;
	unsigned first = is_in ? c->out_count : 0;
	unsigned end = first + (is_in ? c->in_count : c->out_count);
	uint32_t n = 0;

	for (unsigned k = first; k < end && len > 0; k++) {
		const struct virtq_buf *buf = &c->bufs[k];
		uint64_t piece;

		if (offset >= buf->len) {
			offset -= buf->len;
			continue;
		}
		piece = buf->len - offset < len ? buf->len - offset : len;
		if (n == BLK_SEGS_MAX)
			return 0;
		/* Every buffer lies in the guest's RAM window (virtq_pop checked). */
		segs[n++] =
			(struct blk_seg){.addr = guest_mem_ipa(&b->mmio.mem, buf->host) + offset,
					 .bytes = (uint32_t)piece};
		len -= piece;
		offset = 0;
	}
	return n;
}

/*
 * Hand p's request to the driver in slot i, or answer it here (p->is_done):
 * what the driver does not do, and what it would refuse. Returns whether
 * the slot went to the driver.
 */
static bool drive_submit(struct virtio_blk *b, struct virtio_blk_pending *p, uint32_t i)
{
	struct virtio_blk_drive *d = b->drive;
	struct blk_slot *slot = &d->table->slots[i];
	const struct virtq_chain *c = &p->chain;
	uint8_t header[HEADER_BYTES];
	uint64_t sector, bytes = 0;
	uint32_t op, seg_count = 0;

	p->slot = BLK_SLOTS;
	p->written = 0;
	p->is_done = true;
	p->status = VIRTIO_BLK_S_IOERR;
	if (virtq_chain_read(c, 0, header, sizeof(header)) != sizeof(header))
		return false;
	sector = get_le(header + HEADER_SECTOR, 8);
	switch ((uint32_t)get_le(header + HEADER_TYPE, 4)) {
	case VIRTIO_BLK_T_IN:
		op = BLK_OP_READ;
		bytes = c->in_len - 1;
		break;
	case VIRTIO_BLK_T_OUT:
		op = BLK_OP_WRITE;
		bytes = c->out_len - HEADER_BYTES;
		break;
	case VIRTIO_BLK_T_FLUSH:
		op = BLK_OP_FLUSH;
		b->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint8_t id[VIRTIO_BLK_ID_BYTES] = {0};
		uint64_t room = c->in_len - 1;

		memcpy(id, VIRTIO_BLK_SERIAL, sizeof(VIRTIO_BLK_SERIAL) - 1);
		p->written = (uint32_t)virtq_chain_write(
			c, 0, id, room < sizeof(id) ? (size_t)room : sizeof(id));
		p->status = VIRTIO_BLK_S_OK;
		return false;
	}
	default:
		b->unsupported++;
		p->status = VIRTIO_BLK_S_UNSUPP;
		return false;
	}
	if (op == BLK_OP_READ && !d->is_reading && d->reads_begin != NULL)
		d->reads_begin(d->ctx);
	d->is_reading = op == BLK_OP_READ;
	if (op != BLK_OP_FLUSH) {
		if (bytes != 0 && bytes <= BLK_REQUEST_MAX &&
		    disk_range_ok(b->capacity, sector, bytes) &&
		    !(op == BLK_OP_WRITE && d->is_read_only))
			seg_count = chain_segments(b, c, op == BLK_OP_READ,
						   op == BLK_OP_READ ? 0 : HEADER_BYTES, bytes, i);
		if (seg_count == 0) {
			b->errors++;
			return false;
		}
	}
	slot->op = op;
	slot->sector = op == BLK_OP_FLUSH ? 0 : sector;
	slot->bytes = (uint32_t)bytes;
	slot->seg_count = seg_count;
	slot->status = BLK_STATUS_IOERR;
	__atomic_store_n(&slot->state, BLK_SLOT_SUBMITTED, __ATOMIC_RELEASE);
	d->busy |= UINT32_C(1) << i;
	p->slot = i;
	p->is_done = false;
	return true;
}

/* Take the guest's requests while a slot is free, and tell the driver of those it got. */
static void drive_take(struct virtio_blk *b)
{
	struct virtio_blk_drive *d = b->drive;
	bool is_submitted = false;

	while (d->count < BLK_SLOTS) {
		struct virtio_blk_pending *p = &d->pending[(d->head + d->count) % BLK_SLOTS];
		uint32_t i = free_slot(d);

		if (i == BLK_SLOTS ||
		    virtio_mmio_pop(&b->mmio, REQUEST_QUEUE, &p->chain) != MICA_OK)
			break;
		if (p->chain.in_len == 0) {
			virtio_mmio_needs_reset(&b->mmio);
			break;
		}
		d->count++;
		if (drive_submit(b, p, i))
			is_submitted = true;
	}
	if (is_submitted && d->signal != NULL)
		d->signal(d->ctx);
}

/* Slot i's result into p, and the slot back to the queue. */
static void drive_collect(struct virtio_blk *b, struct virtio_blk_pending *p)
{
	struct virtio_blk_drive *d = b->drive;
	struct blk_slot *slot = &d->table->slots[p->slot];

	p->status = slot->status == BLK_STATUS_OK ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	if (p->status == VIRTIO_BLK_S_OK && slot->op == BLK_OP_READ) {
		/* The device wrote the data into the guest's buffers: all this side asked for. */
		p->written = (uint32_t)(p->chain.in_len - 1);
		b->reads++;
	} else if (p->status == VIRTIO_BLK_S_OK && slot->op == BLK_OP_WRITE) {
		b->writes++;
	} else if (p->status != VIRTIO_BLK_S_OK) {
		b->errors++;
	}
	__atomic_store_n(&slot->state, BLK_SLOT_FREE, __ATOMIC_RELEASE);
	d->busy &= ~(UINT32_C(1) << p->slot);
	p->slot = BLK_SLOTS;
	p->is_done = true;
}

/*
 * Free the stale slots the driver has finished, collect the results of
 * the pending requests' slots, and give the guest back those done in
 * order. Returns whether a slot was freed or a request went back.
 */
static bool drive_publish(struct virtio_blk *b)
{
	struct virtio_blk_drive *d = b->drive;
	bool is_freed = false;

	for (uint32_t i = 0; i < BLK_SLOTS; i++) {
		if ((d->stale >> i & 1) != 0 && slot_state(d, i) != BLK_SLOT_SUBMITTED) {
			__atomic_store_n(&d->table->slots[i].state, BLK_SLOT_FREE,
					 __ATOMIC_RELEASE);
			d->stale &= ~(UINT32_C(1) << i);
			is_freed = true;
		}
	}
	/* The device may still write into the guest's RAM for a stale slot: nothing goes back. */
	if (d->stale != 0)
		return is_freed;
	for (unsigned k = 0; k < d->count; k++) {
		struct virtio_blk_pending *p = &d->pending[(d->head + k) % BLK_SLOTS];

		if (!p->is_done && slot_state(d, p->slot) == BLK_SLOT_DONE)
			drive_collect(b, p);
	}
	while (d->count > 0 && d->pending[d->head].is_done) {
		struct virtio_blk_pending *p = &d->pending[d->head];

		(void)virtq_chain_write(&p->chain, p->chain.in_len - 1, &p->status, 1);
		virtio_mmio_push(&b->mmio, REQUEST_QUEUE, p->chain.head, p->written + 1);
		d->head = (d->head + 1) % BLK_SLOTS;
		d->count--;
		is_freed = true;
	}
	return is_freed;
}

/* Take and give back until neither frees a slot for the other. */
static void drive_run(struct virtio_blk *b)
{
	do
		drive_take(b);
	while (drive_publish(b) && virtio_mmio_is_live(&b->mmio));
}

bool virtio_blk_drive_window(const struct blk_table *table, uint64_t *sectors)
{
	uint32_t state = __atomic_load_n(&table->window.state, __ATOMIC_ACQUIRE);

	*sectors = state == BLK_WINDOW_READY
			   ? __atomic_load_n(&table->window.sectors, __ATOMIC_RELAXED)
			   : 0;
	return state != BLK_WINDOW_PENDING;
}

bool virtio_blk_drive_is_stale(const struct virtio_blk *b)
{
	return b->drive != NULL && b->drive->stale != 0;
}

void virtio_blk_drive_done(struct virtio_blk *b)
{
	if (b->drive != NULL)
		drive_run(b);
}

/*
 * The guest reset the device, or a restarted server took it over: the
 * requests in hand are forgotten, a slot the driver has finished is free
 * at once, and a slot it still has becomes free only once it finishes
 * (until then the guest gets nothing back: drive_publish).
 */
static void drive_forget(void *dev)
{
	struct virtio_blk *b = dev;
	struct virtio_blk_drive *d = b->drive;

	if (d == NULL)
		return;
	for (uint32_t i = 0; i < BLK_SLOTS; i++) {
		uint32_t state = slot_state(d, i);

		if (state == BLK_SLOT_SUBMITTED)
			d->stale |= UINT32_C(1) << i;
		else if (state == BLK_SLOT_DONE)
			__atomic_store_n(&d->table->slots[i].state, BLK_SLOT_FREE,
					 __ATOMIC_RELEASE);
	}
	d->busy = 0;
	d->head = 0;
	d->count = 0;
	/* A last instance may have submitted them and fallen before it said so. */
	if (d->stale != 0 && d->signal != NULL)
		d->signal(d->ctx);
}

/* The RAM disk path ------------------------------------------------------------------- */

static void notify(void *dev, unsigned queue)
{
	struct virtio_blk *b = dev;
	struct virtq_chain *c = &b->chain;

	if (queue != REQUEST_QUEUE)
		return;
	if (b->drive != NULL) {
		drive_run(b);
		return;
	}
	while (virtio_mmio_pop(&b->mmio, REQUEST_QUEUE, c) == MICA_OK) {
		uint64_t written;
		uint8_t status;

		if (c->in_len == 0) {
			virtio_mmio_needs_reset(&b->mmio);
			return;
		}
		status = serve(b, c, &written);
		if (status == VIRTIO_BLK_S_IOERR)
			b->errors++;
		(void)virtq_chain_write(c, c->in_len - 1, &status, 1);
		/* written + 1 <= in_len, which fits in 32 bits (virtqueue.h). */
		virtio_mmio_push(&b->mmio, REQUEST_QUEUE, c->head, (uint32_t)(written + 1));
	}
}

/* What the transport needs of b. */
static struct virtio_dev blk_dev(struct virtio_blk *b)
{
	uint64_t features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;

	if (b->drive != NULL)
		features |= VIRTIO_BLK_F_SIZE_MAX | (b->drive->is_read_only ? VIRTIO_BLK_F_RO : 0);
	return (struct virtio_dev){
		.device_id = VIRTIO_ID_BLOCK,
		.features = features,
		.queue_count = 1,
		.notify = notify,
		.reset = drive_forget,
		.resume = drive_forget,
		.dev = b,
	};
}

static void attach_disk(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
			struct virtio_blk_drive *drive)
{
	b->drive = drive;
	b->disk = drive == NULL ? disk : NULL;
	b->disk_size = b->disk != NULL ? disk_size : 0;
	b->capacity = b->disk_size / VIRTIO_BLK_SECTOR_SIZE;
	if (drive != NULL) {
		b->capacity = drive->sectors;
		b->disk_size = drive->sectors * VIRTIO_BLK_SECTOR_SIZE;
	}
}

void virtio_blk_resume(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
		       struct virtio_blk_drive *drive, const struct guest_mem *mem,
		       const struct virtio_irq *irq)
{
	struct virtio_dev dev;

	attach_disk(b, disk, disk_size, drive);
	dev = blk_dev(b);
	virtio_mmio_resume(&b->mmio, &dev, mem, irq);
}

void virtio_blk_init(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
		     struct virtio_blk_drive *drive, const struct guest_mem *mem,
		     const struct virtio_irq *irq)
{
	struct virtio_dev dev;

	memset(b, 0, sizeof(*b));
	attach_disk(b, disk, disk_size, drive);
	dev = blk_dev(b);
	virtio_mmio_init(&b->mmio, &dev, mem, irq);
	drive_forget(b); /* Slots a last boot of the VM's left with the driver. */
	put_le(b->mmio.config + CONFIG_CAPACITY, b->capacity, 8);
	/*
	 * A chain of the largest queue holds a header, a status byte and the
	 * data; over a drive, the data must fit the driver's chain after its
	 * splits (BLK_GUEST_SEG_MAX).
	 */
	put_le(b->mmio.config + CONFIG_SEG_MAX,
	       drive != NULL ? BLK_GUEST_SEG_MAX : VIRTQ_MAX_SIZE - 2, 4);
	if (drive != NULL)
		put_le(b->mmio.config + CONFIG_SIZE_MAX, BLK_GUEST_SIZE_MAX, 4);
	put_le(b->mmio.config + CONFIG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE, 4);
	b->mmio.config_size = CONFIG_BYTES;
}
