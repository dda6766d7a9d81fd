/*
 * Hardware VMIDs by generation (see vmid.h): a counter, and a full guest
 * TLB flush each time it wraps.
 */
#include "arch.h"
#include "vmid.h"

struct vmid_space vmids;

void vmid_space_init(struct vmid_space *s, uint32_t count)
{
	s->generation = 1;
	s->next = 1;
	s->count = count;
	for (unsigned i = 0; i < VMID_COUNT; i++)
		s->gen[i] = 0;
}

uint16_t vmid_assign(struct vmid_space *s, uint16_t handle)
{
	if (s->next >= s->count) {
		/* Out of VMIDs: forget every one, and every translation tagged with one. */
		s->generation++;
		s->next = 1;
		arch_vmid_flush_all();
	}
	s->gen[handle] = s->generation;
	s->hw[handle] = (uint16_t)s->next++;
	return s->hw[handle];
}

void vmid_flush(struct vmid_space *s, uint16_t handle)
{
	if (s->gen[handle] == s->generation)
		arch_vmid_invalidate(s->hw[handle]);
}

void vmid_release(struct vmid_space *s, uint16_t handle)
{
	vmid_flush(s, handle);
	s->gen[handle] = 0;
}
