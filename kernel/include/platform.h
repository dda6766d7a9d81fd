/*
 * What the kernel learns about the machine from the device tree it is
 * handed at boot. The platform is data, not #ifdefs: everything the kernel
 * knows about QEMU virt (or any other board) arrives through this struct.
 *
 * platform_discover() runs twice: once with the MMU off, before the kernel
 * is at its link address, and once after. It therefore writes only into
 * the struct it is given, which holds no pointers.
 */
#ifndef MICA_PLATFORM_H
#define MICA_PLATFORM_H

#include "types.h"

#define PLATFORM_MAX_MEM      8
#define PLATFORM_MAX_RESERVED 8
#define PLATFORM_MAX_CPUS     16
#define PLATFORM_MAX_REDIST   4
#define PLATFORM_MODEL_MAX    64

/* How PSCI firmware calls are made, from the /psci node's "method". */
enum psci_conduit {
	PSCI_CONDUIT_NONE = 0,
	PSCI_CONDUIT_SMC,
	PSCI_CONDUIT_HVC,
};

struct platform {
	char model[PLATFORM_MODEL_MAX]; /* Root "model", or "". */
	uint64_t fdt_size;		/* The blob's total size in bytes. */

	struct mem_range mem[PLATFORM_MAX_MEM]; /* /memory "reg" ranges. */
	size_t mem_count;

	/* The memory reservation block plus /reserved-memory children. */
	struct mem_range reserved[PLATFORM_MAX_RESERVED];
	size_t reserved_count;

	uint64_t cpu_mpidr[PLATFORM_MAX_CPUS]; /* /cpus/cpu@N "reg". */
	size_t cpu_count;

	/* GICv3 ("arm,gic-v3"): distributor and redistributor regions. */
	struct mem_range gic_dist;
	struct mem_range gic_redist[PLATFORM_MAX_REDIST];
	size_t gic_redist_count;
	uint32_t gic_maintenance_intid; /* The GIC node's "interrupts": for the vGIC. */

	/* The console PL011 ("arm,pl011"), preferring /chosen stdout-path. */
	struct mem_range uart;
	uint32_t uart_intid; /* GIC INTID, 0 if none. */

	/*
	 * Architected timer ("arm,armv8-timer") PPIs as GIC INTIDs, in the
	 * binding's order: secure physical, non-secure physical, virtual,
	 * hypervisor physical. 0 where the node does not give one.
	 */
	uint32_t timer_sec_phys_intid;
	uint32_t timer_phys_intid;
	uint32_t timer_virt_intid;
	uint32_t timer_hyp_phys_intid;

	enum psci_conduit psci;
};

/*
 * Fill *out from the flattened device tree at fdt, which may be at most
 * max_size bytes long. Returns MICA_OK, or:
 *   MICA_ERR_MALFORMED for a blob that is not a valid FDT, or one whose
 *     content the kernel cannot use (unsupported #address-cells, a partial
 *     or wrapping "reg", a GIC with fewer regions than it declares, a CPU
 *     without "reg");
 *   MICA_ERR_TRUNCATED if it claims more than max_size;
 *   MICA_ERR_NOT_FOUND if no memory node gives a usable range.
 * On error *out is zeroed. *why (if not NULL) is set to a string literal
 * saying what is wrong, or NULL on success; from the MMU-off run it is a
 * physical address, so it must not be kept. Tables that overflow the
 * fixed arrays are cut at their capacity. Addresses are not translated
 * through a parent's "ranges" (QEMU virt needs none); an INTID is 0 when
 * the interrupt's parent is not the GICv3.
 */
enum mica_error platform_discover(const void *fdt, size_t max_size, struct platform *out,
				  const char **why) MUST_CHECK;

#endif
