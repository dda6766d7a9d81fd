/*
 * The IVC server's bookkeeping (pool.h). Fixed tables scanned in order: a
 * window has at most 4,096 pages and the system 2,048 channels.
 */
#include "pool.h"

#include <mica/abi/hypercall.h>

uint32_t ivc_pages_of(uint64_t bytes)
{
	if (bytes == 0 || bytes > IVC_WINDOW_PAGES * IVC_PAGE)
		return 0;
	return (uint32_t)((bytes + IVC_PAGE - 1) / IVC_PAGE);
}

void ivc_pool_init(struct ivc_pool *p, const struct sysdesc *desc, uint32_t frame_count)
{
	*p = (struct ivc_pool){.vm_count = desc->vm_count};
	for (uint32_t v = 0; v < desc->vm_count; v++) {
		const struct sysdesc_ivc *ivc = &desc->vms[v].ivc;

		if (!ivc->is_present)
			continue;
		p->vms[v].policy = ivc;
		p->vms[v].window_pages = (uint32_t)(ivc->window.size / IVC_PAGE);
		p->vms[v].limit_pages = (uint32_t)(ivc->memory / IVC_PAGE);
	}
	if (frame_count > IVC_POOL_PAGES)
		frame_count = IVC_POOL_PAGES;
	p->frame_count = frame_count;
	/* Frame 0 on top: the first channel takes the first frames. */
	for (uint32_t i = 0; i < frame_count; i++)
		p->free_frames[i] = (uint16_t)(frame_count - 1 - i);
	p->free_count = frame_count;
}

/* The first run of pages free pages in vm's window; -1 if none. */
static int32_t window_run(const struct ivc_vm *vm, uint32_t pages)
{
	uint32_t run = 0;

	for (uint32_t i = 0; i < vm->window_pages; i++) {
		run = vm->page_channel[i] == 0 ? run + 1 : 0;
		if (run == pages)
			return (int32_t)(i + 1 - pages);
	}
	return -1;
}

int64_t ivc_pool_alloc(struct ivc_pool *p, uint32_t vm, uint64_t size, uint64_t k,
		       uint32_t *channel)
{
	struct ivc_vm *a = vm < p->vm_count ? &p->vms[vm] : NULL;
	uint32_t pages = ivc_pages_of(size);
	struct ivc_vm *b;
	struct ivc_channel *c = NULL;
	int32_t first_a, first_b;

	if (a == NULL || a->policy == NULL || size == 0 || k >= a->policy->peer_count)
		return MICA_HVC_INVALID_PARAMETER;
	b = &p->vms[a->policy->peers[k]];
	if (a->has_ended || b->has_ended || b->policy == NULL)
		return MICA_HVC_DENIED;
	if (pages == 0 || pages > a->limit_pages - a->used_pages || pages > p->free_count)
		return MICA_HVC_NO_MEMORY;
	for (uint32_t i = 0; i < IVC_CHANNEL_MAX && c == NULL; i++)
		if (!p->channels[i].is_used)
			c = &p->channels[i];
	first_a = window_run(a, pages);
	first_b = window_run(b, pages);
	if (c == NULL || first_a < 0 || first_b < 0)
		return MICA_HVC_NO_MEMORY;
	*c = (struct ivc_channel){.is_used = true,
				  .vm = {(uint8_t)vm, (uint8_t)a->policy->peers[k]},
				  .first = {(uint32_t)first_a, (uint32_t)first_b},
				  .pages = pages};
	for (uint32_t j = 0; j < pages; j++) {
		uint16_t frame = p->free_frames[--p->free_count];

		a->page_frame[first_a + j] = (uint16_t)(frame + 1);
		a->page_channel[first_a + j] = (uint16_t)(c - p->channels + 1);
		b->page_channel[first_b + j] = (uint16_t)(c - p->channels + 1);
	}
	a->used_pages += pages;
	*channel = (uint32_t)(c - p->channels);
	return MICA_HVC_SUCCESS;
}

uint32_t ivc_frame_of(const struct ivc_pool *p, uint32_t c, uint32_t j)
{
	const struct ivc_channel *ch = &p->channels[c];

	return p->vms[ch->vm[0]].page_frame[ch->first[0] + j] - 1u;
}

uint64_t ivc_address_of(const struct ivc_pool *p, uint32_t c, unsigned e)
{
	const struct ivc_channel *ch = &p->channels[c];

	return p->vms[ch->vm[e]].policy->window.base + ch->first[e] * IVC_PAGE;
}

/* Which end of channel c vm is; 2 if neither. */
static unsigned end_of(const struct ivc_channel *c, uint32_t vm)
{
	if (!c->is_used)
		return 2;
	return c->vm[0] == vm ? 0 : c->vm[1] == vm ? 1 : 2;
}

int64_t ivc_pool_find(const struct ivc_pool *p, uint32_t vm, uint64_t addr, uint64_t size,
		      uint32_t *channel)
{
	for (uint32_t i = 0; i < IVC_CHANNEL_MAX; i++) {
		const struct ivc_channel *c = &p->channels[i];
		unsigned e = end_of(c, vm);

		if (e < 2 && ivc_address_of(p, i, e) == addr && ivc_pages_of(size) == c->pages) {
			*channel = i;
			return MICA_HVC_SUCCESS;
		}
	}
	return MICA_HVC_INVALID_PARAMETER;
}

int32_t ivc_pool_any(const struct ivc_pool *p, uint32_t vm)
{
	for (uint32_t i = 0; i < IVC_CHANNEL_MAX; i++)
		if (end_of(&p->channels[i], vm) < 2)
			return (int32_t)i;
	return -1;
}

void ivc_pool_free(struct ivc_pool *p, uint32_t c)
{
	struct ivc_channel *ch = &p->channels[c];

	for (uint32_t j = 0; j < ch->pages; j++) {
		p->free_frames[p->free_count++] = (uint16_t)ivc_frame_of(p, c, j);
		p->vms[ch->vm[0]].page_frame[ch->first[0] + j] = 0;
		for (unsigned e = 0; e < 2; e++)
			p->vms[ch->vm[e]].page_channel[ch->first[e] + j] = 0;
	}
	p->vms[ch->vm[0]].used_pages -= ch->pages;
	*ch = (struct ivc_channel){0};
}

int64_t ivc_pool_query(const struct ivc_pool *p, uint32_t vm, uint64_t i, uint32_t *channel)
{
	const struct ivc_vm *v = vm < p->vm_count ? &p->vms[vm] : NULL;
	uint64_t seen = 0;

	/* The window in order: a channel starts where its end in vm does. */
	for (uint32_t page = 0; v != NULL && page < v->window_pages; page++) {
		uint32_t c = v->page_channel[page];

		if (c == 0 || p->channels[c - 1].first[end_of(&p->channels[c - 1], vm)] != page)
			continue;
		if (seen++ == i) {
			*channel = c - 1;
			return MICA_HVC_SUCCESS;
		}
	}
	return MICA_HVC_INVALID_PARAMETER;
}

uint32_t ivc_peer_index(const struct ivc_pool *p, uint32_t vm, uint32_t c)
{
	const struct ivc_channel *ch = &p->channels[c];
	uint32_t other = ch->vm[0] == vm ? ch->vm[1] : ch->vm[0];
	const struct sysdesc_ivc *policy = p->vms[vm].policy;

	for (uint32_t k = 0; k < policy->peer_count; k++)
		if (policy->peers[k] == other)
			return k;
	return policy->peer_count;
}
