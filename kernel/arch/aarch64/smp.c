/*
 * Starting the other CPUs (PSCI CPU_ON, DEN0022 function 0xC4000003), and
 * the machine side of smp.h: the SGI that makes a CPU enter the kernel, and
 * repeating an abandoned entry.
 *
 * The boot CPU is CPU 0; the others the device tree lists are numbered in
 * its order as they come up. Each starts at secondary_entry (head.S) with
 * its index, turns its MMU on with the boot tables, sets up what is its
 * own (stack, system registers, redistributor, CPU interface, tick) and
 * waits for the kernel lock, which the boot CPU holds until the root task
 * first runs.
 */
#include "arch/esr.h"
#include "arch/internal.h"
#include "arch/sysreg.h"
#include "print.h"
#include "sched.h"
#include "smp.h"

#define PSCI_CPU_ON_64 0xc4000003u

/*
 * How long the boot CPU waits for another to come up: a real core takes
 * microseconds; an emulated one is a host thread that a loaded host may
 * not run for a while (qemu.vmm-bare-smp once waited past 1/10 s).
 */
#define START_TIMEOUT_SECONDS 5

extern char secondary_entry[];
extern char vectors_smp[];

static uint64_t cpu_mpidr[PLATFORM_MAX_CPUS];
static volatile uint32_t cpu_up[PLATFORM_MAX_CPUS];

static int64_t psci_cpu_on(enum psci_conduit conduit, uint64_t mpidr, uint64_t entry,
			   uint64_t context)
{
	register uint64_t x0 __asm__("x0") = PSCI_CPU_ON_64;
	register uint64_t x1 __asm__("x1") = mpidr;
	register uint64_t x2 __asm__("x2") = entry;
	register uint64_t x3 __asm__("x3") = context;

	if (conduit == PSCI_CONDUIT_SMC)
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	else if (conduit == PSCI_CONDUIT_HVC)
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	else
		return -1;
	return (int64_t)x0;
}

NORETURN void secondary_main(unsigned cpu);

void secondary_main(unsigned cpu)
{
	cpu_init_this(cpu);
	mmu_leave_identity_map();
	sched_cpus[cpu].active_vs = sched_empty_vspace_token;
	gic_init_this_cpu();
	timer_init_this_cpu();
	__atomic_store_n(&cpu_up[cpu], 1, __ATOMIC_RELEASE);
	smp_lock();
	arch_return_to_user(schedule());
}

void arch_smp_start(const struct platform *p)
{
	uint64_t me = sysreg_read(mpidr_el1) & MPIDR_AFF_MASK;
	uint64_t entry = pa_addr(arch_virt_to_phys(secondary_entry));

	cpu_mpidr[0] = me;
	for (size_t i = 0; i < p->cpu_count && smp_cpu_count < PLATFORM_MAX_CPUS; i++) {
		unsigned cpu = smp_cpu_count;
		uint64_t mpidr = p->cpu_mpidr[i] & MPIDR_AFF_MASK;
		uint64_t deadline;
		int64_t err;

		if (mpidr == me)
			continue;
		if (!gic_find_cpu(p, cpu, mpidr)) {
			kprintf("mica: CPU 0x%llx has no redistributor: not started\n",
				(unsigned long long)mpidr);
			continue;
		}
		cpu_mpidr[cpu] = mpidr;
		err = psci_cpu_on(p->psci, mpidr, entry, cpu);
		if (err != 0) {
			kprintf("mica: PSCI CPU_ON 0x%llx failed (%lld): not started\n",
				(unsigned long long)mpidr, (long long)err);
			continue;
		}
		deadline = arch_counter() + arch_counter_hz() * START_TIMEOUT_SECONDS;
		while (__atomic_load_n(&cpu_up[cpu], __ATOMIC_ACQUIRE) == 0 &&
		       arch_counter() < deadline)
			arch_cpu_relax();
		if (cpu_up[cpu] == 0)
			panic("CPU 0x%llx was started but never came up",
			      (unsigned long long)mpidr);
		smp_cpu_count = cpu + 1;
	}
	/* From now on, entries from threads take the kernel lock, here too. */
	if (smp_cpu_count > 1) {
		sysreg_write(vbar_el2, (uint64_t)(uintptr_t)vectors_smp);
		isb();
	}
}

void arch_send_ipi(unsigned cpu)
{
	gic_send_sgi(cpu_mpidr[cpu], GIC_SGI_KICK);
}

void arch_kick(unsigned cpu)
{
	((struct arch_cpu *)arch_cpu_local())->kicks |= UINT32_C(1) << cpu;
}

void arch_send_kicks(void)
{
	struct arch_cpu *here = arch_cpu_local();

	while (here->kicks != 0) {
		unsigned cpu = (unsigned)__builtin_ctz(here->kicks);

		here->kicks &= here->kicks - 1;
		arch_send_ipi(cpu);
	}
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

void arch_wait_for_lock(void)
{
	__asm__ volatile("wfi" ::: "memory");
}

void arch_regs_abandon_entry(struct arch_regs *regs, bool sync)
{
	unsigned ec;

	if (!sync)
		return; /* An interrupt stays pending, to be taken again. */
	ec = esr_ec(sysreg_read(esr_el2));
	/* Their preferred return address is the next instruction; every other is itself. */
	if (ec == ESR_EC_SVC64 || ec == ESR_EC_HVC64)
		regs->pc -= 4;
}
