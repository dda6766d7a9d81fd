/*
 * The shared end of every EL0 test program, and its helpers (check.h).
 */
#include "check.h"

#include <formats/archive.h>
#include <mica/abi/bootinfo.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/vmimage.h>

int check_failures;

int check_finish(const char *name)
{
	if (check_failures == 0) {
		printf("FINISHED\n");
		return 0;
	}
	printf("%s: %d failures\n", name, check_failures);
	return 1;
}

/* IPC buffers of threads made here go in the pages above the root task's. */
static uint64_t next_ipc_va = MICA_ROOT_IPC_BUFFER_VA;

uint64_t check_thread(uint64_t (*make)(enum mica_object_type, unsigned), void (*fn)(void),
		      const uint8_t *stack_top, unsigned priority, uint64_t cspace,
		      uint64_t fault_ep, const char *name)
{
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	next_ipc_va += 0x1000;
	CHECK_OK(mica_frame_map(frame, MICA_CAP_ROOT_VSPACE, next_ipc_va,
				MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0));
	CHECK_OK(mica_tcb_set_space(tcb, cspace, MICA_CAP_ROOT_VSPACE, fault_ep));
	CHECK_OK(mica_tcb_set_ipc_buffer(tcb, next_ipc_va, frame));
	CHECK_OK(mica_tcb_set_priority(tcb, priority));
	CHECK_OK(mica_tcb_set_name(tcb, name));
	regs[MICA_CTX_PC] = (uintptr_t)fn;
	regs[MICA_CTX_SP] = (uintptr_t)stack_top;
	regs[MICA_CTX_TPIDR] = next_ipc_va;
	CHECK_OK(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs));
	return tcb;
}

enum mica_error check_process(struct process *p, const struct mica_boot_info *info,
			      const char *name, unsigned priority, uint64_t fault_ep, uint64_t arg)
{
	struct process_config cfg = {
		.name = name, .priority = priority, .fault_ep = fault_ep, .arg = arg};
	enum mica_error err = process_image_from_archive(info, name, &cfg);

	if (err == MICA_OK)
		err = process_create(p, &cfg);
	if (err != MICA_OK) {
		printf("FAIL %s:%d process %s: error %d at \"%s\"\n", __FILE__, __LINE__, name, err,
		       p->failed_step != NULL ? p->failed_step : "finding the image");
		check_failures++;
	}
	return err;
}

struct check_guest check_guest(const struct mica_boot_info *info, const char *file, uint64_t ep,
			       uint64_t badge, unsigned priority, const char *name)
{
	struct check_guest g = {0};
	struct archive_file elf;
	uint64_t fault_ep = alloc_slot();

	g.vm = alloc_object(MICA_OBJ_VM, 0);
	g.vcpu = alloc_object(MICA_OBJ_VCPU, 0);
	g.tcb = alloc_object(MICA_OBJ_TCB, 0);
	CHECK(g.vm && g.vcpu && g.tcb && fault_ep);
	CHECK_OK(mica_cnode_mint(MICA_CAP_ROOT_CNODE, fault_ep, 64, MICA_CAP_ROOT_CNODE, ep, 64,
				 MICA_RIGHTS_ALL, badge));
	CHECK_OK(archive_find((const void *)MICA_ROOT_ARCHIVE_VA, info->archive_size, file, &elf));
	CHECK_OK(vm_load_elf(g.vm, elf.data, elf.size, &g.entry));
	CHECK_OK(mica_vcpu_set_entry(g.vcpu, g.entry, 0));
	CHECK_OK(mica_tcb_set_space(g.tcb, MICA_CAP_ROOT_CNODE, g.vm, fault_ep));
	CHECK_OK(mica_tcb_bind_vcpu(g.tcb, g.vcpu));
	CHECK_OK(mica_tcb_set_priority(g.tcb, priority));
	CHECK_OK(mica_tcb_set_name(g.tcb, name));
	return g;
}
