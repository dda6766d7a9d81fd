/*
 * Creating the root task: the first EL0 program, loaded from the boot
 * archive with every segment mapped at its own permissions (never writable
 * and executable at once) and a fresh stack.
 */
#include <string.h>

#include "archive.h"
#include "boot.h"
#include "elf.h"
#include "print.h"

static unsigned segment_prot(uint32_t flags)
{
	unsigned prot = MAP_USER;

	if (flags & ELF_SEG_R)
		prot |= MAP_READ;
	if (flags & ELF_SEG_W)
		prot |= MAP_READ | MAP_WRITE;
	if (flags & ELF_SEG_X)
		prot |= MAP_READ | MAP_EXEC;
	return prot;
}

/* Map one segment page by page, copying what the file holds of each page. */
static enum mica_error load_segment(struct thread *t, const uint8_t *file,
				    const struct elf_segment *seg)
{
	uint64_t start = ALIGN_DOWN(seg->vaddr, (uint64_t)PAGE_SIZE);
	uint64_t end = ALIGN_UP(seg->vaddr + seg->mem_size, (uint64_t)PAGE_SIZE);
	uint64_t file_end = seg->vaddr + seg->file_size;

	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		paddr_t page = bootmem_alloc_page();
		uint64_t from = va > seg->vaddr ? va : seg->vaddr;
		uint64_t to = va + PAGE_SIZE < file_end ? va + PAGE_SIZE : file_end;
		enum mica_error err;

		if (pa_addr(page) == 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		if (from < to)
			memcpy((uint8_t *)arch_phys_to_virt(page) + (from - va),
			       file + seg->file_offset + (from - seg->vaddr), to - from);
		err = arch_vspace_map(&t->vspace, va_init(va), page, segment_prot(seg->flags),
				      bootmem_alloc_page);
		if (err != MICA_OK)
			return err;
	}
	return MICA_OK;
}

enum mica_error boot_root_task(const struct boot_info *boot, struct thread *t)
{
	const void *archive = arch_phys_to_virt(boot->archive);
	struct archive_file file;
	struct elf_image elf;
	enum mica_error err;

	err = archive_check(archive, boot->archive_size);
	if (err != MICA_OK) {
		kprintf("mica: the boot archive is malformed (error %d)\n", err);
		return err;
	}
	err = archive_find(archive, boot->archive_size, "root", &file);
	if (err != MICA_OK) {
		kprintf("mica: the boot archive has no \"root\" program\n");
		return err;
	}
	err = elf_parse(file.data, file.size, &elf);
	if (err != MICA_OK) {
		kprintf("mica: the root task is not a valid AArch64 ELF executable (error %d)\n",
			err);
		return err;
	}

	memset(t, 0, sizeof(*t));
	memcpy(t->name, "root", 5);
	err = arch_vspace_init(&t->vspace, ROOT_ASID, bootmem_alloc_page);
	for (size_t i = 0; err == MICA_OK && i < elf.segment_count; i++)
		err = load_segment(t, file.data, &elf.segments[i]);
	for (unsigned i = 1; err == MICA_OK && i <= ROOT_STACK_PAGES; i++) {
		paddr_t page = bootmem_alloc_page();

		err = pa_addr(page) == 0
			      ? MICA_ERR_NOT_ENOUGH_MEMORY
			      : arch_vspace_map(&t->vspace, va_init(ROOT_STACK_TOP - i * PAGE_SIZE),
						page, MAP_READ | MAP_WRITE, bootmem_alloc_page);
	}
	if (err != MICA_OK) {
		kprintf("mica: cannot build the root task's address space (error %d)\n", err);
		return err;
	}
	arch_regs_init_user(&t->regs, elf.entry, ROOT_STACK_TOP, 0);
	return MICA_OK;
}
