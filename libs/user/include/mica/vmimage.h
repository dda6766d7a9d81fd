/*
 * Building a guest's memory from the root task: fresh RAM pages mapped into
 * a VM (with stage-2 page tables made as needed), filled from an ELF image.
 * Uses <mica/alloc.h> for objects and slots.
 */
#ifndef MICA_USER_VMIMAGE_H
#define MICA_USER_VMIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

/* Where pages pass through the caller's own address space to be filled. */
#define VMIMAGE_SCRATCH_VA UINT64_C(0x0000006100000000)

/*
 * Map the frame capability frame into vm at ipa with rights and attributes
 * as MICA_FRAME_MAP takes them, making the stage-2 page tables on the way
 * if they are missing (a device frame: passthrough).
 */
enum mica_error vm_map_frame(uint64_t vm, uint64_t frame, uint64_t ipa, unsigned rights,
			     unsigned attrs) __attribute__((warn_unused_result));

/*
 * A fresh 4 KiB page holding len bytes of data (zero after them) mapped
 * into vm at ipa, readable, writable and executable.
 */
enum mica_error vm_map_page(uint64_t vm, uint64_t ipa, const void *data, size_t len)
	__attribute__((warn_unused_result));

/*
 * Every page the loadable segments of the ELF file at elf (size bytes)
 * touch, filled with their contents, mapped into vm at their addresses
 * (guest-physical). *entry is the entry point.
 */
enum mica_error vm_load_elf(uint64_t vm, const void *elf, size_t size, uint64_t *entry)
	__attribute__((warn_unused_result));

#endif
