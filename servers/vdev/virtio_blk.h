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

#include <stdbool.h>
#include <stdint.h>

#include <mica/proto/blk.h>

#include "virtio.h"

#define VIRTIO_ID_BLOCK 2u

#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_ID_BYTES    20u
#define VIRTIO_BLK_SERIAL      "mica-disk"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX (UINT64_C(1) << 1)
#define VIRTIO_BLK_F_SEG_MAX  (UINT64_C(1) << 2)
#define VIRTIO_BLK_F_RO	      (UINT64_C(1) << 5)
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

/* A request of the guest's in hand while a block driver does it. */
struct virtio_blk_pending {
	struct virtq_chain chain;
	uint32_t slot;	  /* Its slot in the driver's queue; BLK_SLOTS: answered here. */
	uint32_t written; /* Data bytes written into the chain, once done. */
	uint8_t status;
	bool is_done;
};

/*
 * The disk as a part of a machine's disk, which a block driver server
 * serves (<mica/proto/blk.h>): the queue it shares with the driver, and
 * the guest's requests in flight there, in the order they were taken.
 * Lives in the server's memory, not the recoverable state: a restarted
 * server redoes what was in flight (virtio_blk_resume).
 */
struct virtio_blk_drive {
	struct blk_table *table; /* The shared region: its slot table, */
	struct blk_seg *segs;	 /*   and the slots' segments after it. */
	uint64_t sectors;	 /* The part's size. */
	bool is_read_only;
	bool is_reading;	   /* The last request taken was a read. */
	void (*signal)(void *ctx); /* "Look at my slots", to the driver. */
	/* NULL, or a read is taken after a write, a flush or nothing: a run of reads begins. */
	void (*reads_begin)(void *ctx);
	void *ctx;
	uint32_t busy;	/* Slots a pending request holds. */
	uint32_t stale; /* Slots the driver still has from a last instance or boot. */
	unsigned head, count;
	struct virtio_blk_pending pending[BLK_SLOTS];
};

struct virtio_blk {
	struct virtio_mmio mmio;
	struct virtio_blk_drive *drive; /* NULL: the disk is disk's bytes. */
	uint8_t *disk;
	uint64_t disk_size;
	uint64_t capacity; /* In sectors. */
	uint64_t reads, writes, flushes, errors, unsupported;
	struct virtq_chain chain; /* The request being served. */
};

/*
 * Set up b over the disk_size bytes at disk (read-write), or over drive
 * when it is not NULL (disk is then ignored), reaching guest memory
 * through mem and raising its line through irq.
 *
 * Over a drive, a request becomes a slot of the driver's queue: its data
 * stays in the guest's buffers, which the slot names as guest-physical
 * segments for the device to reach by DMA, and up to BLK_SLOTS requests
 * are in flight. The guest's requests complete in the order they were
 * taken, whatever order the driver finishes them in, so the queue resumes
 * after a restart as virtq_resume requires. A write to a read-only part
 * (offered as VIRTIO_BLK_F_RO) fails with IOERR.
 */
void virtio_blk_init(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
		     struct virtio_blk_drive *drive, const struct guest_mem *mem,
		     const struct virtio_irq *irq);

/*
 * A drive's size as its driver published it in the queue's window
 * (<mica/proto/blk.h>): true once the driver has written it, with
 * *sectors the part's size, or 0 if the driver could not resolve it.
 */
bool virtio_blk_drive_window(const struct blk_table *table, uint64_t *sectors);

/*
 * Whether the driver still has requests of b's from before a reset or a
 * restart (stale slots): until it finishes them, the device may write
 * into the guest's RAM for them, and b gives the guest nothing back.
 */
bool virtio_blk_drive_is_stale(const struct virtio_blk *b);

/*
 * The driver finished some of b's requests (its signal): each done slot's
 * result goes to its request, and the requests done in order go back to
 * the guest; then more of the guest's requests are taken.
 */
void virtio_blk_drive_done(struct virtio_blk *b);

/*
 * A restarted server takes over b from the state its last instance left
 * (b lives in the device's recoverable state): the disk and the transport
 * are attached again, and requests in flight are redone (virtio_mmio_resume;
 * every request this device serves has the same effect done twice). The
 * disk must be the same one, which the root task keeps across restarts.
 * Over a drive, the slots the last instance left with the driver are
 * stale: each is used again only once the driver has finished it.
 */
void virtio_blk_resume(struct virtio_blk *b, uint8_t *disk, uint64_t disk_size,
		       struct virtio_blk_drive *drive, const struct guest_mem *mem,
		       const struct virtio_irq *irq);

#endif
