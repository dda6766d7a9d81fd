/*
 * Virtual CPUs. A VCPU object holds a guest's EL1 state; the TCB bound to
 * it (a "vCPU thread") holds the guest's general registers and runs it,
 * in the VM its VSpace slot names. The EL1 state stays in the CPU while
 * host threads run (they never touch EL1 registers) and is only saved when
 * another vCPU takes the CPU.
 */
#ifndef MICA_VCPU_H
#define MICA_VCPU_H

#include "thread.h"

#include <arch/vcpu.h>

struct vcpu {
	struct tcb *tcb; /* The thread running it, or NULL. */
	struct arch_vcpu arch;
};

_Static_assert(sizeof(struct vcpu) <= (1u << MICA_VCPU_BITS), "VCPU fits its object");

void vcpu_init(struct vcpu *v);

/* Bind v to t; MICA_ERR_ILLEGAL_OPERATION if either is bound already. */
MUST_CHECK enum mica_error vcpu_bind(struct vcpu *v, struct tcb *t);

/* v or its thread is going away. */
void vcpu_unbind(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);

/* t, a vCPU thread, is about to run on this CPU: load its EL1 state if need be. */
void vcpu_switch_to(struct tcb *t);

/*
 * The guest exited with something for its VMM: a message of label and
 * count words (at most MICA_EXIT_HYPERCALL_WORDS) to the thread's fault
 * endpoint, answered like a fault.
 */
void vcpu_exit(struct tcb *t, uint64_t label, const uint64_t *words, unsigned count);

#endif
