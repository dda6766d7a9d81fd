/*
 * The fake architecture's kernel entry: what kernel/arch/aarch64's
 * exception code does with a system call, and what another CPU does when
 * it is kicked or stalled, for tests that drive the whole generic kernel
 * (it lives apart from fake.c, which tests of single modules link without
 * the rest of the kernel).
 */
#include "fake.h"
#include "fastpath.h"
#include "smp.h"

/* Spins since the last kick; past RELAX_LIMIT, no CPU will ever answer. */
static unsigned long relaxes;
#define RELAX_LIMIT 1000000

struct arch_regs *exception_user_sync(struct arch_regs *regs)
{
	syscall_dispatch((struct tcb *)regs);
	return schedule();
}

/* The kick stays pending until the test has that CPU take it (an interrupt entry). */
void arch_send_ipi(unsigned cpu)
{
	fake_cpus[cpu].ipi_pending = true;
	fake_cpus[cpu].ipis++;
	relaxes = 0;
}

/* The fake CPUs take turns, so none waits for the lock: a kick is sent at once. */
void arch_kick(unsigned cpu)
{
	arch_send_ipi(cpu);
}

void arch_send_kicks(void)
{
}

/*
 * The lock holder spins, waiting for stalled CPUs. The fake CPUs do not
 * run at the same time, so each of the others does now what it would do
 * waiting for the lock: answer a stall if one is asked of it. A stall is
 * only ever answered this way, by a CPU between two of the test's entries
 * (in a thread, or idle), which on hardware is a CPU taking its kick.
 */
void arch_cpu_relax(void)
{
	unsigned me = fake_cpu_now;

	if (++relaxes == RELAX_LIMIT)
		fake_report_misuse("CPU %u spins forever: a stall nobody answers, or a lock "
				   "never let go",
				   me);
	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		if (cpu == me)
			continue;
		fake_cpu_switch(cpu);
		smp_answer_stall();
	}
	fake_cpu_switch(me);
}

/* The fake CPUs never wait for the lock for long; if one did, it spins on. */
void arch_wait_for_lock(void)
{
	arch_cpu_relax();
}

/*
 * What the stalled CPU gave up was a kick's entry (see arch_cpu_relax): an
 * interrupt, which stays pending, so nothing is made again. regs is the
 * last entry the kernel saw on that CPU, long over, and is not touched.
 */
void arch_regs_abandon_entry(struct arch_regs *regs, bool sync)
{
	(void)regs;
	(void)sync;
	fake_cpus[fake_cpu_now].abandoned++;
}
