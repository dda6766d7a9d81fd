/*
 * The contract between the root task and a VMM: what a VMM finds when it
 * starts. The root task is the resource manager: it makes the VM, its vCPUs
 * and their threads, backs the VM's RAM and maps it into the VM (and into
 * the VMM, which fills it), maps passthrough regions, and copies the
 * guest's files out of the boot archive. The VMM does the rest: loading
 * the guest, its device tree, starting and stopping vCPUs, PSCI, the GIC
 * distributor, and binding each device range to its server.
 *
 * A VMM's capabilities (slots of its own CSpace, cptr N = slot N):
 *
 *   VMM_CAP_EP       the endpoint it receives on: vCPU i's exits with badge
 *                    VMM_BADGE_VCPU | i, and device i's interrupt-line
 *                    messages (<mica/proto/vdev.h>) with VMM_BADGE_DEVICE | i,
 *                    i being the device's index in the VM's description.
 *   VMM_CAP_REPLY    its reply object.
 *   VMM_CAP_VM       the VM.
 *   VMM_CAP_VCPU(i)  vCPU i, not yet configured.
 *   VMM_CAP_TCB(i)   the thread that will run vCPU i: its VM, fault
 *                    endpoint, priority and name are set; the VMM binds it
 *                    to VMM_CAP_VCPU(i) and resumes it.
 *   VMM_CAP_DEVICE(i)  the endpoint of device i's server, badged for that
 *                    device (VDEV_BADGE_DEVICE | its index in the server),
 *                    for VM BindMMIO; empty when its server did not start.
 *   VMM_CAP_PASSTHROUGH_IRQ(i)  the IRQHandler of passthrough region i's
 *                    interrupt, when it has one.
 *
 * Its address space holds the boot page (read-only, at VMM_BOOT_VA, also
 * x0), the guest's files (read-only) and the VM's RAM (read-write) where
 * the boot page says.
 *
 * The boot page also carries the kind of each of the VM's devices, as its
 * server declares it (<mica/proto/devkind.h>): the root task read them
 * from the servers' ELF files and checked every device's compatible
 * against them, and the VMM writes each device's node in the guest's
 * device tree from its kind.
 */
#ifndef MICA_PROTO_VMM_H
#define MICA_PROTO_VMM_H

#include <stdint.h>

#include <mica/proto/devkind.h>
#include <mica/sysdesc.h>

#define VMM_BOOT_MAGIC UINT64_C(0x544f4f424d4d4d56) /* "VMMMBOOT" */

#define VMM_BOOT_VA  UINT64_C(0x0000007ffe000000)
#define VMM_FILES_VA UINT64_C(0x0000005000000000) /* The description, kernel and initrd. */
#define VMM_RAM_VA   UINT64_C(0x0000004000000000) /* Guest RAM regions, one after another. */

#define VMM_KINDS_MAX 8 /* Different kinds of device in one VM. */

enum vmm_cap {
	VMM_CAP_EP = 1,
	VMM_CAP_REPLY = 2,
	VMM_CAP_VM = 3,
	VMM_CAP_VCPU_FIRST = 8,
	VMM_CAP_TCB_FIRST = VMM_CAP_VCPU_FIRST + SYSDESC_VCPU_MAX,
	VMM_CAP_DEVICE_FIRST = VMM_CAP_TCB_FIRST + SYSDESC_VCPU_MAX,
	VMM_CAP_PASSTHROUGH_IRQ_FIRST = VMM_CAP_DEVICE_FIRST + SYSDESC_DEVICE_MAX,
	/* Device i's line notification, if its kind has VDEV_KIND_EDGE_LINE (all rights). */
	VMM_CAP_LINE_FIRST = VMM_CAP_PASSTHROUGH_IRQ_FIRST + SYSDESC_PASSTHROUGH_MAX,
	/* The notification of the VM's k-th channel end (sysdesc_channel_end_of), all rights. */
	VMM_CAP_CHANNEL_FIRST = VMM_CAP_LINE_FIRST + SYSDESC_DEVICE_MAX,
	/*
	 * The IVC server's endpoint, badged with the VM's index, and the VM's
	 * dynamic-channel notification (all rights), when the VM has an ivc
	 * node (<mica/proto/ivc.h>).
	 */
	VMM_CAP_IVC = VMM_CAP_CHANNEL_FIRST + SYSDESC_VM_CHANNEL_MAX,
	VMM_CAP_IVC_LINE,
	VMM_CAP_END,
};

#define VMM_CAP_VCPU(i)		   ((uint64_t)VMM_CAP_VCPU_FIRST + (i))
#define VMM_CAP_TCB(i)		   ((uint64_t)VMM_CAP_TCB_FIRST + (i))
#define VMM_CAP_DEVICE(i)	   ((uint64_t)VMM_CAP_DEVICE_FIRST + (i))
#define VMM_CAP_PASSTHROUGH_IRQ(i) ((uint64_t)VMM_CAP_PASSTHROUGH_IRQ_FIRST + (i))
#define VMM_CAP_LINE(i)		   ((uint64_t)VMM_CAP_LINE_FIRST + (i))
#define VMM_CAP_CHANNEL(k)	   ((uint64_t)VMM_CAP_CHANNEL_FIRST + (k))

/* Badges on VMM_CAP_EP; the low bits are the index. */
#define VMM_BADGE_VCPU	     (UINT64_C(1) << 40)
#define VMM_BADGE_DEVICE     (UINT64_C(1) << 41)
#define VMM_BADGE_INDEX_MASK UINT64_C(0xffff)

/* A file the root task copied for the VMM: where it is, and its size. */
struct vmm_boot_file {
	uint64_t va;
	uint64_t size; /* 0: none. */
};

/* A region of guest RAM: guest-physical, and where the VMM sees it. */
struct vmm_boot_region {
	uint64_t ipa;
	uint64_t size;
	uint64_t va;
};

struct vmm_boot {
	uint64_t magic;	   /* VMM_BOOT_MAGIC. */
	uint32_t vm_index; /* Which VM of the description this VMM runs. */
	uint32_t region_count;
	struct vmm_boot_file description; /* The system description (a DTB). */
	struct vmm_boot_file kernel;
	struct vmm_boot_file initrd;
	struct vmm_boot_region regions[SYSDESC_REGION_MAX];
	uint8_t device_has_server[SYSDESC_DEVICE_MAX]; /* VMM_CAP_DEVICE(i) holds a capability. */
	uint8_t device_kind[SYSDESC_DEVICE_MAX];       /* Device i is of kinds[device_kind[i]]. */
	uint32_t kind_count;
	uint32_t reserved;
	struct vdev_kind kinds[VMM_KINDS_MAX];
};

_Static_assert(sizeof(struct vmm_boot) <= 4096, "the boot page is one page");

#endif
