/*
 * The GUID partition table (gpt.h). Every field is little-endian (UEFI
 * 2.10 §5.3) and read byte by byte, so that neither the host's byte order
 * nor the buffers' alignment matters.
 */
#include "gpt.h"

#include <stdbool.h>

/* The header's fields: byte offsets (UEFI 2.10 §5.3.2, table 5.5). */
#define HDR_SIGNATURE	   0u
#define HDR_HEADER_SIZE	   12u
#define HDR_HEADER_CRC	   16u
#define HDR_MY_LBA	   24u
#define HDR_FIRST_USABLE   40u
#define HDR_LAST_USABLE	   48u
#define HDR_ENTRIES_LBA	   72u
#define HDR_ENTRY_COUNT	   80u
#define HDR_ENTRY_SIZE	   84u
#define HDR_ENTRIES_CRC	   88u
#define HDR_MIN_SIZE	   92u /* The fields above; the rest of the sector is reserved. */
#define GPT_SIGNATURE	   "EFI PART"
#define GPT_SIGNATURE_SIZE 8u

/* An entry's fields (§5.3.3, table 5.6). */
#define ENTRY_TYPE_GUID 0u
#define ENTRY_GUID_SIZE 16u
#define ENTRY_FIRST_LBA 32u
#define ENTRY_LAST_LBA	40u
#define ENTRY_MIN_SIZE	128u
#define CRC32_REFLECTED UINT32_C(0xedb88320)
#define CRC32_ALL_ONES	UINT32_C(0xffffffff)
#define BITS_PER_BYTE	8u

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i-- > 0;)
		v = (v << BITS_PER_BYTE) | p[i];
	return v;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)get_le(p, 4);
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le(p, 8);
}

/*
 * A bit at a time: the table is read once when the driver starts, a few
 * KiB, so a 1 KiB lookup table would save nothing worth its lines.
 */
static uint32_t crc32_update(uint32_t crc, const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		crc ^= bytes[i];
		for (unsigned b = 0; b < BITS_PER_BYTE; b++)
			crc = (crc >> 1) ^ ((crc & 1u) != 0 ? CRC32_REFLECTED : 0);
	}
	return crc;
}

uint32_t gpt_crc32(const uint8_t *bytes, size_t len)
{
	return crc32_update(CRC32_ALL_ONES, bytes, len) ^ CRC32_ALL_ONES;
}

/* The header's checksum: over header_size bytes, with its own field taken as zeros. */
static uint32_t header_crc(const uint8_t *sector, uint32_t header_size)
{
	static const uint8_t zeros[4];
	uint32_t crc = crc32_update(CRC32_ALL_ONES, sector, HDR_HEADER_CRC);

	crc = crc32_update(crc, zeros, sizeof(zeros));
	crc = crc32_update(crc, sector + HDR_HEADER_CRC + sizeof(zeros),
			   header_size - HDR_HEADER_CRC - sizeof(zeros));
	return crc ^ CRC32_ALL_ONES;
}

/* 128 times a power of two (§5.3.2, SizeOfPartitionEntry). */
static bool is_entry_size(uint32_t size)
{
	return size >= ENTRY_MIN_SIZE && size % ENTRY_MIN_SIZE == 0 &&
	       ((size / ENTRY_MIN_SIZE) & (size / ENTRY_MIN_SIZE - 1)) == 0;
}

enum gpt_error gpt_read_header(const uint8_t *sector, uint64_t disk_sectors, struct gpt_header *out)
{
	uint32_t header_size = get_le32(sector + HDR_HEADER_SIZE);
	struct gpt_header h;
	uint64_t array_sectors;

	for (unsigned i = 0; i < GPT_SIGNATURE_SIZE; i++)
		if (sector[HDR_SIGNATURE + i] != (uint8_t)GPT_SIGNATURE[i])
			return GPT_NO_SIGNATURE;
	if (header_size < HDR_MIN_SIZE || header_size > GPT_SECTOR_SIZE)
		return GPT_BAD_HEADER_SIZE;
	if (header_crc(sector, header_size) != get_le32(sector + HDR_HEADER_CRC))
		return GPT_BAD_HEADER_CRC;
	if (get_le64(sector + HDR_MY_LBA) != GPT_HEADER_SECTOR)
		return GPT_NOT_PRIMARY;
	h = (struct gpt_header){.first_usable = get_le64(sector + HDR_FIRST_USABLE),
				.last_usable = get_le64(sector + HDR_LAST_USABLE),
				.entries_sector = get_le64(sector + HDR_ENTRIES_LBA),
				.entry_count = get_le32(sector + HDR_ENTRY_COUNT),
				.entry_size = get_le32(sector + HDR_ENTRY_SIZE),
				.entries_crc = get_le32(sector + HDR_ENTRIES_CRC)};
	if (!is_entry_size(h.entry_size))
		return GPT_BAD_ENTRY_SIZE;
	/* Both counts are 32 bits: their product cannot overflow 64. */
	if (h.entry_count == 0 || (uint64_t)h.entry_count * h.entry_size > GPT_ENTRIES_MAX)
		return GPT_BAD_ENTRY_ARRAY;
	array_sectors =
		((uint64_t)h.entry_count * h.entry_size + GPT_SECTOR_SIZE - 1) / GPT_SECTOR_SIZE;
	/* After the header, and on the disk, written so that nothing overflows. */
	if (h.entries_sector <= GPT_HEADER_SECTOR || h.entries_sector > disk_sectors ||
	    array_sectors > disk_sectors - h.entries_sector)
		return GPT_BAD_ENTRY_ARRAY;
	*out = h;
	return GPT_OK;
}

uint32_t gpt_entries_bytes(const struct gpt_header *h)
{
	return h->entry_count * h->entry_size;
}

enum gpt_error gpt_check_entries(const struct gpt_header *h, const uint8_t *entries)
{
	if (gpt_crc32(entries, gpt_entries_bytes(h)) != h->entries_crc)
		return GPT_BAD_ENTRIES_CRC;
	return GPT_OK;
}

enum gpt_error gpt_find_partition(const struct gpt_header *h, const uint8_t *entries,
				  uint32_t number, uint64_t disk_sectors, struct gpt_window *out)
{
	const uint8_t *entry;
	bool is_used = false;
	uint64_t first, last;

	if (number == 0 || number > h->entry_count)
		return GPT_NO_SUCH_ENTRY;
	entry = entries + (size_t)(number - 1) * h->entry_size;
	for (unsigned i = 0; i < ENTRY_GUID_SIZE; i++)
		is_used |= entry[ENTRY_TYPE_GUID + i] != 0;
	if (!is_used)
		return GPT_UNUSED_ENTRY;
	first = get_le64(entry + ENTRY_FIRST_LBA);
	last = get_le64(entry + ENTRY_LAST_LBA);
	if (last < first)
		return GPT_BAD_ENTRY_RANGE;
	if (last >= disk_sectors)
		return GPT_PAST_THE_DISK;
	if (first < h->first_usable || last > h->last_usable)
		return GPT_OUTSIDE_USABLE;
	*out = (struct gpt_window){.first_sector = first, .sectors = last - first + 1};
	return GPT_OK;
}

const char *gpt_error_text(enum gpt_error err)
{
	static const char *const texts[] = {
		[GPT_OK] = "no error",
		[GPT_NO_SIGNATURE] = "the disk has no GPT (no 'EFI PART' at sector 1)",
		[GPT_BAD_HEADER_SIZE] = "the GPT header's size is under 92 bytes or over a sector",
		[GPT_BAD_HEADER_CRC] = "the GPT header's CRC32 does not match: it is damaged",
		[GPT_NOT_PRIMARY] = "the GPT header at sector 1 does not say it is at sector 1",
		[GPT_BAD_ENTRY_SIZE] = "the GPT's entry size is not 128 bytes times a power of two",
		[GPT_BAD_ENTRY_ARRAY] = ("the GPT's entry array is empty, over 1 MiB, or not on "
					 "the disk after the header"),
		[GPT_BAD_ENTRIES_CRC] = "the GPT entry array's CRC32 does not match: it is damaged",
		[GPT_NO_SUCH_ENTRY] = "the GPT has no entry of that number",
		[GPT_UNUSED_ENTRY] = "the GPT entry is unused (its type GUID is zero)",
		[GPT_BAD_ENTRY_RANGE] = "the GPT entry's last sector is before its first",
		[GPT_OUTSIDE_USABLE] = "the partition is not within the GPT's usable sectors",
		[GPT_PAST_THE_DISK] = "the partition runs past the end of the disk",
	};

	if ((unsigned)err >= sizeof(texts) / sizeof(texts[0]) || texts[err] == NULL)
		return "an unknown error";
	return texts[err];
}
