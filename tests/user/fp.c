/*
 * Lazy FP/SIMD switching: the root task, a second thread and a guest each
 * fill every FP/SIMD register with values of their own and hand the CPU to
 * another that does the same; each must find its values intact when it
 * runs again. The second thread changes them while the root task waits in
 * a Call, and the root task while the guest waits in a hypercall.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/exit.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "../guests/fp_regs.h"
#include "../guests/guest.h"
#include "check.h"

#define ROUNDS	   8u
#define ROOT_SEED  0x1100000000000000ull
#define PEER_SEED  0x2200000000000000ull
#define VMM_SEED   0x3300000000000000ull
#define GUEST_PRIO MICA_MAX_PRIORITY

static uint64_t peer_ep, peer_reply;
static uint8_t peer_stack[4096] __attribute__((aligned(16)));

/* The second thread: each message, it checks its own values are back, then changes them all. */
static void peer(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	(void)mica_recv(peer_ep, peer_reply, mr);
	for (uint64_t round = 0;; round++) {
		uint64_t bad = round == 0 ? 0 : fp_check(PEER_SEED + round - 1);

		fp_fill(PEER_SEED + round);
		mr[0] = bad;
		(void)mica_reply_recv(peer_ep, peer_reply, mica_msg_info(0, 0, 1), mr);
	}
}

static void threads(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	unsigned root_bad = 0, peer_bad = 0;

	peer_ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	peer_reply = alloc_object(MICA_OBJ_REPLY, 0);
	CHECK_OK(mica_tcb_resume(check_thread(alloc_object, peer, peer_stack + sizeof(peer_stack),
					      MICA_MAX_PRIORITY, MICA_CAP_ROOT_CNODE, 0,
					      "fp-peer")));
	for (uint64_t round = 0; round < ROUNDS; round++) {
		struct mica_msg m;

		fp_fill(ROOT_SEED + round);
		m = mica_call(peer_ep, mica_msg_info(0, 0, 0), mr);
		CHECK_OK(m.err);
		root_bad += fp_check(ROOT_SEED + round);
		peer_bad += (unsigned)mr[0];
	}
	CHECK_EQ(root_bad, 0);
	CHECK_EQ(peer_bad, 0);
	if (root_bad == 0 && peer_bad == 0)
		printf("fp: two threads kept their registers over %u switches\n", 2 * ROUNDS);
}

static void guest(const struct mica_boot_info *info)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	uint64_t reply = alloc_object(MICA_OBJ_REPLY, 0);
	struct check_guest g = check_guest(info, "guest", ep, 1, GUEST_PRIO, "fp-guest");
	unsigned checks = 0, guest_bad = 0, vmm_bad = 0;
	struct mica_msg m;

	CHECK_OK(mica_tcb_resume(g.tcb));
	m = mica_recv(ep, reply, mr);
	for (;;) {
		CHECK_OK(m.err);
		if (mica_msg_label(m.info) != MICA_EXIT_HYPERCALL || mr[0] == GUEST_CALL_DONE)
			break;
		if (mr[0] == GUEST_CALL_FP) {
			/* The guest's values are in its saved state now: change the unit's. */
			fp_fill(VMM_SEED + mr[1]);
		} else if (mr[0] == GUEST_CALL_FP_CHECK) {
			guest_bad += (unsigned)mr[2];
			vmm_bad += fp_check(VMM_SEED + mr[1]);
			checks++;
		}
		m = mica_reply_recv(ep, reply, mica_msg_info(0, 0, 0), mr);
	}
	CHECK_EQ(mica_msg_label(m.info), MICA_EXIT_HYPERCALL);
	CHECK_EQ(checks, GUEST_FP_ROUNDS);
	CHECK_EQ(guest_bad, 0);
	CHECK_EQ(vmm_bad, 0);
	if (checks == GUEST_FP_ROUNDS && guest_bad == 0 && vmm_bad == 0)
		printf("fp: a guest and its VMM kept their registers over %u exits\n",
		       2 * GUEST_FP_ROUNDS);
	CHECK_OK(mica_tcb_suspend(g.tcb));
}

int main(const struct mica_boot_info *info)
{
	printf("START fp\n");
	CHECK_OK(alloc_init(info));
	threads();
	guest(info);
	return check_finish("fp");
}
