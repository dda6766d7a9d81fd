/*
 * EL0 checks of the system-call interface: bad arguments get distinct
 * errors and change nothing, registers survive a system call, and the
 * kernel's tick preempts a spinning thread without disturbing it.
 */
#include <mica/counter.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "check.h"

/* The root task's stack ends here (kernel/include/boot.h); nothing is above. */
#define ROOT_STACK_TOP 0x0000007fff000000ull

static uint64_t raw_syscall(uint64_t nr, uint64_t a0, uint64_t a1)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x7 __asm__("x7") = nr;

	__asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x7) : "memory");
	return x0;
}

/*
 * Fill x2..x28 (but x7, the call number) and TPIDR_EL0 with known values,
 * make a system call, and check every one of them came back: the entry
 * path saves and restores the whole context, not just what C preserves.
 */
static int registers_survive_syscall(void)
{
	uint64_t bad = 0;

	__asm__ volatile("mov x2, #2\n\tmov x3, #3\n\tmov x4, #4\n\tmov x5, #5\n\t"
			 "mov x6, #6\n\tmov x8, #8\n\tmov x18, #18\n\t"
			 "mov x9, #0x757\n\tmsr tpidr_el0, x9\n\t"
			 "mov x9, #9\n\tmov x10, #10\n\tmov x11, #11\n\tmov x12, #12\n\t"
			 "mov x13, #13\n\tmov x14, #14\n\tmov x15, #15\n\tmov x16, #16\n\t"
			 "mov x17, #17\n\tmov x19, #19\n\tmov x20, #20\n\tmov x21, #21\n\t"
			 "mov x22, #22\n\tmov x23, #23\n\tmov x24, #24\n\tmov x25, #25\n\t"
			 "mov x26, #26\n\tmov x27, #27\n\tmov x28, #28\n\t"
			 "mov x7, #0x7fff\n\tsvc #0\n\t"
			 "mov %0, #0\n\t"
			 "cmp x2, #2\n\tcinc %0, %0, ne\n\tcmp x3, #3\n\tcinc %0, %0, ne\n\t"
			 "cmp x4, #4\n\tcinc %0, %0, ne\n\tcmp x5, #5\n\tcinc %0, %0, ne\n\t"
			 "cmp x6, #6\n\tcinc %0, %0, ne\n\tcmp x8, #8\n\tcinc %0, %0, ne\n\t"
			 "cmp x18, #18\n\tcinc %0, %0, ne\n\t"
			 "mrs x2, tpidr_el0\n\tcmp x2, #0x757\n\tcinc %0, %0, ne\n\t"
			 "cmp x9, #9\n\tcinc %0, %0, ne\n\tcmp x10, #10\n\tcinc %0, %0, ne\n\t"
			 "cmp x11, #11\n\tcinc %0, %0, ne\n\tcmp x12, #12\n\tcinc %0, %0, ne\n\t"
			 "cmp x13, #13\n\tcinc %0, %0, ne\n\tcmp x14, #14\n\tcinc %0, %0, ne\n\t"
			 "cmp x15, #15\n\tcinc %0, %0, ne\n\tcmp x16, #16\n\tcinc %0, %0, ne\n\t"
			 "cmp x17, #17\n\tcinc %0, %0, ne\n\tcmp x19, #19\n\tcinc %0, %0, ne\n\t"
			 "cmp x20, #20\n\tcinc %0, %0, ne\n\tcmp x21, #21\n\tcinc %0, %0, ne\n\t"
			 "cmp x22, #22\n\tcinc %0, %0, ne\n\tcmp x23, #23\n\tcinc %0, %0, ne\n\t"
			 "cmp x24, #24\n\tcinc %0, %0, ne\n\tcmp x25, #25\n\tcinc %0, %0, ne\n\t"
			 "cmp x26, #26\n\tcinc %0, %0, ne\n\tcmp x27, #27\n\tcinc %0, %0, ne\n\t"
			 "cmp x28, #28\n\tcinc %0, %0, ne\n\t"
			 : "=&r"(bad)
			 :
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x18", "x9", "x10",
			   "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x19", "x20", "x21",
			   "x22", "x23", "x24", "x25", "x26", "x27", "x28", "cc", "memory");
	return (int)bad;
}

int main(void)
{
	static const char msg[] = "syscalls: debug write of an exact length\n";

	printf("START syscalls\n");

	CHECK(raw_syscall(0x7fff, 0, 0) == MICA_ERR_UNKNOWN_SYSCALL);
	CHECK(raw_syscall(0, 0, 0) == MICA_ERR_UNKNOWN_SYSCALL);
	CHECK(sys_debug_write(msg, sizeof(msg) - 1) == MICA_OK);
	CHECK(sys_debug_write((const void *)0x1000, 4) == MICA_ERR_BAD_ADDRESS);
	CHECK(sys_debug_write((const void *)0xffffff8000000000ull, 4) == MICA_ERR_BAD_ADDRESS);
	CHECK(sys_debug_write((const void *)UINT64_MAX, 2) == MICA_ERR_BAD_ADDRESS);
	CHECK(sys_debug_write(msg, MICA_DEBUG_WRITE_MAX + 1) == MICA_ERR_RANGE);
	CHECK(sys_debug_write(msg, 0) == MICA_OK);
	/* A buffer running off the top of the stack into unmapped memory. */
	CHECK(sys_debug_write((const void *)(ROOT_STACK_TOP - 2), 4) == MICA_ERR_BAD_ADDRESS);
	CHECK(raw_syscall(MICA_SYS_SYSTEM_OFF, 256, 0) == MICA_ERR_RANGE);
	CHECK(registers_survive_syscall() == 0);

	/* Spin for 200 ms of counter time: the tick preempts us meanwhile. */
	uint64_t end = mica_counter() + mica_counter_hz() / 5;
	uint64_t spins = 0;

	while (mica_counter() < end)
		spins++;
	CHECK(spins > 0);
	printf("syscalls: spun %llu times\n", (unsigned long long)spins);

	return check_finish("syscalls");
}
