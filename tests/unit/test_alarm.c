/*
 * Alarms on notifications (kernel/alarm.c, MICA_NOTIFICATION_SET_ALARM) on
 * the fake architecture: what a thread waiting on the notification sees,
 * when, and what is left after the notification is gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel_world.h"

#include "alarm.h"
#include "cnode.h"
#include "fake.h"
#include "invoke.h"
#include "ipc.h"
#include "sched.h"
#include "untyped.h"

#include <mica/abi/invocation.h>
#include <mica/abi/syscall.h>

#define SLOT_A	   60
#define SLOT_B	   61
#define SLOT_SMALL 70

static struct slot *slot(unsigned i)
{
	return &root_slots[i];
}

static int reset(void **state)
{
	fake_counter = 0;
	fake_timer_wake_by = UINT64_MAX;
	return world_setup(state);
}

static int teardown(void **state)
{
	while (alarm_fire(UINT64_MAX - 1) != UINT64_MAX)
		; /* No alarm outlives its world. */
	return world_teardown(state);
}

/* The invocation as a thread makes it: a Call on the notification's capability. */
static enum mica_error set_alarm(struct tcb *caller, unsigned ntfn, uint64_t at, uint64_t bits)
{
	const uint64_t mr[4] = {at, bits};

	run(caller);
	(void)sys(caller, false, MICA_SYS_CALL, ntfn,
		  mica_msg_info(MICA_NOTIFICATION_SET_ALARM, 0, 2), 0, mr);
	return (enum mica_error)caller->regs.x[6];
}

/* t waits on the notification in slot ntfn; it must block. */
static void wait_on(struct tcb *t, unsigned ntfn)
{
	sched_wake(make_thread(10)); /* Something to run meanwhile: the fake CPU cannot idle. */
	run(t);
	(void)sys(t, false, MICA_SYS_RECV, ntfn, 0, 0, NULL);
	assert_int_equal(t->state, THREAD_BLOCKED_NTFN);
}

static void test_a_waiter_wakes_with_the_bits_when_the_counter_reaches_the_alarm(void **state)
{
	struct tcb *t = make_thread(100);

	(void)state;
	assert_int_equal(set_alarm(t, SLOT_NTFN, 5000, 0x40), MICA_OK);
	assert_int_equal(fake_timer_wake_by, 5000);
	wait_on(t, SLOT_NTFN);
	assert_int_equal(alarm_fire(4999), 5000);
	assert_int_equal(t->state, THREAD_BLOCKED_NTFN);
	assert_int_equal(alarm_fire(5000), UINT64_MAX);
	assert_int_not_equal(t->state, THREAD_BLOCKED_NTFN);
	assert_int_equal(t->regs.x[6], MICA_OK);
	assert_int_equal(t->regs.x[0], 0x40);
	/* It went off once: waiting again blocks. */
	assert_int_equal(alarm_fire(10000), UINT64_MAX);
	wait_on(t, SLOT_NTFN);
}

static void test_an_alarm_in_the_past_is_due_at_once_and_waits_as_a_signal(void **state)
{
	struct tcb *t = make_thread(100);
	struct notification *n = (struct notification *)slot(SLOT_NTFN)->cap.object;

	(void)state;
	fake_counter = 9000;
	assert_int_equal(set_alarm(t, SLOT_NTFN, 1, 0x3), MICA_OK);
	assert_int_equal(fake_timer_wake_by, 1);
	assert_int_equal(alarm_fire(9000), UINT64_MAX);
	/* Nobody waited: it is pending, as a signal would be. */
	assert_true(n->pending);
	run(t);
	(void)sys(t, false, MICA_SYS_RECV, SLOT_NTFN, 0, 0, NULL);
	assert_int_equal(t->regs.x[0], 0x3);
}

static void test_alarms_fire_in_time_order_and_setting_one_again_moves_it(void **state)
{
	struct tcb *a = make_thread(100), *b = make_thread(100);

	(void)state;
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_NOTIFICATION, 0,
					&slot(SLOT_ROOT)->cap, SLOT_A, 1, NULL),
			 MICA_OK);
	assert_int_equal(set_alarm(a, SLOT_NTFN, 300, 1), MICA_OK);
	assert_int_equal(set_alarm(b, SLOT_A, 200, 2), MICA_OK);
	assert_int_equal(fake_timer_wake_by, 200);
	/* Moved later than the other: the other is now first. */
	assert_int_equal(set_alarm(b, SLOT_A, 400, 2), MICA_OK);
	wait_on(a, SLOT_NTFN);
	wait_on(b, SLOT_A);
	assert_int_equal(alarm_fire(250), 300);
	assert_int_equal(alarm_fire(300), 400);
	assert_int_not_equal(a->state, THREAD_BLOCKED_NTFN);
	assert_int_equal(b->state, THREAD_BLOCKED_NTFN);
	assert_int_equal(alarm_fire(400), UINT64_MAX);
	assert_int_not_equal(b->state, THREAD_BLOCKED_NTFN);
	assert_int_equal(b->regs.x[0], 2);
}

static void test_counter_zero_disarms_the_alarm(void **state)
{
	struct tcb *t = make_thread(100);

	(void)state;
	assert_int_equal(set_alarm(t, SLOT_NTFN, 100, 1), MICA_OK);
	assert_int_equal(set_alarm(t, SLOT_NTFN, 0, 0), MICA_OK);
	wait_on(t, SLOT_NTFN);
	assert_int_equal(alarm_fire(UINT64_MAX - 1), UINT64_MAX);
	assert_int_equal(t->state, THREAD_BLOCKED_NTFN);
	/* Disarming what is not armed is no error. */
	assert_int_equal(set_alarm(t, SLOT_NTFN, 0, 0), MICA_OK);
}

/* A holder that may only signal (or only wait) cannot arm the notification's alarm. */
static void test_only_a_capability_with_read_and_write_sets_an_alarm(void **state)
{
	struct tcb *t = make_thread(100);

	(void)state;
	assert_int_equal(cnode_copy(slot(SLOT_A), slot(SLOT_NTFN), MICA_RIGHT_WRITE, true, 0x80),
			 MICA_OK);
	assert_int_equal(cnode_copy(slot(SLOT_B), slot(SLOT_NTFN), MICA_RIGHT_READ, false, 0),
			 MICA_OK);
	assert_int_equal(set_alarm(t, SLOT_A, 100, 1), MICA_ERR_NO_RIGHTS);
	assert_int_equal(set_alarm(t, SLOT_B, 100, 1), MICA_ERR_NO_RIGHTS);
	assert_int_equal(fake_timer_wake_by, UINT64_MAX);
	assert_int_equal(alarm_fire(UINT64_MAX - 1), UINT64_MAX);
}

/*
 * The notification's last capability goes while its alarm is armed, and
 * its memory becomes another notification: the alarm is gone with it, and
 * the new object is never signalled by it.
 */
static void test_a_deleted_notifications_alarm_never_fires(void **state)
{
	struct tcb *t = make_thread(100);
	struct notification *n;

	(void)state;
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_UNTYPED, 7,
					&slot(SLOT_ROOT)->cap, SLOT_SMALL, 1, NULL),
			 MICA_OK);
	assert_int_equal(untyped_retype(slot(SLOT_SMALL), MICA_OBJ_NOTIFICATION, 0,
					&slot(SLOT_ROOT)->cap, SLOT_A, 1, NULL),
			 MICA_OK);
	n = (struct notification *)slot(SLOT_A)->cap.object;
	assert_int_equal(set_alarm(t, SLOT_A, 100, 1), MICA_OK);
	slot_delete(slot(SLOT_A));
	assert_int_equal(alarm_fire(50), UINT64_MAX);
	slot_delete(slot(SLOT_SMALL));
	assert_int_equal(untyped_retype(slot(SLOT_UNTYPED), MICA_OBJ_UNTYPED, 7,
					&slot(SLOT_ROOT)->cap, SLOT_SMALL, 1, NULL),
			 MICA_OK);
	assert_int_equal(untyped_retype(slot(SLOT_SMALL), MICA_OBJ_NOTIFICATION, 0,
					&slot(SLOT_ROOT)->cap, SLOT_B, 1, NULL),
			 MICA_OK);
	wait_on(t, SLOT_B);
	assert_int_equal(alarm_fire(UINT64_MAX - 1), UINT64_MAX);
	assert_int_equal(t->state, THREAD_BLOCKED_NTFN);
	assert_false(n->pending);
}

/*
 * Many alarms, armed in a scrambled order, some disarmed and some set
 * again: at each due time exactly those due and still armed have gone off.
 */
static void test_many_alarms_fire_in_time_order_whatever_order_they_were_set(void **state)
{
	enum { N = 1500 };
	struct notification *n = calloc(N, sizeof(*n));
	uint64_t at[N], seed = 12345, last = 0;
	bool armed[N];

	(void)state;
	assert_non_null(n);
	for (unsigned i = 0; i < N; i++) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		at[i] = 1 + (seed >> 33) % 500; /* Many equal times among them. */
		armed[i] = true;
		alarm_set(&n[i], at[i], 1);
	}
	for (unsigned i = 0; i < N; i += 3) {
		alarm_cancel(&n[i]);
		armed[i] = false;
	}
	for (unsigned i = 1; i < N; i += 7) {
		at[i] = 250; /* Moved. */
		alarm_set(&n[i], at[i], 1);
		armed[i] = true;
	}
	for (uint64_t t = 1; t <= 500; t++) {
		uint64_t next;

		while ((next = alarm_fire(t)) == t)
			; /* More than a burst were due. */
		assert_true(next > t);
		for (unsigned i = 0; i < N; i++)
			assert_int_equal(n[i].pending, armed[i] && at[i] <= t);
		last = t;
	}
	assert_int_equal(last, 500);
	assert_int_equal(alarm_fire(UINT64_MAX - 1), UINT64_MAX);
	free(n);
}

/* One timer interrupt fires at most a burst of alarms; the rest at once after. */
static void test_a_timer_interrupt_fires_a_burst_and_asks_to_come_back(void **state)
{
	struct notification n[20] = {0};
	unsigned pending = 0;

	(void)state;
	for (unsigned i = 0; i < 20; i++)
		alarm_set(&n[i], 5, 1);
	assert_int_equal(alarm_fire(5), 5);
	for (unsigned i = 0; i < 20; i++)
		pending += n[i].pending;
	assert_int_equal(pending, 16);
	assert_int_equal(alarm_fire(5), UINT64_MAX);
	for (unsigned i = 0; i < 20; i++)
		assert_true(n[i].pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_a_waiter_wakes_with_the_bits_when_the_counter_reaches_the_alarm, reset,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_an_alarm_in_the_past_is_due_at_once_and_waits_as_a_signal, reset,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_alarms_fire_in_time_order_and_setting_one_again_moves_it, reset,
			teardown),
		cmocka_unit_test_setup_teardown(test_counter_zero_disarms_the_alarm, reset,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_only_a_capability_with_read_and_write_sets_an_alarm, reset, teardown),
		cmocka_unit_test_setup_teardown(test_a_deleted_notifications_alarm_never_fires,
						reset, teardown),
		cmocka_unit_test_setup_teardown(
			test_many_alarms_fire_in_time_order_whatever_order_they_were_set, reset,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_timer_interrupt_fires_a_burst_and_asks_to_come_back, reset,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
