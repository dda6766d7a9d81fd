/*
 * What the root task learns at start: a read-only page at
 * MICA_ROOT_BOOT_INFO_VA (its address also arrives in x0) describing the
 * capabilities the kernel put in the root CNode.
 */
#ifndef MICA_ABI_BOOTINFO_H
#define MICA_ABI_BOOTINFO_H

#include <stdint.h>

#define MICA_BOOT_INFO_MAGIC UINT64_C(0x4f464e49414349de) /* "MICAINFO" scrambled */

/* Where the kernel puts things in the root task's address space. */
#define MICA_ROOT_ARCHIVE_VA	UINT64_C(0x0000007000000000) /* The boot archive, read-only. */
#define MICA_ROOT_BOOT_INFO_VA	UINT64_C(0x0000007fff100000) /* This page. */
#define MICA_ROOT_IPC_BUFFER_VA UINT64_C(0x0000007fff200000)
#define MICA_ROOT_STACK_TOP	UINT64_C(0x0000007fff000000) /* 64 KiB below it. */
#define MICA_ROOT_DTB_VA                                                                           \
	UINT64_C(0x0000007100000000) /* The machine's device tree's pages, read-only. */

/* The root CNode's size: 2^MICA_ROOT_CNODE_RADIX slots, guard so cptr = slot. */
#define MICA_ROOT_CNODE_RADIX 12

#define MICA_BOOT_MAX_UNTYPED 200

struct mica_untyped_desc {
	uint64_t paddr;
	uint8_t size_bits;
	uint8_t is_device; /* Device memory: only frames (and smaller Untyped) come from it. */
	uint8_t pad[6];
};

struct mica_boot_info {
	uint64_t magic;
	uint64_t root_cnode_radix;
	uint64_t untyped_first; /* Slots of the Untyped capabilities... */
	uint64_t untyped_count; /* ...described, in order, by untyped[]. */
	uint64_t empty_first;	/* Free slots of the root CNode: [empty_first, */
	uint64_t empty_end;	/*   empty_end). */
	uint64_t archive_size;	/* Bytes of boot archive at MICA_ROOT_ARCHIVE_VA. */
	uint64_t dtb_offset;	/* The machine's device tree: at MICA_ROOT_DTB_VA + dtb_offset, */
	uint64_t dtb_size;	/*   this many bytes (0: the kernel was given none). */
	uint64_t cpu_count;
	uint64_t max_priority; /* The root task's priority and MCP. */
	uint64_t tick_hz;
	struct mica_untyped_desc untyped[MICA_BOOT_MAX_UNTYPED];
};

_Static_assert(sizeof(struct mica_boot_info) <= 4096, "boot info fits a page");

#endif
