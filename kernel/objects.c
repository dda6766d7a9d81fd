/*
 * The object layer: what each kind of kernel object needs when Untyped
 * memory becomes one, and when its capabilities go away.
 */
#include <string.h>

#include "alarm.h"
#include "ipc.h"
#include "irq.h"
#include "objects.h"
#include "sched.h"
#include "smp.h"
#include "thread.h"
#include "vcpu.h"
#include "virq.h"
#include "vm.h"
#include "vspace.h"

unsigned object_size_bits(enum mica_object_type type, unsigned user_bits)
{
	return mica_object_size_bits(type, user_bits);
}

struct cap object_create(enum mica_object_type type, paddr_t pa, unsigned user_bits, bool is_device,
			 const struct cap *pool)
{
	struct cap c = {.type = (uint8_t)type, .rights = MICA_RIGHTS_ALL};
	void *obj = is_device ? NULL : arch_phys_to_virt(pa);

	switch (type) {
	case MICA_OBJ_UNTYPED:
		c.object = pa_addr(pa);
		c.size_bits = (uint8_t)user_bits;
		c.is_device = is_device;
		break;
	case MICA_OBJ_FRAME_4K:
	case MICA_OBJ_FRAME_2M:
		c.object = pa_addr(pa);
		c.size_bits = (uint8_t)object_size_bits(type, 0);
		c.is_device = is_device;
		break;
	case MICA_OBJ_CNODE:
		c.object = (uintptr_t)obj;
		c.size_bits = (uint8_t)user_bits;
		break;
	case MICA_OBJ_TCB:
		tcb_init(obj);
		c.object = (uintptr_t)obj;
		break;
	case MICA_OBJ_VSPACE:
	case MICA_OBJ_VM:
		c.object = (uintptr_t)obj;
		vspace_create(&c, (unsigned)pool->data);
		break;
	case MICA_OBJ_VCPU:
		vcpu_init(obj);
		c.object = (uintptr_t)obj;
		break;
	case MICA_OBJ_ENDPOINT:
	case MICA_OBJ_NOTIFICATION:
	case MICA_OBJ_REPLY:
	case MICA_OBJ_PAGE_TABLE:
		c.object = (uintptr_t)obj; /* Zeroed memory is a fresh object. */
		break;
	case MICA_OBJ_NULL:
	case MICA_OBJ_IRQ_CONTROL:
	case MICA_OBJ_IRQ_HANDLER:
	case MICA_OBJ_ASID_CONTROL:
	case MICA_OBJ_ASID_POOL:
	case MICA_OBJ_TYPE_COUNT:
		break;
	}
	return c;
}

struct slot *object_slots(const struct cap *cap, size_t *count)
{
	switch (cap->type) {
	case MICA_OBJ_CNODE:
		*count = (size_t)1 << cap->size_bits;
		return (struct slot *)cap->object;
	case MICA_OBJ_TCB:
		*count = TCB_SLOT_COUNT;
		return ((struct tcb *)cap->object)->slots;
	case MICA_OBJ_VM:
		*count = VM_SLOTS;
		return vm_of(cap)->slots;
	default:
		*count = 0;
		return NULL;
	}
}

void object_dying(const struct cap *cap)
{
	/* Its thread runs no more, even if the destruction stops part-way. */
	if (cap->type == MICA_OBJ_TCB)
		thread_suspend((struct tcb *)cap->object);
}

void object_cap_removed(const struct cap *cap, bool final)
{
	/* A mapping belongs to the capability that made it. */
	if (cap->type == MICA_OBJ_FRAME_4K || cap->type == MICA_OBJ_FRAME_2M) {
		struct cap copy = *cap;

		frame_unmap(&copy);
	} else if (cap->type == MICA_OBJ_PAGE_TABLE) {
		struct cap copy = *cap;

		page_table_unmap(&copy);
	}
	if (!final)
		return;
	switch (cap->type) {
	case MICA_OBJ_TCB: {
		struct tcb *t = (struct tcb *)cap->object;

		thread_suspend(t);
		t->is_destroyed = true;
		sched_fp_forget(t);
		if (t->vcpu != NULL)
			vcpu_unbind(t->vcpu);
		if (t->bound_notification != NULL)
			notification_unbind(t->bound_notification);
		if (t == thread_current())
			sched_block(t); /* schedule() will not pick it again. */
		break;
	}
	case MICA_OBJ_ENDPOINT:
		endpoint_destroy((struct endpoint *)cap->object);
		break;
	case MICA_OBJ_NOTIFICATION:
		irq_forget_notification((struct notification *)cap->object);
		alarm_cancel((struct notification *)cap->object);
		(void)virq_unbind((struct notification *)cap->object);
		notification_destroy((struct notification *)cap->object);
		break;
	case MICA_OBJ_REPLY:
		reply_destroy((struct reply *)cap->object);
		break;
	case MICA_OBJ_VSPACE:
	case MICA_OBJ_VM:
		vspace_destroy(cap);
		break;
	case MICA_OBJ_VCPU:
		smp_claim_vcpu((struct vcpu *)cap->object);
		vcpu_destroy((struct vcpu *)cap->object);
		break;
	case MICA_OBJ_IRQ_HANDLER:
		irq_handler_destroy((uint32_t)cap->data);
		break;
	case MICA_OBJ_ASID_POOL:
		asid_pool_destroy(cap);
		break;
	case MICA_OBJ_NULL:
	case MICA_OBJ_UNTYPED:
	case MICA_OBJ_CNODE:
	case MICA_OBJ_FRAME_4K:
	case MICA_OBJ_FRAME_2M:
	case MICA_OBJ_PAGE_TABLE:
	case MICA_OBJ_IRQ_CONTROL:
	case MICA_OBJ_ASID_CONTROL:
	case MICA_OBJ_TYPE_COUNT:
		break;
	}
}
