/*
 * The kernel's boot sequence on the boot CPU, once it runs at its link
 * address: console, banner, interrupts and tick, free memory, root task.
 */
#include <string.h>

#include "boot.h"
#include "bootmem.h"
#include "print.h"
#include "sched.h"
#include "smp.h"

#include <mica/abi/status.h>

/* The kernel's tick: the round-robin time slice within a priority. */
#define TICK_HZ 100

static void print_range(const char *what, const struct mem_range *r)
{
	kprintf("  %-8s 0x%llx-0x%llx (%llu KiB)\n", what, (unsigned long long)r->base,
		(unsigned long long)(r->base + r->size - 1), (unsigned long long)(r->size >> 10));
}

static void banner(const struct platform *p)
{
	uint64_t total = 0;

	kprintf("\nMica microkernel hypervisor (aarch64, EL2 with VHE)\n");
	kprintf("  machine  %s\n", p->model[0] != '\0' ? p->model : "(no model)");
	for (size_t i = 0; i < p->mem_count; i++) {
		print_range("memory", &p->mem[i]);
		total += p->mem[i].size;
	}
	kprintf("  memory   %llu MiB in total\n", (unsigned long long)(total >> 20));
	for (size_t i = 0; i < p->reserved_count; i++)
		print_range("reserved", &p->reserved[i]);
	kprintf("  cpus     %zu:", p->cpu_count);
	for (size_t i = 0; i < p->cpu_count; i++)
		kprintf(" 0x%llx", (unsigned long long)p->cpu_mpidr[i]);
	kprintf("\n");
	kprintf("  gicv3    distributor 0x%llx", (unsigned long long)p->gic_dist.base);
	for (size_t i = 0; i < p->gic_redist_count; i++)
		kprintf(", redistributors 0x%llx (%llu KiB)",
			(unsigned long long)p->gic_redist[i].base,
			(unsigned long long)(p->gic_redist[i].size >> 10));
	kprintf("\n");
	kprintf("  uart     pl011 at 0x%llx, INTID %u\n", (unsigned long long)p->uart.base,
		p->uart_intid);
	kprintf("  timer    INTIDs: hyp %u, virt %u, phys %u; counter %llu Hz\n",
		p->timer_hyp_phys_intid, p->timer_virt_intid, p->timer_phys_intid,
		(unsigned long long)arch_counter_hz());
	kprintf("  psci     %s\n", p->psci == PSCI_CONDUIT_SMC	 ? "smc"
				   : p->psci == PSCI_CONDUIT_HVC ? "hvc"
								 : "none");
}

/* RAM minus the image, the device tree and the reserved ranges. */
static void init_free_memory(const struct boot_info *boot, paddr_t dtb)
{
	const struct platform *p = boot->platform;
	struct mem_range free[BOOTMEM_MAX_RANGES];
	size_t count = 0;

	for (size_t i = 0; i < p->mem_count && count < BOOTMEM_MAX_RANGES; i++)
		free[count++] = p->mem[i];
	count = mem_ranges_remove(
		free, count, BOOTMEM_MAX_RANGES,
		(struct mem_range){pa_addr(boot->image_start),
				   pa_addr(boot->image_end) - pa_addr(boot->image_start)});
	count = mem_ranges_remove(free, count, BOOTMEM_MAX_RANGES,
				  (struct mem_range){pa_addr(dtb), p->fdt_size});
	for (size_t i = 0; i < p->reserved_count; i++)
		count = mem_ranges_remove(free, count, BOOTMEM_MAX_RANGES, p->reserved[i]);
	bootmem_init(free, count);
}

void kernel_main(uint64_t dtb_pa, uint64_t image_pa)
{
	struct boot_info boot;
	const struct platform *p;

	arch_cpu_init();
	sched_init();
	arch_boot_info(pa_init(dtb_pa), pa_init(image_pa), &boot);
	p = boot.platform;
	print_init(arch_io_map(pa_init(p->uart.base), p->uart.size));
	banner(p);

	arch_irq_init(p);
	arch_timer_init(p, TICK_HZ);
	/* Held from here until the root task first runs; the other CPUs wait for it. */
	smp_lock();
	arch_smp_start(p);
	kprintf("  online   %u CPU%s\n", smp_cpu_count, smp_cpu_count == 1 ? "" : "s");
	init_free_memory(&boot, pa_init(dtb_pa));
	kprintf("  free     %zu KiB for boot allocations\n", bootmem_free_bytes() >> 10);

	if (boot_root_task(&boot, TICK_HZ) != MICA_OK)
		arch_power_off(MICA_EXIT_BOOT_ERROR);
	kprintf("mica: starting the root task\n");
	arch_return_to_user(schedule());
}
