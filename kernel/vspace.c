/*
 * VSpaces, VMs, page tables and frames. A frame or page table capability
 * maps at most once; it records where (the address space's ID with that
 * ID's generation, and the address), so deleting the capability can remove
 * exactly its own mapping. Removal re-checks first: the address space may
 * be gone (its ID perhaps given to another since, which the generation
 * tells apart), or the address remapped.
 *
 * A page table leaves its address space empty: unmapping it (or deleting
 * its capability) clears every entry in it, so nothing mapped through it
 * stays reachable once the table is mapped again, and no mapping outlives
 * the frame capability that made it by hiding in a table no walk reaches.
 */
#include <string.h>

#include "arch.h"
#include "sched.h"
#include "vspace.h"

#include <mica/abi/invocation.h>

/*
 * Which root table each ASID (host) or VM handle (guest) names now (0:
 * free; 0 is never given out), and how many times it has been given out:
 * a mapping made under an earlier generation belongs to a dead space.
 */
struct id_entry {
	uintptr_t root;
	uint32_t generation;
};

static struct id_entry asid_table[ASID_COUNT];
static struct id_entry vmid_table[VMID_COUNT];

static uint16_t id_alloc(struct id_entry *table, unsigned count, uintptr_t root)
{
	for (unsigned id = 1; id < count; id++) {
		if (table[id].root == 0) {
			table[id].root = root;
			table[id].generation++;
			return (uint16_t)id;
		}
	}
	return 0;
}

void vspace_create(struct cap *c)
{
	bool stage2 = c->type == MICA_OBJ_VM;
	uint16_t id = stage2 ? id_alloc(vmid_table, VMID_COUNT, c->object)
			     : id_alloc(asid_table, ASID_COUNT, c->object);
	struct arch_vspace vs;

	c->data2 = id;
	vs = vspace_of(c);
	/* Without an ID the space cannot be used, and no thread may run in it. */
	c->data = id != 0 ? arch_vspace_token(&vs) : 0;
}

void vspace_destroy(const struct cap *c)
{
	struct arch_vspace vs = vspace_of(c);
	uint16_t id = (uint16_t)c->data2;

	if (id == 0)
		return;
	sched_vspace_destroyed(c->data, vs.stage2);
	if (vs.stage2) {
		vmid_table[id].root = 0;
		vmid_release(&vmids, id);
	} else {
		asid_table[id].root = 0;
		arch_asid_invalidate(id);
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

uint64_t vspace_mapping_record(const struct arch_vspace *vs)
{
	const struct id_entry *table = vs->stage2 ? vmid_table : asid_table;

	return vs->asid | (uint64_t)table[vs->asid].generation << MAPPING_GENERATION_SHIFT;
}

static bool is_address_space(const struct cap *c)
{
	return c->type == MICA_OBJ_VSPACE || c->type == MICA_OBJ_VM;
}

/* The address space a mapping record names, if it is still the one the mapping was made in. */
static bool vspace_by_record(uint64_t record, bool stage2, struct arch_vspace *out)
{
	const struct id_entry *table = stage2 ? vmid_table : asid_table;
	unsigned count = stage2 ? VMID_COUNT : ASID_COUNT;
	uint16_t id = (uint16_t)(record & MAPPING_ID_MASK);

	if (id == 0 || id >= count || table[id].root == 0 ||
	    table[id].generation != (uint32_t)(record >> MAPPING_GENERATION_SHIFT))
		return false;
	out->root_pa = pa_addr(arch_virt_to_phys((const void *)table[id].root));
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
	f->data2 = vspace_mapping_record(&vs);
	return MICA_OK;
}

void frame_unmap(struct cap *f)
{
	struct arch_vspace vs;

	if (!f->is_mapped)
		return;
	if (vspace_by_record(f->data2, f->is_mapped == CAP_MAPPED_STAGE2, &vs))
		arch_vspace_unmap(&vs, va_init(f->data), pa_init(f->object), f->size_bits);
	f->is_mapped = 0;
	f->map_rights = 0;
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
	t->data2 = vspace_mapping_record(&vs);
	return MICA_OK;
}

void page_table_unmap(struct cap *t)
{
	struct arch_vspace vs;

	if (!t->is_mapped)
		return;
	if (vspace_by_record(t->data2, t->is_mapped == CAP_MAPPED_STAGE2, &vs))
		arch_vspace_unmap_table(&vs, va_init(t->data),
					arch_virt_to_phys((const void *)t->object));
	/*
	 * Whether or not a walk still reached it, nothing the table held may
	 * come back when it is mapped again. If it was reachable, unmapping
	 * flushed its address space's translations; if not, they went when it
	 * stopped being reachable (its parent table cleared, its space gone).
	 */
	memset((void *)t->object, 0, (size_t)1 << MICA_PAGE_TABLE_BITS);
	t->is_mapped = 0;
	t->data = 0;
	t->data2 = 0;
}
