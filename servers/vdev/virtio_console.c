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
 */
#include "virtio_console.h"

#include <string.h>

#define CONFIG_BYTES 12u /* cols, rows, max_nr_ports, emerg_wr: all zero, none offered. */

static void transmit(struct virtio_console *c)
{
	struct virtq_chain *ch = &c->chain;

	while (virtio_mmio_pop(&c->mmio, VIRTIO_CONSOLE_TX, ch) == MICA_OK) {
		for (unsigned i = 0; i < ch->out_count; i++) {
			if (ch->bufs[i].len > 0 && c->out.write != NULL)
				c->out.write(c->out.ctx, ch->bufs[i].host, ch->bufs[i].len);
			c->tx_bytes += ch->bufs[i].len;
		}
		virtio_mmio_push(&c->mmio, VIRTIO_CONSOLE_TX, ch->head, 0);
	}
}

/* Move up to room pending bytes into the chain being filled; returns how many. */
static size_t fill(struct virtio_console *c, uint64_t room)
{
	size_t done = 0;

	while (c->pending_count > 0 && done < room) {
		size_t run = VIRTIO_CONSOLE_PENDING - c->pending_head;
		size_t n;

		if (run > c->pending_count)
			run = c->pending_count;
		if (run > room - done)
			run = (size_t)(room - done);
		n = virtq_chain_write(&c->chain, done, c->pending + c->pending_head, run);
		c->pending_head = (unsigned)((c->pending_head + n) % VIRTIO_CONSOLE_PENDING);
		c->pending_count -= (unsigned)n;
		done += n;
		if (n < run)
			break;
	}
	return done;
}

static void receive(struct virtio_console *c)
{
	while (c->pending_count > 0 &&
	       virtio_mmio_pop(&c->mmio, VIRTIO_CONSOLE_RX, &c->chain) == MICA_OK) {
		size_t n = fill(c, c->chain.in_len);

		c->rx_bytes += n;
		/* n <= in_len, which fits in 32 bits (virtqueue.h). */
		virtio_mmio_push(&c->mmio, VIRTIO_CONSOLE_RX, c->chain.head, (uint32_t)n);
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

size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	size_t room = VIRTIO_CONSOLE_PENDING - c->pending_count;
	size_t n = len < room ? len : room;

	for (size_t i = 0; i < n; i++) {
		unsigned at = (c->pending_head + c->pending_count) % VIRTIO_CONSOLE_PENDING;

		c->pending[at] = buf[i];
		c->pending_count++;
	}
	c->rx_dropped += len - n;
	receive(c);
	return n;
}

void virtio_console_init(struct virtio_console *c, const struct guest_mem *mem,
			 const struct virtio_irq *irq, const struct virtio_console_out *out)
{
	const struct virtio_dev dev = {
		.device_id = VIRTIO_ID_CONSOLE,
		.features = 0,
		.queue_count = 2,
		.notify = notify,
		.reset = NULL,
		.dev = c,
	};

	memset(c, 0, sizeof(*c));
	c->out = *out;
	virtio_mmio_init(&c->mmio, &dev, mem, irq);
	c->mmio.config_size = CONFIG_BYTES;
}
