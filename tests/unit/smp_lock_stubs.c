/*
 * What kernel/smp.c reaches only to stall another CPU, to answer a stall or
 * to kick a CPU, for test_smp_lock.c, which asks for none of them: each
 * ends the test. Apart from the test because the kernel's sched_yield
 * (thread.h) is not the C library's, which the test's <pthread.h> declares.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sched.h"
#include <arch/vcpu.h>

struct sched_cpu sched_cpus[PLATFORM_MAX_CPUS];
uint64_t sched_empty_vspace_token;
struct fake_cpu fake_cpus[PLATFORM_MAX_CPUS];
unsigned fake_cpu_now;

static void never(const char *what)
{
	fprintf(stderr, "test_smp_lock: %s called, and no test stalls or kicks a CPU\n", what);
	abort();
}

void arch_kick(unsigned cpu)
{
	never("arch_kick");
}

void arch_fp_open(void)
{
	never("arch_fp_open");
}

void arch_fp_save(struct arch_fp *fp)
{
	never("arch_fp_save");
}

void arch_vcpu_save(struct arch_vcpu *v)
{
	never("arch_vcpu_save");
}

void arch_regs_abandon_entry(struct arch_regs *regs, bool sync)
{
	never("arch_regs_abandon_entry");
}

void sched_requeue(struct tcb *t)
{
	never("sched_requeue");
}
