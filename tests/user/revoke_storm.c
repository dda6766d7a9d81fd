/*
 * qemu.revoke-storm: revoke storms from one CPU while threads on the others
 * use the objects.
 *
 * Each round, CPU 0 makes an endpoint, a notification and a frame from one
 * Untyped of its own, writes the round's number into the frame, and grants
 * each of three users (threads on CPUs 1..3) capabilities derived from them:
 * an endpoint capability minted with the user's badge, a notification
 * capability minted with the user's bit, a read-only copy of the frame; and
 * its server (a thread on the same CPU) a copy of the endpoint to receive
 * on. The users loop without pause: a call through their endpoint (the
 * server answers with the word plus one and the badge it saw), a signal,
 * and the frame mapped into their address space, read and unmapped. Once
 * every user has had each of these work in the round, CPU 0 revokes the
 * parents (in an order that changes from round to round, or the Untyped
 * itself) while the users go on, and checks the kernel's invariants
 * (test kernel, MICA_SYS_DEBUG_CHECK). The next round makes the objects
 * again in the same memory.
 *
 * What a user may see: answers that are right, errors that say the
 * capability is gone (or the call was cut short), and a read of the frame
 * that faults because its mapping went with a revoke between the map and
 * the read (the fault handler, CPU 0, checks the address and moves the
 * user on). Never a stale frame from an earlier round, a wrong answer or
 * badge, another error, another fault, or a crash. At the end every object
 * is deleted and the Untyped is retyped whole.
 *
 * Nothing rests on time: CPU 0 waits until each user has made progress,
 * however long that takes (up to a number of looks).
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/context.h>
#include <mica/abi/errors.h>
#include <mica/abi/fault.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/process.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define ROOT   MICA_CAP_ROOT_CNODE
#define VSPACE MICA_CAP_ROOT_VSPACE
#define RW     (MICA_RIGHT_READ | MICA_RIGHT_WRITE)
#define PAGE   UINT64_C(4096)

#define USERS	      3u
#define ROUNDS	      48u
#define USER_PRIORITY 100
#define UNTYPED_BITS  16
#define ERROR_KINDS   (MICA_ERR_CANCELLED + 1)
#define FRAME_MAGIC   UINT64_C(0x5707f00d00000000)
#define FRAME_ROUND   UINT64_C(0xffffffff)
#define FAULTED	      UINT64_C(0xfa017ed)
#define READS_PER_MAP 16u
/* What each user must have had work, of each kind, in every round before the storm. */
#define PROGRESS	4u
#define PATIENCE	UINT64_C(50000000)
#define STACK_SIZE	4096
#define WINDOW_VA	UINT64_C(0x0000006300000000) /* User i maps its frame at + i pages. */
#define ROOT_FRAME_VA	UINT64_C(0x0000006300100000) /* Where CPU 0 writes the frame. */
#define IPC_BUFFER_BASE UINT64_C(0x0000006300200000)

/* What one user did, by kind of operation. Written by that user only. */
struct user_stats {
	uint64_t calls, signals, maps, reads;
	uint64_t read_faults; /* Reads that faulted: the mapping went with a revoke. */
	uint64_t wrong;	      /* Wrong answers, badges or frame contents: never. */
	uint64_t errors[ERROR_KINDS];
	uint64_t other_errors;
};

/* The slots each user (and its server) uses: granted each round, revoked in the storm. */
struct user_slots {
	uint64_t ep;	 /* The endpoint, minted with badge i + 1. */
	uint64_t ntfn;	 /* The notification, minted with bit i. */
	uint64_t frame;	 /* A read-only copy of the frame. */
	uint64_t server; /* The server's copy of the endpoint. */
	uint64_t reply;	 /* The server's reply object (not part of the storm). */
	uint64_t tcb, server_tcb;
};

static struct user_slots slots[USERS];
static volatile struct user_stats stats[USERS];
static volatile uint64_t server_errors[USERS];
static volatile uint64_t current_round;
/* The last round whose frame has been revoked: a read that starts later must fault. */
static uint64_t revoked_through;

/* The parents, made from untyped each round. */
static uint64_t untyped, untyped_bits, parent_ep, parent_ntfn, parent_frame, scratch, padding;
static uint64_t fault_ep, fault_reply;
static uint64_t faults_handled, bad_faults;
static int group_start_failures;

static uint8_t stacks[2 * USERS][STACK_SIZE] __attribute__((aligned(16)));

static void count_error(volatile struct user_stats *st, enum mica_error err)
{
	if ((unsigned)err < ERROR_KINDS)
		st->errors[err]++;
	else
		st->other_errors++;
}

/* A load the fault handler can step over: it sets x0 to FAULTED and the PC past the load. */
static uint64_t read_word(uint64_t va)
{
	register uint64_t x0 __asm__("x0") = va;

	__asm__ volatile("ldr x0, [x0]" : "+r"(x0)::"memory");
	return x0;
}

/* Is v the frame's word of a round from first to last? */
static bool is_round_word(uint64_t v, uint64_t first, uint64_t last)
{
	return (v & ~FRAME_ROUND) == FRAME_MAGIC && (v & FRAME_ROUND) >= first &&
	       (v & FRAME_ROUND) <= last;
}

/* A YIELD: not a system call, it only ends this CPU's turn in QEMU's -icount mode. */
static void relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

static void user(uint64_t i)
{
	volatile struct user_stats *st = &stats[i];
	const struct user_slots *s = &slots[i];
	uint64_t va = WINDOW_VA + i * PAGE;

	for (uint64_t seq = 1;; seq++) {
		uint64_t mr[MICA_MSG_REGISTERS] = {seq};
		struct mica_msg m = mica_call(s->ep, mica_msg_info(0, 0, 1), mr);
		enum mica_error err;
		uint64_t first, last = 0, v;

		if (m.err != MICA_OK)
			count_error(st, m.err);
		else if (mr[0] != seq + 1 || mr[1] != i + 1)
			st->wrong++;
		else
			st->calls++;

		err = mica_signal(s->ntfn);
		if (err == MICA_OK)
			st->signals++;
		else
			count_error(st, err);

		first = current_round;
		err = mica_frame_map(s->frame, VSPACE, va, MICA_RIGHT_READ, 0);
		if (err != MICA_OK) {
			count_error(st, err);
			continue;
		}
		st->maps++;
		/* A while with the page mapped, for a revoke to come in the middle. */
		for (unsigned k = 0; k < READS_PER_MAP; k++) {
			uint64_t gone = __atomic_load_n(&revoked_through, __ATOMIC_ACQUIRE);

			v = read_word(va);
			last = current_round;
			if (v == FAULTED) {
				st->read_faults++;
				break;
			}
			/* A frame revoked before the read began is still mapped: a stale TLB entry.
			 */
			if (is_round_word(v, first, last) && (v & FRAME_ROUND) > gone)
				st->reads++;
			else
				st->wrong++;
			relax();
		}
		err = mica_frame_unmap(s->frame);
		if (err != MICA_OK)
			count_error(st, err);
		relax();
	}
}

/* The server: answers each call with its word plus one and the badge it came with. */
static void server(uint64_t i)
{
	const struct user_slots *s = &slots[i];
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	for (;;) {
		struct mica_msg m = mica_recv(s->server, s->reply, mr);

		while (m.err == MICA_OK) {
			mr[0]++;
			mr[1] = m.badge;
			m = mica_reply_recv(s->server, s->reply, mica_msg_info(0, 0, 2), mr);
		}
		server_errors[i]++;
		mica_yield();
	}
}

/* A stopped thread in this address space running entry(arg) on cpu. */
static uint64_t make_thread(void (*entry)(uint64_t), uint64_t arg, unsigned cpu, unsigned n,
			    uint64_t fault, const char *name)
{
	uint64_t tcb = alloc_object(MICA_OBJ_TCB, 0);
	uint64_t buffer = alloc_object(MICA_OBJ_FRAME_4K, 0);
	uint64_t ipc_va = IPC_BUFFER_BASE + n * PAGE;
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	CHECK(tcb && buffer);
	CHECK_OK(process_map_here(buffer, ipc_va, RW, 0));
	CHECK_OK(mica_tcb_set_space(tcb, ROOT, VSPACE, fault));
	CHECK_OK(mica_tcb_set_ipc_buffer(tcb, ipc_va, buffer));
	CHECK_OK(mica_tcb_set_priority(tcb, USER_PRIORITY));
	CHECK_OK(mica_tcb_set_name(tcb, name));
	CHECK_OK(mica_tcb_set_affinity(tcb, cpu));
	regs[MICA_CTX_PC] = (uintptr_t)entry;
	regs[MICA_CTX_SP] = (uintptr_t)stacks[n] + STACK_SIZE;
	regs[MICA_CTX_TPIDR] = ipc_va;
	regs[MICA_CTX_X0] = arg;
	CHECK_OK(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs));
	return tcb;
}

/*
 * Answer the users' faults waiting on the fault endpoint: a read of the
 * user's own window (its mapping revoked under it) is stepped over with
 * FAULTED in x0; any other fault is a failure and leaves the user stopped.
 */
static void handle_faults(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	for (;;) {
		struct mica_msg m = mica_nbrecv(fault_ep, fault_reply, mr);
		unsigned i = (unsigned)m.badge - 1;
		uint64_t regs[MICA_CONTEXT_WORDS] = {0};

		if (m.err != MICA_OK)
			return;
		if (i >= USERS || mica_msg_label(m.info) != MICA_FAULT_VM ||
		    mr[1] != WINDOW_VA + i * PAGE || (mr[2] & MICA_FAULT_VM_WRITE) ||
		    (mr[2] & MICA_FAULT_VM_FETCH)) {
			printf("FAIL %s:%d fault: badge %llu, label %llu, PC 0x%llx, address "
			       "0x%llx, flags 0x%llx\n",
			       __FILE__, __LINE__, (unsigned long long)m.badge,
			       (unsigned long long)mica_msg_label(m.info),
			       (unsigned long long)mr[0], (unsigned long long)mr[1],
			       (unsigned long long)mr[2]);
			check_failures++;
			bad_faults++;
			continue;
		}
		CHECK_OK(mica_tcb_read_registers(slots[i].tcb, MICA_CTX_X0 + 1, regs));
		regs[MICA_CTX_PC] += 4;
		regs[MICA_CTX_X0] = FAULTED;
		CHECK_OK(mica_tcb_write_registers(slots[i].tcb, MICA_CTX_X0 + 1, regs));
		(void)mica_send(fault_reply, mica_msg_info(MICA_FAULT_RESUME, 0, 0), mr);
		faults_handled++;
	}
}

static void check_kernel(void)
{
	struct mica_raw check = {{0}};

	check.x[0] = ROOT;
	mica_syscall_raw(MICA_SYS_DEBUG_CHECK, &check);
	CHECK_EQ(check.x[0], MICA_OK);
	CHECK_EQ(check.x[1], 0);
}

static void retype(enum mica_object_type type, uint64_t slot)
{
	CHECK_OK(mica_untyped_retype(untyped, type, 0, ROOT, 0, 0, slot, 1));
}

/*
 * The round's parents, from untyped, the frame holding the round's word.
 * In odd rounds a padding page comes first, so that the frame is never
 * where the last round's was: a mapping that outlived its revoke would
 * read the padding's zeros, not this round's word.
 */
static void make_parents(uint64_t round)
{
	retype(MICA_OBJ_ENDPOINT, parent_ep);
	retype(MICA_OBJ_NOTIFICATION, parent_ntfn);
	if (round % 2 != 0)
		retype(MICA_OBJ_FRAME_4K, padding);
	retype(MICA_OBJ_FRAME_4K, parent_frame);
	CHECK_OK(mica_cnode_copy(ROOT, scratch, 64, ROOT, parent_frame, 64, MICA_RIGHTS_ALL));
	CHECK_OK(mica_frame_map(scratch, VSPACE, ROOT_FRAME_VA, RW, 0));
	*(volatile uint64_t *)ROOT_FRAME_VA = FRAME_MAGIC | round;
	CHECK_OK(mica_cnode_delete(ROOT, scratch, 64));
}

static void grant(void)
{
	for (unsigned i = 0; i < USERS; i++) {
		const struct user_slots *s = &slots[i];

		CHECK_OK(
			mica_cnode_copy(ROOT, s->server, 64, ROOT, parent_ep, 64, MICA_RIGHTS_ALL));
		CHECK_OK(mica_cnode_mint(ROOT, s->ep, 64, ROOT, parent_ep, 64, MICA_RIGHTS_ALL,
					 i + 1));
		CHECK_OK(mica_cnode_mint(ROOT, s->ntfn, 64, ROOT, parent_ntfn, 64, MICA_RIGHT_WRITE,
					 UINT64_C(1) << i));
		CHECK_OK(mica_cnode_copy(ROOT, s->frame, 64, ROOT, parent_frame, 64,
					 MICA_RIGHT_READ));
	}
}

/* Has every user had a call, a signal and a read of this round's frame work since from? */
static bool all_progressed(const struct user_stats *from)
{
	for (unsigned i = 0; i < USERS; i++)
		if (stats[i].calls < from[i].calls + PROGRESS ||
		    stats[i].signals < from[i].signals + PROGRESS ||
		    stats[i].reads < from[i].reads + PROGRESS)
			return false;
	return true;
}

static bool wait_for_progress(void)
{
	struct user_stats from[USERS];

	for (unsigned i = 0; i < USERS; i++)
		from[i] = stats[i];
	for (uint64_t n = 0; n < PATIENCE; n++) {
		if (all_progressed(from))
			return true;
		handle_faults();
		relax();
	}
	return false;
}

/* The users' signals arrived, each with its own bit, and nothing else. */
static void check_signals(void)
{
	struct mica_msg m = mica_poll(parent_ntfn);

	CHECK_OK(m.err);
	CHECK(m.badge != 0);
	CHECK_EQ(m.badge & ~((UINT64_C(1) << USERS) - 1), 0);
}

static void revoke(uint64_t slot)
{
	CHECK_OK(mica_cnode_revoke(ROOT, slot, 64));
}

/* The storm: every derived capability goes, in an order that depends on the round. */
static void storm(uint64_t round)
{
	static const char orders[][4] = {"efn", "fne", "nef", "u", "enf", "fen"};
	const char *order = orders[round % (sizeof(orders) / sizeof(orders[0]))];

	for (const char *o = order; *o != '\0'; o++) {
		if (*o == 'e')
			revoke(parent_ep);
		else if (*o == 'n')
			revoke(parent_ntfn);
		else if (*o == 'f')
			revoke(parent_frame);
		else
			revoke(untyped);
		if (*o == 'f' || *o == 'u')
			__atomic_store_n(&revoked_through, round, __ATOMIC_RELEASE);
	}
	/* The parents themselves (already gone after a revoke of the Untyped). */
	if (order[0] != 'u') {
		CHECK_OK(mica_cnode_delete(ROOT, parent_ep, 64));
		CHECK_OK(mica_cnode_delete(ROOT, parent_ntfn, 64));
		CHECK_OK(mica_cnode_delete(ROOT, parent_frame, 64));
	}
}

static void setup(const struct mica_boot_info *info)
{
	uint64_t fault_caps[USERS];
	uint64_t page;

	CHECK(info->cpu_count >= USERS + 1);
	CHECK_OK(alloc_init(info));
	/* A larger child where the smallest boot Untyped is exactly this size (see vm_destroy.c).
	 */
	for (unsigned bits = UNTYPED_BITS; untyped == 0 && bits < UNTYPED_BITS + 8; bits++) {
		untyped = alloc_object(MICA_OBJ_UNTYPED, bits);
		untyped_bits = bits;
	}
	parent_ep = alloc_slot();
	parent_ntfn = alloc_slot();
	parent_frame = alloc_slot();
	scratch = alloc_slot();
	padding = alloc_slot();
	fault_ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	fault_reply = alloc_object(MICA_OBJ_REPLY, 0);
	page = alloc_object(MICA_OBJ_FRAME_4K, 0);
	CHECK(untyped && parent_ep && parent_ntfn && parent_frame && scratch && padding &&
	      fault_ep && fault_reply && page);
	/* Page tables for the windows and CPU 0's page, made once with a page mapped there. */
	CHECK_OK(process_map_here(page, WINDOW_VA, MICA_RIGHT_READ, 0));
	CHECK_OK(mica_frame_unmap(page));
	CHECK_OK(process_map_here(page, ROOT_FRAME_VA, MICA_RIGHT_READ, 0));
	CHECK_OK(mica_frame_unmap(page));
	for (unsigned i = 0; i < USERS; i++) {
		struct user_slots *s = &slots[i];

		s->ep = alloc_slot();
		s->ntfn = alloc_slot();
		s->frame = alloc_slot();
		s->server = alloc_slot();
		s->reply = alloc_object(MICA_OBJ_REPLY, 0);
		fault_caps[i] = alloc_slot();
		CHECK(s->ep && s->ntfn && s->frame && s->server && s->reply && fault_caps[i]);
		CHECK_OK(mica_cnode_mint(ROOT, fault_caps[i], 64, ROOT, fault_ep, 64,
					 MICA_RIGHTS_ALL, i + 1));
		s->tcb = make_thread(user, i, i + 1, 2 * i, fault_caps[i], "user");
		s->server_tcb = make_thread(server, i, i + 1, 2 * i + 1, 0, "server");
	}
}

static void print_totals(void)
{
	uint64_t calls = 0, signals = 0, reads = 0, read_faults = 0, invalid = 0, cancelled = 0;

	for (unsigned i = 0; i < USERS; i++) {
		calls += stats[i].calls;
		signals += stats[i].signals;
		reads += stats[i].reads;
		read_faults += stats[i].read_faults;
		invalid += stats[i].errors[MICA_ERR_INVALID_CAPABILITY];
		cancelled += stats[i].errors[MICA_ERR_CANCELLED];
		CHECK_EQ(stats[i].wrong, 0);
		CHECK_EQ(stats[i].other_errors, 0);
		for (unsigned e = 0; e < ERROR_KINDS; e++)
			if (e != MICA_ERR_INVALID_CAPABILITY && e != MICA_ERR_CANCELLED &&
			    stats[i].errors[e] != 0) {
				printf("FAIL %s:%d user %u saw error %u %llu times\n", __FILE__,
				       __LINE__, i, e, (unsigned long long)stats[i].errors[e]);
				check_failures++;
			}
	}
	CHECK_EQ(read_faults, faults_handled);
	CHECK_EQ(bad_faults, 0);
	printf("revoke-storm: %llu calls, %llu signals, %llu frame reads answered right; "
	       "%llu invalid-capability and %llu cancelled errors, %llu reads faulted after a "
	       "revoke\n",
	       (unsigned long long)calls, (unsigned long long)signals, (unsigned long long)reads,
	       (unsigned long long)invalid, (unsigned long long)cancelled,
	       (unsigned long long)read_faults);
}

/* Every thread stopped and deleted; the Untyped, reset, retyped whole (two halves). */
static void finish(void)
{
	uint64_t half[2] = {alloc_slot(), alloc_slot()};

	for (unsigned i = 0; i < USERS; i++) {
		CHECK_OK(mica_tcb_suspend(slots[i].tcb));
		CHECK_OK(mica_tcb_suspend(slots[i].server_tcb));
	}
	handle_faults();
	for (unsigned i = 0; i < USERS; i++) {
		CHECK_OK(mica_cnode_delete(ROOT, slots[i].tcb, 64));
		CHECK_OK(mica_cnode_delete(ROOT, slots[i].server_tcb, 64));
	}
	revoke(untyped);
	CHECK(half[0] && half[1]);
	for (unsigned h = 0; h < 2; h++)
		CHECK_OK(mica_untyped_retype(untyped, MICA_OBJ_UNTYPED, (unsigned)untyped_bits - 1,
					     ROOT, 0, 0, half[h], 1));
	revoke(untyped);
	check_kernel();
}

int main(const struct mica_boot_info *info)
{
	unsigned rounds_done = 0;

	printf("START revoke-storm\n");
	setup(info);
	if (check_failures != 0)
		return check_finish("revoke-storm");
	for (unsigned i = 0; i < USERS; i++) {
		CHECK_OK(mica_tcb_resume(slots[i].server_tcb));
		CHECK_OK(mica_tcb_resume(slots[i].tcb));
	}
	for (uint64_t round = 1; round <= ROUNDS; round++) {
		bool progressed;

		group_start_failures = check_failures;
		make_parents(round);
		current_round = round;
		grant();
		progressed = wait_for_progress();
		CHECK(progressed);
		check_signals();
		storm(round);
		handle_faults();
		check_kernel();
		/* The Untyped, reset, makes the next round's objects in the same memory. */
		revoke(untyped);
		if (check_failures != group_start_failures || !progressed)
			break;
		rounds_done++;
	}
	finish();
	print_totals();
	if (check_failures == 0)
		printf("revoke-storm: %u rounds: every user saw only right answers and clean "
		       "errors; the kernel's invariants held after each; the Untyped was "
		       "retyped whole\n",
		       rounds_done);
	return check_finish("revoke-storm");
}
