/*
 * Where a VM's guest goes in its RAM, decided from the system description
 * and the bytes of its kernel: an ELF file where its segments say, a Linux
 * arm64 Image where its header says, anything else as a raw binary at the
 * boot region's base + 0x80000; the device tree and initrd as image.c
 * places them. Pure logic: the VMM copies the bytes where the plan says
 * (guest.c), and the build runs the same plan over the image's files
 * (tools/check-system.c), so a guest that does not fit stops the build.
 */
#ifndef MICA_VMM_PLAN_H
#define MICA_VMM_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include <formats/elf.h>
#include <mica/abi/errors.h>
#include <mica/sysdesc.h>

#include "image.h"

/* Bytes of guest RAM the VMM reserves for the guest's device tree. */
#define PLAN_DTB_SIZE UINT64_C(0x10000)

struct guest_plan {
	bool is_elf;
	struct elf_image elf;	    /* is_elf: the segments to copy. */
	struct image_layout layout; /* The kernel (unless is_elf), DTB and initrd. */
	uint64_t entry;		    /* The boot vCPU's first PC; x0 is layout.dtb_addr. */
};

/* What is wrong, for "/vms/NAME: property 'PROPERTY': WHY". */
struct plan_error {
	const char *property; /* "kernel" or "initrd". */
	const char *why;
};

/*
 * Plan vm's guest: its kernel is the kernel_size bytes at kernel, its initrd
 * initrd_size bytes (0: none). ELF segments must each lie inside one RAM
 * region of vm; the rest goes in its boot region (regions[0]). Errors:
 * MICA_ERR_MALFORMED for an ELF file elf_parse refuses, and image_layout's;
 * *err then names the property at fault: "initrd" if the kernel alone would
 * fit, else "kernel".
 */
enum mica_error plan_guest(const struct sysdesc_vm *vm, const void *kernel, uint64_t kernel_size,
			   uint64_t initrd_size, struct guest_plan *out, struct plan_error *err)
	__attribute__((warn_unused_result));

#endif
