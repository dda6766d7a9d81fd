/*
 * The kernel's entry: an arm64 Image header (so QEMU, or any bootloader
 * that speaks the Linux arm64 boot protocol, passes the DTB's physical
 * address in x0) and the MMU-off start-up that gets the kernel running at
 * its link address.
 *
 * Boot protocol facts relied on: the image is loaded at a 2 MiB aligned
 * address plus text_offset (0 here), with the MMU and D-cache off, x0 =
 * DTB, at EL2 or EL1.
 */
#include "arch/asm.h"
#include "arch/layout.h"

	/* TTBR1_EL2 exists from Armv8.1 (FEAT_VHE), which Mica requires. */
	.arch	armv8.1-a

.macro mmu_on
	/* E2H first: it changes the layout of TCR_EL2 and SCTLR_EL2. */
	adr_l	x9, early_mmu
	ldr	x1, [x9, #0]		/* hcr */
	msr	hcr_el2, x1
	isb
	ldr	x1, [x9, #8]		/* mair */
	msr	mair_el2, x1
	ldr	x1, [x9, #16]		/* tcr */
	msr	tcr_el2, x1
	ldr	x1, [x9, #24]		/* ttbr0: identity map of this code */
	msr	ttbr0_el2, x1
	ldr	x1, [x9, #32]		/* ttbr1: the kernel */
	msr	ttbr1_el2, x1
	isb
	tlbi	alle2
	dsb	ish
	ic	iallu
	dsb	ish
	isb
	ldr	x1, [x9, #40]		/* sctlr */
	msr	sctlr_el2, x1
	isb

.endm

	.section .head.text, "ax"

func _start
	b	primary_entry
	.long	0
	.quad	0			/* text_offset */
	.quad	__kernel_size		/* image_size, with .bss; mica_mkarchive adds the archive */
	.quad	0xa			/* flags: LE, 4 KiB pages, anywhere in RAM */
	.quad	0, 0, 0
	.ascii	"ARM\x64"		/* magic */
	.long	0
endfunc _start

primary_entry:
	msr	daifset, #0xf
	mov	x19, x0			/* DTB physical address */
	adr	x20, _start		/* where we were loaded */

	adr_l	x1, boot_stack_top
	mov	sp, x1

	/*
	 * Until the real vectors are reachable, any exception (typically a
	 * semihosting call on a QEMU without -semihosting) lands here.
	 */
	adr_l	x1, early_vectors
	mrs	x2, CurrentEL
	cmp	x2, #(2 << 2)
	b.ne	1f
	msr	vbar_el2, x1
	b	2f
1:	msr	vbar_el1, x1
2:	isb

	/* Zero .bss, then drop any stale cache lines covering it (the MMU-off
	 * writes went to memory; a bootloader may have left lines cached). */
	adr_l	x1, __bss_start
	adr_l	x2, __bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b
4:	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
	bl	dcache_inval_range

	mov	x0, x19
	mov	x1, x20
	bl	early_boot		/* builds the tables; returns only at EL2 */

	mmu_on

	ldr	x1, =high_entry
	br	x1

high_entry:
	ldr	x1, =boot_stack_top
	mov	sp, x1
	adr_l	x1, vectors
	msr	vbar_el2, x1
	isb
	mov	x0, x19
	mov	x1, x20
	bl	kernel_main
5:	wfi
	b	5b

/*
 * Where PSCI CPU_ON starts every other CPU: at EL2, MMU off, x0 = its
 * index (the context ID kernel_main's smp start gave). The tables are the
 * boot CPU's, identity map included (early_mmu never changes).
 */
func secondary_entry
	msr	daifset, #0xf
	mov	x19, x0
	mmu_on
	ldr	x1, =secondary_high
	br	x1
endfunc secondary_entry

secondary_high:
	/* Its stack: kernel_stacks[index] (cpu.c). */
	adr_l	x1, kernel_stacks
	add	x2, x19, #1
	mov	x3, #KERNEL_STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	adr_l	x1, vectors_smp
	msr	vbar_el2, x1
	isb
	mov	x0, x19
	bl	secondary_main
6:	wfi
	b	6b

/* Invalidate the data cache lines covering [x0, x1). */
func dcache_inval_range
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4		/* DminLine: log2 of words per line */
	mov	x2, #4
	lsl	x2, x2, x3
	sub	x3, x2, #1
	bic	x0, x0, x3
6:	cmp	x0, x1
	b.hs	7f
	dc	ivac, x0
	add	x0, x0, x2
	b	6b
7:	dsb	sy
	ret
endfunc dcache_inval_range

	.ltorg

/*
 * Early vectors: skip the faulting instruction and return with x0 = -1.
 * Only semihosting's HLT is expected to land here (as an undefined
 * instruction when QEMU runs without -semihosting); the caller then falls
 * back to PSCI.
 */
	.balign	2048
early_vectors:
	.rept	16
	.balign	128
	b	early_skip
	.endr
early_skip:
	mov	x0, #-1
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	8f
	mrs	x1, elr_el2
	add	x1, x1, #4
	msr	elr_el2, x1
	eret
8:	mrs	x1, elr_el1
	add	x1, x1, #4
	msr	elr_el1, x1
	eret

	.section .bss
	.balign	16
boot_stack:
	.space	KERNEL_STACK_SIZE
	.global	boot_stack_top
boot_stack_top:
