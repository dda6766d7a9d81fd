/*
 * What the benchmark guests share: sort count samples and report their
 * minimum, median and maximum as benchmark id (GUEST_CALL_RESULT, x4 =
 * id) to the VMM.
 */
#ifndef MICA_TESTS_BENCH_REPORT_H
#define MICA_TESTS_BENCH_REPORT_H

#include <stdint.h>

void bench_report(uint64_t *samples, unsigned count, uint64_t id);

#endif
