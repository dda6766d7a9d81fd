/*
 * Unit tests for the VM and vCPU logic that needs no machine: guest ranges
 * bound to device servers (kernel/vm.c), hardware VMIDs by generation
 * (kernel/vmid.c), the vCPU lifecycle's transitions, and how an exit's
 * answer lands in the guest's registers (kernel/include/vcpu.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake.h"
#include "objects.h"
#include "vcpu.h"
#include "vm.h"
#include "vmid.h"

/* The object layer as cap.c sees it: endpoints die silently, nothing has slots. */
void object_dying(const struct cap *cap)
{
	(void)cap;
}

void object_cap_removed(const struct cap *cap, bool final)
{
	(void)cap;
	(void) final;
}

struct slot *object_slots(const struct cap *cap, size_t *count)
{
	(void)cap;
	*count = 0;
	return NULL;
}

static struct vm vm;
static struct slot servers[3];
static uint64_t endpoint_memory[3][4];

static int reset(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	memset(servers, 0, sizeof(servers));
	for (unsigned i = 0; i < 3; i++)
		servers[i].cap = (struct cap){.type = MICA_OBJ_ENDPOINT,
					      .rights = MICA_RIGHTS_ALL,
					      .object = (uintptr_t)endpoint_memory[i],
					      .data = 100 + i};
	return 0;
}

static void test_mmio_lookup_finds_the_range_holding_the_address(void **state)
{
	(void)state;
	assert_int_equal(vm_bind_mmio(&vm, 0x9000000, 0x1000, &servers[0]), MICA_OK);
	assert_int_equal(vm_bind_mmio(&vm, 0xa000000, 0x200, &servers[1]), MICA_OK);
	assert_null(vm_mmio_server(&vm, 0x8ffffff));
	assert_int_equal(vm_mmio_server(&vm, 0x9000000)->data, 100);
	assert_int_equal(vm_mmio_server(&vm, 0x9000fff)->data, 100);
	assert_null(vm_mmio_server(&vm, 0x9001000));
	assert_int_equal(vm_mmio_server(&vm, 0xa0001ff)->data, 101);
	assert_null(vm_mmio_server(&vm, 0xa000200));
}

static void test_mmio_bind_rejects_overlap_but_allows_adjacent_ranges(void **state)
{
	(void)state;
	assert_int_equal(vm_bind_mmio(&vm, 0x1000, 0x1000, &servers[0]), MICA_OK);
	assert_int_equal(vm_bind_mmio(&vm, 0x1fff, 1, &servers[1]), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(vm_bind_mmio(&vm, 0x0, 0x1001, &servers[1]), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(vm_bind_mmio(&vm, 0x0, 0x10000, &servers[1]), MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(vm_bind_mmio(&vm, 0x0, 0x1000, &servers[1]), MICA_OK);
	assert_int_equal(vm_bind_mmio(&vm, 0x2000, 0x1000, &servers[2]), MICA_OK);
}

static void test_mmio_bind_rejects_empty_and_wrapping_ranges(void **state)
{
	(void)state;
	assert_int_equal(vm_bind_mmio(&vm, 0x1000, 0, &servers[0]), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vm_bind_mmio(&vm, UINT64_MAX, 2, &servers[0]), MICA_ERR_INVALID_ARGUMENT);
	/* A range may end at the very top. */
	assert_int_equal(vm_bind_mmio(&vm, UINT64_MAX - 0xfff, 0x1000, &servers[0]), MICA_OK);
	assert_int_equal(vm_mmio_server(&vm, UINT64_MAX)->data, 100);
}

static void test_mmio_bind_runs_out_of_ranges_cleanly(void **state)
{
	(void)state;
	for (unsigned i = 0; i < VM_MMIO_RANGES; i++)
		assert_int_equal(vm_bind_mmio(&vm, 0x1000 * (uint64_t)i, 0x1000, &servers[0]),
				 MICA_OK);
	assert_int_equal(vm_bind_mmio(&vm, 0x100000, 0x1000, &servers[0]),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_int_equal(vm_unbind_mmio(&vm, 0x3000), MICA_OK);
	assert_null(vm_mmio_server(&vm, 0x3000));
	assert_int_equal(vm_bind_mmio(&vm, 0x100000, 0x1000, &servers[1]), MICA_OK);
	assert_int_equal(vm_mmio_server(&vm, 0x100800)->data, 101);
}

static void test_mmio_binding_holds_its_own_capability_and_dies_with_it(void **state)
{
	(void)state;
	assert_int_equal(vm_bind_mmio(&vm, 0x1000, 0x1000, &servers[0]), MICA_OK);
	/* The bound copy outlives the capability it was made from... */
	slot_delete(&servers[0]);
	assert_non_null(vm_mmio_server(&vm, 0x1000));
	/* ...and unbinding deletes it, so a lookup finds nothing. */
	assert_int_equal(vm_unbind_mmio(&vm, 0x1000), MICA_OK);
	assert_null(vm_mmio_server(&vm, 0x1000));
	assert_int_equal(vm_unbind_mmio(&vm, 0x1000), MICA_ERR_NOT_FOUND);
}

static void test_vmids_roll_over_to_a_new_generation_when_they_run_out(void **state)
{
	static struct vmid_space s;
	unsigned flushes = fake_vmid_flushes;

	(void)state;
	vmid_space_init(&s, 4); /* VMIDs 1..3. */
	assert_int_equal(vmid_hw(&s, 10), 1);
	assert_int_equal(vmid_hw(&s, 20), 2);
	assert_int_equal(vmid_hw(&s, 10), 1); /* Kept while the generation lasts. */
	assert_int_equal(vmid_hw(&s, 30), 3);
	assert_int_equal(fake_vmid_flushes, flushes);
	assert_int_equal(vmid_hw(&s, 40), 1); /* Out of VMIDs: a new generation. */
	assert_int_equal(fake_vmid_flushes, flushes + 1);
	assert_int_equal(vmid_hw(&s, 10), 2); /* Stale: a fresh VMID. */
	assert_int_equal(vmid_hw(&s, 40), 1);
	vmid_release(&s, 40);
	assert_int_equal(vmid_hw(&s, 20), 3);
	assert_int_equal(vmid_hw(&s, 40), 1); /* A released handle starts over. */
	assert_int_equal(fake_vmid_flushes, flushes + 2);
}

static void test_vmids_of_one_generation_are_all_different(void **state)
{
	static struct vmid_space s;
	uint16_t seen[300] = {0};

	(void)state;
	vmid_space_init(&s, 256);
	for (uint16_t h = 1; h < 300; h++) {
		uint16_t id = vmid_hw(&s, h);

		assert_true(id >= 1 && id < 256);
		for (uint16_t g = 1; g < h; g++)
			if (s.gen[g] == s.generation)
				assert_int_not_equal(seen[g], id);
		seen[h] = id;
	}
}

/* A VMID that another CPU's VTTBR_EL2 holds stays its VM's through a rollover. */
static void test_vmids_held_by_cpus_are_kept_through_a_rollover(void **state)
{
	static struct vmid_space s;
	unsigned flushes = fake_vmid_flushes;

	(void)state;
	vmid_space_init(&s, 4); /* VMIDs 1..3. */
	assert_int_equal(vmid_hw(&s, 10), 1);
	assert_int_equal(vmid_hw(&s, 20), 2);
	assert_int_equal(vmid_hw(&s, 30), 3);
	fake_vmid_held[1] = 20;
	fake_vmid_held[3] = 30;
	assert_int_equal(vmid_hw(&s, 40), 1); /* 2 and 3 are still in use: not given out. */
	assert_int_equal(fake_vmid_flushes, flushes + 1);
	assert_int_equal(vmid_hw(&s, 20), 2);
	assert_int_equal(vmid_hw(&s, 30), 3);
	assert_int_equal(fake_vmid_flushes, flushes + 1);
	/* The next rollovers keep them again; the others share the one left. */
	assert_int_equal(vmid_hw(&s, 10), 1);
	assert_int_equal(vmid_hw(&s, 40), 1);
	assert_int_equal(fake_vmid_flushes, flushes + 3);
	/* A CPU that moves on to another VM frees the first one's VMID at the next rollover. */
	fake_vmid_held[1] = 40;
	fake_vmid_held[3] = 0;
	assert_int_equal(vmid_hw(&s, 50), 2);
	assert_int_equal(vmid_hw(&s, 20), 3);
	assert_int_equal(vmid_hw(&s, 40), 1);
	memset(fake_vmid_held, 0, PLATFORM_MAX_CPUS * sizeof(fake_vmid_held[0]));
}

/*
 * A model of four CPUs running twelve VMs on seven VMIDs in random order,
 * with VMs destroyed now and then: whatever VMID a CPU's VTTBR holds is
 * still its VM's, and no two VMs of the current generation share one.
 */
static void test_vmids_in_use_on_any_cpu_are_never_given_to_another_vm(void **state)
{
	static struct vmid_space s;
	uint16_t vttbr[4] = {0};
	uint64_t seed = 12345;

	(void)state;
	vmid_space_init(&s, 8);
	for (unsigned step = 0; step < 20000; step++) {
		unsigned cpu, handle;

		seed = seed * 6364136223846793005u + 1442695040888963407u;
		cpu = (unsigned)(seed >> 33) % 4;
		handle = 1 + (unsigned)(seed >> 40) % 12;
		if ((seed >> 20) % 16 == 0) {
			bool held = false;

			for (unsigned c = 0; c < 4; c++)
				held |= fake_vmid_held[c] == handle;
			if (!held)
				vmid_release(&s, (uint16_t)handle);
			continue;
		}
		vttbr[cpu] = vmid_hw(&s, (uint16_t)handle);
		fake_vmid_held[cpu] = (uint16_t)handle;
		for (unsigned c = 0; c < 4; c++) {
			uint16_t h = fake_vmid_held[c];

			if (h == 0)
				continue;
			assert_int_equal(s.gen[h], s.generation);
			assert_int_equal(s.hw[h], vttbr[c]);
		}
		for (unsigned a = 1; a <= 12; a++)
			for (unsigned b = a + 1; b <= 12; b++)
				if (s.gen[a] == s.generation && s.gen[b] == s.generation)
					assert_int_not_equal(s.hw[a], s.hw[b]);
	}
	memset(fake_vmid_held, 0, PLATFORM_MAX_CPUS * sizeof(fake_vmid_held[0]));
}

static void test_vcpu_lifecycle_allows_only_the_designed_transitions(void **state)
{
	static const struct {
		enum mica_vcpu_state from;
		enum vcpu_op op;
		enum mica_vcpu_state to;
	} table[] = {
		{MICA_VCPU_CREATED, VCPU_OP_SET_ENTRY, MICA_VCPU_FREE},
		{MICA_VCPU_CREATED, VCPU_OP_BIND, MICA_VCPU_INVALID},
		{MICA_VCPU_CREATED, VCPU_OP_UNBIND, MICA_VCPU_INVALID},
		{MICA_VCPU_FREE, VCPU_OP_SET_ENTRY, MICA_VCPU_FREE},
		{MICA_VCPU_FREE, VCPU_OP_BIND, MICA_VCPU_READY},
		{MICA_VCPU_FREE, VCPU_OP_UNBIND, MICA_VCPU_INVALID},
		{MICA_VCPU_READY, VCPU_OP_SET_ENTRY, MICA_VCPU_READY},
		{MICA_VCPU_READY, VCPU_OP_BIND, MICA_VCPU_INVALID},
		{MICA_VCPU_READY, VCPU_OP_UNBIND, MICA_VCPU_FREE},
		{MICA_VCPU_RUNNING, VCPU_OP_SET_ENTRY, MICA_VCPU_INVALID},
		{MICA_VCPU_RUNNING, VCPU_OP_BIND, MICA_VCPU_INVALID},
		{MICA_VCPU_RUNNING, VCPU_OP_UNBIND, MICA_VCPU_FREE},
		{MICA_VCPU_BLOCKED, VCPU_OP_SET_ENTRY, MICA_VCPU_INVALID},
		{MICA_VCPU_BLOCKED, VCPU_OP_BIND, MICA_VCPU_INVALID},
		{MICA_VCPU_BLOCKED, VCPU_OP_UNBIND, MICA_VCPU_FREE},
		{MICA_VCPU_INVALID, VCPU_OP_SET_ENTRY, MICA_VCPU_INVALID},
		{MICA_VCPU_INVALID, VCPU_OP_BIND, MICA_VCPU_INVALID},
		{MICA_VCPU_INVALID, VCPU_OP_UNBIND, MICA_VCPU_INVALID},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_int_equal(vcpu_next_state(table[i].from, table[i].op), table[i].to);
}

/* Complete a read of the given width into x5 and return x5. */
static uint64_t complete_read(unsigned size_log2, bool sign_extend, bool reg64, uint64_t value)
{
	static struct tcb t;
	static struct vcpu v;

	memset(&t, 0, sizeof(t));
	t.vcpu = &v;
	t.regs.x[5] = 0xdeaddeaddeaddeadull;
	t.regs.pc = 0x1000;
	v.exit = (struct vcpu_exit){.label = 19,
				    .reg = 5,
				    .size_log2 = (uint8_t)size_log2,
				    .insn_len = 4,
				    .is_read = true,
				    .sign_extend = sign_extend,
				    .reg64 = reg64};
	vcpu_exit_complete(&t, value);
	assert_int_equal(t.regs.pc, 0x1004);
	return t.regs.x[5];
}

static void test_exit_answer_is_truncated_and_sign_extended_as_the_load_asks(void **state)
{
	uint64_t v = 0xf0e1d2c3b4a59687ull;

	(void)state;
	assert_int_equal(complete_read(0, false, false, v), 0x87);
	assert_int_equal(complete_read(1, false, false, v), 0x9687);
	assert_int_equal(complete_read(2, false, false, v), 0xb4a59687);
	assert_int_equal(complete_read(3, false, true, v), v);
	assert_int_equal(complete_read(0, true, false, v), 0xffffff87);
	assert_int_equal(complete_read(0, true, true, v), 0xffffffffffffff87ull);
	assert_int_equal(complete_read(1, true, true, v), 0xffffffffffff9687ull);
	assert_int_equal(complete_read(2, true, true, v), 0xffffffffb4a59687ull);
	assert_int_equal(complete_read(2, true, true, 0x12345678), 0x12345678);
	assert_int_equal(complete_read(0, true, true, 0x7f), 0x7f);
}

static void test_exit_answer_to_a_store_or_xzr_changes_only_the_pc(void **state)
{
	static struct tcb t;
	static struct vcpu v;

	(void)state;
	t.vcpu = &v;
	t.regs.pc = 0x2000;
	for (unsigned i = 0; i < FAKE_REGS_COUNT; i++)
		t.regs.x[i] = i;
	v.exit = (struct vcpu_exit){.label = 19, .reg = 31, .insn_len = 4, .is_read = true};
	vcpu_exit_complete(&t, 0x55);
	v.exit = (struct vcpu_exit){.label = 19, .reg = 3, .insn_len = 4, .is_read = false};
	vcpu_exit_complete(&t, 0x55);
	for (unsigned i = 0; i < FAKE_REGS_COUNT; i++)
		assert_int_equal(t.regs.x[i], i);
	assert_int_equal(t.regs.pc, 0x2008);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mmio_lookup_finds_the_range_holding_the_address, reset),
		cmocka_unit_test_setup(test_mmio_bind_rejects_overlap_but_allows_adjacent_ranges,
				       reset),
		cmocka_unit_test_setup(test_mmio_bind_rejects_empty_and_wrapping_ranges, reset),
		cmocka_unit_test_setup(test_mmio_bind_runs_out_of_ranges_cleanly, reset),
		cmocka_unit_test_setup(test_mmio_binding_holds_its_own_capability_and_dies_with_it,
				       reset),
		cmocka_unit_test(test_vmids_roll_over_to_a_new_generation_when_they_run_out),
		cmocka_unit_test(test_vmids_of_one_generation_are_all_different),
		cmocka_unit_test(test_vmids_held_by_cpus_are_kept_through_a_rollover),
		cmocka_unit_test(test_vmids_in_use_on_any_cpu_are_never_given_to_another_vm),
		cmocka_unit_test(test_vcpu_lifecycle_allows_only_the_designed_transitions),
		cmocka_unit_test(test_exit_answer_is_truncated_and_sign_extended_as_the_load_asks),
		cmocka_unit_test(test_exit_answer_to_a_store_or_xzr_changes_only_the_pc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
