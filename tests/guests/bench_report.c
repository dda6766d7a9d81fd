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

#define NS_PER_S   1000000000u
#define SKEW_READS 256u

int64_t bench_counter_skew(void)
{
	int64_t best = INT64_MAX, c, v;
	uint64_t n = SKEW_READS, freq;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	/* Seven instructions a round, an odd length: it meets every phase of the tick. */
	__asm__ volatile("1:	mrs	%[c], pmccntr_el0\n"
			 "	mrs	%[v], cntvct_el0\n"
			 "	msub	%[c], %[v], %[k], %[c]\n"
			 "	cmp	%[c], %[best]\n"
			 "	csel	%[best], %[c], %[best], lt\n"
			 "	subs	%[n], %[n], #1\n"
			 "	b.ne	1b\n"
			 : [c] "=&r"(c), [v] "=&r"(v), [best] "+r"(best), [n] "+r"(n)
			 : [k] "r"(NS_PER_S / freq)
			 : "cc");
	return best;
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
