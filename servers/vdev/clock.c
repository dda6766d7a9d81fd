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

uint64_t vdev_ns_to_ticks(uint64_t ns, uint64_t hz)
{
	uint64_t s = ns / VDEV_NS_PER_S, rest = ns % VDEV_NS_PER_S;

	if (hz != 0 && s > (UINT64_MAX - hz) / hz)
		return UINT64_MAX;
	/* Rounded up, so that vdev_ticks_to_ns of the result is at least ns. */
	return s * hz + (rest * hz + VDEV_NS_PER_S - 1) / VDEV_NS_PER_S;
}

uint64_t vdev_time_at(const struct vdev_boot *boot, uint64_t counter, uint64_t hz)
{
	uint64_t since =
		counter >= boot->wall_clock_counter ? counter - boot->wall_clock_counter : 0;

	return boot->wall_clock_s * VDEV_NS_PER_S + vdev_ticks_to_ns(since, hz);
}

uint64_t vdev_clock_at(const struct vdev_boot *boot, uint64_t time_ns, uint64_t hz)
{
	uint64_t start = boot->wall_clock_s * VDEV_NS_PER_S;
	uint64_t base = vdev_ticks_to_ns(boot->wall_clock_counter, hz);

	if (time_ns <= start)
		return base + 1;
	/* + 1: the two clocks round their ticks apart by up to a nanosecond. */
	return time_ns - start + base + 1;
}
