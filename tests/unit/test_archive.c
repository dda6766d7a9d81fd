/*
 * Unit tests for kernel/archive.c. Archives are built in memory by a small
 * builder that writes the layout of <mica/abi/archive.h> byte by byte (not
 * through the ABI structs, so a wrong struct layout would show), then
 * damaged field by field. Where a test hands the reader an exact-size heap
 * copy, AddressSanitizer turns any read past the end into a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <formats/archive.h>
#include <mica/abi/archive.h>

/* Field offsets, from the format description. */
#define HDR_VERSION	8
#define HDR_ENTRY_COUNT 12
#define HDR_TOTAL_SIZE	16
#define HDR_RESERVED	24
#define HDR_SIZE	((size_t)32)
#define ENT_OFFSET	48
#define ENT_SIZE	56
#define ENT_BYTES	((size_t)64)
#define ALIGN		((size_t)4096)

#define BUF_CAP (8 * ALIGN)

/* One file for the builder. */
struct file_spec {
	const char *name;
	const uint8_t *data;
	size_t size;
};

/* The archive under test; page-aligned as the kernel's is. */
static _Alignas(ALIGN) uint8_t buf[BUF_CAP];

/* The magic, spelt out so that a changed MICA_ARCHIVE_MAGIC fails here. */
static const uint8_t magic[8] = {'M', 'I', 'C', 'A', 'A', 'R', 'C', '1'};

static uint8_t root_data[5000];
static const uint8_t config_data[] = "hello";

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *entry_at(uint8_t *archive, size_t index)
{
	return archive + HDR_SIZE + index * ENT_BYTES;
}

static size_t align_up(size_t v)
{
	return (v + ALIGN - 1) / ALIGN * ALIGN;
}

/*
 * Write a well-formed archive of the given files into buf, laid out as
 * mica_mkarchive does it: header, entry table, then each file at the next
 * aligned offset, the whole padded to the alignment. Returns its size.
 */
static size_t build(const struct file_spec *files, size_t count)
{
	size_t pos = HDR_SIZE + count * ENT_BYTES;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, magic, sizeof(magic));
	put_le32(buf + HDR_VERSION, MICA_ARCHIVE_VERSION);
	put_le32(buf + HDR_ENTRY_COUNT, (uint32_t)count);
	for (size_t i = 0; i < count; i++) {
		uint8_t *e = entry_at(buf, i);
		size_t offset = align_up(pos);

		assert_true(strlen(files[i].name) < MICA_ARCHIVE_NAME_MAX);
		assert_true(offset + files[i].size <= BUF_CAP);
		memcpy(e, files[i].name, strlen(files[i].name));
		put_le64(e + ENT_OFFSET, offset);
		put_le64(e + ENT_SIZE, files[i].size);
		if (files[i].size > 0)
			memcpy(buf + offset, files[i].data, files[i].size);
		pos = offset + files[i].size;
	}
	put_le64(buf + HDR_TOTAL_SIZE, align_up(pos));
	return align_up(pos);
}

/*
 * The standard archive: a multi-page file, a small one, and an empty one
 * whose offset is the very end of the archive.
 */
static size_t build_standard(void)
{
	const struct file_spec files[] = {
		{"root", root_data, sizeof(root_data)},
		{"config", config_data, sizeof(config_data) - 1},
		{"empty", NULL, 0},
	};

	for (size_t i = 0; i < sizeof(root_data); i++)
		root_data[i] = (uint8_t)(i * 7 + 3);
	return build(files, sizeof(files) / sizeof(files[0]));
}

/* A heap copy of exactly size bytes, so ASan sees reads past the end. */
static uint8_t *exact_copy(const uint8_t *src, size_t size)
{
	uint8_t *copy = malloc(size == 0 ? 1 : size);

	assert_non_null(copy);
	if (size > 0)
		memcpy(copy, src, size);
	return copy;
}

static void test_check_accepts_well_formed_archive(void **state)
{
	size_t size = build_standard();

	assert_int_equal(size, 4 * ALIGN);
	assert_int_equal(archive_check(buf, size), MICA_OK);
}

static void test_check_accepts_archive_without_files(void **state)
{
	size_t size = build(NULL, 0);

	assert_int_equal(size, ALIGN);
	assert_int_equal(archive_check(buf, size), MICA_OK);
	/* The smallest archive there is: a header alone, unpadded. */
	put_le64(buf + HDR_TOTAL_SIZE, HDR_SIZE);
	assert_int_equal(archive_check(buf, HDR_SIZE), MICA_OK);
}

static void test_check_accepts_buffer_longer_than_archive(void **state)
{
	size_t size = build_standard();

	assert_int_equal(archive_check(buf, size + ALIGN), MICA_OK);
}

static void test_find_returns_data_and_size_of_each_file(void **state)
{
	size_t size = build_standard();
	struct archive_file file;

	assert_int_equal(archive_find(buf, size, "root", &file), MICA_OK);
	assert_ptr_equal(file.data, buf + ALIGN);
	assert_int_equal(file.size, sizeof(root_data));
	assert_memory_equal(file.data, root_data, sizeof(root_data));

	assert_int_equal(archive_find(buf, size, "config", &file), MICA_OK);
	assert_ptr_equal(file.data, buf + 3 * ALIGN);
	assert_int_equal(file.size, 5);
	assert_memory_equal(file.data, "hello", 5);

	assert_int_equal(archive_find(buf, size, "empty", &file), MICA_OK);
	assert_ptr_equal(file.data, buf + 4 * ALIGN);
	assert_int_equal(file.size, 0);
}

static void test_find_reports_missing_name(void **state)
{
	size_t size = build_standard();
	struct archive_file file = {.data = NULL, .size = 123};

	assert_int_equal(archive_find(buf, size, "init", &file), MICA_ERR_NOT_FOUND);
	assert_int_equal(archive_find(buf, size, "", &file), MICA_ERR_NOT_FOUND);
	assert_null(file.data);
	assert_int_equal(file.size, 123);
}

static void test_find_does_not_match_prefixes_or_extensions(void **state)
{
	size_t size = build_standard();
	struct archive_file file;

	assert_int_equal(archive_find(buf, size, "roo", &file), MICA_ERR_NOT_FOUND);
	assert_int_equal(archive_find(buf, size, "rootfs", &file), MICA_ERR_NOT_FOUND);
	assert_int_equal(archive_find(buf, size, "Root", &file), MICA_ERR_NOT_FOUND);
}

/*
 * A query longer than the field can hold never matches, even when the
 * entry's name is as long as a name can be and is the query's prefix.
 */
static void test_find_never_matches_name_longer_than_field(void **state)
{
	char longest[MICA_ARCHIVE_NAME_MAX];
	char too_long[MICA_ARCHIVE_NAME_MAX + 1];
	struct archive_file file;

	memset(longest, 'n', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memcpy(too_long, longest, sizeof(longest) - 1);
	too_long[sizeof(too_long) - 2] = 'n';
	too_long[sizeof(too_long) - 1] = '\0';

	const struct file_spec files[] = {{longest, config_data, 5}};
	size_t size = build(files, 1);

	assert_int_equal(archive_find(buf, size, longest, &file), MICA_OK);
	assert_int_equal(archive_find(buf, size, too_long, &file), MICA_ERR_NOT_FOUND);
}

static void test_find_returns_first_entry_when_names_repeat(void **state)
{
	const struct file_spec files[] = {
		{"twin", config_data, 5},
		{"twin", root_data, 10},
	};
	size_t size = build(files, 2);
	struct archive_file file;

	assert_int_equal(archive_find(buf, size, "twin", &file), MICA_OK);
	assert_int_equal(file.size, 5);
}

static void test_find_rejects_entry_past_end(void **state)
{
	size_t size = build_standard();
	struct archive_file file = {.data = NULL, .size = 0};

	put_le64(entry_at(buf, 2) + ENT_OFFSET, size + ALIGN);
	assert_int_equal(archive_find(buf, size, "root", &file), MICA_ERR_MALFORMED);
	assert_int_equal(archive_find(buf, size, "empty", &file), MICA_ERR_MALFORMED);
	assert_null(file.data);
}

static void test_find_rejects_truncated_archive(void **state)
{
	size_t size = build_standard();
	struct archive_file file;

	assert_int_equal(archive_find(buf, size - 1, "root", &file), MICA_ERR_TRUNCATED);
	assert_int_equal(archive_find(buf, 10, "root", &file), MICA_ERR_TRUNCATED);
}

static void test_check_rejects_truncated_header(void **state)
{
	build_standard();
	for (size_t size = 0; size < HDR_SIZE; size++) {
		uint8_t *copy = exact_copy(buf, size);

		assert_int_equal(archive_check(copy, size), MICA_ERR_TRUNCATED);
		free(copy);
	}
}

static void test_check_rejects_wrong_magic(void **state)
{
	size_t size = build_standard();

	buf[7] = '2';
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
	buf[7] = '1';
	buf[0] = 'm';
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_wrong_version(void **state)
{
	size_t size = build_standard();

	put_le32(buf + HDR_VERSION, 2);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
	put_le32(buf + HDR_VERSION, 0);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_nonzero_reserved_field(void **state)
{
	size_t size = build_standard();

	put_le64(buf + HDR_RESERVED, 1);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_buffer_shorter_than_total_size(void **state)
{
	size_t size = build_standard();

	assert_int_equal(archive_check(buf, size - 1), MICA_ERR_TRUNCATED);
	put_le64(buf + HDR_TOTAL_SIZE, UINT64_MAX);
	assert_int_equal(archive_check(buf, size), MICA_ERR_TRUNCATED);
}

static void test_check_rejects_entry_table_past_total_size(void **state)
{
	size_t size = build_standard();

	put_le64(buf + HDR_TOTAL_SIZE, HDR_SIZE + 2 * ENT_BYTES);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);

	build_standard();
	put_le32(buf + HDR_ENTRY_COUNT, (uint32_t)(size / ENT_BYTES));
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

/*
 * A buffer holding the header and half an entry, whose header claims both
 * that the archive is exactly that long and that a whole entry follows:
 * the entry must be refused without being read (ASan watches the copy's end).
 */
static void test_check_rejects_entry_table_cut_short_by_total_size(void **state)
{
	size_t size = HDR_SIZE + ENT_BYTES / 2;
	uint8_t *copy;

	build_standard();
	put_le32(buf + HDR_ENTRY_COUNT, 1);
	put_le64(buf + HDR_TOTAL_SIZE, size);
	copy = exact_copy(buf, size);
	assert_int_equal(archive_check(copy, size), MICA_ERR_MALFORMED);
	free(copy);
}

static void test_check_rejects_total_size_smaller_than_header(void **state)
{
	build(NULL, 0);
	put_le64(buf + HDR_TOTAL_SIZE, HDR_SIZE - 1);
	assert_int_equal(archive_check(buf, ALIGN), MICA_ERR_MALFORMED);
	put_le64(buf + HDR_TOTAL_SIZE, 0);
	assert_int_equal(archive_check(buf, ALIGN), MICA_ERR_MALFORMED);
}

static void test_check_rejects_huge_entry_count(void **state)
{
	size_t size = build_standard();

	put_le32(buf + HDR_ENTRY_COUNT, UINT32_MAX);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_entry_past_end(void **state)
{
	size_t size = build_standard();

	put_le64(entry_at(buf, 1) + ENT_OFFSET, size + ALIGN);
	put_le64(entry_at(buf, 1) + ENT_SIZE, 0);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_file_extending_past_end(void **state)
{
	size_t size = build_standard();

	put_le64(entry_at(buf, 1) + ENT_SIZE, size - 3 * ALIGN + 1);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
	put_le64(entry_at(buf, 1) + ENT_SIZE, size - 3 * ALIGN);
	assert_int_equal(archive_check(buf, size), MICA_OK);
}

static void test_check_rejects_unaligned_offset(void **state)
{
	size_t size = build_standard();

	put_le64(entry_at(buf, 1) + ENT_OFFSET, 3 * ALIGN + 8);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
	put_le64(entry_at(buf, 1) + ENT_OFFSET, 3 * ALIGN - 1);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

/* Offset 0 is aligned, but a file there would be the header itself. */
static void test_check_rejects_file_overlapping_entry_table(void **state)
{
	size_t size = build_standard();

	put_le64(entry_at(buf, 1) + ENT_OFFSET, 0);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_overflowing_offset_plus_size(void **state)
{
	size_t size = build_standard();

	put_le64(entry_at(buf, 0) + ENT_OFFSET, ALIGN);
	put_le64(entry_at(buf, 0) + ENT_SIZE, UINT64_MAX - ALIGN + 1);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);

	put_le64(entry_at(buf, 0) + ENT_OFFSET, UINT64_MAX - ALIGN + 1);
	put_le64(entry_at(buf, 0) + ENT_SIZE, 2 * ALIGN);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_unterminated_name(void **state)
{
	size_t size = build_standard();

	memset(entry_at(buf, 2), 'x', MICA_ARCHIVE_NAME_MAX);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_empty_name(void **state)
{
	size_t size = build_standard();

	memset(entry_at(buf, 1), 0, MICA_ARCHIVE_NAME_MAX);
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

static void test_check_rejects_bytes_after_name_terminator(void **state)
{
	size_t size = build_standard();

	entry_at(buf, 0)[MICA_ARCHIVE_NAME_MAX - 1] = 'x';
	assert_int_equal(archive_check(buf, size), MICA_ERR_MALFORMED);
}

/*
 * Every proper prefix of a valid archive is rejected, and no length makes
 * the reader look past the bytes it was given.
 */
static void test_check_rejects_every_truncation_of_valid_archive(void **state)
{
	size_t size = build_standard();

	for (size_t len = 0; len < size; len += len < 2 * ALIGN ? 1 : 61) {
		uint8_t *copy = exact_copy(buf, len);

		assert_int_not_equal(archive_check(copy, len), MICA_OK);
		free(copy);
	}
}

/*
 * Random damage to the header and entry table must never produce an
 * archive that passes the check yet names bytes outside the buffer. The
 * generator is a fixed-seed LCG so that a failure can be reproduced.
 */
static void test_check_keeps_files_in_bounds_under_random_corruption(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	static const char *const names[] = {"root", "config", "empty"};
	size_t size = build_standard();
	size_t metadata = HDR_SIZE + 3 * ENT_BYTES;
	unsigned accepted = 0;

	for (int round = 0; round < 5000; round++) {
		build_standard();
		for (int flips = 0; flips < 1 + round % 4; flips++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			size_t at = (size_t)(seed >> 33) % metadata;
			uint8_t value = (uint8_t)(seed >> 17);

			buf[at] = round % 2 == 0 ? value : (uint8_t)(buf[at] ^ (1u << (value % 8)));
		}

		uint8_t *copy = exact_copy(buf, size);

		if (archive_check(copy, size) == MICA_OK) {
			accepted++;
			for (size_t i = 0; i < 3; i++) {
				struct archive_file file;

				if (archive_find(copy, size, names[i], &file) != MICA_OK)
					continue;
				assert_true(file.data >= copy && file.data <= copy + size);
				assert_true(file.size <= (size_t)(copy + size - file.data));
			}
		}
		free(copy);
	}
	/* Some damage (to file sizes, say) is harmless: make sure it is seen. */
	assert_true(accepted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_accepts_well_formed_archive),
		cmocka_unit_test(test_check_accepts_archive_without_files),
		cmocka_unit_test(test_check_accepts_buffer_longer_than_archive),
		cmocka_unit_test(test_find_returns_data_and_size_of_each_file),
		cmocka_unit_test(test_find_reports_missing_name),
		cmocka_unit_test(test_find_does_not_match_prefixes_or_extensions),
		cmocka_unit_test(test_find_never_matches_name_longer_than_field),
		cmocka_unit_test(test_find_returns_first_entry_when_names_repeat),
		cmocka_unit_test(test_find_rejects_entry_past_end),
		cmocka_unit_test(test_find_rejects_truncated_archive),
		cmocka_unit_test(test_check_rejects_truncated_header),
		cmocka_unit_test(test_check_rejects_wrong_magic),
		cmocka_unit_test(test_check_rejects_wrong_version),
		cmocka_unit_test(test_check_rejects_nonzero_reserved_field),
		cmocka_unit_test(test_check_rejects_buffer_shorter_than_total_size),
		cmocka_unit_test(test_check_rejects_entry_table_past_total_size),
		cmocka_unit_test(test_check_rejects_entry_table_cut_short_by_total_size),
		cmocka_unit_test(test_check_rejects_total_size_smaller_than_header),
		cmocka_unit_test(test_check_rejects_huge_entry_count),
		cmocka_unit_test(test_check_rejects_entry_past_end),
		cmocka_unit_test(test_check_rejects_file_extending_past_end),
		cmocka_unit_test(test_check_rejects_unaligned_offset),
		cmocka_unit_test(test_check_rejects_file_overlapping_entry_table),
		cmocka_unit_test(test_check_rejects_overflowing_offset_plus_size),
		cmocka_unit_test(test_check_rejects_unterminated_name),
		cmocka_unit_test(test_check_rejects_empty_name),
		cmocka_unit_test(test_check_rejects_bytes_after_name_terminator),
		cmocka_unit_test(test_check_rejects_every_truncation_of_valid_archive),
		cmocka_unit_test(test_check_keeps_files_in_bounds_under_random_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
