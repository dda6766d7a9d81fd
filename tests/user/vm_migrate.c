/*
 * qemu.vm-migrate: a vCPU moved between physical CPUs keeps its state.
 *
 * Two VMs of the migration guest (tests/guests/migrate.c), one vCPU each,
 * fill their general, FP/SIMD and EL1 system registers with values of
 * their own and check them over and over. Meanwhile a mover thread of this
 * root task, on CPU 0, moves their vCPU threads among CPUs 1..3
 * (mica_tcb_set_affinity) after random delays, so a move comes at any
 * instruction of the guest's loop, usually while the guest runs on its
 * CPU, and often onto a CPU that last ran the other VM. After every round
 * of checks a guest reports whether every register held; this VMM lets
 * the guests go on until the mover has made MOVES moves. The test kernel
 * then checks its invariants.
 *
 * Nothing rests on time: the guests check until enough moves are made,
 * however long that takes.
 */
#include <base/fmt.h>
#include <mica/abi/bootinfo.h>
#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../guests/guest.h"
#include "../guests/migrate.h"
#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

/* The vCPU threads; the mover below them (it shares CPU 0 with this thread, above all). */
#define GUEST_PRIORITY 100
#define MOVER_PRIORITY 50

#define VMS   2u
#define MOVES 2000u
/* A move comes after 0 .. MAX_DELAY - 1 spins of the mover. */
#define MAX_DELAY 4096u
/* The mover's spin executes YIELD this often: QEMU's -icount then runs another CPU. */
#define SPINS_PER_YIELD 64u
/* Each guest must have reported at least this many rounds of checks. */
#define MIN_ROUNDS 4u

#define STACK_SIZE 4096
static uint8_t mover_stack[STACK_SIZE] __attribute__((aligned(16)));

static struct check_guest vms[VMS];
static unsigned cpu_count;

/* Written by the mover only. */
static volatile uint64_t moves, moves_while_running, move_errors;
static volatile uint64_t moves_of[VMS];

/* What the guests reported. */
static uint64_t rounds[VMS], mismatches[VMS];
static bool stopped[VMS];

/* xorshift64: the mover's delays, victims and destinations. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static void spin(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (i % SPINS_PER_YIELD == 0)
			__asm__ volatile("yield" ::: "memory");
		__asm__ volatile("" ::: "memory");
	}
}

/*
 * The mover: forever, wait a random while, then move a random VM's vCPU
 * thread to another of CPUs 1 .. cpu_count - 1, noting whether its guest
 * was running there just before. This thread suspends it when done.
 */
static void mover(void)
{
	uint64_t state = 0x2545f4914f6cdd1dull;
	unsigned where[VMS] = {1, 2};

	for (;;) {
		uint64_t r = next_random(&state);
		unsigned vm = (unsigned)(r >> 32) % VMS;
		unsigned cpu = 1 + (unsigned)(r >> 40) % (cpu_count - 1);
		uint64_t vcpu_state = 0;

		spin(r % MAX_DELAY);
		if (cpu == where[vm])
			cpu = cpu % (cpu_count - 1) + 1;
		if (mica_vcpu_get_state(vms[vm].vcpu, &vcpu_state) == MICA_OK &&
		    vcpu_state == MICA_VCPU_RUNNING)
			moves_while_running++;
		if (mica_tcb_set_affinity(vms[vm].tcb, cpu) != MICA_OK) {
			move_errors++;
			continue;
		}
		where[vm] = cpu;
		moves_of[vm]++;
		moves++;
	}
}

#define SYSREG_NAME(name, ...) #name,
static const char *const sysreg_names[MIGRATE_SYS_COUNT] = {MIGRATE_SYSREGS(SYSREG_NAME)};

/* The register a mismatch's index (MIGRATE_INDEX_*) names, in out. */
static void register_name(uint64_t index, char *out, size_t len)
{
	if (index < MIGRATE_GPR_COUNT)
		fmt_snprintf(out, len, "x%llu", (unsigned long long)index);
	else if (index == MIGRATE_INDEX_X29)
		fmt_snprintf(out, len, "x29");
	else if (index == MIGRATE_INDEX_SP)
		fmt_snprintf(out, len, "sp");
	else if (index >= MIGRATE_INDEX_FP && index < MIGRATE_INDEX_SYS)
		fmt_snprintf(out, len, "v%llu (%s half)",
			     (unsigned long long)(index - MIGRATE_INDEX_FP) / 2,
			     (index - MIGRATE_INDEX_FP) % 2 ? "high" : "low");
	else if (index >= MIGRATE_INDEX_SYS && index < MIGRATE_INDEX_SYS + MIGRATE_SYS_COUNT)
		fmt_snprintf(out, len, "%s", sysreg_names[index - MIGRATE_INDEX_SYS]);
	else
		fmt_snprintf(out, len, "register %llu", (unsigned long long)index);
}

/* One exit of VM vm: the answer's length, or -1 to leave it waiting. */
static int guest_exit(unsigned vm, uint64_t label, uint64_t *mr)
{
	if (label != MICA_EXIT_HYPERCALL) {
		printf("FAIL %s:%d VM %u exited with label %llu (0x%llx 0x%llx 0x%llx 0x%llx)\n",
		       __FILE__, __LINE__, vm, (unsigned long long)label, (unsigned long long)mr[0],
		       (unsigned long long)mr[1], (unsigned long long)mr[2],
		       (unsigned long long)mr[3]);
		check_failures++;
		stopped[vm] = true;
		return -1;
	}
	switch (mr[0]) {
	case GUEST_CALL_MIGRATE_READY:
		mr[0] = vm + 1;
		return 1;
	case GUEST_CALL_MIGRATE_ROUND:
		rounds[vm] = mr[1];
		if (mr[2] != 0) {
			char name[32];

			register_name(mr[2] - 1, name, sizeof(name));
			printf("FAIL %s:%d VM %u, round %llu: %s held 0x%llx\n", __FILE__, __LINE__,
			       vm, (unsigned long long)mr[1], name, (unsigned long long)mr[3]);
			check_failures++;
			mismatches[vm]++;
		}
		mr[0] = moves < MOVES && mismatches[vm] == 0;
		stopped[vm] = mr[0] == 0;
		return 1;
	default:
		printf("FAIL %s:%d VM %u: hypercall 0x%llx (0x%llx 0x%llx)\n", __FILE__, __LINE__,
		       vm, (unsigned long long)mr[0], (unsigned long long)mr[1],
		       (unsigned long long)mr[2]);
		check_failures++;
		stopped[vm] = true;
		return -1;
	}
}

/* Serve both guests until each has stopped. */
static void serve(uint64_t ep, uint64_t reply)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(ep, reply, mr);

	for (;;) {
		unsigned vm = (unsigned)m.badge - 1;
		int answer = -1;

		if (m.err != MICA_OK || vm >= VMS) {
			printf("FAIL %s:%d a message with error %d, badge %llu\n", __FILE__,
			       __LINE__, m.err, (unsigned long long)m.badge);
			check_failures++;
			return;
		}
		answer = guest_exit(vm, mica_msg_label(m.info), mr);
		if (stopped[0] && stopped[1]) {
			if (answer >= 0)
				(void)mica_send(reply, mica_msg_info(0, 0, (unsigned)answer), mr);
			return;
		}
		if (answer < 0)
			m = mica_recv(ep, reply, mr);
		else
			m = mica_reply_recv(ep, reply, mica_msg_info(0, 0, (unsigned)answer), mr);
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

int main(const struct mica_boot_info *info)
{
	uint64_t ep, reply, mover_tcb;

	printf("START vm-migrate\n");
	cpu_count = (unsigned)info->cpu_count;
	CHECK(cpu_count >= 3);
	CHECK_OK(alloc_init(info));
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	CHECK(ep && reply);
	for (unsigned i = 0; i < VMS; i++) {
		vms[i] = check_guest(info, "migrate", ep, i + 1, GUEST_PRIORITY,
				     i == 0 ? "migrate-1" : "migrate-2");
		CHECK_OK(mica_tcb_set_affinity(vms[i].tcb, 1 + i));
	}
	mover_tcb = check_thread(alloc_object, mover, mover_stack + STACK_SIZE, MOVER_PRIORITY,
				 ROOT, 0, "mover");
	if (check_failures != 0)
		return check_finish("vm-migrate");
	for (unsigned i = 0; i < VMS; i++)
		CHECK_OK(mica_tcb_resume(vms[i].tcb));
	CHECK_OK(mica_tcb_resume(mover_tcb));

	serve(ep, reply);
	CHECK_OK(mica_tcb_suspend(mover_tcb));
	for (unsigned i = 0; i < VMS; i++) {
		CHECK_OK(mica_tcb_suspend(vms[i].tcb));
		CHECK_EQ(mismatches[i], 0);
		CHECK(rounds[i] >= MIN_ROUNDS);
		CHECK(moves_of[i] >= MOVES / 4);
	}
	CHECK(moves >= MOVES);
	CHECK(moves_while_running >= MOVES / 2);
	CHECK_EQ(move_errors, 0);
	check_kernel();
	printf("vm-migrate: %llu moves among CPUs 1..%u (%llu while the guest ran); "
	       "%llu and %llu rounds of %u checks\n",
	       (unsigned long long)moves, cpu_count - 1, (unsigned long long)moves_while_running,
	       (unsigned long long)rounds[0], (unsigned long long)rounds[1],
	       (unsigned)MIGRATE_ITERATIONS);
	if (check_failures == 0)
		printf("vm-migrate: every general, FP/SIMD and system register held its value "
		       "across every move\n");
	return check_finish("vm-migrate");
}
