/*
 * Work spans: how many cycle-counter counts a server spends working, from
 * its wait returning to its next wait, summed over every span. The kernel
 * lets EL0 read PMCCNTR_EL0 (kernel/arch/aarch64/cpu.c), which counts at
 * every exception level, so a span includes the kernel's time in the
 * system calls the server makes inside it (a signal, a line change), but
 * not that of the wait itself, nor of what the kernel does before the
 * server runs.
 *
 * Under QEMU's -icount shift=0 the counter is the machine's clock in
 * nanoseconds: one count an executed instruction, and a jump while every
 * CPU waits in WFI. A span never contains such a wait (its server is
 * running), so there it counts instructions exactly. Two reads of the
 * counter and an add a span: always on.
 */
#ifndef MICA_USER_WORK_H
#define MICA_USER_WORK_H

#include <stdint.h>

struct mica_work {
	uint64_t spans;	 /* Spans ended. */
	uint64_t cycles; /* Counts in them. */
	uint64_t begun;	 /* Where the current span began. */
};

/*
 * PMCCNTR_EL0, without a barrier: a span's ends may move by an
 * instruction or two, which a sum over thousands does not notice.
 */
static inline uint64_t mica_cycles(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, pmccntr_el0" : "=r"(v)::"memory");
	return v;
}

/* A wait returned: a span begins. */
static inline void mica_work_begin(struct mica_work *w)
{
	w->begun = mica_cycles();
}

/* About to wait: the span ends. */
static inline void mica_work_end(struct mica_work *w)
{
	w->cycles += mica_cycles() - w->begun;
	w->spans++;
}

#endif
