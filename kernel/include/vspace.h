/*
 * Host address spaces as objects: VSpaces with their ASIDs, page tables
 * and frames mapped into them by capability.
 */
#ifndef MICA_VSPACE_H
#define MICA_VSPACE_H

#include "cap.h"
#include "vmid.h"

/* ASIDs and VM handles the kernel hands out (0 is never used). */
#define ASID_COUNT 4096

/* cap.is_mapped of a frame or page table: where its mapping lives. */
#define CAP_MAPPED	  1 /* A host VSpace (data2 is the ASID). */
#define CAP_MAPPED_STAGE2 2 /* A VM (data2 is the VMID). */

/*
 * A new VSpace object's ASID, recorded so the ASID can be reused once the
 * VSpace is gone; 0 when all are taken (the VSpace is then unusable).
 */
uint16_t asid_alloc(uintptr_t vspace);
void asid_free(uint16_t asid);
uint16_t vmid_alloc(uintptr_t vm);
void vmid_free(uint16_t vmid);

/* The translation handle of a VSpace or VM capability (asid 0 if unusable). */
struct arch_vspace vspace_of(const struct cap *vspace);

/* Map the frame capability in slot frame into vspace at va; see the ABI. */
MUST_CHECK enum mica_error frame_map(struct slot *frame, const struct cap *vspace, uint64_t va,
				     unsigned rights, uint64_t attrs);
void frame_unmap(struct cap *frame);

MUST_CHECK enum mica_error page_table_map(struct slot *pt, const struct cap *vspace, uint64_t va);
void page_table_unmap(struct cap *pt);

#endif
