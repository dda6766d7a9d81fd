/*
 * The isolation attacks of issue 11, as regression tests: each group of
 * checks is one way an EL0 program with ordinary capabilities could reach
 * memory or kernel state it holds no capability to, or bring the kernel
 * down, and checks that the kernel refuses it and keeps running. Each group
 * prints one line, and only if every check in it passed.
 *
 *   1. DebugWrite from a device frame: refused with MICA_ERR_BAD_ADDRESS,
 *      printing nothing (the kernel reads user memory through its map of
 *      RAM, which holds no device memory).
 *   2. Unmapping a page table removes every mapping made through it: not
 *      reachable while unmapped, not back (onto memory reused since) when
 *      the table is mapped again; and deleting a frame capability never
 *      removes a mapping of another capability made in a VSpace that took
 *      over its ASID.
 *   3. A page-table capability cannot be copied or minted (a copy could
 *      map the same table twice); it can be moved.
 *   4. A thread whose CSpace root is deleted, the memory reused, makes a
 *      Call through its cached view of that CNode: an error or a fault,
 *      never a kernel panic.
 *   5. A thread whose VSpace is deleted never runs in a new VSpace made in
 *      the same memory (same table address, same ASID).
 *   6. An IPC buffer needs a frame capability with the write right.
 *
 * The groups run in the order 6, 3, 2, 5, 4, 1: the kernel this was
 * written against panics in groups 4 and 1, so they come last and the
 * others still report.
 *
 * Helper threads run in the root task's address space (or, in group 5, in
 * address spaces made here), their objects made from one large Untyped, as
 * in kernel_more.c. The root task runs at the highest priority, so a helper
 * runs only while the root task is blocked; settle() blocks it until every
 * helper above the idle thread has blocked too, which makes each step's
 * outcome deterministic.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/fault.h>
#include <mica/abi/syscall.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define ROOT   MICA_CAP_ROOT_CNODE
#define VSPACE MICA_CAP_ROOT_VSPACE
#define RW     (MICA_RIGHT_READ | MICA_RIGHT_WRITE)

#define PAGE	   (UINT64_C(1) << MICA_PAGE_BITS)
#define GIB	   (UINT64_C(1) << 30)
#define PAGE_WORDS (PAGE / sizeof(uint64_t))

/*
 * Regions of the root task's address space that nothing else uses, each in
 * a gigabyte of its own, so no translation table serves them until a group
 * makes one (the program sits at 4 MiB, the kernel's pages near 512 GiB).
 */
#define DEVICE_VA  UINT64_C(0x0000005000000000) /* Group 1. */
#define UNMAP_VA   UINT64_C(0x0000005100000000) /* Group 2. */
#define COPY_VA	   UINT64_C(0x0000005200000000) /* Group 3, and the next gigabyte. */
#define STALE_VA   UINT64_C(0x0000005400000000) /* Group 4. */
#define SCRATCH_VA UINT64_C(0x0000005500000000) /* Group 5. */
#define RO_VA	   UINT64_C(0x0000005600000000) /* Group 6. */

/* Where the address spaces made here (groups 2 and 5) have their pages. */
#define OTHER_VA UINT64_C(0x0000001000000000)

static const struct mica_boot_info *info;
static uint64_t next_slot;
static uint64_t untyped;

/*
 * Objects every group shares: the idle thread's notifications (and badged
 * capabilities to signal them with), a notification nobody signals, the
 * root task's reply object, and an endpoint for helpers' faults.
 */
static uint64_t settle_request, settle_done, signal_request, signal_done, park_ntfn, root_reply;
static uint64_t fault_ep;

/* A failure count at the start of the current group of checks. */
static int group_start_failures;

static void group_start(void)
{
	group_start_failures = check_failures;
}

/*
 * The group's line, which the QEMU test expects, only if every check in it
 * passed, and the kernel's invariants still held after it (the test kernel's
 * MICA_SYS_DEBUG_CHECK, over everything the root CNode reaches).
 */
static void group_end(const char *what)
{
	struct mica_raw check = {{0}};
	int failed;

	check.x[0] = MICA_CAP_ROOT_CNODE;
	mica_syscall_raw(MICA_SYS_DEBUG_CHECK, &check);
	CHECK_EQ(check.x[0], MICA_OK);
	CHECK_EQ(check.x[1], 0);
	failed = check_failures - group_start_failures;

	if (failed == 0)
		printf("attacks: %s\n", what);
	else
		printf("attacks: %d checks failed in \"%s\"\n", failed, what);
}

static volatile uint64_t *word_at(uint64_t va)
{
	return (volatile uint64_t *)(uintptr_t)va;
}

/* A new object of type in the next free root slot, made from Untyped ut. */
/* ASID pools for the VSpaces (and VMs) the attacks make, from the root task's ASIDControl. */
static uint64_t id_pool[2];

static enum mica_error retype_one(uint64_t ut, enum mica_object_type type, unsigned bits,
				  uint64_t slot)
{
	if (type == MICA_OBJ_VSPACE || type == MICA_OBJ_VM)
		return mica_untyped_retype_space(
			ut, type,
			id_pool[type == MICA_OBJ_VM ? MICA_ASID_POOL_VM : MICA_ASID_POOL_VSPACE],
			ROOT, 0, 0, slot, 1);
	return mica_untyped_retype(ut, type, bits, ROOT, 0, 0, slot, 1);
}

static uint64_t make_from(uint64_t ut, enum mica_object_type type, unsigned bits)
{
	uint64_t slot = next_slot++;
	enum mica_error err = retype_one(ut, type, bits, slot);

	if (err != MICA_OK) {
		printf("FAIL %s:%d retype of type %d: error %d\n", __FILE__, __LINE__, type, err);
		check_failures++;
	}
	return slot;
}

/* A new object of type in the next free root slot, made from the large Untyped. */
static uint64_t make(enum mica_object_type type, unsigned bits)
{
	return make_from(untyped, type, bits);
}

/* A copy of cap in the next free slot, with rights and (for endpoints and notifications) badge. */
static uint64_t mint(uint64_t cap, unsigned rights, uint64_t badge)
{
	uint64_t slot = next_slot++;

	CHECK_EQ(mica_cnode_mint(ROOT, slot, 64, ROOT, cap, 64, rights, badge), MICA_OK);
	return slot;
}

/* Level-2 and level-3 tables for va: each PageTable map fills the first missing level. */
static void map_tables(uint64_t vspace, uint64_t va)
{
	CHECK_EQ(mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), vspace, va), MICA_OK);
	CHECK_EQ(mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), vspace, va), MICA_OK);
}

/* A fresh zeroed frame mapped read-write at va in the root task, whose tables exist. */
static uint64_t map_new_frame(uint64_t va)
{
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);

	CHECK_EQ(mica_frame_map(frame, VSPACE, va, RW, 0), MICA_OK);
	return frame;
}

/*
 * A CNode of 2^radix slots for a helper's CSpace, and (returned) a copy of
 * it whose guard makes every address resolve in one step at depth 64, as
 * the root CNode's does: the layout the IPC fastpath caches. *cnode gets
 * the unguarded capability, which names slot i as (i, depth radix).
 */
static uint64_t make_cspace(uint64_t ut, unsigned radix, uint64_t *cnode)
{
	*cnode = make_from(ut, MICA_OBJ_CNODE, radix);
	return mint(*cnode, MICA_RIGHTS_ALL, 64 - radix);
}

/* Threads ------------------------------------------------------------------------------ */

/*
 * Helper threads never return; most end parked on a notification nobody
 * signals, so each needs a stack of its own for good.
 */
#define STACK_SIZE  4096
#define STACK_COUNT 16

static uint8_t stacks[STACK_COUNT][STACK_SIZE] __attribute__((aligned(16)));
static unsigned stacks_used;
static uint64_t ipc_va = MICA_ROOT_IPC_BUFFER_VA;

static uintptr_t take_stack(void)
{
	if (stacks_used == STACK_COUNT) {
		printf("FAIL %s:%d out of helper stacks\n", __FILE__, __LINE__);
		check_failures++;
		return (uintptr_t)stacks[STACK_COUNT - 1] + STACK_SIZE;
	}
	return (uintptr_t)stacks[stacks_used++] + STACK_SIZE;
}

static _Noreturn void park(void)
{
	for (;;)
		(void)mica_wait(park_ntfn);
}

/*
 * A thread in this address space, stopped: entry(arg) on the stack ending
 * at stack_top, in CSpace cspace, with its own IPC buffer page next to the
 * root task's (whose level-3 table exists already).
 */
static uint64_t create_thread(uintptr_t entry, uint64_t arg, uintptr_t stack_top, uint64_t cspace,
			      unsigned priority, uint64_t fault, const char *name)
{
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	ipc_va += PAGE;
	CHECK_EQ(mica_frame_map(frame, VSPACE, ipc_va, RW, 0), MICA_OK);
	CHECK_EQ(mica_tcb_set_space(tcb, cspace, VSPACE, fault), MICA_OK);
	CHECK_EQ(mica_tcb_set_ipc_buffer(tcb, ipc_va, frame), MICA_OK);
	CHECK_EQ(mica_tcb_set_priority(tcb, priority), MICA_OK);
	CHECK_EQ(mica_tcb_set_name(tcb, name), MICA_OK);
	regs[MICA_CTX_PC] = entry;
	regs[MICA_CTX_SP] = stack_top;
	regs[MICA_CTX_TPIDR] = ipc_va;
	regs[MICA_CTX_X0] = arg;
	CHECK_EQ(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
	return tcb;
}

/* A thread in the root task's CSpace, started. */
static uint64_t spawn(uintptr_t entry, unsigned priority, uint64_t fault, const char *name)
{
	uint64_t tcb = create_thread(entry, 0, take_stack(), ROOT, priority, fault, name);

	CHECK_EQ(mica_tcb_resume(tcb), MICA_OK);
	return tcb;
}

/*
 * The idle thread, at priority 1: it runs only when every other thread is
 * blocked, and then answers one settle request.
 */
static void idler(void)
{
	for (;;) {
		(void)mica_wait(settle_request);
		(void)mica_signal(signal_done);
	}
}

/*
 * Block until every helper thread has run as far as it can. The signals go
 * through badged capabilities: a notification's word is the OR of the
 * badges signalled, so an unbadged signal that finds nobody waiting is lost.
 */
static void settle(void)
{
	CHECK_EQ(mica_signal(signal_request), MICA_OK);
	CHECK_EQ(mica_wait(settle_done).err, MICA_OK);
}

/*
 * A fault a helper sent to fault_ep and is blocked on, if there is one:
 * m.err is MICA_OK then. The root task never answers it; deleting the
 * thread ends it.
 */
static struct mica_msg take_fault(uint64_t mr[MICA_MSG_REGISTERS])
{
	return mica_nbrecv(fault_ep, root_reply, mr);
}

/* Probes: does reading an address fault? ----------------------------------------------- */

#define PROBE_PRIORITY	   200
#define PROBE_FAULT_BADGE  UINT64_C(0x51)
#define PROBE_REPORT_BADGE UINT64_C(0x52)
#define PROBE_DONE	   1

static uint8_t probe_stack[STACK_SIZE] __attribute__((aligned(16)));
static uint64_t probe_ep, probe_fault, probe_report;
static volatile uint64_t probe_address;

/* Read probe_address once; report the word on the probe endpoint if that did not fault. */
static void prober(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	mr[0] = *word_at(probe_address);
	(void)mica_send(probe_report, mica_msg_info(PROBE_DONE, 0, 1), mr);
	park();
}

struct probe_result {
	bool faulted;
	uint64_t label;	  /* Of the fault message. */
	uint64_t address; /* MR1 of the fault message. */
	uint64_t value;	  /* What a read that did not fault saw. */
};

/*
 * Read va from a new thread in this address space that has a fault
 * endpoint, and say what happened. The thread is deleted afterwards, which
 * also ends it if it is stopped at its fault, so every probe can use the
 * same stack.
 */
static struct probe_result probe(uint64_t va)
{
	struct probe_result r = {0};
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t tcb;
	struct mica_msg m;

	probe_address = va;
	tcb = create_thread((uintptr_t)prober, 0, (uintptr_t)probe_stack + sizeof(probe_stack),
			    ROOT, PROBE_PRIORITY, probe_fault, "prober");
	CHECK_EQ(mica_tcb_resume(tcb), MICA_OK);
	m = mica_recv(probe_ep, root_reply, mr);
	CHECK_EQ(m.err, MICA_OK);
	if (m.badge == PROBE_FAULT_BADGE) {
		r.faulted = true;
		r.label = mica_msg_label(m.info);
		r.address = mr[1];
	} else {
		CHECK_EQ(m.badge, PROBE_REPORT_BADGE);
		r.value = mr[0];
	}
	CHECK_EQ(mica_cnode_delete(ROOT, tcb, 64), MICA_OK);
	return r;
}

#define CHECK_PROBE_FAULTS(r, va)                                                                  \
	do {                                                                                       \
		if (!(r).faulted) {                                                                \
			printf("FAIL %s:%d read of 0x%llx did not fault: it saw 0x%llx\n",         \
			       __FILE__, __LINE__, (unsigned long long)(va),                       \
			       (unsigned long long)(r).value);                                     \
			check_failures++;                                                          \
		} else {                                                                           \
			CHECK_EQ((r).label, MICA_FAULT_VM);                                        \
			CHECK_EQ((r).address, (va));                                               \
		}                                                                                  \
	} while (0)

#define CHECK_PROBE_READS(r, va, want)                                                             \
	do {                                                                                       \
		if ((r).faulted) {                                                                 \
			printf("FAIL %s:%d read of 0x%llx faulted\n", __FILE__, __LINE__,          \
			       (unsigned long long)(va));                                          \
			check_failures++;                                                          \
		} else {                                                                           \
			CHECK_EQ((r).value, (want));                                               \
		}                                                                                  \
	} while (0)

/* 1. DebugWrite from device memory ----------------------------------------------------- */

/*
 * QEMU virt's GIC (distributor, ITS, redistributors) and its PL011 sit in
 * [0x08000000, 0x0a000000): a device Untyped covering none of it serves,
 * as the CPU never touches the frame; only a kernel that reads it would.
 */
#define VIRT_GIC_UART_BASE UINT64_C(0x08000000)
#define VIRT_GIC_UART_END  UINT64_C(0x0a000000)

/* Printed by a DebugWrite only if the kernel prints part of a buffer it then refuses. */
static const char leak_marker[] = "attacks: printed from the page before a device page\n";

/* A device Untyped away from the GIC and the UART, or 0. */
static uint64_t pick_device_untyped(void)
{
	for (uint64_t i = 0; i < info->untyped_count; i++) {
		const struct mica_untyped_desc *d = &info->untyped[i];
		uint64_t end = d->paddr + (UINT64_C(1) << d->size_bits);

		if (d->is_device && d->size_bits >= MICA_PAGE_BITS &&
		    (end <= VIRT_GIC_UART_BASE || d->paddr >= VIRT_GIC_UART_END))
			return info->untyped_first + i;
	}
	return 0;
}

static void test_device_debug_write(void)
{
	const uint64_t device_va = DEVICE_VA + PAGE;
	const uint64_t marker_va = device_va - (sizeof(leak_marker) - 1);
	uint64_t device_ut = pick_device_untyped();
	uint64_t device = next_slot++;
	char *text = (char *)(uintptr_t)marker_va;

	group_start();
	CHECK(device_ut != 0);
	CHECK_EQ(mica_untyped_retype(device_ut, MICA_OBJ_FRAME_4K, 0, ROOT, 0, 0, device, 1),
		 MICA_OK);
	map_tables(VSPACE, DEVICE_VA);
	map_new_frame(DEVICE_VA);
	/* Read-only: nothing here ever touches the device itself. */
	CHECK_EQ(mica_frame_map(device, VSPACE, device_va, MICA_RIGHT_READ, 0), MICA_OK);

	/*
	 * A buffer that ends in the device page: the part before it is fine,
	 * but the whole buffer must be refused before a byte is printed (the
	 * QEMU test rejects the marker).
	 */
	for (unsigned i = 0; i < sizeof(leak_marker) - 1; i++)
		text[i] = leak_marker[i];
	CHECK_EQ(sys_debug_write(text, sizeof(leak_marker) - 1 + 16), MICA_ERR_BAD_ADDRESS);
	/* A buffer wholly in the device page. */
	CHECK_EQ(sys_debug_write((const void *)(uintptr_t)device_va, 16), MICA_ERR_BAD_ADDRESS);
	/* And the kernel is still here to answer. */
	CHECK_EQ(sys_debug_write(text, 0), MICA_OK);
	group_end("a DebugWrite from a device frame is refused, printing nothing");
}

/* 2. Unmapping a page table ------------------------------------------------------------ */

#define UNMAP_PATTERN UINT64_C(0x7ab1e0ff)
#define SMALL_BITS    14 /* A CNode of 2^8 slots fills it exactly. */
#define SMALL_RADIX   (SMALL_BITS - MICA_SLOT_BITS)

/*
 * (c) A VSpace that took over a deleted one's ASID: deleting a frame
 * capability whose mapping was in the old VSpace must not remove the
 * mapping another capability to the same frame made in the new one, at
 * the same address. The kernel gives out the lowest free ASID, so the new
 * VSpace gets the old one's; nothing runs in it, so its mapping is
 * observed by mapping a third copy at the same place, which must find the
 * place taken.
 */
static void check_asid_reuse(void)
{
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t first = next_slot++, second = next_slot++, third = next_slot++;
	uint64_t old_space = make(MICA_OBJ_VSPACE, 0);
	uint64_t new_space;

	CHECK_EQ(mica_cnode_copy(ROOT, first, 64, ROOT, frame, 64, MICA_RIGHTS_ALL), MICA_OK);
	CHECK_EQ(mica_cnode_copy(ROOT, second, 64, ROOT, frame, 64, MICA_RIGHTS_ALL), MICA_OK);
	CHECK_EQ(mica_cnode_copy(ROOT, third, 64, ROOT, frame, 64, MICA_RIGHTS_ALL), MICA_OK);
	map_tables(old_space, OTHER_VA);
	CHECK_EQ(mica_frame_map(first, old_space, OTHER_VA, RW, 0), MICA_OK);
	CHECK_EQ(mica_cnode_delete(ROOT, old_space, 64), MICA_OK);

	new_space = make(MICA_OBJ_VSPACE, 0);
	map_tables(new_space, OTHER_VA);
	CHECK_EQ(mica_frame_map(second, new_space, OTHER_VA, RW, 0), MICA_OK);
	CHECK_EQ(mica_frame_map(third, new_space, OTHER_VA, RW, 0), MICA_ERR_DELETE_FIRST);
	CHECK_EQ(mica_cnode_delete(ROOT, first, 64), MICA_OK);
	CHECK_EQ(mica_frame_map(third, new_space, OTHER_VA, RW, 0), MICA_ERR_DELETE_FIRST);
	CHECK_EQ(mica_cnode_delete(ROOT, new_space, 64), MICA_OK);
}

static void test_page_table_unmap(void)
{
	uint64_t small = make(MICA_OBJ_UNTYPED, SMALL_BITS);
	uint64_t frame = next_slot++, cnode = next_slot++;
	uint64_t upper = make(MICA_OBJ_PAGE_TABLE, 0), lower = make(MICA_OBJ_PAGE_TABLE, 0);
	struct probe_result r;

	group_start();
	CHECK_EQ(mica_page_table_map(upper, VSPACE, UNMAP_VA), MICA_OK);
	CHECK_EQ(mica_page_table_map(lower, VSPACE, UNMAP_VA), MICA_OK);
	CHECK_EQ(mica_untyped_retype(small, MICA_OBJ_FRAME_4K, 0, ROOT, 0, 0, frame, 1), MICA_OK);
	CHECK_EQ(mica_frame_map(frame, VSPACE, UNMAP_VA, RW, 0), MICA_OK);
	*word_at(UNMAP_VA) = UNMAP_PATTERN;
	r = probe(UNMAP_VA);
	CHECK_PROBE_READS(r, UNMAP_VA, UNMAP_PATTERN);

	/* (a) With the last-level table unmapped, the page is out of reach. */
	CHECK_EQ(mica_page_table_unmap(lower), MICA_OK);
	r = probe(UNMAP_VA);
	CHECK_PROBE_FAULTS(r, UNMAP_VA);

	/*
	 * (b) The frame deleted, its memory becomes a CNode (the kernel writes
	 * capabilities there), and the table is mapped again at the same place:
	 * the old page must not come back, now holding kernel data EL0 could
	 * read and forge.
	 */
	CHECK_EQ(mica_cnode_delete(ROOT, frame, 64), MICA_OK);
	CHECK_EQ(mica_untyped_retype(small, MICA_OBJ_CNODE, SMALL_RADIX, ROOT, 0, 0, cnode, 1),
		 MICA_OK);
	CHECK_EQ(mica_cnode_copy(cnode, 0, SMALL_RADIX, ROOT, probe_ep, 64, MICA_RIGHTS_ALL),
		 MICA_OK);
	CHECK_EQ(mica_page_table_map(lower, VSPACE, UNMAP_VA), MICA_OK);
	r = probe(UNMAP_VA);
	CHECK_PROBE_FAULTS(r, UNMAP_VA);
	CHECK_EQ(mica_page_table_unmap(lower), MICA_OK);
	CHECK_EQ(mica_cnode_delete(ROOT, cnode, 64), MICA_OK);

	check_asid_reuse();
	group_end("unmapping a page table takes every mapping made through it");
}

/* 3. Page-table capabilities are not copied ------------------------------------------- */

/*
 * Neither a copy nor a mint of table may be made. If a kernel makes one
 * anyway, say what it allows: the same table mapped at a second place.
 */
static void check_no_copy(uint64_t table, uint64_t second_va)
{
	uint64_t copy = next_slot++;
	enum mica_error err = mica_cnode_copy(ROOT, copy, 64, ROOT, table, 64, MICA_RIGHTS_ALL);

	CHECK_EQ(err, MICA_ERR_ILLEGAL_OPERATION);
	if (err == MICA_OK) {
		printf("attacks: a copy of a page table was made; mapping it at 0x%llx too: "
		       "error %d\n",
		       (unsigned long long)second_va, mica_page_table_map(copy, VSPACE, second_va));
		CHECK_EQ(mica_cnode_delete(ROOT, copy, 64), MICA_OK);
	}
	CHECK_EQ(mica_cnode_mint(ROOT, copy, 64, ROOT, table, 64, MICA_RIGHTS_ALL, 0),
		 MICA_ERR_ILLEGAL_OPERATION);
}

static void test_page_table_copy(void)
{
	uint64_t table = make(MICA_OBJ_PAGE_TABLE, 0);
	uint64_t moved = next_slot++;

	group_start();
	check_no_copy(table, COPY_VA + GIB);
	/* A level-2 table for a gigabyte with none yet. */
	CHECK_EQ(mica_page_table_map(table, VSPACE, COPY_VA), MICA_OK);
	check_no_copy(table, COPY_VA + GIB);

	/* Moved, the capability takes its mapping along. */
	CHECK_EQ(mica_cnode_move(ROOT, moved, 64, ROOT, table, 64), MICA_OK);
	CHECK_EQ(mica_page_table_unmap(table), MICA_ERR_INVALID_CAPABILITY);
	CHECK_EQ(mica_page_table_map(moved, VSPACE, COPY_VA + GIB), MICA_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(mica_page_table_unmap(moved), MICA_OK);
	CHECK_EQ(mica_page_table_map(moved, VSPACE, COPY_VA + GIB), MICA_OK);
	group_end("a page-table capability cannot be copied or minted, only moved");
}

/* 4. A stale CSpace root --------------------------------------------------------------- */

#define CSPACE_RADIX	 4
#define CSPACE_SLOT_EP	 1 /* The endpoint the helper calls. */
#define CSPACE_SLOT_GO	 2 /* A notification it waits on before each call. */
#define STALE_LABEL	 0x5ca1
#define STALE_FAULT	 UINT64_C(0x41)
#define STALE_SERVER_PRI 150 /* Above the caller: a Call may take the fastpath. */
#define STALE_CALLER_PRI 100

static uint64_t stale_ep, stale_reply;
static volatile uint64_t stale_served, stale_calls, stale_err;

/* Answers every call, counting them. */
static void stale_server(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(stale_ep, stale_reply, mr);

	for (;;) {
		if (m.err == MICA_OK)
			stale_served++;
		m = mica_reply_recv(stale_ep, stale_reply, mica_msg_info(0, 0, 1), mr);
	}
}

/*
 * Runs in a CSpace of its own: waits to be told, then calls the endpoint
 * there, for good. A call that fails stops it with a breakpoint, a fault
 * the root task hears of.
 */
static void stale_caller(void)
{
	for (;;) {
		uint64_t mr[MICA_MSG_REGISTERS] = {1, 2, 3, 4};
		struct mica_msg m;

		(void)mica_wait(CSPACE_SLOT_GO);
		m = mica_call(CSPACE_SLOT_EP, mica_msg_info(STALE_LABEL, 0, 1), mr);
		stale_err = m.err;
		stale_calls++;
		if (m.err != MICA_OK)
			__builtin_trap();
	}
}

/*
 * Every slot of the page made to look like an endpoint capability with all
 * rights and an object pointer of all ones (every other byte 0xff), so that
 * a kernel still trusting its cached view of the CNode that was here would
 * follow that pointer.
 */
static void forge_endpoints(uint64_t va)
{
	volatile uint8_t *bytes = (volatile uint8_t *)(uintptr_t)va;

	for (uint64_t i = 0; i < PAGE; i++)
		bytes[i] = (i % (UINT64_C(1) << MICA_SLOT_BITS)) == 0 ? MICA_OBJ_ENDPOINT : 0xff;
}

static void test_stale_cspace(void)
{
	uint64_t ut = make(MICA_OBJ_UNTYPED, MICA_PAGE_BITS);
	uint64_t go = make(MICA_OBJ_NOTIFICATION, 0);
	uint64_t go_signal = mint(go, MICA_RIGHT_WRITE, 1);
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t cnode, cspace, caller, frame = next_slot++;
	struct mica_msg m;

	group_start();
	stale_ep = make(MICA_OBJ_ENDPOINT, 0);
	stale_reply = make(MICA_OBJ_REPLY, 0);
	spawn((uintptr_t)stale_server, STALE_SERVER_PRI, 0, "stale-server");

	/* The CNode fills the start of an Untyped of one page. */
	cspace = make_cspace(ut, CSPACE_RADIX, &cnode);
	CHECK_EQ(mica_cnode_copy(cnode, CSPACE_SLOT_EP, CSPACE_RADIX, ROOT, stale_ep, 64,
				 MICA_RIGHTS_ALL),
		 MICA_OK);
	CHECK_EQ(
		mica_cnode_copy(cnode, CSPACE_SLOT_GO, CSPACE_RADIX, ROOT, go, 64, MICA_RIGHT_READ),
		MICA_OK);
	caller = create_thread((uintptr_t)stale_caller, 0, take_stack(), cspace, STALE_CALLER_PRI,
			       mint(fault_ep, MICA_RIGHTS_ALL, STALE_FAULT), "stale-caller");
	CHECK_EQ(mica_tcb_resume(caller), MICA_OK);

	/* One call through the CSpace while it is there. */
	CHECK_EQ(mica_signal(go_signal), MICA_OK);
	settle();
	CHECK_EQ(stale_calls, 1);
	CHECK_EQ(stale_err, MICA_OK);
	CHECK_EQ(stale_served, 1);

	/*
	 * Revoking the Untyped deletes the CNode and every capability to it,
	 * the one in the caller's TCB too; the page becomes a frame full of
	 * forged capabilities.
	 */
	CHECK_EQ(mica_cnode_revoke(ROOT, ut, 64), MICA_OK);
	CHECK_EQ(mica_untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, ROOT, 0, 0, frame, 1), MICA_OK);
	map_tables(VSPACE, STALE_VA);
	CHECK_EQ(mica_frame_map(frame, VSPACE, STALE_VA, RW, 0), MICA_OK);
	forge_endpoints(STALE_VA);

	/* The caller, still waiting on the notification, calls once more. */
	CHECK_EQ(mica_signal(go_signal), MICA_OK);
	settle();
	CHECK_EQ(stale_served, 1);
	/* Either its call failed (and it stopped itself), or the kernel stopped it. */
	CHECK(stale_calls == 1 || (stale_calls == 2 && stale_err != MICA_OK));
	m = take_fault(mr);
	CHECK_EQ(m.err, MICA_OK);
	CHECK_EQ(m.badge, STALE_FAULT);
	CHECK_EQ(mica_cnode_delete(ROOT, caller, 64), MICA_OK);
	group_end("a thread whose CSpace was deleted and reused cannot call through it");
}

/* 5. A stale VSpace -------------------------------------------------------------------- */

/*
 * The program a thread runs in the address spaces made here, position
 * independent, using no stack and no IPC buffer:
 *
 *   again: signal the notification in slot STRAY_SLOT_REPORT;
 *          wait on the notification in slot STRAY_SLOT_WAIT;
 *          go to again.
 *
 * Slot 1 of each thread's CSpace holds the report notification minted with
 * a badge of that thread's own, so the report's word says who ran it.
 */
#define STRAY_SLOT_REPORT 1
#define STRAY_SLOT_WAIT	  2
#define STRAY_RADIX	  2
#define STRAY_PRIORITY	  100
#define STRAY_OLD	  UINT64_C(0x1) /* The badges: the thread of the old VSpace, */
#define STRAY_NEW	  UINT64_C(0x2) /*   and the thread of the new one. */
#define STRAY_OLD_FAULT	  UINT64_C(0x61)
#define STRAY_NEW_FAULT	  UINT64_C(0x62)

/* The numbers the program below uses. */
#define STRAY_SYS_SEND 3
#define STRAY_SYS_RECV 6
_Static_assert(STRAY_SYS_SEND == MICA_SYS_SEND, "stray_code signals with Send");
_Static_assert(STRAY_SYS_RECV == MICA_SYS_RECV, "stray_code waits with Recv");
_Static_assert(STRAY_SLOT_REPORT == 1 && STRAY_SLOT_WAIT == 2, "stray_code's slots");

/* Data for this program, copied into frames: it never runs in the root task. */
__asm__(".pushsection .rodata\n"
	".balign 4\n"
	"stray_code:\n"
	"1:	mov x0, #1\n" /* STRAY_SLOT_REPORT */
	"	mov x1, #0\n" /* An empty message. */
	"	mov x7, #3\n" /* MICA_SYS_SEND */
	"	svc #0\n"
	"	mov x0, #2\n" /* STRAY_SLOT_WAIT */
	"	mov x6, #0\n" /* No reply object. */
	"	mov x7, #6\n" /* MICA_SYS_RECV */
	"	svc #0\n"
	"	b 1b\n"
	"2:\n"
	".balign 4\n"
	"stray_code_words:\n"
	"	.word (2b - stray_code) / 4\n"
	".popsection\n");
extern const uint32_t stray_code[];
extern const uint32_t stray_code_words;

/* Where the slots of build_stray_space's objects start: fixed, so a rebuild reuses them. */
static uint64_t stray_slots;

#define STRAY_SPACE_BITS 14 /* A VSpace, two tables and a frame. */

/*
 * A VSpace with stray_code mapped at OTHER_VA, everything from the Untyped
 * ut, which has no children: built twice, it is the same memory both times,
 * the VSpace first at ut's base. Returns the VSpace. (Not a process from
 * <mica/process.h>: its allocator never hands the same memory out twice,
 * and the attack needs the new VSpace exactly where the old one was.)
 */
static uint64_t build_stray_space(uint64_t ut)
{
	const uint64_t vspace = stray_slots, tables = stray_slots + 1, code = stray_slots + 3;
	volatile uint32_t *text = (volatile uint32_t *)(uintptr_t)SCRATCH_VA;

	CHECK_EQ(retype_one(ut, MICA_OBJ_VSPACE, 0, vspace), MICA_OK);
	CHECK_EQ(mica_untyped_retype(ut, MICA_OBJ_PAGE_TABLE, 0, ROOT, 0, 0, tables, 2), MICA_OK);
	CHECK_EQ(mica_untyped_retype(ut, MICA_OBJ_FRAME_4K, 0, ROOT, 0, 0, code, 1), MICA_OK);
	CHECK_EQ(mica_frame_map(code, VSPACE, SCRATCH_VA, RW, 0), MICA_OK);
	for (uint32_t i = 0; i < stray_code_words; i++)
		text[i] = stray_code[i];
	CHECK_EQ(mica_frame_unmap(code), MICA_OK);
	CHECK_EQ(mica_page_table_map(tables, vspace, OTHER_VA), MICA_OK);
	CHECK_EQ(mica_page_table_map(tables + 1, vspace, OTHER_VA), MICA_OK);
	CHECK_EQ(mica_frame_map(code, vspace, OTHER_VA, MICA_RIGHT_READ, MICA_MAP_EXECUTE),
		 MICA_OK);
	return vspace;
}

/*
 * A thread that runs stray_code in vspace, stopped, with a CSpace of its
 * own: the report notification with badge, and wait_on to wait on.
 */
static uint64_t stray_thread(uint64_t vspace, uint64_t report, uint64_t badge, uint64_t wait_on,
			     uint64_t fault_badge, const char *name)
{
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t cnode, cspace = make_cspace(untyped, STRAY_RADIX, &cnode);
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	CHECK_EQ(mica_cnode_mint(cnode, STRAY_SLOT_REPORT, STRAY_RADIX, ROOT, report, 64,
				 MICA_RIGHT_WRITE, badge),
		 MICA_OK);
	CHECK_EQ(mica_cnode_copy(cnode, STRAY_SLOT_WAIT, STRAY_RADIX, ROOT, wait_on, 64,
				 MICA_RIGHT_READ),
		 MICA_OK);
	CHECK_EQ(mica_tcb_set_space(tcb, cspace, vspace,
				    mint(fault_ep, MICA_RIGHTS_ALL, fault_badge)),
		 MICA_OK);
	CHECK_EQ(mica_tcb_set_priority(tcb, STRAY_PRIORITY), MICA_OK);
	CHECK_EQ(mica_tcb_set_name(tcb, name), MICA_OK);
	regs[MICA_CTX_PC] = OTHER_VA;
	CHECK_EQ(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
	return tcb;
}

static void test_stale_vspace(void)
{
	uint64_t ut = make(MICA_OBJ_UNTYPED, STRAY_SPACE_BITS);
	uint64_t report = make(MICA_OBJ_NOTIFICATION, 0);
	uint64_t wake = make(MICA_OBJ_NOTIFICATION, 0);
	uint64_t wake_signal = mint(wake, MICA_RIGHT_WRITE, 1);
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t vspace, old_thread, new_thread, word;
	struct mica_msg m;

	group_start();
	stray_slots = next_slot;
	next_slot += 4;
	map_tables(VSPACE, SCRATCH_VA);

	/* The old thread runs its code once in its VSpace, and waits. */
	vspace = build_stray_space(ut);
	old_thread = stray_thread(vspace, report, STRAY_OLD, wake, STRAY_OLD_FAULT, "stray-old");
	CHECK_EQ(mica_tcb_resume(old_thread), MICA_OK);
	settle();
	CHECK_EQ(mica_poll(report).badge, STRAY_OLD);

	/*
	 * The VSpace goes, and the capability in the thread's TCB with it; a
	 * new one is made in the same memory, which gets the same ASID (the
	 * lowest free), with the same code, and a thread of its own runs it.
	 */
	CHECK_EQ(mica_cnode_revoke(ROOT, ut, 64), MICA_OK);
	vspace = build_stray_space(ut);
	new_thread =
		stray_thread(vspace, report, STRAY_NEW, park_ntfn, STRAY_NEW_FAULT, "stray-new");

	/*
	 * The new thread first, then the old one woken behind it at the same
	 * priority: it is next to run straight after the new thread blocks,
	 * with the new VSpace active.
	 */
	CHECK_EQ(mica_tcb_resume(new_thread), MICA_OK);
	CHECK_EQ(mica_signal(wake_signal), MICA_OK);
	settle();
	word = mica_poll(report).badge;
	CHECK_EQ(word & STRAY_NEW, STRAY_NEW);
	/* The old thread must not have run the new VSpace's code... */
	CHECK_EQ(word & STRAY_OLD, 0);
	/*
	 * ...but faulted fetching its next instruction, if it was let run at
	 * all (a kernel may as well keep it stopped).
	 */
	m = take_fault(mr);
	if (m.err == MICA_OK) {
		CHECK_EQ(m.badge, STRAY_OLD_FAULT);
		CHECK_EQ(mica_msg_label(m.info), MICA_FAULT_VM);
		CHECK_EQ(mr[1], mr[0]);
		CHECK_EQ(mr[2], MICA_FAULT_VM_FETCH);
	}
	CHECK_EQ(mica_cnode_delete(ROOT, old_thread, 64), MICA_OK);
	CHECK_EQ(mica_cnode_delete(ROOT, new_thread, 64), MICA_OK);
	CHECK_EQ(mica_cnode_revoke(ROOT, ut, 64), MICA_OK);
	group_end("a thread whose VSpace was deleted never runs in one made in its place");
}

/* 6. IPC buffer rights ----------------------------------------------------------------- */

#define LONG_WORDS 20

static uint64_t long_ep;

/* Receives one message, and stays. */
static void long_receiver(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	(void)mica_recv(long_ep, 0, mr);
	park();
}

static void test_ipc_buffer_rights(void)
{
	uint64_t frame, read_only = next_slot++;
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t tcb;
	unsigned written = 0;

	group_start();
	long_ep = make(MICA_OBJ_ENDPOINT, 0);
	map_tables(VSPACE, RO_VA);
	frame = make(MICA_OBJ_FRAME_4K, 0);
	CHECK_EQ(mica_cnode_copy(ROOT, read_only, 64, ROOT, frame, 64, MICA_RIGHT_READ), MICA_OK);
	CHECK_EQ(mica_frame_map(read_only, VSPACE, RO_VA, MICA_RIGHT_READ, 0), MICA_OK);

	/* A thread waiting for a message, already with an IPC buffer of its own. */
	tcb = spawn((uintptr_t)long_receiver, 200, 0, "long-receiver");
	settle();
	CHECK_EQ(mica_tcb_set_ipc_buffer(tcb, RO_VA, read_only), MICA_ERR_NO_RIGHTS);

	/* A long message: what is past the registers goes to its IPC buffer. */
	for (unsigned i = MICA_MSG_REGISTERS; i < LONG_WORDS; i++)
		mica_ipc_buffer()->mr[i] = UINT64_C(0x10e6000000000000) | i;
	CHECK_EQ(mica_send(long_ep, mica_msg_info(0, 0, LONG_WORDS), mr).err, MICA_OK);
	settle();
	/* The frame only readable through any capability the thread was given is untouched. */
	for (unsigned i = 0; i < PAGE_WORDS; i++)
		written += *word_at(RO_VA + i * sizeof(uint64_t)) != 0;
	CHECK_EQ(written, 0);
	group_end("an IPC buffer needs a frame capability with the write right");
}

/* ------------------------------------------------------------------------------------ */

/* The largest non-device Untyped. */
static void pick_untyped(void)
{
	unsigned best_bits = 0;

	for (uint64_t i = 0; i < info->untyped_count; i++) {
		const struct mica_untyped_desc *d = &info->untyped[i];

		if (!d->is_device && d->size_bits > best_bits) {
			best_bits = d->size_bits;
			untyped = info->untyped_first + i;
		}
	}
	CHECK(best_bits >= 22);
}

int main(void)
{
	info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	printf("START attacks\n");
	CHECK_EQ(info->magic, MICA_BOOT_INFO_MAGIC);
	next_slot = info->empty_first;
	for (unsigned kind = 0; kind < 2; kind++) {
		id_pool[kind] = next_slot++;
		CHECK_OK(mica_asid_control_make_pool(MICA_CAP_ASID_CONTROL, kind, ROOT,
						     id_pool[kind], 64));
	}
	pick_untyped();
	if (check_failures != 0)
		return 1;
	settle_request = make(MICA_OBJ_NOTIFICATION, 0);
	settle_done = make(MICA_OBJ_NOTIFICATION, 0);
	signal_request = mint(settle_request, MICA_RIGHT_WRITE, 1);
	signal_done = mint(settle_done, MICA_RIGHT_WRITE, 1);
	park_ntfn = make(MICA_OBJ_NOTIFICATION, 0);
	root_reply = make(MICA_OBJ_REPLY, 0);
	fault_ep = make(MICA_OBJ_ENDPOINT, 0);
	probe_ep = make(MICA_OBJ_ENDPOINT, 0);
	probe_fault = mint(probe_ep, MICA_RIGHTS_ALL, PROBE_FAULT_BADGE);
	probe_report = mint(probe_ep, MICA_RIGHTS_ALL, PROBE_REPORT_BADGE);
	spawn((uintptr_t)idler, 1, 0, "idler");

	/* Kernels without the fixes panic in the last two: they come last. */
	test_ipc_buffer_rights();
	test_page_table_copy();
	test_page_table_unmap();
	test_stale_vspace();
	test_stale_cspace();
	test_device_debug_write();

	return check_finish("attacks");
}
