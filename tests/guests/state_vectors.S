/*
 * The state guest's EL1 vectors, three times over: table 0 is what a
 * fresh guest installs, tables 1 and 2 are the VBAR_EL1 "values" of VM A
 * and VM B, so that each VM's VBAR_EL1 is distinct and every value it can
 * hold still catches its exceptions. (A table is 16 entries of 128 bytes,
 * 2 KiB aligned: Arm ARM D1.10.2, "Exception vectors".)
 *
 * A synchronous exception (a register the VMM hides answers with an
 * undefined instruction) is counted, its syndrome kept in state_last_esr,
 * and the instruction skipped: the probe that took it then reports it.
 * Anything else (the guest runs with interrupts masked, so nothing should
 * come) is counted in state_other_exceptions and returns.
 */
	.macro	vector_table
	.balign	0x800
	.irp	entry, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	0x80
	stp	x9, x10, [sp, #-16]!
	.if	(\entry % 4) == 0
	b	state_sync_exception
	.else
	b	state_other_exception
	.endif
	.endr
	.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global	state_vectors
state_vectors:
	vector_table
	vector_table
	vector_table

state_sync_exception:
	adrp	x9, state_exceptions
	ldr	x10, [x9, :lo12:state_exceptions]
	add	x10, x10, #1
	str	x10, [x9, :lo12:state_exceptions]
	mrs	x10, esr_el1
	adrp	x9, state_last_esr
	str	x10, [x9, :lo12:state_last_esr]
	mrs	x10, elr_el1
	add	x10, x10, #4
	msr	elr_el1, x10
	ldp	x9, x10, [sp], #16
	eret

state_other_exception:
	adrp	x9, state_other_exceptions
	ldr	x10, [x9, :lo12:state_other_exceptions]
	add	x10, x10, #1
	str	x10, [x9, :lo12:state_other_exceptions]
	ldp	x9, x10, [sp], #16
	eret

	.section .bss
	.balign	8
	.global	state_exceptions, state_last_esr, state_other_exceptions
state_exceptions:		/* Synchronous exceptions taken so far. */
	.quad	0
state_last_esr:			/* ESR_EL1 of the last one. */
	.quad	0
state_other_exceptions:		/* IRQ, FIQ and SError: none expected. */
	.quad	0
