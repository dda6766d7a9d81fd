/*
 * A driver for a virtio-net device on the virtio-mmio transport, version 2
 * (virtio 1.2 §4.2.2, §5.1), moving frames between it and a switch through
 * the queue region of <mica/proto/netq.h>. Pure logic: it reaches the
 * device's registers through struct vdrv_bus, and its virtqueues and the
 * queue region as plain memory, so that host tests run it against a fake
 * device. It makes no system call; the caller signals the switch when told.
 *
 * Two queues in the driver's own DMA region, receiveq (0) and transmitq
 * (1), each with one 2 KiB buffer per descriptor: a frame is one
 * descriptor, the 12-byte virtio-net header then the frame, copied between
 * the buffer and the queue region. Nothing the device or the switch writes
 * is used as an index or a length without a bounds check.
 */
#ifndef MICA_DRV_VIRTIO_NET_DRV_H
#define MICA_DRV_VIRTIO_NET_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/proto/netq.h>

#include "virtio_drv.h"

/* The largest queue the driver sets up; the device may offer less. */
#define VNET_QUEUE_MAX 256u
#define VNET_MAC_SIZE  6u
/* A buffer holds the 12-byte virtio-net header and the largest frame, rounded up. */
#define VNET_BUFFER_SIZE 2048u

struct vnet_virtq; /* A queue's rings, in the DMA region. */

/*
 * One virtqueue: descriptor i always points at buffer i, which is the
 * device's from when it is posted until the device uses it (is_on_device).
 */
struct vnet_queue {
	struct vnet_virtq *rings;
	uint8_t *buffers;    /* VNET_QUEUE_MAX buffers of VNET_BUFFER_SIZE, */
	uint64_t buffers_pa; /*   and where they are physically. */
	uint16_t index;	     /* The queue's number on the device. */
	uint16_t size;	     /* A power of two, at most VNET_QUEUE_MAX. */
	uint16_t avail_idx;  /* The next avail ring entry the driver fills. */
	uint16_t used_idx;   /* The next used ring entry the driver reads. */
	bool is_on_device[VNET_QUEUE_MAX];
};

/* What happened to frames, for tests and debugging. */
struct vnet_counts {
	uint64_t sent;		 /* Frames the device took from the transmitq. */
	uint64_t received;	 /* Frames put on the rx ring. */
	uint64_t tx_bad_length;	 /* tx ring entries outside [NETQ_FRAME_MIN, NETQ_FRAME_MAX]. */
	uint64_t tx_ring_broken; /* Times the tx ring's head was too far ahead: nothing taken. */
	uint64_t rx_bad_length;	 /* Received frames outside those bounds, or their buffer. */
	uint64_t rx_ring_full;	 /* Received frames dropped for want of room on the rx ring. */
	uint64_t ignored_used;	 /* Used entries naming no buffer the device held. */
};

struct vnet {
	struct vdrv_bus bus;
	struct netq_ring *tx_ring; /* From the switch. */
	struct netq_ring *rx_ring; /* To the switch. */
	uint8_t *queue_region;
	bool has_mac;
	uint8_t mac[VNET_MAC_SIZE];
	struct vnet_queue receiveq;
	struct vnet_queue transmitq;
	uint16_t tx_free_count; /* tx_free[0, tx_free_count) are the free transmit buffers. */
	uint16_t tx_free[VNET_QUEUE_MAX];
	struct vnet_counts counts;
};

/*
 * Reset the device, negotiate, set up both queues in the boot page's DMA
 * region, fill the receiveq and start the device. The reset drops whatever
 * a previous instance left on the device, so a restarted driver starts the
 * same way, from the rings' head and tail as it finds them.
 */
__attribute__((warn_unused_result)) enum vdrv_error
vnet_init(struct vnet *d, const struct netq_boot *boot, const struct vdrv_bus *bus);

/* A sentence saying what went wrong, for a message. */
const char *vnet_init_error_text(enum vdrv_error err);

/*
 * Take the frames the switch put on the tx ring, as long as transmit
 * buffers are free, onto the transmitq, and notify the device once.
 * Returns whether the switch must be signalled: it may be waiting for room.
 */
bool vnet_serve_switch(struct vnet *d);

/*
 * The device's interrupt: acknowledge it, put the frames received on the
 * rx ring and give their buffers back to the device, free the transmit
 * buffers the device is done with, then take more frames from the switch.
 * Returns whether the switch must be signalled.
 */
bool vnet_interrupt(struct vnet *d);

#endif
