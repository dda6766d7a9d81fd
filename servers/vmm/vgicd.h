/*
 * The GICv3 distributor and redistributors a VM sees: a register model for
 * the guest's MMIO to GICD_* and to each vCPU's GICR_* RD_base and SGI_base
 * frames, which decides when an interrupt goes into a vCPU. Pure logic: it
 * asks for injections and withdrawals through the callbacks in struct
 * vgicd_ops, which the VMM implements with the kernel's VCPU InjectIRQ
 * (always with MICA_VIRQ_NOTIFY_EOI) and ClearIRQ, and which tests fake.
 *
 * The model is of a GIC with a single Security state (GICD_CTLR.DS reads
 * 1), affinity routing always on (ARE reads 1), no LPIs and no ITS. The
 * guest's CPU interface is the kernel's business (list registers); see
 * vgicd.c for how the two meet. Reference: Arm GIC architecture
 * specification v3/v4 (IHI 0069), chapters 12 (distributor) and 12.10+
 * (redistributor) register descriptions.
 */
#ifndef MICA_VMM_VGICD_H
#define MICA_VMM_VGICD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>
#include <mica/guest_platform.h>

#define VGICD_MAX_VCPUS 8u
#define VGICD_MAX_SPIS	96u /* INTIDs 32..127 (GUEST_SPI_LAST). */
#define VGICD_PRIVATE	32u /* SGIs 0..15 and PPIs 16..31, per vCPU. */

/*
 * The guest platform's layout (QEMU virt's), the default: the parser of
 * system descriptions keeps guest RAM and devices off these same ranges.
 */
#define VGICD_DEFAULT_DIST_BASE	  GUEST_GICD_BASE
#define VGICD_DEFAULT_REDIST_BASE GUEST_GICR_BASE
#define VGICD_DIST_SIZE		  GUEST_GICD_SIZE
#define VGICD_REDIST_STRIDE	  GUEST_GICR_STRIDE /* RD_base and SGI_base, 64 KiB each. */

/*
 * What the model needs done. inject makes intid pending in vCPU vcpu with
 * priority prio (the VMM asks the kernel to report its EOI, and calls
 * vgicd_eoi); a non-OK result (say the vCPU's queue is full) leaves the
 * interrupt pending in the model, which retries at the vCPU's next EOI or
 * state change. clear withdraws intid from vcpu if the guest has not yet
 * taken it.
 */
struct vgicd_ops {
	enum mica_error (*inject)(void *ctx, unsigned vcpu, unsigned intid, uint8_t prio);
	void (*clear)(void *ctx, unsigned vcpu, unsigned intid);
	/*
	 * Optional (NULL: none). The SGIs vcpu may take straight from another
	 * vCPU, without the model (the kernel's MICA_VCPU_SET_SGI): those
	 * enabled, in an enabled group and not active (bit n: SGI n), with
	 * their priorities. Called whenever that changes, and after a reset.
	 */
	void (*direct_sgis)(void *ctx, unsigned vcpu, uint16_t enabled, const uint8_t prio[16]);
	/*
	 * For the PPIs the kernel delivers itself (vgicd_config.kernel_ppis: the
	 * guest's timers), which the model never injects. Optional (NULL: the
	 * kernel's defaults stand, and they read as never pending nor active).
	 * kernel_ppis: which of them vcpu has enabled, in an enabled group (bit
	 * n: INTID n), with the priorities of all its private INTIDs; called
	 * whenever that changes, and after a reset. kernel_ppi_state: intid's
	 * state for vcpu now, VGICD_PPI_* bits: its line high (a timer whose
	 * condition is met), and active (the guest took it and has not yet
	 * deactivated it). Asked when the guest reads its pending or active
	 * state.
	 */
	void (*kernel_ppis)(void *ctx, unsigned vcpu, uint32_t enabled,
			    const uint8_t prio[VGICD_PRIVATE]);
	unsigned (*kernel_ppi_state)(void *ctx, unsigned vcpu, unsigned intid);
	/*
	 * For the SPIs the kernel delivers itself (vgicd_config.kernel_spis:
	 * raised by a device server's signal, MICA_NOTIFICATION_BIND_VIRQ),
	 * which the model never injects. Required if there are any: whether
	 * the guest takes intid now (enabled, in an enabled group, routed to
	 * an existing vCPU), on which vCPU (0 when none), at which priority.
	 * Called whenever that changes, and for each after a reset; false if
	 * the kernel could not be told, to be tried again at the next change.
	 */
	bool (*kernel_spi)(void *ctx, unsigned intid, unsigned vcpu, uint8_t prio, bool is_open);
	void *ctx;
};

/* What ops.kernel_ppi_state answers. */
#define VGICD_PPI_LINE	 1u /* The line is high: the interrupt is pending. */
#define VGICD_PPI_ACTIVE 2u /* The guest has it active. */

struct vgicd_config {
	uint64_t dist_base;   /* 64 KiB aligned. */
	uint64_t redist_base; /* 64 KiB aligned; vcpu_count frames of VGICD_REDIST_STRIDE. */
	unsigned spi_count;   /* 32, 64 or 96. */
	unsigned vcpu_count;
	uint64_t mpidrs[VGICD_MAX_VCPUS]; /* Each vCPU's affinity (Aff3..Aff0). */
	uint32_t kernel_ppis;		  /* PPIs the kernel delivers (bit n: INTID n, 16..31). */
	/* SPIs the kernel delivers, edge-triggered (word w bit n: INTID 32 + 32w + n). */
	uint32_t kernel_spis[VGICD_MAX_SPIS / 32u];
};

/* One interrupt's state at the distributor or a redistributor. */
struct vgicd_irq {
	uint8_t priority;
	bool is_group1;
	bool is_enabled;
	bool is_edge;	   /* ICFGR: edge-triggered (else level-sensitive). */
	bool is_latched;   /* Pending: an edge, or set by ISPENDR, not yet injected. */
	bool line;	   /* The input line's level (level-sensitive interrupts). */
	bool is_active;	   /* Set through ISACTIVER; the kernel's PPIs: what it says. */
	bool is_forwarded; /* Injected into forwarded_to and not yet EOI'd or cleared. */
	bool is_kernels;   /* Delivered by the kernel (vgicd_config.kernel_ppis, kernel_spis). */
	uint8_t forwarded_to;
	/* A kernel SPI: what ops.kernel_spi last said (has_told: it has been called). */
	bool has_told, told_open;
	uint8_t told_vcpu, told_prio;
	uint64_t route; /* SPIs: GICD_IROUTER (Aff3..Aff0, IRM). */
};

struct vgicd_redist {
	struct vgicd_irq private_irqs[VGICD_PRIVATE];
	bool is_asleep; /* GICR_WAKER.ProcessorSleep. */
	/* What ops.direct_sgis last said (has_direct: it has been called). */
	bool has_direct;
	uint16_t direct;
	uint8_t direct_prio[16];
	/* What ops.kernel_ppis last said (has_kernel: it has been called). */
	bool has_kernel;
	uint32_t kernel_enabled;
	uint8_t kernel_prio[VGICD_PRIVATE];
};

struct vgicd {
	struct vgicd_config cfg;
	struct vgicd_ops ops;
	uint32_t ctlr; /* GICD_CTLR's EnableGrp0 and EnableGrp1 bits. */
	struct vgicd_irq spis[VGICD_MAX_SPIS];
	struct vgicd_redist redists[VGICD_MAX_VCPUS];
	uint64_t ignored_writes; /* Writes to registers the model does not have. */
	uint64_t unknown_reads;	 /* Reads of registers the model does not have (RAZ). */
};

/*
 * Set up g for cfg, in the GIC's reset state (everything disabled, group 0,
 * priority 0, SPIs level-sensitive and routed to affinity 0). Errors:
 * MICA_ERR_INVALID_ARGUMENT for an spi_count that is not 32, 64 or 96, no
 * vCPUs or too many, repeated MPIDRs or bits outside the affinity fields;
 * MICA_ERR_ALIGNMENT for bases not 64 KiB aligned; MICA_ERR_RANGE if the
 * two regions overlap or wrap.
 */
enum mica_error vgicd_init(struct vgicd *g, const struct vgicd_config *cfg,
			   const struct vgicd_ops *ops) __attribute__((warn_unused_result));

/*
 * Put g back in its reset state (a guest reboot), with the same
 * configuration. The SPIs' input lines keep their levels: they are the
 * devices' outputs, which a reset of the GIC does not change, and a device
 * server raises a line only when its level changes.
 */
void vgicd_reset(struct vgicd *g);

/* True if addr lies in the distributor's or a redistributor's frames. */
bool vgicd_contains(const struct vgicd *g, uint64_t addr);

/*
 * A guest load of size bytes (1, 2, 4 or 8) at guest-physical addr; the
 * value read goes to *value. Errors: MICA_ERR_RANGE if addr is not in the
 * GIC's frames; MICA_ERR_ALIGNMENT if it is not size-aligned;
 * MICA_ERR_INVALID_ARGUMENT for a width the register does not allow (bytes
 * only for IPRIORITYR and ITARGETSR, 64 bits only for IROUTER and
 * GICR_TYPER, never 16 bits). Nothing changes on error.
 */
enum mica_error vgicd_read(struct vgicd *g, uint64_t addr, unsigned size, uint64_t *value)
	__attribute__((warn_unused_result));

/* A guest store; errors as for vgicd_read. */
enum mica_error vgicd_write(struct vgicd *g, uint64_t addr, unsigned size, uint64_t value)
	__attribute__((warn_unused_result));

/*
 * A device's interrupt line: for a level-sensitive interrupt it is pending
 * while high; for an edge-triggered one a rise makes it pending. vcpu names
 * the redistributor for a PPI (INTID 16..31) and is ignored for SPIs.
 * Errors: MICA_ERR_RANGE for an SGI, an INTID past the SPIs, or a vCPU out
 * of range; MICA_ERR_INVALID_ARGUMENT for one the kernel delivers.
 */
enum mica_error vgicd_set_line(struct vgicd *g, unsigned vcpu, unsigned intid, bool level)
	__attribute__((warn_unused_result));

/*
 * vCPU vcpu deactivated intid (the kernel's MICA_EXIT_VIRQ_EOI): it is no
 * longer in the vCPU's interface, and is injected again if still pending
 * (a level-sensitive line still high, or a new edge). Errors: MICA_ERR_RANGE.
 */
enum mica_error vgicd_eoi(struct vgicd *g, unsigned vcpu, unsigned intid)
	__attribute__((warn_unused_result));

/*
 * vCPU sender wrote value to ICC_SGI1R_EL1 (a trapped system-register
 * write): make the SGI pending on each target. Targets whose affinity no
 * vCPU has are ignored, as the architecture allows. Errors: MICA_ERR_RANGE
 * for a sender out of range.
 */
enum mica_error vgicd_sgi1r_write(struct vgicd *g, unsigned sender, uint64_t value)
	__attribute__((warn_unused_result));

#endif
