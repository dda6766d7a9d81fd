/*
 * The device set-up every driver server shares (virtio_drv.h).
 */
#include <stddef.h>

#include <mica/proto/virtio_mmio.h>

#include "virtio_drv.h"

#define VIRTIO_MMIO_LEGACY 1u
#define VIRTIO_MMIO_MODERN 2u
#define RESET_POLLS	   1000u

/* The status the driver has set once it knows the device (§3.1.1 steps 2-3). */
#define KNOWN (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)

static enum vdrv_error check_identity(const struct vdrv_bus *bus, uint32_t device_id)
{
	uint32_t version;

	if (vdrv_read(bus, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
		return VDRV_NOT_VIRTIO;
	version = vdrv_read(bus, VIRTIO_MMIO_VERSION_REG);
	if (version == VIRTIO_MMIO_LEGACY)
		return VDRV_LEGACY;
	if (version != VIRTIO_MMIO_MODERN)
		return VDRV_BAD_VERSION;
	if (vdrv_read(bus, VIRTIO_MMIO_DEVICE_ID) != device_id)
		return VDRV_WRONG_DEVICE;
	return VDRV_OK;
}

/* Writing 0 to Status resets the device; it is done when Status reads 0 (§4.2.3.1). */
static bool reset(const struct vdrv_bus *bus)
{
	vdrv_write(bus, VIRTIO_MMIO_STATUS, 0);
	for (unsigned i = 0; i < RESET_POLLS; i++)
		if (vdrv_read(bus, VIRTIO_MMIO_STATUS) == 0)
			return true;
	return false;
}

static enum vdrv_error negotiate(const struct vdrv_bus *bus, uint64_t required, uint64_t wanted,
				 uint64_t *accepted)
{
	uint64_t offered;

	vdrv_write(bus, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered = vdrv_read(bus, VIRTIO_MMIO_DEVICE_FEATURES);
	vdrv_write(bus, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered |= (uint64_t)vdrv_read(bus, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if ((offered & VIRTIO_F_VERSION_1) == 0)
		return VDRV_NO_VERSION_1;
	if ((offered & required) != required)
		return VDRV_NO_FEATURE;
	*accepted = VIRTIO_F_VERSION_1 | required | (offered & wanted);
	vdrv_write(bus, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vdrv_write(bus, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)*accepted);
	vdrv_write(bus, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vdrv_write(bus, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(*accepted >> 32));
	vdrv_write(bus, VIRTIO_MMIO_STATUS, KNOWN | VIRTIO_STATUS_FEATURES_OK);
	if ((vdrv_read(bus, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0)
		return VDRV_FEATURES_REFUSED;
	return VDRV_OK;
}

enum vdrv_error vdrv_start(const struct vdrv_bus *bus, uint32_t device_id, uint64_t required,
			   uint64_t wanted, uint64_t *accepted)
{
	enum vdrv_error err = check_identity(bus, device_id);

	*accepted = 0;
	if (err != VDRV_OK)
		return err;
	if (!reset(bus))
		return VDRV_STUCK_IN_RESET;
	vdrv_write(bus, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	vdrv_write(bus, VIRTIO_MMIO_STATUS, KNOWN);
	err = negotiate(bus, required, wanted, accepted);
	if (err != VDRV_OK)
		vdrv_fail(bus);
	return err;
}

void vdrv_fail(const struct vdrv_bus *bus)
{
	vdrv_write(bus, VIRTIO_MMIO_STATUS,
		   vdrv_read(bus, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED);
}

void vdrv_live(const struct vdrv_bus *bus)
{
	vdrv_write(bus, VIRTIO_MMIO_STATUS,
		   KNOWN | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

void vdrv_write_address(const struct vdrv_bus *bus, uint32_t low, uint64_t pa)
{
	vdrv_write(bus, low, (uint32_t)pa);
	vdrv_write(bus, low + 4, (uint32_t)(pa >> 32));
}

const char *vdrv_error_text(enum vdrv_error err)
{
	static const char *const texts[] = {
		[VDRV_OK] = "no error",
		[VDRV_NOT_VIRTIO] = "not a virtio-mmio device (MagicValue is not 0x74726976)",
		[VDRV_LEGACY] = "a legacy virtio-mmio device (Version 1), and this driver needs "
				"version 2: add -global virtio-mmio.force-legacy=false to QEMU's "
				"command line",
		[VDRV_BAD_VERSION] = "an unknown virtio-mmio version (neither 1 nor 2)",
		[VDRV_WRONG_DEVICE] = "not the kind of device this driver drives (0 means no "
				      "device is attached to the transport)",
		[VDRV_STUCK_IN_RESET] = "the device did not reset (Status did not read 0)",
		[VDRV_NO_VERSION_1] = "the device does not offer VIRTIO_F_VERSION_1",
		[VDRV_NO_FEATURE] = "the device does not offer a feature this driver needs",
		[VDRV_FEATURES_REFUSED] = "the device refused the features the driver accepted "
					  "(FEATURES_OK did not stay set)",
		[VDRV_NO_QUEUE] = "a queue this driver needs is in use or too small",
	};

	if ((unsigned)err >= sizeof(texts) / sizeof(texts[0]) || texts[err] == NULL)
		return "an unknown error";
	return texts[err];
}
