/*
 * The GUID partition table (UEFI 2.10 §5.3): reading a disk's primary
 * header and its partition entry array, and finding one entry's sectors.
 * Pure logic on bytes the caller read from the disk, so that host tests
 * give it any table; it trusts none of them. Logical blocks are the
 * disk's 512-byte sectors (virtio-blk's), so the header is sector 1.
 *
 * Only the primary table is read: a disk whose primary header or entry
 * array is damaged is refused, not repaired from the backup at the
 * disk's end, which is the disk owner's job (any partitioning tool
 * does it).
 */
#ifndef MICA_DRV_GPT_H
#define MICA_DRV_GPT_H

#include <stddef.h>
#include <stdint.h>

#define GPT_SECTOR_SIZE	  512u
#define GPT_HEADER_SECTOR 1u
/* The largest entry array the driver reads: 8192 entries of 128 bytes. */
#define GPT_ENTRIES_MAX (UINT32_C(1) << 20)

/* What the primary header says of the entry array, once checked. */
struct gpt_header {
	uint64_t first_usable; /* The sectors partitions may take: */
	uint64_t last_usable;  /*   inclusive. */
	uint64_t entries_sector;
	uint32_t entry_count;
	uint32_t entry_size;
	uint32_t entries_crc;
};

/* A partition's sectors on the disk. */
struct gpt_window {
	uint64_t first_sector;
	uint64_t sectors;
};

/* Why a disk's table, or an entry of it, cannot be used. */
enum gpt_error {
	GPT_OK,
	GPT_NO_SIGNATURE,    /* Sector 1 does not start with "EFI PART". */
	GPT_BAD_HEADER_SIZE, /* HeaderSize is under 92 or over a sector. */
	GPT_BAD_HEADER_CRC,  /* HeaderCRC32 does not match. */
	GPT_NOT_PRIMARY,     /* MyLBA is not 1. */
	GPT_BAD_ENTRY_SIZE,  /* SizeOfPartitionEntry is not 128 times a power of two. */
	GPT_BAD_ENTRY_ARRAY, /* The array is empty, too large, or not on the disk. */
	GPT_BAD_ENTRIES_CRC, /* PartitionEntryArrayCRC32 does not match. */
	GPT_NO_SUCH_ENTRY,   /* The partition number is 0 or past the last entry. */
	GPT_UNUSED_ENTRY,    /* The entry's type GUID is all zeros. */
	GPT_BAD_ENTRY_RANGE, /* Its last sector comes before its first. */
	GPT_OUTSIDE_USABLE,  /* It is not within the header's usable sectors. */
	GPT_PAST_THE_DISK,   /* It runs past the disk's last sector. */
};

/*
 * The IEEE 802.3 CRC-32 (reflected polynomial 0xEDB88320, initial value
 * and final XOR all ones) that the table's checksums are, as UEFI 2.10
 * §5.3.2 says.
 */
uint32_t gpt_crc32(const uint8_t *bytes, size_t len);

/*
 * Check the primary header, sector (GPT_SECTOR_SIZE bytes read from
 * GPT_HEADER_SECTOR) of a disk of disk_sectors sectors, and say where its
 * entry array lies. The array's checksum is for gpt_check_entries.
 */
__attribute__((warn_unused_result)) enum gpt_error
gpt_read_header(const uint8_t *sector, uint64_t disk_sectors, struct gpt_header *out);

/* The bytes of h's entry array: entry_count * entry_size, which gpt_read_header bounded. */
uint32_t gpt_entries_bytes(const struct gpt_header *h);

/* Check the entry array, gpt_entries_bytes(h) bytes read from h->entries_sector. */
__attribute__((warn_unused_result)) enum gpt_error gpt_check_entries(const struct gpt_header *h,
								     const uint8_t *entries);

/*
 * Partition number of the checked table h and entries, on a disk of
 * disk_sectors sectors: its first sector and size. Partitions count from
 * 1, as Linux's vdaN does: partition 1 is the array's first entry. Fails
 * if the entry is unused, or its sectors are not within the disk and the
 * table's usable ones.
 */
__attribute__((warn_unused_result)) enum gpt_error
gpt_find_partition(const struct gpt_header *h, const uint8_t *entries, uint32_t number,
		   uint64_t disk_sectors, struct gpt_window *out);

/* A phrase saying what is wrong, for a message. */
const char *gpt_error_text(enum gpt_error err);

#endif
