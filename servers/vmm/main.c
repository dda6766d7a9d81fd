/*
 * The VMM process: one per VM, started by the root task with the
 * capabilities and memory <mica/proto/vmm.h> lists. It loads the guest,
 * writes its device tree, starts its boot vCPU, and then serves every exit
 * no device server takes: PSCI hypercalls, the GIC distributor and
 * redistributors, trapped system registers (idregs.h), accesses to where
 * nothing is (the VM's 'unmapped-access'), the end of injected interrupts,
 * and the device servers' interrupt lines.
 *
 * VM lifecycle: Initial (being loaded) -> Running -> ShuttingDown (SYSTEM_OFF,
 * or a guest fault it cannot serve); SYSTEM_RESET goes back to Initial and
 * boots again from the same files.
 */
#include <base/errors.h>
#include <mica/abi/exit.h>
#include <mica/abi/hypercall.h>
#include <mica/abi/vcpu.h>
#include <mica/counter.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/proto/ivc.h>
#include <mica/proto/vdev.h>
#include <mica/proto/vmm.h>
#include <mica/sys.h>
#include <mica/sysdesc.h>
#include <mica/work.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "guest.h"
#include "psci.h"
#include "stats.h"
#include "vdebug.h"
#include "vgicd.h"
#include "vmm.h"

static const char *const vm_state_names[] = {"Initial", "Running", "ShuttingDown"};

/* Guest priority for every interrupt the kernel injects on the VMM's behalf. */
#define PASSTHROUGH_PRIORITY 0xa0

struct vmm vmm;

static void set_state(enum vm_state s)
{
	printf("vmm %s: %s -> %s\n", vmm.vm->name, vm_state_names[vmm.state], vm_state_names[s]);
	vmm.state = s;
}

static enum mica_error inject(void *ctx, unsigned vcpu, unsigned intid, uint8_t prio)
{
	(void)ctx;
	return mica_vcpu_inject_irq(VMM_CAP_VCPU(vcpu), intid, prio, MICA_VIRQ_NOTIFY_EOI);
}

static void clear(void *ctx, unsigned vcpu, unsigned intid)
{
	(void)ctx;
	(void)mica_vcpu_clear_irq(VMM_CAP_VCPU(vcpu), intid);
}

static void direct_sgis(void *ctx, unsigned vcpu, uint16_t enabled, const uint8_t prio[16])
{
	enum mica_error err = mica_vcpu_set_sgi(VMM_CAP_VCPU(vcpu), enabled, prio);

	(void)ctx;
	if (err != MICA_OK)
		printf("vmm %s: cannot pass SGIs to vCPU %u directly (%s)\n", vmm.vm->name, vcpu,
		       mica_error_text(err));
}

/* Start vCPU i at pc with x0, MMU off, as PSCI CPU_ON and a boot require. */
static enum mica_error start_vcpu(unsigned i, uint64_t pc, uint64_t x0)
{
	enum mica_error err = mica_vcpu_set_entry(VMM_CAP_VCPU(i), pc, x0);

	if (err == MICA_OK && !vmm.is_bound[i]) {
		err = mica_tcb_bind_vcpu(VMM_CAP_TCB(i), VMM_CAP_VCPU(i));
		vmm.is_bound[i] = err == MICA_OK;
	}
	if (err == MICA_OK)
		err = mica_vcpu_write_reg(VMM_CAP_VCPU(i), MICA_VCPU_REG_VMPIDR,
					  UINT64_C(1) << 31 | guest_vcpu_mpidr(i));
	/*
	 * A power-up is a cold reset of its debug logic too: OS Lock set,
	 * nothing enabled (SET_ENTRY cleared the kernel's part).
	 */
	vdebug_reset(&vmm.debug[i]);
	if (err == MICA_OK)
		err = mica_vcpu_write_reg(VMM_CAP_VCPU(i), MICA_VCPU_REG_MDSCR,
					  vdebug_mdscr(&vmm.debug[i]));
	if (err == MICA_OK)
		err = mica_tcb_resume(VMM_CAP_TCB(i));
	return err;
}

static void stop_all_vcpus(void)
{
	for (unsigned i = 0; i < vmm.vm->vcpu_count; i++)
		(void)mica_tcb_suspend(VMM_CAP_TCB(i));
}

_Static_assert(SYSDESC_VM_LINES_MAX <= MICA_VCPU_VIRQ_BINDINGS,
	       "every kernel line of a VM fits one vCPU's table");

/* The flags of device d's kind, as its server declares it; 0 if its server did not start. */
static uint32_t kind_flags(unsigned d)
{
	unsigned kind = vmm.boot->device_kind[d];

	if (!vmm.boot->device_has_server[d] || kind >= vmm.boot->kind_count ||
	    kind >= VMM_KINDS_MAX)
		return 0;
	return vmm.boot->kinds[kind].flags;
}

/*
 * Device d's interrupt reaches the guest through the kernel: its kind says
 * so, and the root task gave this VMM its line notification with its server.
 */
static bool has_kernel_line(unsigned d)
{
	return vmm.vm->devices[d].intid >= 32u && (kind_flags(d) & VDEV_KIND_EDGE_LINE) != 0;
}

/* The GIC model, set up once; each boot resets it. */
/*
 * The guest's timers, whose PPIs the kernel delivers (QEMU virt's: the
 * virtual timer's and the EL1 physical timer's, as fdtgen.c lists them).
 */
#define VTIMER_PPI 27u
#define PTIMER_PPI 30u

static void kernel_ppis(void *ctx, unsigned vcpu, uint32_t enabled, const uint8_t *prio)
{
	unsigned timers = ((enabled >> VTIMER_PPI) & 1u) | ((enabled >> PTIMER_PPI) & 1u) << 1;
	enum mica_error err = mica_vcpu_set_timers(VMM_CAP_VCPU(vcpu), timers, prio[VTIMER_PPI],
						   prio[PTIMER_PPI]);

	(void)ctx;
	if (err != MICA_OK)
		printf("vmm %s: cannot set vCPU %u's timer interrupts (%s)\n", vmm.vm->name, vcpu,
		       mica_error_text(err));
}

/* The kernel knows a timer's line and whether the guest has its interrupt active. */
static unsigned kernel_ppi_state(void *ctx, unsigned vcpu, unsigned intid)
{
	unsigned t = intid == VTIMER_PPI ? MICA_VCPU_TIMER_VIRT : MICA_VCPU_TIMER_PHYS;
	uint64_t irqs = 0;

	(void)ctx;
	if (mica_vcpu_read_reg(VMM_CAP_VCPU(vcpu), MICA_VCPU_REG_TIMER_IRQS, &irqs) != MICA_OK)
		return 0;
	return ((irqs & MICA_VCPU_TIMER_LINE(t)) ? VGICD_PPI_LINE : 0) |
	       ((irqs & MICA_VCPU_TIMER_ACTIVE(t)) ? VGICD_PPI_ACTIVE : 0);
}

/*
 * The notification that raises SPI intid in the guest through the kernel:
 * a device's line (its server signals it), a channel end's (the other
 * ends' doorbells do) or the dynamic channels' (the peers' doorbells and
 * the IVC server do); 0 if none.
 */
static uint64_t kernel_line_of(unsigned intid)
{
	const struct sysdesc_channel *c;
	const struct sysdesc_channel_end *e;

	for (unsigned d = 0; d < vmm.vm->device_count; d++)
		if (vmm.vm->devices[d].intid == intid && has_kernel_line(d))
			return VMM_CAP_LINE(d);
	for (unsigned k = 0; (e = sysdesc_channel_end_of(&vmm.desc, vmm.boot->vm_index, k, &c));
	     k++)
		if (e->intid == intid)
			return VMM_CAP_CHANNEL(k);
	if (vmm.vm->ivc.is_present && vmm.vm->ivc.intid == intid)
		return VMM_CAP_IVC_LINE;
	return 0;
}

/*
 * A kernel line: bound to the vCPU the guest routes it to while the guest
 * takes it, else unbound (its signals wait in the notification meanwhile,
 * and it takes no room in any vCPU's table of lines).
 */
static bool kernel_spi(void *ctx, unsigned intid, unsigned vcpu, uint8_t prio, bool is_open)
{
	uint64_t line = kernel_line_of(intid);
	enum mica_error err = MICA_ERR_NOT_FOUND;

	(void)ctx;
	if (line != 0 && is_open)
		err = mica_notification_bind_virq(line, VMM_CAP_VCPU(vcpu), intid, prio,
						  MICA_VIRQ_BIND_ENABLED);
	else if (line != 0)
		err = mica_notification_unbind_virq(line);
	if (err == MICA_OK || (!is_open && err == MICA_ERR_NOT_FOUND))
		return true;
	printf("vmm %s: cannot bind INTID %u to vCPU %u (%s)\n", vmm.vm->name, intid, vcpu,
	       mica_error_text(err));
	return false;
}

static enum mica_error setup_gic(void)
{
	struct vgicd_config gcfg = {
		.dist_base = VGICD_DEFAULT_DIST_BASE,
		.redist_base = VGICD_DEFAULT_REDIST_BASE,
		.spi_count = VGICD_MAX_SPIS,
		.vcpu_count = vmm.vm->vcpu_count,
		.kernel_ppis = 1u << VTIMER_PPI | 1u << PTIMER_PPI,
	};
	const struct vgicd_ops ops = {.inject = inject,
				      .clear = clear,
				      .direct_sgis = direct_sgis,
				      .kernel_ppis = kernel_ppis,
				      .kernel_ppi_state = kernel_ppi_state,
				      .kernel_spi = kernel_spi};

	for (unsigned i = 0; i < vmm.vm->vcpu_count; i++)
		gcfg.mpidrs[i] = guest_vcpu_mpidr(i);
	for (unsigned spi = 0; spi < VGICD_MAX_SPIS; spi++)
		if (kernel_line_of(32u + spi) != 0)
			gcfg.kernel_spis[spi / 32u] |= 1u << (spi % 32u);
	return vgicd_init(&vmm.gic, &gcfg, &ops);
}

/* Initial: load the guest, reset the models, start the boot vCPU; Running after. */
static bool boot_guest(void)
{
	uint64_t mpidrs[SYSDESC_VCPU_MAX];
	struct plan_error why;
	enum mica_error err;

	for (unsigned i = 0; i < vmm.vm->vcpu_count; i++)
		mpidrs[i] = guest_vcpu_mpidr(i);
	err = guest_load(&vmm.guest, &why);
	if (err != MICA_OK && why.property != NULL)
		printf("vmm %s: cannot load the guest: /vms/%s: property '%s': %s (%s)\n",
		       vmm.vm->name, vmm.vm->name, why.property, why.why, mica_error_text(err));
	else if (err != MICA_OK)
		printf("vmm %s: cannot load the guest: %s (%s)\n", vmm.vm->name, why.why,
		       mica_error_text(err));
	if (err != MICA_OK)
		return false;
	/* A reset (or none yet) keeps the devices' line levels. */
	vgicd_reset(&vmm.gic);
	err = psci_init(&vmm.psci, mpidrs, vmm.vm->vcpu_count, 0);
	if (err == MICA_OK)
		err = start_vcpu(0, vmm.guest.entry, vmm.guest.x0);
	if (err != MICA_OK) {
		printf("vmm %s: cannot start vCPU 0 (%s)\n", vmm.vm->name, mica_error_text(err));
		return false;
	}
	set_state(VM_RUNNING);
	return true;
}

/*
 * Let the kernel route the guest's SGIs to every vCPU whose affinity a
 * target list at 0.0.0.x names (MICA_VM_BIND_SGI): such a write then
 * reaches its targets without an exit, those the GIC model lets take it
 * (direct_sgis). Others, and writes naming any other, still come here.
 */
static void bind_sgi_targets(void)
{
	for (unsigned i = 0; i < vmm.vm->vcpu_count; i++) {
		uint64_t mpidr = guest_vcpu_mpidr(i);
		enum mica_error err;

		if (mpidr >= MICA_VM_SGI_TARGETS)
			continue;
		/* A VMM started again finds its bindings made. */
		(void)mica_vm_unbind_sgi(VMM_CAP_VM, (unsigned)mpidr);
		err = mica_vm_bind_sgi(VMM_CAP_VM, (unsigned)mpidr, VMM_CAP_VCPU(i));
		if (err != MICA_OK)
			printf("vmm %s: SGIs to vCPU %u go through the VMM (%s)\n", vmm.vm->name, i,
			       mica_error_text(err));
	}
}

/* Bind each device range to its server's endpoint, and passthrough interrupts to vCPU 0. */
static void bind_devices(void)
{
	for (unsigned i = 0; i < vmm.vm->device_count; i++) {
		const struct sysdesc_device *d = &vmm.vm->devices[i];
		enum mica_error err;

		if (!vmm.boot->device_has_server[i]) {
			printf("vmm %s: %s has no server; its accesses read as zero\n",
			       vmm.vm->name, d->name);
			continue;
		}
		err = mica_vm_bind_mmio(VMM_CAP_VM, d->ipa.base, d->ipa.size, VMM_CAP_DEVICE(i));
		if (err != MICA_OK)
			printf("vmm %s: cannot bind %s to its server (%s)\n", vmm.vm->name, d->name,
			       mica_error_text(err));
	}
	for (unsigned i = 0; i < vmm.vm->passthrough_count; i++) {
		if (vmm.vm->passthrough[i].intid == 0)
			continue;
		if (mica_irq_handler_set_vcpu(VMM_CAP_PASSTHROUGH_IRQ(i), VMM_CAP_VCPU(0),
					      PASSTHROUGH_PRIORITY) != MICA_OK)
			printf("vmm %s: cannot forward INTID %u\n", vmm.vm->name,
			       vmm.vm->passthrough[i].intid);
	}
}

/*
 * A dynamic-channel hypercall, handed to the IVC server: its answer is the
 * guest's x0..x3. NOT_SUPPORTED for a VM without dynamic channels, or once
 * the server is gone.
 */
static struct answer ivc_hypercall(const uint64_t *mr)
{
	uint64_t words[MICA_MSG_REGISTERS] = {mr[0], mr[1], mr[2], mr[3]};
	struct answer a = {.reply = true, .count = 1, .words = {(uint64_t)MICA_HVC_NOT_SUPPORTED}};
	struct mica_msg m;

	if (!vmm.vm->ivc.is_present)
		return a;
	m = mica_call(VMM_CAP_IVC, mica_msg_info(IVC_MSG_HYPERCALL, 0, 4), words);
	if (m.err != MICA_OK)
		return a;
	a.count = mica_msg_length(m.info);
	if (a.count == 0 || a.count > MICA_EXIT_HYPERCALL_RESULTS)
		a.count = 1;
	for (unsigned i = 0; i < a.count; i++)
		a.words[i] = words[i];
	return a;
}

/*
 * The guest reset: its dynamic channels go (the IVC server tells the
 * peers). When the VM ends, the root task tells the server, however it ends.
 */
static void ivc_reset(void)
{
	uint64_t words[MICA_MSG_REGISTERS] = {0};

	if (vmm.vm->ivc.is_present)
		(void)mica_call(VMM_CAP_IVC, mica_msg_info(IVC_MSG_RESET, 0, 1), words);
}

/* How many times a device's reset is asked for before the VMM goes on without it. */
#define RESET_TRIES 4u

/*
 * The guest reset: each device whose server keeps guest memory (virtio)
 * goes back to its reset state, so that it writes into no buffer of the
 * last boot's. Only servers that never call a VMM are asked: those whose
 * lines go through the kernel and that drive no machine console (which
 * asks the VMMs for their statistics). A server calling this VMM while it
 * called the server would wait for it for ever.
 */
static void reset_devices(void)
{
	for (unsigned i = 0; i < vmm.vm->device_count; i++) {
		uint64_t words[MICA_MSG_REGISTERS] = {0};

		if ((kind_flags(i) & (VDEV_KIND_EDGE_LINE | VDEV_KIND_MACHINE_UART)) !=
		    VDEV_KIND_EDGE_LINE)
			continue;
		/*
		 * A server that crashed while it reset the device fails the call;
		 * its next instance takes the call again (a disk's server answers
		 * only once its driver has finished the last boot's requests).
		 */
		for (unsigned tries = 0; tries < RESET_TRIES; tries++)
			if (mica_call(VMM_CAP_DEVICE(i), mica_msg_info(VDEV_MSG_RESET, 0, 0), words)
				    .err == MICA_OK)
				break;
	}
}

static struct answer hypercall(unsigned vcpu, const uint64_t *mr)
{
	struct psci_result r;
	struct answer a;
	enum mica_error err;

	if ((uint32_t)mr[0] >= MICA_HVC_IVC_FIRST && (uint32_t)mr[0] <= MICA_HVC_IVC_LAST)
		return ivc_hypercall(mr);
	r = psci_call(&vmm.psci, vcpu, mr);
	a = (struct answer){.reply = true, .count = 1, .words = {r.x0}};

	switch (r.action.kind) {
	case PSCI_ACTION_NONE:
		break;
	case PSCI_ACTION_CPU_ON:
		err = start_vcpu(r.action.vcpu, r.action.entry, r.action.context);
		if (psci_cpu_on_done(&vmm.psci, r.action.vcpu, err == MICA_OK) != MICA_OK ||
		    err != MICA_OK)
			printf("vmm %s: CPU_ON of vCPU %u failed (%s)\n", vmm.vm->name,
			       r.action.vcpu, mica_error_text(err));
		break;
	case PSCI_ACTION_CPU_OFF:
		(void)mica_tcb_suspend(VMM_CAP_TCB(vcpu));
		a.reply = false;
		break;
	case PSCI_ACTION_SYSTEM_OFF:
		stop_all_vcpus();
		set_state(VM_SHUTTING_DOWN);
		printf("vmm %s: the guest powered off\n", vmm.vm->name);
		a.reply = false;
		break;
	case PSCI_ACTION_SYSTEM_RESET:
		stop_all_vcpus();
		printf("vmm %s: the guest asked for a reset\n", vmm.vm->name);
		ivc_reset();
		reset_devices();
		set_state(VM_INITIAL);
		if (!boot_guest()) {
			vmm.guest_failed = true;
			set_state(VM_SHUTTING_DOWN);
		}
		a.reply = false;
		break;
	}
	return a;
}

struct answer vmm_stop(void)
{
	stop_all_vcpus();
	vmm.guest_failed = true;
	set_state(VM_SHUTTING_DOWN);
	return (struct answer){.reply = false};
}

static struct answer vcpu_exit(unsigned vcpu, uint64_t label, const uint64_t *mr)
{
	if (vcpu >= vmm.vm->vcpu_count)
		return (struct answer){.reply = false};
	switch (label) {
	case MICA_EXIT_HYPERCALL:
		return hypercall(vcpu, mr);
	case MICA_EXIT_MMIO:
		return vmm_mmio(vcpu, mr);
	case MICA_EXIT_SYSREG:
		return vmm_sysreg(vcpu, mr);
	case MICA_EXIT_VIRQ_EOI:
		(void)vgicd_eoi(&vmm.gic, vcpu, (unsigned)mr[0]);
		return (struct answer){.reply = true};
	default:
		return vmm_guest_fault(vcpu, mr);
	}
}

static void print_line(void *ctx, const char *text)
{
	(void)ctx;
	printf("vmm %s: %s\n", vmm.vm->name, text);
}

/* The exit loop's work spans since the VMM started (<mica/work.h>). */
static struct mica_work work;

/*
 * The VM as it is (why: "ended", or "asked" from the console's Ctrl-T):
 * its state, vCPUs and devices, then each vCPU's exit statistics and the
 * VMM's own work.
 */
static void print_stats(const char *why)
{
	uint64_t stats[MICA_VCPU_STAT_COUNT];

	printf("vmm %s: %s: %s, %u vCPUs, devices:", vmm.vm->name, why, vm_state_names[vmm.state],
	       vmm.vm->vcpu_count);
	for (unsigned i = 0; i < vmm.vm->device_count; i++)
		printf("%s %s (%s)", i ? "," : "", vmm.vm->devices[i].name,
		       vmm.vm->devices[i].compatible);
	printf("%s; %llu accesses to nothing\n", vmm.vm->device_count ? "" : " none",
	       (unsigned long long)vmm.unmapped);
	for (unsigned i = 0; i < vmm.vm->vcpu_count; i++) {
		enum mica_error err = mica_vcpu_get_stats(VMM_CAP_VCPU(i), stats);

		if (err == MICA_OK)
			stats_lines(i, stats, mica_counter_hz(), print_line, NULL);
		else
			printf("vmm %s: vCPU %u: no statistics (%s)\n", vmm.vm->name, i,
			       mica_error_text(err));
	}
	printf("vmm %s: the VMM's work: %llu cycles in %llu spans\n", vmm.vm->name,
	       (unsigned long long)work.cycles, (unsigned long long)work.spans);
}

/* A device server's interrupt line: answer MICA_OK, or an error for a device without one. */
static struct answer irq_line(unsigned device, uint64_t label, const uint64_t *mr)
{
	const struct sysdesc_device *d = &vmm.vm->devices[device];
	enum mica_error err = MICA_ERR_INVALID_ARGUMENT;

	if (label == VDEV_MSG_IRQ_LINE && device < vmm.vm->device_count && d->intid != 0)
		err = vgicd_set_line(&vmm.gic, 0, d->intid, mr[0] != 0);
	if (label == VDEV_MSG_STATS) {
		/* At most once a second: a server asking in a loop gets its answer, not a flood. */
		static uint64_t last;
		uint64_t now = mica_counter();

		if (last == 0 || now - last >= mica_counter_hz()) {
			print_stats("asked");
			last = now;
		}
		err = MICA_OK;
	}
	return (struct answer){.reply = true, .count = 1, .words = {(uint64_t)err}};
}

/* Serve exits until the VM shuts down. */
static void serve(void)
{
	uint64_t mr[MICA_EXIT_HYPERCALL_WORDS] = {0};
	struct mica_msg m = mica_recv(VMM_CAP_EP, VMM_CAP_REPLY, mr);

	while (vmm.state != VM_SHUTTING_DOWN) {
		uint64_t index = m.badge & VMM_BADGE_INDEX_MASK;
		struct answer a = {.reply = false};

		mica_work_begin(&work);
		if (m.err == MICA_OK) {
			/* Words 4..7 of a hypercall are in the IPC buffer. */
			for (unsigned i = 4; i < mica_msg_length(m.info) && i < 8; i++)
				mr[i] = mica_ipc_buffer()->mr[i];
			if (m.badge & VMM_BADGE_VCPU)
				a = vcpu_exit((unsigned)index, mica_msg_label(m.info), mr);
			else if (m.badge & VMM_BADGE_DEVICE)
				a = irq_line((unsigned)index, mica_msg_label(m.info), mr);
		}
		mica_work_end(&work);
		if (vmm.state == VM_SHUTTING_DOWN)
			break;
		if (!a.reply) {
			m = mica_recv(VMM_CAP_EP, VMM_CAP_REPLY, mr);
			continue;
		}
		for (unsigned i = 0; i < a.count; i++)
			mr[i] = a.words[i];
		m = mica_reply_recv(VMM_CAP_EP, VMM_CAP_REPLY, mica_msg_info(0, 0, a.count), mr);
	}
}

int main(const struct vmm_boot *boot)
{
	struct sysdesc_error err;

	vmm.boot = boot;
	if (boot->magic != VMM_BOOT_MAGIC) {
		printf("vmm: no boot page\n");
		return 1;
	}
	if (sysdesc_parse((const void *)boot->description.va, boot->description.size, &vmm.desc,
			  &err) != MICA_OK ||
	    boot->vm_index >= vmm.desc.vm_count) {
		printf("vmm: the description is not usable\n");
		return 1;
	}
	vmm.vm = &vmm.desc.vms[boot->vm_index];
	guest_init(&vmm.guest, boot, &vmm.desc);
	printf("vmm %s: %u vCPUs, %u devices, kernel %llu bytes, initrd %llu bytes\n", vmm.vm->name,
	       vmm.vm->vcpu_count, vmm.vm->device_count, (unsigned long long)boot->kernel.size,
	       (unsigned long long)boot->initrd.size);
	if (setup_gic() != MICA_OK) {
		printf("vmm %s: cannot set up the GIC model\n", vmm.vm->name);
		return 1;
	}
	bind_devices();
	bind_sgi_targets();
	if (!boot_guest())
		return 1;
	serve();
	print_stats("ended");
	/* The root task hears of the end (as this process's exit) and reclaims the VM. */
	return vmm.guest_failed ? 1 : 0;
}
