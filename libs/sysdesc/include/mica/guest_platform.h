/*
 * The guest platform: the parts of every VM's guest-physical address space
 * that are fixed, whatever its system description says. The VMM emulates a
 * GICv3 there (servers/vmm/vgicd.h takes its addresses from here) and
 * describes it in the guest's device tree (servers/vmm/fdtgen.c). The
 * addresses are QEMU virt's, where guests built for that machine look for
 * the GIC.
 *
 * The description's parser refuses memory regions, devices and passthrough
 * regions that overlap any of these (libs/sysdesc/ranges.c, which lists
 * them: a new fixed region goes in that list too). Nothing else is fixed:
 * RAM and devices are where the description puts them, the VMM loads the
 * kernel, device tree and initrd inside the boot region, and the GIC's CPU
 * interface, the timers and PSCI are system registers and calls, not memory.
 */
#ifndef MICA_GUEST_PLATFORM_H
#define MICA_GUEST_PLATFORM_H

#include <stdint.h>

/* The GIC distributor: one 64 KiB frame of GICD_* registers. */
#define GUEST_GICD_BASE UINT64_C(0x08000000)
#define GUEST_GICD_SIZE UINT64_C(0x10000)

/*
 * The GIC redistributors: one for each vCPU, in vCPU order, each an RD_base
 * and an SGI_base frame of 64 KiB (GIC architecture specification, IHI 0069,
 * chapter 12), so the range grows with the VM's vCPU count.
 */
#define GUEST_GICR_BASE		    UINT64_C(0x080a0000)
#define GUEST_GICR_STRIDE	    UINT64_C(0x20000)
#define GUEST_GICR_SIZE(vcpu_count) (GUEST_GICR_STRIDE * (uint64_t)(vcpu_count))

/* The last SPI the distributor has (GICD_TYPER: 96 SPIs, INTIDs 32..127). */
#define GUEST_SPI_LAST 127u

#endif
