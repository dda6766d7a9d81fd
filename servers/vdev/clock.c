/*
 * The device-server library's clock (see vdev/clock.h): the arithmetic,
 * which the host tests; vdev.c reads the counter.
 */
#include <vdev/clock.h>

uint64_t vdev_ticks_to_ns(uint64_t ticks, uint64_t hz)
{
	if (hz == 0)
		return 0;
	/* Whole seconds, then the rest, so that nothing overflows for any count. */
	return ticks / hz * VDEV_NS_PER_S + ticks % hz * VDEV_NS_PER_S / hz;
}

uint64_t vdev_time_at(const struct vdev_boot *boot, uint64_t counter, uint64_t hz)
{
	uint64_t since =
		counter >= boot->wall_clock_counter ? counter - boot->wall_clock_counter : 0;

	return boot->wall_clock_s * VDEV_NS_PER_S + vdev_ticks_to_ns(since, hz);
}
