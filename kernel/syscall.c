/*
 * System-call dispatch. Each call validates all of its arguments before it
 * changes anything, and reports a bad one with an error code.
 */
#include <string.h>

#include "arch.h"
#include "print.h"
#include "thread.h"

#include <mica/abi/syscall.h>

/*
 * MICA_SYS_DEBUG_WRITE: every page of the buffer must be mapped readable
 * for the caller before a single byte is printed, so a bad buffer prints
 * nothing. The kernel reads user memory through the physmap, never through
 * the user's own mapping, so a bad address cannot fault in the kernel.
 */
static void sys_debug_write(struct thread *t)
{
	uintptr_t buf = arch_regs_arg(&t->regs, 0);
	uintptr_t len = arch_regs_arg(&t->regs, 1);
	uintptr_t end;

	if (len > MICA_DEBUG_WRITE_MAX) {
		arch_regs_set_result(&t->regs, MICA_ERR_RANGE, 0);
		return;
	}
	if (__builtin_add_overflow(buf, len, &end)) {
		arch_regs_set_result(&t->regs, MICA_ERR_BAD_ADDRESS, 0);
		return;
	}
	for (uintptr_t page = ALIGN_DOWN(buf, PAGE_SIZE); page < end; page += PAGE_SIZE) {
		struct ret r =
			arch_vspace_translate(&t->vspace, va_init(page), MAP_READ | MAP_USER);

		if (r.err != MICA_OK) {
			arch_regs_set_result(&t->regs, MICA_ERR_BAD_ADDRESS, 0);
			return;
		}
	}
	for (uintptr_t va = buf; va < end;) {
		uintptr_t chunk = ALIGN_DOWN(va, PAGE_SIZE) + PAGE_SIZE - va;
		struct ret r = arch_vspace_translate(&t->vspace, va_init(va), MAP_READ | MAP_USER);

		if (chunk > end - va)
			chunk = end - va;
		print_write(arch_phys_to_virt(pa_init(r.val)), chunk);
		va += chunk;
	}
	arch_regs_set_result(&t->regs, MICA_OK, len);
}

static void sys_system_off(struct thread *t)
{
	uintptr_t status = arch_regs_arg(&t->regs, 0);

	if (status > 255) {
		arch_regs_set_result(&t->regs, MICA_ERR_RANGE, 0);
		return;
	}
	kprintf("mica: system off requested by %s, status %lu (%lu timer ticks)\n", t->name,
		(unsigned long)status, (unsigned long)sched_ticks());
	arch_power_off((int)status);
}

void syscall_dispatch(struct thread *t)
{
	switch (arch_regs_syscall(&t->regs)) {
	case MICA_SYS_DEBUG_WRITE:
		sys_debug_write(t);
		break;
	case MICA_SYS_SYSTEM_OFF:
		sys_system_off(t);
		break;
	default:
		arch_regs_set_result(&t->regs, MICA_ERR_UNKNOWN_SYSCALL, 0);
		break;
	}
}
