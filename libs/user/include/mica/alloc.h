/*
 * A small allocator for the root task: free slots of its CNode and kernel
 * objects made from the Untyped capabilities the kernel handed it at boot
 * (<mica/abi/bootinfo.h>).
 *
 * Slots come from the boot info's empty range [empty_first, empty_end), in
 * order, plus any the caller gives back. Objects come from the non-device
 * Untyped capabilities. The kernel places each new object at its Untyped's
 * watermark rounded up to the object's size, so the allocator keeps a local
 * copy of every watermark and picks an Untyped in which the object fits; it
 * never has to ask the kernel, and a retype it starts does not fail for lack
 * of room. The copy is only right while nobody else retypes those Untyped
 * capabilities: after alloc_init the allocator owns them all.
 *
 * Device memory (boot info entries with is_device set) is handed out page by
 * page with alloc_device_frame, and RAM at a chosen address (guest memory
 * mapped at its own physical address) with alloc_ram_frame_at. The kernel
 * carves an Untyped in address order only, so reaching one address means
 * using up the memory in front of it: the allocator splits that memory into
 * the fewest aligned Untyped pieces and keeps them, so that later requests
 * there (and, for RAM, alloc_object) still use it. Take RAM at chosen
 * addresses before anything else: alloc_object may already have used it.
 *
 * Every capability address the allocator returns is a slot of the root
 * CNode, which the kernel gives a guard so that cptr N names slot N (depth
 * 64). Not thread-safe: use it from one thread of the root task.
 */
#ifndef MICA_USER_ALLOC_H
#define MICA_USER_ALLOC_H

#include <stdint.h>

#include <mica/abi/bootinfo.h>
#include <mica/abi/errors.h>
#include <mica/abi/objects.h>

/* Untyped capabilities the allocator can track: the boot ones and device splits. */
#define ALLOC_MAX_UNTYPED 256

/* Slots given back with alloc_slot_free that are remembered for reuse. */
#define ALLOC_MAX_FREED_SLOTS 64

/* An allocation's outcome: the new capability's address, or 0 and why not. */
struct alloc_ret {
	enum mica_error err;
	uint64_t cptr;
};

/*
 * Take over the slots and Untyped capabilities that info describes. Returns
 * MICA_ERR_MALFORMED if info is not a boot info page (wrong magic) or
 * describes more Untyped capabilities than ALLOC_MAX_UNTYPED. Call it once,
 * before anything else here.
 */
enum mica_error alloc_init(const struct mica_boot_info *info) __attribute__((warn_unused_result));

/* An empty slot of the root CNode, or 0 when none is left. */
uint64_t alloc_slot(void);

/*
 * Give back a slot the caller has emptied, for alloc_slot to hand out again.
 * A full reuse list forgets the slot; the root CNode then has one less.
 */
void alloc_slot_free(uint64_t slot);

/*
 * A new object of type in a fresh slot. size_bits is what Untyped retype
 * takes: the radix of a CNode, the log2 size of an Untyped, ignored for
 * types of fixed size. Errors: MICA_ERR_INVALID_ARGUMENT for a type or size
 * no Untyped can become (IRQ objects, a bad radix);
 * MICA_ERR_NOT_ENOUGH_MEMORY when no slot or no Untyped with room is left;
 * otherwise the kernel's answer to the retype. No slot is used on failure.
 */
struct alloc_ret alloc_object_ret(enum mica_object_type type, unsigned size_bits)
	__attribute__((warn_unused_result));

/* alloc_object_ret's capability alone: its address, or 0 on any failure. */
uint64_t alloc_object(enum mica_object_type type, unsigned size_bits);

/*
 * A 4 KiB frame of device memory: the page holding paddr, from the device
 * Untyped that covers it. The pages in front of it that no frame took yet
 * stay available as smaller device Untyped. Errors: MICA_ERR_NOT_FOUND if no
 * device Untyped covers paddr or its page has been handed out already (a
 * frame per page: copy the capability to share it); MICA_ERR_NOT_ENOUGH_MEMORY
 * when slots run out; otherwise the kernel's answer to a retype.
 */
struct alloc_ret alloc_device_frame_ret(uint64_t paddr) __attribute__((warn_unused_result));

/* alloc_device_frame_ret's capability alone, or 0 on any failure. */
uint64_t alloc_device_frame(uint64_t paddr);

/*
 * A frame of RAM at paddr exactly: 4 KiB (size_bits 12) or 2 MiB (21),
 * paddr aligned to it. Errors: MICA_ERR_INVALID_ARGUMENT for another size
 * or a misaligned paddr; MICA_ERR_NOT_FOUND if no RAM Untyped has those
 * bytes unused (they are the kernel's, the boot image's, or handed out
 * already, or not RAM); MICA_ERR_NOT_ENOUGH_MEMORY when slots run out;
 * otherwise the kernel's answer to a retype.
 */
struct alloc_ret alloc_ram_frame_at_ret(uint64_t paddr, unsigned size_bits)
	__attribute__((warn_unused_result));

/* Bytes of non-device Untyped memory not yet used, by the local watermarks. */
uint64_t alloc_free_bytes(void);

#endif
