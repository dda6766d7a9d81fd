/*
 * System-call stubs: "svc #0" with the number in x7 (<mica/abi/syscall.h>).
 */
#include <mica/sys.h>

struct mica_ipc_buffer *mica_ipc_buffer(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
	return (struct mica_ipc_buffer *)(uintptr_t)v;
}

void mica_syscall_raw(uint64_t nr, struct mica_raw *r)
{
	register uint64_t x0 __asm__("x0") = r->x[0];
	register uint64_t x1 __asm__("x1") = r->x[1];
	register uint64_t x2 __asm__("x2") = r->x[2];
	register uint64_t x3 __asm__("x3") = r->x[3];
	register uint64_t x4 __asm__("x4") = r->x[4];
	register uint64_t x5 __asm__("x5") = r->x[5];
	register uint64_t x6 __asm__("x6") = r->x[6];
	register uint64_t x7 __asm__("x7") = nr;

	__asm__ volatile("svc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
			 : "r"(x7)
			 : "memory");
	r->x[0] = x0;
	r->x[1] = x1;
	r->x[2] = x2;
	r->x[3] = x3;
	r->x[4] = x4;
	r->x[5] = x5;
	r->x[6] = x6;
}

static uint64_t syscall2(enum mica_syscall nr, uint64_t a0, uint64_t a1)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x7 __asm__("x7") = nr;

	__asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x7) : "memory");
	return x0;
}

enum mica_error sys_debug_write(const void *buf, size_t len)
{
	return (enum mica_error)syscall2(MICA_SYS_DEBUG_WRITE, (uintptr_t)buf, len);
}

void sys_system_off(int status)
{
	register uint64_t x0 __asm__("x0") = (uint64_t)(unsigned)status;

	(void)syscall2(MICA_SYS_SYSTEM_OFF, (uint64_t)(unsigned)status, 0);
	/*
	 * Refused: only the root task may end the system. This program has
	 * ended, though, so stop with a breakpoint fault, status in x0, for the
	 * fault handler to see (MICA_FAULT_USER_EXCEPTION, and the register).
	 */
	for (;;)
		__asm__ volatile("brk #1" ::"r"(x0));
}
