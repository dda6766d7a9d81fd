/*
 * MMIO and system-register exits, as a VMM with one device server sees
 * them. The root task is the VMM; a second thread is a device server with
 * GUEST_DEV_BASE bound to its endpoint on the VM, so the guest's loads and
 * stores there go straight to it. The guest (tests/guests/mmio.c) checks
 * what its loads return; the server checks what the stores bring; the VMM
 * serves the range nobody bound, what the server declines, and ACTLR_EL1.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "../guests/guest.h"
#include "check.h"

/* Above the servers' priority, exits take the slow path (test_vm_mmio_slow). */
#ifndef GUEST_PRIORITY
#define GUEST_PRIORITY 150
#endif

#define ROOT	     MICA_CAP_ROOT_CNODE
#define VMM_BADGE    0x5
#define SERVER_BADGE 0x77

static uint64_t server_ep, server_reply, server_spare_reply;
static unsigned server_reads, server_writes, server_declined, server_abandoned;
static uint8_t server_stack[4096] __attribute__((aligned(16)));

/* What a store at offset o of GUEST_DEV_WRITES must bring: its width and value. */
static void check_store(uint64_t offset, uint64_t access, uint64_t value)
{
	static const struct {
		unsigned size;
		uint64_t value;
	} expected[] = {
		[0] = {1, 0xef},       [2] = {2, 0xcdef},
		[4] = {4, 0x89abcdef}, [8] = {8, 0x0123456789abcdefull},
		[16] = {4, 0},
	};

	CHECK(offset < sizeof(expected) / sizeof(expected[0]) && expected[offset].size != 0);
	if (offset >= sizeof(expected) / sizeof(expected[0]))
		return;
	CHECK_EQ(mica_mmio_size(access), expected[offset].size);
	CHECK_EQ(value, expected[offset].value);
	CHECK(!(access & MICA_MMIO_SIGN_EXTEND));
	server_writes++;
}

/* The device server: answers loads with fixed patterns, checks stores. */
static void server(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(server_ep, server_reply, mr);

	for (;;) {
		uint64_t offset = mr[0] - GUEST_DEV_BASE;
		uint64_t answer = 0;
		uint64_t label = 0;

		CHECK_EQ(m.err, MICA_OK);
		CHECK_EQ(m.badge, SERVER_BADGE);
		CHECK_EQ(mica_msg_label(m.info), MICA_EXIT_MMIO);
		CHECK(mr[0] >= GUEST_DEV_BASE && offset < GUEST_DEV_SIZE);
		if (mr[1] & MICA_MMIO_WRITE) {
			check_store(offset - GUEST_DEV_WRITES, mr[1], mr[2]);
		} else if (offset == GUEST_DEV_DECLINE) {
			label = 1; /* Not this server's business: the VMM gets it. */
			server_declined++;
		} else if (offset == GUEST_DEV_ABANDON && server_abandoned == 0) {
			/*
			 * As if the server died holding the exit: its reply object
			 * goes. The guest retries the load, which comes back here.
			 */
			CHECK_OK(mica_cnode_delete(ROOT, server_reply, 64));
			server_reply = server_spare_reply;
			server_abandoned++;
			m = mica_recv(server_ep, server_reply, mr);
			continue;
		} else if (offset == GUEST_DEV_ABANDON) {
			answer = GUEST_ABANDONED_VALUE;
			printf("vm-mmio: a load whose server dropped it came back to the server\n");
		} else {
			CHECK(offset == GUEST_DEV_NEGATIVE || offset == GUEST_DEV_POSITIVE);
			answer = offset == GUEST_DEV_NEGATIVE ? GUEST_DEV_NEGATIVE_VALUE
							      : GUEST_DEV_POSITIVE_VALUE;
			server_reads++;
		}
		mr[0] = answer;
		m = mica_reply_recv(server_ep, server_reply, mica_msg_info(label, 0, 1), mr);
	}
}

/* Binding ranges: overlaps and empty or wrapping ranges are refused. */
static void check_bindings(uint64_t vm)
{
	uint64_t ep = alloc_object(MICA_OBJ_ENDPOINT, 0);

	CHECK(mica_vm_bind_mmio(vm, GUEST_DEV_BASE + 0x800, 0x1000, ep) ==
	      MICA_ERR_ILLEGAL_OPERATION);
	CHECK(mica_vm_bind_mmio(vm, GUEST_DEV_BASE - 0x10, 0x11, ep) == MICA_ERR_ILLEGAL_OPERATION);
	CHECK(mica_vm_bind_mmio(vm, 0x1000, 0, ep) == MICA_ERR_INVALID_ARGUMENT);
	CHECK(mica_vm_bind_mmio(vm, ~0ull - 0xff, 0x1000, ep) == MICA_ERR_INVALID_ARGUMENT);
	CHECK_OK(mica_vm_bind_mmio(vm, GUEST_DEV_BASE - 0x10, 0x10, ep)); /* Adjacent is fine. */
	CHECK_OK(mica_vm_unbind_mmio(vm, GUEST_DEV_BASE - 0x10));
	CHECK(mica_vm_unbind_mmio(vm, GUEST_DEV_BASE - 0x10) == MICA_ERR_NOT_FOUND);
	CHECK(mica_vm_bind_mmio(vm, GUEST_VMM_DEV_BASE, 0x1000, MICA_CAP_ROOT_TCB) ==
	      MICA_ERR_WRONG_TYPE);
	printf("vm-mmio: overlapping, empty and wrapping ranges were refused\n");
}

/* The VMM's part of the exits: returns the answer's length, or -1 when the guest is done. */
static int serve(uint64_t vcpu, uint64_t label, uint64_t *mr, unsigned *undefs)
{
	static bool refuse_next;
	const struct mica_ipc_buffer *buf = mica_ipc_buffer();

	if (label == MICA_EXIT_MMIO) {
		uint64_t state = 0;

		CHECK_OK(mica_vcpu_get_state(vcpu, &state));
		CHECK_EQ(state, MICA_VCPU_READY);
		CHECK(!(mr[1] & MICA_MMIO_WRITE));
		if (mr[0] == GUEST_DEV_BASE + GUEST_DEV_DECLINE) {
			CHECK_EQ(mica_mmio_size(mr[1]), 8);
			mr[0] = GUEST_DECLINED_VALUE;
			printf("vm-mmio: a load the server declined reached the VMM\n");
		} else {
			CHECK_EQ(mr[0], GUEST_VMM_DEV_BASE + 4);
			CHECK_EQ(mica_mmio_size(mr[1]), 4);
			mr[0] = GUEST_VMM_DEV_VALUE;
			printf("vm-mmio: a load from an unbound range reached the VMM\n");
		}
		return 1;
	}
	if (label == MICA_EXIT_SYSREG) {
		CHECK_EQ(mr[0], MICA_SYSREG(3, 0, 1, 0, 1)); /* ACTLR_EL1 */
		if (refuse_next) {
			refuse_next = false;
			CHECK_OK(mica_vcpu_inject_undef(vcpu));
			(*undefs)++;
			printf("vm-mmio: a refused system register became an undefined "
			       "instruction\n");
			return 0;
		}
		if (mr[1] & MICA_SYSREG_WRITE) {
			CHECK_EQ(mr[2], GUEST_ACTLR_VALUE + 1);
			printf("vm-mmio: a trapped MSR brought its value\n");
			return 0;
		}
		mr[0] = GUEST_ACTLR_VALUE;
		printf("vm-mmio: a trapped MRS was answered\n");
		return 1;
	}
	CHECK_EQ(label, MICA_EXIT_HYPERCALL);
	switch (mr[0]) {
	case GUEST_CALL_FAIL:
		printf("FAIL mmio.c:%llu got 0x%llx, expected 0x%llx\n", (unsigned long long)mr[1],
		       (unsigned long long)mr[2], (unsigned long long)mr[3]);
		check_failures++;
		return 0;
	case GUEST_CALL_UNDEF:
		refuse_next = true;
		return 0;
	case GUEST_CALL_MMIO_END:
		CHECK_EQ(mr[2], *undefs);
		printf("vm-mmio: the guest made %llu checks\n", (unsigned long long)mr[1]);
		return -1;
	default:
		printf("FAIL %s:%d unexpected hypercall 0x%llx (x1 0x%llx)\n", __FILE__, __LINE__,
		       (unsigned long long)mr[0], (unsigned long long)buf->mr[0]);
		check_failures++;
		return -1;
	}
}

int main(const struct mica_boot_info *info)
{
	uint64_t ep, reply, bound_ep;
	struct check_guest g;
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	unsigned undefs = 0;
	struct mica_msg m;

	printf("START vm-mmio\n");
	CHECK_OK(alloc_init(info));
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	server_ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	server_reply = alloc_object(MICA_OBJ_REPLY, 0);
	server_spare_reply = alloc_object(MICA_OBJ_REPLY, 0);
	bound_ep = alloc_slot();
	CHECK(ep && reply && server_ep && server_reply && server_spare_reply && bound_ep);
	CHECK_OK(mica_cnode_mint(ROOT, bound_ep, 64, ROOT, server_ep, 64,
				 MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY, SERVER_BADGE));
	g = check_guest(info, "guest", ep, VMM_BADGE, GUEST_PRIORITY, "guest");
	CHECK_OK(mica_vm_bind_mmio(g.vm, GUEST_DEV_BASE, GUEST_DEV_SIZE, bound_ep));
	/* The VM holds its own copy: the one used to bind may go. */
	CHECK_OK(mica_cnode_delete(ROOT, bound_ep, 64));
	check_bindings(g.vm);

	CHECK_OK(mica_tcb_resume(check_thread(alloc_object, server,
					      server_stack + sizeof(server_stack),
					      MICA_MAX_PRIORITY, ROOT, 0, "server")));
	CHECK_OK(mica_tcb_set_priority(MICA_CAP_ROOT_TCB, 150));
	CHECK_OK(mica_tcb_resume(g.tcb));

	m = mica_recv(ep, reply, mr);
	for (;;) {
		int n;

		CHECK_EQ(m.err, MICA_OK);
		CHECK_EQ(m.badge, VMM_BADGE);
		if (m.err != MICA_OK)
			break;
		n = serve(g.vcpu, mica_msg_label(m.info), mr, &undefs);
		if (n < 0)
			break;
		m = mica_reply_recv(ep, reply, mica_msg_info(0, 0, (unsigned)n), mr);
	}
	CHECK_EQ(server_reads, 13);
	CHECK_EQ(server_writes, 5);
	CHECK_EQ(server_declined, 1);
	CHECK_EQ(server_abandoned, 1);
	printf("vm-mmio: the device server answered %u loads and took %u stores\n", server_reads,
	       server_writes);
	return check_finish("vm-mmio");
}
