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

/* The next free device-mapping address; device windows are 2 MiB blocks. */
static uint64_t io_next = IO_BASE;

void *arch_phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(PHYSMAP_BASE + pa_addr(pa));
}

static paddr_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= KERNEL_VBASE)
		return pa_init(v - KERNEL_VBASE + boot_image_pa);
	return pa_init(v - PHYSMAP_BASE);
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

/* The level-3 entry for va, creating tables on the way when alloc_page is given. */
static pte_t *walk(const struct arch_vspace *vs, uint64_t va, paddr_t (*alloc_page)(void))
{
	pte_t *table = arch_phys_to_virt(pa_init(vs->root_pa));

	for (unsigned level = PTE_LEVEL_FIRST; level < PTE_LEVEL_LAST; level++) {
		pte_t *entry = &table[pte_index(va, level)];

		if (!pte_is_valid(*entry)) {
			paddr_t next;

			if (alloc_page == NULL)
				return NULL;
			next = alloc_page();
			if (pa_addr(next) == 0)
				return NULL;
			*entry = pte_table(pa_addr(next));
		} else if (!pte_is_table(*entry, level)) {
			return NULL; /* User spaces use no blocks. */
		}
		table = arch_phys_to_virt(pa_init(pte_address(*entry)));
	}
	return &table[pte_index(va, PTE_LEVEL_LAST)];
}

enum mica_error arch_vspace_map(struct arch_vspace *vs, vaddr_t va, paddr_t pa, unsigned prot,
				paddr_t (*alloc_page)(void))
{
	pte_t *entry;

	if (!IS_ALIGNED(va_addr(va), PAGE_SIZE) || !IS_ALIGNED(pa_addr(pa), PAGE_SIZE))
		return MICA_ERR_ALIGNMENT;
	if (va_addr(va) >= USER_VA_END)
		return MICA_ERR_RANGE;
	if ((prot & MAP_WRITE) && (prot & MAP_EXEC))
		return MICA_ERR_INVALID_ARGUMENT;
	entry = walk(vs, va_addr(va), alloc_page);
	if (entry == NULL)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (pte_is_valid(*entry))
		return MICA_ERR_ILLEGAL_OPERATION;
	*entry = pte_leaf(pa_addr(pa), PTE_LEVEL_LAST, prot | MAP_USER);
	dsb(ishst);
	return MICA_OK;
}

struct ret arch_vspace_translate(const struct arch_vspace *vs, vaddr_t va, unsigned need)
{
	pte_t *entry;

	if (va_addr(va) >= USER_VA_END)
		return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
	entry = walk(vs, va_addr(va), NULL);
	if (entry == NULL || !pte_is_valid(*entry) || (pte_prot(*entry) & need) != need)
		return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
	return (struct ret){MICA_OK, pte_address(*entry) + (va_addr(va) & (PAGE_SIZE - 1))};
}

void arch_vspace_activate(const struct arch_vspace *vs)
{
	sysreg_write(ttbr0_el2, vs->root_pa | ((uint64_t)vs->asid << 48));
	isb();
}

/*
 * Replace the boot identity map with an empty table, so that nothing is
 * mapped in the lower half until a user address space is activated.
 */
void mmu_drop_identity_map(void)
{
	static pte_t empty_l1[PTE_ENTRIES] __attribute__((aligned(4096)));

	sysreg_write(ttbr0_el2, pa_addr(virt_to_phys(empty_l1)));
	isb();
	__asm__ volatile("tlbi alle2" ::: "memory");
	dsb(ish);
	isb();
}
