/*
 * Creating the root task: the first EL0 program, loaded from the boot
 * archive with every segment mapped at its own permissions (never writable
 * and executable at once), and given capabilities to its own objects, to
 * IRQControl and to every byte of free memory as Untyped. This is the last
 * time the kernel allocates memory itself.
 */
#include <string.h>

#include <base/errors.h>
#include <formats/archive.h>
#include "bootmem.h"
#include "boot.h"
#include <formats/elf.h>
#include "print.h"
#include "smp.h"
#include "vspace.h"

#include <mica/abi/bootinfo.h>
#include <mica/abi/context.h>

#define UNTYPED_MIN_BITS 12

struct root_builder {
	struct slot *cnode;
	struct arch_vspace vs;
	struct tcb *tcb;
	struct mica_boot_info *info;
	uint64_t next_slot;
};

static unsigned segment_prot(uint32_t flags)
{
	unsigned prot = 0;

	if (flags & ELF_SEG_R)
		prot |= MAP_READ;
	if (flags & ELF_SEG_W)
		prot |= MAP_READ | MAP_WRITE;
	if (flags & ELF_SEG_X)
		prot |= MAP_READ | MAP_EXEC;
	return prot;
}

static enum mica_error map_page(struct root_builder *b, uint64_t va, paddr_t pa, unsigned prot)
{
	if (pa_addr(pa) == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	return arch_vspace_map(&b->vs, va_init(va), pa, MICA_PAGE_BITS, prot, bootmem_alloc_page);
}

/* Map one segment page by page, copying what the file holds of each page. */
static enum mica_error load_segment(struct root_builder *b, const uint8_t *file,
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

		if (pa_addr(page) != 0 && from < to)
			memcpy((uint8_t *)arch_phys_to_virt(page) + (from - va),
			       file + seg->file_offset + (from - seg->vaddr), to - from);
		err = map_page(b, va, page, segment_prot(seg->flags));
		if (err != MICA_OK)
			return err;
	}
	return MICA_OK;
}

/* Put cap into the next root slot; returns the slot. */
static struct slot *give(struct root_builder *b, uint64_t index, struct cap cap)
{
	struct slot *s = &b->cnode[index];

	slot_insert(s, cap, NULL);
	return s;
}

/* Hand [base, end) over as Untyped capabilities, in naturally aligned blocks. */
static void give_untyped(struct root_builder *b, uint64_t base, uint64_t end, bool is_device)
{
	while (base < end && b->info->untyped_count < MICA_BOOT_MAX_UNTYPED &&
	       b->next_slot < (UINT64_C(1) << MICA_ROOT_CNODE_RADIX)) {
		unsigned bits = base == 0 ? MICA_UNTYPED_MAX_BITS : (unsigned)__builtin_ctzll(base);
		unsigned fit = 63 - (unsigned)__builtin_clzll(end - base);
		struct mica_untyped_desc *d = &b->info->untyped[b->info->untyped_count];

		if (fit < bits)
			bits = fit;
		if (bits > MICA_UNTYPED_MAX_BITS)
			bits = MICA_UNTYPED_MAX_BITS;
		if (bits >= UNTYPED_MIN_BITS) {
			/*
			 * RAM holds whatever it held before the kernel ran: all
			 * of it lies below the watermark, to be cleared on first
			 * use (untyped.c).
			 */
			give(b, b->next_slot++,
			     (struct cap){.type = MICA_OBJ_UNTYPED,
					  .rights = MICA_RIGHTS_ALL,
					  .size_bits = (uint8_t)bits,
					  .is_device = is_device,
					  .object = base,
					  .data = is_device ? 0 : UINT64_C(1) << bits});
			d->paddr = base;
			d->size_bits = (uint8_t)bits;
			d->is_device = is_device;
			b->info->untyped_count++;
		}
		base += UINT64_C(1) << bits;
	}
}

/*
 * Device memory below RAM becomes device Untyped, except the interrupt
 * controller, which only the kernel may touch.
 */
static void give_device_untyped(struct root_builder *b, const struct platform *p)
{
	struct mem_range dev[BOOTMEM_MAX_RANGES_DEVICE];
	size_t count = 1;
	uint64_t ram_base = UINT64_MAX;

	for (size_t i = 0; i < p->mem_count; i++)
		if (p->mem[i].base < ram_base)
			ram_base = p->mem[i].base;
	dev[0] = (struct mem_range){0, ram_base};
	count = mem_ranges_remove(dev, count, BOOTMEM_MAX_RANGES_DEVICE, p->gic_dist);
	for (size_t i = 0; i < p->gic_redist_count; i++)
		count = mem_ranges_remove(dev, count, BOOTMEM_MAX_RANGES_DEVICE, p->gic_redist[i]);
	for (size_t i = 0; i < count; i++)
		give_untyped(b, ALIGN_UP(dev[i].base, (uint64_t)PAGE_SIZE),
			     ALIGN_DOWN(dev[i].base + dev[i].size, (uint64_t)PAGE_SIZE), true);
}

static struct cap frame_cap(paddr_t pa, unsigned rights, uint64_t va, uint64_t record)
{
	return (struct cap){.type = MICA_OBJ_FRAME_4K,
			    .rights = (uint8_t)rights,
			    .size_bits = MICA_PAGE_BITS,
			    .is_mapped = 1,
			    .map_rights = (uint8_t)rights,
			    .object = pa_addr(pa),
			    .data = va,
			    .data2 = record};
}

/* The root task's own objects and the slots that name them. */
static enum mica_error build_objects(struct root_builder *b, paddr_t info_pa, paddr_t ipc_pa)
{
	paddr_t cnode_pa = bootmem_alloc(MICA_ROOT_CNODE_RADIX + MICA_SLOT_BITS);
	paddr_t tcb_pa = bootmem_alloc(MICA_TCB_BITS);
	paddr_t vspace_pa = bootmem_alloc(MICA_VSPACE_BITS);
	struct cap cnode, vspace;
	struct slot *cn, *vs, *ipc;

	if (!pa_addr(cnode_pa) || !pa_addr(tcb_pa) || !pa_addr(vspace_pa))
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	b->cnode = arch_phys_to_virt(cnode_pa);
	b->tcb = arch_phys_to_virt(tcb_pa);
	tcb_init(b->tcb);
	cnode = (struct cap){.type = MICA_OBJ_CNODE,
			     .rights = MICA_RIGHTS_ALL,
			     .size_bits = MICA_ROOT_CNODE_RADIX,
			     .guard_bits = 64 - MICA_ROOT_CNODE_RADIX,
			     .object = (uintptr_t)b->cnode};
	vspace = (struct cap){.type = MICA_OBJ_VSPACE,
			      .rights = MICA_RIGHTS_ALL,
			      .object = (uintptr_t)arch_phys_to_virt(vspace_pa)};
	vspace_boot_init();
	vspace_create(&vspace, 0);
	if (vspace.data2 == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	b->vs = vspace_of(&vspace);

	give(b, MICA_CAP_ROOT_TCB,
	     (struct cap){
		     .type = MICA_OBJ_TCB, .rights = MICA_RIGHTS_ALL, .object = (uintptr_t)b->tcb});
	cn = give(b, MICA_CAP_ROOT_CNODE, cnode);
	vs = give(b, MICA_CAP_ROOT_VSPACE, vspace);
	give(b, MICA_CAP_IRQ_CONTROL,
	     (struct cap){.type = MICA_OBJ_IRQ_CONTROL, .rights = MICA_RIGHTS_ALL});
	give(b, MICA_CAP_ASID_CONTROL,
	     (struct cap){.type = MICA_OBJ_ASID_CONTROL, .rights = MICA_RIGHTS_ALL});
	give(b, MICA_CAP_BOOT_INFO,
	     frame_cap(info_pa, MICA_RIGHT_READ, MICA_ROOT_BOOT_INFO_VA,
		       vspace_mapping_record(&b->vs)));
	ipc = give(b, MICA_CAP_IPC_BUFFER,
		   frame_cap(ipc_pa, MICA_RIGHT_READ | MICA_RIGHT_WRITE, MICA_ROOT_IPC_BUFFER_VA,
			     vspace_mapping_record(&b->vs)));
	b->next_slot = MICA_CAP_FIRST_FREE;

	/* The thread's own references are children of the root's capabilities. */
	slot_insert(&b->tcb->slots[TCB_SLOT_CSPACE], cnode, cn);
	slot_insert(&b->tcb->slots[TCB_SLOT_VSPACE], vspace, vs);
	slot_insert(&b->tcb->slots[TCB_SLOT_IPC_BUFFER], ipc->cap, ipc);
	b->tcb->slots[TCB_SLOT_IPC_BUFFER].cap.is_mapped = 0;
	b->tcb->ipc_buffer_va = MICA_ROOT_IPC_BUFFER_VA;
	return MICA_OK;
}

static enum mica_error build_address_space(struct root_builder *b, const struct boot_info *boot,
					   const struct archive_file *file,
					   const struct elf_image *elf, paddr_t info_pa,
					   paddr_t ipc_pa)
{
	enum mica_error err = MICA_OK;

	for (size_t i = 0; err == MICA_OK && i < elf->segment_count; i++)
		err = load_segment(b, file->data, &elf->segments[i]);
	for (unsigned i = 1; err == MICA_OK && i <= ROOT_STACK_PAGES; i++)
		err = map_page(b, MICA_ROOT_STACK_TOP - i * PAGE_SIZE, bootmem_alloc_page(),
			       MAP_READ | MAP_WRITE);
	if (err == MICA_OK)
		err = map_page(b, MICA_ROOT_BOOT_INFO_VA, info_pa, MAP_READ);
	if (err == MICA_OK)
		err = map_page(b, MICA_ROOT_IPC_BUFFER_VA, ipc_pa, MAP_READ | MAP_WRITE);
	for (uint64_t off = 0; err == MICA_OK && off < boot->archive_size; off += PAGE_SIZE)
		err = map_page(b, MICA_ROOT_ARCHIVE_VA + off, pa_init(pa_addr(boot->archive) + off),
			       MAP_READ);
	/* The device tree's pages, which no Untyped covers (bootmem keeps whole pages). */
	for (uint64_t off = 0; err == MICA_OK && off < b->info->dtb_offset + b->info->dtb_size;
	     off += PAGE_SIZE)
		err = map_page(b, MICA_ROOT_DTB_VA + off,
			       pa_init(ALIGN_DOWN(pa_addr(boot->dtb), PAGE_SIZE) + off), MAP_READ);
	return err;
}

enum mica_error boot_root_task(const struct boot_info *boot, unsigned tick_hz)
{
	const void *archive = arch_phys_to_virt(boot->archive);
	struct root_builder b = {0};
	struct archive_file file;
	struct elf_image elf;
	struct mem_range free[BOOTMEM_MAX_RANGES];
	paddr_t info_pa, ipc_pa;
	size_t free_count;
	enum mica_error err;

	if (boot->archive_size == 0) {
		kprintf("mica: the image carries no boot archive (its header's image_size counts "
			"none, or runs past RAM): pack one with mica_mkarchive --kernel\n");
		return MICA_ERR_NOT_FOUND;
	}
	err = archive_check(archive, boot->archive_size);
	if (err != MICA_OK) {
		kprintf("mica: the boot archive is malformed (%s)\n", mica_error_text(err));
		return err;
	}
	if (archive_find(archive, boot->archive_size, "root", &file) != MICA_OK) {
		kprintf("mica: the boot archive has no \"root\" program\n");
		return MICA_ERR_NOT_FOUND;
	}
	err = elf_parse(file.data, file.size, &elf);
	if (err != MICA_OK) {
		kprintf("mica: the root task is not a valid AArch64 ELF executable (error %d)\n",
			err);
		return err;
	}

	info_pa = bootmem_alloc_page();
	ipc_pa = bootmem_alloc_page();
	if (!pa_addr(info_pa) || !pa_addr(ipc_pa))
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	b.info = arch_phys_to_virt(info_pa);
	b.info->dtb_offset = pa_addr(boot->dtb) & (PAGE_SIZE - 1);
	b.info->dtb_size = pa_addr(boot->dtb) != 0 ? boot->platform->fdt_size : 0;
	err = build_objects(&b, info_pa, ipc_pa);
	if (err == MICA_OK)
		err = build_address_space(&b, boot, &file, &elf, info_pa, ipc_pa);
	if (err != MICA_OK) {
		kprintf("mica: cannot build the root task (error %d)\n", err);
		return err;
	}

	b.info->magic = MICA_BOOT_INFO_MAGIC;
	b.info->root_cnode_radix = MICA_ROOT_CNODE_RADIX;
	b.info->archive_size = boot->archive_size;
	b.info->cpu_count = smp_cpu_count;
	b.info->max_priority = MICA_MAX_PRIORITY;
	b.info->tick_hz = tick_hz;
	b.info->untyped_first = b.next_slot;
	free_count = bootmem_take_all(free, BOOTMEM_MAX_RANGES);
	for (size_t i = 0; i < free_count; i++)
		give_untyped(&b, free[i].base, free[i].base + free[i].size, false);
	give_device_untyped(&b, boot->platform);
	b.info->empty_first = b.next_slot;
	b.info->empty_end = UINT64_C(1) << MICA_ROOT_CNODE_RADIX;

	memcpy(b.tcb->name, "root", 5);
	b.tcb->is_root = true;
	b.tcb->priority = MICA_MAX_PRIORITY;
	b.tcb->mcp = MICA_MAX_PRIORITY;
	tcb_spaces_changed(b.tcb);
	arch_regs_init_user(&b.tcb->regs, elf.entry, MICA_ROOT_STACK_TOP, MICA_ROOT_BOOT_INFO_VA);
	arch_regs_set(&b.tcb->regs, MICA_CTX_TPIDR, MICA_ROOT_IPC_BUFFER_VA);
	thread_resume(b.tcb);
	return MICA_OK;
}
