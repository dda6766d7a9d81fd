/*
 * The virtio network device and its switch (see virtio_net.h).
 *
 * Transmit: each chain on a port's transmitq is one frame, the chain's
 * readable bytes after the 12-byte header (writable buffers in it are
 * ignored); the chain is completed with length 0 whether the frame went
 * anywhere or not. The frame's addresses are read from guest memory once,
 * and the switch decides on that copy, which is also what the destinations
 * receive (the sender can change its buffer meanwhile, so the rest of the
 * frame is whatever it holds as it is copied).
 *
 * Receive: a frame for a port takes the next chain of its receiveq,
 * writes the header and the frame into its writable buffers, and completes
 * it with their length. A chain that cannot hold them both is completed
 * with length 0 (Linux's driver counts that as a length error and posts
 * the buffer again). Nothing is queued in the server: a frame that finds
 * no chain is lost for that port, as on a wire with no one listening.
 *
 * Both queues complete their chains in the order they take them, one at a
 * time, each published before the next is taken: what virtio_mmio_resume
 * needs to redo a restarted server's work in flight (virtqueue.h). A
 * receive chain taken but not completed at a crash is simply taken again
 * for the next frame.
 */
#include "virtio_net.h"

#include <string.h>

#define ETH_ADDRS_LEN	12u /* Destination, then source MAC. */
#define HDR_NUM_BUFFERS 10u /* le16 num_buffers in the header. */
#define CONFIG_BYTES	12u /* mac, status, max_virtqueue_pairs, mtu. */
#define MAC_MULTICAST	1u  /* The I/G bit of the first byte. */

_Static_assert(ETH_ADDRS_LEN == 2 * VIRTIO_NET_MAC_LEN, "two addresses");
_Static_assert(VIRTIO_NET_PORTS < VIRTIO_NET_NO_PORT, "a port number is not VIRTIO_NET_NO_PORT");

/*
 * Keep the stores to the state on either side in program order: a crash
 * is a fault of this thread, so the state it leaves is what program order
 * had stored by then, and only the compiler could reorder them.
 */
static void crash_barrier(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static bool is_multicast(const uint8_t *mac)
{
	return (mac[0] & MAC_MULTICAST) != 0;
}

void virtio_net_mac(uint32_t vm_index, unsigned port, uint8_t mac[VIRTIO_NET_MAC_LEN])
{
	mac[0] = 0x02; /* Locally administered, unicast. */
	mac[1] = 'm';
	mac[2] = 'i';
	mac[3] = 'c';
	mac[4] = (uint8_t)vm_index;
	mac[5] = (uint8_t)port;
}

/* The port attached with address mac; VIRTIO_NET_NO_PORT if none. */
static uint8_t port_of(const struct virtio_net_switch *sw, const uint8_t *mac)
{
	for (unsigned p = 0; p < VIRTIO_NET_PORTS; p++)
		if (sw->ports[p] != NULL && memcmp(sw->ports[p]->mac, mac, VIRTIO_NET_MAC_LEN) == 0)
			return (uint8_t)p;
	return VIRTIO_NET_NO_PORT;
}

/* Delivery. */

/*
 * A frame being switched: where it is (in the sender's chain, or flat in
 * an uplink buffer), and its addresses as decided on.
 */
struct frame {
	const struct virtq_chain *chain;
	const uint8_t *flat;
	uint32_t len; /* Ethernet bytes, after the header. */
	uint8_t addrs[ETH_ADDRS_LEN];
};

/*
 * Copy f into to's writable buffers after the header: the addresses from
 * the switch's copy, the rest straight from where the frame is, so that
 * each byte is copied once.
 */
static void copy_frame(const struct virtq_chain *to, const struct frame *f)
{
	uint64_t skip = VIRTIO_NET_HDR_LEN + ETH_ADDRS_LEN;
	uint64_t at = skip, left = f->len - ETH_ADDRS_LEN;

	(void)virtq_chain_write(to, VIRTIO_NET_HDR_LEN, f->addrs, ETH_ADDRS_LEN);
	if (f->flat != NULL) {
		(void)virtq_chain_write(to, at, f->flat + ETH_ADDRS_LEN, (size_t)left);
		return;
	}
	for (unsigned i = 0; i < f->chain->out_count && left > 0; i++) {
		const struct virtq_buf *b = &f->chain->bufs[i];
		uint64_t n;

		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		n = b->len - skip;
		if (n > left)
			n = left;
		(void)virtq_chain_write(to, at, b->host + skip, (size_t)n);
		at += n;
		left -= n;
		skip = 0;
	}
}

/* Put f into the next receive chain of port to, or count why it cannot go. */
static void deliver(struct virtio_net_switch *sw, struct virtio_net *to, const struct frame *f)
{
	static const uint8_t header[VIRTIO_NET_HDR_LEN] = {[HDR_NUM_BUFFERS] = 1};
	struct virtq_chain *c = &sw->rx_chain;
	uint32_t len = VIRTIO_NET_HDR_LEN + f->len;

	if (virtio_mmio_pop(&to->mmio, VIRTIO_NET_RX, c) != MICA_OK) {
		to->counts.rx_no_buffer++;
		return;
	}
	if (c->in_len < len) {
		to->counts.rx_too_small++;
		virtio_mmio_push(&to->mmio, VIRTIO_NET_RX, c->head, 0);
		return;
	}
	(void)virtq_chain_write(c, 0, header, sizeof(header));
	copy_frame(c, f);
	to->counts.rx_frames++;
	to->counts.rx_bytes += f->len;
	virtio_mmio_push(&to->mmio, VIRTIO_NET_RX, c->head, len);
}

/* The uplink ---------------------------------------------------------------------------- */

static uint32_t ring_load(const uint32_t *index)
{
	return __atomic_load_n(index, __ATOMIC_ACQUIRE);
}

/*
 * Give back the shares of the tx entries the driver took, those before
 * tail. The first time, tracking starts at head: the entries before it are
 * a last instance's, nobody's. A tail outside [reclaimed, head] is a
 * broken driver's, and gives nothing back.
 */
static void reclaim(struct virtio_net_uplink *u, uint32_t head, uint32_t tail)
{
	if (!u->is_tracking) {
		u->reclaimed = head;
		u->is_tracking = true;
	}
	if (tail - u->reclaimed > head - u->reclaimed)
		return;
	for (; u->reclaimed != tail; u->reclaimed++) {
		uint8_t port = u->tx_owner[u->reclaimed % NETQ_SLOTS];

		if (port < VIRTIO_NET_PORTS && u->tx_held[port] > 0)
			u->tx_held[port]--;
	}
}

/* How many tx entries each port may have: the ring shared by the ports attached. */
static uint32_t tx_share(const struct virtio_net_switch *sw)
{
	uint32_t attached = 0;

	for (unsigned p = 0; p < VIRTIO_NET_PORTS; p++)
		attached += sw->ports[p] != NULL;
	return attached == 0 ? NETQ_SLOTS : NETQ_SLOTS / attached;
}

/* Put f, from port from's chain, on the uplink's tx ring, or count it lost. */
static void send_out(struct virtio_net_switch *sw, const struct frame *f, unsigned from)
{
	struct virtio_net_uplink *u = sw->uplink;
	uint32_t head = u->tx->head, tail = ring_load(&u->tx->tail);
	uint8_t *at;

	reclaim(u, head, tail);
	if (head - tail >= NETQ_SLOTS) {
		u->tx_full++;
		return;
	}
	if (from >= VIRTIO_NET_PORTS || u->tx_held[from] >= tx_share(sw)) {
		u->tx_over_share++;
		return;
	}
	at = u->tx_data + (uint64_t)(head % NETQ_SLOTS) * NETQ_BUF_SIZE;
	memcpy(at, f->addrs, ETH_ADDRS_LEN);
	(void)virtq_chain_read(f->chain, VIRTIO_NET_HDR_LEN + ETH_ADDRS_LEN, at + ETH_ADDRS_LEN,
			       f->len - ETH_ADDRS_LEN);
	u->tx->len[head % NETQ_SLOTS] = (uint16_t)f->len;
	u->tx_owner[head % NETQ_SLOTS] = (uint8_t)from;
	u->tx_held[from]++;
	__atomic_store_n(&u->tx->head, head + 1, __ATOMIC_RELEASE);
	u->tx_frames++;
	u->is_signal_due = true;
}

/* Tell the driver of what this turn put or made room for. */
static void signal_uplink(struct virtio_net_switch *sw)
{
	struct virtio_net_uplink *u = sw->uplink;

	if (u == NULL || !u->is_signal_due)
		return;
	u->is_signal_due = false;
	if (u->signal != NULL)
		u->signal(u->ctx);
}

/* Send f where its destination says: a port, every port but from, or out. */
static void forward(struct virtio_net_switch *sw, const struct frame *f, unsigned from)
{
	const uint8_t *dst = f->addrs;
	bool is_from_outside = f->flat != NULL;
	uint8_t port;

	if (!is_multicast(dst)) {
		port = port_of(sw, dst);
		if (port != VIRTIO_NET_NO_PORT && port != from) {
			sw->unicast++;
			deliver(sw, sw->ports[port], f);
		} else if (port == VIRTIO_NET_NO_PORT && sw->uplink != NULL && !is_from_outside) {
			send_out(sw, f, from);
		} else {
			sw->unknown++; /* Nobody else has that address: nobody gets it. */
		}
		return;
	}
	sw->flooded++;
	for (unsigned p = 0; p < VIRTIO_NET_PORTS; p++)
		if (p != from && sw->ports[p] != NULL)
			deliver(sw, sw->ports[p], f);
	if (sw->uplink != NULL && !is_from_outside)
		send_out(sw, f, from);
}

void virtio_net_uplink_receive(struct virtio_net_switch *sw)
{
	struct virtio_net_uplink *u = sw->uplink;
	uint32_t head, tail;

	if (u == NULL || !sw->is_started)
		return;
	head = ring_load(&u->rx->head);
	tail = u->rx->tail;
	if (head - tail > NETQ_SLOTS) {
		u->rx_broken++;
		return;
	}
	if (head - tail == NETQ_SLOTS)
		u->is_signal_due = true; /* The driver may be waiting for room. */
	/*
	 * Each entry is given back as soon as it is sent on: a restarted
	 * switch sends again only the one it was sending at a crash, and the
	 * driver has room sooner.
	 */
	while (tail != head) {
		struct frame f = {.flat = u->rx_data +
					  (uint64_t)(tail % NETQ_SLOTS) * NETQ_BUF_SIZE};
		uint16_t len = __atomic_load_n(&u->rx->len[tail % NETQ_SLOTS], __ATOMIC_RELAXED);

		if (len < NETQ_FRAME_MIN || len > NETQ_FRAME_MAX) {
			u->rx_errors++;
		} else {
			f.len = len;
			memcpy(f.addrs, f.flat, ETH_ADDRS_LEN);
			u->rx_frames++;
			forward(sw, &f, VIRTIO_NET_NO_PORT);
		}
		tail++;
		__atomic_store_n(&u->rx->tail, tail, __ATOMIC_RELEASE);
	}
	signal_uplink(sw);
}

/* Switch the frame of from's chain c: learn its source, then send it where it goes. */
static void switch_frame(struct virtio_net_switch *sw, struct virtio_net *from,
			 const struct virtq_chain *c)
{
	struct frame f = {.chain = c};
	const uint8_t *src = f.addrs + VIRTIO_NET_MAC_LEN;

	if (from->port >= VIRTIO_NET_PORTS || sw->ports[from->port] != from)
		return; /* Not on the switch (its VM ended): its frames go nowhere. */
	if (c->out_len < VIRTIO_NET_HDR_LEN + VIRTIO_NET_ETH_HLEN ||
	    c->out_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX) {
		from->counts.tx_errors++;
		return;
	}
	f.len = (uint32_t)(c->out_len - VIRTIO_NET_HDR_LEN);
	(void)virtq_chain_read(c, VIRTIO_NET_HDR_LEN, f.addrs, ETH_ADDRS_LEN);
	/* A port sends from its own address only: no guest takes another's frames. */
	if (memcmp(src, from->mac, VIRTIO_NET_MAC_LEN) != 0) {
		from->counts.tx_spoofed++;
		return;
	}
	from->counts.tx_frames++;
	from->counts.tx_bytes += f.len;
	forward(sw, &f, from->port);
}

/* The transmit chain recorded is completed. */
static void land(struct virtio_net_flight *f)
{
	crash_barrier();
	f->is_set = false;
}

/* Send every frame on n's transmitq, or leave them for the switch's start. */
static void transmit(struct virtio_net *n)
{
	struct virtio_net_switch *sw = n->sw;
	const struct virtq *q = &n->mmio.queues[VIRTIO_NET_TX];
	struct virtq_chain *c = &sw->tx_chain;

	unsigned turn = q->num;

	if (!sw->is_started) {
		n->is_tx_waiting = true;
		return;
	}
	n->is_tx_waiting = false;
	n->is_tx_more = false;
	while (virtio_mmio_pop(&n->mmio, VIRTIO_NET_TX, c) == MICA_OK) {
		uint16_t at = (uint16_t)(q->used_idx + 1); /* The used idx that completes it. */

		/* Taken again after a restart, a chain the last instance began to send is not. */
		if (!n->tx_flight.is_set || n->tx_flight.used_idx != at) {
			n->tx_flight.used_idx = at;
			crash_barrier();
			n->tx_flight.is_set = true;
			crash_barrier();
			switch_frame(sw, n, c);
		}
		virtio_mmio_push(&n->mmio, VIRTIO_NET_TX, c->head, 0);
		land(&n->tx_flight);
		if (--turn == 0) {
			n->is_tx_more = true; /* The server calls again after what else waits. */
			break;
		}
	}
	signal_uplink(sw);
}

void virtio_net_transmit_more(struct virtio_net *n)
{
	if (n->is_tx_more)
		transmit(n);
}

/* Receive buffers wait for frames; only the transmitq has work to do when notified. */
static void notify(void *dev, unsigned queue)
{
	if (queue == VIRTIO_NET_TX)
		transmit(dev);
}

/*
 * The driver reset the device: no chain is in flight, and the addresses
 * learned on the port are forgotten, as a switch does when a link goes
 * down.
 */
static void reset(void *dev)
{
	struct virtio_net *n = dev;

	n->tx_flight.is_set = false;
	n->is_tx_waiting = false;
	n->is_tx_more = false;
}

/*
 * A restarted server, with the queues resumed at the used idx the driver
 * sees: a transmit chain recorded but not completed stays recorded, so
 * that it is completed and not sent again when it is taken again; one
 * completed is settled.
 */
static void settle(void *dev)
{
	struct virtio_net *n = dev;
	const struct virtq *tx = &n->mmio.queues[VIRTIO_NET_TX];

	if (n->tx_flight.is_set &&
	    (!tx->is_ready || (uint16_t)(tx->used_idx + 1) != n->tx_flight.used_idx))
		land(&n->tx_flight);
}

static struct virtio_dev net_dev(struct virtio_net *n)
{
	return (struct virtio_dev){
		.device_id = VIRTIO_ID_NET,
		.features = VIRTIO_NET_F_MTU | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS,
		.queue_count = 2,
		.notify = notify,
		.reset = reset,
		.resume = settle,
		.dev = n,
	};
}

void virtio_net_switch_init(struct virtio_net_switch *sw, struct virtio_net_uplink *uplink)
{
	memset(sw, 0, sizeof(*sw));
	sw->uplink = uplink;
}

void virtio_net_switch_start(struct virtio_net_switch *sw)
{
	if (sw->is_started)
		return;
	sw->is_started = true;
	for (unsigned p = 0; p < VIRTIO_NET_PORTS; p++)
		if (sw->ports[p] != NULL && sw->ports[p]->is_tx_waiting)
			transmit(sw->ports[p]);
	/* A last instance may have put frames and crashed before it signalled them. */
	if (sw->uplink != NULL)
		sw->uplink->is_signal_due = true;
	virtio_net_uplink_receive(sw);
}

void virtio_net_switch_detach(struct virtio_net_switch *sw, unsigned port)
{
	if (port >= VIRTIO_NET_PORTS)
		return;
	sw->ports[port] = NULL;
}

/* n joins sw on its port (a port out of range joins nothing, and hears no frame). */
static void attach(struct virtio_net *n, struct virtio_net_switch *sw)
{
	n->sw = sw;
	n->is_tx_waiting = false;
	if (n->port < VIRTIO_NET_PORTS)
		sw->ports[n->port] = n;
}

void virtio_net_init(struct virtio_net *n, struct virtio_net_switch *sw, unsigned port,
		     const uint8_t mac[VIRTIO_NET_MAC_LEN], const struct guest_mem *mem,
		     const struct virtio_irq *irq)
{
	const struct virtio_dev dev = net_dev(n);

	memset(n, 0, sizeof(*n));
	n->port = port < VIRTIO_NET_PORTS ? (uint8_t)port : VIRTIO_NET_NO_PORT;
	attach(n, sw);
	virtio_mmio_init(&n->mmio, &dev, mem, irq);
	memcpy(n->mac, mac, VIRTIO_NET_MAC_LEN);
	memcpy(n->mmio.config + VIRTIO_NET_CONFIG_MAC, mac, VIRTIO_NET_MAC_LEN);
	n->mmio.config[VIRTIO_NET_CONFIG_STAT] = VIRTIO_NET_S_LINK_UP;
	n->mmio.config[VIRTIO_NET_CONFIG_MTU] = (uint8_t)VIRTIO_NET_MTU;
	n->mmio.config[VIRTIO_NET_CONFIG_MTU + 1] = (uint8_t)(VIRTIO_NET_MTU >> 8);
	n->mmio.config_size = CONFIG_BYTES;
}

void virtio_net_resume(struct virtio_net *n, struct virtio_net_switch *sw,
		       const struct guest_mem *mem, const struct virtio_irq *irq)
{
	const struct virtio_dev dev = net_dev(n);

	attach(n, sw);
	virtio_mmio_resume(&n->mmio, &dev, mem, irq);
}
