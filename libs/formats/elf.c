/*
 * Validating ELF64 executables for AArch64 and describing their loadable
 * segments (see elf.h).
 *
 * The image is untrusted input. Everything is checked against the bytes
 * present, with comparisons arranged so that no sum can wrap, and the
 * result is built in a local struct and copied out only on success, so a
 * rejected image leaves the caller's struct untouched. Headers are copied
 * out of the image rather than read in place, which keeps the checks valid
 * for any alignment of data.
 *
 * Layouts and constants are in elf_layout.h.
 */
#include <formats/elf.h>

#include <string.h>

#include "elf_layout.h"

/* True if [offset, offset + len) lies within a file of size bytes. */
static bool is_in_file(uint64_t offset, uint64_t len, size_t size)
{
	return offset <= size && len <= size - offset;
}

/*
 * The identification and the fixed fields: an ELF64 little-endian AArch64
 * executable, version 1, whose program headers have the standard size (so
 * they can be read as struct elf64_phdr) and sit inside the file.
 */
static bool is_valid_header(const struct elf64_ehdr *eh, size_t size)
{
	if (memcmp(&eh->e_ident[EI_MAG0], elf_magic, sizeof(elf_magic)) != 0)
		return false;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return false;
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return false;
	if (eh->e_type != ET_EXEC || eh->e_machine != EM_AARCH64)
		return false;
	if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == PN_XNUM)
		return false;
	return is_in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr), size);
}

/*
 * A loadable segment on its own: its file bytes inside the file, no more of
 * them than its memory size, an address range that does not wrap, and not
 * both writable and executable. Once this holds, vaddr + mem_size is
 * representable, so later range arithmetic on the segment cannot wrap.
 */
static bool is_valid_segment(const struct elf64_phdr *ph, size_t size)
{
	if (!is_in_file(ph->p_offset, ph->p_filesz, size))
		return false;
	if (ph->p_filesz > ph->p_memsz)
		return false;
	if (ph->p_memsz > UINT64_MAX - ph->p_vaddr)
		return false;
	if ((ph->p_flags & PF_W) != 0 && (ph->p_flags & PF_X) != 0)
		return false;
	return true;
}

static bool segments_overlap(const struct elf_segment *a, const struct elf_segment *b)
{
	return a->vaddr < b->vaddr + b->mem_size && b->vaddr < a->vaddr + a->mem_size;
}

static bool is_entry_executable(const struct elf_image *img)
{
	for (size_t i = 0; i < img->segment_count; i++) {
		const struct elf_segment *seg = &img->segments[i];

		if ((seg->flags & ELF_SEG_X) != 0 && img->entry >= seg->vaddr &&
		    img->entry - seg->vaddr < seg->mem_size)
			return true;
	}
	return false;
}

/*
 * Program headers other than PT_LOAD are ignored, and so is a PT_LOAD with
 * a memory size of zero once its fields are checked: it loads nothing. The
 * remaining segments may come in any order but must not overlap, since
 * the loader would otherwise give one range two sets of permissions.
 */
enum mica_error elf_parse(const void *data, size_t size, struct elf_image *out)
{
	struct elf64_ehdr eh;
	struct elf_image img;

	if (size < sizeof(eh))
		return MICA_ERR_TRUNCATED;
	memcpy(&eh, data, sizeof(eh));
	if (!is_valid_header(&eh, size))
		return MICA_ERR_MALFORMED;

	memset(&img, 0, sizeof(img));
	img.entry = eh.e_entry;

	for (uint16_t i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;

		memcpy(&ph, (const uint8_t *)data + eh.e_phoff + (size_t)i * sizeof(ph),
		       sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (!is_valid_segment(&ph, size))
			return MICA_ERR_MALFORMED;
		if (ph.p_memsz == 0)
			continue;
		if (img.segment_count == ELF_MAX_SEGMENTS)
			return MICA_ERR_MALFORMED;

		struct elf_segment seg = {
			.vaddr = ph.p_vaddr,
			.mem_size = ph.p_memsz,
			.file_offset = ph.p_offset,
			.file_size = ph.p_filesz,
			.flags = ph.p_flags & (ELF_SEG_R | ELF_SEG_W | ELF_SEG_X),
		};

		for (size_t j = 0; j < img.segment_count; j++) {
			if (segments_overlap(&seg, &img.segments[j]))
				return MICA_ERR_MALFORMED;
		}
		img.segments[img.segment_count++] = seg;
	}

	if (!is_entry_executable(&img))
		return MICA_ERR_MALFORMED;
	*out = img;
	return MICA_OK;
}
