/*
 * A virtio block device (virtio 1.2 §5.2, device ID 2) over an in-memory
 * disk: one request queue, requests IN, OUT, FLUSH and GET_ID. Pure logic
 * on the virtio-mmio transport (virtio.h).
 *
 * Offered: VIRTIO_BLK_F_SEG_MAX (a chain may hold VIRTQ_MAX_SIZE - 2 data
 * buffers), VIRTIO_BLK_F_BLK_SIZE (512) and VIRTIO_BLK_F_FLUSH. Capacity
 * is the disk's size in 512-byte sectors, rounded down: a partial last
 * sector is not reachable.
 */
#ifndef MICA_VDEV_VIRTIO_BLK_H
#define MICA_VDEV_VIRTIO_BLK_H

#include <stdint.h>

#include "virtio.h"

#define VIRTIO_ID_BLOCK 2u

#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_ID_BYTES    20u
#define VIRTIO_BLK_SERIAL      "mica-disk"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX  (UINT64_C(1) << 2)
#define VIRTIO_BLK_F_BLK_SIZE (UINT64_C(1) << 6)
#define VIRTIO_BLK_F_FLUSH    (UINT64_C(1) << 9)

/* Request types and status values (§5.2.6). */
#define VIRTIO_BLK_T_IN	    0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_S_OK	    0u
#define VIRTIO_BLK_S_IOERR  1u
#define VIRTIO_BLK_S_UNSUPP 2u

struct virtio_blk {
	struct virtio_mmio mmio;
	uint8_t *disk;
	uint64_t disk_size;
	uint64_t capacity; /* In sectors. */
	uint64_t reads, writes, flushes, errors, unsupported;
	struct virtq_chain chain; /* The request being served. */
};

/*
 * Set up b over the disk_size bytes at disk (read-write), reaching guest
 * memory through mem and raising its line through irq.
 */
void virtio_blk_init(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
		     const struct guest_mem *mem, const struct virtio_irq *irq);

/*
 * A restarted server takes over b from the state its last instance left
 * (b lives in the device's recoverable state): the disk and the transport
 * are attached again, and requests in flight are redone (virtio_mmio_resume;
 * every request this device serves has the same effect done twice). The
 * disk must be the same one, which the root task keeps across restarts.
 */
void virtio_blk_resume(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
		       const struct guest_mem *mem, const struct virtio_irq *irq);

#endif
