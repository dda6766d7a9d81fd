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
	uint64_t generation; /* 48 bits of it go into a record: they never wrap. */
};

/*
 * The IDs of each kind come in blocks of MICA_ASID_POOL_SIZE. An ASID pool
 * owns one block (block 0 is the kernel's, for the root task's VSpace); a
 * block is free for a new pool once no pool owns it and no space holds an
 * ID from it.
 */
struct id_block {
	bool is_owned;
	uint8_t used;
};

struct id_space {
	struct id_entry id[MICA_ASID_POOL_SIZE * MICA_ASID_POOL_COUNT];
	struct id_block block[MICA_ASID_POOL_COUNT];
};

static struct id_space spaces[2]; /* Indexed by enum mica_asid_pool_kind. */

_Static_assert(MICA_ASID_POOL_SIZE *MICA_ASID_POOL_COUNT == ASID_COUNT, "ASIDs in blocks");
_Static_assert(MICA_ASID_POOL_SIZE *MICA_ASID_POOL_COUNT == VMID_COUNT, "VM handles in blocks");

static struct id_space *space_of_kind(bool stage2)
{
	return &spaces[stage2 ? MICA_ASID_POOL_VM : MICA_ASID_POOL_VSPACE];
}

/* The number of free IDs in block b of s. */
static unsigned block_free(const struct id_space *s, unsigned b)
{
	unsigned first = b * MICA_ASID_POOL_SIZE;

	/* ID 0 (in block 0) is never given out. */
	return MICA_ASID_POOL_SIZE - s->block[b].used - (first == 0);
}

static uint16_t id_alloc(struct id_space *s, unsigned b, uintptr_t root)
{
	for (unsigned id = b * MICA_ASID_POOL_SIZE; id < (b + 1) * MICA_ASID_POOL_SIZE; id++) {
		if (id != 0 && s->id[id].root == 0) {
			s->id[id].root = root;
			s->id[id].generation++;
			s->block[b].used++;
			return (uint16_t)id;
		}
	}
	return 0;
}

static void id_free(struct id_space *s, uint16_t id)
{
	s->id[id].root = 0;
	s->block[id / MICA_ASID_POOL_SIZE].used--;
}

void vspace_boot_init(void)
{
	unsigned asids = arch_asid_count();

	spaces[MICA_ASID_POOL_VSPACE].block[0].is_owned = true;
	spaces[MICA_ASID_POOL_VM].block[0].is_owned = true;
	/*
	 * A CPU with 8-bit ASIDs ignores the upper bits: ASID n and n + 256
	 * would share TLB entries. Blocks past what it tells apart are never
	 * given out. (VM handles need no such limit: they map to hardware
	 * VMIDs by generation, vmid.h.)
	 */
	for (unsigned b = 0; b < MICA_ASID_POOL_COUNT; b++)
		if (b * MICA_ASID_POOL_SIZE >= asids)
			spaces[MICA_ASID_POOL_VSPACE].block[b].is_owned = true;
}

enum mica_error asid_pool_make(uint64_t kind, struct cap *out)
{
	struct id_space *s;

	if (kind > MICA_ASID_POOL_VM)
		return MICA_ERR_INVALID_ARGUMENT;
	s = &spaces[kind];
	for (unsigned b = 1; b < MICA_ASID_POOL_COUNT; b++) {
		if (!s->block[b].is_owned && s->block[b].used == 0) {
			s->block[b].is_owned = true;
			/*
			 * object names the pool, distinct for each block and
			 * kind: capabilities to one pool are copies of each
			 * other, and to another pool are not (cap_same_object).
			 */
			*out = (struct cap){.type = MICA_OBJ_ASID_POOL,
					    .rights = MICA_RIGHTS_ALL,
					    .object = kind * MICA_ASID_POOL_COUNT + b,
					    .data = b,
					    .data2 = kind};
			return MICA_OK;
		}
	}
	return MICA_ERR_NOT_ENOUGH_MEMORY;
}

void asid_pool_destroy(const struct cap *pool)
{
	spaces[pool->data2].block[pool->data].is_owned = false;
}

enum mica_error asid_pool_check(const struct cap *pool, enum mica_object_type type, uint64_t count)
{
	if (pool == NULL)
		return MICA_ERR_INVALID_CAPABILITY;
	if (pool->type != MICA_OBJ_ASID_POOL ||
	    pool->data2 != (type == MICA_OBJ_VM ? MICA_ASID_POOL_VM : MICA_ASID_POOL_VSPACE))
		return MICA_ERR_WRONG_TYPE;
	if (block_free(&spaces[pool->data2], (unsigned)pool->data) < count)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	return MICA_OK;
}

void vspace_create(struct cap *c, unsigned block)
{
	bool stage2 = c->type == MICA_OBJ_VM;
	uint16_t id = id_alloc(space_of_kind(stage2), block, c->object);
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
	id_free(space_of_kind(vs.stage2), id);
	if (vs.stage2)
		vmid_release(&vmids, id);
	else
		arch_asid_invalidate(id);
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
	const struct id_entry *e = &space_of_kind(vs->stage2)->id[vs->asid];

	return vs->asid | e->generation << MAPPING_GENERATION_SHIFT;
}

static bool is_address_space(const struct cap *c)
{
	return c->type == MICA_OBJ_VSPACE || c->type == MICA_OBJ_VM;
}

/* The address space a mapping record names, if it is still the one the mapping was made in. */
static bool vspace_by_record(uint64_t record, bool stage2, struct arch_vspace *out)
{
	const struct id_entry *table = space_of_kind(stage2)->id;
	uint16_t id = (uint16_t)(record & MAPPING_ID_MASK);

	if (id == 0 || id >= ASID_COUNT || table[id].root == 0 ||
	    (table[id].generation & MAPPING_GENERATION_MASK) != record >> MAPPING_GENERATION_SHIFT)
		return false;
	out->root_pa = pa_addr(arch_virt_to_phys((const void *)table[id].root));
	out->asid = id;
	out->stage2 = stage2;
	return true;
}

/*
 * Where a frame maps through into: an address space, or a page table that
 * is mapped in one, which lends exactly the addresses its own entries map
 * (a window of a VM for whoever holds the table, and nothing else of it).
 */
static enum mica_error map_target(const struct cap *into, uint64_t va, unsigned page_bits,
				  struct arch_vspace *vs)
{
	if (into->type == MICA_OBJ_PAGE_TABLE) {
		if (!into->is_mapped ||
		    !vspace_by_record(into->data2, into->is_mapped == CAP_MAPPED_STAGE2, vs))
			return MICA_ERR_ILLEGAL_OPERATION;
		if (!arch_vspace_in_table(vs, va_init(va), page_bits,
					  arch_virt_to_phys((const void *)into->object)))
			return MICA_ERR_RANGE;
		return MICA_OK;
	}
	if (!is_address_space(into))
		return MICA_ERR_WRONG_TYPE;
	*vs = vspace_of(into);
	return vs->asid != 0 ? MICA_OK : MICA_ERR_NOT_ENOUGH_MEMORY;
}

enum mica_error frame_map(struct slot *frame, const struct cap *vspace, uint64_t va,
			  unsigned rights, uint64_t attrs)
{
	struct cap *f = &frame->cap;
	struct arch_vspace vs;
	unsigned prot = 0;
	enum mica_error err = map_target(vspace, va, f->size_bits, &vs);

	if (err != MICA_OK)
		return err;
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
