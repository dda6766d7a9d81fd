/*
 * A virtio console (virtio 1.2 §5.3, device ID 3) with a single port and
 * no optional features (no size, no multiport, no emergency write): queue
 * 0 is the receiveq (input to the guest), queue 1 the transmitq (output
 * from it). Pure logic on the virtio-mmio transport (virtio.h).
 *
 * Output leaves through a callback, buffer by buffer, as the guest makes
 * it available. Input is queued here (VIRTIO_CONSOLE_PENDING bytes) until
 * the guest gives receive buffers; input that finds the queue full is
 * dropped and counted.
 */
#ifndef MICA_VDEV_VIRTIO_CONSOLE_H
#define MICA_VDEV_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_ID_CONSOLE      3u
#define VIRTIO_CONSOLE_RX      0u
#define VIRTIO_CONSOLE_TX      1u
#define VIRTIO_CONSOLE_PENDING 256u

/* Where output goes: len bytes at buf, which the callee must not keep. */
struct virtio_console_out {
	void (*write)(void *ctx, const uint8_t *buf, size_t len);
	void *ctx;
};

struct virtio_console {
	struct virtio_mmio mmio;
	struct virtio_console_out out;
	uint8_t pending[VIRTIO_CONSOLE_PENDING]; /* Input not yet in a guest buffer. */
	unsigned pending_head;
	unsigned pending_count;
	uint64_t tx_bytes, rx_bytes, rx_dropped;
	struct virtq_chain chain;
};

void virtio_console_init(struct virtio_console *c, const struct guest_mem *mem,
			 const struct virtio_irq *irq, const struct virtio_console_out *out);

/*
 * Input for the guest: queue len bytes and hand the guest as many as its
 * receive buffers take. Returns how many were queued; the rest are
 * dropped (counted in rx_dropped).
 */
size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len);

#endif
