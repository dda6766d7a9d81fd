/*
 * An EL1 vector table for test guests that provoke exceptions of their
 * own: every synchronous exception is counted, its syndrome kept in
 * guest_last_esr, and the instruction skipped. Anything else (an IRQ the
 * guest did not ask for, an SError) is counted in guest_other_exceptions
 * and returns.
 */
	.section .text.vectors, "ax"
	.balign	2048
	.global	guest_vectors
guest_vectors:
	.irp	entry, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	128
	stp	x9, x10, [sp, #-16]!
	.if	(\entry % 4) == 0
	b	sync_exception
	.else
	b	other_exception
	.endif
	.endr

sync_exception:
	adrp	x9, guest_sync_exceptions
	ldr	x10, [x9, :lo12:guest_sync_exceptions]
	add	x10, x10, #1
	str	x10, [x9, :lo12:guest_sync_exceptions]
	mrs	x10, esr_el1
	adrp	x9, guest_last_esr
	str	x10, [x9, :lo12:guest_last_esr]
	mrs	x10, elr_el1
	add	x10, x10, #4
	msr	elr_el1, x10
	ldp	x9, x10, [sp], #16
	eret

other_exception:
	adrp	x9, guest_other_exceptions
	ldr	x10, [x9, :lo12:guest_other_exceptions]
	add	x10, x10, #1
	str	x10, [x9, :lo12:guest_other_exceptions]
	ldp	x9, x10, [sp], #16
	eret

	.section .bss
	.balign	8
	.global	guest_sync_exceptions, guest_last_esr, guest_other_exceptions
guest_sync_exceptions:
	.quad	0
guest_last_esr:
	.quad	0
guest_other_exceptions:
	.quad	0
