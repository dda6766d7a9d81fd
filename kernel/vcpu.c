/*
 * Virtual CPUs: the lifecycle, binding to threads, lazy switching of EL1
 * state, and exits: handing them to the VMM or to a bound device server,
 * and completing them when the answer comes.
 */
#include <string.h>

#include "invoke.h"
#include "ipc.h"
#include "irq.h"
#include "print.h"
#include "sched.h"
#include "smp.h"
#include "vcpu.h"
#include "virq.h"
#include "vm.h"

#include <mica/abi/exit.h>
#include <mica/abi/hypercall.h>
#include <mica/abi/invocation.h>

/* Each CPU's vCPUs blocked in WFI or WFE, linked through wait_next. */
static struct vcpu *waiting[PLATFORM_MAX_CPUS];

void vcpu_init(struct vcpu *v)
{
	v->tcb = NULL;
	v->state = MICA_VCPU_CREATED;
	v->wait_next = NULL;
	v->waits_for_event = false;
	v->sgi_enabled = 0;
	arch_vcpu_init(&v->arch);
	vgic_init(&v->vgic);
}

enum mica_vcpu_state vcpu_state(const struct vcpu *v)
{
	const struct tcb *t = v->tcb;

	if (v->state != MICA_VCPU_READY || t == NULL)
		return v->state;
	if (sched_cpus[t->cpu].current == t && t->state == THREAD_RUNNABLE)
		return MICA_VCPU_RUNNING;
	if (t->state == THREAD_BLOCKED_WFI)
		return MICA_VCPU_BLOCKED;
	return MICA_VCPU_READY;
}

/* v's thread starts over at v's entry point, as from reset. */
static void vcpu_start_at_entry(struct vcpu *v)
{
	struct tcb *t = v->tcb;

	for (unsigned i = 0; i < MICA_CONTEXT_WORDS; i++)
		arch_regs_set(&t->regs, i, 0);
	arch_vcpu_reset_regs(&t->regs);
	arch_regs_set(&t->regs, MICA_CTX_PC, v->entry_pc);
	arch_regs_set(&t->regs, MICA_CTX_X0, v->entry_x0);
}

/* Move v on by op; an operation its state does not allow leaves it Invalid. */
static enum mica_error vcpu_transition(struct vcpu *v, enum vcpu_op op)
{
	v->state = (uint8_t)vcpu_next_state(vcpu_state(v), op);
	return v->state == MICA_VCPU_INVALID ? MICA_ERR_ILLEGAL_OPERATION : MICA_OK;
}

enum mica_error vcpu_bind(struct vcpu *v, struct tcb *t)
{
	if (t->vcpu != NULL)
		return MICA_ERR_ILLEGAL_OPERATION;
	if (vcpu_transition(v, VCPU_OP_BIND) != MICA_OK)
		return MICA_ERR_ILLEGAL_OPERATION;
	v->tcb = t;
	t->vcpu = v;
	thread_forget_fp(t);
	vcpu_start_at_entry(v);
	return MICA_OK;
}

/*
 * v's guest state goes back to the architectural reset state: EL1
 * registers, virtual interrupts (the physical lines behind them may fire
 * again), timer, and any exit in progress. Its entry point stays.
 */
static void vcpu_reset(struct vcpu *v)
{
	vgic_reset(v);
	if (vcpu_is_loaded(v))
		sched_this_cpu()->loaded_vcpu = NULL; /* The fresh state must be loaded. */
	arch_vcpu_init(&v->arch);
	v->exit = (struct vcpu_exit){0};
}

/*
 * The thread stops first, and leaves as a host thread with a fresh context
 * (EL0, nothing of the guest's registers): a thread never runs at a guest's
 * exception level without a vCPU. The vCPU keeps nothing of that guest for
 * the next thread bound to it, which may run another VM.
 */
void vcpu_unbind(struct vcpu *v)
{
	struct tcb *t = v->tcb;

	if (t == NULL)
		return;
	thread_suspend(t);
	virq_forget_vcpu(v); /* The next VMM binds its own. */
	v->state = (uint8_t)vcpu_next_state(vcpu_state(v), VCPU_OP_UNBIND);
	t->vcpu = NULL;
	v->tcb = NULL;
	arch_regs_init_user(&t->regs, 0, 0, 0);
	thread_forget_fp(t);
	vcpu_reset(v);
	/* Its guest's GIC settings and statistics too: the next VMM says what it takes. */
	v->sgi_enabled = 0;
	memset(v->stats, 0, sizeof(v->stats));
}

void vcpu_destroy(struct vcpu *v)
{
	vcpu_unbind(v);
	virq_forget_vcpu(v);
	irq_forget_vcpu(v);
	for (unsigned cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++)
		if (sched_cpus[cpu].loaded_vcpu == v)
			sched_cpus[cpu].loaded_vcpu = NULL;
}

int64_t vcpu_ring_doorbell(struct tcb *t, uint64_t n)
{
	const struct cap *vm = tcb_vspace(t);
	const struct cap *c;

	t->vcpu->stats[MICA_VCPU_STAT_DOORBELL]++;
	if (vm == NULL || vm->type != MICA_OBJ_VM || n >= VM_DOORBELLS)
		return MICA_HVC_INVALID_PARAMETER;
	c = &vm_of(vm)->doorbell[n].cap;
	if (c->type != MICA_OBJ_NOTIFICATION)
		return MICA_HVC_INVALID_PARAMETER;
	notification_signal((struct notification *)c->object, c->data);
	return MICA_HVC_SUCCESS;
}

void vcpu_switch_to(struct tcb *t)
{
	struct sched_cpu *c = sched_this_cpu();
	struct vcpu *v = t->vcpu;
	struct vcpu *was = c->loaded_vcpu;

	if (was == v)
		return;
	c->loaded_vcpu = v; /* Already: c need not be kept across the calls. */
	if (was != NULL)
		arch_vcpu_save(&was->arch);
	arch_vcpu_load(&v->arch);
	vgic_load(was, v);
}

void vcpu_wait(struct tcb *t, bool is_wfe)
{
	struct vcpu *v = t->vcpu;

	v->stats[MICA_VCPU_STAT_WFX]++;
	if (vgic_has_pending(v))
		return; /* The guest continues at once. */
	/* vcpu state: Blocked */
	v->waits_for_event = is_wfe;
	v->wait_next = waiting[t->cpu];
	waiting[t->cpu] = v;
	sched_block(t);
	t->state = THREAD_BLOCKED_WFI;
}

/* Take v off its CPU's list of waiting vCPUs. */
static void unlink_waiter(struct vcpu *v)
{
	struct vcpu **p = &waiting[v->tcb->cpu];

	while (*p != NULL && *p != v)
		p = &(*p)->wait_next;
	if (*p == v)
		*p = v->wait_next;
	v->wait_next = NULL;
}

void vcpu_wake(struct vcpu *v)
{
	if (v->tcb == NULL || v->tcb->state != THREAD_BLOCKED_WFI)
		return;
	unlink_waiter(v);
	/* vcpu state: Ready */
	sched_wake(v->tcb);
}

void vcpu_cancel_wait(struct tcb *t)
{
	unlink_waiter(t->vcpu);
}

void vcpu_requeue_wait(struct tcb *t)
{
	t->vcpu->wait_next = waiting[t->cpu];
	waiting[t->cpu] = t->vcpu;
}

/*
 * A vCPU whose state is loaded wakes by its timer's PPI; one whose state
 * was saved is checked here, at the tick's resolution. Once it runs again,
 * its timer (loaded) raises the PPI itself.
 */
void vcpu_tick(void)
{
	struct sched_cpu *c = sched_this_cpu();
	struct vcpu **p = &waiting[arch_cpu_index()];
	uint64_t now = arch_counter();

	while (*p != NULL) {
		struct vcpu *v = *p;

		if (v->waits_for_event ||
		    (v != c->loaded_vcpu &&
		     (arch_timers_due(&v->arch, now) & v->vgic.timers_enabled &
		      ~(uint32_t)v->vgic.timers_masked) != 0)) {
			*p = v->wait_next;
			v->wait_next = NULL;
			/* vcpu state: Ready */
			sched_wake(v->tcb);
		} else {
			p = &v->wait_next;
		}
	}
}

static enum mica_error vcpu_set_entry(struct vcpu *v, uint64_t pc, uint64_t x0)
{
	struct tcb *t = v->tcb;

	if (t != NULL && t->state != THREAD_INACTIVE)
		return MICA_ERR_ILLEGAL_OPERATION; /* Suspend its thread first. */
	if (vcpu_transition(v, VCPU_OP_SET_ENTRY) != MICA_OK)
		return MICA_ERR_ILLEGAL_OPERATION;
	vcpu_reset(v);
	v->entry_pc = pc;
	v->entry_x0 = x0;
	if (t != NULL)
		vcpu_start_at_entry(v);
	return MICA_OK;
}

/* A message word as an unsigned argument; too large a word stays too large. */
static unsigned arg_u32(uint64_t word)
{
	return word > UINT32_MAX ? UINT32_MAX : (unsigned)word;
}

/*
 * The exit v's VMM answers with an exception is over: its instruction did
 * not happen, so the answer that resumes the guest completes nothing (a
 * fault's answer changes no register and moves no PC).
 */
static void exit_refused(struct vcpu *v)
{
	v->exit.label = MICA_EXIT_FAULT;
	v->exit.insn_len = 0;
	v->exit.is_read = false;
}

enum mica_error vcpu_invoke(struct invocation *inv, struct vcpu *v)
{
	enum mica_error err;
	bool loaded;

	/*
	 * Only the CPU that holds a vCPU's state touches it: take it from
	 * another (an interrupt only waits in its queue, see vgic.c; the SGI
	 * settings are memory the kernel reads under its lock).
	 */
	if (inv->label != MICA_VCPU_GET_STATE && inv->label != MICA_VCPU_INJECT_IRQ &&
	    inv->label != MICA_VCPU_SET_SGI && inv->label != MICA_VCPU_GET_STATS)
		smp_claim_vcpu(v);
	loaded = vcpu_is_loaded(v);

	switch (inv->label) {
	case MICA_VCPU_SET_ENTRY:
		return vcpu_set_entry(v, inv->arg[0], inv->arg[1]);
	case MICA_VCPU_GET_STATE:
		inv->result[0] = vcpu_state(v);
		inv->result_count = 1;
		return MICA_OK;
	case MICA_VCPU_GET_STATS:
		for (unsigned i = 0; i < MICA_VCPU_STAT_COUNT; i++)
			inv->result[i] = v->stats[i];
		inv->result_count = MICA_VCPU_STAT_COUNT;
		return MICA_OK;
	case MICA_VCPU_READ_REG:
		if (v->state == MICA_VCPU_INVALID)
			return MICA_ERR_ILLEGAL_OPERATION;
		inv->result_count = 1;
		if (inv->arg[0] == MICA_VCPU_REG_TIMER_IRQS) {
			inv->result[0] = vgic_timer_irqs(v, arch_counter());
			return MICA_OK;
		}
		return arch_vcpu_read_reg(&v->arch, loaded, v->tcb, inv->arg[0], &inv->result[0]);
	case MICA_VCPU_WRITE_REG:
		if (v->state == MICA_VCPU_INVALID)
			return MICA_ERR_ILLEGAL_OPERATION;
		return arch_vcpu_write_reg(&v->arch, loaded, v->tcb, inv->arg[0], inv->arg[1]);
	case MICA_VCPU_INJECT_IRQ:
		return vgic_inject(v, arg_u32(inv->arg[0]), arg_u32(inv->arg[1]),
				   arg_u32(inv->arg[2]));
	case MICA_VCPU_CLEAR_IRQ:
		if (inv->arg[0] >= VGIC_INTID_COUNT)
			return MICA_ERR_INVALID_ARGUMENT;
		(void)vgic_clear(v, (unsigned)inv->arg[0]);
		return MICA_OK;
	case MICA_VCPU_SET_SGI:
		if (inv->arg[0] >> VGIC_SGI_COUNT != 0)
			return MICA_ERR_INVALID_ARGUMENT;
		v->sgi_enabled = (uint16_t)inv->arg[0];
		for (unsigned n = 0; n < VGIC_SGI_COUNT; n++)
			v->sgi_priority[n] = (uint8_t)(inv->arg[1 + n / 8] >> (8 * (n % 8)));
		return MICA_OK;
	case MICA_VCPU_SET_TIMERS:
		if (inv->arg[0] >> VGIC_TIMERS != 0)
			return MICA_ERR_INVALID_ARGUMENT;
		vgic_set_timers(v, (unsigned)inv->arg[0],
				(const uint8_t[VGIC_TIMERS]){(uint8_t)inv->arg[1],
							     (uint8_t)(inv->arg[1] >> 8)});
		return MICA_OK;
	case MICA_VCPU_INJECT_UNDEF:
		if (v->tcb == NULL || v->state == MICA_VCPU_INVALID)
			return MICA_ERR_ILLEGAL_OPERATION;
		/*
		 * The exception is taken at the exit's instruction. A hypercall's
		 * PC already points past its HVC or SMC (both A64, 4 bytes: an HVC's
		 * preferred return address is the next instruction, and the kernel
		 * moved a trapped SMC's on too); every other exit's PC is the
		 * instruction's own.
		 */
		if (v->exit.label == MICA_EXIT_HYPERCALL)
			arch_regs_set(&v->tcb->regs, MICA_CTX_PC,
				      arch_regs_get(&v->tcb->regs, MICA_CTX_PC) - 4);
		arch_vcpu_inject_undef(&v->arch, loaded, &v->tcb->regs);
		exit_refused(v);
		return MICA_OK;
	case MICA_VCPU_INJECT_ABORT:
		/* Only an abort exit the VMM is answering: the guest's access is in hand. */
		if (v->tcb == NULL || v->state == MICA_VCPU_INVALID ||
		    (v->exit.label != MICA_EXIT_MMIO && v->exit.label != MICA_EXIT_FAULT))
			return MICA_ERR_ILLEGAL_OPERATION;
		err = arch_vcpu_inject_abort(&v->arch, loaded, &v->tcb->regs);
		if (err == MICA_OK)
			exit_refused(v);
		return err;
	default:
		return MICA_ERR_ILLEGAL_OPERATION;
	}
}

void vcpu_exit(struct tcb *t, const struct vcpu_exit *e, const uint64_t *words, unsigned count)
{
	t->vcpu->exit = *e;
	vcpu_exit_sent(t->vcpu);
	if (t->slots[TCB_SLOT_FAULT_EP].cap.type != MICA_OBJ_ENDPOINT)
		kprintf("mica: vCPU thread \"%s\" exited (label %u) with no VMM to tell\n", t->name,
			e->label);
	thread_fault(t, e->label, words, count);
}

void vcpu_exit_mmio(struct tcb *t, const struct vcpu_exit *e, const uint64_t *words)
{
	const struct cap *vm = tcb_vspace(t);
	const struct cap *server = NULL;

	if (vm != NULL && vm->type == MICA_OBJ_VM)
		server = vm_mmio_server(vm_of(vm), words[0]);
	if (server == NULL) {
		vcpu_exit(t, e, words, 4);
		return;
	}
	t->vcpu->exit = *e;
	t->vcpu->exit.to_server = true;
	vcpu_exit_sent(t->vcpu);
	thread_fault_to(t, server, e->label, words, 4);
}

void vcpu_exit_lost(struct tcb *t)
{
	struct vcpu_exit *e = &t->vcpu->exit;
	uint64_t words[FAULT_MAX_WORDS];

	if (!e->to_server)
		return;
	e->to_server = false;
	/* Declined by the server: from here on, an exit to the VMM. */
	vcpu_exit_over(t->vcpu);
	vcpu_exit_sent_as(t->vcpu, MICA_VCPU_STAT_MMIO_VMM);
	for (unsigned i = 0; i < t->fault_count; i++)
		words[i] = t->fault_mr[i];
	thread_fault(t, e->label, words, t->fault_count);
}

void vcpu_exit_retry(struct tcb *t)
{
	struct vcpu_exit *e = &t->vcpu->exit;

	if (!e->to_server)
		return;
	vcpu_exit_over(t->vcpu);
	e->to_server = false;
	e->label = MICA_EXIT_RESUME;
	sched_wake(t);
}

bool vcpu_exit_answered(struct tcb *t, uint64_t info, const struct arch_regs *answer)
{
	struct vcpu_exit *e = &t->vcpu->exit;
	unsigned n = mica_msg_length(info);

	/* t waits for this answer: its registers are in memory, on no CPU. */
	if (mica_msg_label(info) != MICA_EXIT_RESUME) {
		vcpu_exit_lost(t); /* The device server declined: the VMM gets the exit. */
		return false;
	}
	if (e->label == MICA_EXIT_HYPERCALL) {
		for (unsigned i = 0; i < n && i < MICA_EXIT_HYPERCALL_RESULTS; i++)
			arch_regs_set(&t->regs, MICA_CTX_X0 + i, arch_regs_get_mr(answer, i));
	} else if (e->label == MICA_EXIT_MMIO || e->label == MICA_EXIT_SYSREG) {
		vcpu_exit_complete(t, n > 0 ? arch_regs_get_mr(answer, 0) : 0);
	}
	vcpu_exit_over(t->vcpu);
	e->label = MICA_EXIT_RESUME;
	return true;
}
