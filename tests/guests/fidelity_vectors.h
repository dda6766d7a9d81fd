/*
 * What the fidelity guests' EL1 vectors (fidelity_vectors.S) keep of the
 * exceptions they take, and where the next one resumes.
 */
#ifndef MICA_TESTS_GUESTS_FIDELITY_VECTORS_H
#define MICA_TESTS_GUESTS_FIDELITY_VECTORS_H

#include <stdint.h>

extern volatile uint64_t fidelity_seen_count, fidelity_seen_vector, fidelity_seen_esr;
extern volatile uint64_t fidelity_seen_far, fidelity_seen_elr, fidelity_seen_spsr;
extern volatile uint64_t fidelity_resume;
extern const char fidelity_vectors[];

/* What a record holds before an exception writes it. */
#define FIDELITY_POISON 0xdeadbeefdeadbeefull

/* Forget the last exception, so that a probe that takes none cannot pass on its record. */
static inline void fidelity_forget(void)
{
	fidelity_seen_count = 0;
	fidelity_seen_vector = FIDELITY_POISON;
	fidelity_seen_esr = FIDELITY_POISON;
	fidelity_seen_far = FIDELITY_POISON;
	fidelity_seen_elr = FIDELITY_POISON;
	fidelity_seen_spsr = FIDELITY_POISON;
}

#endif
