/*
 * The seam between generic kernel code and an architecture. Generic code
 * reaches the machine only through the functions declared here; each port
 * (kernel/arch/<isa>/) implements them, and tests/unit/fake_arch implements
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
	paddr_t dtb; /* The machine's device tree, platform->fdt_size bytes. */
};
void arch_boot_info(paddr_t dtb, paddr_t image, struct boot_info *out);

/* Per-CPU set-up of the boot CPU once the kernel runs at its link address. */
void arch_cpu_init(void);

/* Zero size bytes of RAM at va (both multiples of 4 KiB), fast. */
void arch_clear_pages(void *va, size_t size);

/* The kernel's view of RAM, both ways. */
void *arch_phys_to_virt(paddr_t pa);
paddr_t arch_virt_to_phys(const void *va);

/*
 * Inline in <arch/regs.h>: arch_cpu_index(), which CPU this is (0 ..
 * PLATFORM_MAX_CPUS-1), and arch_cpu_local(), its struct sched_cpu (whose
 * head is the arch's struct arch_cpu).
 */

/* Map a device's registers; returns the virtual address or NULL when out of space. */
volatile void *arch_io_map(paddr_t pa, size_t size);

NORETURN void arch_power_off(int status);

/* Interrupts and time ------------------------------------------------------------------- */

/* Bring up the interrupt controller and the kernel's periodic tick of hz. */
void arch_irq_init(const struct platform *platform);
void arch_timer_init(const struct platform *platform, unsigned hz);

/* Mask or unmask an interrupt line; may a user driver own it? */
void arch_irq_set_enabled(uint32_t intid, bool enabled);
bool arch_irq_is_claimable(uint32_t intid);

/* Idle until an interrupt has been handled. */
void arch_wait_for_interrupt(void);

/* Is a physical interrupt pending (taken as soon as the kernel unmasks them)? */
bool arch_irq_pending(void);

/*
 * Start every other CPU the platform lists (the boot CPU holds the kernel
 * lock); smp_cpu_count says how many run.
 */
void arch_smp_start(const struct platform *platform);

/*
 * Interrupt another CPU (it enters the kernel: see smp.h): arch_send_ipi at
 * once; arch_kick once this CPU has released the kernel lock (the other
 * CPU would only wait for it), which smp_unlock and the return to a thread
 * do by arch_send_kicks. Wait a moment in a spin loop: arch_cpu_relax.
 */
void arch_send_ipi(unsigned cpu);
void arch_kick(unsigned cpu);
void arch_send_kicks(void);
void arch_cpu_relax(void);
/* Wait for the lock, asleep until an interrupt (pending, even if masked) wakes this CPU. */
void arch_wait_for_lock(void);
/*
 * An entry into the kernel is abandoned (smp.h): make the thread whose
 * registers regs are repeat what caused it when it runs again (a system
 * call or hypercall is made again; anything else recurs by itself).
 */
void arch_regs_abandon_entry(struct arch_regs *regs, bool sync);

/*
 * The FP/SIMD unit: opening it to lower exception levels (while closed,
 * their first use traps to sched_fp_take), and moving a thread's registers
 * between the unit and memory. The kernel itself never uses it otherwise.
 * Closing it is inline in <arch/regs.h> (arch_fp_close()), for the switch
 * paths, where the return to the thread synchronizes.
 */
void arch_fp_open(void);
void arch_fp_save(struct arch_fp *fp);
void arch_fp_load(const struct arch_fp *fp);

/* The CPU's cycle counter (executed instructions under QEMU's -icount), for test builds. */
uint64_t arch_cycles(void);

/* The CPU's counter, and its frequency in Hz (also inline in <arch/regs.h>: arch_stat_clock). */
uint64_t arch_counter(void);
uint64_t arch_counter_hz(void);

/* Make this CPU's timer interrupt come no later than the counter reaches at (alarm.h). */
void arch_timer_wake_by(uint64_t at);

/* User threads ------------------------------------------------------------------------- */

/* A fresh user context that starts at entry with stack sp and arg in the first argument. */
void arch_regs_init_user(struct arch_regs *regs, uintptr_t entry, uintptr_t sp, uintptr_t arg);

/*
 * Also from <arch/regs.h>, inline because the IPC fastpath lives on them:
 * arch_regs_syscall (the number), arch_regs_arg (argument i),
 * arch_regs_get_mr / arch_regs_set_mr / arch_regs_copy_mrs (message
 * registers), arch_regs_set_ipc_result (error, badge, info).
 */

/* Make the thread make its system call again when it next runs (a preempted call). */
void arch_regs_restart_syscall(struct arch_regs *regs);

/* The two results of a non-IPC system call. */
void arch_regs_set_result(struct arch_regs *regs, enum mica_error err, uintptr_t val);

/* Word i (enum mica_context_word) of the user context; writes are sanitised. */
uint64_t arch_regs_get(const struct arch_regs *regs, unsigned i);
void arch_regs_set(struct arch_regs *regs, unsigned i, uint64_t v);

/* Where a fault happened. */
uintptr_t arch_regs_pc(const struct arch_regs *regs);

/*
 * Does the context run at a guest's exception level? Only a vCPU thread's
 * may (arch_vcpu_reset_regs makes one; arch_regs_init_user, a host one).
 */
bool arch_regs_is_guest(const struct arch_regs *regs);

/* Print the context, decoded, to the console. */
void arch_regs_dump(const struct arch_regs *regs);

NORETURN void arch_return_to_user(struct arch_regs *regs);

/* User address spaces ------------------------------------------------------------------- */

/* An empty address space whose tables come from alloc_page. */
MUST_CHECK enum mica_error arch_vspace_init(struct arch_vspace *vs, uint16_t asid,
					    paddr_t (*alloc_page)(void));

/*
 * Map the page of 2^page_bits bytes (12 or 21) at va to pa with MAP_*
 * permissions (MAP_USER is implied). Missing tables come from alloc_page,
 * or, when it is NULL, are an error. Only boot passes an alloc_page: the
 * mapping and the tables made for it are marked as the boot's. Errors: MICA_ERR_ALIGNMENT,
 * MICA_ERR_RANGE (va outside the user half), MICA_ERR_INVALID_ARGUMENT
 * (writable and executable, or a bad size), MICA_ERR_DELETE_FIRST (already
 * mapped), MICA_ERR_LOOKUP_FAILED (a table is missing, no alloc_page),
 * MICA_ERR_NOT_ENOUGH_MEMORY (alloc_page ran out).
 */
MUST_CHECK enum mica_error arch_vspace_map(struct arch_vspace *vs, vaddr_t va, paddr_t pa,
					   unsigned page_bits, unsigned prot,
					   paddr_t (*alloc_page)(void));

/* Whether a page of page_bits at va would be mapped by an entry of the table at pa. */
bool arch_vspace_in_table(const struct arch_vspace *vs, vaddr_t va, unsigned page_bits,
			  paddr_t table);

/* Remove the mapping at va if it still maps pa with that size; flush it. */
void arch_vspace_unmap(const struct arch_vspace *vs, vaddr_t va, paddr_t pa, unsigned page_bits);

/*
 * Install the zeroed table at pa as the first missing table on the way to
 * va. MICA_ERR_DELETE_FIRST if none is missing; MICA_ERR_RANGE for a
 * kernel address.
 */
MUST_CHECK enum mica_error arch_vspace_map_table(struct arch_vspace *vs, vaddr_t va, paddr_t table);

/* Remove the table at pa from the walk to va, if it is there; flush the ASID. */
void arch_vspace_unmap_table(const struct arch_vspace *vs, vaddr_t va, paddr_t table);

/* How many ASIDs the CPU tells apart (256 or 65536). */
unsigned arch_asid_count(void);

/* Drop every translation cached for asid, or for a guest's vmid. */
void arch_asid_invalidate(uint16_t asid);
void arch_vmid_invalidate(uint16_t vmid);

/* Drop every guest translation of every VMID (a VMID generation ends). */
void arch_vmid_flush_all(void);

/* The handle of the VM whose VMID cpu's VTTBR_EL2 last held; 0 if none. */
uint16_t arch_vmid_held(unsigned cpu);

/*
 * The physical address va maps to if the mapping grants every MAP_* bit in
 * need and maps RAM; MICA_ERR_BAD_ADDRESS otherwise. Device memory is never
 * translated: the kernel reads the result through its physical map, which
 * holds RAM alone, so a device address there would fault in the kernel.
 */
MUST_CHECK struct ret arch_vspace_translate(const struct arch_vspace *vs, vaddr_t va,
					    unsigned need);

/*
 * One translation of an address space, as arch_vspace_walk finds it: a
 * page or block (va, pa, 2^size_bits bytes), or a next-level table at pa
 * on the way to va. is_boot: made at boot (arch_vspace_map with an
 * alloc_page), of memory that is never Untyped.
 */
struct arch_translation {
	uint64_t va;
	paddr_t pa;
	unsigned size_bits;
	bool is_table;
	bool is_boot;
};

/* Call visit for every translation in vs (test builds: the invariant checker). */
void arch_vspace_walk(const struct arch_vspace *vs,
		      void (*visit)(void *ctx, const struct arch_translation *t), void *ctx);

/* An address space that maps nothing, for threads that have lost theirs (set at boot). */
extern struct arch_vspace arch_vspace_empty;
extern struct arch_vspace arch_vm_empty; /* The same for a guest. */

/*
 * Inline in <arch/regs.h>: arch_vspace_token(vs) names an address space
 * in one word (never 0); arch_vspace_activate_token(token, previous)
 * switches to it from previous, and arch_vspace_activate_host_token(token)
 * from one host address space to another.
 */

#endif
