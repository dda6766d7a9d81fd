/*
 * Unit tests for kernel/elf.c. ELF images are built in memory by a builder
 * that writes the ELF64 header and program headers byte by byte at the
 * offsets the System V ABI gives (so this file shares no struct with the
 * code under test), then damaged one field at a time. Exact-size heap
 * copies let AddressSanitizer catch any read past the end of an image.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <formats/elf.h>

/* ELF64 header field offsets. */
#define EH_CLASS     4
#define EH_DATA	     5
#define EH_IVERSION  6
#define EH_TYPE	     16
#define EH_MACHINE   18
#define EH_VERSION   20
#define EH_ENTRY     24
#define EH_PHOFF     32
#define EH_EHSIZE    52
#define EH_PHENTSIZE 54
#define EH_PHNUM     56
#define EH_SIZE	     ((size_t)64)

/* ELF64 program header field offsets. */
#define PH_TYPE	  0
#define PH_FLAGS  4
#define PH_OFFSET 8
#define PH_VADDR  16
#define PH_PADDR  24
#define PH_FILESZ 32
#define PH_MEMSZ  40
#define PH_ALIGN  48
#define PH_SIZE	  ((size_t)56)

#define ET_REL	     1
#define ET_EXEC	     2
#define ET_DYN	     3
#define EM_X86_64    62
#define EM_AARCH64   183
#define PT_LOAD	     1
#define PT_NOTE	     4
#define PT_GNU_STACK 0x6474e551u
#define PF_X	     1u
#define PF_W	     2u
#define PF_R	     4u
#define PF_RX	     (PF_R | PF_X)
#define PF_RW	     (PF_R | PF_W)

#define TEXT_VADDR 0x400000u
#define DATA_VADDR 0x410000u

#define BUF_CAP 8192

/* One program header for the builder; its file data is generated. */
struct seg_spec {
	uint32_t type;
	uint32_t flags;
	uint64_t vaddr;
	uint64_t file_size;
	uint64_t mem_size;
};

static _Alignas(16) uint8_t buf[BUF_CAP];

static void put16(uint8_t *p, uint16_t v)
{
	for (int i = 0; i < 2; i++)
		p[i] = (uint8_t)(v >> (8 * i));
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

static uint8_t *phdr(size_t index)
{
	return buf + EH_SIZE + index * PH_SIZE;
}

/*
 * Write an AArch64 executable into buf: the ELF header, the program headers
 * right after it, then each segment's file bytes in turn (a recognisable
 * pattern), so the last byte of the image belongs to the last segment with
 * file data. Returns the image's size.
 */
static size_t build(uint64_t entry, const struct seg_spec *segs, size_t count)
{
	size_t pos = EH_SIZE + count * PH_SIZE;

	memset(buf, 0, sizeof(buf));
	buf[0] = 0x7f;
	buf[1] = 'E';
	buf[2] = 'L';
	buf[3] = 'F';
	buf[EH_CLASS] = 2;
	buf[EH_DATA] = 1;
	buf[EH_IVERSION] = 1;
	put16(buf + EH_TYPE, ET_EXEC);
	put16(buf + EH_MACHINE, EM_AARCH64);
	put32(buf + EH_VERSION, 1);
	put64(buf + EH_ENTRY, entry);
	put64(buf + EH_PHOFF, EH_SIZE);
	put16(buf + EH_EHSIZE, EH_SIZE);
	put16(buf + EH_PHENTSIZE, PH_SIZE);
	put16(buf + EH_PHNUM, (uint16_t)count);

	for (size_t i = 0; i < count; i++) {
		uint8_t *ph = phdr(i);

		assert_true(pos + segs[i].file_size <= BUF_CAP);
		put32(ph + PH_TYPE, segs[i].type);
		put32(ph + PH_FLAGS, segs[i].flags);
		put64(ph + PH_OFFSET, pos);
		put64(ph + PH_VADDR, segs[i].vaddr);
		put64(ph + PH_PADDR, segs[i].vaddr);
		put64(ph + PH_FILESZ, segs[i].file_size);
		put64(ph + PH_MEMSZ, segs[i].mem_size);
		put64(ph + PH_ALIGN, 4096);
		for (size_t b = 0; b < segs[i].file_size; b++)
			buf[pos + b] = (uint8_t)(i * 31 + b);
		pos += segs[i].file_size;
	}
	return pos;
}

/*
 * The standard image: text (RX) with the entry point, data (RW) with a
 * zero-filled tail, and a GNU_STACK header, which is not loaded.
 */
static size_t build_standard(void)
{
	const struct seg_spec segs[] = {
		{PT_LOAD, PF_RX, TEXT_VADDR, 0x100, 0x100},
		{PT_LOAD, PF_RW, DATA_VADDR, 0x20, 0x1000},
		{PT_GNU_STACK, PF_RW, 0, 0, 0},
	};

	return build(TEXT_VADDR + 0x10, segs, 3);
}

/* Parse with a fresh output struct; most tests only need the verdict. */
static enum mica_error parse(size_t size)
{
	struct elf_image img;

	return elf_parse(buf, size, &img);
}

static uint8_t *exact_copy(size_t size)
{
	uint8_t *copy = malloc(size == 0 ? 1 : size);

	assert_non_null(copy);
	if (size > 0)
		memcpy(copy, buf, size);
	return copy;
}

static void test_parse_describes_text_and_data_segments(void **state)
{
	size_t size = build_standard();
	struct elf_image img;

	assert_int_equal(elf_parse(buf, size, &img), MICA_OK);
	assert_int_equal(img.entry, TEXT_VADDR + 0x10);
	assert_int_equal(img.segment_count, 2);

	assert_int_equal(img.segments[0].vaddr, TEXT_VADDR);
	assert_int_equal(img.segments[0].mem_size, 0x100);
	assert_int_equal(img.segments[0].file_offset, EH_SIZE + 3 * PH_SIZE);
	assert_int_equal(img.segments[0].file_size, 0x100);
	assert_int_equal(img.segments[0].flags, ELF_SEG_R | ELF_SEG_X);

	assert_int_equal(img.segments[1].vaddr, DATA_VADDR);
	assert_int_equal(img.segments[1].mem_size, 0x1000);
	assert_int_equal(img.segments[1].file_offset, EH_SIZE + 3 * PH_SIZE + 0x100);
	assert_int_equal(img.segments[1].file_size, 0x20);
	assert_int_equal(img.segments[1].flags, ELF_SEG_R | ELF_SEG_W);
}

/* Only PT_LOAD counts: an RWX stack header or a note pointing nowhere is fine. */
static void test_parse_ignores_program_headers_other_than_load(void **state)
{
	const struct seg_spec segs[] = {
		{PT_NOTE, PF_R, 0, 0, 0},
		{PT_LOAD, PF_RX, TEXT_VADDR, 0x40, 0x40},
		{PT_GNU_STACK, PF_R | PF_W | PF_X, 0, 0, 0},
	};
	size_t size = build(TEXT_VADDR, segs, 3);
	struct elf_image img;

	put64(phdr(0) + PH_OFFSET, UINT64_MAX);
	put64(phdr(0) + PH_FILESZ, UINT64_MAX);
	assert_int_equal(elf_parse(buf, size, &img), MICA_OK);
	assert_int_equal(img.segment_count, 1);
	assert_int_equal(img.segments[0].vaddr, TEXT_VADDR);
}

/* An empty PT_LOAD is not listed, and so cannot overlap anything. */
static void test_parse_ignores_empty_load_segment(void **state)
{
	const struct seg_spec segs[] = {
		{PT_LOAD, PF_RX, TEXT_VADDR, 0x40, 0x40},
		{PT_LOAD, PF_RW, TEXT_VADDR + 0x20, 0, 0},
	};
	size_t size = build(TEXT_VADDR, segs, 2);
	struct elf_image img;

	assert_int_equal(elf_parse(buf, size, &img), MICA_OK);
	assert_int_equal(img.segment_count, 1);
}

static void test_parse_keeps_only_permission_flag_bits(void **state)
{
	const struct seg_spec segs[] = {
		{PT_LOAD, 0xf0f00000u | PF_RX, TEXT_VADDR, 0x40, 0x40},
	};
	size_t size = build(TEXT_VADDR, segs, 1);
	struct elf_image img;

	assert_int_equal(elf_parse(buf, size, &img), MICA_OK);
	assert_int_equal(img.segments[0].flags, ELF_SEG_R | ELF_SEG_X);
}

static void test_parse_accepts_adjacent_segments_in_any_order(void **state)
{
	const struct seg_spec segs[] = {
		{PT_LOAD, PF_RW, TEXT_VADDR + 0x1000, 0x10, 0x1000},
		{PT_LOAD, PF_RX, TEXT_VADDR, 0x1000, 0x1000},
		{PT_LOAD, PF_R, TEXT_VADDR - 0x1000, 0x10, 0x1000},
	};
	size_t size = build(TEXT_VADDR + 0xffc, segs, 3);

	assert_int_equal(parse(size), MICA_OK);
}

static void test_parse_accepts_max_segments(void **state)
{
	struct seg_spec segs[ELF_MAX_SEGMENTS];

	for (size_t i = 0; i < ELF_MAX_SEGMENTS; i++)
		segs[i] = (struct seg_spec){PT_LOAD, PF_RX, TEXT_VADDR + i * 0x1000, 8, 0x1000};

	size_t size = build(TEXT_VADDR, segs, ELF_MAX_SEGMENTS);
	struct elf_image img;

	assert_int_equal(elf_parse(buf, size, &img), MICA_OK);
	assert_int_equal(img.segment_count, ELF_MAX_SEGMENTS);
	assert_int_equal(img.segments[ELF_MAX_SEGMENTS - 1].vaddr,
			 TEXT_VADDR + (ELF_MAX_SEGMENTS - 1) * 0x1000);
}

static void test_parse_rejects_too_many_segments(void **state)
{
	struct seg_spec segs[ELF_MAX_SEGMENTS + 1];

	for (size_t i = 0; i < ELF_MAX_SEGMENTS + 1; i++)
		segs[i] = (struct seg_spec){PT_LOAD, PF_RX, TEXT_VADDR + i * 0x1000, 8, 0x1000};

	size_t size = build(TEXT_VADDR, segs, ELF_MAX_SEGMENTS + 1);

	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_truncated_header(void **state)
{
	build_standard();
	for (size_t size = 0; size < EH_SIZE; size++) {
		uint8_t *copy = exact_copy(size);
		struct elf_image img;

		assert_int_equal(elf_parse(copy, size, &img), MICA_ERR_TRUNCATED);
		free(copy);
	}
}

static void test_parse_rejects_bad_magic(void **state)
{
	size_t size = build_standard();

	buf[1] = 'e';
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	build_standard();
	buf[0] = 0;
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_32_bit_class(void **state)
{
	size_t size = build_standard();

	buf[EH_CLASS] = 1;
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_big_endian(void **state)
{
	size_t size = build_standard();

	buf[EH_DATA] = 2;
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_unknown_elf_version(void **state)
{
	size_t size = build_standard();

	buf[EH_IVERSION] = 2;
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	build_standard();
	put32(buf + EH_VERSION, 0);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_wrong_machine(void **state)
{
	size_t size = build_standard();

	put16(buf + EH_MACHINE, EM_X86_64);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_files_that_are_not_executables(void **state)
{
	size_t size = build_standard();

	put16(buf + EH_TYPE, ET_DYN);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	put16(buf + EH_TYPE, ET_REL);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_unexpected_program_header_size(void **state)
{
	size_t size = build_standard();

	put16(buf + EH_PHENTSIZE, PH_SIZE - 1);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	put16(buf + EH_PHENTSIZE, PH_SIZE + 8);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

/*
 * 0xffff in e_phnum means the real count is in section header 0, which the
 * parser does not read. The image here really has 0xffff program headers
 * (the standard three, then PT_NULL ones), so only that rule refuses it.
 */
static void test_parse_rejects_extended_program_header_count(void **state)
{
	size_t size = build_standard();
	size_t table = (size_t)0xffff * PH_SIZE;
	uint8_t *big = calloc(1, size + table);

	assert_non_null(big);
	memcpy(big, buf, size);
	memcpy(big + size, phdr(0), 3 * PH_SIZE);
	put64(big + EH_PHOFF, size);
	put16(big + EH_PHNUM, 0xfffe);

	struct elf_image img;

	assert_int_equal(elf_parse(big, size + table, &img), MICA_OK);
	put16(big + EH_PHNUM, 0xffff);
	assert_int_equal(elf_parse(big, size + table, &img), MICA_ERR_MALFORMED);
	free(big);
}

/*
 * The program header table is moved to the very end of the image, where it
 * is accepted when it fits exactly and rejected when one byte is missing.
 */
static void test_parse_rejects_phdr_table_outside_file(void **state)
{
	size_t size = build_standard();
	size_t table = 3 * PH_SIZE;

	memcpy(buf + size, phdr(0), table);
	put64(buf + EH_PHOFF, size);
	assert_int_equal(parse(size + table), MICA_OK);
	assert_int_equal(parse(size + table - 1), MICA_ERR_MALFORMED);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);

	build_standard();
	put16(buf + EH_PHNUM, 1000);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_phdr_table_offset_that_overflows(void **state)
{
	size_t size = build_standard();

	put64(buf + EH_PHOFF, UINT64_MAX - PH_SIZE + 1);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_segment_data_outside_file(void **state)
{
	size_t size = build_standard();

	put64(phdr(1) + PH_FILESZ, 0x21);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);

	build_standard();
	put64(phdr(0) + PH_OFFSET, size + 1);
	put64(phdr(0) + PH_FILESZ, 0);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_segment_file_range_that_overflows(void **state)
{
	size_t size = build_standard();

	put64(phdr(1) + PH_OFFSET, UINT64_MAX - 0xf);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);

	build_standard();
	put64(phdr(1) + PH_FILESZ, UINT64_MAX);
	put64(phdr(1) + PH_MEMSZ, UINT64_MAX);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_file_size_larger_than_mem_size(void **state)
{
	size_t size = build_standard();

	put64(phdr(1) + PH_MEMSZ, 0x1f);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	put64(phdr(1) + PH_MEMSZ, 0x20);
	assert_int_equal(parse(size), MICA_OK);
}

static void test_parse_rejects_address_range_that_wraps(void **state)
{
	size_t size = build_standard();

	put64(phdr(1) + PH_VADDR, UINT64_MAX - 0x7ff);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

/*
 * A segment ending exactly at 2^64 has no representable end address, so
 * it is refused too; user address spaces never reach there anyway.
 */
static void test_parse_rejects_segment_reaching_top_of_address_space(void **state)
{
	size_t size = build_standard();

	put64(phdr(1) + PH_VADDR, UINT64_MAX - 0xfff);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	put64(phdr(1) + PH_VADDR, UINT64_MAX - 0x1000);
	assert_int_equal(parse(size), MICA_OK);
}

static void test_parse_rejects_overlapping_segments(void **state)
{
	size_t size = build_standard();

	/* The data segment's last byte lands on the text segment's first. */
	put64(phdr(1) + PH_VADDR, TEXT_VADDR - 0xfff);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	put64(phdr(1) + PH_VADDR, TEXT_VADDR - 0x1000);
	assert_int_equal(parse(size), MICA_OK);
	/* Text lies wholly inside data. */
	put64(phdr(1) + PH_VADDR, TEXT_VADDR - 0x800);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	/* The same range twice. */
	put64(phdr(1) + PH_VADDR, TEXT_VADDR);
	put64(phdr(1) + PH_MEMSZ, 0x100);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_writable_executable_segment(void **state)
{
	size_t size = build_standard();

	put32(phdr(0) + PH_FLAGS, PF_R | PF_W | PF_X);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	put32(phdr(0) + PH_FLAGS, PF_W | PF_X);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_rejects_entry_outside_executable_segments(void **state)
{
	size_t size = build_standard();

	put64(buf + EH_ENTRY, DATA_VADDR);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	put64(buf + EH_ENTRY, 0);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	put64(buf + EH_ENTRY, TEXT_VADDR - 4);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_accepts_entry_anywhere_inside_text(void **state)
{
	size_t size = build_standard();

	put64(buf + EH_ENTRY, TEXT_VADDR);
	assert_int_equal(parse(size), MICA_OK);
	put64(buf + EH_ENTRY, TEXT_VADDR + 0xff);
	assert_int_equal(parse(size), MICA_OK);
	put64(buf + EH_ENTRY, TEXT_VADDR + 0x100);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

/* Without an executable segment there is nowhere for the entry to be. */
static void test_parse_rejects_image_without_loadable_segments(void **state)
{
	const struct seg_spec segs[] = {{PT_GNU_STACK, PF_RW, 0, 0, 0}};
	size_t size = build(TEXT_VADDR, segs, 1);

	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
	size = build(TEXT_VADDR, NULL, 0);
	assert_int_equal(parse(size), MICA_ERR_MALFORMED);
}

static void test_parse_leaves_output_untouched_on_error(void **state)
{
	size_t size = build_standard();
	struct elf_image img;
	struct elf_image before;

	memset(&img, 0xa5, sizeof(img));
	before = img;
	put64(buf + EH_ENTRY, DATA_VADDR);
	assert_int_equal(elf_parse(buf, size, &img), MICA_ERR_MALFORMED);
	assert_memory_equal(&img, &before, sizeof(img));
}

/*
 * Every proper prefix of a valid image is rejected, and no length makes
 * the parser read past what it was given.
 */
static void test_parse_rejects_every_truncation_of_valid_image(void **state)
{
	size_t size = build_standard();

	for (size_t len = 0; len < size; len++) {
		uint8_t *copy = exact_copy(len);
		struct elf_image img;

		assert_int_not_equal(elf_parse(copy, len, &img), MICA_OK);
		free(copy);
	}
}

/*
 * Random damage to the headers must never yield an accepted image whose
 * segments break the promises elf.h makes. A fixed-seed LCG keeps any
 * failure reproducible.
 */
static void test_parse_keeps_its_promises_under_random_corruption(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t size = build_standard();
	size_t headers = EH_SIZE + 3 * PH_SIZE;

	for (int round = 0; round < 5000; round++) {
		build_standard();
		for (int flips = 0; flips < 1 + round % 3; flips++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			size_t at = (size_t)(seed >> 33) % headers;

			buf[at] ^= (uint8_t)(1u << ((seed >> 20) % 8));
		}

		uint8_t *copy = exact_copy(size);
		struct elf_image img;

		if (elf_parse(copy, size, &img) == MICA_OK) {
			bool entry_ok = false;

			assert_true(img.segment_count <= ELF_MAX_SEGMENTS);
			for (size_t i = 0; i < img.segment_count; i++) {
				const struct elf_segment *s = &img.segments[i];

				assert_true(s->file_offset <= size);
				assert_true(s->file_size <= size - s->file_offset);
				assert_true(s->file_size <= s->mem_size);
				assert_true(s->mem_size <= UINT64_MAX - s->vaddr);
				assert_false((s->flags & ELF_SEG_W) && (s->flags & ELF_SEG_X));
				if ((s->flags & ELF_SEG_X) && img.entry >= s->vaddr &&
				    img.entry - s->vaddr < s->mem_size)
					entry_ok = true;
			}
			assert_true(entry_ok);
		}
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_describes_text_and_data_segments),
		cmocka_unit_test(test_parse_ignores_program_headers_other_than_load),
		cmocka_unit_test(test_parse_ignores_empty_load_segment),
		cmocka_unit_test(test_parse_keeps_only_permission_flag_bits),
		cmocka_unit_test(test_parse_accepts_adjacent_segments_in_any_order),
		cmocka_unit_test(test_parse_accepts_max_segments),
		cmocka_unit_test(test_parse_rejects_too_many_segments),
		cmocka_unit_test(test_parse_rejects_truncated_header),
		cmocka_unit_test(test_parse_rejects_bad_magic),
		cmocka_unit_test(test_parse_rejects_32_bit_class),
		cmocka_unit_test(test_parse_rejects_big_endian),
		cmocka_unit_test(test_parse_rejects_unknown_elf_version),
		cmocka_unit_test(test_parse_rejects_wrong_machine),
		cmocka_unit_test(test_parse_rejects_files_that_are_not_executables),
		cmocka_unit_test(test_parse_rejects_unexpected_program_header_size),
		cmocka_unit_test(test_parse_rejects_extended_program_header_count),
		cmocka_unit_test(test_parse_rejects_phdr_table_outside_file),
		cmocka_unit_test(test_parse_rejects_phdr_table_offset_that_overflows),
		cmocka_unit_test(test_parse_rejects_segment_data_outside_file),
		cmocka_unit_test(test_parse_rejects_segment_file_range_that_overflows),
		cmocka_unit_test(test_parse_rejects_file_size_larger_than_mem_size),
		cmocka_unit_test(test_parse_rejects_address_range_that_wraps),
		cmocka_unit_test(test_parse_rejects_segment_reaching_top_of_address_space),
		cmocka_unit_test(test_parse_rejects_overlapping_segments),
		cmocka_unit_test(test_parse_rejects_writable_executable_segment),
		cmocka_unit_test(test_parse_rejects_entry_outside_executable_segments),
		cmocka_unit_test(test_parse_accepts_entry_anywhere_inside_text),
		cmocka_unit_test(test_parse_rejects_image_without_loadable_segments),
		cmocka_unit_test(test_parse_leaves_output_untouched_on_error),
		cmocka_unit_test(test_parse_rejects_every_truncation_of_valid_image),
		cmocka_unit_test(test_parse_keeps_its_promises_under_random_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
