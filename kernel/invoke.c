/*
 * Invocation decoding: every argument is checked before anything changes
 * (seL4's decode/invoke split); each failure has its own error code.
 */
#include <string.h>

#include "alarm.h"
#include "cnode.h"
#include "invoke.h"
#include "ipc.h"
#include "sched.h"
#include "smp.h"
#include "irq.h"
#include "untyped.h"
#include "vcpu.h"
#include "virq.h"
#include "vm.h"
#include "vspace.h"

#include <mica/abi/invocation.h>

enum mica_error invoke_extra_cap(const struct invocation *inv, unsigned i,
				 enum mica_object_type type, struct slot **out)
{
	if (i >= inv->extra_count || inv->extra[i] == NULL)
		return MICA_ERR_INVALID_CAPABILITY;
	if (slot_is_empty(inv->extra[i]))
		return MICA_ERR_INVALID_CAPABILITY;
	if (type != MICA_OBJ_NULL && inv->extra[i]->cap.type != type)
		return MICA_ERR_WRONG_TYPE;
	*out = inv->extra[i];
	return MICA_OK;
}

/* Resolve (index, depth) in the CNode capability root; depth 0 is root's own slot. */
static enum mica_error cnode_slot(struct slot *root, uint64_t index, uint64_t depth,
				  struct slot **out)
{
	struct slot_ret r;

	if (depth == 0) {
		*out = root;
		return MICA_OK;
	}
	if (depth > 64)
		return MICA_ERR_RANGE;
	r = cspace_lookup(&root->cap, index, (unsigned)depth);
	*out = r.slot;
	return r.err;
}

/* The destination slot that MR at (index) and MR at + 1 (depth) name in CAP0, a CNode. */
static enum mica_error dest_slot(struct invocation *inv, unsigned at, struct slot **out)
{
	struct slot *root;
	enum mica_error err = invoke_extra_cap(inv, 0, MICA_OBJ_CNODE, &root);

	if (err == MICA_OK)
		err = cnode_slot(root, inv->arg[at], inv->arg[at + 1], out);
	return err;
}

static enum mica_error invoke_untyped(struct invocation *inv)
{
	struct slot *dest;
	const struct cap *pool = NULL;
	enum mica_error err;

	if (inv->label != MICA_UNTYPED_RETYPE)
		return MICA_ERR_ILLEGAL_OPERATION;
	err = dest_slot(inv, 2, &dest);
	if (err != MICA_OK)
		return err;
	if (dest->cap.type != MICA_OBJ_CNODE)
		return MICA_ERR_WRONG_TYPE;
	if (inv->arg[0] >= MICA_OBJ_TYPE_COUNT || inv->arg[1] > 64)
		return MICA_ERR_INVALID_ARGUMENT;
	/* The ASID pool, for VSpaces and VMs (untyped_retype says whether it is needed). */
	if (inv->extra_count > 1 && inv->extra[1] != NULL && !slot_is_empty(inv->extra[1]))
		pool = &inv->extra[1]->cap;
	return untyped_retype(inv->slot, (enum mica_object_type)inv->arg[0], (unsigned)inv->arg[1],
			      &dest->cap, inv->arg[4], inv->arg[5], pool);
}

static enum mica_error invoke_cnode(struct invocation *inv)
{
	struct slot *dest, *src_root, *src;
	enum mica_error err;
	unsigned rights;

	err = cnode_slot(inv->slot, inv->arg[0], inv->arg[1], &dest);
	if (err != MICA_OK)
		return err;
	switch (inv->label) {
	case MICA_CNODE_DELETE:
		return slot_delete_preemptible(dest);
	case MICA_CNODE_REVOKE:
		err = slot_revoke_preemptible(dest);
		/*
		 * Revoking is the one way an invocation empties a slot of the
		 * caller's own TCB (its capabilities there are copies, children
		 * of what the caller may revoke): if that took its address space,
		 * it runs in what its slot holds now, not from its next switch on.
		 */
		if (inv->caller == thread_current() && inv->caller->state == THREAD_RUNNABLE)
			sched_switch_vspace(inv->caller);
		return err;
	case MICA_CNODE_COPY:
	case MICA_CNODE_MINT:
	case MICA_CNODE_MOVE:
	case MICA_CNODE_MUTATE:
		break;
	default:
		return MICA_ERR_ILLEGAL_OPERATION;
	}
	err = invoke_extra_cap(inv, 0, MICA_OBJ_CNODE, &src_root);
	if (err == MICA_OK)
		err = cnode_slot(src_root, inv->arg[2], inv->arg[3], &src);
	if (err != MICA_OK)
		return err;
	if (inv->arg[4] > MICA_RIGHTS_ALL)
		return MICA_ERR_INVALID_ARGUMENT;
	rights = (unsigned)inv->arg[4];
	switch (inv->label) {
	case MICA_CNODE_COPY:
		return cnode_copy(dest, src, rights, false, 0);
	case MICA_CNODE_MINT:
		return cnode_copy(dest, src, rights, true, inv->arg[5]);
	case MICA_CNODE_MOVE:
		return cnode_move(dest, src, false, MICA_RIGHTS_ALL, 0);
	default:
		return cnode_move(dest, src, true, rights, inv->arg[5]);
	}
}

static enum mica_error invoke_frame(struct invocation *inv)
{
	struct slot *vspace;
	enum mica_error err;

	switch (inv->label) {
	case MICA_FRAME_MAP:
		/* A VSpace, or a VM (stage 2); frame_map tells them apart. */
		err = invoke_extra_cap(inv, 0, MICA_OBJ_NULL, &vspace);
		if (err != MICA_OK)
			return err;
		return frame_map(inv->slot, &vspace->cap, inv->arg[0], (unsigned)inv->arg[1],
				 inv->arg[2]);
	case MICA_FRAME_UNMAP:
		frame_unmap(&inv->slot->cap);
		return MICA_OK;
	case MICA_FRAME_GET_ADDRESS:
		inv->result[0] = inv->slot->cap.object;
		inv->result_count = 1;
		return MICA_OK;
	default:
		return MICA_ERR_ILLEGAL_OPERATION;
	}
}

static enum mica_error invoke_page_table(struct invocation *inv)
{
	struct slot *vspace;
	enum mica_error err;

	switch (inv->label) {
	case MICA_PAGE_TABLE_MAP:
		err = invoke_extra_cap(inv, 0, MICA_OBJ_NULL, &vspace);
		if (err != MICA_OK)
			return err;
		return page_table_map(inv->slot, &vspace->cap, inv->arg[0]);
	case MICA_PAGE_TABLE_UNMAP:
		page_table_unmap(&inv->slot->cap);
		return MICA_OK;
	default:
		return MICA_ERR_ILLEGAL_OPERATION;
	}
}

static enum mica_error invoke_irq(struct invocation *inv)
{
	uint32_t intid = (uint32_t)inv->slot->cap.data;
	struct slot *dest, *ntfn;
	enum mica_error err;

	switch (inv->label) {
	case MICA_IRQ_CONTROL_GET:
		if (inv->slot->cap.type != MICA_OBJ_IRQ_CONTROL)
			return MICA_ERR_ILLEGAL_OPERATION;
		err = dest_slot(inv, 1, &dest);
		if (err != MICA_OK)
			return err;
		if (inv->arg[0] > UINT32_MAX)
			return MICA_ERR_RANGE;
		return irq_control_get((uint32_t)inv->arg[0], dest, inv->slot);
	case MICA_IRQ_HANDLER_ACK:
	case MICA_IRQ_HANDLER_SET_NOTIFICATION:
	case MICA_IRQ_HANDLER_SET_VCPU:
	case MICA_IRQ_HANDLER_CLEAR:
		if (inv->slot->cap.type != MICA_OBJ_IRQ_HANDLER)
			return MICA_ERR_ILLEGAL_OPERATION;
		break;
	default:
		return MICA_ERR_ILLEGAL_OPERATION;
	}
	if (inv->label == MICA_IRQ_HANDLER_ACK) {
		irq_handler_ack(intid);
	} else if (inv->label == MICA_IRQ_HANDLER_CLEAR) {
		irq_handler_clear(intid);
	} else if (inv->label == MICA_IRQ_HANDLER_SET_VCPU) {
		struct slot *vcpu;

		err = invoke_extra_cap(inv, 0, MICA_OBJ_VCPU, &vcpu);
		if (err != MICA_OK)
			return err;
		if (inv->arg[0] > 255)
			return MICA_ERR_INVALID_ARGUMENT;
		return irq_handler_set_vcpu(intid, (struct vcpu *)vcpu->cap.object,
					    (uint8_t)inv->arg[0]);
	} else {
		err = invoke_extra_cap(inv, 0, MICA_OBJ_NOTIFICATION, &ntfn);
		if (err != MICA_OK)
			return err;
		if (!(ntfn->cap.rights & MICA_RIGHT_WRITE))
			return MICA_ERR_NO_RIGHTS;
		irq_handler_set_notification(intid, &ntfn->cap);
	}
	return MICA_OK;
}

static enum mica_error invoke_vm(struct invocation *inv)
{
	struct vm *vm = vm_of(&inv->slot->cap);
	struct slot *ep;
	enum mica_error err;

	switch (inv->label) {
	case MICA_VM_BIND_MMIO:
		err = invoke_extra_cap(inv, 0, MICA_OBJ_ENDPOINT, &ep);
		if (err != MICA_OK)
			return err;
		if (!(ep->cap.rights & MICA_RIGHT_WRITE))
			return MICA_ERR_NO_RIGHTS;
		return vm_bind_mmio(vm, inv->arg[0], inv->arg[1], ep);
	case MICA_VM_UNBIND_MMIO:
		return vm_unbind_mmio(vm, inv->arg[0]);
	case MICA_VM_BIND_SGI:
	case MICA_VM_BIND_DOORBELL: {
		bool is_sgi = inv->label == MICA_VM_BIND_SGI;
		struct slot *src;

		err = invoke_extra_cap(inv, 0, is_sgi ? MICA_OBJ_VCPU : MICA_OBJ_NOTIFICATION,
				       &src);
		if (err != MICA_OK)
			return err;
		if (!is_sgi && !(src->cap.rights & MICA_RIGHT_WRITE))
			return MICA_ERR_NO_RIGHTS;
		return is_sgi ? vm_bind(vm->sgi_vcpu, VM_SGI_TARGETS, inv->arg[0], src,
					MICA_RIGHTS_ALL)
			      : vm_bind(vm->doorbell, VM_DOORBELLS, inv->arg[0], src,
					MICA_RIGHT_WRITE);
	}
	case MICA_VM_UNBIND_SGI:
	case MICA_VM_UNBIND_DOORBELL:
		return inv->label == MICA_VM_UNBIND_SGI
			       ? vm_unbind(vm->sgi_vcpu, VM_SGI_TARGETS, inv->arg[0])
			       : vm_unbind(vm->doorbell, VM_DOORBELLS, inv->arg[0]);
	default:
		return MICA_ERR_ILLEGAL_OPERATION;
	}
}

static enum mica_error invoke_asid_control(struct invocation *inv)
{
	struct slot *dest;
	struct cap pool;
	enum mica_error err;

	if (inv->label != MICA_ASID_CONTROL_MAKE_POOL)
		return MICA_ERR_ILLEGAL_OPERATION;
	err = dest_slot(inv, 1, &dest);
	if (err != MICA_OK)
		return err;
	if (!slot_is_empty(dest))
		return MICA_ERR_DELETE_FIRST;
	err = asid_pool_make(inv->arg[0], &pool);
	if (err == MICA_OK)
		slot_insert(dest, pool, inv->slot);
	return err;
}

/*
 * Only a waiter (read) that may also signal (write) sets its notification's
 * alarm, and a badged capability only with bits of its badge, which is all
 * it could signal.
 */
static enum mica_error invoke_notification(struct invocation *inv)
{
	struct notification *n = (struct notification *)inv->slot->cap.object;
	uint64_t badge = inv->slot->cap.data;
	struct slot *vcpu;
	enum mica_error err;

	if (inv->label != MICA_NOTIFICATION_SET_ALARM &&
	    inv->label != MICA_NOTIFICATION_BIND_VIRQ &&
	    inv->label != MICA_NOTIFICATION_UNBIND_VIRQ)
		return MICA_ERR_ILLEGAL_OPERATION;
	if ((inv->slot->cap.rights & (MICA_RIGHT_READ | MICA_RIGHT_WRITE)) !=
	    (MICA_RIGHT_READ | MICA_RIGHT_WRITE))
		return MICA_ERR_NO_RIGHTS;
	if (inv->label == MICA_NOTIFICATION_UNBIND_VIRQ)
		return virq_unbind(n);
	if (inv->label == MICA_NOTIFICATION_BIND_VIRQ) {
		err = invoke_extra_cap(inv, 0, MICA_OBJ_VCPU, &vcpu);
		if (err != MICA_OK)
			return err;
		return virq_bind(n, (struct vcpu *)vcpu->cap.object, inv->arg[0], inv->arg[1],
				 inv->arg[2]);
	}
	if (badge != 0 && (inv->arg[1] & ~badge) != 0)
		return MICA_ERR_NO_RIGHTS;
	if (inv->arg[0] == 0)
		alarm_cancel(n);
	else
		alarm_set(n, inv->arg[0], inv->arg[1]);
	return MICA_OK;
}

/*
 * The message words each invocation reads, checked before any is: a
 * shorter message is MICA_ERR_TRUNCATED. (WRITE_REGISTERS reads as many
 * more as its count says, and checks those itself.) Laid out by hand, a
 * kind of object to a line or two.
 */
/* clang-format off */
static const uint8_t invoke_words[] = {
	[MICA_UNTYPED_RETYPE] = 6,
	[MICA_CNODE_COPY] = 5, [MICA_CNODE_MINT] = 5, [MICA_CNODE_MOVE] = 5,
	[MICA_CNODE_MUTATE] = 5, [MICA_CNODE_DELETE] = 2, [MICA_CNODE_REVOKE] = 2,
	[MICA_TCB_SET_IPC_BUFFER] = 1, [MICA_TCB_SET_PRIORITY] = 1, [MICA_TCB_SET_MCP] = 1,
	[MICA_TCB_READ_REGISTERS] = 1, [MICA_TCB_WRITE_REGISTERS] = 1, [MICA_TCB_SET_AFFINITY] = 1,
	[MICA_FRAME_MAP] = 3, [MICA_PAGE_TABLE_MAP] = 1,
	[MICA_IRQ_CONTROL_GET] = 3, [MICA_IRQ_HANDLER_SET_VCPU] = 1,
	[MICA_VCPU_SET_ENTRY] = 2, [MICA_VCPU_READ_REG] = 1, [MICA_VCPU_WRITE_REG] = 2,
	[MICA_VCPU_INJECT_IRQ] = 3, [MICA_VCPU_CLEAR_IRQ] = 1, [MICA_VCPU_SET_SGI] = 3,
	[MICA_VCPU_SET_TIMERS] = 2,
	[MICA_VM_BIND_MMIO] = 2, [MICA_VM_UNBIND_MMIO] = 1, [MICA_VM_BIND_SGI] = 1,
	[MICA_VM_UNBIND_SGI] = 1, [MICA_VM_BIND_DOORBELL] = 1, [MICA_VM_UNBIND_DOORBELL] = 1,
	[MICA_ASID_CONTROL_MAKE_POOL] = 3,
	[MICA_NOTIFICATION_BIND_VIRQ] = 3,
};
/* clang-format on */

enum mica_error invoke(struct invocation *inv)
{
	if (inv->slot->cap.type == MICA_OBJ_NULL)
		return MICA_ERR_INVALID_CAPABILITY;
	if (inv->label < sizeof(invoke_words) && inv->length < invoke_words[inv->label])
		return MICA_ERR_TRUNCATED;
	switch ((enum mica_object_type)inv->slot->cap.type) {
	case MICA_OBJ_UNTYPED:
		return invoke_untyped(inv);
	case MICA_OBJ_CNODE:
		return invoke_cnode(inv);
	case MICA_OBJ_TCB:
		return invoke_tcb(inv);
	case MICA_OBJ_FRAME_4K:
	case MICA_OBJ_FRAME_2M:
		return invoke_frame(inv);
	case MICA_OBJ_PAGE_TABLE:
		return invoke_page_table(inv);
	case MICA_OBJ_IRQ_CONTROL:
	case MICA_OBJ_IRQ_HANDLER:
		return invoke_irq(inv);
	case MICA_OBJ_VM:
		return invoke_vm(inv);
	case MICA_OBJ_VCPU:
		return vcpu_invoke(inv, (struct vcpu *)inv->slot->cap.object);
	case MICA_OBJ_ASID_CONTROL:
		return invoke_asid_control(inv);
	case MICA_OBJ_NOTIFICATION:
		return invoke_notification(inv);
	case MICA_OBJ_NULL:
	case MICA_OBJ_ASID_POOL:
	case MICA_OBJ_ENDPOINT:
	case MICA_OBJ_REPLY:
	case MICA_OBJ_VSPACE:
	case MICA_OBJ_TYPE_COUNT:
		break;
	}
	return MICA_ERR_ILLEGAL_OPERATION;
}
