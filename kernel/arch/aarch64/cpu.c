/*
 * Per-CPU EL2 state once the kernel runs at its link address, and the boot
 * facts start-up gathered.
 */
#include "arch.h"
#include "arch/early.h"
#include "arch/internal.h"
#include "arch/layout.h"
#include "arch/power.h"
#include "arch/sysreg.h"

/* The boot CPU's kernel stack; TPIDR_EL2 holds its top for vectors.S. */
static uint8_t boot_kstack[KERNEL_STACK_SIZE] __attribute__((aligned(16)));

/*
 * The cycle counter runs at every exception level (PMCCFILTR_EL0.NSH adds
 * EL2) and EL0 may read it: under QEMU's -icount it then counts executed
 * instructions exactly, which is how Mica's benchmarks measure (Arm ARM
 * D13: PMCR_EL0, PMCNTENSET_EL0, PMCCFILTR_EL0, PMUSERENR_EL0).
 */
static void pmu_init(void)
{
	sysreg_write(pmccfiltr_el0, PMCCFILTR_NSH);
	sysreg_write(pmcntenset_el0, PMCNTEN_C);
	sysreg_write(pmcr_el0, PMCR_E | PMCR_C | PMCR_LC);
	sysreg_write(pmuserenr_el0, PMUSERENR_EN | PMUSERENR_CR);
	isb();
}

void arch_cpu_init(void)
{
	sysreg_write(tpidr_el2, (uintptr_t)(boot_kstack + sizeof(boot_kstack)));
	/* No FP/SIMD at EL0 or EL2 yet: the kernel and programs are built without. */
	sysreg_write(cptr_el2, CPTR_FPEN_TRAP_ALL);
	/* EL0 may read the counters (time stamps without a system call). */
	sysreg_write(cnthctl_el2, sysreg_read(cnthctl_el2) | CNTHCTL_EL0PCTEN | CNTHCTL_EL0VCTEN);
	isb();
	pmu_init();
	mmu_drop_identity_map();
}

void arch_boot_info(paddr_t dtb, paddr_t image, struct boot_info *out)
{
	(void)dtb;
	out->platform = &boot_platform;
	out->image_start = image;
	out->image_end =
		pa_init(pa_addr(image) + ((uintptr_t)__image_end - (uintptr_t)__image_start));
	out->archive =
		pa_init(pa_addr(image) + ((uintptr_t)__archive_start - (uintptr_t)__image_start));
	out->archive_size = (size_t)((uintptr_t)__archive_end - (uintptr_t)__archive_start);
}

void arch_irq_init(const struct platform *p)
{
	gic_init(p);
}

void arch_power_off(int status)
{
	power_off(status, boot_platform.psci);
}
