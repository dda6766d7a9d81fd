/*
 * Several CPUs: the big kernel lock, and how one CPU gets another to give
 * up what it holds (smp.c).
 *
 * Every CPU runs threads from its own run queue (sched.h); a thread runs on
 * the one CPU its affinity names (tcb.cpu). The kernel itself runs under
 * one lock, taken on every entry from a thread or a guest (smp_lock_entry)
 * or from the idle loop, and let go on the way out (arch_return_to_user)
 * and while idle. With one CPU online, there is no lock to take.
 *
 * What a CPU holds lazily -- the FP/SIMD registers of fp_owner, the EL1,
 * GIC and timer state of loaded_vcpu, the user address space active_vs --
 * and the thread it runs are its own: another CPU that must change them
 * (to destroy, suspend, migrate, read or write a thread, a vCPU or an
 * address space) stalls it (smp_claim_*). The stalled CPU, spinning for the
 * lock, saves all of it to memory, leaves the user address space, and
 * abandons the entry it was making: a system call or hypercall is made
 * again, a fault or trap happens again, an interrupt stays pending. The
 * claiming CPU then puts the stalled CPU's thread back in a run queue, and
 * may change anything: when the stalled CPU gets the lock, it only chooses
 * a thread to run.
 */
#ifndef MICA_SMP_H
#define MICA_SMP_H

#include "types.h"

struct tcb;
struct vcpu;
struct arch_regs;

/* CPUs running the kernel: 0 .. smp_cpu_count - 1; CPU 0 booted. */
extern unsigned smp_cpu_count;

/* Take the lock on the boot CPU before others start, and on a CPU that has just started. */
void smp_lock(void);
/* Let it go (arch_return_to_user does this in assembly on the way to a thread). */
void smp_unlock(void);

/*
 * The lock: its low byte 0 when free, else the holder's CPU number plus
 * one (smp.c). Waiters that spun long sleep (bit n of smp_lock_sleepers:
 * CPU n); whoever lets the lock go then wakes one (the assembly release
 * calls it too).
 */
extern uint32_t smp_big_lock;
extern uint32_t smp_lock_sleepers;
/* Waiters passed over too often (bit n: CPU n): no other CPU takes the lock meanwhile. */
extern uint32_t smp_lock_starving;
void smp_wake_lock_sleeper(void);

/*
 * On entry from a thread or guest whose registers are saved at regs, by an
 * exception (sync) or an interrupt: take the lock. True: a stall came while
 * waiting, the entry is void (arch_regs_abandon_entry made the thread ready
 * to repeat it) and the caller only schedules.
 */
bool smp_lock_entry(struct arch_regs *regs, bool sync);

/*
 * Make sure no other CPU runs t, holds its FP/SIMD registers or its vCPU's
 * state: every CPU that does is stalled. Called with the lock held.
 */
void smp_claim_thread(struct tcb *t);
/* The same for the vCPU v (and the thread bound to it). */
void smp_claim_vcpu(struct vcpu *v);
/* No other CPU translates through the address space whose token this is. */
void smp_claim_space(uint64_t token);

bool smp_vcpu_held_by_other(const struct vcpu *v);

/* Does a CPU other than this one hold v's state? */
static inline bool smp_vcpu_held_elsewhere(const struct vcpu *v)
{
	return smp_cpu_count > 1 && smp_vcpu_held_by_other(v);
}

/*
 * What this CPU does while it waits for the lock: give up what it holds if
 * the lock holder asked (a host test's fake CPUs call it too).
 */
void smp_answer_stall(void);

/* Make cpu look at its run queue: t, of priority priority, was just queued there. */
void smp_kick(unsigned cpu, unsigned priority);

#endif
