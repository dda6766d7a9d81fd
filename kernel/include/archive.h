/*
 * Reading the boot archive (format in <mica/abi/archive.h>).
 */
#ifndef MICA_ARCHIVE_H
#define MICA_ARCHIVE_H

#include "types.h"

struct archive_file {
	const uint8_t *data;
	size_t size;
};

/*
 * Check the archive of size bytes at base: magic, version, that the entry
 * table and every file lie inside it, aligned, and that names are
 * terminated. Returns MICA_OK or MICA_ERR_MALFORMED / MICA_ERR_TRUNCATED.
 */
enum mica_error archive_check(const void *base, size_t size) MUST_CHECK;

/*
 * Find the file called name in a checked archive. Returns MICA_OK and fills
 * *file, or MICA_ERR_NOT_FOUND.
 */
enum mica_error archive_find(const void *base, size_t size, const char *name,
			     struct archive_file *file) MUST_CHECK;

#endif
