/*
 * Helpers for the kernel's assembly files.
 */
#ifndef MICA_ARCH_ASM_H
#define MICA_ARCH_ASM_H

/* clang-format off */

/* Load the address of sym PC-relatively: valid before and after the MMU is on. */
.macro adr_l reg, sym
	adrp \reg, \sym
	add \reg, \reg, :lo12:\sym
.endm

.macro func name
	.global \name
	.type \name, %function
\name:
.endm

.macro endfunc name
	.size \name, . - \name
.endm

/* clang-format on */

#endif
