/*
 * Guest images and where they go in guest RAM: the Linux arm64 Image header,
 * raw binaries, and the placement of the kernel, its device tree and its
 * initrd. Pure logic: nothing here touches memory; the VMM copies the bytes
 * to the addresses the layout names.
 *
 * Every address in this file is guest-physical (an IPA of the VM). The rules
 * are those of the Linux arm64 boot protocol (Documentation/arch/arm64/
 * booting.rst, "Call the kernel image" and "Setup the device tree"); image.c
 * says which rule each check enforces.
 */
#ifndef MICA_VMM_IMAGE_H
#define MICA_VMM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

#define IMAGE_HEADER_SIZE 64u

/* 2 MiB: the kernel's base alignment, the DTB's size limit and its window. */
#define IMAGE_KERNEL_ALIGN UINT64_C(0x200000)
#define IMAGE_DTB_MAX_SIZE UINT64_C(0x200000)
/* The text_offset assumed for a kernel whose header has image_size 0. */
#define IMAGE_LEGACY_TEXT_OFFSET UINT64_C(0x80000)
/* Where an initrd starts: on a page, so the kernel can free it page-wise. */
#define IMAGE_INITRD_ALIGN UINT64_C(0x1000)

/* Flags bits 1-2 of the header: the kernel's page size. */
enum image_page_size {
	IMAGE_PAGE_UNSPECIFIED = 0, /* The kernel does not say. */
	IMAGE_PAGE_4K = 1,
	IMAGE_PAGE_16K = 2,
	IMAGE_PAGE_64K = 3,
};

/* What a valid Linux arm64 Image header says. */
struct image_info {
	/* Bytes from a 2 MiB-aligned base to where the Image's first byte goes. */
	uint64_t text_offset;
	/*
	 * Bytes the kernel occupies from its load address, BSS included: the
	 * header's image_size, or the file size for a legacy kernel.
	 */
	uint64_t effective_size;
	enum image_page_size page_size;
	/*
	 * Flags bit 3: the 2 MiB-aligned base may be anywhere in RAM; when
	 * clear it should be as close to the start of RAM as possible, since
	 * memory below it is not usable by the kernel.
	 */
	bool is_base_anywhere;
	/* image_size was 0: a kernel older than 3.17; text_offset is assumed. */
	bool is_legacy;
};

/* One range of guest RAM. */
struct image_ram {
	uint64_t base;
	uint64_t size;
};

enum image_kind {
	IMAGE_KIND_LINUX, /* A Linux arm64 Image: placed by its header. */
	IMAGE_KIND_RAW,	  /* A raw binary: loaded at raw_addr and entered there. */
};

/* What the VMM has to place. */
struct image_request {
	struct image_ram ram;
	enum image_kind kind;
	struct image_info linux_info; /* IMAGE_KIND_LINUX: from image_parse. */
	uint64_t raw_addr;	      /* IMAGE_KIND_RAW: load address and entry. */
	uint64_t kernel_file_size;    /* Bytes of the kernel file. */
	uint64_t dtb_size;	      /* Bytes reserved for the DTB (at most 2 MiB). */
	uint64_t initrd_size;	      /* Bytes of initrd; 0 for none. */
};

/*
 * Where everything goes. [kernel_load, kernel_end) is what the kernel may
 * use (BSS included); the DTB slot is [dtb_addr, dtb_addr + dtb_size); the
 * initrd is [initrd_start, initrd_end), empty when there is none.
 */
struct image_layout {
	uint64_t kernel_load;
	uint64_t kernel_end;
	uint64_t entry; /* The guest's first PC; x0 = dtb_addr at entry for Linux. */
	uint64_t dtb_addr;
	uint64_t initrd_start;
	uint64_t initrd_end;
};

/*
 * Validate the Linux arm64 Image header at the start of the size bytes at
 * data (the whole file: its size is checked against image_size, and stands
 * in for it in a legacy header) and describe it in *out (untouched on
 * failure). Errors:
 * MICA_ERR_TRUNCATED if size is below IMAGE_HEADER_SIZE; MICA_ERR_MALFORMED
 * for a wrong magic, or an image_size smaller than the file's header;
 * MICA_ERR_INVALID_ARGUMENT for a big-endian kernel (the VMM's device models
 * are little-endian). On failure *why, if why is not NULL, is set to a
 * sentence saying what is wrong.
 */
enum mica_error image_parse(const void *data, size_t size, struct image_info *out, const char **why)
	__attribute__((warn_unused_result));

/*
 * Place the kernel, DTB and initrd of req in its RAM, as image.c describes,
 * and check the result with image_check_layout. *out is written only on
 * success; *why as for image_parse.
 */
enum mica_error image_layout(const struct image_request *req, struct image_layout *out,
			     const char **why) __attribute__((warn_unused_result));

/*
 * Check a layout against every rule for req: each piece inside RAM, no
 * overlaps, the kernel's placement (2 MiB base plus text_offset for Linux,
 * a 4-byte aligned entry for raw binaries), the DTB's alignment, size and
 * window, and the initrd's alignment and window. Errors:
 * MICA_ERR_NOT_ENOUGH_MEMORY for a piece that does not fit in RAM,
 * MICA_ERR_ALIGNMENT for a misaligned one, MICA_ERR_RANGE for overlaps and
 * violated windows or sizes.
 */
enum mica_error image_check_layout(const struct image_request *req,
				   const struct image_layout *layout, const char **why)
	__attribute__((warn_unused_result));

#endif
