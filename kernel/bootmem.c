/*
 * The boot allocator: zeroed 4 KiB pages from RAM nobody else uses, for the
 * tables and frames the kernel builds before user code runs. It hands pages
 * out from the start of each free range in turn and never takes one back.
 */
#include <string.h>

#include "arch.h"
#include "bootmem.h"
#include "print.h"

static struct mem_range free_ranges[BOOTMEM_MAX_RANGES];
static size_t free_count;

size_t mem_ranges_remove(struct mem_range *ranges, size_t count, size_t max, struct mem_range hole)
{
	uint64_t hole_end = hole.base + hole.size;

	if (hole.size == 0)
		return count;
	for (size_t i = 0; i < count; i++) {
		uint64_t base = ranges[i].base;
		uint64_t end = base + ranges[i].size;

		if (hole_end <= base || hole.base >= end)
			continue;
		if (hole.base > base && hole_end < end) {
			/* The hole splits the range: the tail becomes a new range. */
			if (count == max) {
				ranges[i].size = hole.base - base;
				continue;
			}
			ranges[count].base = hole_end;
			ranges[count].size = end - hole_end;
			count++;
			ranges[i].size = hole.base - base;
		} else if (hole.base > base) {
			ranges[i].size = hole.base - base;
		} else if (hole_end < end) {
			ranges[i].base = hole_end;
			ranges[i].size = end - hole_end;
		} else {
			ranges[i] = ranges[--count];
			i--;
		}
	}
	return count;
}

void bootmem_init(const struct mem_range *free, size_t count)
{
	free_count = 0;
	for (size_t i = 0; i < count && free_count < BOOTMEM_MAX_RANGES; i++) {
		uint64_t base = ALIGN_UP(free[i].base, (uint64_t)PAGE_SIZE);
		uint64_t end = ALIGN_DOWN(free[i].base + free[i].size, (uint64_t)PAGE_SIZE);

		if (end > base)
			free_ranges[free_count++] = (struct mem_range){base, end - base};
	}
}

paddr_t bootmem_alloc(unsigned size_bits)
{
	uint64_t size = UINT64_C(1) << size_bits;

	for (size_t i = 0; i < free_count; i++) {
		uint64_t base = ALIGN_UP(free_ranges[i].base, size);
		uint64_t end = free_ranges[i].base + free_ranges[i].size;

		if (base >= free_ranges[i].base && base <= end && end - base >= size) {
			struct mem_range head = {free_ranges[i].base, base - free_ranges[i].base};

			/* Keep the alignment gap below the block as a range of its own. */
			free_ranges[i].base = base + size;
			free_ranges[i].size = end - base - size;
			if (head.size != 0 && free_count < BOOTMEM_MAX_RANGES)
				free_ranges[free_count++] = head;
			memset(arch_phys_to_virt(pa_init(base)), 0, size);
			return pa_init(base);
		}
	}
	return pa_init(0);
}

size_t bootmem_take_all(struct mem_range *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < free_count && n < max; i++)
		if (free_ranges[i].size != 0)
			out[n++] = free_ranges[i];
	free_count = 0;
	return n;
}

paddr_t bootmem_alloc_page(void)
{
	for (size_t i = 0; i < free_count; i++) {
		if (free_ranges[i].size >= PAGE_SIZE) {
			paddr_t pa = pa_init(free_ranges[i].base);

			free_ranges[i].base += PAGE_SIZE;
			free_ranges[i].size -= PAGE_SIZE;
			memset(arch_phys_to_virt(pa), 0, PAGE_SIZE);
			return pa;
		}
	}
	return pa_init(0);
}

size_t bootmem_free_bytes(void)
{
	size_t total = 0;

	for (size_t i = 0; i < free_count; i++)
		total += free_ranges[i].size;
	return total;
}
