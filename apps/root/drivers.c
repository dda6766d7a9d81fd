/*
 * The driver servers (/drivers, docs/drivers.md): each drives one of the
 * machine's own devices, which the root task finds in the machine's device
 * tree (the kernel maps it at MICA_ROOT_DTB_VA): a block driver serves
 * parts of its disk to guests' devices through queues in shared memory
 * (<mica/proto/blk.h>), a network driver is the way out of a server's
 * switch (<mica/proto/netq.h>).
 *
 * What the root task makes once and keeps across a driver's restarts: its
 * notification (bound to its thread), the device's IRQHandler, its DMA
 * region, and each client's queue region. A client device's server maps
 * the region and holds a write-only, badged capability to the driver's
 * notification; the driver holds one to the server's.
 */
#include "build.h"
#include "system.h"

#include <mica/proto/netq.h>

#include <base/errors.h>
#include <base/fmt.h>
#include <libfdt.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <string.h>

#define PROBE_VA	   UINT64_C(0x0000006280000000) /* The root task's look at a device page. */
#define DRIVER_STACK_PAGES 8

/* virtio-mmio registers the root task reads to tell devices apart (virtio 1.2 §4.2.2). */
#define VIRTIO_MAGIC	      0x74726976u
#define VIRTIO_REG_MAGIC      0x000u
#define VIRTIO_REG_VERSION    0x004u
#define VIRTIO_REG_DEVICE_ID  0x008u
#define VIRTIO_REG_CONFIG     0x100u /* A block device's capacity, in sectors: 64 bits. */
#define VIRTIO_DEVICE_NET     1u
#define VIRTIO_DEVICE_BLOCK   2u
#define VIRTIO_TRANSPORT_SIZE 0x200u

#define GIC_SPI_BASE 32u

/* What each driver program drives: a kind of the machine's virtio devices. */
struct driver_kind {
	const char *program;
	uint32_t device_id;
	const char *noun; /* For messages: "the machine has N virtio NOUN devices". */
	const char *qemu; /* The QEMU options that make one. */
};

static const struct driver_kind kinds[] = {
	{"drv_virtio_blk", VIRTIO_DEVICE_BLOCK, "block",
	 "-drive file=IMAGE,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0"},
	{"drv_virtio_net", VIRTIO_DEVICE_NET, "network",
	 "-netdev user,id=n0 -device virtio-net-device,netdev=n0"},
};

/* One of the machine's virtio devices. */
struct machine_device {
	uint64_t paddr;
	uint32_t intid;
	uint32_t version;
	uint64_t sectors; /* A block device's capacity. */
};

static uint32_t read32(uint64_t va)
{
	return *(volatile const uint32_t *)va;
}

/*
 * The device page holding paddr, made once: QEMU packs eight transports
 * into a page, so several devices may share one.
 */
static uint64_t device_page(struct system *s, uint64_t paddr)
{
	uint64_t page = paddr & ~(PAGE - 1);

	for (unsigned i = 0; i < s->device_page_count; i++)
		if (s->device_pages[i].paddr == page)
			return s->device_pages[i].frame;
	if (s->device_page_count == SYSTEM_MAX_DEVICE_PAGES)
		return 0;
	s->device_pages[s->device_page_count] =
		(struct device_page){.paddr = page, .frame = alloc_device_frame(page)};
	return s->device_pages[s->device_page_count++].frame;
}

/* Read the transport at paddr: a device of device_id's identity (and a disk's size), or false. */
static bool probe(struct system *s, uint64_t paddr, uint32_t device_id, struct machine_device *out)
{
	uint64_t frame = device_page(s, paddr);
	uint64_t va = PROBE_VA + (paddr & (PAGE - 1));
	bool is_match = false;

	if (frame == 0 || process_map_here(frame, PROBE_VA, MICA_RIGHT_READ, 0) != MICA_OK)
		return false;
	if (read32(va + VIRTIO_REG_MAGIC) == VIRTIO_MAGIC &&
	    read32(va + VIRTIO_REG_DEVICE_ID) == device_id) {
		is_match = true;
		out->paddr = paddr;
		out->version = read32(va + VIRTIO_REG_VERSION);
		if (device_id == VIRTIO_DEVICE_BLOCK)
			out->sectors = read32(va + VIRTIO_REG_CONFIG) |
				       (uint64_t)read32(va + VIRTIO_REG_CONFIG + 4) << 32;
	}
	(void)mica_frame_unmap(frame);
	return is_match;
}

/*
 * The machine's virtio device of device_id number index, counting them in
 * address order; false if it has fewer. *count says how many it has.
 */
static bool find_device(struct system *s, uint32_t device_id, uint32_t index,
			struct machine_device *out, unsigned *count)
{
	const void *fdt = (const void *)(uintptr_t)(MICA_ROOT_DTB_VA + s->info->dtb_offset);
	uint64_t last = 0;
	bool is_first = true;

	*count = 0;
	if (s->info->dtb_size == 0 || fdt_check_header(fdt) != 0)
		return false;
	/* Transports in address order: the smallest address above the last one, each time. */
	for (;;) {
		struct machine_device best = {0};
		bool is_found = false;
		int node;

		for (node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
		     node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
			struct machine_device d = {0};
			int len = 0;
			const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
			const fdt32_t *irq;
			uint64_t paddr;

			if (reg == NULL || len < 8)
				continue;
			paddr = (uint64_t)fdt32_ld(&reg[0]) << 32 | fdt32_ld(&reg[1]);
			if ((!is_first && paddr <= last) || (is_found && paddr >= best.paddr))
				continue;
			irq = fdt_getprop(fdt, node, "interrupts", &len);
			if (irq == NULL || len < 12 || fdt32_ld(&irq[0]) != 0)
				continue; /* Not an SPI. */
			d.intid = fdt32_ld(&irq[1]) + GIC_SPI_BASE;
			d.paddr = paddr;
			best = d;
			is_found = true;
		}
		if (!is_found)
			return false;
		last = best.paddr;
		is_first = false;
		if (!probe(s, best.paddr, device_id, &best))
			continue;
		if ((*count)++ == index) {
			*out = best;
			return true;
		}
	}
}

/* A 2 MiB frame of RAM and its physical address (contiguous, for DMA). */
static uint64_t dma_region(uint64_t *paddr)
{
	uint64_t frame = alloc_object(MICA_OBJ_FRAME_2M, 0);

	if (frame != 0 && mica_frame_get_address(frame, paddr) != MICA_OK) {
		drop_cap(frame);
		return 0;
	}
	return frame;
}

/*
 * The RAM map of client's guest: the frames of VM v's first region (the
 * device server's window on the guest), with physically contiguous
 * neighbours joined into one run.
 */
static enum mica_error ram_map(const struct system *s, unsigned v, struct blk_boot_client *client)
{
	const struct sysdesc_region *window = &s->desc.vms[v].regions[0];
	uint64_t end = window->ipa.base + window->ipa.size;

	client->ram_run_count = 0;
	for (unsigned i = 0; i < s->ram_count; i++) {
		const struct ram_frame *f = &s->ram[i];
		uint64_t size = UINT64_C(1) << f->size_bits, pa;
		struct blk_ram_run *last = NULL;

		if (f->vm != v || f->ipa < window->ipa.base || f->ipa >= end)
			continue;
		if (mica_frame_get_address(f->cap, &pa) != MICA_OK)
			return MICA_ERR_INVALID_CAPABILITY;
		if (client->ram_run_count != 0)
			last = &client->ram[client->ram_run_count - 1];
		if (last != NULL && last->ipa + last->size == f->ipa &&
		    last->pa + last->size == pa) {
			last->size += size;
			continue;
		}
		if (client->ram_run_count == BLK_RAM_RUNS)
			return MICA_ERR_RANGE;
		client->ram[client->ram_run_count++] =
			(struct blk_ram_run){.ipa = f->ipa, .pa = pa, .size = size};
	}
	return MICA_OK;
}

/* Give driver k's client c (device d of VM v, served by server sv at place i) its queue. */
static enum mica_error add_client(struct system *s, unsigned k, unsigned v, unsigned d,
				  const struct machine_device *disk)
{
	struct driver_rt *dr = &s->drivers[k];
	const struct sysdesc_vm *vm = &s->desc.vms[v];
	const struct sysdesc_device *dev = &vm->devices[d];
	struct server_rt *sv = &s->servers[dev->server];
	unsigned i = server_index_of[v][d];
	struct vdev_boot_device *bd = &sv->boot.devices[i];
	unsigned c = dr->boot.client_count;
	struct blk_boot_client *client = &dr->boot.clients[c];
	uint64_t disk_bytes = disk->sectors * BLK_SECTOR_SIZE;
	uint64_t size = dev->drive_size != 0 ? dev->drive_size : disk_bytes - dev->drive_offset;
	uint64_t region_pa;
	enum mica_error err;

	/* A partition's place and size are for the driver to find, in the disk's table. */
	if (dev->drive_partition != 0) {
		size = 0;
	} else if (dev->drive_offset > disk_bytes || size > disk_bytes - dev->drive_offset) {
		printf("root: /vms/%s/devices/%s: property 'drive-range': bytes 0x%llx to 0x%llx "
		       "are past the end of drive '%s' (0x%llx bytes)\n",
		       vm->name, dev->name, (unsigned long long)dev->drive_offset,
		       (unsigned long long)dev->drive_offset + size, dr->desc->name,
		       (unsigned long long)disk_bytes);
		return MICA_ERR_RANGE;
	}
	if (size == 0 && dev->drive_partition == 0) {
		printf("root: /vms/%s/devices/%s: property 'drive': its part of drive '%s' is "
		       "empty\n",
		       vm->name, dev->name, dr->desc->name);
		return MICA_ERR_RANGE;
	}
	err = ram_map(s, v, client);
	if (err == MICA_ERR_RANGE)
		printf("root: /vms/%s/devices/%s: VM '%s''s RAM lies in more than %u physical "
		       "pieces, more than drive '%s' can reach\n",
		       vm->name, dev->name, vm->name, BLK_RAM_RUNS, dr->desc->name);
	if (err != MICA_OK)
		return err;
	dr->regions[c] = dma_region(&region_pa);
	/* Its server's "look at my slots": a write-only capability badged for this client. */
	sv->drive_signal[i] = mint_cap(dr->ntfn, MICA_RIGHT_WRITE, BLK_NTFN_CLIENT(c));
	dr->client_ntfn[c] = mint_cap(sv->ntfn, MICA_RIGHT_WRITE, VDEV_NTFN_DRIVE);
	if (dr->regions[c] == 0 || sv->drive_signal[i] == 0 || dr->client_ntfn[c] == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	sv->drive_region[i] = dr->regions[c];
	bd->drive_va = VDEV_DISK_VA + i * VDEV_RAM_STRIDE;
	bd->drive_sectors = size / BLK_SECTOR_SIZE;
	bd->drive_cap = VDEV_CAP_DRIVE_FIRST + i;
	bd->drive_read_only = dev->is_read_only;
	bd->drive_partition = dev->drive_partition;
	client->region_va = BLK_CLIENT_VA + c * BLK_REGION_SIZE;
	client->first_sector = dev->drive_offset / BLK_SECTOR_SIZE;
	client->sector_count = bd->drive_sectors;
	client->is_read_only = dev->is_read_only;
	client->partition = dev->drive_partition;
	(void)fmt_snprintf(client->name, sizeof(client->name), "%s/%s", vm->name, dev->name);
	dr->boot.client_count++;
	return MICA_OK;
}

/* The uplink of the server whose switch network driver k is the way out of. */
static enum mica_error add_switch(struct system *s, unsigned k)
{
	struct driver_rt *dr = &s->drivers[k];
	struct server_rt *sv = NULL;

	for (unsigned i = 0; i < s->desc.server_count; i++)
		if (s->desc.servers[i].has_uplink && s->desc.servers[i].uplink == k)
			sv = &s->servers[i];
	if (sv == NULL) {
		printf("root: /drivers/%s: no server names it as its 'uplink', so its network "
		       "would reach nobody\n",
		       dr->desc->name);
		return MICA_ERR_NOT_FOUND;
	}
	dr->regions[0] = dma_region(&dr->net_boot.queue_pa);
	/* Each side's signal of the other: write-only, badged with its bit. */
	sv->uplink_signal = mint_cap(dr->ntfn, MICA_RIGHT_WRITE, NETQ_NTFN_SWITCH);
	dr->client_ntfn[0] = mint_cap(sv->ntfn, MICA_RIGHT_WRITE, VDEV_NTFN_UPLINK);
	if (dr->regions[0] == 0 || sv->uplink_signal == 0 || dr->client_ntfn[0] == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	sv->uplink_region = dr->regions[0];
	sv->boot.uplink_va = VDEV_UPLINK_VA;
	dr->net_boot.queue_va = NETQ_QUEUE_VA;
	return MICA_OK;
}

/* Driver k's boot page for its kind, with what it drives. */
static void plan_boot(struct driver_rt *dr, const struct machine_device *dev)
{
	uint64_t device_va = BLK_DEVICE_VA + (dev->paddr & (PAGE - 1));

	if (dr->kind->device_id == VIRTIO_DEVICE_NET) {
		dr->net_boot = (struct netq_boot){.magic = NETQ_BOOT_MAGIC,
						  .device_pa = dev->paddr,
						  .device_va = device_va,
						  .intid = dev->intid,
						  .dma_va = NETQ_DMA_VA,
						  .crash_after = dr->desc->crash_after};
		(void)fmt_snprintf(dr->net_boot.name, sizeof(dr->net_boot.name), "%s",
				   dr->desc->name);
		return;
	}
	dr->boot = (struct blk_boot){.magic = BLK_BOOT_MAGIC,
				     .device_pa = dev->paddr,
				     .device_va = device_va,
				     .intid = dev->intid,
				     .dma_va = BLK_DMA_VA,
				     .crash_after = dr->desc->crash_after};
	(void)fmt_snprintf(dr->boot.name, sizeof(dr->boot.name), "%s", dr->desc->name);
}

/*
 * Whether what names driver k wants what it drives: a guest's disk a disk
 * driver, a switch's way out a network driver.
 */
static enum mica_error check_users(const struct system *s, unsigned k)
{
	const struct driver_rt *dr = &s->drivers[k];
	bool is_net = dr->kind->device_id == VIRTIO_DEVICE_NET;

	for (unsigned i = 0; i < s->desc.server_count; i++) {
		if (is_net || !s->desc.servers[i].has_uplink || s->desc.servers[i].uplink != k)
			continue;
		printf("root: /servers/%s: property 'uplink': /drivers/%s drives a disk (%s), "
		       "not a network\n",
		       s->desc.servers[i].name, dr->desc->name, dr->desc->program);
		return MICA_ERR_MALFORMED;
	}
	for (unsigned v = 0; v < s->desc.vm_count; v++) {
		for (unsigned d = 0; d < s->desc.vms[v].device_count; d++) {
			const struct sysdesc_device *sd = &s->desc.vms[v].devices[d];

			if (!is_net || !sd->has_drive || sd->drive != k)
				continue;
			printf("root: /vms/%s/devices/%s: property 'drive': /drivers/%s drives a "
			       "network (%s), not a disk\n",
			       s->desc.vms[v].name, sd->name, dr->desc->name, dr->desc->program);
			return MICA_ERR_MALFORMED;
		}
	}
	return MICA_OK;
}

/* Driver k's device, its objects, and its clients: everything but its process. */
static enum mica_error plan_driver(struct system *s, unsigned k)
{
	struct driver_rt *dr = &s->drivers[k];
	struct machine_device dev;
	uint64_t badged;
	unsigned count;
	enum mica_error err;

	dr->desc = &s->desc.drivers[k];
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].program, dr->desc->program) == 0)
			dr->kind = &kinds[i];
	if (dr->kind == NULL) {
		printf("root: /drivers/%s: property 'program': \"%s\" is no driver the root task "
		       "knows (drv_virtio_blk, drv_virtio_net)\n",
		       dr->desc->name, dr->desc->program);
		return MICA_ERR_NOT_FOUND;
	}
	err = check_users(s, k);
	if (err != MICA_OK)
		return err;
	if (!find_device(s, dr->kind->device_id, dr->desc->device, &dev, &count)) {
		printf("root: /drivers/%s: property 'device': the machine has %u virtio %s "
		       "device%s, so none numbered %u (give QEMU %s)\n",
		       dr->desc->name, count, dr->kind->noun, count == 1 ? "" : "s",
		       dr->desc->device, dr->kind->qemu);
		return MICA_ERR_NOT_FOUND;
	}
	if (dev.version != 2) {
		printf("root: /drivers/%s: the machine's virtio %s device at 0x%llx is legacy "
		       "(virtio-mmio version %u); give QEMU -global "
		       "virtio-mmio.force-legacy=false\n",
		       dr->desc->name, dr->kind->noun, (unsigned long long)dev.paddr, dev.version);
		return MICA_ERR_ILLEGAL_OPERATION;
	}
	plan_boot(dr, &dev);
	/* A copy: another driver's device may be in the same page. */
	dr->device_frame = copy_cap(device_page(s, dev.paddr), MICA_RIGHTS_ALL);
	dr->dma = dma_region(dr->kind->device_id == VIRTIO_DEVICE_NET ? &dr->net_boot.dma_pa
								      : &dr->boot.dma_pa);
	dr->ntfn = alloc_object(MICA_OBJ_NOTIFICATION, 0);
	dr->irq = alloc_slot();
	badged = dr->ntfn ? mint_cap(dr->ntfn, MICA_RIGHT_WRITE, BLK_NTFN_DEVICE) : 0;
	dr->irq_ntfn = badged;
	if (dr->device_frame == 0 || dr->dma == 0 || dr->irq == 0 || badged == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	err = mica_irq_control_get(MICA_CAP_IRQ_CONTROL, dev.intid, ROOT, dr->irq, 64);
	if (err == MICA_OK)
		err = mica_irq_handler_set_notification(dr->irq, badged);
	if (err != MICA_OK) {
		printf("root: /drivers/%s: cannot take interrupt %u of the device at 0x%llx (%s)\n",
		       dr->desc->name, dev.intid, (unsigned long long)dev.paddr,
		       mica_error_text(err));
		return err;
	}
	if (dr->kind->device_id == VIRTIO_DEVICE_NET)
		return add_switch(s, k);
	for (unsigned v = 0; v < s->desc.vm_count; v++) {
		for (unsigned d = 0; d < s->desc.vms[v].device_count; d++) {
			const struct sysdesc_device *sd = &s->desc.vms[v].devices[d];

			if (!sd->has_drive || sd->drive != k)
				continue;
			err = add_client(s, k, v, d, &dev);
			if (err != MICA_OK)
				return err;
		}
	}
	return MICA_OK;
}

enum mica_error plan_drivers(struct system *s)
{
	for (unsigned k = 0; k < s->desc.driver_count; k++) {
		enum mica_error err = plan_driver(s, k);

		if (err != MICA_OK)
			return err;
	}
	return MICA_OK;
}

/* Build driver index's process from its boot page, and start it. */
enum mica_error start_driver(struct system *s, unsigned index)
{
	struct driver_rt *dr = &s->drivers[index];
	struct process_config cfg = {.name = dr->desc->name,
				     .priority = SYSTEM_PRIORITY,
				     .stack_pages = DRIVER_STACK_PAGES,
				     .arg = BLK_BOOT_VA,
				     .cpu = dr->desc->cpu};
	uint64_t fault_ep = mint_cap(s->fault_ep, MICA_RIGHTS_ALL, ROOT_BADGE_DRIVER | index);
	struct process *p = &dr->proc;
	enum mica_error err = fault_ep ? MICA_OK : MICA_ERR_NOT_ENOUGH_MEMORY;

	cfg.fault_ep = fault_ep;
	if (err == MICA_OK)
		err = process_image_from_archive(s->info, dr->desc->program, &cfg);
	if (err == MICA_OK)
		err = process_create(p, &cfg);
	drop_cap(fault_ep);
	if (err == MICA_OK)
		err = process_copy_cap(p, BLK_CAP_NTFN, dr->ntfn, MICA_RIGHT_READ);
	if (err == MICA_OK)
		err = mica_tcb_bind_notification(p->tcb, dr->ntfn);
	/*
	 * The driver holds its IRQHandler whole, so its last instance may have
	 * bound the interrupt elsewhere or cleared it: bind it again.
	 */
	if (err == MICA_OK)
		err = mica_irq_handler_set_notification(dr->irq, dr->irq_ntfn);
	if (err == MICA_OK)
		err = process_copy_cap(p, BLK_CAP_IRQ, dr->irq, MICA_RIGHTS_ALL);
	if (err == MICA_OK)
		err = process_map_frame(p, dr->device_frame, BLK_DEVICE_VA, RW, 0);
	if (err == MICA_OK)
		err = process_map_large(p, dr->dma, BLK_DMA_VA, RW, 0);
	if (dr->kind->device_id == VIRTIO_DEVICE_NET) {
		dr->net_boot.restarts = dr->restarts;
		if (err == MICA_OK)
			err = process_copy_cap(p, NETQ_CAP_SWITCH, dr->client_ntfn[0],
					       MICA_RIGHT_WRITE);
		if (err == MICA_OK)
			err = process_map_large(p, dr->regions[0], NETQ_QUEUE_VA, RW, 0);
		if (err == MICA_OK)
			err = give_page(p, &dr->net_boot, sizeof(dr->net_boot), NETQ_BOOT_VA);
	} else {
		dr->boot.restarts = dr->restarts;
		for (unsigned c = 0; err == MICA_OK && c < dr->boot.client_count; c++) {
			err = process_copy_cap(p, BLK_CAP_CLIENT_FIRST + c, dr->client_ntfn[c],
					       MICA_RIGHT_WRITE);
			if (err == MICA_OK)
				err = process_map_large(p, dr->regions[c],
							dr->boot.clients[c].region_va, RW, 0);
		}
		if (err == MICA_OK)
			err = give_page(p, &dr->boot, sizeof(dr->boot), BLK_BOOT_VA);
	}
	if (err == MICA_OK)
		err = process_start(p);
	if (err != MICA_OK) {
		printf("root: cannot start driver \"%s\" (%s at %s)\n", dr->desc->name,
		       mica_error_text(err), p->failed_step ? p->failed_step : "setup");
		system_stop_driver(s, index);
		return err;
	}
	dr->is_running = true;
	return MICA_OK;
}

void system_stop_driver(struct system *s, unsigned index)
{
	struct driver_rt *dr = &s->drivers[index];

	process_destroy(&dr->proc);
	/* The frames it had are the root task's, kept for its next instance. */
	(void)mica_frame_unmap(dr->device_frame);
	(void)mica_frame_unmap(dr->dma);
	for (unsigned c = 0; c < BLK_MAX_CLIENTS; c++)
		if (dr->regions[c] != 0)
			(void)mica_frame_unmap(dr->regions[c]);
	dr->is_running = false;
}

enum mica_error system_restart_driver(struct system *s, unsigned index)
{
	system_stop_driver(s, index);
	s->drivers[index].restarts++;
	return start_driver(s, index);
}
