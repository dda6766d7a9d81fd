/*
 * The guest's device tree, generated with libfdt's sequential-write API
 * from a plain description of the VM: memory, vCPUs, the GICv3, the
 * generic timer, PSCI, the emulated PL011 and virtio-mmio devices, and the
 * chosen node. The properties are those Linux's drivers read (the
 * device-tree bindings for arm,gic-v3, arm,armv8-timer, arm,psci,
 * arm,pl011/arm,primecell and virtio,mmio); fdtgen.c lists them.
 */
#ifndef MICA_VMM_FDTGEN_H
#define MICA_VMM_FDTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

#define FDTGEN_MAX_RAM	  4u
#define FDTGEN_MAX_CPUS	  8u
#define FDTGEN_MAX_VIRTIO 8u

/* The phandles fdtgen gives out. */
#define FDTGEN_PHANDLE_GIC   1u
#define FDTGEN_PHANDLE_CLOCK 2u

/* Interrupt specifier cells of the GIC binding. */
#define FDTGEN_IRQ_SPI	       0u
#define FDTGEN_IRQ_PPI	       1u
#define FDTGEN_IRQ_EDGE_RISING 1u
#define FDTGEN_IRQ_LEVEL_HIGH  4u

/* The PL011's reference clock: a fixed clock node the UART names twice. */
#define FDTGEN_UART_CLOCK_HZ 24000000u

struct fdtgen_range {
	uint64_t base;
	uint64_t size;
};

/* A device with one register range and one SPI. */
struct fdtgen_device {
	struct fdtgen_range reg;
	unsigned spi;	   /* SPI number: INTID - 32. */
	unsigned irq_type; /* FDTGEN_IRQ_EDGE_RISING or FDTGEN_IRQ_LEVEL_HIGH. */
};

struct fdtgen_gic {
	struct fdtgen_range dist;
	struct fdtgen_range redist; /* One region holding every vCPU's frames. */
	unsigned maintenance_ppi;   /* PPI number: INTID - 16 (QEMU virt: 9). */
};

/* The generic timer's PPI numbers (INTID - 16), in the binding's order. */
struct fdtgen_timer {
	unsigned secure_ppi;	/* 13 on QEMU virt. */
	unsigned nonsecure_ppi; /* 14 */
	unsigned virtual_ppi;	/* 11 */
	unsigned hyp_ppi;	/* 10 */
};

/* PSCI function IDs for the legacy "arm,psci" binding's properties. */
struct fdtgen_psci {
	uint32_t cpu_on;
	uint32_t cpu_off;
};

struct fdtgen_desc {
	struct fdtgen_range ram[FDTGEN_MAX_RAM];
	unsigned ram_count;
	uint64_t cpu_mpidrs[FDTGEN_MAX_CPUS]; /* Affinity fields only. */
	unsigned cpu_count;
	struct fdtgen_gic gic;
	struct fdtgen_timer timer;
	struct fdtgen_psci psci;
	bool has_uart;
	struct fdtgen_device uart; /* PL011; also stdout-path when present. */
	struct fdtgen_device virtio[FDTGEN_MAX_VIRTIO];
	unsigned virtio_count;
	const char *bootargs; /* NULL or "" for none. */
	bool has_initrd;
	uint64_t initrd_start;
	uint64_t initrd_end; /* Exclusive, as Linux reads linux,initrd-end. */
};

/*
 * Write the DTB for desc into the size bytes at buf; *dtb_size gets its
 * length. Errors: MICA_ERR_INVALID_ARGUMENT for a description out of its
 * domain (no RAM or CPUs or too many, an empty range, a repeated MPIDR or
 * one with bits outside the affinity fields, a PPI past 15, an SPI past
 * 987, an unknown interrupt type, an initrd that ends before it starts);
 * MICA_ERR_NOT_ENOUGH_MEMORY if buf is too small.
 */
enum mica_error fdtgen_build(const struct fdtgen_desc *desc, void *buf, size_t size,
			     size_t *dtb_size) __attribute__((warn_unused_result));

#endif
