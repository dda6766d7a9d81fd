/*
 * Address spaces as objects: VSpaces (host, with an ASID) and VMs (stage
 * 2, with a VM handle), and the page tables and frames mapped into them by
 * capability.
 */
#ifndef MICA_VSPACE_H
#define MICA_VSPACE_H

#include "cap.h"
#include "vmid.h"

#include <mica/abi/objects.h>

/* ASIDs the kernel hands out (0 is never used). */
#define ASID_COUNT 4096

/* cap.is_mapped of a frame or page table: where its mapping lives. */
#define CAP_MAPPED	  1 /* A host VSpace. */
#define CAP_MAPPED_STAGE2 2 /* A VM. */

/*
 * A mapping's record (data2 of a mapped frame or page table capability):
 * the address space's ASID or VM handle in the low bits, and the
 * generation of that ID when the mapping was made above them.
 */
#define MAPPING_ID_MASK		 UINT64_C(0xffff)
#define MAPPING_GENERATION_SHIFT 16
#define MAPPING_GENERATION_MASK	 (UINT64_MAX >> MAPPING_GENERATION_SHIFT)

/* At boot: block 0 of each kind of ID is the kernel's (the root task's VSpace takes one). */
void vspace_boot_init(void);

/*
 * A new ASID pool capability (out) of kind (enum mica_asid_pool_kind),
 * owning a free block of IDs: MICA_ERR_INVALID_ARGUMENT for an unknown
 * kind, MICA_ERR_NOT_ENOUGH_MEMORY when no block is free.
 */
MUST_CHECK enum mica_error asid_pool_make(uint64_t kind, struct cap *out);

/* The last capability to a pool is gone: its block is free once its IDs are. */
void asid_pool_destroy(const struct cap *pool);

/* May count spaces of type (VSpace or VM) take IDs from pool (NULL: none given)? */
MUST_CHECK enum mica_error asid_pool_check(const struct cap *pool, enum mica_object_type type,
					   uint64_t count);

/*
 * A new VSpace or VM capability c (object set) gets an ID from block (data2;
 * 0 when none is free, and the space is then unusable) and the token that
 * names it to the scheduler (data, arch_vspace_token; 0 without an ID).
 */
void vspace_create(struct cap *c, unsigned block);

/* The last capability to a VSpace or VM is gone: no CPU may use it, and its ID is free. */
void vspace_destroy(const struct cap *c);

/* The translation handle of a VSpace or VM capability (asid 0 if unusable). */
struct arch_vspace vspace_of(const struct cap *vspace);

/* The record a mapping made in vs now carries (see MAPPING_ID_MASK). */
uint64_t vspace_mapping_record(const struct arch_vspace *vs);

/* Map the frame capability in slot frame into vspace at va; see the ABI. */
MUST_CHECK enum mica_error frame_map(struct slot *frame, const struct cap *vspace, uint64_t va,
				     unsigned rights, uint64_t attrs);
void frame_unmap(struct cap *frame);

MUST_CHECK enum mica_error page_table_map(struct slot *pt, const struct cap *vspace, uint64_t va);

/* Unmap the table if it is mapped, and clear every entry in it. */
void page_table_unmap(struct cap *pt);

#endif
