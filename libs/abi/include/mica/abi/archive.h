/*
 * The boot archive: the files the kernel image carries (the root task, and
 * later servers, guest images and the system description). Built on the
 * host by tools/mkarchive; read by the kernel (to find the root task) and
 * by the root task.
 *
 * Layout, all integers little-endian:
 *   struct mica_archive_header
 *   struct mica_archive_entry[entry_count]
 *   file data, each file starting at a multiple of MICA_ARCHIVE_ALIGN from
 *   the start of the archive, so a file can be mapped page by page.
 */
#ifndef MICA_ABI_ARCHIVE_H
#define MICA_ABI_ARCHIVE_H

#include <stdint.h>

#define MICA_ARCHIVE_MAGIC    "MICAARC1"
#define MICA_ARCHIVE_VERSION  1u
#define MICA_ARCHIVE_ALIGN    4096u
#define MICA_ARCHIVE_NAME_MAX 48u /* Including the terminating NUL. */

struct mica_archive_header {
	char magic[8];	      /* MICA_ARCHIVE_MAGIC, without NUL. */
	uint32_t version;     /* MICA_ARCHIVE_VERSION. */
	uint32_t entry_count; /* Entries that follow the header. */
	uint64_t total_size;  /* Bytes in the whole archive. */
	uint64_t reserved;    /* Zero. */
};

struct mica_archive_entry {
	char name[MICA_ARCHIVE_NAME_MAX]; /* NUL-terminated, NUL-padded. */
	uint64_t offset;		  /* From the archive start, aligned. */
	uint64_t size;			  /* Bytes of file data. */
};

_Static_assert(sizeof(struct mica_archive_header) == 32, "archive header layout");
_Static_assert(sizeof(struct mica_archive_entry) == 64, "archive entry layout");

#endif
