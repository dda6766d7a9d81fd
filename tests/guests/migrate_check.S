/*
 * The migration guest's check loop (migrate.c, migrate.h):
 *
 *   uint64_t migrate_check(uint64_t iterations, uint64_t yield)
 *
 * loads x0..x27 and v0..v31 from migrate_values, points x29 at it, and then,
 * iterations times, compares every one of them, x29, the stack pointer and
 * every system register of MIGRATE_SYSREGS with what migrate_values holds.
 * Its VMM moves the vCPU between physical CPUs meanwhile, at moments the
 * guest cannot see coming: each comparison is one that a move may have
 * just preceded. Returns 0 if every comparison held; else 1, with the index
 * of the first register that did not (MIGRATE_INDEX_*) and what it held in
 * migrate_result. x28 and x30 are its only scratch registers.
 *
 * With yield set, each iteration ends with YIELD: not trapped (to the
 * kernel the vCPU runs all along), it ends this CPU's turn in QEMU's
 * single-threaded -icount mode, so that the CPU moving it gets to run. (A
 * guest sharing QEMU with one that spins without YIELD does better without:
 * it would get one iteration a turn, the spinner a whole time slice.)
 */
#include "migrate.h"

/* A system register by its encoding, which the assembler takes for any register. */
#define ENCODING(op0, op1, crn, crm, op2) s##op0##_##op1##_c##crn##_c##crm##_##op2

	.arch_extension fp
	.arch_extension simd

	.macro	check_x n
	ldr	x30, [x29, #(\n * 8)]
	cmp	x\n, x30
	mov	x28, #\n
	mov	x30, x\n
	b.ne	mismatch
	.endm

	.macro	check_v n
	fmov	x30, d\n
	ldr	x28, [x29, #(MIGRATE_FP_OFFSET + \n * 16)]
	cmp	x30, x28
	mov	x28, #(MIGRATE_INDEX_FP + \n * 2)
	b.ne	mismatch
	mov	x30, v\n\().d[1]
	ldr	x28, [x29, #(MIGRATE_FP_OFFSET + \n * 16 + 8)]
	cmp	x30, x28
	mov	x28, #(MIGRATE_INDEX_FP + \n * 2 + 1)
	b.ne	mismatch
	.endm

	.set	sysreg_index, 0
	.macro	check_sys reg
	mrs	x30, \reg
	ldr	x28, [x29, #(MIGRATE_SYS_OFFSET + sysreg_index * 8)]
	cmp	x30, x28
	mov	x28, #(MIGRATE_INDEX_SYS + sysreg_index)
	b.ne	mismatch
	.set	sysreg_index, sysreg_index + 1
	.endm

#define CHECK_SYSREG(name, op0, op1, crn, crm, op2, a, b) check_sys ENCODING(op0, op1, crn, crm, op2);

	.text
	.global	migrate_check
	.type	migrate_check, %function
migrate_check:
	/* The caller's registers, the stack pointer and the count wait in migrate_saved. */
	adrp	x9, migrate_saved
	add	x9, x9, :lo12:migrate_saved
	stp	x19, x20, [x9, #0]
	stp	x21, x22, [x9, #16]
	stp	x23, x24, [x9, #32]
	stp	x25, x26, [x9, #48]
	stp	x27, x28, [x9, #64]
	stp	x29, x30, [x9, #80]
	mov	x10, sp
	stp	x10, x0, [x9, #96]
	str	x1, [x9, #112]
	adrp	x29, migrate_values
	add	x29, x29, :lo12:migrate_values
	str	x10, [x29, #MIGRATE_SP_OFFSET]
	ldp	q0, q1, [x29, #(MIGRATE_FP_OFFSET + 0)]
	ldp	q2, q3, [x29, #(MIGRATE_FP_OFFSET + 32)]
	ldp	q4, q5, [x29, #(MIGRATE_FP_OFFSET + 64)]
	ldp	q6, q7, [x29, #(MIGRATE_FP_OFFSET + 96)]
	ldp	q8, q9, [x29, #(MIGRATE_FP_OFFSET + 128)]
	ldp	q10, q11, [x29, #(MIGRATE_FP_OFFSET + 160)]
	ldp	q12, q13, [x29, #(MIGRATE_FP_OFFSET + 192)]
	ldp	q14, q15, [x29, #(MIGRATE_FP_OFFSET + 224)]
	ldp	q16, q17, [x29, #(MIGRATE_FP_OFFSET + 256)]
	ldp	q18, q19, [x29, #(MIGRATE_FP_OFFSET + 288)]
	ldp	q20, q21, [x29, #(MIGRATE_FP_OFFSET + 320)]
	ldp	q22, q23, [x29, #(MIGRATE_FP_OFFSET + 352)]
	ldp	q24, q25, [x29, #(MIGRATE_FP_OFFSET + 384)]
	ldp	q26, q27, [x29, #(MIGRATE_FP_OFFSET + 416)]
	ldp	q28, q29, [x29, #(MIGRATE_FP_OFFSET + 448)]
	ldp	q30, q31, [x29, #(MIGRATE_FP_OFFSET + 480)]
	ldp	x0, x1, [x29, #0]
	ldp	x2, x3, [x29, #16]
	ldp	x4, x5, [x29, #32]
	ldp	x6, x7, [x29, #48]
	ldp	x8, x9, [x29, #64]
	ldp	x10, x11, [x29, #80]
	ldp	x12, x13, [x29, #96]
	ldp	x14, x15, [x29, #112]
	ldp	x16, x17, [x29, #128]
	ldp	x18, x19, [x29, #144]
	ldp	x20, x21, [x29, #160]
	ldp	x22, x23, [x29, #176]
	ldp	x24, x25, [x29, #192]
	ldp	x26, x27, [x29, #208]

loop:
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27
	check_x	\n
	.endr
	adrp	x28, migrate_values
	add	x28, x28, :lo12:migrate_values
	cmp	x29, x28
	mov	x28, #MIGRATE_INDEX_X29
	mov	x30, x29
	b.ne	mismatch
	mov	x30, sp
	ldr	x28, [x29, #MIGRATE_SP_OFFSET]
	cmp	x30, x28
	mov	x28, #MIGRATE_INDEX_SP
	b.ne	mismatch
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	check_v	\n
	.endr
	MIGRATE_SYSREGS(CHECK_SYSREG)

	adrp	x28, migrate_saved
	add	x28, x28, :lo12:migrate_saved
	ldr	x30, [x28, #104]
	subs	x30, x30, #1
	str	x30, [x28, #104]
	b.eq	done
	ldr	x30, [x28, #112]
	cbz	x30, loop
	yield
	b	loop

done:
	mov	x0, #0
	b	restore

mismatch:
	adrp	x29, migrate_result
	add	x29, x29, :lo12:migrate_result
	stp	x28, x30, [x29]
	mov	x0, #1

restore:
	adrp	x9, migrate_saved
	add	x9, x9, :lo12:migrate_saved
	ldp	x19, x20, [x9, #0]
	ldp	x21, x22, [x9, #16]
	ldp	x23, x24, [x9, #32]
	ldp	x25, x26, [x9, #48]
	ldp	x27, x28, [x9, #64]
	ldp	x29, x30, [x9, #80]
	ldr	x10, [x9, #96]
	mov	sp, x10
	ret
	.size	migrate_check, . - migrate_check

	.bss
	.balign	16
migrate_saved:
	.space	128
