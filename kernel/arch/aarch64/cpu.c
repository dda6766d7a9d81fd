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

/* The per-CPU block TPIDR_EL2 points at; vectors.S reads kstack_top. */
struct cpu_local {
	uint64_t kstack_top;
};

static struct cpu_local boot_cpu;
static uint8_t boot_kstack[KERNEL_STACK_SIZE] __attribute__((aligned(16)));

_Static_assert(__builtin_offsetof(struct cpu_local, kstack_top) == CPU_KSTACK_TOP,
	       "vectors.S reads the kernel stack top here");

void arch_cpu_init(void)
{
	boot_cpu.kstack_top = (uintptr_t)(boot_kstack + sizeof(boot_kstack));
	sysreg_write(tpidr_el2, (uintptr_t)&boot_cpu);
	/* No FP/SIMD at EL0 or EL2 yet: the kernel and programs are built without. */
	sysreg_write(cptr_el2, CPTR_FPEN_TRAP_ALL);
	/* EL0 may read the counters (time stamps without a system call). */
	sysreg_write(cnthctl_el2, sysreg_read(cnthctl_el2) | CNTHCTL_EL0PCTEN | CNTHCTL_EL0VCTEN);
	isb();
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
