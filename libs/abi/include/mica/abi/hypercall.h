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

/* SMCCC status codes in x0. */
#define MICA_HVC_SUCCESS	   0
#define MICA_HVC_NOT_SUPPORTED	   (-1)
#define MICA_HVC_INVALID_PARAMETER (-2)

#endif
