/*
 * The guest's device tree, generated with libfdt's sequential-write API
 * from a plain description of the VM: memory, vCPUs, the GICv3, the
 * generic timer, PSCI, its devices, and the chosen node. The platform's
 * nodes have the properties Linux's drivers read (the device-tree bindings
 * for arm,gic-v3, arm,armv8-timer and arm,psci); a device's node is
 * generic, written from what its server declares
 * (<mica/proto/devkind.h>) or, for a passthrough region, what the system
 * description says. fdtgen.c lists them all.
 */
#ifndef MICA_VMM_FDTGEN_H
#define MICA_VMM_FDTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

#define FDTGEN_MAX_RAM	   4u
#define FDTGEN_MAX_CPUS	   8u
#define FDTGEN_MAX_DEVICES 33u /* Devices, passthrough regions, channels, dynamic channels. */
#define FDTGEN_MAX_PROPS   4u  /* Extra properties of one device. */
#define FDTGEN_MAX_CLOCKS  8u  /* Clock names of one device. */

/* The phandles fdtgen gives out. */
#define FDTGEN_PHANDLE_GIC   1u
#define FDTGEN_PHANDLE_CLOCK 2u

/*
 * Interrupt specifier cells of the GIC binding; FDTGEN_IRQ_NONE (not a
 * binding value) for a device without an interrupt.
 */
#define FDTGEN_IRQ_SPI	       0u
#define FDTGEN_IRQ_PPI	       1u
#define FDTGEN_IRQ_NONE	       0u
#define FDTGEN_IRQ_EDGE_RISING 1u
#define FDTGEN_IRQ_LEVEL_HIGH  4u

/*
 * The guest's one clock, a fixed 24 MHz clock as QEMU virt's apb-pclk:
 * every clock a device names is this one (a PL011 names it as uartclk and
 * apb_pclk, and the AMBA bus probes no primecell without apb_pclk).
 */
#define FDTGEN_CLOCK_HZ 24000000u

struct fdtgen_range {
	uint64_t base;
	uint64_t size;
};

/* A property of a device's node: length bytes of value, as the tree holds them. */
struct fdtgen_prop {
	const char *name;
	const void *value; /* May be NULL when length is 0. */
	unsigned length;
};

/*
 * A device: the node /NAME@BASE with, in this order, compatible, reg (one
 * range), interrupts (one SPI) unless irq_type is FDTGEN_IRQ_NONE, clocks
 * and clock-names when it names clocks, then props. String lists are
 * NUL-terminated strings back to back, and their lengths count every
 * terminator, as the tree's property lengths do.
 */
struct fdtgen_device {
	const char *name; /* The node's name before '@': "pl011". */
	const char *compatible;
	size_t compatible_len; /* Above 0. */
	struct fdtgen_range reg;
	unsigned spi;		 /* SPI number: INTID - 32. */
	unsigned irq_type;	 /* FDTGEN_IRQ_NONE, _EDGE_RISING or _LEVEL_HIGH. */
	const char *clock_names; /* Each names the guest's clock; NULL (length 0): none. */
	size_t clock_names_len;
	struct fdtgen_prop props[FDTGEN_MAX_PROPS];
	unsigned prop_count;
	bool is_stdout; /* The console: /chosen's stdout-path names the first such. */
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
	struct fdtgen_device devices[FDTGEN_MAX_DEVICES];
	unsigned device_count;
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
 * 987, an unknown interrupt type, a device without a name or whose string
 * lists are empty or unterminated, more than FDTGEN_MAX_CLOCKS clocks or
 * FDTGEN_MAX_PROPS properties, an initrd that ends before it starts);
 * MICA_ERR_NOT_ENOUGH_MEMORY if buf is too small.
 */
enum mica_error fdtgen_build(const struct fdtgen_desc *desc, void *buf, size_t size,
			     size_t *dtb_size) __attribute__((warn_unused_result));

#endif
