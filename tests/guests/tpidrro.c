/*
 * The TPIDRRO guest (qemu.vm-tpidrro; its VMMs are tests/user/vm_tpidrro.c):
 * what a guest that hunts for another VM's data sees of TPIDRRO_EL0. It
 * sets the register at EL1 to the value its VMM gives it, then exits to the
 * VMM with a hypercall round after round, and after each exit reads the
 * register back. A value that is not its own (another VM's, say) is
 * reported with the round and what was read, and the guest's own is set
 * again so that every later round is a test of its own.
 */
#include <stdint.h>

#include "guest.h"

void guest_main(void);

static inline void write_tpidrro(uint64_t v)
{
	__asm__ volatile("msr tpidrro_el0, %0" ::"r"(v) : "memory");
}

static inline uint64_t read_tpidrro(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, tpidrro_el0" : "=r"(v)::"memory");
	return v;
}

void guest_main(void)
{
	struct guest_answer a = guest_hvc(GUEST_CALL_TPIDRRO_READY, 0, 0, 0, 0);
	uint64_t mine = a.x[0];
	uint64_t rounds = a.x[1];
	uint64_t mismatches = 0;

	write_tpidrro(mine);
	for (uint64_t round = 1; round <= rounds; round++) {
		uint64_t seen;

		(void)guest_hvc(GUEST_CALL_TPIDRRO_ROUND, round, 0, 0, 0);
		seen = read_tpidrro();
		if (seen != mine) {
			mismatches++;
			(void)guest_hvc(GUEST_CALL_TPIDRRO_MISMATCH, round, seen, 0, 0);
			write_tpidrro(mine);
		}
	}
	(void)guest_hvc(GUEST_CALL_TPIDRRO_DONE, rounds, mismatches, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}
