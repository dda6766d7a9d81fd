/*
 * A driver for a virtio-blk device on the virtio-mmio transport, version 2
 * (virtio 1.2 §4.2.2, §5.2), serving the slot tables of <mica/proto/blk.h>.
 * Pure logic: it reaches the device's registers through struct vblk_bus,
 * and its queue and the clients' regions as plain memory, so that host
 * tests run it against a fake device. It makes no system call; the caller
 * signals the clients whose bits it returns.
 *
 * One queue, in the driver's own DMA region: a request is a chain of
 * three descriptors (header, the slot's data, status byte), or two for a
 * flush, and a driver-private table, indexed by the chain's head, says
 * whose slot it is. Nothing the device or a client writes is used as an
 * index without a bounds check.
 */
#ifndef MICA_DRV_VIRTIO_BLK_DRV_H
#define MICA_DRV_VIRTIO_BLK_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/proto/blk.h>

/* The largest queue the driver sets up; the device may offer less. */
#define VBLK_QUEUE_MAX 256u

/*
 * The device's register frame. read and write are 32-bit accesses at a
 * byte offset. A write is ordered after every earlier memory access and a
 * read before every later one, so that the device sees the rings as the
 * driver left them when notified, and the driver sees what the device
 * wrote once it reads InterruptStatus. dma_barrier orders the driver's
 * memory accesses against the device's DMA (a full barrier for the outer
 * shareable domain on AArch64).
 */
struct vblk_bus {
	uint32_t (*read)(void *ctx, uint32_t offset);
	void (*write)(void *ctx, uint32_t offset, uint32_t value);
	void (*dma_barrier)(void *ctx);
	void *ctx;
};

/* Why the device could not be set up. */
enum vblk_init_error {
	VBLK_INIT_OK,
	VBLK_INIT_NOT_VIRTIO,	    /* MagicValue is not "virt". */
	VBLK_INIT_LEGACY,	    /* Version 1: QEMU's legacy transport. */
	VBLK_INIT_BAD_VERSION,	    /* Another version than 1 or 2. */
	VBLK_INIT_NOT_BLOCK,	    /* DeviceID is not 2 (0: no device behind the transport). */
	VBLK_INIT_STUCK_IN_RESET,   /* Status did not read 0 after a reset. */
	VBLK_INIT_NO_VERSION_1,	    /* VIRTIO_F_VERSION_1 not offered. */
	VBLK_INIT_FEATURES_REFUSED, /* FEATURES_OK did not stay set. */
	VBLK_INIT_NO_QUEUE,	    /* Queue 0 is in use, or holds fewer than 4 descriptors. */
};

/* What the driver serves to one client: its part of the disk, in whole sectors. */
struct vblk_client {
	struct blk_table *table;
	uint64_t region_pa;
	uint64_t first_sector;
	uint64_t sector_count; /* Cut to the disk's end if the boot page said more. */
	bool is_read_only;
	uint16_t taken; /* Bit s: slot s is the driver's, in flight on the device. */
};

/* A request on the device, indexed by its chain's head descriptor. */
struct vblk_request {
	bool is_in_flight;
	uint8_t client;
	uint8_t slot;
	uint8_t desc_count;
	uint16_t desc[3];
};

struct vblk_queue_memory; /* The rings, headers and status bytes, in the DMA region. */

struct vblk {
	struct vblk_bus bus;
	struct vblk_queue_memory *queue;
	uint64_t queue_pa;
	uint64_t capacity; /* In sectors. */
	bool has_flush;	   /* The device has a write cache, and VIRTIO_BLK_F_FLUSH. */
	uint16_t queue_size;
	uint16_t avail_idx;  /* The next avail ring entry the driver fills. */
	uint16_t used_idx;   /* The next used ring entry the driver reads. */
	uint16_t free_count; /* free[0, free_count) are the unused descriptors. */
	uint32_t client_count;
	uint32_t next_client;  /* Where the next scan of every client starts, for fairness. */
	uint64_t ignored_used; /* Used entries naming no request in flight (device bugs). */
	uint64_t completed;    /* Requests the device finished. */
	uint16_t free[VBLK_QUEUE_MAX];
	struct vblk_request requests[VBLK_QUEUE_MAX];
	struct vblk_client clients[BLK_MAX_CLIENTS];
};

/*
 * Reset the device, negotiate, set up queue 0 in the boot page's DMA
 * region and start it, and take the clients from the boot page. A reset
 * drops whatever a previous instance left on the device, so a restarted
 * driver starts the same way; its first vblk_serve_all takes every
 * SUBMITTED slot afresh.
 */
__attribute__((warn_unused_result)) enum vblk_init_error
vblk_init(struct vblk *d, const struct blk_boot *boot, const struct vblk_bus *bus);

/* A sentence saying what went wrong, for a message. */
const char *vblk_init_error_text(enum vblk_init_error err);

/*
 * Take client c's submitted slots (and refuse the malformed ones at once),
 * and notify the device if any went on the queue. Returns the clients to
 * signal: bit i for client i.
 */
uint32_t vblk_serve_client(struct vblk *d, uint32_t c);

/* vblk_serve_client for every client, in turn from where the last scan left off. */
uint32_t vblk_serve_all(struct vblk *d);

/*
 * The device's interrupt: acknowledge it, complete every request the
 * device has used, then take the slots that waited for descriptors.
 * Returns the clients to signal.
 */
uint32_t vblk_interrupt(struct vblk *d);

#endif
