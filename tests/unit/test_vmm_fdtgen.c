/*
 * Unit tests for servers/vmm/fdtgen.c: the guest's device tree is built
 * from a description of a QEMU virt-like VM, then read back with the
 * host's libfdt, node by node and property by property.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libfdt.h>

#include "fdtgen.h"

#define BUF_SIZE 16384

static uint8_t dtb[BUF_SIZE];
static size_t dtb_size;

/* The devices as their servers declare them (the servers in servers/vdev). */
static const char pl011_compatible[] = "arm,pl011\0arm,primecell";
static const char pl011_clocks[] = "uartclk\0apb_pclk";
static const char pl031_compatible[] = "arm,pl031\0arm,primecell";
static const char pl031_clocks[] = "apb_pclk";
static const char virtio_compatible[] = "virtio,mmio";
static const uint8_t cells[8] = {0, 0, 0, 1, 0xca, 0xfe, 0xf0, 0x0d};

static struct fdtgen_device pl011(uint64_t base, unsigned spi)
{
	return (struct fdtgen_device){.name = "pl011",
				      .compatible = pl011_compatible,
				      .compatible_len = sizeof(pl011_compatible),
				      .reg = {base, 0x1000},
				      .spi = spi,
				      .irq_type = FDTGEN_IRQ_LEVEL_HIGH,
				      .clock_names = pl011_clocks,
				      .clock_names_len = sizeof(pl011_clocks),
				      .is_stdout = true};
}

static struct fdtgen_device virtio(uint64_t base, unsigned spi)
{
	return (struct fdtgen_device){.name = "virtio_mmio",
				      .compatible = virtio_compatible,
				      .compatible_len = sizeof(virtio_compatible),
				      .reg = {base, 0x200},
				      .spi = spi,
				      .irq_type = FDTGEN_IRQ_EDGE_RISING,
				      .props = {{"dma-coherent", NULL, 0}},
				      .prop_count = 1};
}

static struct fdtgen_desc virt_desc(void)
{
	struct fdtgen_desc d = {
		.ram = {{0x40000000, 0x10000000}},
		.ram_count = 1,
		.cpu_mpidrs = {0x0, 0x1},
		.cpu_count = 2,
		.gic = {.dist = {0x08000000, 0x10000},
			.redist = {0x080a0000, 0x40000},
			.maintenance_ppi = 9},
		.timer = {.secure_ppi = 13, .nonsecure_ppi = 14, .virtual_ppi = 11, .hyp_ppi = 10},
		.psci = {.cpu_on = 0xc4000003, .cpu_off = 0x84000002},
		.devices = {pl011(0x09000000, 1),
			    virtio(0x0a000000, 16),
			    virtio(0x0a000200, 17),
			    {.name = "pl031",
			     .compatible = pl031_compatible,
			     .compatible_len = sizeof(pl031_compatible),
			     .reg = {0x09010000, 0x1000},
			     .spi = 2,
			     .irq_type = FDTGEN_IRQ_LEVEL_HIGH,
			     .clock_names = pl031_clocks,
			     .clock_names_len = sizeof(pl031_clocks)},
			    /* A passthrough region's: no interrupt, no clock, a property. */
			    {.name = "scratch",
			     .compatible = "mica,scratch\0generic",
			     .compatible_len = sizeof("mica,scratch\0generic"),
			     .reg = {0x80000000, 0x4000},
			     .props = {{"mica,cells", cells, sizeof(cells)}},
			     .prop_count = 1}},
		.device_count = 5,
		.bootargs = "console=ttyAMA0 earlycon",
		.has_initrd = true,
		.initrd_start = 0x48000000,
		.initrd_end = 0x48100000,
	};

	return d;
}

static void build(const struct fdtgen_desc *d)
{
	memset(dtb, 0xa5, sizeof(dtb));
	assert_int_equal(fdtgen_build(d, dtb, sizeof(dtb), &dtb_size), MICA_OK);
	assert_int_equal(fdt_check_header(dtb), 0);
}

static int setup(void **state)
{
	struct fdtgen_desc d = virt_desc();

	build(&d);
	return 0;
}

static int node(const char *path)
{
	int off = fdt_path_offset(dtb, path);

	if (off < 0)
		fail_msg("no node %s", path);
	return off;
}

static const uint8_t *prop(const char *path, const char *name, int *len)
{
	const void *p = fdt_getprop(dtb, node(path), name, len);

	if (p == NULL)
		fail_msg("no property %s in %s", name, path);
	return p;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t prop_u32(const char *path, const char *name)
{
	int len;
	const uint8_t *p = prop(path, name, &len);

	assert_int_equal(len, 4);
	return be32(p);
}

static void assert_string_prop(const char *path, const char *name, const char *want)
{
	int len;
	const uint8_t *p = prop(path, name, &len);

	assert_int_equal(len, strlen(want) + 1);
	assert_string_equal((const char *)p, want);
}

static void assert_cells(const char *path, const char *name, const uint32_t *want, unsigned count)
{
	int len;
	const uint8_t *p = prop(path, name, &len);

	assert_int_equal(len, count * 4);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(be32(p + 4 * i), want[i]);
}

static bool has_prop(const char *path, const char *name)
{
	return fdt_getprop(dtb, node(path), name, NULL) != NULL;
}

static void test_the_dtb_is_valid_and_reports_its_size(void **state)
{
	assert_int_equal(fdt_totalsize(dtb), dtb_size);
	assert_true(dtb_size < sizeof(dtb));
	assert_int_equal(fdt_num_mem_rsv(dtb), 0);
}

static void test_root_has_two_cell_addresses_and_the_gic_as_interrupt_parent(void **state)
{
	int gic;

	assert_int_equal(prop_u32("/", "#address-cells"), 2);
	assert_int_equal(prop_u32("/", "#size-cells"), 2);
	gic = fdt_node_offset_by_phandle(dtb, prop_u32("/", "interrupt-parent"));
	assert_int_equal(gic, node("/intc@8000000"));
	assert_int_equal(fdt_node_check_compatible(dtb, node("/"), "mica,vm"), 0);
}

static void test_memory_nodes_carry_device_type_and_reg(void **state)
{
	struct fdtgen_desc d = virt_desc();
	int len;
	const uint8_t *reg;

	assert_string_prop("/memory@40000000", "device_type", "memory");
	reg = prop("/memory@40000000", "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(be64(reg), 0x40000000);
	assert_int_equal(be64(reg + 8), 0x10000000);

	d.ram[1] = (struct fdtgen_range){UINT64_C(0x100000000), UINT64_C(0x80000000)};
	d.ram_count = 2;
	build(&d);
	reg = prop("/memory@100000000", "reg", &len);
	assert_int_equal(be64(reg), UINT64_C(0x100000000));
	assert_int_equal(be64(reg + 8), UINT64_C(0x80000000));
}

static void test_cpus_have_their_mpidr_and_the_psci_enable_method(void **state)
{
	assert_int_equal(prop_u32("/cpus", "#address-cells"), 1);
	assert_int_equal(prop_u32("/cpus", "#size-cells"), 0);
	assert_int_equal(prop_u32("/cpus/cpu@0", "reg"), 0);
	assert_int_equal(prop_u32("/cpus/cpu@1", "reg"), 1);
	assert_string_prop("/cpus/cpu@1", "device_type", "cpu");
	assert_string_prop("/cpus/cpu@1", "enable-method", "psci");
	assert_int_equal(fdt_node_check_compatible(dtb, node("/cpus/cpu@0"), "arm,armv8"), 0);
	assert_int_equal(fdt_path_offset(dtb, "/cpus/cpu@2"), -FDT_ERR_NOTFOUND);
}

static void test_cpus_take_two_address_cells_when_an_mpidr_has_aff3(void **state)
{
	struct fdtgen_desc d = virt_desc();
	int len;
	const uint8_t *reg;

	d.cpu_mpidrs[1] = UINT64_C(0x0100000100);
	build(&d);
	assert_int_equal(prop_u32("/cpus", "#address-cells"), 2);
	reg = prop("/cpus/cpu@100000100", "reg", &len);
	assert_int_equal(len, 8);
	assert_int_equal(be64(reg), UINT64_C(0x0100000100));
}

static void test_psci_uses_hvc_with_1_0_and_0_2_compatibles(void **state)
{
	int psci = node("/psci");

	assert_int_equal(fdt_node_check_compatible(dtb, psci, "arm,psci-1.0"), 0);
	assert_int_equal(fdt_node_check_compatible(dtb, psci, "arm,psci-0.2"), 0);
	assert_int_equal(fdt_node_check_compatible(dtb, psci, "arm,psci"), 0);
	assert_string_prop("/psci", "method", "hvc");
	assert_int_equal(prop_u32("/psci", "cpu_on"), 0xc4000003);
	assert_int_equal(prop_u32("/psci", "cpu_off"), 0x84000002);
}

static void test_gic_is_a_gicv3_with_distributor_and_redistributors(void **state)
{
	static const uint32_t maintenance[] = {1, 9, 4};
	const char *gic = "/intc@8000000";
	int len;
	const uint8_t *reg;

	assert_int_equal(fdt_node_check_compatible(dtb, node(gic), "arm,gic-v3"), 0);
	assert_int_equal(prop_u32(gic, "#interrupt-cells"), 3);
	assert_true(has_prop(gic, "interrupt-controller"));
	assert_int_equal(prop_u32(gic, "#address-cells"), 0);
	assert_int_equal(prop_u32(gic, "#redistributor-regions"), 1);
	reg = prop(gic, "reg", &len);
	assert_int_equal(len, 32);
	assert_int_equal(be64(reg), 0x08000000);
	assert_int_equal(be64(reg + 8), 0x10000);
	assert_int_equal(be64(reg + 16), 0x080a0000);
	assert_int_equal(be64(reg + 24), 0x40000);
	assert_cells(gic, "interrupts", maintenance, 3);
	assert_int_equal(fdt_get_phandle(dtb, node(gic)), FDTGEN_PHANDLE_GIC);
}

static void test_timer_lists_its_four_ppis_in_binding_order(void **state)
{
	static const uint32_t ppis[] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4};

	assert_int_equal(fdt_node_check_compatible(dtb, node("/timer"), "arm,armv8-timer"), 0);
	assert_cells("/timer", "interrupts", ppis, 12);
}

static void test_pl011_is_a_primecell_with_its_clocks_and_spi(void **state)
{
	static const uint32_t irq[] = {0, 1, 4};
	const char *uart = "/pl011@9000000";
	int len;
	const uint8_t *p;
	int clock;

	assert_int_equal(fdt_node_check_compatible(dtb, node(uart), "arm,pl011"), 0);
	assert_int_equal(fdt_node_check_compatible(dtb, node(uart), "arm,primecell"), 0);
	p = prop(uart, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(be64(p), 0x09000000);
	assert_int_equal(be64(p + 8), 0x1000);
	assert_cells(uart, "interrupts", irq, 3);
	p = prop(uart, "clock-names", &len);
	assert_int_equal(len, sizeof("uartclk\0apb_pclk"));
	assert_memory_equal(p, "uartclk\0apb_pclk", len);
	p = prop(uart, "clocks", &len);
	assert_int_equal(len, 8);
	assert_int_equal(be32(p), be32(p + 4));
	clock = fdt_node_offset_by_phandle(dtb, be32(p));
	assert_true(clock >= 0);
	assert_int_equal(fdt_node_check_compatible(dtb, clock, "fixed-clock"), 0);
	assert_int_equal(be32(fdt_getprop(dtb, clock, "clock-frequency", NULL)), FDTGEN_CLOCK_HZ);
	assert_int_equal(be32(fdt_getprop(dtb, clock, "#clock-cells", NULL)), 0);
	assert_int_equal(clock, node("/apb-pclk"));
}

/* The names of node's properties, in the order the tree holds them, "," after each. */
static void assert_property_order(const char *path, const char *want)
{
	char got[256] = "";
	size_t len = 0;
	int off;

	fdt_for_each_property_offset(off, dtb, node(path))
	{
		const char *name = NULL;
		int n;

		assert_non_null(fdt_getprop_by_offset(dtb, off, &name, NULL));
		n = snprintf(got + len, sizeof(got) - len, "%s,", name);
		assert_true(n > 0 && (size_t)n < sizeof(got) - len);
		len += (size_t)n;
	}
	assert_string_equal(got, want);
}

static void test_device_properties_come_in_a_fixed_order(void **state)
{
	assert_property_order("/pl011@9000000", "compatible,reg,interrupts,clocks,clock-names,");
	assert_property_order("/virtio_mmio@a000000", "compatible,reg,interrupts,dma-coherent,");
	assert_property_order("/pl031@9010000", "compatible,reg,interrupts,clocks,clock-names,");
	assert_property_order("/scratch@80000000", "compatible,reg,mica,cells,");
}

static void test_a_pl031_names_the_clock_once_as_apb_pclk(void **state)
{
	static const uint32_t irq[] = {0, 2, 4};
	const char *rtc = "/pl031@9010000";
	int len;
	const uint8_t *p;

	assert_int_equal(fdt_node_check_compatible(dtb, node(rtc), "arm,pl031"), 0);
	assert_int_equal(fdt_node_check_compatible(dtb, node(rtc), "arm,primecell"), 0);
	assert_cells(rtc, "interrupts", irq, 3);
	assert_string_prop(rtc, "clock-names", "apb_pclk");
	p = prop(rtc, "clocks", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt_node_offset_by_phandle(dtb, be32(p)), node("/apb-pclk"));
}

static void test_a_device_is_written_as_declared(void **state)
{
	const char *scratch = "/scratch@80000000";
	int len;
	const uint8_t *p = prop(scratch, "compatible", &len);

	assert_int_equal(len, sizeof("mica,scratch\0generic"));
	assert_memory_equal(p, "mica,scratch\0generic", len);
	assert_false(has_prop(scratch, "interrupts"));
	assert_false(has_prop(scratch, "clocks"));
	assert_false(has_prop(scratch, "clock-names"));
	p = prop(scratch, "mica,cells", &len);
	assert_int_equal(len, sizeof(cells));
	assert_memory_equal(p, cells, sizeof(cells));
	p = prop(scratch, "reg", &len);
	assert_int_equal(be64(p), 0x80000000);
	assert_int_equal(be64(p + 8), 0x4000);
}

static void test_the_clock_is_there_only_when_a_device_names_one(void **state)
{
	struct fdtgen_desc d = virt_desc();

	d.devices[0] = d.devices[1];
	d.devices[1] = d.devices[4];
	d.device_count = 2;
	build(&d);
	assert_int_equal(fdt_path_offset(dtb, "/apb-pclk"), -FDT_ERR_NOTFOUND);
	assert_true(has_prop("/virtio_mmio@a000000", "dma-coherent"));
	assert_false(has_prop("/chosen", "stdout-path"));
}

static void test_stdout_path_names_the_first_console(void **state)
{
	struct fdtgen_desc d = virt_desc();
	const char *p;

	d.devices[1] = pl011(0x09001000, 3);
	build(&d);
	p = fdt_getprop(dtb, node("/chosen"), "stdout-path", NULL);
	assert_string_equal(p, "/pl011@9000000");
	d.devices[0].is_stdout = false;
	build(&d);
	p = fdt_getprop(dtb, node("/chosen"), "stdout-path", NULL);
	assert_string_equal(p, "/pl011@9001000");
}

static void test_virtio_nodes_have_reg_interrupts_and_dma_coherent(void **state)
{
	static const uint32_t irq0[] = {0, 16, 1};
	static const uint32_t irq1[] = {0, 17, 1};
	int len;
	const uint8_t *reg;

	assert_int_equal(
		fdt_node_check_compatible(dtb, node("/virtio_mmio@a000000"), "virtio,mmio"), 0);
	reg = prop("/virtio_mmio@a000200", "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(be64(reg), 0x0a000200);
	assert_int_equal(be64(reg + 8), 0x200);
	assert_cells("/virtio_mmio@a000000", "interrupts", irq0, 3);
	assert_cells("/virtio_mmio@a000200", "interrupts", irq1, 3);
	assert_true(has_prop("/virtio_mmio@a000000", "dma-coherent"));
}

static void test_chosen_has_bootargs_initrd_and_stdout_path(void **state)
{
	int len;
	const uint8_t *p;

	assert_string_prop("/chosen", "bootargs", "console=ttyAMA0 earlycon");
	p = prop("/chosen", "linux,initrd-start", &len);
	assert_int_equal(len, 8);
	assert_int_equal(be64(p), 0x48000000);
	p = prop("/chosen", "linux,initrd-end", &len);
	assert_int_equal(len, 8);
	assert_int_equal(be64(p), 0x48100000);
	p = prop("/chosen", "stdout-path", &len);
	assert_int_equal(fdt_path_offset(dtb, (const char *)p), node("/pl011@9000000"));
}

static void test_chosen_omits_what_the_description_lacks(void **state)
{
	struct fdtgen_desc d = virt_desc();

	d.has_initrd = false;
	d.bootargs = NULL;
	d.device_count = 0;
	build(&d);
	assert_false(has_prop("/chosen", "bootargs"));
	assert_false(has_prop("/chosen", "linux,initrd-start"));
	assert_false(has_prop("/chosen", "stdout-path"));
	assert_int_equal(fdt_path_offset(dtb, "/pl011@9000000"), -FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(dtb, "/apb-pclk"), -FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(dtb, "/virtio_mmio@a000000"), -FDT_ERR_NOTFOUND);
	d.bootargs = "";
	build(&d);
	assert_false(has_prop("/chosen", "bootargs"));
}

static void test_a_buffer_too_small_is_not_enough_memory(void **state)
{
	struct fdtgen_desc d = virt_desc();
	size_t need = dtb_size;
	size_t out = 12345;
	uint8_t *exact = malloc(need);
	uint8_t *small = malloc(need - 1);

	assert_int_equal(fdtgen_build(&d, small, need - 1, &out), MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_int_equal(fdtgen_build(&d, small, 16, &out), MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_int_equal(fdtgen_build(&d, small, 0, &out), MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_int_equal(out, 12345);
	assert_int_equal(fdtgen_build(&d, exact, need, &out), MICA_OK);
	assert_int_equal(out, need);
	assert_memory_equal(exact, dtb, need);
	free(exact);
	free(small);
}

static void test_bad_descriptions_are_rejected(void **state)
{
	struct fdtgen_desc d;
	size_t out;

#define REJECT(change)                                                                             \
	do {                                                                                       \
		d = virt_desc();                                                                   \
		change;                                                                            \
		assert_int_equal(fdtgen_build(&d, dtb, sizeof(dtb), &out),                         \
				 MICA_ERR_INVALID_ARGUMENT);                                       \
	} while (0)

	REJECT(d.ram_count = 0);
	REJECT(d.ram_count = FDTGEN_MAX_RAM + 1);
	REJECT(d.ram[0].size = 0);
	REJECT(d.ram[0].base = UINT64_MAX - 0x1000);
	REJECT(d.cpu_count = 0);
	REJECT(d.cpu_count = FDTGEN_MAX_CPUS + 1);
	REJECT(d.cpu_mpidrs[1] = 0x0);
	REJECT(d.cpu_mpidrs[1] = UINT64_C(0x80000000));
	REJECT(d.gic.maintenance_ppi = 16);
	REJECT(d.gic.redist.size = 0);
	REJECT(d.timer.virtual_ppi = 16);
	REJECT(d.devices[0].spi = 988);
	REJECT(d.devices[0].irq_type = 2);
	REJECT(d.devices[1].irq_type = 8);
	REJECT(d.device_count = FDTGEN_MAX_DEVICES + 1);
	REJECT(d.devices[0].name = NULL);
	REJECT(d.devices[0].name = "");
	REJECT(d.devices[0].compatible = NULL);
	REJECT(d.devices[0].compatible_len = 0);
	REJECT(d.devices[0].compatible_len = 3); /* Cut inside "arm,pl011". */
	REJECT(d.devices[0].reg.size = 0);
	REJECT(d.devices[0].clock_names_len = 2);
	REJECT(d.devices[0].clock_names = NULL);
	REJECT(d.devices[0].clock_names = "a\0b\0c\0d\0e\0f\0g\0h\0i";
	       d.devices[0].clock_names_len = 18);
	REJECT(d.devices[1].prop_count = FDTGEN_MAX_PROPS + 1);
	REJECT(d.devices[1].props[0].name = NULL);
	REJECT(d.devices[1].props[0].length = 4);
	REJECT(d.initrd_end = d.initrd_start - 1);
#undef REJECT
	assert_int_equal(fdtgen_build(NULL, dtb, sizeof(dtb), &out), MICA_ERR_INVALID_ARGUMENT);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_the_dtb_is_valid_and_reports_its_size),
		T(test_root_has_two_cell_addresses_and_the_gic_as_interrupt_parent),
		T(test_memory_nodes_carry_device_type_and_reg),
		T(test_cpus_have_their_mpidr_and_the_psci_enable_method),
		T(test_cpus_take_two_address_cells_when_an_mpidr_has_aff3),
		T(test_psci_uses_hvc_with_1_0_and_0_2_compatibles),
		T(test_gic_is_a_gicv3_with_distributor_and_redistributors),
		T(test_timer_lists_its_four_ppis_in_binding_order),
		T(test_pl011_is_a_primecell_with_its_clocks_and_spi),
		T(test_virtio_nodes_have_reg_interrupts_and_dma_coherent),
		T(test_device_properties_come_in_a_fixed_order),
		T(test_a_pl031_names_the_clock_once_as_apb_pclk),
		T(test_a_device_is_written_as_declared),
		T(test_the_clock_is_there_only_when_a_device_names_one),
		T(test_stdout_path_names_the_first_console),
		T(test_chosen_has_bootargs_initrd_and_stdout_path),
		T(test_chosen_omits_what_the_description_lacks),
		T(test_a_buffer_too_small_is_not_enough_memory),
		T(test_bad_descriptions_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
