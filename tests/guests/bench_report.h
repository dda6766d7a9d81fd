/*
 * What the benchmark guests share: sort count samples and report their
 * minimum, median and maximum as benchmark id (GUEST_CALL_RESULT, x4 =
 * id) to the VMM; the counter's own cost, to take off each sample.
 */
#ifndef MICA_TESTS_BENCH_REPORT_H
#define MICA_TESTS_BENCH_REPORT_H

#include <stdint.h>

void bench_report(uint64_t *samples, unsigned count, uint64_t id);

/* What two back-to-back reads of the cycle counter count: the least of 100 tries. */
uint64_t bench_counter_overhead(void);

/*
 * This CPU's cycle counter less the virtual counter in cycles, the least
 * over 256 reads. Under -icount shift=0 every CPU's cycle counter counts
 * the instructions of every CPU, one a nanosecond, as the virtual counter
 * does in ticks of 1e9 / CNTFRQ_EL0, but each starts at its own moment:
 * two CPUs' values differ by exactly the offset between their cycle
 * counters, which figures across CPUs are corrected by. (While some CPU
 * runs the virtual counter does not jump; here one always does.)
 */
int64_t bench_counter_skew(void);

#endif
