/*
 * A driver's accesses to its device's registers, for the logic's bus
 * callbacks (base is the register page's address).
 *
 * The registers are mapped as Device memory and the rings as Normal
 * memory, which the device reaches by coherent DMA in the outer shareable
 * domain: a register write waits for the driver's earlier stores (the
 * rings it notifies of), and later loads (the used rings) wait for a
 * register read (InterruptStatus), as Linux's writel and readl do.
 */
#ifndef MICA_DRV_MMIO_H
#define MICA_DRV_MMIO_H

#include <stdint.h>

static inline uint32_t mmio_read(void *base, uint32_t offset)
{
	uint32_t value = *(volatile const uint32_t *)((uintptr_t)base + offset);

	__asm__ volatile("dmb oshld" ::: "memory");
	return value;
}

static inline uint8_t mmio_read8(void *base, uint32_t offset)
{
	uint8_t value = *(volatile const uint8_t *)((uintptr_t)base + offset);

	__asm__ volatile("dmb oshld" ::: "memory");
	return value;
}

static inline void mmio_write(void *base, uint32_t offset, uint32_t value)
{
	__asm__ volatile("dmb oshst" ::: "memory");
	*(volatile uint32_t *)((uintptr_t)base + offset) = value;
}

static inline void dma_barrier(void *base)
{
	(void)base;
	__asm__ volatile("dmb osh" ::: "memory");
}

#endif
