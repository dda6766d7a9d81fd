/*
 * The values the migration guest's check loop (migrate_check.S) compares
 * against, and migrate_fill(), which puts them in place (migrate.h). Also
 * linked into the self-checking steady guest (steady_check.c).
 */
#include <stdint.h>

#include "migrate.h"

/* Read by migrate_check.S. */
struct migrate_values migrate_values;
/* Written by migrate_check.S at a mismatch: the register's index, and what it held. */
volatile uint64_t migrate_result[2];

/* The generic name of a register's encoding, which the assembler takes for any register. */
#define ENCODING(op0, op1, crn, crm, op2) "s" #op0 "_" #op1 "_c" #crn "_c" #crm "_" #op2

#define WRITE_SYSREG(name, op0, op1, crn, crm, op2, a, b)                                          \
	__asm__ volatile("msr " ENCODING(op0, op1, crn, crm, op2) ", %0\n\tisb" ::"r"(             \
				 tag == 1 ? (uint64_t)(a) : (uint64_t)(b))                         \
			 : "memory");
#define READ_SYSREG(name, op0, op1, crn, crm, op2, a, b)                                           \
	__asm__ volatile("mrs %0, " ENCODING(op0, op1, crn, crm, op2)                              \
			 : "=r"(migrate_values.sys[MIGRATE_SYS_##name])                            \
			 :                                                                         \
			 : "memory");

/* A value that differs for every register, half and tag (splitmix64's finalizer). */
static uint64_t pattern(uint64_t tag, uint64_t i)
{
	uint64_t x = tag << 32 ^ (i + 1) * 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void migrate_fill(uint64_t tag)
{
	for (unsigned i = 0; i < MIGRATE_GPR_COUNT; i++)
		migrate_values.gpr[i] = pattern(tag, i);
	for (unsigned i = 0; i < 32; i++) {
		migrate_values.fp[i][0] = pattern(tag, 100 + 2 * i);
		migrate_values.fp[i][1] = pattern(tag, 101 + 2 * i);
	}
	/* The system registers (CPACR_EL1 among them opens the FP/SIMD unit), then what they hold.
	 */
	MIGRATE_SYSREGS(WRITE_SYSREG)
	MIGRATE_SYSREGS(READ_SYSREG)
}
