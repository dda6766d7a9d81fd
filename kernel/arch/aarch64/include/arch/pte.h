/*
 * Stage-1 translation table descriptors for the EL2&0 regime, 4 KiB
 * granule (Arm ARM D8.3). Pure encoding: no memory is touched here.
 */
#ifndef MICA_ARCH_PTE_H
#define MICA_ARCH_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm.h"
#include "arch/sysreg.h"

typedef uint64_t pte_t;

#define PTE_ENTRIES 512u

#define PTE_VALID      (UINT64_C(1) << 0)
#define PTE_NONBLOCK   (UINT64_C(1) << 1) /* Table at levels 0-2, page at level 3. */
#define PTE_ATTR_SHIFT 2
#define PTE_ATTR_MASK  (UINT64_C(7) << PTE_ATTR_SHIFT)
#define PTE_AP_EL0     (UINT64_C(1) << 6) /* AP[1]: EL0 may access. */
#define PTE_AP_RO      (UINT64_C(1) << 7) /* AP[2]: read-only. */
#define PTE_SH_INNER   (UINT64_C(3) << 8)
#define PTE_AF	       (UINT64_C(1) << 10)
#define PTE_NG	       (UINT64_C(1) << 11)
#define PTE_PXN	       (UINT64_C(1) << 53)
#define PTE_UXN	       (UINT64_C(1) << 54)
#define PTE_ADDR_MASK  UINT64_C(0x0000fffffffff000)
/*
 * Bit 55 is left to software in page, block and table descriptors of both
 * stages (Arm ARM D8.3): set on what boot made (arch_vspace_map with an
 * alloc_page), so the invariant checker can tell it from what capabilities
 * made.
 */
#define PTE_SW_BOOT (UINT64_C(1) << 55)

/* The first level with 39-bit VAs and 4 KiB pages is 1 (T0SZ = T1SZ = 25). */
#define PTE_LEVEL_FIRST 1u
#define PTE_LEVEL_LAST	3u

/* Bytes mapped by one entry at level (1: 1 GiB, 2: 2 MiB, 3: 4 KiB). */
static inline uint64_t pte_level_size(unsigned level)
{
	return UINT64_C(1) << (12 + 9 * (3 - level));
}

/* Index into the level's table for va. */
static inline unsigned pte_index(uint64_t va, unsigned level)
{
	return (unsigned)((va >> (12 + 9 * (3 - level))) & (PTE_ENTRIES - 1));
}

static inline pte_t pte_table(uint64_t table_pa)
{
	return (table_pa & PTE_ADDR_MASK) | PTE_NONBLOCK | PTE_VALID;
}

/*
 * A page (level 3) or block (levels 1-2) descriptor mapping pa with the
 * MAP_* permissions in prot. Kernel mappings never let EL0 in; user
 * mappings are not global and never executable at EL2. Device mappings are
 * never executable. A writable user mapping is never executable either:
 * callers reject W+X before getting here, and this keeps the guarantee.
 */
static inline pte_t pte_leaf(uint64_t pa, unsigned level, unsigned prot)
{
	pte_t pte = (pa & PTE_ADDR_MASK) | PTE_VALID | PTE_AF;

	if (level == PTE_LEVEL_LAST)
		pte |= PTE_NONBLOCK;
	if (prot & MAP_DEVICE)
		pte |= (uint64_t)MAIR_IDX_DEVICE_NGNRE << PTE_ATTR_SHIFT;
	else
		pte |= ((uint64_t)MAIR_IDX_NORMAL << PTE_ATTR_SHIFT) | PTE_SH_INNER;
	if (!(prot & MAP_WRITE))
		pte |= PTE_AP_RO;
	if (prot & MAP_USER) {
		pte |= PTE_AP_EL0 | PTE_NG | PTE_PXN;
		if (!(prot & MAP_EXEC) || (prot & (MAP_WRITE | MAP_DEVICE)))
			pte |= PTE_UXN;
	} else {
		pte |= PTE_UXN;
		if (!(prot & MAP_EXEC) || (prot & (MAP_WRITE | MAP_DEVICE)))
			pte |= PTE_PXN;
	}
	return pte;
}

/*
 * Stage-2 descriptors (Arm ARM D8.3.2): MemAttr[5:2] says the memory type
 * directly (no MAIR), S2AP[7:6] read and write, XN[54:53] execute-never.
 */
#define PTE_S2_MEMATTR_NORMAL (UINT64_C(0xf) << 2) /* Normal, write-back inner and outer. */
#define PTE_S2_MEMATTR_DEVICE (UINT64_C(0x1) << 2) /* Device-nGnRE. */
#define PTE_S2_READ	      (UINT64_C(1) << 6)
#define PTE_S2_WRITE	      (UINT64_C(1) << 7)
#define PTE_S2_XN	      (UINT64_C(2) << 53)

/* A stage-2 page or block mapping guest-physical memory to pa with MAP_* prot. */
static inline pte_t pte_s2_leaf(uint64_t pa, unsigned level, unsigned prot)
{
	pte_t pte = (pa & PTE_ADDR_MASK) | PTE_VALID | PTE_AF;

	if (level == PTE_LEVEL_LAST)
		pte |= PTE_NONBLOCK;
	if (prot & MAP_DEVICE)
		pte |= PTE_S2_MEMATTR_DEVICE;
	else
		pte |= PTE_S2_MEMATTR_NORMAL | PTE_SH_INNER;
	if (prot & (MAP_READ | MAP_WRITE | MAP_EXEC))
		pte |= PTE_S2_READ;
	if (prot & MAP_WRITE)
		pte |= PTE_S2_WRITE;
	if (!(prot & MAP_EXEC) || (prot & MAP_DEVICE))
		pte |= PTE_S2_XN;
	return pte;
}

static inline bool pte_is_valid(pte_t pte)
{
	return (pte & PTE_VALID) != 0;
}

/* Does pte, found at level, point to a next-level table? */
static inline bool pte_is_table(pte_t pte, unsigned level)
{
	return level < PTE_LEVEL_LAST &&
	       (pte & (PTE_VALID | PTE_NONBLOCK)) == (PTE_VALID | PTE_NONBLOCK);
}

static inline uint64_t pte_address(pte_t pte)
{
	return pte & PTE_ADDR_MASK;
}

/* The MAP_* permissions a valid leaf descriptor grants. */
static inline unsigned pte_prot(pte_t pte)
{
	unsigned prot = MAP_READ;
	bool user = (pte & PTE_AP_EL0) != 0;

	if (!(pte & PTE_AP_RO))
		prot |= MAP_WRITE;
	if (user)
		prot |= MAP_USER;
	if (!(pte & (user ? PTE_UXN : PTE_PXN)))
		prot |= MAP_EXEC;
	if (((pte & PTE_ATTR_MASK) >> PTE_ATTR_SHIFT) <= MAIR_IDX_DEVICE_NGNRE)
		prot |= MAP_DEVICE;
	return prot;
}

#endif
