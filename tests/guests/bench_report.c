/* The benchmark guests' report (bench_report.h). */
#include "bench_report.h"

#include "guest.h"

uint64_t bench_counter_overhead(void)
{
	uint64_t least = UINT64_MAX;

	for (int i = 0; i < 100; i++) {
		uint64_t t0 = guest_cycles();
		uint64_t d = guest_cycles() - t0;

		if (d < least)
			least = d;
	}
	return least;
}

void bench_report(uint64_t *samples, unsigned count, uint64_t id)
{
	/* Shell sort: a few lines, and quick enough for 10,000 samples. */
	for (unsigned gap = count / 2; gap > 0; gap /= 2)
		for (unsigned i = gap; i < count; i++)
			for (unsigned j = i; j >= gap && samples[j - gap] > samples[j]; j -= gap) {
				uint64_t t = samples[j];

				samples[j] = samples[j - gap];
				samples[j - gap] = t;
			}
	(void)guest_hvc(GUEST_CALL_RESULT, samples[0], samples[count / 2], samples[count - 1], id);
}
