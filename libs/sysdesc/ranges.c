/*
 * The system-description checks that look across items (see reader.h):
 * within a VM, no two guest-physical ranges (memory regions, devices,
 * passthrough regions) overlap, none overlaps the guest platform's fixed
 * regions, and no two devices share an interrupt; in the whole system, no
 * host-physical range (identity memory, passthrough) is given to two
 * owners. Also how an error reads.
 *
 * Ranges reach these checks already known to be non-empty and not to wrap,
 * so base + (size - 1) is their last address without overflow.
 */
#include "reader.h"

#include <base/fmt.h>
#include <libfdt.h>
#include <mica/guest_platform.h>

#include <string.h>

/* A short description of another item, for "overlaps <what>" messages. */
#define WHAT_MAX 96

bool sysdesc_ranges_overlap(struct sysdesc_ipa_range a, struct sysdesc_ipa_range b)
{
	return a.base <= b.base + (b.size - 1) && b.base <= a.base + (a.size - 1);
}

/* The property a VM's region i came from, and its index within it. */
static const char *region_origin(const struct sysdesc_vm *vm, uint32_t i, uint32_t *index)
{
	uint32_t allocated = 0;

	while (allocated < vm->region_count && !vm->regions[allocated].is_identity)
		allocated++;
	*index = vm->regions[i].is_identity ? i - allocated : i;
	return vm->regions[i].is_identity ? "memory-identity" : "memory";
}

enum mica_error sysdesc_check_new_region(const struct reader *r, int vm_node,
					 const struct sysdesc_vm *vm)
{
	uint32_t last = vm->region_count - 1;
	uint32_t index;
	const char *name = region_origin(vm, last, &index);

	for (uint32_t i = 0; i < last; i++) {
		uint32_t other_index;
		const char *other = region_origin(vm, i, &other_index);

		if (!sysdesc_ranges_overlap(vm->regions[i].ipa, vm->regions[last].ipa))
			continue;
		if (strcmp(other, name) == 0)
			return reader_fail(r, vm_node, name, "region %u overlaps region %u", index,
					   other_index);
		return reader_fail(r, vm_node, name, "region %u overlaps region %u of '%s'", index,
				   other_index, other);
	}
	return MICA_OK;
}

/*
 * Check an item's range and interrupt against the VM's regions, its first
 * device_count devices and its first passthrough_count passthrough regions.
 */
static enum mica_error check_item(const struct reader *r, int node, const struct sysdesc_vm *vm,
				  struct sysdesc_ipa_range ipa, const char *reg_prop,
				  uint32_t intid, uint32_t device_count, uint32_t passthrough_count)
{
	for (uint32_t i = 0; i < vm->region_count; i++) {
		uint32_t index;
		const char *name = region_origin(vm, i, &index);

		if (sysdesc_ranges_overlap(vm->regions[i].ipa, ipa))
			return reader_fail(r, node, reg_prop, "overlaps region %u of '%s'", index,
					   name);
	}
	for (uint32_t i = 0; i < device_count; i++) {
		const struct sysdesc_device *d = &vm->devices[i];

		if (sysdesc_ranges_overlap(d->ipa, ipa))
			return reader_fail(r, node, reg_prop, "overlaps device '%s'", d->name);
		if (intid != 0 && d->intid == intid)
			return reader_fail(r, node, "interrupt",
					   "INTID %u is also used by device '%s'", intid, d->name);
	}
	for (uint32_t i = 0; i < passthrough_count; i++) {
		const struct sysdesc_passthrough *p = &vm->passthrough[i];

		if (sysdesc_ranges_overlap(p->ipa, ipa))
			return reader_fail(r, node, reg_prop, "overlaps passthrough '%s'", p->name);
		if (intid != 0 && p->intid == intid)
			return reader_fail(r, node, "interrupt",
					   "INTID %u is also used by passthrough '%s'", intid,
					   p->name);
	}
	return MICA_OK;
}

enum mica_error sysdesc_check_new_device(const struct reader *r, int item_node,
					 const struct sysdesc_vm *vm)
{
	const struct sysdesc_device *d = &vm->devices[vm->device_count - 1];

	return check_item(r, item_node, vm, d->ipa, "reg", d->intid, vm->device_count - 1, 0);
}

enum mica_error sysdesc_check_new_passthrough(const struct reader *r, int item_node,
					      const struct sysdesc_vm *vm)
{
	const struct sysdesc_passthrough *p = &vm->passthrough[vm->passthrough_count - 1];

	return check_item(r, item_node, vm, p->ipa, "reg", p->intid, vm->device_count,
			  vm->passthrough_count - 1);
}

/*
 * Whether ipa overlaps a fixed region of vm's guest platform
 * (<mica/guest_platform.h>); if so, what names the first such region. The
 * VMM emulates the GIC there whatever the description says: memory mapped
 * on top of it would take the guest's GIC accesses, a device would take
 * them or lose its own, and the guest would hang without a word. The
 * redistributors' range depends on the vCPU count, so what says it.
 */
static bool overlaps_platform(const struct sysdesc_vm *vm, struct sysdesc_ipa_range ipa, char *what,
			      size_t size)
{
	const struct sysdesc_ipa_range gicd = {GUEST_GICD_BASE, GUEST_GICD_SIZE};
	const struct sysdesc_ipa_range gicr = {GUEST_GICR_BASE, GUEST_GICR_SIZE(vm->vcpu_count)};

	if (sysdesc_ranges_overlap(ipa, gicd)) {
		(void)fmt_snprintf(what, size, "the guest's GIC distributor (0x%08llx..0x%08llx)",
				   (unsigned long long)gicd.base,
				   (unsigned long long)(gicd.base + gicd.size - 1));
		return true;
	}
	if (sysdesc_ranges_overlap(ipa, gicr)) {
		(void)fmt_snprintf(what, size,
				   "the guest's GIC redistributors (0x%08llx..0x%08llx, %u vCPU%s)",
				   (unsigned long long)gicr.base,
				   (unsigned long long)(gicr.base + gicr.size - 1), vm->vcpu_count,
				   vm->vcpu_count == 1 ? "" : "s");
		return true;
	}
	return false;
}

enum mica_error sysdesc_check_item(const struct reader *r, int node, const struct sysdesc_vm *vm,
				   struct sysdesc_ipa_range ipa, const char *reg_prop,
				   uint32_t intid)
{
	char what[WHAT_MAX];

	if (overlaps_platform(vm, ipa, what, sizeof(what)))
		return reader_fail(r, node, reg_prop, "overlaps %s", what);
	return check_item(r, node, vm, ipa, reg_prop, intid, vm->device_count,
			  vm->passthrough_count);
}

/* The node of the item called name in the container (devices, passthrough) of vm_node. */
static int item_node(const struct reader *r, int vm_node, const char *container, const char *name)
{
	return fdt_subnode_offset(r->fdt, fdt_subnode_offset(r->fdt, vm_node, container), name);
}

enum mica_error sysdesc_check_platform(const struct reader *r, int vm_node,
				       const struct sysdesc_vm *vm)
{
	char what[WHAT_MAX];

	for (uint32_t i = 0; i < vm->region_count; i++) {
		uint32_t index;
		const char *name = region_origin(vm, i, &index);

		if (overlaps_platform(vm, vm->regions[i].ipa, what, sizeof(what)))
			return reader_fail(r, vm_node, name, "region %u overlaps %s", index, what);
	}
	for (uint32_t i = 0; i < vm->device_count; i++) {
		const struct sysdesc_device *d = &vm->devices[i];

		if (overlaps_platform(vm, d->ipa, what, sizeof(what)))
			return reader_fail(r, item_node(r, vm_node, "devices", d->name), "reg",
					   "overlaps %s", what);
	}
	for (uint32_t i = 0; i < vm->passthrough_count; i++) {
		const struct sysdesc_passthrough *p = &vm->passthrough[i];

		if (overlaps_platform(vm, p->ipa, what, sizeof(what)))
			return reader_fail(r, item_node(r, vm_node, "passthrough", p->name), "reg",
					   "overlaps %s", what);
	}
	return MICA_OK;
}

/*
 * A VM's claim k on host-physical memory: its identity regions, then its
 * passthrough regions (k counts regions first). False for an allocated
 * region, which claims no particular host memory.
 */
struct claim {
	struct sysdesc_ipa_range host; /* Host-physical, despite the type's name. */
	uint32_t index;		       /* Of the region within its property. */
	const char *passthrough;       /* The passthrough's name; NULL for a region. */
};

static bool get_claim(const struct sysdesc_vm *vm, uint32_t k, struct claim *c)
{
	if (k < vm->region_count) {
		if (!vm->regions[k].is_identity)
			return false;
		c->host = vm->regions[k].ipa;
		(void)region_origin(vm, k, &c->index);
		c->passthrough = NULL;
		return true;
	}
	k -= vm->region_count;
	c->host.base = vm->passthrough[k].host_physical;
	c->host.size = vm->passthrough[k].ipa.size;
	c->index = 0;
	c->passthrough = vm->passthrough[k].name;
	return true;
}

static void describe_claim(char *buf, size_t size, const struct sysdesc_vm *vm,
			   const struct claim *c)
{
	if (c->passthrough != NULL)
		(void)fmt_snprintf(buf, size, "passthrough '%s' of VM '%s'", c->passthrough,
				   vm->name);
	else
		(void)fmt_snprintf(buf, size, "region %u of 'memory-identity' of VM '%s'", c->index,
				   vm->name);
}

/* Report that claim c of vm overlaps the claim described by what. */
static enum mica_error claim_fail(const struct reader *r, const struct sysdesc_vm *vm,
				  const struct claim *c, const char *what)
{
	char path[SYSDESC_PATH_MAX];

	if (c->passthrough != NULL) {
		(void)fmt_snprintf(path, sizeof(path), "/vms/%s/passthrough/%s", vm->name,
				   c->passthrough);
		return reader_fail_path(r, path, "physical", "overlaps the host memory of %s",
					what);
	}
	(void)fmt_snprintf(path, sizeof(path), "/vms/%s", vm->name);
	return reader_fail_path(r, path, "memory-identity",
				"region %u overlaps the host memory of %s", c->index, what);
}

enum mica_error sysdesc_check_host_physical(const struct reader *r, const struct sysdesc *desc)
{
	for (uint32_t v = 0; v < desc->vm_count; v++) {
		const struct sysdesc_vm *vm = &desc->vms[v];

		for (uint32_t k = 0; k < vm->region_count + vm->passthrough_count; k++) {
			struct claim c;

			if (!get_claim(vm, k, &c))
				continue;
			/* Every earlier claim: all of earlier VMs', then this VM's before k. */
			for (uint32_t w = 0; w <= v; w++) {
				const struct sysdesc_vm *other = &desc->vms[w];
				uint32_t end =
					w < v ? other->region_count + other->passthrough_count : k;

				for (uint32_t j = 0; j < end; j++) {
					char what[WHAT_MAX];
					struct claim o;

					if (!get_claim(other, j, &o) ||
					    !sysdesc_ranges_overlap(c.host, o.host))
						continue;
					describe_claim(what, sizeof(what), other, &o);
					return claim_fail(r, vm, &c, what);
				}
			}
		}
	}
	return MICA_OK;
}

int sysdesc_error_format(const struct sysdesc_error *err, char *buf, size_t size)
{
	if (err->property[0] == '\0')
		return fmt_snprintf(buf, size, "%s: %s", err->node, err->message);
	return fmt_snprintf(buf, size, "%s: property '%s': %s", err->node, err->property,
			    err->message);
}
