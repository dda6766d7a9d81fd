/*
 * The IVC server's bookkeeping, free of capabilities (main.c does the
 * mapping): the pool of frames, each VM's window and what it holds there,
 * and the channels, checked against each VM's policy from the system
 * description (struct sysdesc_ivc).
 *
 * A channel of n pages takes n frames of the pool, and n pages in a row
 * of each end's window: window page first[e] + j of end e maps frame
 * frame_of(j). The VM that allocated it is end 0, and its memory limit is
 * charged; either end may release it. Frames go back to the pool only
 * through ivc_pool_free, which the caller calls once both ends' mappings
 * are gone and the frames are zero again.
 */
#ifndef MICA_IVC_POOL_H
#define MICA_IVC_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/sysdesc.h>

#define IVC_PAGE	 UINT64_C(4096)
#define IVC_WINDOW_PAGES (SYSDESC_IVC_WINDOW_TABLES * SYSDESC_IVC_BLOCK / IVC_PAGE)
#define IVC_POOL_PAGES	 (SYSDESC_IVC_POOL_MAX / IVC_PAGE)
/*
 * Channels at once, over the system: a channel takes a frame at least, so
 * the memory limits run out before the table does, and no VM can take a
 * slot another VM's limit promises.
 */
#define IVC_CHANNEL_MAX IVC_POOL_PAGES

struct ivc_vm {
	const struct sysdesc_ivc *policy; /* NULL: the VM has no dynamic channels. */
	bool has_ended;
	uint32_t window_pages;
	uint32_t limit_pages; /* Its 'memory', in pages. */
	uint32_t used_pages;  /* In channels it allocated. */
	/* Channel + 1 of each window page; 0: free. */
	uint16_t page_channel[IVC_WINDOW_PAGES];
	/* Frame + 1 of each window page of a channel the VM allocated (its end 0). */
	uint16_t page_frame[IVC_WINDOW_PAGES];
};

struct ivc_channel {
	bool is_used;
	uint8_t vm[2]; /* [0] allocated it. */
	uint32_t first[2];
	uint32_t pages;
};

struct ivc_pool {
	uint32_t vm_count;
	struct ivc_vm vms[SYSDESC_VM_MAX];
	uint32_t frame_count;
	uint32_t free_count;
	uint16_t free_frames[IVC_POOL_PAGES]; /* A stack of the free frames. */
	struct ivc_channel channels[IVC_CHANNEL_MAX];
};

/* The pages of bytes, rounded up; 0 for 0 bytes or more than any window. */
uint32_t ivc_pages_of(uint64_t bytes);

/*
 * Start with every frame free and no channel; frame_count frames, at most
 * IVC_POOL_PAGES. Each VM's policy is desc's.
 */
void ivc_pool_init(struct ivc_pool *p, const struct sysdesc *desc, uint32_t frame_count);

/*
 * A channel of size bytes (rounded up) between vm and its peer k, as the
 * hypercall MICA_HVC_IVC_ALLOC asks: its index in *channel, and an SMCCC
 * status (<mica/abi/hypercall.h>). The frames and window pages are taken.
 * An ended VM, at either end, gets DENIED.
 */
int64_t ivc_pool_alloc(struct ivc_pool *p, uint32_t vm, uint64_t size, uint64_t k,
		       uint32_t *channel);

/* Frame j of channel c. */
uint32_t ivc_frame_of(const struct ivc_pool *p, uint32_t c, uint32_t j);

/* Where end e of channel c starts in its VM's guest-physical space. */
uint64_t ivc_address_of(const struct ivc_pool *p, uint32_t c, unsigned e);

/*
 * The channel vm holds at addr of size bytes (as asked or as given):
 * MICA_HVC_SUCCESS and its index in *channel, or INVALID_PARAMETER.
 */
int64_t ivc_pool_find(const struct ivc_pool *p, uint32_t vm, uint64_t addr, uint64_t size,
		      uint32_t *channel);

/* The first channel vm holds, at either end; -1 if none. */
int32_t ivc_pool_any(const struct ivc_pool *p, uint32_t vm);

/* Forget channel c: its window pages, its allocator's charge, and its frames back in the pool. */
void ivc_pool_free(struct ivc_pool *p, uint32_t c);

/*
 * The i-th channel vm holds, in the order of its addresses in vm's window:
 * MICA_HVC_SUCCESS with its index in *channel, or INVALID_PARAMETER past
 * the last.
 */
int64_t ivc_pool_query(const struct ivc_pool *p, uint32_t vm, uint64_t i, uint32_t *channel);

/* Which peer k of vm's the other end of channel c is. */
uint32_t ivc_peer_index(const struct ivc_pool *p, uint32_t vm, uint32_t c);

#endif
