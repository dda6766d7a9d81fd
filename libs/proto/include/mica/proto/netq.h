/*
 * Network driver servers: the contract between the root task, a network
 * driver server (drv_virtio_net) and the switch it is attached to (the
 * uplink port of vdev_virtio_net's switch, servers/vdev/virtio_net.c).
 *
 * The driver drives one of the machine's network devices, unprivileged, as
 * a block driver does its disk (<mica/proto/blk.h>): the root task maps it
 * the device's registers, gives it the device's interrupt and a DMA region
 * of its own, and shares one queue region with the switch. Frames the
 * switch sends to the outside go out of the device; frames the device
 * receives go into the switch, which sends them on to the guests' ports.
 *
 * The queue region, NETQ_REGION_SIZE bytes, physically contiguous, mapped
 * cacheable in both:
 *
 *   NETQ_TX_RING         struct netq_ring: frames from the switch, to send
 *   NETQ_RX_RING         struct netq_ring: frames received, for the switch
 *   NETQ_TX_DATA + i * NETQ_BUF_SIZE   tx entry i's frame
 *   NETQ_RX_DATA + i * NETQ_BUF_SIZE   rx entry i's frame
 *
 * Each ring has one producer (tx: the switch; rx: the driver) and one
 * consumer. head counts the frames the producer has put, tail those the
 * consumer has taken, both from 0 and wrapping at 2^32; entry n is n %
 * NETQ_SLOTS. The producer writes entry head's frame and length, then
 * stores head + 1 with release order; it may do so while head - tail <
 * NETQ_SLOTS. The consumer, after a load-acquire of head, reads entry
 * tail's length once, checks it (NETQ_FRAME_MIN to NETQ_FRAME_MAX; anything
 * else is dropped), uses the frame, then stores tail + 1 with release
 * order. A head more than NETQ_SLOTS ahead of tail is a broken producer:
 * the consumer takes nothing until it is not. A frame is an Ethernet frame
 * without FCS, starting at its buffer's first byte, with no virtio header.
 *
 * Signals. After putting frames, a producer signals the consumer. Neither
 * producer waits for room: a frame for a full ring is lost, as on a busy
 * wire, so the consumer's signal after taking from a full ring is a
 * courtesy, never something a producer depends on. The driver's
 * notification, bound to its thread: bit NETQ_NTFN_DEVICE is the device's
 * interrupt, NETQ_NTFN_SWITCH the switch. The switch's is its server's
 * notification, bit VDEV_NTFN_UPLINK (<mica/proto/vdev.h>).
 *
 * Restarts. The rings are the root task's and outlive either side. A
 * restarted driver resets its device and goes on from head and tail as it
 * finds them: a frame it had taken but not sent is lost, as on a wire.
 */
#ifndef MICA_PROTO_NETQ_H
#define MICA_PROTO_NETQ_H

#include <stddef.h>
#include <stdint.h>

#define NETQ_REGION_SIZE UINT64_C(0x200000) /* A 2 MiB frame: contiguous. */
#define NETQ_SLOTS	 256u
#define NETQ_BUF_SIZE	 UINT64_C(2048)
#define NETQ_FRAME_MIN	 14u   /* An Ethernet header. */
#define NETQ_FRAME_MAX	 1514u /* With a 1500-byte payload (the switch's MTU). */

#define NETQ_TX_RING UINT64_C(0x0)
#define NETQ_RX_RING UINT64_C(0x800)
#define NETQ_TX_DATA UINT64_C(0x1000)
#define NETQ_RX_DATA (NETQ_TX_DATA + NETQ_SLOTS * NETQ_BUF_SIZE)

struct netq_ring {
	uint32_t head; /* Written by the producer only. */
	uint32_t pad_head[15];
	uint32_t tail; /* Written by the consumer only. */
	uint32_t pad_tail[15];
	uint16_t len[NETQ_SLOTS];
};

_Static_assert(sizeof(struct netq_ring) <= NETQ_RX_RING - NETQ_TX_RING, "a ring fits its place");
_Static_assert(offsetof(struct netq_ring, tail) == 64 && offsetof(struct netq_ring, len) == 128,
	       "a ring's layout is the same in every program");
_Static_assert(NETQ_RX_DATA + NETQ_SLOTS * NETQ_BUF_SIZE <= NETQ_REGION_SIZE,
	       "the buffers fit the region");

/* The driver's notification bits. */
#define NETQ_NTFN_DEVICE (UINT64_C(1) << 0)
#define NETQ_NTFN_SWITCH (UINT64_C(1) << 1)

/* A network driver's capabilities (slot numbers in its own CSpace). */
enum netq_cap {
	NETQ_CAP_NTFN = 1,   /* Its notification, bound to its thread (read). */
	NETQ_CAP_IRQ = 2,    /* The device's IRQHandler, set to signal NETQ_NTFN_DEVICE. */
	NETQ_CAP_SWITCH = 3, /* The switch's notification (write), badged VDEV_NTFN_UPLINK. */
};

#define NETQ_NAME_MAX	48
#define NETQ_BOOT_MAGIC UINT64_C(0x544f4f42514e5444) /* "DTNQBOOT" */
#define NETQ_BOOT_VA	UINT64_C(0x0000007ffe000000) /* The boot page, read-only. */
#define NETQ_DEVICE_VA	UINT64_C(0x0000007ffd000000) /* The device's page. */
#define NETQ_DMA_VA	UINT64_C(0x0000007f00000000) /* Its own DMA region. */
#define NETQ_QUEUE_VA	UINT64_C(0x0000006000000000) /* The queue region. */
#define NETQ_DMA_SIZE	UINT64_C(0x200000)

/* The driver's boot page (address in x0, main's argument). */
struct netq_boot {
	uint64_t magic;
	char name[NETQ_NAME_MAX]; /* The driver's node name in the description. */
	uint64_t device_pa;	  /* The device's registers, physically, */
	uint64_t device_va;	  /*   and mapped (uncached) in the driver. */
	uint32_t intid;		  /* Its interrupt. */
	uint32_t restarts;	  /* How many times the root task restarted the driver. */
	uint64_t dma_va;	  /* NETQ_DMA_SIZE bytes of its own, for its virtqueues */
	uint64_t dma_pa;	  /*   and their buffers. */
	uint64_t queue_va;	  /* The queue region shared with the switch, */
	uint64_t queue_pa;	  /*   and where it is physically. */
	/*
	 * A testing aid: the first instance faults once it has sent and
	 * received this many frames together, frames still on the device
	 * among them (0: never).
	 */
	uint32_t crash_after;
	uint32_t reserved;
};

_Static_assert(sizeof(struct netq_boot) <= 4096, "the boot page is one page");

#endif
