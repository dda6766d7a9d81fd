/*
 * A virtio network device (virtio 1.2 §5.1, device ID 1) whose devices are
 * the ports of one Ethernet switch: a frame one port's guest
 * transmits goes to the receive buffers of the port (or ports) the switch
 * sends it to. Pure logic on the virtio-mmio transport (virtio.h); the
 * server keeps one switch and attaches every device it serves to it, each
 * on the port of its index.
 *
 * The device. Queue 0 is the receiveq, queue 1 the transmitq (one pair,
 * no control queue). Offered: VIRTIO_NET_F_MAC (the configuration space
 * holds the port's address), VIRTIO_NET_F_STATUS (the link is always
 * up) and VIRTIO_NET_F_MTU (1500, so that a driver keeps to frames the
 * switch carries); no checksum offload, no segmentation, no mergeable
 * receive buffers, no control queue (so no receive filters: a port gets
 * every frame the switch sends it).
 * Every buffer starts with the 12-byte virtio_net_hdr of version 1
 * (§5.1.6, num_buffers included): on transmit the device skips it, on
 * receive it writes zeros with num_buffers 1. Without mergeable buffers a
 * receive chain must hold the header and the whole frame.
 *
 * Frames are Ethernet frames without FCS, 14 to 1514 bytes. A transmitted
 * chain whose frame is shorter or longer is completed and counted
 * (tx_errors), and goes nowhere.
 *
 * The switch. Every port has its address (virtio_net_mac), which the
 * switch knows: it learns nothing, so no guest can take another's frames
 * by sending from its address, nor make the switch flood them by filling
 * a table. A port sends from its own address only: a frame from any other
 * source is completed and goes nowhere (tx_spoofed); a guest that changes
 * its address cannot send. Each frame goes, copied once from the sender's
 * transmit buffers straight into a receive chain of each destination's
 * guest:
 *   - unicast: to the other attached port with that address, else nowhere
 *     (counted as unknown);
 *   - broadcast and multicast: to every other attached port, one copy each
 *     (counted as flooded).
 * A transmit turn takes at most as many chains as the queue holds
 * (is_tx_more says chains may be left; the server calls
 * virtio_net_transmit_more after what else waits), so that one guest
 * keeping its queue full cannot hold the server from the others. A destination
 * with no receive chain posted (or no driver running) loses the frame
 * (rx_no_buffer); one whose chain is too small for it gets the chain back
 * empty, length 0 (rx_too_small). Nothing waits: a switch without queues
 * never holds a guest's buffer, nor the server's memory, for another.
 *
 * Restarts. A port lives in the device's recoverable state, the switch in
 * the server. A restarted server attaches
 * every port before any transmits: resuming a port (virtio_net_resume)
 * leaves the transmits it redoes waiting, and virtio_net_switch_start,
 * once every port is back, sends them. A transmit chain is recorded as
 * being sent before its frame goes to any port, and completed after: one
 * taken again after a crash in between is completed without being sent
 * again. So a frame in flight at a crash reaches each destination at most
 * once (some may miss it, as a frame lost on a wire), every chain of
 * either queue is completed exactly once (virtio_mmio_resume resumes each
 * queue at the used idx the driver sees), and no queue waits for a
 * completion that never comes.
 */
#ifndef MICA_VDEV_VIRTIO_NET_H
#define MICA_VDEV_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/proto/netq.h>

#include "virtio.h"

#define VIRTIO_ID_NET	   1u
#define VIRTIO_NET_RX	   0u
#define VIRTIO_NET_TX	   1u
#define VIRTIO_NET_HDR_LEN 12u /* struct virtio_net_hdr, version 1 (§5.1.6). */

/* Feature bits (§5.1.3) and the link status (§5.1.4). */
#define VIRTIO_NET_F_MTU     (UINT64_C(1) << 3)
#define VIRTIO_NET_F_MAC     (UINT64_C(1) << 5)
#define VIRTIO_NET_F_STATUS  (UINT64_C(1) << 16)
#define VIRTIO_NET_S_LINK_UP 1u

/* The configuration space (§5.1.4): mac[6], status, max_virtqueue_pairs, mtu; le16 each. */
#define VIRTIO_NET_CONFIG_MAC  0u
#define VIRTIO_NET_CONFIG_STAT 6u
#define VIRTIO_NET_CONFIG_MTU  10u

#define VIRTIO_NET_MAC_LEN   6u
#define VIRTIO_NET_ETH_HLEN  14u   /* Destination, source, EtherType. */
#define VIRTIO_NET_MTU	     1500u /* The largest payload. */
#define VIRTIO_NET_FRAME_MAX (VIRTIO_NET_ETH_HLEN + VIRTIO_NET_MTU) /* 1514 bytes. */

#define VIRTIO_NET_PORTS   16u	 /* Ports of the switch: one per device of the server. */
#define VIRTIO_NET_NO_PORT 0xffu /* No port has the address. */

/*
 * The transmit chain the port is sending, at the place in its queue whose
 * used idx, once stored, completes it. Valid only while is_set.
 */
struct virtio_net_flight {
	bool is_set;
	uint16_t used_idx;
};

/* What a port counts (kept across restarts with the port). */
struct virtio_net_counts {
	uint64_t tx_frames, tx_bytes; /* Frames it sent into the switch. */
	uint64_t tx_errors;	      /* Chains without a valid frame: completed, not sent. */
	uint64_t tx_spoofed;	      /* Frames from another source address: completed, not sent. */
	uint64_t rx_frames, rx_bytes; /* Frames delivered into its receive chains. */
	uint64_t rx_no_buffer;	      /* Frames for it lost: no usable receive chain. */
	uint64_t rx_too_small;	      /* Frames for it lost: the chain could not hold them. */
};

struct virtio_net_switch;

/*
 * One port: a virtio-net device. The whole struct is meant to live in the
 * device's recoverable state; sw is attached again on resume.
 */
struct virtio_net {
	struct virtio_mmio mmio;
	struct virtio_net_switch *sw;
	uint8_t port;
	uint8_t mac[VIRTIO_NET_MAC_LEN]; /* Its own: the one source address it may send from. */
	bool is_tx_waiting; /* Notified before the switch started: to send at its start. */
	bool is_tx_more;    /* Its last turn ended with chains perhaps left: call again. */
	struct virtio_net_flight tx_flight;
	struct virtio_net_counts counts;
};

/*
 * The switch's way out: a network driver's queue region
 * (<mica/proto/netq.h>), the switch the producer of tx and the consumer
 * of rx. A unicast frame for no port's address goes out through it, and a
 * broadcast or multicast one too; a frame that comes in goes to the port
 * with its destination address, or to every port. A frame for a full tx
 * ring is lost (tx_full), as on a busy wire. signal tells the driver
 * (frames put, or room made in a full rx ring), once a turn, and once when
 * the switch starts, for what a last instance put and did not signal. An
 * rx entry is given back (tail) once sent on to the ports, so a restarted
 * switch sends again only the frame it was sending at the crash: unlike a
 * guest's, that one may reach a port twice.
 *
 * Shares. Each attached port may have at most NETQ_SLOTS / (ports
 * attached) frames on the tx ring: past that its frame is lost
 * (tx_over_share), so that a guest that floods the way out fills its own
 * share and never the others'. The switch remembers which port put each
 * entry and gives the share back as the driver takes it (tail passes it).
 * The entries a last instance put are nobody's: tracking starts at the
 * head the switch first finds. All but the pointers are zero to begin with.
 */
struct virtio_net_uplink {
	struct netq_ring *tx, *rx;
	uint8_t *tx_data, *rx_data;
	void (*signal)(void *ctx);
	void *ctx;
	bool is_signal_due;
	bool is_tracking;		    /* reclaimed is set: the entries from it are tracked. */
	uint32_t reclaimed;		    /* The tx entries before it have their shares back. */
	uint8_t tx_owner[NETQ_SLOTS];	    /* The port that put each tx entry. */
	uint16_t tx_held[VIRTIO_NET_PORTS]; /* Each port's entries on the tx ring. */
	uint64_t tx_frames;		    /* Frames put on the tx ring. */
	uint64_t tx_full;		    /* Frames for the outside lost: the ring was full. */
	uint64_t tx_over_share;		    /* Lost: their port had its share on the ring. */
	uint64_t rx_frames;		    /* Frames from the outside taken. */
	uint64_t rx_errors;		    /* Entries whose length is no frame's: dropped. */
	uint64_t rx_broken; /* Times the rx ring's head was past any the ring can hold. */
};

/*
 * The switch: the ports attached to it, its way out (NULL: none), its
 * counts, and the two chains being worked on (scratch, not state). It
 * lives in the server's memory, not in any device's state.
 */
struct virtio_net_switch {
	struct virtio_net *ports[VIRTIO_NET_PORTS];
	struct virtio_net_uplink *uplink;
	bool is_started;  /* Every port is attached: transmits go. */
	uint64_t unicast; /* Frames sent to the one port whose address is their destination. */
	uint64_t flooded; /* Broadcast and multicast frames, sent to every other port. */
	uint64_t unknown; /* Unicast frames for no port's address, with no way out: dropped. */
	struct virtq_chain tx_chain, rx_chain;
};

/*
 * The address of device port of VM vm_index, deterministic and locally
 * administered: 02:6d:69:63:VM:PORT (the bytes after the first spell
 * "mic"), the low bytes of each number.
 */
void virtio_net_mac(uint32_t vm_index, unsigned port, uint8_t mac[VIRTIO_NET_MAC_LEN]);

/*
 * Send the chains left on n's transmitq after its last turn (is_tx_more):
 * a turn takes at most as many chains as the queue holds, so that a guest
 * that keeps its queue full holds the server for a turn, not for ever.
 */
void virtio_net_transmit_more(struct virtio_net *n);

/* An empty switch, not started, no port attached; its way out uplink (NULL: none). */
void virtio_net_switch_init(struct virtio_net_switch *sw, struct virtio_net_uplink *uplink);

/*
 * Every port is attached: transmits go from now on, first those the ports
 * were notified of while the switch waited. Does nothing the second time.
 */
void virtio_net_switch_start(struct virtio_net_switch *sw);

/*
 * The uplink's rx ring has frames: send each where it goes (none before
 * the switch has started: they wait in the ring).
 */
void virtio_net_uplink_receive(struct virtio_net_switch *sw);

/* Port goes away (its VM ended): nothing more is sent to it, and its addresses are forgotten. */
void virtio_net_switch_detach(struct virtio_net_switch *sw, unsigned port);

/*
 * Set up n in its reset state as port (below VIRTIO_NET_PORTS) of sw, with
 * address mac, reaching its guest's memory through mem and raising its
 * line through irq; it is attached to sw at once.
 */
void virtio_net_init(struct virtio_net *n, struct virtio_net_switch *sw, unsigned port,
		     const uint8_t mac[VIRTIO_NET_MAC_LEN], const struct guest_mem *mem,
		     const struct virtio_irq *irq);

/*
 * A restarted server takes over n from the state its last instance left,
 * attaching it to sw (a new switch) on the port it had: the transport as
 * the driver left it, the transmit chain in flight settled (see the top),
 * and the transmits to redo waiting for virtio_net_switch_start.
 */
void virtio_net_resume(struct virtio_net *n, struct virtio_net_switch *sw,
		       const struct guest_mem *mem, const struct virtio_irq *irq);

#endif
