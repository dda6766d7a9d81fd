/*
 * More of the kernel interface from EL0, one printed line per group of
 * checks: 2 MiB frames; mappings that go away with the capability (or the
 * Untyped) that made them, and frame rights; long messages through the IPC
 * buffer; a notification bound to a thread waiting on an endpoint;
 * preemption by priority and round robin within one; fault handlers that
 * change a thread's registers; and register access to a stopped thread,
 * which can never raise its exception level.
 *
 * Helper threads run in the root task's address space and CSpace, their
 * objects made from one large Untyped. The root task runs at the highest
 * priority, so a helper runs only while the root task is blocked; settle()
 * blocks it until every helper above the idle thread has blocked too, which
 * makes each step's outcome deterministic.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/fault.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define ROOT   MICA_CAP_ROOT_CNODE
#define VSPACE MICA_CAP_ROOT_VSPACE
#define RW     (MICA_RIGHT_READ | MICA_RIGHT_WRITE)

#define PAGE	  (UINT64_C(1) << MICA_PAGE_BITS)
#define LARGE	  (UINT64_C(1) << MICA_LARGE_PAGE_BITS)
#define GIB_SHIFT 30

/*
 * Regions of the root task's address space that nothing else uses, each in
 * a gigabyte of its own, so no translation table serves them until a test
 * makes one (the program sits at 4 MiB, the kernel's pages near 512 GiB).
 */
#define LARGE_VA UINT64_C(0x0000005000000000)
#define MAPS_VA	 UINT64_C(0x0000005100000000)

/*
 * Exception classes of ESR_ELx (Arm ARM D17.2.37, "ESR_EL2"): 0x00 for an
 * unknown reason, which covers UDF and other UNDEFINED instructions, and
 * 0x3c for a BRK instruction in AArch64 state.
 */
#define ESR_EC_SHIFT   26
#define ESR_EC_MASK    UINT64_C(0x3f)
#define ESR_EC_UNKNOWN UINT64_C(0x00)
#define ESR_EC_BRK64   UINT64_C(0x3c)

/* Instruction encodings the fault handlers check the reported PC against. */
#define INSN_UDF_0	   UINT32_C(0x00000000) /* udf #0 */
#define INSN_BRK_7	   UINT32_C(0xd42000e0) /* brk #7 */
#define INSN_SVC_0	   UINT32_C(0xd4000001) /* svc #0 */
#define INSN_MRS_SCTLR_EL1 UINT32_C(0xd5381000) /* mrs xN, sctlr_el1, with N = 0 */
#define INSN_RT_MASK	   UINT32_C(0x1f)
#define UNKNOWN_SYSCALL_NR 999
#define PSTATE_NZCV	   UINT64_C(0xf0000000)

static const struct mica_boot_info *info;
static uint64_t next_slot;
static uint64_t untyped;
static uint64_t untyped_base, untyped_size;

/*
 * Objects every group shares: the idle thread's notifications (and badged
 * capabilities to signal them with), a notification nobody signals, and the
 * root task's reply object.
 */
static uint64_t settle_request, settle_done, signal_request, signal_done, park_ntfn, root_reply;

/* A failure count at the start of the current group of checks. */
static int group_start_failures;

static void group_start(void)
{
	group_start_failures = check_failures;
}

/* The group's line, which the QEMU test expects, only if every check in it passed. */
static void group_end(const char *what)
{
	int failed = check_failures - group_start_failures;

	if (failed == 0)
		printf("kernel-more: %s\n", what);
	else
		printf("kernel-more: %d checks failed in \"%s\"\n", failed, what);
}

static volatile uint64_t *word_at(uint64_t va)
{
	return (volatile uint64_t *)(uintptr_t)va;
}

/* A new object of type in the next free root slot, made from the large Untyped. */
static uint64_t make(enum mica_object_type type, unsigned bits)
{
	uint64_t slot = next_slot++;
	enum mica_error err = mica_untyped_retype(untyped, type, bits, ROOT, 0, 0, slot, 1);

	if (err != MICA_OK) {
		printf("FAIL %s:%d retype of type %d: error %d\n", __FILE__, __LINE__, type, err);
		check_failures++;
	}
	return slot;
}

/* A copy of cap in the next free slot, with rights and (for endpoints and notifications) badge. */
static uint64_t mint(uint64_t cap, unsigned rights, uint64_t badge)
{
	uint64_t slot = next_slot++;

	CHECK_EQ(mica_cnode_mint(ROOT, slot, 64, ROOT, cap, 64, rights, badge), MICA_OK);
	return slot;
}

/* Level-2 and level-3 tables for va: each PageTable map fills the first missing level. */
static void map_tables(uint64_t va)
{
	CHECK_EQ(mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), VSPACE, va), MICA_OK);
	CHECK_EQ(mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), VSPACE, va), MICA_OK);
}

/* Threads ------------------------------------------------------------------------------ */

/*
 * Helper threads never return; most end parked on a notification nobody
 * signals, so each needs a stack of its own for good.
 */
#define STACK_SIZE  4096
#define STACK_COUNT 32

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
 * at stack_top, with its own IPC buffer page next to the root task's (whose
 * level-3 table exists already).
 */
static uint64_t create_thread(uintptr_t entry, uint64_t arg, uintptr_t stack_top, unsigned priority,
			      uint64_t fault_ep, const char *name)
{
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	ipc_va += PAGE;
	CHECK_EQ(mica_frame_map(frame, VSPACE, ipc_va, RW, 0), MICA_OK);
	CHECK_EQ(mica_tcb_set_space(tcb, ROOT, VSPACE, fault_ep), MICA_OK);
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

static uint64_t spawn(uintptr_t entry, uint64_t arg, unsigned priority, uint64_t fault_ep,
		      const char *name)
{
	uint64_t tcb = create_thread(entry, arg, take_stack(), priority, fault_ep, name);

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

/* Probes: does touching an address fault? ------------------------------------------ */

#define PROBE_PRIORITY	   200
#define PROBE_FAULT_BADGE  UINT64_C(0x51)
#define PROBE_REPORT_BADGE UINT64_C(0x52)
#define PROBE_DONE	   1
#define PROBE_WRITTEN	   UINT64_C(0x9e0be)

static uint8_t probe_stack[STACK_SIZE] __attribute__((aligned(16)));
static uint64_t probe_ep, probe_fault, probe_report;
static volatile uint64_t probe_address;
static volatile bool probe_is_write;

/* Touch probe_address once; report on the probe endpoint if that did not fault. */
static void prober(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	if (probe_is_write)
		*word_at(probe_address) = PROBE_WRITTEN;
	else
		mr[0] = *word_at(probe_address);
	(void)mica_send(probe_report, mica_msg_info(PROBE_DONE, 0, 1), mr);
	park();
}

struct probe_result {
	bool faulted;
	uint64_t label;	  /* Of the fault message. */
	uint64_t address; /* MR1 of the fault message. */
	uint64_t flags;	  /* MR2 of the fault message. */
	uint64_t value;	  /* What a read that did not fault saw. */
};

/*
 * Read or write va from a new thread that has a fault endpoint, and say
 * what happened. The thread is deleted afterwards, which also ends it if it
 * is stopped at its fault, so every probe can use the same stack.
 */
static struct probe_result probe(uint64_t va, bool is_write)
{
	struct probe_result r = {0};
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t tcb;
	struct mica_msg m;

	probe_address = va;
	probe_is_write = is_write;
	tcb = create_thread((uintptr_t)prober, 0, (uintptr_t)probe_stack + sizeof(probe_stack),
			    PROBE_PRIORITY, probe_fault, "prober");
	CHECK_EQ(mica_tcb_resume(tcb), MICA_OK);
	m = mica_recv(probe_ep, root_reply, mr);
	CHECK_EQ(m.err, MICA_OK);
	if (m.badge == PROBE_FAULT_BADGE) {
		r.faulted = true;
		r.label = mica_msg_label(m.info);
		r.address = mr[1];
		r.flags = mr[2];
	} else {
		CHECK_EQ(m.badge, PROBE_REPORT_BADGE);
		r.value = mr[0];
	}
	CHECK_EQ(mica_cnode_delete(ROOT, tcb, 64), MICA_OK);
	return r;
}

#define CHECK_PROBE_FAULTS(r, va, want_flags)                                                      \
	do {                                                                                       \
		if (!(r).faulted) {                                                                \
			printf("FAIL %s:%d access to 0x%llx did not fault\n", __FILE__, __LINE__,  \
			       (unsigned long long)(va));                                          \
			check_failures++;                                                          \
		} else {                                                                           \
			CHECK_EQ((r).label, MICA_FAULT_VM);                                        \
			CHECK_EQ((r).address, (va));                                               \
			CHECK_EQ((r).flags, (want_flags));                                         \
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

/* 1. 2 MiB frames ------------------------------------------------------------------------ */

#define LARGE_HIGH (LARGE - 8) /* The offset of a block's last word. */

/* A 2 MiB frame from Untyped ut into slot; returns its physical address. */
static uint64_t retype_large(uint64_t ut, uint64_t slot)
{
	uint64_t paddr = 1;

	CHECK_EQ(mica_untyped_retype(ut, MICA_OBJ_FRAME_2M, 0, ROOT, 0, 0, slot, 1), MICA_OK);
	CHECK_EQ(mica_frame_get_address(slot, &paddr), MICA_OK);
	/* The kernel aligns each object to its size inside the Untyped. */
	CHECK_EQ(paddr & (LARGE - 1), 0);
	CHECK(paddr >= untyped_base && paddr - untyped_base <= untyped_size - LARGE);
	return paddr;
}

/*
 * A frame capability maps once, but a copy maps the same block again
 * elsewhere; unmapping the copy takes that whole block away, including a
 * word the TLB has seen, and leaves the first mapping alone.
 */
static void check_large_alias(uint64_t frame)
{
	const uint64_t alias_va = LARGE_VA + LARGE;
	uint64_t alias = next_slot++;
	struct probe_result r;

	CHECK_EQ(mica_frame_map(frame, VSPACE, alias_va, RW, 0), MICA_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(mica_cnode_copy(ROOT, alias, 64, ROOT, frame, 64, MICA_RIGHTS_ALL), MICA_OK);
	CHECK_EQ(mica_frame_map(alias, VSPACE, LARGE_VA, RW, 0), MICA_ERR_DELETE_FIRST);
	CHECK_EQ(mica_frame_map(alias, VSPACE, alias_va, RW, 0), MICA_OK);
	r = probe(alias_va + LARGE_HIGH, false);
	CHECK_PROBE_READS(r, alias_va + LARGE_HIGH, 0x1a26e1);

	CHECK_EQ(mica_frame_unmap(alias), MICA_OK);
	r = probe(alias_va + LARGE_HIGH, false);
	CHECK_PROBE_FAULTS(r, alias_va + LARGE_HIGH, 0);
	r = probe(alias_va, false);
	CHECK_PROBE_FAULTS(r, alias_va, 0);
	CHECK_EQ(*word_at(LARGE_VA + LARGE_HIGH), 0x1a26e1);
}

static void test_large_frames(void)
{
	/* A child Untyped of its own, so revoking it can give the same block back. */
	uint64_t child = make(MICA_OBJ_UNTYPED, MICA_LARGE_PAGE_BITS + 1);
	uint64_t frame = next_slot++;
	uint64_t paddr;
	struct probe_result r;

	group_start();
	paddr = retype_large(child, frame);

	/* A 2 MiB block is a level-2 entry: without a level-2 table it cannot map. */
	CHECK_EQ(mica_frame_map(frame, VSPACE, LARGE_VA, RW, 0), MICA_ERR_LOOKUP_FAILED);
	CHECK_EQ(mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), VSPACE, LARGE_VA), MICA_OK);
	CHECK_EQ(mica_frame_map(frame, VSPACE, LARGE_VA + PAGE, RW, 0), MICA_ERR_ALIGNMENT);
	CHECK_EQ(mica_frame_map(frame, VSPACE, LARGE_VA + LARGE / 2, RW, 0), MICA_ERR_ALIGNMENT);
	CHECK_EQ(mica_frame_map(frame, VSPACE, LARGE_VA, RW, 0), MICA_OK);

	/* Both ends hold data. */
	*word_at(LARGE_VA) = 0x1a26e0;
	*word_at(LARGE_VA + LARGE_HIGH) = 0x1a26e1;
	CHECK_EQ(*word_at(LARGE_VA), 0x1a26e0);
	CHECK_EQ(*word_at(LARGE_VA + LARGE_HIGH), 0x1a26e1);
	check_large_alias(frame);

	/* Only level 2 exists there: a 4 KiB page next to the blocks has no table. */
	CHECK_EQ(mica_frame_map(make(MICA_OBJ_FRAME_4K, 0), VSPACE, LARGE_VA + 2 * LARGE, RW, 0),
		 MICA_ERR_LOOKUP_FAILED);

	/*
	 * Revoking the Untyped deletes the frame and so its mapping. Made
	 * again, the frame is the same memory, and starts zeroed at both ends.
	 */
	CHECK_EQ(mica_cnode_revoke(ROOT, child, 64), MICA_OK);
	r = probe(LARGE_VA + LARGE_HIGH, false);
	CHECK_PROBE_FAULTS(r, LARGE_VA + LARGE_HIGH, 0);
	CHECK_EQ(retype_large(child, frame), paddr);
	CHECK_EQ(mica_frame_map(frame, VSPACE, LARGE_VA, RW, 0), MICA_OK);
	r = probe(LARGE_VA, false);
	CHECK_PROBE_READS(r, LARGE_VA, 0);
	r = probe(LARGE_VA + LARGE_HIGH, false);
	CHECK_PROBE_READS(r, LARGE_VA + LARGE_HIGH, 0);
	group_end("2 MiB frames map and hold data");
}

/* 2. Mappings belong to capabilities ------------------------------------------------ */

/* A copy of a mapped frame does not take its mapping; deleting the original does. */
static void check_delete_unmaps(void)
{
	const uint64_t va = MAPS_VA;
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t copy = next_slot++;
	struct probe_result r;

	CHECK_EQ(mica_frame_map(frame, VSPACE, va, RW, 0), MICA_OK);
	*word_at(va) = 0xde1e7e;
	r = probe(va, false);
	CHECK_PROBE_READS(r, va, 0xde1e7e);

	/* Deleting a copy leaves the mapping alone. */
	CHECK_EQ(mica_cnode_copy(ROOT, copy, 64, ROOT, frame, 64, MICA_RIGHTS_ALL), MICA_OK);
	CHECK_EQ(mica_cnode_delete(ROOT, copy, 64), MICA_OK);
	r = probe(va, false);
	CHECK_PROBE_READS(r, va, 0xde1e7e);

	/* Deleting the capability that mapped the page removes the page... */
	CHECK_EQ(mica_cnode_copy(ROOT, copy, 64, ROOT, frame, 64, MICA_RIGHTS_ALL), MICA_OK);
	CHECK_EQ(mica_cnode_delete(ROOT, frame, 64), MICA_OK);
	r = probe(va, false);
	CHECK_PROBE_FAULTS(r, va, 0);

	/* ...but not the frame, which the copy keeps: mapped again, it holds the value. */
	CHECK_EQ(mica_frame_map(copy, VSPACE, va, RW, 0), MICA_OK);
	r = probe(va, false);
	CHECK_PROBE_READS(r, va, 0xde1e7e);
}

/* Revoking the Untyped a frame came from deletes the frame, and so its mapping. */
static void check_revoke_unmaps(void)
{
	const uint64_t va = MAPS_VA + PAGE;
	uint64_t child = make(MICA_OBJ_UNTYPED, 16);
	uint64_t frame = next_slot++;
	uint64_t paddr = 0;
	struct probe_result r;

	CHECK_EQ(mica_untyped_retype(child, MICA_OBJ_FRAME_4K, 0, ROOT, 0, 0, frame, 1), MICA_OK);
	CHECK_EQ(mica_frame_map(frame, VSPACE, va, RW, 0), MICA_OK);
	*word_at(va) = 0x2e70e;
	r = probe(va, false);
	CHECK_PROBE_READS(r, va, 0x2e70e);
	CHECK_EQ(mica_cnode_revoke(ROOT, child, 64), MICA_OK);
	CHECK_EQ(mica_frame_get_address(frame, &paddr), MICA_ERR_INVALID_CAPABILITY);
	r = probe(va, true);
	CHECK_PROBE_FAULTS(r, va, MICA_FAULT_VM_WRITE);
	/* The Untyped is whole again: it can be retyped once more. */
	CHECK_EQ(mica_untyped_retype(child, MICA_OBJ_FRAME_4K, 0, ROOT, 0, 0, frame, 1), MICA_OK);
}

/* A mapping has at most the rights of its capability, and never write with execute. */
static void check_frame_rights(void)
{
	const uint64_t va = MAPS_VA + 2 * PAGE, ro_va = MAPS_VA + 3 * PAGE;
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t read_only = next_slot++, full = next_slot++;
	struct probe_result r;

	CHECK_EQ(mica_frame_map(frame, VSPACE, va, RW, 0), MICA_OK);
	*word_at(va) = 0x4ead;
	CHECK_EQ(mica_cnode_copy(ROOT, read_only, 64, ROOT, frame, 64, MICA_RIGHT_READ), MICA_OK);
	CHECK_EQ(mica_frame_map(read_only, VSPACE, ro_va, RW, 0), MICA_ERR_NO_RIGHTS);
	CHECK_EQ(mica_frame_map(read_only, VSPACE, ro_va, MICA_RIGHT_WRITE, 0), MICA_ERR_NO_RIGHTS);
	CHECK_EQ(mica_cnode_copy(ROOT, full, 64, ROOT, frame, 64, MICA_RIGHTS_ALL), MICA_OK);
	CHECK_EQ(mica_frame_map(full, VSPACE, ro_va, RW, MICA_MAP_EXECUTE),
		 MICA_ERR_INVALID_ARGUMENT);

	/* Mapped read-only, the page reads but a write faults as a write. */
	CHECK_EQ(mica_frame_map(read_only, VSPACE, ro_va, MICA_RIGHT_READ, 0), MICA_OK);
	r = probe(ro_va, false);
	CHECK_PROBE_READS(r, ro_va, 0x4ead);
	r = probe(ro_va, true);
	CHECK_PROBE_FAULTS(r, ro_va, MICA_FAULT_VM_WRITE);
	CHECK_EQ(*word_at(va), 0x4ead);
}

static void test_mappings_follow_capabilities(void)
{
	group_start();
	map_tables(MAPS_VA);
	check_delete_unmaps();
	check_revoke_unmaps();
	check_frame_rights();
	group_end("mappings disappear with their capability, and keep to its rights");
}

/* 3. Long messages ------------------------------------------------------------------- */

#define LONG_WORDS     20
#define OVERLONG_WORDS 100

static uint64_t long_ep, long_reply;
static volatile unsigned long_seen_length, long_seen_bad;

static uint64_t request_word(unsigned i)
{
	return UINT64_C(0x5e9d000000000000) | ((uint64_t)i * 0x10101);
}

static uint64_t reply_word(unsigned i)
{
	return UINT64_C(0x4e91000000000000) | ((uint64_t)i * 0x20003);
}

/*
 * Word i of a message: the first ones in registers, the rest in the IPC
 * buffer. Words past the longest message do not exist: 0, and not stored.
 */
static uint64_t msg_word(const uint64_t mr[MICA_MSG_REGISTERS], unsigned i)
{
	if (i < MICA_MSG_REGISTERS)
		return mr[i];
	if (i < MICA_MSG_MAX_LENGTH)
		return mica_ipc_buffer()->mr[i];
	return 0;
}

static void set_msg_word(uint64_t mr[MICA_MSG_REGISTERS], unsigned i, uint64_t v)
{
	if (i < MICA_MSG_REGISTERS)
		mr[i] = v;
	else if (i < MICA_MSG_MAX_LENGTH)
		mica_ipc_buffer()->mr[i] = v;
}

/*
 * Checks each request's words and records what it saw; answers with a
 * reply as long as the request's label asks, every word filled in.
 */
static void long_server(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(long_ep, long_reply, mr);

	for (;;) {
		unsigned length = mica_msg_length(m.info);
		unsigned bad = 0;

		for (unsigned i = 0; i < length && i < MICA_MSG_MAX_LENGTH; i++)
			if (msg_word(mr, i) != request_word(i))
				bad++;
		long_seen_length = length;
		long_seen_bad = bad;
		for (unsigned i = 0; i < MICA_MSG_MAX_LENGTH; i++)
			set_msg_word(mr, i, reply_word(i));
		m = mica_reply_recv(long_ep, long_reply,
				    mica_msg_info(0, 0, (unsigned)mica_msg_label(m.info)), mr);
	}
}

/* Call with length words, asking for reply_length; returns the reply's length. */
static unsigned long_call(unsigned length, unsigned reply_length, unsigned *bad)
{
	uint64_t mr[MICA_MSG_REGISTERS];
	struct mica_msg m;
	unsigned got;

	for (unsigned i = 0; i < MICA_MSG_MAX_LENGTH; i++)
		set_msg_word(mr, i, request_word(i));
	m = mica_call(long_ep, mica_msg_info(reply_length, 0, length), mr);
	CHECK_EQ(m.err, MICA_OK);
	CHECK_EQ(mica_msg_label(m.info), 0);
	got = mica_msg_length(m.info);
	*bad = 0;
	for (unsigned i = 0; i < got && i < MICA_MSG_MAX_LENGTH; i++)
		if (msg_word(mr, i) != reply_word(i))
			(*bad)++;
	return got;
}

static void test_long_messages(void)
{
	unsigned bad = 0;

	group_start();
	long_ep = make(MICA_OBJ_ENDPOINT, 0);
	long_reply = make(MICA_OBJ_REPLY, 0);
	spawn((uintptr_t)long_server, 0, 100, 0, "long-server");

	CHECK_EQ(long_call(LONG_WORDS, LONG_WORDS, &bad), LONG_WORDS);
	CHECK_EQ(bad, 0);
	CHECK_EQ(long_seen_length, LONG_WORDS);
	CHECK_EQ(long_seen_bad, 0);
	/* Exactly the reply's words arrive: the buffer past them is untouched. */
	CHECK_EQ(mica_ipc_buffer()->mr[LONG_WORDS], request_word(LONG_WORDS));

	/* Longer than the maximum, both ways: cut to MICA_MSG_MAX_LENGTH words. */
	CHECK_EQ(long_call(OVERLONG_WORDS, OVERLONG_WORDS, &bad), MICA_MSG_MAX_LENGTH);
	CHECK_EQ(bad, 0);
	CHECK_EQ(long_seen_length, MICA_MSG_MAX_LENGTH);
	CHECK_EQ(long_seen_bad, 0);
	group_end("long messages carry 20 words and are cut at 64");
}

/* 4. Bound notifications ------------------------------------------------------------- */

#define BOUND_LABEL 9

static uint64_t bound_ep;
static volatile unsigned bound_count;
static volatile uint64_t bound_err, bound_badge, bound_label, bound_word;

/* Receives on an endpoint for good, recording each message. */
static void bound_waiter(void)
{
	for (;;) {
		uint64_t mr[MICA_MSG_REGISTERS] = {0};
		struct mica_msg m = mica_recv(bound_ep, 0, mr);

		bound_err = m.err;
		bound_badge = m.badge;
		bound_label = mica_msg_label(m.info);
		bound_word = mr[0];
		bound_count++;
	}
}

/* The waiter's latest message was the notification's signal, with badge. */
#define CHECK_NOTIFIED(count, badge)                                                               \
	do {                                                                                       \
		CHECK_EQ(bound_count, (count));                                                    \
		CHECK_EQ(bound_err, MICA_OK);                                                      \
		CHECK_EQ(bound_label, MICA_LABEL_NOTIFICATION);                                    \
		CHECK_EQ(bound_badge, (badge));                                                    \
	} while (0)

static void test_bound_notification(void)
{
	uint64_t ntfn = make(MICA_OBJ_NOTIFICATION, 0);
	uint64_t other = make(MICA_OBJ_NOTIFICATION, 0);
	uint64_t signal_a = mint(ntfn, MICA_RIGHT_WRITE, 0x40);
	uint64_t signal_b = mint(ntfn, MICA_RIGHT_WRITE, 0x3);
	uint64_t mr[MICA_MSG_REGISTERS] = {0x77, 0, 0, 0};
	uint64_t tcb;

	group_start();
	bound_ep = make(MICA_OBJ_ENDPOINT, 0);
	tcb = spawn((uintptr_t)bound_waiter, 0, 100, 0, "bound");
	/* Binding needs the right to wait on the notification. */
	CHECK_EQ(mica_tcb_bind_notification(tcb, signal_a), MICA_ERR_NO_RIGHTS);
	CHECK_EQ(mica_tcb_bind_notification(tcb, ntfn), MICA_OK);

	/* Signalled before the thread receives: its Recv returns at once. */
	CHECK_EQ(mica_signal(signal_a), MICA_OK);
	settle();
	CHECK_NOTIFIED(1, 0x40);

	/* Now it waits on the endpoint, and a signal wakes it there. */
	CHECK_EQ(mica_signal(signal_b), MICA_OK);
	CHECK_EQ(bound_count, 1); /* Woken, but below us: it has not run. */
	settle();
	CHECK_NOTIFIED(2, 0x3);

	/* A message on the endpoint still arrives as itself. */
	CHECK_EQ(mica_send(bound_ep, mica_msg_info(BOUND_LABEL, 0, 1), mr).err, MICA_OK);
	settle();
	CHECK_EQ(bound_count, 3);
	CHECK_EQ(bound_label, BOUND_LABEL);
	CHECK_EQ(bound_badge, 0);
	CHECK_EQ(bound_word, 0x77);

	/* One notification per thread, one thread per notification. */
	CHECK_EQ(mica_tcb_bind_notification(tcb, other), MICA_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(mica_tcb_bind_notification(tcb, ntfn), MICA_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(mica_tcb_bind_notification(MICA_CAP_ROOT_TCB, ntfn), MICA_ERR_ILLEGAL_OPERATION);

	/* Unbound, a signal stays in the notification's word. */
	CHECK_EQ(mica_tcb_unbind_notification(tcb), MICA_OK);
	CHECK_EQ(mica_tcb_unbind_notification(tcb), MICA_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(mica_signal(signal_a), MICA_OK);
	settle();
	CHECK_EQ(bound_count, 3);
	CHECK_EQ(mica_poll(ntfn).badge, 0x40);
	/* And both are free to be bound again. */
	CHECK_EQ(mica_tcb_bind_notification(tcb, other), MICA_OK);
	group_end("a bound notification wakes a thread waiting on an endpoint");
}

/* 5. Preemption and round robin ------------------------------------------------------ */

#define ORDER_MAX	  16
#define ROUND_ROBIN_TRIES 3

/*
 * Threads hand over to each other only in system calls, which the stubs
 * declare as clobbering memory, so plain variables are enough here.
 */
static char order[ORDER_MAX + 1];
static unsigned order_length;
static uint64_t preempt_ntfn, preempt_signal;

static void order_reset(void)
{
	order_length = 0;
	for (unsigned i = 0; i <= ORDER_MAX; i++)
		order[i] = '\0';
}

/* Record that step c happened, in the order steps happen. */
static void note(char c)
{
	if (order_length < ORDER_MAX)
		order[order_length++] = c;
}

static bool order_is(const char *want)
{
	unsigned i = 0;

	for (; want[i] != '\0'; i++)
		if (i >= order_length || order[i] != want[i])
			return false;
	return i == order_length;
}

#define CHECK_ORDER(want)                                                                          \
	do {                                                                                       \
		if (!order_is(want)) {                                                             \
			printf("FAIL %s:%d order \"%s\", expected \"%s\"\n", __FILE__, __LINE__,   \
			       order, (want));                                                     \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* Waits on the notification, then goes on at once when signalled (it is higher). */
static void high_waiter(void)
{
	note('a');
	(void)mica_wait(preempt_ntfn);
	note('c');
	park();
}

static void low_signaller(void)
{
	note('b');
	(void)mica_signal(preempt_signal);
	note('d');
	park();
}

/* Waits on the notification; signalled by a higher thread, runs only once that blocks. */
static void low_waiter(void)
{
	note('a');
	(void)mica_wait(preempt_ntfn);
	note('d');
	park();
}

static void high_signaller(void)
{
	note('b');
	(void)mica_signal(preempt_signal);
	note('c');
	park();
}

/* Three rounds of: note my letter, yield. */
static void round_robin_thread(uint64_t letter)
{
	for (unsigned i = 0; i < 3; i++) {
		note((char)letter);
		mica_yield();
	}
	park();
}

static void test_preemption(void)
{
	group_start();
	preempt_ntfn = make(MICA_OBJ_NOTIFICATION, 0);
	preempt_signal = mint(preempt_ntfn, MICA_RIGHT_WRITE, 1);

	order_reset();
	spawn((uintptr_t)high_waiter, 0, 150, 0, "high-waiter");
	spawn((uintptr_t)low_signaller, 0, 100, 0, "low-signaller");
	settle();
	CHECK_ORDER("abcd");

	order_reset();
	spawn((uintptr_t)low_waiter, 0, 100, 0, "low-waiter");
	settle();
	CHECK_ORDER("a");
	spawn((uintptr_t)high_signaller, 0, 150, 0, "high-signaller");
	settle();
	CHECK_ORDER("abcd");

	/*
	 * The tick may end a slice between a note and its yield, which
	 * changes the turns without anything being wrong; it lands there
	 * rarely, so one of a few tries sees the pure rotation.
	 */
	for (unsigned attempt = 0; attempt < ROUND_ROBIN_TRIES; attempt++) {
		order_reset();
		spawn((uintptr_t)round_robin_thread, 'A', 120, 0, "rr-a");
		spawn((uintptr_t)round_robin_thread, 'B', 120, 0, "rr-b");
		spawn((uintptr_t)round_robin_thread, 'C', 120, 0, "rr-c");
		settle();
		if (order_is("ABCABCABC"))
			break;
	}
	CHECK_ORDER("ABCABCABC");
	group_end("priorities preempt at once, and equal priorities take turns");
}

/* 6. Fault handlers change registers ------------------------------------------------- */

#define FAULTY_BADGE UINT64_C(0x66)

static volatile uint64_t after_udf, after_brk, after_svc, faulty_done;

/* Three faults in a row; the handler sets x0 and moves on past each. */
static void faulty(void)
{
	register uint64_t x0 __asm__("x0") = 1;
	struct mica_raw raw = {{0}};

	__asm__ volatile("udf #0" : "+r"(x0)::"memory");
	after_udf = x0;
	x0 = 2;
	__asm__ volatile("brk #7" : "+r"(x0)::"memory");
	after_brk = x0;
	raw.x[0] = 3;
	mica_syscall_raw(UNKNOWN_SYSCALL_NR, &raw);
	after_svc = raw.x[0];
	faulty_done = 1;
	park();
}

static uint32_t insn_at(uint64_t pc)
{
	return *(const volatile uint32_t *)(uintptr_t)pc;
}

/*
 * Check a MICA_FAULT_USER_EXCEPTION message against the thread's own
 * registers, then move its PC on by one instruction and set x0.
 */
static void skip_exception(uint64_t tcb, const uint64_t mr[MICA_MSG_REGISTERS], uint32_t insn,
			   uint64_t ec, uint64_t x0_before, uint64_t x0_after)
{
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	CHECK_EQ(insn_at(mr[0]), insn);
	CHECK_EQ((mr[2] >> ESR_EC_SHIFT) & ESR_EC_MASK, ec);
	CHECK_EQ(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
	CHECK_EQ(regs[MICA_CTX_PC], mr[0]);
	CHECK_EQ(regs[MICA_CTX_SP], mr[1]);
	CHECK_EQ(regs[MICA_CTX_X0], x0_before);
	regs[MICA_CTX_PC] += 4;
	regs[MICA_CTX_X0] = x0_after;
	CHECK_EQ(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
}

static void test_fault_handler_registers(void)
{
	uint64_t ep = make(MICA_OBJ_ENDPOINT, 0);
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};
	struct mica_raw raw = {{0}};
	struct mica_msg m;
	uint64_t tcb;

	group_start();
	/* Without a fault endpoint, an unknown number is just an error. */
	mica_syscall_raw(UNKNOWN_SYSCALL_NR, &raw);
	CHECK_EQ(raw.x[0], MICA_ERR_UNKNOWN_SYSCALL);

	tcb = spawn((uintptr_t)faulty, 0, 200, mint(ep, MICA_RIGHTS_ALL, FAULTY_BADGE), "faulty");
	m = mica_recv(ep, root_reply, mr);
	CHECK_EQ(m.err, MICA_OK);
	CHECK_EQ(m.badge, FAULTY_BADGE);
	CHECK_EQ(mica_msg_label(m.info), MICA_FAULT_USER_EXCEPTION);
	skip_exception(tcb, mr, INSN_UDF_0, ESR_EC_UNKNOWN, 1, 0xc0de1);

	m = mica_reply_recv(ep, root_reply, mica_msg_info(MICA_FAULT_RESUME, 0, 0), mr);
	CHECK_EQ(m.err, MICA_OK);
	CHECK_EQ(mica_msg_label(m.info), MICA_FAULT_USER_EXCEPTION);
	skip_exception(tcb, mr, INSN_BRK_7, ESR_EC_BRK64, 2, 0xc0de2);

	/* An unknown system call: the PC is already past the svc. */
	m = mica_reply_recv(ep, root_reply, mica_msg_info(MICA_FAULT_RESUME, 0, 0), mr);
	CHECK_EQ(m.err, MICA_OK);
	CHECK_EQ(mica_msg_label(m.info), MICA_FAULT_UNKNOWN_SYSCALL);
	CHECK_EQ(mr[2], UNKNOWN_SYSCALL_NR);
	CHECK_EQ(mr[3], 0);
	CHECK_EQ(insn_at(mr[0] - 4), INSN_SVC_0);
	CHECK_EQ(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
	CHECK_EQ(regs[MICA_CTX_PC], mr[0]);
	CHECK_EQ(regs[MICA_CTX_SP], mr[1]);
	regs[MICA_CTX_X0] = 0xc0de3;
	CHECK_EQ(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
	CHECK_EQ(mica_send(root_reply, mica_msg_info(MICA_FAULT_RESUME, 0, 0), mr).err, MICA_OK);
	settle();

	CHECK_EQ(after_udf, 0xc0de1);
	CHECK_EQ(after_brk, 0xc0de2);
	CHECK_EQ(after_svc, 0xc0de3);
	CHECK_EQ(faulty_done, 1);
	group_end("a fault handler changes registers and resumes the thread");
}

/* 7. Register round trip; FLAGS cannot leave EL0 ------------------------------------- */

#define FLAGS_BADGE UINT64_C(0x77)
#define FLAGS_ARG   UINT64_C(0xa59e7)

static volatile uint64_t flags_arg, flags_write_err, flags_done;

/* Runs with every FLAGS bit written: prints, and tries an EL1-only register read. */
static void flags_thread(uint64_t arg)
{
	static const char msg[] = "flags-thread: printing from EL0\n";
	uint64_t sctlr;

	flags_arg = arg;
	flags_write_err = sys_debug_write(msg, sizeof(msg) - 1);
	/* UNDEFINED at EL0 (Arm ARM D17.2.118): the handler skips it. */
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	(void)sctlr;
	flags_done = 1;
	park();
}

/* Every word written to a stopped thread reads back as written. */
static void check_round_trip(uint64_t tcb)
{
	uint64_t want[MICA_CONTEXT_WORDS], got[MICA_CONTEXT_WORDS + 1] = {0};

	for (unsigned i = 0; i < MICA_CONTEXT_WORDS; i++)
		want[i] = UINT64_C(0x0123456789abcdef) ^ ((uint64_t)(i + 1) * 0x1111111111111111);
	want[MICA_CTX_FLAGS] = UINT64_C(0x90000000); /* N and V: flags are all it keeps. */
	CHECK_EQ(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, want), MICA_OK);
	CHECK_EQ(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, got), MICA_OK);
	for (unsigned i = 0; i < MICA_CONTEXT_WORDS; i++)
		if (got[i] != want[i]) {
			printf("FAIL %s:%d register word %u is 0x%llx, wrote 0x%llx\n", __FILE__,
			       __LINE__, i, (unsigned long long)got[i],
			       (unsigned long long)want[i]);
			check_failures++;
		}
	CHECK_EQ(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS + 1, got), MICA_ERR_RANGE);
}

static void test_registers(void)
{
	uint64_t ep = make(MICA_OBJ_ENDPOINT, 0);
	uint64_t start[MICA_CONTEXT_WORDS] = {0}, regs[MICA_CONTEXT_WORDS] = {0};
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m;
	uint64_t tcb;

	group_start();
	tcb = spawn((uintptr_t)flags_thread, FLAGS_ARG, 200, mint(ep, MICA_RIGHTS_ALL, FLAGS_BADGE),
		    "flags");
	/* Below us, it has not run yet; stopped, it never will until resumed. */
	CHECK_EQ(mica_tcb_suspend(tcb), MICA_OK);
	CHECK_EQ(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, start), MICA_OK);
	CHECK_EQ(start[MICA_CTX_PC], (uintptr_t)flags_thread);
	CHECK_EQ(start[MICA_CTX_X0], FLAGS_ARG);
	check_round_trip(tcb);

	/* Every FLAGS bit written: only the condition flags take. */
	start[MICA_CTX_FLAGS] = UINT64_MAX;
	CHECK_EQ(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, start), MICA_OK);
	CHECK_EQ(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
	CHECK_EQ(regs[MICA_CTX_FLAGS], PSTATE_NZCV);

	/* Resumed, it still runs at EL0: it prints, and an EL1 register read faults. */
	CHECK_EQ(mica_tcb_resume(tcb), MICA_OK);
	m = mica_recv(ep, root_reply, mr);
	CHECK_EQ(m.err, MICA_OK);
	CHECK_EQ(m.badge, FLAGS_BADGE);
	CHECK_EQ(mica_msg_label(m.info), MICA_FAULT_USER_EXCEPTION);
	CHECK_EQ(insn_at(mr[0]) & ~INSN_RT_MASK, INSN_MRS_SCTLR_EL1);
	CHECK_EQ(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
	CHECK_EQ(regs[MICA_CTX_FLAGS] & ~PSTATE_NZCV, 0);
	regs[MICA_CTX_PC] += 4;
	CHECK_EQ(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs), MICA_OK);
	CHECK_EQ(mica_send(root_reply, mica_msg_info(MICA_FAULT_RESUME, 0, 0), mr).err, MICA_OK);
	settle();
	CHECK_EQ(flags_arg, FLAGS_ARG);
	CHECK_EQ(flags_write_err, MICA_OK);
	CHECK_EQ(flags_done, 1);
	group_end("registers round-trip, and FLAGS cannot leave EL0");
}

/* ------------------------------------------------------------------------------------ */

/* The largest non-device Untyped: room for a 2 MiB frame at a 2 MiB boundary. */
static void pick_untyped(void)
{
	unsigned best_bits = 0;

	for (uint64_t i = 0; i < info->untyped_count; i++) {
		const struct mica_untyped_desc *d = &info->untyped[i];

		if (!d->is_device && d->size_bits > best_bits) {
			best_bits = d->size_bits;
			untyped = info->untyped_first + i;
			untyped_base = d->paddr;
		}
	}
	untyped_size = UINT64_C(1) << best_bits;
	CHECK(best_bits >= MICA_LARGE_PAGE_BITS + 1);
}

int main(void)
{
	info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	printf("START kernel-more\n");
	CHECK_EQ(info->magic, MICA_BOOT_INFO_MAGIC);
	next_slot = info->empty_first;
	pick_untyped();
	if (check_failures != 0)
		return 1;
	settle_request = make(MICA_OBJ_NOTIFICATION, 0);
	settle_done = make(MICA_OBJ_NOTIFICATION, 0);
	signal_request = mint(settle_request, MICA_RIGHT_WRITE, 1);
	signal_done = mint(settle_done, MICA_RIGHT_WRITE, 1);
	park_ntfn = make(MICA_OBJ_NOTIFICATION, 0);
	root_reply = make(MICA_OBJ_REPLY, 0);
	probe_ep = make(MICA_OBJ_ENDPOINT, 0);
	probe_fault = mint(probe_ep, MICA_RIGHTS_ALL, PROBE_FAULT_BADGE);
	probe_report = mint(probe_ep, MICA_RIGHTS_ALL, PROBE_REPORT_BADGE);
	spawn((uintptr_t)idler, 0, 1, 0, "idler");

	test_large_frames();
	test_mappings_follow_capabilities();
	test_long_messages();
	test_bound_notification();
	test_preemption();
	test_fault_handler_registers();
	test_registers();

	return check_finish("kernel-more");
}
