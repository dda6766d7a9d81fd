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
#include "vgic.h"

#include <arch/vcpu.h>

#include <mica/abi/context.h>
#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>

/*
 * The exit a vCPU thread waits to have answered, as far as completing it
 * needs: which register a read's answer goes to and how, and how far the
 * PC then moves.
 */
struct vcpu_exit {
	uint8_t label;	   /* enum mica_exit_label; MICA_EXIT_RESUME: none. */
	uint8_t reg;	   /* Where a read's answer goes (31: nowhere). */
	uint8_t size_log2; /* An MMIO access's width. */
	uint8_t insn_len;  /* How far the PC moves once the exit is complete. */
	bool is_read;	   /* An MMIO load or an MRS: the answer's MR0 is the value. */
	bool sign_extend;  /* Sign-extend a load's value from its width... */
	bool reg64;	   /* ...to 64 bits (else to 32, zeroing the top half). */
	bool to_server;	   /* Sent to a bound device server, not the VMM. */
};

struct vcpu {
	struct tcb *tcb; /* The thread running it, or NULL. */
	/*
	 * Created, Free, Ready (bound) or Invalid. Running and Blocked are
	 * what the bound thread is doing: see vcpu_state().
	 */
	uint8_t state;
	struct vcpu_exit exit;
	uint64_t entry_pc, entry_x0; /* Where SET_ENTRY said to start. */
	struct arch_vcpu arch;
	struct vgic vgic;
	/* Blocked in WFI or WFE: the next in its CPU's list of such vCPUs. */
	struct vcpu *wait_next;
	bool waits_for_event; /* WFE (or a timed wait): the next tick ends it too. */
	/* MICA_VCPU_SET_SGI: the SGIs it takes straight from the sender (bit n: SGI n). */
	uint16_t sgi_enabled;
	uint8_t sgi_priority[VGIC_SGI_COUNT];
	/* The notifications bound to its virtual interrupts (virq.h); NULL: a free entry. */
	struct notification *virq_bound[VGIC_BOUND_LINES];
	/* Exit statistics (enum mica_vcpu_stat): the exit in hand's kind and when it was sent. */
	uint64_t stats[MICA_VCPU_STAT_COUNT];
	uint64_t exit_at;
	uint8_t exit_kind;
};

_Static_assert(sizeof(struct vcpu) <= (1u << MICA_VCPU_BITS), "VCPU fits its object");

void vcpu_init(struct vcpu *v);

/* v->exit was sent as a message of kind (enum mica_vcpu_stat): count it, and start its clock. */
static inline void vcpu_exit_sent_as(struct vcpu *v, unsigned kind)
{
	v->exit_kind = (uint8_t)kind;
	v->stats[kind]++;
	v->exit_at = arch_stat_clock();
}

/* v->exit was sent as a message: count it, and start its clock. */
static inline void vcpu_exit_sent(struct vcpu *v)
{
	unsigned kind = MICA_VCPU_STAT_FAULT;

	if (v->exit.label == MICA_EXIT_HYPERCALL)
		kind = MICA_VCPU_STAT_HYPERCALL;
	else if (v->exit.label == MICA_EXIT_MMIO)
		kind = v->exit.to_server ? MICA_VCPU_STAT_MMIO_SERVER : MICA_VCPU_STAT_MMIO_VMM;
	else if (v->exit.label == MICA_EXIT_SYSREG)
		kind = MICA_VCPU_STAT_SYSREG;
	else if (v->exit.label == MICA_EXIT_VIRQ_EOI)
		kind = MICA_VCPU_STAT_EOI;
	vcpu_exit_sent_as(v, kind);
}

/* The exit in hand is over (answered, or withdrawn): its time counts. */
static inline void vcpu_exit_over(struct vcpu *v)
{
	v->stats[MICA_VCPU_STAT_EXIT_KINDS + v->exit_kind] += arch_stat_clock() - v->exit_at;
}

/*
 * The lifecycle operations a VMM can ask for, and the state each leads to
 * from a given one: MICA_VCPU_INVALID for a transition the state machine
 * does not allow (see <mica/abi/vcpu.h>).
 */
enum vcpu_op {
	VCPU_OP_SET_ENTRY,
	VCPU_OP_BIND,
	VCPU_OP_UNBIND,
};

static inline enum mica_vcpu_state vcpu_next_state(enum mica_vcpu_state s, enum vcpu_op op)
{
	switch (op) {
	case VCPU_OP_SET_ENTRY:
		return s == MICA_VCPU_CREATED || s == MICA_VCPU_FREE ? MICA_VCPU_FREE
		       : s == MICA_VCPU_READY			     ? MICA_VCPU_READY
								     : MICA_VCPU_INVALID;
	case VCPU_OP_BIND:
		return s == MICA_VCPU_FREE ? MICA_VCPU_READY : MICA_VCPU_INVALID;
	case VCPU_OP_UNBIND:
		return s == MICA_VCPU_READY || s == MICA_VCPU_RUNNING || s == MICA_VCPU_BLOCKED
			       ? MICA_VCPU_FREE
			       : MICA_VCPU_INVALID;
	}
	return MICA_VCPU_INVALID;
}

/* v's state as the VMM sees it (a Ready vCPU's thread may be running or blocked). */
enum mica_vcpu_state vcpu_state(const struct vcpu *v);

/*
 * Bind v to t: v must be Free (configured) and t unbound, else
 * MICA_ERR_ILLEGAL_OPERATION (and v is left Invalid).
 */
MUST_CHECK enum mica_error vcpu_bind(struct vcpu *v, struct tcb *t);

/* The VCPU invocations (MICA_VCPU_*) on v. */
struct invocation;
MUST_CHECK enum mica_error vcpu_invoke(struct invocation *inv, struct vcpu *v);

/* v or its thread is going away. */
void vcpu_unbind(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);

/* t, a vCPU thread, is about to run on this CPU: load its EL1 state if need be. */
void vcpu_switch_to(struct tcb *t);

/*
 * The test on every entry into a guest, slow path and fastpath alike: does
 * v have virtual interrupts to put into list registers, or an exit owed to
 * its VMM? Then the entry goes through vgic_enter first.
 */
static inline bool vcpu_has_work(const struct vcpu *v)
{
	return __builtin_expect(v->vgic.has_work, 0);
}

/*
 * The guest of t executed WFI (or WFE, if is_wfe): unless a virtual
 * interrupt is pending, t blocks until one is injected or the guest's
 * timer fires (WFE: or the next tick).
 */
void vcpu_wait(struct tcb *t, bool is_wfe);

/* t's guest rings doorbell n of its VM (MICA_HVC_RING_DOORBELL): the hypercall's result. */
int64_t vcpu_ring_doorbell(struct tcb *t, uint64_t n);

/* A vCPU waiting in WFI/WFE runs again (nothing if it is not waiting). */
void vcpu_wake(struct vcpu *v);

/* t, blocked in WFI/WFE, is being stopped: it waits no more. */
void vcpu_cancel_wait(struct tcb *t);
/* t, blocked in WFI/WFE and taken off its CPU's list, waits on its (new) CPU's. */
void vcpu_requeue_wait(struct tcb *t);

/* The kernel tick: end WFE waits, and WFI waits whose guest timer is due. */
void vcpu_tick(void);

/*
 * The guest exited with something for its VMM: a message of label and
 * count words (at most MICA_EXIT_HYPERCALL_WORDS) to the thread's fault
 * endpoint, answered like a fault. e says how to complete it (e->label is
 * the message's label).
 */
void vcpu_exit(struct tcb *t, const struct vcpu_exit *e, const uint64_t *words, unsigned count);

/* An MMIO exit (words as <mica/abi/exit.h> has them): to the bound server, else the VMM. */
void vcpu_exit_mmio(struct tcb *t, const struct vcpu_exit *e, const uint64_t *words);

/*
 * A device server declined t's exit: it goes to the VMM instead. (Any
 * other exit t has is left alone.)
 */
void vcpu_exit_lost(struct tcb *t);

/*
 * t's exit will not be answered where it went (its endpoint or reply object
 * died, or its receiver waited again without answering). One a device
 * server had is withdrawn and t runs again with its PC unchanged, so the
 * guest retries the access and it reaches whoever serves the range then:
 * a crashed server's restarted instance, for which it waits on the
 * server's endpoint. Any other exit leaves t stopped.
 */
void vcpu_exit_retry(struct tcb *t);

/*
 * The answer (info, words in answer's message registers) to t's exit came:
 * complete the exit and say whether t resumes. A device server that
 * declines hands the exit on to the VMM.
 */
bool vcpu_exit_answered(struct tcb *t, uint64_t info, const struct arch_regs *answer);

/* Complete t's exit with a read's value (if it was a read) and move the PC past it. */
static inline __attribute__((always_inline)) void vcpu_exit_complete(struct tcb *t, uint64_t value)
{
	const struct vcpu_exit *e = &t->vcpu->exit;

	if (e->is_read && e->reg != 31) {
		unsigned bits = 8u << e->size_log2;

		if (bits < 64) {
			uint64_t sign = UINT64_C(1) << (bits - 1);

			value &= (sign << 1) - 1;
			if (e->sign_extend)
				value = (value ^ sign) - sign;
		}
		if (!e->reg64)
			value = (uint32_t)value;
		arch_regs_set(&t->regs, MICA_CTX_X0 + e->reg, value);
	}
	arch_regs_skip(&t->regs, e->insn_len);
}

#endif
