/*
 * The kernel's boot sequence (main.c) and the creation of the root task
 * (boot.c).
 */
#ifndef MICA_BOOT_H
#define MICA_BOOT_H

#include "arch.h"
#include "thread.h"

/* Where the root task's stack ends, and its size. */
#define ROOT_STACK_TOP	 UINT64_C(0x0000007fff000000)
#define ROOT_STACK_PAGES 16

/* The ASID of the root task's address space. */
#define ROOT_ASID 1

/* Entered from the architecture's start-up code on the boot CPU. */
NORETURN void kernel_main(uint64_t dtb_pa, uint64_t image_pa);

/*
 * Load the "root" ELF from the boot archive into a new address space and
 * make t ready to run it. Errors name what is wrong on the console.
 */
MUST_CHECK enum mica_error boot_root_task(const struct boot_info *boot, struct thread *t);

#endif
