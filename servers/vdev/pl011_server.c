/*
 * vdev_pl011: serves every "arm,pl011" device in its boot page, in every
 * VM, with the PL011 model (pl011.c). Each guest UART's output goes to the
 * machine's console in whole lines, each prefixed with its VM's name
 * (conmux.h says when a line shows, and when it is broken); input typed
 * on the machine's console goes to the guest UART with the focus (Ctrl-]
 * moves it), as fast as the guest empties its receive FIFO: what does not
 * fit waits in the console's queue, kept with the UART in the device's
 * recoverable state (vdev/console.h), so nothing typed or pasted is lost.
 */
#include <stdint.h>

#include <vdev/console.h>
#include <vdev/vdev.h>

#include "pl011.h"

/*
 * The guest's node: the PL011 binding's compatible and its two clocks (the
 * AMBA bus probes a primecell only with apb_pclk); the guest's console,
 * which this server puts on the machine's.
 */
VDEV_DEVICE_KIND(pl011_kind, .compatible = "arm,pl011\0arm,primecell", .node_name = "pl011",
		 .clock_names = "uartclk\0apb_pclk",
		 .flags = VDEV_KIND_STDOUT | VDEV_KIND_MACHINE_UART);

/* A device's recoverable state: the UART, and the input waiting for its receive FIFO. */
struct pl011_kept {
	struct pl011 uart;
	struct vdev_console_input input;
};

static struct pl011_kept uarts[VDEV_MAX_DEVICES]; /* For devices without state pages. */
static struct vdev_console console;

static void tx(void *ctx, uint8_t ch)
{
	vdev_console_output(&console, ctx, &ch, 1);
}

/* Input for the guest: as much as its receive FIFO has room for. */
static size_t input(struct vdev_device *d, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	while (n < len && pl011_rx_space(d->model) > 0)
		(void)pl011_rx_push(d->model, buf[n++]);
	return n;
}

/* The UART lives in the device's recoverable state: a restart resumes it (pl011.h). */
static enum mica_error init(struct vdev_device *d)
{
	const struct pl011_ops ops = {.tx = tx, .irq = vdev_line_callback, .ctx = d};
	struct pl011_kept *k = vdev_state(d, struct pl011_kept);

	if (!vdev_is_compatible(d, "arm,pl011") || d->boot->ipa_size < PL011_MMIO_SIZE)
		return MICA_ERR_NOT_FOUND;
	if (k == NULL)
		k = &uarts[d->index];
	if (d->is_resumed)
		pl011_resume(&k->uart, &ops);
	else
		pl011_init(&k->uart, &ops);
	d->model = &k->uart;
	vdev_console_add(&console, d, &k->input);
	vdev_console_take_input(&console, d);
	return MICA_OK;
}

static void setup(struct vdev_server *s)
{
	vdev_console_init(&console, s, input);
	vdev_console_start(&console);
}

/* A read of the data register makes room in the receive FIFO: input that waits moves up. */
static enum mica_error mmio_read(struct vdev_device *d, uint64_t offset, unsigned size,
				 uint64_t *value)
{
	enum mica_error err = pl011_read(d->model, offset, size, value);

	vdev_console_take_input(&console, d);
	return err;
}

static enum mica_error mmio_write(struct vdev_device *d, uint64_t offset, unsigned size,
				  uint64_t value)
{
	return pl011_write(d->model, offset, size, value);
}

static void notified(struct vdev_server *s, uint64_t bits)
{
	vdev_console_notified(&console, bits);
}

static void timer(struct vdev_device *d)
{
	vdev_console_timer(&console, d);
}

static const struct vdev_ops ops = {
	.setup = setup,
	.init = init,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.notified = notified,
	.timer = timer,
};

int main(uint64_t boot)
{
	return vdev_main(boot, &ops);
}
