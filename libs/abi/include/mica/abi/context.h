/*
 * A thread's user context as TCB ReadRegisters/WriteRegisters see it (on
 * AArch64): MICA_CONTEXT_WORDS words in this order.
 */
#ifndef MICA_ABI_CONTEXT_H
#define MICA_ABI_CONTEXT_H

enum mica_context_word {
	MICA_CTX_PC = 0,
	MICA_CTX_SP = 1,
	MICA_CTX_FLAGS = 2, /* NZCV in bits 31..28; the rest of PSTATE is the kernel's. */
	MICA_CTX_TPIDR = 3,
	MICA_CTX_X0 = 4, /* x0..x30 follow. */
	MICA_CONTEXT_WORDS = MICA_CTX_X0 + 31,
};

#endif
