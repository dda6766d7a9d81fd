/*
 * Microbenchmarks of the kernel's hot paths, in executed instructions.
 *
 * Run under QEMU with -icount shift=0,align=off,sleep=off (tools/bench):
 * PMCCNTR_EL0, which the kernel lets EL0 read and counts at every
 * exception level, then equals the instructions executed, exactly and
 * repeatably. Each figure is the count between two reads of the counter
 * around the operation, less the count of two back-to-back reads.
 *
 * Output: one "BENCH name iterations min median max" line per benchmark
 * (a bulk transfer's figures, one transfer each, with iterations 1 and
 * min, median and max the same).
 *
 * On two CPUs or more it measures only what needs them: the same IPC with
 * client and server on one CPU (what the kernel lock costs) and on two.
 * QEMU's -icount counts the instructions of every CPU in one counter, so a
 * cross-CPU figure is every instruction either CPU executed between the
 * client's two reads: both kernels' paths, the IPI, and the other CPU's
 * wake from idle (an idle CPU executes none).
 */
#include <formats/archive.h>
#include <mica/abi/bootinfo.h>
#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>
#include <mica/vmimage.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../tests/guests/guest.h"

#define ITERATIONS 10000
#define WARMUP	   100
#define ROOT	   MICA_CAP_ROOT_CNODE

#define ICC_SGI1R_EL1 MICA_SYSREG(3, 0, 12, 11, 5)

static uint64_t ipc_va = MICA_ROOT_IPC_BUFFER_VA;
static uint64_t samples[ITERATIONS];
static uint64_t overhead;

static inline uint64_t counter(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, pmccntr_el0" : "=r"(v)::"memory");
	return v;
}

static uint64_t make(enum mica_object_type type, unsigned bits)
{
	uint64_t slot = alloc_object(type, bits);

	if (slot == 0)
		printf("FAIL bench: cannot make an object of type %d\n", type);
	return slot;
}

static uint64_t thread(void (*fn)(void), const uint8_t *stack_top, unsigned prio)
{
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	ipc_va += 0x1000;
	(void)mica_frame_map(frame, MICA_CAP_ROOT_VSPACE, ipc_va,
			     MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0);
	(void)mica_tcb_set_space(tcb, ROOT, MICA_CAP_ROOT_VSPACE, 0);
	(void)mica_tcb_set_ipc_buffer(tcb, ipc_va, frame);
	(void)mica_tcb_set_priority(tcb, prio);
	regs[MICA_CTX_PC] = (uintptr_t)fn;
	regs[MICA_CTX_SP] = (uintptr_t)stack_top;
	regs[MICA_CTX_TPIDR] = ipc_va;
	(void)mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs);
	(void)mica_tcb_resume(tcb);
	return tcb;
}

/* Shell sort: small, and fast enough for 10,000 samples. */
static void sort(uint64_t *a, unsigned n)
{
	for (unsigned gap = n / 2; gap > 0; gap /= 2)
		for (unsigned i = gap; i < n; i++)
			for (unsigned j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
				uint64_t t = a[j];

				a[j] = a[j - gap];
				a[j - gap] = t;
			}
}

static void report(const char *name)
{
	sort(samples, ITERATIONS);
	printf("BENCH %s %d %llu %llu %llu\n", name, ITERATIONS, (unsigned long long)samples[0],
	       (unsigned long long)samples[ITERATIONS / 2],
	       (unsigned long long)samples[ITERATIONS - 1]);
}

static uint64_t ep, ntfn, reply, ep2, reply2, server_tcb;
static uint8_t server2_stack[8192] __attribute__((aligned(16)));
static uint8_t server_stack[8192] __attribute__((aligned(16)));
static uint8_t waiter_stack[8192] __attribute__((aligned(16)));
static volatile uint64_t woken_at;

static void server(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	(void)mica_recv(ep, reply, mr);
	for (;;)
		(void)mica_reply_recv(ep, reply, mica_msg_info(0, 0, 0), mr);
}

/* The same server, run in a second address space (see clone_address_space). */
static void server2(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	(void)mica_recv(ep2, reply2, mr);
	for (;;)
		(void)mica_reply_recv(ep2, reply2, mica_msg_info(0, 0, 0), mr);
}

/* Higher priority than main: a signal switches straight to it. */
static void waiter(void)
{
	for (;;) {
		(void)mica_wait(ntfn);
		woken_at = counter();
	}
}

/* Time op (a statement) WARMUP + ITERATIONS times, keeping the last ITERATIONS samples. */
#define MEASURE(op)                                                                                \
	for (int i_ = -WARMUP; i_ < ITERATIONS; i_++) {                                            \
		uint64_t t0_ = counter();                                                          \
		op;                                                                                \
		if (i_ >= 0)                                                                       \
			samples[i_] = counter() - t0_ - overhead;                                  \
	}

static void bench_null_syscall(void)
{
	MEASURE(mica_yield());
	report("null_syscall");
}

static void bench_call_same_as(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	MEASURE((void)mica_call(ep, 0, mr));
	report("ipc_call_reply_same_as");
}

static void bench_call_cross_as(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	MEASURE((void)mica_call(ep2, 0, mr));
	report("ipc_call_reply_cross_as");
}

extern char __user_start[], __text_end[], __user_end[];

/* A page of ours the clone's pages pass through on their way. */
#define SCRATCH_VA (MICA_ROOT_IPC_BUFFER_VA + 0x1ff000)

/*
 * A second address space holding a copy of this program's pages (text
 * read-execute, the rest read-write) and an IPC buffer: a thread started
 * there runs the same code with its own ASID, so calls into it cross
 * address spaces exactly as calls to another process do.
 */
static uint64_t clone_address_space(uint64_t *ipc_frame)
{
	uint64_t vs = make(MICA_OBJ_VSPACE, 0);

	/* Level-2 and level-3 tables for the program and for the IPC buffer. */
	for (int i = 0; i < 2; i++) {
		(void)mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), vs,
					  (uintptr_t)__user_start);
		(void)mica_page_table_map(make(MICA_OBJ_PAGE_TABLE, 0), vs,
					  MICA_ROOT_IPC_BUFFER_VA);
	}
	for (uintptr_t va = (uintptr_t)__user_start; va < (uintptr_t)__user_end; va += 4096) {
		uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
		bool is_text = va < (uintptr_t)__text_end;

		(void)mica_frame_map(frame, MICA_CAP_ROOT_VSPACE, SCRATCH_VA,
				     MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0);
		for (unsigned i = 0; i < 4096 / 8; i++)
			((uint64_t *)SCRATCH_VA)[i] = ((const uint64_t *)va)[i];
		(void)mica_frame_unmap(frame);
		if (mica_frame_map(frame, vs, va,
				   is_text ? MICA_RIGHT_READ : MICA_RIGHT_READ | MICA_RIGHT_WRITE,
				   is_text ? MICA_MAP_EXECUTE : 0) != MICA_OK)
			printf("FAIL bench: cannot map the clone's page at 0x%lx\n",
			       (unsigned long)va);
	}
	*ipc_frame = make(MICA_OBJ_FRAME_4K, 0);
	(void)mica_frame_map(*ipc_frame, vs, MICA_ROOT_IPC_BUFFER_VA,
			     MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0);
	return vs;
}

static void start_in(uint64_t vs, uint64_t ipc_frame, void (*fn)(void), const uint8_t *stack_top,
		     unsigned prio)
{
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	(void)mica_tcb_set_space(tcb, ROOT, vs, 0);
	(void)mica_tcb_set_ipc_buffer(tcb, MICA_ROOT_IPC_BUFFER_VA, ipc_frame);
	(void)mica_tcb_set_priority(tcb, prio);
	regs[MICA_CTX_PC] = (uintptr_t)fn;
	regs[MICA_CTX_SP] = (uintptr_t)stack_top;
	regs[MICA_CTX_TPIDR] = MICA_ROOT_IPC_BUFFER_VA;
	(void)mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs);
	(void)mica_tcb_resume(tcb);
}

/* The device server bound to the benchmark guest's MMIO range: answers every access at once. */
static uint64_t dev_ep, dev_reply;
static uint8_t dev_stack[4096] __attribute__((aligned(16)));

static void device_server(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	(void)mica_recv(dev_ep, dev_reply, mr);
	for (;;) {
		mr[0] = 0x1234;
		(void)mica_reply_recv(dev_ep, dev_reply, mica_msg_info(0, 0, 1), mr);
	}
}

/* Load the archive's file name into vm; its entry point in *entry. */
static bool load_guest(const struct mica_boot_info *info, const char *name, uint64_t vm,
		       uint64_t *entry)
{
	struct archive_file file;

	return archive_find((const void *)MICA_ROOT_ARCHIVE_VA, info->archive_size, name, &file) ==
		       MICA_OK &&
	       vm_load_elf(vm, file.data, file.size, entry) == MICA_OK;
}

/*
 * Make tcb the thread of vcpu number cpu (its MPIDR_EL1 Aff0) in vm, at
 * priority on CPU cpu, its exits going to vmm_ep, and start it at entry
 * with x0. False if any step fails.
 */
static bool start_vcpu(uint64_t vm, uint64_t entry, uint64_t x0, uint64_t vcpu, uint64_t tcb,
		       uint64_t vmm_ep, unsigned priority, unsigned cpu)
{
	if (mica_tcb_set_space(tcb, ROOT, vm, vmm_ep) != MICA_OK ||
	    mica_vcpu_set_entry(vcpu, entry, x0) != MICA_OK ||
	    mica_vcpu_write_reg(vcpu, MICA_VCPU_REG_VMPIDR, UINT64_C(1) << 31 | cpu) != MICA_OK ||
	    mica_tcb_bind_vcpu(tcb, vcpu) != MICA_OK ||
	    mica_tcb_set_priority(tcb, priority) != MICA_OK ||
	    mica_tcb_set_affinity(tcb, cpu) != MICA_OK)
		return false;
	(void)mica_tcb_resume(tcb);
	return true;
}

/*
 * Load the archive's file name into vm and make tcb its vCPU thread at
 * priority on CPU 0, its exits going to vmm_ep; started. False if any
 * step fails.
 */
static bool start_guest(const struct mica_boot_info *info, const char *name, uint64_t vm,
			uint64_t vcpu, uint64_t tcb, uint64_t vmm_ep, unsigned priority)
{
	uint64_t entry;

	return load_guest(info, name, vm, &entry) &&
	       start_vcpu(vm, entry, 0, vcpu, tcb, vmm_ep, priority, 0);
}

static const char *const guest_bench_names[GUEST_BENCH_COUNT] = {
	[GUEST_BENCH_HVC] = "guest_hvc_round_trip_to_vmm",
	[GUEST_BENCH_MMIO_READ] = "guest_mmio_read_to_server",
	[GUEST_BENCH_MMIO_WRITE] = "guest_mmio_write_to_server",
	[GUEST_BENCH_MMIO_READ_VMM] = "guest_mmio_read_to_vmm",
	[GUEST_BENCH_SYSREG_READ] = "guest_sysreg_read_to_vmm",
	[GUEST_BENCH_IPI_VMM_WITH_SENDER] = "guest_ipi_cross_cpu_vmm_with_sender",
	[GUEST_BENCH_IPI_VMM_WITH_TARGET] = "guest_ipi_cross_cpu_vmm_with_target",
	[GUEST_BENCH_VM_SWITCH] = "vcpu_switch_between_vms_same_cpu",
	[GUEST_BENCH_DOORBELL_ONE_WAY] = "doorbell_ring_to_peer_handler_same_cpu",
	[GUEST_BENCH_DOORBELL_ROUND_TRIP] = "doorbell_round_trip_same_cpu",
};

/* The same exits with two CPUs up: the device server on the other CPU. */
static const char *const guest_bench_names_2cpus[GUEST_BENCH_COUNT] = {
	[GUEST_BENCH_HVC] = "guest_hvc_round_trip_to_vmm_2cpus",
	[GUEST_BENCH_MMIO_READ] = "guest_mmio_read_to_server_cross_cpu",
	[GUEST_BENCH_MMIO_WRITE] = "guest_mmio_write_to_server_cross_cpu",
	[GUEST_BENCH_MMIO_READ_VMM] = "guest_mmio_read_to_vmm_2cpus",
	[GUEST_BENCH_SYSREG_READ] = "guest_sysreg_read_to_vmm_2cpus",
	[GUEST_BENCH_IPI_VMM_WITH_SENDER] = "guest_ipi_cross_cpu_vmm_with_sender",
	[GUEST_BENCH_IPI_VMM_WITH_TARGET] = "guest_ipi_cross_cpu_vmm_with_target",
	[GUEST_BENCH_DOORBELL_ONE_WAY] = "doorbell_ring_to_peer_handler_cross_cpu",
	[GUEST_BENCH_DOORBELL_ROUND_TRIP] = "doorbell_round_trip_cross_cpu",
};

/*
 * The bulk transfers (tests/guests/bench_bulk.c): one each, so one figure,
 * reported as min, median and max alike.
 */
static const char *const guest_bulk_names[GUEST_BENCH_COUNT] = {
	[GUEST_BENCH_BULK_MEMCPY] = "bulk_memcpy_instructions",
	[GUEST_BENCH_BULK_MEMCPY + 1] = "bulk_memcpy_bytes_per_kinstr",
	[GUEST_BENCH_BULK_COPY_OUT] = "bulk_ring_copy_out_instructions",
	[GUEST_BENCH_BULK_COPY_OUT + 1] = "bulk_ring_copy_out_bytes_per_kinstr",
	[GUEST_BENCH_BULK_COPY_OUT + 2] = "bulk_ring_copy_out_doorbells_per_mib",
	[GUEST_BENCH_BULK_IN_PLACE] = "bulk_ring_in_place_instructions",
	[GUEST_BENCH_BULK_IN_PLACE + 1] = "bulk_ring_in_place_bytes_per_kinstr",
	[GUEST_BENCH_BULK_IN_PLACE + 2] = "bulk_ring_in_place_doorbells_per_mib",
	[GUEST_BENCH_BULK_CHECKSUM] = "bulk_checksum_instructions",
	[GUEST_BENCH_BULK_CHECKSUM + 1] = "bulk_checksum_bytes_per_kinstr",
};

/*
 * A guest's GUEST_CALL_RESULT (x1..x3 in mr[1..3], x4 in the IPC buffer) as
 * a BENCH line, over iterations.
 */
static void print_result(const uint64_t *mr, const char *const *names, unsigned iterations)
{
	uint64_t id = mica_ipc_buffer()->mr[4];

	if (id < GUEST_BENCH_COUNT && names[id] != NULL)
		printf("BENCH %s %u %llu %llu %llu\n", names[id], iterations,
		       (unsigned long long)mr[1], (unsigned long long)mr[2],
		       (unsigned long long)mr[3]);
}

/*
 * Guest exits as the guest sees them: the benchmark guest measures and
 * reports; this thread is its VMM and answers each exit at once, and a
 * device server thread bound to GUEST_DEV_BASE answers the MMIO there.
 * Everything runs at one priority, so each exit goes straight to its
 * server and back. With cross_cpu, the device server runs on CPU 1 and
 * the rest on CPU 0.
 */
static void bench_guest_exits(const struct mica_boot_info *info, bool cross_cpu)
{
	uint64_t vm = make(MICA_OBJ_VM, 0);
	uint64_t vcpu = make(MICA_OBJ_VCPU, 0);
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t vmm_ep = make(MICA_OBJ_ENDPOINT, 0);
	uint64_t vmm_reply = make(MICA_OBJ_REPLY, 0);
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t dev_tcb;
	struct mica_msg m;

	dev_ep = make(MICA_OBJ_ENDPOINT, 0);
	dev_reply = make(MICA_OBJ_REPLY, 0);
	dev_tcb = thread(device_server, dev_stack + sizeof(dev_stack), 100);
	if ((cross_cpu && mica_tcb_set_affinity(dev_tcb, 1) != MICA_OK) ||
	    mica_vm_bind_mmio(vm, GUEST_DEV_BASE, GUEST_DEV_SIZE, dev_ep) != MICA_OK ||
	    !start_guest(info, "guest", vm, vcpu, tcb, vmm_ep, 100)) {
		printf("FAIL bench: cannot build the benchmark guest\n");
		return;
	}
	m = mica_recv(vmm_ep, vmm_reply, mr);
	for (;;) {
		uint64_t label = mica_msg_label(m.info);

		if (m.err != MICA_OK || (label == MICA_EXIT_HYPERCALL && mr[0] == GUEST_CALL_DONE))
			break;
		if (label == MICA_EXIT_HYPERCALL && mr[0] == GUEST_CALL_RESULT)
			print_result(mr, cross_cpu ? guest_bench_names_2cpus : guest_bench_names,
				     ITERATIONS);
		else if (label != MICA_EXIT_HYPERCALL && label != MICA_EXIT_MMIO &&
			 label != MICA_EXIT_SYSREG)
			break;
		mr[0] = 0;
		m = mica_reply_recv(vmm_ep, vmm_reply,
				    mica_msg_info(0, 0, label == MICA_EXIT_HYPERCALL ? 0 : 1), mr);
	}
	if (m.err != MICA_OK || mica_msg_label(m.info) != MICA_EXIT_HYPERCALL ||
	    mr[0] != GUEST_CALL_DONE)
		printf("FAIL bench: the benchmark guest stopped (label %llu)\n",
		       (unsigned long long)mica_msg_label(m.info));
	(void)mica_tcb_suspend(tcb);
	(void)mica_tcb_suspend(dev_tcb);
}

/* Virtual IPIs with the kernel routing the guest's SGIs: no VMM on the way. */
static const char *const guest_ipi_names_routed[GUEST_BENCH_COUNT] = {
	[GUEST_BENCH_IPI_VMM_WITH_SENDER] = "guest_ipi_cross_cpu",
	[GUEST_BENCH_IPI_VMM_WITH_TARGET] = "guest_ipi_cross_cpu_back",
};

/*
 * Virtual IPIs across CPUs (tests/guests/bench_ipi.c): a guest with vCPU 0
 * on CPU 0 and vCPU 1 on CPU 1 sends SGIs back and forth. This thread, on
 * CPU 0, is its VMM. Routed, the VM's SGI targets are the two vCPUs
 * (MICA_VM_BIND_SGI) and each takes the SGI at 0x80 (MICA_VCPU_SET_SGI):
 * the kernel delivers every write. Else each write of ICC_SGI1R_EL1 traps
 * to this thread, as to servers/vmm for a write the kernel does not
 * route, and it injects the SGI into the vCPUs the write's target list
 * names (Aff0 = vCPU number), at 0x80 and with no EOI exit, and answers,
 * at the vCPUs' priority (an injection by the running thread lets it go
 * on and answer first: sched_hurry_next).
 */
static void bench_virtual_ipi(const struct mica_boot_info *info, bool routed)
{
	uint64_t vm = make(MICA_OBJ_VM, 0);
	uint64_t vcpus[2] = {make(MICA_OBJ_VCPU, 0), make(MICA_OBJ_VCPU, 0)};
	uint64_t tcbs[2] = {make(MICA_OBJ_TCB, 0), make(MICA_OBJ_TCB, 0)};
	uint64_t vmm_ep = make(MICA_OBJ_ENDPOINT, 0);
	uint64_t vmm_reply = make(MICA_OBJ_REPLY, 0);
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint8_t priorities[16];
	uint64_t entry;
	struct mica_msg m;
	bool ok = load_guest(info, "guest_ipi", vm, &entry);

	memset(priorities, 0x80, sizeof(priorities));
	for (unsigned v = 0; v < 2 && ok && routed; v++)
		ok = mica_vm_bind_sgi(vm, v, vcpus[v]) == MICA_OK &&
		     mica_vcpu_set_sgi(vcpus[v], 1u << GUEST_IPI_SGI, priorities) == MICA_OK;
	if (!ok || !start_vcpu(vm, entry, 0, vcpus[1], tcbs[1], vmm_ep, 100, 1) ||
	    !start_vcpu(vm, entry, 0, vcpus[0], tcbs[0], vmm_ep, 100, 0)) {
		printf("FAIL bench: cannot build the IPI benchmark guest\n");
		return;
	}
	m = mica_recv(vmm_ep, vmm_reply, mr);
	for (;;) {
		uint64_t label = mica_msg_label(m.info);
		unsigned words = 1;

		if (m.err != MICA_OK || (label == MICA_EXIT_HYPERCALL && mr[0] == GUEST_CALL_DONE))
			break;
		if (label == MICA_EXIT_SYSREG && mr[0] == ICC_SGI1R_EL1 &&
		    (mr[1] & MICA_SYSREG_WRITE) && !routed) {
			for (unsigned v = 0; v < 2; v++)
				if (mr[2] & (UINT64_C(1) << v))
					(void)mica_vcpu_inject_irq(vcpus[v], (mr[2] >> 24) & 0xf,
								   0x80, 0);
		} else if (label == MICA_EXIT_HYPERCALL && mr[0] == GUEST_CALL_RESULT) {
			print_result(mr, routed ? guest_ipi_names_routed : guest_bench_names,
				     ITERATIONS);
			words = 0;
		} else {
			break;
		}
		mr[0] = 0;
		m = mica_reply_recv(vmm_ep, vmm_reply, mica_msg_info(0, 0, words), mr);
	}
	if (m.err != MICA_OK || mica_msg_label(m.info) != MICA_EXIT_HYPERCALL ||
	    mr[0] != GUEST_CALL_DONE)
		printf("FAIL bench: the IPI benchmark guest stopped (label %llu, x0 0x%llx)\n",
		       (unsigned long long)mica_msg_label(m.info), (unsigned long long)mr[0]);
	(void)mica_tcb_suspend(tcbs[0]);
	(void)mica_tcb_suspend(tcbs[1]);
}

/*
 * Virtual interrupt injection, from the VMM's MICA_VCPU_INJECT_IRQ to the
 * first instruction of the guest's handler (tests/guests/bench_virq.c). The
 * guest, of higher priority, waits in WFI; the injection wakes it and it
 * runs at once. It reports its handler's entry count with its next
 * hypercall. by_line: the interrupt comes instead from a signal of a
 * notification bound to it (MICA_NOTIFICATION_BIND_VIRQ), as a device
 * server raises a virtio device's line.
 */
static void bench_virq_inject(const struct mica_boot_info *info, bool by_line)
{
	uint64_t vm = make(MICA_OBJ_VM, 0);
	uint64_t vcpu = make(MICA_OBJ_VCPU, 0);
	uint64_t tcb = make(MICA_OBJ_TCB, 0);
	uint64_t vmm_ep = make(MICA_OBJ_ENDPOINT, 0);
	uint64_t vmm_reply = make(MICA_OBJ_REPLY, 0);
	uint64_t line = by_line ? make(MICA_OBJ_NOTIFICATION, 0) : 0;
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m;

	if (!start_guest(info, "guest_virq", vm, vcpu, tcb, vmm_ep, 150) ||
	    (by_line && mica_notification_bind_virq(line, vcpu, GUEST_SPI, 0x80,
						    MICA_VIRQ_BIND_ENABLED) != MICA_OK)) {
		printf("FAIL bench: cannot build the interrupt benchmark guest\n");
		return;
	}
	m = mica_recv(vmm_ep, vmm_reply, mr);
	for (int i = -WARMUP; i < ITERATIONS && m.err == MICA_OK && mr[0] == GUEST_CALL_VIRQ_READY;
	     i++) {
		uint64_t t0;

		(void)mica_send(vmm_reply, mica_msg_info(0, 0, 0), mr); /* It runs to its WFI. */
		t0 = counter();
		if (by_line)
			(void)mica_signal(line);
		else
			(void)mica_vcpu_inject_irq(vcpu, GUEST_SPI, 0x80, 0);
		m = mica_recv(vmm_ep, vmm_reply, mr);
		if (i >= 0)
			samples[i] = mr[1] - t0 - overhead;
	}
	if (m.err != MICA_OK || mr[0] != GUEST_CALL_VIRQ_READY) {
		printf("FAIL bench: the interrupt benchmark guest stopped (label %llu)\n",
		       (unsigned long long)mica_msg_label(m.info));
		return;
	}
	report(by_line ? "virq_line_signal_to_guest_handler" : "virq_inject_to_guest_handler");
	(void)mica_tcb_suspend(tcb);
}

/*
 * Two VMs, one vCPU each, both to run on CPU 0 at one priority, with the
 * same GUEST_SWITCH_PAGES fresh pages at GUEST_SWITCH_IPA (a second
 * capability to each frame maps it into the second VM). False if any step
 * fails.
 */
static bool make_vm_pair(uint64_t vms[2], uint64_t vcpus[2], uint64_t tcbs[2])
{
	bool ok = true;

	for (unsigned g = 0; g < 2; g++) {
		vms[g] = make(MICA_OBJ_VM, 0);
		vcpus[g] = make(MICA_OBJ_VCPU, 0);
		tcbs[g] = make(MICA_OBJ_TCB, 0);
	}
	for (uint64_t p = 0; p < GUEST_SWITCH_PAGES && ok; p++) {
		uint64_t frame = make(MICA_OBJ_FRAME_4K, 0);
		uint64_t copy = alloc_slot();
		uint64_t ipa = GUEST_SWITCH_IPA + p * 4096;

		ok = frame != 0 && copy != 0 &&
		     mica_cnode_copy(ROOT, copy, 64, ROOT, frame, 64, MICA_RIGHTS_ALL) == MICA_OK &&
		     vm_map_frame(vms[0], frame, ipa, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0) ==
			     MICA_OK &&
		     vm_map_frame(vms[1], copy, ipa, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0) ==
			     MICA_OK;
	}
	return ok;
}

/*
 * Load the archive's file name into both VMs and start them, vCPU g with
 * x0 = g | flags, on CPU 0, or with cross_cpu vCPU 1 on CPU 1.
 */
static bool start_vm_pair(const struct mica_boot_info *info, const char *name,
			  const uint64_t vms[2], const uint64_t vcpus[2], const uint64_t tcbs[2],
			  uint64_t vmm_ep, uint64_t flags, bool cross_cpu)
{
	for (unsigned g = 0; g < 2; g++) {
		uint64_t entry;

		if (!load_guest(info, name, vms[g], &entry) ||
		    !start_vcpu(vms[g], entry, g | flags, vcpus[g], tcbs[g], vmm_ep, 100,
				cross_cpu ? g : 0))
			return false;
	}
	return true;
}

/*
 * Answer the guests' reports (GUEST_CALL_RESULT, names, over iterations)
 * until one says GUEST_CALL_DONE. A guest's GUEST_CALL_FAIL ends them.
 */
static void take_reports(uint64_t vmm_ep, const char *const *names, unsigned iterations,
			 const char *what)
{
	uint64_t vmm_reply = make(MICA_OBJ_REPLY, 0);
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m = mica_recv(vmm_ep, vmm_reply, mr);

	while (m.err == MICA_OK && mica_msg_label(m.info) == MICA_EXIT_HYPERCALL &&
	       mr[0] == GUEST_CALL_RESULT) {
		print_result(mr, names, iterations);
		mr[0] = 0;
		m = mica_reply_recv(vmm_ep, vmm_reply, mica_msg_info(0, 0, 0), mr);
	}
	if (m.err == MICA_OK && mica_msg_label(m.info) == MICA_EXIT_HYPERCALL &&
	    mr[0] == GUEST_CALL_FAIL)
		printf("FAIL bench: a %s guest failed at its line %llu: got 0x%llx, expected "
		       "0x%llx\n",
		       what, (unsigned long long)mr[1], (unsigned long long)mr[2],
		       (unsigned long long)mr[3]);
	else if (m.err != MICA_OK || mica_msg_label(m.info) != MICA_EXIT_HYPERCALL ||
		 mr[0] != GUEST_CALL_DONE)
		printf("FAIL bench: the %s guests stopped (label %llu, x0 0x%llx)\n", what,
		       (unsigned long long)mica_msg_label(m.info), (unsigned long long)mr[0]);
}

/*
 * A switch from one VM's vCPU to another VM's on the same CPU
 * (tests/guests/bench_switch.c): the same guest in two VMs, one vCPU each,
 * both on CPU 0 at one priority, sharing pages (make_vm_pair), where the
 * guests pass on their counter reads and keep the samples. Each VM's SGI
 * target 0 is the other VM's vCPU, which takes GUEST_IPI_SGI: the kernel
 * delivers each guest's SGI to the other VM and switches to it at once.
 * This thread, their VMM, only waits for the report, so no host thread
 * runs between the two.
 */
static void bench_vm_switch(const struct mica_boot_info *info)
{
	uint64_t vms[2], vcpus[2], tcbs[2];
	uint64_t vmm_ep = make(MICA_OBJ_ENDPOINT, 0);
	uint8_t priorities[16];
	bool ok = make_vm_pair(vms, vcpus, tcbs);

	memset(priorities, 0x80, sizeof(priorities));
	for (unsigned g = 0; g < 2 && ok; g++)
		ok = mica_vm_bind_sgi(vms[g], 0, vcpus[1 - g]) == MICA_OK &&
		     mica_vcpu_set_sgi(vcpus[g], 1u << GUEST_IPI_SGI, priorities) == MICA_OK;
	if (!ok || !start_vm_pair(info, "guest_switch", vms, vcpus, tcbs, vmm_ep, 0, false)) {
		printf("FAIL bench: cannot build the VM-switch benchmark guests\n");
		return;
	}
	take_reports(vmm_ep, guest_bench_names, ITERATIONS, "VM-switch");
	(void)mica_tcb_suspend(tcbs[0]);
	(void)mica_tcb_suspend(tcbs[1]);
}

/*
 * Join a VM pair as a channel does: each VM's doorbell 0 signals a
 * notification bound to the other vCPU's GUEST_DOORBELL_SPI, as the root
 * task binds a static channel's. False if any step fails.
 */
static bool bind_doorbells(const uint64_t vms[2], const uint64_t vcpus[2])
{
	uint64_t lines[2] = {make(MICA_OBJ_NOTIFICATION, 0), make(MICA_OBJ_NOTIFICATION, 0)};
	bool ok = true;

	for (unsigned g = 0; g < 2 && ok; g++)
		ok = mica_notification_bind_virq(lines[g], vcpus[g], GUEST_DOORBELL_SPI, 0x80,
						 MICA_VIRQ_BIND_ENABLED) == MICA_OK &&
		     mica_vm_bind_doorbell(vms[g], 0, lines[1 - g]) == MICA_OK;
	return ok;
}

/*
 * A channel's doorbell between two VMs on one CPU
 * (tests/guests/bench_doorbell.c): as for the VM switch, two VMs sharing
 * pages, their doorbells bound (bind_doorbells). VM A (x0 0) rings, B's
 * handler rings back: one way and a round trip; with cross_cpu, B on
 * CPU 1.
 */
static void bench_doorbell(const struct mica_boot_info *info, bool cross_cpu)
{
	uint64_t vms[2], vcpus[2], tcbs[2];
	uint64_t vmm_ep = make(MICA_OBJ_ENDPOINT, 0);
	bool ok = make_vm_pair(vms, vcpus, tcbs) && bind_doorbells(vms, vcpus);

	if (!ok || !start_vm_pair(info, "guest_doorbell", vms, vcpus, tcbs, vmm_ep,
				  cross_cpu ? GUEST_DOORBELL_CROSS_CPU : 0, cross_cpu)) {
		printf("FAIL bench: cannot build the doorbell benchmark guests\n");
		return;
	}
	take_reports(vmm_ep, cross_cpu ? guest_bench_names_2cpus : guest_bench_names, ITERATIONS,
		     "doorbell");
	(void)mica_tcb_suspend(tcbs[0]);
	(void)mica_tcb_suspend(tcbs[1]);
}

/*
 * Bulk data through a channel between two VMs on one CPU
 * (tests/guests/bench_bulk.c): two VMs as for the doorbell, sharing
 * pages, their doorbells bound, move 16 MiB through a ring of 4 KiB slots
 * in the shared pages (16 slots after a page of indices) twice: B copying
 * each slot out, then checksumming each in place. Before that VM A copies
 * and checksums the same 16 MiB inside itself, for scale.
 */
static void bench_bulk(const struct mica_boot_info *info)
{
	uint64_t vms[2], vcpus[2], tcbs[2];
	uint64_t vmm_ep = make(MICA_OBJ_ENDPOINT, 0);
	bool ok = make_vm_pair(vms, vcpus, tcbs) && bind_doorbells(vms, vcpus);

	if (!ok || !start_vm_pair(info, "guest_bulk", vms, vcpus, tcbs, vmm_ep, 0, false)) {
		printf("FAIL bench: cannot build the bulk benchmark guests\n");
		return;
	}
	take_reports(vmm_ep, guest_bulk_names, 1, "bulk");
	(void)mica_tcb_suspend(tcbs[0]);
	(void)mica_tcb_suspend(tcbs[1]);
}

static void bench_signal(void)
{
	for (int i = -WARMUP; i < ITERATIONS; i++) {
		uint64_t t0 = counter();

		(void)mica_signal(ntfn);
		if (i >= 0)
			samples[i] = woken_at - t0 - overhead;
	}
	report("notification_signal_to_waiter");
}

int main(void)
{
	const struct mica_boot_info *info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	uint64_t min = UINT64_MAX;

	if (alloc_init(info) != MICA_OK)
		printf("FAIL bench: unusable boot information\n");
	for (int i = 0; i < 100; i++) {
		uint64_t t0 = counter();
		uint64_t d = counter() - t0;

		if (d < min)
			min = d;
	}
	overhead = min;
	printf("START bench (counter read overhead %llu)\n", (unsigned long long)overhead);
	ep = make(MICA_OBJ_ENDPOINT, 0);
	ntfn = make(MICA_OBJ_NOTIFICATION, 0);
	reply = make(MICA_OBJ_REPLY, 0);
	/* Run at the servers' priority so IPC switches directly between equals. */
	(void)mica_tcb_set_priority(MICA_CAP_ROOT_TCB, 100);
	server_tcb = thread(server, server_stack + sizeof(server_stack), 100);
	(void)thread(waiter, waiter_stack + sizeof(waiter_stack), 150);
	ep2 = make(MICA_OBJ_ENDPOINT, 0);
	reply2 = make(MICA_OBJ_REPLY, 0);
	{
		uint64_t ipc_frame;
		uint64_t vs = clone_address_space(&ipc_frame);

		start_in(vs, ipc_frame, server2, server2_stack + sizeof(server2_stack), 100);
	}

	if (info->cpu_count > 1) {
		uint64_t mr[MICA_MSG_REGISTERS] = {0};

		/* The server runs once (answering a call) wherever it is put next. */
		MEASURE((void)mica_call(ep, 0, mr));
		report("ipc_call_reply_same_cpu_2cpus");
		if (mica_tcb_set_affinity(server_tcb, 1) != MICA_OK)
			printf("FAIL bench: cannot move the server to CPU 1\n");
		MEASURE((void)mica_call(ep, 0, mr));
		report("ipc_call_reply_cross_cpu");
		(void)mica_tcb_set_affinity(server_tcb, 0);
		bench_guest_exits(info, true);
		bench_virtual_ipi(info, false);
		bench_virtual_ipi(info, true);
		bench_doorbell(info, true);
		printf("FINISHED\n");
		return 0;
	}
	bench_null_syscall();
	bench_call_same_as();
	bench_call_cross_as();
	bench_signal();
	bench_guest_exits(info, false);
	bench_virq_inject(info, false);
	bench_virq_inject(info, true);
	bench_vm_switch(info);
	bench_doorbell(info, false);
	bench_bulk(info);
	printf("FINISHED\n");
	return 0;
}
