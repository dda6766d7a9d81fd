/*
 * Platform discovery: the memory, CPUs, interrupt controller, console,
 * timer and firmware conduit of the machine, read from the boot device
 * tree into a struct platform.
 *
 * This runs with the MMU off, from a physical address other than the
 * link address (platform.h), so like the device tree reader it has no
 * writable static data, no tables of pointers, and calls nothing but
 * fdt.c, fdt_props.c and <string.h>. Compatible strings are matched one
 * literal at a time for the same reason: a table of names would hold
 * link-time addresses.
 */
#include <string.h>

#include "fdt.h"
#include "platform.h"

/*
 * The first two cells of a GIC interrupt specifier are the interrupt's
 * type and its number within that type (arm,gic-v3 binding).
 */
#define GIC_SPEC_TYPE_SPI  0u
#define GIC_SPEC_TYPE_PPI  1u
#define GIC_SPEC_MIN_CELLS 2u

/*
 * INTIDs 16-31 are PPIs and 32-1019 are SPIs (GICv3 architecture
 * specification, 2.2 "INTIDs").
 */
#define GIC_PPI_BASE  16u
#define GIC_PPI_COUNT 16u
#define GIC_SPI_BASE  32u
#define GIC_SPI_COUNT 988u

/* Bytes in one cell of a property value (spec 2.2.4). */
#define CELL_SIZE 4u

/*
 * The architected timer's "interrupts", in the order the arm,armv8-timer
 * binding gives them.
 */
#define TIMER_IRQ_SEC_PHYS 0u
#define TIMER_IRQ_PHYS	   1u
#define TIMER_IRQ_VIRT	   2u
#define TIMER_IRQ_HYP_PHYS 3u

static bool find_path(const struct fdt *fdt, const char *path, struct fdt_node *out)
{
	return fdt_find_path(fdt, path, strlen(path), out);
}

/* Whether the node's "device_type" is type. */
static bool has_device_type(const struct fdt *fdt, struct fdt_node node, const char *type)
{
	struct fdt_prop prop;
	const char *value;

	if (!fdt_get_prop(fdt, node, "device_type", &prop))
		return false;
	value = fdt_prop_str(prop);
	return value != NULL && strcmp(value, type) == 0;
}

/* The first enabled node, in document order, compatible with compat. */
static bool find_device(const struct fdt *fdt, const char *compat, struct fdt_node *out)
{
	struct fdt_node n = fdt_root(fdt);

	do {
		if (fdt_is_compatible(fdt, n, compat) && fdt_is_enabled(fdt, n)) {
			*out = n;
			return true;
		}
	} while (fdt_next_node(fdt, &n));
	return false;
}

/*
 * Append the non-empty ranges of the node's "reg", decoded with cells, to
 * table until it holds capacity; the rest are checked and dropped, as
 * platform.h promises. A node without "reg" adds nothing. False if "reg"
 * cannot be decoded or a range wraps.
 */
static bool append_reg(const struct fdt *fdt, struct fdt_node node, struct fdt_cells cells,
		       struct mem_range *table, size_t *count, size_t capacity)
{
	struct fdt_prop reg;
	size_t entries;
	size_t i;

	if (!fdt_get_prop(fdt, node, "reg", &reg))
		return true;
	if (!fdt_reg_count(reg, cells, &entries))
		return false;
	for (i = 0; i < entries; i++) {
		struct fdt_range r;

		if (!fdt_reg_get(reg, cells, i, &r))
			return false;
		if (r.size != 0 && *count < capacity) {
			table[*count].base = r.base;
			table[*count].size = r.size;
			(*count)++;
		}
	}
	return true;
}

/* Entry index of the node's "reg", decoded with its parent's cells. */
static bool get_reg(const struct fdt *fdt, struct fdt_node node, size_t index,
		    struct mem_range *out)
{
	struct fdt_prop reg;
	struct fdt_range r;

	if (!fdt_get_prop(fdt, node, "reg", &reg) ||
	    !fdt_reg_get(reg, fdt_reg_cells(fdt, node), index, &r))
		return false;
	out->base = r.base;
	out->size = r.size;
	return true;
}

/* A GIC interrupt specifier's type and number as an INTID, or 0. */
static uint32_t gic_intid(uint32_t type, uint32_t number)
{
	switch (type) {
	case GIC_SPEC_TYPE_SPI:
		return number < GIC_SPI_COUNT ? GIC_SPI_BASE + number : 0;
	case GIC_SPEC_TYPE_PPI:
		return number < GIC_PPI_COUNT ? GIC_PPI_BASE + number : 0;
	default:
		/* Extended SPI and PPI ranges: the kernel does not use them. */
		return 0;
	}
}

/*
 * Interrupt index of the node's "interrupts" as a GIC INTID: 0 if it has
 * none, or its interrupt parent is not the GICv3 the kernel drives, since
 * then the number means nothing to that GIC.
 */
static uint32_t node_intid(const struct fdt *fdt, struct fdt_node node, const struct fdt_node *gic,
			   size_t index)
{
	struct fdt_node ctrl;
	struct fdt_prop prop;
	uint32_t cells;
	uint32_t entry;
	const uint8_t *spec;

	if (gic == NULL || !fdt_interrupt_parent(fdt, node, &ctrl, &cells) ||
	    ctrl.off != gic->off || cells < GIC_SPEC_MIN_CELLS)
		return 0;
	if (!fdt_get_prop(fdt, node, "interrupts", &prop))
		return 0;
	/* fdt_interrupt_parent() bounds cells, so this cannot overflow. */
	entry = cells * CELL_SIZE;
	if (index >= prop.len / entry)
		return 0;
	spec = prop.data + index * entry;
	return gic_intid(fdt_be32(spec), fdt_be32(spec + CELL_SIZE));
}

static void discover_model(const struct fdt *fdt, struct platform *out)
{
	struct fdt_prop prop;
	const uint8_t *nul;
	size_t len;

	if (!fdt_get_prop(fdt, fdt_root(fdt), "model", &prop))
		return;
	/* An unterminated or long model is cut; out->model was zeroed, so it stays a string. */
	nul = memchr(prop.data, 0, prop.len);
	len = nul != NULL ? (size_t)(nul - prop.data) : prop.len;
	if (len > PLATFORM_MODEL_MAX - 1)
		len = PLATFORM_MODEL_MAX - 1;
	memcpy(out->model, prop.data, len);
}

/* Memory nodes are the root's children with device_type "memory" (spec 3.4). */
static enum mica_error discover_memory(const struct fdt *fdt, struct platform *out,
				       const char **why)
{
	struct fdt_node root = fdt_root(fdt);
	struct fdt_cells cells = fdt_child_cells(fdt, root);
	struct fdt_node node;
	bool more;

	if (cells.address < 1 || cells.address > 2 || cells.size < 1 || cells.size > 2) {
		*why = "the root's #address-cells or #size-cells is not 1 or 2";
		return MICA_ERR_MALFORMED;
	}
	for (more = fdt_first_child(fdt, root, &node); more; more = fdt_next_sibling(fdt, &node)) {
		if (!has_device_type(fdt, node, "memory") || !fdt_is_enabled(fdt, node))
			continue;
		if (!append_reg(fdt, node, cells, out->mem, &out->mem_count, PLATFORM_MAX_MEM)) {
			*why = "a memory node's reg is malformed or wraps";
			return MICA_ERR_MALFORMED;
		}
	}
	return MICA_OK;
}

/*
 * Reserved memory: the memory reservation block (spec 5.3), then the
 * "reg" of each /reserved-memory child (spec 3.5). Children that only
 * ask for a dynamic allocation ("size", no "reg") reserve nothing yet.
 */
static enum mica_error discover_reserved(const struct fdt *fdt, struct platform *out,
					 const char **why)
{
	struct fdt_node parent;
	struct fdt_node node;
	struct fdt_cells cells;
	bool more;
	size_t i;

	for (i = 0; i < fdt->rsv_count; i++) {
		struct fdt_range r;

		if (!fdt_mem_rsv(fdt, i, &r) || r.size > UINT64_MAX - r.base) {
			*why = "a memory reservation block entry wraps";
			return MICA_ERR_MALFORMED;
		}
		if (r.size != 0 && out->reserved_count < PLATFORM_MAX_RESERVED) {
			out->reserved[out->reserved_count].base = r.base;
			out->reserved[out->reserved_count].size = r.size;
			out->reserved_count++;
		}
	}

	if (!find_path(fdt, "/reserved-memory", &parent))
		return MICA_OK;
	cells = fdt_child_cells(fdt, parent);
	for (more = fdt_first_child(fdt, parent, &node); more;
	     more = fdt_next_sibling(fdt, &node)) {
		if (!fdt_is_enabled(fdt, node))
			continue;
		if (!append_reg(fdt, node, cells, out->reserved, &out->reserved_count,
				PLATFORM_MAX_RESERVED)) {
			*why = "a /reserved-memory child's reg is malformed or wraps";
			return MICA_ERR_MALFORMED;
		}
	}
	return MICA_OK;
}

/*
 * Whether a CPU node's "status" says it failed. A "disabled" CPU is only
 * quiescent and can still be started through its enable-method (spec
 * 3.8.1), so it counts.
 */
static bool cpu_has_failed(const struct fdt *fdt, struct fdt_node node)
{
	struct fdt_prop prop;
	const char *status;

	if (!fdt_get_prop(fdt, node, "status", &prop))
		return false;
	status = fdt_prop_str(prop);
	return status != NULL && strncmp(status, "fail", strlen("fail")) == 0;
}

/* CPUs: /cpus children with device_type "cpu", whose "reg" is the MPIDR affinity. */
static enum mica_error discover_cpus(const struct fdt *fdt, struct platform *out, const char **why)
{
	struct fdt_node cpus;
	struct fdt_node node;
	struct fdt_cells cells;
	bool more;

	if (!find_path(fdt, "/cpus", &cpus))
		return MICA_OK;
	cells = fdt_child_cells(fdt, cpus);
	if (cells.address < 1 || cells.address > 2) {
		*why = "the /cpus #address-cells is not 1 or 2";
		return MICA_ERR_MALFORMED;
	}
	for (more = fdt_first_child(fdt, cpus, &node); more; more = fdt_next_sibling(fdt, &node)) {
		struct fdt_prop reg;
		struct fdt_range r;

		if (!has_device_type(fdt, node, "cpu") || cpu_has_failed(fdt, node))
			continue;
		if (!fdt_get_prop(fdt, node, "reg", &reg) || !fdt_reg_get(reg, cells, 0, &r)) {
			*why = "a CPU node has no reg the kernel can decode";
			return MICA_ERR_MALFORMED;
		}
		if (out->cpu_count < PLATFORM_MAX_CPUS)
			out->cpu_mpidr[out->cpu_count++] = r.base;
	}
	return MICA_OK;
}

/*
 * The GICv3: "reg" holds the distributor, then "#redistributor-regions"
 * (default 1) redistributor regions, then optional CPU interface regions
 * the kernel does not use (arm,gic-v3 binding). Sets *found and *gic.
 */
static enum mica_error discover_gic(const struct fdt *fdt, struct platform *out,
				    struct fdt_node *gic, bool *found, const char **why)
{
	struct fdt_prop reg;
	struct fdt_cells cells;
	uint32_t regions;
	size_t entries;
	size_t i;

	*found = find_device(fdt, "arm,gic-v3", gic);
	if (!*found)
		return MICA_OK;
	cells = fdt_reg_cells(fdt, *gic);
	if (!fdt_get_prop(fdt, *gic, "reg", &reg) || !fdt_reg_count(reg, cells, &entries) ||
	    entries < 1) {
		*why = "the GICv3 node has no reg the kernel can decode";
		return MICA_ERR_MALFORMED;
	}
	if (!fdt_get_u32(fdt, *gic, "#redistributor-regions", &regions))
		regions = 1;
	if (regions < 1 || regions > entries - 1) {
		*why = "the GICv3 reg lacks the redistributor regions it declares";
		return MICA_ERR_MALFORMED;
	}
	for (i = 0; i <= regions; i++) {
		struct fdt_range r;

		if (!fdt_reg_get(reg, cells, i, &r)) {
			*why = "a GICv3 reg range wraps";
			return MICA_ERR_MALFORMED;
		}
		if (i == 0) {
			out->gic_dist.base = r.base;
			out->gic_dist.size = r.size;
		} else if (out->gic_redist_count < PLATFORM_MAX_REDIST) {
			out->gic_redist[out->gic_redist_count].base = r.base;
			out->gic_redist[out->gic_redist_count].size = r.size;
			out->gic_redist_count++;
		}
	}
	out->gic_maintenance_intid = node_intid(fdt, *gic, gic, 0);
	return MICA_OK;
}

/*
 * The node /chosen's "stdout-path" names (spec 3.6): a path, or an alias
 * from /aliases (spec 3.3), either way up to an optional ":options".
 */
static bool find_stdout(const struct fdt *fdt, struct fdt_node *out)
{
	struct fdt_node chosen;
	struct fdt_node aliases;
	struct fdt_prop prop;
	const char *path;
	const char *colon;
	size_t len;

	if (!find_path(fdt, "/chosen", &chosen) || !fdt_get_prop(fdt, chosen, "stdout-path", &prop))
		return false;
	path = fdt_prop_str(prop);
	if (path == NULL)
		return false;
	len = strlen(path);
	colon = memchr(path, ':', len);
	if (colon != NULL)
		len = (size_t)(colon - path);
	if (len > 0 && path[0] == '/')
		return fdt_find_path(fdt, path, len, out);

	if (!find_path(fdt, "/aliases", &aliases) ||
	    !fdt_get_prop_n(fdt, aliases, path, len, &prop))
		return false;
	path = fdt_prop_str(prop);
	return path != NULL && find_path(fdt, path, out);
}

/* The console: the PL011 stdout-path names, else the first enabled PL011. */
static enum mica_error discover_uart(const struct fdt *fdt, struct platform *out,
				     const struct fdt_node *gic, const char **why)
{
	struct fdt_node uart;

	if (!find_stdout(fdt, &uart) || !fdt_is_compatible(fdt, uart, "arm,pl011") ||
	    !fdt_is_enabled(fdt, uart)) {
		if (!find_device(fdt, "arm,pl011", &uart))
			return MICA_OK;
	}
	if (!get_reg(fdt, uart, 0, &out->uart)) {
		*why = "the console PL011 has no reg the kernel can decode";
		return MICA_ERR_MALFORMED;
	}
	out->uart_intid = node_intid(fdt, uart, gic, 0);
	return MICA_OK;
}

static void discover_timer(const struct fdt *fdt, struct platform *out, const struct fdt_node *gic)
{
	struct fdt_node timer;

	if (!find_device(fdt, "arm,armv8-timer", &timer))
		return;
	out->timer_sec_phys_intid = node_intid(fdt, timer, gic, TIMER_IRQ_SEC_PHYS);
	out->timer_phys_intid = node_intid(fdt, timer, gic, TIMER_IRQ_PHYS);
	out->timer_virt_intid = node_intid(fdt, timer, gic, TIMER_IRQ_VIRT);
	out->timer_hyp_phys_intid = node_intid(fdt, timer, gic, TIMER_IRQ_HYP_PHYS);
}

/* Whether the node describes PSCI firmware of any version (arm,psci binding). */
static bool is_psci(const struct fdt *fdt, struct fdt_node node)
{
	return fdt_is_compatible(fdt, node, "arm,psci-1.0") ||
	       fdt_is_compatible(fdt, node, "arm,psci-0.2") ||
	       fdt_is_compatible(fdt, node, "arm,psci");
}

/* The PSCI conduit: "method" is "smc" or "hvc" (arm,psci binding). */
static void discover_psci(const struct fdt *fdt, struct platform *out)
{
	struct fdt_node n = fdt_root(fdt);
	struct fdt_prop prop;
	const char *method;

	do {
		if (!is_psci(fdt, n) || !fdt_is_enabled(fdt, n))
			continue;
		if (!fdt_get_prop(fdt, n, "method", &prop))
			return;
		method = fdt_prop_str(prop);
		if (method != NULL && strcmp(method, "smc") == 0)
			out->psci = PSCI_CONDUIT_SMC;
		else if (method != NULL && strcmp(method, "hvc") == 0)
			out->psci = PSCI_CONDUIT_HVC;
		return;
	} while (fdt_next_node(fdt, &n));
}

enum mica_error platform_discover(const void *fdt, size_t max_size, struct platform *out,
				  const char **why)
{
	struct fdt tree;
	struct fdt_node gic;
	bool has_gic;
	const char *reason = "the device tree was rejected";
	enum mica_error err;

	memset(out, 0, sizeof(*out));
	err = fdt_init(&tree, fdt, max_size, &reason);
	if (err != MICA_OK)
		goto out;
	err = discover_memory(&tree, out, &reason);
	if (err != MICA_OK)
		goto out;
	err = discover_reserved(&tree, out, &reason);
	if (err != MICA_OK)
		goto out;
	err = discover_cpus(&tree, out, &reason);
	if (err != MICA_OK)
		goto out;
	err = discover_gic(&tree, out, &gic, &has_gic, &reason);
	if (err != MICA_OK)
		goto out;
	err = discover_uart(&tree, out, has_gic ? &gic : NULL, &reason);
	if (err != MICA_OK)
		goto out;
	discover_model(&tree, out);
	out->fdt_size = tree.total_size;
	discover_timer(&tree, out, has_gic ? &gic : NULL);
	discover_psci(&tree, out);

	/* Checked last, so that a malformed tree is reported as that first. */
	if (out->mem_count == 0) {
		reason = "the device tree has no memory node with a usable range";
		err = MICA_ERR_NOT_FOUND;
	}
out:
	if (err != MICA_OK)
		memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = err == MICA_OK ? NULL : reason;
	return err;
}
