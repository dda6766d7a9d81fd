/*
 * vdev_virtio_blk: serves every "virtio,mmio" device in its boot page as
 * a virtio block device (virtio_blk.c) over the disk the root task mapped
 * for it (devices[i].disk_va, a private read-write copy), or over a part
 * of a machine's disk that a block driver server serves
 * (devices[i].drive_va, the queue it shares with the driver). A device
 * needs its guest's RAM mapped (devices[i].ram_*) to reach the requests;
 * one without is not served. A device without a disk is served with
 * capacity 0.
 */
#include <stdint.h>

#include <mica/sys.h>
#include <vdev/vdev.h>

#include "virtio_blk.h"

/*
 * The guest's node: a virtio-mmio transport whose DMA is coherent (the
 * device is software reading guest RAM through cacheable mappings, which
 * the root task maps for it).
 */
VDEV_DEVICE_KIND(virtio_kind, .compatible = "virtio,mmio", .node_name = "virtio_mmio",
		 .flags = VDEV_KIND_GUEST_RAM | VDEV_KIND_EDGE_LINE,
		 .props = {VDEV_PROP_EMPTY("dma-coherent")});

static struct virtio_blk disks[VDEV_MAX_DEVICES]; /* For devices without state pages. */
static struct virtio_blk_drive drives[VDEV_MAX_DEVICES];

/* Tell device d's block driver to look at its slots. */
static void signal_driver(void *ctx)
{
	const struct vdev_device *d = ctx;

	(void)mica_signal(d->boot->drive_cap);
}

/* Device d's drive, set up from its boot page; NULL if it has none. */
static struct virtio_blk_drive *drive_of(struct vdev_device *d)
{
	struct virtio_blk_drive *drive = &drives[d->index];
	uint8_t *region = (uint8_t *)(uintptr_t)d->boot->drive_va;

	if (d->boot->drive_va == 0)
		return NULL;
	*drive = (struct virtio_blk_drive){.table = (struct blk_table *)region,
					   .data = region + BLK_DATA_OFFSET,
					   .sectors = d->boot->drive_sectors,
					   .is_read_only = d->boot->drive_read_only != 0,
					   .signal = signal_driver,
					   .ctx = d};
	return drive;
}

/*
 * The disk lives in the device's recoverable state, so a restarted
 * instance resumes it: the transport as the driver left it, requests in
 * flight redone (virtio_blk.h).
 */
static enum mica_error init(struct vdev_device *d)
{
	const struct virtio_irq irq = {.set = vdev_line_callback, .ctx = d};
	struct virtio_blk *b = vdev_state(d, struct virtio_blk);

	if (!vdev_is_compatible(d, "virtio,mmio") || d->ram.size == 0 ||
	    d->boot->ipa_size < VIRTIO_MMIO_SIZE)
		return MICA_ERR_NOT_FOUND;
	if (b == NULL)
		b = &disks[d->index];
	d->model = b;
	if (d->is_resumed)
		virtio_blk_resume(b, d->disk, d->disk_size, drive_of(d), &d->ram, &irq);
	else
		virtio_blk_init(b, d->disk, d->disk_size, drive_of(d), &d->ram, &irq);
	return MICA_OK;
}

/* A block driver finished requests: which device's, its signal does not say. */
static void notified(struct vdev_server *s, uint64_t bits)
{
	if ((bits & VDEV_NTFN_DRIVE) == 0)
		return;
	for (unsigned i = 0; i < s->device_count; i++) {
		struct vdev_device *d = &s->devices[i];

		if (d->is_served && d->boot->drive_va != 0)
			virtio_blk_drive_done(d->model);
	}
}

static enum mica_error mmio_read(struct vdev_device *d, uint64_t offset, unsigned size,
				 uint64_t *value)
{
	struct virtio_blk *b = d->model;

	return virtio_mmio_read(&b->mmio, offset, size, value);
}

static enum mica_error mmio_write(struct vdev_device *d, uint64_t offset, unsigned size,
				  uint64_t value)
{
	struct virtio_blk *b = d->model;

	return virtio_mmio_write(&b->mmio, offset, size, value);
}

/* The VM reset: the device as if its driver wrote 0 to Status. */
static void reset(struct vdev_device *d)
{
	(void)mmio_write(d, VIRTIO_MMIO_STATUS, 4, 0);
}

static const struct vdev_ops ops = {
	.init = init,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.notified = notified,
	.reset = reset,
};

int main(uint64_t boot)
{
	return vdev_main(boot, &ops);
}
