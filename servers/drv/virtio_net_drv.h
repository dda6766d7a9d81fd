/*
 * A driver for a virtio-net device on the virtio-mmio transport, version 2
 * (virtio 1.2 §4.2.2, §5.1), moving frames between it and a switch through
 * the queue region of <mica/proto/netq.h>. Pure logic: it reaches the
 * device's registers through struct vnet_bus, and its virtqueues and the
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

/* The largest queue the driver sets up; the device may offer less. */
#define VNET_QUEUE_MAX 256u
#define VNET_MAC_SIZE  6u
/* A buffer holds the 12-byte virtio-net header and the largest frame, rounded up. */
#define VNET_BUFFER_SIZE 2048u

/*
 * The device's register frame. read and write are 32-bit accesses at a
 * byte offset, read8 an 8-bit read, which the configuration space's byte
 * fields need (§4.2.2.2). A write is ordered after every earlier memory
 * access and a read before every later one, so that the device sees the
 * rings as the driver left them when notified, and the driver sees what
 * the device wrote once it reads InterruptStatus. dma_barrier orders the
 * driver's memory accesses against the device's DMA.
 */
struct vnet_bus {
	uint32_t (*read)(void *ctx, uint32_t offset);
	uint8_t (*read8)(void *ctx, uint32_t offset);
	void (*write)(void *ctx, uint32_t offset, uint32_t value);
	void (*dma_barrier)(void *ctx);
	void *ctx;
};

/* Why the device could not be set up. */
enum vnet_init_error {
	VNET_INIT_OK,
	VNET_INIT_NOT_VIRTIO,	    /* MagicValue is not "virt". */
	VNET_INIT_LEGACY,	    /* Version 1: QEMU's legacy transport. */
	VNET_INIT_BAD_VERSION,	    /* Another version than 1 or 2. */
	VNET_INIT_NOT_NET,	    /* DeviceID is not 1 (0: no device behind the transport). */
	VNET_INIT_STUCK_IN_RESET,   /* Status did not read 0 after a reset. */
	VNET_INIT_NO_VERSION_1,	    /* VIRTIO_F_VERSION_1 not offered. */
	VNET_INIT_FEATURES_REFUSED, /* FEATURES_OK did not stay set. */
	VNET_INIT_NO_QUEUE,	    /* Queue 0 or 1 is in use, or has no descriptors. */
};

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
	struct vnet_bus bus;
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
__attribute__((warn_unused_result)) enum vnet_init_error
vnet_init(struct vnet *d, const struct netq_boot *boot, const struct vnet_bus *bus);

/* A sentence saying what went wrong, for a message. */
const char *vnet_init_error_text(enum vnet_init_error err);

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
