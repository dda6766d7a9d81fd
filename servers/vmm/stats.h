/*
 * Exit statistics as the VMM shows them: the kernel's counts for each vCPU
 * (MICA_VCPU_GET_STATS, enum mica_vcpu_stat) in lines a user can read,
 * when the VM ends and when the console's Ctrl-T asks. Pure logic: the
 * lines leave through a callback.
 *
 * For each vCPU, two lines:
 *
 *   vCPU N: H hvc, S mmio to servers, M mmio to the VMM, R sysreg, E eoi,
 *           F other; W wfi/wfe, D direct SGIs, I interrupts, J injected
 *   vCPU N: each took hvc A us, mmio to servers B us, mmio to the VMM C us,
 *           sysreg D us, eoi E us, other F us
 *
 * (each on one line), the second giving the mean time from exit to answer
 * of each kind in microseconds with one decimal, "-" for a kind with no
 * exits.
 */
#ifndef VMM_STATS_H
#define VMM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <mica/abi/vcpu.h>

#define STATS_LINE_MAX 200u

/* Write vCPU vcpu's two lines (stats as the kernel gave them, counter at hz) through line. */
void stats_lines(unsigned vcpu, const uint64_t stats[MICA_VCPU_STAT_COUNT], uint64_t hz,
		 void (*line)(void *ctx, const char *text), void *ctx);

#endif
