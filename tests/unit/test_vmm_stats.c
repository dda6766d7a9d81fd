/*
 * Unit tests for servers/vmm/stats.c: the exit statistics a user reads,
 * from the kernel's counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

#define HZ UINT64_C(62500000) /* QEMU virt's counter: 16 ns a tick. */

static char lines[2][STATS_LINE_MAX];
static unsigned line_count;

static void collect(void *ctx, const char *text)
{
	(void)ctx;
	assert_true(line_count < 2);
	assert_true(strlen(text) < STATS_LINE_MAX);
	snprintf(lines[line_count++], STATS_LINE_MAX, "%s", text);
}

static void test_counts_and_mean_times_read_as_the_kernel_gave_them(void **state)
{
	uint64_t s[MICA_VCPU_STAT_COUNT] = {0};

	(void)state;
	line_count = 0;
	s[MICA_VCPU_STAT_HYPERCALL] = 11;
	s[MICA_VCPU_STAT_MMIO_SERVER] = 4000;
	s[MICA_VCPU_STAT_MMIO_VMM] = 6;
	s[MICA_VCPU_STAT_SYSREG] = 7;
	s[MICA_VCPU_STAT_WFX] = 300;
	s[MICA_VCPU_STAT_SGI_DIRECT] = 2;
	s[MICA_VCPU_STAT_IRQ] = 120;
	s[MICA_VCPU_STAT_INJECTED] = 99;
	s[MICA_VCPU_STAT_DOORBELL] = 5;
	/* 11 hypercalls of 3.2 us: 200 ticks of 16 ns each. */
	s[MICA_VCPU_STAT_TICKS_HYPERCALL] = UINT64_C(11) * 200;
	/* 4000 MMIO exits of 1 ms each, 250 s in all: no overflow on the way. */
	s[MICA_VCPU_STAT_TICKS_MMIO_SERVER] = 4000 * (HZ / 1000);
	s[MICA_VCPU_STAT_TICKS_MMIO_VMM] = UINT64_C(6) * 3;
	s[MICA_VCPU_STAT_TICKS_SYSREG] = 0;
	stats_lines(3, s, HZ, collect, NULL);
	assert_int_equal(line_count, 2);
	assert_string_equal(lines[0], "vCPU 3: 11 hvc, 4000 mmio to servers, 6 mmio to the VMM, "
				      "7 sysreg, 0 eoi, 0 other; 300 wfi/wfe, 2 direct SGIs, "
				      "120 interrupts, 99 injected, 5 doorbells");
	assert_string_equal(lines[1], "vCPU 3: each took hvc 3.2 us, mmio to servers 1000.0 us, "
				      "mmio to the VMM 0.0 us, sysreg 0.0 us, eoi -, other -");
}

/* Counts near the top of the range, and a counter rate of 0, print without a fault. */
static void test_huge_counts_and_no_rate_print_sensibly(void **state)
{
	uint64_t s[MICA_VCPU_STAT_COUNT];

	(void)state;
	line_count = 0;
	for (unsigned i = 0; i < MICA_VCPU_STAT_COUNT; i++)
		s[i] = UINT64_MAX;
	stats_lines(0, s, 0, collect, NULL);
	assert_int_equal(line_count, 2);
	assert_non_null(strstr(lines[0], "18446744073709551615 hvc"));
	assert_string_equal(lines[1], "vCPU 0: each took hvc -, mmio to servers -, "
				      "mmio to the VMM -, sysreg -, eoi -, other -");
	line_count = 0;
	stats_lines(0, s, HZ, collect, NULL);
	assert_non_null(strstr(lines[1], "hvc 0.0 us")); /* One tick each: 16 ns. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_mean_times_read_as_the_kernel_gave_them),
		cmocka_unit_test(test_huge_counts_and_no_rate_print_sensibly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
