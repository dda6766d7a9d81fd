/*
 * /channels of the system description (see <mica/sysdesc.h> and
 * docs/ivc.md): memory shared by VMs, with doorbells between them. Read
 * after /vms, so that each end's node name is checked against the VMs, and
 * each end's range, interrupt and doorbells against what its VM already
 * has: its memory, the guest platform, its devices and passthrough
 * regions, and the ends of the channels read before.
 *
 *     channels {
 *         ping {
 *             size = <0x0 0x4000>;
 *             alpha { address = <0x0 0x50000000>; interrupt = <60>; doorbell = <0>; };
 *             beta { address = <0x0 0x50000000>; interrupt = <60>; doorbell = <0>; read-only; };
 *         };
 *     };
 *
 * Also the check that each VM's lines fit its vCPUs, which counts the ends
 * of its channels with its devices and its ivc node (ivc.c), and so runs
 * once those are read too.
 */
#include "reader.h"

#include <base/fmt.h>
#include <libfdt.h>

#include <string.h>

static const char *const channel_props[] = {"size", NULL};
static const char *const end_props[] = {"address", "interrupt", "doorbell", "read-only", NULL};
static const char *const no_props[] = {NULL};

int sysdesc_find_vm(const struct sysdesc *desc, const char *name)
{
	for (uint32_t i = 0; i < desc->vm_count; i++)
		if (strcmp(desc->vms[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The path of end e of channel c, for errors found against it. */
static void end_path(char *buf, size_t size, const struct sysdesc *desc,
		     const struct sysdesc_channel *c, const struct sysdesc_channel_end *e)
{
	(void)fmt_snprintf(buf, size, "/channels/%s/%s", c->name, desc->vms[e->vm].name);
}

enum mica_error sysdesc_check_against_end(const struct reader *r, int node,
					  const struct sysdesc *desc,
					  const struct sysdesc_channel *c,
					  const struct sysdesc_channel_end *e,
					  const struct sysdesc_vm_use *use)
{
	char other[SYSDESC_PATH_MAX];

	end_path(other, sizeof(other), desc, c, e);
	if (sysdesc_ranges_overlap(use->ipa, (struct sysdesc_ipa_range){e->ipa, c->size}))
		return reader_fail(r, node, use->ipa_prop, "overlaps %s", other);
	if (e->intid == use->intid)
		return reader_fail(r, node, "interrupt", "INTID %u is also used by %s", use->intid,
				   other);
	if (use->doorbell < e->doorbell + (c->end_count - 1) &&
	    e->doorbell < use->doorbell + use->doorbell_count)
		return reader_fail(r, node, "doorbell", "doorbells %u..%u meet those of %s",
				   use->doorbell, use->doorbell + use->doorbell_count - 1, other);
	return MICA_OK;
}

/*
 * End e (at node) of channel c against its VM and the ends before it of
 * the same VM, in this channel and earlier ones: ranges, interrupts and
 * doorbells may not meet; a VM is at most one end of a channel.
 */
static enum mica_error check_end(const struct reader *r, int node, const struct sysdesc *desc,
				 const struct sysdesc_channel *c,
				 const struct sysdesc_channel_end *e)
{
	const struct sysdesc_vm *vm = &desc->vms[e->vm];
	const struct sysdesc_vm_use use = {
		.ipa = {e->ipa, c->size},
		.ipa_prop = "address",
		.intid = e->intid,
		.doorbell = e->doorbell,
		.doorbell_count = c->end_count - 1,
	};
	uint32_t count = 0;

	if (e->ipa + (c->size - 1) < e->ipa)
		return reader_fail(r, node, "address",
				   "the channel's 0x%llx bytes from here wrap past the top of the "
				   "address space",
				   (unsigned long long)c->size);
	if (sysdesc_check_item(r, node, vm, use.ipa, "address", e->intid) != MICA_OK)
		return MICA_ERR_MALFORMED;
	for (const struct sysdesc_channel *o = desc->channels; o <= c; o++) {
		for (uint32_t i = 0; i < o->end_count && &o->ends[i] != e; i++) {
			const struct sysdesc_channel_end *f = &o->ends[i];

			if (f->vm != e->vm)
				continue;
			count++;
			if (o == c)
				return reader_fail(r, node, NULL, "VM '%s' is already an end",
						   vm->name);
			if (sysdesc_check_against_end(r, node, desc, o, f, &use) != MICA_OK)
				return MICA_ERR_MALFORMED;
		}
	}
	if (count >= SYSDESC_VM_CHANNEL_MAX)
		return reader_fail(r, node, NULL, "VM '%s' is an end of more than %d channels",
				   vm->name, SYSDESC_VM_CHANNEL_MAX);
	return MICA_OK;
}

/* One end: a child of the channel named after a VM. */
static enum mica_error parse_end(const struct reader *r, int node, const struct sysdesc *desc,
				 struct sysdesc_channel *c)
{
	struct sysdesc_channel_end *e = &c->ends[c->end_count];
	const char *name = fdt_get_name(r->fdt, node, NULL);
	int vm = sysdesc_find_vm(desc, name);

	if (vm < 0)
		return reader_fail(r, node, NULL, "no VM '%s' in /vms", name);
	e->vm = (uint32_t)vm;
	e->is_read_only = fdt_getprop(r->fdt, node, "read-only", NULL) != NULL;
	if (reader_only_known(r, node, end_props) != MICA_OK ||
	    reader_address(r, node, "address", &e->ipa) != MICA_OK ||
	    reader_u32(r, node, "doorbell", &e->doorbell) != MICA_OK ||
	    reader_interrupt(r, node, &e->intid) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (e->intid == 0)
		return reader_fail(r, node, "interrupt", "missing (the doorbells ring it)");
	return MICA_OK;
}

/* Doorbells are numbered per VM: each end's run of them must fit. */
static enum mica_error check_doorbells(const struct reader *r, int channel,
				       const struct sysdesc *desc, const struct sysdesc_channel *c)
{
	int node;
	uint32_t i = 0;

	fdt_for_each_subnode(node, r->fdt, channel)
	{
		const struct sysdesc_channel_end *e = &c->ends[i++];

		if (e->doorbell > SYSDESC_DOORBELL_MAX - (c->end_count - 1))
			return reader_fail(r, node, "doorbell",
					   "doorbells %u..%u: a VM has doorbells 0..%d",
					   e->doorbell, e->doorbell + c->end_count - 2,
					   SYSDESC_DOORBELL_MAX - 1);
		if (check_end(r, node, desc, c, e) != MICA_OK)
			return MICA_ERR_MALFORMED;
	}
	return MICA_OK;
}

static enum mica_error parse_channel(const struct reader *r, int node, struct sysdesc *desc,
				     struct sysdesc_channel *c)
{
	bool is_written = false;
	int end;

	c->name = fdt_get_name(r->fdt, node, NULL);
	if (reader_only_known(r, node, channel_props) != MICA_OK ||
	    reader_address(r, node, "size", &c->size) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (c->size == 0)
		return reader_fail(r, node, "size", "is 0");
	fdt_for_each_subnode(end, r->fdt, node)
	{
		if (c->end_count == SYSDESC_CHANNEL_ENDS)
			return reader_fail(r, node, NULL, "more than %d ends",
					   SYSDESC_CHANNEL_ENDS);
		if (parse_end(r, end, desc, c) != MICA_OK)
			return MICA_ERR_MALFORMED;
		is_written |= !c->ends[c->end_count].is_read_only;
		c->end_count++;
	}
	if (c->end_count < 2)
		return reader_fail(r, node, NULL, "%u end%s: a channel joins two VMs or more",
				   c->end_count, c->end_count == 1 ? "" : "s");
	if (!is_written)
		return reader_fail(r, node, NULL, "every end is read-only");
	return check_doorbells(r, node, desc, c);
}

enum mica_error sysdesc_check_lines(const struct reader *r, const struct sysdesc *desc)
{
	for (uint32_t v = 0; v < desc->vm_count; v++) {
		const struct sysdesc_vm *vm = &desc->vms[v];
		uint32_t devices = 0, ends = 0;
		uint32_t ivc = vm->ivc.is_present ? 1 : 0;
		char path[SYSDESC_PATH_MAX];

		for (uint32_t d = 0; d < vm->device_count; d++)
			devices += vm->devices[d].intid != 0;
		for (uint32_t c = 0; c < desc->channel_count; c++)
			for (uint32_t e = 0; e < desc->channels[c].end_count; e++)
				ends += desc->channels[c].ends[e].vm == v;
		if (devices + ends + ivc <= SYSDESC_VM_LINES_MAX)
			continue;
		(void)fmt_snprintf(path, sizeof(path), "/vms/%s", vm->name);
		if (ivc != 0)
			return reader_fail_path(r, path, NULL,
						"%u devices with an interrupt, %u channel ends and "
						"the ivc interrupt: at most %d together",
						devices, ends, SYSDESC_VM_LINES_MAX);
		return reader_fail_path(r, path, NULL,
					"%u devices with an interrupt and %u channel ends: at most "
					"%d together",
					devices, ends, SYSDESC_VM_LINES_MAX);
	}
	return MICA_OK;
}

enum mica_error sysdesc_parse_channels(const struct reader *r, struct sysdesc *desc)
{
	int channels = fdt_subnode_offset(r->fdt, 0, "channels");
	int node;

	if (channels < 0)
		return MICA_OK;
	if (reader_only_known(r, channels, no_props) != MICA_OK)
		return MICA_ERR_MALFORMED;
	fdt_for_each_subnode(node, r->fdt, channels)
	{
		struct sysdesc_channel *c = &desc->channels[desc->channel_count];

		if (desc->channel_count == SYSDESC_CHANNEL_MAX)
			return reader_fail(r, channels, NULL, "more than %d channels",
					   SYSDESC_CHANNEL_MAX);
		for (uint32_t i = 0; i < desc->channel_count; i++)
			if (strcmp(desc->channels[i].name, fdt_get_name(r->fdt, node, NULL)) == 0)
				return reader_fail(r, node, NULL,
						   "another channel has the same name");
		if (parse_channel(r, node, desc, c) != MICA_OK)
			return MICA_ERR_MALFORMED;
		desc->channel_count++;
	}
	return MICA_OK;
}

const struct sysdesc_channel_end *sysdesc_channel_end_of(const struct sysdesc *desc, uint32_t vm,
							 uint32_t k,
							 const struct sysdesc_channel **channel)
{
	for (uint32_t c = 0; c < desc->channel_count; c++) {
		for (uint32_t e = 0; e < desc->channels[c].end_count; e++) {
			if (desc->channels[c].ends[e].vm != vm || k-- != 0)
				continue;
			*channel = &desc->channels[c];
			return &desc->channels[c].ends[e];
		}
	}
	return NULL;
}
