/*
 * Building the system from its description (system.h): for each VM its
 * objects, RAM and passthrough regions (vms.c), then every device server
 * (servers.c), then each VM's VMM, each process with exactly the
 * capabilities its contract (<mica/proto/vmm.h>, <mica/proto/vdev.h>)
 * lists.
 */
#include "build.h"
#include "system.h"

#include <base/errors.h>
#include <base/fmt.h>
#include <formats/archive.h>
#include <mica/abi/objects.h>
#include <mica/alloc.h>
#include <mica/counter.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>
#include <mica/vmimage.h>

#include <string.h>

/* The root task's own windows for filling frames, away from libs/user's. */
#define SCRATCH_PAGE_VA	 UINT64_C(0x0000006200000000)
#define SCRATCH_BLOCK_VA UINT64_C(0x0000006240000000)

#define VMM_STACK_PAGES 16

#define RTC_DR 0x0u /* The PL031's data register: seconds since 1970, UTC. */

uint32_t server_index_of[SYSDESC_VM_MAX][SYSDESC_DEVICE_MAX];

/* name into dst of VDEV_NAME_MAX bytes, cut short if need be, always terminated. */
void copy_name(char *dst, const char *name)
{
	size_t len = strlen(name);

	if (len > VDEV_NAME_MAX - 1)
		len = VDEV_NAME_MAX - 1;
	memcpy(dst, name, len);
	dst[len] = '\0';
}

const char *archive_file(const struct system *s, const char *name, uint64_t *size)
{
	struct archive_file f;

	if (archive_find((const void *)MICA_ROOT_ARCHIVE_VA, s->info->archive_size, name, &f) !=
	    MICA_OK)
		return NULL;
	*size = f.size;
	return (const char *)f.data;
}

/* A copy of cap in a fresh slot (with rights), or 0. */
uint64_t copy_cap(uint64_t cap, unsigned rights)
{
	uint64_t slot = alloc_slot();

	if (slot != 0 && mica_cnode_copy(ROOT, slot, 64, ROOT, cap, 64, rights) != MICA_OK) {
		alloc_slot_free(slot);
		slot = 0;
	}
	return slot;
}

/* A minted copy of an endpoint or notification with badge, in a fresh slot, or 0. */
uint64_t mint_cap(uint64_t cap, unsigned rights, uint64_t badge)
{
	uint64_t slot = alloc_slot();

	if (slot != 0 && mica_cnode_mint(ROOT, slot, 64, ROOT, cap, 64, rights, badge) != MICA_OK) {
		alloc_slot_free(slot);
		slot = 0;
	}
	return slot;
}

void drop_cap(uint64_t slot)
{
	if (slot != 0 && mica_cnode_delete(ROOT, slot, 64) == MICA_OK)
		alloc_slot_free(slot);
}

/* Fill a frame of 2^bits bytes with len bytes of data (the rest zero) through a window here. */
enum mica_error fill_frame(uint64_t frame, unsigned bits, const void *data, uint64_t len)
{
	uint64_t va = bits == BLOCK_BITS ? SCRATCH_BLOCK_VA : SCRATCH_PAGE_VA;
	enum mica_error err = process_map_here(frame, va, RW, 0);

	if (err != MICA_OK)
		return err;
	memcpy((void *)va, data, len);
	memset((uint8_t *)va + len, 0, (UINT64_C(1) << bits) - len);
	return mica_frame_unmap(frame);
}

/* A page holding data (len bytes, at most one page) mapped read-only in p at va. */
enum mica_error give_page(struct process *p, const void *data, uint64_t len, uint64_t va)
{
	uint64_t frame = alloc_object(MICA_OBJ_FRAME_4K, 0);
	enum mica_error err =
		frame ? fill_frame(frame, PAGE_BITS, data, len) : MICA_ERR_NOT_ENOUGH_MEMORY;

	if (err == MICA_OK)
		err = process_map_frame(p, frame, va, MICA_RIGHT_READ, 0);
	return err;
}

/* A private copy of size bytes of data in p at va (2 MiB-aligned), read-only or writable. */
enum mica_error give_copy(struct process *p, const char *data, uint64_t size, uint64_t va,
			  unsigned rights)
{
	enum mica_error err = MICA_OK;

	for (uint64_t off = 0; err == MICA_OK && off < size; off += BLOCK) {
		uint64_t frame = alloc_object(MICA_OBJ_FRAME_2M, 0);
		uint64_t len = size - off < BLOCK ? size - off : BLOCK;

		err = frame ? fill_frame(frame, BLOCK_BITS, data + off, len)
			    : MICA_ERR_NOT_ENOUGH_MEMORY;
		if (err == MICA_OK)
			err = process_map_large(p, frame, va + off, rights, 0);
	}
	return err;
}

/* Every vCPU of VM index prefers a CPU the machine has. */
static enum mica_error check_affinity(const struct system *s, unsigned index)
{
	const struct sysdesc_vm *desc = &s->desc.vms[index];

	for (unsigned i = 0; i < desc->vcpu_count; i++) {
		if (desc->vcpu_affinity[i] < s->info->cpu_count)
			continue;
		printf("root: /vms/%s: property 'cpu-affinity': vCPU %u prefers CPU %u, but the "
		       "machine has %llu CPU(s)\n",
		       desc->name, i, desc->vcpu_affinity[i],
		       (unsigned long long)s->info->cpu_count);
		return MICA_ERR_RANGE;
	}
	return MICA_OK;
}

/* Server index runs on a CPU the machine has (its 'cpu', 0 when absent). */
static enum mica_error check_server_cpu(const struct system *s, unsigned index)
{
	const struct sysdesc_server *desc = &s->desc.servers[index];

	if (desc->cpu < s->info->cpu_count)
		return MICA_OK;
	printf("root: /servers/%s: property 'cpu': the server runs on CPU %u, but the machine "
	       "has %llu CPU(s)\n",
	       desc->name, desc->cpu, (unsigned long long)s->info->cpu_count);
	return MICA_ERR_RANGE;
}

/*
 * What the description asks of the machine's CPUs, checked before anything
 * is built: every vCPU's and every server's CPU exists. (A server that
 * serves no device is not started, but its CPU is checked all the same: the
 * description is the machine's, whichever of it runs.)
 */
static enum mica_error check_cpus(const struct system *s)
{
	for (unsigned i = 0; i < s->desc.vm_count; i++)
		if (check_affinity(s, i) != MICA_OK)
			return MICA_ERR_RANGE;
	for (unsigned i = 0; i < s->desc.server_count; i++)
		if (check_server_cpu(s, i) != MICA_OK)
			return MICA_ERR_RANGE;
	return MICA_OK;
}

/*
 * The device kinds server index's program declares (<mica/proto/devkind.h>),
 * read from its ELF file in the boot archive into the server's table.
 */
static enum mica_error read_server_kinds(struct system *s, unsigned index)
{
	struct server_rt *sv = &s->servers[index];
	const struct sysdesc_server *desc = &s->desc.servers[index];
	struct devkind_error why;
	uint64_t size = 0;
	const char *elf = archive_file(s, desc->program, &size);

	if (elf == NULL) {
		printf("root: /servers/%s: property 'program': no file \"%s\" in the boot "
		       "archive\n",
		       desc->name, desc->program);
		return MICA_ERR_NOT_FOUND;
	}
	if (devkind_read(elf, size, &sv->kinds, &why) == MICA_OK)
		return MICA_OK;
	if (why.kind >= 0)
		printf("root: /servers/%s: property 'program': \"%s\": device kind %d: %s\n",
		       desc->name, desc->program, why.kind, why.why);
	else
		printf("root: /servers/%s: property 'program': \"%s\" %s\n", desc->name,
		       desc->program, why.why);
	return MICA_ERR_MALFORMED;
}

/* The first compatible string of each of t's kinds, quoted and separated by ", ", into buf. */
static void kind_names(const struct devkind_table *t, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < t->count && len < size; i++) {
		int n = fmt_snprintf(buf + len, size - len, "%s\"%s\"", i > 0 ? ", " : "",
				     t->kinds[i].compatible);

		len += n > 0 ? (size_t)n : 0;
	}
}

/*
 * The kinds of VM index's devices into b: each device's kind (its
 * compatible, which its server must declare), each different kind once.
 * Prints what is wrong, naming the node and the property.
 */
static enum mica_error plan_kinds(const struct system *s, unsigned index, struct vmm_boot *b)
{
	const struct sysdesc_vm *vm = &s->desc.vms[index];

	b->kind_count = 0;
	for (unsigned d = 0; d < vm->device_count; d++) {
		const struct sysdesc_device *dev = &vm->devices[d];
		const struct server_rt *sv = &s->servers[dev->server];
		const struct vdev_kind *k = devkind_find(&sv->kinds, dev->compatible);
		unsigned i = 0;

		if (k == NULL) {
			char names[VDEV_KINDS_MAX * (VDEV_KIND_COMPATIBLE_MAX + 4)];

			kind_names(&sv->kinds, names, sizeof(names));
			printf("root: /vms/%s/devices/%s: property 'compatible': server '%s' "
			       "(program \"%s\") serves no \"%s\", only %s\n",
			       vm->name, dev->name, s->desc.servers[dev->server].name,
			       s->desc.servers[dev->server].program, dev->compatible, names);
			return MICA_ERR_NOT_FOUND;
		}
		while (i < b->kind_count && memcmp(&b->kinds[i], k, sizeof(*k)) != 0)
			i++;
		if (i == VMM_KINDS_MAX) {
			printf("root: /vms/%s/devices/%s: the VM's devices are of more than %d "
			       "kinds\n",
			       vm->name, dev->name, VMM_KINDS_MAX);
			return MICA_ERR_RANGE;
		}
		if (i == b->kind_count)
			b->kinds[b->kind_count++] = *k;
		b->device_kind[d] = (uint8_t)i;
	}
	return MICA_OK;
}

/*
 * Before anything is built: every server that serves a device declares
 * well-formed kinds, and every device is of a kind its server declares.
 */
static enum mica_error check_kinds(struct system *s)
{
	bool is_serving[SYSDESC_SERVER_MAX] = {false};

	for (unsigned v = 0; v < s->desc.vm_count; v++)
		for (unsigned d = 0; d < s->desc.vms[v].device_count; d++)
			is_serving[s->desc.vms[v].devices[d].server] = true;
	for (unsigned i = 0; i < s->desc.server_count; i++)
		if (is_serving[i] && read_server_kinds(s, i) != MICA_OK)
			return MICA_ERR_MALFORMED;
	for (unsigned v = 0; v < s->desc.vm_count; v++)
		if (plan_kinds(s, v, &s->vms[v].boot) != MICA_OK)
			return MICA_ERR_MALFORMED;
	return MICA_OK;
}

/*
 * Read the machine's real-time clock once, with the counter, for every
 * server's wall clock (vdev_boot.wall_clock_*): the servers then need no
 * device of the machine's, and a passthrough region may still give the
 * RTC to a guest (make_passthrough uses the page read here). The reading
 * is the second the RTC was in: up to a second behind.
 */
static void read_wall_clock(struct system *s)
{
	uint64_t frame = alloc_device_frame(RTC_PADDR);

	s->wall_clock_counter = mica_counter();
	if (frame == 0 || process_map_here(frame, SCRATCH_PAGE_VA, MICA_RIGHT_READ, 0) != MICA_OK) {
		printf("root: no real-time clock at 0x%llx; servers' wall clocks start at 0 "
		       "(1970)\n",
		       (unsigned long long)RTC_PADDR);
		drop_cap(frame);
		return;
	}
	s->wall_clock_s = *(volatile const uint32_t *)(SCRATCH_PAGE_VA + RTC_DR);
	s->wall_clock_counter = mica_counter();
	(void)mica_frame_unmap(frame);
	s->rtc_frame = frame;
}

static enum mica_error give_vmm_files(struct system *s, struct vm_rt *v, const void *dtb,
				      uint64_t dtb_size)
{
	struct vmm_boot *b = &v->boot;
	uint64_t size = 0, va = VMM_FILES_VA;
	const char *kernel = archive_file(s, v->desc->kernel, &size);
	enum mica_error err;

	if (kernel == NULL) {
		printf("root: /vms/%s: property 'kernel': no file \"%s\" in the boot archive\n",
		       v->desc->name, v->desc->kernel);
		return MICA_ERR_NOT_FOUND;
	}
	b->description = (struct vmm_boot_file){va, dtb_size};
	err = give_copy(&v->vmm, dtb, dtb_size, va, MICA_RIGHT_READ);
	va += (dtb_size + BLOCK - 1) & ~(BLOCK - 1);
	b->kernel = (struct vmm_boot_file){va, size};
	if (err == MICA_OK)
		err = give_copy(&v->vmm, kernel, size, va, MICA_RIGHT_READ);
	va += (size + BLOCK - 1) & ~(BLOCK - 1);
	if (err == MICA_OK && v->desc->initrd != NULL) {
		const char *initrd = archive_file(s, v->desc->initrd, &size);

		if (initrd == NULL) {
			printf("root: /vms/%s: property 'initrd': no file \"%s\" in the boot "
			       "archive\n",
			       v->desc->name, v->desc->initrd);
			return MICA_ERR_NOT_FOUND;
		}
		b->initrd = (struct vmm_boot_file){va, size};
		err = give_copy(&v->vmm, initrd, size, va, MICA_RIGHT_READ);
	}
	return err;
}

/*
 * The VMM of VM index, with its capabilities, memory and files; started.
 * Each vCPU's thread runs on the CPU its 'cpu-affinity' entry names, and
 * the VMM on vCPU 0's. vCPU 0 boots the guest alone, and Linux routes every
 * device interrupt to its boot CPU unless told otherwise, so the VMM's
 * busiest partner is vCPU 0: its exits and the EOIs of the interrupts
 * injected into it then go to a thread on the same CPU.
 */
static enum mica_error start_vmm(struct system *s, unsigned index, const void *dtb,
				 uint64_t dtb_size)
{
	struct vm_rt *v = &s->vms[index];
	struct process_config cfg = {.name = "vmm",
				     .priority = SYSTEM_PRIORITY,
				     .stack_pages = VMM_STACK_PAGES,
				     .arg = VMM_BOOT_VA,
				     .cpu = v->desc->vcpu_affinity[0]};
	uint64_t fault_ep = mint_cap(s->fault_ep, MICA_RIGHTS_ALL, ROOT_BADGE_VMM | index);
	uint64_t reply = alloc_object(MICA_OBJ_REPLY, 0);
	struct process *p = &v->vmm;
	enum mica_error err = fault_ep && reply ? MICA_OK : MICA_ERR_NOT_ENOUGH_MEMORY;

	cfg.fault_ep = fault_ep;
	v->boot = (struct vmm_boot){
		.magic = VMM_BOOT_MAGIC, .vm_index = index, .region_count = v->desc->region_count};
	/* check_kinds made this plan before: it holds. */
	if (plan_kinds(s, index, &v->boot) != MICA_OK)
		err = MICA_ERR_NOT_FOUND;
	if (err == MICA_OK)
		err = process_image_from_archive(s->info, "vmm", &cfg);
	if (err == MICA_OK)
		err = process_create(p, &cfg);
	drop_cap(fault_ep);
	if (err == MICA_OK)
		err = process_copy_cap(p, VMM_CAP_EP, v->ep, MICA_RIGHTS_ALL);
	if (err == MICA_OK)
		err = process_copy_cap(p, VMM_CAP_REPLY, reply, MICA_RIGHTS_ALL);
	if (err == MICA_OK)
		err = process_copy_cap(p, VMM_CAP_VM, v->vm, MICA_RIGHTS_ALL);
	for (unsigned i = 0; err == MICA_OK && i < v->desc->vcpu_count; i++) {
		uint64_t vcpu_ep = mint_cap(v->ep, RW | MICA_RIGHT_GRANT_REPLY, VMM_BADGE_VCPU | i);

		err = vcpu_ep ? mica_tcb_set_space(v->tcbs[i], p->cspace, v->vm, vcpu_ep)
			      : MICA_ERR_NOT_ENOUGH_MEMORY;
		drop_cap(vcpu_ep);
		if (err == MICA_OK)
			err = mica_tcb_set_priority(v->tcbs[i], SYSTEM_PRIORITY);
		if (err == MICA_OK)
			err = mica_tcb_set_affinity(v->tcbs[i], v->desc->vcpu_affinity[i]);
		if (err == MICA_OK)
			err = mica_tcb_set_name(v->tcbs[i], v->desc->name);
		if (err == MICA_OK)
			err = process_copy_cap(p, VMM_CAP_VCPU(i), v->vcpus[i], MICA_RIGHTS_ALL);
		if (err == MICA_OK)
			err = process_copy_cap(p, VMM_CAP_TCB(i), v->tcbs[i], MICA_RIGHTS_ALL);
	}
	for (unsigned d = 0; err == MICA_OK && d < v->desc->device_count; d++) {
		const struct server_rt *sv = &s->servers[v->desc->devices[d].server];

		if (!sv->is_running)
			continue;
		err = process_mint_cap(p, VMM_CAP_DEVICE(d), sv->ep, RW | MICA_RIGHT_GRANT_REPLY,
				       VDEV_BADGE_DEVICE | server_index_of[index][d]);
		v->boot.device_has_server[d] = err == MICA_OK;
		if (err == MICA_OK && sv->boot.devices[server_index_of[index][d]].line_cap != 0) {
			uint64_t line = device_line(s, index, d);

			err = line ? process_copy_cap(p, VMM_CAP_LINE(d), line, MICA_RIGHTS_ALL)
				   : MICA_ERR_NOT_ENOUGH_MEMORY;
		}
	}
	for (unsigned k = 0; err == MICA_OK && channel_line(s, index, k) != 0; k++)
		err = process_copy_cap(p, VMM_CAP_CHANNEL(k), channel_line(s, index, k),
				       MICA_RIGHTS_ALL);
	if (err == MICA_OK && s->ivc.is_running && v->desc->ivc.is_present) {
		/* It calls; it may not receive what other VMMs send. */
		err = process_mint_cap(p, VMM_CAP_IVC, s->ivc.ep,
				       MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY,
				       IVC_BADGE_VM | index);
		if (err == MICA_OK)
			err = process_copy_cap(p, VMM_CAP_IVC_LINE, s->ivc.lines[index],
					       MICA_RIGHTS_ALL);
	}
	for (unsigned i = 0; err == MICA_OK && i < v->desc->passthrough_count; i++) {
		uint64_t intid = v->desc->passthrough[i].intid;

		if (intid != 0)
			err = mica_irq_control_get(MICA_CAP_IRQ_CONTROL, (uint32_t)intid, p->cspace,
						   VMM_CAP_PASSTHROUGH_IRQ(i), 64);
	}
	if (err == MICA_OK)
		err = map_ram(s, v, p, VMM_RAM_VA, v->boot.regions, NULL, NULL, 0);
	if (err == MICA_OK)
		err = give_vmm_files(s, v, dtb, dtb_size);
	if (err == MICA_OK)
		err = give_page(p, &v->boot, sizeof(v->boot), VMM_BOOT_VA);
	if (err == MICA_OK)
		err = process_start(p);
	drop_cap(reply);
	if (err != MICA_OK) {
		printf("root: cannot start the VMM of \"%s\" (%s at %s)\n", v->desc->name,
		       mica_error_text(err), p->failed_step ? p->failed_step : "setup");
		return err;
	}
	v->is_running = true;
	return MICA_OK;
}

_Static_assert(SYSDESC_VM_MAX <= VDEV_MAX_VMS, "every VM has a VM-ended bit");

/* Tell each server with a device of VM index that the VM has ended, now and after a restart. */
static void tell_servers_vm_ended(struct system *s, unsigned index)
{
	for (unsigned i = 0; i < s->desc.server_count; i++) {
		struct server_rt *sv = &s->servers[i];
		bool serves_vm = false;
		uint64_t badged;

		for (unsigned d = 0; d < sv->boot.device_count; d++)
			serves_vm |= sv->boot.devices[d].vm_index == index;
		if (!serves_vm)
			continue;
		sv->boot.vms_ended |= UINT32_C(1) << index;
		badged = sv->is_running
				 ? mint_cap(sv->ntfn, MICA_RIGHT_WRITE, VDEV_NTFN_VM_ENDED(index))
				 : 0;
		if (badged != 0)
			(void)mica_signal(badged);
		drop_cap(badged);
	}
}

void system_end_vm(struct system *s, unsigned index)
{
	struct vm_rt *v = &s->vms[index];

	for (unsigned i = 0; i < v->desc->vcpu_count; i++)
		(void)mica_tcb_suspend(v->tcbs[i]);
	/* Servers blocked on this VM's endpoint (interrupt lines) get an error, not a hang. */
	(void)mica_cnode_revoke(ROOT, v->ep, 64);
	tell_servers_vm_ended(s, index);
	ivc_vm_ended(s, index);
	process_destroy(&v->vmm);
	v->is_running = false;
}

enum mica_error system_build(struct system *s, const struct mica_boot_info *info)
{
	struct sysdesc_error derr;
	uint64_t dtb_size = 0;
	const char *dtb;
	enum mica_error err;
	char line[SYSDESC_PATH_MAX + SYSDESC_PROPERTY_MAX + SYSDESC_MESSAGE_MAX + 16];

	s->info = info;
	dtb = archive_file(s, "system", &dtb_size);
	if (dtb == NULL) {
		printf("root: the boot archive has no system description (\"system\")\n");
		return MICA_ERR_NOT_FOUND;
	}
	err = sysdesc_parse(dtb, dtb_size, &s->desc, &derr);
	if (err != MICA_OK) {
		(void)sysdesc_error_format(&derr, line, sizeof(line));
		printf("root: the system description is invalid: %s\n", line);
		return err;
	}
	err = check_cpus(s);
	if (err == MICA_OK)
		err = check_kinds(s);
	if (err != MICA_OK)
		return err;
	for (unsigned i = 0; i < s->desc.vm_count; i++) {
		s->vms[i].desc = &s->desc.vms[i];
		err = make_identity_ram(s, i);
		if (err != MICA_OK)
			return err;
	}
	read_wall_clock(s);
	s->fault_ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	if (s->fault_ep == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	for (unsigned i = 0; i < s->desc.vm_count; i++) {
		err = make_vm_objects(s, i);
		if (err != MICA_OK) {
			printf("root: cannot make VM \"%s\" (%s)\n", s->desc.vms[i].name,
			       mica_error_text(err));
			return err;
		}
	}
	err = make_channels(s);
	if (err == MICA_OK)
		err = make_ivc(s, dtb, dtb_size);
	if (err != MICA_OK)
		return err;
	for (unsigned i = 0; i < s->desc.server_count; i++) {
		struct server_rt *sv = &s->servers[i];

		sv->desc = &s->desc.servers[i];
		sv->ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
		sv->ntfn = alloc_object(MICA_OBJ_NOTIFICATION, 0);
		err = sv->ep && sv->ntfn ? plan_server(s, i) : MICA_ERR_NOT_ENOUGH_MEMORY;
		if (err == MICA_OK && sv->boot.uart_va != 0)
			err = make_uart(sv);
		if (err != MICA_OK)
			return err;
	}
	err = plan_drivers(s);
	for (unsigned i = 0; err == MICA_OK && i < s->desc.server_count; i++)
		if (s->servers[i].boot.device_count > 0)
			err = start_server(s, i);
	for (unsigned k = 0; err == MICA_OK && k < s->desc.driver_count; k++)
		err = start_driver(s, k);
	if (err != MICA_OK)
		return err;
	for (unsigned i = 0; i < s->desc.vm_count; i++) {
		err = start_vmm(s, i, dtb, dtb_size);
		if (err != MICA_OK)
			return err;
	}
	return MICA_OK;
}

void system_print(const struct system *s)
{
	unsigned running = 0;

	for (unsigned i = 0; i < s->desc.vm_count; i++)
		running += s->vms[i].is_running;
	printf("root: system: %u VMs (%u running), %u device servers, %llu MiB of memory left\n",
	       s->desc.vm_count, running, s->desc.server_count,
	       (unsigned long long)(alloc_free_bytes() >> 20));
	for (unsigned i = 0; i < s->desc.vm_count; i++) {
		const struct sysdesc_vm *vm = &s->desc.vms[i];
		const struct sysdesc_channel *c;
		unsigned ends = 0;

		while (sysdesc_channel_end_of(&s->desc, i, ends, &c) != NULL)
			ends++;
		printf("root: VM \"%s\": %s, %u vCPUs, %u devices, %u channel ends\n", vm->name,
		       s->vms[i].is_running ? "running" : "ended", vm->vcpu_count, vm->device_count,
		       ends);
	}
	for (unsigned i = 0; i < s->desc.server_count; i++) {
		const struct server_rt *sv = &s->servers[i];

		printf("root: device server \"%s\": %s, %u devices, %u restarts\n", sv->desc->name,
		       sv->is_running ? "running" : "stopped", sv->boot.device_count,
		       sv->boot.restarts);
	}
}
