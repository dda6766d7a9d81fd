/*
 * Threads and IPC inside the root task's address space: a server thread
 * answers Calls through a reply object; badges tell callers apart;
 * notifications OR their badges; a faulting thread is handled and resumed
 * by its fault handler; revoking a capability makes its copies stop
 * working; priorities decide who runs.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/fault.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

static const struct mica_boot_info *info;
static uint64_t next_slot;
static uint64_t untyped;

/* A new object of type in the next free root slot. */
static uint64_t make(enum mica_object_type type, unsigned bits)
{
	uint64_t slot = next_slot++;
	enum mica_error err = mica_untyped_retype(untyped, type, bits, ROOT, 0, 0, slot, 1);

	if (err != MICA_OK)
		printf("FAIL %s:%d retype of type %d: error %d\n", __FILE__, __LINE__, type, err);
	return slot;
}

/* A thread in this address space, started, running fn on its own stack. */
static uint64_t spawn(void (*fn)(void), const uint8_t *stack_top, unsigned priority,
		      uint64_t fault_ep, const char *name)
{
	uint64_t tcb = check_thread(make, fn, stack_top, priority, ROOT, fault_ep, name);

	CHECK_OK(mica_tcb_resume(tcb));
	return tcb;
}

static uint8_t server_stack[8192] __attribute__((aligned(16)));
static uint8_t faulter_stack[8192] __attribute__((aligned(16)));
static uint8_t low_stack[8192] __attribute__((aligned(16)));

static uint64_t ep, ntfn, park, server_reply, root_reply;

/* Answers each call with its first word plus one, and its badge. */
static void server(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(ep, server_reply, mr);

	for (;;) {
		mr[0] = mr[0] + 1;
		mr[1] = m.badge;
		m = mica_reply_recv(ep, server_reply, mica_msg_info(0, 0, 2), mr);
	}
}

#define FAULT_ADDRESS 0x0000007ff0000000ull

static volatile uint64_t faulter_progress;

static void faulter(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)FAULT_ADDRESS;

	faulter_progress = 1;
	*p = 42; /* Unmapped until the handler maps it. */
	faulter_progress = *p;
	(void)mica_signal(ntfn);
	for (;;)
		(void)mica_wait(park); /* Nobody signals it: blocked for good. */
}

static volatile int low_ran;

static void low(void)
{
	low_ran = 1;
	(void)mica_signal(ntfn);
	for (;;)
		mica_yield();
}

static void test_call_and_badges(void)
{
	uint64_t badged1 = next_slot++, badged2 = next_slot++;
	uint64_t mr[MICA_MSG_REGISTERS] = {41, 0, 0, 0};
	struct mica_msg m;

	m = mica_call(ep, mica_msg_info(7, 0, 1), mr);
	CHECK(m.err == MICA_OK);
	CHECK(mr[0] == 42);
	CHECK(mr[1] == 0);
	CHECK(mica_msg_length(m.info) == 2);

	CHECK(mica_cnode_mint(ROOT, badged1, 64, ROOT, ep, 64, MICA_RIGHTS_ALL, 0x11) == MICA_OK);
	CHECK(mica_cnode_mint(ROOT, badged2, 64, ROOT, ep, 64, MICA_RIGHTS_ALL, 0x22) == MICA_OK);
	/* A badge is set once. */
	CHECK(mica_cnode_mint(ROOT, next_slot, 64, ROOT, badged1, 64, MICA_RIGHTS_ALL, 0x33) ==
	      MICA_ERR_ILLEGAL_OPERATION);
	mr[0] = 1;
	CHECK(mica_call(badged1, mica_msg_info(0, 0, 1), mr).err == MICA_OK);
	CHECK(mr[1] == 0x11);
	mr[0] = 1;
	CHECK(mica_call(badged2, mica_msg_info(0, 0, 1), mr).err == MICA_OK);
	CHECK(mr[1] == 0x22);

	/* Revoking the original takes the badged copies with it. */
	CHECK(mica_cnode_revoke(ROOT, ep, 64) == MICA_OK);
	mr[0] = 1;
	CHECK(mica_call(badged1, mica_msg_info(0, 0, 1), mr).err == MICA_ERR_INVALID_CAPABILITY);
	mr[0] = 5;
	CHECK(mica_call(ep, mica_msg_info(0, 0, 1), mr).err == MICA_OK);
	CHECK(mr[0] == 6);

	/* Without write rights there is no sending. */
	CHECK(mica_cnode_mint(ROOT, badged1, 64, ROOT, ep, 64, MICA_RIGHT_READ, 0) == MICA_OK);
	CHECK(mica_call(badged1, mica_msg_info(0, 0, 1), mr).err == MICA_ERR_NO_RIGHTS);
	printf("ipc: call, reply, badges and revoke work\n");
}

static void test_notifications(void)
{
	uint64_t n1 = next_slot++, n2 = next_slot++;
	struct mica_msg m;

	CHECK(mica_cnode_mint(ROOT, n1, 64, ROOT, ntfn, 64, MICA_RIGHTS_ALL, 0x1) == MICA_OK);
	CHECK(mica_cnode_mint(ROOT, n2, 64, ROOT, ntfn, 64, MICA_RIGHTS_ALL, 0x4) == MICA_OK);
	CHECK(mica_signal(n1) == MICA_OK);
	CHECK(mica_signal(n2) == MICA_OK);
	m = mica_poll(ntfn);
	CHECK(m.err == MICA_OK);
	CHECK(m.badge == 0x5);
	m = mica_poll(ntfn);
	CHECK(m.badge == 0);
	printf("ipc: notification badges are ORed\n");
}

static void test_fault_handling(void)
{
	uint64_t fault_ep = next_slot++;
	uint64_t page = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m;

	CHECK(mica_cnode_mint(ROOT, fault_ep, 64, ROOT, ep, 64, MICA_RIGHTS_ALL, 0x99) == MICA_OK);
	/* The server must not take the fault: it runs at a lower priority than us. */
	spawn(faulter, faulter_stack + sizeof(faulter_stack), 200, fault_ep, "faulter");
	m = mica_recv(ep, root_reply, mr);
	CHECK(m.err == MICA_OK);
	CHECK(m.badge == 0x99);
	CHECK(mica_msg_label(m.info) == MICA_FAULT_VM);
	CHECK(mr[1] == FAULT_ADDRESS);
	CHECK(mr[2] == MICA_FAULT_VM_WRITE);
	CHECK(faulter_progress == 1);
	/* No table covers that address yet: the kernel says so, we add one. */
	CHECK(mica_frame_map(page, MICA_CAP_ROOT_VSPACE, FAULT_ADDRESS,
			     MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0) == MICA_ERR_LOOKUP_FAILED);
	CHECK(mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), MICA_CAP_ROOT_VSPACE,
				  FAULT_ADDRESS) == MICA_OK);
	CHECK(mica_frame_map(page, MICA_CAP_ROOT_VSPACE, FAULT_ADDRESS,
			     MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0) == MICA_OK);
	/* Resume the faulter, and wait for its signal. */
	(void)mica_reply_recv(ntfn, root_reply, mica_msg_info(MICA_FAULT_RESUME, 0, 0), mr);
	CHECK(faulter_progress == 42);
	printf("ipc: a fault is handled and the thread resumed\n");
}

static void test_priorities(void)
{
	/* A lower-priority thread runs only when we block. */
	spawn(low, low_stack + sizeof(low_stack), 10, 0, "low");
	for (int i = 0; i < 1000; i++)
		mica_yield();
	CHECK(low_ran == 0);
	(void)mica_wait(ntfn);
	CHECK(low_ran == 1);
	/* Nobody may raise a priority above their own maximum. */
	CHECK(mica_tcb_set_mcp(MICA_CAP_ROOT_TCB, 100) == MICA_OK);
	CHECK(mica_tcb_set_priority(MICA_CAP_ROOT_TCB, 101) == MICA_ERR_NO_RIGHTS);
	printf("ipc: priorities order threads\n");
}

int main(void)
{
	info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	printf("START ipc\n");
	CHECK(info->magic == MICA_BOOT_INFO_MAGIC);
	next_slot = info->empty_first;
	for (uint64_t i = 0; i < info->untyped_count; i++)
		if (!info->untyped[i].is_device && info->untyped[i].size_bits >= 22) {
			untyped = info->untyped_first + i;
			break;
		}
	CHECK(untyped != 0);
	ep = make(MICA_OBJ_ENDPOINT, 0);
	ntfn = make(MICA_OBJ_NOTIFICATION, 0);
	park = make(MICA_OBJ_NOTIFICATION, 0);
	server_reply = make(MICA_OBJ_REPLY, 0);
	root_reply = make(MICA_OBJ_REPLY, 0);
	spawn(server, server_stack + sizeof(server_stack), 100, 0, "server");

	test_call_and_badges();
	test_notifications();
	test_fault_handling();
	test_priorities();

	return check_finish("ipc");
}
