/*
 * Loading ELF64 (AArch64, little-endian, executable) images: the kernel
 * loads the root task from the boot archive this way. And finding a
 * section by name (elf_section.c, not in the kernel's build), which is how
 * the build and the root task read a device server's declarations.
 */
#ifndef MICA_FORMATS_ELF_H
#define MICA_FORMATS_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

#define ELF_MAX_SEGMENTS 8

/* Segment permissions, from the program header's p_flags. */
#define ELF_SEG_R 4u
#define ELF_SEG_W 2u
#define ELF_SEG_X 1u

/* One PT_LOAD segment. */
struct elf_segment {
	uint64_t vaddr;	   /* Where it goes in the address space. */
	uint64_t mem_size; /* Bytes in memory; the tail past file_size is zero. */
	uint64_t file_offset;
	uint64_t file_size;
	uint32_t flags; /* ELF_SEG_*. */
};

struct elf_image {
	uint64_t entry;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
	size_t segment_count;
};

/*
 * Validate the ELF file of size bytes at data and describe its loadable
 * segments in *out. Rejects, with MICA_ERR_MALFORMED: a wrong magic, class,
 * endianness, machine or type; program headers or segment file ranges
 * outside the file; file_size > mem_size; overflowing address ranges;
 * segments that overlap or are writable and executable at once; more than
 * ELF_MAX_SEGMENTS loadable segments; an entry point outside every
 * executable segment. Returns MICA_ERR_TRUNCATED if the file is shorter
 * than its header.
 */
enum mica_error elf_parse(const void *data, size_t size, struct elf_image *out)
	__attribute__((warn_unused_result));

/*
 * Find the section called name in the ELF file of size bytes at data: the
 * offset and length in the file of its bytes. MICA_ERR_NOT_FOUND if there
 * is no such section, or it holds no bytes of the file (SHT_NOBITS);
 * MICA_ERR_MALFORMED if the file is not an ELF64 little-endian AArch64
 * executable, or its section headers, their names or the section's bytes
 * lie outside it; MICA_ERR_TRUNCATED if it is shorter than its header.
 */
enum mica_error elf_find_section(const void *data, size_t size, const char *name, uint64_t *offset,
				 uint64_t *length) __attribute__((warn_unused_result));

#endif
