/*
 * A test guest for MMIO and trapped system registers: loads of every width,
 * with and without sign extension, from a range a device server serves
 * directly; stores of every width; a load the server declines, and one
 * whose server drops its reply object (so the VMM answers); a load from a
 * range nobody bound (the VMM again); ACTLR_EL1
 * read and written (trapped by HCR_EL2.TACR), and once refused with an
 * undefined instruction. Each mismatch is reported with GUEST_CALL_FAIL.
 */
#include <stdint.h>

#include "guest.h"

void guest_main(void);

extern uint64_t guest_sync_exceptions, guest_last_esr;
extern char guest_vectors[];

static unsigned checks;

static void check(unsigned line, uint64_t got, uint64_t expected)
{
	checks++;
	if (got != expected)
		(void)guest_hvc(GUEST_CALL_FAIL, line, got, expected, 0);
}

#define CHECK_EQ(got, expected) check(__LINE__, (got), (expected))

/*
 * One load: the destination register is filled with garbage first, so a
 * kernel that writes only part of it is caught.
 */
#define LOAD(insn, reg, addr)                                                                      \
	({                                                                                         \
		uint64_t v_ = 0xdeaddeaddeaddeadull;                                               \
		__asm__ volatile(insn " %" reg "0, [%1]" : "+r"(v_) : "r"(addr) : "memory");       \
		v_;                                                                                \
	})

#define STORE(insn, reg, value, addr)                                                              \
	__asm__ volatile(insn " %" reg "0, [%1]" ::"r"((uint64_t)(value)), "r"(addr) : "memory")

static void loads(void)
{
	uint64_t neg = GUEST_DEV_BASE + GUEST_DEV_NEGATIVE;
	uint64_t pos = GUEST_DEV_BASE + GUEST_DEV_POSITIVE;

	CHECK_EQ(LOAD("ldrb", "w", neg), 0x87);
	CHECK_EQ(LOAD("ldrh", "w", neg), 0x9687);
	CHECK_EQ(LOAD("ldr", "w", neg), 0xb4a59687);
	CHECK_EQ(LOAD("ldr", "x", neg), GUEST_DEV_NEGATIVE_VALUE);
	CHECK_EQ(LOAD("ldrsb", "w", neg), 0xffffff87);
	CHECK_EQ(LOAD("ldrsb", "x", neg), 0xffffffffffffff87);
	CHECK_EQ(LOAD("ldrsh", "w", neg), 0xffff9687);
	CHECK_EQ(LOAD("ldrsh", "x", neg), 0xffffffffffff9687);
	CHECK_EQ(LOAD("ldrsw", "x", neg), 0xffffffffb4a59687);

	CHECK_EQ(LOAD("ldrsb", "x", pos), 0x08);
	CHECK_EQ(LOAD("ldrsh", "w", pos), 0x7708);
	CHECK_EQ(LOAD("ldrsw", "x", pos), 0x55667708);
	CHECK_EQ(LOAD("ldr", "x", pos), GUEST_DEV_POSITIVE_VALUE);
}

static void stores(void)
{
	uint64_t base = GUEST_DEV_BASE + GUEST_DEV_WRITES;
	uint64_t garbage = 0x0123456789abcdefull;

	/* The register holds more than the width: only the stored bytes may arrive. */
	STORE("strb", "w", garbage, base);
	STORE("strh", "w", garbage, base + 2);
	STORE("str", "w", garbage, base + 4);
	STORE("str", "x", garbage, base + 8);
	__asm__ volatile("str wzr, [%0]" ::"r"(base + 16) : "memory");
	checks += 5; /* The server checks what arrived. */
}

static uint64_t read_actlr(void)
{
	uint64_t v = 0;

	__asm__ volatile("mrs %0, actlr_el1" : "+r"(v)::"memory");
	return v;
}

static void system_registers(void)
{
	uint64_t before;

	CHECK_EQ(read_actlr(), GUEST_ACTLR_VALUE);
	__asm__ volatile("msr actlr_el1, %0" ::"r"(GUEST_ACTLR_VALUE + 1) : "memory");
	checks++; /* The VMM checks the value written. */

	before = guest_sync_exceptions;
	(void)guest_hvc(GUEST_CALL_UNDEF, 0, 0, 0, 0);
	(void)read_actlr();
	CHECK_EQ(guest_sync_exceptions, before + 1);
	CHECK_EQ(guest_last_esr >> 26, 0); /* EC 0: an unknown instruction. */
}

/*
 * A load whose server drops the exit: the guest retries it and the server
 * answers it then, and the registers that an IPC result would use (x0, x1,
 * x6) stay the guest's.
 */
static void abandoned_load(void)
{
	register uint64_t x0 __asm__("x0") = 0x1111;
	register uint64_t x1 __asm__("x1") = 0x2222;
	register uint64_t x6 __asm__("x6") = 0x6666;
	uint64_t v = 0;

	__asm__ volatile("ldr %3, [%4]"
			 : "+r"(x0), "+r"(x1), "+r"(x6), "=r"(v)
			 : "r"(GUEST_DEV_BASE + GUEST_DEV_ABANDON)
			 : "memory");
	CHECK_EQ(v, GUEST_ABANDONED_VALUE);
	CHECK_EQ(x0, 0x1111);
	CHECK_EQ(x1, 0x2222);
	CHECK_EQ(x6, 0x6666);
}

void guest_main(void)
{
	__asm__ volatile("msr vbar_el1, %0\n\tisb" ::"r"(guest_vectors) : "memory");
	loads();
	stores();
	CHECK_EQ(LOAD("ldr", "x", GUEST_DEV_BASE + GUEST_DEV_DECLINE), GUEST_DECLINED_VALUE);
	abandoned_load();
	CHECK_EQ(LOAD("ldr", "w", GUEST_VMM_DEV_BASE + 4), GUEST_VMM_DEV_VALUE);
	system_registers();
	(void)guest_hvc(GUEST_CALL_MMIO_END, checks, guest_sync_exceptions, 0, 0);
}
