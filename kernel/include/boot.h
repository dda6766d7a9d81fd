/*
 * The kernel's boot sequence (main.c) and the creation of the root task
 * (boot.c).
 */
#ifndef MICA_BOOT_H
#define MICA_BOOT_H

#include "arch.h"
#include "thread.h"

#define ROOT_STACK_PAGES 16

/* Entered from the architecture's start-up code on the boot CPU. */
NORETURN void kernel_main(uint64_t dtb_pa, uint64_t image_pa);

/*
 * Build the root task from the "root" ELF in the boot archive: its CNode,
 * TCB, VSpace, IPC buffer and boot-info page, capabilities to all free
 * memory as Untyped, and make it runnable. Errors name what is wrong on
 * the console. After this the kernel allocates nothing.
 */
MUST_CHECK enum mica_error boot_root_task(const struct boot_info *boot, unsigned tick_hz);

#endif
