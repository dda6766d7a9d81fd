/*
 * Memory-management vocabulary shared by generic code and the arch layer:
 * mapping permissions and the boot-time physical page allocator.
 */
#ifndef MICA_MM_H
#define MICA_MM_H

#include "types.h"

/* Permissions and kind of a mapping, combined with '|'. */
#define MAP_READ   1u  /* Readable. */
#define MAP_WRITE  2u  /* Writable (implies readable). */
#define MAP_EXEC   4u  /* Executable. */
#define MAP_USER   8u  /* Reachable from EL0, tagged with the address space's ASID. */
#define MAP_DEVICE 16u /* Device memory (no caching, no speculation). */

/*
 * The boot allocator hands out zeroed physical pages from free RAM before
 * user code takes over memory. After boot the kernel allocates nothing.
 */
void bootmem_init(const struct mem_range *free, size_t count);
/* A zeroed page, or physical address 0 when memory has run out. */
MUST_CHECK paddr_t bootmem_alloc_page(void);
size_t bootmem_free_bytes(void);

/* A zeroed block of 2^size_bits bytes aligned to its size, or 0. */
MUST_CHECK paddr_t bootmem_alloc(unsigned size_bits);

/* Hand every remaining free range over (to become Untyped); the allocator is then empty. */
size_t bootmem_take_all(struct mem_range *out, size_t max);

#endif
