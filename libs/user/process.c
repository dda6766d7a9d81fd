/*
 * Building processes from ELF images (<mica/process.h>).
 *
 * Every step goes through the kernel's invocations: Untyped retype for the
 * objects (through <mica/alloc.h>), frame and page-table maps for the
 * address space, TCB configuration for the thread. The kernel never makes
 * page tables for a user address space after boot, so this file makes them,
 * one per level as a new region is first used, and remembers the regions.
 */
#include <string.h>

#include <formats/archive.h>
#include <formats/elf.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/process.h>

#define PAGE_SIZE   (UINT64_C(1) << MICA_PAGE_BITS)
#define GIB_SHIFT   30 /* A level-2 table serves 1 GiB of addresses. */
#define MIB_SHIFT   21 /* A level-3 table serves 2 MiB of addresses. */
#define USER_VA_END (UINT64_C(1) << 39)

/* Page tables the book must have room for: one per remembered region. */
#define PROCESS_MAX_TABLES (UINT64_C(2) * PROCESS_MAX_REGIONS)

#define ROOT MICA_CAP_ROOT_CNODE

static uint64_t page_down(uint64_t x)
{
	return x & ~(PAGE_SIZE - 1);
}

static uint64_t page_up(uint64_t x)
{
	return page_down(x + PAGE_SIZE - 1);
}

/* Delete a capability in the caller's CNode and give its slot back. */
static void process_drop(uint64_t cptr)
{
	if (cptr == 0)
		return;
	(void)mica_cnode_delete(ROOT, cptr, 64);
	alloc_slot_free(cptr);
}

/*
 * Move a capability (a frame or table now mapped in the child) into the
 * book, where destroying the process will find it, and free the caller's
 * slot. On failure the capability is deleted, which undoes its mapping, so
 * either way the caller's slot is gone.
 */
static enum mica_error process_book_keep(struct process *p, uint64_t cap)
{
	enum mica_error err;

	if (p->book_used >= (UINT64_C(1) << p->book_radix)) {
		process_drop(cap);
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	err = mica_cnode_move(p->book, p->book_used, p->book_radix, ROOT, cap, 64);
	if (err != MICA_OK) {
		process_drop(cap);
		return err;
	}
	p->book_used++;
	alloc_slot_free(cap);
	return MICA_OK;
}

/*
 * A new page table, mapped in vspace to serve va at the first level that
 * has none. Returns its capability (still in the caller's CNode).
 */
static struct alloc_ret process_new_table(uint64_t vspace, uint64_t va)
{
	struct alloc_ret t = alloc_object_ret(MICA_OBJ_PAGE_TABLE, 0);

	if (t.err != MICA_OK)
		return t;
	t.err = mica_page_table_map(t.cptr, vspace, va);
	if (t.err != MICA_OK) {
		process_drop(t.cptr);
		t.cptr = 0;
	}
	return t;
}

/*
 * Give va a table for its region (a number in regions, at most
 * PROCESS_MAX_REGIONS of them) unless the region has one.
 */
static enum mica_error process_need_table(struct process *p, uint64_t *regions, unsigned *count,
					  uint64_t region, uint64_t va)
{
	struct alloc_ret t;
	enum mica_error err;

	for (unsigned i = 0; i < *count; i++)
		if (regions[i] == region)
			return MICA_OK;
	if (*count == PROCESS_MAX_REGIONS)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	t = process_new_table(p->vspace, va);
	if (t.err != MICA_OK)
		return t.err;
	err = process_book_keep(p, t.cptr);
	if (err == MICA_OK)
		regions[(*count)++] = region;
	return err;
}

/*
 * Make sure va has its level-2 and level-3 tables. The kernel puts each new
 * table at the first level that is missing, so the 1 GiB region's table
 * must come before the 2 MiB region's.
 */
static enum mica_error process_need_tables(struct process *p, uint64_t va)
{
	enum mica_error err =
		process_need_table(p, p->gib_regions, &p->gib_count, va >> GIB_SHIFT, va);

	if (err != MICA_OK)
		return err;
	return process_need_table(p, p->mib_regions, &p->mib_count, va >> MIB_SHIFT, va);
}

enum mica_error process_map_here(uint64_t frame, uint64_t va, unsigned rights, unsigned attrs)
{
	enum mica_error err = MICA_ERR_LOOKUP_FAILED;

	/*
	 * Two tables at most are missing (levels 2 and 3; the VSpace is
	 * level 1), so the third try maps or fails for another reason.
	 */
	for (int i = 0; i < 3 && err == MICA_ERR_LOOKUP_FAILED; i++) {
		err = mica_frame_map(frame, MICA_CAP_ROOT_VSPACE, va, rights, attrs);
		if (err == MICA_ERR_LOOKUP_FAILED) {
			struct alloc_ret t = process_new_table(MICA_CAP_ROOT_VSPACE, va);

			if (t.err != MICA_OK)
				return t.err;
		}
	}
	return err;
}

/*
 * Code written through data accesses must reach the point of unification
 * before the child fetches it: clean the data cache and invalidate the
 * instruction cache over it, by line, as the Arm ARM's rules for
 * instruction cache maintenance after writing instructions require. The
 * kernel lets EL0 do both and read CTR_EL0 (SCTLR UCI and UCT).
 */
static void process_sync_icache(uintptr_t start, size_t len)
{
	uint64_t ctr;
	uintptr_t dline, iline, end = start + len;

	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	dline = (uintptr_t)4 << ((ctr >> 16) & 0xf); /* CTR_EL0.DminLine, log2 words. */
	iline = (uintptr_t)4 << (ctr & 0xf);	     /* CTR_EL0.IminLine. */
	for (uintptr_t a = start & ~(dline - 1); a < end; a += dline)
		__asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb ish" ::: "memory");
	for (uintptr_t a = start & ~(iline - 1); a < end; a += iline)
		__asm__ volatile("ic ivau, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

/* File bytes for one page: len bytes from src go at offset in the page. */
struct page_fill {
	const uint8_t *src;
	size_t offset;
	size_t len;
	bool is_code;
};

/*
 * A new frame with fill's bytes (the rest zero: the kernel zeroes new
 * frames), mapped at va in the child with rights and attrs. Returns the
 * frame's capability, still in the caller's CNode; on failure nothing is
 * left.
 */
static struct alloc_ret process_new_page(struct process *p, uint64_t va, unsigned rights,
					 unsigned attrs, const struct page_fill *fill)
{
	struct alloc_ret f = alloc_object_ret(MICA_OBJ_FRAME_4K, 0);

	if (f.err != MICA_OK)
		return f;
	if (fill != NULL && fill->len > 0) {
		uint8_t *scratch = (uint8_t *)(uintptr_t)PROCESS_SCRATCH_VA;

		f.err = process_map_here(f.cptr, PROCESS_SCRATCH_VA,
					 MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0);
		if (f.err == MICA_OK) {
			memcpy(scratch + fill->offset, fill->src, fill->len);
			if (fill->is_code)
				process_sync_icache((uintptr_t)scratch + fill->offset, fill->len);
			f.err = mica_frame_unmap(f.cptr);
		}
	}
	if (f.err == MICA_OK)
		f.err = process_need_tables(p, va);
	if (f.err == MICA_OK)
		f.err = mica_frame_map(f.cptr, p->vspace, va, rights, attrs);
	if (f.err != MICA_OK) {
		process_drop(f.cptr);
		f.cptr = 0;
	}
	return f;
}

/* process_new_page, with the frame then kept in the child's book. */
static enum mica_error process_add_page(struct process *p, uint64_t va, unsigned rights,
					unsigned attrs, const struct page_fill *fill)
{
	struct alloc_ret f = process_new_page(p, va, rights, attrs, fill);

	if (f.err != MICA_OK)
		return f.err;
	return process_book_keep(p, f.cptr);
}

/* Frame rights and attributes for a segment's permissions: never write and execute. */
static void segment_rights(uint32_t flags, unsigned *rights, unsigned *attrs)
{
	*rights = MICA_RIGHT_READ;
	*attrs = 0;
	if (flags & ELF_SEG_W)
		*rights |= MICA_RIGHT_WRITE;
	else if (flags & ELF_SEG_X)
		*attrs = MICA_MAP_EXECUTE;
}

/* Map one segment page by page, each with the part of the file it holds. */
static enum mica_error process_load_segment(struct process *p, const uint8_t *image,
					    const struct elf_segment *seg)
{
	const uint64_t file_end = seg->vaddr + seg->file_size;
	unsigned rights, attrs;

	segment_rights(seg->flags, &rights, &attrs);
	for (uint64_t va = page_down(seg->vaddr); va < seg->vaddr + seg->mem_size;
	     va += PAGE_SIZE) {
		uint64_t from = va > seg->vaddr ? va : seg->vaddr;
		uint64_t to = va + PAGE_SIZE < file_end ? va + PAGE_SIZE : file_end;
		struct page_fill fill = {.is_code = (seg->flags & ELF_SEG_X) != 0};
		enum mica_error err;

		if (from < to) {
			fill.src = image + seg->file_offset + (from - seg->vaddr);
			fill.offset = from - va;
			fill.len = to - from;
		}
		err = process_add_page(p, va, rights, attrs, &fill);
		if (err != MICA_OK)
			return err;
	}
	return MICA_OK;
}

/* The stack pages below PROCESS_STACK_TOP; the page below them stays unmapped. */
static enum mica_error process_map_stack(struct process *p, unsigned pages)
{
	for (unsigned i = 1; i <= pages; i++) {
		enum mica_error err = process_add_page(p, PROCESS_STACK_TOP - i * PAGE_SIZE,
						       MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0, NULL);

		if (err != MICA_OK)
			return err;
	}
	return MICA_OK;
}

/* The IPC buffer page, named to the kernel before its capability goes to the book. */
static enum mica_error process_map_ipc_buffer(struct process *p)
{
	struct alloc_ret f = process_new_page(p, PROCESS_IPC_BUFFER_VA,
					      MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0, NULL);

	if (f.err != MICA_OK)
		return f.err;
	f.err = mica_tcb_set_ipc_buffer(p->tcb, PROCESS_IPC_BUFFER_VA, f.cptr);
	if (f.err != MICA_OK) {
		process_drop(f.cptr);
		return f.err;
	}
	return process_book_keep(p, f.cptr);
}

/* Do the page ranges that two segments take share a page? */
static bool segments_share_page(const struct elf_segment *a, const struct elf_segment *b)
{
	return page_down(a->vaddr) < page_up(b->vaddr + b->mem_size) &&
	       page_down(b->vaddr) < page_up(a->vaddr + a->mem_size);
}

/*
 * Every check process_create makes before it changes anything: the
 * configuration, the image, and that the segments fit below the stack's
 * guard page without sharing pages.
 */
static enum mica_error process_check(const struct process_config *cfg, struct elf_image *elf,
				     unsigned *radix, unsigned *stack_pages)
{
	uint64_t lowest_stack;
	enum mica_error err;

	if (cfg == NULL || cfg->image == NULL || cfg->image_size == 0 ||
	    cfg->priority > MICA_MAX_PRIORITY || cfg->mcp > MICA_MAX_PRIORITY)
		return MICA_ERR_INVALID_ARGUMENT;
	*radix = cfg->cnode_radix != 0 ? cfg->cnode_radix : PROCESS_DEFAULT_CNODE_RADIX;
	*stack_pages = cfg->stack_pages != 0 ? cfg->stack_pages : PROCESS_DEFAULT_STACK_PAGES;
	if (*radix > MICA_CNODE_MAX_RADIX || *stack_pages > PROCESS_MAX_STACK_PAGES)
		return MICA_ERR_INVALID_ARGUMENT;
	err = elf_parse(cfg->image, cfg->image_size, elf);
	if (err != MICA_OK)
		return err;
	/* The guard page below the stack must stay free as well. */
	lowest_stack = PROCESS_STACK_TOP - (uint64_t)(*stack_pages + 1) * PAGE_SIZE;
	for (size_t i = 0; i < elf->segment_count; i++) {
		const struct elf_segment *s = &elf->segments[i];

		if (s->vaddr >= USER_VA_END || page_up(s->vaddr + s->mem_size) > lowest_stack)
			return MICA_ERR_RANGE;
		for (size_t j = 0; j < i; j++)
			if (s->mem_size != 0 && elf->segments[j].mem_size != 0 &&
			    segments_share_page(s, &elf->segments[j]))
				return MICA_ERR_ALIGNMENT;
	}
	return MICA_OK;
}

/*
 * The book's radix: room for every frame (segments, stack, IPC buffer) and
 * for the most tables the region lists allow.
 */
static unsigned process_book_radix(const struct elf_image *elf, unsigned stack_pages)
{
	uint64_t need = (uint64_t)stack_pages + 1 + PROCESS_MAX_TABLES;
	unsigned radix = MICA_CNODE_MIN_RADIX;

	for (size_t i = 0; i < elf->segment_count; i++) {
		const struct elf_segment *s = &elf->segments[i];

		need += (page_up(s->vaddr + s->mem_size) - page_down(s->vaddr)) / PAGE_SIZE;
	}
	while ((UINT64_C(1) << radix) < need)
		radix++;
	return radix;
}

/* The thread's start: every register zero but PC, SP, TPIDR_EL0 and x0. */
static enum mica_error process_set_registers(const struct process *p, uint64_t arg)
{
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	regs[MICA_CTX_PC] = p->entry;
	regs[MICA_CTX_SP] = PROCESS_STACK_TOP;
	regs[MICA_CTX_TPIDR] = PROCESS_IPC_BUFFER_VA;
	regs[MICA_CTX_X0] = arg;
	return mica_tcb_write_registers(p->tcb, MICA_CONTEXT_WORDS, regs);
}

/* A new object in the caller's CNode, or the reason there is none. */
static enum mica_error process_new_object(uint64_t *out, enum mica_object_type type,
					  unsigned size_bits)
{
	struct alloc_ret r = alloc_object_ret(type, size_bits);

	*out = r.cptr;
	return r.err;
}

/*
 * The CNode and the guarded copy the child's CSpace is rooted at: a guard
 * of 64 - radix zero bits (CNode capability data: guard size in bits 5..0,
 * guard value above), so a 64-bit lookup of a small cptr ends at its slot.
 */
static enum mica_error process_make_cspace(struct process *p)
{
	enum mica_error err = process_new_object(&p->cnode, MICA_OBJ_CNODE, p->cnode_radix);

	if (err != MICA_OK)
		return err;
	p->cspace = alloc_slot();
	if (p->cspace == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	err = mica_cnode_mint(ROOT, p->cspace, 64, ROOT, p->cnode, 64, MICA_RIGHTS_ALL,
			      64 - p->cnode_radix);
	if (err != MICA_OK) {
		alloc_slot_free(p->cspace);
		p->cspace = 0;
	}
	return err;
}

/* The thread's configuration once its address space is complete. */
static enum mica_error process_configure(struct process *p, const struct process_config *cfg,
					 const char **step)
{
	enum mica_error err;

	*step = "set the TCB's spaces";
	err = mica_tcb_set_space(p->tcb, p->cspace, p->vspace, cfg->fault_ep);
	if (err == MICA_OK) {
		*step = "set the priority";
		err = mica_tcb_set_priority(p->tcb, cfg->priority);
	}
	if (err == MICA_OK) {
		*step = "set the MCP";
		err = mica_tcb_set_mcp(p->tcb, cfg->mcp);
	}
	if (err == MICA_OK) {
		/* Set even for CPU 0, so the thread's CPU never rests on the kernel's default. */
		*step = "set the CPU";
		err = mica_tcb_set_affinity(p->tcb, cfg->cpu);
	}
	if (err == MICA_OK) {
		*step = "set the name";
		err = mica_tcb_set_name(p->tcb, cfg->name != NULL ? cfg->name : "process");
	}
	if (err == MICA_OK) {
		*step = "set the registers";
		err = process_set_registers(p, cfg->arg);
	}
	return err;
}

enum mica_error process_create(struct process *p, const struct process_config *cfg)
{
	struct elf_image elf;
	unsigned radix, stack_pages;
	const char *step = "check the configuration and image";
	enum mica_error err;

	memset(p, 0, sizeof(*p));
	err = process_check(cfg, &elf, &radix, &stack_pages);
	if (err != MICA_OK)
		goto fail;
	p->cnode_radix = radix;
	p->book_radix = process_book_radix(&elf, stack_pages);
	p->entry = elf.entry;

	step = "make the book CNode";
	err = process_new_object(&p->book, MICA_OBJ_CNODE, p->book_radix);
	if (err != MICA_OK)
		goto fail;
	step = "make the CSpace";
	err = process_make_cspace(p);
	if (err != MICA_OK)
		goto fail;
	step = "make the VSpace";
	err = process_new_object(&p->vspace, MICA_OBJ_VSPACE, 0);
	if (err != MICA_OK)
		goto fail;
	step = "make the TCB";
	err = process_new_object(&p->tcb, MICA_OBJ_TCB, 0);
	if (err != MICA_OK)
		goto fail;
	step = "load a segment";
	for (size_t i = 0; i < elf.segment_count && err == MICA_OK; i++)
		err = process_load_segment(p, cfg->image, &elf.segments[i]);
	if (err != MICA_OK)
		goto fail;
	step = "map the stack";
	err = process_map_stack(p, stack_pages);
	if (err != MICA_OK)
		goto fail;
	step = "map the IPC buffer";
	err = process_map_ipc_buffer(p);
	if (err == MICA_OK)
		err = process_configure(p, cfg, &step);
	if (err == MICA_OK)
		return MICA_OK;
fail:
	process_destroy(p);
	p->failed_step = step;
	return err;
}

enum mica_error process_image_from_archive(const struct mica_boot_info *info, const char *name,
					   struct process_config *cfg)
{
	const void *archive = (const void *)(uintptr_t)MICA_ROOT_ARCHIVE_VA;
	struct archive_file file;
	enum mica_error err;

	if (info == NULL || name == NULL || cfg == NULL)
		return MICA_ERR_INVALID_ARGUMENT;
	err = archive_check(archive, info->archive_size);
	if (err == MICA_OK)
		err = archive_find(archive, info->archive_size, name, &file);
	if (err != MICA_OK)
		return err;
	cfg->image = file.data;
	cfg->image_size = file.size;
	return MICA_OK;
}

enum mica_error process_copy_cap(struct process *p, uint64_t slot, uint64_t src, unsigned rights)
{
	if (p->cspace == 0)
		return MICA_ERR_INVALID_CAPABILITY;
	if (slot == 0)
		return MICA_ERR_RANGE;
	return mica_cnode_copy(p->cspace, slot, 64, ROOT, src, 64, rights);
}

enum mica_error process_mint_cap(struct process *p, uint64_t slot, uint64_t src, unsigned rights,
				 uint64_t badge)
{
	if (p->cspace == 0)
		return MICA_ERR_INVALID_CAPABILITY;
	if (slot == 0)
		return MICA_ERR_RANGE;
	return mica_cnode_mint(p->cspace, slot, 64, ROOT, src, 64, rights, badge);
}

enum mica_error process_delete_cap(struct process *p, uint64_t slot)
{
	if (p->cspace == 0)
		return MICA_ERR_INVALID_CAPABILITY;
	if (slot == 0)
		return MICA_ERR_RANGE;
	return mica_cnode_delete(p->cspace, slot, 64);
}

enum mica_error process_map_frame(struct process *p, uint64_t frame, uint64_t va, unsigned rights,
				  unsigned attrs)
{
	enum mica_error err;

	if (p->vspace == 0)
		return MICA_ERR_INVALID_CAPABILITY;
	if (va >= USER_VA_END)
		return MICA_ERR_RANGE;
	err = process_need_tables(p, va);
	if (err != MICA_OK)
		return err;
	return mica_frame_map(frame, p->vspace, va, rights, attrs);
}

enum mica_error process_map_large(struct process *p, uint64_t frame, uint64_t va, unsigned rights,
				  unsigned attrs)
{
	enum mica_error err;

	if (p->vspace == 0)
		return MICA_ERR_INVALID_CAPABILITY;
	if (va >= USER_VA_END || (va & ((UINT64_C(1) << MIB_SHIFT) - 1)) != 0)
		return MICA_ERR_RANGE;
	/* A 2 MiB block sits in the level-2 table: only that one is needed. */
	err = process_need_table(p, p->gib_regions, &p->gib_count, va >> GIB_SHIFT, va);
	if (err != MICA_OK)
		return err;
	return mica_frame_map(frame, p->vspace, va, rights, attrs);
}

enum mica_error process_start(struct process *p)
{
	enum mica_error err;

	if (p->tcb == 0)
		return MICA_ERR_INVALID_CAPABILITY;
	if (p->is_started)
		return MICA_ERR_ILLEGAL_OPERATION;
	err = mica_tcb_resume(p->tcb);
	if (err == MICA_OK)
		p->is_started = true;
	return err;
}

/*
 * Revoke, then delete, an object's original capability: every copy goes
 * first, including copies the child was given, so the delete is the final
 * one and destroys the object.
 */
static void process_drop_all(uint64_t cptr)
{
	if (cptr != 0)
		(void)mica_cnode_revoke(ROOT, cptr, 64);
	process_drop(cptr);
}

void process_destroy(struct process *p)
{
	/*
	 * The thread stops first, so nothing runs on the memory that goes next;
	 * the frames and tables (the book) go before the VSpace they are mapped
	 * in, and the CNode last, deleting whatever the child held. The CNode
	 * must be revoked, not just deleted: the child may hold a capability to
	 * its own CNode (to receive capabilities into), and while that copy
	 * lives, deleting ours would not be final and the CNode, with all it
	 * holds, would linger unreachable.
	 */
	if (p->tcb != 0)
		(void)mica_tcb_suspend(p->tcb);
	process_drop_all(p->tcb);
	process_drop(p->book);
	process_drop_all(p->vspace);
	process_drop(p->cspace);
	process_drop_all(p->cnode);
	memset(p, 0, sizeof(*p));
}
