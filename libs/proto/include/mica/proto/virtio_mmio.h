/*
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2): the register
 * offsets, device status bits and transport feature bit, shared by the
 * device models a guest drives (servers/vdev) and the drivers of the
 * machine's own devices (servers/drv), so that both sides read the one
 * table of the specification.
 */
#ifndef MICA_PROTO_VIRTIO_MMIO_H
#define MICA_PROTO_VIRTIO_MMIO_H

#include <stdint.h>

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt", what MagicValue reads. */

/* Register offsets (§4.2.2, table 4.1). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000u
#define VIRTIO_MMIO_VERSION_REG		0x004u
#define VIRTIO_MMIO_DEVICE_ID		0x008u
#define VIRTIO_MMIO_VENDOR_ID		0x00cu
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010u
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014u
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020u
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024u
#define VIRTIO_MMIO_QUEUE_SEL		0x030u
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034u
#define VIRTIO_MMIO_QUEUE_NUM		0x038u
#define VIRTIO_MMIO_QUEUE_READY		0x044u
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050u
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060u
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064u
#define VIRTIO_MMIO_STATUS		0x070u
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080u
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084u
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090u
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094u
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0u
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4u
#define VIRTIO_MMIO_SHM_SEL		0x0acu
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0u
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4u
#define VIRTIO_MMIO_SHM_BASE_LOW	0x0b8u
#define VIRTIO_MMIO_SHM_BASE_HIGH	0x0bcu
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fcu

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	 1u
#define VIRTIO_STATUS_DRIVER		 2u
#define VIRTIO_STATUS_DRIVER_OK		 4u
#define VIRTIO_STATUS_FEATURES_OK	 8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED		 0x80u

#define VIRTIO_F_VERSION_1 (UINT64_C(1) << 32)

#endif
