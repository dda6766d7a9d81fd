/*
 * Unit tests for servers/vmm/psci.c: PSCI 1.1 and SMCCC 1.1 dispatch from a
 * hypercall's x0..x3 to x0 and an action, with the VM's vCPU power states.
 * Function IDs and return codes are written out as the PSCI and SMCCC
 * specifications number them, not taken from psci.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "psci.h"

#define NOT_SUPPORTED	   UINT64_MAX /* -1 */
#define INVALID_PARAMETERS (UINT64_MAX - 1)
#define ALREADY_ON	   (UINT64_MAX - 3)
#define ON_PENDING	   (UINT64_MAX - 4)
#define INVALID_ADDRESS	   (UINT64_MAX - 8)

#define ENTRY UINT64_C(0x40080000)

/* Four vCPUs: Aff0 0 and 1, one on Aff1 = 1, one on Aff3 = 1. */
static const uint64_t mpidrs[] = {0x0, 0x1, 0x100, UINT64_C(0x100000000)};

static struct psci_state st;

static int setup(void **state)
{
	assert_int_equal(psci_init(&st, mpidrs, 4, 0), MICA_OK);
	return 0;
}

static struct psci_result call(unsigned caller, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3)
{
	const uint64_t x[4] = {x0, x1, x2, x3};

	return psci_call(&st, caller, x);
}

static uint64_t affinity(uint64_t mpidr)
{
	struct psci_result r = call(0, 0xc4000004, mpidr, 0, 0);

	assert_int_equal(r.action.kind, PSCI_ACTION_NONE);
	return r.x0;
}

static void test_psci_version_is_1_1(void **state)
{
	struct psci_result r = call(0, 0x84000000, 0, 0, 0);

	assert_int_equal(r.x0, 0x10001);
	assert_int_equal(r.action.kind, PSCI_ACTION_NONE);
	/* The function ID is W0: the upper half of X0 does not count. */
	assert_int_equal(call(0, UINT64_C(0xffffffff84000000), 0, 0, 0).x0, 0x10001);
}

static void test_smccc_version_is_1_1(void **state)
{
	assert_int_equal(call(0, 0x80000000, 0, 0, 0).x0, 0x10001);
}

static void test_psci_features_reports_each_served_function(void **state)
{
	static const uint32_t served[] = {
		0x84000000, 0x84000002, 0x84000003, 0xc4000003, 0x84000004, 0xc4000004,
		0x84000006, 0x84000008, 0x84000009, 0x8400000a, 0x80000000, /* SMCCC_VERSION, as
									       PSCI_FEATURES must
									       report it. */
	};

	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		assert_int_equal(call(0, 0x8400000a, served[i], 0, 0).x0, 0);
}

static void test_psci_features_reports_other_functions_not_supported(void **state)
{
	static const uint32_t others[] = {
		0x84000001, 0xc4000001, /* CPU_SUSPEND */
		0x84000005,		/* MIGRATE */
		0xc4000000,		/* No SMC64 PSCI_VERSION exists. */
		0x8400000e,		/* SYSTEM_SUSPEND */
		0x84000012,		/* SYSTEM_RESET2 */
		0x80000001,		/* SMCCC_ARCH_FEATURES is not PSCI's. */
		0x12345678,
	};

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(call(0, 0x8400000a, others[i], 0, 0).x0, NOT_SUPPORTED);
}

static void test_unknown_function_ids_return_not_supported(void **state)
{
	static const uint64_t ids[] = {0x84000001, 0x84000099, 0xc4000002, 0xc2000000,
				       0x86000000, 0x00000000, 0x04000000, 0xffffffff};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct psci_result r = call(1, ids[i], 1, 2, 3);

		assert_int_equal(r.x0, NOT_SUPPORTED);
		assert_int_equal(r.action.kind, PSCI_ACTION_NONE);
	}
}

static void test_smccc_arch_features_knows_only_the_smccc_calls(void **state)
{
	assert_int_equal(call(0, 0x80000001, 0x80000000, 0, 0).x0, 0);
	assert_int_equal(call(0, 0x80000001, 0x80000001, 0, 0).x0, 0);
	assert_int_equal(call(0, 0x80000001, 0x80008000, 0, 0).x0, NOT_SUPPORTED);
	assert_int_equal(call(0, 0x80000001, 0x80007fff, 0, 0).x0, NOT_SUPPORTED);
	assert_int_equal(call(0, 0x80000001, 0x84000000, 0, 0).x0, NOT_SUPPORTED);
}

static void test_cpu_on_asks_the_vmm_to_start_the_target(void **state)
{
	struct psci_result r = call(0, 0xc4000003, 0x100, ENTRY, 0x1234);

	assert_int_equal(r.x0, 0);
	assert_int_equal(r.action.kind, PSCI_ACTION_CPU_ON);
	assert_int_equal(r.action.vcpu, 2);
	assert_int_equal(r.action.mpidr, 0x100);
	assert_int_equal(r.action.entry, ENTRY);
	assert_int_equal(r.action.context, 0x1234);
	assert_int_equal(affinity(0x100), PSCI_POWER_ON_PENDING);
}

static void test_cpu_on_of_a_pending_target_returns_on_pending(void **state)
{
	struct psci_result r;

	assert_int_equal(call(0, 0xc4000003, 0x1, ENTRY, 0).x0, 0);
	r = call(0, 0xc4000003, 0x1, ENTRY, 0);
	assert_int_equal(r.x0, ON_PENDING);
	assert_int_equal(r.action.kind, PSCI_ACTION_NONE);
}

static void test_cpu_on_done_makes_the_target_on_and_cpu_on_then_already_on(void **state)
{
	assert_int_equal(call(0, 0xc4000003, 0x1, ENTRY, 0).x0, 0);
	assert_int_equal(psci_cpu_on_done(&st, 1, true), MICA_OK);
	assert_int_equal(affinity(0x1), PSCI_POWER_ON);
	assert_int_equal(call(0, 0xc4000003, 0x1, ENTRY, 0).x0, ALREADY_ON);
}

static void test_cpu_on_done_that_failed_turns_the_target_off_again(void **state)
{
	assert_int_equal(call(0, 0xc4000003, 0x1, ENTRY, 0).x0, 0);
	assert_int_equal(psci_cpu_on_done(&st, 1, false), MICA_OK);
	assert_int_equal(affinity(0x1), PSCI_POWER_OFF);
	assert_int_equal(call(0, 0xc4000003, 0x1, ENTRY, 0).action.kind, PSCI_ACTION_CPU_ON);
}

static void test_cpu_on_done_rejects_a_target_that_is_not_pending(void **state)
{
	assert_int_equal(psci_cpu_on_done(&st, 1, true), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(psci_cpu_on_done(&st, 0, true), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(psci_cpu_on_done(&st, 4, true), MICA_ERR_RANGE);
}

static void test_cpu_on_of_the_running_boot_vcpu_is_already_on(void **state)
{
	assert_int_equal(call(1, 0xc4000003, 0x0, ENTRY, 0).x0, ALREADY_ON);
}

static void test_cpu_on_rejects_an_unknown_mpidr(void **state)
{
	struct psci_result r = call(0, 0xc4000003, 0x2, ENTRY, 0);

	assert_int_equal(r.x0, INVALID_PARAMETERS);
	assert_int_equal(r.action.kind, PSCI_ACTION_NONE);
	/* Bits outside the affinity fields (here MPIDR bit 31) are invalid. */
	assert_int_equal(call(0, 0xc4000003, 0x80000001, ENTRY, 0).x0, INVALID_PARAMETERS);
	assert_int_equal(affinity(0x1), PSCI_POWER_OFF);
}

static void test_cpu_on_rejects_a_misaligned_or_out_of_ram_entry(void **state)
{
	st.entry_base = 0x40000000;
	st.entry_size = 0x10000000;
	assert_int_equal(call(0, 0xc4000003, 0x1, ENTRY + 2, 0).x0, INVALID_ADDRESS);
	assert_int_equal(call(0, 0xc4000003, 0x1, 0x1000, 0).x0, INVALID_ADDRESS);
	assert_int_equal(call(0, 0xc4000003, 0x1, 0x50000000, 0).x0, INVALID_ADDRESS);
	assert_int_equal(affinity(0x1), PSCI_POWER_OFF);
	assert_int_equal(call(0, 0xc4000003, 0x1, 0x4ffffffc, 0).x0, 0);
}

static void test_cpu_on_smc32_uses_only_the_low_halves_of_its_arguments(void **state)
{
	struct psci_result r = call(0, 0x84000003, UINT64_C(0xffffffff00000001),
				    UINT64_C(0xdead000040080000), UINT64_C(0xbeef00000000cafe));

	assert_int_equal(r.x0, 0);
	assert_int_equal(r.action.vcpu, 1);
	assert_int_equal(r.action.entry, ENTRY);
	assert_int_equal(r.action.context, 0xcafe);
	/* A 32-bit MPIDR cannot name Aff3: 0x1_0000_0000 becomes vCPU 0. */
	assert_int_equal(call(0, 0x84000003, UINT64_C(0x100000000), ENTRY, 0).x0, ALREADY_ON);
	assert_int_equal(call(0, 0xc4000003, UINT64_C(0x100000000), ENTRY, 0).action.vcpu, 3);
}

static void test_cpu_off_turns_the_caller_off(void **state)
{
	struct psci_result r;

	assert_int_equal(call(0, 0xc4000003, 0x100, ENTRY, 0).x0, 0);
	assert_int_equal(psci_cpu_on_done(&st, 2, true), MICA_OK);
	r = call(2, 0x84000002, 0, 0, 0);
	assert_int_equal(r.action.kind, PSCI_ACTION_CPU_OFF);
	assert_int_equal(r.action.vcpu, 2);
	assert_int_equal(affinity(0x100), PSCI_POWER_OFF);
	/* It may be started again. */
	assert_int_equal(call(0, 0xc4000003, 0x100, ENTRY, 0).x0, 0);
}

static void test_affinity_info_reports_on_and_off_at_level_0(void **state)
{
	assert_int_equal(affinity(0x0), PSCI_POWER_ON);
	assert_int_equal(affinity(0x1), PSCI_POWER_OFF);
	assert_int_equal(affinity(UINT64_C(0x100000000)), PSCI_POWER_OFF);
	/* The SMC32 form, with junk in the upper halves. */
	assert_int_equal(call(0, 0x84000004, UINT64_C(0xffff000000000000), UINT64_C(1) << 32, 0).x0,
			 PSCI_POWER_ON);
}

static void test_affinity_info_rejects_higher_levels_and_unknown_mpidrs(void **state)
{
	assert_int_equal(call(0, 0xc4000004, 0x0, 1, 0).x0, INVALID_PARAMETERS);
	assert_int_equal(call(0, 0xc4000004, 0x0, 3, 0).x0, INVALID_PARAMETERS);
	assert_int_equal(call(0, 0xc4000004, 0x3, 0, 0).x0, INVALID_PARAMETERS);
}

static void test_migrate_info_type_says_no_migration_is_needed(void **state)
{
	assert_int_equal(call(0, 0x84000006, 0, 0, 0).x0, 2);
}

static void test_system_off_and_reset_ask_for_their_actions(void **state)
{
	assert_int_equal(call(1, 0x84000008, 0, 0, 0).action.kind, PSCI_ACTION_SYSTEM_OFF);
	assert_int_equal(call(0, 0x84000009, 0, 0, 0).action.kind, PSCI_ACTION_SYSTEM_RESET);
	/* There are no SMC64 forms of either. */
	assert_int_equal(call(0, 0xc4000008, 0, 0, 0).action.kind, PSCI_ACTION_NONE);
	assert_int_equal(call(0, 0xc4000009, 0, 0, 0).x0, NOT_SUPPORTED);
}

static void test_reset_restores_the_power_states_of_boot(void **state)
{
	assert_int_equal(call(0, 0xc4000003, 0x1, ENTRY, 0).x0, 0);
	assert_int_equal(call(0, 0xc4000003, 0x100, ENTRY, 0).x0, 0);
	assert_int_equal(psci_cpu_on_done(&st, 2, true), MICA_OK);
	assert_int_equal(call(0, 0x84000002, 0, 0, 0).action.kind, PSCI_ACTION_CPU_OFF);
	psci_reset(&st);
	assert_int_equal(affinity(0x0), PSCI_POWER_ON);
	assert_int_equal(affinity(0x1), PSCI_POWER_OFF);
	assert_int_equal(affinity(0x100), PSCI_POWER_OFF);
}

static void test_a_caller_out_of_range_gets_not_supported(void **state)
{
	struct psci_result r = call(4, 0x84000002, 0, 0, 0);

	assert_int_equal(r.x0, NOT_SUPPORTED);
	assert_int_equal(r.action.kind, PSCI_ACTION_NONE);
}

static void test_init_rejects_bad_vcpu_sets(void **state)
{
	struct psci_state s;
	const uint64_t twice[] = {0x0, 0x1, 0x0};
	const uint64_t extra_bits[] = {0x0, UINT64_C(0x80000000)};
	const uint64_t many[PSCI_MAX_VCPUS + 1] = {0, 1, 2, 3, 4, 5, 6, 7, 8};

	assert_int_equal(psci_init(&s, mpidrs, 0, 0), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(psci_init(&s, NULL, 1, 0), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(psci_init(&s, mpidrs, 4, 4), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(psci_init(&s, twice, 3, 0), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(psci_init(&s, extra_bits, 2, 0), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(psci_init(&s, many, PSCI_MAX_VCPUS + 1, 0), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(psci_init(&s, many, PSCI_MAX_VCPUS, 7), MICA_OK);
	assert_int_equal(s.vcpus[7].power, PSCI_POWER_ON);
	assert_int_equal(s.vcpus[0].power, PSCI_POWER_OFF);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_psci_version_is_1_1),
		T(test_smccc_version_is_1_1),
		T(test_psci_features_reports_each_served_function),
		T(test_psci_features_reports_other_functions_not_supported),
		T(test_unknown_function_ids_return_not_supported),
		T(test_smccc_arch_features_knows_only_the_smccc_calls),
		T(test_cpu_on_asks_the_vmm_to_start_the_target),
		T(test_cpu_on_of_a_pending_target_returns_on_pending),
		T(test_cpu_on_done_makes_the_target_on_and_cpu_on_then_already_on),
		T(test_cpu_on_done_that_failed_turns_the_target_off_again),
		T(test_cpu_on_done_rejects_a_target_that_is_not_pending),
		T(test_cpu_on_of_the_running_boot_vcpu_is_already_on),
		T(test_cpu_on_rejects_an_unknown_mpidr),
		T(test_cpu_on_rejects_a_misaligned_or_out_of_ram_entry),
		T(test_cpu_on_smc32_uses_only_the_low_halves_of_its_arguments),
		T(test_cpu_off_turns_the_caller_off),
		T(test_affinity_info_reports_on_and_off_at_level_0),
		T(test_affinity_info_rejects_higher_levels_and_unknown_mpidrs),
		T(test_migrate_info_type_says_no_migration_is_needed),
		T(test_system_off_and_reset_ask_for_their_actions),
		T(test_reset_restores_the_power_states_of_boot),
		T(test_a_caller_out_of_range_gets_not_supported),
		T(test_init_rejects_bad_vcpu_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
