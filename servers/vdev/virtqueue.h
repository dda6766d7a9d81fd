/*
 * Split virtqueues (virtio 1.2 §2.7), the device's side: taking descriptor
 * chains the driver made available and returning them as used. Pure logic
 * over a guest_mem window: every ring and buffer address is checked
 * against it, and anything malformed is reported, never trusted.
 *
 * Indirect descriptors (VIRTIO_RING_F_INDIRECT_DESC) are not offered, so a
 * descriptor with VIRTQ_DESC_F_INDIRECT is malformed. Neither is
 * VIRTIO_F_EVENT_IDX: notification suppression is the avail ring's
 * NO_INTERRUPT flag alone.
 *
 * Virtio structures are little-endian, as both AArch64 (as Mica runs it)
 * and the hosts the unit tests run on are.
 */
#ifndef MICA_VDEV_VIRTQUEUE_H
#define MICA_VDEV_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

#include "guest_mem.h"

/* The largest queue this library offers (QueueNumMax), a power of two. */
#define VIRTQ_MAX_SIZE 256u

/* Descriptor flags (§2.7.5). */
#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u /* Device-writable (else device-readable). */
#define VIRTQ_DESC_F_INDIRECT 4u

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* Ring sizes for a queue of num entries, and the alignment each needs. */
#define VIRTQ_DESC_SIZE(num)  (16u * (uint64_t)(num))
#define VIRTQ_AVAIL_SIZE(num) (6u + 2u * (uint64_t)(num))
#define VIRTQ_USED_SIZE(num)  (6u + 8u * (uint64_t)(num))
#define VIRTQ_DESC_ALIGN      16u
#define VIRTQ_AVAIL_ALIGN     2u
#define VIRTQ_USED_ALIGN      4u

/* One descriptor's buffer, already checked to lie in guest memory. */
struct virtq_buf {
	uint8_t *host;
	uint32_t len;
};

/*
 * A descriptor chain as the device sees it: out_count device-readable
 * buffers, then in_count device-writable ones, in bufs[]. Their total
 * lengths each fit in 32 bits (a used element's length is 32 bits).
 */
struct virtq_chain {
	uint16_t head; /* The index to return in the used ring. */
	unsigned out_count;
	unsigned in_count;
	uint64_t out_len;
	uint64_t in_len;
	struct virtq_buf bufs[VIRTQ_MAX_SIZE];
};

/* One queue: what the driver configured, and the device's place in it. */
struct virtq {
	uint16_t num; /* Queue size; 0 until the driver sets it. */
	bool is_ready;
	uint64_t desc_ipa, avail_ipa, used_ipa;
	uint8_t *desc, *avail, *used; /* Resolved when the queue is enabled. */
	uint16_t last_avail;	      /* Next avail ring entry to take. */
	uint16_t used_idx;	      /* The used ring's idx as last published. */
};

/* Forget everything: the queue's reset state. */
void virtq_reset(struct virtq *q);

/*
 * The driver set QueueReady: check the size (a power of two, 1 to
 * VIRTQ_MAX_SIZE) and that each ring is aligned and wholly in guest memory,
 * then start at index 0. Errors: MICA_ERR_INVALID_ARGUMENT (size),
 * MICA_ERR_ALIGNMENT, MICA_ERR_BAD_ADDRESS; the queue stays not ready.
 */
enum mica_error virtq_enable(struct virtq *q, const struct guest_mem *m)
	__attribute__((warn_unused_result));

/*
 * A restarted device server takes over q from the state its last instance
 * left (the host pointers in it are stale): a ready queue's rings are
 * checked and resolved again, and its place is the used idx the driver
 * sees in guest memory. That is right for a device that completes chains
 * in the order it takes them, one at a time, and publishes each before
 * taking the next (virtio-blk here): every chain before the used idx was
 * completed and published, and every chain from it on is taken again and
 * redone, wherever the last instance stopped in it: before or after
 * touching its buffers, before or after writing its used element, and
 * before or after the idx (which then already counts it). Redoing is
 * safe for a request whose effect is the same done twice (a block read or
 * write). A used idx the driver scribbled on makes the next pop
 * MICA_ERR_MALFORMED, as any other broken ring does. Errors as for
 * virtq_enable (the queue is then not ready).
 */
enum mica_error virtq_resume(struct virtq *q, const struct guest_mem *m)
	__attribute__((warn_unused_result));

/*
 * Take the next available chain into c. MICA_ERR_NOT_FOUND when there is
 * none; MICA_ERR_MALFORMED when the driver broke the rules: more entries
 * made available than the queue holds, a head or next index past the
 * queue, a chain longer than the queue (which a loop is), an indirect
 * descriptor, a readable descriptor after a writable one, a buffer not in
 * guest memory, or total lengths over 32 bits. A malformed chain is still
 * consumed; the caller puts the device in DEVICE_NEEDS_RESET.
 */
enum mica_error virtq_pop(struct virtq *q, const struct guest_mem *m, struct virtq_chain *c)
	__attribute__((warn_unused_result));

/*
 * Return chain head as used, with len bytes written into it, and publish
 * it (the used element is visible to the driver before the new idx).
 * Returns whether the driver wants an interrupt for it (the avail ring's
 * NO_INTERRUPT flag is clear).
 */
bool virtq_push(struct virtq *q, uint16_t head, uint32_t len);

/*
 * Copy up to len bytes from the chain's readable buffers, starting offset
 * bytes into them, to dst; returns how many were copied.
 */
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t offset, void *dst, size_t len);

/*
 * Copy up to len bytes from src into the chain's writable buffers, offset
 * bytes into them; returns how many were copied.
 */
size_t virtq_chain_write(const struct virtq_chain *c, uint64_t offset, const void *src, size_t len);

#endif
