/*
 * vdev_pl031: serves every "arm,pl031" device in its boot page, in every
 * VM, with the PL031 real-time clock model (pl031.c). Each guest's clock
 * reads the machine's wall-clock time (the library's clock) until the
 * guest loads its own ("hwclock -w"), and then counts on from that, across
 * the server's restarts. An unmasked alarm raises the guest's interrupt
 * when its second comes, by the library's timer, whether or not the guest
 * looks.
 */
#include <stdint.h>

#include <vdev/clock.h>
#include <vdev/vdev.h>

#include "pl031.h"

/*
 * The guest's node: /pl031@BASE with the PL031 binding's compatible, reg
 * and interrupts from the description, and the clock the AMBA bus needs to
 * probe a primecell.
 */
VDEV_DEVICE_KIND(pl031_kind, .compatible = "arm,pl031\0arm,primecell", .node_name = "pl031",
		 .clock_names = "apb_pclk");

static struct pl031 rtcs[VDEV_MAX_DEVICES]; /* For devices without state pages. */

/* The machine's time in whole seconds, which the model counts in. */
static uint64_t now(const struct vdev_device *d)
{
	return vdev_time_ns(d->server) / VDEV_NS_PER_S;
}

/* Set d's timer for the next alarm the guest would see, if any (the model is up to date). */
static void set_timer(struct vdev_device *d, uint64_t now_s)
{
	uint64_t at = pl031_next_alarm(d->model, now_s);

	vdev_timer_set(d, at == 0 ? 0 : vdev_clock_at_time(d->server, at * VDEV_NS_PER_S));
}

/* The second the timer was set for, or a restart: the alarm is raised if due, and timed again. */
static void timer(struct vdev_device *d)
{
	uint64_t now_s = now(d);

	pl031_update(d->model, now_s);
	set_timer(d, now_s);
}

/* The clock lives in the device's recoverable state: a restart resumes it. */
static enum mica_error init(struct vdev_device *d)
{
	const struct pl031_ops ops = {.irq = vdev_line_callback, .ctx = d};
	struct pl031 *r = vdev_state(d, struct pl031);

	if (!vdev_is_compatible(d, "arm,pl031") || d->boot->ipa_size < PL031_MMIO_SIZE)
		return MICA_ERR_NOT_FOUND;
	if (r == NULL)
		r = &rtcs[d->index];
	if (d->is_resumed)
		pl031_resume(r, &ops);
	else
		pl031_init(r, &ops, now(d));
	d->model = r;
	timer(d);
	return MICA_OK;
}

static enum mica_error mmio_read(struct vdev_device *d, uint64_t offset, unsigned size,
				 uint64_t *value)
{
	return pl031_read(d->model, now(d), offset, size, value);
}

/* A write can move the counter, MR or the mask: the timer follows. */
static enum mica_error mmio_write(struct vdev_device *d, uint64_t offset, unsigned size,
				  uint64_t value)
{
	uint64_t now_s = now(d);
	enum mica_error err = pl031_write(d->model, now_s, offset, size, value);

	if (err == MICA_OK)
		set_timer(d, now_s);
	return err;
}

static const struct vdev_ops ops = {
	.init = init, .mmio_read = mmio_read, .mmio_write = mmio_write, .timer = timer};

int main(uint64_t boot)
{
	return vdev_main(boot, &ops);
}
