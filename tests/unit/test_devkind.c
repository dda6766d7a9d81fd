/*
 * Unit tests for libs/formats/devkind.c and elf_section.c: the device
 * kinds a server declares with VDEV_DEVICE_KIND, read out of its ELF file.
 * The servers' own ELF files (built for the target) show that what the
 * build produces is what the reader expects; ELF files built here, byte
 * by byte at the offsets the System V ABI gives, hold kinds a test
 * damages, and section headers it breaks.
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

#include <formats/devkind.h>
#include <formats/elf.h>

/* ELF64 header and section header field offsets, and the constants used. */
#define EH_TYPE	     16
#define EH_MACHINE   18
#define EH_SHOFF     40
#define EH_SHENTSIZE 58
#define EH_SHNUM     60
#define EH_SHSTRNDX  62
#define EH_SIZE	     ((size_t)64)
#define SH_NAME	     0
#define SH_TYPE	     4
#define SH_OFFSET    24
#define SH_SIZE	     32
#define SH_ENTSIZE   ((size_t)64)
#define SHT_PROGBITS 1
#define SHT_STRTAB   3
#define SHT_NOBITS   8

/* Section names, as the string table holds them: "", the table, the kinds. */
static const char names[] = "\0.shstrtab\0" VDEV_KIND_SECTION;
#define NAME_SHSTRTAB 1
#define NAME_KINDS    11

/* A built ELF file: the header, the section's bytes, the names, three section headers. */
struct elf_file {
	uint8_t *data;
	size_t size;
	size_t shoff;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An AArch64 executable with a kinds section holding len bytes of section. */
static struct elf_file make_elf(const void *section, size_t len)
{
	size_t names_off = EH_SIZE + len;
	size_t shoff = (names_off + sizeof(names) + 7) & ~(size_t)7;
	struct elf_file f = {.size = shoff + 3 * SH_ENTSIZE, .shoff = shoff};
	uint8_t *sh;

	f.data = calloc(1, f.size);
	assert_non_null(f.data);
	memcpy(f.data,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	put16(f.data + EH_TYPE, 2);
	put16(f.data + EH_MACHINE, 183);
	put32(f.data + 20, 1);
	put64(f.data + EH_SHOFF, shoff);
	put16(f.data + EH_SHENTSIZE, SH_ENTSIZE);
	put16(f.data + EH_SHNUM, 3);
	put16(f.data + EH_SHSTRNDX, 1);
	if (len > 0)
		memcpy(f.data + EH_SIZE, section, len);
	memcpy(f.data + names_off, names, sizeof(names));
	sh = f.data + shoff + SH_ENTSIZE;
	put32(sh + SH_NAME, NAME_SHSTRTAB);
	put32(sh + SH_TYPE, SHT_STRTAB);
	put64(sh + SH_OFFSET, names_off);
	put64(sh + SH_SIZE, sizeof(names));
	sh += SH_ENTSIZE;
	put32(sh + SH_NAME, NAME_KINDS);
	put32(sh + SH_TYPE, SHT_PROGBITS);
	put64(sh + SH_OFFSET, EH_SIZE);
	put64(sh + SH_SIZE, len);
	return f;
}

/* The section header of the kinds. */
static uint8_t *kinds_header(const struct elf_file *f)
{
	return f->data + f->shoff + 2 * SH_ENTSIZE;
}

static struct vdev_kind good_kind(void)
{
	struct vdev_kind k = {.magic = VDEV_KIND_MAGIC,
			      .compatible = "arm,pl031\0arm,primecell",
			      .node_name = "pl031",
			      .clock_names = "apb_pclk",
			      .props = {VDEV_PROP_U32("mica,cells", 0x01020304),
					VDEV_PROP_STRING("status", "okay"),
					VDEV_PROP_EMPTY("dma-coherent")}};

	return k;
}

/* What devkind_read says of an ELF file holding count kinds. */
static enum mica_error read_kinds(const struct vdev_kind *kinds, size_t count,
				  struct devkind_table *t, struct devkind_error *err)
{
	struct elf_file f = make_elf(kinds, count * sizeof(*kinds));
	enum mica_error rc = devkind_read(f.data, f.size, t, err);

	free(f.data);
	return rc;
}

/* The whole file at path, which the build made. */
static uint8_t *read_whole(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*size = (size_t)len;
	return data;
}

static void test_the_pl011_server_declares_a_primecell_console_with_two_clocks(void **state)
{
	size_t size;
	uint8_t *elf = read_whole(PL011_SERVER_ELF, &size);
	struct devkind_table t;
	struct devkind_error err;
	const struct vdev_kind *k;

	assert_int_equal(devkind_read(elf, size, &t, &err), MICA_OK);
	assert_int_equal(t.count, 1);
	k = devkind_find(&t, "arm,pl011");
	assert_non_null(k);
	assert_int_equal(devkind_list_length(k->compatible, sizeof(k->compatible)),
			 sizeof("arm,pl011\0arm,primecell"));
	assert_memory_equal(k->compatible, "arm,pl011\0arm,primecell",
			    sizeof("arm,pl011\0arm,primecell"));
	assert_string_equal(k->node_name, "pl011");
	assert_int_equal(devkind_list_length(k->clock_names, sizeof(k->clock_names)),
			 sizeof("uartclk\0apb_pclk"));
	assert_int_equal(k->flags, VDEV_KIND_STDOUT | VDEV_KIND_MACHINE_UART);
	assert_int_equal(k->props[0].name[0], '\0');
	free(elf);
}

static void test_the_pl031_server_declares_a_primecell_with_its_clock(void **state)
{
	size_t size;
	uint8_t *elf = read_whole(PL031_SERVER_ELF, &size);
	struct devkind_table t;
	struct devkind_error err;
	const struct vdev_kind *k;

	assert_int_equal(devkind_read(elf, size, &t, &err), MICA_OK);
	k = devkind_find(&t, "arm,pl031");
	assert_non_null(k);
	assert_memory_equal(k->compatible, "arm,pl031\0arm,primecell\0",
			    sizeof("arm,pl031\0arm,primecell"));
	assert_string_equal(k->clock_names, "apb_pclk");
	assert_int_equal(k->flags, 0);
	free(elf);
}

/* Its DMA is coherent, and its line edge-triggered, raised through the kernel. */
static void test_a_virtio_server_declares_coherent_dma(void **state)
{
	size_t size;
	uint8_t *elf = read_whole(VIRTIO_BLK_SERVER_ELF, &size);
	struct devkind_table t;
	struct devkind_error err;
	const struct vdev_kind *k;

	assert_int_equal(devkind_read(elf, size, &t, &err), MICA_OK);
	k = devkind_find(&t, "virtio,mmio");
	assert_non_null(k);
	assert_string_equal(k->node_name, "virtio_mmio");
	assert_int_equal(k->flags, VDEV_KIND_GUEST_RAM | VDEV_KIND_EDGE_LINE);
	assert_int_equal(k->clock_names[0], '\0');
	assert_string_equal(k->props[0].name, "dma-coherent");
	assert_int_equal(k->props[0].length, 0);
	free(elf);
}

static void test_a_program_that_declares_nothing_is_refused(void **state)
{
	size_t size;
	uint8_t *elf = read_whole(VMM_ELF, &size);
	struct devkind_table t;
	struct devkind_error err;

	assert_int_equal(devkind_read(elf, size, &t, &err), MICA_ERR_NOT_FOUND);
	assert_int_equal(err.kind, -1);
	assert_non_null(strstr(err.why, "declares no device kind"));
	free(elf);
}

static void test_find_matches_only_the_first_compatible_string(void **state)
{
	struct vdev_kind kinds[2] = {good_kind(), good_kind()};
	struct devkind_table t;
	struct devkind_error err;

	memcpy(kinds[1].compatible, "arm,pl011\0arm,primecell", sizeof("arm,pl011\0arm,primecell"));
	assert_int_equal(read_kinds(kinds, 2, &t, &err), MICA_OK);
	assert_int_equal(t.count, 2);
	assert_ptr_equal(devkind_find(&t, "arm,pl031"), &t.kinds[0]);
	assert_ptr_equal(devkind_find(&t, "arm,pl011"), &t.kinds[1]);
	assert_null(devkind_find(&t, "arm,primecell"));
	assert_null(devkind_find(&t, "arm,pl03"));
	assert_null(devkind_find(&t, "arm,pl0311"));
}

static void test_a_good_kind_passes_its_check(void **state)
{
	struct vdev_kind k = good_kind();

	assert_null(devkind_check(&k));
	assert_int_equal(devkind_list_length(k.compatible, sizeof(k.compatible)),
			 sizeof("arm,pl031\0arm,primecell"));
	assert_int_equal(k.props[0].value[0], 1);
	assert_int_equal(k.props[0].value[3], 4);
	assert_int_equal(k.props[1].length, 5);
}

/* devkind_check refuses k, saying something with what in it. */
static void expect_refused(const struct vdev_kind *k, const char *what)
{
	const char *why = devkind_check(k);
	struct devkind_table t;
	struct devkind_error err;

	assert_non_null(why);
	if (strstr(why, what) == NULL)
		fail_msg("refused for \"%s\", expected \"%s\"", why, what);
	/* And so does reading it from a file, naming the kind. */
	assert_int_equal(read_kinds(k, 1, &t, &err), MICA_ERR_MALFORMED);
	assert_int_equal(err.kind, 0);
	assert_string_equal(err.why, why);
}

static void test_check_refuses_a_wrong_magic(void **state)
{
	struct vdev_kind k = good_kind();

	k.magic++;
	expect_refused(&k, "VDEV_KIND_MAGIC");
}

static void test_check_refuses_bad_compatible_lists(void **state)
{
	struct vdev_kind k = good_kind();

	memset(k.compatible, 0, sizeof(k.compatible));
	expect_refused(&k, "compatible list is empty");
	memset(k.compatible, 'a', sizeof(k.compatible));
	expect_refused(&k, "compatible list is not terminated");
	k = good_kind();
	k.compatible[3] = ' ';
	expect_refused(&k, "compatible list has a character that is not printable");
	k = good_kind();
	k.compatible[sizeof(k.compatible) - 1] = 'x';
	expect_refused(&k, "compatible list has bytes after its end");
}

static void test_check_refuses_bad_node_names(void **state)
{
	struct vdev_kind k = good_kind();

	memset(k.node_name, 0, sizeof(k.node_name));
	expect_refused(&k, "node name");
	memset(k.node_name, 'a', sizeof(k.node_name));
	expect_refused(&k, "node name");
	strcpy(k.node_name, "rtc@1");
	expect_refused(&k, "node name");
	strcpy(k.node_name, "0rtc");
	expect_refused(&k, "node name");
}

static void test_check_refuses_a_bad_clock_list(void **state)
{
	struct vdev_kind k = good_kind();

	memset(k.clock_names, 'c', sizeof(k.clock_names));
	expect_refused(&k, "clock-name list is not terminated");
}

static void test_check_refuses_unknown_flags_and_reserved_bits(void **state)
{
	struct vdev_kind k = good_kind();

	k.flags = 16; /* Past VDEV_KIND_EDGE_LINE. */
	expect_refused(&k, "unknown flags");
	k = good_kind();
	k.reserved = 1;
	expect_refused(&k, "reserved");
	k = good_kind();
	k.props[0].reserved = 1;
	expect_refused(&k, "reserved");
}

static void test_check_refuses_bad_properties(void **state)
{
	struct vdev_kind k = good_kind();

	strcpy(k.props[1].name, "interrupts");
	expect_refused(&k, "one the VMM writes itself");
	k = good_kind();
	strcpy(k.props[1].name, "mica,cells");
	expect_refused(&k, "named twice");
	k = good_kind();
	strcpy(k.props[1].name, "bad name");
	expect_refused(&k, "property's name");
	k = good_kind();
	k.props[0].length = VDEV_KIND_PROP_VALUE_MAX + 1;
	expect_refused(&k, "length is past its value");
	k = good_kind();
	k.props[0].length = 2;
	expect_refused(&k, "bytes follow it");
	k = good_kind();
	memset(&k.props[1], 0, sizeof(k.props[1]));
	expect_refused(&k, "follows the end of the list");
}

static void test_read_refuses_two_kinds_of_one_compatible(void **state)
{
	struct vdev_kind kinds[2] = {good_kind(), good_kind()};
	struct devkind_table t;
	struct devkind_error err;

	assert_int_equal(read_kinds(kinds, 2, &t, &err), MICA_ERR_MALFORMED);
	assert_int_equal(err.kind, 1);
	assert_non_null(strstr(err.why, "another kind's"));
}

static void test_read_refuses_too_many_kinds_and_partial_ones(void **state)
{
	struct vdev_kind kinds[VDEV_KINDS_MAX + 1];
	struct devkind_table t;
	struct devkind_error err;
	struct elf_file f;

	for (unsigned i = 0; i <= VDEV_KINDS_MAX; i++) {
		kinds[i] = good_kind();
		kinds[i].compatible[0] = (char)('a' + i);
	}
	assert_int_equal(read_kinds(kinds, VDEV_KINDS_MAX, &t, &err), MICA_OK);
	assert_int_equal(t.count, VDEV_KINDS_MAX);
	assert_int_equal(read_kinds(kinds, VDEV_KINDS_MAX + 1, &t, &err), MICA_ERR_MALFORMED);
	assert_int_equal(err.kind, -1);
	assert_non_null(strstr(err.why, "more than 8"));

	f = make_elf(kinds, sizeof(kinds[0]) + 8);
	assert_int_equal(devkind_read(f.data, f.size, &t, &err), MICA_ERR_MALFORMED);
	assert_non_null(strstr(err.why, "not a whole number of kinds"));
	free(f.data);
	assert_int_equal(read_kinds(kinds, 0, &t, &err), MICA_ERR_NOT_FOUND);
}

static void test_read_refuses_what_is_not_an_elf_executable(void **state)
{
	struct vdev_kind k = good_kind();
	struct elf_file f = make_elf(&k, sizeof(k));
	struct devkind_table t;
	struct devkind_error err;

	assert_int_equal(devkind_read(f.data, 10, &t, &err), MICA_ERR_MALFORMED);
	assert_non_null(strstr(err.why, "not an AArch64 ELF executable"));
	put16(f.data + EH_MACHINE, 62);
	assert_int_equal(devkind_read(f.data, f.size, &t, &err), MICA_ERR_MALFORMED);
	free(f.data);
}

static void test_find_section_refuses_headers_and_bytes_outside_the_file(void **state)
{
	struct vdev_kind k = good_kind();
	struct elf_file f = make_elf(&k, sizeof(k));
	uint64_t off = 0, len = 0;

	assert_int_equal(elf_find_section(f.data, f.size, VDEV_KIND_SECTION, &off, &len), MICA_OK);
	assert_int_equal(off, EH_SIZE);
	assert_int_equal(len, sizeof(k));
	assert_int_equal(elf_find_section(f.data, f.size, ".text", &off, &len), MICA_ERR_NOT_FOUND);
	assert_int_equal(elf_find_section(f.data, f.size, ".mica", &off, &len), MICA_ERR_NOT_FOUND);
	/* Every truncation of the file is refused, never read past. */
	for (size_t size = 0; size < f.size; size++) {
		uint8_t *copy = malloc(size > 0 ? size : 1);

		memcpy(copy, f.data, size);
		assert_int_not_equal(elf_find_section(copy, size, VDEV_KIND_SECTION, &off, &len),
				     MICA_OK);
		free(copy);
	}
	put64(kinds_header(&f) + SH_SIZE, UINT64_MAX);
	assert_int_equal(elf_find_section(f.data, f.size, VDEV_KIND_SECTION, &off, &len),
			 MICA_ERR_MALFORMED);
	put64(kinds_header(&f) + SH_SIZE, sizeof(k));
	put32(kinds_header(&f) + SH_NAME, 0x7fffffff);
	assert_int_equal(elf_find_section(f.data, f.size, VDEV_KIND_SECTION, &off, &len),
			 MICA_ERR_NOT_FOUND);
	put32(kinds_header(&f) + SH_NAME, NAME_KINDS);
	put32(kinds_header(&f) + SH_TYPE, SHT_NOBITS);
	assert_int_equal(elf_find_section(f.data, f.size, VDEV_KIND_SECTION, &off, &len),
			 MICA_ERR_NOT_FOUND);
	put16(f.data + EH_SHSTRNDX, 3);
	assert_int_equal(elf_find_section(f.data, f.size, VDEV_KIND_SECTION, &off, &len),
			 MICA_ERR_MALFORMED);
	put16(f.data + EH_SHSTRNDX, 1);
	put64(f.data + EH_SHOFF, UINT64_MAX - 8);
	assert_int_equal(elf_find_section(f.data, f.size, VDEV_KIND_SECTION, &off, &len),
			 MICA_ERR_MALFORMED);
	free(f.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_the_pl011_server_declares_a_primecell_console_with_two_clocks),
		cmocka_unit_test(test_the_pl031_server_declares_a_primecell_with_its_clock),
		cmocka_unit_test(test_a_virtio_server_declares_coherent_dma),
		cmocka_unit_test(test_a_program_that_declares_nothing_is_refused),
		cmocka_unit_test(test_find_matches_only_the_first_compatible_string),
		cmocka_unit_test(test_a_good_kind_passes_its_check),
		cmocka_unit_test(test_check_refuses_a_wrong_magic),
		cmocka_unit_test(test_check_refuses_bad_compatible_lists),
		cmocka_unit_test(test_check_refuses_bad_node_names),
		cmocka_unit_test(test_check_refuses_a_bad_clock_list),
		cmocka_unit_test(test_check_refuses_unknown_flags_and_reserved_bits),
		cmocka_unit_test(test_check_refuses_bad_properties),
		cmocka_unit_test(test_read_refuses_two_kinds_of_one_compatible),
		cmocka_unit_test(test_read_refuses_too_many_kinds_and_partial_ones),
		cmocka_unit_test(test_read_refuses_what_is_not_an_elf_executable),
		cmocka_unit_test(test_find_section_refuses_headers_and_bytes_outside_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
