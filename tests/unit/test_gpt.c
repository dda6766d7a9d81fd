/*
 * Unit tests for servers/drv/gpt.c: reading a GUID partition table from a
 * disk image in memory, built here field by field as UEFI 2.10 §5.3 lays
 * it out, and damaged one field at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gpt.h"

#define SECTOR	       512u
#define DISK_SECTORS   UINT64_C(2048)
#define ENTRIES_SECTOR 2u
#define HEADER_SIZE    92u
#define ENTRY_SIZE     128u
#define ENTRY_COUNT    128u
#define FIRST_USABLE   UINT64_C(34) /* After 128 entries of 128 bytes: 32 sectors. */
#define LAST_USABLE    (DISK_SECTORS - 34)

/* Offsets of the header's fields and an entry's (§5.3.2, §5.3.3). */
#define HDR_REVISION	 8u
#define HDR_HEADER_SIZE	 12u
#define HDR_HEADER_CRC	 16u
#define HDR_MY_LBA	 24u
#define HDR_ALTERNATE	 32u
#define HDR_FIRST_USABLE 40u
#define HDR_LAST_USABLE	 48u
#define HDR_ENTRIES_LBA	 72u
#define HDR_ENTRY_COUNT	 80u
#define HDR_ENTRY_SIZE	 84u
#define HDR_ENTRIES_CRC	 88u
#define ENTRY_FIRST	 32u
#define ENTRY_LAST	 40u

static uint8_t disk[DISK_SECTORS * SECTOR];
static uint32_t entry_size, entry_count;

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *sector(uint64_t s)
{
	return disk + s * SECTOR;
}

static uint8_t *entry(uint32_t number)
{
	return sector(ENTRIES_SECTOR) + (size_t)(number - 1) * entry_size;
}

/* Entry number: a Linux filesystem partition of sectors first to last, inclusive. */
static void set_entry(uint32_t number, uint64_t first, uint64_t last)
{
	/* The type GUID 0FC63DAF-8483-4772-8E79-3D69D8477DE4, as stored (mixed-endian). */
	static const uint8_t linux_data[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
					       0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};
	uint8_t *e = entry(number);

	memcpy(e, linux_data, sizeof(linux_data));
	memset(e + 16, (int)number, 16); /* Its unique GUID. */
	put_le(e + ENTRY_FIRST, first, 8);
	put_le(e + ENTRY_LAST, last, 8);
}

/* The checksums, entries first: the header's covers the entries'. */
static void seal(void)
{
	uint8_t *h = sector(1);
	uint32_t header_size = (uint32_t)h[HDR_HEADER_SIZE] | (uint32_t)h[HDR_HEADER_SIZE + 1] << 8;

	uint64_t bytes = (uint64_t)entry_count * entry_size;

	/* An array larger than the disk has no checksum to speak of. */
	if (bytes <= sizeof(disk) - (size_t)ENTRIES_SECTOR * SECTOR)
		put_le(h + HDR_ENTRIES_CRC, gpt_crc32(sector(ENTRIES_SECTOR), (size_t)bytes), 4);
	put_le(h + HDR_HEADER_CRC, 0, 4);
	put_le(h + HDR_HEADER_CRC, gpt_crc32(h, header_size), 4);
}

/* A disk with a table of count entries of size bytes; partitions 1 and 2 used, 3 not. */
static void make_disk(uint32_t count, uint32_t size)
{
	uint8_t *h = sector(1);

	memset(disk, 0, sizeof(disk));
	entry_count = count;
	entry_size = size;
	memcpy(h, "EFI PART", 8);
	put_le(h + HDR_REVISION, 0x00010000, 4);
	put_le(h + HDR_HEADER_SIZE, HEADER_SIZE, 4);
	put_le(h + HDR_MY_LBA, 1, 8);
	put_le(h + HDR_ALTERNATE, DISK_SECTORS - 1, 8);
	put_le(h + HDR_FIRST_USABLE, FIRST_USABLE, 8);
	put_le(h + HDR_LAST_USABLE, LAST_USABLE, 8);
	memset(h + 56, 0x42, 16); /* The disk's GUID. */
	put_le(h + HDR_ENTRIES_LBA, ENTRIES_SECTOR, 8);
	put_le(h + HDR_ENTRY_COUNT, count, 4);
	put_le(h + HDR_ENTRY_SIZE, size, 4);
	set_entry(1, 64, 1023);
	set_entry(2, 1024, 1535);
	seal();
}

static int setup(void **state)
{
	(void)state;
	make_disk(ENTRY_COUNT, ENTRY_SIZE);
	return 0;
}

/* Read the disk's table and find partition number, as the driver does. */
static enum gpt_error find(uint32_t number, struct gpt_window *w)
{
	struct gpt_header h = {0};
	enum gpt_error err = gpt_read_header(sector(1), DISK_SECTORS, &h);

	if (err == GPT_OK)
		err = gpt_check_entries(&h, sector(h.entries_sector));
	if (err == GPT_OK)
		err = gpt_find_partition(&h, sector(h.entries_sector), number, DISK_SECTORS, w);
	return err;
}

static void expect_error(uint32_t number, enum gpt_error want)
{
	struct gpt_window w = {0};

	assert_int_equal(find(number, &w), want);
	assert_string_not_equal(gpt_error_text(want), "an unknown error");
}

static void test_crc32_is_the_ieee_one(void **state)
{
	(void)state;
	/* The check value of CRC-32/ISO-HDLC, as zlib's crc32 gives it. */
	assert_int_equal(gpt_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	assert_int_equal(gpt_crc32((const uint8_t *)"", 0), 0);
}

static void test_a_valid_table_gives_each_partitions_sectors(void **state)
{
	struct gpt_header h = {0};
	struct gpt_window w = {0};

	(void)state;
	assert_int_equal(gpt_read_header(sector(1), DISK_SECTORS, &h), GPT_OK);
	assert_int_equal(h.entries_sector, ENTRIES_SECTOR);
	assert_int_equal(h.entry_count, ENTRY_COUNT);
	assert_int_equal(h.entry_size, ENTRY_SIZE);
	assert_int_equal(gpt_entries_bytes(&h), ENTRY_COUNT * ENTRY_SIZE);
	assert_int_equal(find(1, &w), GPT_OK);
	assert_int_equal(w.first_sector, 64);
	assert_int_equal(w.sectors, 960); /* The last sector is the partition's. */
	assert_int_equal(find(2, &w), GPT_OK);
	assert_int_equal(w.first_sector, 1024);
	assert_int_equal(w.sectors, 512);
	/* The last entry of the array. */
	set_entry(ENTRY_COUNT, LAST_USABLE, LAST_USABLE);
	seal();
	assert_int_equal(find(ENTRY_COUNT, &w), GPT_OK);
	assert_int_equal(w.first_sector, LAST_USABLE);
	assert_int_equal(w.sectors, 1);
}

static void test_a_disk_without_the_signature_has_no_table(void **state)
{
	(void)state;
	memset(disk, 0, sizeof(disk));
	expect_error(1, GPT_NO_SIGNATURE);
	make_disk(ENTRY_COUNT, ENTRY_SIZE);
	memcpy(sector(1), "EFI PARU", 8);
	seal();
	expect_error(1, GPT_NO_SIGNATURE);
}

static void test_the_header_crc_covers_header_size_bytes_without_itself(void **state)
{
	(void)state;
	/* A changed byte within the header. */
	sector(1)[HDR_ALTERNATE] ^= 1;
	expect_error(1, GPT_BAD_HEADER_CRC);
	/* A wrong checksum. */
	make_disk(ENTRY_COUNT, ENTRY_SIZE);
	sector(1)[HDR_HEADER_CRC] ^= 0x80;
	expect_error(1, GPT_BAD_HEADER_CRC);
	/* The rest of the sector is outside it: anything there is ignored. */
	make_disk(ENTRY_COUNT, ENTRY_SIZE);
	memset(sector(1) + HEADER_SIZE, 0xa5, SECTOR - HEADER_SIZE);
	expect_error(1, GPT_OK);
	/* Unless the header says it is longer. */
	put_le(sector(1) + HDR_HEADER_SIZE, SECTOR, 4);
	seal();
	expect_error(1, GPT_OK);
	sector(1)[SECTOR - 1] ^= 1;
	expect_error(1, GPT_BAD_HEADER_CRC);
}

static void test_a_header_size_must_hold_the_fields_and_fit_a_sector(void **state)
{
	(void)state;
	put_le(sector(1) + HDR_HEADER_SIZE, HEADER_SIZE - 1, 4);
	seal();
	expect_error(1, GPT_BAD_HEADER_SIZE);
	put_le(sector(1) + HDR_HEADER_SIZE, SECTOR + 1, 4);
	expect_error(1, GPT_BAD_HEADER_SIZE);
}

static void test_a_backup_header_at_sector_1_is_refused(void **state)
{
	(void)state;
	put_le(sector(1) + HDR_MY_LBA, DISK_SECTORS - 1, 8);
	seal();
	expect_error(1, GPT_NOT_PRIMARY);
}

static void test_a_damaged_entry_array_is_refused(void **state)
{
	(void)state;
	/* Any byte of any entry, used or not. */
	entry(ENTRY_COUNT)[127] ^= 1;
	expect_error(1, GPT_BAD_ENTRIES_CRC);
	make_disk(ENTRY_COUNT, ENTRY_SIZE);
	sector(1)[HDR_ENTRIES_CRC] ^= 1;
	put_le(sector(1) + HDR_HEADER_CRC, 0, 4);
	put_le(sector(1) + HDR_HEADER_CRC, gpt_crc32(sector(1), HEADER_SIZE), 4);
	expect_error(1, GPT_BAD_ENTRIES_CRC);
}

static void test_a_number_outside_the_array_is_no_entry(void **state)
{
	(void)state;
	expect_error(0, GPT_NO_SUCH_ENTRY);
	expect_error(ENTRY_COUNT + 1, GPT_NO_SUCH_ENTRY);
	make_disk(4, ENTRY_SIZE);
	expect_error(4, GPT_UNUSED_ENTRY);
	expect_error(5, GPT_NO_SUCH_ENTRY);
}

static void test_an_entry_with_a_zero_type_is_unused(void **state)
{
	(void)state;
	expect_error(3, GPT_UNUSED_ENTRY);
	/* Sectors do not make it used. */
	set_entry(3, 1536, 1600);
	memset(entry(3), 0, 16);
	seal();
	expect_error(3, GPT_UNUSED_ENTRY);
}

static void test_a_partition_must_lie_on_the_disk_and_in_the_usable_sectors(void **state)
{
	(void)state;
	set_entry(3, 1536, DISK_SECTORS);
	seal();
	expect_error(3, GPT_PAST_THE_DISK);
	set_entry(3, DISK_SECTORS + 10, UINT64_MAX);
	seal();
	expect_error(3, GPT_PAST_THE_DISK);
	set_entry(3, 1536, LAST_USABLE + 1);
	seal();
	expect_error(3, GPT_OUTSIDE_USABLE);
	set_entry(3, FIRST_USABLE - 1, 40);
	seal();
	expect_error(3, GPT_OUTSIDE_USABLE);
	set_entry(3, 1600, 1599);
	seal();
	expect_error(3, GPT_BAD_ENTRY_RANGE);
}

static void test_an_entry_is_128_bytes_times_a_power_of_two(void **state)
{
	struct gpt_window w = {0};

	(void)state;
	/* 256-byte entries: the partition is found at its stride. */
	make_disk(ENTRY_COUNT / 2, 256);
	assert_int_equal(find(2, &w), GPT_OK);
	assert_int_equal(w.first_sector, 1024);
	assert_int_equal(w.sectors, 512);
	make_disk(ENTRY_COUNT / 4, 512);
	assert_int_equal(find(1, &w), GPT_OK);
	assert_int_equal(w.first_sector, 64);
	make_disk(ENTRY_COUNT, 100);
	expect_error(1, GPT_BAD_ENTRY_SIZE);
	make_disk(ENTRY_COUNT / 4, 384);
	expect_error(1, GPT_BAD_ENTRY_SIZE);
	make_disk(ENTRY_COUNT, 0);
	expect_error(1, GPT_BAD_ENTRY_SIZE);
}

static void test_the_entry_array_must_be_on_the_disk_after_the_header(void **state)
{
	(void)state;
	put_le(sector(1) + HDR_ENTRIES_LBA, 1, 8);
	seal();
	expect_error(1, GPT_BAD_ENTRY_ARRAY);
	put_le(sector(1) + HDR_ENTRIES_LBA, DISK_SECTORS - 31, 8);
	seal();
	expect_error(1, GPT_BAD_ENTRY_ARRAY);
	put_le(sector(1) + HDR_ENTRIES_LBA, UINT64_MAX, 8);
	seal();
	expect_error(1, GPT_BAD_ENTRY_ARRAY);
	make_disk(0, ENTRY_SIZE);
	expect_error(1, GPT_BAD_ENTRY_ARRAY);
	/* Over GPT_ENTRIES_MAX, however large the disk. */
	make_disk(UINT32_MAX, ENTRY_SIZE);
	expect_error(1, GPT_BAD_ENTRY_ARRAY);
}

static void test_sectors_are_512_bytes(void **state)
{
	uint8_t header[SECTOR];

	(void)state;
	/* A table made for 4096-byte sectors: its header is at byte 4096, not 512. */
	memcpy(header, sector(1), SECTOR);
	memset(disk, 0, sizeof(disk));
	memcpy(disk + 4096, header, SECTOR);
	expect_error(1, GPT_NO_SIGNATURE);
}

static void test_every_error_has_a_text(void **state)
{
	(void)state;
	for (int e = GPT_OK; e <= GPT_PAST_THE_DISK; e++)
		assert_string_not_equal(gpt_error_text((enum gpt_error)e), "an unknown error");
	assert_string_equal(gpt_error_text(GPT_NO_SIGNATURE),
			    "the disk has no GPT (no 'EFI PART' at sector 1)");
	assert_string_equal(gpt_error_text((enum gpt_error)99), "an unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_is_the_ieee_one),
		cmocka_unit_test_setup(test_a_valid_table_gives_each_partitions_sectors, setup),
		cmocka_unit_test_setup(test_a_disk_without_the_signature_has_no_table, setup),
		cmocka_unit_test_setup(test_the_header_crc_covers_header_size_bytes_without_itself,
				       setup),
		cmocka_unit_test_setup(test_a_header_size_must_hold_the_fields_and_fit_a_sector,
				       setup),
		cmocka_unit_test_setup(test_a_backup_header_at_sector_1_is_refused, setup),
		cmocka_unit_test_setup(test_a_damaged_entry_array_is_refused, setup),
		cmocka_unit_test_setup(test_a_number_outside_the_array_is_no_entry, setup),
		cmocka_unit_test_setup(test_an_entry_with_a_zero_type_is_unused, setup),
		cmocka_unit_test_setup(
			test_a_partition_must_lie_on_the_disk_and_in_the_usable_sectors, setup),
		cmocka_unit_test_setup(test_an_entry_is_128_bytes_times_a_power_of_two, setup),
		cmocka_unit_test_setup(test_the_entry_array_must_be_on_the_disk_after_the_header,
				       setup),
		cmocka_unit_test_setup(test_sectors_are_512_bytes, setup),
		cmocka_unit_test(test_every_error_has_a_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
