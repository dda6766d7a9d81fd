/*
 * The device servers (system.h): each server's boot page planned from the
 * description (its devices, their guest RAM, disks and recoverable state
 * pages, the console's UART), the server started with the capabilities
 * <mica/proto/vdev.h> lists, and stopped and started again on a crash.
 */
#include "build.h"
#include "system.h"

#include <base/errors.h>
#include <formats/archive.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <string.h>

#define SERVER_STACK_PAGES 8

/*
 * The disk of device bd: a private copy of the archive file, in frames the
 * root task keeps, so that what the guest wrote survives a server's restart.
 */
static enum mica_error make_disk(struct system *s, struct server_rt *sv,
				 struct vdev_boot_device *bd, const char *file)
{
	uint64_t size = 0;
	const char *data = archive_file(s, file, &size);

	if (data == NULL) {
		printf("root: device %s of VM %s: property 'file': no file \"%s\" in the boot "
		       "archive\n",
		       bd->name, bd->vm, file);
		return MICA_ERR_NOT_FOUND;
	}
	bd->disk_va = VDEV_DISK_VA + (uint64_t)(bd - sv->boot.devices) * VDEV_RAM_STRIDE;
	bd->disk_size = size;
	sv->disk_first[bd - sv->boot.devices] = sv->disk_count;
	for (uint64_t off = 0; off < size; off += BLOCK) {
		uint64_t frame = alloc_object(MICA_OBJ_FRAME_2M, 0);
		uint64_t len = size - off < BLOCK ? size - off : BLOCK;
		enum mica_error err;

		if (frame == 0 || sv->disk_count == SYSTEM_MAX_DISK_FRAMES)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		err = fill_frame(frame, BLOCK_BITS, data + off, len);
		if (err != MICA_OK)
			return err;
		sv->disk[sv->disk_count++] = frame;
	}
	return MICA_OK;
}

/* Map copies of device bd's disk frames into p, writable. */
static enum mica_error map_disk(struct server_rt *sv, const struct vdev_boot_device *bd,
				struct process *p)
{
	unsigned count = (unsigned)((bd->disk_size + BLOCK - 1) / BLOCK);

	for (unsigned i = 0; i < count; i++) {
		uint64_t copy;

		if (sv->mapped_count == sizeof(sv->mapped) / sizeof(sv->mapped[0]))
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		copy = copy_cap(sv->disk[sv->disk_first[bd - sv->boot.devices] + i],
				MICA_RIGHTS_ALL);
		if (copy == 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		sv->mapped[sv->mapped_count++] = copy;
		if (process_map_large(p, copy, bd->disk_va + i * BLOCK, RW, 0) != MICA_OK)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	return MICA_OK;
}

/* Device i's queue to its block driver, and its signal of the driver (drivers.c made both). */
static enum mica_error map_drive(struct server_rt *sv, unsigned i, struct process *p)
{
	uint64_t copy;

	if (sv->mapped_count == sizeof(sv->mapped) / sizeof(sv->mapped[0]))
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	copy = copy_cap(sv->drive_region[i], MICA_RIGHTS_ALL);
	if (copy == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	sv->mapped[sv->mapped_count++] = copy;
	if (process_map_large(p, copy, sv->boot.devices[i].drive_va, RW, 0) != MICA_OK)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	return process_copy_cap(p, sv->boot.devices[i].drive_cap, sv->drive_signal[i],
				MICA_RIGHT_WRITE);
}

/* Device bd's state pages, zero (new frames are), made once: kept across restarts. */
static enum mica_error make_state(struct server_rt *sv, struct vdev_boot_device *bd)
{
	unsigned i = (unsigned)(bd - sv->boot.devices);

	bd->state_va = VDEV_STATE_VA + i * VDEV_STATE_SIZE;
	for (unsigned n = 0; n < SYSTEM_STATE_PAGES; n++) {
		sv->state[i][n] = alloc_object(MICA_OBJ_FRAME_4K, 0);
		if (sv->state[i][n] == 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	return MICA_OK;
}

/* Map copies of device i's state pages into p, writable. */
static enum mica_error map_state(struct server_rt *sv, unsigned i, struct process *p)
{
	for (unsigned n = 0; n < SYSTEM_STATE_PAGES; n++) {
		uint64_t copy;

		if (sv->mapped_count == sizeof(sv->mapped) / sizeof(sv->mapped[0]))
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		copy = copy_cap(sv->state[i][n], MICA_RIGHTS_ALL);
		if (copy == 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		sv->mapped[sv->mapped_count++] = copy;
		if (process_map_frame(p, copy, sv->boot.devices[i].state_va + n * PAGE, RW, 0) !=
		    MICA_OK)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	return MICA_OK;
}

/* The boot page of server i: every device that names it, over all VMs. */
enum mica_error plan_server(struct system *s, unsigned index)
{
	struct server_rt *sv = &s->servers[index];
	struct vdev_boot *b = &sv->boot;

	*b = (struct vdev_boot){.magic = VDEV_BOOT_MAGIC,
				.crash_after = sv->desc->crash_after,
				.wall_clock_s = s->wall_clock_s,
				.wall_clock_counter = s->wall_clock_counter};
	copy_name(b->server, sv->desc->name);
	for (unsigned v = 0; v < s->desc.vm_count; v++) {
		const struct sysdesc_vm *vm = &s->desc.vms[v];

		for (unsigned d = 0; d < vm->device_count; d++) {
			const struct sysdesc_device *dev = &vm->devices[d];
			struct vdev_boot_device *bd = &b->devices[b->device_count];
			const struct vdev_kind *kind;

			if (dev->server != index)
				continue;
			/* check_kinds found every device's kind. */
			kind = devkind_find(&sv->kinds, dev->compatible);
			if (b->device_count == VDEV_MAX_DEVICES) {
				printf("root: /servers/%s: serves more than %u devices\n",
				       sv->desc->name, (unsigned)VDEV_MAX_DEVICES);
				return MICA_ERR_RANGE;
			}
			server_index_of[v][d] = b->device_count;
			copy_name(bd->vm, vm->name);
			copy_name(bd->name, dev->name);
			copy_name(bd->compatible, dev->compatible);
			bd->ipa_base = dev->ipa.base;
			bd->ipa_size = dev->ipa.size;
			bd->intid = dev->intid;
			bd->vm_index = v;
			bd->irq_cap = dev->intid ? VDEV_CAP_DEVICE_FIRST + b->device_count : 0;
			bd->line_cap = dev->intid && (kind->flags & VDEV_KIND_EDGE_LINE) != 0
					       ? VDEV_CAP_LINE_FIRST + b->device_count
					       : 0;
			if ((kind->flags & VDEV_KIND_GUEST_RAM) != 0 && vm->region_count > 1) {
				/* Its guest would put buffers where the server cannot see them. */
				printf("root: /vms/%s/devices/%s: its server reaches guest memory "
				       "in one memory region only, and VM %s has %u (not supported "
				       "yet)\n",
				       vm->name, dev->name, vm->name, vm->region_count);
				return MICA_ERR_RANGE;
			}
			if ((kind->flags & VDEV_KIND_GUEST_RAM) != 0) {
				bd->ram_ipa = vm->regions[0].ipa.base;
				bd->ram_size = vm->regions[0].ipa.size;
				bd->ram_va = VDEV_RAM_VA + b->device_count * VDEV_RAM_STRIDE;
			}
			if (dev->file != NULL && make_disk(s, sv, bd, dev->file) != MICA_OK)
				return MICA_ERR_NOT_FOUND;
			if (make_state(sv, bd) != MICA_OK)
				return MICA_ERR_NOT_ENOUGH_MEMORY;
			if ((kind->flags & VDEV_KIND_MACHINE_UART) != 0 && b->uart_va == 0) {
				b->uart_va = VDEV_UART_VA;
				b->uart_intid = UART_INTID;
			}
			b->device_count++;
		}
	}
	return MICA_OK;
}

/* The console server's UART frame and interrupt, made once and kept across restarts. */
enum mica_error make_uart(struct server_rt *sv)
{
	uint64_t badged;
	enum mica_error err;

	sv->uart_frame = alloc_device_frame(UART_PADDR);
	sv->uart_irq = alloc_slot();
	badged = mint_cap(sv->ntfn, MICA_RIGHT_WRITE, VDEV_NTFN_UART);
	if (sv->uart_frame == 0 || sv->uart_irq == 0 || badged == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	err = mica_irq_control_get(MICA_CAP_IRQ_CONTROL, UART_INTID, ROOT, sv->uart_irq, 64);
	if (err == MICA_OK)
		err = mica_irq_handler_set_notification(sv->uart_irq, badged);
	return err;
}

/* Build server index's process from its boot page, and start it. */
enum mica_error start_server(struct system *s, unsigned index)
{
	struct server_rt *sv = &s->servers[index];
	struct vdev_boot *b = &sv->boot;
	struct process_config cfg = {.name = sv->desc->name,
				     .priority = SYSTEM_PRIORITY,
				     .stack_pages = SERVER_STACK_PAGES,
				     .arg = VDEV_BOOT_VA,
				     .cpu = sv->desc->cpu};
	uint64_t fault_ep = mint_cap(s->fault_ep, MICA_RIGHTS_ALL, ROOT_BADGE_SERVER | index);
	struct process *p = &sv->proc;
	enum mica_error err = fault_ep ? MICA_OK : MICA_ERR_NOT_ENOUGH_MEMORY;

	cfg.fault_ep = fault_ep;
	if (err == MICA_OK)
		err = process_image_from_archive(s->info, sv->desc->program, &cfg);
	if (err == MICA_OK)
		err = process_create(p, &cfg);
	drop_cap(fault_ep); /* The thread holds its own copy now. */
	if (err == MICA_OK)
		err = process_copy_cap(p, VDEV_CAP_EP, sv->ep, RW);
	if (err == MICA_OK)
		err = process_copy_cap(p, VDEV_CAP_NTFN, sv->ntfn, RW); /* RW: its alarm. */
	if (err == MICA_OK) {
		uint64_t reply = alloc_object(MICA_OBJ_REPLY, 0);

		err = reply ? process_copy_cap(p, VDEV_CAP_REPLY, reply, MICA_RIGHTS_ALL)
			    : MICA_ERR_NOT_ENOUGH_MEMORY;
		drop_cap(reply);
	}
	if (err == MICA_OK)
		err = mica_tcb_bind_notification(p->tcb, sv->ntfn);
	if (err == MICA_OK)
		err = process_mint_cap(p, VDEV_CAP_ROOT, s->fault_ep, MICA_RIGHT_WRITE,
				       ROOT_BADGE_LIST);
	if (err == MICA_OK && b->uplink_va != 0) {
		uint64_t copy = copy_cap(sv->uplink_region, MICA_RIGHTS_ALL);

		err = copy != 0 && sv->mapped_count < sizeof(sv->mapped) / sizeof(sv->mapped[0])
			      ? MICA_OK
			      : MICA_ERR_NOT_ENOUGH_MEMORY;
		if (err == MICA_OK) {
			sv->mapped[sv->mapped_count++] = copy;
			err = process_map_large(p, copy, b->uplink_va, RW, 0);
		}
		if (err == MICA_OK)
			err = process_copy_cap(p, VDEV_CAP_UPLINK, sv->uplink_signal,
					       MICA_RIGHT_WRITE);
	}
	if (err == MICA_OK && b->uart_va != 0) {
		err = process_copy_cap(p, VDEV_CAP_UART_IRQ, sv->uart_irq, MICA_RIGHTS_ALL);
		if (err == MICA_OK)
			err = process_map_frame(p, sv->uart_frame, VDEV_UART_VA, RW, 0);
	}
	for (unsigned i = 0; err == MICA_OK && i < b->device_count; i++) {
		struct vdev_boot_device *bd = &b->devices[i];
		const struct vm_rt *v = &s->vms[bd->vm_index];
		unsigned d;

		for (d = 0; d < v->desc->device_count; d++)
			if (v->desc->devices[d].server == index &&
			    server_index_of[bd->vm_index][d] == i)
				break;
		if (bd->irq_cap != 0)
			err = process_mint_cap(p, bd->irq_cap, v->ep, RW | MICA_RIGHT_GRANT_REPLY,
					       VMM_BADGE_DEVICE | d);
		if (err == MICA_OK && bd->line_cap != 0) {
			uint64_t line = device_line(s, bd->vm_index, d);

			/* Write only: it may raise the line, not rebind it. */
			err = line ? process_copy_cap(p, bd->line_cap, line, MICA_RIGHT_WRITE)
				   : MICA_ERR_NOT_ENOUGH_MEMORY;
		}
		if (err == MICA_OK && bd->ram_size != 0)
			err = map_ram(s, v, p, bd->ram_va, NULL, sv->mapped, &sv->mapped_count,
				      sizeof(sv->mapped) / sizeof(sv->mapped[0]));
		if (err == MICA_OK && bd->disk_size != 0)
			err = map_disk(sv, bd, p);
		if (err == MICA_OK && bd->drive_va != 0)
			err = map_drive(sv, i, p);
		if (err == MICA_OK)
			err = map_state(sv, i, p);
	}
	/* The testing aid fail-restart: this restart fails, half built, as if memory ran out. */
	if (err == MICA_OK && b->restarts != 0 && b->restarts == sv->desc->fail_restart) {
		err = MICA_ERR_NOT_ENOUGH_MEMORY;
		p->failed_step = "fail-restart";
	}
	if (err == MICA_OK)
		err = give_page(p, b, sizeof(*b), VDEV_BOOT_VA);
	if (err == MICA_OK)
		err = process_start(p);
	if (err != MICA_OK) {
		printf("root: cannot start device server \"%s\" (%s at %s)\n", sv->desc->name,
		       mica_error_text(err), p->failed_step ? p->failed_step : "setup");
		process_destroy(p);
		return err;
	}
	sv->is_running = true;
	return MICA_OK;
}

void system_stop_server(struct system *s, unsigned index)
{
	struct server_rt *sv = &s->servers[index];

	/* An exit the server had goes back to its guest, which retries it. */
	process_destroy(&sv->proc);
	if (sv->boot.uart_va != 0)
		(void)mica_frame_unmap(sv->uart_frame);
	for (unsigned i = 0; i < sv->mapped_count; i++)
		drop_cap(sv->mapped[i]);
	sv->mapped_count = 0;
	sv->is_running = false;
}

enum mica_error system_restart_server(struct system *s, unsigned index)
{
	struct server_rt *sv = &s->servers[index];

	system_stop_server(s, index);
	sv->boot.restarts++;
	return start_server(s, index);
}
