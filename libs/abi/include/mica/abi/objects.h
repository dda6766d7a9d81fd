/*
 * Kernel object types, their sizes, capability rights, and the
 * well-known slots of the root task's CSpace.
 */
#ifndef MICA_ABI_OBJECTS_H
#define MICA_ABI_OBJECTS_H

/* What Untyped memory can be retyped into, and what a capability names. */
enum mica_object_type {
	MICA_OBJ_NULL = 0,	    /* An empty slot. */
	MICA_OBJ_UNTYPED = 1,	    /* Memory to retype; size_bits chosen at retype. */
	MICA_OBJ_CNODE = 2,	    /* 2^size_bits slots of MICA_SLOT_BITS bytes each. */
	MICA_OBJ_TCB = 3,	    /* A thread. */
	MICA_OBJ_ENDPOINT = 4,	    /* Synchronous IPC rendezvous. */
	MICA_OBJ_NOTIFICATION = 5,  /* Asynchronous signals: a word of badge bits. */
	MICA_OBJ_REPLY = 6,	    /* Where a Call's reply goes. */
	MICA_OBJ_FRAME_4K = 7,	    /* A 4 KiB page of memory. */
	MICA_OBJ_FRAME_2M = 8,	    /* A 2 MiB block of memory. */
	MICA_OBJ_PAGE_TABLE = 9,    /* An intermediate translation table (4 KiB). */
	MICA_OBJ_VSPACE = 10,	    /* A host (EL0) address space: its top-level table. */
	MICA_OBJ_IRQ_CONTROL = 11,  /* Authority to create IRQ handler capabilities. */
	MICA_OBJ_IRQ_HANDLER = 12,  /* One interrupt line. */
	MICA_OBJ_VM = 13,	    /* A guest's physical address space: stage-2 root and VMID. */
	MICA_OBJ_VCPU = 14,	    /* A virtual CPU: the guest's EL1 state, run by one TCB. */
	MICA_OBJ_ASID_CONTROL = 15, /* Authority to make ASID pools (the root task's alone). */
	MICA_OBJ_ASID_POOL = 16,    /* A block of IDs for new VSpaces (ASIDs) or VMs. */
	MICA_OBJ_TYPE_COUNT
};

/* log2 of object sizes in bytes (for Untyped accounting). */
#define MICA_SLOT_BITS	       6
#define MICA_TCB_BITS	       11
#define MICA_ENDPOINT_BITS     5
#define MICA_NOTIFICATION_BITS 7
#define MICA_REPLY_BITS	       5
#define MICA_PAGE_BITS	       12
#define MICA_LARGE_PAGE_BITS   21
#define MICA_PAGE_TABLE_BITS   12
#define MICA_VSPACE_BITS       12
#define MICA_VM_BITS	       13 /* The stage-2 root table, then the VM's own state. */
#define MICA_VCPU_BITS	       11

/* Untyped sizes allowed (log2 bytes). */
#define MICA_UNTYPED_MIN_BITS 4
#define MICA_UNTYPED_MAX_BITS 47

/* CNodes hold 2^radix slots, radix from 1 to 28. */
#define MICA_CNODE_MIN_RADIX 1
#define MICA_CNODE_MAX_RADIX 28

/*
 * log2 of the bytes an object of type takes from its Untyped; user_bits is
 * the size asked for where the type has a variable one (UNTYPED: log2
 * bytes; CNODE: radix). 0 for a type Untyped cannot become, or a size out of
 * range. The kernel's accounting is this function, so user-level
 * allocators can follow it exactly.
 */
static inline unsigned mica_object_size_bits(enum mica_object_type type, unsigned user_bits)
{
	switch (type) {
	case MICA_OBJ_UNTYPED:
		return user_bits >= MICA_UNTYPED_MIN_BITS && user_bits <= MICA_UNTYPED_MAX_BITS
			       ? user_bits
			       : 0;
	case MICA_OBJ_CNODE:
		return user_bits >= MICA_CNODE_MIN_RADIX && user_bits <= MICA_CNODE_MAX_RADIX
			       ? user_bits + MICA_SLOT_BITS
			       : 0;
	case MICA_OBJ_TCB:
		return MICA_TCB_BITS;
	case MICA_OBJ_ENDPOINT:
		return MICA_ENDPOINT_BITS;
	case MICA_OBJ_NOTIFICATION:
		return MICA_NOTIFICATION_BITS;
	case MICA_OBJ_REPLY:
		return MICA_REPLY_BITS;
	case MICA_OBJ_FRAME_4K:
		return MICA_PAGE_BITS;
	case MICA_OBJ_FRAME_2M:
		return MICA_LARGE_PAGE_BITS;
	case MICA_OBJ_PAGE_TABLE:
		return MICA_PAGE_TABLE_BITS;
	case MICA_OBJ_VSPACE:
		return MICA_VSPACE_BITS;
	case MICA_OBJ_VM:
		return MICA_VM_BITS;
	case MICA_OBJ_VCPU:
		return MICA_VCPU_BITS;
	case MICA_OBJ_NULL:
	case MICA_OBJ_IRQ_CONTROL:
	case MICA_OBJ_IRQ_HANDLER:
	case MICA_OBJ_ASID_CONTROL:
	case MICA_OBJ_ASID_POOL:
	case MICA_OBJ_TYPE_COUNT:
		break;
	}
	return 0;
}

/* Capability rights: combined with '|'. */
#define MICA_RIGHT_READ	       1u /* Receive on an endpoint; wait on a notification; map readable. */
#define MICA_RIGHT_WRITE       2u /* Send on an endpoint; signal a notification; map writable. */
#define MICA_RIGHT_GRANT       4u /* Send capabilities over an endpoint. */
#define MICA_RIGHT_GRANT_REPLY 8u /* Call an endpoint (grant a one-shot reply). */
#define MICA_RIGHTS_ALL	       15u

/* Thread priorities: 0 (lowest) to MICA_MAX_PRIORITY. */
#define MICA_MAX_PRIORITY 255

/* The root task's CSpace: slots the kernel fills at boot. */
enum mica_root_slot {
	MICA_CAP_NULL = 0,	   /* Always empty. */
	MICA_CAP_ROOT_TCB = 1,	   /* The root task's thread. */
	MICA_CAP_ROOT_CNODE = 2,   /* The root CNode itself. */
	MICA_CAP_ROOT_VSPACE = 3,  /* The root task's address space. */
	MICA_CAP_IRQ_CONTROL = 4,  /* IRQControl. */
	MICA_CAP_BOOT_INFO = 5,	   /* The frame holding struct mica_boot_info. */
	MICA_CAP_IPC_BUFFER = 6,   /* The root task's IPC buffer frame. */
	MICA_CAP_ASID_CONTROL = 7, /* ASIDControl: makes ASID pools. */
	MICA_CAP_FIRST_FREE = 8,   /* Boot-time capabilities follow; see mica_boot_info. */
};

/*
 * ASID pools. VSpaces and VMs need an ID each (an ASID, or a VM handle that
 * names the VMID), of which there are MICA_ASID_POOL_COUNT blocks of
 * MICA_ASID_POOL_SIZE per kind. Only the holder of ASIDControl makes pools
 * (each takes a free block); retyping a VSpace or a VM takes its ID from
 * a pool of that kind, so a server can make only as many address spaces
 * as the pools it was given hold.
 */
#define MICA_ASID_POOL_SIZE  64
#define MICA_ASID_POOL_COUNT 64 /* Per kind; block 0 is the kernel's (the root task's VSpace). */

enum mica_asid_pool_kind {
	MICA_ASID_POOL_VSPACE = 0, /* ASIDs, for MICA_OBJ_VSPACE. */
	MICA_ASID_POOL_VM = 1,	   /* VM handles, for MICA_OBJ_VM. */
};

#endif
