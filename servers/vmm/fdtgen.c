/*
 * Generating the guest's device tree (see fdtgen.h).
 *
 * The tree, in the order libfdt's sequential writer emits it (every node's
 * properties before its children):
 *
 *   /                 model, compatible "mica,vm", #address-cells = 2,
 *                     #size-cells = 2, interrupt-parent = <&gic>
 *   /psci             compatible "arm,psci-1.0", "arm,psci-0.2", "arm,psci";
 *                     method "hvc"; cpu_on, cpu_off (the 0.1 binding's IDs)
 *   /memory@BASE      device_type "memory", reg; one per RAM range
 *   /cpus             #address-cells 1 (2 if some MPIDR has Aff3), #size-cells 0
 *   /cpus/cpu@MPIDR   device_type "cpu", compatible "arm,armv8", reg = MPIDR,
 *                     enable-method "psci"
 *   /intc@DIST        compatible "arm,gic-v3", #interrupt-cells 3,
 *                     interrupt-controller, #address-cells 0, reg = <dist redist>,
 *                     #redistributor-regions 1, interrupts = maintenance
 *                     PPI, phandle
 *   /timer            compatible "arm,armv8-timer", interrupts = secure,
 *                     non-secure, virtual, hypervisor PPIs
 *   /apb-pclk         a fixed-clock, 24 MHz, when some device names a clock
 *                     (a PL011 names it as uartclk and apb_pclk; the AMBA
 *                     bus will not probe a primecell without apb_pclk)
 *   /NAME@BASE        one per device, in the order given: compatible, reg,
 *                     interrupts (if it has one), clocks (the fixed clock
 *                     once per name) and clock-names (if it names clocks),
 *                     then its own properties. The PL011 server declares
 *                     /pl011@BASE, "arm,pl011", "arm,primecell" and two
 *                     clocks; the virtio ones /virtio_mmio@BASE,
 *                     "virtio,mmio" and dma-coherent (the device is software
 *                     that reads guest RAM through cacheable mappings, so
 *                     the guest must not treat its DMA as non-coherent)
 *   /chosen           bootargs, linux,initrd-start/-end, stdout-path (the
 *                     first device marked as the console)
 *
 * Interrupt specifiers are the GIC binding's three cells: SPI (0) or PPI
 * (1), the number within that class, and the trigger type; PPIs are level
 * high.
 */
#include "fdtgen.h"

#include <libfdt.h>
#include <string.h>

#define MPIDR_AFFINITY_MASK UINT64_C(0xff00ffffff)
#define MPIDR_AFF3_MASK	    UINT64_C(0xff00000000)
#define MAX_PPI		    15u
#define MAX_SPI		    987u /* INTID 1019, the last SPI. */
#define NAME_MAX_LEN	    48u

/* A sequential writer that remembers its first error and then does nothing. */
struct writer {
	void *fdt;
	int err;
};

static void begin(struct writer *w, const char *name)
{
	if (w->err == 0)
		w->err = fdt_begin_node(w->fdt, name);
}

static void end(struct writer *w)
{
	if (w->err == 0)
		w->err = fdt_end_node(w->fdt);
}

static void prop(struct writer *w, const char *name, const void *val, int len)
{
	if (w->err == 0)
		w->err = fdt_property(w->fdt, name, val, len);
}

static void prop_u32(struct writer *w, const char *name, uint32_t val)
{
	fdt32_t cell = cpu_to_fdt32(val);

	prop(w, name, &cell, (int)sizeof(cell));
}

static void prop_u64(struct writer *w, const char *name, uint64_t val)
{
	fdt64_t cells = cpu_to_fdt64(val);

	prop(w, name, &cells, (int)sizeof(cells));
}

static void prop_string(struct writer *w, const char *name, const char *s)
{
	if (w->err == 0)
		w->err = fdt_property_string(w->fdt, name, s);
}

/* A reg of one or two ranges, two cells each for address and size. */
static void prop_reg(struct writer *w, const struct fdtgen_range *ranges, size_t count)
{
	fdt64_t cells[4];

	for (size_t i = 0; i < count && i < 2; i++) {
		cells[2 * i] = cpu_to_fdt64(ranges[i].base);
		cells[2 * i + 1] = cpu_to_fdt64(ranges[i].size);
	}
	prop(w, "reg", cells, (int)(count * 2 * sizeof(cells[0])));
}

static void prop_irq(struct writer *w, unsigned kind, unsigned number, unsigned type)
{
	fdt32_t cells[3] = {cpu_to_fdt32(kind), cpu_to_fdt32(number), cpu_to_fdt32(type)};

	prop(w, "interrupts", cells, (int)sizeof(cells));
}

/* "prefix@addr" (lower-case hex) into buf, which holds NAME_MAX_LEN bytes. */
static void unit_name(char *buf, const char *prefix, uint64_t addr)
{
	char digits[16];
	unsigned n = 0;
	size_t len = strlen(prefix);

	/* Room for '@', 16 digits and the NUL. */
	if (len > NAME_MAX_LEN - 18u)
		len = NAME_MAX_LEN - 18u;
	memcpy(buf, prefix, len);
	buf[len++] = '@';
	do {
		digits[n++] = "0123456789abcdef"[addr & 0xfu];
		addr >>= 4;
	} while (addr != 0);
	while (n > 0)
		buf[len++] = digits[--n];
	buf[len] = '\0';
}

static bool is_range_ok(const struct fdtgen_range *r)
{
	return r->size != 0 && r->base <= UINT64_MAX - r->size;
}

/* The strings in a list of len bytes: 0 unless every one is terminated. */
static unsigned list_count(const char *list, size_t len)
{
	unsigned count = 0;

	if (list == NULL || len == 0 || list[len - 1] != '\0')
		return 0;
	for (size_t i = 0; i < len; i++)
		count += list[i] == '\0';
	return count;
}

static bool is_device_ok(const struct fdtgen_device *d)
{
	if (d->name == NULL || d->name[0] == '\0' ||
	    list_count(d->compatible, d->compatible_len) == 0 || !is_range_ok(&d->reg) ||
	    d->prop_count > FDTGEN_MAX_PROPS)
		return false;
	if (d->irq_type != FDTGEN_IRQ_NONE &&
	    ((d->irq_type != FDTGEN_IRQ_EDGE_RISING && d->irq_type != FDTGEN_IRQ_LEVEL_HIGH) ||
	     d->spi > MAX_SPI))
		return false;
	if (d->clock_names_len != 0 &&
	    (list_count(d->clock_names, d->clock_names_len) == 0 ||
	     list_count(d->clock_names, d->clock_names_len) > FDTGEN_MAX_CLOCKS))
		return false;
	for (unsigned i = 0; i < d->prop_count; i++) {
		if (d->props[i].name == NULL ||
		    (d->props[i].length > 0 && d->props[i].value == NULL))
			return false;
	}
	return true;
}

static bool is_desc_ok(const struct fdtgen_desc *d)
{
	const struct fdtgen_timer *t = &d->timer;

	if (d->ram_count == 0 || d->ram_count > FDTGEN_MAX_RAM || d->cpu_count == 0 ||
	    d->cpu_count > FDTGEN_MAX_CPUS || d->device_count > FDTGEN_MAX_DEVICES)
		return false;
	for (unsigned i = 0; i < d->ram_count; i++) {
		if (!is_range_ok(&d->ram[i]))
			return false;
	}
	for (unsigned i = 0; i < d->cpu_count; i++) {
		if (d->cpu_mpidrs[i] & ~MPIDR_AFFINITY_MASK)
			return false;
		for (unsigned j = 0; j < i; j++) {
			if (d->cpu_mpidrs[j] == d->cpu_mpidrs[i])
				return false;
		}
	}
	if (!is_range_ok(&d->gic.dist) || !is_range_ok(&d->gic.redist) ||
	    d->gic.maintenance_ppi > MAX_PPI)
		return false;
	if (t->secure_ppi > MAX_PPI || t->nonsecure_ppi > MAX_PPI || t->virtual_ppi > MAX_PPI ||
	    t->hyp_ppi > MAX_PPI)
		return false;
	for (unsigned i = 0; i < d->device_count; i++) {
		if (!is_device_ok(&d->devices[i]))
			return false;
	}
	return !d->has_initrd || d->initrd_end >= d->initrd_start;
}

static void write_psci(struct writer *w, const struct fdtgen_desc *d)
{
	static const char compatible[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";

	begin(w, "psci");
	prop(w, "compatible", compatible, (int)sizeof(compatible));
	prop_string(w, "method", "hvc");
	prop_u32(w, "cpu_on", d->psci.cpu_on);
	prop_u32(w, "cpu_off", d->psci.cpu_off);
	end(w);
}

static void write_memory(struct writer *w, const struct fdtgen_desc *d)
{
	char name[NAME_MAX_LEN];

	for (unsigned i = 0; i < d->ram_count; i++) {
		unit_name(name, "memory", d->ram[i].base);
		begin(w, name);
		prop_string(w, "device_type", "memory");
		prop_reg(w, &d->ram[i], 1);
		end(w);
	}
}

static void write_cpus(struct writer *w, const struct fdtgen_desc *d)
{
	char name[NAME_MAX_LEN];
	bool has_aff3 = false;

	for (unsigned i = 0; i < d->cpu_count; i++)
		has_aff3 = has_aff3 || (d->cpu_mpidrs[i] & MPIDR_AFF3_MASK) != 0;
	begin(w, "cpus");
	prop_u32(w, "#address-cells", has_aff3 ? 2 : 1);
	prop_u32(w, "#size-cells", 0);
	for (unsigned i = 0; i < d->cpu_count; i++) {
		unit_name(name, "cpu", d->cpu_mpidrs[i]);
		begin(w, name);
		prop_string(w, "device_type", "cpu");
		prop_string(w, "compatible", "arm,armv8");
		if (has_aff3)
			prop_u64(w, "reg", d->cpu_mpidrs[i]);
		else
			prop_u32(w, "reg", (uint32_t)d->cpu_mpidrs[i]);
		prop_string(w, "enable-method", "psci");
		end(w);
	}
	end(w);
}

static void write_gic(struct writer *w, const struct fdtgen_desc *d)
{
	struct fdtgen_range regs[2] = {d->gic.dist, d->gic.redist};
	char name[NAME_MAX_LEN];

	unit_name(name, "intc", d->gic.dist.base);
	begin(w, name);
	prop_string(w, "compatible", "arm,gic-v3");
	prop_u32(w, "#interrupt-cells", 3);
	prop(w, "interrupt-controller", NULL, 0);
	/* No children (no ITS); interrupt-map parsing reads this. */
	prop_u32(w, "#address-cells", 0);
	prop_reg(w, regs, 2);
	prop_u32(w, "#redistributor-regions", 1);
	prop_irq(w, FDTGEN_IRQ_PPI, d->gic.maintenance_ppi, FDTGEN_IRQ_LEVEL_HIGH);
	prop_u32(w, "phandle", FDTGEN_PHANDLE_GIC);
	end(w);
}

static void write_timer(struct writer *w, const struct fdtgen_desc *d)
{
	const unsigned ppis[4] = {d->timer.secure_ppi, d->timer.nonsecure_ppi, d->timer.virtual_ppi,
				  d->timer.hyp_ppi};
	fdt32_t cells[12];

	for (size_t i = 0; i < 4; i++) {
		cells[3 * i] = cpu_to_fdt32(FDTGEN_IRQ_PPI);
		cells[3 * i + 1] = cpu_to_fdt32(ppis[i]);
		cells[3 * i + 2] = cpu_to_fdt32(FDTGEN_IRQ_LEVEL_HIGH);
	}
	begin(w, "timer");
	prop_string(w, "compatible", "arm,armv8-timer");
	prop(w, "interrupts", cells, (int)sizeof(cells));
	end(w);
}

/* The guest's one clock, which devices' clocks properties name by its phandle. */
static void write_clock(struct writer *w)
{
	begin(w, "apb-pclk");
	prop_string(w, "compatible", "fixed-clock");
	prop_u32(w, "#clock-cells", 0);
	prop_u32(w, "clock-frequency", FDTGEN_CLOCK_HZ);
	prop_string(w, "clock-output-names", "clk24mhz");
	prop_u32(w, "phandle", FDTGEN_PHANDLE_CLOCK);
	end(w);
}

/* Device d's node; path gets its path if it is the first console (path still empty). */
static void write_device(struct writer *w, const struct fdtgen_device *d, char *path)
{
	char name[NAME_MAX_LEN];

	unit_name(name, d->name, d->reg.base);
	begin(w, name);
	prop(w, "compatible", d->compatible, (int)d->compatible_len);
	prop_reg(w, &d->reg, 1);
	if (d->irq_type != FDTGEN_IRQ_NONE)
		prop_irq(w, FDTGEN_IRQ_SPI, d->spi, d->irq_type);
	if (d->clock_names_len != 0) {
		fdt32_t clocks[FDTGEN_MAX_CLOCKS];
		unsigned count = list_count(d->clock_names, d->clock_names_len);

		for (unsigned i = 0; i < count; i++)
			clocks[i] = cpu_to_fdt32(FDTGEN_PHANDLE_CLOCK);
		prop(w, "clocks", clocks, (int)(count * sizeof(clocks[0])));
		prop(w, "clock-names", d->clock_names, (int)d->clock_names_len);
	}
	for (unsigned i = 0; i < d->prop_count; i++)
		prop(w, d->props[i].name, d->props[i].value, (int)d->props[i].length);
	end(w);
	if (d->is_stdout && path[0] == '\0') {
		path[0] = '/';
		memcpy(path + 1, name, strlen(name) + 1);
	}
}

static void write_devices(struct writer *w, const struct fdtgen_desc *d, char *stdout_path)
{
	bool has_clocks = false;

	for (unsigned i = 0; i < d->device_count; i++)
		has_clocks = has_clocks || d->devices[i].clock_names_len != 0;
	if (has_clocks)
		write_clock(w);
	for (unsigned i = 0; i < d->device_count; i++)
		write_device(w, &d->devices[i], stdout_path);
}

static void write_chosen(struct writer *w, const struct fdtgen_desc *d, const char *stdout_path)
{
	begin(w, "chosen");
	if (d->bootargs != NULL && d->bootargs[0] != '\0')
		prop_string(w, "bootargs", d->bootargs);
	if (d->has_initrd) {
		prop_u64(w, "linux,initrd-start", d->initrd_start);
		prop_u64(w, "linux,initrd-end", d->initrd_end);
	}
	if (stdout_path[0] != '\0')
		prop_string(w, "stdout-path", stdout_path);
	end(w);
}

enum mica_error fdtgen_build(const struct fdtgen_desc *desc, void *buf, size_t size,
			     size_t *dtb_size)
{
	struct writer w = {.fdt = buf, .err = 0};
	char stdout_path[NAME_MAX_LEN + 1] = "";

	if (desc == NULL || buf == NULL || !is_desc_ok(desc))
		return MICA_ERR_INVALID_ARGUMENT;
	if (size > INT32_MAX)
		size = INT32_MAX;
	w.err = fdt_create(buf, (int)size);
	if (w.err == 0)
		w.err = fdt_finish_reservemap(buf);
	begin(&w, "");
	prop_string(&w, "model", "Mica VM");
	prop_string(&w, "compatible", "mica,vm");
	prop_u32(&w, "#address-cells", 2);
	prop_u32(&w, "#size-cells", 2);
	prop_u32(&w, "interrupt-parent", FDTGEN_PHANDLE_GIC);
	write_psci(&w, desc);
	write_memory(&w, desc);
	write_cpus(&w, desc);
	write_gic(&w, desc);
	write_timer(&w, desc);
	write_devices(&w, desc, stdout_path);
	write_chosen(&w, desc, stdout_path);
	end(&w);
	if (w.err == 0)
		w.err = fdt_finish(buf);
	if (w.err == -FDT_ERR_NOSPACE)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (w.err != 0)
		return MICA_ERR_INVALID_ARGUMENT;
	*dtb_size = fdt_totalsize(buf);
	return MICA_OK;
}
