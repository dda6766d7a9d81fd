/*
 * Static channels (docs/ivc.md), made from the description's /channels
 * once every VM's objects exist and before any VMM starts:
 *
 *   - the channel's memory, fresh (zeroed) frames mapped into each end's
 *     VM at the end's address, read-only for a read-only end, never
 *     executable; 2 MiB frames when the size and every address allow;
 *   - one notification per end, which the end's VMM binds to its guest's
 *     interrupt (VMM_CAP_CHANNEL, MICA_NOTIFICATION_BIND_VIRQ);
 *   - each end's doorbells, bound in its VM to the other ends'
 *     notifications (MICA_VM_BIND_DOORBELL): doorbell + k rings the k-th
 *     other end, in the order of the description.
 *
 * No VMM holds a capability to the memory. Nothing here is taken apart
 * while the system runs: a VM that ends leaves its peers their mappings.
 */
#include <base/errors.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/vmimage.h>

#include "build.h"

/* The channel's memory into every end's VM. */
static enum mica_error map_memory(struct system *s, const struct sysdesc_channel *c)
{
	bool is_block = c->size % BLOCK == 0;
	unsigned bits;

	for (uint32_t e = 0; e < c->end_count; e++)
		is_block &= c->ends[e].ipa % BLOCK == 0;
	bits = is_block ? BLOCK_BITS : PAGE_BITS;
	for (uint64_t off = 0; off < c->size; off += UINT64_C(1) << bits) {
		struct alloc_ret frame =
			alloc_object_ret(is_block ? MICA_OBJ_FRAME_2M : MICA_OBJ_FRAME_4K, 0);

		if (frame.err != MICA_OK) {
			printf("root: /channels/%s: out of memory for its 0x%llx bytes, at "
			       "0x%llx\n",
			       c->name, (unsigned long long)c->size, (unsigned long long)off);
			return frame.err;
		}
		for (uint32_t e = 0; e < c->end_count; e++) {
			const struct sysdesc_channel_end *end = &c->ends[e];
			uint64_t ipa = end->ipa + off;
			/* A mapping per capability: the first end takes the frame's own. */
			uint64_t cap = e == 0 ? frame.cptr : copy_cap(frame.cptr, MICA_RIGHTS_ALL);
			enum mica_error err =
				cap == 0
					? MICA_ERR_NOT_ENOUGH_MEMORY
					: vm_map_frame(s->vms[end->vm].vm, cap, ipa,
						       end->is_read_only ? MICA_RIGHT_READ : RW, 0);

			if (err != MICA_OK) {
				printf("root: /channels/%s/%s: cannot map 0x%llx (%s)\n", c->name,
				       s->desc.vms[end->vm].name, (unsigned long long)ipa,
				       mica_error_text(err));
				return err;
			}
		}
	}
	return MICA_OK;
}

/* Each end's notification, then each end's doorbells to the others'. */
static enum mica_error make_doorbells(struct system *s, unsigned index)
{
	const struct sysdesc_channel *c = &s->desc.channels[index];

	for (uint32_t e = 0; e < c->end_count; e++) {
		s->channel_lines[index][e] = alloc_object(MICA_OBJ_NOTIFICATION, 0);
		if (s->channel_lines[index][e] == 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	for (uint32_t e = 0; e < c->end_count; e++) {
		const struct sysdesc_channel_end *end = &c->ends[e];
		unsigned n = end->doorbell;

		for (uint32_t f = 0; f < c->end_count; f++) {
			enum mica_error err;

			if (f == e)
				continue;
			err = mica_vm_bind_doorbell(s->vms[end->vm].vm, n,
						    s->channel_lines[index][f]);
			if (err != MICA_OK) {
				printf("root: /channels/%s/%s: cannot bind doorbell %u (%s)\n",
				       c->name, s->desc.vms[end->vm].name, n, mica_error_text(err));
				return err;
			}
			n++;
		}
	}
	return MICA_OK;
}

enum mica_error make_channels(struct system *s)
{
	for (unsigned i = 0; i < s->desc.channel_count; i++) {
		enum mica_error err = map_memory(s, &s->desc.channels[i]);

		if (err == MICA_OK)
			err = make_doorbells(s, i);
		if (err != MICA_OK)
			return err;
	}
	return MICA_OK;
}

uint64_t channel_line(const struct system *s, unsigned vm, unsigned k)
{
	const struct sysdesc_channel *c;
	const struct sysdesc_channel_end *end = sysdesc_channel_end_of(&s->desc, vm, k, &c);

	return end != NULL ? s->channel_lines[c - s->desc.channels][end - c->ends] : 0;
}
