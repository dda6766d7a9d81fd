/*
 * Robustness: a thread holding a handful of real capabilities, in a CSpace
 * of its own, makes 100,000 random system calls with random capability
 * addresses, labels, arguments and IPC-buffer contents. The kernel must
 * neither crash nor hang, and its invariants must hold afterwards
 * (MICA_SYS_DEBUG_CHECK). A lowest-priority "rescuer" thread suspends and
 * resumes the stress thread whenever it blocks, so blocking receives are
 * exercised too; the root task handles its faults.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/fault.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "check.h"

#define CALLS	     100000u
#define DONE_SYSCALL 0x4d494341u /* An unknown number: the "done" fault. */
#define STRESS_RADIX 6
#define STRESS_SELF  9 /* The slot of the stress CSpace that holds its own root. */
#define ROOT	     MICA_CAP_ROOT_CNODE

static uint64_t next_slot, untyped;
static uint64_t ep, fault_ep, server_reply, root_reply, server_tcb, stress_tcb, rescuer_tcb;

static uint64_t make(enum mica_object_type type, unsigned bits)
{
	uint64_t slot = next_slot++;

	CHECK(mica_untyped_retype(untyped, type, bits, ROOT, 0, 0, slot, 1) == MICA_OK);
	return slot;
}

static uint64_t thread(void (*fn)(void), const uint8_t *stack_top, unsigned prio, uint64_t cspace,
		       uint64_t fault, const char *name)
{
	return check_thread(make, fn, stack_top, prio, cspace, fault, name);
}

static uint8_t server_stack[8192] __attribute__((aligned(16)));
static uint8_t stress_stack[16384] __attribute__((aligned(16)));
static uint8_t rescuer_stack[4096] __attribute__((aligned(16)));

static void server(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	(void)mica_recv(ep, server_reply, mr);
	for (;;) {
		mr[0]++;
		(void)mica_reply_recv(ep, server_reply, mica_msg_info(0, 0, 1), mr);
	}
}

/* Runs only when everyone else is blocked: then unblock the stress thread. */
static void rescuer(void)
{
	for (;;) {
		(void)mica_tcb_suspend(stress_tcb);
		(void)mica_tcb_resume(stress_tcb);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* Mostly a slot that holds something, sometimes anything at all. */
static uint64_t rnd_cptr(void)
{
	uint64_t r = rnd();

	return (r & 3) != 0 ? (r >> 8) % 16 : rnd();
}

static const uint64_t labels[] = {
	MICA_UNTYPED_RETYPE,
	MICA_CNODE_COPY,
	MICA_CNODE_MINT,
	MICA_CNODE_MOVE,
	MICA_CNODE_MUTATE,
	MICA_CNODE_DELETE,
	MICA_CNODE_REVOKE,
	MICA_TCB_SET_SPACE,
	MICA_TCB_SET_IPC_BUFFER,
	MICA_TCB_SET_PRIORITY,
	MICA_TCB_SET_MCP,
	MICA_TCB_READ_REGISTERS,
	MICA_TCB_WRITE_REGISTERS,
	MICA_TCB_RESUME,
	MICA_TCB_SUSPEND,
	MICA_TCB_BIND_NOTIFICATION,
	MICA_TCB_UNBIND_NOTIFICATION,
	MICA_TCB_SET_NAME,
	MICA_FRAME_MAP,
	MICA_FRAME_UNMAP,
	MICA_FRAME_GET_ADDRESS,
	MICA_PAGE_TABLE_MAP,
	MICA_PAGE_TABLE_UNMAP,
	MICA_IRQ_CONTROL_GET,
	MICA_IRQ_HANDLER_ACK,
	MICA_IRQ_HANDLER_SET_NOTIFICATION,
	MICA_IRQ_HANDLER_CLEAR,
};

/* A small argument: a slot number, an object type, a size, an address... */
static uint64_t rnd_arg(void)
{
	switch (rnd() % 6) {
	case 0:
		return rnd() % 16;
	case 1:
		return rnd() % 70;
	case 2:
		return (rnd() % 0x80) << 21; /* A user address, 2 MiB aligned. */
	case 3:
		return 0x7fff000000ull + (rnd() % 64) * 0x1000;
	case 4:
		return rnd() % MICA_OBJ_TYPE_COUNT;
	default:
		return rnd();
	}
}

/*
 * The kernel's invariants (the test kernel's checker, over everything the
 * root CNode reaches) hold every CHECK_EVERY calls, not only at the end,
 * so a broken one is caught near the call that broke it.
 */
#define CHECK_EVERY 256u

static unsigned checks_made;

static void check_invariants(unsigned call)
{
	struct mica_raw check = {{0}};

	/* The stress thread's own CSpace, all it can reach (unless it deleted that slot). */
	check.x[0] = STRESS_SELF;
	mica_syscall_raw(MICA_SYS_DEBUG_CHECK, &check);
	if (check.x[0] == MICA_OK)
		checks_made++;
	if (check.x[0] == MICA_OK && check.x[1] != 0) {
		printf("FAIL %s:%d after call %u: %llu broken kernel invariants (error %llu)\n",
		       __FILE__, __LINE__, call, (unsigned long long)check.x[1],
		       (unsigned long long)check.x[0]);
		check_failures++;
	}
}

/* How often each error came back from an IPC or invocation (x6), for the report. */
static unsigned results[32];

static void stress(void)
{
	struct mica_ipc_buffer *buf = mica_ipc_buffer();
	static const uint64_t numbers[] = {
		MICA_SYS_DEBUG_WRITE, MICA_SYS_SEND,   MICA_SYS_NBSEND,	    MICA_SYS_CALL,
		MICA_SYS_RECV,	      MICA_SYS_NBRECV, MICA_SYS_REPLY_RECV, MICA_SYS_YIELD,
		MICA_SYS_DEBUG_CHECK, MICA_SYS_CALL,   MICA_SYS_CALL,	    MICA_SYS_CALL};
	struct mica_raw r;

	for (unsigned i = 0; i < CALLS; i++) {
		uint64_t nr = numbers[rnd() % (sizeof(numbers) / sizeof(numbers[0]))];
		uint64_t label = (rnd() & 1) ? labels[rnd() % (sizeof(labels) / sizeof(labels[0]))]
					     : rnd() % 100;

		if (rnd() % 64 == 0)
			nr = 11 + rnd() % 1000; /* Unknown: a fault the root task answers. */
		for (unsigned j = 0; j < 16; j++)
			buf->mr[j] = rnd_arg();
		for (unsigned j = 0; j < MICA_MSG_MAX_EXTRA_CAPS; j++)
			buf->caps[j] = rnd_cptr();
		buf->receive_cnode = rnd_cptr();
		buf->receive_index = rnd() % 70;
		buf->receive_depth = rnd() % 3 == 0 ? rnd() % 70 : 64;
		r.x[0] = rnd_cptr();
		r.x[1] = mica_msg_info(label, (unsigned)rnd() % 4, (unsigned)rnd() % 12);
		for (unsigned j = 2; j < 6; j++)
			r.x[j] = rnd_arg();
		r.x[6] = rnd_cptr();
		if (nr == MICA_SYS_DEBUG_WRITE) {
			/* Only addresses that hold nothing, so nothing prints. */
			r.x[0] = (rnd() & 1) ? rnd() : 0x100000 + rnd() % 0x1000;
			r.x[1] = rnd() % 8192;
		}
		mica_syscall_raw(nr, &r);
		if (nr >= MICA_SYS_SEND && nr <= MICA_SYS_REPLY_RECV)
			results[r.x[6] < 31 ? r.x[6] : 31]++;
		if (i % CHECK_EVERY == 0)
			check_invariants(i);
	}
	r.x[0] = 0;
	mica_syscall_raw(DONE_SYSCALL, &r);
	for (;;)
		mica_yield();
}

int main(void)
{
	const struct mica_boot_info *info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	uint64_t stress_cnode, stress_root, pool, mr[MICA_MSG_REGISTERS] = {0};
	unsigned faults = 0;
	struct mica_raw check = {{0}};

	printf("START stress\n");
	next_slot = info->empty_first;
	for (uint64_t i = 0; i < info->untyped_count; i++)
		if (!info->untyped[i].is_device && info->untyped[i].size_bits >= 22) {
			untyped = info->untyped_first + i;
			break;
		}
	ep = make(MICA_OBJ_ENDPOINT, 0);
	fault_ep = next_slot++;
	CHECK(mica_cnode_mint(ROOT, fault_ep, 64, ROOT, make(MICA_OBJ_ENDPOINT, 0), 64,
			      MICA_RIGHTS_ALL, 0xfa) == MICA_OK);
	server_reply = make(MICA_OBJ_REPLY, 0);
	root_reply = make(MICA_OBJ_REPLY, 0);

	/* The stress thread's own CSpace, holding a few real capabilities. */
	stress_cnode = make(MICA_OBJ_CNODE, STRESS_RADIX);
	stress_root = next_slot++;
	CHECK(mica_cnode_mint(ROOT, stress_root, 64, ROOT, stress_cnode, 64, MICA_RIGHTS_ALL,
			      64 - STRESS_RADIX) == MICA_OK);
	CHECK(mica_cnode_copy(stress_cnode, 1, STRESS_RADIX, ROOT, ep, 64, MICA_RIGHTS_ALL) ==
	      MICA_OK);
	CHECK(mica_untyped_retype(untyped, MICA_OBJ_NOTIFICATION, 0, stress_cnode, 0, 0, 2, 1) ==
	      MICA_OK);
	CHECK(mica_untyped_retype(untyped, MICA_OBJ_UNTYPED, 16, stress_cnode, 0, 0, 3, 1) ==
	      MICA_OK);
	CHECK(mica_untyped_retype(untyped, MICA_OBJ_CNODE, 4, stress_cnode, 0, 0, 4, 1) == MICA_OK);
	CHECK(mica_untyped_retype(untyped, MICA_OBJ_FRAME_4K, 0, stress_cnode, 0, 0, 5, 1) ==
	      MICA_OK);
	CHECK(mica_untyped_retype(untyped, MICA_OBJ_PAGE_TABLE, 0, stress_cnode, 0, 0, 6, 1) ==
	      MICA_OK);
	CHECK(mica_untyped_retype(untyped, MICA_OBJ_REPLY, 0, stress_cnode, 0, 0, 7, 1) == MICA_OK);
	CHECK(mica_untyped_retype(untyped, MICA_OBJ_TCB, 0, stress_cnode, 0, 0, 8, 1) == MICA_OK);
	CHECK(mica_cnode_copy(stress_cnode, STRESS_SELF, STRESS_RADIX, ROOT, stress_root, 64,
			      MICA_RIGHTS_ALL) == MICA_OK);
	pool = next_slot++;
	CHECK_OK(mica_asid_control_make_pool(MICA_CAP_ASID_CONTROL, MICA_ASID_POOL_VSPACE, ROOT,
					     pool, 64));
	CHECK_OK(mica_untyped_retype_space(untyped, MICA_OBJ_VSPACE, pool, stress_cnode, 0, 0, 10,
					   1));
	CHECK(mica_cnode_mint(stress_cnode, 11, STRESS_RADIX, ROOT, ep, 64, MICA_RIGHTS_ALL, 7) ==
	      MICA_OK);

	server_tcb = thread(server, server_stack + sizeof(server_stack), 100, ROOT, 0, "server");
	stress_tcb = thread(stress, stress_stack + sizeof(stress_stack), 50, stress_root, fault_ep,
			    "stress");
	rescuer_tcb = thread(rescuer, rescuer_stack + sizeof(rescuer_stack), 1, ROOT, 0, "rescuer");
	CHECK(mica_tcb_resume(server_tcb) == MICA_OK);
	CHECK(mica_tcb_resume(stress_tcb) == MICA_OK);
	CHECK(mica_tcb_resume(rescuer_tcb) == MICA_OK);

	/* Handle the stress thread's faults until it says it is done. */
	for (;;) {
		struct mica_msg m = mica_recv(fault_ep, root_reply, mr);

		if (m.err != MICA_OK || m.badge != 0xfa) {
			printf("FAIL %s:%d unexpected message (error %d, badge %llx)\n", __FILE__,
			       __LINE__, m.err, (unsigned long long)m.badge);
			check_failures++;
			break;
		}
		if (mica_msg_label(m.info) == MICA_FAULT_UNKNOWN_SYSCALL && mr[2] == DONE_SYSCALL)
			break;
		faults++;
		(void)mica_send(root_reply, mica_msg_info(MICA_FAULT_RESUME, 0, 0), mr);
	}
	CHECK(mica_tcb_suspend(rescuer_tcb) == MICA_OK);
	CHECK(mica_tcb_suspend(stress_tcb) == MICA_OK);
	printf("stress: %u random system calls made, %u faults handled\n", CALLS, faults);
	printf("stress: IPC and invocation results by error code:");
	for (unsigned i = 0; i < 32; i++)
		if (results[i] != 0)
			printf(" %u:%u", i, results[i]);
	printf("\n");

	/* The kernel's invariants hold, and our own capabilities still work. */
	check.x[0] = ROOT;
	mica_syscall_raw(MICA_SYS_DEBUG_CHECK, &check);
	CHECK(check.x[0] == MICA_OK);
	CHECK(check.x[1] == 0);
	mr[0] = 1;
	CHECK(mica_call(ep, mica_msg_info(0, 0, 1), mr).err == MICA_OK);
	CHECK(mr[0] == 2);
	printf("stress: kernel invariants hold (%llu broken; checked %u times on the way)\n",
	       (unsigned long long)check.x[1], checks_made);

	return check_finish("stress");
}
