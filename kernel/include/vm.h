/*
 * VM objects: a guest's stage-2 root table (the first page, what the
 * translation code walks) and, in the page after it, what the kernel keeps
 * about the VM: the guest-physical ranges bound to device servers, the
 * vCPUs its guest's SGIs reach without an exit, and the notifications its
 * doorbells signal. Each binding holds its own copy of the endpoint's,
 * vCPU's or notification's capability, so it dies with the object and the
 * object cannot vanish while the binding refers to it.
 */
#ifndef MICA_VM_H
#define MICA_VM_H

#include "cap.h"

#include <mica/abi/invocation.h>

#define VM_MMIO_RANGES 24
#define VM_SGI_TARGETS MICA_VM_SGI_TARGETS
#define VM_DOORBELLS   MICA_VM_DOORBELLS
#define VM_SLOTS       (VM_MMIO_RANGES + VM_SGI_TARGETS + VM_DOORBELLS)

struct vm {
	/* The capabilities the VM holds, all deleted with it. */
	union {
		struct slot slots[VM_SLOTS];
		struct {
			struct slot
				mmio_ep[VM_MMIO_RANGES]; /* The bound endpoints; empty: unused. */
			struct slot sgi_vcpu[VM_SGI_TARGETS]; /* MICA_VM_BIND_SGI's vCPUs. */
			struct slot doorbell[VM_DOORBELLS];   /* MICA_VM_BIND_DOORBELL's. */
		};
	};
	uint64_t mmio_base[VM_MMIO_RANGES];
	uint64_t mmio_last[VM_MMIO_RANGES]; /* Inclusive, so a range may end at 2^64 - 1. */
	unsigned mmio_used;		    /* Ranges from this index on are unused. */
};

_Static_assert(offsetof(struct vm, sgi_vcpu) == VM_MMIO_RANGES * sizeof(struct slot),
	       "a VM's slots are one array");
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

/*
 * Make slots[n] (of count: an SGI target, a doorbell) hold a copy of the
 * capability in src with rights: MICA_ERR_RANGE past count,
 * MICA_ERR_DELETE_FIRST if it holds one.
 */
MUST_CHECK enum mica_error vm_bind(struct slot *slots, unsigned count, uint64_t n, struct slot *src,
				   unsigned rights);

/* Empty slots[n]; MICA_ERR_NOT_FOUND if it is empty. */
MUST_CHECK enum mica_error vm_unbind(struct slot *slots, unsigned count, uint64_t n);

/* The endpoint capability bound to the range holding ipa, or NULL. */
static inline __attribute__((always_inline)) const struct cap *vm_mmio_server(const struct vm *vm,
									      uint64_t ipa)
{
	for (unsigned i = 0; i < vm->mmio_used; i++) {
		const struct cap *c = &vm->mmio_ep[i].cap;

		if (c->type == MICA_OBJ_ENDPOINT &&
		    ipa - vm->mmio_base[i] <= vm->mmio_last[i] - vm->mmio_base[i])
			return c;
	}
	return NULL;
}

#endif
