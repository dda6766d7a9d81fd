/*
 * The isolation holes of issue 11 that generic kernel code can show, on
 * the fake architecture: each test is an attack, written as what its
 * author sees, and failed before the fix it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sanitizer/asan_interface.h>

#include "kernel_world.h"

#include "cnode.h"
#include "fake.h"
#include "invoke.h"
#include "ipc.h"
#include "sched.h"
#include "untyped.h"
#include "vcpu.h"
#include "vspace.h"

#include <mica/abi/exit.h>
#include <mica/abi/invocation.h>
#include <mica/abi/syscall.h>

/* Free slots of the world's root CNode for these tests. */
#define SLOT_A	   60
#define SLOT_B	   61
#define SLOT_C	   62
#define SLOT_D	   63
#define SLOT_E	   64
#define SLOT_SMALL 70 /* A small Untyped, so its memory is reused at once. */

static struct slot *slot(unsigned i)
{
	return &root_slots[i];
}

static void retype(unsigned from, enum mica_object_type type, unsigned bits, unsigned dest)
{
	assert_int_equal(untyped_retype(slot(from), type, bits, &slot(SLOT_ROOT)->cap, dest, 1,
					world_pool(type)),
			 MICA_OK);
}

/* An invocation of the capability in slot target by caller, with words and extra capabilities. */
static enum mica_error call(struct tcb *caller, unsigned target, uint64_t label,
			    const uint64_t *words, unsigned word_count, const unsigned *caps,
			    unsigned cap_count)
{
	struct invocation inv = {.caller = caller, .slot = slot(target), .label = label};

	for (unsigned i = 0; i < word_count; i++)
		inv.arg[i] = words[i];
	inv.length = word_count;
	for (unsigned i = 0; i < cap_count; i++)
		inv.extra[i] = slot(caps[i]);
	inv.extra_count = cap_count;
	return invoke(&inv);
}

/* A 2^bits Untyped carved out of the world's RAM into SLOT_SMALL. */
static void small_untyped(unsigned bits)
{
	retype(SLOT_UNTYPED, MICA_OBJ_UNTYPED, bits, SLOT_SMALL);
}

/* Level-2 and level-3 tables for va in the address space in slot space, in slots first and first
 * + 1. */
static void map_tables(struct tcb *caller, unsigned space, uint64_t va, unsigned first)
{
	for (unsigned i = first; i < first + 2; i++) {
		retype(SLOT_UNTYPED, MICA_OBJ_PAGE_TABLE, 0, i);
		assert_int_equal(call(caller, i, MICA_PAGE_TABLE_MAP, &va, 1, &space, 1), MICA_OK);
	}
}

/* Item 1: the kernel reads a DebugWrite buffer through its RAM-only map. */
static void test_debug_write_refuses_a_buffer_in_device_memory(void **state)
{
	struct tcb *t = make_thread(100);
	struct arch_vspace vs = vspace_of(&slot(SLOT_VSPACE)->cap);
	static uint8_t device_page[4096] __attribute__((aligned(4096)));

	(void)state;
	assert_int_equal(arch_vspace_map(&vs, va_init(0x500000), pa_init((uintptr_t)device_page),
					 12, MAP_READ | MAP_DEVICE, fake_alloc_page),
			 MICA_OK);
	run(t);
	(void)sys(t, false, MICA_SYS_DEBUG_WRITE, 0x500000, 8, 0, NULL);
	assert_int_equal(t->regs.x[0], MICA_ERR_BAD_ADDRESS);
	assert_int_equal(console_len, 0);
}

/* Item 2: a page table unmapped (or deleted) keeps nothing it mapped. */
static void test_unmapping_a_page_table_clears_every_entry_in_it(void **state)
{
	struct tcb *t = make_thread(100);
	const unsigned vspace = SLOT_VSPACE;
	uint64_t va = 0x40000000;
	uint64_t *table;

	(void)state;
	retype(SLOT_UNTYPED, MICA_OBJ_PAGE_TABLE, 0, SLOT_A);
	table = (uint64_t *)slot(SLOT_A)->cap.object;
	assert_int_equal(call(t, SLOT_A, MICA_PAGE_TABLE_MAP, &va, 1, &vspace, 1), MICA_OK);
	/* What mappings through it leave behind (the fake keeps its own list). */
	table[0] = 0x1234003;
	table[511] = 0x5678003;
	assert_int_equal(call(t, SLOT_A, MICA_PAGE_TABLE_UNMAP, NULL, 0, NULL, 0), MICA_OK);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(table[i], 0);

	/* Deleting the capability of a mapped table clears it too. */
	assert_int_equal(call(t, SLOT_A, MICA_PAGE_TABLE_MAP, &va, 1, &vspace, 1), MICA_OK);
	table[7] = 0x9abc003;
	slot_delete(slot(SLOT_A));
	assert_int_equal(table[7], 0);
}

/*
 * Item 2: a frame capability whose address space died keeps a record of
 * its mapping. Once another address space has the same ASID (and here
 * even the same root table), deleting the stale capability must not take
 * away a mapping the new space made with another capability to the frame.
 */
static void test_a_stale_mapping_record_never_unmaps_a_reused_asids_mapping(void **state)
{
	struct tcb *t = make_thread(100);
	const unsigned v1 = SLOT_B, v2 = SLOT_C;
	uint64_t map[3] = {0x600000, MICA_RIGHT_READ, 0};
	struct arch_vspace vs;

	(void)state;
	small_untyped(MICA_VSPACE_BITS);
	retype(SLOT_SMALL, MICA_OBJ_VSPACE, 0, v1);
	map_tables(t, v1, map[0], 100);
	retype(SLOT_UNTYPED, MICA_OBJ_FRAME_4K, 0, SLOT_A);
	assert_int_equal(cnode_copy(slot(SLOT_D), slot(SLOT_A), MICA_RIGHTS_ALL, false, 0),
			 MICA_OK);
	assert_int_equal(cnode_copy(slot(SLOT_E), slot(SLOT_A), MICA_RIGHTS_ALL, false, 0),
			 MICA_OK);
	assert_int_equal(call(t, SLOT_D, MICA_FRAME_MAP, map, 3, &v1, 1), MICA_OK);
	slot_delete(slot(v1));

	retype(SLOT_SMALL, MICA_OBJ_VSPACE, 0, v2);
	map_tables(t, v2, map[0], 102);
	vs = vspace_of(&slot(v2)->cap);
	assert_int_equal(call(t, SLOT_E, MICA_FRAME_MAP, map, 3, &v2, 1), MICA_OK);
	assert_int_equal(arch_vspace_translate(&vs, va_init(map[0]), MAP_READ).err, MICA_OK);

	slot_delete(slot(SLOT_D));
	assert_int_equal(arch_vspace_translate(&vs, va_init(map[0]), MAP_READ).err, MICA_OK);
	assert_int_equal(slot(SLOT_E)->cap.is_mapped, CAP_MAPPED);
}

/* Item 5: one page table, one capability. */
static void test_a_page_table_capability_cannot_be_copied_or_minted(void **state)
{
	(void)state;
	retype(SLOT_UNTYPED, MICA_OBJ_PAGE_TABLE, 0, SLOT_A);
	assert_int_equal(cnode_copy(slot(SLOT_B), slot(SLOT_A), MICA_RIGHTS_ALL, false, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(cnode_copy(slot(SLOT_B), slot(SLOT_A), MICA_RIGHTS_ALL, true, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_true(slot_is_empty(slot(SLOT_B)));
	assert_int_equal(cnode_move(slot(SLOT_B), slot(SLOT_A), false, MICA_RIGHTS_ALL, 0),
			 MICA_OK);
}

/*
 * Issue 15: the IVC server holds a VM's window tables and nothing else of
 * the VM. A table lends the addresses whose entries it holds, in the
 * space it is mapped in now, and no others.
 */
static void test_a_page_table_lends_only_its_own_addresses(void **state)
{
	struct tcb *t = make_thread(100);
	const unsigned vm = SLOT_B, l2 = 100, l3 = 101, loose = 102;
	uint64_t in[3] = {0x60001000, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0};
	uint64_t past[3] = {0x60200000, MICA_RIGHT_READ, 0};
	struct arch_vspace vs;

	(void)state;
	retype(SLOT_UNTYPED, MICA_OBJ_VM, 0, vm);
	map_tables(t, vm, in[0], l2);
	vs = vspace_of(&slot(vm)->cap);
	retype(SLOT_UNTYPED, MICA_OBJ_FRAME_4K, 0, SLOT_A);
	retype(SLOT_UNTYPED, MICA_OBJ_FRAME_4K, 0, SLOT_D);

	assert_int_equal(call(t, SLOT_A, MICA_FRAME_MAP, in, 3, &l3, 1), MICA_OK);
	assert_int_equal(arch_vspace_translate(&vs, va_init(in[0]), MAP_WRITE).err, MICA_OK);
	assert_int_equal(slot(SLOT_A)->cap.is_mapped, CAP_MAPPED_STAGE2);

	/*
	 * The next 2 MiB are not the table's, and the level-2 table above it
	 * does not hold the entries of pages under it.
	 */
	assert_int_equal(call(t, SLOT_D, MICA_FRAME_MAP, past, 3, &l3, 1), MICA_ERR_RANGE);
	in[0] += 0x1000;
	assert_int_equal(call(t, SLOT_D, MICA_FRAME_MAP, in, 3, &l2, 1), MICA_ERR_RANGE);
	assert_int_equal(arch_vspace_translate(&vs, va_init(past[0]), MAP_READ).err,
			 MICA_ERR_BAD_ADDRESS);
	/* A table lends nothing to map tables with. */
	retype(SLOT_UNTYPED, MICA_OBJ_PAGE_TABLE, 0, loose);
	assert_int_equal(call(t, loose, MICA_PAGE_TABLE_MAP, past, 1, &l3, 1), MICA_ERR_WRONG_TYPE);
	/* A table mapped nowhere lends nothing. */
	assert_int_equal(call(t, SLOT_D, MICA_FRAME_MAP, in, 3, &loose, 1),
			 MICA_ERR_ILLEGAL_OPERATION);

	/* Once the VM is gone the table lends nothing. */
	slot_delete(slot(SLOT_A));
	slot_delete(slot(vm));
	assert_int_equal(call(t, SLOT_D, MICA_FRAME_MAP, in, 3, &l3, 1),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_false(slot(SLOT_D)->cap.is_mapped);
}

/*
 * A table no walk reaches any more, or one that another table replaced,
 * lends nothing; nor does a dead VM's table to the new VM that took the
 * dead one's ID.
 */
static void test_a_page_table_lends_nothing_once_out_of_its_space(void **state)
{
	struct tcb *t = make_thread(100);
	const unsigned vm = SLOT_B, l2 = 100, l3 = 101, l2_new = 103, l3_new = 104;
	uint64_t in[3] = {0x60001000, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0};
	uint64_t id;

	(void)state;
	retype(SLOT_UNTYPED, MICA_OBJ_VM, 0, vm);
	id = slot(vm)->cap.data2;
	map_tables(t, vm, in[0], l2);
	retype(SLOT_UNTYPED, MICA_OBJ_FRAME_4K, 0, SLOT_A);
	/* Its parent unmapped: the table still says mapped, but no walk reaches it. */
	assert_int_equal(call(t, l2, MICA_PAGE_TABLE_UNMAP, NULL, 0, NULL, 0), MICA_OK);
	assert_int_equal(slot(l3)->cap.is_mapped, CAP_MAPPED_STAGE2);
	assert_int_equal(call(t, SLOT_A, MICA_FRAME_MAP, in, 3, &l3, 1), MICA_ERR_RANGE);
	/* New tables where it was: only the one the walk finds lends. */
	map_tables(t, vm, in[0], l2_new);
	assert_int_equal(call(t, SLOT_A, MICA_FRAME_MAP, in, 3, &l3, 1), MICA_ERR_RANGE);
	assert_int_equal(call(t, SLOT_A, MICA_FRAME_MAP, in, 3, &l3_new, 1), MICA_OK);
	slot_delete(slot(SLOT_A));
	slot_delete(slot(l2_new));
	slot_delete(slot(l3_new));

	/* A new VM with the dead one's ID, and tables at the same address. */
	slot_delete(slot(vm));
	retype(SLOT_UNTYPED, MICA_OBJ_VM, 0, vm);
	assert_int_equal(slot(vm)->cap.data2, id);
	map_tables(t, vm, in[0], l2_new);
	retype(SLOT_UNTYPED, MICA_OBJ_FRAME_4K, 0, SLOT_A);
	assert_int_equal(call(t, SLOT_A, MICA_FRAME_MAP, in, 3, &l3, 1),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(call(t, SLOT_A, MICA_FRAME_MAP, in, 3, &l3_new, 1), MICA_OK);
}

/* A VM in SLOT_B and a VCPU in SLOT_C. */
static void make_vm_and_vcpu(void)
{
	retype(SLOT_UNTYPED, MICA_OBJ_VM, 0, SLOT_B);
	retype(SLOT_UNTYPED, MICA_OBJ_VCPU, 0, SLOT_C);
}

/* The TCB capability's slot of a thread made by make_thread. */
static unsigned tcb_slot(const struct tcb *t)
{
	for (unsigned i = SLOT_FIRST_TCB; i < SLOT_A; i++)
		if (slot(i)->cap.type == MICA_OBJ_TCB && slot(i)->cap.object == (uintptr_t)t)
			return i;
	fail_msg("no TCB capability");
	return 0;
}

/* Set t's spaces: the world's CNode and the address space in slot space. */
static enum mica_error set_space(struct tcb *caller, struct tcb *t, unsigned space)
{
	const unsigned caps[2] = {SLOT_ROOT, space};

	return call(caller, tcb_slot(t), MICA_TCB_SET_SPACE, NULL, 0, caps, 2);
}

/* Item 3: a host thread that may run never gets a VM (it would run on another VM's EL1 state). */
static void test_set_space_refuses_a_vm_for_a_host_thread_that_may_run(void **state)
{
	struct tcb *root = make_thread(200);
	struct tcb *t = make_thread(100);

	(void)state;
	make_vm_and_vcpu();
	run(root);
	sched_wake(t);
	assert_int_equal(set_space(root, t, SLOT_B), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(t->slots[TCB_SLOT_VSPACE].cap.type, MICA_OBJ_VSPACE);
	/* Stopped, it may get one, but cannot be resumed with it. */
	thread_suspend(t);
	assert_int_equal(set_space(root, t, SLOT_B), MICA_OK);
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_RESUME, NULL, 0, NULL, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(t->state, THREAD_INACTIVE);
}

/* A bound vCPU thread in the VM, inactive; the VCPU in SLOT_C. */
static struct tcb *make_vcpu_thread(struct tcb *root)
{
	struct tcb *t = make_thread(100);
	const uint64_t entry[2] = {0x80000, 0};
	const unsigned vcpu = SLOT_C;

	make_vm_and_vcpu();
	assert_int_equal(set_space(root, t, SLOT_B), MICA_OK);
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_SET_ENTRY, entry, 2, NULL, 0), MICA_OK);
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_BIND_VCPU, NULL, 0, &vcpu, 1), MICA_OK);
	assert_true(arch_regs_is_guest(&t->regs));
	return t;
}

/* Item 3: a vCPU thread that may run never gets a host VSpace (an illegal return, a panic). */
static void test_set_space_refuses_a_vspace_for_a_vcpu_thread_that_may_run(void **state)
{
	struct tcb *root = make_thread(200);
	struct tcb *t;

	(void)state;
	run(root);
	t = make_vcpu_thread(root);
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_RESUME, NULL, 0, NULL, 0), MICA_OK);
	assert_int_equal(set_space(root, t, SLOT_VSPACE), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(t->slots[TCB_SLOT_VSPACE].cap.type, MICA_OBJ_VM);
}

/*
 * Item 3 and 9: a thread whose VCPU is deleted stops and is a host thread
 * from then on, at EL0; the VCPU, bound again, starts from reset.
 */
/* What VCPU GetStats answers the caller for the VCPU in slot vcpu. */
static const uint64_t *stats_of(struct tcb *caller, unsigned vcpu)
{
	static struct invocation inv;

	inv = (struct invocation){
		.caller = caller, .slot = slot(vcpu), .label = MICA_VCPU_GET_STATS};
	assert_int_equal(invoke(&inv), MICA_OK);
	assert_int_equal(inv.result_count, MICA_VCPU_STAT_COUNT);
	return inv.result;
}

static void test_unbinding_leaves_a_host_thread_and_a_vcpu_with_nothing_of_its_guest(void **state)
{
	struct tcb *root = make_thread(200);
	struct tcb *t, *t2;
	struct vcpu *v;
	const uint64_t write[2] = {MICA_VCPU_REG_TPIDR_EL1, 0xa5a5};
	const uint64_t irq[3] = {40, 0x80, 0};
	const unsigned vcpu = SLOT_C;

	(void)state;
	run(root);
	t = make_vcpu_thread(root);
	v = (struct vcpu *)slot(SLOT_C)->cap.object;
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_RESUME, NULL, 0, NULL, 0), MICA_OK);
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_WRITE_REG, write, 2, NULL, 0), MICA_OK);
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_INJECT_IRQ, irq, 3, NULL, 0), MICA_OK);

	/* Deleting a copy of the VCPU does nothing; deleting the last unbinds. */
	assert_int_equal(cnode_copy(slot(SLOT_D), slot(SLOT_C), MICA_RIGHTS_ALL, false, 0),
			 MICA_OK);
	slot_delete(slot(SLOT_C));
	assert_ptr_equal(t->vcpu, v);
	slot_delete(slot(SLOT_D));
	assert_null(t->vcpu);
	assert_int_equal(t->state, THREAD_INACTIVE);
	assert_false(arch_regs_is_guest(&t->regs));
	/* Its space is a VM: it cannot run until it gets a VSpace. */
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_RESUME, NULL, 0, NULL, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(set_space(root, t, SLOT_VSPACE), MICA_OK);
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_RESUME, NULL, 0, NULL, 0), MICA_OK);

	/* A VCPU unbound by its thread's end keeps nothing of that guest. */
	t2 = make_thread(100);
	retype(SLOT_UNTYPED, MICA_OBJ_VCPU, 0, SLOT_C);
	v = (struct vcpu *)slot(SLOT_C)->cap.object;
	assert_int_equal(
		call(root, SLOT_C, MICA_VCPU_SET_ENTRY, (const uint64_t[]){0x80000, 0}, 2, NULL, 0),
		MICA_OK);
	assert_int_equal(call(root, tcb_slot(t2), MICA_TCB_BIND_VCPU, NULL, 0, &vcpu, 1), MICA_OK);
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_WRITE_REG, write, 2, NULL, 0), MICA_OK);
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_INJECT_IRQ, irq, 3, NULL, 0), MICA_OK);
	assert_int_equal(stats_of(root, SLOT_C)[MICA_VCPU_STAT_INJECTED], 1);
	slot_delete(slot(tcb_slot(t2)));
	assert_null(v->tcb);
	assert_int_equal(v->arch.reg[MICA_VCPU_REG_TPIDR_EL1], 0);
	assert_int_equal(v->vgic.count, 0);
	assert_false(vgic_has_pending(v));
	/* Nor its exit statistics: the next VMM to bind it reads none of the last guest's. */
	for (unsigned i = 0; i < MICA_VCPU_STAT_COUNT; i++)
		assert_int_equal(stats_of(root, SLOT_C)[i], 0);
}

/*
 * Item 4: a thread that offers a second reply object must give up the
 * first, which otherwise keeps pointing at the thread after its memory is
 * something else, and its deletion writes there.
 */
static void test_offering_another_reply_object_releases_the_first(void **state)
{
	struct tcb *t = make_thread(100);
	struct reply *r1 = (struct reply *)slot(SLOT_REPLY)->cap.object;
	struct reply *r2;

	(void)state;
	retype(SLOT_UNTYPED, MICA_OBJ_REPLY, 0, SLOT_A);
	r2 = (struct reply *)slot(SLOT_A)->cap.object;
	run(t);
	(void)sys(t, false, MICA_SYS_NBRECV, SLOT_EP, 0, SLOT_REPLY, NULL);
	assert_ptr_equal(r1->holder, t);
	(void)sys(t, false, MICA_SYS_NBRECV, SLOT_EP, 0, SLOT_A, NULL);
	assert_ptr_equal(r2->holder, t);
	assert_ptr_equal(t->reply, r2);
	assert_null(r1->holder);
	/* Receiving with none withdraws the offer too. */
	(void)sys(t, false, MICA_SYS_NBRECV, SLOT_EP, 0, 0, NULL);
	assert_null(r2->holder);
	assert_null(t->reply);
}

/* The same through the ReplyRecv fastpath: a server answers with one reply object while offering
 * another. */
static void test_reply_recv_fastpath_releases_a_reply_object_offered_meanwhile(void **state)
{
	struct tcb *server = make_thread(100);
	struct tcb *client = make_thread(100);
	struct reply *r1 = (struct reply *)slot(SLOT_REPLY)->cap.object;
	struct reply *r2;
	struct tcb *next;

	(void)state;
	retype(SLOT_UNTYPED, MICA_OBJ_REPLY, 0, SLOT_A);
	r2 = (struct reply *)slot(SLOT_A)->cap.object;
	sched_wake(client);
	run(server);
	next = sys(server, true, MICA_SYS_RECV, SLOT_EP, 0, SLOT_REPLY, NULL);
	assert_ptr_equal(next, client);
	next = sys(client, true, MICA_SYS_CALL, SLOT_EP, 0, 0, NULL);
	assert_ptr_equal(next, server);
	assert_ptr_equal(r1->caller, client);
	(void)sys(server, true, MICA_SYS_NBRECV, SLOT_EP, 0, SLOT_A, NULL);
	assert_ptr_equal(r2->holder, server);
	next = sys(server, true, MICA_SYS_REPLY_RECV, SLOT_EP, 0, SLOT_REPLY, NULL);
	assert_ptr_equal(next, client);
	assert_ptr_equal(server->reply, r1);
	assert_ptr_equal(r1->holder, server);
	assert_null(r2->holder);
	assert_null(client->caller_of);
}

/*
 * Item 6: the IPC fastpath must not read through the slot array of a
 * CSpace root revoked from under the caller. The CNode's memory is
 * poisoned after the revoke, as if it were something else now.
 */
static void test_fastpath_never_reads_a_revoked_cspace_root(void **state)
{
	struct tcb *root = make_thread(200);
	struct tcb *t = make_thread(100);
	struct slot *cnode_slots;
	const size_t bytes = (size_t)1 << (4 + MICA_SLOT_BITS);
	struct tcb *next;

	(void)state;
	small_untyped(4 + MICA_SLOT_BITS);
	retype(SLOT_SMALL, MICA_OBJ_CNODE, 4, SLOT_A);
	assert_int_equal(cnode_copy(slot(SLOT_B), slot(SLOT_A), MICA_RIGHTS_ALL, true, 64 - 4),
			 MICA_OK);
	cnode_slots = (struct slot *)slot(SLOT_A)->cap.object;
	assert_int_equal(cnode_copy(&cnode_slots[1], slot(SLOT_EP), MICA_RIGHTS_ALL, false, 0),
			 MICA_OK);
	slot_delete(&t->slots[TCB_SLOT_CSPACE]);
	assert_int_equal(
		cnode_copy(&t->slots[TCB_SLOT_CSPACE], slot(SLOT_B), MICA_RIGHTS_ALL, false, 0),
		MICA_OK);
	tcb_spaces_changed(t);
	run(root);
	slot_revoke(slot(SLOT_SMALL));
	assert_true(slot_is_empty(&t->slots[TCB_SLOT_CSPACE]));
	ASAN_POISON_MEMORY_REGION(cnode_slots, bytes);
	run(t);
	next = sys(t, true, MICA_SYS_CALL, 1, 0, 0, NULL);
	ASAN_UNPOISON_MEMORY_REGION(cnode_slots, bytes);
	assert_ptr_equal(next, t);
	assert_int_equal(t->regs.x[6], MICA_ERR_WRONG_TYPE); /* The slow path: no CSpace root. */
}

/*
 * Item 6: a thread whose VSpace is revoked while it waits to run, when a
 * new VSpace made in the same memory (same root, same ASID) is the one
 * active, must get the empty address space, never the new one.
 */
static void test_a_thread_never_runs_a_new_vspace_made_where_its_revoked_one_was(void **state)
{
	struct tcb *a = make_thread(100);
	struct tcb *b = make_thread(100);
	uint64_t new_token;

	(void)state;
	small_untyped(MICA_VSPACE_BITS);
	retype(SLOT_SMALL, MICA_OBJ_VSPACE, 0, SLOT_A);
	assert_int_equal(set_space(a, a, SLOT_A), MICA_OK); /* a is inactive: any kind fits. */
	run(b);
	sched_wake(a);
	slot_revoke(slot(SLOT_SMALL));
	assert_true(slot_is_empty(&a->slots[TCB_SLOT_VSPACE]));
	retype(SLOT_SMALL, MICA_OBJ_VSPACE, 0, SLOT_B);
	new_token = slot(SLOT_B)->cap.data;
	assert_int_equal(set_space(b, b, SLOT_B), MICA_OK);
	sched_switch_vspace(b);
	assert_int_equal(fake_active_token, new_token);

	/* b yields to a: whatever a runs in, it is not b's new space. */
	sched_yield();
	assert_ptr_equal(schedule(), &a->regs);
	assert_int_not_equal(fake_active_token, new_token);
	assert_int_equal(fake_active_token, sched_empty_vspace_token);
}

/* Item 10: the kernel writes into an IPC buffer, so its frame capability must allow writing. */
static void test_an_ipc_buffer_needs_a_writable_frame_capability(void **state)
{
	struct tcb *root = make_thread(200);
	struct tcb *t = make_thread(100);
	const uint64_t va = 0x700000;
	const unsigned frame = SLOT_B;

	(void)state;
	retype(SLOT_UNTYPED, MICA_OBJ_FRAME_4K, 0, SLOT_A);
	assert_int_equal(cnode_copy(slot(SLOT_B), slot(SLOT_A), MICA_RIGHT_READ, false, 0),
			 MICA_OK);
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_SET_IPC_BUFFER, &va, 1, &frame, 1),
			 MICA_ERR_NO_RIGHTS);
	assert_true(slot_is_empty(&t->slots[TCB_SLOT_IPC_BUFFER]));
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_SET_IPC_BUFFER, &va, 1,
			      (const unsigned[]){SLOT_A}, 1),
			 MICA_OK);
}

/*
 * Item 13: refusing a hypercall with an undefined instruction reports the
 * HVC's own address (the exit's PC is already past it), and the answer
 * that resumes the guest then writes no result into its registers.
 */
static void test_undef_for_a_hypercall_points_at_the_hvc_and_completes_nothing(void **state)
{
	struct tcb *root = make_thread(200);
	struct tcb *t;
	struct vcpu *v;
	struct arch_regs answer = {0};

	(void)state;
	run(root);
	t = make_vcpu_thread(root);
	v = t->vcpu;
	v->exit = (struct vcpu_exit){.label = MICA_EXIT_HYPERCALL};
	t->regs.pc = 0x80004; /* Past an HVC at 0x80000. */
	t->regs.x[0] = 0x84000000;
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_INJECT_UNDEF, NULL, 0, NULL, 0), MICA_OK);
	assert_int_equal(t->regs.pc, 0x80000);
	assert_int_equal(v->arch.undefs, 1);
	answer.x[2] = 0xdead;
	assert_true(vcpu_exit_answered(t, mica_msg_info(MICA_EXIT_RESUME, 0, 1), &answer));
	assert_int_equal(t->regs.x[0], 0x84000000);
	assert_int_equal(t->regs.pc, 0x80000);
}

/*
 * An external abort answers only an abort exit (MMIO, or a fault the
 * architecture layer marked as an abort) and only once: after it, the
 * answer that resumes the guest completes no load (no register written,
 * no PC moved), and a second abort, or one for a hypercall or a system
 * register, is refused.
 */
static void test_abort_answers_only_an_abort_exit_and_completes_nothing(void **state)
{
	struct tcb *root = make_thread(200);
	struct tcb *t;
	struct vcpu *v;
	struct arch_regs answer = {0};

	(void)state;
	run(root);
	t = make_vcpu_thread(root);
	v = t->vcpu;
	v->arch.abortable = true;
	v->exit = (struct vcpu_exit){.label = MICA_EXIT_HYPERCALL};
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_INJECT_ABORT, NULL, 0, NULL, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	v->exit = (struct vcpu_exit){.label = MICA_EXIT_SYSREG, .insn_len = 4, .is_read = true};
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_INJECT_ABORT, NULL, 0, NULL, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(v->arch.aborts, 0);

	v->exit = (struct vcpu_exit){
		.label = MICA_EXIT_MMIO, .reg = 3, .insn_len = 4, .is_read = true, .reg64 = true};
	t->regs.pc = 0x80000;
	t->regs.x[3] = 0x1234;
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_INJECT_ABORT, NULL, 0, NULL, 0), MICA_OK);
	assert_int_equal(v->arch.aborts, 1);
	assert_int_equal(call(root, SLOT_C, MICA_VCPU_INJECT_ABORT, NULL, 0, NULL, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(v->arch.aborts, 1);
	answer.x[2] = 0xdead;
	assert_true(vcpu_exit_answered(t, mica_msg_info(MICA_EXIT_RESUME, 0, 1), &answer));
	assert_int_equal(t->regs.x[3], 0x1234);
	assert_int_equal(t->regs.pc, 0x80000);
}

/*
 * Item 12: IDs for address spaces come from pools that ASIDControl makes;
 * a holder with an Untyped but no pool can make no VSpace, and one with a
 * pool can use up that pool alone.
 */
static void test_address_space_ids_come_only_from_a_pool_of_their_kind(void **state)
{
	struct tcb *root = make_thread(200);
	const uint64_t make_pool_vspace[3] = {MICA_ASID_POOL_VSPACE, SLOT_B, 64};
	const unsigned cnode = SLOT_ROOT;
	unsigned made = 0;

	(void)state;
	slot_insert(slot(SLOT_A),
		    (struct cap){.type = MICA_OBJ_ASID_CONTROL, .rights = MICA_RIGHTS_ALL}, NULL);
	assert_int_equal(cnode_copy(slot(SLOT_C), slot(SLOT_A), MICA_RIGHTS_ALL, false, 0),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(
		call(root, SLOT_A, MICA_ASID_CONTROL_MAKE_POOL, make_pool_vspace, 3, &cnode, 1),
		MICA_OK);
	assert_int_equal(slot(SLOT_B)->cap.type, MICA_OBJ_ASID_POOL);

	/* No pool, or one of the other kind: no VSpace. */
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_VSPACE, 0,
					&slot(SLOT_ROOT)->cap, 100, 1, NULL),
			 MICA_ERR_INVALID_CAPABILITY);
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_VSPACE, 0,
					&slot(SLOT_ROOT)->cap, 100, 1, world_pool(MICA_OBJ_VM)),
			 MICA_ERR_WRONG_TYPE);
	/* A pool gives MICA_ASID_POOL_SIZE IDs, all or nothing per retype. */
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_VSPACE, 0,
					&slot(SLOT_ROOT)->cap, 100, MICA_ASID_POOL_SIZE + 1,
					&slot(SLOT_B)->cap),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	for (; made < MICA_ASID_POOL_SIZE; made++)
		assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_VSPACE, 0,
						&slot(SLOT_ROOT)->cap, 100 + made, 1,
						&slot(SLOT_B)->cap),
				 MICA_OK);
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_VSPACE, 0,
					&slot(SLOT_ROOT)->cap, 100 + made, 1, &slot(SLOT_B)->cap),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	/* Another holder's pool is untouched by this one running dry. */
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_VSPACE, 0,
					&slot(SLOT_ROOT)->cap, 100 + made, 1,
					world_pool(MICA_OBJ_VSPACE)),
			 MICA_OK);
	slot_delete(slot(100 + made));
	/* A space's end gives its ID back to its pool. */
	slot_delete(slot(100));
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_VSPACE, 0,
					&slot(SLOT_ROOT)->cap, 100, 1, &slot(SLOT_B)->cap),
			 MICA_OK);
	/* Two pools are two objects: deleting one copy of one leaves it, deleting the last frees
	 * it. */
	assert_int_equal(call(root, SLOT_A, MICA_ASID_CONTROL_MAKE_POOL,
			      (const uint64_t[]){MICA_ASID_POOL_VSPACE, SLOT_D, 64}, 3, &cnode, 1),
			 MICA_OK);
	assert_int_equal(cnode_copy(slot(SLOT_E), slot(SLOT_D), MICA_RIGHTS_ALL, false, 0),
			 MICA_OK);
	assert_false(cap_is_final(slot(SLOT_D)));
	assert_true(cap_is_final(slot(SLOT_B)));
	slot_delete(slot(SLOT_E));
	assert_true(cap_is_final(slot(SLOT_D)));
	slot_delete(slot(SLOT_D)); /* Its block, with no space from it, is free again. */
	/* The pool's block is not given to a new pool while spaces hold IDs from it. */
	slot_delete(slot(SLOT_B));
	for (unsigned i = 1; i < MICA_ASID_POOL_COUNT - 2; i++)
		assert_int_equal(asid_pool_make(MICA_ASID_POOL_VSPACE, &slot(SLOT_C)->cap),
				 MICA_OK);
	assert_int_equal(asid_pool_make(MICA_ASID_POOL_VSPACE, &slot(SLOT_C)->cap),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	for (unsigned i = 0; i < MICA_ASID_POOL_SIZE; i++)
		slot_delete(slot(100 + i));
	assert_int_equal(asid_pool_make(MICA_ASID_POOL_VSPACE, &slot(SLOT_C)->cap), MICA_OK);
	/* Give every block made here back for the next test's world. */
	for (unsigned b = 1; b < MICA_ASID_POOL_COUNT; b++) {
		struct cap pool = {
			.type = MICA_OBJ_ASID_POOL, .data = b, .data2 = MICA_ASID_POOL_VSPACE};

		if (b != world_pool(MICA_OBJ_VSPACE)->data)
			asid_pool_destroy(&pool);
	}
	slot_delete(slot(SLOT_A));
}

/*
 * Review finding: a thread's FP/SIMD registers are the guest's while it
 * runs a vCPU. Unbinding must not leave them to the host thread it
 * becomes, nor binding leave a host thread's to its guest.
 */
static void test_fp_registers_never_cross_a_bind_or_an_unbind(void **state)
{
	struct tcb *root = make_thread(200);
	struct tcb *t;
	const unsigned vcpu = SLOT_C;

	(void)state;
	run(root);
	t = make_vcpu_thread(root);
	/* The guest used FP: its registers are in the unit, t their owner. */
	run(t);
	fake_fp.v0 = 0;
	sched_fp_take(t);
	fake_fp.v0 = 0x40571234;
	run(root);
	slot_delete(slot(SLOT_C)); /* Unbinds. */
	assert_null(t->vcpu);
	assert_int_equal(t->fp.v0, 0);
	assert_ptr_not_equal(sched_cpus[0].fp_owner, t);
	run(t);
	sched_fp_take(t);
	assert_int_equal(fake_fp.v0, 0); /* The host thread starts with zeroes. */

	/* A host thread's registers, saved in its TCB, do not reach the guest it is bound to. */
	t->fp.v0 = 0x5ec2e7;
	sched_fp_forget(t);
	run(root);
	t->state = THREAD_INACTIVE; /* Stopped, as binding needs. */
	retype(SLOT_UNTYPED, MICA_OBJ_VCPU, 0, SLOT_C);
	assert_int_equal(
		call(root, SLOT_C, MICA_VCPU_SET_ENTRY, (const uint64_t[]){0x80000, 0}, 2, NULL, 0),
		MICA_OK);
	assert_int_equal(set_space(root, t, SLOT_B), MICA_OK);
	assert_int_equal(call(root, tcb_slot(t), MICA_TCB_BIND_VCPU, NULL, 0, &vcpu, 1), MICA_OK);
	assert_int_equal(t->fp.v0, 0);
}

/* Review finding: a thread that revokes its own VSpace stops running in it at once. */
static void test_revoking_ones_own_vspace_takes_effect_on_return(void **state)
{
	struct tcb *t = make_thread(100);
	const uint64_t revoke[4] = {SLOT_VSPACE, 64, 0, 0};

	(void)state;
	run(t);
	sched_switch_vspace(t);
	assert_int_equal(fake_active_token, slot(SLOT_VSPACE)->cap.data);
	assert_ptr_equal(sys(t, false, MICA_SYS_CALL, SLOT_ROOT,
			     mica_msg_info(MICA_CNODE_REVOKE, 0, 2), 0, revoke),
			 t);
	assert_int_equal(t->regs.x[6], MICA_OK);
	assert_true(slot_is_empty(&t->slots[TCB_SLOT_VSPACE]));
	assert_int_equal(fake_active_token, sched_empty_vspace_token);
}

/* Review finding: a TCB whose destruction stops part-way runs no more meanwhile. */
static void test_a_thread_whose_tcb_is_dying_runs_no_more(void **state)
{
	struct tcb *killer = make_thread(100);
	struct tcb *victim = make_thread(200);
	unsigned victim_slot = tcb_slot(victim);
	const uint64_t del[4] = {victim_slot, 64, 0, 0};
	struct tcb *next;

	(void)state;
	run(killer);
	sched_wake(victim); /* Woken by the interrupt that preempts the deletion, say. */
	fake_preempt_every = 1;
	next = sys(killer, false, MICA_SYS_CALL, SLOT_ROOT, mica_msg_info(MICA_CNODE_DELETE, 0, 2),
		   0, del);
	fake_preempt_every = 0;
	assert_true(slot_is_zombie(slot(victim_slot)));
	assert_false(victim->is_destroyed);
	assert_int_equal(victim->state, THREAD_INACTIVE);
	assert_ptr_equal(next, killer);
	/* The call, made again, finishes the job. */
	assert_ptr_equal(sys(killer, false, MICA_SYS_CALL, SLOT_ROOT,
			     mica_msg_info(MICA_CNODE_DELETE, 0, 2), 0, del),
			 killer);
	assert_int_equal(killer->regs.x[6], MICA_OK);
	assert_true(victim->is_destroyed);
	assert_true(slot_is_empty(slot(victim_slot)));
}

/*
 * Review finding: a thread that gives itself a new CSpace, its old one the
 * last capability to a CNode full of capabilities, has the new one even if
 * the old one's deletion stops part-way (a restart would look the call's
 * capabilities up in a CSpace that is half gone).
 */
static void test_set_space_on_oneself_holds_even_when_the_old_cspace_dies_slowly(void **state)
{
	struct tcb *t = make_thread(100);
	struct slot *old_root;
	struct invocation inv = {0};

	(void)state;
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_CNODE, 4,
					&slot(SLOT_ROOT)->cap, 40, 1, NULL),
			 MICA_OK);
	old_root = (struct slot *)slot(40)->cap.object;
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(cnode_copy(&old_root[i], slot(SLOT_EP), MICA_RIGHTS_ALL, false, 0),
				 MICA_OK);
	slot_delete(&t->slots[TCB_SLOT_CSPACE]);
	assert_int_equal(
		cnode_copy(&t->slots[TCB_SLOT_CSPACE], slot(40), MICA_RIGHTS_ALL, false, 0),
		MICA_OK);
	slot_delete(slot(40));
	assert_true(cap_is_final(&t->slots[TCB_SLOT_CSPACE]));
	tcb_spaces_changed(t);
	run(t);
	inv.caller = t;
	inv.slot = slot(tcb_slot(t));
	inv.label = MICA_TCB_SET_SPACE;
	inv.extra[0] = slot(SLOT_ROOT);
	inv.extra[1] = slot(SLOT_VSPACE);
	inv.extra_count = 2;
	fake_preempt_every = 1;
	assert_int_equal(invoke(&inv), MICA_OK);
	fake_preempt_every = 0;
	assert_int_equal(t->slots[TCB_SLOT_CSPACE].cap.object, slot(SLOT_ROOT)->cap.object);
	assert_true(slot_is_zombie(&t->slots[TCB_SLOT_RETIRED]));
	/* The next call finishes the old one's deletion first. */
	assert_int_equal(invoke(&inv), MICA_OK);
	assert_true(slot_is_empty(&t->slots[TCB_SLOT_RETIRED]));
	for (unsigned i = 0; i < 16; i++)
		assert_true(slot_is_empty(&old_root[i]));
}

#define WORLD_TEST(fn) cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WORLD_TEST(test_debug_write_refuses_a_buffer_in_device_memory),
		WORLD_TEST(test_unmapping_a_page_table_clears_every_entry_in_it),
		WORLD_TEST(test_a_stale_mapping_record_never_unmaps_a_reused_asids_mapping),
		WORLD_TEST(test_a_page_table_capability_cannot_be_copied_or_minted),
		WORLD_TEST(test_a_page_table_lends_only_its_own_addresses),
		WORLD_TEST(test_a_page_table_lends_nothing_once_out_of_its_space),
		WORLD_TEST(test_set_space_refuses_a_vm_for_a_host_thread_that_may_run),
		WORLD_TEST(test_set_space_refuses_a_vspace_for_a_vcpu_thread_that_may_run),
		WORLD_TEST(
			test_unbinding_leaves_a_host_thread_and_a_vcpu_with_nothing_of_its_guest),
		WORLD_TEST(test_offering_another_reply_object_releases_the_first),
		WORLD_TEST(test_reply_recv_fastpath_releases_a_reply_object_offered_meanwhile),
		WORLD_TEST(test_fastpath_never_reads_a_revoked_cspace_root),
		WORLD_TEST(test_a_thread_never_runs_a_new_vspace_made_where_its_revoked_one_was),
		WORLD_TEST(test_an_ipc_buffer_needs_a_writable_frame_capability),
		WORLD_TEST(test_undef_for_a_hypercall_points_at_the_hvc_and_completes_nothing),
		WORLD_TEST(test_abort_answers_only_an_abort_exit_and_completes_nothing),
		WORLD_TEST(test_address_space_ids_come_only_from_a_pool_of_their_kind),
		WORLD_TEST(test_fp_registers_never_cross_a_bind_or_an_unbind),
		WORLD_TEST(test_revoking_ones_own_vspace_takes_effect_on_return),
		WORLD_TEST(test_a_thread_whose_tcb_is_dying_runs_no_more),
		WORLD_TEST(test_set_space_on_oneself_holds_even_when_the_old_cspace_dies_slowly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
