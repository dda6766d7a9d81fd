/*
 * The migration guest (qemu.vm-migrate; its VMM is tests/user/vm_migrate.c,
 * the protocol migrate.h): it fills its general registers, its FP/SIMD
 * registers (with FPCR and FPSR) and the EL1 system registers of
 * MIGRATE_SYSREGS with values of its own, and then checks them over and
 * over (migrate_check.S) while the VMM moves its vCPU between physical
 * CPUs. After every round of MIGRATE_ITERATIONS checks it tells the VMM
 * whether every register held, and the VMM says whether to go on.
 *
 * The VMM runs two of these, tagged 1 and 2, each with its own values, so
 * that a CPU a vCPU lands on may still hold the other VM's registers.
 */
#include <stdint.h>

#include "guest.h"
#include "migrate.h"

void guest_main(void);

void guest_main(void)
{
	uint64_t tag = guest_hvc(GUEST_CALL_MIGRATE_READY, 0, 0, 0, 0).x[0];

	if (tag != 1 && tag != 2)
		(void)guest_hvc(GUEST_CALL_MIGRATE_FAIL, __LINE__, tag, 0, 0);
	migrate_fill(tag);
	for (uint64_t round = 1;; round++) {
		uint64_t bad = migrate_check(MIGRATE_ITERATIONS, 1);
		struct guest_answer a =
			guest_hvc(GUEST_CALL_MIGRATE_ROUND, round, bad ? migrate_result[0] + 1 : 0,
				  bad ? migrate_result[1] : 0, 0);

		if (a.x[0] == 0)
			break;
	}
	for (;;)
		__asm__ volatile("wfi");
}
