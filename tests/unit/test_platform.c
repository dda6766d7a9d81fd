/*
 * Tests of the device tree reader (kernel/fdt.c, kernel/fdt_props.c) and
 * platform discovery (kernel/platform.c).
 *
 * The fixtures (fixtures/NAME.dts) are compiled by dtc at build time; they
 * model what QEMU's virt machine and a few other boards describe. Hostile
 * blobs are made two ways: by corrupting copies of a valid fixture, and
 * by a small builder below that writes tokens directly, for shapes dtc
 * refuses to produce. Every blob lives in a heap buffer of exactly its
 * size, so AddressSanitizer reports any read past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fdt.h"
#include "platform.h"

/* Header field offsets (devicetree specification 5.2). */
#define HDR_MAGIC	      0u
#define HDR_TOTALSIZE	      4u
#define HDR_OFF_DT_STRUCT     8u
#define HDR_OFF_DT_STRINGS    12u
#define HDR_OFF_MEM_RSVMAP    16u
#define HDR_VERSION	      20u
#define HDR_LAST_COMP_VERSION 24u
#define HDR_SIZE_DT_STRINGS   32u
#define HDR_SIZE_DT_STRUCT    36u
#define HDR_SIZE	      40u

/* Structure block tokens (specification 5.4.1). */
#define TOK_BEGIN_NODE 0x1u
#define TOK_END_NODE   0x2u
#define TOK_PROP       0x3u
#define TOK_NOP	       0x4u
#define TOK_END	       0x9u

/* A blob in a heap buffer of exactly size bytes. */
struct blob {
	uint8_t *data;
	size_t size;
};

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static struct blob load_fixture(const char *name)
{
	char path[512];
	struct blob b;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s.dtb", FIXTURE_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	b.size = (size_t)len;
	b.data = malloc(b.size);
	assert_non_null(b.data);
	assert_int_equal(fread(b.data, 1, b.size, f), b.size);
	fclose(f);
	return b;
}

static struct blob copy_blob(struct blob src, size_t size)
{
	struct blob b = {.data = malloc(size ? size : 1), .size = size};

	assert_non_null(b.data);
	memcpy(b.data, src.data, size < src.size ? size : src.size);
	return b;
}

/* Discover a fixture that must be valid. */
static struct platform discover_fixture(const char *name)
{
	struct blob b = load_fixture(name);
	struct platform p;
	const char *why = "unset";

	assert_int_equal(platform_discover(b.data, b.size, &p, &why), MICA_OK);
	assert_null(why);
	free(b.data);
	return p;
}

/*
 * Discover a blob that must be rejected with err: the reason must be a
 * sentence, and nothing found may be left behind in the struct.
 */
static void expect_rejected(struct blob b, size_t max_size, enum mica_error err)
{
	static const struct platform zero;
	struct platform p;
	const char *why = NULL;

	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(platform_discover(b.data, max_size, &p, &why), err);
	assert_non_null(why);
	assert_true(strlen(why) > 10);
	assert_memory_equal(&p, &zero, sizeof(p));
}

static struct fdt open_fixture(const char *name, struct blob *b)
{
	struct fdt fdt;

	*b = load_fixture(name);
	assert_int_equal(fdt_init(&fdt, b->data, b->size, NULL), MICA_OK);
	return fdt;
}

/*
 * A tiny device tree writer for blobs dtc will not make. The memory
 * reservation block, structure block and strings block are filled
 * separately and laid out one after another by build().
 */
struct builder {
	uint8_t rsv[16 * 16];
	size_t rsv_len;
	uint8_t structure[4096];
	size_t struct_len;
	char strings[1024];
	size_t strings_len;
};

static void b_bytes(struct builder *b, const void *data, size_t len)
{
	assert_true(b->struct_len + len <= sizeof(b->structure));
	memcpy(b->structure + b->struct_len, data, len);
	b->struct_len += len;
}

static void b_pad(struct builder *b)
{
	while (b->struct_len % 4 != 0)
		b->structure[b->struct_len++] = 0;
}

static void b_u32(struct builder *b, uint32_t v)
{
	uint8_t cell[4];

	put_be32(cell, v);
	b_bytes(b, cell, sizeof(cell));
}

static void b_begin(struct builder *b, const char *name)
{
	b_u32(b, TOK_BEGIN_NODE);
	b_bytes(b, name, strlen(name) + 1);
	b_pad(b);
}

static void b_end_node(struct builder *b)
{
	b_u32(b, TOK_END_NODE);
}

static uint32_t b_string(struct builder *b, const char *s)
{
	uint32_t off = (uint32_t)b->strings_len;

	assert_true(b->strings_len + strlen(s) + 1 <= sizeof(b->strings));
	memcpy(b->strings + b->strings_len, s, strlen(s) + 1);
	b->strings_len += strlen(s) + 1;
	return off;
}

static void b_prop(struct builder *b, const char *name, const void *value, uint32_t len)
{
	b_u32(b, TOK_PROP);
	b_u32(b, len);
	b_u32(b, b_string(b, name));
	b_bytes(b, value, len);
	b_pad(b);
}

static void b_prop_str(struct builder *b, const char *name, const char *value)
{
	b_prop(b, name, value, (uint32_t)strlen(value) + 1);
}

/* A property of n cells, given host-order. */
static void b_prop_cells(struct builder *b, const char *name, const uint32_t *cells, size_t n)
{
	uint8_t value[64];
	size_t i;

	assert_true(n * 4 <= sizeof(value));
	for (i = 0; i < n; i++)
		put_be32(value + i * 4, cells[i]);
	b_prop(b, name, value, (uint32_t)(n * 4));
}

static void b_prop_u32(struct builder *b, const char *name, uint32_t v)
{
	b_prop_cells(b, name, &v, 1);
}

static void b_rsv(struct builder *b, uint64_t base, uint64_t size)
{
	assert_true(b->rsv_len + 16 <= sizeof(b->rsv));
	put_be64(b->rsv + b->rsv_len, base);
	put_be64(b->rsv + b->rsv_len + 8, size);
	b->rsv_len += 16;
}

/* Lay the three blocks out behind a version 17 header. */
static struct blob build(const struct builder *b)
{
	size_t rsv_off = HDR_SIZE;
	size_t struct_off = rsv_off + b->rsv_len;
	size_t strings_off = struct_off + b->struct_len;
	struct blob out = {.size = strings_off + b->strings_len};

	out.data = calloc(1, out.size);
	assert_non_null(out.data);
	put_be32(out.data + HDR_MAGIC, FDT_MAGIC);
	put_be32(out.data + HDR_TOTALSIZE, (uint32_t)out.size);
	put_be32(out.data + HDR_OFF_DT_STRUCT, (uint32_t)struct_off);
	put_be32(out.data + HDR_OFF_DT_STRINGS, (uint32_t)strings_off);
	put_be32(out.data + HDR_OFF_MEM_RSVMAP, (uint32_t)rsv_off);
	put_be32(out.data + HDR_VERSION, 17);
	put_be32(out.data + HDR_LAST_COMP_VERSION, 16);
	put_be32(out.data + HDR_SIZE_DT_STRINGS, (uint32_t)b->strings_len);
	put_be32(out.data + HDR_SIZE_DT_STRUCT, (uint32_t)b->struct_len);
	memcpy(out.data + rsv_off, b->rsv, b->rsv_len);
	memcpy(out.data + struct_off, b->structure, b->struct_len);
	memcpy(out.data + strings_off, b->strings, b->strings_len);
	return out;
}

/* The start of a minimal valid tree: the root, open, with one memory node. */
static void b_minimal_start(struct builder *b)
{
	static const uint32_t reg[] = {0x0, 0x40000000, 0x0, 0x8000000};

	memset(b, 0, sizeof(*b));
	b_rsv(b, 0, 0);
	b_begin(b, "");
	b_prop_u32(b, "#address-cells", 2);
	b_prop_u32(b, "#size-cells", 2);
	b_begin(b, "memory@40000000");
	b_prop_str(b, "device_type", "memory");
	b_prop_cells(b, "reg", reg, 4);
	b_end_node(b);
}

/* Close the root and the structure block. */
static void b_minimal_finish(struct builder *b)
{
	b_end_node(b);
	b_u32(b, TOK_END);
}

/* Build the minimal tree plus whatever the caller added, and discover it. */
static enum mica_error discover_built(const struct builder *b, struct platform *p)
{
	struct blob blob = build(b);
	const char *why;
	enum mica_error err = platform_discover(blob.data, blob.size, p, &why);

	free(blob.data);
	return err;
}

/* ---- Discovery from fixtures ---- */

static void test_discover_reads_qemu_virt_memory_of_256m(void **state)
{
	struct platform p = discover_fixture("virt_1cpu_256m");
	struct blob b = load_fixture("virt_1cpu_256m");

	assert_int_equal(p.mem_count, 1);
	assert_int_equal(p.mem[0].base, 0x40000000);
	assert_int_equal(p.mem[0].size, 0x10000000);
	assert_int_equal(p.reserved_count, 0);
	assert_int_equal(p.fdt_size, b.size);
	free(b.data);
}

static void test_discover_reads_model_from_root(void **state)
{
	struct platform p = discover_fixture("virt_1cpu_256m");

	assert_string_equal(p.model, "linux,dummy-virt");
}

static void test_discover_reads_single_cpu_of_qemu_virt(void **state)
{
	struct platform p = discover_fixture("virt_1cpu_256m");

	assert_int_equal(p.cpu_count, 1);
	assert_int_equal(p.cpu_mpidr[0], 0);
}

static void test_discover_reads_gic_distributor_and_redistributor(void **state)
{
	struct platform p = discover_fixture("virt_1cpu_256m");

	assert_int_equal(p.gic_dist.base, 0x8000000);
	assert_int_equal(p.gic_dist.size, 0x10000);
	assert_int_equal(p.gic_redist_count, 1);
	assert_int_equal(p.gic_redist[0].base, 0x80a0000);
	assert_int_equal(p.gic_redist[0].size, 0xf60000);
}

static void test_discover_converts_uart_spi_to_intid_33(void **state)
{
	struct platform p = discover_fixture("virt_1cpu_256m");

	assert_int_equal(p.uart.base, 0x9000000);
	assert_int_equal(p.uart.size, 0x1000);
	assert_int_equal(p.uart_intid, 33);
}

static void test_discover_converts_timer_ppis_to_intids(void **state)
{
	struct platform p = discover_fixture("virt_1cpu_256m");

	assert_int_equal(p.timer_sec_phys_intid, 29);
	assert_int_equal(p.timer_phys_intid, 30);
	assert_int_equal(p.timer_virt_intid, 27);
	assert_int_equal(p.timer_hyp_phys_intid, 26);
}

static void test_discover_reads_psci_hvc_without_virtualization(void **state)
{
	struct platform p = discover_fixture("virt_1cpu_256m");

	assert_int_equal(p.psci, PSCI_CONDUIT_HVC);
}

static void test_discover_reads_psci_smc_with_virtualization(void **state)
{
	struct platform p = discover_fixture("virt_2cpu_1g");

	assert_int_equal(p.psci, PSCI_CONDUIT_SMC);
}

/* With virtualization the GIC node names its maintenance interrupt; without, none. */
static void test_discover_reads_the_gic_maintenance_ppi(void **state)
{
	struct platform p = discover_fixture("virt_2cpu_1g");
	struct platform q = discover_fixture("virt_1cpu_256m");

	(void)state;
	assert_int_equal(p.gic_maintenance_intid, 25);
	assert_int_equal(q.gic_maintenance_intid, 0);
}

static void test_discover_reads_two_cpus_and_one_gigabyte(void **state)
{
	struct platform p = discover_fixture("virt_2cpu_1g");

	assert_int_equal(p.cpu_count, 2);
	assert_int_equal(p.cpu_mpidr[0], 0);
	assert_int_equal(p.cpu_mpidr[1], 1);
	assert_int_equal(p.mem_count, 1);
	assert_int_equal(p.mem[0].base, 0x40000000);
	assert_int_equal(p.mem[0].size, 0x40000000);
	assert_int_equal(p.uart_intid, 33);
	assert_int_equal(p.timer_phys_intid, 30);
	assert_int_equal(p.timer_virt_intid, 27);
	assert_int_equal(p.timer_hyp_phys_intid, 26);
}

static void test_discover_collects_ranges_of_several_memory_nodes(void **state)
{
	struct platform p = discover_fixture("several_ranges");

	/* The disabled memory@30000000 is left out. */
	assert_int_equal(p.mem_count, 3);
	assert_int_equal(p.mem[0].base, 0x40000000);
	assert_int_equal(p.mem[0].size, 0x20000000);
	assert_int_equal(p.mem[1].base, 0x80000000);
	assert_int_equal(p.mem[1].size, 0x40000000);
	assert_int_equal(p.mem[2].base, 0x880000000);
	assert_int_equal(p.mem[2].size, 0x100000000);
}

static void test_discover_collects_memreserve_and_reserved_memory_children(void **state)
{
	struct platform p = discover_fixture("several_ranges");

	/* The dynamic pool has no reg and the disabled child does not count. */
	assert_int_equal(p.reserved_count, 4);
	assert_int_equal(p.reserved[0].base, 0x48000000);
	assert_int_equal(p.reserved[0].size, 0x100000);
	assert_int_equal(p.reserved[1].base, 0x4ff00000);
	assert_int_equal(p.reserved[1].size, 0x1000);
	assert_int_equal(p.reserved[2].base, 0x5e000000);
	assert_int_equal(p.reserved[2].size, 0x200000);
	assert_int_equal(p.reserved[3].base, 0x5f000000);
	assert_int_equal(p.reserved[3].size, 0x800000);
}

static void test_discover_reads_gic_redistributor_regions(void **state)
{
	struct platform p = discover_fixture("several_ranges");

	/* The GICC, GICH and GICV ranges after the two regions are not redistributors. */
	assert_int_equal(p.gic_dist.base, 0x2f000000);
	assert_int_equal(p.gic_dist.size, 0x10000);
	assert_int_equal(p.gic_redist_count, 2);
	assert_int_equal(p.gic_redist[0].base, 0x2f100000);
	assert_int_equal(p.gic_redist[0].size, 0x100000);
	assert_int_equal(p.gic_redist[1].base, 0x2f300000);
	assert_int_equal(p.gic_redist[1].size, 0x80000);
}

static void test_discover_reads_two_cell_mpidrs_and_skips_failed_cpus(void **state)
{
	struct platform p = discover_fixture("several_ranges");

	/* cpu@10000 is only "disabled" and still counts; cpu@200000000 failed. */
	assert_int_equal(p.cpu_count, 4);
	assert_int_equal(p.cpu_mpidr[0], 0x0);
	assert_int_equal(p.cpu_mpidr[1], 0x100);
	assert_int_equal(p.cpu_mpidr[2], 0x10000);
	assert_int_equal(p.cpu_mpidr[3], 0x100000000);
}

static void test_discover_finds_uart_and_gic_below_a_bus(void **state)
{
	struct platform p = discover_fixture("several_ranges");

	assert_int_equal(p.uart.base, 0x1c090000);
	assert_int_equal(p.uart.size, 0x10000);
	assert_int_equal(p.uart_intid, 37);
	assert_int_equal(p.timer_sec_phys_intid, 29);
	assert_int_equal(p.psci, PSCI_CONDUIT_SMC);
}

static void test_discover_reports_missing_memory_node_as_not_found(void **state)
{
	struct blob b = load_fixture("no_memory");

	expect_rejected(b, b.size, MICA_ERR_NOT_FOUND);
	free(b.data);
}

static void test_discover_follows_stdout_path_alias_with_options(void **state)
{
	struct platform p = discover_fixture("stdout_alias");

	assert_int_equal(p.uart.base, 0x9040000);
	assert_int_equal(p.uart.size, 0x1000);
	assert_int_equal(p.uart_intid, 40);
}

static void test_discover_falls_back_to_first_enabled_pl011(void **state)
{
	struct platform p = discover_fixture("stdout_not_pl011");

	assert_int_equal(p.uart.base, 0x1c0b0000);
	assert_int_equal(p.uart_intid, 36);
	assert_string_equal(p.model, "");
	assert_int_equal(p.cpu_count, 0);
	assert_int_equal(p.psci, PSCI_CONDUIT_NONE);
}

static void test_discover_decodes_one_cell_addresses_and_sizes(void **state)
{
	struct platform p = discover_fixture("address_cells_1");

	assert_int_equal(p.mem_count, 1);
	assert_int_equal(p.mem[0].base, 0x60000000);
	assert_int_equal(p.mem[0].size, 0x20000000);
	assert_int_equal(p.reserved_count, 1);
	assert_int_equal(p.reserved[0].base, 0x60000000);
	assert_int_equal(p.reserved[0].size, 0x200000);
	assert_int_equal(p.gic_dist.base, 0x2f000000);
	assert_int_equal(p.gic_redist_count, 1);
	assert_int_equal(p.gic_redist[0].base, 0x2f100000);
	assert_int_equal(p.gic_redist[0].size, 0x100000);
	assert_int_equal(p.uart.base, 0x1c090000);
	assert_int_equal(p.uart.size, 0x1000);
	assert_int_equal(p.uart_intid, 37);
	assert_int_equal(p.cpu_count, 4);
	assert_int_equal(p.cpu_mpidr[3], 3);
	assert_int_equal(p.timer_hyp_phys_intid, 26);
	assert_int_equal(p.psci, PSCI_CONDUIT_HVC);
}

static void test_discover_cuts_tables_at_capacity(void **state)
{
	struct platform p = discover_fixture("capacity");
	size_t i;

	assert_int_equal(p.mem_count, PLATFORM_MAX_MEM);
	assert_int_equal(p.mem[PLATFORM_MAX_MEM - 1].base, 0x52000000);
	assert_int_equal(p.reserved_count, PLATFORM_MAX_RESERVED);
	assert_int_equal(p.reserved[4].base, 0x70040000);
	assert_int_equal(p.reserved[PLATFORM_MAX_RESERVED - 1].base, 0x71020000);
	assert_int_equal(p.cpu_count, PLATFORM_MAX_CPUS);
	for (i = 0; i < PLATFORM_MAX_CPUS; i++)
		assert_int_equal(p.cpu_mpidr[i], i);
	assert_int_equal(p.gic_redist_count, PLATFORM_MAX_REDIST);
	assert_int_equal(p.gic_redist[PLATFORM_MAX_REDIST - 1].base, 0x8400000);
	assert_int_equal(strlen(p.model), PLATFORM_MODEL_MAX - 1);
	assert_memory_equal(p.model, "mica,capacity-board", strlen("mica,capacity-board"));
}

static void test_discover_ends_on_interrupt_parent_loop(void **state)
{
	struct platform p = discover_fixture("irq_parent_loop");

	assert_int_equal(p.uart.base, 0x9000000);
	assert_int_equal(p.uart_intid, 0);
	assert_int_equal(p.timer_sec_phys_intid, 0);
	assert_int_equal(p.timer_phys_intid, 0);
	assert_int_equal(p.timer_virt_intid, 0);
	assert_int_equal(p.timer_hyp_phys_intid, 0);
	assert_int_equal(p.psci, PSCI_CONDUIT_NONE);
}

static void test_discover_accepts_null_why(void **state)
{
	struct blob b = load_fixture("no_memory");
	struct platform p;

	assert_int_equal(platform_discover(b.data, b.size, &p, NULL), MICA_ERR_NOT_FOUND);
	free(b.data);
}

/* ---- Corrupted copies of a valid blob ---- */

static void test_discover_rejects_null_blob(void **state)
{
	struct blob b = {.data = NULL, .size = 4096};

	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
}

static void test_discover_rejects_bad_magic(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");

	put_be32(b.data + HDR_MAGIC, 0xfeedd00d);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_reports_totalsize_beyond_max_size_as_truncated(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");

	expect_rejected(b, b.size - 1, MICA_ERR_TRUNCATED);
	put_be32(b.data + HDR_TOTALSIZE, (uint32_t)b.size + 4096);
	expect_rejected(b, b.size, MICA_ERR_TRUNCATED);
	put_be32(b.data + HDR_TOTALSIZE, 0xffffffff);
	expect_rejected(b, b.size, MICA_ERR_TRUNCATED);
	free(b.data);
}

static void test_discover_rejects_every_truncation_of_a_valid_blob(void **state)
{
	struct blob full = load_fixture("virt_1cpu_256m");
	size_t n;

	for (n = 0; n < full.size; n++) {
		struct blob cut = copy_blob(full, n);

		/* As loaded: the header still claims the full size. */
		expect_rejected(cut, n, MICA_ERR_TRUNCATED);
		/* Claiming the cut size instead leaves blocks outside the blob. */
		if (n >= HDR_SIZE) {
			put_be32(cut.data + HDR_TOTALSIZE, (uint32_t)n);
			expect_rejected(cut, n, MICA_ERR_MALFORMED);
		}
		free(cut.data);
	}
	free(full.data);
}

static void test_discover_rejects_totalsize_smaller_than_header(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");

	put_be32(b.data + HDR_TOTALSIZE, HDR_SIZE - 4);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_struct_block_outside_blob(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	uint32_t off = get_be32(b.data + HDR_OFF_DT_STRUCT);
	uint32_t size = get_be32(b.data + HDR_SIZE_DT_STRUCT);

	put_be32(b.data + HDR_OFF_DT_STRUCT, (uint32_t)b.size);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	/* An offset plus size that wraps a u32 must not pass as small. */
	put_be32(b.data + HDR_OFF_DT_STRUCT, 0xfffffff0);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	put_be32(b.data + HDR_OFF_DT_STRUCT, off);
	put_be32(b.data + HDR_SIZE_DT_STRUCT, (uint32_t)b.size - off + 4);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	put_be32(b.data + HDR_SIZE_DT_STRUCT, 0xfffffffc);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	/* The structure block may not overlap the header. */
	put_be32(b.data + HDR_SIZE_DT_STRUCT, size);
	put_be32(b.data + HDR_OFF_DT_STRUCT, 0);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_misaligned_struct_block(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	uint32_t off = get_be32(b.data + HDR_OFF_DT_STRUCT);

	put_be32(b.data + HDR_OFF_DT_STRUCT, off + 2);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_strings_block_outside_blob(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	uint32_t size = get_be32(b.data + HDR_SIZE_DT_STRINGS);

	put_be32(b.data + HDR_SIZE_DT_STRINGS, size + 1);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	put_be32(b.data + HDR_SIZE_DT_STRINGS, size);
	put_be32(b.data + HDR_OFF_DT_STRINGS, 0xffffff00);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_unterminated_strings(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	uint32_t off = get_be32(b.data + HDR_OFF_DT_STRINGS);
	uint32_t size = get_be32(b.data + HDR_SIZE_DT_STRINGS);

	/* Dropping the last NUL leaves the last property name running off the block. */
	put_be32(b.data + HDR_SIZE_DT_STRINGS, size - 1);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	put_be32(b.data + HDR_SIZE_DT_STRINGS, size);
	b.data[off + size - 1] = 'x';
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_property_length_past_block_end(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	uint32_t off = get_be32(b.data + HDR_OFF_DT_STRUCT);
	uint32_t size = get_be32(b.data + HDR_SIZE_DT_STRUCT);
	/* The root's name is empty, so its first property follows 8 bytes in. */
	uint8_t *prop = b.data + off + 8;

	assert_int_equal(get_be32(prop), TOK_PROP);
	put_be32(prop + 4, size);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	put_be32(prop + 4, 0xfffffffc);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_property_name_offset_past_strings(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	uint32_t off = get_be32(b.data + HDR_OFF_DT_STRUCT);
	uint32_t strings_size = get_be32(b.data + HDR_SIZE_DT_STRINGS);

	put_be32(b.data + off + 8 + 8, strings_size);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_struct_block_without_end_token(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	uint32_t size = get_be32(b.data + HDR_SIZE_DT_STRUCT);

	put_be32(b.data + HDR_SIZE_DT_STRUCT, size - 4);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_unknown_version(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");

	put_be32(b.data + HDR_VERSION, 16);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	put_be32(b.data + HDR_VERSION, 17);
	put_be32(b.data + HDR_LAST_COMP_VERSION, 18);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

static void test_discover_rejects_misplaced_memory_reservation_block(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	uint32_t off = get_be32(b.data + HDR_OFF_MEM_RSVMAP);

	put_be32(b.data + HDR_OFF_MEM_RSVMAP, off + 4);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	put_be32(b.data + HDR_OFF_MEM_RSVMAP, (uint32_t)b.size);
	expect_rejected(b, b.size, MICA_ERR_MALFORMED);
	free(b.data);
}

/*
 * Flip bytes of a valid blob at random, many times over. Whatever the
 * result, discovery must return and read nothing outside the buffer;
 * ASan and UBSan turn any slip into a failure.
 */
static void test_discover_survives_random_corruption(void **state)
{
	struct blob full = load_fixture("several_ranges");
	uint32_t seed = 0x6d696361;
	size_t ok = 0;
	int round;

	for (round = 0; round < 3000; round++) {
		struct blob b = copy_blob(full, full.size);
		struct platform p;
		const char *why;
		int flips = 1 + round % 4;
		int i;

		for (i = 0; i < flips; i++) {
			/* A 32-bit LCG (Numerical Recipes constants) keeps the run repeatable. */
			seed = seed * 1664525u + 1013904223u;
			b.data[(seed >> 8) % b.size] ^= (uint8_t)(1u << (seed >> 29));
		}
		if (platform_discover(b.data, b.size, &p, &why) == MICA_OK)
			ok++;
		else
			assert_non_null(why);
		free(b.data);
	}
	/* Flips inside values leave a valid tree: both outcomes must occur. */
	assert_true(ok > 0);
	assert_true(ok < 3000);
	free(full.data);
}

/* ---- Hand-built blobs ---- */

static void test_builder_minimal_tree_is_accepted(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_OK);
	assert_int_equal(p.mem_count, 1);
	assert_int_equal(p.mem[0].size, 0x8000000);
}

static void test_discover_accepts_nesting_up_to_the_depth_limit(void **state)
{
	struct builder b;
	struct platform p;
	uint32_t i;

	b_minimal_start(&b);
	for (i = 0; i < FDT_MAX_DEPTH; i++)
		b_begin(&b, "n");
	for (i = 0; i < FDT_MAX_DEPTH; i++)
		b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_OK);
}

static void test_discover_rejects_nesting_deeper_than_the_limit(void **state)
{
	struct builder b;
	struct platform p;
	uint32_t i;

	b_minimal_start(&b);
	for (i = 0; i < FDT_MAX_DEPTH + 1; i++)
		b_begin(&b, "n");
	for (i = 0; i < FDT_MAX_DEPTH + 1; i++)
		b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_missing_end_token(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_end_node(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
	/* NOPs in place of the END token do not end the block either. */
	b_u32(&b, TOK_NOP);
	b_u32(&b, TOK_NOP);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_accepts_nop_tokens_anywhere(void **state)
{
	struct builder b;
	struct platform p;

	memset(&b, 0, sizeof(b));
	b_rsv(&b, 0, 0);
	b_u32(&b, TOK_NOP);
	b_begin(&b, "");
	b_u32(&b, TOK_NOP);
	b_prop_u32(&b, "#address-cells", 1);
	b_u32(&b, TOK_NOP);
	b_prop_u32(&b, "#size-cells", 1);
	b_begin(&b, "memory");
	b_u32(&b, TOK_NOP);
	b_prop_str(&b, "device_type", "memory");
	b_prop_cells(&b, "reg", (const uint32_t[]){0x80000000, 0x1000000}, 2);
	b_end_node(&b);
	b_u32(&b, TOK_NOP);
	b_end_node(&b);
	b_u32(&b, TOK_NOP);
	b_u32(&b, TOK_END);
	assert_int_equal(discover_built(&b, &p), MICA_OK);
	assert_int_equal(p.mem[0].base, 0x80000000);
}

static void test_discover_rejects_unknown_token(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_u32(&b, 0x5);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_unbalanced_end_node(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_end_node(&b);
	b_end_node(&b);
	b_u32(&b, TOK_END);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_property_after_child_node(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_prop_str(&b, "model", "late");
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_second_root_node(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_end_node(&b);
	b_begin(&b, "");
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_node_name_running_off_the_block(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_u32(&b, TOK_BEGIN_NODE);
	b_bytes(&b, "unterminated", 12);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_unterminated_memory_reservation_block(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_minimal_finish(&b);
	/* Replace the terminator with entries that run into the structure block. */
	b.rsv_len = 0;
	b_rsv(&b, 0x48000000, 0x1000);
	b_rsv(&b, 0x49000000, 0x1000);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_wrapping_memory_reservation(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_minimal_finish(&b);
	b.rsv_len = 0;
	b_rsv(&b, 0xfffffffffffff000, 0x2000);
	b_rsv(&b, 0, 0);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_memory_reg_with_partial_entry(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_begin(&b, "memory@80000000");
	b_prop_str(&b, "device_type", "memory");
	b_prop_cells(&b, "reg", (const uint32_t[]){0x0, 0x80000000, 0x0}, 3);
	b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_wrapping_memory_range(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_begin(&b, "memory@ffffffff00000000");
	b_prop_str(&b, "device_type", "memory");
	b_prop_cells(&b, "reg", (const uint32_t[]){0xffffffff, 0x0, 0x1, 0x0}, 4);
	b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_root_address_cells_beyond_two(void **state)
{
	struct builder b;
	struct platform p;

	memset(&b, 0, sizeof(b));
	b_rsv(&b, 0, 0);
	b_begin(&b, "");
	b_prop_u32(&b, "#address-cells", 3);
	b_prop_u32(&b, "#size-cells", 2);
	b_begin(&b, "memory");
	b_prop_str(&b, "device_type", "memory");
	b_prop_cells(&b, "reg", (const uint32_t[]){0, 0, 0x40000000, 0, 0x1000}, 5);
	b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_cpu_without_reg(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_begin(&b, "cpus");
	b_prop_u32(&b, "#address-cells", 1);
	b_prop_u32(&b, "#size-cells", 0);
	b_begin(&b, "cpu@0");
	b_prop_str(&b, "device_type", "cpu");
	b_end_node(&b);
	b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_cpus_address_cells_beyond_two(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_begin(&b, "cpus");
	b_prop_u32(&b, "#address-cells", 3);
	b_prop_u32(&b, "#size-cells", 0);
	b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_rejects_gic_with_fewer_regions_than_declared(void **state)
{
	struct builder b;
	struct platform p;

	b_minimal_start(&b);
	b_begin(&b, "intc@8000000");
	b_prop_str(&b, "compatible", "arm,gic-v3");
	b_prop_u32(&b, "#interrupt-cells", 3);
	b_prop_u32(&b, "#redistributor-regions", 2);
	b_prop_cells(&b, "reg",
		     (const uint32_t[]){0, 0x8000000, 0, 0x10000, 0, 0x80a0000, 0, 0xf60000}, 8);
	b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_ERR_MALFORMED);
}

static void test_discover_ignores_interrupts_shorter_than_one_specifier(void **state)
{
	struct builder b;
	struct platform p;

	memset(&b, 0, sizeof(b));
	b_rsv(&b, 0, 0);
	b_begin(&b, "");
	b_prop_u32(&b, "#address-cells", 2);
	b_prop_u32(&b, "#size-cells", 2);
	b_prop_u32(&b, "interrupt-parent", 1);
	b_begin(&b, "memory");
	b_prop_str(&b, "device_type", "memory");
	b_prop_cells(&b, "reg", (const uint32_t[]){0, 0x40000000, 0, 0x1000000}, 4);
	b_end_node(&b);
	b_begin(&b, "intc");
	b_prop_str(&b, "compatible", "arm,gic-v3");
	b_prop_u32(&b, "phandle", 1);
	b_prop_u32(&b, "#interrupt-cells", 3);
	b_prop_cells(&b, "reg",
		     (const uint32_t[]){0, 0x8000000, 0, 0x10000, 0, 0x80a0000, 0, 0x20000}, 8);
	b_end_node(&b);
	b_begin(&b, "uart");
	b_prop_str(&b, "compatible", "arm,pl011");
	b_prop_cells(&b, "reg", (const uint32_t[]){0, 0x9000000, 0, 0x1000}, 4);
	b_prop_cells(&b, "interrupts", (const uint32_t[]){0, 1}, 2);
	b_end_node(&b);
	b_begin(&b, "timer");
	b_prop_str(&b, "compatible", "arm,armv8-timer");
	/* Two whole specifiers, the second a PPI number beyond the 16 there are. */
	b_prop_cells(&b, "interrupts", (const uint32_t[]){1, 13, 4, 1, 16, 4, 1}, 7);
	b_end_node(&b);
	b_minimal_finish(&b);
	assert_int_equal(discover_built(&b, &p), MICA_OK);
	assert_int_equal(p.uart.base, 0x9000000);
	assert_int_equal(p.uart_intid, 0);
	assert_int_equal(p.timer_sec_phys_intid, 29);
	assert_int_equal(p.timer_phys_intid, 0);
	assert_int_equal(p.timer_virt_intid, 0);
}

/* ---- The reader's own interface ---- */

static void test_fdt_walks_nodes_in_document_order_with_depth(void **state)
{
	struct blob b;
	struct fdt fdt = open_fixture("virt_1cpu_256m", &b);
	struct fdt_node n = fdt_root(&fdt);
	size_t count = 0;
	uint32_t max_depth = 0;
	bool seen_its = false;

	do {
		const char *name = fdt_node_name(&fdt, n);

		if (count == 0) {
			assert_string_equal(name, "");
			assert_int_equal(n.depth, 0);
		}
		if (count == 1)
			assert_string_equal(name, "psci");
		if (strcmp(name, "its@8080000") == 0) {
			assert_int_equal(n.depth, 2);
			seen_its = true;
		}
		if (strcmp(name, "core0") == 0)
			assert_int_equal(n.depth, 5);
		if (n.depth > max_depth)
			max_depth = n.depth;
		count++;
	} while (fdt_next_node(&fdt, &n));
	assert_int_equal(count, 21);
	assert_int_equal(max_depth, 5);
	assert_true(seen_its);
	free(b.data);
}

static void test_fdt_lists_children_and_parents(void **state)
{
	struct blob b;
	struct fdt fdt = open_fixture("virt_2cpu_1g", &b);
	struct fdt_node cpus;
	struct fdt_node child;
	struct fdt_node parent;
	size_t count = 0;
	bool more;

	assert_true(fdt_find_path(&fdt, "/cpus", 5, &cpus));
	for (more = fdt_first_child(&fdt, cpus, &child); more;
	     more = fdt_next_sibling(&fdt, &child)) {
		assert_true(fdt_parent(&fdt, child, &parent));
		assert_int_equal(parent.off, cpus.off);
		count++;
	}
	/* cpu-map, cpu@0 and cpu@1, but none of cpu-map's descendants. */
	assert_int_equal(count, 3);
	assert_false(fdt_parent(&fdt, fdt_root(&fdt), &parent));
	assert_true(fdt_find_path(&fdt, "/cpus/cpu@1", 11, &child));
	assert_false(fdt_first_child(&fdt, child, &parent));
	assert_false(fdt_next_sibling(&fdt, &child));
	free(b.data);
}

static void test_fdt_finds_path_with_or_without_unit_address(void **state)
{
	struct blob b;
	struct fdt fdt = open_fixture("virt_1cpu_256m", &b);
	struct fdt_node n;

	assert_true(fdt_find_path(&fdt, "/memory", 7, &n));
	assert_string_equal(fdt_node_name(&fdt, n), "memory@40000000");
	assert_true(fdt_find_path(&fdt, "/intc@8000000/its", 17, &n));
	assert_string_equal(fdt_node_name(&fdt, n), "its@8080000");
	assert_true(fdt_find_path(&fdt, "//cpus//cpu@0/", 14, &n));
	assert_string_equal(fdt_node_name(&fdt, n), "cpu@0");
	assert_true(fdt_find_path(&fdt, "/", 1, &n));
	assert_int_equal(n.depth, 0);
	/* The length bounds the path: what follows it is not read. */
	assert_true(fdt_find_path(&fdt, "/chosen:115200", 7, &n));
	assert_string_equal(fdt_node_name(&fdt, n), "chosen");

	assert_false(fdt_find_path(&fdt, "/memory@40000001", 16, &n));
	assert_false(fdt_find_path(&fdt, "/mem", 4, &n));
	assert_false(fdt_find_path(&fdt, "memory", 6, &n));
	assert_false(fdt_find_path(&fdt, "", 0, &n));
	assert_false(fdt_find_path(&fdt, "/cpus/cpu@0/nothing", 19, &n));
	free(b.data);
}

static void test_fdt_finds_node_by_phandle(void **state)
{
	struct blob b;
	struct fdt fdt = open_fixture("virt_1cpu_256m", &b);
	struct fdt_node n;

	assert_true(fdt_find_phandle(&fdt, 0x8002, &n));
	assert_string_equal(fdt_node_name(&fdt, n), "intc@8000000");
	assert_true(fdt_find_phandle(&fdt, 0x8000, &n));
	assert_string_equal(fdt_node_name(&fdt, n), "apb-pclk");
	assert_false(fdt_find_phandle(&fdt, 0x1234, &n));
	assert_false(fdt_find_phandle(&fdt, 0, &n));
	assert_false(fdt_find_phandle(&fdt, 0xffffffff, &n));
	free(b.data);
}

static void test_fdt_follows_root_interrupt_parent_to_the_gic(void **state)
{
	struct blob b;
	struct fdt fdt = open_fixture("virt_1cpu_256m", &b);
	struct fdt_node uart;
	struct fdt_node ctrl;
	uint32_t cells = 0;

	assert_true(fdt_find_compatible(&fdt, "arm,pl011", &uart));
	assert_true(fdt_interrupt_parent(&fdt, uart, &ctrl, &cells));
	assert_string_equal(fdt_node_name(&fdt, ctrl), "intc@8000000");
	assert_int_equal(cells, 3);
	free(b.data);
}

static void test_fdt_matches_any_compatible_entry(void **state)
{
	struct blob b;
	struct fdt fdt = open_fixture("virt_1cpu_256m", &b);
	struct fdt_node n;

	assert_true(fdt_find_compatible(&fdt, "arm,primecell", &n));
	assert_string_equal(fdt_node_name(&fdt, n), "pl031@9010000");
	assert_true(fdt_find_compatible(&fdt, "arm,psci", &n));
	assert_string_equal(fdt_node_name(&fdt, n), "psci");
	assert_true(fdt_find_compatible(&fdt, "arm,armv7-timer", &n));
	assert_string_equal(fdt_node_name(&fdt, n), "timer");
	assert_false(fdt_find_compatible(&fdt, "arm,pl01", &n));
	assert_false(fdt_find_compatible(&fdt, "arm,pl0111", &n));
	free(b.data);
}

static void test_fdt_reads_memory_reservation_entries(void **state)
{
	struct blob b;
	struct fdt fdt = open_fixture("several_ranges", &b);
	struct fdt_range r;

	assert_int_equal(fdt.rsv_count, 2);
	assert_true(fdt_mem_rsv(&fdt, 0, &r));
	assert_int_equal(r.base, 0x48000000);
	assert_int_equal(r.size, 0x100000);
	assert_true(fdt_mem_rsv(&fdt, 1, &r));
	assert_int_equal(r.base, 0x4ff00000);
	assert_int_equal(r.size, 0x1000);
	assert_false(fdt_mem_rsv(&fdt, 2, &r));
	free(b.data);
}

static void test_fdt_reads_big_endian_values_at_any_alignment(void **state)
{
	static const uint8_t bytes[] = {0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xff};

	assert_int_equal(fdt_be32(bytes + 1), 0x01234567);
	assert_int_equal(fdt_be64(bytes + 1), 0x0123456789abcdefull);
}

static void test_fdt_prop_str_rejects_unterminated_value(void **state)
{
	static const uint8_t unterminated[] = {'o', 'k', 'a', 'y'};
	static const uint8_t list[] = "arm,pl011\0arm,primecell\0trail";
	struct fdt_prop prop = {.data = unterminated, .len = sizeof(unterminated)};

	assert_null(fdt_prop_str(prop));
	assert_false(fdt_prop_has_str(prop, "okay"));
	prop.len = 0;
	assert_null(fdt_prop_str(prop));
	/* A list whose last entry the length cuts short does not contain it. */
	prop.data = list;
	prop.len = sizeof(list) - 1 - 2;
	assert_string_equal(fdt_prop_str(prop), "arm,pl011");
	assert_true(fdt_prop_has_str(prop, "arm,primecell"));
	assert_false(fdt_prop_has_str(prop, "tra"));
	assert_false(fdt_prop_has_str(prop, "trail"));
}

static void test_fdt_reg_decodes_cells_and_rejects_wrapping(void **state)
{
	static const uint8_t reg[] = {0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00,
				      0x00, 0x00, 0x10, 0x00, 0xff, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x20, 0x00};
	struct fdt_prop prop = {.data = reg, .len = sizeof(reg)};
	struct fdt_cells two_one = {.address = 2, .size = 1};
	struct fdt_cells one_one = {.address = 1, .size = 1};
	struct fdt_range r;
	size_t count;

	assert_true(fdt_reg_count(prop, two_one, &count));
	assert_int_equal(count, 2);
	assert_true(fdt_reg_get(prop, two_one, 0, &r));
	assert_int_equal(r.base, 0x180000000);
	assert_int_equal(r.size, 0x1000);
	/* 0xfffffffffffff000 + 0x2000 wraps. */
	assert_false(fdt_reg_get(prop, two_one, 1, &r));
	assert_false(fdt_reg_get(prop, two_one, 2, &r));

	assert_true(fdt_reg_count(prop, one_one, &count));
	assert_int_equal(count, 3);
	assert_true(fdt_reg_get(prop, one_one, 0, &r));
	assert_int_equal(r.base, 1);
	assert_int_equal(r.size, 0x80000000);

	assert_false(fdt_reg_count(prop, (struct fdt_cells){.address = 3, .size = 1}, &count));
	assert_false(fdt_reg_count(prop, (struct fdt_cells){.address = 0, .size = 0}, &count));
	assert_false(fdt_reg_count(prop, (struct fdt_cells){.address = 2, .size = 3}, &count));
	assert_false(fdt_reg_get(prop, (struct fdt_cells){.address = 0, .size = 0}, 0, &r));
	prop.len = 20;
	assert_false(fdt_reg_count(prop, two_one, &count));
}

static void test_fdt_init_leaves_an_inert_reader_on_error(void **state)
{
	struct blob b = load_fixture("virt_1cpu_256m");
	struct fdt fdt;
	struct fdt_node n;
	struct fdt_prop prop;
	struct fdt_range r;
	const char *why = NULL;

	put_be32(b.data + HDR_VERSION, 1);
	assert_int_equal(fdt_init(&fdt, b.data, b.size, &why), MICA_ERR_MALFORMED);
	assert_non_null(why);
	assert_null(fdt.blob);
	assert_int_equal(fdt.struct_size, 0);

	/* A caller that ignores the error finds nothing, and reads nothing. */
	n = fdt_root(&fdt);
	assert_false(fdt_next_node(&fdt, &n));
	assert_false(fdt_find_path(&fdt, "/", 1, &n));
	assert_false(fdt_get_prop(&fdt, fdt_root(&fdt), "model", &prop));
	assert_false(fdt_mem_rsv(&fdt, 0, &r));
	assert_string_equal(fdt_node_name(&fdt, fdt_root(&fdt)), "");
	free(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_reads_qemu_virt_memory_of_256m),
		cmocka_unit_test(test_discover_reads_model_from_root),
		cmocka_unit_test(test_discover_reads_single_cpu_of_qemu_virt),
		cmocka_unit_test(test_discover_reads_gic_distributor_and_redistributor),
		cmocka_unit_test(test_discover_converts_uart_spi_to_intid_33),
		cmocka_unit_test(test_discover_converts_timer_ppis_to_intids),
		cmocka_unit_test(test_discover_reads_psci_hvc_without_virtualization),
		cmocka_unit_test(test_discover_reads_psci_smc_with_virtualization),
		cmocka_unit_test(test_discover_reads_the_gic_maintenance_ppi),
		cmocka_unit_test(test_discover_reads_two_cpus_and_one_gigabyte),
		cmocka_unit_test(test_discover_collects_ranges_of_several_memory_nodes),
		cmocka_unit_test(test_discover_collects_memreserve_and_reserved_memory_children),
		cmocka_unit_test(test_discover_reads_gic_redistributor_regions),
		cmocka_unit_test(test_discover_reads_two_cell_mpidrs_and_skips_failed_cpus),
		cmocka_unit_test(test_discover_finds_uart_and_gic_below_a_bus),
		cmocka_unit_test(test_discover_reports_missing_memory_node_as_not_found),
		cmocka_unit_test(test_discover_follows_stdout_path_alias_with_options),
		cmocka_unit_test(test_discover_falls_back_to_first_enabled_pl011),
		cmocka_unit_test(test_discover_decodes_one_cell_addresses_and_sizes),
		cmocka_unit_test(test_discover_cuts_tables_at_capacity),
		cmocka_unit_test(test_discover_ends_on_interrupt_parent_loop),
		cmocka_unit_test(test_discover_accepts_null_why),
		cmocka_unit_test(test_discover_rejects_null_blob),
		cmocka_unit_test(test_discover_rejects_bad_magic),
		cmocka_unit_test(test_discover_reports_totalsize_beyond_max_size_as_truncated),
		cmocka_unit_test(test_discover_rejects_every_truncation_of_a_valid_blob),
		cmocka_unit_test(test_discover_rejects_totalsize_smaller_than_header),
		cmocka_unit_test(test_discover_rejects_struct_block_outside_blob),
		cmocka_unit_test(test_discover_rejects_misaligned_struct_block),
		cmocka_unit_test(test_discover_rejects_strings_block_outside_blob),
		cmocka_unit_test(test_discover_rejects_unterminated_strings),
		cmocka_unit_test(test_discover_rejects_property_length_past_block_end),
		cmocka_unit_test(test_discover_rejects_property_name_offset_past_strings),
		cmocka_unit_test(test_discover_rejects_struct_block_without_end_token),
		cmocka_unit_test(test_discover_rejects_unknown_version),
		cmocka_unit_test(test_discover_rejects_misplaced_memory_reservation_block),
		cmocka_unit_test(test_discover_survives_random_corruption),
		cmocka_unit_test(test_builder_minimal_tree_is_accepted),
		cmocka_unit_test(test_discover_accepts_nesting_up_to_the_depth_limit),
		cmocka_unit_test(test_discover_rejects_nesting_deeper_than_the_limit),
		cmocka_unit_test(test_discover_rejects_missing_end_token),
		cmocka_unit_test(test_discover_accepts_nop_tokens_anywhere),
		cmocka_unit_test(test_discover_rejects_unknown_token),
		cmocka_unit_test(test_discover_rejects_unbalanced_end_node),
		cmocka_unit_test(test_discover_rejects_property_after_child_node),
		cmocka_unit_test(test_discover_rejects_second_root_node),
		cmocka_unit_test(test_discover_rejects_node_name_running_off_the_block),
		cmocka_unit_test(test_discover_rejects_unterminated_memory_reservation_block),
		cmocka_unit_test(test_discover_rejects_wrapping_memory_reservation),
		cmocka_unit_test(test_discover_rejects_memory_reg_with_partial_entry),
		cmocka_unit_test(test_discover_rejects_wrapping_memory_range),
		cmocka_unit_test(test_discover_rejects_root_address_cells_beyond_two),
		cmocka_unit_test(test_discover_rejects_cpu_without_reg),
		cmocka_unit_test(test_discover_rejects_cpus_address_cells_beyond_two),
		cmocka_unit_test(test_discover_rejects_gic_with_fewer_regions_than_declared),
		cmocka_unit_test(test_discover_ignores_interrupts_shorter_than_one_specifier),
		cmocka_unit_test(test_fdt_walks_nodes_in_document_order_with_depth),
		cmocka_unit_test(test_fdt_lists_children_and_parents),
		cmocka_unit_test(test_fdt_finds_path_with_or_without_unit_address),
		cmocka_unit_test(test_fdt_finds_node_by_phandle),
		cmocka_unit_test(test_fdt_follows_root_interrupt_parent_to_the_gic),
		cmocka_unit_test(test_fdt_matches_any_compatible_entry),
		cmocka_unit_test(test_fdt_reads_memory_reservation_entries),
		cmocka_unit_test(test_fdt_reads_big_endian_values_at_any_alignment),
		cmocka_unit_test(test_fdt_prop_str_rejects_unterminated_value),
		cmocka_unit_test(test_fdt_reg_decodes_cells_and_rejects_wrapping),
		cmocka_unit_test(test_fdt_init_leaves_an_inert_reader_on_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
