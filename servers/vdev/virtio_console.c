/*
 * The virtio console (see virtio_console.h).
 *
 * Transmit: each chain on the transmitq is output from its readable
 * buffers, in order, and returned used with length 0 (the device wrote
 * nothing); writable buffers in it are ignored. Receive: queued input
 * fills the receiveq's writable buffers, a chain at a time, each returned
 * used with the number of bytes written; a chain with no writable space is
 * returned empty. Input waits for buffers when there are none (or the
 * driver is not running), and goes as soon as the driver notifies the
 * receiveq. Input stays queued across a device reset: it was typed for
 * whichever driver comes next.
 *
 * Both queues complete their chains in the order they take them, one at a
 * time, each published before the next is taken: what virtio_mmio_resume
 * needs to redo a restarted server's work in flight (virtqueue.h).
 */
#include "virtio_console.h"

#include <string.h>

#define CONFIG_BYTES 12u /* cols, rows, max_nr_ports, emerg_wr: all zero, none offered. */

_Static_assert((VIRTIO_CONSOLE_PENDING & (VIRTIO_CONSOLE_PENDING - 1)) == 0,
	       "the input queue's counts wrap with its size");

/*
 * Keep the stores to the state on either side in program order. A crash is
 * a fault of this thread, so the state it leaves is exactly what program
 * order had stored by then (the kernel's handling of the fault orders those
 * stores before the next instance runs); only the compiler could reorder
 * them, and this stops it.
 */
static void crash_barrier(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

unsigned virtio_console_pending(const struct virtio_console *c)
{
	return c->pending_added - c->pending_taken;
}

/* Record the chain that used_idx publishes (taken: see struct virtio_console_flight). */
static void fly(struct virtio_console_flight *f, uint16_t used_idx, uint32_t taken)
{
	f->used_idx = used_idx;
	f->taken = taken;
	crash_barrier();
	f->is_set = true;
	crash_barrier();
}

/* The chain recorded is published and settled. */
static void land(struct virtio_console_flight *f)
{
	crash_barrier();
	f->is_set = false;
}

static void show(struct virtio_console *c, const struct virtq_chain *ch)
{
	for (unsigned i = 0; i < ch->out_count; i++) {
		if (ch->bufs[i].len > 0 && c->out.write != NULL)
			c->out.write(c->out.ctx, ch->bufs[i].host, ch->bufs[i].len);
		c->tx_bytes += ch->bufs[i].len;
	}
}

static void transmit(struct virtio_console *c)
{
	const struct virtq *q = &c->mmio.queues[VIRTIO_CONSOLE_TX];
	struct virtq_chain *ch = &c->chain;

	while (virtio_mmio_pop(&c->mmio, VIRTIO_CONSOLE_TX, ch) == MICA_OK) {
		uint16_t at = (uint16_t)(q->used_idx + 1); /* The used idx that publishes it. */

		/* Taken again after a restart, a chain already shown is not shown twice. */
		if (!c->tx_flight.is_set || c->tx_flight.used_idx != at)
			show(c, ch);
		fly(&c->tx_flight, at, 0);
		virtio_mmio_push(&c->mmio, VIRTIO_CONSOLE_TX, ch->head, 0);
		land(&c->tx_flight);
	}
}

/*
 * Copy up to room bytes of queued input into the chain being filled,
 * from the oldest on, without taking them out of the queue; returns how
 * many.
 */
static uint32_t fill(struct virtio_console *c, uint64_t room)
{
	uint32_t count = virtio_console_pending(c);
	uint32_t done = 0;

	while (done < count && done < room) {
		uint32_t at = (c->pending_taken + done) % VIRTIO_CONSOLE_PENDING;
		uint32_t run = VIRTIO_CONSOLE_PENDING - at;
		size_t n;

		if (run > count - done)
			run = count - done;
		if (run > room - done)
			run = (uint32_t)(room - done);
		n = virtq_chain_write(&c->chain, done, c->pending + at, run);
		done += (uint32_t)n;
		if (n < run)
			break;
	}
	return done;
}

static void receive(struct virtio_console *c)
{
	const struct virtq *q = &c->mmio.queues[VIRTIO_CONSOLE_RX];

	while (virtio_console_pending(c) > 0 &&
	       virtio_mmio_pop(&c->mmio, VIRTIO_CONSOLE_RX, &c->chain) == MICA_OK) {
		uint32_t n = fill(c, c->chain.in_len);

		/* The bytes leave the queue once the guest can see them, not before. */
		fly(&c->rx_flight, (uint16_t)(q->used_idx + 1), c->pending_taken + n);
		virtio_mmio_push(&c->mmio, VIRTIO_CONSOLE_RX, c->chain.head, n);
		crash_barrier();
		c->pending_taken = c->rx_flight.taken;
		c->rx_bytes += n;
		land(&c->rx_flight);
	}
}

static void notify(void *dev, unsigned queue)
{
	struct virtio_console *c = dev;

	if (queue == VIRTIO_CONSOLE_TX)
		transmit(c);
	else
		receive(c);
}

/* The driver reset the device: its queues start over, and no chain is in flight. */
static void reset(void *dev)
{
	struct virtio_console *c = dev;

	c->rx_flight.is_set = false;
	c->tx_flight.is_set = false;
}

/*
 * A restarted server, with the queues resumed at the used idx the driver
 * sees: a receive chain published before the crash takes its bytes out of
 * the queue now (one not published is taken again, and gets the same
 * bytes); a transmit chain shown but not published stays recorded, so
 * that it is not shown again when it is taken again.
 */
static void settle(void *dev)
{
	struct virtio_console *c = dev;
	const struct virtq *rx = &c->mmio.queues[VIRTIO_CONSOLE_RX];
	const struct virtq *tx = &c->mmio.queues[VIRTIO_CONSOLE_TX];

	if (c->rx_flight.is_set && rx->is_ready && rx->used_idx == c->rx_flight.used_idx)
		c->pending_taken = c->rx_flight.taken;
	land(&c->rx_flight);
	if (c->tx_flight.is_set &&
	    (!tx->is_ready || (uint16_t)(tx->used_idx + 1) != c->tx_flight.used_idx))
		land(&c->tx_flight);
}

static struct virtio_dev console_dev(struct virtio_console *c)
{
	return (struct virtio_dev){
		.device_id = VIRTIO_ID_CONSOLE,
		.features = 0,
		.queue_count = 2,
		.notify = notify,
		.reset = reset,
		.resume = settle,
		.dev = c,
	};
}

size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	size_t room = VIRTIO_CONSOLE_PENDING - virtio_console_pending(c);
	size_t n = len < room ? len : room;

	for (size_t i = 0; i < n; i++)
		c->pending[(c->pending_added + (uint32_t)i) % VIRTIO_CONSOLE_PENDING] = buf[i];
	crash_barrier();
	c->pending_added += (uint32_t)n;
	c->rx_dropped += len - n;
	receive(c);
	return n;
}

void virtio_console_resume(struct virtio_console *c, const struct guest_mem *mem,
			   const struct virtio_irq *irq, const struct virtio_console_out *out)
{
	const struct virtio_dev dev = console_dev(c);

	c->out = *out;
	virtio_mmio_resume(&c->mmio, &dev, mem, irq);
}

void virtio_console_init(struct virtio_console *c, const struct guest_mem *mem,
			 const struct virtio_irq *irq, const struct virtio_console_out *out)
{
	const struct virtio_dev dev = console_dev(c);

	memset(c, 0, sizeof(*c));
	c->out = *out;
	virtio_mmio_init(&c->mmio, &dev, mem, irq);
	c->mmio.config_size = CONFIG_BYTES;
}
