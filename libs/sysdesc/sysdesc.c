/*
 * Parsing the system description (see <mica/sysdesc.h> and
 * docs/system-description.md): walk the tree from the root, read each
 * node's properties into the structs, and check each item against those
 * before it as it is added and each VM's items against the guest
 * platform's fixed regions once the VM is read, stopping at the first
 * error.
 *
 * Every node kind has a fixed list of properties and of child nodes; any
 * other is an error, so that a misspelt optional property ("bootarg") is
 * reported instead of silently ignored.
 */
#include "reader.h"

#include <libfdt.h>

#include <string.h>

static const char *const root_props[] = {"compatible",	"model",	   "#address-cells",
					 "#size-cells", "ivc-crash-after", NULL};
static const char *const root_children[] = {"servers", "drivers", "vms", "channels", NULL};
static const char *const server_props[] = {"program", "crash-after", "fail-restart",
					   "cpu",     "uplink",	     NULL};
static const char *const vm_props[] = {"memory",       "memory-identity", "cpus",
				       "cpu-affinity", "kernel",	  "initrd",
				       "bootargs",     "unmapped-access", NULL};
static const char *const vm_children[] = {"devices", "passthrough", "ivc", NULL};
static const char *const container_props[] = {"#address-cells", "#size-cells", NULL};
static const char *const device_props[] = {
	"compatible", "server",	     "reg",	  "interrupt",	     "file",
	"drive",      "drive-range", "read-only", "drive-partition", NULL};
static const char *const passthrough_props[] = {"compatible", "reg", "physical", "interrupt", NULL};
static const char *const none[] = {NULL};

/* The property each kind of memory region is listed in, by is_identity. */
static const char *const memory_props[] = {"memory", "memory-identity"};

/* Reject a child of node whose name is not in the NULL-terminated list known. */
static enum mica_error only_known_children(const struct reader *r, int node,
					   const char *const *known)
{
	int child;

	fdt_for_each_subnode(child, r->fdt, node)
	{
		const char *name = fdt_get_name(r->fdt, child, NULL);
		const char *const *k = known;

		while (*k != NULL && strcmp(*k, name) != 0)
			k++;
		if (*k == NULL)
			return reader_fail(r, child, NULL, "unknown node");
	}
	return MICA_OK;
}

/*
 * Both checks every node gets: its properties and its children are known
 * ones. children is NULL for a container, whose children may have any name.
 */
static enum mica_error only_known(const struct reader *r, int node, const char *const *props,
				  const char *const *children)
{
	if (reader_only_known(r, node, props) != MICA_OK ||
	    (children != NULL && only_known_children(r, node, children) != MICA_OK))
		return MICA_ERR_MALFORMED;
	return MICA_OK;
}

/* The index of the server called name among those read so far, or -1. */
static int find_server(const struct sysdesc *desc, const char *name)
{
	for (uint32_t i = 0; i < desc->server_count; i++) {
		if (strcmp(desc->servers[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

enum mica_error reader_optional_u32(const struct reader *r, int node, const char *name,
				    uint32_t *out)
{
	if (fdt_getprop(r->fdt, node, name, NULL) == NULL)
		return MICA_OK;
	return reader_u32(r, node, name, out);
}

/* A server's 'uplink': a driver's name, the driver no other server's way out. */
static enum mica_error parse_uplink(const struct reader *r, int node, const struct sysdesc *desc,
				    struct sysdesc_server *s)
{
	const char *name = NULL;
	int index;

	if (reader_string(r, node, "uplink", true, false, &name) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (name == NULL)
		return MICA_OK;
	index = sysdesc_find_driver(desc, name);
	if (index < 0)
		return reader_fail(r, node, "uplink", "no driver '%s' in /drivers", name);
	for (uint32_t i = 0; i < desc->server_count; i++)
		if (desc->servers[i].has_uplink && desc->servers[i].uplink == (uint32_t)index)
			return reader_fail(r, node, "uplink",
					   "driver '%s' is already the uplink of server '%s'", name,
					   desc->servers[i].name);
	s->has_uplink = true;
	s->uplink = (uint32_t)index;
	return MICA_OK;
}

/* /servers: optional, one child per device-server program. */
static enum mica_error parse_servers(const struct reader *r, struct sysdesc *desc)
{
	int servers = fdt_subnode_offset(r->fdt, 0, "servers");
	int node;

	if (servers < 0)
		return MICA_OK;
	if (only_known(r, servers, none, NULL) != MICA_OK)
		return MICA_ERR_MALFORMED;
	fdt_for_each_subnode(node, r->fdt, servers)
	{
		struct sysdesc_server *s = &desc->servers[desc->server_count];

		if (desc->server_count == SYSDESC_SERVER_MAX)
			return reader_fail(r, servers, NULL, "more than %d servers",
					   SYSDESC_SERVER_MAX);
		s->name = fdt_get_name(r->fdt, node, NULL);
		if (find_server(desc, s->name) >= 0)
			return reader_fail(r, node, NULL, "another server has the same name");
		if (only_known(r, node, server_props, none) != MICA_OK ||
		    reader_string(r, node, "program", false, false, &s->program) != MICA_OK ||
		    reader_optional_u32(r, node, "crash-after", &s->crash_after) != MICA_OK ||
		    reader_optional_u32(r, node, "fail-restart", &s->fail_restart) != MICA_OK ||
		    reader_optional_u32(r, node, "cpu", &s->cpu) != MICA_OK ||
		    parse_uplink(r, node, desc, s) != MICA_OK)
			return MICA_ERR_MALFORMED;
		desc->server_count++;
	}
	return MICA_OK;
}

/* 'memory' then 'memory-identity': lists of (address, size), two cells each. */
static enum mica_error parse_memory(const struct reader *r, int node, struct sysdesc_vm *vm)
{
	bool is_found = false;

	for (int kind = 0; kind < 2; kind++) {
		const char *name = memory_props[kind];
		int len = 0;
		const uint8_t *p = fdt_getprop(r->fdt, node, name, &len);

		if (p == NULL)
			continue;
		is_found = true;
		if (len == 0 || len % 16 != 0)
			return reader_fail(r, node, name,
					   "is %d bytes long, expected address and size pairs "
					   "of two cells each (16 bytes a region)",
					   len);
		for (size_t i = 0; i < (size_t)len / 16; i++) {
			struct sysdesc_region *region = &vm->regions[vm->region_count];

			if (vm->region_count == SYSDESC_REGION_MAX)
				return reader_fail(r, node, name,
						   "more than %d regions in 'memory' and "
						   "'memory-identity' together",
						   SYSDESC_REGION_MAX);
			region->ipa.base = reader_cells64(p + 16 * i);
			region->ipa.size = reader_cells64(p + 16 * i + 8);
			region->is_identity = kind == 1;
			if (reader_check_range(r, node, name, (int)i, region->ipa) != MICA_OK)
				return MICA_ERR_MALFORMED;
			vm->region_count++;
			if (sysdesc_check_new_region(r, node, vm) != MICA_OK)
				return MICA_ERR_MALFORMED;
		}
	}
	if (!is_found)
		return reader_fail(r, node, "memory",
				   "missing (a VM needs 'memory' or 'memory-identity')");
	return MICA_OK;
}

/* 'cpus', and 'cpu-affinity' with one physical CPU for each vCPU. */
static enum mica_error parse_vcpus(const struct reader *r, int node, struct sysdesc_vm *vm)
{
	const fdt32_t *affinity;
	int len = 0;

	if (reader_u32(r, node, "cpus", &vm->vcpu_count) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (vm->vcpu_count == 0)
		return reader_fail(r, node, "cpus", "a VM needs at least one vCPU");
	if (vm->vcpu_count > SYSDESC_VCPU_MAX)
		return reader_fail(r, node, "cpus", "%u vCPUs, at most %d", vm->vcpu_count,
				   SYSDESC_VCPU_MAX);
	affinity = fdt_getprop(r->fdt, node, "cpu-affinity", &len);
	if (affinity == NULL)
		return reader_fail(r, node, "cpu-affinity", "missing");
	if (len % 4 != 0)
		return reader_fail(r, node, "cpu-affinity",
				   "is %d bytes long, expected one cell per vCPU", len);
	if ((uint32_t)len / 4 != vm->vcpu_count)
		return reader_fail(r, node, "cpu-affinity", "%d entries for %u vCPUs", len / 4,
				   vm->vcpu_count);
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vm->vcpu_affinity[i] = fdt32_ld(&affinity[i]);
	return MICA_OK;
}

/* A VM's 'devices': emulated devices, each served by a server in /servers. */
static enum mica_error parse_devices(const struct reader *r, int vm_node,
				     const struct sysdesc *desc, struct sysdesc_vm *vm)
{
	int devices = fdt_subnode_offset(r->fdt, vm_node, "devices");
	int node;

	if (devices < 0)
		return MICA_OK;
	if (only_known(r, devices, container_props, NULL) != MICA_OK ||
	    reader_two_cells(r, devices) != MICA_OK)
		return MICA_ERR_MALFORMED;
	fdt_for_each_subnode(node, r->fdt, devices)
	{
		struct sysdesc_device *d = &vm->devices[vm->device_count];
		const char *server = NULL;
		int index;

		if (vm->device_count == SYSDESC_DEVICE_MAX)
			return reader_fail(r, devices, NULL, "more than %d devices",
					   SYSDESC_DEVICE_MAX);
		d->name = fdt_get_name(r->fdt, node, NULL);
		if (only_known(r, node, device_props, none) != MICA_OK ||
		    reader_string(r, node, "compatible", false, false, &d->compatible) != MICA_OK ||
		    reader_string(r, node, "server", false, false, &server) != MICA_OK ||
		    reader_range(r, node, "reg", &d->ipa) != MICA_OK ||
		    reader_interrupt(r, node, &d->intid) != MICA_OK ||
		    reader_string(r, node, "file", true, false, &d->file) != MICA_OK ||
		    sysdesc_parse_drive(r, node, desc, d) != MICA_OK)
			return MICA_ERR_MALFORMED;
		index = find_server(desc, server);
		if (index < 0)
			return reader_fail(r, node, "server", "no server '%s' in /servers", server);
		d->server = (uint32_t)index;
		vm->device_count++;
		if (sysdesc_check_new_device(r, node, vm) != MICA_OK)
			return MICA_ERR_MALFORMED;
	}
	return MICA_OK;
}

/* A VM's 'passthrough': host-physical ranges mapped into the guest. */
static enum mica_error parse_passthrough(const struct reader *r, int vm_node, struct sysdesc_vm *vm)
{
	int passthrough = fdt_subnode_offset(r->fdt, vm_node, "passthrough");
	int node;

	if (passthrough < 0)
		return MICA_OK;
	if (only_known(r, passthrough, container_props, NULL) != MICA_OK ||
	    reader_two_cells(r, passthrough) != MICA_OK)
		return MICA_ERR_MALFORMED;
	fdt_for_each_subnode(node, r->fdt, passthrough)
	{
		struct sysdesc_passthrough *p = &vm->passthrough[vm->passthrough_count];

		if (vm->passthrough_count == SYSDESC_PASSTHROUGH_MAX)
			return reader_fail(r, passthrough, NULL, "more than %d passthrough regions",
					   SYSDESC_PASSTHROUGH_MAX);
		p->name = fdt_get_name(r->fdt, node, NULL);
		if (only_known(r, node, passthrough_props, none) != MICA_OK ||
		    reader_string_list(r, node, "compatible", &p->compatible, &p->compatible_len) !=
			    MICA_OK ||
		    reader_range(r, node, "reg", &p->ipa) != MICA_OK ||
		    reader_address(r, node, "physical", &p->host_physical) != MICA_OK ||
		    reader_interrupt(r, node, &p->intid) != MICA_OK)
			return MICA_ERR_MALFORMED;
		if (p->host_physical + (p->ipa.size - 1) < p->host_physical)
			return reader_fail(r, node, "physical",
					   "range wraps past the top of the address space");
		vm->passthrough_count++;
		if (sysdesc_check_new_passthrough(r, node, vm) != MICA_OK)
			return MICA_ERR_MALFORMED;
	}
	return MICA_OK;
}

/* A VM's 'unmapped-access': "abort" (the default), "read-as-zero" or "stop". */
static enum mica_error parse_unmapped(const struct reader *r, int node, struct sysdesc_vm *vm)
{
	static const char *const names[] = {
		[SYSDESC_UNMAPPED_ABORT] = "abort",
		[SYSDESC_UNMAPPED_READ_AS_ZERO] = "read-as-zero",
		[SYSDESC_UNMAPPED_STOP] = "stop",
	};
	const char *s = NULL;

	vm->unmapped = SYSDESC_UNMAPPED_ABORT;
	if (reader_string(r, node, "unmapped-access", true, false, &s) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (s == NULL)
		return MICA_OK;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			vm->unmapped = (enum sysdesc_unmapped)i;
			return MICA_OK;
		}
	}
	return reader_fail(r, node, "unmapped-access",
			   "\"%s\" is none of \"abort\", \"read-as-zero\", \"stop\"", s);
}

/* One VM: a child of /vms, named by its node. */
static enum mica_error parse_vm(const struct reader *r, int node, struct sysdesc *desc,
				struct sysdesc_vm *vm)
{
	vm->name = fdt_get_name(r->fdt, node, NULL);
	for (uint32_t i = 0; i < desc->vm_count; i++) {
		if (strcmp(desc->vms[i].name, vm->name) == 0)
			return reader_fail(r, node, NULL, "another VM has the same name");
	}
	if (only_known(r, node, vm_props, vm_children) != MICA_OK ||
	    parse_memory(r, node, vm) != MICA_OK || parse_vcpus(r, node, vm) != MICA_OK ||
	    reader_string(r, node, "kernel", false, false, &vm->kernel) != MICA_OK ||
	    reader_string(r, node, "initrd", true, false, &vm->initrd) != MICA_OK ||
	    reader_string(r, node, "bootargs", true, true, &vm->bootargs) != MICA_OK ||
	    parse_unmapped(r, node, vm) != MICA_OK || parse_devices(r, node, desc, vm) != MICA_OK ||
	    parse_passthrough(r, node, vm) != MICA_OK ||
	    sysdesc_check_platform(r, node, vm) != MICA_OK)
		return MICA_ERR_MALFORMED;
	if (vm->bootargs == NULL)
		vm->bootargs = "";
	return MICA_OK;
}

/*
 * The root: "mica,system", then /drivers and /servers (first: servers and
 * devices name drivers, devices servers), /vms,
 * /channels, then each VM's ivc node (which names VMs, and may not meet
 * their channel ends).
 */
static enum mica_error parse_root(const struct reader *r, struct sysdesc *desc)
{
	int compatible = fdt_node_check_compatible(r->fdt, 0, "mica,system");
	int vms;
	int node;

	if (compatible < 0)
		return reader_fail(r, 0, "compatible", "missing");
	if (compatible > 0)
		return reader_fail(r, 0, "compatible", "does not list \"mica,system\"");
	if (only_known(r, 0, root_props, root_children) != MICA_OK ||
	    reader_optional_u32(r, 0, "ivc-crash-after", &desc->ivc_crash_after) != MICA_OK ||
	    sysdesc_parse_drivers(r, desc) != MICA_OK || parse_servers(r, desc) != MICA_OK)
		return MICA_ERR_MALFORMED;
	vms = fdt_subnode_offset(r->fdt, 0, "vms");
	if (vms < 0)
		return reader_fail(r, 0, NULL, "no 'vms' node");
	if (only_known(r, vms, none, NULL) != MICA_OK)
		return MICA_ERR_MALFORMED;
	fdt_for_each_subnode(node, r->fdt, vms)
	{
		if (desc->vm_count == SYSDESC_VM_MAX)
			return reader_fail(r, vms, NULL, "more than %d VMs", SYSDESC_VM_MAX);
		if (parse_vm(r, node, desc, &desc->vms[desc->vm_count]) != MICA_OK)
			return MICA_ERR_MALFORMED;
		desc->vm_count++;
	}
	if (desc->vm_count == 0)
		return reader_fail(r, vms, NULL, "no VMs");
	if (sysdesc_parse_channels(r, desc) != MICA_OK || sysdesc_parse_ivc(r, desc) != MICA_OK ||
	    sysdesc_check_lines(r, desc) != MICA_OK)
		return MICA_ERR_MALFORMED;
	return sysdesc_check_host_physical(r, desc);
}

enum mica_error sysdesc_parse(const void *fdt, size_t size, struct sysdesc *desc,
			      struct sysdesc_error *err)
{
	struct reader r = {.fdt = fdt, .err = err};
	int rc;

	memset(desc, 0, sizeof(*desc));
	memset(err, 0, sizeof(*err));
	/*
	 * fdt_check_full walks the whole structure block once, so that later
	 * lookups cannot run off a truncated or corrupt blob; after it, the
	 * only way a lookup fails is that the node or property is absent.
	 */
	if (size < sizeof(struct fdt_header))
		return reader_fail_path(&r, "/", NULL, "not a device tree blob: only %zu bytes",
					size);
	rc = fdt_check_full(fdt, size);
	if (rc != 0)
		return reader_fail_path(&r, "/", NULL, "not a valid device tree blob: %s",
					fdt_strerror(rc));
	return parse_root(&r, desc);
}
