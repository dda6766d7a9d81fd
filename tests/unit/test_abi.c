/*
 * Unit tests for the message layouts of the kernel ABI
 * (libs/abi/include/mica/abi/ipc.h and friends).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <mica/abi/context.h>
#include <mica/abi/ipc.h>
#include <mica/abi/objects.h>

static void test_message_info_round_trips_label_caps_and_length(void **state)
{
	uint64_t info = mica_msg_info(0x123456789ull, 3, 64);

	(void)state;
	assert_int_equal(mica_msg_label(info), 0x123456789ull);
	assert_int_equal(mica_msg_caps(info), 3);
	assert_int_equal(mica_msg_length(info), 64);
	assert_int_equal(mica_msg_unwrapped(info), 0);
}

static void test_message_info_fields_do_not_spill_into_each_other(void **state)
{
	(void)state;
	/* Out-of-range counts are masked, never carried into the label. */
	assert_int_equal(mica_msg_label(mica_msg_info(0, 7, 0xff)), 0);
	assert_int_equal(mica_msg_caps(mica_msg_info(0, 4, 0)), 0);
	assert_int_equal(mica_msg_length(mica_msg_info(0, 0, 0x80)), 0);
	/* The largest label survives intact. */
	assert_int_equal(mica_msg_label(mica_msg_info(MICA_LABEL_NOTIFICATION, 0, 0)),
			 MICA_LABEL_NOTIFICATION);
}

static void test_unwrapped_mask_sits_between_caps_and_label(void **state)
{
	uint64_t info = mica_msg_info(5, 2, 1) | (UINT64_C(5) << MICA_MSG_UNWRAPPED_SHIFT);

	(void)state;
	assert_int_equal(mica_msg_unwrapped(info), 5);
	assert_int_equal(mica_msg_label(info), 5);
	assert_int_equal(mica_msg_caps(info), 2);
	assert_int_equal(mica_msg_length(info), 1);
}

static void test_ipc_buffer_layout_is_fixed(void **state)
{
	(void)state;
	assert_int_equal(offsetof(struct mica_ipc_buffer, mr), 8);
	assert_int_equal(offsetof(struct mica_ipc_buffer, caps), 8 + 8 * MICA_MSG_MAX_LENGTH);
	assert_int_equal(offsetof(struct mica_ipc_buffer, receive_depth),
			 sizeof(struct mica_ipc_buffer) - 16);
	assert_true(sizeof(struct mica_ipc_buffer) <= MICA_IPC_BUFFER_ALIGN);
}

static void test_context_has_pc_sp_flags_tpidr_and_31_registers(void **state)
{
	(void)state;
	assert_int_equal(MICA_CONTEXT_WORDS, 35);
	assert_int_equal(MICA_CTX_X0 + 30, MICA_CONTEXT_WORDS - 1);
}

static void test_object_sizes_hold_their_kernel_structures(void **state)
{
	(void)state;
	/* Slots are 64 bytes; the root CNode's 4096 of them take 256 KiB. */
	assert_int_equal(1 << MICA_SLOT_BITS, 64);
	assert_true(MICA_UNTYPED_MIN_BITS <= MICA_ENDPOINT_BITS);
	assert_true(MICA_TCB_BITS <= MICA_PAGE_BITS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_info_round_trips_label_caps_and_length),
		cmocka_unit_test(test_message_info_fields_do_not_spill_into_each_other),
		cmocka_unit_test(test_unwrapped_mask_sits_between_caps_and_label),
		cmocka_unit_test(test_ipc_buffer_layout_is_fixed),
		cmocka_unit_test(test_context_has_pc_sp_flags_tpidr_and_31_registers),
		cmocka_unit_test(test_object_sizes_hold_their_kernel_structures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
