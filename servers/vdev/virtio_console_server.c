/*
 * vdev_virtio_console: serves every "virtio,mmio" device in its boot page
 * as a virtio console (virtio_console.c). Output goes to the machine's
 * console, each line prefixed with its VM's name; input typed on the
 * machine's console (when this server holds the UART's interrupt) goes to
 * the console with the focus (Ctrl-] moves it). A device needs its guest's
 * RAM mapped (devices[i].ram_*); one without is not served.
 */
#include <stdint.h>

#include <vdev/console.h>
#include <vdev/vdev.h>

#include "virtio_console.h"

/* The guest's node: as vdev_virtio_blk's, a virtio-mmio transport with coherent DMA. */
VDEV_DEVICE_KIND(virtio_kind, .compatible = "virtio,mmio", .node_name = "virtio_mmio",
		 .flags = VDEV_KIND_GUEST_RAM | VDEV_KIND_EDGE_LINE,
		 .props = {VDEV_PROP_EMPTY("dma-coherent")});

/* A device's recoverable state: the console, and the input waiting for its receive buffers. */
struct virtio_console_kept {
	struct virtio_console console;
	struct vdev_console_input input;
};

static struct virtio_console_kept consoles[VDEV_MAX_DEVICES]; /* For devices without state pages. */
static struct vdev_console console;

static void output(void *ctx, const uint8_t *buf, size_t len)
{
	vdev_console_output(&console, ctx, buf, len);
}

/* Input for the guest: as much as the model's pending queue takes (the rest waits in the
 * console's). */
static size_t input(struct vdev_device *d, const uint8_t *buf, size_t len)
{
	struct virtio_console *c = d->model;
	size_t room = VIRTIO_CONSOLE_PENDING - virtio_console_pending(c);

	return virtio_console_input(c, buf, len < room ? len : room);
}

static void setup(struct vdev_server *s)
{
	vdev_console_init(&console, s, input);
	vdev_console_start(&console);
}

/*
 * The console lives in the device's recoverable state, so a restarted
 * instance resumes it: the transport as the driver left it, input queued
 * for the guest kept, chains in flight redone (virtio_console.h). It joins
 * the machine's console first, as resuming may output a chain again.
 */
static enum mica_error init(struct vdev_device *d)
{
	const struct virtio_irq irq = {.set = vdev_line_callback, .ctx = d};
	const struct virtio_console_out out = {.write = output, .ctx = d};
	struct virtio_console_kept *k = vdev_state(d, struct virtio_console_kept);

	if (!vdev_is_compatible(d, "virtio,mmio") || d->ram.size == 0 ||
	    d->boot->ipa_size < VIRTIO_MMIO_SIZE)
		return MICA_ERR_NOT_FOUND;
	if (k == NULL)
		k = &consoles[d->index];
	d->model = &k->console;
	vdev_console_add(&console, d, &k->input);
	if (d->is_resumed)
		virtio_console_resume(&k->console, &d->ram, &irq, &out);
	else
		virtio_console_init(&k->console, &d->ram, &irq, &out);
	vdev_console_take_input(&console, d);
	return MICA_OK;
}

static enum mica_error mmio_read(struct vdev_device *d, uint64_t offset, unsigned size,
				 uint64_t *value)
{
	struct virtio_console *c = d->model;

	return virtio_mmio_read(&c->mmio, offset, size, value);
}

static enum mica_error mmio_write(struct vdev_device *d, uint64_t offset, unsigned size,
				  uint64_t value)
{
	struct virtio_console *c = d->model;
	enum mica_error err = virtio_mmio_write(&c->mmio, offset, size, value);

	vdev_console_take_input(&console, d); /* A notify may have given receive buffers. */
	return err;
}

static void notified(struct vdev_server *s, uint64_t bits)
{
	vdev_console_notified(&console, bits);
}

static void timer(struct vdev_device *d)
{
	vdev_console_timer(&console, d);
}

/* The VM reset: the device as if its driver wrote 0 to Status. */
static void reset(struct vdev_device *d)
{
	(void)mmio_write(d, VIRTIO_MMIO_STATUS, 4, 0);
}

static const struct vdev_ops ops = {
	.setup = setup,
	.init = init,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.reset = reset,
	.notified = notified,
	.timer = timer,
};

int main(uint64_t boot)
{
	return vdev_main(boot, &ops);
}
