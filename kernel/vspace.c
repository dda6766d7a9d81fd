/*
 * VSpaces, page tables and frames. A frame or page table capability maps
 * at most once; it records where (ASID and address), so deleting the
 * capability can remove exactly its own mapping. Removal re-checks the
 * tables first: the VSpace may be gone, or the address remapped since.
 */
#include "arch.h"
#include "vspace.h"

#include <mica/abi/invocation.h>

/* Which root table each ASID (host) or VMID (guest) names now; 0 is never given out. */
static uintptr_t asid_table[ASID_COUNT];
static uintptr_t vmid_table[VMID_COUNT];

static uint16_t id_alloc(uintptr_t *table, unsigned count, uintptr_t root)
{
	for (unsigned id = 1; id < count; id++) {
		if (table[id] == 0) {
			table[id] = root;
			return (uint16_t)id;
		}
	}
	return 0;
}

uint16_t asid_alloc(uintptr_t vspace)
{
	return id_alloc(asid_table, ASID_COUNT, vspace);
}

void asid_free(uint16_t asid)
{
	if (asid != 0 && asid < ASID_COUNT) {
		asid_table[asid] = 0;
		arch_asid_invalidate(asid);
	}
}

uint16_t vmid_alloc(uintptr_t vm)
{
	return id_alloc(vmid_table, VMID_COUNT, vm);
}

void vmid_free(uint16_t vmid)
{
	if (vmid != 0 && vmid < VMID_COUNT) {
		vmid_table[vmid] = 0;
		vmid_release(&vmids, vmid);
	}
}

struct arch_vspace vspace_of(const struct cap *vspace)
{
	return (struct arch_vspace){
		.root_pa = pa_addr(arch_virt_to_phys((const void *)vspace->object)),
		.asid = (uint16_t)vspace->data2,
		.stage2 = vspace->type == MICA_OBJ_VM,
	};
}

static bool is_address_space(const struct cap *c)
{
	return c->type == MICA_OBJ_VSPACE || c->type == MICA_OBJ_VM;
}

/* The address space an ASID (or, for stage 2, a VMID) belongs to now, if any. */
static bool vspace_by_id(uint16_t id, bool stage2, struct arch_vspace *out)
{
	const uintptr_t *table = stage2 ? vmid_table : asid_table;
	unsigned count = stage2 ? VMID_COUNT : ASID_COUNT;

	if (id == 0 || id >= count || table[id] == 0)
		return false;
	out->root_pa = pa_addr(arch_virt_to_phys((const void *)table[id]));
	out->asid = id;
	out->stage2 = stage2;
	return true;
}

enum mica_error frame_map(struct slot *frame, const struct cap *vspace, uint64_t va,
			  unsigned rights, uint64_t attrs)
{
	struct cap *f = &frame->cap;
	struct arch_vspace vs = vspace_of(vspace);
	unsigned prot = 0;
	enum mica_error err;

	if (!is_address_space(vspace))
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
	f->is_mapped = vs.stage2 ? CAP_MAPPED_STAGE2 : CAP_MAPPED;
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
	if (vspace_by_id((uint16_t)f->data2, f->is_mapped == CAP_MAPPED_STAGE2, &vs))
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

	if (!is_address_space(vspace))
		return MICA_ERR_WRONG_TYPE;
	if (vs.asid == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	if (t->is_mapped)
		return MICA_ERR_ILLEGAL_OPERATION;
	err = arch_vspace_map_table(&vs, va_init(va), arch_virt_to_phys((const void *)t->object));
	if (err != MICA_OK)
		return err;
	t->is_mapped = vs.stage2 ? CAP_MAPPED_STAGE2 : CAP_MAPPED;
	t->data = va;
	t->data2 = vs.asid;
	return MICA_OK;
}

void page_table_unmap(struct cap *t)
{
	struct arch_vspace vs;

	if (!t->is_mapped)
		return;
	if (vspace_by_id((uint16_t)t->data2, t->is_mapped == CAP_MAPPED_STAGE2, &vs))
		arch_vspace_unmap_table(&vs, va_init(t->data),
					arch_virt_to_phys((const void *)t->object));
	t->is_mapped = 0;
	t->data = 0;
	t->data2 = 0;
}
