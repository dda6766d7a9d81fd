/*
 * Time for device servers: a clock that only goes forward, and the
 * wall-clock time. Both come from the generic counter (CNTVCT_EL0), which
 * a host thread reads without a system call, at the frequency CNTFRQ_EL0
 * gives; the wall clock starts from the machine's real-time clock, which
 * the root task reads once at boot and hands every server in its boot page
 * (vdev_boot.wall_clock_s and wall_clock_counter). A server therefore
 * needs no device of the machine's to know the time, and every server
 * agrees on it.
 *
 * Timers count by vdev_clock_ns: vdev_timer_set in vdev/vdev.h.
 */
#ifndef MICA_VDEV_CLOCK_H
#define MICA_VDEV_CLOCK_H

#include <stdint.h>

#include <mica/proto/vdev.h>

#define VDEV_NS_PER_S UINT64_C(1000000000)

struct vdev_server;

/* Nanoseconds on the generic counter since the machine started counting. */
uint64_t vdev_clock_ns(void);

/*
 * The wall-clock time, in nanoseconds since 1970-01-01 00:00:00 UTC, to
 * within the second the root task read the machine's clock in. On a
 * machine without a real-time clock it counts from 0 at boot.
 */
uint64_t vdev_time_ns(const struct vdev_server *s);

/*
 * The reading of vdev_clock_ns at which the wall clock (vdev_time_ns)
 * reads time_ns, or a little after: for a timer at a wall-clock time.
 */
uint64_t vdev_clock_at_time(const struct vdev_server *s, uint64_t time_ns);

/* The pure parts, for tests: ticks of a counter of hz in nanoseconds (0 if hz is 0), */
uint64_t vdev_ticks_to_ns(uint64_t ticks, uint64_t hz);

/* the first count of a counter of hz at which ns nanoseconds have passed (saturating), */
uint64_t vdev_ns_to_ticks(uint64_t ns, uint64_t hz);

/* the wall-clock time by boot's reading when the counter (of hz) reads counter, */
uint64_t vdev_time_at(const struct vdev_boot *boot, uint64_t counter, uint64_t hz);

/* and vdev_clock_at_time by boot's reading (never 0, which is no time). */
uint64_t vdev_clock_at(const struct vdev_boot *boot, uint64_t time_ns, uint64_t hz);

#endif
