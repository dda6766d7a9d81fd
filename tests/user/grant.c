/*
 * Granting and revoking across processes: the root task sends a badged
 * notification capability to a child in another address space over an
 * endpoint. Without the grant right on the sending capability nothing
 * arrives; with it, the child finds the capability in the slot its IPC
 * buffer named and signals through it. Revoking the root task's original
 * then deletes the child's copy too, and the child's next signal fails with
 * MICA_ERR_INVALID_CAPABILITY. An endpoint capability sent through its own
 * endpoint arrives unwrapped, as its badge.
 */
#include <mica/abi/bootinfo.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/process.h>
#include <mica/sys.h>

#include <stdint.h>

#include "children.h"
#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

#define SIGNAL_BADGE UINT64_C(0x4)
#define EP_BADGE     UINT64_C(0x77)

/* An SPI nothing on QEMU virt uses, and a slot of the child's to hold its handler. */
#define SPARE_INTID	   100
#define CHILD_SLOT_HANDLER 11

/* What the child answered to one message. */
struct answer {
	enum mica_error err;
	uint64_t caps;
	enum mica_error signal_err;
	uint64_t unwrapped;
	uint64_t badge;
};

/* Call the child through ep with label, sending the capability cap (0: none). */
static struct answer send_to_child(uint64_t ep, uint64_t label, uint64_t cap)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m;

	mica_ipc_buffer()->caps[0] = cap;
	m = mica_call(ep, mica_msg_info(label, cap != 0 ? 1 : 0, 0), mr);
	return (struct answer){m.err, mr[0], (enum mica_error)mr[1], mr[2], mr[3]};
}

static uint64_t mint(uint64_t src, unsigned rights, uint64_t badge)
{
	uint64_t slot = alloc_slot();

	CHECK_OK(mica_cnode_mint(ROOT, slot, 64, ROOT, src, 64, rights, badge));
	return slot;
}

/*
 * Destroying the process deletes every capability in its CNode, even though
 * the CNode holds a capability to itself (the one the child receives
 * into). An IRQ handler shows it: its line can be claimed again only once
 * the last handler capability, here the child's, is gone.
 */
static void test_destroy_reaches_inside(struct process *child)
{
	uint64_t handler = alloc_slot();

	CHECK_OK(mica_irq_control_get(MICA_CAP_IRQ_CONTROL, SPARE_INTID, ROOT, handler, 64));
	CHECK_OK(process_copy_cap(child, CHILD_SLOT_HANDLER, handler, MICA_RIGHTS_ALL));
	CHECK_OK(mica_cnode_delete(ROOT, handler, 64));
	CHECK(mica_irq_control_get(MICA_CAP_IRQ_CONTROL, SPARE_INTID, ROOT, handler, 64) ==
	      MICA_ERR_DELETE_FIRST);
	process_destroy(child);
	CHECK_OK(mica_irq_control_get(MICA_CAP_IRQ_CONTROL, SPARE_INTID, ROOT, handler, 64));
	printf("grant: destroying the process deleted the capabilities in its CNode\n");
}

int main(void)
{
	const struct mica_boot_info *info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	struct process_config cfg = {.name = "grantee", .priority = 100};
	struct process child = {0};
	uint64_t ep, ntfn, reply, signal_cap, ep_no_grant;
	struct answer a;

	printf("START grant\n");
	CHECK_OK(alloc_init(info));
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	ntfn = alloc_object(MICA_OBJ_NOTIFICATION, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	CHECK(ep != 0 && ntfn != 0 && reply != 0);
	/* What travels: a badged copy that can only signal. */
	signal_cap = mint(ntfn, MICA_RIGHT_WRITE, SIGNAL_BADGE);
	/* A capability to the same endpoint that may call but not grant. */
	ep_no_grant = mint(ep, MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY, 0);

	CHECK_OK(process_image_from_archive(info, "grantee", &cfg));
	CHECK_OK(process_create(&child, &cfg));
	CHECK_OK(process_copy_cap(&child, CHILD_SLOT_SERVICE, ep, MICA_RIGHT_READ));
	CHECK_OK(process_copy_cap(&child, CHILD_SLOT_REPLY, reply, MICA_RIGHTS_ALL));
	CHECK_OK(process_copy_cap(&child, CHILD_SLOT_CNODE, child.cspace, MICA_RIGHTS_ALL));
	CHECK_OK(process_start(&child));
	if (check_failures != 0) {
		printf("grant: %d failures\n", check_failures);
		return 1;
	}

	/* Without the grant right the message arrives, the capability does not. */
	a = send_to_child(ep_no_grant, 1, signal_cap);
	CHECK(a.err == MICA_OK);
	CHECK(a.caps == 0);
	CHECK(a.signal_err == MICA_ERR_INVALID_CAPABILITY);
	CHECK(mica_poll(ntfn).badge == 0);
	printf("grant: without the grant right no capability is transferred\n");

	/* With it, the child holds a working copy. */
	a = send_to_child(ep, 2, signal_cap);
	CHECK(a.err == MICA_OK);
	CHECK(a.caps == 1);
	CHECK(a.unwrapped == 0);
	CHECK(a.signal_err == MICA_OK);
	CHECK(mica_poll(ntfn).badge == SIGNAL_BADGE);
	printf("grant: the child signalled through the granted capability\n");

	/* Revoking the original takes every copy derived from it, the child's too. */
	CHECK_OK(mica_cnode_revoke(ROOT, ntfn, 64));
	CHECK(mica_signal(signal_cap) == MICA_ERR_INVALID_CAPABILITY);
	a = send_to_child(ep, 3, 0);
	CHECK(a.err == MICA_OK);
	CHECK(a.caps == 0);
	CHECK(a.signal_err == MICA_ERR_INVALID_CAPABILITY);
	CHECK(mica_poll(ntfn).badge == 0);
	printf("grant: after revoke the child's signal fails with error %d\n", a.signal_err);

	/* An endpoint capability sent through its own endpoint arrives as its badge. */
	a = send_to_child(ep, 4, mint(ep, MICA_RIGHTS_ALL, EP_BADGE));
	CHECK(a.err == MICA_OK);
	CHECK(a.caps == 1);
	CHECK(a.unwrapped == 1);
	CHECK(a.badge == EP_BADGE);
	CHECK(a.signal_err == MICA_ERR_INVALID_CAPABILITY);
	printf("grant: an endpoint capability through its own endpoint is unwrapped\n");

	test_destroy_reaches_inside(&child);
	return check_finish("grant");
}
