/*
 * PSCI 1.1 and the SMCCC 1.1 architecture calls for one VM, as the guest
 * makes them with HVC: a hypercall's x0..x3 go in, the value for x0 and an
 * action for the VMM come out. Pure logic: the module keeps the VM's vCPU
 * power states and never starts or stops anything itself; the VMM performs
 * the action (start a vCPU, stop one, power the VM off or reset it) and
 * tells the module the outcome where it matters.
 *
 * References: Arm Power State Coordination Interface (DEN0022, PSCI 1.1)
 * and the SMC Calling Convention (DEN0028, SMCCC 1.1).
 */
#ifndef MICA_VMM_PSCI_H
#define MICA_VMM_PSCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

#define PSCI_MAX_VCPUS 8u

/* Function IDs (PSCI §5.1, SMCCC §7). SMC64 IDs have bit 30 set. */
#define PSCI_0_2_FN_BASE       UINT32_C(0x84000000)
#define PSCI_0_2_FN64_BASE     UINT32_C(0xc4000000)
#define PSCI_VERSION	       (PSCI_0_2_FN_BASE + 0x0)
#define PSCI_CPU_SUSPEND       (PSCI_0_2_FN_BASE + 0x1)
#define PSCI_CPU_OFF	       (PSCI_0_2_FN_BASE + 0x2)
#define PSCI_CPU_ON	       (PSCI_0_2_FN_BASE + 0x3)
#define PSCI_CPU_ON_64	       (PSCI_0_2_FN64_BASE + 0x3)
#define PSCI_AFFINITY_INFO     (PSCI_0_2_FN_BASE + 0x4)
#define PSCI_AFFINITY_INFO_64  (PSCI_0_2_FN64_BASE + 0x4)
#define PSCI_MIGRATE_INFO_TYPE (PSCI_0_2_FN_BASE + 0x6)
#define PSCI_SYSTEM_OFF	       (PSCI_0_2_FN_BASE + 0x8)
#define PSCI_SYSTEM_RESET      (PSCI_0_2_FN_BASE + 0x9)
#define PSCI_FEATURES	       (PSCI_0_2_FN_BASE + 0xa)
#define SMCCC_VERSION	       UINT32_C(0x80000000)
#define SMCCC_ARCH_FEATURES    UINT32_C(0x80000001)

/* What PSCI_VERSION and SMCCC_VERSION report: major << 16 | minor. */
#define PSCI_VERSION_VALUE  UINT32_C(0x00010001) /* 1.1 */
#define SMCCC_VERSION_VALUE UINT32_C(0x00010001) /* 1.1 */

/* Return codes (PSCI §5.2.2); SMCCC's NOT_SUPPORTED is the same -1. */
enum psci_ret {
	PSCI_RET_SUCCESS = 0,
	PSCI_RET_NOT_SUPPORTED = -1,
	PSCI_RET_INVALID_PARAMETERS = -2,
	PSCI_RET_DENIED = -3,
	PSCI_RET_ALREADY_ON = -4,
	PSCI_RET_ON_PENDING = -5,
	PSCI_RET_INTERNAL_FAILURE = -6,
	PSCI_RET_NOT_PRESENT = -7,
	PSCI_RET_DISABLED = -8,
	PSCI_RET_INVALID_ADDRESS = -9,
};

/*
 * A vCPU's power state, numbered as AFFINITY_INFO reports it (PSCI
 * §5.7.2).
 */
enum psci_power {
	PSCI_POWER_ON = 0,
	PSCI_POWER_OFF = 1,
	/*
	 * CPU_ON succeeded but the VMM has not yet reported (psci_cpu_on_done)
	 * that the vCPU runs at its entry point.
	 */
	PSCI_POWER_ON_PENDING = 2,
};

/* What the VMM must do after a call. */
enum psci_action_kind {
	PSCI_ACTION_NONE,	  /* Answer x0 and resume the caller. */
	PSCI_ACTION_CPU_ON,	  /* Start action.vcpu at entry with context in x0, then resume. */
	PSCI_ACTION_CPU_OFF,	  /* Stop the caller; do not resume it. */
	PSCI_ACTION_SYSTEM_OFF,	  /* Power the VM off (ShuttingDown). */
	PSCI_ACTION_SYSTEM_RESET, /* Reset the VM to Initial and boot it again. */
};

struct psci_action {
	enum psci_action_kind kind;
	unsigned vcpu;	  /* CPU_ON: the target's index; CPU_OFF: the caller's. */
	uint64_t mpidr;	  /* CPU_ON: the target's affinity, as the guest gave it. */
	uint64_t entry;	  /* CPU_ON: the target's first PC (guest-physical). */
	uint64_t context; /* CPU_ON: the target's x0 at entry. */
};

struct psci_result {
	uint64_t x0; /* The value for the caller's x0 (a psci_ret, sign-extended). */
	struct psci_action action;
};

/* One vCPU as PSCI sees it. */
struct psci_vcpu {
	uint64_t mpidr; /* Affinity fields only (Aff3..Aff0). */
	enum psci_power power;
};

/*
 * A VM's PSCI state. entry_base/entry_size bound the entry points CPU_ON
 * accepts (the guest's RAM); entry_size 0 accepts any 4-byte aligned one.
 */
struct psci_state {
	struct psci_vcpu vcpus[PSCI_MAX_VCPUS];
	unsigned vcpu_count;
	unsigned boot_vcpu;
	uint64_t entry_base;
	uint64_t entry_size;
};

/*
 * Set up st for vcpu_count vCPUs with the given MPIDRs (affinity fields
 * only, all distinct), boot_vcpu on and the others off. Errors:
 * MICA_ERR_INVALID_ARGUMENT for no vCPUs, too many, a boot index out of
 * range, an MPIDR with bits outside the affinity fields, or a repeated one.
 */
enum mica_error psci_init(struct psci_state *st, const uint64_t *mpidrs, unsigned vcpu_count,
			  unsigned boot_vcpu) __attribute__((warn_unused_result));

/* Power states back to those psci_init set: the VM was reset to Initial. */
void psci_reset(struct psci_state *st);

/*
 * Serve the call in x[0..3] that vCPU caller made. An unknown function ID,
 * or a caller index out of range, yields NOT_SUPPORTED with no action.
 * Changes st only as the returned action implies: CPU_ON marks the target
 * ON_PENDING, CPU_OFF marks the caller OFF.
 */
struct psci_result psci_call(struct psci_state *st, unsigned caller, const uint64_t x[4]);

/*
 * The VMM's report on a CPU_ON action: started (the vCPU now runs at its
 * entry point: ON) or not (it could not be started: OFF again). Errors:
 * MICA_ERR_RANGE for an unknown vCPU, MICA_ERR_ILLEGAL_OPERATION if it was
 * not ON_PENDING.
 */
enum mica_error psci_cpu_on_done(struct psci_state *st, unsigned vcpu, bool started)
	__attribute__((warn_unused_result));

#endif
