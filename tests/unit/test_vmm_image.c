/*
 * Unit tests for servers/vmm/image.c: the Linux arm64 Image header and the
 * placement of kernel, DTB and initrd in guest RAM. Headers are written
 * byte by byte at the offsets of the boot protocol, so this file shares no
 * struct with the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image.h"

#define MIB(n) ((uint64_t)(n) << 20)
#define GIB(n) ((uint64_t)(n) << 30)

#define RAM_BASE UINT64_C(0x40000000)

#define FLAG_BE	      1u
#define FLAG_PAGE_4K  (1u << 1)
#define FLAG_PAGE_16K (2u << 1)
#define FLAG_PAGE_64K (3u << 1)
#define FLAG_ANYWHERE (1u << 3)

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A 64-byte Image header at p: magic at 56, the three fields at 8, 16, 24. */
static void make_header(uint8_t *p, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(p, 0, IMAGE_HEADER_SIZE);
	put_le(p + 0, 0x91005a4d, 4); /* code0: an instruction, any will do. */
	put_le(p + 8, text_offset, 8);
	put_le(p + 16, image_size, 8);
	put_le(p + 24, flags, 8);
	memcpy(p + 56, "ARM\x64", 4);
}

/* A request for a Linux kernel in 256 MiB of RAM at 1 GiB. */
static struct image_request linux_request(uint64_t text_offset, uint64_t image_size,
					  uint64_t file_size)
{
	struct image_request req = {
		.ram = {RAM_BASE, MIB(256)},
		.kind = IMAGE_KIND_LINUX,
		.linux_info = {.text_offset = text_offset, .effective_size = image_size},
		.kernel_file_size = file_size,
		.dtb_size = 0x10000,
		.initrd_size = MIB(3),
	};

	return req;
}

static void test_parse_reads_text_offset_image_size_and_flags(void **state)
{
	uint8_t hdr[IMAGE_HEADER_SIZE];
	struct image_info info;

	make_header(hdr, 0x80000, MIB(24), FLAG_PAGE_4K | FLAG_ANYWHERE);
	assert_int_equal(image_parse(hdr, sizeof(hdr), &info, NULL), MICA_OK);
	assert_int_equal(info.text_offset, 0x80000);
	assert_int_equal(info.effective_size, MIB(24));
	assert_int_equal(info.page_size, IMAGE_PAGE_4K);
	assert_true(info.is_base_anywhere);
	assert_false(info.is_legacy);
}

static void test_parse_decodes_each_page_size_and_a_clear_placement_bit(void **state)
{
	static const struct {
		uint64_t flags;
		enum image_page_size size;
	} cases[] = {{0, IMAGE_PAGE_UNSPECIFIED},
		     {FLAG_PAGE_4K, IMAGE_PAGE_4K},
		     {FLAG_PAGE_16K, IMAGE_PAGE_16K},
		     {FLAG_PAGE_64K, IMAGE_PAGE_64K}};
	uint8_t hdr[IMAGE_HEADER_SIZE];
	struct image_info info;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_header(hdr, 0, MIB(1), cases[i].flags);
		assert_int_equal(image_parse(hdr, sizeof(hdr), &info, NULL), MICA_OK);
		assert_int_equal(info.page_size, cases[i].size);
		assert_false(info.is_base_anywhere);
	}
}

static void test_parse_ignores_the_reserved_flag_bits(void **state)
{
	uint8_t hdr[IMAGE_HEADER_SIZE];
	struct image_info info;

	make_header(hdr, 0, MIB(1), ~UINT64_C(0xf) | FLAG_PAGE_16K);
	assert_int_equal(image_parse(hdr, sizeof(hdr), &info, NULL), MICA_OK);
	assert_int_equal(info.page_size, IMAGE_PAGE_16K);
}

static void test_parse_rejects_a_file_shorter_than_the_header(void **state)
{
	uint8_t hdr[IMAGE_HEADER_SIZE];
	struct image_info info = {.text_offset = 7};
	const char *why = NULL;
	uint8_t *exact = malloc(IMAGE_HEADER_SIZE - 1);

	make_header(hdr, 0, MIB(1), 0);
	memcpy(exact, hdr, IMAGE_HEADER_SIZE - 1);
	assert_int_equal(image_parse(exact, IMAGE_HEADER_SIZE - 1, &info, &why),
			 MICA_ERR_TRUNCATED);
	assert_non_null(why);
	assert_int_equal(image_parse(NULL, 0, &info, NULL), MICA_ERR_TRUNCATED);
	assert_int_equal(info.text_offset, 7); /* Untouched. */
	free(exact);
}

static void test_parse_rejects_a_bad_magic(void **state)
{
	uint8_t hdr[IMAGE_HEADER_SIZE];
	struct image_info info;
	const char *why = NULL;

	make_header(hdr, 0, MIB(1), 0);
	hdr[59] = 0x65;
	assert_int_equal(image_parse(hdr, sizeof(hdr), &info, &why), MICA_ERR_MALFORMED);
	assert_non_null(why);
	/* An ELF file is not an Image. */
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr,
	       "\x7f"
	       "ELF",
	       4);
	assert_int_equal(image_parse(hdr, sizeof(hdr), &info, NULL), MICA_ERR_MALFORMED);
}

static void test_parse_assumes_text_offset_0x80000_when_image_size_is_zero(void **state)
{
	uint8_t *file = calloc(1, 4096);
	struct image_info info;

	/* A pre-3.17 kernel: text_offset of unknown endianness, no flags. */
	make_header(file, 0x0000080000000000, 0, FLAG_BE);
	assert_int_equal(image_parse(file, 4096, &info, NULL), MICA_OK);
	assert_true(info.is_legacy);
	assert_int_equal(info.text_offset, IMAGE_LEGACY_TEXT_OFFSET);
	assert_int_equal(info.effective_size, 4096);
	free(file);
}

static void test_parse_rejects_a_big_endian_kernel(void **state)
{
	uint8_t hdr[IMAGE_HEADER_SIZE];
	struct image_info info;
	const char *why = NULL;

	make_header(hdr, 0, MIB(1), FLAG_BE | FLAG_PAGE_4K);
	assert_int_equal(image_parse(hdr, sizeof(hdr), &info, &why), MICA_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(why, "big-endian"));
}

static void test_parse_rejects_an_image_size_smaller_than_the_file(void **state)
{
	uint8_t *file = calloc(1, 8192);
	struct image_info info;

	make_header(file, 0, 4096, 0);
	assert_int_equal(image_parse(file, 8192, &info, NULL), MICA_ERR_MALFORMED);
	free(file);
}

static void test_parse_reads_a_header_at_any_alignment(void **state)
{
	uint8_t buf[IMAGE_HEADER_SIZE + 1];
	struct image_info info;

	make_header(buf + 1, 0x80000, MIB(2), 0);
	assert_int_equal(image_parse(buf + 1, IMAGE_HEADER_SIZE, &info, NULL), MICA_OK);
	assert_int_equal(info.text_offset, 0x80000);
}

static void test_layout_places_kernel_dtb_and_initrd_in_order(void **state)
{
	struct image_request req = linux_request(0x80000, MIB(16), MIB(12));
	struct image_layout l;

	assert_int_equal(image_layout(&req, &l, NULL), MICA_OK);
	assert_int_equal(l.kernel_load, 0x40080000);
	assert_int_equal(l.entry, 0x40080000);
	assert_int_equal(l.kernel_end, 0x41080000);
	assert_int_equal(l.dtb_addr, 0x41200000); /* The next 2 MiB boundary. */
	assert_int_equal(l.initrd_start, 0x41210000);
	assert_int_equal(l.initrd_end, 0x41210000 + MIB(3));
	assert_int_equal(image_check_layout(&req, &l, NULL), MICA_OK);
}

static void test_layout_rounds_an_unaligned_ram_base_up_to_2mib(void **state)
{
	struct image_request req = linux_request(0, MIB(4), MIB(4));
	struct image_layout l;

	req.ram.base = RAM_BASE + 0x100000;
	assert_int_equal(image_layout(&req, &l, NULL), MICA_OK);
	assert_int_equal(l.kernel_load, RAM_BASE + MIB(2));
	assert_int_equal(l.dtb_addr, RAM_BASE + MIB(6));
}

static void test_layout_of_a_legacy_kernel_uses_0x80000(void **state)
{
	uint8_t *file = calloc(1, 0x3000);
	struct image_request req = linux_request(0, 0, 0x3000);
	struct image_layout l;

	make_header(file, 0x1234, 0, 0);
	assert_int_equal(image_parse(file, 0x3000, &req.linux_info, NULL), MICA_OK);
	req.initrd_size = 0;
	assert_int_equal(image_layout(&req, &l, NULL), MICA_OK);
	assert_int_equal(l.kernel_load, RAM_BASE + 0x80000);
	assert_int_equal(l.kernel_end, RAM_BASE + 0x83000);
	assert_int_equal(l.initrd_start, l.initrd_end); /* No initrd. */
	free(file);
}

static void test_layout_places_a_raw_binary_at_its_address(void **state)
{
	struct image_request req = {
		.ram = {RAM_BASE, MIB(64)},
		.kind = IMAGE_KIND_RAW,
		.raw_addr = 0x40080000,
		.kernel_file_size = 0x2345,
		.dtb_size = 0x1000,
		.initrd_size = 0x1001,
	};
	struct image_layout l;

	assert_int_equal(image_layout(&req, &l, NULL), MICA_OK);
	assert_int_equal(l.kernel_load, 0x40080000);
	assert_int_equal(l.entry, 0x40080000);
	assert_int_equal(l.kernel_end, 0x40082345);
	assert_int_equal(l.dtb_addr, 0x40200000);
	assert_int_equal(l.initrd_start, 0x40201000);
	assert_int_equal(l.initrd_end, 0x40202001);
}

static void test_layout_rejects_a_kernel_larger_than_ram(void **state)
{
	struct image_request req = linux_request(0x80000, MIB(512), MIB(12));
	struct image_layout l = {.kernel_load = 99};
	const char *why = NULL;

	assert_int_equal(image_layout(&req, &l, &why), MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_non_null(strstr(why, "kernel"));
	assert_int_equal(l.kernel_load, 99); /* Untouched on error. */
}

static void test_layout_rejects_an_initrd_that_does_not_fit(void **state)
{
	struct image_request req = linux_request(0x80000, MIB(16), MIB(12));
	struct image_layout l;
	const char *why = NULL;

	req.initrd_size = MIB(240);
	assert_int_equal(image_layout(&req, &l, &why), MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_non_null(strstr(why, "initrd"));
}

static void test_layout_rejects_a_raw_binary_outside_ram_or_misaligned(void **state)
{
	struct image_request req = {
		.ram = {RAM_BASE, MIB(64)},
		.kind = IMAGE_KIND_RAW,
		.raw_addr = 0x1000,
		.kernel_file_size = 0x100,
		.dtb_size = 0x1000,
	};
	struct image_layout l;

	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_NOT_ENOUGH_MEMORY);
	req.raw_addr = RAM_BASE + MIB(64) - 0x80; /* Runs off the end. */
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_NOT_ENOUGH_MEMORY);
	req.raw_addr = UINT64_MAX - 0x10; /* Wraps. */
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_NOT_ENOUGH_MEMORY);
	req.raw_addr = 0x40080002;
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_ALIGNMENT);
}

static void test_layout_rejects_a_text_offset_that_wraps(void **state)
{
	struct image_request req = linux_request(UINT64_C(0xffffffffffff0000), MIB(1), MIB(1));
	struct image_layout l;

	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_NOT_ENOUGH_MEMORY);
}

static void test_layout_rejects_a_dtb_size_of_zero_or_over_2mib(void **state)
{
	struct image_request req = linux_request(0x80000, MIB(16), MIB(12));
	struct image_layout l;

	req.dtb_size = MIB(2) + 1;
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_RANGE);
	req.dtb_size = 0;
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_RANGE);
	req.dtb_size = MIB(2); /* Exactly 2 MiB fits one aligned slot. */
	assert_int_equal(image_layout(&req, &l, NULL), MICA_OK);
}

static void test_layout_keeps_the_dtb_within_512mib_of_the_kernel_base(void **state)
{
	struct image_request req = linux_request(0x80000, MIB(600), MIB(12));
	struct image_layout l;
	const char *why = NULL;

	req.ram.size = GIB(2);
	assert_int_equal(image_layout(&req, &l, &why), MICA_ERR_RANGE);
	assert_non_null(strstr(why, "512 MiB"));
}

static void test_layout_rejects_bad_requests(void **state)
{
	struct image_request req = linux_request(0x80000, MIB(16), MIB(12));
	struct image_layout l;

	req.ram = (struct image_ram){UINT64_MAX - MIB(1), MIB(2)}; /* Wraps. */
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_INVALID_ARGUMENT);
	req = linux_request(0x80000, MIB(16), MIB(12));
	req.ram.size = 0;
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_INVALID_ARGUMENT);
	req = linux_request(0x80000, MIB(16), 10); /* Shorter than a header. */
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_TRUNCATED);
	req = linux_request(0x80000, MIB(16), 0);
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_INVALID_ARGUMENT);
	req = linux_request(0x80000, MIB(16), MIB(12));
	req.kind = (enum image_kind)7;
	assert_int_equal(image_layout(&req, &l, NULL), MICA_ERR_INVALID_ARGUMENT);
}

/* A valid layout for the checks below to damage. */
static void good_layout(struct image_request *req, struct image_layout *l)
{
	*req = linux_request(0x80000, MIB(16), MIB(12));
	assert_int_equal(image_layout(req, l, NULL), MICA_OK);
}

static void test_check_rejects_a_dtb_not_on_8_bytes(void **state)
{
	struct image_request req;
	struct image_layout l;

	good_layout(&req, &l);
	l.dtb_addr += 4;
	assert_int_equal(image_check_layout(&req, &l, NULL), MICA_ERR_ALIGNMENT);
}

static void test_check_rejects_a_dtb_crossing_a_2mib_boundary(void **state)
{
	struct image_request req;
	struct image_layout l;
	const char *why = NULL;

	good_layout(&req, &l);
	l.dtb_addr = 0x41400000 - 0x8000; /* 64 KiB of DTB would cross. */
	assert_int_equal(image_check_layout(&req, &l, &why), MICA_ERR_RANGE);
	assert_non_null(strstr(why, "2 MiB"));
}

static void test_check_rejects_a_dtb_overlapping_the_kernel(void **state)
{
	struct image_request req;
	struct image_layout l;
	const char *why = NULL;

	good_layout(&req, &l);
	l.dtb_addr = 0x41000000; /* Inside the kernel's BSS. */
	assert_int_equal(image_check_layout(&req, &l, &why), MICA_ERR_RANGE);
	assert_non_null(strstr(why, "overlaps the kernel"));
}

static void test_check_rejects_an_initrd_overlapping_the_dtb_or_kernel(void **state)
{
	struct image_request req;
	struct image_layout l;
	const char *why = NULL;

	good_layout(&req, &l);
	l.initrd_start = l.dtb_addr + 0x1000;
	l.initrd_end = l.initrd_start + req.initrd_size;
	assert_int_equal(image_check_layout(&req, &l, &why), MICA_ERR_RANGE);
	assert_non_null(strstr(why, "overlaps the DTB"));
	l.initrd_start = l.kernel_load;
	l.initrd_end = l.initrd_start + req.initrd_size;
	assert_int_equal(image_check_layout(&req, &l, &why), MICA_ERR_RANGE);
	assert_non_null(strstr(why, "overlaps the kernel"));
}

static void test_check_rejects_an_initrd_not_on_a_page_or_outside_ram(void **state)
{
	struct image_request req;
	struct image_layout l;

	good_layout(&req, &l);
	l.initrd_start += 8;
	l.initrd_end += 8;
	assert_int_equal(image_check_layout(&req, &l, NULL), MICA_ERR_ALIGNMENT);
	l.initrd_start = RAM_BASE + MIB(255);
	l.initrd_end = l.initrd_start + req.initrd_size;
	assert_int_equal(image_check_layout(&req, &l, NULL), MICA_ERR_NOT_ENOUGH_MEMORY);
	l.initrd_end = l.initrd_start + 1; /* Not the initrd's size. */
	assert_int_equal(image_check_layout(&req, &l, NULL), MICA_ERR_INVALID_ARGUMENT);
}

static void test_check_rejects_a_kernel_not_text_offset_above_2mib(void **state)
{
	struct image_request req;
	struct image_layout l;

	good_layout(&req, &l);
	l.kernel_load += 0x10000;
	l.kernel_end += 0x10000;
	l.entry = l.kernel_load;
	assert_int_equal(image_check_layout(&req, &l, NULL), MICA_ERR_ALIGNMENT);
	l.entry += 4; /* The entry is the Image's first byte. */
	assert_int_equal(image_check_layout(&req, &l, NULL), MICA_ERR_INVALID_ARGUMENT);
}

static void test_check_keeps_kernel_and_initrd_in_one_32gib_window(void **state)
{
	struct image_request req;
	struct image_layout l;
	const char *why = NULL;

	good_layout(&req, &l);
	req.ram.size = GIB(64);
	l.initrd_start = RAM_BASE + GIB(40);
	l.initrd_end = l.initrd_start + req.initrd_size;
	assert_int_equal(image_check_layout(&req, &l, &why), MICA_ERR_RANGE);
	assert_non_null(strstr(why, "32 GiB"));
	l.initrd_start = RAM_BASE + GIB(30);
	l.initrd_end = l.initrd_start + req.initrd_size;
	assert_int_equal(image_check_layout(&req, &l, NULL), MICA_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reads_text_offset_image_size_and_flags),
		cmocka_unit_test(test_parse_decodes_each_page_size_and_a_clear_placement_bit),
		cmocka_unit_test(test_parse_ignores_the_reserved_flag_bits),
		cmocka_unit_test(test_parse_rejects_a_file_shorter_than_the_header),
		cmocka_unit_test(test_parse_rejects_a_bad_magic),
		cmocka_unit_test(test_parse_assumes_text_offset_0x80000_when_image_size_is_zero),
		cmocka_unit_test(test_parse_rejects_a_big_endian_kernel),
		cmocka_unit_test(test_parse_rejects_an_image_size_smaller_than_the_file),
		cmocka_unit_test(test_parse_reads_a_header_at_any_alignment),
		cmocka_unit_test(test_layout_places_kernel_dtb_and_initrd_in_order),
		cmocka_unit_test(test_layout_rounds_an_unaligned_ram_base_up_to_2mib),
		cmocka_unit_test(test_layout_of_a_legacy_kernel_uses_0x80000),
		cmocka_unit_test(test_layout_places_a_raw_binary_at_its_address),
		cmocka_unit_test(test_layout_rejects_a_kernel_larger_than_ram),
		cmocka_unit_test(test_layout_rejects_an_initrd_that_does_not_fit),
		cmocka_unit_test(test_layout_rejects_a_raw_binary_outside_ram_or_misaligned),
		cmocka_unit_test(test_layout_rejects_a_text_offset_that_wraps),
		cmocka_unit_test(test_layout_rejects_a_dtb_size_of_zero_or_over_2mib),
		cmocka_unit_test(test_layout_keeps_the_dtb_within_512mib_of_the_kernel_base),
		cmocka_unit_test(test_layout_rejects_bad_requests),
		cmocka_unit_test(test_check_rejects_a_dtb_not_on_8_bytes),
		cmocka_unit_test(test_check_rejects_a_dtb_crossing_a_2mib_boundary),
		cmocka_unit_test(test_check_rejects_a_dtb_overlapping_the_kernel),
		cmocka_unit_test(test_check_rejects_an_initrd_overlapping_the_dtb_or_kernel),
		cmocka_unit_test(test_check_rejects_an_initrd_not_on_a_page_or_outside_ram),
		cmocka_unit_test(test_check_rejects_a_kernel_not_text_offset_above_2mib),
		cmocka_unit_test(test_check_keeps_kernel_and_initrd_in_one_32gib_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
