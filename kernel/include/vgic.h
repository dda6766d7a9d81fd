/*
 * The virtual GIC: each vCPU's pending virtual interrupts, handed to the
 * guest through the GIC's list registers (GICv3 architecture, IHI 0069,
 * chapter 6 "Virtual interrupt handling"). The guest acknowledges and
 * deactivates them itself through its virtual CPU interface; the kernel
 * only fills list registers, and hears back through the maintenance
 * interrupt when one it asked about is deactivated or when the list
 * registers run low while more wait.
 *
 * What does not fit in the list registers waits in a per-vCPU queue,
 * ordered by priority (lower value first; first come first served among
 * equals). An INTID is never pending twice: injecting one that is already
 * queued or pending in a list register changes nothing.
 */
#ifndef MICA_VGIC_H
#define MICA_VGIC_H

#include "types.h"

#include <arch/vcpu.h>

#define VGIC_INTID_COUNT    1020 /* Virtual SGIs, PPIs and SPIs: 0..1019. */
#define VGIC_SGI_COUNT	    16	 /* INTIDs 0..15. */
#define VGIC_MAX_LRS	    16	 /* The architecture's most list registers. */
#define VGIC_QUEUE_CAPACITY 48
/*
 * Queue entries kept for interrupts backed by a physical line (the
 * guest's timer and passthrough lines, each at most once), and for those
 * of notifications bound to the vCPU (virq.h), so that none finds the
 * queue full: the VMM and SGIs fill only the rest.
 */
#define VGIC_HW_LINES	 8
#define VGIC_BOUND_LINES 16
#define VGIC_VMM_ENTRIES (VGIC_QUEUE_CAPACITY - VGIC_HW_LINES - VGIC_BOUND_LINES)

/* The guest's timers, whose PPIs the kernel delivers itself (bit n of timers_masked: timer n). */
enum vgic_timer {
	VGIC_TIMER_VIRT, /* The EL1 virtual timer (CNTV_*). */
	VGIC_TIMER_PHYS, /* The EL1 physical timer (CNTP_*). */
	VGIC_TIMERS,
};

#define VGIC_PASSTHROUGH_MAX (VGIC_HW_LINES - VGIC_TIMERS) /* Lines per vCPU; the rest, timers. */

/* What the kernel does when the guest deactivates a virtual interrupt. */
enum vgic_flag {
	VGIC_NOTIFY_VMM = 1u,  /* Exit to the VMM (MICA_VIRQ_NOTIFY_EOI). */
	VGIC_TIMER = 2u,       /* Unmask the guest timer's PPI. */
	VGIC_PASSTHROUGH = 4u, /* Unmask the physical line passed through. */
};

/* A virtual interrupt waiting for a list register. */
struct vgic_irq {
	uint16_t intid;
	uint8_t priority;
	uint8_t flags; /* enum vgic_flag */
};

/* A list register's state (IHI 0069, 6.2.2). */
enum vgic_lr_state {
	VGIC_LR_INVALID = 0,
	VGIC_LR_PENDING,
	VGIC_LR_ACTIVE,
	VGIC_LR_PENDING_ACTIVE,
};

/*
 * A list register, decoded. eoi asks for a maintenance interrupt when the
 * guest deactivates it; such a register stays busy (INVALID with eoi) until
 * the kernel has seen that.
 */
struct vgic_lr {
	uint16_t intid;
	uint8_t priority;
	uint8_t state; /* enum vgic_lr_state */
	bool eoi;
};

struct vgic {
	struct vgic_irq queue[VGIC_QUEUE_CAPACITY];
	uint8_t count;
	/* Set while anything is queued or an EOI exit is owed: vcpu_enter's one test. */
	bool has_work;
	uint8_t timers_masked; /* Timer PPIs waiting for the guest to deactivate them... */
	/*
	 * ...or to enable them: the guest's view of its timers' PPIs at its
	 * redistributor, which its VMM models (MICA_VCPU_SET_TIMERS).
	 */
	uint8_t timers_enabled;
	uint8_t timer_priority[VGIC_TIMERS];
	uint8_t passthrough_count;
	uint8_t lr_flags[VGIC_MAX_LRS]; /* enum vgic_flag of each list register's interrupt. */
	uint16_t eoi_owed_count;
	/* INTIDs whose MICA_EXIT_VIRQ_EOI the VMM has yet to get. */
	uint64_t eoi_owed[(VGIC_INTID_COUNT + 63) / 64];
};

struct vcpu;

void vgic_init(struct vgic *g);

/*
 * Make intid pending in v, at priority (0 highest..255), with MICA_VIRQ_*
 * flags. MICA_ERR_INVALID_ARGUMENT for intid >= 1020, a priority above 255
 * or unknown flags; MICA_ERR_NOT_ENOUGH_MEMORY when the queue is full. An
 * INTID already pending is left as it is (its flags gain the new ones).
 * A vCPU waiting in WFI wakes.
 */
MUST_CHECK enum mica_error vgic_inject(struct vcpu *v, unsigned intid, unsigned priority,
				       unsigned flags);

/*
 * A guest's SGI intid (0..15) to the vCPUs bound as the VM's SGI targets
 * that targets names (bit n: target n, MICA_VM_BIND_SGI): pending on each
 * at once, at the priority its VMM gave (MICA_VCPU_SET_SGI), with no exit
 * when the guest deactivates it. Done only if every target named is bound,
 * takes that SGI and has room for it: else false, nothing changes, and the
 * write goes to the VMM (whose GIC model also keeps a disabled SGI
 * pending).
 */
struct vm;
MUST_CHECK bool vgic_send_sgi(const struct vm *vm, unsigned intid, uint32_t targets);

/*
 * v starts over (SET_ENTRY): every virtual interrupt is dropped, and the
 * physical lines behind them may fire again. Call before its list
 * registers are reset.
 */
void vgic_reset(struct vcpu *v);

/*
 * Withdraw intid from v if the guest has not acknowledged it yet; true if
 * it was pending (and is no more; one also active stays active).
 */
bool vgic_clear(struct vcpu *v, unsigned intid);

/*
 * A notification bound to v signalled intid (virq.h): pending at priority.
 * False if the queue had no room, which cannot happen: the VMM and SGIs
 * take at most VGIC_VMM_ENTRIES, bound lines at most VGIC_BOUND_LINES
 * (virq.c takes back what a binding that moves or ends left), physical
 * lines the rest.
 */
MUST_CHECK bool vgic_inject_bound(struct vcpu *v, unsigned intid, unsigned priority);

/* A physical line passed through to v fired (it is masked now). */
void vgic_inject_passthrough(struct vcpu *v, unsigned intid, unsigned priority);

/* Does v have a virtual interrupt queued or pending in a list register? */
bool vgic_has_pending(struct vcpu *v);

/*
 * v, loaded on this CPU, is about to run: move queued interrupts into list
 * registers and deliver an EOI exit the VMM is owed. False if it did that
 * (the vCPU thread then waits for its VMM instead of running).
 */
MUST_CHECK bool vgic_enter(struct vcpu *v);

/*
 * The vCPU whose state this CPU holds is now v, no longer was (NULL: none,
 * or none known): v's guest timer lines are unmasked or masked.
 */
void vgic_load(const struct vcpu *was, const struct vcpu *v);

/* The maintenance interrupt and a guest timer's PPI (called by the arch). */
void vgic_maintenance(void);
void vgic_timer_fired(unsigned intid);

/* The PPI of guest timer timer (enum vgic_timer), from the platform; unmasked until it fires. */
void vgic_set_timer_intid(unsigned timer, unsigned intid);
unsigned vgic_timer_intid(unsigned timer); /* 0: none. */
/* The guest timer whose PPI is intid; VGIC_TIMERS if none. */
unsigned vgic_timer_of(unsigned intid);

/*
 * The guest enabled its timers' PPIs at its redistributor (bit n: enum
 * vgic_timer n), with these priorities. A disabled timer that fires stays
 * pending, unseen, until enabled (its line is level-triggered); one
 * disabled before the guest took it is withdrawn; one pending and not
 * yet taken moves to its new priority. Both are enabled at priority 0x80
 * until a VMM says otherwise.
 */
void vgic_set_timers(struct vcpu *v, unsigned enabled, const uint8_t priority[VGIC_TIMERS]);

/*
 * The state of v's timer interrupts at counter value now, as the VMM's
 * model of the guest's redistributor reads it (MICA_VCPU_REG_TIMER_IRQS):
 * each timer's line, and whether the guest has its interrupt active.
 */
uint32_t vgic_timer_irqs(struct vcpu *v, uint64_t now);

/*
 * The arch's list registers, of v's state: the CPU's while it is loaded,
 * else the copy saved in v. lr_count is what the CPU has (at most
 * VGIC_MAX_LRS).
 */
unsigned arch_vgic_lr_count(void);
struct vgic_lr arch_vgic_lr_get(const struct arch_vcpu *v, unsigned n);
void arch_vgic_lr_set(struct arch_vcpu *v, unsigned n, struct vgic_lr lr);
/*
 * The list registers that are not empty (bit n: list register n): any
 * that is INVALID without eoi may read as 0 through arch_vgic_lr_get,
 * unread (GICv3's ICH_ELRSR_EL2 says so in one read).
 */
uint32_t arch_vgic_lr_used(const struct arch_vcpu *v);

/* Ask for a maintenance interrupt when at most one list register is in use. */
void arch_vgic_set_underflow(struct arch_vcpu *v, bool on);

/* No vCPU is loaded any more: the CPU interface must raise nothing. */
void arch_vgic_idle(void);

/*
 * The guest timers of v (its state loaded on this CPU, or saved) that have
 * reached an enabled, unmasked deadline (bit n: enum vgic_timer n).
 */
uint32_t arch_timers_due(const struct arch_vcpu *v, uint64_t now);

#endif
