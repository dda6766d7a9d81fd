/*
 * Virtual CPUs: binding to threads, lazy switching of EL1 state, and
 * handing exits to the VMM.
 */
#include "print.h"
#include "sched.h"
#include "vcpu.h"

#include <mica/abi/exit.h>

void vcpu_init(struct vcpu *v)
{
	v->tcb = NULL;
	arch_vcpu_init(&v->arch);
}

enum mica_error vcpu_bind(struct vcpu *v, struct tcb *t)
{
	if (v->tcb != NULL || t->vcpu != NULL)
		return MICA_ERR_ILLEGAL_OPERATION;
	v->tcb = t;
	t->vcpu = v;
	arch_vcpu_reset_regs(&t->regs);
	return MICA_OK;
}

void vcpu_unbind(struct vcpu *v)
{
	if (v->tcb != NULL)
		v->tcb->vcpu = NULL;
	v->tcb = NULL;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->tcb != NULL)
		thread_suspend(v->tcb);
	vcpu_unbind(v);
	for (unsigned cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++)
		if (sched_cpus[cpu].loaded_vcpu == v)
			sched_cpus[cpu].loaded_vcpu = NULL;
}

void vcpu_switch_to(struct tcb *t)
{
	struct sched_cpu *c = sched_this_cpu();
	struct vcpu *v = t->vcpu;

	if (c->loaded_vcpu == v)
		return;
	if (c->loaded_vcpu != NULL)
		arch_vcpu_save(&c->loaded_vcpu->arch);
	arch_vcpu_load(&v->arch);
	c->loaded_vcpu = v;
}

void vcpu_exit(struct tcb *t, uint64_t label, const uint64_t *words, unsigned count)
{
	if (t->slots[TCB_SLOT_FAULT_EP].cap.type != MICA_OBJ_ENDPOINT)
		kprintf("mica: vCPU thread \"%s\" exited (label %lu) with no VMM to tell\n",
			t->name, (unsigned long)label);
	thread_fault(t, label, words, count);
}
