/*
 * Channels for bare-metal guests (docs/ivc.md): find the channels the
 * guest's device tree describes, and ring a peer's doorbell. Freestanding:
 * no libc, no allocation, no libfdt; it reads the flattened tree the VMM
 * hands the guest in x0 at entry.
 *
 * Each channel end is a node at the root of the tree:
 *
 *     ivc@50000000 {
 *         compatible = "mica,ivc";
 *         reg = <0x0 0x50000000 0x0 0x4000>;    memory shared with the peers
 *         interrupts = <0 28 1>;                SPI 60, edge: a peer rang
 *         mica,channel = "ping";                the channel's name
 *         mica,peers = "beta";                  the other ends' VMs, in order
 *         mica,doorbells = <0>;                 the doorbell that rings each
 *         mica,read-only;                       if this end may only read
 *     };
 */
#ifndef MICA_GUEST_IVC_H
#define MICA_GUEST_IVC_H

#include <stdbool.h>
#include <stdint.h>

#define IVC_PEERS_MAX 3 /* Peers of one end: a channel joins at most four VMs. */

/* One channel end, as the tree describes it. Strings point into the tree. */
struct ivc_channel {
	const char *name;
	uint64_t base, size; /* The shared memory, guest-physical. */
	unsigned intid;	     /* The SPI a peer's ring raises here. */
	unsigned peer_count;
	const char *peers[IVC_PEERS_MAX];
	uint32_t doorbells[IVC_PEERS_MAX]; /* doorbells[k] rings peers[k]. */
	bool is_read_only;
};

/*
 * The channel ends in the tree at fdt, at most max into out, in the order
 * of the tree; how many there are (0 for anything that is not a tree). A
 * node that lacks reg or interrupts, or has more peers or doorbells than
 * fit, is left out.
 */
unsigned ivc_find(const void *fdt, struct ivc_channel *out, unsigned max);

/* The end called name among count found, or NULL. */
const struct ivc_channel *ivc_by_name(const struct ivc_channel *found, unsigned count,
				      const char *name);

/*
 * Ring doorbell n (the kernel's MICA_HVC_RING_DOORBELL, no exit to the
 * VMM): 0, or the SMC Calling Convention's INVALID_PARAMETER (-2) for a
 * doorbell the VM does not have.
 */
int64_t ivc_ring_doorbell(uint32_t n);

/* Ring c's peer k. */
static inline int64_t ivc_ring(const struct ivc_channel *c, unsigned k)
{
	return k < c->peer_count ? ivc_ring_doorbell(c->doorbells[k]) : -2;
}

#endif
