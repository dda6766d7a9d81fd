/*
 * VSpaces, page tables and frames. A frame or page table capability maps
 * at most once; it records where (ASID and address), so deleting the
 * capability can remove exactly its own mapping. Removal re-checks the
 * tables first: the VSpace may be gone, or the address remapped since.
 */
#include "arch.h"
#include "vspace.h"

#include <mica/abi/invocation.h>

static uintptr_t asid_table[ASID_COUNT];

uint16_t asid_alloc(uintptr_t vspace)
{
	for (unsigned asid = 1; asid < ASID_COUNT; asid++) {
		if (asid_table[asid] == 0) {
			asid_table[asid] = vspace;
			return (uint16_t)asid;
		}
	}
	return 0;
}

void asid_free(uint16_t asid)
{
	if (asid != 0 && asid < ASID_COUNT) {
		asid_table[asid] = 0;
		arch_asid_invalidate(asid);
	}
}

struct arch_vspace vspace_of(const struct cap *vspace)
{
	return (struct arch_vspace){
		.root_pa = pa_addr(arch_virt_to_phys((const void *)vspace->object)),
		.asid = (uint16_t)vspace->data2,
	};
}

/* The VSpace an ASID belongs to now, or an empty handle if none. */
static bool vspace_by_asid(uint16_t asid, struct arch_vspace *out)
{
	if (asid == 0 || asid >= ASID_COUNT || asid_table[asid] == 0)
		return false;
	out->root_pa = pa_addr(arch_virt_to_phys((const void *)asid_table[asid]));
	out->asid = asid;
	return true;
}

enum mica_error frame_map(struct slot *frame, const struct cap *vspace, uint64_t va,
			  unsigned rights, uint64_t attrs)
{
	struct cap *f = &frame->cap;
	struct arch_vspace vs = vspace_of(vspace);
	unsigned prot = 0;
	enum mica_error err;

	if (vspace->type != MICA_OBJ_VSPACE)
		return MICA_ERR_WRONG_TYPE;
	if (vs.asid == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (f->is_mapped)
		return MICA_ERR_ILLEGAL_OPERATION;
	if ((rights & ~(unsigned)(MICA_RIGHT_READ | MICA_RIGHT_WRITE)) != 0 ||
	    (attrs & ~(uint64_t)MICA_MAP_EXECUTE) != 0)
		return MICA_ERR_INVALID_ARGUMENT;
	/* A mapping can have at most the rights of the capability. */
	if ((rights & f->rights) != rights)
		return MICA_ERR_NO_RIGHTS;
	if (rights & MICA_RIGHT_READ)
		prot |= MAP_READ;
	if (rights & MICA_RIGHT_WRITE)
		prot |= MAP_READ | MAP_WRITE;
	if (attrs & MICA_MAP_EXECUTE)
		prot |= MAP_READ | MAP_EXEC;
	if (f->is_device)
		prot |= MAP_DEVICE;
	if (prot == 0)
		return MICA_ERR_INVALID_ARGUMENT;
	err = arch_vspace_map(&vs, va_init(va), pa_init(f->object), f->size_bits, prot, NULL);
	if (err != MICA_OK)
		return err;
	f->is_mapped = 1;
	f->map_rights = (uint8_t)rights;
	f->data = va;
	f->data2 = vs.asid;
	return MICA_OK;
}

void frame_unmap(struct cap *f)
{
	struct arch_vspace vs;

	if (!f->is_mapped)
		return;
	if (vspace_by_asid((uint16_t)f->data2, &vs))
		arch_vspace_unmap(&vs, va_init(f->data), pa_init(f->object), f->size_bits);
	f->is_mapped = 0;
	f->data = 0;
	f->data2 = 0;
}

enum mica_error page_table_map(struct slot *pt, const struct cap *vspace, uint64_t va)
{
	struct cap *t = &pt->cap;
	struct arch_vspace vs = vspace_of(vspace);
	enum mica_error err;

	if (vspace->type != MICA_OBJ_VSPACE)
		return MICA_ERR_WRONG_TYPE;
	if (vs.asid == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (t->is_mapped)
		return MICA_ERR_ILLEGAL_OPERATION;
	err = arch_vspace_map_table(&vs, va_init(va), arch_virt_to_phys((const void *)t->object));
	if (err != MICA_OK)
		return err;
	t->is_mapped = 1;
	t->data = va;
	t->data2 = vs.asid;
	return MICA_OK;
}

void page_table_unmap(struct cap *t)
{
	struct arch_vspace vs;

	if (!t->is_mapped)
		return;
	if (vspace_by_asid((uint16_t)t->data2, &vs))
		arch_vspace_unmap_table(&vs, va_init(t->data),
					arch_virt_to_phys((const void *)t->object));
	t->is_mapped = 0;
	t->data = 0;
	t->data2 = 0;
}
