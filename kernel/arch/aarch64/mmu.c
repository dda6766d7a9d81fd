/*
 * EL2&0 stage-1 translation once the kernel runs at its link address: the
 * physmap, device mappings, and user address spaces (TTBR0_EL2 + ASID).
 * The kernel's own tables were built by early.c.
 */
#include <string.h>

#include "arch.h"
#include "arch/early.h"
#include "arch/internal.h"
#include "arch/layout.h"
#include "arch/pte.h"
#include "arch/sysreg.h"
#include "sched.h"

/* The next free device-mapping address; device windows are 2 MiB blocks. */
static uint64_t io_next = IO_BASE;

void *arch_phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(PHYSMAP_BASE + pa_addr(pa));
}

paddr_t arch_virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= KERNEL_VBASE)
		return pa_init(v - KERNEL_VBASE + boot_image_pa);
	return pa_init(v - PHYSMAP_BASE);
}

/*
 * DC ZVA zeroes a block of 4 << DCZID_EL0.BS bytes per instruction (Arm
 * ARM D7.5.2, "DC ZVA"); where it is prohibited (DZP), memset does it.
 */
#define DCZID_DZP     (UINT64_C(1) << 4)
#define DCZID_BS_MASK UINT64_C(0xf)

void arch_clear_pages(void *va, size_t size)
{
	uint64_t dczid = sysreg_read(dczid_el0);
	size_t block = (size_t)4 << (dczid & DCZID_BS_MASK);

	if ((dczid & DCZID_DZP) || block > PAGE_SIZE) {
		memset(va, 0, size);
		return;
	}
	for (uintptr_t p = (uintptr_t)va; p < (uintptr_t)va + size; p += block)
		__asm__ volatile("dc zva, %0" ::"r"(p) : "memory");
	dsb(ish);
}

/*
 * Device registers get their own 2 MiB-aligned window of Device-nGnRE
 * memory: the block may cover neighbouring devices, which is harmless as
 * the kernel never touches them and device memory is never speculated.
 */
volatile void *arch_io_map(paddr_t pa, size_t size)
{
	uint64_t base = ALIGN_DOWN(pa_addr(pa), (uint64_t)BLOCK_2M);
	uint64_t end = ALIGN_UP(pa_addr(pa) + size, (uint64_t)BLOCK_2M);
	uint64_t va = io_next;

	if (size == 0 || end - base > IO_BASE + IO_SIZE - io_next)
		return NULL;
	for (uint64_t off = 0; off < end - base; off += BLOCK_2M)
		io_l2[pte_index(va + off, 2)] =
			pte_leaf(base + off, 2, MAP_READ | MAP_WRITE | MAP_DEVICE);
	dsb(ishst);
	isb();
	io_next += end - base;
	return (volatile void *)(uintptr_t)(va + (pa_addr(pa) - base));
}

enum mica_error arch_vspace_init(struct arch_vspace *vs, uint16_t asid, paddr_t (*alloc_page)(void))
{
	paddr_t root = alloc_page();

	if (pa_addr(root) == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	vs->root_pa = pa_addr(root);
	vs->asid = asid;
	return MICA_OK;
}

/*
 * The entry for va at level, walking down from the root. Missing tables
 * are created from alloc_page when it is given; otherwise the walk stops
 * and *missing_level says where. Returns NULL if the walk cannot reach
 * level (a missing table, or a block mapping on the way).
 */
static pte_t *walk(const struct arch_vspace *vs, uint64_t va, unsigned level,
		   paddr_t (*alloc_page)(void), unsigned *missing_level)
{
	pte_t *table = arch_phys_to_virt(pa_init(vs->root_pa));

	for (unsigned l = PTE_LEVEL_FIRST; l < level; l++) {
		pte_t *entry = &table[pte_index(va, l)];

		if (!pte_is_valid(*entry)) {
			paddr_t next = alloc_page != NULL ? alloc_page() : pa_init(0);

			if (pa_addr(next) == 0) {
				if (missing_level != NULL)
					*missing_level = l + 1;
				return NULL;
			}
			*entry = pte_table(pa_addr(next)) |
				 PTE_SW_BOOT; /* Only boot passes alloc_page. */
		} else if (!pte_is_table(*entry, l)) {
			return NULL;
		}
		table = arch_phys_to_virt(pa_init(pte_address(*entry)));
	}
	return &table[pte_index(va, level)];
}

static unsigned level_for(unsigned page_bits)
{
	return page_bits == 21 ? 2 : PTE_LEVEL_LAST;
}

static void tlb_flush_va(uint16_t asid, uint64_t va)
{
	dsb(ishst);
	__asm__ volatile("tlbi vae1is, %0" ::"r"(((uint64_t)asid << 48) | (va >> 12)) : "memory");
	dsb(ish);
	isb();
}

/*
 * Every translation (stage 2, and the guest's stage 1 cached with it)
 * tagged with vmid: TLBI VMALLS12E1IS, which uses the VMID in VTTBR_EL2.
 * The kernel runs with TGE set, where VTTBR_EL2 translates nothing, so it
 * can hold vmid for the moment.
 */
void arch_vmid_invalidate(uint16_t vmid)
{
	uint64_t vttbr = sysreg_read(vttbr_el2);

	sysreg_write(vttbr_el2, (uint64_t)vmid << 48);
	isb();
	dsb(ishst);
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	sysreg_write(vttbr_el2, vttbr);
	isb();
}

uint16_t arch_vmid_held(unsigned cpu)
{
	return sched_cpus[cpu].arch.vm_handle;
}

void arch_vmid_flush_all(void)
{
	dsb(ishst);
	__asm__ volatile("tlbi alle1is" ::: "memory");
	dsb(ish);
	isb();
}

void arch_asid_invalidate(uint16_t asid)
{
	dsb(ishst);
	__asm__ volatile("tlbi aside1is, %0" ::"r"((uint64_t)asid << 48) : "memory");
	dsb(ish);
	isb();
}

enum mica_error arch_vspace_map(struct arch_vspace *vs, vaddr_t va, paddr_t pa, unsigned page_bits,
				unsigned prot, paddr_t (*alloc_page)(void))
{
	uint64_t size = UINT64_C(1) << page_bits;
	pte_t *entry;

	if (page_bits != 12 && page_bits != 21)
		return MICA_ERR_INVALID_ARGUMENT;
	if (!IS_ALIGNED(va_addr(va), size) || !IS_ALIGNED(pa_addr(pa), size))
		return MICA_ERR_ALIGNMENT;
	if (va_addr(va) >= USER_VA_END)
		return MICA_ERR_RANGE;
	/* Guests write and run their own code; host programs never get W+X. */
	if (!vs->stage2 && (prot & MAP_WRITE) && (prot & MAP_EXEC))
		return MICA_ERR_INVALID_ARGUMENT;
	entry = walk(vs, va_addr(va), level_for(page_bits), alloc_page, NULL);
	if (entry == NULL)
		return alloc_page != NULL ? MICA_ERR_NOT_ENOUGH_MEMORY : MICA_ERR_LOOKUP_FAILED;
	if (pte_is_valid(*entry))
		return MICA_ERR_DELETE_FIRST;
	*entry = vs->stage2 ? pte_s2_leaf(pa_addr(pa), level_for(page_bits), prot)
			    : pte_leaf(pa_addr(pa), level_for(page_bits), prot | MAP_USER);
	if (alloc_page != NULL)
		*entry |= PTE_SW_BOOT;
	dsb(ishst);
	return MICA_OK;
}

bool arch_vspace_in_table(const struct arch_vspace *vs, vaddr_t va, unsigned page_bits,
			  paddr_t table)
{
	const pte_t *entry = walk(vs, va_addr(va), level_for(page_bits), NULL, NULL);

	return entry != NULL && va_addr(va) < USER_VA_END &&
	       pa_addr(arch_virt_to_phys(entry)) >> PAGE_SHIFT == pa_addr(table) >> PAGE_SHIFT;
}

void arch_vspace_unmap(const struct arch_vspace *vs, vaddr_t va, paddr_t pa, unsigned page_bits)
{
	unsigned level = level_for(page_bits);
	pte_t *entry = walk(vs, va_addr(va), level, NULL, NULL);

	/* Only if the entry still maps this frame: the VSpace may have moved on. */
	if (entry == NULL || !pte_is_valid(*entry) || pte_is_table(*entry, level) ||
	    pte_address(*entry) != pa_addr(pa))
		return;
	*entry = 0;
	if (vs->stage2)
		vmid_flush(&vmids, vs->asid);
	else
		tlb_flush_va(vs->asid, va_addr(va));
}

enum mica_error arch_vspace_map_table(struct arch_vspace *vs, vaddr_t va, paddr_t table)
{
	unsigned missing = 0;

	if (va_addr(va) >= USER_VA_END)
		return MICA_ERR_RANGE;
	if (walk(vs, va_addr(va), PTE_LEVEL_LAST, NULL, &missing) != NULL || missing == 0)
		return MICA_ERR_DELETE_FIRST; /* Every level is there already (or a block). */
	/* The entry one level up from the missing table points to it. */
	*walk(vs, va_addr(va), missing - 1, NULL, NULL) = pte_table(pa_addr(table));
	dsb(ishst);
	return MICA_OK;
}

void arch_vspace_unmap_table(const struct arch_vspace *vs, vaddr_t va, paddr_t table)
{
	for (unsigned level = PTE_LEVEL_FIRST; level < PTE_LEVEL_LAST; level++) {
		pte_t *entry = walk(vs, va_addr(va), level, NULL, NULL);

		if (entry == NULL || !pte_is_table(*entry, level))
			return;
		if (pte_address(*entry) == pa_addr(table)) {
			*entry = 0;
			if (vs->stage2)
				vmid_flush(&vmids, vs->asid);
			else
				arch_asid_invalidate(vs->asid);
			return;
		}
	}
}

struct ret arch_vspace_translate(const struct arch_vspace *vs, vaddr_t va, unsigned need)
{
	if (va_addr(va) >= USER_VA_END)
		return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
	for (unsigned level = 2; level <= PTE_LEVEL_LAST; level++) {
		pte_t *entry = walk(vs, va_addr(va), level, NULL, NULL);
		uint64_t size = pte_level_size(level);

		if (entry == NULL || !pte_is_valid(*entry))
			return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
		if (pte_is_table(*entry, level))
			continue;
		/*
		 * The kernel reads what it translates through its physical map,
		 * which maps RAM only: a device mapping is never an answer.
		 */
		if ((pte_prot(*entry) & (need | MAP_DEVICE)) != need)
			return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
		return (struct ret){MICA_OK, pte_address(*entry) + (va_addr(va) & (size - 1))};
	}
	return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
}

#ifdef MICA_CONFIG_DEBUG
/*
 * Visit entry i of table (level, serving addresses from base): its
 * translation, and the address of the next-level table it names (or 0).
 */
static uint64_t walk_entry(const pte_t *table, unsigned i, unsigned level, uint64_t base,
			   void (*visit)(void *ctx, const struct arch_translation *t), void *ctx)
{
	struct arch_translation t = {
		.va = base + (uint64_t)i * pte_level_size(level),
		.pa = pa_init(pte_address(table[i])),
		.size_bits = 12 + 9 * (PTE_LEVEL_LAST - level),
		.is_table = pte_is_table(table[i], level),
		.is_boot = (table[i] & PTE_SW_BOOT) != 0,
	};

	if (!pte_is_valid(table[i]))
		return 0;
	visit(ctx, &t);
	return t.is_table ? pte_address(table[i]) : 0;
}

/* Three levels, three loops: the kernel never recurses. */
void arch_vspace_walk(const struct arch_vspace *vs,
		      void (*visit)(void *ctx, const struct arch_translation *t), void *ctx)
{
	const pte_t *l1 = arch_phys_to_virt(pa_init(vs->root_pa));

	for (unsigned i = 0; i < PTE_ENTRIES; i++) {
		uint64_t va1 = (uint64_t)i * pte_level_size(1);
		uint64_t t2 = walk_entry(l1, i, 1, 0, visit, ctx);
		const pte_t *l2 = arch_phys_to_virt(pa_init(t2));

		for (unsigned j = 0; t2 != 0 && j < PTE_ENTRIES; j++) {
			uint64_t va2 = va1 + (uint64_t)j * pte_level_size(2);
			uint64_t t3 = walk_entry(l2, j, 2, va1, visit, ctx);
			const pte_t *l3 = arch_phys_to_virt(pa_init(t3));

			for (unsigned k = 0; t3 != 0 && k < PTE_ENTRIES; k++)
				(void)walk_entry(l3, k, 3, va2, visit, ctx);
		}
	}
}
#endif

/* Nothing mapped: ASID 0 is never given to a user address space. */
static pte_t empty_l1[PTE_ENTRIES] __attribute__((aligned(4096)));
struct arch_vspace arch_vspace_empty;
struct arch_vspace arch_vm_empty;

/*
 * Replace the boot identity map with an empty table, so that nothing is
 * mapped in the lower half until a user address space is activated.
 */
void mmu_drop_identity_map(void)
{
	arch_vspace_empty = (struct arch_vspace){
		.root_pa = pa_addr(arch_virt_to_phys(empty_l1)),
		.asid = 0,
	};
	/* The same empty table serves as a guest's: VMID 0 is never given out. */
	arch_vm_empty = arch_vspace_empty;
	arch_vm_empty.stage2 = true;
	mmu_leave_identity_map();
}

void mmu_leave_identity_map(void)
{
	sysreg_write(ttbr0_el2, arch_vspace_empty.root_pa);
	isb();
	__asm__ volatile("tlbi alle2" ::: "memory"); /* This CPU's entries only. */
	dsb(ish);
	isb();
}
