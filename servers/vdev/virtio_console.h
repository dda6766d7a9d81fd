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
 *
 * The whole struct is meant to live in the device's recoverable state
 * (vdev/vdev.h), so that a restarted server resumes the console where the
 * last instance left it (virtio_console_resume). A crash can come at any
 * instruction, so the model keeps the state consistent at each one: the
 * input queue moves by single stores of free-running counts, and a chain
 * it is completing is recorded before it is published, so that the new
 * instance knows how far the old one got:
 *   - receive: the bytes copied into a chain leave the input queue only
 *     once the chain is published (its used idx stored); a crash before
 *     that leaves them queued for the chain, which is taken again, and a
 *     crash after it takes them out on resume. No byte is lost or given
 *     twice.
 *   - transmit: a chain is output, then marked as shown, then published.
 *     Taken again on resume, a chain marked as shown is only published;
 *     one whose output the crash interrupted is output again, whole.
 */
#ifndef MICA_VDEV_VIRTIO_CONSOLE_H
#define MICA_VDEV_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_ID_CONSOLE      3u
#define VIRTIO_CONSOLE_RX      0u
#define VIRTIO_CONSOLE_TX      1u
#define VIRTIO_CONSOLE_PENDING 256u /* A power of two: the counts below wrap with it. */

/* Where output goes: len bytes at buf, which the callee must not keep. */
struct virtio_console_out {
	void (*write)(void *ctx, const uint8_t *buf, size_t len);
	void *ctx;
};

/*
 * A chain the device is completing, at the place in its queue whose used
 * idx, once stored, publishes it: for the receiveq, taken is what
 * pending_taken becomes then; for the transmitq, the chain's output was
 * shown. Valid only while is_set.
 */
struct virtio_console_flight {
	bool is_set;
	uint16_t used_idx;
	uint32_t taken;
};

struct virtio_console {
	struct virtio_mmio mmio;
	struct virtio_console_out out;
	/*
	 * Input not yet in a published guest buffer: the bytes between two
	 * free-running counts, pending[taken % size] up to added.
	 */
	uint8_t pending[VIRTIO_CONSOLE_PENDING];
	uint32_t pending_taken; /* Bytes the guest has been given. */
	uint32_t pending_added; /* Bytes queued. */
	struct virtio_console_flight rx_flight, tx_flight;
	uint64_t tx_bytes, rx_bytes, rx_dropped;
	struct virtq_chain chain;
};

void virtio_console_init(struct virtio_console *c, const struct guest_mem *mem,
			 const struct virtio_irq *irq, const struct virtio_console_out *out);

/*
 * A restarted server takes over c from the state its last instance left
 * (c lives in the device's recoverable state): out and the transport are
 * attached again, the chain the last instance was completing is settled as
 * above, and the chains in flight on both queues are redone
 * (virtio_mmio_resume). Output may go out from here, so out must be ready.
 */
void virtio_console_resume(struct virtio_console *c, const struct guest_mem *mem,
			   const struct virtio_irq *irq, const struct virtio_console_out *out);

/*
 * Input for the guest: queue len bytes and hand the guest as many as its
 * receive buffers take. Returns how many were queued; the rest are
 * dropped (counted in rx_dropped).
 */
size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len);

/* How many bytes of input wait for the guest's receive buffers. */
unsigned virtio_console_pending(const struct virtio_console *c);

#endif
