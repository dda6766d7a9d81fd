/*
 * Driver servers (/drivers/NAME) and the parts of their drives that
 * guests' devices are given ('drive', 'drive-range' or 'drive-partition',
 * 'read-only'). See docs/system-description.md and docs/drivers.md.
 *
 * Two devices may share bytes of a drive only when both are read-only:
 * a guest writing what another guest caches, or two guests writing one
 * filesystem, would corrupt it. Whether a part lies within the disk is for
 * the root task to check, which reads the disk's size from the device.
 * Where a partition lies only the driver finds out, from the disk's
 * partition table when it starts, so it checks partitions against the
 * other parts then; here only two devices naming the same partition are
 * caught.
 */
#include "reader.h"

#include <libfdt.h>

#include <string.h>

static const char *const driver_props[] = {"program", "device", "cpu", "crash-after", NULL};
static const char *const no_props[] = {NULL};

int sysdesc_find_driver(const struct sysdesc *desc, const char *name)
{
	for (uint32_t i = 0; i < desc->driver_count; i++) {
		if (strcmp(desc->drivers[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

enum mica_error sysdesc_parse_drivers(const struct reader *r, struct sysdesc *desc)
{
	int drivers = fdt_subnode_offset(r->fdt, 0, "drivers");
	int node;

	if (drivers < 0)
		return MICA_OK;
	if (reader_only_known(r, drivers, no_props) != MICA_OK)
		return MICA_ERR_MALFORMED;
	fdt_for_each_subnode(node, r->fdt, drivers)
	{
		struct sysdesc_driver *d = &desc->drivers[desc->driver_count];
		int child;

		if (desc->driver_count == SYSDESC_DRIVER_MAX)
			return reader_fail(r, drivers, NULL, "more than %d drivers",
					   SYSDESC_DRIVER_MAX);
		d->name = fdt_get_name(r->fdt, node, NULL);
		if (sysdesc_find_driver(desc, d->name) >= 0)
			return reader_fail(r, node, NULL, "another driver has the same name");
		child = fdt_first_subnode(r->fdt, node);
		if (child >= 0)
			return reader_fail(r, child, NULL, "unknown node");
		if (reader_only_known(r, node, driver_props) != MICA_OK ||
		    reader_string(r, node, "program", false, false, &d->program) != MICA_OK ||
		    reader_optional_u32(r, node, "device", &d->device) != MICA_OK ||
		    reader_optional_u32(r, node, "cpu", &d->cpu) != MICA_OK ||
		    reader_optional_u32(r, node, "crash-after", &d->crash_after) != MICA_OK)
			return MICA_ERR_MALFORMED;
		desc->driver_count++;
	}
	return MICA_OK;
}

/* The end of d's part (UINT64_MAX: to the disk's end). */
static uint64_t part_end(const struct sysdesc_device *d)
{
	return d->drive_size == 0 ? UINT64_MAX : d->drive_offset + d->drive_size;
}

/* The part of the same drive that new shares with an earlier device, unless both are read-only. */
static enum mica_error check_against(const struct reader *r, int node,
				     const struct sysdesc_device *new, const struct sysdesc_vm *vm,
				     uint32_t count, uint32_t *clients)
{
	for (uint32_t i = 0; i < count; i++) {
		const struct sysdesc_device *old = &vm->devices[i];

		if (!old->has_drive || old->drive != new->drive)
			continue;
		(*clients)++;
		if (old->is_read_only && new->is_read_only)
			continue;
		if (old->drive_partition != 0 || new->drive_partition != 0) {
			if (old->drive_partition != new->drive_partition)
				continue; /* The driver checks, once it knows where they are. */
			return reader_fail(r, node, "drive-partition",
					   "names the same partition of drive as "
					   "/vms/%s/devices/%s, and parts may overlap only when "
					   "both are read-only",
					   vm->name, old->name);
		}
		if (new->drive_offset < part_end(old) && old->drive_offset < part_end(new))
			return reader_fail(r, node, "drive-range",
					   "shares bytes of drive with /vms/%s/devices/%s, and "
					   "parts may overlap only when both are read-only",
					   vm->name, old->name);
	}
	return MICA_OK;
}

enum mica_error sysdesc_parse_drive(const struct reader *r, int node, const struct sysdesc *desc,
				    struct sysdesc_device *d)
{
	const char *name = NULL, *stray = NULL;
	uint32_t clients = 0;
	int len = 0, index;
	const uint8_t *range;
	bool has_partition;

	if (reader_string(r, node, "drive", true, false, &name) != MICA_OK)
		return MICA_ERR_MALFORMED;
	range = fdt_getprop(r->fdt, node, "drive-range", &len);
	has_partition = fdt_getprop(r->fdt, node, "drive-partition", NULL) != NULL;
	d->is_read_only = fdt_getprop(r->fdt, node, "read-only", NULL) != NULL;
	if (name == NULL) {
		if (range != NULL)
			stray = "drive-range";
		else if (has_partition)
			stray = "drive-partition";
		else if (d->is_read_only)
			stray = "read-only";
		if (stray != NULL)
			return reader_fail(r, node, stray, "only a device with a 'drive' has it");
		return MICA_OK;
	}
	if (d->file != NULL)
		return reader_fail(r, node, "drive",
				   "a device has a 'file' or a 'drive', not both");
	index = sysdesc_find_driver(desc, name);
	if (index < 0)
		return reader_fail(r, node, "drive", "no driver '%s' in /drivers", name);
	d->has_drive = true;
	d->drive = (uint32_t)index;
	if (range != NULL) {
		if (len != 16)
			return reader_fail(r, node, "drive-range",
					   "is %d bytes long, expected offset and size of two "
					   "cells each (16 bytes)",
					   len);
		d->drive_offset = reader_cells64(range);
		d->drive_size = reader_cells64(range + 8);
		if (d->drive_size == 0 || d->drive_offset % SYSDESC_SECTOR_SIZE != 0 ||
		    d->drive_size % SYSDESC_SECTOR_SIZE != 0)
			return reader_fail(r, node, "drive-range",
					   "offset and size must be whole sectors of %u bytes, "
					   "and the size not 0",
					   SYSDESC_SECTOR_SIZE);
		if (d->drive_offset > UINT64_MAX - d->drive_size)
			return reader_fail(r, node, "drive-range",
					   "runs past the top of a 64-bit disk");
	}
	if (has_partition) {
		if (range != NULL)
			return reader_fail(r, node, "drive-partition",
					   "a device has a 'drive-range' or a 'drive-partition', "
					   "not both");
		if (reader_u32(r, node, "drive-partition", &d->drive_partition) != MICA_OK)
			return MICA_ERR_MALFORMED;
		if (d->drive_partition == 0 || d->drive_partition > SYSDESC_PARTITION_MAX)
			return reader_fail(r, node, "drive-partition",
					   "is %u, expected a GPT partition entry number from 1 "
					   "to %u",
					   d->drive_partition, SYSDESC_PARTITION_MAX);
	}
	/* The VM being read is desc->vms[desc->vm_count], d past its last device. */
	for (uint32_t v = 0; v <= desc->vm_count && v < SYSDESC_VM_MAX; v++) {
		const struct sysdesc_vm *vm = &desc->vms[v];

		if (check_against(r, node, d, vm, vm->device_count, &clients) != MICA_OK)
			return MICA_ERR_MALFORMED;
	}
	if (clients == SYSDESC_DRIVE_CLIENTS)
		return reader_fail(r, node, "drive", "driver '%s' serves at most %d devices", name,
				   SYSDESC_DRIVE_CLIENTS);
	return MICA_OK;
}
