/*
 * The fidelity guest's EL1 exception vectors (tests/guests/fidelity.c):
 * every exception, whichever of the 16 entries takes it, is counted and
 * its ESR_EL1, FAR_EL1, ELR_EL1, SPSR_EL1 and entry offset kept for the
 * guest to check. It then resumes at fidelity_resume when the probe set
 * one (a branch to nowhere has no next instruction: its probe names the
 * one after the branch), else at the instruction after ELR_EL1, with a
 * sane PSTATE whatever SPSR_EL1 held.
 *
 * The table is 16 entries of 128 bytes, 2 KiB aligned (Arm ARM D1.10.2,
 * "Exception vectors"); each entry saves x9 and x10 and passes its offset.
 * The exception returns with x9 and x10 as they were, and every other
 * register untouched.
 */

/* SPSR_EL1 to resume with: EL1h, DAIF masked, IL and SS clear. */
#define RESUME_SPSR 0x3c5

	.macro	entry offset
	.balign	0x80
	stp	x9, x10, [sp, #-16]!
	mov	x9, #\offset
	b	fidelity_exception
	.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global	fidelity_vectors
fidelity_vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	entry	(\i * 0x80)
	.endr

	.macro	keep sysreg, symbol
	mrs	x9, \sysreg
	adrp	x10, \symbol
	str	x9, [x10, :lo12:\symbol]
	.endm

fidelity_exception:
	adrp	x10, fidelity_seen_vector
	str	x9, [x10, :lo12:fidelity_seen_vector]
	adrp	x10, fidelity_seen_count
	ldr	x9, [x10, :lo12:fidelity_seen_count]
	add	x9, x9, #1
	str	x9, [x10, :lo12:fidelity_seen_count]
	keep	esr_el1, fidelity_seen_esr
	keep	far_el1, fidelity_seen_far
	keep	elr_el1, fidelity_seen_elr
	keep	spsr_el1, fidelity_seen_spsr
	adrp	x10, fidelity_resume
	ldr	x9, [x10, :lo12:fidelity_resume]
	str	xzr, [x10, :lo12:fidelity_resume]
	cbnz	x9, 1f
	mrs	x9, elr_el1
	add	x9, x9, #4
1:	msr	elr_el1, x9
	mov	x9, #RESUME_SPSR
	msr	spsr_el1, x9
	ldp	x9, x10, [sp], #16
	eret

	.section .bss
	.balign	8
	.global	fidelity_seen_count, fidelity_seen_vector, fidelity_seen_esr
	.global	fidelity_seen_far, fidelity_seen_elr, fidelity_seen_spsr, fidelity_resume
fidelity_seen_count:		/* Exceptions taken so far. */
	.skip	8
fidelity_seen_vector:		/* The last one's entry: its offset in the table. */
	.skip	8
fidelity_seen_esr:		/* ESR_EL1, FAR_EL1, ELR_EL1 and SPSR_EL1 as it came. */
	.skip	8
fidelity_seen_far:
	.skip	8
fidelity_seen_elr:
	.skip	8
fidelity_seen_spsr:
	.skip	8
fidelity_resume:		/* Where the next one resumes; 0: after its instruction. */
	.skip	8
