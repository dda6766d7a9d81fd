/*
 * Thread control blocks: set-up, the capabilities a thread holds, starting
 * and stopping, and fault delivery.
 */
#include <string.h>

#include "ipc.h"
#include "print.h"
#include "thread.h"
#include "smp.h"
#include "vspace.h"

#include <mica/abi/fault.h>
#include <mica/abi/status.h>

void tcb_init(struct tcb *t)
{
	t->state = THREAD_INACTIVE;
	t->priority = 0;
	t->mcp = 0;
	t->cpu = (uint8_t)arch_cpu_index(); /* Where it was made, until moved. */
	memcpy(t->name, "thread", 7);
}

const struct cap *tcb_vspace(const struct tcb *t)
{
	const struct cap *c = &t->slots[TCB_SLOT_VSPACE].cap;

	return c->type == MICA_OBJ_VSPACE || c->type == MICA_OBJ_VM ? c : NULL;
}

bool thread_space_fits(const struct tcb *t, const struct cap *space)
{
	if (space->type == MICA_OBJ_NULL)
		return true;
	return space->type == (t->vcpu != NULL ? MICA_OBJ_VM : MICA_OBJ_VSPACE);
}

void tcb_spaces_changed(struct tcb *t)
{
	const struct cap *root = &t->slots[TCB_SLOT_CSPACE].cap;

	/* A guard no address can match (cptr >> 63 is 0 or 1): the slow path, always. */
	t->fast_slots = NULL;
	t->fast_radix = 63;
	t->fast_mask = 0;
	t->fast_guard = UINT64_MAX;
	if (root->type == MICA_OBJ_CNODE && root->guard_bits + root->size_bits == 64) {
		t->fast_slots = (struct slot *)root->object;
		t->fast_radix = root->size_bits;
		t->fast_mask = (UINT64_C(1) << root->size_bits) - 1;
		t->fast_guard = root->data;
	}
}

struct mica_ipc_buffer *tcb_ipc_buffer(const struct tcb *t)
{
	const struct cap *frame = &t->slots[TCB_SLOT_IPC_BUFFER].cap;
	uint64_t offset;

	if (frame->type != MICA_OBJ_FRAME_4K && frame->type != MICA_OBJ_FRAME_2M)
		return NULL;
	offset = t->ipc_buffer_va & ((UINT64_C(1) << frame->size_bits) - 1);
	return (struct mica_ipc_buffer *)((uint8_t *)arch_phys_to_virt(pa_init(frame->object)) +
					  offset);
}

void thread_suspend(struct tcb *t)
{
	/* One that another CPU runs (or whose state it holds) stops there first. */
	smp_claim_thread(t);
	ipc_cancel(t);
	sched_block(t);
	t->state = THREAD_INACTIVE;
}

void thread_resume(struct tcb *t)
{
	if (t->state == THREAD_INACTIVE) {
		/* A fault left unanswered is over: what runs now is a new start. */
		t->send_is_fault = false;
		sched_wake(t);
	}
}

/*
 * A fault goes to the thread's fault endpoint as a message the handler
 * answers through a reply object; without a fault endpoint the thread
 * stops. The root task has nobody above it: its unhandled fault ends the
 * system, so the machine never hangs on it.
 */
void thread_fault(struct tcb *t, uint64_t label, const uint64_t *mr, unsigned count)
{
	thread_fault_to(t, &t->slots[TCB_SLOT_FAULT_EP].cap, label, mr, count);
}

void thread_fault_to(struct tcb *t, const struct cap *ep, uint64_t label, const uint64_t *mr,
		     unsigned count)
{
	if (count > FAULT_MAX_WORDS)
		count = FAULT_MAX_WORDS;
	t->fault_label = label;
	t->fault_count = count;
	memcpy(t->fault_mr, mr, count * sizeof(mr[0]));
	if (ep->type == MICA_OBJ_ENDPOINT && (ep->rights & MICA_RIGHT_WRITE)) {
		endpoint_send_fault(t, (struct endpoint *)ep->object, ep->data);
		return;
	}
	kprintf("mica: thread \"%s\" has no fault handler; it is stopped\n", t->name);
	thread_suspend(t);
	if (t->is_root) {
		kprintf("mica: the root task has stopped; powering off\n");
		arch_power_off(MICA_EXIT_ROOT_FAULT);
	}
}
