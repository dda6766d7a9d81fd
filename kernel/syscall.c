/*
 * System-call dispatch: IPC, invocations of kernel objects, and the debug
 * calls. Each call validates all of its arguments before it changes
 * anything and reports a bad one with its own error code.
 */
#include <string.h>

#include "debug.h"
#include "invoke.h"
#include "ipc.h"
#include "preempt.h"
#include "sched.h"
#include "print.h"
#include "thread.h"
#include "vspace.h"

#include <mica/abi/context.h>
#include <mica/abi/fault.h>
#include <mica/abi/syscall.h>

/*
 * MICA_SYS_DEBUG_WRITE: every page of the buffer must be mapped readable
 * for the caller before a single byte is printed, so a bad buffer prints
 * nothing. The kernel reads user memory through the physmap, never through
 * the user's own mapping, so a bad address cannot fault in the kernel.
 */
static void sys_debug_write(struct tcb *t)
{
	uintptr_t buf = arch_regs_arg(&t->regs, 0);
	uintptr_t len = arch_regs_arg(&t->regs, 1);
	const struct cap *vcap = tcb_vspace(t);
	struct arch_vspace vs;
	uintptr_t end;

	if (len > MICA_DEBUG_WRITE_MAX) {
		arch_regs_set_result(&t->regs, MICA_ERR_RANGE, 0);
		return;
	}
	if (__builtin_add_overflow(buf, len, &end) || vcap == NULL) {
		arch_regs_set_result(&t->regs, MICA_ERR_BAD_ADDRESS, 0);
		return;
	}
	vs = vspace_of(vcap);
	for (uintptr_t page = ALIGN_DOWN(buf, PAGE_SIZE); page < end; page += PAGE_SIZE) {
		if (arch_vspace_translate(&vs, va_init(page), MAP_READ | MAP_USER).err != MICA_OK) {
			arch_regs_set_result(&t->regs, MICA_ERR_BAD_ADDRESS, 0);
			return;
		}
	}
	for (uintptr_t va = buf; va < end;) {
		uintptr_t chunk = ALIGN_DOWN(va, PAGE_SIZE) + PAGE_SIZE - va;
		struct ret r = arch_vspace_translate(&vs, va_init(va), MAP_READ | MAP_USER);

		if (chunk > end - va)
			chunk = end - va;
		print_write(arch_phys_to_virt(pa_init(r.val)), chunk);
		va += chunk;
	}
	arch_regs_set_result(&t->regs, MICA_OK, len);
}

static void sys_system_off(struct tcb *t)
{
	uintptr_t status = arch_regs_arg(&t->regs, 0);

	if (status > 255) {
		arch_regs_set_result(&t->regs, MICA_ERR_RANGE, 0);
		return;
	}
	/* Ending the whole system is the root task's authority alone. */
	if (!t->is_root) {
		arch_regs_set_result(&t->regs, MICA_ERR_NO_RIGHTS, 0);
		return;
	}
	kprintf("mica: system off requested by %s, status %lu (%lu timer ticks)\n", t->name,
		(unsigned long)status, (unsigned long)sched_ticks());
	arch_power_off((int)status);
}

/* Look up the capability at cptr (depth 64) in t's CSpace. */
static enum mica_error lookup(struct tcb *t, uint64_t cptr, struct slot **out)
{
	struct slot_ret r = cspace_lookup(&t->slots[TCB_SLOT_CSPACE].cap, cptr, 64);

	if (r.err != MICA_OK)
		return r.err;
	if (slot_is_empty(r.slot))
		return MICA_ERR_INVALID_CAPABILITY;
	*out = r.slot;
	return MICA_OK;
}

/* Word i of t's message: registers first, then the IPC buffer. */
static uint64_t message_word(struct tcb *t, const struct mica_ipc_buffer *buf, unsigned i)
{
	if (i < MICA_MSG_REGISTERS)
		return arch_regs_get_mr(&t->regs, i);
	return buf != NULL ? buf->mr[i] : 0;
}

static void sys_invoke(struct tcb *t, struct slot *slot, uint64_t info)
{
	struct invocation inv = {.caller = t, .slot = slot, .label = mica_msg_label(info)};
	struct mica_ipc_buffer *buf = tcb_ipc_buffer(t);
	enum mica_error err = MICA_OK;

	inv.length = mica_msg_length(info);
	if (inv.length > MICA_MSG_MAX_LENGTH)
		inv.length = MICA_MSG_MAX_LENGTH;
	for (unsigned i = 0; i < INVOKE_MAX_ARGS && i < inv.length; i++)
		inv.arg[i] = message_word(t, buf, i);
	inv.extra_count = mica_msg_caps(info);
	if (inv.extra_count > 0 && buf == NULL)
		err = MICA_ERR_INVALID_ARGUMENT; /* Capabilities travel in the IPC buffer. */
	/* Address 0 (the null slot) passes "no capability" where one is optional. */
	for (unsigned i = 0; err == MICA_OK && i < inv.extra_count; i++)
		if (buf->caps[i] != 0)
			err = lookup(t, buf->caps[i], &inv.extra[i]);
	if (err == MICA_OK)
		err = invoke(&inv);
	if (err == ERR_PREEMPTED) {
		/* Made again once the interrupt waiting is handled; it goes on where it stopped. */
		arch_regs_restart_syscall(&t->regs);
		debug_preempted();
		return;
	}
	if (err != MICA_OK)
		inv.result_count = 0;
	if (inv.result_count > MICA_MSG_REGISTERS && buf == NULL)
		inv.result_count = MICA_MSG_REGISTERS;
	for (unsigned i = 0; i < inv.result_count; i++) {
		if (i < MICA_MSG_REGISTERS)
			arch_regs_set_mr(&t->regs, i, inv.result[i]);
		else
			buf->mr[i] = inv.result[i];
	}
	ipc_set_result(t, err, 0, mica_msg_info(0, 0, inv.result_count));
}

static void sys_send(struct tcb *t, bool is_call, bool blocking)
{
	uint64_t info = arch_regs_arg(&t->regs, 1);
	struct slot *s;
	enum mica_error err = lookup(t, arch_regs_arg(&t->regs, 0), &s);
	unsigned rights;

	if (err != MICA_OK) {
		ipc_set_result(t, err, 0, 0);
		return;
	}
	rights = s->cap.rights;
	switch (s->cap.type) {
	case MICA_OBJ_ENDPOINT: {
		struct send_args args = {
			.badge = s->cap.data,
			.is_call = is_call,
			.can_grant = (rights & MICA_RIGHT_GRANT) != 0,
			.can_grant_reply = (rights & MICA_RIGHT_GRANT_REPLY) != 0,
			.blocking = blocking,
		};

		if (!(rights & MICA_RIGHT_WRITE) ||
		    (is_call && !(rights & MICA_RIGHT_GRANT_REPLY))) {
			ipc_set_result(t, MICA_ERR_NO_RIGHTS, 0, 0);
			return;
		}
		endpoint_send(t, (struct endpoint *)s->cap.object, &args);
		return;
	}
	case MICA_OBJ_NOTIFICATION:
		if (is_call) {
			sys_invoke(t, s, info);
			return;
		}
		if (!(rights & MICA_RIGHT_WRITE)) {
			ipc_set_result(t, MICA_ERR_NO_RIGHTS, 0, 0);
			return;
		}
		notification_signal((struct notification *)s->cap.object, s->cap.data);
		ipc_set_result(t, MICA_OK, 0, 0);
		return;
	case MICA_OBJ_REPLY:
		/* Sending through a reply object answers its caller. */
		reply_send(t, (struct reply *)s->cap.object);
		ipc_set_result(t, MICA_OK, 0, 0);
		return;
	default:
		if (is_call)
			sys_invoke(t, s, info);
		else
			ipc_set_result(t, MICA_ERR_WRONG_TYPE, 0, 0);
		return;
	}
}

/* Receive (after replying, for ReplyRecv). Everything is looked up first. */
static void sys_receive(struct tcb *t, bool blocking, bool reply_first)
{
	uint64_t reply_cptr = arch_regs_arg(&t->regs, 6);
	struct slot *s, *reply_slot = NULL;
	struct reply *reply = NULL;
	enum mica_error err = lookup(t, arch_regs_arg(&t->regs, 0), &s);

	if (err == MICA_OK && reply_cptr != 0) {
		err = lookup(t, reply_cptr, &reply_slot);
		if (err == MICA_OK && reply_slot->cap.type != MICA_OBJ_REPLY)
			err = MICA_ERR_WRONG_TYPE;
		if (err == MICA_OK)
			reply = (struct reply *)reply_slot->cap.object;
	}
	if (err == MICA_OK && !(s->cap.rights & MICA_RIGHT_READ))
		err = MICA_ERR_NO_RIGHTS;
	if (err == MICA_OK && s->cap.type != MICA_OBJ_ENDPOINT &&
	    s->cap.type != MICA_OBJ_NOTIFICATION)
		err = MICA_ERR_WRONG_TYPE;
	if (err == MICA_OK && reply_first && reply == NULL)
		err = MICA_ERR_INVALID_CAPABILITY;
	if (err != MICA_OK) {
		ipc_set_result(t, err, 0, 0);
		return;
	}
	if (reply_first)
		reply_send(t, reply);
	if (s->cap.type == MICA_OBJ_NOTIFICATION)
		notification_wait(t, (struct notification *)s->cap.object, blocking);
	else
		endpoint_receive(t, (struct endpoint *)s->cap.object, reply, blocking);
}

void syscall_dispatch(struct tcb *t)
{
	uintptr_t nr = arch_regs_syscall(&t->regs);

	switch (nr) {
	case MICA_SYS_DEBUG_WRITE:
		sys_debug_write(t);
		break;
	case MICA_SYS_SYSTEM_OFF:
		sys_system_off(t);
		break;
	case MICA_SYS_SEND:
		sys_send(t, false, true);
		break;
	case MICA_SYS_NBSEND:
		sys_send(t, false, false);
		break;
	case MICA_SYS_CALL:
		sys_send(t, true, true);
		break;
	case MICA_SYS_RECV:
		sys_receive(t, true, false);
		break;
	case MICA_SYS_NBRECV:
		sys_receive(t, false, false);
		break;
	case MICA_SYS_REPLY_RECV:
		sys_receive(t, true, true);
		break;
	case MICA_SYS_YIELD:
		sched_yield();
		break;
#ifdef MICA_CONFIG_DEBUG
	case MICA_SYS_DEBUG_CHECK: {
		struct slot *s;
		enum mica_error err = lookup(t, arch_regs_arg(&t->regs, 0), &s);

		if (err == MICA_OK && s->cap.type != MICA_OBJ_CNODE)
			err = MICA_ERR_WRONG_TYPE;
		arch_regs_set_result(&t->regs, err, err == MICA_OK ? debug_check(&s->cap) : 0);
		break;
	}
	case MICA_SYS_DEBUG_STRETCH:
		arch_regs_set_result(&t->regs, MICA_OK, debug_stretch_take_longest());
		arch_regs_set(&t->regs, MICA_CTX_X0 + 2, debug_take_preemptions());
		break;
#endif
	default:
		if (t->slots[TCB_SLOT_FAULT_EP].cap.type == MICA_OBJ_ENDPOINT) {
			uint64_t mr[4] = {arch_regs_pc(&t->regs),
					  arch_regs_get(&t->regs, MICA_CTX_SP), nr, 0};

			thread_fault(t, MICA_FAULT_UNKNOWN_SYSCALL, mr, 4);
		} else {
			arch_regs_set_result(&t->regs, MICA_ERR_UNKNOWN_SYSCALL, 0);
		}
		break;
	}
}
