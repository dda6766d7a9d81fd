/*
 * A test guest: hypercalls with every argument register, answers that
 * come back in x0..x3, a trapped SMC, and a read of guest-physical memory
 * that only exists once the VMM has mapped it in response to the fault (a
 * load pair: a syndrome that does not describe the access, so a fault
 * rather than an MMIO exit).
 */
#include <stdint.h>

#include "guest.h"

void guest_main(void);

struct answer {
	uint64_t x[4];
};

static struct answer call(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			  uint64_t a5, uint64_t a6, uint64_t a7, int smc)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	register uint64_t x4 __asm__("x4") = a4;
	register uint64_t x5 __asm__("x5") = a5;
	register uint64_t x6 __asm__("x6") = a6;
	register uint64_t x7 __asm__("x7") = a7;

	if (smc)
		__asm__ volatile("smc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 : "r"(x4), "r"(x5), "r"(x6), "r"(x7)
				 : "memory");
	else
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 : "r"(x4), "r"(x5), "r"(x6), "r"(x7)
				 : "memory");
	return (struct answer){{x0, x1, x2, x3}};
}

void guest_main(void)
{
	struct answer a = call(GUEST_CALL_HELLO, 1, 2, 3, 4, 5, 6, 7, 0);
	uint64_t lo, hi;

	(void)call(GUEST_CALL_ECHO, a.x[0], a.x[1], a.x[2], a.x[3], 0, 0, 0, 0);
	(void)call(GUEST_CALL_SMC, 0, 0, 0, 0, 0, 0, 0, 1);
	__asm__ volatile("ldp %0, %1, [%2]"
			 : "=r"(lo), "=r"(hi)
			 : "r"(GUEST_UNMAPPED_IPA)
			 : "memory");
	(void)call(GUEST_CALL_READ, lo, hi, 0, 0, 0, 0, 0, 0);
	(void)call(GUEST_CALL_DONE, 0, 0, 0, 0, 0, 0, 0, 0);
}
