/*
 * Finding an ELF section by name (see elf.h). Like elf_parse, it treats
 * the file as untrusted: every header is copied out and checked against
 * the bytes present before it is used, and no sum can wrap.
 */
#include <formats/elf.h>

#include <string.h>

#include "elf_layout.h"

static bool is_in_file(uint64_t offset, uint64_t len, size_t size)
{
	return offset <= size && len <= size - offset;
}

static struct elf64_shdr section_header(const void *data, const struct elf64_ehdr *eh,
					unsigned index)
{
	struct elf64_shdr sh;

	memcpy(&sh, (const uint8_t *)data + eh->e_shoff + (size_t)index * sizeof(sh), sizeof(sh));
	return sh;
}

/* True if the NUL-terminated string at offset of table (len bytes) is name. */
static bool is_name(const char *table, uint64_t len, uint64_t offset, const char *name)
{
	size_t n = strlen(name);

	return offset < len && n < len - offset && memcmp(table + offset, name, n) == 0 &&
	       table[offset + n] == '\0';
}

enum mica_error elf_find_section(const void *data, size_t size, const char *name, uint64_t *offset,
				 uint64_t *length)
{
	struct elf64_ehdr eh;
	struct elf64_shdr names;
	const char *table;

	if (size < sizeof(eh))
		return MICA_ERR_TRUNCATED;
	memcpy(&eh, data, sizeof(eh));
	if (memcmp(&eh.e_ident[EI_MAG0], elf_magic, sizeof(elf_magic)) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_AARCH64 || eh.e_type != ET_EXEC)
		return MICA_ERR_MALFORMED;
	if (eh.e_shnum == 0)
		return MICA_ERR_NOT_FOUND; /* Stripped of its section headers. */
	/* The escapes for very many sections are not used by Mica's programs. */
	if (eh.e_shentsize != sizeof(struct elf64_shdr) || eh.e_shstrndx == SHN_XINDEX ||
	    eh.e_shstrndx >= eh.e_shnum ||
	    !is_in_file(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(struct elf64_shdr), size))
		return MICA_ERR_MALFORMED;
	names = section_header(data, &eh, eh.e_shstrndx);
	if (names.sh_type != SHT_STRTAB || !is_in_file(names.sh_offset, names.sh_size, size))
		return MICA_ERR_MALFORMED;
	table = (const char *)data + names.sh_offset;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		struct elf64_shdr sh = section_header(data, &eh, i);

		if (!is_name(table, names.sh_size, sh.sh_name, name))
			continue;
		if (sh.sh_type != SHT_PROGBITS)
			return MICA_ERR_NOT_FOUND;
		if (!is_in_file(sh.sh_offset, sh.sh_size, size))
			return MICA_ERR_MALFORMED;
		*offset = sh.sh_offset;
		*length = sh.sh_size;
		return MICA_OK;
	}
	return MICA_ERR_NOT_FOUND;
}
