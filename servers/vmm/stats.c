/* Exit statistics in words (stats.h). */
#include "stats.h"

#include <base/fmt.h>

static const char *const kind_names[MICA_VCPU_STAT_EXIT_KINDS] = {
	"hvc", "mmio to servers", "mmio to the VMM", "sysreg", "eoi", "other"};

/* Append the mean of ticks over count, in microseconds with one decimal, to buf at *at. */
static void put_mean(char *buf, size_t *at, uint64_t ticks, uint64_t count, uint64_t hz)
{
	uint64_t tenths_us;

	if (count == 0 || hz == 0) {
		*at += (size_t)fmt_snprintf(buf + *at, STATS_LINE_MAX - *at, "-");
		return;
	}
	/* Tenths of a microsecond: ticks * 1e7 / hz / count, whole seconds first (saturating). */
	if (__builtin_mul_overflow(ticks / hz, UINT64_C(10000000), &tenths_us))
		tenths_us = UINT64_MAX;
	else
		tenths_us += ticks % hz * 10000000u / hz;
	tenths_us /= count;
	*at += (size_t)fmt_snprintf(buf + *at, STATS_LINE_MAX - *at, "%llu.%llu us",
				    (unsigned long long)(tenths_us / 10),
				    (unsigned long long)(tenths_us % 10));
}

void stats_lines(unsigned vcpu, const uint64_t stats[MICA_VCPU_STAT_COUNT], uint64_t hz,
		 void (*line)(void *ctx, const char *text), void *ctx)
{
	char buf[STATS_LINE_MAX];
	size_t at;

	fmt_snprintf(buf, sizeof(buf),
		     "vCPU %u: %llu hvc, %llu mmio to servers, %llu mmio to the VMM, %llu sysreg, "
		     "%llu eoi, %llu other; %llu wfi/wfe, %llu direct SGIs, %llu interrupts, "
		     "%llu injected, %llu doorbells",
		     vcpu, (unsigned long long)stats[MICA_VCPU_STAT_HYPERCALL],
		     (unsigned long long)stats[MICA_VCPU_STAT_MMIO_SERVER],
		     (unsigned long long)stats[MICA_VCPU_STAT_MMIO_VMM],
		     (unsigned long long)stats[MICA_VCPU_STAT_SYSREG],
		     (unsigned long long)stats[MICA_VCPU_STAT_EOI],
		     (unsigned long long)stats[MICA_VCPU_STAT_FAULT],
		     (unsigned long long)stats[MICA_VCPU_STAT_WFX],
		     (unsigned long long)stats[MICA_VCPU_STAT_SGI_DIRECT],
		     (unsigned long long)stats[MICA_VCPU_STAT_IRQ],
		     (unsigned long long)stats[MICA_VCPU_STAT_INJECTED],
		     (unsigned long long)stats[MICA_VCPU_STAT_DOORBELL]);
	line(ctx, buf);
	at = (size_t)fmt_snprintf(buf, sizeof(buf), "vCPU %u: each took", vcpu);
	for (unsigned k = 0; k < MICA_VCPU_STAT_EXIT_KINDS && at < sizeof(buf); k++) {
		at += (size_t)fmt_snprintf(buf + at, sizeof(buf) - at, "%s %s ", k ? "," : "",
					   kind_names[k]);
		if (at < sizeof(buf))
			put_mean(buf, &at, stats[MICA_VCPU_STAT_EXIT_KINDS + k], stats[k], hz);
	}
	line(ctx, buf);
}
