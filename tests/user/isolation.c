/*
 * Isolation between address spaces: a child (snoop) reads an address where
 * the root task keeps a secret and writes one where another process keeps
 * one, with nothing of its own mapped at either. Each access becomes a
 * MICA_FAULT_VM message on snoop's fault endpoint, which the root task
 * handles: it checks the label, the address and the kind of access, and
 * that the secret reached neither snoop's registers nor its memory. After
 * the read it maps a zeroed page of snoop's own there and resumes it (snoop
 * then reads zero); after the write it leaves snoop stopped, and the other
 * process's secret is unchanged.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/fault.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/process.h>
#include <mica/sys.h>

#include <stdint.h>

#include "children.h"
#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

#define ROOT_SECRET    UINT64_C(0x5ec7e7000000a001)
#define SIBLING_SECRET UINT64_C(0x5ec7e7000000b002)

/* Where the root task sees the other process's secret page. */
#define SIBLING_VIEW_VA UINT64_C(0x0000001000400000)

#define SNOOP_FAULT  UINT64_C(0x51)
#define SNOOP_REPORT UINT64_C(0x52)

/*
 * The syndrome of an EL0 data abort (Arm ARM, ESR_ELx and its ISS encoding
 * for a Data Abort): exception class 0x24, "Data Abort from a lower
 * Exception level", in bits 31..26, and WnR, "write not read", in ISS
 * bit 6. The fault message carries the raw syndrome only, so telling a
 * read from a write takes this decoding.
 */
#define ESR_EC_SHIFT	  26
#define ESR_EC_MASK	  UINT64_C(0x3f)
#define ESR_EC_DABT_LOWER UINT64_C(0x24)
#define ESR_ISS_WNR	  (UINT64_C(1) << 6)

static const struct mica_boot_info *info;

static uint64_t mint(uint64_t src, unsigned rights, uint64_t badge)
{
	uint64_t slot = alloc_slot();

	CHECK_OK(mica_cnode_mint(ROOT, slot, 64, ROOT, src, 64, rights, badge));
	return slot;
}

/* A zeroed page mapped at va in the root task, for a secret; returns its frame. */
static volatile uint64_t *secret_page(uint64_t va, uint64_t secret, uint64_t *frame)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;

	*frame = alloc_object(MICA_OBJ_FRAME_4K, 0);
	CHECK(*frame != 0);
	CHECK_OK(process_map_here(*frame, va, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0));
	p[0] = secret;
	return p;
}

/* Check a fault message: a data abort at address, a write or a read. */
static void check_vm_fault(struct mica_msg m, const uint64_t mr[MICA_MSG_REGISTERS],
			   uint64_t address, bool is_write)
{
	const uint64_t esr = mr[3];

	CHECK(m.err == MICA_OK);
	CHECK(m.badge == SNOOP_FAULT);
	CHECK(mica_msg_label(m.info) == MICA_FAULT_VM);
	CHECK(mr[1] == address);
	/* A data access, read or write as it was; the raw syndrome agrees. */
	CHECK(mr[2] == (is_write ? MICA_FAULT_VM_WRITE : 0));
	CHECK(((esr >> ESR_EC_SHIFT) & ESR_EC_MASK) == ESR_EC_DABT_LOWER);
	CHECK(((esr & ESR_ISS_WNR) != 0) == is_write);
}

/* Stopped at the faulting instruction, with no register holding a secret. */
static void check_stopped_clean(const struct process *p, uint64_t pc)
{
	uint64_t regs[MICA_CONTEXT_WORDS];

	CHECK_OK(mica_tcb_read_registers(p->tcb, MICA_CONTEXT_WORDS, regs));
	CHECK(regs[MICA_CTX_PC] == pc);
	for (unsigned i = 0; i < MICA_CONTEXT_WORDS; i++)
		CHECK(regs[i] != ROOT_SECRET && regs[i] != SIBLING_SECRET);
}

/* The other process: a pong server with the secret page mapped at SNOOP_SIBLING_VA. */
static volatile uint64_t *start_sibling(struct process *sibling)
{
	uint64_t frame, copy = alloc_slot();
	volatile uint64_t *secret = secret_page(SIBLING_VIEW_VA, SIBLING_SECRET, &frame);

	if (check_process(sibling, info, "pong", 100, 0, 0) != MICA_OK)
		return secret;
	CHECK_OK(process_copy_cap(sibling, CHILD_SLOT_SERVICE, alloc_object(MICA_OBJ_ENDPOINT, 0),
				  MICA_RIGHT_READ));
	CHECK_OK(process_copy_cap(sibling, CHILD_SLOT_REPLY, alloc_object(MICA_OBJ_REPLY, 0),
				  MICA_RIGHTS_ALL));
	/* A frame capability maps once: the sibling gets a copy of ours. */
	CHECK_OK(mica_cnode_copy(ROOT, copy, 64, ROOT, frame, 64, MICA_RIGHTS_ALL));
	CHECK_OK(process_map_frame(sibling, copy, SNOOP_SIBLING_VA,
				   MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0));
	CHECK_OK(process_start(sibling));
	return secret;
}

int main(void)
{
	struct process sibling = {0}, snoop = {0};
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t ctl, reply, root_frame, own;
	volatile uint64_t *root_secret, *sibling_secret;
	struct mica_msg m;

	info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	printf("START isolation\n");
	CHECK_OK(alloc_init(info));
	ctl = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	root_secret = secret_page(SNOOP_ROOT_VA, ROOT_SECRET, &root_frame);
	sibling_secret = start_sibling(&sibling);
	if (check_process(&snoop, info, "snoop", 100, mint(ctl, MICA_RIGHTS_ALL, SNOOP_FAULT), 0) ==
	    MICA_OK) {
		CHECK_OK(process_mint_cap(&snoop, CHILD_SLOT_REPORT, ctl,
					  MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY, SNOOP_REPORT));
		CHECK_OK(process_start(&snoop));
	}
	if (check_failures != 0) {
		printf("isolation: %d failures\n", check_failures);
		return 1;
	}

	/* The read of the root task's secret faults before anything is loaded. */
	m = mica_recv(ctl, reply, mr);
	check_vm_fault(m, mr, SNOOP_ROOT_VA, false);
	check_stopped_clean(&snoop, mr[0]);
	/* Give snoop a page of its own there, and let it go on. */
	own = alloc_object(MICA_OBJ_FRAME_4K, 0);
	CHECK_OK(process_map_frame(&snoop, own, SNOOP_ROOT_VA, MICA_RIGHT_READ | MICA_RIGHT_WRITE,
				   0));
	m = mica_reply_recv(ctl, reply, mica_msg_info(MICA_FAULT_RESUME, 0, 0), mr);
	CHECK(m.err == MICA_OK);
	CHECK(m.badge == SNOOP_REPORT);
	CHECK(mica_msg_label(m.info) == LABEL_REPORT);
	CHECK(mr[0] == 0); /* Its own zeroed page, not our secret. */
	CHECK(mr[1] == MICA_ERR_BAD_ADDRESS);
	CHECK(*root_secret == ROOT_SECRET);
	printf("isolation: reading the root task's page faulted; the child saw only its own "
	       "page\n");

	/* Answer the report; the write to the other process's page faults in turn. */
	m = mica_reply_recv(ctl, reply, mica_msg_info(0, 0, 0), mr);
	check_vm_fault(m, mr, SNOOP_SIBLING_VA, true);
	check_stopped_clean(&snoop, mr[0]);
	CHECK(*sibling_secret == SIBLING_SECRET);
	/* Not answering the fault leaves snoop stopped for good. */
	printf("isolation: writing another process's page faulted and changed nothing\n");

	process_destroy(&snoop);
	process_destroy(&sibling);
	return check_finish("isolation");
}
