/*
 * A well-behaved guest that checks itself, beside the hostile guest on
 * another CPU (qemu.vm-hostile-smp): it speaks the steady guest's protocol
 * (steady.c: a GUEST_CALL_TICK hypercall with its progress, over and over),
 * and between two ticks it checks that its general, FP/SIMD and EL1 system
 * registers still hold the values it gave them (migrate_check.S), whatever
 * the hostile guest does meanwhile. A register that changed ends its
 * ticks: it reports GUEST_CALL_MIGRATE_ROUND with the register instead,
 * over and over, which its VMM counts as a failure.
 */
#include <stdint.h>

#include "guest.h"
#include "migrate.h"

void guest_main(void);

/* Checks of every register between two ticks. */
#define CHECKS_PER_TICK 16u

void guest_main(void)
{
	migrate_fill(1);
	for (uint64_t n = 1;; n++) {
		if (migrate_check(CHECKS_PER_TICK, 0) != 0)
			for (;;)
				(void)guest_hvc(GUEST_CALL_MIGRATE_ROUND, n, migrate_result[0] + 1,
						migrate_result[1], 0);
		(void)guest_hvc(GUEST_CALL_TICK, n * CHECKS_PER_TICK, 0, 0, 0);
	}
}
