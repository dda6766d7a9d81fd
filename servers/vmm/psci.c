/*
 * PSCI 1.1 and SMCCC 1.1 calls for one VM (see psci.h).
 *
 * What is served, and how:
 *
 *   PSCI_VERSION           1.1.
 *   PSCI_FEATURES          0 for each function below (both IDs where PSCI
 *                          defines SMC32 and SMC64 ones) and for
 *                          SMCCC_VERSION, as PSCI §5.15 asks; NOT_SUPPORTED
 *                          for the rest, CPU_SUSPEND included.
 *   CPU_ON (32 and 64)     INVALID_PARAMETERS for bits outside the MPIDR
 *                          affinity fields or an MPIDR no vCPU has;
 *                          INVALID_ADDRESS for an entry point that is not
 *                          4-byte aligned or outside the guest's RAM;
 *                          ALREADY_ON for a vCPU that runs; ON_PENDING for
 *                          one whose CPU_ON the VMM has not yet completed.
 *                          Otherwise SUCCESS: the target becomes ON_PENDING
 *                          and the VMM gets a CPU_ON action. It becomes ON
 *                          when the VMM reports it started (psci_cpu_on_done),
 *                          OFF again if it could not be.
 *   CPU_OFF                The caller becomes OFF; the VMM stops it, and the
 *                          call does not return (x0 is moot).
 *   AFFINITY_INFO (32, 64) Level 0 only (PSCI 1.0 dropped the others): ON,
 *                          OFF or ON_PENDING; INVALID_PARAMETERS for another
 *                          level or an unknown MPIDR.
 *   MIGRATE_INFO_TYPE      2: no Trusted OS that needs migrating (§5.9).
 *   SYSTEM_OFF, SYSTEM_RESET  An action; the power table is the VMM's to
 *                          reset (psci_reset) when it resets the VM.
 *   SMCCC_VERSION          1.1.
 *   SMCCC_ARCH_FEATURES    0 for SMCCC_VERSION and SMCCC_ARCH_FEATURES;
 *                          NOT_SUPPORTED for everything else (the Spectre
 *                          workaround calls included).
 *
 * Any other function ID, SMCCC yielding calls included, is NOT_SUPPORTED.
 * The function ID is W0 (SMCCC §2.5: the upper half of X0 is ignored); for
 * an SMC32 function only the low 32 bits of each argument count (§2.6).
 */
#include "psci.h"

#include <string.h>

/* The affinity fields of an MPIDR: Aff3 (39:32), Aff2, Aff1, Aff0 (23:0). */
#define MPIDR_AFFINITY_MASK UINT64_C(0xff00ffffff)

/* AFFINITY_INFO's only level, and MIGRATE_INFO_TYPE's answer. */
#define AFFINITY_LEVEL_0	0
#define MIGRATE_TYPE_NOT_NEEDED 2

#define ENTRY_ALIGN UINT64_C(4)

/* Function IDs served, for PSCI_FEATURES. */
static const uint32_t psci_functions[] = {
	PSCI_VERSION,		PSCI_CPU_OFF,	    PSCI_CPU_ON,
	PSCI_CPU_ON_64,		PSCI_AFFINITY_INFO, PSCI_AFFINITY_INFO_64,
	PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF,    PSCI_SYSTEM_RESET,
	PSCI_FEATURES,		SMCCC_VERSION,
};

enum mica_error psci_init(struct psci_state *st, const uint64_t *mpidrs, unsigned vcpu_count,
			  unsigned boot_vcpu)
{
	if (mpidrs == NULL || vcpu_count == 0 || vcpu_count > PSCI_MAX_VCPUS ||
	    boot_vcpu >= vcpu_count)
		return MICA_ERR_INVALID_ARGUMENT;
	for (unsigned i = 0; i < vcpu_count; i++) {
		if (mpidrs[i] & ~MPIDR_AFFINITY_MASK)
			return MICA_ERR_INVALID_ARGUMENT;
		for (unsigned j = 0; j < i; j++) {
			if (mpidrs[j] == mpidrs[i])
				return MICA_ERR_INVALID_ARGUMENT;
		}
	}
	memset(st, 0, sizeof(*st));
	st->vcpu_count = vcpu_count;
	st->boot_vcpu = boot_vcpu;
	for (unsigned i = 0; i < vcpu_count; i++)
		st->vcpus[i].mpidr = mpidrs[i];
	psci_reset(st);
	return MICA_OK;
}

void psci_reset(struct psci_state *st)
{
	for (unsigned i = 0; i < st->vcpu_count; i++)
		st->vcpus[i].power = i == st->boot_vcpu ? PSCI_POWER_ON : PSCI_POWER_OFF;
}

static struct psci_result answer(int64_t value)
{
	return (struct psci_result){.x0 = (uint64_t)value, .action = {.kind = PSCI_ACTION_NONE}};
}

/* The vCPU whose MPIDR is mpidr, or -1; -2 if mpidr is not an affinity value. */
static int find_vcpu(const struct psci_state *st, uint64_t mpidr)
{
	if (mpidr & ~MPIDR_AFFINITY_MASK)
		return -2;
	for (unsigned i = 0; i < st->vcpu_count; i++) {
		if (st->vcpus[i].mpidr == mpidr)
			return (int)i;
	}
	return -1;
}

static bool is_valid_entry(const struct psci_state *st, uint64_t entry)
{
	if (entry & (ENTRY_ALIGN - 1))
		return false;
	if (st->entry_size == 0)
		return true;
	return entry >= st->entry_base && entry - st->entry_base < st->entry_size;
}

static struct psci_result cpu_on(struct psci_state *st, uint64_t mpidr, uint64_t entry,
				 uint64_t context)
{
	int target = find_vcpu(st, mpidr);
	struct psci_result r;

	if (target < 0)
		return answer(PSCI_RET_INVALID_PARAMETERS);
	if (!is_valid_entry(st, entry))
		return answer(PSCI_RET_INVALID_ADDRESS);
	switch (st->vcpus[target].power) {
	case PSCI_POWER_ON:
		return answer(PSCI_RET_ALREADY_ON);
	case PSCI_POWER_ON_PENDING:
		return answer(PSCI_RET_ON_PENDING);
	case PSCI_POWER_OFF:
		break;
	}
	st->vcpus[target].power = PSCI_POWER_ON_PENDING;
	r = answer(PSCI_RET_SUCCESS);
	r.action = (struct psci_action){
		.kind = PSCI_ACTION_CPU_ON,
		.vcpu = (unsigned)target,
		.mpidr = mpidr,
		.entry = entry,
		.context = context,
	};
	return r;
}

static struct psci_result affinity_info(const struct psci_state *st, uint64_t mpidr, uint64_t level)
{
	int target = find_vcpu(st, mpidr);

	if (level != AFFINITY_LEVEL_0 || target < 0)
		return answer(PSCI_RET_INVALID_PARAMETERS);
	return answer(st->vcpus[target].power);
}

static struct psci_result features(uint32_t fid)
{
	for (size_t i = 0; i < sizeof(psci_functions) / sizeof(psci_functions[0]); i++) {
		if (psci_functions[i] == fid)
			return answer(PSCI_RET_SUCCESS);
	}
	return answer(PSCI_RET_NOT_SUPPORTED);
}

static struct psci_result arch_features(uint32_t fid)
{
	if (fid == SMCCC_VERSION || fid == SMCCC_ARCH_FEATURES)
		return answer(PSCI_RET_SUCCESS);
	return answer(PSCI_RET_NOT_SUPPORTED);
}

static struct psci_result system_action(enum psci_action_kind kind)
{
	struct psci_result r = answer(PSCI_RET_SUCCESS);

	r.action.kind = kind;
	return r;
}

struct psci_result psci_call(struct psci_state *st, unsigned caller, const uint64_t x[4])
{
	uint32_t fid = (uint32_t)x[0];
	struct psci_result r;

	if (caller >= st->vcpu_count)
		return answer(PSCI_RET_NOT_SUPPORTED);
	switch (fid) {
	case PSCI_VERSION:
		return answer(PSCI_VERSION_VALUE);
	case PSCI_FEATURES:
		return features((uint32_t)x[1]);
	case PSCI_CPU_ON:
		return cpu_on(st, (uint32_t)x[1], (uint32_t)x[2], (uint32_t)x[3]);
	case PSCI_CPU_ON_64:
		return cpu_on(st, x[1], x[2], x[3]);
	case PSCI_CPU_OFF:
		st->vcpus[caller].power = PSCI_POWER_OFF;
		r = answer(PSCI_RET_SUCCESS);
		r.action.kind = PSCI_ACTION_CPU_OFF;
		r.action.vcpu = caller;
		return r;
	case PSCI_AFFINITY_INFO:
		return affinity_info(st, (uint32_t)x[1], (uint32_t)x[2]);
	case PSCI_AFFINITY_INFO_64:
		return affinity_info(st, x[1], x[2]);
	case PSCI_MIGRATE_INFO_TYPE:
		return answer(MIGRATE_TYPE_NOT_NEEDED);
	case PSCI_SYSTEM_OFF:
		return system_action(PSCI_ACTION_SYSTEM_OFF);
	case PSCI_SYSTEM_RESET:
		return system_action(PSCI_ACTION_SYSTEM_RESET);
	case SMCCC_VERSION:
		return answer(SMCCC_VERSION_VALUE);
	case SMCCC_ARCH_FEATURES:
		return arch_features((uint32_t)x[1]);
	default:
		return answer(PSCI_RET_NOT_SUPPORTED);
	}
}

enum mica_error psci_cpu_on_done(struct psci_state *st, unsigned vcpu, bool started)
{
	if (vcpu >= st->vcpu_count)
		return MICA_ERR_RANGE;
	if (st->vcpus[vcpu].power != PSCI_POWER_ON_PENDING)
		return MICA_ERR_ILLEGAL_OPERATION;
	st->vcpus[vcpu].power = started ? PSCI_POWER_ON : PSCI_POWER_OFF;
	return MICA_OK;
}
