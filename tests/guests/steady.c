/*
 * A well-behaved guest that runs beside the hostile one: it counts, and
 * every so many iterations tells its VMM how far it got with a hypercall,
 * so the VMM can see that it keeps running whatever the other VM does.
 */
#include <stdint.h>

#include "guest.h"

void guest_main(void);

/* Iterations between two hypercalls: well under a millisecond under QEMU. */
#define TICK_EVERY 4096u

void guest_main(void)
{
	for (uint64_t n = 1;; n++) {
		if (n % TICK_EVERY == 0) {
			register uint64_t x0 __asm__("x0") = GUEST_CALL_TICK;
			register uint64_t x1 __asm__("x1") = n;

			__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1)::"memory");
		}
		__asm__ volatile("" ::: "memory"); /* Keep the loop a loop. */
	}
}
