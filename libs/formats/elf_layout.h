/*
 * The ELF64 layouts and constants libs/formats reads, from the System V
 * ABI's ELF chapter ("ELF Header", "Program Header", "Sections") and the
 * AArch64 ELF ABI (EM_AARCH64). Private to libs/formats.
 */
#ifndef MICA_FORMATS_ELF_LAYOUT_H
#define MICA_FORMATS_ELF_LAYOUT_H

#include <formats/elf.h>

#include <stdint.h>

/* Indices into e_ident. */
#define EI_MAG0	   0
#define EI_CLASS   4
#define EI_DATA	   5
#define EI_VERSION 6
#define EI_NIDENT  16

#define ELFCLASS64  2 /* 64-bit objects. */
#define ELFDATA2LSB 1 /* Two's complement, little-endian. */
#define EV_CURRENT  1 /* The only ELF version there is. */
#define ET_EXEC	    2 /* An executable with fixed addresses. */
#define EM_AARCH64  183
#define PT_LOAD	    1	   /* A segment to be mapped. */
#define PN_XNUM	    0xffff /* e_phnum escape: the count lives in section 0. */

/* The segment permission bits; the rest of p_flags is OS/CPU specific. */
#define PF_X 1u
#define PF_W 2u
#define PF_R 4u

_Static_assert(PF_X == ELF_SEG_X && PF_W == ELF_SEG_W && PF_R == ELF_SEG_R,
	       "ELF_SEG_* must be the p_flags bits");

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

/* A section header. */
struct elf64_shdr {
	uint32_t sh_name; /* Offset of its name in the section-name string table. */
	uint32_t sh_type;
	uint64_t sh_flags;
	uint64_t sh_addr;
	uint64_t sh_offset;
	uint64_t sh_size;
	uint32_t sh_link;
	uint32_t sh_info;
	uint64_t sh_addralign;
	uint64_t sh_entsize;
};

#define SHT_PROGBITS 1	    /* Bytes the file holds. */
#define SHT_STRTAB   3	    /* A string table. */
#define SHN_XINDEX   0xffff /* e_shstrndx escape: the index lives in section 0. */

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header layout");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header layout");
_Static_assert(sizeof(struct elf64_shdr) == 64, "ELF64 section header layout");

static const uint8_t elf_magic[4] = {0x7f, 'E', 'L', 'F'};

#endif
