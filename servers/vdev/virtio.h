/*
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2), for a device
 * model: the register frame a guest's driver programs, feature
 * negotiation, device status and reset, the queues' configuration, the
 * interrupt status and the device's configuration space. Pure logic: a
 * device model (virtio_blk.c, virtio_console.c) embeds a struct
 * virtio_mmio, describes itself in struct virtio_dev, and hears of queue
 * notifications and resets through its callbacks; the interrupt line
 * leaves through struct virtio_irq.
 *
 * VIRTIO_F_VERSION_1 is always offered and must be accepted: legacy
 * drivers are refused at FEATURES_OK. Indirect descriptors and event
 * indices are not offered (see virtqueue.h).
 */
#ifndef MICA_VDEV_VIRTIO_H
#define MICA_VDEV_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/abi/errors.h>
#include <mica/proto/virtio_mmio.h>

#include "guest_mem.h"
#include "virtqueue.h"

#define VIRTIO_MMIO_SIZE   0x200u /* The frame: registers, then configuration space. */
#define VIRTIO_CONFIG_BASE 0x100u
#define VIRTIO_CONFIG_MAX  (VIRTIO_MMIO_SIZE - VIRTIO_CONFIG_BASE)
#define VIRTIO_MAX_QUEUES  2u

/* What the model's Version and VendorID read; the registers are <mica/proto/virtio_mmio.h>'s. */
#define VIRTIO_MMIO_VERSION 2u
#define VIRTIO_VENDOR_ID    0x4143494du /* "MICA" */

/* InterruptStatus bits (§4.2.2). */
#define VIRTIO_INT_USED	  1u
#define VIRTIO_INT_CONFIG 2u

/*
 * What a device model supplies. notify: the driver notified queue (ready,
 * with the device live: DRIVER_OK set, DEVICE_NEEDS_RESET clear). reset:
 * the driver reset the device (Status written 0); the transport has
 * already reset itself. resume (may be NULL): a restarted device server's
 * transport has resumed its queues (virtio_mmio_resume), each ready one at
 * the used idx its driver sees, and the device settles what its last
 * instance left half done before anything is redone. dev is passed to
 * each.
 */
struct virtio_dev {
	uint32_t device_id;
	uint64_t features; /* Device-specific bits offered; VERSION_1 is added. */
	unsigned queue_count;
	void (*notify)(void *dev, unsigned queue);
	void (*reset)(void *dev);
	void (*resume)(void *dev);
	void *dev;
};

/* The interrupt line (level = InterruptStatus != 0), reported on change. */
struct virtio_irq {
	void (*set)(void *ctx, bool level);
	void *ctx;
};

struct virtio_mmio {
	struct virtio_dev dev;
	struct virtio_irq irq;
	struct guest_mem mem;
	uint8_t config[VIRTIO_CONFIG_MAX]; /* The device fills it; read-only to the driver. */
	uint32_t config_size;
	uint32_t status;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t interrupt_status;
	uint32_t config_generation;
	struct virtq queues[VIRTIO_MAX_QUEUES];
	bool line;
	uint64_t ignored_writes; /* Writes the model ignored (read-only, absent, too late). */
	uint64_t unknown_reads;	 /* Reads of absent registers (read as zero). */
	uint64_t malformed;	 /* Times the device went to DEVICE_NEEDS_RESET. */
};

/*
 * Set up v in its reset state for dev, reaching guest memory through mem.
 * The caller fills v->config and v->config_size afterwards.
 */
void virtio_mmio_init(struct virtio_mmio *v, const struct virtio_dev *dev,
		      const struct guest_mem *mem, const struct virtio_irq *irq);

/*
 * A restarted device server takes over v, which its last instance left in
 * the device's recoverable state (vdev/vdev.h): dev, mem and irq are
 * attached again, every ready queue resumes at the used idx its driver
 * sees (virtq_resume; a queue that cannot is a DEVICE_NEEDS_RESET), the
 * line is set to what InterruptStatus says, dev's resume is called, and a
 * live device redoes what was in flight (dev's notify for each ready
 * queue) and raises the used-buffer interrupt, in case the last instance
 * published chains but crashed before announcing them. Everything else
 * the driver set (status, features, selectors, queue configuration,
 * config generation) is kept. The device model re-attaches its own
 * pointers first.
 */
void virtio_mmio_resume(struct virtio_mmio *v, const struct virtio_dev *dev,
			const struct guest_mem *mem, const struct virtio_irq *irq);

/*
 * A guest load or store at offset in the frame. Control registers (below
 * VIRTIO_CONFIG_BASE) take only 32-bit accesses, as §4.2.2.2 requires of
 * drivers; configuration space takes 1, 2, 4 or 8 bytes, naturally
 * aligned, and reads zero past the device's configuration. Errors:
 * MICA_ERR_RANGE past the frame, MICA_ERR_INVALID_ARGUMENT for a width,
 * MICA_ERR_ALIGNMENT; nothing changes on error.
 */
enum mica_error virtio_mmio_read(struct virtio_mmio *v, uint64_t offset, unsigned size,
				 uint64_t *value) __attribute__((warn_unused_result));
enum mica_error virtio_mmio_write(struct virtio_mmio *v, uint64_t offset, unsigned size,
				  uint64_t value) __attribute__((warn_unused_result));

/* True when the device may process its queues: DRIVER_OK and not DEVICE_NEEDS_RESET. */
bool virtio_mmio_is_live(const struct virtio_mmio *v);

/*
 * Take the next chain of queue into c: MICA_OK, or MICA_ERR_NOT_FOUND when
 * there is none or the queue or device cannot be used. A malformed chain
 * puts the device in DEVICE_NEEDS_RESET (virtio_mmio_needs_reset) and
 * returns MICA_ERR_MALFORMED.
 */
enum mica_error virtio_mmio_pop(struct virtio_mmio *v, unsigned queue, struct virtq_chain *c)
	__attribute__((warn_unused_result));

/*
 * Return a chain popped from queue as used, with len bytes written, and
 * raise the used-buffer interrupt unless the driver suppressed it.
 */
void virtio_mmio_push(struct virtio_mmio *v, unsigned queue, uint16_t head, uint32_t len);

/*
 * The driver broke the protocol: set DEVICE_NEEDS_RESET and, once the
 * driver is running (DRIVER_OK), raise a configuration-change interrupt,
 * as §2.1.2 requires. The device does nothing more until reset.
 */
void virtio_mmio_needs_reset(struct virtio_mmio *v);

/* The device changed its configuration: new generation, and an interrupt once running. */
void virtio_mmio_config_changed(struct virtio_mmio *v);

#endif
