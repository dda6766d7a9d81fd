/*
 * TCB invocations: a thread's spaces, IPC buffer, registers, priority,
 * CPU, bound notification and vCPU, decoded like every invocation
 * (invoke.c) before anything changes.
 */
#include <string.h>

#include "cnode.h"
#include "invoke.h"
#include "ipc.h"
#include "sched.h"
#include "smp.h"
#include "vcpu.h"
#include "vspace.h"

#include <mica/abi/invocation.h>

/*
 * Replace the capability in one of t's own slots with a copy of src.
 * Deleting the old one can destroy anything, t itself included (its last
 * capability may live in a CNode that goes with it), and then nothing may
 * be put into t any more; src may be gone too, which cnode_copy sees.
 */
static void tcb_install(struct tcb *t, enum tcb_slot which, struct slot *src)
{
	slot_delete(&t->slots[which]);
	if (t->is_destroyed || src == NULL)
		return;
	if (cnode_copy(&t->slots[which], src, MICA_RIGHTS_ALL, false, 0) != MICA_OK)
		slot_delete(&t->slots[which]);
}

static enum mica_error tcb_set_space(struct invocation *inv, struct tcb *t)
{
	struct slot *cspace, *vspace, *fault = NULL;
	enum mica_error err = invoke_extra_cap(inv, 0, MICA_OBJ_CNODE, &cspace);

	if (err == MICA_OK)
		err = invoke_extra_cap(inv, 1, MICA_OBJ_NULL, &vspace);
	if (err == MICA_OK && vspace->cap.type != MICA_OBJ_VSPACE &&
	    vspace->cap.type != MICA_OBJ_VM)
		err = MICA_ERR_WRONG_TYPE;
	if (err == MICA_OK && inv->extra_count > 2 && inv->extra[2] != NULL &&
	    !slot_is_empty(inv->extra[2])) {
		err = invoke_extra_cap(inv, 2, MICA_OBJ_ENDPOINT, &fault);
		if (err == MICA_OK && !(fault->cap.rights & MICA_RIGHT_WRITE))
			err = MICA_ERR_NO_RIGHTS;
	}
	if (err != MICA_OK)
		return err;
	if (vspace->cap.data2 == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY; /* A VSpace without an ASID. */
	/* A thread that may run keeps a space of the kind it runs in; an inactive one is checked at
	 * Resume. */
	if (t->state != THREAD_INACTIVE && !thread_space_fits(t, &vspace->cap))
		return MICA_ERR_ILLEGAL_OPERATION;
	/*
	 * The old CSpace root may be the last capability to a large CNode,
	 * whose deletion may stop part-way. Before anything changes, what an
	 * earlier call retired is finished (or a deletion stopped in the CSpace
	 * slot itself), and the call made again if that stops; then the old
	 * root is retired, not deleted in place, so the thread has its new
	 * CSpace whether or not its deletion finishes now.
	 */
	err = slot_delete_preemptible(&t->slots[TCB_SLOT_RETIRED]);
	if (err == MICA_OK && slot_is_zombie(&t->slots[TCB_SLOT_CSPACE]))
		err = slot_delete_preemptible(&t->slots[TCB_SLOT_CSPACE]);
	if (err != MICA_OK || t->is_destroyed)
		return err;
	if (!slot_is_empty(&t->slots[TCB_SLOT_CSPACE]))
		slot_move(&t->slots[TCB_SLOT_CSPACE], &t->slots[TCB_SLOT_RETIRED]);
	tcb_install(t, TCB_SLOT_CSPACE, cspace);
	tcb_install(t, TCB_SLOT_VSPACE, vspace);
	tcb_install(t, TCB_SLOT_FAULT_EP, fault);
	/* If this stops part-way, the next deletion that needs to finishes it. */
	(void)slot_delete_preemptible(&t->slots[TCB_SLOT_RETIRED]);
	if (t->is_destroyed)
		return MICA_OK;
	tcb_spaces_changed(t);
	if (t == thread_current())
		sched_switch_vspace(t);
	return MICA_OK;
}

static enum mica_error tcb_set_ipc_buffer(struct invocation *inv, struct tcb *t)
{
	uint64_t va = inv->arg[0];
	struct slot *frame = NULL;

	if (!IS_ALIGNED(va, (uint64_t)MICA_IPC_BUFFER_ALIGN))
		return MICA_ERR_ALIGNMENT;
	if (va != 0) {
		enum mica_error err = invoke_extra_cap(inv, 0, MICA_OBJ_NULL, &frame);

		if (err != MICA_OK)
			return err;
		if (frame->cap.type != MICA_OBJ_FRAME_4K && frame->cap.type != MICA_OBJ_FRAME_2M)
			return MICA_ERR_WRONG_TYPE;
		if (frame->cap.is_device)
			return MICA_ERR_INVALID_ARGUMENT;
		/* The kernel writes results and received messages into it. */
		if ((frame->cap.rights & (MICA_RIGHT_READ | MICA_RIGHT_WRITE)) !=
		    (MICA_RIGHT_READ | MICA_RIGHT_WRITE))
			return MICA_ERR_NO_RIGHTS;
	}
	tcb_install(t, TCB_SLOT_IPC_BUFFER, frame);
	if (!t->is_destroyed)
		t->ipc_buffer_va = va;
	return MICA_OK;
}

static enum mica_error tcb_registers(struct invocation *inv, struct tcb *t)
{
	uint64_t count = inv->arg[0];

	if (count > MICA_CONTEXT_WORDS)
		return MICA_ERR_RANGE;
	if (inv->label == MICA_TCB_READ_REGISTERS) {
		for (unsigned i = 0; i < count; i++)
			inv->result[i] = arch_regs_get(&t->regs, i);
		inv->result_count = (unsigned)count;
		return MICA_OK;
	}
	if (inv->length < count + 1)
		return MICA_ERR_TRUNCATED;
	{
		struct mica_ipc_buffer *buf = tcb_ipc_buffer(inv->caller);

		for (unsigned i = 0; i < count; i++) {
			unsigned w = i + 1;
			uint64_t v = w < MICA_MSG_REGISTERS
					     ? arch_regs_get_mr(&inv->caller->regs, w)
					     : (buf != NULL ? buf->mr[w] : 0);

			arch_regs_set(&t->regs, i, v);
		}
	}
	return MICA_OK;
}

enum mica_error invoke_tcb(struct invocation *inv)
{
	struct tcb *t = (struct tcb *)inv->slot->cap.object;
	struct slot *ntfn;
	enum mica_error err;

	/* Whatever changes t, no other CPU runs it or holds its state meanwhile. */
	smp_claim_thread(t);
	switch (inv->label) {
	case MICA_TCB_SET_SPACE:
		return tcb_set_space(inv, t);
	case MICA_TCB_SET_IPC_BUFFER:
		return tcb_set_ipc_buffer(inv, t);
	case MICA_TCB_SET_PRIORITY:
	case MICA_TCB_SET_MCP:
		if (inv->arg[0] > MICA_MAX_PRIORITY)
			return MICA_ERR_RANGE;
		if (inv->arg[0] > inv->caller->mcp)
			return MICA_ERR_NO_RIGHTS;
		if (inv->label == MICA_TCB_SET_MCP)
			t->mcp = (uint8_t)inv->arg[0];
		else
			thread_set_priority(t, (uint8_t)inv->arg[0]);
		return MICA_OK;
	case MICA_TCB_READ_REGISTERS:
	case MICA_TCB_WRITE_REGISTERS:
		return tcb_registers(inv, t);
	case MICA_TCB_RESUME:
		if (tcb_vspace(t) == NULL || t->slots[TCB_SLOT_CSPACE].cap.type != MICA_OBJ_CNODE)
			return MICA_ERR_ILLEGAL_OPERATION; /* Not configured yet. */
		/* A vCPU thread runs in a VM, any other thread in a VSpace. */
		if (!thread_space_fits(t, tcb_vspace(t)))
			return MICA_ERR_ILLEGAL_OPERATION;
		if (t->vcpu != NULL && t->vcpu->state == MICA_VCPU_INVALID)
			return MICA_ERR_ILLEGAL_OPERATION;
		thread_resume(t);
		return MICA_OK;
	case MICA_TCB_SUSPEND:
		thread_suspend(t);
		return MICA_OK;
	case MICA_TCB_BIND_NOTIFICATION:
		err = invoke_extra_cap(inv, 0, MICA_OBJ_NOTIFICATION, &ntfn);
		if (err != MICA_OK)
			return err;
		if (!(ntfn->cap.rights & MICA_RIGHT_READ))
			return MICA_ERR_NO_RIGHTS;
		if (t->bound_notification != NULL ||
		    ((struct notification *)ntfn->cap.object)->bound != NULL ||
		    ((struct notification *)ntfn->cap.object)->virq_vcpu != NULL)
			return MICA_ERR_ILLEGAL_OPERATION;
		notification_bind((struct notification *)ntfn->cap.object, t);
		return MICA_OK;
	case MICA_TCB_UNBIND_NOTIFICATION:
		if (t->bound_notification == NULL)
			return MICA_ERR_ILLEGAL_OPERATION;
		notification_unbind(t->bound_notification);
		return MICA_OK;
	case MICA_TCB_BIND_VCPU: {
		struct slot *vcpu;

		err = invoke_extra_cap(inv, 0, MICA_OBJ_VCPU, &vcpu);
		if (err != MICA_OK)
			return err;
		if (t->state != THREAD_INACTIVE)
			return MICA_ERR_ILLEGAL_OPERATION;
		return vcpu_bind((struct vcpu *)vcpu->cap.object, t);
	}
	case MICA_TCB_SET_AFFINITY:
		if (inv->arg[0] >= smp_cpu_count)
			return MICA_ERR_RANGE;
		thread_set_cpu(t, (unsigned)inv->arg[0]);
		return MICA_OK;
	case MICA_TCB_SET_NAME:
		memcpy(t->name, inv->arg, THREAD_NAME_MAX - 1);
		t->name[THREAD_NAME_MAX - 1] = '\0';
		return MICA_OK;
	default:
		return MICA_ERR_ILLEGAL_OPERATION;
	}
}
