/*
 * The guest's memory as the VMM sees it, and loading a guest into it: the
 * kernel (a Linux arm64 Image placed by its header, an ELF file, or a raw
 * binary at RAM + 0x80000), the initrd, and the device tree that
 * describes the VM to it.
 */
#ifndef MICA_VMM_GUEST_H
#define MICA_VMM_GUEST_H

#include <stdint.h>

#include <mica/abi/errors.h>
#include <mica/proto/vmm.h>
#include <mica/sysdesc.h>

#include "plan.h"

struct guest {
	const struct vmm_boot *boot;
	const struct sysdesc *desc;
	const struct sysdesc_vm *vm; /* desc's VM boot->vm_index. */
	uint64_t entry;		     /* The boot vCPU's first PC... */
	uint64_t x0;		     /* ...and x0: the device tree's guest-physical address. */
	uint64_t dtb_addr;
	uint64_t dtb_size;
	uint64_t initrd_start, initrd_end;
};

/* vCPU i's affinity (MPIDR_EL1's Aff fields): Aff0 = i, one cluster. */
static inline uint64_t guest_vcpu_mpidr(unsigned i)
{
	return i;
}

void guest_init(struct guest *g, const struct vmm_boot *boot, const struct sysdesc *desc);

/*
 * Where [ipa, ipa + len) of guest RAM is in the VMM, or NULL unless it lies
 * inside one RAM region.
 */
void *guest_ptr(const struct guest *g, uint64_t ipa, uint64_t len);

/*
 * Load the kernel and initrd into RAM where plan_guest says and write the
 * device tree; g->entry and g->x0 say how to start. On failure *err says
 * what went wrong and names the description's property at fault (NULL when
 * none is: the device tree could not be built).
 */
enum mica_error guest_load(struct guest *g, struct plan_error *err)
	__attribute__((warn_unused_result));

#endif
