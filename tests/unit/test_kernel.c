/*
 * Unit tests of the generic kernel working together on the fake
 * architecture: system-call dispatch, IPC through endpoints and reply
 * objects, and the IPC fastpath, which must leave exactly the state the
 * slow path leaves (every scenario runs both ways and is compared).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel_world.h"

#include "cnode.h"
#include "debug.h"
#include "fake.h"
#include "fastpath.h"
#include "invoke.h"
#include "ipc.h"
#include "print.h"
#include "sched.h"
#include "untyped.h"
#include "vcpu.h"
#include "vspace.h"

#include <mica/abi/exit.h>
#include <mica/abi/invocation.h>
#include <mica/abi/syscall.h>

/* What one call-and-reply leaves behind, to compare fastpath and slow path. */
struct outcome {
	int next_after_call; /* 0: the server, 1: the client. */
	uint64_t server_regs[7];
	int client_state;
	int reply_has_caller;
	int next_after_reply;
	uint64_t client_regs[7];
	int server_state;
	int ep_state;
	int server_queued;
	int reply_held_by_server;
};

static void call_and_reply(bool fast, uint8_t server_prio, uint8_t client_prio, struct outcome *o)
{
	struct tcb *server = make_thread(server_prio);
	struct tcb *client = make_thread(client_prio);
	struct endpoint *ep = (struct endpoint *)root_slots[SLOT_EP].cap.object;
	struct reply *reply = (struct reply *)root_slots[SLOT_REPLY].cap.object;
	const uint64_t request[4] = {11, 22, 33, 44};
	const uint64_t answer[4] = {5, 6, 7, 8};
	struct tcb *next;

	memset(o, 0, sizeof(*o));
	sched_wake(client);
	run(server);
	next = sys(server, fast, MICA_SYS_RECV, SLOT_EP, 0, SLOT_REPLY, NULL);
	assert_ptr_equal(next, client);

	next = sys(client, fast, MICA_SYS_CALL, SLOT_BADGED_EP, mica_msg_info(7, 0, 3), 0, request);
	o->next_after_call = next == client;
	memcpy(o->server_regs, server->regs.x, sizeof(o->server_regs));
	o->client_state = client->state;
	o->reply_has_caller = reply->caller == client;

	run(next);
	if (next != server) {
		/* A higher-priority client blocked; the server gets the CPU next anyway. */
		next = (struct tcb *)schedule();
		assert_ptr_equal(next, server);
	}
	next = sys(server, fast, MICA_SYS_REPLY_RECV, SLOT_EP, mica_msg_info(9, 0, 2), SLOT_REPLY,
		   answer);
	o->next_after_reply = next == client;
	memcpy(o->client_regs, client->regs.x, sizeof(o->client_regs));
	o->server_state = server->state;
	o->ep_state = ep->state;
	o->server_queued = ep->queue.head == server;
	o->reply_held_by_server = reply->holder == server && server->reply == reply;
}

static void test_call_delivers_message_badge_and_label(void **state)
{
	struct outcome o;

	(void)state;
	call_and_reply(true, 100, 100, &o);
	assert_false(o.next_after_call);	  /* The server runs at once. */
	assert_int_equal(o.server_regs[0], 0x55); /* Badge. */
	assert_int_equal(mica_msg_label(o.server_regs[1]), 7);
	assert_int_equal(mica_msg_length(o.server_regs[1]), 3);
	assert_int_equal(o.server_regs[2], 11);
	assert_int_equal(o.server_regs[4], 33);
	assert_int_equal(o.server_regs[6], MICA_OK);
	assert_int_equal(o.client_state, THREAD_BLOCKED_REPLY);
	assert_true(o.reply_has_caller);
}

static void test_reply_recv_answers_the_caller_and_waits_again(void **state)
{
	struct outcome o;

	(void)state;
	call_and_reply(true, 100, 100, &o);
	assert_true(o.next_after_reply);
	assert_int_equal(o.client_regs[0], 0); /* Replies carry no badge. */
	assert_int_equal(mica_msg_label(o.client_regs[1]), 9);
	assert_int_equal(mica_msg_length(o.client_regs[1]), 2);
	assert_int_equal(o.client_regs[2], 5);
	assert_int_equal(o.client_regs[3], 6);
	assert_int_equal(o.client_regs[6], MICA_OK);
	assert_int_equal(o.server_state, THREAD_BLOCKED_RECV);
	assert_int_equal(o.ep_state, EP_RECEIVING);
	assert_true(o.server_queued);
	assert_true(o.reply_held_by_server);
}

/* Run a scenario the slow way in a fresh world, and compare. */
static void assert_fast_matches_slow(uint8_t server_prio, uint8_t client_prio)
{
	struct outcome fast, slow;

	call_and_reply(true, server_prio, client_prio, &fast);
	world_teardown(NULL);
	world_setup(NULL);
	call_and_reply(false, server_prio, client_prio, &slow);
	assert_memory_equal(&fast, &slow, sizeof(fast));
}

static void test_fastpath_leaves_the_state_the_slow_path_leaves(void **state)
{
	(void)state;
	assert_fast_matches_slow(100, 100);
}

static void test_fastpath_declines_a_lower_priority_server_with_the_same_result(void **state)
{
	(void)state;
	assert_fast_matches_slow(50, 100);
}

static void test_fastpath_declines_a_lower_priority_caller_with_the_same_result(void **state)
{
	(void)state;
	assert_fast_matches_slow(100, 50);
}

static void test_call_with_capabilities_is_left_to_the_slow_path(void **state)
{
	struct tcb *server = make_thread(100);
	struct tcb *client = make_thread(100);
	struct tcb *next;

	(void)state;
	sched_wake(client);
	run(server);
	(void)sys(server, true, MICA_SYS_RECV, SLOT_EP, 0, SLOT_REPLY, NULL);
	/* One capability but no IPC buffer to name it in: nothing transferred, still delivered. */
	next = sys(client, true, MICA_SYS_CALL, SLOT_EP, mica_msg_info(1, 1, 0), 0, NULL);
	assert_ptr_equal(next, server);
	assert_int_equal(mica_msg_caps(server->regs.x[1]), 0);
	assert_int_equal(client->state, THREAD_BLOCKED_REPLY);
}

static void test_fastpath_does_not_use_a_cspace_revoked_from_under_the_thread(void **state)
{
	struct tcb *server = make_thread(100);
	struct tcb *client = make_thread(100);
	struct tcb *next;

	(void)state;
	sched_wake(client);
	run(server);
	(void)sys(server, true, MICA_SYS_RECV, SLOT_EP, 0, SLOT_REPLY, NULL);
	/* The client's CSpace root goes: its cached lookup must not be trusted. */
	slot_delete(&client->slots[TCB_SLOT_CSPACE]);
	next = sys(client, true, MICA_SYS_CALL, SLOT_EP, 0, 0, NULL);
	assert_ptr_equal(next, client);
	assert_int_not_equal(client->regs.x[6], MICA_OK);
	assert_int_equal(server->state, THREAD_BLOCKED_RECV);
}

static void test_call_without_grant_reply_right_is_refused(void **state)
{
	struct tcb *t = make_thread(100);

	(void)state;
	assert_int_equal(cnode_copy(&root_slots[30], &root_slots[SLOT_EP],
				    MICA_RIGHT_WRITE | MICA_RIGHT_READ, false, 0),
			 MICA_OK);
	run(t);
	assert_ptr_equal(sys(t, true, MICA_SYS_CALL, 30, 0, 0, NULL), t);
	assert_int_equal(t->regs.x[6], MICA_ERR_NO_RIGHTS);
}

static void test_nbrecv_on_an_empty_endpoint_does_not_block(void **state)
{
	struct tcb *t = make_thread(100);

	(void)state;
	run(t);
	assert_ptr_equal(sys(t, false, MICA_SYS_NBRECV, SLOT_EP, 0, 0, NULL), t);
	assert_int_equal(t->regs.x[6], MICA_ERR_NOT_FOUND);
	assert_int_equal(t->state, THREAD_RUNNABLE);
}

static void test_nbsend_without_a_receiver_is_dropped(void **state)
{
	struct tcb *t = make_thread(100);
	struct endpoint *ep = (struct endpoint *)root_slots[SLOT_EP].cap.object;

	(void)state;
	run(t);
	assert_ptr_equal(sys(t, false, MICA_SYS_NBSEND, SLOT_EP, 0, 0, NULL), t);
	assert_int_equal(t->regs.x[6], MICA_OK);
	assert_int_equal(ep->state, EP_IDLE);
}

static void test_signals_or_together_until_waited_for(void **state)
{
	struct tcb *t = make_thread(100);

	(void)state;
	assert_int_equal(
		cnode_copy(&root_slots[31], &root_slots[SLOT_NTFN], MICA_RIGHTS_ALL, true, 0x1),
		MICA_OK);
	assert_int_equal(
		cnode_copy(&root_slots[32], &root_slots[SLOT_NTFN], MICA_RIGHTS_ALL, true, 0x8),
		MICA_OK);
	run(t);
	(void)sys(t, false, MICA_SYS_SEND, 31, 0, 0, NULL);
	(void)sys(t, false, MICA_SYS_SEND, 32, 0, 0, NULL);
	(void)sys(t, false, MICA_SYS_RECV, SLOT_NTFN, 0, 0, NULL);
	assert_int_equal(t->regs.x[0], 0x9);
	(void)sys(t, false, MICA_SYS_NBRECV, SLOT_NTFN, 0, 0, NULL);
	assert_int_equal(t->regs.x[0], 0);
}

static void test_a_signal_without_a_badge_still_counts(void **state)
{
	struct tcb *t = make_thread(100);

	(void)state;
	run(t);
	(void)sys(t, false, MICA_SYS_NBRECV, SLOT_NTFN, 0, 0, NULL);
	assert_int_equal(t->regs.x[6], MICA_ERR_NOT_FOUND);
	(void)sys(t, false, MICA_SYS_SEND, SLOT_NTFN, 0, 0, NULL); /* The unbadged original. */
	(void)sys(t, false, MICA_SYS_NBRECV, SLOT_NTFN, 0, 0, NULL);
	assert_int_equal(t->regs.x[6], MICA_OK);
	assert_int_equal(t->regs.x[0], 0);
	(void)sys(t, false, MICA_SYS_NBRECV, SLOT_NTFN, 0, 0, NULL);
	assert_int_equal(t->regs.x[6], MICA_ERR_NOT_FOUND);
}

static void test_deleting_an_endpoint_cancels_its_waiters(void **state)
{
	struct tcb *server = make_thread(100);
	struct tcb *other = make_thread(10);

	(void)state;
	sched_wake(other);
	run(server);
	(void)sys(server, false, MICA_SYS_RECV, SLOT_EP, 0, 0, NULL);
	assert_int_equal(server->state, THREAD_BLOCKED_RECV);
	slot_revoke(&root_slots[SLOT_EP]);
	slot_delete(&root_slots[SLOT_EP]);
	assert_int_equal(server->state, THREAD_RUNNABLE);
	assert_int_equal(server->regs.x[6], MICA_ERR_CANCELLED);
}

/*
 * A guest's MMIO exit that a device server took, and then lost: its reply
 * object died (the server crashed and was taken apart). The guest retries
 * the instruction (PC unchanged, the exit withdrawn) instead of the exit
 * going to the VMM or the vCPU staying stopped, so the access later reaches
 * the server's restarted instance.
 */
static void test_an_exit_a_server_lost_is_retried_by_the_guest(void **state)
{
	static struct vcpu v;
	struct tcb *server = make_thread(100);
	struct tcb *guest = make_thread(100);
	struct reply *reply = (struct reply *)root_slots[SLOT_REPLY].cap.object;
	const uint64_t words[4] = {0x9000018, 2, 0, 0x80001000};
	const struct vcpu_exit e = {
		.label = MICA_EXIT_MMIO, .reg = 3, .size_log2 = 2, .insn_len = 4, .is_read = true};

	(void)state;
	vcpu_init(&v);
	guest->vcpu = &v;
	guest->regs.pc = 0x80001000;
	guest->regs.x[3] = 77;
	sched_wake(guest);
	run(server);
	(void)sys(server, false, MICA_SYS_RECV, SLOT_EP, 0, SLOT_REPLY, NULL);
	run(guest);
	v.exit = e;
	v.exit.to_server = true;
	thread_fault_to(guest, &root_slots[SLOT_BADGED_EP].cap, e.label, words, 4);
	assert_int_equal(guest->state, THREAD_BLOCKED_REPLY);
	assert_ptr_equal(reply->caller, guest);

	reply_destroy(reply);
	assert_int_equal(guest->state, THREAD_RUNNABLE);
	assert_int_equal(guest->regs.pc, 0x80001000); /* Not skipped: retried. */
	assert_int_equal(guest->regs.x[3], 77);	      /* Nothing was read. */
	assert_int_equal(v.exit.label, MICA_EXIT_RESUME);
	assert_false(v.exit.to_server);
	guest->vcpu = NULL;
}

static void test_unknown_syscall_without_fault_handler_is_an_error(void **state)
{
	struct tcb *t = make_thread(100);

	(void)state;
	run(t);
	assert_ptr_equal(sys(t, false, 999, 0, 0, 0, NULL), t);
	assert_int_equal(t->regs.x[0], MICA_ERR_UNKNOWN_SYSCALL);
}

static void test_debug_write_checks_every_page_before_printing(void **state)
{
	struct tcb *t = make_thread(100);
	struct arch_vspace vs = vspace_of(&root_slots[SLOT_VSPACE].cap);
	uint8_t *page = aligned_alloc(4096, 4096);

	(void)state;
	memcpy(page + 4090, "hello!", 6);
	assert_int_equal(arch_vspace_map(&vs, va_init(0x400000), pa_init((uintptr_t)page), 12,
					 MAP_READ, fake_alloc_page),
			 MICA_OK);
	run(t);
	(void)sys(t, false, MICA_SYS_DEBUG_WRITE, 0x400000 + 4090, 6, 0, NULL);
	assert_int_equal(t->regs.x[0], MICA_OK);
	assert_string_equal(console, "hello!");
	/* One byte more runs into an unmapped page: nothing at all is printed. */
	console_len = 0;
	console[0] = '\0';
	(void)sys(t, false, MICA_SYS_DEBUG_WRITE, 0x400000 + 4090, 7, 0, NULL);
	assert_int_equal(t->regs.x[0], MICA_ERR_BAD_ADDRESS);
	assert_int_equal(console_len, 0);
	(void)sys(t, false, MICA_SYS_DEBUG_WRITE, 0x400000, MICA_DEBUG_WRITE_MAX + 1, 0, NULL);
	assert_int_equal(t->regs.x[0], MICA_ERR_RANGE);
	(void)sys(t, false, MICA_SYS_DEBUG_WRITE, UINT64_MAX - 1, 4, 0, NULL);
	assert_int_equal(t->regs.x[0], MICA_ERR_BAD_ADDRESS);
	free(page);
}

static void test_system_off_is_the_root_tasks_alone(void **state)
{
	struct tcb *t = make_thread(100);
	jmp_buf jump;

	(void)state;
	run(t);
	fake_power_off_status = -1;
	(void)sys(t, false, MICA_SYS_SYSTEM_OFF, 3, 0, 0, NULL);
	assert_int_equal(t->regs.x[0], MICA_ERR_NO_RIGHTS);
	assert_int_equal(fake_power_off_status, -1);
	t->is_root = true;
	(void)sys(t, false, MICA_SYS_SYSTEM_OFF, 256, 0, 0, NULL);
	assert_int_equal(t->regs.x[0], MICA_ERR_RANGE);
	fake_power_off_jump = &jump;
	if (setjmp(jump) == 0) {
		(void)sys(t, false, MICA_SYS_SYSTEM_OFF, 3, 0, 0, NULL);
		fail_msg("system off returned");
	}
	fake_power_off_jump = NULL;
	assert_int_equal(fake_power_off_status, 3);
}

static void test_kernel_invariants_hold_after_these_operations(void **state)
{
	struct outcome o;

	(void)state;
	call_and_reply(true, 100, 100, &o);
	assert_int_equal(debug_check(&root_slots[SLOT_ROOT].cap), 0);
}

/*
 * SetSpace deletes the thread's old CSpace capability first. When that is
 * the last capability to a CNode that holds the last capability to the
 * thread itself, the thread is destroyed on the way: nothing may then be
 * installed into it.
 */
static void test_set_space_stops_when_it_destroys_the_thread_itself(void **state)
{
	struct slot *x_slots;
	struct tcb *t;
	struct invocation inv = {0};

	(void)state;
	assert_int_equal(untyped_retype(&root_slots[SLOT_UNTYPED], MICA_OBJ_CNODE, 2,
					&root_slots[SLOT_ROOT].cap, 40, 1, NULL),
			 MICA_OK);
	assert_int_equal(untyped_retype(&root_slots[SLOT_UNTYPED], MICA_OBJ_TCB, 0,
					&root_slots[SLOT_ROOT].cap, 41, 1, NULL),
			 MICA_OK);
	x_slots = (struct slot *)root_slots[40].cap.object;
	t = (struct tcb *)root_slots[41].cap.object;
	assert_int_equal(cnode_move(&x_slots[0], &root_slots[41], false, MICA_RIGHTS_ALL, 0),
			 MICA_OK);
	assert_int_equal(
		cnode_copy(&t->slots[TCB_SLOT_CSPACE], &root_slots[40], MICA_RIGHTS_ALL, false, 0),
		MICA_OK);
	slot_delete(&root_slots[40]);
	assert_true(cap_is_final(&t->slots[TCB_SLOT_CSPACE]));

	inv.caller = make_thread(100);
	inv.slot = &x_slots[0];
	inv.label = MICA_TCB_SET_SPACE;
	inv.extra[0] = &root_slots[SLOT_ROOT];
	inv.extra[1] = &root_slots[SLOT_VSPACE];
	inv.extra_count = 2;
	assert_int_equal(invoke(&inv), MICA_OK);
	assert_true(t->is_destroyed);
	for (unsigned i = 0; i < TCB_SLOT_COUNT; i++)
		assert_true(slot_is_empty(&t->slots[i]));
	assert_int_equal(debug_check(&root_slots[SLOT_ROOT].cap), 0);
}

#define WORLD_TEST(fn) cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WORLD_TEST(test_call_delivers_message_badge_and_label),
		WORLD_TEST(test_reply_recv_answers_the_caller_and_waits_again),
		WORLD_TEST(test_fastpath_leaves_the_state_the_slow_path_leaves),
		WORLD_TEST(test_fastpath_declines_a_lower_priority_server_with_the_same_result),
		WORLD_TEST(test_fastpath_declines_a_lower_priority_caller_with_the_same_result),
		WORLD_TEST(test_call_with_capabilities_is_left_to_the_slow_path),
		WORLD_TEST(test_fastpath_does_not_use_a_cspace_revoked_from_under_the_thread),
		WORLD_TEST(test_call_without_grant_reply_right_is_refused),
		WORLD_TEST(test_nbrecv_on_an_empty_endpoint_does_not_block),
		WORLD_TEST(test_nbsend_without_a_receiver_is_dropped),
		WORLD_TEST(test_signals_or_together_until_waited_for),
		WORLD_TEST(test_a_signal_without_a_badge_still_counts),
		WORLD_TEST(test_deleting_an_endpoint_cancels_its_waiters),
		WORLD_TEST(test_an_exit_a_server_lost_is_retried_by_the_guest),
		WORLD_TEST(test_unknown_syscall_without_fault_handler_is_an_error),
		WORLD_TEST(test_debug_write_checks_every_page_before_printing),
		WORLD_TEST(test_system_off_is_the_root_tasks_alone),
		WORLD_TEST(test_kernel_invariants_hold_after_these_operations),
		WORLD_TEST(test_set_space_stops_when_it_destroys_the_thread_itself),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
