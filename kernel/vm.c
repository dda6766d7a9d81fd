/*
 * The guest-physical ranges of a VM bound to device servers, and the vCPUs
 * its SGIs reach directly. A handful of ranges per VM, looked up on every
 * MMIO exit: a short array scanned in order is both the smallest and, at
 * this size, the fastest structure.
 */
#include "cnode.h"
#include "vm.h"

enum mica_error vm_bind_mmio(struct vm *vm, uint64_t base, uint64_t size, struct slot *ep)
{
	uint64_t last = base + size - 1;
	struct slot *free = NULL;

	if (size == 0 || last < base)
		return MICA_ERR_INVALID_ARGUMENT;
	for (unsigned i = 0; i < VM_MMIO_RANGES; i++) {
		if (slot_is_empty(&vm->mmio_ep[i])) {
			if (free == NULL)
				free = &vm->mmio_ep[i];
			continue;
		}
		if (base <= vm->mmio_last[i] && vm->mmio_base[i] <= last)
			return MICA_ERR_ILLEGAL_OPERATION;
	}
	if (free == NULL)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (cnode_copy(free, ep, MICA_RIGHTS_ALL, false, 0) != MICA_OK)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	vm->mmio_base[free - vm->mmio_ep] = base;
	vm->mmio_last[free - vm->mmio_ep] = last;
	if (vm->mmio_used <= (unsigned)(free - vm->mmio_ep))
		vm->mmio_used = (unsigned)(free - vm->mmio_ep) + 1;
	return MICA_OK;
}

enum mica_error vm_unbind_mmio(struct vm *vm, uint64_t base)
{
	for (unsigned i = 0; i < VM_MMIO_RANGES; i++) {
		if (!slot_is_empty(&vm->mmio_ep[i]) && vm->mmio_base[i] == base) {
			slot_delete(&vm->mmio_ep[i]);
			return MICA_OK;
		}
	}
	return MICA_ERR_NOT_FOUND;
}

enum mica_error vm_bind(struct slot *slots, unsigned count, uint64_t n, struct slot *src,
			unsigned rights)
{
	if (n >= count)
		return MICA_ERR_RANGE;
	if (!slot_is_empty(&slots[n]))
		return MICA_ERR_DELETE_FIRST;
	return cnode_copy(&slots[n], src, rights, false, 0);
}

enum mica_error vm_unbind(struct slot *slots, unsigned count, uint64_t n)
{
	if (n >= count)
		return MICA_ERR_RANGE;
	if (slot_is_empty(&slots[n]))
		return MICA_ERR_NOT_FOUND;
	slot_delete(&slots[n]);
	return MICA_OK;
}
