/*
 * Exception vectors (Arm ARM D1.10.2: 16 entries of 128 bytes, 2 KiB
 * aligned) and the kernel entry and exit paths.
 *
 * While a thread runs at EL0, SP_EL2 points at its struct arch_regs, so an
 * exception from EL0 saves the whole user context straight into the thread
 * and then switches to the CPU's kernel stack, whose top TPIDR_EL2 holds.
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
	mrs	x1, tpidr_el2
	mov	sp, x1
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

	.text
	.balign	2048
	.global	vectors
vectors:
	ventry	el2t_bad		/* current EL with SP_EL0: never used */
	ventry	el2t_bad
	ventry	el2t_bad
	ventry	el2t_bad
	ventry	el2_sync		/* current EL with SP_EL2 */
	ventry	el2_irq
	ventry	el2_bad
	ventry	el2_bad
	ventry	el0_sync		/* lower EL, AArch64 */
	ventry	el0_irq
	ventry	el0_fiq
	ventry	el0_serror
	/*
	 * Lower EL, AArch32: a guest's EL0 may run AArch32 (HCR_EL2.RW only
	 * fixes EL1's state), and its exceptions come here. Syndromes are the
	 * same, so they share the AArch64 paths; host threads never run AArch32.
	 */
	ventry	el0_sync
	ventry	el0_irq
	ventry	el0_fiq
	ventry	el0_serror

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
 * whatever the fastpath declines (it passes that on itself).
 */
el0_sync:
	enter_from_user
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
	b	arch_return_to_user
4:	bl	fastpath_guest_hvc
	b	arch_return_to_user
3:	cmp	x7, #FASTPATH_SYS_CALL		/* x7 still holds the caller's number */
	b.eq	1f
	cmp	x7, #FASTPATH_SYS_REPLY_RECV
	b.ne	2f
	bl	fastpath_reply_recv
	b	arch_return_to_user
1:	bl	fastpath_call
	b	arch_return_to_user
2:	bl	exception_user_sync
	b	arch_return_to_user

el0_irq:
	enter_from_user
	bl	exception_user_irq
	b	arch_return_to_user

el0_fiq:
	enter_from_user
	bl	exception_user_fiq
	b	arch_return_to_user

el0_serror:
	enter_from_user
	bl	exception_user_serror
	b	arch_return_to_user

/*
 * Resume the thread whose struct arch_regs is at x0, leaving SP_EL2 there
 * for the next exception from EL0.
 */
func arch_return_to_user
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
