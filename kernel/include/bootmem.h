/*
 * Free-memory bookkeeping at boot.
 */
#ifndef MICA_BOOTMEM_H
#define MICA_BOOTMEM_H

#include "mm.h"

#define BOOTMEM_MAX_RANGES	  16
#define BOOTMEM_MAX_RANGES_DEVICE 16

/*
 * Remove hole from the count ranges in ranges (room for max), splitting a
 * range the hole falls inside. Returns the new count. If a split finds no
 * room, the part above the hole is dropped: memory is lost, never double
 * used.
 */
size_t mem_ranges_remove(struct mem_range *ranges, size_t count, size_t max, struct mem_range hole);

#endif
