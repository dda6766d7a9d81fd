/*
 * Guest memory from the root task (see <mica/vmimage.h>).
 */
#include <formats/elf.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/process.h>
#include <mica/vmimage.h>

#include <string.h>

#define PAGE 4096u
#define RW   (MICA_RIGHT_READ | MICA_RIGHT_WRITE)

enum mica_error vm_map_frame(uint64_t vm, uint64_t frame, uint64_t ipa, unsigned rights,
			     unsigned attrs)
{
	enum mica_error err = mica_frame_map(frame, vm, ipa, rights, attrs);

	/* At most two tables are ever missing: level 2, then level 3. */
	for (int i = 0; i < 2 && err == MICA_ERR_LOOKUP_FAILED; i++) {
		uint64_t table = alloc_object(MICA_OBJ_PAGE_TABLE, 0);

		if (table == 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
		err = mica_page_table_map(table, vm, ipa);
		if (err == MICA_OK)
			err = mica_frame_map(frame, vm, ipa, rights, attrs);
	}
	return err;
}

enum mica_error vm_map_page(uint64_t vm, uint64_t ipa, const void *data, size_t len)
{
	uint64_t frame = alloc_object(MICA_OBJ_FRAME_4K, 0);
	uint64_t here = alloc_slot();
	enum mica_error err;

	if (frame == 0 || here == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (len > PAGE)
		return MICA_ERR_RANGE;
	/* Fill it through a copy of its capability mapped here for the moment. */
	err = mica_cnode_copy(MICA_CAP_ROOT_CNODE, here, 64, MICA_CAP_ROOT_CNODE, frame, 64,
			      MICA_RIGHTS_ALL);
	if (err == MICA_OK)
		err = process_map_here(here, VMIMAGE_SCRATCH_VA, RW, 0);
	if (err == MICA_OK) {
		memset((void *)VMIMAGE_SCRATCH_VA, 0, PAGE);
		memcpy((void *)VMIMAGE_SCRATCH_VA, data, len);
	}
	(void)mica_cnode_delete(MICA_CAP_ROOT_CNODE, here, 64);
	alloc_slot_free(here);
	if (err == MICA_OK)
		err = vm_map_frame(vm, frame, ipa, RW, MICA_MAP_EXECUTE);
	return err;
}

enum mica_error vm_load_elf(uint64_t vm, const void *elf, size_t size, uint64_t *entry)
{
	static uint8_t page[PAGE];
	const uint8_t *file = elf;
	struct elf_image img;
	uint64_t done = 0; /* Pages below this are mapped (segments come in address order). */
	enum mica_error err = elf_parse(elf, size, &img);

	for (size_t s = 0; err == MICA_OK && s < img.segment_count; s++) {
		const struct elf_segment *seg = &img.segments[s];
		uint64_t start = seg->vaddr & ~(uint64_t)(PAGE - 1);

		if (start < done)
			start = done;
		uint64_t end = (seg->vaddr + seg->mem_size + PAGE - 1) & ~(uint64_t)(PAGE - 1);

		for (uint64_t ipa = start; err == MICA_OK && ipa < end; ipa += PAGE) {
			memset(page, 0, sizeof(page));
			/* Every segment's bytes on this page, so shared pages stay whole. */
			for (size_t o = 0; o < img.segment_count; o++) {
				const struct elf_segment *g = &img.segments[o];
				uint64_t from = g->vaddr > ipa ? g->vaddr : ipa;
				uint64_t to = g->vaddr + g->file_size < ipa + PAGE
						      ? g->vaddr + g->file_size
						      : ipa + PAGE;

				if (from < to)
					memcpy(page + (from - ipa),
					       file + g->file_offset + (from - g->vaddr),
					       to - from);
			}
			err = vm_map_page(vm, ipa, page, sizeof(page));
		}
		if (end > done)
			done = end;
	}
	if (err == MICA_OK)
		*entry = img.entry;
	return err;
}
