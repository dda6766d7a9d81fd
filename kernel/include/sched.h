/*
 * The scheduler's per-CPU state, visible so the IPC fastpath can switch
 * threads inline. Everything else goes through thread.h.
 */
#ifndef MICA_SCHED_H
#define MICA_SCHED_H

#include "thread.h"

#include <mica/abi/objects.h>

#define PRIORITY_COUNT (MICA_MAX_PRIORITY + 1)
#define BITMAP_WORDS   (PRIORITY_COUNT / 64)

struct run_queue {
	struct tcb *head[PRIORITY_COUNT];
	struct tcb *tail[PRIORITY_COUNT];
	uint64_t bitmap[BITMAP_WORDS]; /* Bit p set: head[p] is not NULL. */
};

/*
 * The fields the fastpath touches come first, within reach of one address.
 * The arch finds the running CPU's copy in one register read
 * (arch_cpu_local), and reads what it needs of it first (struct arch_cpu).
 */
struct sched_cpu {
	struct arch_cpu arch;
	bool slice_over; /* The tick or a yield asked the current thread to step aside. */
	bool fp_on;	 /* The FP/SIMD unit is open (then current == fp_owner). */
	struct tcb *current;
	uint64_t active_vs; /* arch_vspace_token() of the active user address space. */
	uint64_t ticks;
	struct vcpu *loaded_vcpu; /* Whose EL1 state the CPU holds, or NULL. */
	struct tcb *fp_owner;	  /* Whose FP/SIMD registers the CPU holds, or NULL. */
	struct run_queue queue;
};

extern struct sched_cpu sched_cpus[PLATFORM_MAX_CPUS];

/* The tokens of the address spaces with nothing in them (arch_vspace_empty, arch_vm_empty). */
extern uint64_t sched_empty_vspace_token, sched_empty_vm_token;

/* Learn the empty address spaces' tokens (once the arch has set them up). */
void sched_init(void);

static inline struct sched_cpu *sched_this_cpu(void)
{
	return (struct sched_cpu *)arch_cpu_local();
}

/* Is v's EL1 state in this CPU's registers (else in v's saved copy)? */
static inline bool vcpu_is_loaded(const struct vcpu *v)
{
	return sched_this_cpu()->loaded_vcpu == v;
}

/*
 * The IPC fastpath hands the CPU straight to t, which must be runnable and
 * in no queue (the old current thread has blocked).
 */
static inline __attribute__((always_inline)) void sched_set_current(struct tcb *t)
{
	struct sched_cpu *c = sched_this_cpu();

	c->current = t;
	/*
	 * Close the unit at every switch: the next thread's first FP/SIMD
	 * instruction traps, and sched_fp_take reopens it (switching the
	 * registers only if that thread is not their owner). One flag test
	 * here keeps IPC between threads that do not use the unit cheap.
	 */
	if (__builtin_expect(c->fp_on, 0)) {
		c->fp_on = false;
		arch_fp_close();
	}
}

/*
 * The current thread t used FP/SIMD while the unit was closed: save the
 * owner's registers, load t's, and let t use the unit until another thread
 * runs. The instruction is retried.
 */
void sched_fp_take(struct tcb *t);

/* t is being destroyed: no CPU may save registers into it any more. */
void sched_fp_forget(const struct tcb *t);

/*
 * t starts or stops running a guest: its FP/SIMD registers, wherever they
 * are, are dropped and it starts with zeroes, so nothing passes between a
 * guest and the host thread (or the next guest) that the TCB becomes.
 */
void thread_forget_fp(struct tcb *t);

/*
 * The token of the address space t runs in: the one its VSpace slot holds
 * now (a VSpace or VM capability carries its token, see vspace_create), or,
 * with that slot empty (its capability deleted or revoked from under it),
 * an address space with nothing in it, of the kind t runs in, so it can
 * only fault. Read from the slot at every switch, never cached: whatever
 * removes the capability takes the address space away with it.
 */
static inline __attribute__((always_inline)) uint64_t sched_space_token(const struct tcb *t)
{
	uint64_t token = t->slots[TCB_SLOT_VSPACE].cap.data;

	if (__builtin_expect(token == 0, 0))
		token = t->vcpu != NULL ? sched_empty_vm_token : sched_empty_vspace_token;
	return token;
}

/* Make this CPU's user address space t's, unless it already is. */
static inline __attribute__((always_inline)) void sched_switch_vspace(struct tcb *t)
{
	struct sched_cpu *c = sched_this_cpu();
	uint64_t token = sched_space_token(t);

	if (token != c->active_vs) {
		arch_vspace_activate_token(token, c->active_vs);
		c->active_vs = token;
	}
}

/*
 * sched_switch_vspace for the IPC fastpath between two host threads: the
 * caller trapped from EL0 with TGE set (a guest's SVC never reaches EL2),
 * so a host address space is active, and the other side is blocked in an
 * IPC receive, or in a reply wait that is not a guest's exit (the fastpath
 * checks), which only host threads are: a thread that may run has a space
 * of the kind its binding says (thread_space_fits), and a bound one makes no
 * system calls. So no HCR_EL2 change is ever needed here.
 */
static inline __attribute__((always_inline)) void sched_switch_host_vspace(struct tcb *t)
{
	struct sched_cpu *c = sched_this_cpu();
	uint64_t token = t->slots[TCB_SLOT_VSPACE].cap.data;

	if (token != c->active_vs) {
		if (__builtin_expect(token == 0, 0))
			token = sched_empty_vspace_token;
		arch_vspace_activate_host_token(token);
		c->active_vs = token;
	}
}

/*
 * The address space named by token (a VM's if stage2) is being destroyed:
 * no CPU may keep translating through it.
 */
void sched_vspace_destroyed(uint64_t token, bool stage2);

#endif
