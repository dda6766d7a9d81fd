/*
 * Start-up for test guests: entered at EL1 with the MMU off; set a stack
 * and run guest_main (x0 as the VMM gave it). Each vCPU, by MPIDR_EL1's
 * Aff0 (0..GUEST_MAX_VCPUS-1), has a stack of its own. If guest_main
 * returns, report through the hypercall GUEST_CALL_DONE forever.
 */
#define GUEST_STACK_SIZE 8192
#define GUEST_MAX_VCPUS	 4

	.section .text.start, "ax"
	.global	_start
	.type	_start, %function
_start:
	mrs	x10, mpidr_el1
	and	x10, x10, #(GUEST_MAX_VCPUS - 1)
	adrp	x9, guest_stack_top
	add	x9, x9, :lo12:guest_stack_top
	mov	x11, #GUEST_STACK_SIZE
	msub	x9, x10, x11, x9
	mov	sp, x9
	bl	guest_main
1:	movz	x0, #0xaf
	hvc	#0
	b	1b
	.size	_start, . - _start

	.section .bss
	.balign	16
	.space	GUEST_STACK_SIZE * GUEST_MAX_VCPUS
	.global	guest_stack_top
guest_stack_top:
