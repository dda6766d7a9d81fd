/*
 * Between the two halves of the virtio-blk driver's logic: the device's
 * queue (virtio_blk_drv.c) and the partition table (virtio_blk_parts.c).
 * For those two files alone; the driver's interface is virtio_blk_drv.h.
 */
#ifndef MICA_DRV_VIRTIO_BLK_PARTS_H
#define MICA_DRV_VIRTIO_BLK_PARTS_H

#include <stdint.h>

#include "virtio_blk_drv.h"

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Put a read of bytes (whole sectors, at most VBLK_OWN_PIECE) at sector
 * into the own buffer at offset on the device: the only request on the
 * queue while the driver reads the table.
 */
void vblk_read_own(struct vblk *d, uint64_t sector, uint32_t offset, uint32_t bytes);

/*
 * The driver's own read finished (d->is_own_ok says how): go on reading
 * the table or, with all of it (or an error), resolve every client's part,
 * write the windows and serve. Returns the clients to signal.
 */
uint32_t vblk_own_read_done(struct vblk *d);

#endif
