/*
 * Start-up for test guests: entered at EL1 with the MMU off; set a stack
 * and run guest_main. If it returns, report through the hypercall
 * GUEST_CALL_DONE forever.
 */
	.section .text.start, "ax"
	.global	_start
	.type	_start, %function
_start:
	adrp	x9, guest_stack_top
	add	x9, x9, :lo12:guest_stack_top
	mov	sp, x9
	bl	guest_main
1:	movz	x0, #0xaf
	hvc	#0
	b	1b
	.size	_start, . - _start

	.section .bss
	.balign	16
	.space	8192
	.global	guest_stack_top
guest_stack_top:
