/*
 * The stack protector's guard and failure hook, for code built with
 * -fstack-protector (Debian's arm64 libfdt is). Mica's own code is built
 * without it, so only such libraries use these.
 *
 * The guard is a constant: an EL0 program has no entropy before its first
 * instruction, and the guard must hold its value from then on. That still
 * catches the accidental overruns the protector is for; its low byte is
 * zero so that an overrun by a string copy cannot reproduce it.
 */
#include <stdint.h>

/*
 * Referenced by the compiler's generated code, hence not static, and named
 * by the compiler's ABI, hence the NOLINTs.
 */
extern const uintptr_t __stack_chk_guard;
_Noreturn void __stack_chk_fail(void); // NOLINT(readability-identifier-naming)

const uintptr_t __stack_chk_guard = (uintptr_t)0x5ec0de7a11ca5e00ull;

/*
 * A smashed stack cannot be trusted for anything, including printing, so
 * stop at once: the trap is a fault that the thread's fault handler (for
 * a process, the root task) receives like any other.
 */
_Noreturn void __stack_chk_fail(void) // NOLINT(readability-identifier-naming)
{
	__builtin_trap();
}
