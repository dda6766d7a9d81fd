/*
 * Reading the boot archive (format in <mica/abi/archive.h>).
 */
#ifndef MICA_FORMATS_ARCHIVE_H
#define MICA_FORMATS_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

struct archive_file {
	const uint8_t *data;
	size_t size;
};

/*
 * Check the archive of size bytes at base: magic, version, that the entry
 * table and every file lie inside it, aligned, and that names are
 * terminated. Returns MICA_OK or MICA_ERR_MALFORMED / MICA_ERR_TRUNCATED.
 */
enum mica_error archive_check(const void *base, size_t size) __attribute__((warn_unused_result));

/*
 * Find the file called name in a checked archive. Returns MICA_OK and fills
 * *file, or MICA_ERR_NOT_FOUND.
 */
enum mica_error archive_find(const void *base, size_t size, const char *name,
			     struct archive_file *file) __attribute__((warn_unused_result));

#endif
