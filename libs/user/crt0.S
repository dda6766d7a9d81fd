/*
 * Start-up code for EL0 programs: the kernel enters _start with the stack
 * set and the program's start argument in x0; main's return value becomes
 * the status of a system power-off (only the root task should return).
 */
	.section .text.start, "ax"
	.global	_start
	.type	_start, %function
_start:
	mov	x29, #0
	mov	x30, #0
	bl	main
	bl	sys_system_off
1:	b	1b
	.size	_start, . - _start
