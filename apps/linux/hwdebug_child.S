/*
 * The parts of apps/linux/hwdebug.c that must be particular instructions:
 * the program's entry point, and the code its traced child runs whose
 * addresses the tracer checks the stops against. Written here rather than
 * as C so that no compiler can reorder, merge or drop an instruction.
 *
 * System-call numbers are Linux's arm64 (generic) ones: the number in x8,
 * arguments from x0, the result in x0; every other register survives.
 */

#define SYS_EXIT_GROUP	94
#define SYS_KILL	129
#define SYS_GETPID	172
#define SIGSTOP		19

	.text

/*
 * The entry point. Linux starts a static executable with sp 16-byte
 * aligned and pointing at argc; the program takes no arguments. A zero
 * frame pointer and link register end a backtrace here.
 */
	.global _start
	.type _start, %function
_start:
	mov	x29, #0
	mov	x30, #0
	bl	hwdebug_main
	mov	x8, #SYS_EXIT_GROUP
	svc	#0
	.size _start, . - _start

/*
 * void hwdebug_stop_and_step(void)
 * The child stops itself with SIGSTOP, kill(getpid(), SIGSTOP), so that
 * its tracer sees it stopped with its pc at hwdebug_stepped: the signal is
 * delivered on the way back from the system call. From there the tracer
 * single-steps a straight line of instructions, up to hwdebug_stepped_end,
 * each adding one to x9, which starts at zero: after n steps the pc must
 * be hwdebug_stepped + 4n and x9 must be n.
 */
	.global hwdebug_stop_and_step
	.type hwdebug_stop_and_step, %function
hwdebug_stop_and_step:
	mov	x8, #SYS_GETPID
	svc	#0
	mov	x1, #SIGSTOP
	mov	x8, #SYS_KILL
	mov	x9, #0
	svc	#0
	.global hwdebug_stepped
hwdebug_stepped:
	.rept 4
	add	x9, x9, #1
	.endr
	.global hwdebug_stepped_end
hwdebug_stepped_end:
	ret
	.size hwdebug_stop_and_step, . - hwdebug_stop_and_step

/*
 * void hwdebug_breakpoint_target(void)
 * Where the tracer puts its hardware breakpoint: the child must stop with
 * its pc here, before the first instruction runs.
 */
	.global hwdebug_breakpoint_target
	.type hwdebug_breakpoint_target, %function
hwdebug_breakpoint_target:
	nop
	ret
	.size hwdebug_breakpoint_target, . - hwdebug_breakpoint_target

/*
 * void hwdebug_store(uint64_t *p, uint64_t value)
 * One 8-byte store, which the tracer's watchpoint catches: a watchpoint
 * exception is taken before the access happens (Arm ARM, chapter D2,
 * "Watchpoint exceptions"), so the child stops with its pc at hwdebug_store.
 */
	.global hwdebug_store
	.type hwdebug_store, %function
hwdebug_store:
	str	x1, [x0]
	ret
	.size hwdebug_store, . - hwdebug_store

	.section .note.GNU-stack, "", %progbits
