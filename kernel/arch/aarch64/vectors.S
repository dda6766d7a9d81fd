/*
 * Exception vectors (Arm ARM D1.10.2: 16 entries of 128 bytes, 2 KiB
 * aligned) and the kernel entry and exit paths.
 *
 * While a thread runs at EL0, SP_EL2 points at its struct arch_regs, so an
 * exception from EL0 saves the whole user context straight into the thread
 * and then switches to the CPU's kernel stack (struct arch_cpu's
 * stack_top, TPIDR_EL2 pointing at that).
 * Exceptions taken at EL2 push the same frame on the kernel stack.
 */
#include "arch/asm.h"
#include "arch/regs.h"

.macro save_gprs
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
.endm

.macro restore_gprs
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	ldr	x30, [sp, #16 * 15]
.endm

/* From EL0: save into the thread, x0 = its regs, then to the kernel stack. */
.macro enter_from_user
	save_gprs
	mrs	x21, sp_el0
	mrs	x22, elr_el2
	mrs	x23, spsr_el2
	mrs	x24, tpidr_el0
	stp	x30, x21, [sp, #16 * 15]
	stp	x22, x23, [sp, #REGS_PC]
	str	x24, [sp, #REGS_TPIDR]
	mov	x0, sp
	mrs	x1, tpidr_el2			/* this CPU's struct arch_cpu */
	ldr	x1, [x1]			/* its stack_top */
	mov	sp, x1
.endm

/*
 * The SMP entries (vectors_smp) take the kernel lock (smp.h) first: x0 =
 * the saved registers, in and out, and x7 reloaded (the fastpaths' test).
 * An entry abandoned while waiting resumes the thread that
 * exception_enter_user returns.
 */
.macro lock_entry sync
	mov	x19, x0
	mov	x1, #\sync
	bl	exception_enter_user
	cbnz	x0, return_unlock
	mov	x0, x19
	ldr	x7, [x19, #8 * 7]
.endm

/* From EL2: push a frame on the kernel stack, x0 = the frame. */
.macro enter_from_kernel
	sub	sp, sp, #REGS_SIZE
	save_gprs
	add	x21, sp, #REGS_SIZE
	stp	x30, x21, [sp, #16 * 15]
	mrs	x22, elr_el2
	mrs	x23, spsr_el2
	stp	x22, x23, [sp, #REGS_PC]
	mov	x0, sp
.endm

.macro return_to_kernel
	ldp	x22, x23, [sp, #REGS_PC]
	msr	elr_el2, x22
	msr	spsr_el2, x23
	restore_gprs
	add	sp, sp, #REGS_SIZE
	eret
.endm

.macro ventry label
	.balign	128
	b	\label
.endm

/*
 * One table per mode: with one CPU, entries from threads and guests take
 * no lock; once others are up, every CPU uses vectors_smp, whose entries
 * take the kernel lock and whose exits let it go.
 */
.macro vector_table name, sfx
	.balign	2048
	.global	\name
\name:
	ventry	el2t_bad		/* current EL with SP_EL0: never used */
	ventry	el2t_bad
	ventry	el2t_bad
	ventry	el2t_bad
	ventry	el2_sync		/* current EL with SP_EL2 */
	ventry	el2_irq
	ventry	el2_bad
	ventry	el2_bad
	ventry	el0_sync\sfx		/* lower EL, AArch64 */
	ventry	el0_irq\sfx
	ventry	el0_fiq\sfx
	ventry	el0_serror\sfx
	/*
	 * Lower EL, AArch32: a guest's EL0 may run AArch32 (HCR_EL2.RW only
	 * fixes EL1's state), and its exceptions come here. Syndromes are the
	 * same, so they share the AArch64 paths; host threads never run AArch32.
	 */
	ventry	el0_sync\sfx
	ventry	el0_irq\sfx
	ventry	el0_fiq\sfx
	ventry	el0_serror\sfx
.endm

	.text
	vector_table vectors, _up
	vector_table vectors_smp, _smp

el2t_bad:
el2_bad:
	enter_from_kernel
	bl	exception_kernel_bad	/* does not return */

el2_sync:
	enter_from_kernel
	bl	exception_kernel_sync	/* returns only if it fixed things up */
	return_to_kernel

el2_irq:
	enter_from_kernel
	bl	exception_kernel_irq
	return_to_kernel

/*
 * System calls that the IPC fastpath may take are sent there first,
 * before any C frame is set up; the slow path gets everything else, and
 * whatever the fastpath declines (it passes that on itself). ret is where
 * the paths leave: return_up, or return_unlock with the lock held.
 */
.macro el0_paths sfx, lock, ret
el0_sync\sfx:
	enter_from_user
	.if \lock
	lock_entry 1
	.endif
	mrs	x1, esr_el2
	lsr	x1, x1, #26
	cmp	x1, #ESR_EC_SVC64_VALUE
	b.eq	3f
	cmp	x1, #ESR_EC_HVC64_VALUE		/* Only a guest at EL1 can make one. */
	b.eq	4f
	cmp	x1, #ESR_EC_DABT_LOW_VALUE	/* A guest's MMIO, or a host page fault */
	b.eq	5f
	cmp	x1, #ESR_EC_SYSREG_VALUE
	b.ne	2f
5:	bl	fastpath_guest_exit
	b	\ret
4:	bl	fastpath_guest_hvc
	b	\ret
3:	cmp	x7, #FASTPATH_SYS_CALL		/* x7 still holds the caller's number */
	b.eq	1f
	cmp	x7, #FASTPATH_SYS_REPLY_RECV
	b.ne	2f
	bl	fastpath_reply_recv
	b	\ret
1:	bl	fastpath_call
	b	\ret
2:	bl	exception_user_sync
	b	\ret

el0_irq\sfx:
	enter_from_user
	.if \lock
	lock_entry 0
	.endif
	bl	exception_user_irq
	b	\ret

el0_fiq\sfx:
	enter_from_user
	.if \lock
	lock_entry 0
	.endif
	bl	exception_user_fiq
	b	\ret

el0_serror\sfx:
	enter_from_user
	.if \lock
	lock_entry 0
	.endif
	bl	exception_user_serror
	b	\ret
.endm

	el0_paths _up, 0, return_up
	el0_paths _smp, 1, return_unlock

/*
 * Resume the thread whose struct arch_regs is at x0, leaving SP_EL2 there
 * for the next exception from EL0. With more than one CPU up, the lock
 * goes first: nothing here reads kernel state but the thread's registers,
 * which no other CPU changes before this one has entered the kernel again
 * (smp.h).
 */
func arch_return_to_user
	adr_l	x1, smp_cpu_count
	ldr	w1, [x1]
	cmp	w1, #1
	b.eq	return_up
return_unlock:
	adr_l	x1, smp_big_lock		/* let it go: holder 0, count kept */
	ldr	w2, [x1]
	and	w2, w2, #~0xff
	stlr	w2, [x1]
	dmb	ish				/* then look for sleepers (smp.c lock_sleep) */
	adr_l	x1, smp_lock_sleepers
	ldr	w3, [x1]
	cbz	w3, 1f
	mov	x19, x0
	bl	smp_wake_lock_sleeper
	mov	x0, x19
1:
	mrs	x1, tpidr_el2			/* kicks held back until now (arch_kick) */
	ldr	w2, [x1, #ARCH_CPU_KICKS]
	cbz	w2, return_up
	mov	x19, x0
	bl	arch_send_kicks
	mov	x0, x19
return_up:
	mov	sp, x0
	ldp	x21, x22, [sp, #REGS_SP]	/* SP_EL0, then ELR */
	ldp	x23, x24, [sp, #REGS_PSTATE]	/* SPSR, then TPIDR_EL0 */
	msr	sp_el0, x21
	msr	elr_el2, x22
	msr	spsr_el2, x23
	msr	tpidr_el0, x24
	restore_gprs
	eret
endfunc arch_return_to_user
