/*
 * The seam between generic kernel code and an architecture. Generic code
 * reaches the machine only through the functions declared here; each port
 * (kernel/arch/<isa>/) implements them, and kernel/arch/fake implements
 * them for host unit tests. Nothing here names an ISA register.
 */
#ifndef MICA_ARCH_H
#define MICA_ARCH_H

#include "mm.h"
#include "platform.h"
#include "types.h"

#include <arch/regs.h> /* struct arch_regs, struct arch_vspace */

/* Boot and CPU state ------------------------------------------------------------------- */

/* What start-up learnt: the platform and where the image and archive are. */
struct boot_info {
	const struct platform *platform;
	paddr_t image_start; /* The loaded image, kernel and archive. */
	paddr_t image_end;
	paddr_t archive; /* The boot archive, inside the image. */
	size_t archive_size;
};
void arch_boot_info(paddr_t dtb, paddr_t image, struct boot_info *out);

/* Per-CPU set-up of the boot CPU once the kernel runs at its link address. */
void arch_cpu_init(void);

/* The kernel's view of RAM. */
void *arch_phys_to_virt(paddr_t pa);

/* Map a device's registers; returns the virtual address or NULL when out of space. */
volatile void *arch_io_map(paddr_t pa, size_t size);

NORETURN void arch_power_off(int status);

/* Interrupts and time ------------------------------------------------------------------- */

/* Bring up the interrupt controller and the kernel's periodic tick of hz. */
void arch_irq_init(const struct platform *platform);
void arch_timer_init(const struct platform *platform, unsigned hz);

/* Idle until an interrupt has been handled. */
void arch_wait_for_interrupt(void);

/* The CPU's counter, and its frequency in Hz. */
uint64_t arch_counter(void);
uint64_t arch_counter_hz(void);

/* User threads ------------------------------------------------------------------------- */

/* A fresh user context that starts at entry with stack sp and arg in the first argument. */
void arch_regs_init_user(struct arch_regs *regs, uintptr_t entry, uintptr_t sp, uintptr_t arg);

/* System-call number, i-th argument, and the two results. */
uintptr_t arch_regs_syscall(const struct arch_regs *regs);
uintptr_t arch_regs_arg(const struct arch_regs *regs, unsigned i);
void arch_regs_set_result(struct arch_regs *regs, enum mica_error err, uintptr_t val);

/* Print the context, decoded, to the console. */
void arch_regs_dump(const struct arch_regs *regs);

NORETURN void arch_return_to_user(struct arch_regs *regs);

/* User address spaces ------------------------------------------------------------------- */

/* An empty address space whose tables come from alloc_page. */
MUST_CHECK enum mica_error arch_vspace_init(struct arch_vspace *vs, uint16_t asid,
					    paddr_t (*alloc_page)(void));

/*
 * Map the 4 KiB page at va to pa with MAP_* permissions (MAP_USER is
 * implied). Errors: MICA_ERR_ALIGNMENT, MICA_ERR_RANGE (va outside the user
 * half), MICA_ERR_INVALID_ARGUMENT (writable and executable),
 * MICA_ERR_ILLEGAL_OPERATION (already mapped), MICA_ERR_NOT_ENOUGH_MEMORY.
 */
MUST_CHECK enum mica_error arch_vspace_map(struct arch_vspace *vs, vaddr_t va, paddr_t pa,
					   unsigned prot, paddr_t (*alloc_page)(void));

/*
 * The physical address va maps to if the mapping grants every MAP_* bit in
 * need; MICA_ERR_BAD_ADDRESS otherwise.
 */
MUST_CHECK struct ret arch_vspace_translate(const struct arch_vspace *vs, vaddr_t va,
					    unsigned need);

void arch_vspace_activate(const struct arch_vspace *vs);

#endif
