/*
 * What the standard properties of a device tree mean (Devicetree
 * Specification v0.4, chapter 2): "compatible", "status", "phandle",
 * "#address-cells" and "#size-cells", "reg" and the interrupt tree, read
 * with the format reader in fdt.c.
 *
 * Like fdt.c, this runs with the MMU off as well as on, from an address
 * other than the link address: no writable static data, no tables of
 * pointers, and no calls outside fdt.c, fdt_props.c and <string.h>.
 */
#include <string.h>

#include "fdt.h"

/* What a bus without "#address-cells" or "#size-cells" gives (spec 2.3.5). */
#define FDT_DEFAULT_ADDRESS_CELLS 2u
#define FDT_DEFAULT_SIZE_CELLS	  1u

/* The most cells fdt_reg_get() decodes: two make a u64. */
#define FDT_MAX_REG_CELLS 2u

/* "#interrupt-cells" beyond this is taken as a corrupt value (spec 2.4). */
#define FDT_MAX_INTERRUPT_CELLS 16u

/* The most steps fdt_interrupt_parent() takes before calling the chain a cycle. */
#define FDT_MAX_INTERRUPT_HOPS (2u * FDT_MAX_DEPTH)

/* phandle values 0 and ~0 do not name a node (spec 2.3.3). */
#define FDT_PHANDLE_INVALID 0xffffffffu

bool fdt_find_phandle(const struct fdt *fdt, uint32_t phandle, struct fdt_node *out)
{
	struct fdt_node n = fdt_root(fdt);
	uint32_t value;

	if (phandle == 0 || phandle == FDT_PHANDLE_INVALID)
		return false;
	do {
		if ((fdt_get_u32(fdt, n, "phandle", &value) ||
		     fdt_get_u32(fdt, n, "linux,phandle", &value)) &&
		    value == phandle) {
			*out = n;
			return true;
		}
	} while (fdt_next_node(fdt, &n));
	return false;
}

bool fdt_find_compatible(const struct fdt *fdt, const char *compat, struct fdt_node *out)
{
	struct fdt_node n = fdt_root(fdt);

	do {
		if (fdt_is_compatible(fdt, n, compat)) {
			*out = n;
			return true;
		}
	} while (fdt_next_node(fdt, &n));
	return false;
}
bool fdt_get_u32(const struct fdt *fdt, struct fdt_node node, const char *name, uint32_t *out)
{
	struct fdt_prop prop;

	if (!fdt_get_prop(fdt, node, name, &prop) || prop.len != FDT_CELL_SIZE)
		return false;
	*out = fdt_be32(prop.data);
	return true;
}

const char *fdt_prop_str(struct fdt_prop prop)
{
	if (prop.len == 0 || memchr(prop.data, 0, prop.len) == NULL)
		return NULL;
	return (const char *)prop.data;
}

bool fdt_prop_has_str(struct fdt_prop prop, const char *s)
{
	size_t want = strlen(s);
	uint32_t off = 0;

	while (off < prop.len) {
		const char *entry = (const char *)(prop.data + off);
		const char *nul = memchr(entry, 0, prop.len - off);
		size_t len;

		/* An entry the value's end cuts short is not an entry. */
		if (nul == NULL)
			return false;
		len = (size_t)(nul - entry);
		if (len == want && memcmp(entry, s, len) == 0)
			return true;
		off += (uint32_t)len + 1;
	}
	return false;
}

bool fdt_is_compatible(const struct fdt *fdt, struct fdt_node node, const char *compat)
{
	struct fdt_prop prop;

	return fdt_get_prop(fdt, node, "compatible", &prop) && fdt_prop_has_str(prop, compat);
}

bool fdt_is_enabled(const struct fdt *fdt, struct fdt_node node)
{
	struct fdt_prop prop;
	const char *status;

	if (!fdt_get_prop(fdt, node, "status", &prop))
		return true;
	status = fdt_prop_str(prop);
	return status != NULL && (strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0);
}

struct fdt_cells fdt_child_cells(const struct fdt *fdt, struct fdt_node bus)
{
	struct fdt_cells cells;

	if (!fdt_get_u32(fdt, bus, "#address-cells", &cells.address))
		cells.address = FDT_DEFAULT_ADDRESS_CELLS;
	if (!fdt_get_u32(fdt, bus, "#size-cells", &cells.size))
		cells.size = FDT_DEFAULT_SIZE_CELLS;
	return cells;
}

struct fdt_cells fdt_reg_cells(const struct fdt *fdt, struct fdt_node node)
{
	struct fdt_node parent;

	/* The root has no parent; decode its own "reg", if any, with its cells. */
	if (!fdt_parent(fdt, node, &parent))
		parent = node;
	return fdt_child_cells(fdt, parent);
}

/* The size in bytes of one entry, or 0 if the cells cannot be decoded. */
static uint32_t reg_entry_size(struct fdt_cells cells)
{
	if (cells.address == 0 || cells.address > FDT_MAX_REG_CELLS ||
	    cells.size > FDT_MAX_REG_CELLS)
		return 0;
	return (cells.address + cells.size) * FDT_CELL_SIZE;
}

/* A value of n cells, n no more than FDT_MAX_REG_CELLS. */
static uint64_t read_cells(const uint8_t *p, uint32_t n)
{
	if (n == 0)
		return 0;
	if (n == 1)
		return fdt_be32(p);
	return fdt_be64(p);
}

bool fdt_reg_count(struct fdt_prop reg, struct fdt_cells cells, size_t *count)
{
	uint32_t entry = reg_entry_size(cells);

	if (entry == 0 || reg.len % entry != 0)
		return false;
	*count = reg.len / entry;
	return true;
}

bool fdt_reg_get(struct fdt_prop reg, struct fdt_cells cells, size_t index, struct fdt_range *out)
{
	uint32_t entry = reg_entry_size(cells);
	const uint8_t *p;
	uint64_t base;
	uint64_t size;

	if (entry == 0 || index >= reg.len / entry)
		return false;
	p = reg.data + index * entry;
	base = read_cells(p, cells.address);
	size = read_cells(p + (size_t)cells.address * FDT_CELL_SIZE, cells.size);
	if (size > UINT64_MAX - base)
		return false;
	out->base = base;
	out->size = size;
	return true;
}

bool fdt_interrupt_parent(const struct fdt *fdt, struct fdt_node node, struct fdt_node *ctrl,
			  uint32_t *cells)
{
	struct fdt_node cur = node;
	uint32_t hop;

	/*
	 * Tree-parent steps shrink the depth, but phandle steps can form a
	 * cycle in a hostile tree. Real chains are a step or two; the bound
	 * still lets one climb from the deepest node and then jump.
	 */
	for (hop = 0; hop < FDT_MAX_INTERRUPT_HOPS; hop++) {
		struct fdt_node next;
		uint32_t phandle;
		uint32_t n;

		if (fdt_get_u32(fdt, cur, "interrupt-parent", &phandle)) {
			if (!fdt_find_phandle(fdt, phandle, &next))
				return false;
		} else if (!fdt_parent(fdt, cur, &next)) {
			return false;
		}
		if (fdt_get_u32(fdt, next, "#interrupt-cells", &n)) {
			if (n == 0 || n > FDT_MAX_INTERRUPT_CELLS)
				return false;
			*ctrl = next;
			*cells = n;
			return true;
		}
		cur = next;
	}
	return false;
}
