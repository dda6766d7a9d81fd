/*
 * Threads (TCB objects) and the fixed-priority scheduler.
 *
 * A TCB lives in memory retyped from Untyped. Besides the saved user
 * context it holds capabilities of its own (CSpace root, VSpace, IPC
 * buffer frame, fault endpoint) in slots, so the objects a thread depends
 * on cannot vanish while it still refers to them.
 *
 * Scheduling: per-CPU run queues, one FIFO per priority (0..255) plus a
 * bitmap of non-empty priorities. The running thread is not in a queue.
 * Round robin within a priority on the timer tick. Every CPU runs
 * threads: each thread is in the queues of the CPU its affinity names
 * (thread_set_cpu).
 */
#ifndef MICA_THREAD_H
#define MICA_THREAD_H

#include "arch.h"
#include "cap.h"

#define THREAD_NAME_MAX 16

enum thread_state {
	THREAD_INACTIVE = 0,  /* Never started, suspended, or stopped by a fault. */
	THREAD_RUNNABLE,      /* Running or in a run queue. */
	THREAD_BLOCKED_SEND,  /* In an endpoint's queue, waiting to send (or Call). */
	THREAD_BLOCKED_RECV,  /* In an endpoint's queue, waiting to receive. */
	THREAD_BLOCKED_REPLY, /* Called; waiting for the reply. */
	THREAD_BLOCKED_NTFN,  /* Waiting on a notification. */
	THREAD_BLOCKED_WFI,   /* A vCPU thread whose guest waits for an interrupt (WFI/WFE). */
};

/* Slots inside a TCB. */
enum tcb_slot {
	TCB_SLOT_CSPACE = 0,
	TCB_SLOT_VSPACE,
	TCB_SLOT_IPC_BUFFER,
	TCB_SLOT_FAULT_EP,
	/*
	 * The CSpace root SetSpace replaced, until its deletion (of a CNode,
	 * perhaps large) is done: it may stop at a preemption point after the
	 * thread (the caller itself, perhaps) has its new CSpace.
	 */
	TCB_SLOT_RETIRED,
	TCB_SLOT_COUNT,
};

struct endpoint;
struct notification;
struct reply;
struct vcpu;

/* A fault or exit message: its label and words (up to 8). */
#define FAULT_MAX_WORDS 8

struct tcb {
	struct arch_regs regs; /* First: the entry code's frame is the TCB. */
	struct slot slots[TCB_SLOT_COUNT];
	/*
	 * The fastpath's view of slots[TCB_SLOT_CSPACE] when that CNode resolves
	 * every address in one step (guard + radix = 64): cptr names
	 * fast_slots[cptr & fast_mask] if cptr >> fast_radix == fast_guard.
	 * Otherwise the guard matches nothing. Set by tcb_spaces_changed()
	 * whenever the slot is filled; good only while the slot is not empty
	 * (tcb_cspace_cache_valid), which the fastpath checks before it reads
	 * through fast_slots: a revoke may empty the slot, and the CNode's
	 * memory may be something else by then.
	 */
	struct slot *fast_slots;
	uint64_t fast_mask;
	uint64_t fast_guard;
	uint8_t fast_radix;
	enum thread_state state;
	uint8_t priority;
	uint8_t mcp; /* Maximum controlled priority: a ceiling it can give. */
	uint8_t cpu;
	bool is_root;	   /* The root task: an unhandled fault ends the system. */
	bool is_destroyed; /* Its last capability is gone (its memory is not reused yet). */

	/* Run queue links. */
	struct tcb *sched_next;
	struct tcb *sched_prev;

	/* Endpoint or notification queue links, and what it is blocked on. */
	struct tcb *queue_next;
	struct tcb *queue_prev;
	void *blocked_on;

	/* A blocked sender's message description (its registers hold the words). */
	uint64_t send_badge;
	bool send_is_call;
	bool send_can_grant;
	bool send_can_grant_reply;
	bool send_is_fault; /* The message is this thread's fault (tcb.fault_*). */

	struct reply *reply;	 /* Receiving: the reply object a caller will bind to. */
	struct reply *caller_of; /* Blocked in a Call: the reply object it waits on. */
	struct notification *bound_notification;

	uintptr_t ipc_buffer_va; /* User address, for reference only. */

	/* A fault (or guest exit) being delivered: its label and words. */
	uint64_t fault_label;
	uint64_t fault_mr[FAULT_MAX_WORDS];
	unsigned fault_count;

	struct vcpu *vcpu; /* The virtual CPU this thread runs, or NULL. */

	char name[THREAD_NAME_MAX];
	struct arch_fp fp; /* Its FP/SIMD registers while another thread has the unit. */
};

_Static_assert(sizeof(struct tcb) <= (1u << MICA_TCB_BITS), "TCB fits its object");
_Static_assert(__builtin_offsetof(struct tcb, regs) == 0, "vectors.S passes a TCB as its regs");

/* The thread the current CPU runs (never NULL once a thread has started). */
struct tcb *thread_current(void);

/* Set up a fresh TCB in zeroed memory. */
void tcb_init(struct tcb *t);

/* The kernel-visible IPC buffer of t, or NULL if it has none. */
struct mica_ipc_buffer *tcb_ipc_buffer(const struct tcb *t);

/* Refresh the fastpath's view of t's CSpace root after its slot is filled. */
void tcb_spaces_changed(struct tcb *t);

/* Is the fastpath's view of t's CSpace root good (the slot still holds that CNode)? */
static inline bool tcb_cspace_cache_valid(const struct tcb *t)
{
	return t->slots[TCB_SLOT_CSPACE].cap.type == MICA_OBJ_CNODE;
}

/*
 * May t run as it is set up? A thread runs in an address space of the kind
 * its binding needs (a VM for a vCPU thread, a VSpace for any other) or in
 * none (its space was revoked: it can only fault). Everything that lets a
 * thread run (resuming it; giving a space to one that is not inactive)
 * checks this, so the kernel never enters a guest with a host's tables or
 * the other way round.
 */
bool thread_space_fits(const struct tcb *t, const struct cap *space);

/* The VSpace t runs in, or NULL. */
const struct cap *tcb_vspace(const struct tcb *t);

/* Make t runnable and queue it (it may preempt the current thread). */
void sched_wake(struct tcb *t);

/* Take t off the CPU: out of its run queue if there. */
void sched_block(struct tcb *t);

/*
 * Something t waits for came (a virtual interrupt for its vCPU): if it is
 * runnable, it runs next on its CPU unless a better thread is there, and
 * an equal's time slice ends now; if it runs on another CPU, that CPU
 * enters the kernel to see what changed.
 */
void sched_hurry(struct tcb *t);

/*
 * As sched_hurry, asked by the thread running on this CPU, which is not
 * done (a VMM that injects while it serves an exit): t runs next here, but
 * the asker's slice goes on. On another CPU, as sched_hurry.
 */
void sched_hurry_next(struct tcb *t);

/* t, runnable and no CPU's current thread, goes into its CPU's run queue. */
void sched_requeue(struct tcb *t);

/*
 * Run t on cpu from now on: wherever it runs or waits, and whatever of it
 * another CPU holds, it moves (a thread running here moves at the next
 * schedule()).
 */
void thread_set_cpu(struct tcb *t, unsigned cpu);

/* The current thread gives up the rest of its time slice. */
void sched_yield(void);

/*
 * Stop t wherever it is: leave any IPC queue, cancel a pending reply, and
 * leave the run queue. It ends INACTIVE.
 */
void thread_suspend(struct tcb *t);

/* Start an INACTIVE thread. */
void thread_resume(struct tcb *t);

/* Change t's priority, re-queueing it if it is runnable. */
void thread_set_priority(struct tcb *t, uint8_t priority);

/*
 * Choose what runs next and return its context for arch_return_to_user.
 * With nothing runnable the CPU idles in the kernel until an interrupt
 * makes something runnable.
 */
struct arch_regs *schedule(void);

/* Count (and print) broken run-queue invariants. */
unsigned sched_check(void);

/* The periodic timer interrupt. */
void sched_tick(void);
uint64_t sched_ticks(void);

/* Handle the system call the current thread just made. */
void syscall_dispatch(struct tcb *t);

/* The thread took a fault: deliver it (count words) to its fault endpoint, or stop it. */
void thread_fault(struct tcb *t, uint64_t label, const uint64_t *mr, unsigned count);

/* The same, through the endpoint capability ep (a guest's exit to a device server). */
void thread_fault_to(struct tcb *t, const struct cap *ep, uint64_t label, const uint64_t *mr,
		     unsigned count);

#endif
