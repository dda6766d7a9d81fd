/*
 * The hostile guest's EL1 exception vectors: whatever the CPU delivers to
 * the guest's own EL1 (an undefined instruction, SVC, BRK, an alignment or
 * address-size fault, an illegal exception return...) is counted, its
 * syndrome kept for the guest to report, and the guest resumes at x30 with
 * a sane PSTATE: every attack is a leaf function whose x30 is still its
 * return address, so this returns from the attack that faulted. (The
 * shared vectors.S skips the instruction instead, which cannot recover
 * from a misaligned PC or an illegal exception return.)
 *
 * The table is 16 entries of 128 bytes, 2 KiB aligned (Arm ARM D1.10.2,
 * "Exception vectors"); each entry saves x0 and x1 and passes its index.
 */

/* SPSR_EL1 to resume with: EL1h, DAIF masked, IL and SS clear. */
#define RESUME_SPSR 0x3c5

	.macro	entry index
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	mov	x0, #\index
	b	hostile_el1_exception
	.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global	hostile_vectors
hostile_vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	entry	\i
	.endr

hostile_el1_exception:
	adrp	x1, hostile_el1_vector
	str	x0, [x1, :lo12:hostile_el1_vector]
	mrs	x0, esr_el1
	adrp	x1, hostile_el1_esr
	str	x0, [x1, :lo12:hostile_el1_esr]
	mrs	x0, far_el1
	adrp	x1, hostile_el1_far
	str	x0, [x1, :lo12:hostile_el1_far]
	adrp	x1, hostile_el1_count
	ldr	x0, [x1, :lo12:hostile_el1_count]
	add	x0, x0, #1
	str	x0, [x1, :lo12:hostile_el1_count]
	msr	elr_el1, x30
	mov	x0, #RESUME_SPSR
	msr	spsr_el1, x0
	ldp	x0, x1, [sp], #16
	eret

	.section .bss
	.balign	8
	.global	hostile_el1_count
hostile_el1_count:		/* Exceptions taken so far. */
	.skip	8
	.global	hostile_el1_esr
hostile_el1_esr:		/* ESR_EL1 of the last one. */
	.skip	8
	.global	hostile_el1_far
hostile_el1_far:		/* FAR_EL1 of the last one. */
	.skip	8
	.global	hostile_el1_vector
hostile_el1_vector:		/* Which of the 16 entries took it. */
	.skip	8
