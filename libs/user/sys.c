/*
 * System-call stubs: "svc #0" with the number in x7 (<mica/abi/syscall.h>).
 */
#include <mica/sys.h>

#include <stdint.h>

static inline uint64_t syscall2(enum mica_syscall nr, uint64_t a0, uint64_t a1)
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
	(void)syscall2(MICA_SYS_SYSTEM_OFF, (uint64_t)(unsigned)status, 0);
	/* Only an out-of-range status gets here; end with failure instead. */
	(void)syscall2(MICA_SYS_SYSTEM_OFF, 1, 0);
	for (;;)
		;
}
