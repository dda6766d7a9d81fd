/*
 * Inside the system-description parser: reading typed properties from a
 * checked device-tree blob, and recording the first error found. Every
 * reader either stores a valid value or fills in the error and returns
 * MICA_ERR_MALFORMED, so callers only pass failures up.
 */
#ifndef MICA_SYSDESC_READER_H
#define MICA_SYSDESC_READER_H

#include <mica/sysdesc.h>

#include <stdbool.h>
#include <stdint.h>

/* The blob being parsed and where its first error goes. */
struct reader {
	const void *fdt;
	struct sysdesc_error *err;
};

/*
 * Record an error at node (an offset into the blob) about property (NULL
 * when the node itself is at fault). Returns MICA_ERR_MALFORMED.
 */
enum mica_error reader_fail(const struct reader *r, int node, const char *property, const char *fmt,
			    ...) __attribute__((format(printf, 4, 5)));

/* The same for a node given by its path. */
enum mica_error reader_fail_path(const struct reader *r, const char *path, const char *property,
				 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Reject any property of node whose name is not in the NULL-terminated list
 * known (a misspelt optional property would otherwise be silently ignored).
 */
enum mica_error reader_only_known(const struct reader *r, int node, const char *const *known)
	__attribute__((warn_unused_result));

/*
 * A property holding one non-empty string. When it is absent, *out is NULL
 * if is_optional, else that is an error. An empty string is accepted only
 * when may_be_empty.
 */
enum mica_error reader_string(const struct reader *r, int node, const char *name, bool is_optional,
			      bool may_be_empty, const char **out)
	__attribute__((warn_unused_result));

/*
 * A required property holding a list of one or more non-empty strings (a
 * "compatible"): *out points at the first, *len counts every byte.
 */
enum mica_error reader_string_list(const struct reader *r, int node, const char *name,
				   const char **out, uint32_t *len)
	__attribute__((warn_unused_result));

/* A required property of one cell. */
enum mica_error reader_u32(const struct reader *r, int node, const char *name, uint32_t *out)
	__attribute__((warn_unused_result));

/* An optional interrupt (one cell, an SPI); *intid is 0 when it is absent. */
enum mica_error reader_interrupt(const struct reader *r, int node, uint32_t *intid)
	__attribute__((warn_unused_result));

/* A required 64-bit address: two cells. */
enum mica_error reader_address(const struct reader *r, int node, const char *name, uint64_t *out)
	__attribute__((warn_unused_result));

/*
 * A required range: address and size, two cells each, page aligned, not
 * empty and not wrapping past the top of the address space.
 */
enum mica_error reader_range(const struct reader *r, int node, const char *name,
			     struct sysdesc_ipa_range *out) __attribute__((warn_unused_result));

/*
 * Check range (entry index of property name, or the whole property when
 * index is negative): not empty, page aligned, not wrapping.
 */
enum mica_error reader_check_range(const struct reader *r, int node, const char *name, int index,
				   struct sysdesc_ipa_range range)
	__attribute__((warn_unused_result));

/*
 * '#address-cells' and '#size-cells' are optional on a node whose children
 * have 'reg', but when present they must agree with the two cells each
 * that the parser reads, or dtc would check 'reg' against other sizes.
 */
enum mica_error reader_two_cells(const struct reader *r, int node)
	__attribute__((warn_unused_result));

/* Read a 64-bit value from two big-endian cells at p. */
uint64_t reader_cells64(const void *p);

/* True when two ranges share at least one address. */
bool sysdesc_ranges_overlap(struct sysdesc_ipa_range a, struct sysdesc_ipa_range b);

/*
 * The checks that look across items: overlapping guest-physical ranges and
 * shared interrupts within a VM (checked as each item is added, so the
 * error names the later item), and host-physical ranges claimed twice in
 * the whole system (checked once all VMs are read). vm_node is the VM's
 * node, item_node the node of the item just added.
 */
enum mica_error sysdesc_check_new_region(const struct reader *r, int vm_node,
					 const struct sysdesc_vm *vm)
	__attribute__((warn_unused_result));
enum mica_error sysdesc_check_new_device(const struct reader *r, int item_node,
					 const struct sysdesc_vm *vm)
	__attribute__((warn_unused_result));
enum mica_error sysdesc_check_new_passthrough(const struct reader *r, int item_node,
					      const struct sysdesc_vm *vm)
	__attribute__((warn_unused_result));
enum mica_error sysdesc_check_host_physical(const struct reader *r, const struct sysdesc *desc)
	__attribute__((warn_unused_result));

/*
 * A new item of vm at node, its range ipa read from property reg_prop:
 * checked against the VM's regions, the guest platform's fixed regions, its
 * devices and passthrough regions (ranges and interrupts).
 */
enum mica_error sysdesc_check_item(const struct reader *r, int node, const struct sysdesc_vm *vm,
				   struct sysdesc_ipa_range ipa, const char *reg_prop,
				   uint32_t intid) __attribute__((warn_unused_result));

/* The index of the VM called name in desc, or -1. */
int sysdesc_find_vm(const struct sysdesc *desc, const char *name);

/* /channels (channels.c), once every VM is read. */
enum mica_error sysdesc_parse_channels(const struct reader *r, struct sysdesc *desc)
	__attribute__((warn_unused_result));

/*
 * What an item of a VM takes that none of the VM's channel ends may also
 * take: guest-physical addresses (read from property ipa_prop), an
 * interrupt, and doorbell_count doorbells from doorbell.
 */
struct sysdesc_vm_use {
	struct sysdesc_ipa_range ipa;
	const char *ipa_prop;
	uint32_t intid;
	uint32_t doorbell;
	uint32_t doorbell_count;
};

/*
 * An item of a VM at node (a channel end, a VM's ivc node) that takes use,
 * against end e of channel c, an end of the same VM: the error names e.
 */
enum mica_error
sysdesc_check_against_end(const struct reader *r, int node, const struct sysdesc *desc,
			  const struct sysdesc_channel *c, const struct sysdesc_channel_end *e,
			  const struct sysdesc_vm_use *use) __attribute__((warn_unused_result));

/* The index of the driver called name among those read so far, or -1. */
int sysdesc_find_driver(const struct sysdesc *desc, const char *name);

/* /drivers (drivers.c), before the servers and the VMs, which name drivers. */
enum mica_error sysdesc_parse_drivers(const struct reader *r, struct sysdesc *desc)
	__attribute__((warn_unused_result));

/*
 * A device's 'drive', 'drive-range' or 'drive-partition', and 'read-only'
 * (drivers.c), as the device at node is read; checked against the parts of
 * the same drive given to devices before it, in every VM.
 */
enum mica_error sysdesc_parse_drive(const struct reader *r, int node, const struct sysdesc *desc,
				    struct sysdesc_device *d) __attribute__((warn_unused_result));

/* An optional property of one cell; *out keeps its value when the property is absent. */
enum mica_error reader_optional_u32(const struct reader *r, int node, const char *name,
				    uint32_t *out) __attribute__((warn_unused_result));

/* Each VM's /vms/NAME/ivc (ivc.c), once /channels is read. */
enum mica_error sysdesc_parse_ivc(const struct reader *r, struct sysdesc *desc)
	__attribute__((warn_unused_result));

/*
 * Each VM's devices with an interrupt, channel ends and ivc node together,
 * once all are read: any of them may be raised through the kernel as a
 * line bound to a vCPU, and a vCPU has room for SYSDESC_VM_LINES_MAX.
 */
enum mica_error sysdesc_check_lines(const struct reader *r, const struct sysdesc *desc)
	__attribute__((warn_unused_result));

/*
 * No memory region, device or passthrough region of the VM at vm_node
 * overlaps a fixed region of the guest platform (<mica/guest_platform.h>).
 * Checked once the VM is read, as the redistributors' range depends on its
 * vCPU count; the error names the item and the fixed region.
 */
enum mica_error sysdesc_check_platform(const struct reader *r, int vm_node,
				       const struct sysdesc_vm *vm)
	__attribute__((warn_unused_result));

#endif
