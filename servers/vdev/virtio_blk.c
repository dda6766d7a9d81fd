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

/* The disk's bytes for len bytes at sector, or NULL if out of range. */
static uint8_t *disk_range(const struct virtio_blk *b, uint64_t sector, uint64_t len)
{
	if (len % VIRTIO_BLK_SECTOR_SIZE != 0 || sector > b->capacity ||
	    len / VIRTIO_BLK_SECTOR_SIZE > b->capacity - sector)
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

static void notify(void *dev, unsigned queue)
{
	struct virtio_blk *b = dev;
	struct virtq_chain *c = &b->chain;

	if (queue != REQUEST_QUEUE)
		return;
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
	return (struct virtio_dev){
		.device_id = VIRTIO_ID_BLOCK,
		.features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH,
		.queue_count = 1,
		.notify = notify,
		.reset = NULL,
		.dev = b,
	};
}

static void attach_disk(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size)
{
	b->disk = disk;
	b->disk_size = disk != NULL ? disk_size : 0;
	b->capacity = b->disk_size / VIRTIO_BLK_SECTOR_SIZE;
}

void virtio_blk_resume(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
		       const struct guest_mem *mem, const struct virtio_irq *irq)
{
	const struct virtio_dev dev = blk_dev(b);

	attach_disk(b, disk, disk_size);
	virtio_mmio_resume(&b->mmio, &dev, mem, irq);
}

void virtio_blk_init(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
		     const struct guest_mem *mem, const struct virtio_irq *irq)
{
	const struct virtio_dev dev = blk_dev(b);

	memset(b, 0, sizeof(*b));
	attach_disk(b, disk, disk_size);
	virtio_mmio_init(&b->mmio, &dev, mem, irq);
	put_le(b->mmio.config + CONFIG_CAPACITY, b->capacity, 8);
	put_le(b->mmio.config + CONFIG_SEG_MAX, VIRTQ_MAX_SIZE - 2, 4);
	put_le(b->mmio.config + CONFIG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE, 4);
	b->mmio.config_size = CONFIG_BYTES;
}
