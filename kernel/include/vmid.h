/*
 * Hardware VMIDs. A VM object keeps a small number for life (its handle,
 * 1..VMID_COUNT-1, which frames and tables record); the VMID the hardware
 * tags its TLB entries with is given out when the VM next runs, from a
 * space that may be smaller (8 bits on some CPUs). When that space runs
 * out, a new generation starts: every guest TLB entry is dropped, and
 * each VM gets a fresh VMID as it next runs. Checking the generation costs
 * a load and a compare on a switch to a guest.
 *
 * Other CPUs may be running guests while one rolls over: the VMID each
 * CPU's VTTBR_EL2 holds (arch_vmid_held) stays with its VM into the new
 * generation, so that no other VM is given it while that CPU may still
 * fill its TLB under it.
 */
#ifndef MICA_VMID_H
#define MICA_VMID_H

#include <stdint.h>

#define VMID_COUNT 4096 /* VM handles: live VM objects at most, less one. */

struct vmid_space {
	uint32_t generation; /* Starts at 1: a handle of generation 0 has no VMID. */
	uint32_t next;	     /* The next VMID to give out in this generation. */
	uint32_t count;	     /* VMIDs the hardware has (0 is kept for none). */
	uint32_t gen[VMID_COUNT];
	uint16_t hw[VMID_COUNT];
	uint64_t taken[65536 / 64]; /* VMIDs of this generation given out, a bit each. */
};

extern struct vmid_space vmids;

/* Start with count hardware VMIDs (256 or 65536). */
void vmid_space_init(struct vmid_space *s, uint32_t count);

/* Give handle a VMID of the current generation (starting a new one if need be). */
uint16_t vmid_assign(struct vmid_space *s, uint16_t handle);

/* Drop the translations of handle's VM (cached under its current VMID, if it has one). */
void vmid_flush(struct vmid_space *s, uint16_t handle);

/* handle's VM is gone: its VMID (if current) may be given out again only after a rollover. */
void vmid_release(struct vmid_space *s, uint16_t handle);

/* The hardware VMID of handle, valid for the current generation. */
static inline __attribute__((always_inline)) uint16_t vmid_hw(struct vmid_space *s, uint16_t handle)
{
	if (__builtin_expect(s->gen[handle] != s->generation, 0))
		return vmid_assign(s, handle);
	return s->hw[handle];
}

#endif
