/*
 * Tests of the system-description parser (libs/sysdesc).
 *
 * The valid description is a fixture (fixtures/sysdesc_valid.dts, compiled
 * by dtc at build time), checked field by field. Most invalid ones are that
 * fixture with one thing changed through libfdt's read-write API, so each
 * test shows exactly what is wrong; a duplicate VM name, which dtc refuses
 * to compile, is built from scratch with the sequential-write API. Every
 * rejection is checked for the exact node, property and message it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libfdt.h>
#include <mica/sysdesc.h>

/* Room an edited blob gets beyond its original size. */
#define EDIT_ROOM 8192

#define VALID "sysdesc_valid"

/* A blob in a heap buffer of size bytes. */
struct blob {
	void *data;
	size_t size;
};

/* Parsing results are large; one of each is enough. */
static struct sysdesc desc;
static struct sysdesc_error error;

static struct blob read_file(const char *path)
{
	struct blob b = {NULL, 0};
	FILE *f = fopen(path, "rb");
	long len;

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

static struct blob load(const char *fixture)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.dtb", FIXTURE_DIR, fixture);
	return read_file(path);
}

/* A fixture opened for editing, with EDIT_ROOM bytes to grow into. */
static struct blob edit(const char *fixture)
{
	struct blob in = load(fixture);
	struct blob out = {malloc(in.size + EDIT_ROOM), in.size + EDIT_ROOM};

	assert_non_null(out.data);
	assert_int_equal(fdt_open_into(in.data, out.data, (int)out.size), 0);
	free(in.data);
	return out;
}

static int node(const struct blob *b, const char *path)
{
	int offset = fdt_path_offset(b->data, path);

	assert_true(offset >= 0);
	return offset;
}

/* Set property name of the node at path to the cells given. */
static void set_cells(struct blob *b, const char *path, const char *name, int count,
		      const uint32_t *cells)
{
	fdt32_t be[64];

	assert_true(count <= 64);
	for (int i = 0; i < count; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	assert_int_equal(
		fdt_setprop(b->data, node(b, path), name, be, (int)(sizeof(be[0]) * (size_t)count)),
		0);
}

#define SET_CELLS(b, path, name, ...)                                                              \
	do {                                                                                       \
		const uint32_t cells_[] = {__VA_ARGS__};                                           \
		set_cells((b), (path), (name), (int)(sizeof(cells_) / sizeof(cells_[0])), cells_); \
	} while (0)

static void set_string(struct blob *b, const char *path, const char *name, const char *value)
{
	assert_int_equal(fdt_setprop_string(b->data, node(b, path), name, value), 0);
}

static void set_bytes(struct blob *b, const char *path, const char *name, const void *value,
		      int len)
{
	assert_int_equal(fdt_setprop(b->data, node(b, path), name, value, len), 0);
}

static void delete_prop(struct blob *b, const char *path, const char *name)
{
	assert_int_equal(fdt_delprop(b->data, node(b, path), name), 0);
}

static int add_node(struct blob *b, const char *parent, const char *name)
{
	int offset = fdt_add_subnode(b->data, node(b, parent), name);

	assert_true(offset >= 0);
	return offset;
}

/* Parse b, expect it to be rejected with exactly this node, property and message. */
static void expect_error(struct blob *b, const char *node_path, const char *property,
			 const char *message)
{
	assert_int_equal(sysdesc_parse(b->data, b->size, &desc, &error), MICA_ERR_MALFORMED);
	assert_string_equal(error.node, node_path);
	assert_string_equal(error.property, property);
	assert_string_equal(error.message, message);
	free(b->data);
	b->data = NULL;
}

static void expect_valid(struct blob *b)
{
	enum mica_error err = sysdesc_parse(b->data, b->size, &desc, &error);

	if (err != MICA_OK)
		fail_msg("%s: '%s': %s", error.node, error.property, error.message);
}

/* --- A valid description ------------------------------------------------------------------ */

static void test_parse_reads_every_field_of_a_valid_description(void **state)
{
	struct blob b = load(VALID);
	const struct sysdesc_vm *vm = &desc.vms[0];

	expect_valid(&b);
	assert_int_equal(desc.server_count, 2);
	assert_string_equal(desc.servers[0].name, "pl011");
	assert_string_equal(desc.servers[0].program, "vdev_pl011");
	assert_string_equal(desc.servers[1].name, "virtio-blk");
	assert_string_equal(desc.servers[1].program, "vdev_virtio_blk");
	assert_int_equal(desc.servers[1].crash_after, 1000);
	assert_int_equal(desc.servers[1].fail_restart, 2);
	assert_int_equal(desc.servers[1].cpu, 3);
	assert_int_equal(desc.vm_count, 2);

	assert_string_equal(vm->name, "linux");
	assert_string_equal(vm->kernel, "linux-image");
	assert_string_equal(vm->initrd, "rootfs");
	assert_string_equal(vm->bootargs, "console=ttyAMA0 earlycon");
	assert_int_equal(vm->vcpu_count, 2);
	assert_int_equal(vm->vcpu_affinity[0], 1);
	assert_int_equal(vm->vcpu_affinity[1], 0);

	assert_int_equal(vm->region_count, 3);
	assert_int_equal(vm->regions[0].ipa.base, 0x40000000);
	assert_int_equal(vm->regions[0].ipa.size, 0x10000000);
	assert_false(vm->regions[0].is_identity);
	assert_int_equal(vm->regions[1].ipa.base, 0x100000000);
	assert_int_equal(vm->regions[1].ipa.size, 0x200000);
	assert_false(vm->regions[1].is_identity);
	assert_int_equal(vm->regions[2].ipa.base, 0x70000000);
	assert_int_equal(vm->regions[2].ipa.size, 0x1000000);
	assert_true(vm->regions[2].is_identity);

	assert_int_equal(vm->device_count, 2);
	assert_string_equal(vm->devices[0].name, "serial@9000000");
	assert_string_equal(vm->devices[0].compatible, "arm,pl011");
	assert_int_equal(vm->devices[0].server, 0);
	assert_int_equal(vm->devices[0].ipa.base, 0x9000000);
	assert_int_equal(vm->devices[0].ipa.size, 0x1000);
	assert_int_equal(vm->devices[0].intid, 33);
	assert_string_equal(vm->devices[1].name, "virtio@a000000");
	assert_string_equal(vm->devices[1].compatible, "virtio,mmio");
	assert_int_equal(vm->devices[1].server, 1);
	assert_int_equal(vm->devices[1].ipa.base, 0xa000000);
	assert_int_equal(vm->devices[1].ipa.size, 0x200000);
	assert_int_equal(vm->devices[1].intid, 48);
	assert_string_equal(vm->devices[1].file, "disk");
	assert_null(vm->devices[0].file);

	assert_int_equal(vm->passthrough_count, 2);
	assert_string_equal(vm->passthrough[0].name, "rtc@9010000");
	assert_int_equal(vm->passthrough[0].host_physical, 0x9010000);
	assert_int_equal(vm->passthrough[0].ipa.base, 0x9010000);
	assert_int_equal(vm->passthrough[0].ipa.size, 0x1000);
	assert_int_equal(vm->passthrough[0].intid, 34);
	assert_int_equal(vm->passthrough[0].compatible_len, sizeof("arm,pl031\0arm,primecell"));
	assert_memory_equal(vm->passthrough[0].compatible, "arm,pl031\0arm,primecell",
			    sizeof("arm,pl031\0arm,primecell"));
	assert_string_equal(vm->passthrough[1].name, "scratch@80000000");
	assert_int_equal(vm->passthrough[1].compatible_len, sizeof("mica,scratch"));
	assert_string_equal(vm->passthrough[1].compatible, "mica,scratch");
	assert_int_equal(vm->passthrough[1].host_physical, 0x200000000);
	assert_int_equal(vm->passthrough[1].ipa.base, 0x80000000);
	assert_int_equal(vm->passthrough[1].ipa.size, 0x4000);
	assert_int_equal(vm->passthrough[1].intid, 0);

	assert_int_equal(desc.channel_count, 1);
	assert_string_equal(desc.channels[0].name, "ping");
	assert_int_equal(desc.channels[0].size, 0x4000);
	assert_int_equal(desc.channels[0].end_count, 2);
	assert_int_equal(desc.channels[0].ends[0].vm, 0);
	assert_int_equal(desc.channels[0].ends[0].ipa, 0x50000000);
	assert_int_equal(desc.channels[0].ends[0].intid, 60);
	assert_int_equal(desc.channels[0].ends[0].doorbell, 2);
	assert_false(desc.channels[0].ends[0].is_read_only);
	assert_int_equal(desc.channels[0].ends[1].vm, 1);
	assert_int_equal(desc.channels[0].ends[1].ipa, 0x50000000);
	assert_int_equal(desc.channels[0].ends[1].intid, 40);
	assert_int_equal(desc.channels[0].ends[1].doorbell, 0);
	assert_true(desc.channels[0].ends[1].is_read_only);
	free(b.data);
}

/* The IVC server's testing aid, at the root. */
static void test_parse_reads_ivc_crash_after_at_the_root(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/", "ivc-crash-after", 40);
	expect_valid(&b);
	assert_int_equal(desc.ivc_crash_after, 40);
	SET_CELLS(&b, "/", "ivc-crash-after", 0, 40);
	expect_error(&b, "/", "ivc-crash-after", "is 8 bytes long, expected one cell (4)");
	free(b.data);
}

static void test_parse_gives_optional_properties_their_defaults(void **state)
{
	struct blob b = load(VALID);
	const struct sysdesc_vm *vm = &desc.vms[1];

	expect_valid(&b);
	/* A server without the testing aids never crashes or fails on purpose; it runs on CPU 0. */
	assert_int_equal(desc.servers[0].crash_after, 0);
	assert_int_equal(desc.servers[0].fail_restart, 0);
	assert_int_equal(desc.servers[0].cpu, 0);
	assert_int_equal(desc.ivc_crash_after, 0);
	assert_string_equal(vm->name, "bare");
	assert_string_equal(vm->kernel, "guest");
	assert_null(vm->initrd);
	assert_string_equal(vm->bootargs, "");
	assert_int_equal(vm->unmapped, SYSDESC_UNMAPPED_ABORT);
	assert_int_equal(vm->vcpu_count, 1);
	assert_int_equal(vm->vcpu_affinity[0], 1);
	assert_int_equal(vm->region_count, 1);
	assert_int_equal(vm->device_count, 1);
	assert_int_equal(vm->devices[0].intid, 0);
	assert_int_equal(vm->passthrough_count, 0);
	free(b.data);
}

/* The example of docs/system-description.md, as apps/root/system.dts. */
static void test_parse_accepts_the_example_system(void **state)
{
	struct blob b = read_file(EXAMPLE_DTB);

	expect_valid(&b);
	assert_true(desc.vm_count >= 1);
	free(b.data);
}

/* Every limit reached exactly is still valid. */
static void test_parse_accepts_every_maximum(void **state)
{
	struct blob b = edit(VALID);
	uint32_t cells[4 * SYSDESC_REGION_MAX];
	const struct sysdesc_vm *bare;
	char name[32];

	for (size_t i = 0; i < SYSDESC_REGION_MAX; i++) {
		cells[4 * i] = 0;
		cells[4 * i + 1] = 0x40000000u + (uint32_t)i * 0x100000u;
		cells[4 * i + 2] = 0;
		cells[4 * i + 3] = 0x100000;
	}
	set_cells(&b, "/vms/bare", "memory", 4 * SYSDESC_REGION_MAX, cells);
	SET_CELLS(&b, "/vms/bare", "cpus", SYSDESC_VCPU_MAX);
	SET_CELLS(&b, "/vms/bare", "cpu-affinity", 0, 1, 2, 3, 4, 5, 6, 7);
	for (int i = 1; i < SYSDESC_DEVICE_MAX; i++) {
		char path[64];

		snprintf(name, sizeof(name), "uart@%x", 0x9000000 + i * 0x1000);
		add_node(&b, "/vms/bare/devices", name);
		snprintf(path, sizeof(path), "/vms/bare/devices/%s", name);
		set_string(&b, path, "compatible", "arm,pl011");
		set_string(&b, path, "server", "pl011");
		SET_CELLS(&b, path, "reg", 0, 0x9000000u + (uint32_t)i * 0x1000u, 0, 0x1000);
		SET_CELLS(&b, path, "interrupt", 40 + (uint32_t)i);
	}
	for (int i = 2; i < SYSDESC_VM_MAX; i++) {
		char path[64];

		snprintf(name, sizeof(name), "vm%d", i);
		add_node(&b, "/vms", name);
		snprintf(path, sizeof(path), "/vms/%s", name);
		SET_CELLS(&b, path, "memory", 0, 0x40000000, 0, 0x100000);
		SET_CELLS(&b, path, "cpus", 1);
		SET_CELLS(&b, path, "cpu-affinity", 0);
		set_string(&b, path, "kernel", "guest");
	}
	expect_valid(&b);
	assert_int_equal(desc.vm_count, SYSDESC_VM_MAX);
	/* libfdt adds a node before its siblings, so bare is now last. */
	bare = &desc.vms[SYSDESC_VM_MAX - 1];
	assert_string_equal(bare->name, "bare");
	assert_int_equal(bare->region_count, SYSDESC_REGION_MAX);
	assert_int_equal(bare->regions[7].ipa.base, 0x40700000);
	assert_int_equal(bare->vcpu_count, SYSDESC_VCPU_MAX);
	assert_int_equal(bare->vcpu_affinity[7], 7);
	assert_int_equal(bare->device_count, SYSDESC_DEVICE_MAX);
	free(b.data);
}

/* --- Not a description at all ------------------------------------------------------------- */

static void test_parse_rejects_a_blob_that_is_not_a_device_tree(void **state)
{
	struct blob b = load(VALID);

	memset(b.data, 0x5a, 8);
	expect_error(&b, "/", "", "not a valid device tree blob: FDT_ERR_BADMAGIC");
}

static void test_parse_rejects_a_truncated_blob(void **state)
{
	struct blob b = load(VALID);

	b.size -= 1;
	expect_error(&b, "/", "", "not a valid device tree blob: FDT_ERR_TRUNCATED");
	b = load(VALID);
	b.size = 20;
	expect_error(&b, "/", "", "not a device tree blob: only 20 bytes");
}

static void test_parse_rejects_a_root_that_is_not_a_mica_system(void **state)
{
	struct blob b = edit(VALID);

	set_string(&b, "/", "compatible", "linux,dummy-virt");
	expect_error(&b, "/", "compatible", "does not list \"mica,system\"");
	b = edit(VALID);
	delete_prop(&b, "/", "compatible");
	expect_error(&b, "/", "compatible", "missing");
}

static void test_parse_rejects_a_system_without_vms(void **state)
{
	struct blob b = edit(VALID);

	assert_int_equal(fdt_del_node(b.data, node(&b, "/vms")), 0);
	expect_error(&b, "/", "", "no 'vms' node");
	b = edit(VALID);
	assert_int_equal(fdt_del_node(b.data, node(&b, "/vms/linux")), 0);
	assert_int_equal(fdt_del_node(b.data, node(&b, "/vms/bare")), 0);
	expect_error(&b, "/vms", "", "no VMs");
}

/* --- Missing and malformed properties ----------------------------------------------------- */

static void test_parse_rejects_each_missing_required_property(void **state)
{
	static const struct {
		const char *node;
		const char *property;
	} required[] = {
		{"/servers/pl011", "program"},
		{"/vms/linux", "cpus"},
		{"/vms/linux", "cpu-affinity"},
		{"/vms/linux", "kernel"},
		{"/vms/linux/devices/serial@9000000", "compatible"},
		{"/vms/linux/devices/serial@9000000", "server"},
		{"/vms/linux/devices/serial@9000000", "reg"},
		{"/vms/linux/passthrough/rtc@9010000", "compatible"},
		{"/vms/linux/passthrough/rtc@9010000", "reg"},
		{"/vms/linux/passthrough/rtc@9010000", "physical"},
	};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		struct blob b = edit(VALID);

		delete_prop(&b, required[i].node, required[i].property);
		expect_error(&b, required[i].node, required[i].property, "missing");
	}
}

static void test_parse_rejects_a_vm_without_memory(void **state)
{
	struct blob b = edit(VALID);

	delete_prop(&b, "/vms/linux", "memory");
	delete_prop(&b, "/vms/linux", "memory-identity");
	expect_error(&b, "/vms/linux", "memory",
		     "missing (a VM needs 'memory' or 'memory-identity')");
}

static void test_parse_rejects_wrong_property_lengths(void **state)
{
	static const uint8_t bytes[12] = {0};
	struct blob b = edit(VALID);

	set_bytes(&b, "/vms/linux", "cpus", bytes, 8);
	expect_error(&b, "/vms/linux", "cpus", "is 8 bytes long, expected one cell (4)");

	b = edit(VALID);
	set_bytes(&b, "/vms/linux", "memory", bytes, 12);
	expect_error(&b, "/vms/linux", "memory",
		     "is 12 bytes long, expected address and size pairs of two cells each (16 "
		     "bytes a region)");

	b = edit(VALID);
	set_bytes(&b, "/vms/linux", "cpu-affinity", bytes, 6);
	expect_error(&b, "/vms/linux", "cpu-affinity",
		     "is 6 bytes long, expected one cell per vCPU");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/devices/serial@9000000", "reg", 0x9000000, 0x1000);
	expect_error(&b, "/vms/linux/devices/serial@9000000", "reg",
		     "is 8 bytes long, expected address and size of two cells each (16)");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough/rtc@9010000", "physical", 0x9010000);
	expect_error(&b, "/vms/linux/passthrough/rtc@9010000", "physical",
		     "is 4 bytes long, expected two cells (8)");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/devices/serial@9000000", "interrupt", 0, 33, 4);
	expect_error(&b, "/vms/linux/devices/serial@9000000", "interrupt",
		     "is 12 bytes long, expected one cell (4)");

	b = edit(VALID);
	SET_CELLS(&b, "/servers/pl011", "cpu", 0, 1);
	expect_error(&b, "/servers/pl011", "cpu", "is 8 bytes long, expected one cell (4)");

	/* An empty 'cpu' (dtc writes "cpu;" so) is no CPU index either. */
	b = edit(VALID);
	set_bytes(&b, "/servers/virtio-blk", "cpu", bytes, 0);
	expect_error(&b, "/servers/virtio-blk", "cpu", "is 0 bytes long, expected one cell (4)");

	b = edit(VALID);
	set_bytes(&b, "/servers/virtio-blk", "crash-after", bytes, 2);
	expect_error(&b, "/servers/virtio-blk", "crash-after",
		     "is 2 bytes long, expected one cell (4)");

	b = edit(VALID);
	SET_CELLS(&b, "/servers/virtio-blk", "fail-restart", 1, 2);
	expect_error(&b, "/servers/virtio-blk", "fail-restart",
		     "is 8 bytes long, expected one cell (4)");
}

static void test_parse_rejects_strings_that_are_not_one_string(void **state)
{
	static const char two[] = "linux\0image";
	static const char unterminated[] = {'l', 'i', 'n'};
	struct blob b = edit(VALID);

	set_bytes(&b, "/vms/linux", "kernel", two, sizeof(two));
	expect_error(&b, "/vms/linux", "kernel", "must be one string");

	b = edit(VALID);
	set_bytes(&b, "/vms/linux", "initrd", unterminated, sizeof(unterminated));
	expect_error(&b, "/vms/linux", "initrd", "must be one string");

	b = edit(VALID);
	set_string(&b, "/servers/pl011", "program", "");
	expect_error(&b, "/servers/pl011", "program", "must not be empty");

	/* A passthrough's compatible is a list, of strings that are not empty. */
	b = edit(VALID);
	set_bytes(&b, "/vms/linux/passthrough/rtc@9010000", "compatible", "arm,pl031\0\0x",
		  sizeof("arm,pl031\0\0x"));
	expect_error(&b, "/vms/linux/passthrough/rtc@9010000", "compatible",
		     "must be a list of non-empty strings");
	b = edit(VALID);
	set_bytes(&b, "/vms/linux/passthrough/rtc@9010000", "compatible", unterminated,
		  sizeof(unterminated));
	expect_error(&b, "/vms/linux/passthrough/rtc@9010000", "compatible",
		     "must be a list of non-empty strings");
	b = edit(VALID);
	set_string(&b, "/vms/linux/passthrough/rtc@9010000", "compatible", "");
	expect_error(&b, "/vms/linux/passthrough/rtc@9010000", "compatible",
		     "must be a list of non-empty strings");

	/* An empty command line is a command line. */
	b = edit(VALID);
	set_string(&b, "/vms/linux", "bootargs", "");
	expect_valid(&b);
	assert_string_equal(desc.vms[0].bootargs, "");
	free(b.data);
}

/* 'unmapped-access' takes its three words, and nothing else. */
static void test_parse_reads_unmapped_access(void **state)
{
	static const struct {
		const char *word;
		enum sysdesc_unmapped policy;
	} words[] = {
		{"abort", SYSDESC_UNMAPPED_ABORT},
		{"read-as-zero", SYSDESC_UNMAPPED_READ_AS_ZERO},
		{"stop", SYSDESC_UNMAPPED_STOP},
	};
	struct blob b;

	(void)state;
	for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		b = edit(VALID);
		set_string(&b, "/vms/linux", "unmapped-access", words[i].word);
		expect_valid(&b);
		assert_int_equal(desc.vms[0].unmapped, words[i].policy);
		free(b.data);
	}
	b = edit(VALID);
	set_string(&b, "/vms/linux", "unmapped-access", "zero");
	expect_error(&b, "/vms/linux", "unmapped-access",
		     "\"zero\" is none of \"abort\", \"read-as-zero\", \"stop\"");
}

static void test_parse_rejects_address_cells_other_than_two(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux/devices", "#address-cells", 1);
	expect_error(&b, "/vms/linux/devices", "#address-cells",
		     "is 1, but addresses and sizes are two cells each");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough", "#size-cells", 1);
	expect_error(&b, "/vms/linux/passthrough", "#size-cells",
		     "is 1, but addresses and sizes are two cells each");
}

static void test_parse_rejects_unknown_properties_and_nodes(void **state)
{
	struct blob b = edit(VALID);

	set_string(&b, "/vms/linux", "bootarg", "console=ttyAMA0");
	expect_error(&b, "/vms/linux", "bootarg", "unknown property");

	/* 'cpu' is a server's; a VM places its vCPUs with 'cpu-affinity'. */
	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux", "cpu", 1);
	expect_error(&b, "/vms/linux", "cpu", "unknown property");

	b = edit(VALID);
	SET_CELLS(&b, "/servers/pl011", "cpus", 1);
	expect_error(&b, "/servers/pl011", "cpus", "unknown property");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/devices/serial@9000000", "interrupts", 0, 1, 4);
	expect_error(&b, "/vms/linux/devices/serial@9000000", "interrupts", "unknown property");

	b = edit(VALID);
	add_node(&b, "/vms/linux", "device");
	expect_error(&b, "/vms/linux/device", "", "unknown node");

	b = edit(VALID);
	add_node(&b, "/", "channel");
	expect_error(&b, "/channel", "", "unknown node");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/linux", "size", 0, 0x1000);
	expect_error(&b, "/channels/ping/linux", "size", "unknown property");
}

/* --- References ---------------------------------------------------------------------------- */

static void test_parse_rejects_an_unknown_server(void **state)
{
	struct blob b = edit(VALID);

	set_string(&b, "/vms/linux/devices/virtio@a000000", "server", "virtio-net");
	expect_error(&b, "/vms/linux/devices/virtio@a000000", "server",
		     "no server 'virtio-net' in /servers");

	/* Without /servers, no device can name one. */
	b = edit(VALID);
	assert_int_equal(fdt_del_node(b.data, node(&b, "/servers")), 0);
	expect_error(&b, "/vms/linux/devices/serial@9000000", "server",
		     "no server 'pl011' in /servers");
}

/* Two nodes of the same name cannot come from dtc, so this blob is built by hand. */
static void test_parse_rejects_duplicate_vm_names(void **state)
{
	const fdt32_t memory[] = {0, cpu_to_fdt32(0x40000000), 0, cpu_to_fdt32(0x100000)};
	const fdt32_t one = cpu_to_fdt32(1);
	const fdt32_t zero = 0;
	struct blob b = {malloc(4096), 4096};

	assert_non_null(b.data);
	assert_int_equal(fdt_create(b.data, (int)b.size), 0);
	assert_int_equal(fdt_finish_reservemap(b.data), 0);
	assert_int_equal(fdt_begin_node(b.data, ""), 0);
	assert_int_equal(fdt_property_string(b.data, "compatible", "mica,system"), 0);
	assert_int_equal(fdt_begin_node(b.data, "vms"), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fdt_begin_node(b.data, "twin"), 0);
		assert_int_equal(fdt_property(b.data, "memory", memory, sizeof(memory)), 0);
		assert_int_equal(fdt_property(b.data, "cpus", &one, sizeof(one)), 0);
		assert_int_equal(fdt_property(b.data, "cpu-affinity", &zero, sizeof(zero)), 0);
		assert_int_equal(fdt_property_string(b.data, "kernel", "guest"), 0);
		assert_int_equal(fdt_end_node(b.data), 0);
	}
	assert_int_equal(fdt_end_node(b.data), 0);
	assert_int_equal(fdt_end_node(b.data), 0);
	assert_int_equal(fdt_finish(b.data), 0);
	expect_error(&b, "/vms/twin", "", "another VM has the same name");
}

static void test_parse_rejects_duplicate_server_names(void **state)
{
	struct blob b = edit(VALID);

	assert_int_equal(fdt_set_name(b.data, node(&b, "/servers/virtio-blk"), "pl011"), 0);
	expect_error(&b, "/servers/pl011", "", "another server has the same name");
}

/* --- Ranges -------------------------------------------------------------------------------- */

static void test_parse_rejects_overlapping_memory_regions(void **state)
{
	struct blob b = load("sysdesc_overlap");

	expect_error(&b, "/vms/guest", "memory", "region 1 overlaps region 0");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux", "memory-identity", 0, 0x70000000, 0, 0x1000, 1, 0x1000, 0,
		  0x1000);
	expect_error(&b, "/vms/linux", "memory-identity", "region 1 overlaps region 1 of 'memory'");
}

static void test_parse_rejects_a_device_overlapping_ram(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux/devices/virtio@a000000", "reg", 0, 0x4ffff000, 0, 0x1000);
	expect_error(&b, "/vms/linux/devices/virtio@a000000", "reg",
		     "overlaps region 0 of 'memory'");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/devices/virtio@a000000", "reg", 0, 0x70fff000, 0, 0x2000);
	expect_error(&b, "/vms/linux/devices/virtio@a000000", "reg",
		     "overlaps region 0 of 'memory-identity'");
}

static void test_parse_rejects_a_device_overlapping_another_device(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux/devices/virtio@a000000", "reg", 0, 0x8fff000, 0, 0x2000);
	expect_error(&b, "/vms/linux/devices/virtio@a000000", "reg",
		     "overlaps device 'serial@9000000'");
}

static void test_parse_rejects_passthrough_overlapping_anything(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux/passthrough/rtc@9010000", "reg", 0, 0x9000000, 0, 0x1000);
	expect_error(&b, "/vms/linux/passthrough/rtc@9010000", "reg",
		     "overlaps device 'serial@9000000'");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough/scratch@80000000", "reg", 0, 0x9010000, 0, 0x1000);
	expect_error(&b, "/vms/linux/passthrough/scratch@80000000", "reg",
		     "overlaps passthrough 'rtc@9010000'");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough/scratch@80000000", "reg", 1, 0, 0, 0x1000);
	expect_error(&b, "/vms/linux/passthrough/scratch@80000000", "reg",
		     "overlaps region 1 of 'memory'");
}

/* The guest's GIC, as the errors name it (<mica/guest_platform.h>). */
#define GICD_WHAT "the guest's GIC distributor (0x08000000..0x0800ffff)"

static void test_parse_rejects_ram_over_the_gic_distributor(void **state)
{
	struct blob b = edit(VALID);
	char line[300];

	SET_CELLS(&b, "/vms/linux", "memory", 0, 0x40000000, 0, 0x10000000, 0, 0x07ff0000, 0,
		  0x20000);
	assert_int_equal(sysdesc_parse(b.data, b.size, &desc, &error), MICA_ERR_MALFORMED);
	(void)sysdesc_error_format(&error, line, sizeof(line));
	assert_string_equal(line, "/vms/linux: property 'memory': region 1 overlaps " GICD_WHAT);
	free(b.data);

	/* Identity memory too, and a region that covers the whole GIC. */
	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux", "memory-identity", 0, 0x07e00000, 0, 0x400000);
	expect_error(&b, "/vms/linux", "memory-identity", "region 0 overlaps " GICD_WHAT);
}

/* With 4 vCPUs the redistributors reach the 4th vCPU's frames at 0x08100000. */
static void test_parse_rejects_a_device_over_the_redistributors_of_its_vcpus(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux", "cpus", 4);
	SET_CELLS(&b, "/vms/linux", "cpu-affinity", 0, 1, 2, 3);
	SET_CELLS(&b, "/vms/linux/devices/virtio@a000000", "reg", 0, 0x08100000, 0, 0x1000);
	expect_error(&b, "/vms/linux/devices/virtio@a000000", "reg",
		     "overlaps the guest's GIC redistributors (0x080a0000..0x0811ffff, 4 vCPUs)");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux", "cpus", 1);
	SET_CELLS(&b, "/vms/linux", "cpu-affinity", 0);
	SET_CELLS(&b, "/vms/linux/devices/virtio@a000000", "reg", 0, 0x080b0000, 0, 0x1000);
	expect_error(&b, "/vms/linux/devices/virtio@a000000", "reg",
		     "overlaps the guest's GIC redistributors (0x080a0000..0x080bffff, 1 vCPU)");
}

static void test_parse_accepts_a_device_past_the_redistributors_of_fewer_vcpus(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux", "cpus", 1);
	SET_CELLS(&b, "/vms/linux", "cpu-affinity", 0);
	SET_CELLS(&b, "/vms/linux/devices/virtio@a000000", "reg", 0, 0x08100000, 0, 0x1000);
	expect_valid(&b);
	assert_int_equal(desc.vms[0].devices[1].ipa.base, 0x08100000);
	free(b.data);

	/* Right up to the GIC on both sides, and in the gap between its two parts. */
	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux", "cpus", 4);
	SET_CELLS(&b, "/vms/linux", "cpu-affinity", 0, 1, 2, 3);
	SET_CELLS(&b, "/vms/linux/devices/serial@9000000", "reg", 0, 0x07fff000, 0, 0x1000);
	SET_CELLS(&b, "/vms/linux/devices/virtio@a000000", "reg", 0, 0x08120000, 0, 0x1000);
	SET_CELLS(&b, "/vms/linux/passthrough/rtc@9010000", "reg", 0, 0x08010000, 0, 0x90000);
	expect_valid(&b);
	free(b.data);
}

static void test_parse_rejects_passthrough_over_the_gic_distributor(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux/passthrough/rtc@9010000", "reg", 0, 0x0800f000, 0, 0x1000);
	expect_error(&b, "/vms/linux/passthrough/rtc@9010000", "reg", "overlaps " GICD_WHAT);
}

static void test_parse_rejects_host_memory_given_twice(void **state)
{
	struct blob b = edit(VALID);

	/* bare's RAM is allocated; giving it linux's rtc as well is not. */
	add_node(&b, "/vms/bare", "passthrough");
	add_node(&b, "/vms/bare/passthrough", "rtc@20000000");
	set_string(&b, "/vms/bare/passthrough/rtc@20000000", "compatible", "arm,pl031");
	SET_CELLS(&b, "/vms/bare/passthrough/rtc@20000000", "reg", 0, 0x20000000, 0, 0x1000);
	SET_CELLS(&b, "/vms/bare/passthrough/rtc@20000000", "physical", 0, 0x9010000);
	expect_error(&b, "/vms/bare/passthrough/rtc@20000000", "physical",
		     "overlaps the host memory of passthrough 'rtc@9010000' of VM 'linux'");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/bare", "memory-identity", 0, 0x70800000, 0, 0x1000);
	expect_error(&b, "/vms/bare", "memory-identity",
		     "region 0 overlaps the host memory of region 0 of 'memory-identity' of VM "
		     "'linux'");

	/* Within one VM too: a passthrough onto its own identity memory. */
	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough/scratch@80000000", "physical", 0, 0x70000000);
	expect_error(&b, "/vms/linux/passthrough/scratch@80000000", "physical",
		     "overlaps the host memory of region 0 of 'memory-identity' of VM 'linux'");
}

static void test_parse_rejects_empty_ranges(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux", "memory", 0, 0x40000000, 0, 0x1000, 1, 0, 0, 0);
	expect_error(&b, "/vms/linux", "memory", "region 1 has size 0");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/devices/serial@9000000", "reg", 0, 0x9000000, 0, 0);
	expect_error(&b, "/vms/linux/devices/serial@9000000", "reg", "range has size 0");
}

static void test_parse_rejects_wrapping_ranges(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux", "memory", 0xffffffff, 0xfff00000, 0, 0x200000);
	expect_error(&b, "/vms/linux", "memory",
		     "region 0 wraps past the top of the address space");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough/scratch@80000000", "physical", 0xffffffff,
		  0xfffff000);
	expect_error(&b, "/vms/linux/passthrough/scratch@80000000", "physical",
		     "range wraps past the top of the address space");

	/* Ending exactly at the top is fine. */
	b = edit(VALID);
	SET_CELLS(&b, "/vms/bare", "memory", 0xffffffff, 0xfff00000, 0, 0x100000);
	expect_valid(&b);
	free(b.data);
}

static void test_parse_rejects_ranges_that_are_not_page_aligned(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux", "memory", 0, 0x40000800, 0, 0x1000);
	expect_error(&b, "/vms/linux", "memory", "region 0 is not 4 KiB aligned");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/devices/serial@9000000", "reg", 0, 0x9000000, 0, 0x100);
	expect_error(&b, "/vms/linux/devices/serial@9000000", "reg", "range is not 4 KiB aligned");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough/rtc@9010000", "physical", 0, 0x9010010);
	expect_error(&b, "/vms/linux/passthrough/rtc@9010000", "physical",
		     "0x9010010 is not 4 KiB aligned");
}

/* --- vCPUs and interrupts ----------------------------------------------------------------- */

static void test_parse_rejects_an_affinity_count_mismatch(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux", "cpu-affinity", 0, 1, 2);
	expect_error(&b, "/vms/linux", "cpu-affinity", "3 entries for 2 vCPUs");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux", "cpus", 3);
	expect_error(&b, "/vms/linux", "cpu-affinity", "2 entries for 3 vCPUs");
}

static void test_parse_rejects_zero_vcpus(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux", "cpus", 0);
	expect_error(&b, "/vms/linux", "cpus", "a VM needs at least one vCPU");
}

static void test_parse_rejects_interrupts_that_are_not_spis(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux/devices/serial@9000000", "interrupt", 27);
	expect_error(&b, "/vms/linux/devices/serial@9000000", "interrupt",
		     "INTID 27 is not an SPI of the guest's GIC (32 to 127)");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough/rtc@9010000", "interrupt", 128);
	expect_error(&b, "/vms/linux/passthrough/rtc@9010000", "interrupt",
		     "INTID 128 is not an SPI of the guest's GIC (32 to 127)");
}

static void test_parse_rejects_an_interrupt_used_twice(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux/devices/virtio@a000000", "interrupt", 33);
	expect_error(&b, "/vms/linux/devices/virtio@a000000", "interrupt",
		     "INTID 33 is also used by device 'serial@9000000'");

	b = edit(VALID);
	SET_CELLS(&b, "/vms/linux/passthrough/scratch@80000000", "interrupt", 34);
	expect_error(&b, "/vms/linux/passthrough/scratch@80000000", "interrupt",
		     "INTID 34 is also used by passthrough 'rtc@9010000'");

	/* Different VMs have different interrupt spaces. */
	b = edit(VALID);
	SET_CELLS(&b, "/vms/bare/devices/serial@9000000", "interrupt", 33);
	expect_valid(&b);
	free(b.data);
}

/* --- Too many ------------------------------------------------------------------------------ */

static void test_parse_rejects_too_many_vms(void **state)
{
	struct blob b = edit(VALID);

	for (int i = 2; i <= SYSDESC_VM_MAX; i++) {
		char name[16];
		char path[32];

		snprintf(name, sizeof(name), "vm%d", i);
		snprintf(path, sizeof(path), "/vms/%s", name);
		add_node(&b, "/vms", name);
		SET_CELLS(&b, path, "memory", 0, 0x40000000, 0, 0x100000);
		SET_CELLS(&b, path, "cpus", 1);
		SET_CELLS(&b, path, "cpu-affinity", 0);
		set_string(&b, path, "kernel", "guest");
	}
	expect_error(&b, "/vms", "", "more than 8 VMs");
}

static void test_parse_rejects_too_many_vcpus(void **state)
{
	struct blob b = edit(VALID);

	SET_CELLS(&b, "/vms/linux", "cpus", SYSDESC_VCPU_MAX + 1);
	expect_error(&b, "/vms/linux", "cpus", "9 vCPUs, at most 8");
}

static void test_parse_rejects_too_many_regions(void **state)
{
	struct blob b = edit(VALID);
	uint32_t cells[4 * 6];

	/* linux has 2 allocated regions; 6 identity ones make 8, a seventh is one too many. */
	for (size_t i = 0; i < 6; i++) {
		cells[4 * i] = 0;
		cells[4 * i + 1] = 0x70000000u + (uint32_t)i * 0x1000u;
		cells[4 * i + 2] = 0;
		cells[4 * i + 3] = 0x1000;
	}
	set_cells(&b, "/vms/linux", "memory-identity", 4 * 6, cells);
	expect_valid(&b);
	free(b.data);

	b = edit(VALID);
	set_cells(&b, "/vms/linux", "memory-identity", 4 * 6, cells);
	SET_CELLS(&b, "/vms/linux", "memory", 0, 0x40000000, 0, 0x1000, 0, 0x40001000, 0, 0x1000, 0,
		  0x40002000, 0, 0x1000);
	expect_error(&b, "/vms/linux", "memory-identity",
		     "more than 8 regions in 'memory' and 'memory-identity' together");
}

static void test_parse_rejects_too_many_devices_and_servers(void **state)
{
	struct blob b = edit(VALID);

	for (int i = 1; i <= SYSDESC_DEVICE_MAX; i++) {
		char name[32];
		char path[64];

		snprintf(name, sizeof(name), "uart@%x", 0x9001000 + i * 0x1000);
		snprintf(path, sizeof(path), "/vms/bare/devices/%s", name);
		add_node(&b, "/vms/bare/devices", name);
		set_string(&b, path, "compatible", "arm,pl011");
		set_string(&b, path, "server", "pl011");
		SET_CELLS(&b, path, "reg", 0, 0x9001000u + (uint32_t)i * 0x1000u, 0, 0x1000);
	}
	expect_error(&b, "/vms/bare/devices", "", "more than 16 devices");

	b = edit(VALID);
	for (int i = 2; i <= SYSDESC_SERVER_MAX; i++) {
		char name[16];
		char path[32];

		snprintf(name, sizeof(name), "s%d", i);
		snprintf(path, sizeof(path), "/servers/%s", name);
		add_node(&b, "/servers", name);
		set_string(&b, path, "program", "vdev");
	}
	expect_error(&b, "/servers", "", "more than 16 servers");
}

static void test_parse_rejects_too_many_passthrough_regions(void **state)
{
	struct blob b = edit(VALID);

	for (int i = 2; i <= SYSDESC_PASSTHROUGH_MAX; i++) {
		char name[32];
		char path[64];

		snprintf(name, sizeof(name), "pt@%x", 0x20000000 + i * 0x1000);
		snprintf(path, sizeof(path), "/vms/linux/passthrough/%s", name);
		add_node(&b, "/vms/linux/passthrough", name);
		set_string(&b, path, "compatible", "mica,pt");
		SET_CELLS(&b, path, "reg", 0, 0x20000000u + (uint32_t)i * 0x1000u, 0, 0x1000);
		SET_CELLS(&b, path, "physical", 3, (uint32_t)i * 0x1000u);
	}
	expect_error(&b, "/vms/linux/passthrough", "", "more than 8 passthrough regions");
}

/* --- Error text ---------------------------------------------------------------------------- */

/* --- Channels ------------------------------------------------------------------------------ */

/* Each end's range, interrupt and doorbell against its own VM. */
static void test_parse_rejects_a_channel_end_that_meets_its_vms_items(void **state)
{
	struct blob b = edit(VALID);

	(void)state;
	add_node(&b, "/channels/ping", "nobody");
	expect_error(&b, "/channels/ping/nobody", "", "no VM 'nobody' in /vms");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/linux", "address", 0, 0x4fffe000);
	expect_error(&b, "/channels/ping/linux", "address", "overlaps region 0 of 'memory'");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/bare", "address", 0, 0x09000000);
	expect_error(&b, "/channels/ping/bare", "address", "overlaps device 'serial@9000000'");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/linux", "address", 0, 0x09010000);
	expect_error(&b, "/channels/ping/linux", "address", "overlaps passthrough 'rtc@9010000'");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/bare", "address", 0, 0x08000000);
	expect_error(&b, "/channels/ping/bare", "address",
		     "overlaps the guest's GIC distributor (0x08000000..0x0800ffff)");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/linux", "interrupt", 48);
	expect_error(&b, "/channels/ping/linux", "interrupt",
		     "INTID 48 is also used by device 'virtio@a000000'");

	b = edit(VALID);
	delete_prop(&b, "/channels/ping/bare", "interrupt");
	expect_error(&b, "/channels/ping/bare", "interrupt", "missing (the doorbells ring it)");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/bare", "interrupt", 16);
	expect_error(&b, "/channels/ping/bare", "interrupt",
		     "INTID 16 is not an SPI of the guest's GIC (32 to 127)");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/bare", "interrupt", 128);
	expect_error(&b, "/channels/ping/bare", "interrupt",
		     "INTID 128 is not an SPI of the guest's GIC (32 to 127)");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/bare", "doorbell", 16);
	expect_error(&b, "/channels/ping/bare", "doorbell",
		     "doorbells 16..16: a VM has doorbells 0..15");

	b = edit(VALID);
	delete_prop(&b, "/channels/ping/bare", "doorbell");
	expect_error(&b, "/channels/ping/bare", "doorbell", "missing");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/linux", "address", 0xffffffff, 0xffffe000);
	expect_error(&b, "/channels/ping/linux", "address",
		     "the channel's 0x4000 bytes from here wrap past the top of the address space");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping/linux", "address", 0, 0x50000800);
	expect_error(&b, "/channels/ping/linux", "address", "0x50000800 is not 4 KiB aligned");
}

/* The channel as a whole: its size, its ends, and names. */
static void test_parse_rejects_a_channel_without_two_ends_or_a_page_size(void **state)
{
	struct blob b = edit(VALID);

	(void)state;
	SET_CELLS(&b, "/channels/ping", "size", 0, 0x4100);
	expect_error(&b, "/channels/ping", "size", "0x4100 is not 4 KiB aligned");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping", "size", 0, 0);
	expect_error(&b, "/channels/ping", "size", "is 0");

	b = edit(VALID);
	delete_prop(&b, "/channels/ping", "size");
	expect_error(&b, "/channels/ping", "size", "missing");

	b = edit(VALID);
	assert_int_equal(fdt_del_node(b.data, node(&b, "/channels/ping/bare")), 0);
	expect_error(&b, "/channels/ping", "", "1 end: a channel joins two VMs or more");

	b = edit(VALID);
	set_bytes(&b, "/channels/ping/linux", "read-only", NULL, 0);
	expect_error(&b, "/channels/ping", "", "every end is read-only");

	b = edit(VALID);
	SET_CELLS(&b, "/channels/ping", "interrupt", 40);
	expect_error(&b, "/channels/ping", "interrupt", "unknown property");
}

/*
 * A second channel's ends against the first's in the same VM. libfdt adds
 * a node as its parent's first child, so pong is read before ping, and
 * ping's ends are the ones found at fault.
 */
static void test_parse_rejects_channels_that_meet_in_a_vm(void **state)
{
	static const char *const ends[] = {"/channels/pong/linux", "/channels/pong/bare"};
	struct blob b;

	(void)state;
	for (int k = 0; k < 4; k++) {
		b = edit(VALID);
		add_node(&b, "/channels", "pong");
		SET_CELLS(&b, "/channels/pong", "size", 0, 0x1000);
		for (int e = 0; e < 2; e++) {
			add_node(&b, "/channels/pong", e == 0 ? "linux" : "bare");
			SET_CELLS(&b, ends[e], "address", 0, 0x60000000);
			SET_CELLS(&b, ends[e], "interrupt", 70);
			SET_CELLS(&b, ends[e], "doorbell", 5);
		}
		if (k == 0) {
			expect_valid(&b);
			assert_int_equal(desc.channel_count, 2);
			free(b.data);
			continue;
		}
		if (k == 1) {
			SET_CELLS(&b, ends[0], "address", 0, 0x50003000);
			expect_error(&b, "/channels/ping/linux", "address",
				     "overlaps /channels/pong/linux");
		} else if (k == 2) {
			SET_CELLS(&b, ends[0], "interrupt", 60);
			expect_error(&b, "/channels/ping/linux", "interrupt",
				     "INTID 60 is also used by /channels/pong/linux");
		} else {
			SET_CELLS(&b, ends[1], "doorbell", 0);
			expect_error(&b, "/channels/ping/bare", "doorbell",
				     "doorbells 0..0 meet those of /channels/pong/bare");
		}
	}
}

/*
 * A VM's devices with an interrupt and channel ends, any of which may be a
 * line bound to one vCPU: at most 16 together.
 */
static void test_parse_rejects_more_lines_than_a_vcpu_binds(void **state)
{
	struct blob b = edit(VALID);
	char path[64];

	(void)state;
	/* linux: 2 devices with an interrupt and ping's end; 6 more devices and 7 more ends. */
	for (unsigned i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "/vms/linux/devices/d@%x", 0x0b000000 + i * 0x1000);
		add_node(&b, "/vms/linux/devices", path + strlen("/vms/linux/devices/"));
		set_string(&b, path, "compatible", "arm,pl011");
		set_string(&b, path, "server", "pl011");
		SET_CELLS(&b, path, "reg", 0, 0x0b000000 + i * 0x1000, 0, 0x1000);
		SET_CELLS(&b, path, "interrupt", 64 + i);
	}
	for (unsigned i = 0; i < 7; i++) {
		snprintf(path, sizeof(path), "c%u", i);
		add_node(&b, "/channels", path);
		snprintf(path, sizeof(path), "/channels/c%u", i);
		SET_CELLS(&b, path, "size", 0, 0x1000);
		add_node(&b, path, "linux");
		add_node(&b, path, "bare");
		snprintf(path, sizeof(path), "/channels/c%u/linux", i);
		SET_CELLS(&b, path, "address", 0, 0x60000000 + i * 0x1000);
		SET_CELLS(&b, path, "interrupt", 80 + i);
		SET_CELLS(&b, path, "doorbell", 3 + i);
		snprintf(path, sizeof(path), "/channels/c%u/bare", i);
		SET_CELLS(&b, path, "address", 0, 0x60000000 + i * 0x1000);
		SET_CELLS(&b, path, "interrupt", 80 + i);
		SET_CELLS(&b, path, "doorbell", 1 + i);
	}
	expect_valid(&b); /* 16: as many as fit. */
	add_node(&b, "/vms/linux/devices", "d@c000000");
	set_string(&b, "/vms/linux/devices/d@c000000", "compatible", "arm,pl011");
	set_string(&b, "/vms/linux/devices/d@c000000", "server", "pl011");
	SET_CELLS(&b, "/vms/linux/devices/d@c000000", "reg", 0, 0x0c000000, 0, 0x1000);
	SET_CELLS(&b, "/vms/linux/devices/d@c000000", "interrupt", 90);
	expect_error(&b, "/vms/linux", "",
		     "9 devices with an interrupt and 8 channel ends: at most 16 together");
}

/* --- Dynamic channels ---------------------------------------------------------------------- */

#define IVC   "sysdesc_ivc"
#define ALPHA "/vms/alpha/ivc"

/* Add VM vmN, with only what a VM needs, to b; returns its path (a static buffer). */
static const char *add_ivc_test_vm(struct blob *b, int n)
{
	static char path[32];

	snprintf(path, sizeof(path), "vm%d", n);
	add_node(b, "/vms", path);
	snprintf(path, sizeof(path), "/vms/vm%d", n);
	SET_CELLS(b, path, "memory", 0, 0x40000000, 0, 0x100000);
	SET_CELLS(b, path, "cpus", 1);
	SET_CELLS(b, path, "cpu-affinity", 0);
	set_string(b, path, "kernel", "guest");
	return path;
}

/* Give the VM at vm_path an ivc node whose one peer is alpha. */
static void add_peer_of_alpha(struct blob *b, const char *vm_path)
{
	char path[64];

	add_node(b, vm_path, "ivc");
	snprintf(path, sizeof(path), "%s/ivc", vm_path);
	SET_CELLS(b, path, "window", 0, 0x60000000, 0, 0x200000);
	SET_CELLS(b, path, "memory", 0, 0x1000);
	set_string(b, path, "peers", "alpha");
	SET_CELLS(b, path, "interrupt", 62);
	SET_CELLS(b, path, "doorbell", 0);
}

static void test_parse_reads_every_field_of_ivc_nodes(void **state)
{
	struct blob b = load(IVC);
	const struct sysdesc_ivc *alpha = &desc.vms[0].ivc;
	const struct sysdesc_ivc *beta = &desc.vms[1].ivc;
	const struct sysdesc_ivc *gamma = &desc.vms[2].ivc;

	(void)state;
	expect_valid(&b);
	assert_int_equal(desc.vm_count, 4);
	assert_true(alpha->is_present);
	assert_int_equal(alpha->window.base, 0x60000000);
	assert_int_equal(alpha->window.size, 0x400000);
	assert_int_equal(alpha->memory, 0x100000);
	assert_int_equal(alpha->peer_count, 2);
	assert_int_equal(alpha->peers[0], 1);
	assert_int_equal(alpha->peers[1], 2);
	assert_int_equal(alpha->intid, 62);
	assert_int_equal(alpha->doorbell, 4);

	assert_true(beta->is_present);
	assert_int_equal(beta->window.base, 0x100000000);
	assert_int_equal(beta->window.size, 0x200000);
	assert_int_equal(beta->memory, 0x200000);
	assert_int_equal(beta->peer_count, 1);
	assert_int_equal(beta->peers[0], 0);
	assert_int_equal(beta->intid, 62);
	assert_int_equal(beta->doorbell, 0);

	assert_true(gamma->is_present);
	assert_int_equal(gamma->window.base, 0x80000000);
	assert_int_equal(gamma->memory, 0x1000);
	assert_int_equal(gamma->peer_count, 1);
	assert_int_equal(gamma->peers[0], 0);
	assert_int_equal(gamma->intid, 40);
	assert_int_equal(gamma->doorbell, 1);
	free(b.data);
}

static void test_parse_leaves_a_vm_without_an_ivc_node_without_one(void **state)
{
	struct blob b = load(IVC);

	(void)state;
	expect_valid(&b);
	assert_string_equal(desc.vms[3].name, "delta");
	assert_false(desc.vms[3].ivc.is_present);
	assert_int_equal(desc.vms[3].ivc.peer_count, 0);
	free(b.data);

	b = load(VALID);
	expect_valid(&b);
	for (uint32_t v = 0; v < desc.vm_count; v++)
		assert_false(desc.vms[v].ivc.is_present);
	free(b.data);
}

/* The largest window, all of the pool, as many peers as there are other VMs. */
static void test_parse_accepts_every_ivc_maximum(void **state)
{
	static const char peers[] = "beta\0gamma\0delta\0vm4\0vm5\0vm6\0vm7";
	struct blob b = edit(IVC);
	const struct sysdesc_ivc *alpha;

	(void)state;
	SET_CELLS(&b, ALPHA, "window", 0, 0x60000000, 0, 0x1000000);
	SET_CELLS(&b, ALPHA, "doorbell", 16 - SYSDESC_IVC_PEERS);
	add_peer_of_alpha(&b, "/vms/delta");
	for (int i = 4; i < SYSDESC_VM_MAX; i++)
		add_peer_of_alpha(&b, add_ivc_test_vm(&b, i));
	set_bytes(&b, ALPHA, "peers", peers, sizeof(peers));
	expect_valid(&b);
	/* libfdt adds a node before its siblings: vm7..vm4, then alpha. */
	alpha = &desc.vms[SYSDESC_VM_MAX - 4].ivc;
	assert_string_equal(desc.vms[SYSDESC_VM_MAX - 4].name, "alpha");
	assert_int_equal(alpha->window.size, SYSDESC_IVC_WINDOW_TABLES * SYSDESC_IVC_BLOCK);
	assert_int_equal(alpha->peer_count, SYSDESC_IVC_PEERS);
	assert_int_equal(alpha->peers[SYSDESC_IVC_PEERS - 1], 0); /* vm7, the first VM. */
	assert_int_equal(alpha->doorbell, 9);
	free(b.data);

	/* Each 'memory' its whole window, all together the pool: 0x400000 + 0x200000 * 2. */
	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "memory", 0, 0x400000);
	SET_CELLS(&b, "/vms/gamma/ivc", "memory", 0, 0x200000);
	expect_valid(&b);
	free(b.data);
}

static void test_parse_rejects_a_bad_ivc_window(void **state)
{
	struct blob b = edit(IVC);

	(void)state;
	delete_prop(&b, ALPHA, "window");
	expect_error(&b, ALPHA, "window", "missing");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x60000000);
	expect_error(&b, ALPHA, "window",
		     "is 8 bytes long, expected address and size of two cells each (16)");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x60000000, 0, 0);
	expect_error(&b, ALPHA, "window", "range has size 0");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0xffffffff, 0xffe00000, 0, 0x400000);
	expect_error(&b, ALPHA, "window", "range wraps past the top of the address space");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x60100000, 0, 0x400000);
	expect_error(&b, ALPHA, "window", "range is not 2 MiB aligned");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x60000000, 0, 0x300000);
	expect_error(&b, ALPHA, "window", "range is not 2 MiB aligned");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x60000000, 0, 0x1200000);
	expect_error(&b, ALPHA, "window", "range is 9 blocks of 2 MiB, at most 8");
}

/* The window against the VM's memory, the guest's GIC, devices, passthrough and channel ends. */
static void test_parse_rejects_an_ivc_window_over_the_vms_items(void **state)
{
	struct blob b = edit(IVC);

	(void)state;
	SET_CELLS(&b, ALPHA, "window", 0, 0x40200000, 0, 0x400000);
	expect_error(&b, ALPHA, "window", "overlaps region 0 of 'memory'");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x08000000, 0, 0x200000);
	expect_error(&b, ALPHA, "window",
		     "overlaps the guest's GIC distributor (0x08000000..0x0800ffff)");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x08e00000, 0, 0x400000);
	expect_error(&b, ALPHA, "window", "overlaps device 'serial@9000000'");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x0a000000, 0, 0x200000);
	expect_error(&b, ALPHA, "window", "overlaps passthrough 'rtc@a000000'");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "window", 0, 0x50000000, 0, 0x200000);
	expect_error(&b, ALPHA, "window", "overlaps /channels/ping/alpha");
}

static void test_parse_rejects_bad_ivc_memory(void **state)
{
	struct blob b = edit(IVC);

	(void)state;
	delete_prop(&b, ALPHA, "memory");
	expect_error(&b, ALPHA, "memory", "missing");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "memory", 0x100000);
	expect_error(&b, ALPHA, "memory", "is 4 bytes long, expected two cells (8)");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "memory", 0, 0);
	expect_error(&b, ALPHA, "memory", "is 0");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "memory", 0, 0x100800);
	expect_error(&b, ALPHA, "memory", "0x100800 is not 4 KiB aligned");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "memory", 0, 0x401000);
	expect_error(&b, ALPHA, "memory", "0x401000 bytes, more than the window's 0x400000");
}

/* The pool is every VM's 'memory' together; the VM that takes it over is at fault. */
static void test_parse_rejects_ivc_memory_over_the_pool(void **state)
{
	struct blob b = edit(IVC);

	(void)state;
	SET_CELLS(&b, ALPHA, "memory", 0, 0x400000);
	SET_CELLS(&b, "/vms/gamma/ivc", "window", 0, 0x80000000, 0, 0x400000);
	SET_CELLS(&b, "/vms/gamma/ivc", "memory", 0, 0x201000);
	expect_error(&b, "/vms/gamma/ivc", "memory",
		     "all VMs' ivc memory comes to 0x801000 bytes, at most 0x800000");
}

static void test_parse_rejects_bad_ivc_peers(void **state)
{
	struct blob b = edit(IVC);

	(void)state;
	delete_prop(&b, ALPHA, "peers");
	expect_error(&b, ALPHA, "peers", "missing");

	b = edit(IVC);
	set_string(&b, ALPHA, "peers", "");
	expect_error(&b, ALPHA, "peers", "must be a list of non-empty strings");

	b = edit(IVC);
	set_bytes(&b, ALPHA, "peers", "beta\0nobody", sizeof("beta\0nobody"));
	expect_error(&b, ALPHA, "peers", "no VM 'nobody' in /vms");

	b = edit(IVC);
	set_bytes(&b, ALPHA, "peers", "beta\0alpha", sizeof("beta\0alpha"));
	expect_error(&b, ALPHA, "peers", "lists VM 'alpha' itself");

	b = edit(IVC);
	set_bytes(&b, ALPHA, "peers", "beta\0beta", sizeof("beta\0beta"));
	expect_error(&b, ALPHA, "peers", "lists VM 'beta' twice");

	b = edit(IVC);
	set_bytes(&b, ALPHA, "peers", "beta\0gamma\0delta", sizeof("beta\0gamma\0delta"));
	expect_error(&b, ALPHA, "peers", "VM 'delta' has no ivc node");

	/* gamma still lists alpha, which no longer lists it. */
	b = edit(IVC);
	set_string(&b, ALPHA, "peers", "beta");
	expect_error(&b, "/vms/gamma/ivc", "peers", "VM 'alpha' does not list 'gamma' back");

	/* Eight names, in a system of eight VMs: one more than the others. */
	b = edit(IVC);
	for (int i = 4; i < SYSDESC_VM_MAX; i++)
		(void)add_ivc_test_vm(&b, i);
	set_bytes(&b, ALPHA, "peers", "beta\0gamma\0delta\0vm4\0vm5\0vm6\0vm7\0beta",
		  sizeof("beta\0gamma\0delta\0vm4\0vm5\0vm6\0vm7\0beta"));
	expect_error(&b, ALPHA, "peers", "more than 7 peers");
}

static void test_parse_rejects_a_bad_ivc_interrupt(void **state)
{
	struct blob b = edit(IVC);

	(void)state;
	delete_prop(&b, ALPHA, "interrupt");
	expect_error(&b, ALPHA, "interrupt", "missing");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "interrupt", 62, 0);
	expect_error(&b, ALPHA, "interrupt", "is 8 bytes long, expected one cell (4)");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "interrupt", 16);
	expect_error(&b, ALPHA, "interrupt",
		     "INTID 16 is not an SPI of the guest's GIC (32 to 127)");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "interrupt", 128);
	expect_error(&b, ALPHA, "interrupt",
		     "INTID 128 is not an SPI of the guest's GIC (32 to 127)");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "interrupt", 33);
	expect_error(&b, ALPHA, "interrupt", "INTID 33 is also used by device 'serial@9000000'");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "interrupt", 34);
	expect_error(&b, ALPHA, "interrupt", "INTID 34 is also used by passthrough 'rtc@a000000'");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "interrupt", 60);
	expect_error(&b, ALPHA, "interrupt", "INTID 60 is also used by /channels/ping/alpha");
}

/* alpha's two peers take doorbells doorbell and doorbell + 1. */
static void test_parse_rejects_bad_ivc_doorbells(void **state)
{
	struct blob b = edit(IVC);

	(void)state;
	delete_prop(&b, ALPHA, "doorbell");
	expect_error(&b, ALPHA, "doorbell", "missing");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "doorbell", 14);
	expect_valid(&b);
	free(b.data);

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "doorbell", 15);
	expect_error(&b, ALPHA, "doorbell", "doorbells 15..16: a VM has doorbells 0..15");

	b = edit(IVC);
	SET_CELLS(&b, ALPHA, "doorbell", 0);
	expect_error(&b, ALPHA, "doorbell", "doorbells 0..1 meet those of /channels/ping/alpha");

	b = edit(IVC);
	SET_CELLS(&b, "/vms/beta/ivc", "doorbell", 1);
	expect_error(&b, "/vms/beta/ivc", "doorbell",
		     "doorbells 1..1 meet those of /channels/ping/beta");
}

static void test_parse_rejects_unknown_properties_and_nodes_in_ivc(void **state)
{
	struct blob b = edit(IVC);

	(void)state;
	SET_CELLS(&b, ALPHA, "size", 0, 0x1000);
	expect_error(&b, ALPHA, "size", "unknown property");

	b = edit(IVC);
	add_node(&b, ALPHA, "beta");
	expect_error(&b, ALPHA "/beta", "", "unknown node");
}

/* The ivc node's interrupt is one more line: alpha has a device with one and a channel end. */
static void test_parse_counts_the_ivc_interrupt_as_a_line(void **state)
{
	struct blob b = edit(IVC);
	char path[64];

	(void)state;
	for (unsigned i = 0; i < 14; i++) {
		snprintf(path, sizeof(path), "/vms/alpha/devices/d@%x", 0x0b000000 + i * 0x1000);
		add_node(&b, "/vms/alpha/devices", path + strlen("/vms/alpha/devices/"));
		set_string(&b, path, "compatible", "arm,pl011");
		set_string(&b, path, "server", "pl011");
		SET_CELLS(&b, path, "reg", 0, 0x0b000000 + i * 0x1000, 0, 0x1000);
		SET_CELLS(&b, path, "interrupt", 64 + i);
	}
	expect_error(&b, "/vms/alpha", "",
		     "15 devices with an interrupt, 1 channel ends and the ivc interrupt: at most "
		     "16 together");

	/* 14 devices, the channel end and the ivc interrupt: as many as fit. */
	b = edit(IVC);
	for (unsigned i = 0; i < 13; i++) {
		snprintf(path, sizeof(path), "/vms/alpha/devices/d@%x", 0x0b000000 + i * 0x1000);
		add_node(&b, "/vms/alpha/devices", path + strlen("/vms/alpha/devices/"));
		set_string(&b, path, "compatible", "arm,pl011");
		set_string(&b, path, "server", "pl011");
		SET_CELLS(&b, path, "reg", 0, 0x0b000000 + i * 0x1000, 0, 0x1000);
		SET_CELLS(&b, path, "interrupt", 64 + i);
	}
	expect_valid(&b);
	free(b.data);
}

static void test_error_format_names_node_and_property(void **state)
{
	struct blob b = load("sysdesc_overlap");
	char line[256];
	int n;

	assert_int_equal(sysdesc_parse(b.data, b.size, &desc, &error), MICA_ERR_MALFORMED);
	n = sysdesc_error_format(&error, line, sizeof(line));
	assert_string_equal(line, "/vms/guest: property 'memory': region 1 overlaps region 0");
	assert_int_equal(n, (int)strlen(line));
	/* Cut short, it stays terminated and still says how long it would be. */
	assert_int_equal(sysdesc_error_format(&error, line, 11), n);
	assert_string_equal(line, "/vms/guest");
	free(b.data);

	strcpy(error.node, "/vms");
	error.property[0] = '\0';
	strcpy(error.message, "no VMs");
	(void)sysdesc_error_format(&error, line, sizeof(line));
	assert_string_equal(line, "/vms: no VMs");
}

/* A path longer than the report's node field is cut to the node's own name. */
static void test_error_names_a_deep_node_by_its_name(void **state)
{
	struct blob b = edit(VALID);
	char vm[64];
	char device[64];
	char path[200];

	memset(vm, 'v', 60);
	vm[60] = '\0';
	memset(device, 'd', 60);
	device[60] = '\0';
	assert_int_equal(fdt_set_name(b.data, node(&b, "/vms/bare"), vm), 0);
	snprintf(path, sizeof(path), "/vms/%s/devices", vm);
	add_node(&b, path, device);
	snprintf(path, sizeof(path), ".../%s", device);
	expect_error(&b, path, "compatible", "missing");
}

/* --- Drivers and the parts of their drives ------------------------------------------------ */

#define LINUX_DISK "/vms/linux/devices/virtio@a000000"
#define BARE_DISK  "/vms/bare/devices/virtio@a000000"

/* VALID with driver "disk" and the linux VM's virtio device on it, whole and read-write. */
static struct blob with_drive(void)
{
	struct blob b = edit(VALID);

	add_node(&b, "/", "drivers");
	add_node(&b, "/drivers", "disk");
	set_string(&b, "/drivers/disk", "program", "drv_virtio_blk");
	delete_prop(&b, LINUX_DISK, "file");
	set_string(&b, LINUX_DISK, "drive", "disk");
	return b;
}

/* A second device on the drive, in the bare VM, with part [offset, offset + size). */
static void add_bare_part(struct blob *b, uint32_t offset, uint32_t size)
{
	add_node(b, "/vms/bare/devices", "virtio@a000000");
	set_string(b, BARE_DISK, "compatible", "virtio,mmio");
	set_string(b, BARE_DISK, "server", "virtio-blk");
	SET_CELLS(b, BARE_DISK, "reg", 0, 0x0a000000, 0, 0x1000);
	set_string(b, BARE_DISK, "drive", "disk");
	SET_CELLS(b, BARE_DISK, "drive-range", 0, offset, 0, size);
}

static void test_parse_reads_drivers_and_drives(void **state)
{
	struct blob b = with_drive();
	const struct sysdesc_device *d;

	(void)state;
	SET_CELLS(&b, "/drivers/disk", "device", 1);
	SET_CELLS(&b, "/drivers/disk", "cpu", 1);
	SET_CELLS(&b, "/drivers/disk", "crash-after", 300);
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0x1, 0x200, 0x0, 0x100000);
	set_bytes(&b, LINUX_DISK, "read-only", "", 0);
	expect_valid(&b);
	assert_int_equal(desc.driver_count, 1);
	assert_string_equal(desc.drivers[0].name, "disk");
	assert_string_equal(desc.drivers[0].program, "drv_virtio_blk");
	assert_int_equal(desc.drivers[0].device, 1);
	assert_int_equal(desc.drivers[0].cpu, 1);
	assert_int_equal(desc.drivers[0].crash_after, 300);
	d = &desc.vms[0].devices[1];
	assert_true(d->has_drive);
	assert_int_equal(d->drive, 0);
	assert_null(d->file);
	assert_int_equal(d->drive_offset, UINT64_C(0x100000200));
	assert_int_equal(d->drive_size, 0x100000);
	assert_true(d->is_read_only);
	assert_false(desc.vms[0].devices[0].has_drive);
	free(b.data);
}

static void test_parse_gives_a_drive_its_whole_disk_by_default(void **state)
{
	struct blob b = with_drive();
	const struct sysdesc_device *d;

	(void)state;
	expect_valid(&b);
	d = &desc.vms[0].devices[1];
	assert_true(d->has_drive);
	assert_int_equal(d->drive_offset, 0);
	assert_int_equal(d->drive_size, 0); /* To the disk's end. */
	assert_false(d->is_read_only);
	assert_int_equal(desc.drivers[0].device, 0);
	assert_int_equal(desc.drivers[0].crash_after, 0);
	free(b.data);
}

static void test_parse_rejects_bad_drivers(void **state)
{
	struct blob b;

	(void)state;
	b = with_drive();
	delete_prop(&b, "/drivers/disk", "program");
	expect_error(&b, "/drivers/disk", "program", "missing");
	b = with_drive();
	set_string(&b, "/drivers/disk", "programme", "x");
	expect_error(&b, "/drivers/disk", "programme", "unknown property");
	b = with_drive();
	add_node(&b, "/drivers/disk", "child");
	expect_error(&b, "/drivers/disk/child", "", "unknown node");
	b = with_drive();
	for (int i = 0; i < SYSDESC_DRIVER_MAX; i++) {
		char name[16], path[32];

		(void)snprintf(name, sizeof(name), "d%d", i);
		(void)snprintf(path, sizeof(path), "/drivers/%s", name);
		add_node(&b, "/drivers", name);
		set_string(&b, path, "program", "drv_virtio_blk");
	}
	expect_error(&b, "/drivers", "", "more than 4 drivers");
}

static void test_parse_rejects_bad_drives(void **state)
{
	struct blob b;

	(void)state;
	b = with_drive();
	set_string(&b, LINUX_DISK, "drive", "tape");
	expect_error(&b, LINUX_DISK, "drive", "no driver 'tape' in /drivers");
	b = with_drive();
	set_string(&b, LINUX_DISK, "file", "disk");
	expect_error(&b, LINUX_DISK, "drive", "a device has a 'file' or a 'drive', not both");
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0, 0x100, 0, 0x1000);
	expect_error(&b, LINUX_DISK, "drive-range",
		     "offset and size must be whole sectors of 512 bytes, and the size not 0");
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0, 0, 0, 0);
	expect_error(&b, LINUX_DISK, "drive-range",
		     "offset and size must be whole sectors of 512 bytes, and the size not 0");
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0, 0x1000);
	expect_error(&b, LINUX_DISK, "drive-range",
		     "is 8 bytes long, expected offset and size of two cells each (16 bytes)");
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0xffffffff, 0xfffffe00, 0, 0x400);
	expect_error(&b, LINUX_DISK, "drive-range", "runs past the top of a 64-bit disk");
	/* Without a drive, its other properties mean nothing: a mistake. */
	b = edit(VALID);
	set_bytes(&b, LINUX_DISK, "read-only", "", 0);
	expect_error(&b, LINUX_DISK, "read-only", "only a device with a 'drive' has it");
	b = edit(VALID);
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0, 0, 0, 0x1000);
	expect_error(&b, LINUX_DISK, "drive-range", "only a device with a 'drive' has it");
}

static void test_parse_keeps_writable_parts_of_a_drive_apart(void **state)
{
	struct blob b;

	(void)state;
	/* The linux VM's part is the whole disk: any other part shares it. */
	b = with_drive();
	add_bare_part(&b, 0x100000, 0x100000);
	expect_error(&b, BARE_DISK, "drive-range",
		     "shares bytes of drive with /vms/linux/devices/virtio@a000000, and parts "
		     "may overlap only when both are read-only");
	/* Adjacent parts are apart. */
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0, 0, 0, 0x100000);
	add_bare_part(&b, 0x100000, 0x100000);
	expect_valid(&b);
	assert_int_equal(desc.vms[1].devices[0].drive_offset, 0x100000);
	free(b.data);
	/* One sector in common is one too many, even if one side is read-only. */
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0, 0, 0, 0x100200);
	add_bare_part(&b, 0x100000, 0x100000);
	set_bytes(&b, BARE_DISK, "read-only", "", 0);
	expect_error(&b, BARE_DISK, "drive-range",
		     "shares bytes of drive with /vms/linux/devices/virtio@a000000, and parts "
		     "may overlap only when both are read-only");
	/* Both read-only: they may share. */
	b = with_drive();
	set_bytes(&b, LINUX_DISK, "read-only", "", 0);
	add_bare_part(&b, 0, 0x100000);
	set_bytes(&b, BARE_DISK, "read-only", "", 0);
	expect_valid(&b);
	free(b.data);
}

static void test_parse_reads_a_drives_partition(void **state)
{
	struct blob b = with_drive();
	const struct sysdesc_device *d;

	(void)state;
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 3);
	expect_valid(&b);
	d = &desc.vms[0].devices[1];
	assert_true(d->has_drive);
	assert_int_equal(d->drive_partition, 3);
	assert_int_equal(d->drive_offset, 0);
	assert_int_equal(d->drive_size, 0);
	free(b.data);
	/* Another partition, or a range, may be anywhere: the driver checks when it starts. */
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 1);
	add_bare_part(&b, 0, 0x100000);
	expect_valid(&b);
	free(b.data);
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 1);
	add_bare_part(&b, 0, 0x100000);
	delete_prop(&b, BARE_DISK, "drive-range");
	SET_CELLS(&b, BARE_DISK, "drive-partition", 2);
	expect_valid(&b);
	assert_int_equal(desc.vms[1].devices[0].drive_partition, 2);
	free(b.data);
	/* The same partition twice, both read-only. */
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 128);
	set_bytes(&b, LINUX_DISK, "read-only", "", 0);
	add_bare_part(&b, 0, 0x100000);
	delete_prop(&b, BARE_DISK, "drive-range");
	SET_CELLS(&b, BARE_DISK, "drive-partition", 128);
	set_bytes(&b, BARE_DISK, "read-only", "", 0);
	expect_valid(&b);
	free(b.data);
}

static void test_parse_rejects_bad_drive_partitions(void **state)
{
	struct blob b;

	(void)state;
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 0);
	expect_error(&b, LINUX_DISK, "drive-partition",
		     "is 0, expected a GPT partition entry number from 1 to 128");
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 129);
	expect_error(&b, LINUX_DISK, "drive-partition",
		     "is 129, expected a GPT partition entry number from 1 to 128");
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 1);
	SET_CELLS(&b, LINUX_DISK, "drive-range", 0, 0, 0, 0x1000);
	expect_error(&b, LINUX_DISK, "drive-partition",
		     "a device has a 'drive-range' or a 'drive-partition', not both");
	b = edit(VALID);
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 1);
	expect_error(&b, LINUX_DISK, "drive-partition", "only a device with a 'drive' has it");
	/* Two devices writing one partition. */
	b = with_drive();
	SET_CELLS(&b, LINUX_DISK, "drive-partition", 2);
	add_bare_part(&b, 0, 0x100000);
	delete_prop(&b, BARE_DISK, "drive-range");
	SET_CELLS(&b, BARE_DISK, "drive-partition", 2);
	set_bytes(&b, BARE_DISK, "read-only", "", 0);
	expect_error(&b, BARE_DISK, "drive-partition",
		     "names the same partition of drive as /vms/linux/devices/virtio@a000000, "
		     "and parts may overlap only when both are read-only");
}

static void test_parse_reads_a_servers_uplink(void **state)
{
	struct blob b = with_drive();

	(void)state;
	add_node(&b, "/drivers", "net");
	set_string(&b, "/drivers/net", "program", "drv_virtio_net");
	set_string(&b, "/servers/pl011", "uplink", "net");
	expect_valid(&b);
	assert_int_equal(desc.driver_count, 2);
	/* fdt_add_subnode puts a node first among its siblings. */
	assert_string_equal(desc.drivers[0].name, "net");
	assert_true(desc.servers[0].has_uplink);
	assert_int_equal(desc.servers[0].uplink, 0);
	assert_false(desc.servers[1].has_uplink);
	free(b.data);
}

static void test_parse_rejects_bad_uplinks(void **state)
{
	struct blob b;

	(void)state;
	b = with_drive();
	set_string(&b, "/servers/pl011", "uplink", "wire");
	expect_error(&b, "/servers/pl011", "uplink", "no driver 'wire' in /drivers");
	b = with_drive();
	set_string(&b, "/servers/pl011", "uplink", "disk");
	set_string(&b, "/servers/virtio-blk", "uplink", "disk");
	expect_error(&b, "/servers/virtio-blk", "uplink",
		     "driver 'disk' is already the uplink of server 'pl011'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reads_every_field_of_a_valid_description),
		cmocka_unit_test(test_parse_reads_ivc_crash_after_at_the_root),
		cmocka_unit_test(test_parse_gives_optional_properties_their_defaults),
		cmocka_unit_test(test_parse_accepts_the_example_system),
		cmocka_unit_test(test_parse_accepts_every_maximum),
		cmocka_unit_test(test_parse_rejects_a_blob_that_is_not_a_device_tree),
		cmocka_unit_test(test_parse_rejects_a_truncated_blob),
		cmocka_unit_test(test_parse_rejects_a_root_that_is_not_a_mica_system),
		cmocka_unit_test(test_parse_rejects_a_system_without_vms),
		cmocka_unit_test(test_parse_rejects_each_missing_required_property),
		cmocka_unit_test(test_parse_rejects_a_vm_without_memory),
		cmocka_unit_test(test_parse_rejects_wrong_property_lengths),
		cmocka_unit_test(test_parse_rejects_strings_that_are_not_one_string),
		cmocka_unit_test(test_parse_reads_unmapped_access),
		cmocka_unit_test(test_parse_reads_drivers_and_drives),
		cmocka_unit_test(test_parse_gives_a_drive_its_whole_disk_by_default),
		cmocka_unit_test(test_parse_rejects_bad_drivers),
		cmocka_unit_test(test_parse_rejects_bad_drives),
		cmocka_unit_test(test_parse_keeps_writable_parts_of_a_drive_apart),
		cmocka_unit_test(test_parse_reads_a_drives_partition),
		cmocka_unit_test(test_parse_rejects_bad_drive_partitions),
		cmocka_unit_test(test_parse_reads_a_servers_uplink),
		cmocka_unit_test(test_parse_rejects_bad_uplinks),
		cmocka_unit_test(test_parse_rejects_address_cells_other_than_two),
		cmocka_unit_test(test_parse_rejects_unknown_properties_and_nodes),
		cmocka_unit_test(test_parse_rejects_an_unknown_server),
		cmocka_unit_test(test_parse_rejects_duplicate_vm_names),
		cmocka_unit_test(test_parse_rejects_duplicate_server_names),
		cmocka_unit_test(test_parse_rejects_overlapping_memory_regions),
		cmocka_unit_test(test_parse_rejects_a_device_overlapping_ram),
		cmocka_unit_test(test_parse_rejects_a_device_overlapping_another_device),
		cmocka_unit_test(test_parse_rejects_passthrough_overlapping_anything),
		cmocka_unit_test(test_parse_rejects_ram_over_the_gic_distributor),
		cmocka_unit_test(test_parse_rejects_a_device_over_the_redistributors_of_its_vcpus),
		cmocka_unit_test(
			test_parse_accepts_a_device_past_the_redistributors_of_fewer_vcpus),
		cmocka_unit_test(test_parse_rejects_passthrough_over_the_gic_distributor),
		cmocka_unit_test(test_parse_rejects_host_memory_given_twice),
		cmocka_unit_test(test_parse_rejects_empty_ranges),
		cmocka_unit_test(test_parse_rejects_wrapping_ranges),
		cmocka_unit_test(test_parse_rejects_ranges_that_are_not_page_aligned),
		cmocka_unit_test(test_parse_rejects_an_affinity_count_mismatch),
		cmocka_unit_test(test_parse_rejects_zero_vcpus),
		cmocka_unit_test(test_parse_rejects_interrupts_that_are_not_spis),
		cmocka_unit_test(test_parse_rejects_an_interrupt_used_twice),
		cmocka_unit_test(test_parse_rejects_too_many_vms),
		cmocka_unit_test(test_parse_rejects_too_many_vcpus),
		cmocka_unit_test(test_parse_rejects_too_many_regions),
		cmocka_unit_test(test_parse_rejects_too_many_devices_and_servers),
		cmocka_unit_test(test_parse_rejects_too_many_passthrough_regions),
		cmocka_unit_test(test_parse_rejects_a_channel_end_that_meets_its_vms_items),
		cmocka_unit_test(test_parse_rejects_a_channel_without_two_ends_or_a_page_size),
		cmocka_unit_test(test_parse_rejects_channels_that_meet_in_a_vm),
		cmocka_unit_test(test_parse_rejects_more_lines_than_a_vcpu_binds),
		cmocka_unit_test(test_parse_reads_every_field_of_ivc_nodes),
		cmocka_unit_test(test_parse_leaves_a_vm_without_an_ivc_node_without_one),
		cmocka_unit_test(test_parse_accepts_every_ivc_maximum),
		cmocka_unit_test(test_parse_rejects_a_bad_ivc_window),
		cmocka_unit_test(test_parse_rejects_an_ivc_window_over_the_vms_items),
		cmocka_unit_test(test_parse_rejects_bad_ivc_memory),
		cmocka_unit_test(test_parse_rejects_ivc_memory_over_the_pool),
		cmocka_unit_test(test_parse_rejects_bad_ivc_peers),
		cmocka_unit_test(test_parse_rejects_a_bad_ivc_interrupt),
		cmocka_unit_test(test_parse_rejects_bad_ivc_doorbells),
		cmocka_unit_test(test_parse_rejects_unknown_properties_and_nodes_in_ivc),
		cmocka_unit_test(test_parse_counts_the_ivc_interrupt_as_a_line),
		cmocka_unit_test(test_error_format_names_node_and_property),
		cmocka_unit_test(test_error_names_a_deep_node_by_its_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
