/*
 * The fake architecture takes no guest exits of its own: the exit
 * fastpath always leaves them to the slow path.
 */
#ifndef MICA_FAKE_EXIT_H
#define MICA_FAKE_EXIT_H

/* Included after the generic "vcpu.h" (struct vcpu_exit). */

/* The real one fills words in, hence not const. */
static inline bool arch_decode_exit(const struct arch_regs *regs, struct arch_vcpu *av,
				    struct vcpu_exit *e,
				    uint64_t *words) /* NOLINT(readability-non-const-parameter) */
{
	(void)regs;
	(void)av;
	(void)e;
	(void)words;
	return false;
}

/* The fake guest writes no GIC registers. (The real one fills intid and targets in.) */
static inline bool arch_sgi_write(const uint64_t *words,
				  unsigned *intid,   /* NOLINT(readability-non-const-parameter) */
				  uint32_t *targets) /* NOLINT(readability-non-const-parameter) */
{
	(void)words;
	(void)intid;
	(void)targets;
	return false;
}

#endif
