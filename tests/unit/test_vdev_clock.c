/*
 * Unit tests for servers/vdev/clock.c: the device-server library's clock
 * arithmetic, counter ticks to nanoseconds and the wall-clock time from
 * the reading the root task put in the boot page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <vdev/clock.h>

#define QEMU_HZ UINT64_C(62500000) /* QEMU virt's generic counter. */

static void test_ticks_become_nanoseconds_exactly(void **state)
{
	assert_int_equal(vdev_ticks_to_ns(0, QEMU_HZ), 0);
	assert_int_equal(vdev_ticks_to_ns(1, QEMU_HZ), 16);
	assert_int_equal(vdev_ticks_to_ns(QEMU_HZ, QEMU_HZ), VDEV_NS_PER_S);
	assert_int_equal(vdev_ticks_to_ns(QEMU_HZ * 3 + QEMU_HZ / 2, QEMU_HZ),
			 3 * VDEV_NS_PER_S + VDEV_NS_PER_S / 2);
	assert_int_equal(vdev_ticks_to_ns(12345, 0), 0);
}

static void test_ticks_of_a_century_do_not_overflow(void **state)
{
	uint64_t century = QEMU_HZ * 3600 * 24 * 36525;

	assert_int_equal(vdev_ticks_to_ns(century, QEMU_HZ), VDEV_NS_PER_S * 3600 * 24 * 36525);
	/* A counter near its top: whole seconds, then the remainder. */
	assert_int_equal(vdev_ticks_to_ns(UINT64_MAX, UINT64_C(1000000000)), UINT64_MAX);
}

static void test_the_wall_clock_counts_on_from_the_boot_reading(void **state)
{
	const struct vdev_boot boot = {.wall_clock_s = 1704067200, .wall_clock_counter = 1000};

	assert_int_equal(vdev_time_at(&boot, 1000, QEMU_HZ), UINT64_C(1704067200) * VDEV_NS_PER_S);
	assert_int_equal(vdev_time_at(&boot, 1000 + 90 * QEMU_HZ, QEMU_HZ),
			 UINT64_C(1704067290) * VDEV_NS_PER_S);
	/* A counter behind the reading (it cannot be) gives the reading, not a wrap. */
	assert_int_equal(vdev_time_at(&boot, 10, QEMU_HZ), UINT64_C(1704067200) * VDEV_NS_PER_S);
}

static void test_without_a_machine_clock_the_time_counts_from_boot(void **state)
{
	const struct vdev_boot boot = {.wall_clock_s = 0, .wall_clock_counter = 500};

	assert_int_equal(vdev_time_at(&boot, 500 + 2 * QEMU_HZ, QEMU_HZ), 2 * VDEV_NS_PER_S);
}

/* A timer's deadline as a counter value: the first tick at or past it, never one early. */
static void test_a_deadline_becomes_the_first_tick_at_or_past_it(void **state)
{
	assert_int_equal(vdev_ns_to_ticks(0, QEMU_HZ), 0);
	assert_int_equal(vdev_ns_to_ticks(16, QEMU_HZ), 1);
	assert_int_equal(vdev_ns_to_ticks(17, QEMU_HZ), 2);
	assert_int_equal(vdev_ns_to_ticks(VDEV_NS_PER_S, QEMU_HZ), QEMU_HZ);
	for (uint64_t ns = 1; ns < 100000; ns += 997) {
		uint64_t t = vdev_ns_to_ticks(ns, QEMU_HZ);

		assert_true(vdev_ticks_to_ns(t, QEMU_HZ) >= ns);
		assert_true(vdev_ticks_to_ns(t - 1, QEMU_HZ) < ns);
	}
	/* Past what the counter can count: never, not a wrap to soon. */
	assert_int_equal(vdev_ns_to_ticks(UINT64_MAX, UINT64_C(4000000000)), UINT64_MAX);
}

/*
 * A timer for a wall-clock time: the monotonic clock's reading then, or a
 * nanosecond after, never before, wherever the boot reading left the two
 * clocks.
 */
static void test_a_wall_clock_deadline_is_never_early_on_the_monotonic_clock(void **state)
{
	const struct vdev_boot boot = {.wall_clock_s = 1704067200, .wall_clock_counter = 777777};
	uint64_t target = UINT64_C(1704067260) * VDEV_NS_PER_S;
	uint64_t at = vdev_clock_at(&boot, target, QEMU_HZ);
	uint64_t tick = vdev_ns_to_ticks(at, QEMU_HZ);

	assert_true(vdev_time_at(&boot, tick, QEMU_HZ) >= target);
	assert_true(vdev_time_at(&boot, tick - QEMU_HZ / 1000, QEMU_HZ) < target);
	/* A time before the boot reading is due at once (and 0 is no time). */
	assert_int_not_equal(vdev_clock_at(&boot, 5, QEMU_HZ), 0);
	assert_true(vdev_clock_at(&boot, 5, QEMU_HZ) <= vdev_ticks_to_ns(777777, QEMU_HZ) + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticks_become_nanoseconds_exactly),
		cmocka_unit_test(test_ticks_of_a_century_do_not_overflow),
		cmocka_unit_test(test_the_wall_clock_counts_on_from_the_boot_reading),
		cmocka_unit_test(test_without_a_machine_clock_the_time_counts_from_boot),
		cmocka_unit_test(test_a_deadline_becomes_the_first_tick_at_or_past_it),
		cmocka_unit_test(test_a_wall_clock_deadline_is_never_early_on_the_monotonic_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
