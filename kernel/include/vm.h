/*
 * VM objects: a guest's stage-2 root table (the first page, what the
 * translation code walks) and, in the page after it, what the kernel keeps
 * about the VM: the guest-physical ranges bound to device servers. Each
 * range holds its own copy of the server's endpoint capability, so the
 * binding dies with the endpoint and the endpoint cannot vanish while the
 * binding refers to it.
 */
#ifndef MICA_VM_H
#define MICA_VM_H

#include "cap.h"

#define VM_MMIO_RANGES 24

struct vm {
	struct slot mmio_ep[VM_MMIO_RANGES]; /* The bound endpoints; empty: range unused. */
	uint64_t mmio_base[VM_MMIO_RANGES];
	uint64_t mmio_last[VM_MMIO_RANGES]; /* Inclusive, so a range may end at 2^64 - 1. */
};

_Static_assert(sizeof(struct vm) <= (1u << MICA_VM_BITS) - 4096, "struct vm fits after the root");

/* The kernel part of the VM a VM capability names. */
static inline struct vm *vm_of(const struct cap *c)
{
	return (struct vm *)(c->object + 4096);
}

/*
 * Bind [base, base + size) to a copy of the endpoint capability in ep:
 * MICA_ERR_INVALID_ARGUMENT for an empty or wrapping range,
 * MICA_ERR_ILLEGAL_OPERATION if it overlaps a bound one,
 * MICA_ERR_NOT_ENOUGH_MEMORY if every range is in use.
 */
MUST_CHECK enum mica_error vm_bind_mmio(struct vm *vm, uint64_t base, uint64_t size,
					struct slot *ep);

/* Drop the range that starts at base; MICA_ERR_NOT_FOUND if none does. */
MUST_CHECK enum mica_error vm_unbind_mmio(struct vm *vm, uint64_t base);

/* The endpoint capability bound to the range holding ipa, or NULL. */
const struct cap *vm_mmio_server(const struct vm *vm, uint64_t ipa);

#endif
