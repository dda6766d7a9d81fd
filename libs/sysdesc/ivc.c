/*
 * Each VM's /vms/NAME/ivc node (see <mica/sysdesc.h> and docs/ivc.md): its
 * policy for dynamic channels, those a guest allocates by hypercall at run
 * time. Read after /channels, because its peers are VMs named anywhere in
 * /vms and its window, interrupt and doorbells may not meet the VM's
 * channel ends. Each node is read and checked against its own VM in the
 * order of the VMs, the 'memory' of all of them summed on the way; then,
 * every node read, each peer must have an ivc node that lists the VM back.
 *
 *     ivc {
 *         window = <0x0 0x60000000 0x0 0x00200000>;
 *         memory = <0x0 0x00100000>;
 *         peers = "beta";
 *         interrupt = <62>;
 *         doorbell = <4>;
 *     };
 */
#include "reader.h"

#include <libfdt.h>

#include <string.h>

static const char *const ivc_props[] = {"window", "memory", "peers", "interrupt", "doorbell", NULL};

/* The ivc node of vm, or a negative libfdt error when it has none. */
static int find_node(const struct reader *r, const struct sysdesc_vm *vm)
{
	int vms = fdt_subnode_offset(r->fdt, 0, "vms");

	return fdt_subnode_offset(r->fdt, fdt_subnode_offset(r->fdt, vms, vm->name), "ivc");
}

/*
 * 'window': a range as reader_range reads it, in whole 2 MiB blocks (the
 * IVC server maps into it through one stage-2 page table a block), at most
 * SYSDESC_IVC_WINDOW_TABLES of them.
 */
static enum mica_error parse_window(const struct reader *r, int node, struct sysdesc_ipa_range *w)
{
	if (reader_range(r, node, "window", w) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (w->base % SYSDESC_IVC_BLOCK != 0 || w->size % SYSDESC_IVC_BLOCK != 0)
		return reader_fail(r, node, "window", "range is not 2 MiB aligned");
	if (w->size / SYSDESC_IVC_BLOCK > SYSDESC_IVC_WINDOW_TABLES)
		return reader_fail(r, node, "window", "range is %llu blocks of 2 MiB, at most %d",
				   (unsigned long long)(w->size / SYSDESC_IVC_BLOCK),
				   SYSDESC_IVC_WINDOW_TABLES);
	return MICA_OK;
}

/*
 * 'peers': the names of other VMs, each once, stored as their indices in
 * the order listed (a guest's peer k). Whether each has an ivc node that
 * lists VM self back is for check_peers, once every node is read.
 */
static enum mica_error parse_peers(const struct reader *r, int node, const struct sysdesc *desc,
				   uint32_t self, struct sysdesc_ivc *ivc)
{
	const char *list = NULL;
	uint32_t len = 0;

	if (reader_string_list(r, node, "peers", &list, &len) != MICA_OK)
		return MICA_ERR_MALFORMED;
	for (const char *name = list; name < list + len; name += strlen(name) + 1) {
		int vm = sysdesc_find_vm(desc, name);

		if (ivc->peer_count == SYSDESC_IVC_PEERS)
			return reader_fail(r, node, "peers", "more than %d peers",
					   SYSDESC_IVC_PEERS);
		if (vm < 0)
			return reader_fail(r, node, "peers", "no VM '%s' in /vms", name);
		if ((uint32_t)vm == self)
			return reader_fail(r, node, "peers", "lists VM '%s' itself", name);
		for (uint32_t k = 0; k < ivc->peer_count; k++) {
			if (ivc->peers[k] == (uint32_t)vm)
				return reader_fail(r, node, "peers", "lists VM '%s' twice", name);
		}
		ivc->peers[ivc->peer_count++] = (uint32_t)vm;
	}
	return MICA_OK;
}

/* Every property of the ivc node of VM v, each checked on its own. */
static enum mica_error read_ivc(const struct reader *r, int node, const struct sysdesc *desc,
				uint32_t v, struct sysdesc_ivc *ivc)
{
	int child = fdt_first_subnode(r->fdt, node);

	if (reader_only_known(r, node, ivc_props) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (child >= 0)
		return reader_fail(r, child, NULL, "unknown node");
	if (parse_window(r, node, &ivc->window) != MICA_OK ||
	    reader_address(r, node, "memory", &ivc->memory) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (ivc->memory == 0)
		return reader_fail(r, node, "memory", "is 0");
	if (ivc->memory > ivc->window.size)
		return reader_fail(r, node, "memory", "0x%llx bytes, more than the window's 0x%llx",
				   (unsigned long long)ivc->memory,
				   (unsigned long long)ivc->window.size);
	if (parse_peers(r, node, desc, v, ivc) != MICA_OK ||
	    reader_interrupt(r, node, &ivc->intid) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (ivc->intid == 0)
		return reader_fail(r, node, "interrupt", "missing");
	if (reader_u32(r, node, "doorbell", &ivc->doorbell) != MICA_OK)
		return MICA_ERR_MALFORMED;
	/* One doorbell a peer, numbered as a channel end's are. */
	if (ivc->doorbell > SYSDESC_DOORBELL_MAX - ivc->peer_count)
		return reader_fail(r, node, "doorbell",
				   "doorbells %u..%u: a VM has doorbells 0..%d", ivc->doorbell,
				   ivc->doorbell + ivc->peer_count - 1, SYSDESC_DOORBELL_MAX - 1);
	return MICA_OK;
}

/*
 * The ivc node of VM v, at node, once read: against what the VM already
 * has (its memory, the guest platform, its devices, passthrough regions
 * and channel ends), as a channel end is.
 */
static enum mica_error check_ivc(const struct reader *r, int node, const struct sysdesc *desc,
				 uint32_t v)
{
	const struct sysdesc_vm *vm = &desc->vms[v];
	const struct sysdesc_vm_use use = {
		.ipa = vm->ivc.window,
		.ipa_prop = "window",
		.intid = vm->ivc.intid,
		.doorbell = vm->ivc.doorbell,
		.doorbell_count = vm->ivc.peer_count,
	};
	const struct sysdesc_channel *c = NULL;

	if (sysdesc_check_item(r, node, vm, use.ipa, use.ipa_prop, use.intid) != MICA_OK)
		return MICA_ERR_MALFORMED;
	for (uint32_t k = 0;; k++) {
		const struct sysdesc_channel_end *e = sysdesc_channel_end_of(desc, v, k, &c);

		if (e == NULL)
			return MICA_OK;
		if (sysdesc_check_against_end(r, node, desc, c, e, &use) != MICA_OK)
			return MICA_ERR_MALFORMED;
	}
}

/*
 * The ivc node of VM v, at node: read, checked, and its 'memory' added to
 * *pool, the sum over the VMs before it.
 */
static enum mica_error parse_ivc(const struct reader *r, int node, struct sysdesc *desc, uint32_t v,
				 uint64_t *pool)
{
	struct sysdesc_ivc *ivc = &desc->vms[v].ivc;

	if (read_ivc(r, node, desc, v, ivc) != MICA_OK || check_ivc(r, node, desc, v) != MICA_OK)
		return MICA_ERR_MALFORMED;
	*pool += ivc->memory;
	if (*pool > SYSDESC_IVC_POOL_MAX)
		return reader_fail(r, node, "memory",
				   "all VMs' ivc memory comes to 0x%llx bytes, at most 0x%llx",
				   (unsigned long long)*pool,
				   (unsigned long long)SYSDESC_IVC_POOL_MAX);
	ivc->is_present = true;
	return MICA_OK;
}

static bool lists_peer(const struct sysdesc_ivc *ivc, uint32_t v)
{
	for (uint32_t k = 0; k < ivc->peer_count; k++) {
		if (ivc->peers[k] == v)
			return true;
	}
	return false;
}

/* A channel has two ends: each peer of a VM must allow it too. */
static enum mica_error check_peers(const struct reader *r, const struct sysdesc *desc)
{
	for (uint32_t v = 0; v < desc->vm_count; v++) {
		const struct sysdesc_vm *vm = &desc->vms[v];

		for (uint32_t k = 0; k < vm->ivc.peer_count; k++) {
			const struct sysdesc_vm *peer = &desc->vms[vm->ivc.peers[k]];

			if (!peer->ivc.is_present)
				return reader_fail(r, find_node(r, vm), "peers",
						   "VM '%s' has no ivc node", peer->name);
			if (!lists_peer(&peer->ivc, v))
				return reader_fail(r, find_node(r, vm), "peers",
						   "VM '%s' does not list '%s' back", peer->name,
						   vm->name);
		}
	}
	return MICA_OK;
}

enum mica_error sysdesc_parse_ivc(const struct reader *r, struct sysdesc *desc)
{
	uint64_t pool = 0;

	for (uint32_t v = 0; v < desc->vm_count; v++) {
		int node = find_node(r, &desc->vms[v]);

		if (node < 0)
			continue;
		if (parse_ivc(r, node, desc, v, &pool) != MICA_OK)
			return MICA_ERR_MALFORMED;
	}
	return check_peers(r, desc);
}
