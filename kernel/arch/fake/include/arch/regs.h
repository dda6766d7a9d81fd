/*
 * The fake architecture's thread context and address space, for host unit
 * tests of generic kernel code. Shapes mirror a real port's: registers for
 * the system-call convention, and an address space as a small page list.
 */
#ifndef MICA_FAKE_REGS_H
#define MICA_FAKE_REGS_H

#include <stdint.h>

#define FAKE_REGS_COUNT	  8
#define FAKE_VSPACE_PAGES 16

struct arch_regs {
	uint64_t x[FAKE_REGS_COUNT]; /* x[7] is the system-call number, as on aarch64. */
	uint64_t pc;
	uint64_t sp;
};

struct fake_page {
	uint64_t va;
	uint64_t pa;
	unsigned prot;
};

struct arch_vspace {
	struct fake_page pages[FAKE_VSPACE_PAGES];
	unsigned page_count;
	uint16_t asid;
};

#endif
