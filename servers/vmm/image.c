/*
 * Linux arm64 Image headers and guest memory layout (see image.h).
 *
 * The header (booting.rst, "Call the kernel image") is 64 bytes, all
 * little-endian: code0 and code1 (u32 each, executable), text_offset (u64
 * at 8), image_size (u64 at 16), flags (u64 at 24), three reserved u64s,
 * the magic "ARM\x64" (u32 at 56) and a reserved u32 (the PE/COFF offset)
 * at 60. Fields are read byte by byte, so any alignment of the file works.
 *
 * The layout puts everything in one RAM range, lowest first:
 *
 *   kernel  at text_offset above the lowest 2 MiB-aligned base in RAM (a
 *           raw binary at the address asked for);
 *   DTB     at the first 2 MiB boundary at or after the kernel's end
 *           (BSS included);
 *   initrd  at the first page boundary after the DTB's slot.
 *
 * The rules it must meet, which image_check_layout enforces for any layout:
 *
 *   - the Image is entered at text_offset bytes from a 2 MiB-aligned base,
 *     and [load, load + image_size) must be free RAM;
 *   - the DTB is on an 8-byte boundary and at most 2 MiB long; current
 *     kernels need no more, but kernels before 3.x's fixmap mapping asked
 *     that it not cross a 2 MiB boundary, and kernels before 4.2 that it lie
 *     in the 512 MiB above the kernel's 2 MiB base. Mica holds every Linux
 *     guest to all three, so any kernel since the header was defined boots;
 *     raw binaries only get the first two and the boundary rule;
 *   - the initrd lies entirely within a 1 GiB-aligned window of at most
 *     32 GiB that also covers the kernel; the protocol asks no alignment,
 *     Mica puts it on a page so that the kernel can free it page by page.
 */
#include "image.h"

#include <string.h>

/* Offsets into the Image header. */
#define HDR_TEXT_OFFSET 8
#define HDR_IMAGE_SIZE	16
#define HDR_FLAGS	24
#define HDR_MAGIC	56

#define IMAGE_MAGIC UINT32_C(0x644d5241) /* "ARM\x64", little-endian. */

/* Header flags (booting.rst). Bits 4-63 are reserved and ignored. */
#define FLAG_BE		     (UINT64_C(1) << 0)
#define FLAG_PAGE_SIZE_SHIFT 1
#define FLAG_PAGE_SIZE_MASK  UINT64_C(3)
#define FLAG_PHYS_BASE	     (UINT64_C(1) << 3)

#define DTB_ALIGN	 UINT64_C(8)
#define DTB_WINDOW	 UINT64_C(0x20000000)  /* 512 MiB above the kernel's base. */
#define INITRD_WINDOW	 UINT64_C(0x800000000) /* 32 GiB... */
#define INITRD_WIN_ALIGN UINT64_C(0x40000000)  /* ...starting on 1 GiB. */
#define RAW_ENTRY_ALIGN	 UINT64_C(4)	       /* An A64 instruction's alignment. */

static uint64_t read_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static enum mica_error fail(const char **why, const char *reason, enum mica_error err)
{
	if (why != NULL)
		*why = reason;
	return err;
}

enum mica_error image_parse(const void *data, size_t size, struct image_info *out, const char **why)
{
	const uint8_t *hdr = data;
	struct image_info info;
	uint64_t image_size;
	uint64_t flags;

	if (data == NULL || size < IMAGE_HEADER_SIZE)
		return fail(why, "the file is shorter than an arm64 Image header",
			    MICA_ERR_TRUNCATED);
	if (read_le(hdr + HDR_MAGIC, 4) != IMAGE_MAGIC)
		return fail(why, "no arm64 Image magic (\"ARM\\x64\" at offset 56)",
			    MICA_ERR_MALFORMED);

	memset(&info, 0, sizeof(info));
	image_size = read_le(hdr + HDR_IMAGE_SIZE, 8);
	flags = read_le(hdr + HDR_FLAGS, 8);
	if (image_size == 0) {
		/*
		 * Before Linux 3.17 text_offset had no defined endianness and
		 * flags did not exist; the protocol says to assume 0x80000. The
		 * BSS size of such a kernel is unknown: only the file is counted.
		 */
		info.is_legacy = true;
		info.text_offset = IMAGE_LEGACY_TEXT_OFFSET;
		info.effective_size = size;
		info.page_size = IMAGE_PAGE_UNSPECIFIED;
	} else {
		if (flags & FLAG_BE)
			return fail(why, "the kernel is big-endian; Mica runs little-endian guests",
				    MICA_ERR_INVALID_ARGUMENT);
		if (image_size < size)
			return fail(why, "the header's image_size is smaller than the file",
				    MICA_ERR_MALFORMED);
		info.text_offset = read_le(hdr + HDR_TEXT_OFFSET, 8);
		info.effective_size = image_size;
		info.page_size = (enum image_page_size)((flags >> FLAG_PAGE_SIZE_SHIFT) &
							FLAG_PAGE_SIZE_MASK);
		info.is_base_anywhere = (flags & FLAG_PHYS_BASE) != 0;
	}
	*out = info;
	return MICA_OK;
}

static bool align_up(uint64_t x, uint64_t align, uint64_t *out)
{
	uint64_t mask = align - 1;

	if (x > UINT64_MAX - mask)
		return false;
	*out = (x + mask) & ~mask;
	return true;
}

static bool is_aligned(uint64_t x, uint64_t align)
{
	return (x & (align - 1)) == 0;
}

/* True if [base, base + size) lies inside ram (with no sum that can wrap). */
static bool is_in_ram(const struct image_ram *ram, uint64_t base, uint64_t size)
{
	return base >= ram->base && size <= ram->size && base - ram->base <= ram->size - size;
}

/* True if [a, a + a_size) and [b, b + b_size), both inside RAM, overlap. */
static bool is_overlapping(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a_size != 0 && b_size != 0 && a < b + b_size && b < a + a_size;
}

/* Bytes the kernel may use from its load address. */
static uint64_t kernel_span(const struct image_request *req)
{
	uint64_t span = req->kernel_file_size;

	if (req->kind == IMAGE_KIND_LINUX && req->linux_info.effective_size > span)
		span = req->linux_info.effective_size;
	return span;
}

static enum mica_error check_request(const struct image_request *req, const char **why)
{
	if (req->ram.size == 0 || req->ram.base > UINT64_MAX - req->ram.size)
		return fail(why, "the RAM range is empty or wraps", MICA_ERR_INVALID_ARGUMENT);
	if (req->kind != IMAGE_KIND_LINUX && req->kind != IMAGE_KIND_RAW)
		return fail(why, "unknown kernel kind", MICA_ERR_INVALID_ARGUMENT);
	if (req->kernel_file_size == 0)
		return fail(why, "the kernel file is empty", MICA_ERR_INVALID_ARGUMENT);
	if (req->kind == IMAGE_KIND_LINUX && req->kernel_file_size < IMAGE_HEADER_SIZE)
		return fail(why, "the kernel file is shorter than its Image header",
			    MICA_ERR_TRUNCATED);
	if (req->dtb_size == 0 || req->dtb_size > IMAGE_DTB_MAX_SIZE)
		return fail(why, "the DTB must be between 1 byte and 2 MiB", MICA_ERR_RANGE);
	return MICA_OK;
}

static enum mica_error check_kernel(const struct image_request *req, const struct image_layout *l,
				    const char **why)
{
	uint64_t span = kernel_span(req);

	if (l->kernel_end < l->kernel_load || l->kernel_end - l->kernel_load != span)
		return fail(why, "the kernel's range does not match its size",
			    MICA_ERR_INVALID_ARGUMENT);
	if (!is_in_ram(&req->ram, l->kernel_load, span))
		return fail(why, "the kernel does not fit in guest RAM",
			    MICA_ERR_NOT_ENOUGH_MEMORY);
	if (l->entry != l->kernel_load)
		return fail(why, "the entry point is not the kernel's first byte",
			    MICA_ERR_INVALID_ARGUMENT);
	if (req->kind == IMAGE_KIND_RAW) {
		if (l->kernel_load != req->raw_addr)
			return fail(why, "the raw binary is not at its address",
				    MICA_ERR_INVALID_ARGUMENT);
		if (!is_aligned(l->entry, RAW_ENTRY_ALIGN))
			return fail(why, "the raw binary's entry is not 4-byte aligned",
				    MICA_ERR_ALIGNMENT);
		return MICA_OK;
	}
	if (l->kernel_load < req->linux_info.text_offset ||
	    !is_aligned(l->kernel_load - req->linux_info.text_offset, IMAGE_KERNEL_ALIGN))
		return fail(why, "the Image is not text_offset above a 2 MiB-aligned base",
			    MICA_ERR_ALIGNMENT);
	return MICA_OK;
}

static enum mica_error check_dtb(const struct image_request *req, const struct image_layout *l,
				 const char **why)
{
	uint64_t last;

	if (!is_aligned(l->dtb_addr, DTB_ALIGN))
		return fail(why, "the DTB is not 8-byte aligned", MICA_ERR_ALIGNMENT);
	if (!is_in_ram(&req->ram, l->dtb_addr, req->dtb_size))
		return fail(why, "the DTB does not fit in guest RAM", MICA_ERR_NOT_ENOUGH_MEMORY);
	last = l->dtb_addr + req->dtb_size - 1;
	if (l->dtb_addr / IMAGE_KERNEL_ALIGN != last / IMAGE_KERNEL_ALIGN)
		return fail(why, "the DTB crosses a 2 MiB boundary", MICA_ERR_RANGE);
	if (is_overlapping(l->kernel_load, kernel_span(req), l->dtb_addr, req->dtb_size))
		return fail(why, "the DTB overlaps the kernel", MICA_ERR_RANGE);
	if (req->kind == IMAGE_KIND_LINUX) {
		uint64_t base = l->kernel_load - req->linux_info.text_offset;

		if (l->dtb_addr < base || last - base >= DTB_WINDOW)
			return fail(why, "the DTB is outside the 512 MiB above the kernel's base",
				    MICA_ERR_RANGE);
	}
	return MICA_OK;
}

static enum mica_error check_initrd(const struct image_request *req, const struct image_layout *l,
				    const char **why)
{
	uint64_t size = req->initrd_size;
	uint64_t low;
	uint64_t high;

	if (l->initrd_end < l->initrd_start || l->initrd_end - l->initrd_start != size)
		return fail(why, "the initrd's range does not match its size",
			    MICA_ERR_INVALID_ARGUMENT);
	if (size == 0)
		return MICA_OK;
	if (!is_aligned(l->initrd_start, IMAGE_INITRD_ALIGN))
		return fail(why, "the initrd does not start on a page", MICA_ERR_ALIGNMENT);
	if (!is_in_ram(&req->ram, l->initrd_start, size))
		return fail(why, "the initrd does not fit in guest RAM",
			    MICA_ERR_NOT_ENOUGH_MEMORY);
	if (is_overlapping(l->kernel_load, kernel_span(req), l->initrd_start, size))
		return fail(why, "the initrd overlaps the kernel", MICA_ERR_RANGE);
	if (is_overlapping(l->dtb_addr, req->dtb_size, l->initrd_start, size))
		return fail(why, "the initrd overlaps the DTB", MICA_ERR_RANGE);
	if (req->kind == IMAGE_KIND_LINUX) {
		low = l->kernel_load < l->initrd_start ? l->kernel_load : l->initrd_start;
		high = l->kernel_end > l->initrd_end ? l->kernel_end : l->initrd_end;
		low &= ~(INITRD_WIN_ALIGN - 1);
		if (high - low > INITRD_WINDOW)
			return fail(why,
				    "the kernel and initrd do not fit one 1 GiB-aligned "
				    "32 GiB window",
				    MICA_ERR_RANGE);
	}
	return MICA_OK;
}

enum mica_error image_check_layout(const struct image_request *req,
				   const struct image_layout *layout, const char **why)
{
	enum mica_error err = check_request(req, why);

	if (err == MICA_OK)
		err = check_kernel(req, layout, why);
	if (err == MICA_OK)
		err = check_dtb(req, layout, why);
	if (err == MICA_OK)
		err = check_initrd(req, layout, why);
	return err;
}

enum mica_error image_layout(const struct image_request *req, struct image_layout *out,
			     const char **why)
{
	struct image_layout l;
	enum mica_error err = check_request(req, why);
	const char *too_big = "the kernel, DTB and initrd do not fit in guest RAM";
	uint64_t span;
	uint64_t base;
	uint64_t dtb_end;

	if (err != MICA_OK)
		return err;
	memset(&l, 0, sizeof(l));
	span = kernel_span(req);
	if (req->kind == IMAGE_KIND_LINUX) {
		if (!align_up(req->ram.base, IMAGE_KERNEL_ALIGN, &base) ||
		    __builtin_add_overflow(base, req->linux_info.text_offset, &l.kernel_load))
			return fail(why, "the kernel does not fit in guest RAM",
				    MICA_ERR_NOT_ENOUGH_MEMORY);
	} else {
		l.kernel_load = req->raw_addr;
	}
	l.entry = l.kernel_load;
	if (__builtin_add_overflow(l.kernel_load, span, &l.kernel_end))
		return fail(why, "the kernel does not fit in guest RAM",
			    MICA_ERR_NOT_ENOUGH_MEMORY);
	if (!align_up(l.kernel_end, IMAGE_KERNEL_ALIGN, &l.dtb_addr) ||
	    __builtin_add_overflow(l.dtb_addr, req->dtb_size, &dtb_end) ||
	    !align_up(dtb_end, IMAGE_INITRD_ALIGN, &l.initrd_start))
		return fail(why, too_big, MICA_ERR_NOT_ENOUGH_MEMORY);
	if (req->initrd_size == 0) {
		l.initrd_start = 0;
	} else if (__builtin_add_overflow(l.initrd_start, req->initrd_size, &l.initrd_end)) {
		return fail(why, too_big, MICA_ERR_NOT_ENOUGH_MEMORY);
	}
	err = image_check_layout(req, &l, why);
	if (err == MICA_OK)
		*out = l;
	return err;
}
