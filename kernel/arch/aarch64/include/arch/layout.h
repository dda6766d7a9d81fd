/*
 * The kernel's virtual address layout (EL2&0 regime with E2H=1, 4 KiB
 * granule, 39-bit virtual addresses in both halves, translation starting
 * at level 1). See docs/memory.md.
 *
 *   0x0000_0000_0000_0000 .. 0x0000_007f_ffff_ffff  user (TTBR0_EL2, ASID)
 *   0xffff_ff80_0000_0000 .. 0xffff_ffbf_ffff_ffff  physmap: RAM at PA + base
 *   0xffff_ffff_8000_0000 .. 0xffff_ffff_bfff_ffff  device mappings
 *   0xffff_ffff_c000_0000 .. 0xffff_ffff_ffff_ffff  the kernel image
 */
#ifndef MICA_ARCH_LAYOUT_H
#define MICA_ARCH_LAYOUT_H

#define VA_BITS	     39
#define USER_VA_END  (UINT64_C(1) << VA_BITS)
#define PHYSMAP_BASE UINT64_C(0xffffff8000000000)
#define PHYSMAP_SIZE (UINT64_C(1) << 38)
#define IO_BASE	     UINT64_C(0xffffffff80000000)
#define IO_SIZE	     (UINT64_C(1) << 30)
#define KERNEL_VBASE UINT64_C(0xffffffffc0000000)

/* Page tables the kernel image's own mapping can use (2 MiB each). */
#define KERNEL_L3_TABLES 4
/* Level-2 tables for RAM that is not 1 GiB aligned in the physmap. */
#define PHYSMAP_L2_TABLES 8

#define KERNEL_STACK_SIZE 16384

#endif
