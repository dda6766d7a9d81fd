/*
 * A first VMM: the root task builds a VM (stage-2 address space) with a
 * little RAM, loads the hvc test guest into it from the boot archive, runs
 * it on a VCPU bound to a thread, and serves its exits as messages:
 * hypercalls (HVC and SMC, eight argument words, four answer words) and a
 * stage-2 fault that it answers by mapping the missing page.
 */
#include <formats/archive.h>
#include <mica/abi/bootinfo.h>
#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/process.h>
#include <mica/sys.h>
#include <mica/vmimage.h>

#include <stdint.h>

#include "../guests/guest.h"
#include "check.h"

/*
 * At the VMM's own priority, exits and answers take the kernel's fastpaths;
 * built with a lower one (qemu.vm-hvc-slow), they take the slow paths.
 */
#ifndef GUEST_PRIORITY
#define GUEST_PRIORITY MICA_MAX_PRIORITY
#endif

#define ROOT	  MICA_CAP_ROOT_CNODE
#define VMM_BADGE 0x5

static uint64_t vm;

/* Load the archive's "guest" ELF into the VM; returns its entry point. */
static uint64_t load_guest(const struct mica_boot_info *info)
{
	struct archive_file file;
	uint64_t entry = 0;

	CHECK_OK(archive_find((const void *)MICA_ROOT_ARCHIVE_VA, info->archive_size, "guest",
			      &file));
	CHECK_OK(vm_load_elf(vm, file.data, file.size, &entry));
	return entry;
}

static uint64_t vcpu_state(uint64_t vcpu)
{
	uint64_t state = 99;

	CHECK_OK(mica_vcpu_get_state(vcpu, &state));
	return state;
}

/*
 * The vCPU's lifecycle up to Ready: configured (SET_ENTRY), then bound to
 * its thread. Another vCPU shows that an operation its state does not
 * allow fails and leaves it Invalid for good.
 */
static void check_vcpu_lifecycle(uint64_t tcb, uint64_t vcpu, uint64_t entry)
{
	uint64_t bad = alloc_object(MICA_OBJ_VCPU, 0);
	uint64_t bad2 = alloc_object(MICA_OBJ_VCPU, 0);
	uint64_t other = alloc_object(MICA_OBJ_TCB, 0);
	uint64_t third = alloc_object(MICA_OBJ_TCB, 0);

	CHECK(bad && bad2 && other && third);
	CHECK_EQ(vcpu_state(vcpu), MICA_VCPU_CREATED);
	CHECK_OK(mica_vcpu_set_entry(vcpu, entry, GUEST_MAGIC));
	CHECK_EQ(vcpu_state(vcpu), MICA_VCPU_FREE);
	CHECK_OK(mica_tcb_bind_vcpu(tcb, vcpu));
	CHECK_EQ(vcpu_state(vcpu), MICA_VCPU_READY);

	CHECK(mica_tcb_bind_vcpu(other, bad) == MICA_ERR_ILLEGAL_OPERATION); /* Created -> Ready. */
	CHECK_EQ(vcpu_state(bad), MICA_VCPU_INVALID);
	CHECK(mica_vcpu_set_entry(bad, entry, 0) == MICA_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(vcpu_state(bad), MICA_VCPU_INVALID);

	/* A bound vCPU bound again: Invalid, and its thread cannot start. */
	CHECK_OK(mica_vcpu_set_entry(bad2, entry, 0));
	CHECK_OK(mica_tcb_bind_vcpu(other, bad2));
	CHECK(mica_tcb_bind_vcpu(third, bad2) == MICA_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(vcpu_state(bad2), MICA_VCPU_INVALID);
	CHECK_OK(mica_tcb_set_space(other, ROOT, vm, 0));
	CHECK(mica_tcb_resume(other) == MICA_ERR_ILLEGAL_OPERATION);
	printf("vm-hvc: illegal vCPU transitions failed and left the vCPU Invalid\n");
}

int main(const struct mica_boot_info *info)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};
	uint64_t ep, fault_ep, reply, vcpu, tcb, entry;
	struct mica_ipc_buffer *buf = mica_ipc_buffer();
	unsigned calls = 0;
	struct mica_msg m;

	printf("START vm-hvc\n");
	CHECK_OK(alloc_init(info));
	vm = alloc_object(MICA_OBJ_VM, 0);
	vcpu = alloc_object(MICA_OBJ_VCPU, 0);
	tcb = alloc_object(MICA_OBJ_TCB, 0);
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	fault_ep = alloc_slot();
	CHECK(vm && vcpu && tcb && ep && reply && fault_ep);
	CHECK_OK(mica_cnode_mint(ROOT, fault_ep, 64, ROOT, ep, 64, MICA_RIGHTS_ALL, VMM_BADGE));
	entry = load_guest(info);
	CHECK(entry == GUEST_IMAGE_BASE);

	/* The vCPU thread: a VM as its address space, the VMM's endpoint for exits. */
	CHECK(mica_tcb_resume(tcb) == MICA_ERR_ILLEGAL_OPERATION); /* Not configured. */
	CHECK_OK(mica_tcb_set_space(tcb, ROOT, vm, fault_ep));
	CHECK(mica_tcb_resume(tcb) == MICA_ERR_ILLEGAL_OPERATION); /* A VM without a VCPU. */
	check_vcpu_lifecycle(tcb, vcpu, entry);
	CHECK(mica_tcb_bind_vcpu(tcb, vcpu) == MICA_ERR_ILLEGAL_OPERATION);
	CHECK_OK(mica_tcb_set_priority(tcb, GUEST_PRIORITY));
	CHECK_OK(mica_tcb_set_name(tcb, "guest"));
	CHECK_OK(mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, regs));
	CHECK(regs[MICA_CTX_PC] == entry && regs[MICA_CTX_X0] == GUEST_MAGIC);
	CHECK_OK(mica_tcb_resume(tcb));

	/*
	 * Answer with ReplyRecv, as a VMM would: the exit arrives and the answer
	 * leaves through the kernel's fastpaths when they apply.
	 */
	m = mica_recv(ep, reply, mr);
	for (;;) {
		uint64_t label;
		unsigned answer_len = 0;

		if (m.err != MICA_OK || m.badge != VMM_BADGE) {
			printf("FAIL %s:%d bad exit message (error %d)\n", __FILE__, __LINE__,
			       m.err);
			check_failures++;
			break;
		}
		label = mica_msg_label(m.info);
		if (label == MICA_EXIT_FAULT) {
			/* The guest read memory that is not there yet: put it there. */
			uint64_t magic = GUEST_MAGIC;

			CHECK_EQ(mr[2], GUEST_UNMAPPED_IPA);
			CHECK_EQ((mr[0] >> 26) & 0x3f, 0x24); /* A data abort from the guest. */
			if (mr[2] != GUEST_UNMAPPED_IPA)
				return check_finish("vm-hvc");
			CHECK_OK(vm_map_page(vm, GUEST_UNMAPPED_IPA, &magic, sizeof(magic)));
			printf("vm-hvc: a stage-2 fault at 0x%llx was served by mapping a page\n",
			       (unsigned long long)mr[2]);
			m = mica_reply_recv(ep, reply, mica_msg_info(0, 0, 0), mr);
			continue;
		}
		CHECK_EQ(label, MICA_EXIT_HYPERCALL);
		CHECK_EQ(mica_msg_length(m.info), MICA_EXIT_HYPERCALL_WORDS);
		calls++;
		switch (mr[0]) {
		case GUEST_CALL_HELLO:
			CHECK_EQ(mr[1], 1);
			CHECK_EQ(mr[3], 3);
			for (unsigned i = 4; i < 8; i++)
				CHECK_EQ(buf->mr[i], i);
			mr[0] = 0xb0;
			mr[1] = 0xb1;
			mr[2] = 0xb2;
			mr[3] = 0xb3;
			answer_len = 4;
			printf("vm-hvc: a hypercall brought x0..x7 to the VMM\n");
			break;
		case GUEST_CALL_ECHO:
			CHECK_EQ(mr[1], 0xb0);
			CHECK_EQ(mr[2], 0xb1);
			CHECK_EQ(mr[3], 0xb2);
			CHECK_EQ(buf->mr[4], 0xb3);
			printf("vm-hvc: the VMM's answer reached the guest's x0..x3\n");
			break;
		case GUEST_CALL_SMC:
			printf("vm-hvc: a trapped SMC arrived as a hypercall\n");
			break;
		case GUEST_CALL_READ:
			CHECK_EQ(mr[1], GUEST_MAGIC);
			printf("vm-hvc: the guest read the page the VMM mapped\n");
			break;
		case GUEST_CALL_DONE:
			CHECK_EQ(calls, 5);
			printf("vm-hvc: the guest finished after %u hypercalls\n", calls);
			return check_finish("vm-hvc");
		default:
			printf("FAIL %s:%d unexpected hypercall 0x%llx\n", __FILE__, __LINE__,
			       (unsigned long long)mr[0]);
			check_failures++;
			return check_finish("vm-hvc");
		}
		m = mica_reply_recv(ep, reply, mica_msg_info(0, 0, answer_len), mr);
	}
	return check_finish("vm-hvc");
}
