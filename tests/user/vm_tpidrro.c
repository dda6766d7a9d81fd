/*
 * qemu.vm-tpidrro: no VM reads another VM's TPIDRRO_EL0, on several CPUs.
 *
 * TPIDRRO_EL0 is an EL0 register that a guest's EL1 writes and that host
 * threads at EL0 could read, so while host threads run on a CPU the kernel
 * keeps the value of the vCPU loaded there aside and gives it back when
 * the guest runs again. Kept aside in one place for all CPUs, it would
 * pass from one VM to another.
 *
 * Two VMs of the TPIDRRO guest (tests/guests/tpidrro.c), one vCPU each: VM
 * a's on CPU 0 and VM b's on CPU 1, each with a VMM of its own on the same
 * CPU (this root task's thread, and a second thread of it on CPU 1), so that
 * every exit takes the CPU from the guest to a host thread and back. Each
 * guest sets TPIDRRO_EL0 to a value of its own and makes ROUNDS hypercalls,
 * reading the register back after each and reporting any other value.
 *
 * The two VMMs answer in lockstep: each holds its guest's round r until the
 * other VMM has received the other guest's round r. So in every round the
 * later of the two exits comes before the other guest is resumed, and a
 * value kept aside in one place for both CPUs would reach that guest; with
 * a place per CPU, neither guest ever reads anything but its own. Nothing
 * rests on time: the lockstep orders the exits whatever the CPUs' speeds.
 *
 * At every round each VMM also looks as the host: TPIDRRO_EL0 must read 0
 * in its own thread, and ReadReg must give its guest's own value. Odd rounds
 * are answered with ReplyRecv (the exit fastpaths), even ones with Send and
 * Recv (the scheduler's path back into the guest).
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stdint.h>

#include "../guests/guest.h"
#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

/* The vCPU threads; the second VMM above them (this thread runs above all). */
#define GUEST_PRIORITY 100
#define VMM_PRIORITY   200

#define VMS    2u
#define ROUNDS 2000u
/* Wrong values of each kind reported one by one per VM; the rest are counted. */
#define REPORTED 8u

#define STACK_SIZE 4096
static uint8_t vmm_stack[STACK_SIZE] __attribute__((aligned(16)));

/* One VM and the VMM that serves it on its CPU. */
struct vmm {
	const char *name;
	const char *owner; /* Its value, as named where another VM finds it. */
	unsigned cpu;
	uint64_t value; /* Its guest's TPIDRRO_EL0. */
	struct check_guest guest;
	uint64_t ep, reply;
	/* Read by the other VMM: its guest's last round so far; it serves no more. */
	uint64_t round;
	bool finished;
	/* Its VMM's alone. */
	bool done;
	uint64_t mismatches, host_reads, reg_reads;
	int failures;
};

static struct vmm vmms[VMS] = {
	{.name = "a", .owner = "VM a's, from CPU 0", .cpu = 0, .value = 0xaaaa5ec0000000aaull},
	{.name = "b", .owner = "VM b's, from CPU 1", .cpu = 1, .value = 0xbbbb5ec0000000bbull},
};

/* The second VMM's thread, which suspends itself when its guest is done. */
static uint64_t vmm_b_tcb;

/* A failure of one VMM (either thread may print; each counts its own). */
#define VMM_FAIL(v, fmt, ...)                                                                      \
	do {                                                                                       \
		printf("FAIL %s:%d VM %s: " fmt "\n", __FILE__, __LINE__, (v)->name, __VA_ARGS__); \
		(v)->failures++;                                                                   \
	} while (0)

static uint64_t read_tpidrro(void)
{
	uint64_t x;

	__asm__ volatile("mrs %0, tpidrro_el0" : "=r"(x)::"memory");
	return x;
}

/* Whose a value found where a VM's own should be is: the other VM's, or whose. */
static const char *whose(const struct vmm *other, uint64_t seen)
{
	if (seen == other->value)
		return other->owner;
	return seen == 0 ? "zero" : "nobody's";
}

/*
 * Hold v's guest in round until the other VMM has received its guest's
 * round too (or will serve no more). YIELD lets QEMU's -icount run the
 * other CPU at once.
 */
static void wait_for_other(const struct vmm *other, uint64_t round)
{
	while (__atomic_load_n(&other->round, __ATOMIC_ACQUIRE) < round &&
	       !__atomic_load_n(&other->finished, __ATOMIC_ACQUIRE))
		__asm__ volatile("yield" ::: "memory");
}

/* What the host sees of v's guest's register: 0 in this thread, its value through ReadReg. */
static void check_host_view(struct vmm *v, const struct vmm *other, uint64_t round)
{
	uint64_t host = read_tpidrro();
	uint64_t reg = 0;
	enum mica_error err;

	if (host != 0) {
		v->host_reads++;
		if (v->host_reads <= REPORTED)
			VMM_FAIL(v, "round %llu: TPIDRRO_EL0 read 0x%llx (%s) in its VMM",
				 (unsigned long long)round, (unsigned long long)host,
				 whose(other, host));
	}
	err = mica_vcpu_read_reg(v->guest.vcpu, MICA_VCPU_REG_TPIDRRO_EL0, &reg);
	if (err != MICA_OK || reg != v->value) {
		v->reg_reads++;
		if (v->reg_reads <= REPORTED)
			VMM_FAIL(v, "round %llu: ReadReg of TPIDRRO_EL0 gave 0x%llx (%s), error %d",
				 (unsigned long long)round, (unsigned long long)reg,
				 whose(other, reg), err);
	}
}

/*
 * One exit of v's guest: the answer's length, or -1 to answer no more.
 * *slow: answer with Send and Recv rather than ReplyRecv.
 */
static int guest_exit(struct vmm *v, const struct vmm *other, uint64_t label, uint64_t *mr,
		      bool *slow)
{
	*slow = false;
	if (label != MICA_EXIT_HYPERCALL) {
		VMM_FAIL(v, "exit with label %llu (0x%llx 0x%llx)", (unsigned long long)label,
			 (unsigned long long)mr[0], (unsigned long long)mr[1]);
		return -1;
	}
	switch (mr[0]) {
	case GUEST_CALL_TPIDRRO_READY:
		mr[0] = v->value;
		mr[1] = ROUNDS;
		return 2;
	case GUEST_CALL_TPIDRRO_ROUND:
		if (mr[1] != v->round + 1) {
			VMM_FAIL(v, "round %llu after round %llu", (unsigned long long)mr[1],
				 (unsigned long long)v->round);
			return -1;
		}
		__atomic_store_n(&v->round, mr[1], __ATOMIC_RELEASE);
		wait_for_other(other, v->round);
		check_host_view(v, other, v->round);
		*slow = v->round % 2 == 0;
		return 0;
	case GUEST_CALL_TPIDRRO_MISMATCH:
		v->mismatches++;
		if (v->mismatches <= REPORTED)
			VMM_FAIL(v,
				 "round %llu: the guest read TPIDRRO_EL0 0x%llx (%s), not its "
				 "0x%llx",
				 (unsigned long long)mr[1], (unsigned long long)mr[2],
				 whose(other, mr[2]), (unsigned long long)v->value);
		return 0;
	case GUEST_CALL_TPIDRRO_DONE:
		if (mr[1] != ROUNDS || mr[2] != v->mismatches)
			VMM_FAIL(v, "done after %llu rounds with %llu mismatches (%llu reported)",
				 (unsigned long long)mr[1], (unsigned long long)mr[2],
				 (unsigned long long)v->mismatches);
		v->done = true;
		return -1;
	default:
		VMM_FAIL(v, "hypercall 0x%llx (0x%llx 0x%llx)", (unsigned long long)mr[0],
			 (unsigned long long)mr[1], (unsigned long long)mr[2]);
		return -1;
	}
}

/* Serve v's guest until it is done (or misbehaves); its vCPU thread is left waiting. */
static void serve(struct vmm *v, const struct vmm *other)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(v->ep, v->reply, mr);

	for (;;) {
		bool slow;
		int answer;

		if (m.err != MICA_OK) {
			VMM_FAIL(v, "a message with error %d", m.err);
			break;
		}
		answer = guest_exit(v, other, mica_msg_label(m.info), mr, &slow);
		if (answer < 0)
			break;
		if (slow) {
			(void)mica_send(v->reply, mica_msg_info(0, 0, (unsigned)answer), mr);
			m = mica_recv(v->ep, v->reply, mr);
		} else {
			m = mica_reply_recv(v->ep, v->reply, mica_msg_info(0, 0, (unsigned)answer),
					    mr);
		}
	}
	__atomic_store_n(&v->finished, true, __ATOMIC_RELEASE);
}

/* The second VMM's thread, on CPU 1. */
static void vmm_b(void)
{
	serve(&vmms[1], &vmms[0]);
	for (;;)
		(void)mica_tcb_suspend(vmm_b_tcb);
}

int main(const struct mica_boot_info *info)
{
	printf("START vm-tpidrro\n");
	CHECK(info->cpu_count >= VMS);
	CHECK_OK(alloc_init(info));
	for (unsigned i = 0; i < VMS; i++) {
		struct vmm *v = &vmms[i];

		v->ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
		v->reply = alloc_object(MICA_OBJ_REPLY, 0);
		CHECK(v->ep && v->reply);
		v->guest = check_guest(info, "tpidrro", v->ep, i + 1, GUEST_PRIORITY,
				       i == 0 ? "tpidrro-a" : "tpidrro-b");
		CHECK_OK(mica_tcb_set_affinity(v->guest.tcb, v->cpu));
	}
	vmm_b_tcb = check_thread(alloc_object, vmm_b, vmm_stack + STACK_SIZE, VMM_PRIORITY, ROOT, 0,
				 "vmm-b");
	CHECK_OK(mica_tcb_set_affinity(vmm_b_tcb, vmms[1].cpu));
	if (check_failures != 0)
		return check_finish("vm-tpidrro");
	for (unsigned i = 0; i < VMS; i++)
		CHECK_OK(mica_tcb_resume(vmms[i].guest.tcb));
	CHECK_OK(mica_tcb_resume(vmm_b_tcb));

	serve(&vmms[0], &vmms[1]);
	while (!__atomic_load_n(&vmms[1].finished, __ATOMIC_ACQUIRE))
		__asm__ volatile("yield" ::: "memory");
	CHECK_OK(mica_tcb_suspend(vmm_b_tcb));
	for (unsigned i = 0; i < VMS; i++) {
		const struct vmm *v = &vmms[i];

		CHECK_OK(mica_tcb_suspend(v->guest.tcb));
		check_failures += v->failures;
		CHECK(v->done);
		CHECK_EQ(v->round, ROUNDS);
		CHECK_EQ(v->mismatches, 0);
		CHECK_EQ(v->host_reads, 0);
		CHECK_EQ(v->reg_reads, 0);
	}
	printf("vm-tpidrro: VM a on CPU 0 and VM b on CPU 1 made %llu and %llu exits in "
	       "lockstep, each to a VMM on its CPU\n",
	       (unsigned long long)vmms[0].round, (unsigned long long)vmms[1].round);
	if (check_failures == 0)
		printf("vm-tpidrro: each guest read back only its own TPIDRRO_EL0; the VMMs read "
		       "0, "
		       "and their own guest's value through ReadReg\n");
	return check_finish("vm-tpidrro");
}
