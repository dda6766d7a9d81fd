/*
 * State the MMU-off start-up (early.c) leaves for the rest of the kernel.
 */
#ifndef MICA_ARCH_EARLY_H
#define MICA_ARCH_EARLY_H

#include "platform.h"
#include "arch/pte.h"

/* Register values head.S loads to turn the MMU on; offsets are fixed there. */
struct early_mmu {
	uint64_t hcr;
	uint64_t mair;
	uint64_t tcr;
	uint64_t ttbr0;
	uint64_t ttbr1;
	uint64_t sctlr;
};

extern struct early_mmu early_mmu;

/* What the device tree said, read once with the MMU off. */
extern struct platform boot_platform;

/* Physical address the image was loaded at. */
extern uint64_t boot_image_pa;

/* The kernel's level-1 table (TTBR1) and the device-mapping level-2 table. */
extern pte_t kernel_l1[PTE_ENTRIES];
extern pte_t io_l2[PTE_ENTRIES];

/* Linker-script symbols (kernel.ld). */
extern char __image_start[], __text_end[], __rodata_end[], __kernel_end[];

/* Where the arm64 Image header (head.S) keeps image_size. */
#define IMAGE_SIZE_OFFSET 16

void early_boot(uint64_t dtb_pa, uint64_t image_pa);

#endif
