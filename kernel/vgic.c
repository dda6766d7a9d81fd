/*
 * The virtual GIC's generic half: the queue of virtual interrupts waiting
 * for a list register, filling list registers on the way into a guest,
 * and the maintenance interrupt (IHI 0069, 6.4) that reports a deactivated
 * interrupt the kernel asked about, or list registers running low.
 *
 * List registers belong to the vCPU whose state the CPU holds; the arch
 * reaches them there or in the vCPU's saved copy, so everything here works
 * on any vCPU this CPU holds or none does. Another CPU's vCPU is only
 * given interrupts: they wait in its queue (memory, under the kernel
 * lock), and that CPU, made to enter the kernel, moves them into its list
 * registers on the way back into the guest (fill merges one that a list
 * register holds already).
 */
#include <string.h>

#include "irq.h"
#include "sched.h"
#include "smp.h"
#include "vcpu.h"
#include "vm.h"

#include <mica/abi/exit.h>
#include <mica/abi/invocation.h>
#include <mica/abi/vcpu.h>

/*
 * The guest timers' virtual priority, until a distributor model of the
 * VMM's can say what the guest chose.
 */
#define TIMER_PRIORITY 0x80u

static unsigned timer_intids[VGIC_TIMERS];

_Static_assert(VGIC_NOTIFY_VMM == MICA_VIRQ_NOTIFY_EOI, "the ABI flag is the kernel's");
_Static_assert(VGIC_TIMER_VIRT == MICA_VCPU_TIMER_VIRT && VGIC_TIMER_PHYS == MICA_VCPU_TIMER_PHYS,
	       "the ABI's timer numbers are the kernel's");

void vgic_init(struct vgic *g)
{
	memset(g, 0, sizeof(*g));
	g->timers_enabled = (1u << VGIC_TIMERS) - 1;
	memset(g->timer_priority, TIMER_PRIORITY, sizeof(g->timer_priority));
}

void vgic_set_timer_intid(unsigned timer, unsigned intid)
{
	timer_intids[timer] = intid;
}

unsigned vgic_timer_intid(unsigned timer)
{
	return timer_intids[timer];
}

unsigned vgic_timer_of(unsigned intid)
{
	unsigned t = 0;

	while (t < VGIC_TIMERS && (timer_intids[t] == 0 || timer_intids[t] != intid))
		t++;
	return t;
}

static void update_work(struct vgic *g)
{
	g->has_work = g->count != 0 || g->eoi_owed_count != 0;
}

static int queue_find(const struct vgic *g, unsigned intid)
{
	for (unsigned i = 0; i < g->count; i++)
		if (g->queue[i].intid == intid)
			return (int)i;
	return -1;
}

static void queue_remove(struct vgic *g, unsigned i)
{
	if (--g->count > i)
		memmove(&g->queue[i], &g->queue[i + 1], (g->count - i) * sizeof(g->queue[0]));
}

/* After every entry of the same or a better priority: first come, first served. */
static void queue_insert(struct vgic *g, struct vgic_irq irq)
{
	unsigned i = g->count;

	while (i > 0 && g->queue[i - 1].priority > irq.priority) {
		g->queue[i] = g->queue[i - 1];
		i--;
	}
	g->queue[i] = irq;
	g->count++;
}

static bool is_pending(const struct vgic_lr *lr)
{
	return lr->state == VGIC_LR_PENDING || lr->state == VGIC_LR_PENDING_ACTIVE;
}

/*
 * The physical line behind a virtual interrupt that the guest deactivated
 * (or that was withdrawn) may fire again.
 */
static void line_done(struct vcpu *v, unsigned intid, unsigned flags)
{
	if (flags & VGIC_TIMER) {
		v->vgic.timers_masked &= (uint8_t) ~(1u << vgic_timer_of(intid));
		if (vcpu_is_loaded(v))
			arch_irq_set_enabled(intid, true);
	}
	if (flags & VGIC_PASSTHROUGH)
		irq_passthrough_done(v, intid);
}

/*
 * v has an interrupt newly pending: counted, and its thread runs soon.
 * by_host: the running host thread asked, and keeps its time slice
 * (sched_hurry_next).
 */
static enum mica_error raised(struct vcpu *v, bool by_host)
{
	v->stats[MICA_VCPU_STAT_INJECTED]++;
	vcpu_wake(v);
	if (v->tcb != NULL)
		(by_host ? sched_hurry_next : sched_hurry)(v->tcb);
	return MICA_OK;
}

/*
 * Make irq pending unless it is already (then it only adds its flags): in
 * the list register that holds it active, else in a free one while nothing
 * is queued, else in the queue while it holds fewer than limit.
 */
static enum mica_error add(struct vcpu *v, struct vgic_irq irq, unsigned limit, bool by_host)
{
	struct vgic *g = &v->vgic;
	int i = queue_find(g, irq.intid);
	/* Another CPU's list registers are out of reach: fill merges there. */
	bool here = !smp_vcpu_held_elsewhere(v);
	uint32_t used = here ? arch_vgic_lr_used(&v->arch) : 0;
	uint32_t free = here ? ~used & ((UINT32_C(1) << arch_vgic_lr_count()) - 1) : 0;

	if (i >= 0) {
		g->queue[i].flags |= irq.flags;
		return MICA_OK;
	}
	for (; used != 0; used &= used - 1) {
		unsigned n = (unsigned)__builtin_ctz(used);
		struct vgic_lr lr = arch_vgic_lr_get(&v->arch, n);
		bool was_pending = is_pending(&lr);

		if (lr.intid != irq.intid || lr.state == VGIC_LR_INVALID)
			continue;
		free = 0;
		/*
		 * Active, it is pending again there, unless it brings flags the
		 * active one lacks: queued, they go with it if it is withdrawn.
		 */
		if (!was_pending && (irq.flags & ~g->lr_flags[n]) != 0)
			break;
		if (!was_pending)
			lr.state = VGIC_LR_PENDING_ACTIVE;
		g->lr_flags[n] |= irq.flags;
		lr.eoi = g->lr_flags[n] != 0;
		arch_vgic_lr_set(&v->arch, n, lr);
		return was_pending ? MICA_OK : raised(v, by_host);
	}
	if (g->count >= limit)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (g->count == 0 && free != 0) {
		/* Nothing waits before it: into a free list register now, as fill would. */
		unsigned n = (unsigned)__builtin_ctz(free);

		g->lr_flags[n] = irq.flags;
		arch_vgic_lr_set(
			&v->arch, n,
			(struct vgic_lr){irq.intid, irq.priority, VGIC_LR_PENDING, irq.flags != 0});
	} else {
		queue_insert(g, irq);
		g->has_work = true;
	}
	return raised(v, by_host);
}

enum mica_error vgic_inject(struct vcpu *v, unsigned intid, unsigned priority, unsigned flags)
{
	if (intid >= VGIC_INTID_COUNT || priority > 255 || (flags & ~MICA_VIRQ_NOTIFY_EOI) != 0)
		return MICA_ERR_INVALID_ARGUMENT;
	/* From a VMM's invocation: it goes on serving, the vCPU runs next. */
	return add(v, (struct vgic_irq){(uint16_t)intid, (uint8_t)priority, (uint8_t)flags},
		   VGIC_VMM_ENTRIES, true);
}

/* The vCPU bound as SGI target n, if it takes SGI intid and has room for it. */
static struct vcpu *sgi_target(const struct vm *vm, unsigned n, unsigned intid)
{
	const struct cap *c = &vm->sgi_vcpu[n].cap;
	struct vcpu *v = (struct vcpu *)c->object;

	if (c->type != MICA_OBJ_VCPU || !(v->sgi_enabled & (1u << intid)))
		return NULL;
	if (v->vgic.count >= VGIC_VMM_ENTRIES && queue_find(&v->vgic, intid) < 0)
		return NULL;
	return v;
}

bool vgic_send_sgi(const struct vm *vm, unsigned intid, uint32_t targets)
{
	if (intid >= VGIC_SGI_COUNT || targets == 0 || targets >> VM_SGI_TARGETS != 0)
		return false;
	for (uint32_t left = targets; left != 0; left &= left - 1)
		if (sgi_target(vm, (unsigned)__builtin_ctz(left), intid) == NULL)
			return false;
	for (uint32_t left = targets; left != 0; left &= left - 1) {
		struct vcpu *v = (struct vcpu *)vm->sgi_vcpu[__builtin_ctz(left)].cap.object;

		/* Room was checked: add() cannot fail. */
		(void)add(v, (struct vgic_irq){(uint16_t)intid, v->sgi_priority[intid], 0},
			  VGIC_VMM_ENTRIES, false);
	}
	return true;
}

bool vgic_inject_bound(struct vcpu *v, unsigned intid, unsigned priority)
{
	return add(v, (struct vgic_irq){(uint16_t)intid, (uint8_t)priority, 0}, VGIC_QUEUE_CAPACITY,
		   false) == MICA_OK;
}

/* Interrupts behind a masked line take the reserved entries; one always fits. */
static void add_line(struct vcpu *v, unsigned intid, unsigned priority, unsigned flag)
{
	if (add(v, (struct vgic_irq){(uint16_t)intid, (uint8_t)priority, (uint8_t)flag},
		VGIC_QUEUE_CAPACITY, false) != MICA_OK)
		line_done(v, intid, flag);
}

void vgic_inject_passthrough(struct vcpu *v, unsigned intid, unsigned priority)
{
	add_line(v, intid, priority, VGIC_PASSTHROUGH);
}

void vgic_timer_fired(unsigned intid)
{
	struct vcpu *v = sched_this_cpu()->loaded_vcpu;
	unsigned t = vgic_timer_of(intid);

	/* Masked until the guest deactivates it; with no vCPU loaded, until one is. */
	arch_irq_set_enabled(intid, false);
	if (v == NULL || t == VGIC_TIMERS)
		return;
	v->vgic.timers_masked |= (uint8_t)(1u << t);
	/* Disabled at the guest's redistributor: held, masked, until enabled. */
	if (v->vgic.timers_enabled & (1u << t))
		add_line(v, intid, v->vgic.timer_priority[t], VGIC_TIMER);
}

/* Does v have intid queued, or in a list register? */
static bool holds(struct vcpu *v, unsigned intid)
{
	uint32_t used = arch_vgic_lr_used(&v->arch);

	if (queue_find(&v->vgic, intid) >= 0)
		return true;
	for (; used != 0; used &= used - 1)
		if (arch_vgic_lr_get(&v->arch, (unsigned)__builtin_ctz(used)).intid == intid)
			return true;
	return false;
}

/*
 * intid, if v has it pending and not yet taken (queued, or pending in a
 * list register), takes priority now: the CPU interface weighs a pending
 * interrupt by the priority its redistributor has for it now (IHI 0069,
 * 4.7), so one raised above the guest's priority mask is taken at once.
 * One the guest has taken keeps the priority it was taken at.
 */
static void set_pending_priority(struct vcpu *v, unsigned intid, uint8_t priority)
{
	struct vgic *g = &v->vgic;
	int i = queue_find(g, intid);

	if (i >= 0) {
		struct vgic_irq irq = g->queue[i];

		queue_remove(g, (unsigned)i);
		irq.priority = priority;
		queue_insert(g, irq);
	}
	for (uint32_t used = arch_vgic_lr_used(&v->arch); used != 0; used &= used - 1) {
		unsigned n = (unsigned)__builtin_ctz(used);
		struct vgic_lr lr = arch_vgic_lr_get(&v->arch, n);

		if (lr.intid == intid && lr.state == VGIC_LR_PENDING) {
			lr.priority = priority;
			arch_vgic_lr_set(&v->arch, n, lr);
		}
	}
}

void vgic_set_timers(struct vcpu *v, unsigned enabled, const uint8_t priority[VGIC_TIMERS])
{
	struct vgic *g = &v->vgic;

	for (unsigned t = 0; t < VGIC_TIMERS; t++) {
		uint8_t bit = (uint8_t)(1u << t);
		unsigned intid = timer_intids[t];

		if (intid != 0 && priority[t] != g->timer_priority[t])
			set_pending_priority(v, intid, priority[t]);
		g->timer_priority[t] = priority[t];
		if ((enabled & bit) == (g->timers_enabled & bit))
			continue;
		g->timers_enabled ^= bit;
		if (intid == 0)
			continue;
		if (!(enabled & bit)) {
			/* Not taken yet: withdrawn. The line, unmasked, fires again and is held. */
			vgic_clear(v, intid);
		} else if ((g->timers_masked & bit) && !holds(v, intid)) {
			/* Held while disabled: let the line, still high if it is due, fire again.
			 */
			g->timers_masked &= (uint8_t)~bit;
			if (vcpu_is_loaded(v))
				arch_irq_set_enabled(intid, true);
		}
	}
}

uint32_t vgic_timer_irqs(struct vcpu *v, uint64_t now)
{
	uint32_t due = arch_timers_due(&v->arch, now);
	uint32_t state = 0;

	for (unsigned t = 0; t < VGIC_TIMERS; t++) {
		if (due & (1u << t))
			state |= MICA_VCPU_TIMER_LINE(t);
	}
	for (uint32_t used = arch_vgic_lr_used(&v->arch); used != 0; used &= used - 1) {
		struct vgic_lr lr = arch_vgic_lr_get(&v->arch, (unsigned)__builtin_ctz(used));
		unsigned t = vgic_timer_of(lr.intid);

		if (t < VGIC_TIMERS &&
		    (lr.state == VGIC_LR_ACTIVE || lr.state == VGIC_LR_PENDING_ACTIVE))
			state |= MICA_VCPU_TIMER_ACTIVE(t);
	}
	return state;
}

/* While was was loaded, its lines were as its mask says: only those that differ change. */
void vgic_load(const struct vcpu *was, const struct vcpu *v)
{
	unsigned change = was != NULL ? was->vgic.timers_masked ^ v->vgic.timers_masked : ~0u;

	if (change == 0)
		return;
	for (unsigned t = 0; t < VGIC_TIMERS; t++) {
		if (timer_intids[t] != 0 && (change & (1u << t)))
			arch_irq_set_enabled(timer_intids[t], !(v->vgic.timers_masked & (1u << t)));
	}
}

void vgic_reset(struct vcpu *v)
{
	struct vgic *g = &v->vgic;
	uint8_t passthrough_count = g->passthrough_count;

	for (unsigned i = 0; i < g->count; i++)
		line_done(v, g->queue[i].intid, g->queue[i].flags);
	for (unsigned n = 0; n < arch_vgic_lr_count(); n++) {
		struct vgic_lr lr = arch_vgic_lr_get(&v->arch, n);

		if (lr.state != VGIC_LR_INVALID || lr.eoi)
			line_done(v, lr.intid, g->lr_flags[n]);
	}
	vgic_init(g);
	g->passthrough_count = passthrough_count;
}

bool vgic_clear(struct vcpu *v, unsigned intid)
{
	struct vgic *g = &v->vgic;
	int i = queue_find(g, intid);
	bool was = i >= 0;

	if (i >= 0) {
		unsigned flags = g->queue[i].flags;

		queue_remove(g, (unsigned)i);
		line_done(v, intid, flags);
	}
	for (unsigned n = 0; n < arch_vgic_lr_count(); n++) {
		struct vgic_lr lr = arch_vgic_lr_get(&v->arch, n);
		unsigned flags = g->lr_flags[n];

		if (lr.intid != intid || !is_pending(&lr))
			continue;
		was = true;
		if (lr.state == VGIC_LR_PENDING_ACTIVE) {
			/* The active one stays; its deactivation is still reported. */
			lr.state = VGIC_LR_ACTIVE;
			arch_vgic_lr_set(&v->arch, n, lr);
			continue;
		}
		g->lr_flags[n] = 0;
		arch_vgic_lr_set(&v->arch, n, (struct vgic_lr){0});
		line_done(v, intid, flags);
	}
	update_work(g);
	return was;
}

bool vgic_has_pending(struct vcpu *v)
{
	if (v->vgic.has_work)
		return true;
	for (uint32_t used = arch_vgic_lr_used(&v->arch); used != 0; used &= used - 1) {
		struct vgic_lr lr = arch_vgic_lr_get(&v->arch, (unsigned)__builtin_ctz(used));

		if (is_pending(&lr))
			return true;
	}
	return false;
}

/*
 * The list register for irq, in lrs (only those in used hold anything; the
 * rest are free): the one that holds its INTID already (active: it becomes
 * pending again), else a free one, else the pending one of the worst
 * priority if that is worse than irq's. -1 if none.
 */
static int lr_for(const struct vgic_lr *lrs, uint32_t used, unsigned lr_count, struct vgic_irq irq)
{
	uint32_t free = ~used & ((UINT32_C(1) << lr_count) - 1);
	int worst = -1;

	for (; used != 0; used &= used - 1) {
		int n = __builtin_ctz(used);
		const struct vgic_lr *lr = &lrs[n];

		if (lr->state != VGIC_LR_INVALID && lr->intid == irq.intid)
			return n;
		if (lr->state == VGIC_LR_PENDING && lr->priority > irq.priority &&
		    (worst < 0 || lr->priority > lrs[worst].priority))
			worst = n;
	}
	return free != 0 ? __builtin_ctz(free) : worst;
}

/* Move the best queued interrupts into the list registers (lrs and used: what they hold). */
static void fill(struct vcpu *v, struct vgic_lr *lrs, uint32_t used, unsigned lr_count)
{
	struct vgic *g = &v->vgic;

	while (g->count != 0) {
		struct vgic_irq irq = g->queue[0];
		int found = lr_for(lrs, used, lr_count, irq);
		struct vgic_lr *lr;

		if (found < 0)
			break;
		lr = &lrs[found];
		queue_remove(g, 0);
		if ((used & (1u << found)) && lr->state != VGIC_LR_INVALID &&
		    lr->intid == irq.intid) {
			if (lr->state == VGIC_LR_ACTIVE)
				lr->state = VGIC_LR_PENDING_ACTIVE;
			g->lr_flags[found] |= irq.flags;
		} else {
			if ((used & (1u << found)) && lr->state == VGIC_LR_PENDING)
				/* Evicted by a better one. */
				queue_insert(g, (struct vgic_irq){lr->intid, lr->priority,
								  g->lr_flags[found]});
			*lr = (struct vgic_lr){irq.intid, irq.priority, VGIC_LR_PENDING, false};
			g->lr_flags[found] = irq.flags;
			used |= 1u << found;
		}
		lr->eoi = g->lr_flags[found] != 0;
		arch_vgic_lr_set(&v->arch, (unsigned)found, *lr);
	}
	/* More waiting: hear when the guest has taken nearly all of these. */
	arch_vgic_set_underflow(&v->arch, g->count != 0);
}

static void owe_eoi_exit(struct vgic *g, unsigned intid)
{
	uint64_t bit = UINT64_C(1) << (intid % 64);

	if (!(g->eoi_owed[intid / 64] & bit)) {
		g->eoi_owed[intid / 64] |= bit;
		g->eoi_owed_count++;
	}
}

/*
 * Free the list registers whose interrupts the guest deactivated and the
 * kernel asked about, then fill them again.
 */
static void sync(struct vcpu *v)
{
	struct vgic *g = &v->vgic;
	struct vgic_lr lrs[VGIC_MAX_LRS]; /* Those in used only. */
	uint32_t used = arch_vgic_lr_used(&v->arch);

	for (uint32_t left = used; left != 0; left &= left - 1) {
		unsigned n = (unsigned)__builtin_ctz(left);
		unsigned flags = g->lr_flags[n];

		lrs[n] = arch_vgic_lr_get(&v->arch, n);
		if (lrs[n].state != VGIC_LR_INVALID || !lrs[n].eoi)
			continue;
		g->lr_flags[n] = 0;
		arch_vgic_lr_set(&v->arch, n, (struct vgic_lr){0});
		if (flags & VGIC_NOTIFY_VMM)
			owe_eoi_exit(g, lrs[n].intid);
		line_done(v, lrs[n].intid, flags);
		used &= ~(1u << n);
	}
	fill(v, lrs, used, arch_vgic_lr_count());
	update_work(g);
}

/* The lowest INTID the VMM is owed an EOI exit for goes to it now. */
static void deliver_eoi_exit(struct vcpu *v)
{
	struct vgic *g = &v->vgic;
	const struct vcpu_exit e = {.label = MICA_EXIT_VIRQ_EOI, .reg = 31};
	unsigned w = 0;
	uint64_t intid;

	while (g->eoi_owed[w] == 0)
		w++;
	intid = w * 64 + (unsigned)__builtin_ctzll(g->eoi_owed[w]);
	g->eoi_owed[w] &= g->eoi_owed[w] - 1;
	g->eoi_owed_count--;
	update_work(g);
	vcpu_exit(v->tcb, &e, &intid, 1); /* Answered, the guest goes on where it was. */
}

bool vgic_enter(struct vcpu *v)
{
	sync(v);
	if (v->vgic.eoi_owed_count == 0)
		return true;
	deliver_eoi_exit(v);
	return false;
}

void vgic_maintenance(void)
{
	struct sched_cpu *c = sched_this_cpu();
	struct vcpu *v = c->loaded_vcpu;

	if (v == NULL) {
		arch_vgic_idle(); /* What it was about is gone with its vCPU. */
		return;
	}
	sync(v);
	if (v->vgic.eoi_owed_count == 0 || v->tcb == NULL)
		return;
	/* From the running guest: it exits now. Otherwise when it next would run. */
	if (v->tcb == c->current && v->tcb->state == THREAD_RUNNABLE)
		deliver_eoi_exit(v);
	else
		vcpu_wake(v);
}
