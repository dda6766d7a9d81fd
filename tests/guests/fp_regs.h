/*
 * Filling and checking every FP/SIMD register, for the tests of the
 * kernel's lazy FP switching (tests/user/fp.c and the fp guest): q0..q31
 * each get two 64-bit halves seed + 2n and seed + 2n + 1, and FPCR's
 * rounding mode gets seed's low two bits. Test code is built without
 * FP/SIMD code generation, so nothing but these touches the registers.
 */
#ifndef MICA_TESTS_FP_REGS_H
#define MICA_TESTS_FP_REGS_H

#include <stdint.h>

#define FP_RMODE_SHIFT 22
#define FP_RMODE_MASK  (UINT64_C(3) << FP_RMODE_SHIFT)

static inline void fp_fill(uint64_t seed)
{
	uint64_t v = seed;

	__asm__ volatile(".arch_extension fp\n\t"
			 ".arch_extension simd\n\t"
			 ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
			 "24,25,26,27,28,29,30,31\n\t"
			 "fmov d\\n, %0\n\t"
			 "add %0, %0, #1\n\t"
			 "mov v\\n\\().d[1], %0\n\t"
			 "add %0, %0, #1\n\t"
			 ".endr\n\t"
			 "msr fpcr, %1"
			 : "+r"(v)
			 : "r"((seed << FP_RMODE_SHIFT) & FP_RMODE_MASK)
			 : "memory");
}

/* How many of the 65 values (64 halves and the rounding mode) differ from fp_fill(seed)'s. */
static inline unsigned fp_check(uint64_t seed)
{
	uint64_t v = seed, got, fpcr;
	unsigned bad = 0;

	__asm__ volatile(".arch_extension fp\n\t"
			 ".arch_extension simd\n\t"
			 ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
			 "24,25,26,27,28,29,30,31\n\t"
			 "fmov %1, d\\n\n\t"
			 "cmp %1, %0\n\t"
			 "cinc %w2, %w2, ne\n\t"
			 "add %0, %0, #1\n\t"
			 "mov %1, v\\n\\().d[1]\n\t"
			 "cmp %1, %0\n\t"
			 "cinc %w2, %w2, ne\n\t"
			 "add %0, %0, #1\n\t"
			 ".endr\n\t"
			 "mrs %3, fpcr"
			 : "+r"(v), "=&r"(got), "+r"(bad), "=r"(fpcr)
			 :
			 : "cc");
	return bad + ((fpcr & FP_RMODE_MASK) != ((seed << FP_RMODE_SHIFT) & FP_RMODE_MASK));
}

#endif
