/*
 * The FP/SIMD guest (tests/user/fp.c is its VMM): it fills every FP/SIMD
 * register, makes a hypercall (during which its VMM fills them with values
 * of its own), and reports whether its values survived. The kernel must
 * have switched the registers both ways.
 */
#include <stdint.h>

#include "fp_regs.h"
#include "guest.h"

void guest_main(void);

void guest_main(void)
{
	/* The guest's own CPACR_EL1 must let EL1 use the unit too. */
	__asm__ volatile("mrs x0, cpacr_el1\n\t"
			 "orr x0, x0, #(3 << 20)\n\t"
			 "msr cpacr_el1, x0\n\t"
			 "isb" ::
				 : "x0");
	for (uint64_t round = 0; round < GUEST_FP_ROUNDS; round++) {
		fp_fill(GUEST_FP_SEED + round);
		(void)guest_hvc(GUEST_CALL_FP, round, 0, 0, 0);
		(void)guest_hvc(GUEST_CALL_FP_CHECK, round, fp_check(GUEST_FP_SEED + round), 0, 0);
	}
	(void)guest_hvc(GUEST_CALL_DONE, 0, 0, 0, 0);
}
