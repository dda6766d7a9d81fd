/*
 * Processes: the root task builds a pong server and two ping clients from
 * ELF files in the boot archive, each in its own address space and CSpace
 * (<mica/process.h>). Each client calls pong 1000 times and checks every
 * answer; the badges minted into their endpoint capabilities tell them
 * apart. The root task waits for both reports on an endpoint that is also
 * every child's fault endpoint, so a crash shows as a fault message instead
 * of a hang. Then it calls pong itself, takes the processes apart, and
 * checks that a bad image or configuration fails cleanly.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/fault.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/process.h>
#include <mica/sys.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "children.h"
#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

#define CALLS	     1000
#define CHURN_ROUNDS 16
#define CHURN_CALLS  10
#define CLIENT_COUNT 2

/* Badges: on the clients' pong endpoints, their report endpoints, and fault endpoints. */
#define PING_BADGE(i)	(UINT64_C(0x100) << (i))
#define REPORT_BADGE(i) (UINT64_C(0x10) + (i))
#define FAULT_BADGE(i)	(UINT64_C(0x20) + (i))
#define PONG_FAULT	UINT64_C(0x2f)

static const struct mica_boot_info *info;

/* A copy of the capability at src with badge and rights, in a new slot of ours. */
static uint64_t mint(uint64_t src, unsigned rights, uint64_t badge)
{
	uint64_t slot = alloc_slot();

	CHECK(slot != 0);
	CHECK_OK(mica_cnode_mint(ROOT, slot, 64, ROOT, src, 64, rights, badge));
	return slot;
}

/*
 * Wait for both clients' reports. Each comes with a reply object of its own
 * that is never used, so the client stays blocked in its call.
 */
static void collect_reports(uint64_t ctl)
{
	bool is_reported[CLIENT_COUNT] = {false};

	for (int n = 0; n < CLIENT_COUNT; n++) {
		uint64_t mr[MICA_MSG_REGISTERS] = {0};
		uint64_t reply = alloc_object(MICA_OBJ_REPLY, 0);
		struct mica_msg m = mica_recv(ctl, reply, mr);
		bool is_known = false;

		CHECK(m.err == MICA_OK);
		for (int i = 0; i < CLIENT_COUNT; i++) {
			if (m.badge != REPORT_BADGE(i) || mica_msg_label(m.info) != LABEL_REPORT)
				continue;
			is_known = true;
			CHECK(!is_reported[i]);
			is_reported[i] = true;
			CHECK(mr[0] == CALLS);
			CHECK(mr[1] == 0);
			CHECK(mr[2] == PING_BADGE(i));
		}
		if (!is_known) {
			printf("FAIL %s:%d unexpected message: badge 0x%lx label %lu, MR0..3 0x%lx "
			       "0x%lx 0x%lx 0x%lx\n",
			       __FILE__, __LINE__, (unsigned long)m.badge,
			       (unsigned long)mica_msg_label(m.info), (unsigned long)mr[0],
			       (unsigned long)mr[1], (unsigned long)mr[2], (unsigned long)mr[3]);
			check_failures++;
			return;
		}
	}
	printf("procs: %d clients made %d calls each, every answer right, badges apart\n",
	       CLIENT_COUNT, CALLS);
}

/* The root task calls pong too: its own capability carries no badge. */
static void call_pong_ourselves(uint64_t ep)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {41, 0, 0, 0};
	struct mica_msg m = mica_call(ep, mica_msg_info(LABEL_PING, 0, 1), mr);

	CHECK(m.err == MICA_OK);
	CHECK(mr[0] == 42);
	CHECK(mr[1] == 0);
	mr[0] = 0;
	m = mica_call(ep, mica_msg_info(LABEL_PONG_COUNT, 0, 0), mr);
	CHECK(m.err == MICA_OK);
	CHECK(mr[0] == CLIENT_COUNT * CALLS + 1);
	printf("procs: pong served %lu calls\n", (unsigned long)mr[0]);
}

/*
 * Processes come and go: each round builds a client, lets it make a few
 * calls and destroys it. The slots come back for the next round, and so
 * does the ASID of the address space (the kernel hands out the lowest free
 * one); every round must work all the same.
 */
static void test_churn(uint64_t ep, uint64_t ctl)
{
	for (int round = 0; round < CHURN_ROUNDS; round++) {
		const uint64_t badge = UINT64_C(0x1000) + (uint64_t)round;
		uint64_t mr[MICA_MSG_REGISTERS] = {0};
		struct process p = {0};
		const uint64_t fault_ep = mint(ctl, MICA_RIGHTS_ALL, FAULT_BADGE(7));
		struct mica_msg m;
		uint64_t reply;

		if (check_process(&p, info, "ping", 50, fault_ep, PING_ARG(badge, CHURN_CALLS)) !=
		    MICA_OK)
			return;
		CHECK_OK(process_mint_cap(&p, CHILD_SLOT_SERVICE, ep,
					  MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY, badge));
		CHECK_OK(process_mint_cap(&p, CHILD_SLOT_REPORT, ctl,
					  MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY,
					  REPORT_BADGE(7)));
		CHECK_OK(process_start(&p));
		reply = alloc_object(MICA_OBJ_REPLY, 0);
		m = mica_recv(ctl, reply, mr);
		CHECK(m.err == MICA_OK);
		CHECK(m.badge == REPORT_BADGE(7));
		CHECK(mr[0] == CHURN_CALLS && mr[1] == 0 && mr[2] == badge);
		process_destroy(&p);
		CHECK_OK(mica_cnode_delete(ROOT, reply, 64));
		CHECK_OK(mica_cnode_delete(ROOT, fault_ep, 64));
		alloc_slot_free(reply);
		alloc_slot_free(fault_ep);
	}
	printf("procs: %d processes built, run and destroyed in turn\n", CHURN_ROUNDS);
}

/* Bad inputs fail with their own errors and leave no process behind. */
static void test_create_failures(uint64_t ntfn)
{
	static const uint8_t not_elf[64] = {'n', 'o', 't', ' ', 'E', 'L', 'F'};
	struct process_config cfg = {
		.name = "bad", .image = not_elf, .image_size = sizeof(not_elf)};
	struct process p;
	enum mica_error err;

	err = process_create(&p, &cfg);
	CHECK(err == MICA_ERR_MALFORMED);
	CHECK(p.tcb == 0 && p.vspace == 0 && p.cnode == 0 && p.book == 0);
	CHECK(p.failed_step != NULL);

	CHECK_OK(process_image_from_archive(info, "pong", &cfg));
	cfg.priority = MICA_MAX_PRIORITY + 1;
	CHECK(process_create(&p, &cfg) == MICA_ERR_INVALID_ARGUMENT);
	cfg.priority = 10;
	cfg.cnode_radix = MICA_CNODE_MAX_RADIX + 1;
	CHECK(process_create(&p, &cfg) == MICA_ERR_INVALID_ARGUMENT);
	cfg.cnode_radix = 0;
	CHECK(process_image_from_archive(info, "no such file", &cfg) == MICA_ERR_NOT_FOUND);

	/* A notification is no fault endpoint: the kernel says so late, and all is undone. */
	CHECK_OK(process_image_from_archive(info, "pong", &cfg));
	cfg.fault_ep = ntfn;
	err = process_create(&p, &cfg);
	CHECK(err == MICA_ERR_WRONG_TYPE);
	CHECK(p.tcb == 0 && p.vspace == 0 && p.cnode == 0 && p.book == 0);
	if (p.failed_step != NULL)
		printf("procs: a bad fault endpoint fails with error %d at \"%s\"\n", err,
		       p.failed_step);
	process_destroy(&p); /* Harmless on a process that is not there. */

	/* A CPU the machine lacks: the kernel refuses it, late too, and all is undone. */
	cfg.fault_ep = 0;
	cfg.cpu = (unsigned)info->cpu_count;
	err = process_create(&p, &cfg);
	CHECK(err == MICA_ERR_RANGE);
	CHECK(p.tcb == 0 && p.vspace == 0 && p.cnode == 0 && p.book == 0);
	CHECK(p.failed_step != NULL && strcmp(p.failed_step, "set the CPU") == 0);
	cfg.cpu = 0;

	/*
	 * The slots the failed builds used are free and empty again: new
	 * objects retyped into them would fail with MICA_ERR_DELETE_FIRST if
	 * any still held a capability.
	 */
	for (int i = 0; i < ALLOC_MAX_FREED_SLOTS; i++)
		CHECK(alloc_object_ret(MICA_OBJ_NOTIFICATION, 0).err == MICA_OK);
	printf("procs: failed builds leave nothing behind\n");
}

int main(void)
{
	struct process pong = {0}, ping[CLIENT_COUNT] = {{0}};
	uint64_t ep, ctl, ntfn, pong_reply;

	info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	printf("START procs\n");
	CHECK_OK(alloc_init(info));
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	ctl = alloc_object(MICA_OBJ_ENDPOINT, 0);
	ntfn = alloc_object(MICA_OBJ_NOTIFICATION, 0);
	pong_reply = alloc_object(MICA_OBJ_REPLY, 0);
	CHECK(ep != 0 && ctl != 0 && ntfn != 0 && pong_reply != 0);

	/* The server runs above its clients, so each call is answered at once. */
	if (check_process(&pong, info, "pong", 100, mint(ctl, MICA_RIGHTS_ALL, PONG_FAULT), 7) ==
	    MICA_OK) {
		CHECK_OK(process_copy_cap(&pong, CHILD_SLOT_SERVICE, ep, MICA_RIGHT_READ));
		CHECK_OK(process_copy_cap(&pong, CHILD_SLOT_REPLY, pong_reply, MICA_RIGHTS_ALL));
		CHECK_OK(process_start(&pong));
	}
	for (int i = 0; i < CLIENT_COUNT; i++) {
		if (check_process(&ping[i], info, "ping", 50,
				  mint(ctl, MICA_RIGHTS_ALL, FAULT_BADGE(i)),
				  PING_ARG(PING_BADGE(i), CALLS)) != MICA_OK)
			continue;
		CHECK_OK(process_mint_cap(&ping[i], CHILD_SLOT_SERVICE, ep,
					  MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY,
					  PING_BADGE(i)));
		CHECK_OK(process_mint_cap(&ping[i], CHILD_SLOT_REPORT, ctl,
					  MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY,
					  REPORT_BADGE(i)));
		/* Started twice is refused: the second would be a silent no-op. */
		CHECK_OK(process_start(&ping[i]));
		CHECK(process_start(&ping[i]) == MICA_ERR_ILLEGAL_OPERATION);
	}

	if (check_failures == 0) {
		collect_reports(ctl);
		call_pong_ourselves(ep);
		test_churn(ep, ctl);
	}

	for (int i = 0; i < CLIENT_COUNT; i++)
		process_destroy(&ping[i]);
	process_destroy(&pong);
	CHECK(pong.tcb == 0 && ping[0].tcb == 0 && ping[1].tcb == 0);
	printf("procs: processes destroyed\n");

	test_create_failures(ntfn);

	return check_finish("procs");
}
