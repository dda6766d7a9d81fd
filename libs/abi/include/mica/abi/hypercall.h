/*
 * The hypercalls the kernel answers itself, without an exit to the VMM:
 * SMC Calling Convention (Arm DEN0028) fast calls, SMC64, in the range the
 * convention gives to vendor-specific hypervisor services (owning entity
 * 6). A guest makes them with HVC #0 (or SMC #0); w0 holds the function
 * ID (the top half of x0 is ignored, as the convention says), the
 * arguments follow in x1.., and the result comes back in x0 as the
 * convention's signed status. Every other function ID is an exit to the
 * VMM (MICA_EXIT_HYPERCALL).
 */
#ifndef MICA_ABI_HYPERCALL_H
#define MICA_ABI_HYPERCALL_H

/*
 * RING_DOORBELL: x1 a doorbell number of the guest's VM
 * (MICA_VM_BIND_DOORBELL): the notification bound there is signalled,
 * which raises the interrupt a channel's peer takes it as
 * (MICA_NOTIFICATION_BIND_VIRQ). x0 MICA_HVC_SUCCESS, or
 * MICA_HVC_INVALID_PARAMETER for a number out of range or unbound.
 */
#define MICA_HVC_RING_DOORBELL 0xc6000100u

/*
 * Dynamic channels (docs/ivc.md). The kernel does not answer these: they
 * exit to the VMM, which hands them to the IVC server, whose policy comes
 * from the VM's /vms/NAME/ivc node in the system description. "Peer k" is
 * the k-th VM of the mica,peers list of the guest's mica,ivc-dynamic node.
 * Every argument is a whole x register; x1..x3 not named as results come
 * back unchanged, and so do they all after an error. x0 is
 * MICA_HVC_NOT_SUPPORTED for a VM without an ivc node, or once the IVC
 * server is gone.
 *
 * IVC_ALLOC: x1 the size wanted in bytes (rounded up to 4 KiB), x2 the peer
 * k. x0 MICA_HVC_SUCCESS, x1 the channel's guest-physical address in the
 * caller's window, x2 its size; or x0 INVALID_PARAMETER (a size of 0, a
 * peer k the list does not have), DENIED (the peer's VM has ended),
 * NO_MEMORY (more than the caller's memory limit left, a size beyond any
 * window, or no room for it in the caller's window or the peer's). The
 * memory is zero, mapped read-write (never executable) in both VMs before
 * the peer's interrupt is raised (the caller's is not).
 *
 * IVC_RELEASE: x1 the address and x2 the size of a channel the VM holds, at
 * either end: any size that rounds up to the channel's. x0
 * MICA_HVC_SUCCESS: the memory is gone from both VMs (an access faults)
 * before the call returns, the allocator's limit has it back, and the
 * other end's interrupt is raised; or INVALID_PARAMETER when the VM holds
 * no channel there of that size.
 *
 * IVC_QUERY: x1 an index i. x0 MICA_HVC_SUCCESS, x1 the address, x2 the
 * size, x3 the peer k of the i-th channel the VM holds (in the order of
 * their addresses in its window); or INVALID_PARAMETER past the last. The
 * list is as it is at each call: a channel that comes or goes between two
 * calls moves the indices after it.
 */
#define MICA_HVC_IVC_ALLOC   0xc6000101u
#define MICA_HVC_IVC_RELEASE 0xc6000102u
#define MICA_HVC_IVC_QUERY   0xc6000103u
#define MICA_HVC_IVC_FIRST   MICA_HVC_IVC_ALLOC
#define MICA_HVC_IVC_LAST    MICA_HVC_IVC_QUERY

/* SMCCC status codes in x0. */
#define MICA_HVC_SUCCESS	   0
#define MICA_HVC_NOT_SUPPORTED	   (-1)
#define MICA_HVC_INVALID_PARAMETER (-2)
#define MICA_HVC_DENIED		   (-3)
#define MICA_HVC_NO_MEMORY	   (-4)

#endif
