/*
 * An EL1 vector table for test guests that take interrupts (Arm ARM
 * D1.10.2): an IRQ from EL1 calls guest_irq() in C with the caller-saved
 * registers kept, and a synchronous exception from EL1 calls guest_sync()
 * the same way if the guest has one (it is weak); any other exception, or
 * that one without guest_sync, reports itself to the VMM with the
 * hypercall GUEST_CALL_UNEXPECTED (x1 the vector offset, x2 ESR_EL1, x3
 * ELR_EL1) and stops there. guest_vectors_install() points VBAR_EL1 here.
 */
	.weak	guest_sync

	/* The caller-saved registers, x29 and x30 onto the stack, and back. */
	.macro	save_regs
	sub	sp, sp, #176
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x29, [sp, #16 * 9]
	str	x30, [sp, #16 * 10]
	.endm

	.macro	restore_regs
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x29, [sp, #16 * 9]
	ldr	x30, [sp, #16 * 10]
	add	sp, sp, #176
	.endm

	.macro	unexpected offset
	.balign	128
	mov	x1, #\offset
	b	unexpected_entry
	.endm

	.section .text.vectors, "ax"
	.balign	2048
irq_vectors:
	unexpected 0x000	/* current EL with SP_EL0 */
	unexpected 0x080
	unexpected 0x100
	unexpected 0x180
	.balign	128		/* current EL with SP_ELx: synchronous */
	b	sync_entry
	.balign	128		/* IRQ */
	b	irq_entry
	unexpected 0x300
	unexpected 0x380
	unexpected 0x400	/* lower EL, AArch64 */
	unexpected 0x480
	unexpected 0x500
	unexpected 0x580
	unexpected 0x600	/* lower EL, AArch32 */
	unexpected 0x680
	unexpected 0x700
	unexpected 0x780

irq_entry:
	save_regs
	bl	guest_irq
	restore_regs
	eret

sync_entry:
	save_regs
	ldr	x17, =guest_sync	/* 0 if the guest has none. */
	cbz	x17, 1f
	blr	x17
	restore_regs
	eret
1:	mov	x1, #0x200
	b	unexpected_entry

unexpected_entry:
	mrs	x2, esr_el1
	mrs	x3, elr_el1
	movz	x0, #0xae		/* GUEST_CALL_UNEXPECTED */
	hvc	#0
1:	b	1b

	.text
	.global	guest_vectors_install
	.type	guest_vectors_install, %function
guest_vectors_install:
	adrp	x0, irq_vectors
	add	x0, x0, :lo12:irq_vectors
	msr	vbar_el1, x0
	isb
	ret
	.size	guest_vectors_install, . - guest_vectors_install
