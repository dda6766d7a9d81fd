/*
 * What every driver server's logic does with its virtio-mmio device,
 * version 2 (virtio 1.2 §4.2.2), before it sets its queues up: check what
 * the device is, reset it, and negotiate its features (§3.1.1 steps 1-6);
 * and the split virtqueue's layout (§2.7). Pure logic: the device's
 * registers are reached through struct vdrv_bus, so that host tests run
 * the drivers against fake devices.
 */
#ifndef MICA_DRV_VIRTIO_DRV_H
#define MICA_DRV_VIRTIO_DRV_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The device's register frame. read and write are 32-bit accesses at a
 * byte offset, read8 an 8-bit one (a byte field of the configuration). A
 * write is ordered after every earlier memory access and a read before
 * every later one, so that the device sees the rings as the driver left
 * them when notified, and the driver sees what the device wrote once it
 * reads InterruptStatus. dma_barrier orders the driver's memory accesses
 * against the device's DMA (a full barrier for the outer shareable domain
 * on AArch64).
 */
struct vdrv_bus {
	uint32_t (*read)(void *ctx, uint32_t offset);
	uint8_t (*read8)(void *ctx, uint32_t offset);
	void (*write)(void *ctx, uint32_t offset, uint32_t value);
	void (*dma_barrier)(void *ctx);
	void *ctx;
};

/* The bus's accessors. */
static inline uint32_t vdrv_read(const struct vdrv_bus *bus, uint32_t offset)
{
	return bus->read(bus->ctx, offset);
}

static inline void vdrv_write(const struct vdrv_bus *bus, uint32_t offset, uint32_t value)
{
	bus->write(bus->ctx, offset, value);
}

static inline void vdrv_dma_barrier(const struct vdrv_bus *bus)
{
	bus->dma_barrier(bus->ctx);
}

/* Why a device could not be set up. */
enum vdrv_error {
	VDRV_OK,
	VDRV_NOT_VIRTIO,       /* MagicValue is not "virt". */
	VDRV_LEGACY,	       /* Version 1: QEMU's legacy transport. */
	VDRV_BAD_VERSION,      /* Another version than 1 or 2. */
	VDRV_WRONG_DEVICE,     /* Another DeviceID (0: no device behind the transport). */
	VDRV_STUCK_IN_RESET,   /* Status did not read 0 after a reset. */
	VDRV_NO_VERSION_1,     /* VIRTIO_F_VERSION_1 not offered. */
	VDRV_NO_FEATURE,       /* A feature the driver needs is not offered. */
	VDRV_FEATURES_REFUSED, /* FEATURES_OK did not stay set. */
	VDRV_NO_QUEUE,	       /* A queue the driver needs is in use, or too small. */
};

/* A split virtqueue's descriptor (§2.7.5) and used element (§2.7.8). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u /* Device-writable (else device-readable). */
#define VIRTQ_DESC_F_INDIRECT 4u

/*
 * Check that the device behind bus is virtio-mmio version 2 with DeviceID
 * device_id, reset it (which drops whatever a previous instance of the
 * driver left on it), set ACKNOWLEDGE and DRIVER, accept VERSION_1, every
 * feature in required (each must be offered) and those in wanted that are
 * offered, and set FEATURES_OK. *accepted: what was accepted. Once the
 * device is reset, an error leaves FAILED set in Status.
 */
enum vdrv_error vdrv_start(const struct vdrv_bus *bus, uint32_t device_id, uint64_t required,
			   uint64_t wanted, uint64_t *accepted) __attribute__((warn_unused_result));

/* The driver's own set-up failed after vdrv_start: set FAILED (§3.1.1 step 8). */
void vdrv_fail(const struct vdrv_bus *bus);

/* The driver is set up: set DRIVER_OK (§3.1.1 step 8). */
void vdrv_live(const struct vdrv_bus *bus);

/* A sentence saying what went wrong, for a message (a driver may say more of its device). */
const char *vdrv_error_text(enum vdrv_error err);

/* Write pa to a LOW/HIGH register pair. */
void vdrv_write_address(const struct vdrv_bus *bus, uint32_t low, uint64_t pa);

#endif
