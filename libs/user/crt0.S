/*
 * Start-up code for EL0 programs: whoever starts a thread enters _start
 * with the stack set, the start argument in x0 and TPIDR_EL0 pointing at
 * the thread's IPC buffer (the kernel does so for the root task). main's
 * return value becomes the status of a system power-off for the root task;
 * any other program then stops with a breakpoint fault, the status in x0
 * (see sys_system_off).
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
