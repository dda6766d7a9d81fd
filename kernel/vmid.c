/*
 * Hardware VMIDs by generation (see vmid.h): a counter, and a full guest
 * TLB flush each time it wraps.
 */
#include <string.h>

#include "arch.h"
#include "platform.h"
#include "vmid.h"

struct vmid_space vmids;

void vmid_space_init(struct vmid_space *s, uint32_t count)
{
	s->generation = 1;
	s->next = 1;
	s->count = count;
	for (unsigned i = 0; i < VMID_COUNT; i++)
		s->gen[i] = 0;
	memset(s->taken, 0, sizeof(s->taken));
}

static bool taken(const struct vmid_space *s, uint32_t vmid)
{
	return (s->taken[vmid / 64] >> (vmid % 64)) & 1;
}

static void take(struct vmid_space *s, uint32_t vmid)
{
	s->taken[vmid / 64] |= UINT64_C(1) << (vmid % 64);
}

/* Out of VMIDs: forget every one, and every translation tagged with one, but those in use. */
static void roll_over(struct vmid_space *s)
{
	uint32_t old = s->generation++;

	memset(s->taken, 0, sizeof(s->taken));
	s->next = 1;
	arch_vmid_flush_all();
	for (unsigned cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++) {
		uint16_t held = arch_vmid_held(cpu);

		if (held != 0 && held < VMID_COUNT && s->gen[held] == old) {
			s->gen[held] = s->generation;
			take(s, s->hw[held]);
		}
	}
}

uint16_t vmid_assign(struct vmid_space *s, uint16_t handle)
{
	while (s->next < s->count && taken(s, s->next))
		s->next++;
	if (s->next >= s->count) {
		roll_over(s);
		/* Kept over, handle's own VMID is as good as a new one. */
		if (s->gen[handle] == s->generation)
			return s->hw[handle];
		while (taken(s, s->next))
			s->next++; /* Fewer CPUs than VMIDs: one is left. */
	}
	take(s, s->next);
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
