/*
 * Channels for bare-metal guests (docs/ivc.md): find the channels the
 * guest's device tree describes, and ring a peer's doorbell; find the
 * guest's policy for dynamic channels, and allocate, release and list
 * them. Freestanding: no libc, no allocation, no libfdt; it reads the
 * flattened tree the VMM hands the guest in x0 at entry.
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

/*
 * Dynamic channels. A VM whose system description gives it an ivc policy
 * has one node at the root of its tree:
 *
 *     ivc-dynamic@60000000 {
 *         compatible = "mica,ivc-dynamic";
 *         reg = <0x0 0x60000000 0x0 0x200000>;  the window channels are mapped into
 *         interrupts = <0 30 1>;                SPI 62, edge: a peer rang, or a
 *                                               channel came or went
 *         mica,peers = "beta";                  peer k is the k-th string
 *         mica,doorbells = <4>;                 the doorbell that rings peer k
 *         mica,memory = <0x0 0x100000>;         bytes it may hold in channels it allocated
 *     };
 */
#define IVC_DYNAMIC_PEERS_MAX 7 /* The other VMs of a system of at most eight. */

/* The policy, as the tree describes it. Strings point into the tree. */
struct ivc_dynamic {
	uint64_t base, size; /* The window, guest-physical. */
	uint64_t memory;     /* Bytes of channels it may have allocated at once. */
	unsigned intid;	     /* The SPI a peer's ring, or a channel's coming or going, raises. */
	unsigned peer_count;
	const char *peers[IVC_DYNAMIC_PEERS_MAX];
	uint32_t doorbells[IVC_DYNAMIC_PEERS_MAX]; /* doorbells[k] rings peers[k]. */
};

/*
 * The first whole mica,ivc-dynamic node at the root of the tree at fdt
 * into out: true if there is one. It is whole with a reg of one range
 * (two cells each) that is not empty and does not wrap, an SPI in
 * interrupts, one to IVC_DYNAMIC_PEERS_MAX peers, a doorbell (one cell)
 * for each, and a mica,memory of two cells. Otherwise (false) out holds
 * no window, no interrupt and no peers.
 */
bool ivc_dynamic_find(const void *fdt, struct ivc_dynamic *out);

/* Ring d's peer k. */
static inline int64_t ivc_dynamic_ring(const struct ivc_dynamic *d, unsigned k)
{
	return k < d->peer_count ? ivc_ring_doorbell(d->doorbells[k]) : -2;
}

/*
 * The hypercalls of dynamic channels (<mica/abi/hypercall.h>), each the
 * VMM's to answer through the IVC server, each returning x0, the SMC
 * Calling Convention's status: MICA_HVC_SUCCESS, or an error of
 * MICA_HVC_*. What comes back in x1..x3 is written to the pointers (any may
 * be NULL) only on success.
 *
 * ivc_alloc: a channel of size bytes (rounded up to 4 KiB) with peer k:
 * its guest-physical address in the caller's window, and its size.
 * ivc_release: the channel at addr of size bytes (as asked or as given),
 * held at either end. ivc_query: the i-th channel the VM holds, at either
 * end, in the order of their addresses: its address, size and peer k.
 */
int64_t ivc_alloc(uint64_t size, uint64_t peer, uint64_t *addr, uint64_t *size_out);
int64_t ivc_release(uint64_t addr, uint64_t size);
int64_t ivc_query(uint64_t i, uint64_t *addr, uint64_t *size, uint64_t *peer);

#endif
