/*
 * qemu.vm-destroy: destroying a VM while its vCPUs run on other CPUs.
 *
 * A VM with three vCPUs, made from one Untyped of its own, runs on CPUs
 * 1..3: each vCPU says hello with a hypercall and then spins, counting in
 * x19. While they spin, this root task on CPU 0 takes the VM apart in one
 * of several orders: the VM first (a revoke of its capability, which takes
 * the copies its TCBs hold), the vCPUs first, the TCBs first, its code page
 * first (each vCPU must fault at once, on its own CPU), or a revoke of the
 * Untyped that takes everything at once. After each the vCPUs must have
 * stopped, the kernel's invariants hold (test kernel,
 * MICA_SYS_DEBUG_CHECK), and the Untyped, reset, is retyped for the next
 * VM in the same memory; a last fresh VM there must say hello from each
 * CPU and run.
 *
 * Nothing rests on time: "it runs" is its count moving while this thread
 * looks at it many times, "it stopped" the count standing still.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/context.h>
#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/process.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stdint.h>

#include "../guests/guest.h"
#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE
#define RW   (MICA_RIGHT_READ | MICA_RIGHT_WRITE)

#define VCPUS	       3u
#define GUEST_PRIORITY 100
/* The Untyped every VM of the test is made from: 64 KiB is plenty (or more, see setup). */
#define UNTYPED_BITS 16
/* Where this task sees the guest's code page while it writes it. */
#define CODE_VA UINT64_C(0x0000006200000000)
/* The guest's code and entry point: the start of its RAM. */
#define CODE_IPA GUEST_RAM_BASE
/* How many times this thread looks at a count that should move, or stay. */
#define PATIENCE     UINT64_C(20000000)
#define STILL_CHECKS UINT64_C(200000)

/*
 * The guest, the same on every vCPU:
 *
 *	movz	x0, #0xa1	// GUEST_CALL_HELLO
 *	hvc	#0
 * 1:	add	x19, x19, #1
 *	yield			// Not trapped; ends the CPU's turn under -icount.
 *	b	1b
 */
static const uint32_t guest_code[] = {
	0xd2800000u | GUEST_CALL_HELLO << 5, 0xd4000002u, 0x91000673u, 0xd503203fu, 0x17fffffeu,
};

/* The orders in which the running VM is taken apart. */
enum order {
	ORDER_VM_FIRST,
	ORDER_VCPUS_FIRST,
	ORDER_TCBS_FIRST,
	ORDER_MEMORY_FIRST,
	ORDER_REVOKE_UNTYPED,
	ORDER_COUNT,
};

static const char *const order_names[ORDER_COUNT] = {
	[ORDER_VM_FIRST] = "the VM first",
	[ORDER_VCPUS_FIRST] = "the vCPUs first",
	[ORDER_TCBS_FIRST] = "the TCBs first",
	[ORDER_MEMORY_FIRST] = "its code page first (each vCPU faults at once)",
	[ORDER_REVOKE_UNTYPED] = "a revoke of the Untyped",
};

/* The slots of one VM's objects, all retyped from untyped. */
static struct {
	uint64_t vm;
	uint64_t vcpu[VCPUS];
	uint64_t tcb[VCPUS];
	uint64_t code;
	uint64_t table[2];
} s;

static uint64_t untyped, pool, ep, reply, scratch;
static uint64_t exit_ep[VCPUS]; /* ep, minted with badge i + 1 for vCPU i. */
static int group_start_failures;

static void retype(enum mica_object_type type, uint64_t slot)
{
	if (type == MICA_OBJ_VM)
		CHECK_OK(mica_untyped_retype_space(untyped, type, pool, ROOT, 0, 0, slot, 1));
	else
		CHECK_OK(mica_untyped_retype(untyped, type, 0, ROOT, 0, 0, slot, 1));
}

static void check_kernel(void)
{
	struct mica_raw check = {{0}};

	check.x[0] = ROOT;
	mica_syscall_raw(MICA_SYS_DEBUG_CHECK, &check);
	CHECK_EQ(check.x[0], MICA_OK);
	CHECK_EQ(check.x[1], 0);
}

/* The guest's code page, written through a copy of its capability mapped here. */
static void write_code(void)
{
	CHECK_OK(mica_cnode_copy(ROOT, scratch, 64, ROOT, s.code, 64, MICA_RIGHTS_ALL));
	CHECK_OK(process_map_here(scratch, CODE_VA, RW, 0));
	for (unsigned i = 0; i < sizeof(guest_code) / sizeof(guest_code[0]); i++)
		((volatile uint32_t *)CODE_VA)[i] = guest_code[i];
	CHECK_OK(mica_cnode_delete(ROOT, scratch, 64));
}

/* A VM of VCPUS vCPUs from untyped, vCPU i's thread on CPU i + 1, not started. */
static void build(void)
{
	enum mica_error err;

	retype(MICA_OBJ_VM, s.vm);
	retype(MICA_OBJ_FRAME_4K, s.code);
	write_code();
	err = mica_frame_map(s.code, s.vm, CODE_IPA, RW, MICA_MAP_EXECUTE);
	/* Two tables are missing: level 2, then level 3. */
	for (unsigned i = 0; i < 2 && err == MICA_ERR_LOOKUP_FAILED; i++) {
		retype(MICA_OBJ_PAGE_TABLE, s.table[i]);
		CHECK_OK(mica_page_table_map(s.table[i], s.vm, CODE_IPA));
		err = mica_frame_map(s.code, s.vm, CODE_IPA, RW, MICA_MAP_EXECUTE);
	}
	CHECK_OK(err);
	for (unsigned i = 0; i < VCPUS; i++) {
		retype(MICA_OBJ_VCPU, s.vcpu[i]);
		retype(MICA_OBJ_TCB, s.tcb[i]);
		CHECK_OK(mica_vcpu_set_entry(s.vcpu[i], CODE_IPA, 0));
		CHECK_OK(mica_tcb_set_space(s.tcb[i], ROOT, s.vm, exit_ep[i]));
		CHECK_OK(mica_tcb_bind_vcpu(s.tcb[i], s.vcpu[i]));
		CHECK_OK(mica_tcb_set_priority(s.tcb[i], GUEST_PRIORITY));
		CHECK_OK(mica_tcb_set_affinity(s.tcb[i], i + 1));
	}
}

static uint64_t count_of(unsigned i)
{
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	CHECK_OK(mica_tcb_read_registers(s.tcb[i], MICA_CONTEXT_WORDS, regs));
	return regs[MICA_CTX_X0 + 19];
}

/* Does vCPU i's count move within PATIENCE looks? (Reading it stops the vCPU for a moment.) */
static bool is_counting(unsigned i)
{
	uint64_t start = count_of(i);

	for (uint64_t n = 0; n < PATIENCE; n++) {
		__asm__ volatile("yield" ::: "memory");
		if (n % 4096 == 0 && count_of(i) != start)
			return true;
	}
	return false;
}

/*
 * Does vCPU i's state read Running within PATIENCE looks? Reading its count
 * just took it off its CPU for a moment: that CPU needs the kernel lock to
 * put it back, and may get it only after a look or two.
 */
static bool is_reported_running(unsigned i)
{
	uint64_t state = 0;

	for (uint64_t n = 0; n < PATIENCE / 4096; n++) {
		CHECK_OK(mica_vcpu_get_state(s.vcpu[i], &state));
		if (state == MICA_VCPU_RUNNING)
			return true;
		__asm__ volatile("yield" ::: "memory");
	}
	printf("FAIL %s:%d vCPU %u: state 0x%llx, never Running\n", __FILE__, __LINE__, i,
	       (unsigned long long)state);
	return false;
}

static bool stands_still(unsigned i)
{
	uint64_t start = count_of(i);

	for (uint64_t n = 0; n < STILL_CHECKS; n++)
		__asm__ volatile("yield" ::: "memory");
	return count_of(i) == start;
}

/* Start the VM: every vCPU's hello arrives, each once; then each runs on its CPU. */
static void start(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	bool seen[VCPUS] = {false};
	struct mica_msg m;

	for (unsigned i = 0; i < VCPUS; i++)
		CHECK_OK(mica_tcb_resume(s.tcb[i]));
	m = mica_recv(ep, reply, mr);
	for (unsigned n = 0; n < VCPUS; n++) {
		unsigned i = (unsigned)m.badge - 1;

		if (m.err != MICA_OK || i >= VCPUS || seen[i] ||
		    mica_msg_label(m.info) != MICA_EXIT_HYPERCALL || mr[0] != GUEST_CALL_HELLO) {
			printf("FAIL %s:%d exit: error %d, badge %llu, label %llu, x0 0x%llx\n",
			       __FILE__, __LINE__, m.err, (unsigned long long)m.badge,
			       (unsigned long long)mica_msg_label(m.info),
			       (unsigned long long)mr[0]);
			check_failures++;
			return;
		}
		seen[i] = true;
		if (n + 1 < VCPUS)
			m = mica_reply_recv(ep, reply, mica_msg_info(0, 0, 0), mr);
		else
			(void)mica_send(reply, mica_msg_info(0, 0, 0), mr);
	}
	for (unsigned i = 0; i < VCPUS; i++) {
		CHECK(is_counting(i));
		CHECK(is_reported_running(i));
	}
}

static void delete_cap(uint64_t slot)
{
	CHECK_OK(mica_cnode_delete(ROOT, slot, 64));
}

static void delete_vcpus(void)
{
	for (unsigned i = 0; i < VCPUS; i++)
		delete_cap(s.vcpu[i]);
}

static void delete_tcbs(void)
{
	for (unsigned i = 0; i < VCPUS; i++)
		delete_cap(s.tcb[i]);
}

static void delete_memory(void)
{
	delete_cap(s.code);
	delete_cap(s.table[1]);
	delete_cap(s.table[0]);
}

/*
 * Each vCPU's fault exit, as its guest fetches from the page just deleted:
 * a stage-2 fault at CODE_IPA. Left unanswered: the vCPUs wait.
 */
static void wait_for_faults(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	bool seen[VCPUS] = {false};
	unsigned faults = 0;

	for (uint64_t n = 0; n < PATIENCE && faults < VCPUS; n++) {
		struct mica_msg m = mica_nbrecv(ep, reply, mr);
		unsigned i = (unsigned)m.badge - 1;

		if (m.err != MICA_OK) {
			__asm__ volatile("yield" ::: "memory");
			continue;
		}
		if (i >= VCPUS || seen[i] || mica_msg_label(m.info) != MICA_EXIT_FAULT ||
		    mr[2] != CODE_IPA) {
			printf("FAIL %s:%d exit: badge %llu, label %llu, 0x%llx 0x%llx 0x%llx "
			       "0x%llx\n",
			       __FILE__, __LINE__, (unsigned long long)m.badge,
			       (unsigned long long)mica_msg_label(m.info),
			       (unsigned long long)mr[0], (unsigned long long)mr[1],
			       (unsigned long long)mr[2], (unsigned long long)mr[3]);
			check_failures++;
			return;
		}
		seen[i] = true;
		faults++;
	}
	CHECK_EQ(faults, VCPUS);
}

/* The running VM taken apart in the given order; its vCPUs stop at the first step. */
static void destroy(enum order order)
{
	uint64_t state = 0;

	switch (order) {
	case ORDER_VM_FIRST:
		/* The TCBs hold copies of its capability: a revoke takes those first. */
		CHECK_OK(mica_cnode_revoke(ROOT, s.vm, 64));
		delete_cap(s.vm);
		for (unsigned i = 0; i < VCPUS; i++) {
			CHECK(stands_still(i));
			CHECK_OK(mica_vcpu_get_state(s.vcpu[i], &state));
			CHECK(state != MICA_VCPU_RUNNING);
		}
		delete_vcpus();
		delete_tcbs();
		delete_memory();
		break;
	case ORDER_VCPUS_FIRST:
		delete_vcpus();
		/* Each thread is left suspended, with a fresh host context. */
		for (unsigned i = 0; i < VCPUS; i++)
			CHECK_EQ(count_of(i), 0);
		delete_tcbs();
		delete_cap(s.vm);
		delete_memory();
		break;
	case ORDER_TCBS_FIRST:
		delete_tcbs();
		for (unsigned i = 0; i < VCPUS; i++) {
			CHECK_OK(mica_vcpu_get_state(s.vcpu[i], &state));
			CHECK(state != MICA_VCPU_RUNNING);
		}
		delete_vcpus();
		delete_cap(s.vm);
		delete_memory();
		break;
	case ORDER_MEMORY_FIRST:
		/* Every vCPU's next fetch from the page faults, on every CPU. */
		delete_cap(s.code);
		wait_for_faults();
		for (unsigned i = 0; i < VCPUS; i++)
			CHECK(stands_still(i));
		delete_cap(s.table[1]);
		delete_cap(s.table[0]);
		delete_cap(s.vm);
		delete_tcbs();
		delete_vcpus();
		break;
	case ORDER_REVOKE_UNTYPED:
		CHECK_OK(mica_cnode_revoke(ROOT, untyped, 64));
		break;
	case ORDER_COUNT:
		break;
	}
}

/* Every object is gone: its capability names nothing, and nothing waits on the endpoint. */
static void check_gone(void)
{
	uint64_t state = 0;
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m;

	CHECK_EQ(mica_vcpu_get_state(s.vcpu[0], &state), MICA_ERR_INVALID_CAPABILITY);
	CHECK_EQ(mica_tcb_suspend(s.tcb[0]), MICA_ERR_INVALID_CAPABILITY);
	CHECK_EQ(mica_frame_unmap(s.code), MICA_ERR_INVALID_CAPABILITY);
	m = mica_nbrecv(ep, reply, mr);
	CHECK(m.err != MICA_OK);
}

static void group_start(void)
{
	group_start_failures = check_failures;
}

static void group_end(const char *what, const char *how)
{
	check_kernel();
	if (check_failures == group_start_failures)
		printf("vm-destroy: %s%s\n", what, how);
	else
		printf("vm-destroy: %d checks failed in \"%s%s\"\n",
		       check_failures - group_start_failures, what, how);
}

static void setup(const struct mica_boot_info *info)
{
	CHECK(info->cpu_count >= VCPUS + 1);
	CHECK_OK(alloc_init(info));
	/*
	 * The allocator takes the smallest boot Untyped with room, which the
	 * kernel refuses to retype into a child of its own size
	 * (MICA_ERR_RANGE): a larger child then.
	 */
	for (unsigned bits = UNTYPED_BITS; untyped == 0 && bits < UNTYPED_BITS + 8; bits++)
		untyped = alloc_object(MICA_OBJ_UNTYPED, bits);
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	pool = alloc_slot();
	scratch = alloc_slot();
	s.vm = alloc_slot();
	s.code = alloc_slot();
	s.table[0] = alloc_slot();
	s.table[1] = alloc_slot();
	CHECK(untyped && ep && reply && pool && scratch && s.vm && s.code && s.table[0] &&
	      s.table[1]);
	CHECK_OK(mica_asid_control_make_pool(MICA_CAP_ASID_CONTROL, MICA_ASID_POOL_VM, ROOT, pool,
					     64));
	for (unsigned i = 0; i < VCPUS; i++) {
		s.vcpu[i] = alloc_slot();
		s.tcb[i] = alloc_slot();
		exit_ep[i] = alloc_slot();
		CHECK(s.vcpu[i] && s.tcb[i] && exit_ep[i]);
		CHECK_OK(mica_cnode_mint(ROOT, exit_ep[i], 64, ROOT, ep, 64, MICA_RIGHTS_ALL,
					 i + 1));
	}
}

int main(const struct mica_boot_info *info)
{
	printf("START vm-destroy\n");
	setup(info);
	if (check_failures != 0)
		return check_finish("vm-destroy");
	for (unsigned o = 0; o < ORDER_COUNT; o++) {
		group_start();
		build();
		start();
		destroy((enum order)o);
		check_gone();
		/* The Untyped, reset, makes the next VM in the same memory. */
		CHECK_OK(mica_cnode_revoke(ROOT, untyped, 64));
		group_end("a VM running on CPUs 1..3 destroyed from CPU 0 by ", order_names[o]);
	}
	group_start();
	build();
	start();
	destroy(ORDER_REVOKE_UNTYPED);
	check_gone();
	group_end("a fresh VM in the same memory said hello from CPUs 1..3 and ran", "");
	return check_finish("vm-destroy");
}
