/*
 * Several CPUs, from EL0 (QEMU -smp 2): threads placed on a CPU by their
 * affinity, IPC between threads on different CPUs, a server moved between
 * CPUs between calls, and a thread running on the other CPU stopped,
 * inspected and destroyed from this one. The test kernel checks its
 * invariants after every group (DebugCheck).
 *
 * No check rests on time: "it runs in parallel" is a counter that another
 * CPU's thread advances while this one, of higher priority, never blocks;
 * "it stopped" is that counter standing still afterwards.
 */
#include <mica/abi/bootinfo.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define ROOT   MICA_CAP_ROOT_CNODE
#define VSPACE MICA_CAP_ROOT_VSPACE
#define RW     (MICA_RIGHT_READ | MICA_RIGHT_WRITE)
#define PAGE   (UINT64_C(1) << MICA_PAGE_BITS)

#define CALLS	   2000u
#define MOVE_EVERY 100u
/* How many times this CPU looks at a counter another CPU's thread should move. */
#define PATIENCE     UINT64_C(200000000)
#define STILL_CHECKS UINT64_C(1000000)

static const struct mica_boot_info *info;
static uint64_t next_slot, untyped;
static uint64_t ipc_va = MICA_ROOT_IPC_BUFFER_VA;
static int group_start_failures;

#define STACK_SIZE 4096
static uint8_t stacks[4][STACK_SIZE] __attribute__((aligned(16)));
static unsigned stacks_used;

static uint64_t make(enum mica_object_type type, unsigned bits)
{
	uint64_t slot = next_slot++;

	CHECK_OK(mica_untyped_retype(untyped, type, bits, ROOT, 0, 0, slot, 1));
	return slot;
}

static void group_start(void)
{
	group_start_failures = check_failures;
}

static void group_end(const char *what)
{
	struct mica_raw check = {{0}};

	check.x[0] = ROOT;
	mica_syscall_raw(MICA_SYS_DEBUG_CHECK, &check);
	CHECK_EQ(check.x[0], MICA_OK);
	CHECK_EQ(check.x[1], 0);
	if (check_failures == group_start_failures)
		printf("smp: %s\n", what);
	else
		printf("smp: %d checks failed in \"%s\"\n", check_failures - group_start_failures,
		       what);
}

/* A stopped thread in this address space running entry(arg), on cpu, at priority. */
static uint64_t create_thread(void (*entry)(uint64_t), uint64_t arg, unsigned cpu,
			      unsigned priority, const char *name)
{
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	ipc_va += PAGE;
	CHECK_OK(mica_frame_map(frame, VSPACE, ipc_va, RW, 0));
	CHECK_OK(mica_tcb_set_space(tcb, ROOT, VSPACE, 0));
	CHECK_OK(mica_tcb_set_ipc_buffer(tcb, ipc_va, frame));
	CHECK_OK(mica_tcb_set_priority(tcb, priority));
	CHECK_OK(mica_tcb_set_name(tcb, name));
	CHECK_OK(mica_tcb_set_affinity(tcb, cpu));
	regs[MICA_CTX_PC] = (uintptr_t)entry;
	regs[MICA_CTX_SP] = (uintptr_t)stacks[stacks_used++] + STACK_SIZE;
	regs[MICA_CTX_TPIDR] = ipc_va;
	regs[MICA_CTX_X0] = arg;
	CHECK_OK(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs));
	return tcb;
}

/* The server: answers each call with its word plus one. */
static void server(uint64_t ep)
{
	uint64_t reply = ep + 1; /* main() makes the reply object right after the endpoint. */
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(ep, reply, mr);

	for (;;) {
		mr[0] = m.err == MICA_OK ? mr[0] + 1 : 0;
		m = mica_reply_recv(ep, reply, mica_msg_info(0, 0, 1), mr);
	}
}

static volatile uint64_t spins;

static void spinner(uint64_t arg)
{
	(void)arg;
	for (;;)
		spins++;
}

/* Does spins move within PATIENCE looks? */
static bool spins_move(void)
{
	uint64_t start = spins;

	for (uint64_t i = 0; i < PATIENCE; i++)
		if (spins != start)
			return true;
	return false;
}

static bool spins_stand_still(void)
{
	uint64_t start = spins;

	for (uint64_t i = 0; i < STILL_CHECKS; i++)
		if (spins != start)
			return false;
	return true;
}

static void test_cpus(uint64_t tcb)
{
	group_start();
	CHECK_EQ(info->cpu_count, 2);
	CHECK_EQ(mica_tcb_set_affinity(tcb, (unsigned)info->cpu_count), MICA_ERR_RANGE);
	CHECK_OK(mica_tcb_set_affinity(tcb, 1));
	CHECK_OK(mica_tcb_set_affinity(tcb, 0));
	group_end("2 CPUs online; a thread's affinity names one of them");
}

static void test_ping_pong(uint64_t ep, uint64_t server_tcb)
{
	unsigned wrong = 0;

	group_start();
	CHECK_OK(mica_tcb_set_affinity(server_tcb, 1));
	CHECK_OK(mica_tcb_resume(server_tcb));
	for (unsigned i = 0; i < CALLS; i++) {
		uint64_t mr[MICA_MSG_REGISTERS] = {(uint64_t)i * 7};
		struct mica_msg m = mica_call(ep, mica_msg_info(0, 0, 1), mr);

		if (m.err != MICA_OK || mr[0] != i * 7 + 1)
			wrong++;
	}
	CHECK_EQ(wrong, 0);
	group_end("2000 calls from CPU 0 to a server on CPU 1, every answer right");
}

static void test_migration(uint64_t ep, uint64_t server_tcb)
{
	unsigned wrong = 0;

	group_start();
	for (unsigned i = 0; i < CALLS; i++) {
		uint64_t mr[MICA_MSG_REGISTERS] = {i};
		struct mica_msg m;

		if (i % MOVE_EVERY == 0)
			CHECK_OK(mica_tcb_set_affinity(server_tcb, (i / MOVE_EVERY) % 2));
		m = mica_call(ep, mica_msg_info(0, 0, 1), mr);
		if (m.err != MICA_OK || mr[0] != i + 1)
			wrong++;
	}
	CHECK_EQ(wrong, 0);
	group_end("the server moved between the CPUs every 100 calls: every answer right");
}

static void test_remote_thread(void)
{
	uint64_t tcb = create_thread(spinner, 0, 1, 50, "spinner");
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};
	uint64_t stopped_at;

	group_start();
	CHECK_OK(mica_tcb_resume(tcb));
	/* This thread never blocks, and outranks it: it runs on the other CPU. */
	CHECK(spins_move());
	CHECK_OK(mica_tcb_suspend(tcb));
	CHECK(spins_stand_still());
	/* Its registers, read while stopped, say it was in the loop. */
	CHECK_OK(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, regs));
	CHECK(regs[MICA_CTX_PC] >= (uintptr_t)spinner &&
	      regs[MICA_CTX_PC] < (uintptr_t)spinner + 64);
	CHECK_OK(mica_tcb_resume(tcb));
	CHECK(spins_move());
	/* Moved here, below this thread's priority, it waits; moved back, it runs again. */
	CHECK_OK(mica_tcb_set_affinity(tcb, 0));
	CHECK(spins_stand_still());
	CHECK_OK(mica_tcb_set_affinity(tcb, 1));
	CHECK(spins_move());
	/* Destroyed while it runs there: it stops for good. */
	CHECK_OK(mica_cnode_delete(ROOT, tcb, 64));
	stopped_at = spins;
	CHECK(spins_stand_still());
	CHECK_EQ(spins, stopped_at);
	group_end("a thread on CPU 1 stopped, read, moved and destroyed from CPU 0");
}

int main(void)
{
	uint64_t ep, server_tcb;

	info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	printf("START smp\n");
	next_slot = info->empty_first;
	for (uint64_t i = 0, best = 0; i < info->untyped_count; i++) {
		if (!info->untyped[i].is_device && info->untyped[i].size_bits > best) {
			best = info->untyped[i].size_bits;
			untyped = info->untyped_first + i;
		}
	}
	ep = make(MICA_OBJ_ENDPOINT, 0);
	(void)make(MICA_OBJ_REPLY, 0); /* ep + 1: the server's reply object. */
	server_tcb = create_thread(server, ep, 0, 100, "server");
	test_cpus(server_tcb);
	test_ping_pong(ep, server_tcb);
	test_migration(ep, server_tcb);
	test_remote_thread();
	return check_finish("smp");
}
