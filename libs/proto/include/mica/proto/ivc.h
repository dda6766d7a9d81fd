/*
 * The contract between the root task, the VMMs and the IVC server, which
 * serves dynamic channels (docs/ivc.md): what the server finds when it
 * starts, and the messages a VMM sends it.
 *
 * The root task starts one IVC server when some VM of the description has
 * an /vms/NAME/ivc node, with these capabilities and nothing else (slot
 * numbers in its own CSpace, cptr N = slot N):
 *
 *   IVC_CAP_EP      the endpoint it receives on. The VMM of VM v holds a
 *                   copy badged IVC_BADGE_VM | v (write and grant-reply:
 *                   it calls, and cannot receive).
 *   IVC_CAP_REPLY   its reply object.
 *
 * A notification of the root task's is bound to its thread: when VM v ends
 * (however it ends), the root task signals bit IVC_NTFN_VM_ENDED(v), and the
 * message arrives on IVC_CAP_EP (label MICA_LABEL_NOTIFICATION, the bits
 * in the badge): every channel of v goes, and v gets no new ones.
 *   IVC_CAP_CNODE   its own CNode (depth ivc_boot.cnode_radix), where it
 *                   copies and deletes its frame capabilities.
 *   IVC_CAP_LINE(v) VM v's dynamic-channel notification, write only: its
 *                   signal raises the interrupt of v's mica,ivc-dynamic
 *                   node (the VMM binds it, as a static channel end's).
 *   IVC_CAP_WINDOW(v, t)  the stage-2 page table mapping the t-th 2 MiB of
 *                   VM v's window. The server maps frames into the VM
 *                   through it (MICA_FRAME_MAP with a page table as CAP0),
 *                   which reaches only the addresses that table holds: it
 *                   has no capability to any VM, nor to its other memory.
 *   IVC_CAP_FRAME(i)  pool frame i (4 KiB, all rights), not mapped; the
 *                   same frame is mapped into the server at
 *                   ivc_boot.pool_va + i * 4096, where it zeroes it.
 *
 * Slots from IVC_CAP_FRAME(frame_count) to the end of its CNode are free:
 * a channel's second end maps copies it makes there.
 *
 * Its address space holds, besides its program, the boot page (read-only,
 * its address in x0) and the system description (read-only, where the
 * boot page says), from which it reads each VM's policy.
 */
#ifndef MICA_PROTO_IVC_H
#define MICA_PROTO_IVC_H

#include <stdint.h>

#include <mica/sysdesc.h>

#define IVC_BOOT_MAGIC UINT64_C(0x544f4f4243564949) /* "IIVCBOOT" */

#define IVC_BOOT_VA	   UINT64_C(0x0000007ffe000000)
#define IVC_DESCRIPTION_VA UINT64_C(0x0000005000000000)
#define IVC_POOL_VA	   UINT64_C(0x0000004000000000)

#define IVC_WINDOW_TABLE_SIZE UINT64_C(0x200000) /* What one level-3 table maps. */
#define IVC_POOL_FRAMES_MAX   (SYSDESC_IVC_POOL_MAX / 4096)

enum ivc_cap {
	IVC_CAP_EP = 1,
	IVC_CAP_REPLY = 2,
	IVC_CAP_CNODE = 3,
	IVC_CAP_LINE_FIRST = 8,
	IVC_CAP_WINDOW_FIRST = IVC_CAP_LINE_FIRST + SYSDESC_VM_MAX,
	IVC_CAP_FRAME_FIRST = IVC_CAP_WINDOW_FIRST + SYSDESC_VM_MAX * SYSDESC_IVC_WINDOW_TABLES,
};

#define IVC_CAP_LINE(v) ((uint64_t)IVC_CAP_LINE_FIRST + (v))
#define IVC_CAP_WINDOW(v, t)                                                                       \
	((uint64_t)IVC_CAP_WINDOW_FIRST + (uint64_t)(v)*SYSDESC_IVC_WINDOW_TABLES + (t))
#define IVC_CAP_FRAME(i) ((uint64_t)IVC_CAP_FRAME_FIRST + (i))

/* A VMM's badge on IVC_CAP_EP: IVC_BADGE_VM | its VM's index (never 0, which is no badge). */
#define IVC_BADGE_VM	   (UINT64_C(1) << 32)
#define IVC_BADGE_VM_INDEX UINT64_C(0xffff)

/* Messages on IVC_CAP_EP, from a VMM. */
enum ivc_msg {
	/*
	 * A guest's hypercall in MICA_HVC_IVC_FIRST..LAST: MR0..MR3 its x0..x3.
	 * The answer's words (1 to 4) are its x0..x3.
	 */
	IVC_MSG_HYPERCALL = 1,
	/*
	 * The guest reset: every channel it holds is released, as by either
	 * end. The answer: one word, MICA_OK.
	 */
	IVC_MSG_RESET = 2,
};

#define IVC_NTFN_VM_ENDED(v) (UINT64_C(1) << (v))

struct ivc_boot {
	uint64_t magic; /* IVC_BOOT_MAGIC. */
	uint64_t description_va;
	uint64_t description_size;
	uint64_t pool_va;
	uint32_t frame_count; /* Pool frames: the sum of every VM's 'memory', in pages. */
	uint32_t cnode_radix;
};

_Static_assert(sizeof(struct ivc_boot) <= 4096, "the boot page is one page");

#endif
