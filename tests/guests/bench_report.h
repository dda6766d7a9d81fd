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

#endif
