/*
 * Reading the boot archive (format in <mica/abi/archive.h>).
 *
 * The archive is input data: it comes with the kernel image, but nothing
 * about it is trusted. Every offset and size is checked against the bytes
 * actually present before anything is read through it, with arithmetic that
 * cannot wrap. The header and entries are copied into local structs rather
 * than read in place, so the checks hold for any base alignment (the
 * kernel's archive is page-aligned, but test buffers need not be).
 */
#include <formats/archive.h>

#include <string.h>

#include <mica/abi/archive.h>

#define MAGIC_LEN (sizeof(MICA_ARCHIVE_MAGIC) - 1)

_Static_assert(MAGIC_LEN == sizeof(((struct mica_archive_header *)0)->magic),
	       "archive magic does not fill the header field");

/*
 * Bytes taken by the header and a table of entry_count entries, or 0 if
 * that does not fit in size_t. entry_count is 32-bit, so this only fails
 * where size_t is 32-bit too, but the check costs nothing.
 */
static size_t table_end(uint32_t entry_count)
{
	size_t header = sizeof(struct mica_archive_header);
	size_t entry = sizeof(struct mica_archive_entry);

	if (entry_count > (SIZE_MAX - header) / entry)
		return 0;
	return header + (size_t)entry_count * entry;
}

static void read_entry(const void *base, uint32_t index, struct mica_archive_entry *entry)
{
	const uint8_t *table = (const uint8_t *)base + sizeof(struct mica_archive_header);

	memcpy(entry, table + (size_t)index * sizeof(*entry), sizeof(*entry));
}

/*
 * A name must be non-empty, terminated inside its field, and padded with
 * NULs after the terminator, so that two equal names are equal bytes.
 */
static bool is_valid_name(const char name[MICA_ARCHIVE_NAME_MAX])
{
	const char *nul = memchr(name, '\0', MICA_ARCHIVE_NAME_MAX);

	if (nul == NULL || nul == name)
		return false;
	for (const char *p = nul; p < name + MICA_ARCHIVE_NAME_MAX; p++) {
		if (*p != '\0')
			return false;
	}
	return true;
}

/*
 * A file must start on an aligned offset after the entry table and end
 * within the archive. The size is compared with the room left after the
 * offset, so offset + size is never computed and cannot wrap.
 */
static bool is_valid_extent(const struct mica_archive_entry *entry, size_t data_start,
			    uint64_t total)
{
	if (entry->offset % MICA_ARCHIVE_ALIGN != 0)
		return false;
	if (entry->offset < data_start || entry->offset > total)
		return false;
	return entry->size <= total - entry->offset;
}

/*
 * The archive's extent is its header's total_size, which must not exceed
 * the size bytes the caller has: a shorter buffer is a truncated archive.
 * A longer one is accepted (the extra bytes are padding around it), and
 * every later check is against total_size.
 */
enum mica_error archive_check(const void *base, size_t size)
{
	struct mica_archive_header header;

	if (size < sizeof(header))
		return MICA_ERR_TRUNCATED;
	memcpy(&header, base, sizeof(header));

	if (memcmp(header.magic, MICA_ARCHIVE_MAGIC, MAGIC_LEN) != 0)
		return MICA_ERR_MALFORMED;
	if (header.version != MICA_ARCHIVE_VERSION || header.reserved != 0)
		return MICA_ERR_MALFORMED;
	if (header.total_size > size)
		return MICA_ERR_TRUNCATED;

	size_t data_start = table_end(header.entry_count);

	if (data_start == 0 || data_start > header.total_size)
		return MICA_ERR_MALFORMED;

	for (uint32_t i = 0; i < header.entry_count; i++) {
		struct mica_archive_entry entry;

		read_entry(base, i, &entry);
		if (!is_valid_name(entry.name))
			return MICA_ERR_MALFORMED;
		if (!is_valid_extent(&entry, data_start, header.total_size))
			return MICA_ERR_MALFORMED;
	}
	return MICA_OK;
}

/*
 * Returns the first entry with the given name. The archive is checked again
 * first, so this is safe even on an archive nobody checked, and a bad one
 * yields archive_check's error rather than a read out of bounds. Entry names
 * are terminated within MICA_ARCHIVE_NAME_MAX bytes, so a strncmp bounded
 * by that length compares whole names, and a name too long for the field
 * can never match.
 */
enum mica_error archive_find(const void *base, size_t size, const char *name,
			     struct archive_file *file)
{
	enum mica_error err = archive_check(base, size);

	if (err != MICA_OK)
		return err;

	struct mica_archive_header header;

	memcpy(&header, base, sizeof(header));
	for (uint32_t i = 0; i < header.entry_count; i++) {
		struct mica_archive_entry entry;

		read_entry(base, i, &entry);
		if (strncmp(entry.name, name, MICA_ARCHIVE_NAME_MAX) == 0) {
			file->data = (const uint8_t *)base + entry.offset;
			file->size = (size_t)entry.size;
			return MICA_OK;
		}
	}
	return MICA_ERR_NOT_FOUND;
}
