/*
 * Device kinds: what a device server declares about the devices it
 * serves, so that the guest's device tree can describe them. The server
 * writes each declaration once, in its own C file:
 *
 *     VDEV_DEVICE_KIND(rtc, .compatible = "arm,pl031\0arm,primecell",
 *                      .node_name = "pl031", .clock_names = "apb_pclk");
 *
 * and the system description names only the device (its compatible, its
 * server, reg and interrupt). The macro puts the declaration in the
 * program's VDEV_KIND_SECTION, an ELF section that libs/user/user.ld
 * keeps. Nothing runs to produce it: the build (tools/check-system.c) and
 * the root task read the section out of the server's ELF file
 * (<formats/devkind.h>), check every device's compatible against it, and
 * the root task hands each VMM the kinds of its VM's devices in its boot
 * page (<mica/proto/vmm.h>), from which the VMM writes one node per device:
 *
 *     /NODE_NAME@BASE  compatible (the whole list), reg (from the
 *                      description), interrupts (its SPI, level high, if
 *                      it has one), clocks and clock-names (one entry per
 *                      clock name, each the guest's 24 MHz fixed clock),
 *                      then the extra properties, in order.
 *
 * The first compatible string identifies the kind: it is what a device's
 * 'compatible' in the description must equal. Everything here is fixed
 * size, with no pointers, so that it reads the same from an ELF file, a
 * boot page and the server's own memory.
 */
#ifndef MICA_PROTO_DEVKIND_H
#define MICA_PROTO_DEVKIND_H

#include <stdint.h>

/* The section of a server's ELF file that holds its kinds, one after another. */
#define VDEV_KIND_SECTION ".mica.device_kinds"

#define VDEV_KIND_MAGIC UINT64_C(0x444e494b56454456) /* "VDEVKIND" */

#define VDEV_KINDS_MAX		  8  /* Kinds one server may declare. */
#define VDEV_KIND_COMPATIBLE_MAX  64 /* Bytes of the compatible list, terminators included. */
#define VDEV_KIND_NODE_NAME_MAX	  16 /* Bytes of the node's name, terminator included. */
#define VDEV_KIND_CLOCK_NAMES_MAX 32 /* Bytes of the clock-name list. */
#define VDEV_KIND_PROPS_MAX	  4  /* Extra properties of a kind. */
#define VDEV_KIND_PROP_NAME_MAX	  32 /* Bytes of a property's name, terminator included. */
#define VDEV_KIND_PROP_VALUE_MAX  32 /* Bytes of a property's value. */

/*
 * Flags of a kind: what the guest's device tree says of it, and what the
 * root task gives its server for it.
 *
 * STDOUT        The device is the guest's console: /chosen's stdout-path
 *               names the first device of such a kind.
 * GUEST_RAM     The server reaches the guest's memory for it (a virtio
 *               device's rings and buffers): the root task maps the VM's
 *               RAM into the server (vdev_boot_device.ram_*). A VM with
 *               more than one memory region cannot have such a device yet.
 * MACHINE_UART  The server puts the device's output on the machine's
 *               console: the root task maps the machine's UART
 *               (vdev_boot.uart_va) and gives the server its interrupt.
 * EDGE_LINE     The device's interrupt is edge-triggered (rising, in the
 *               guest's tree) and reaches the guest without its VMM: the
 *               root task gives the server a notification
 *               (vdev_boot_device.line_cap) that the VMM binds to the
 *               guest's virtual interrupt (MICA_NOTIFICATION_BIND_VIRQ)
 *               wherever and whenever the guest has it enabled, and the
 *               library signals it when the device's line rises. Without
 *               it a line is level-sensitive, each change a Call to the
 *               VMM, and every interrupt ends with an exit to it.
 */
#define VDEV_KIND_STDOUT       (UINT32_C(1) << 0)
#define VDEV_KIND_GUEST_RAM    (UINT32_C(1) << 1)
#define VDEV_KIND_MACHINE_UART (UINT32_C(1) << 2)
#define VDEV_KIND_EDGE_LINE    (UINT32_C(1) << 3)
#define VDEV_KIND_FLAGS                                                                            \
	(VDEV_KIND_STDOUT | VDEV_KIND_GUEST_RAM | VDEV_KIND_MACHINE_UART | VDEV_KIND_EDGE_LINE)

/*
 * A property the guest's node has besides those above: its name, and its
 * value as the device tree holds it (big-endian cells, NUL-terminated
 * strings), length bytes of it; 0 for a property that is only present
 * ("dma-coherent"). An entry with an empty name ends the list.
 */
struct vdev_kind_prop {
	char name[VDEV_KIND_PROP_NAME_MAX];
	uint32_t length;
	uint8_t value[VDEV_KIND_PROP_VALUE_MAX];
	uint32_t reserved;
};

/*
 * One kind of device. The string lists (compatible, clock_names) are
 * NUL-terminated strings back to back, ended by an empty string or by the
 * end of the field: a C literal such as "arm,pl011\0arm,primecell" fills
 * one, the rest of the field being zero.
 */
struct vdev_kind {
	uint64_t magic;					  /* VDEV_KIND_MAGIC. */
	char compatible[VDEV_KIND_COMPATIBLE_MAX];	  /* At least one string. */
	char node_name[VDEV_KIND_NODE_NAME_MAX];	  /* The node is NODE_NAME@BASE. */
	char clock_names[VDEV_KIND_CLOCK_NAMES_MAX];	  /* May be empty: no clocks. */
	uint32_t flags;					  /* VDEV_KIND_*. */
	uint32_t reserved;				  /* 0. */
	struct vdev_kind_prop props[VDEV_KIND_PROPS_MAX]; /* Extra properties. */
};

_Static_assert(sizeof(struct vdev_kind_prop) == 72, "a kind's property is 72 bytes");
_Static_assert(sizeof(struct vdev_kind) == 416, "a kind is 416 bytes, with no padding");
_Static_assert(sizeof(struct vdev_kind) % 8 == 0, "kinds lie back to back, 8-byte aligned");

/*
 * Declare a kind the server serves: VDEV_DEVICE_KIND(name, .compatible =
 * ..., ...), the designated initializers of struct vdev_kind but magic. It
 * defines a static constant called name, which the server may use (or
 * not).
 */
#define VDEV_DEVICE_KIND(name, ...)                                                                \
	__attribute__((used, section(VDEV_KIND_SECTION),                                           \
		       aligned(8))) static const struct vdev_kind name = {                         \
		.magic = VDEV_KIND_MAGIC, __VA_ARGS__}

/*
 * Entries of a kind's props: a property that is only present, one cell, one
 * string. The name and the string stay bare: a char array takes a string
 * literal, not one in parentheses, hence the NOLINTs.
 */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define VDEV_PROP_EMPTY(prop_name)                                                                 \
	{                                                                                          \
		.name = prop_name, .length = 0                                                     \
	}
#define VDEV_PROP_U32(prop_name, v)                                                                \
	{                                                                                          \
		.name = prop_name, .length = 4,                                                    \
		.value = {(uint8_t)((v) >> 24), (uint8_t)((v) >> 16), (uint8_t)((v) >> 8),         \
			  (uint8_t)(v)},                                                           \
	}
#define VDEV_PROP_STRING(prop_name, s)                                                             \
	{                                                                                          \
		.name = prop_name, .length = sizeof(s), .value = s                                 \
	}
/* NOLINTEND(bugprone-macro-parentheses) */

#endif
