/*
 * Unit tests for servers/vdev/server.c, the device-server library's
 * message handling: the boot page, MMIO exits to device callbacks,
 * notifications, bad messages, interrupt lines to the VMM and timers, all
 * without system calls (struct vdev_env is faked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <mica/abi/exit.h>
#include <vdev/vdev.h>

#define BASE UINT64_C(0x9000000)

static struct vdev_boot boot;
static struct vdev_server server;
static uint8_t ram[64];
static uint8_t disk[32];

/* What the fakes saw. */
static struct {
	unsigned setups, inits;
	unsigned reads, writes;
	uint64_t offset, value;
	unsigned size;
	enum mica_error result;
	uint64_t notified_bits;
	unsigned notifications;
	unsigned lines_sent;
	bool last_level;
	enum mica_error line_result;
	unsigned logs;
	uint64_t now;	     /* What the clock reads. */
	uint64_t armed;	     /* The alarm last asked for (0: none). */
	unsigned arms;	     /* How often it was asked for. */
	unsigned timers[8];  /* Devices whose timer callback ran, in order. */
	unsigned timer_runs; /* How many ran. */
	unsigned resets[8];  /* Devices reset, in order. */
	unsigned reset_runs;
} seen;

static void setup_cb(struct vdev_server *s)
{
	assert_int_equal(seen.inits, 0);
	seen.setups++;
}

static enum mica_error init_cb(struct vdev_device *d)
{
	seen.inits++;
	return strcmp(d->boot->compatible, "test,good") == 0 ? MICA_OK : MICA_ERR_NOT_FOUND;
}

static enum mica_error read_cb(struct vdev_device *d, uint64_t offset, unsigned size,
			       uint64_t *value)
{
	seen.reads++;
	seen.offset = offset;
	seen.size = size;
	*value = 0x1122334455667788;
	return seen.result;
}

static enum mica_error write_cb(struct vdev_device *d, uint64_t offset, unsigned size,
				uint64_t value)
{
	seen.writes++;
	seen.offset = offset;
	seen.size = size;
	seen.value = value;
	return seen.result;
}

static void notified_cb(struct vdev_server *s, uint64_t bits)
{
	seen.notifications++;
	seen.notified_bits = bits;
}

static enum mica_error send_line(struct vdev_device *d, bool level)
{
	seen.lines_sent++;
	seen.last_level = level;
	return seen.line_result;
}

static void log_cb(const struct vdev_server *s, const char *what)
{
	seen.logs++;
}

static uint64_t clock_cb(void)
{
	return seen.now;
}

static void arm_cb(const struct vdev_server *s, uint64_t at)
{
	seen.arms++;
	seen.armed = at;
}

static void timer_cb(struct vdev_device *d)
{
	assert_int_equal(d->timer_ns, 0); /* No longer set when it runs, so it may set it again. */
	if (seen.timer_runs < 8)
		seen.timers[seen.timer_runs] = d->index;
	seen.timer_runs++;
}

static void reset_cb(struct vdev_device *d)
{
	if (seen.reset_runs < 8)
		seen.resets[seen.reset_runs] = d->index;
	seen.reset_runs++;
}

static const struct vdev_ops ops = {.setup = setup_cb,
				    .init = init_cb,
				    .mmio_read = read_cb,
				    .mmio_write = write_cb,
				    .notified = notified_cb,
				    .timer = timer_cb,
				    .reset = reset_cb};
static const struct vdev_env env = {
	.send_line = send_line, .log = log_cb, .clock_ns = clock_cb, .arm = arm_cb};

static void device(unsigned i, const char *compatible, uint64_t base, uint32_t intid)
{
	struct vdev_boot_device *d = &boot.devices[i];

	snprintf(d->vm, sizeof(d->vm), "vm0");
	snprintf(d->name, sizeof(d->name), "dev");
	snprintf(d->compatible, sizeof(d->compatible), "%s", compatible);
	d->ipa_base = base;
	d->ipa_size = 0x1000;
	d->intid = intid;
	d->irq_cap = intid != 0 ? VDEV_CAP_DEVICE_FIRST + i : 0;
}

/* Device 0 serves, 1 is refused by init, 2 has an unterminated name, 3 has no interrupt. */
static int setup(void **state)
{
	memset(&seen, 0, sizeof(seen));
	memset(&boot, 0, sizeof(boot));
	boot.magic = VDEV_BOOT_MAGIC;
	snprintf(boot.server, sizeof(boot.server), "test");
	boot.device_count = 4;
	device(0, "test,good", BASE, 33);
	boot.devices[0].ram_ipa = 0x40000000;
	boot.devices[0].ram_size = sizeof(ram);
	boot.devices[0].ram_va = (uint64_t)(uintptr_t)ram;
	boot.devices[0].disk_va = (uint64_t)(uintptr_t)disk;
	boot.devices[0].disk_size = sizeof(disk);
	device(1, "test,bad", BASE + 0x1000, 34);
	device(2, "test,good", BASE + 0x2000, 35);
	memset(boot.devices[2].name, 'x', VDEV_NAME_MAX);
	device(3, "test,good", BASE + 0x3000, 0);
	assert_int_equal(vdev_server_init(&server, &boot, &ops, &env), MICA_OK);
	return 0;
}

static uint64_t mmio_info(void)
{
	return mica_msg_info(MICA_EXIT_MMIO, 0, 4);
}

static struct vdev_answer exit_to(unsigned dev, uint64_t addr, uint64_t access, uint64_t value,
				  uint64_t mr[4])
{
	mr[0] = addr;
	mr[1] = access;
	mr[2] = value;
	mr[3] = 0x40080000;
	return vdev_server_handle(&server, VDEV_BADGE_DEVICE | dev, mmio_info(), mr);
}

static void test_init_rejects_a_bad_boot_page(void **state)
{
	struct vdev_server s;
	struct vdev_ops no_read = ops;

	boot.magic = VDEV_BOOT_MAGIC + 1;
	assert_int_equal(vdev_server_init(&s, &boot, &ops, &env), MICA_ERR_INVALID_ARGUMENT);
	boot.magic = VDEV_BOOT_MAGIC;
	boot.device_count = VDEV_MAX_DEVICES + 1;
	assert_int_equal(vdev_server_init(&s, &boot, &ops, &env), MICA_ERR_RANGE);
	boot.device_count = 1;
	no_read.mmio_read = NULL;
	assert_int_equal(vdev_server_init(&s, &boot, &no_read, &env), MICA_ERR_INVALID_ARGUMENT);
}

static void test_init_sets_up_each_well_formed_device(void **state)
{
	assert_int_equal(seen.setups, 1);
	assert_int_equal(seen.inits, 3); /* not device 2 */
	assert_true(server.devices[0].is_served);
	assert_false(server.devices[1].is_served);
	assert_false(server.devices[2].is_served);
	assert_true(server.devices[3].is_served);
	assert_int_equal(server.devices[0].ram.ipa_base, 0x40000000);
	assert_int_equal(server.devices[0].ram.size, sizeof(ram));
	assert_ptr_equal(server.devices[0].ram.host, ram);
	assert_ptr_equal(server.devices[0].disk, disk);
	assert_int_equal(server.devices[0].disk_size, sizeof(disk));
	assert_int_equal(server.devices[3].ram.size, 0);
	assert_null(server.devices[3].disk);
}

static void test_init_skips_devices_whose_ranges_wrap(void **state)
{
	boot.devices[0].ipa_base = UINT64_MAX - 0xfff + 1;
	boot.devices[1].ram_ipa = UINT64_MAX - 8;
	boot.devices[1].ram_size = 16;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(vdev_server_init(&server, &boot, &ops, &env), MICA_OK);
	assert_false(server.devices[0].is_served);
	assert_false(server.devices[1].is_served);
	assert_int_equal(seen.inits, 1);
}

static void test_mmio_read_answers_resume_with_the_value(void **state)
{
	uint64_t mr[4];
	struct vdev_answer a = exit_to(0, BASE + 0x18, 2, 0, mr);

	assert_true(a.is_reply);
	assert_int_equal(a.label, MICA_EXIT_RESUME);
	assert_int_equal(a.length, 1);
	assert_int_equal(mr[0], 0x1122334455667788);
	assert_int_equal(seen.reads, 1);
	assert_int_equal(seen.offset, 0x18);
	assert_int_equal(seen.size, 4);
}

static void test_mmio_write_passes_offset_size_and_value(void **state)
{
	uint64_t mr[4];
	struct vdev_answer a = exit_to(0, BASE + 0x1, MICA_MMIO_WRITE | 0, 'A', mr);

	assert_true(a.is_reply);
	assert_int_equal(a.label, MICA_EXIT_RESUME);
	assert_int_equal(a.length, 0);
	assert_int_equal(seen.writes, 1);
	assert_int_equal(seen.offset, 1);
	assert_int_equal(seen.size, 1);
	assert_int_equal(seen.value, 'A');
	(void)exit_to(3, BASE + 0x3ff8, MICA_MMIO_WRITE | 3, 7, mr);
	assert_int_equal(seen.offset, 0xff8);
	assert_int_equal(seen.size, 8);
}

static void test_accesses_outside_the_range_are_declined_unseen(void **state)
{
	uint64_t mr[4];

	assert_int_equal(exit_to(0, BASE - 1, 0, 0, mr).label, MICA_ERR_RANGE);
	assert_int_equal(exit_to(0, BASE + 0x1000, 0, 0, mr).label, MICA_ERR_RANGE);
	assert_int_equal(exit_to(0, BASE + 0xffc, 3, 0, mr).label, MICA_ERR_RANGE);
	assert_int_equal(exit_to(0, 0, 2, 0, mr).label, MICA_ERR_RANGE);
	assert_int_equal(seen.reads + seen.writes, 0);
	assert_int_equal(server.declined, 4);
	/* The last bytes are fine. */
	assert_int_equal(exit_to(0, BASE + 0xff8, 3, 0, mr).label, MICA_EXIT_RESUME);
}

static void test_device_errors_decline_with_the_error(void **state)
{
	uint64_t mr[4];
	struct vdev_answer a;

	seen.result = MICA_ERR_ALIGNMENT;
	a = exit_to(0, BASE + 2, 2, 0, mr);
	assert_true(a.is_reply);
	assert_int_equal(a.label, MICA_ERR_ALIGNMENT);
	assert_int_equal(a.length, 0);
	assert_int_equal(mr[0], BASE + 2); /* the value is not leaked to the answer */
	a = exit_to(0, BASE + 2, MICA_MMIO_WRITE | 2, 0, mr);
	assert_int_equal(a.label, MICA_ERR_ALIGNMENT);
	assert_int_equal(server.declined, 2);
}

static void test_unserved_devices_are_declined(void **state)
{
	uint64_t mr[4];

	assert_int_equal(exit_to(1, BASE + 0x1000, 2, 0, mr).label, MICA_ERR_NOT_FOUND);
	assert_int_equal(exit_to(2, BASE + 0x2000, 2, 0, mr).label, MICA_ERR_NOT_FOUND);
	assert_int_equal(seen.reads, 0);
}

/* The VMM's VDEV_MSG_RESET resets the device its badge names, if it is served; answer 0. */
static void test_a_vm_reset_resets_the_device_it_names(void **state)
{
	uint64_t mr[4] = {0};
	const uint64_t info = mica_msg_info(VDEV_MSG_RESET, 0, 0);
	struct vdev_answer a = vdev_server_handle(&server, VDEV_BADGE_DEVICE | 3, info, mr);

	assert_true(a.is_reply);
	assert_int_equal(a.label, MICA_OK);
	assert_int_equal(seen.reset_runs, 1);
	assert_int_equal(seen.resets[0], 3);
	/* Unserved: answered, nothing reset. Unknown: an error. */
	assert_int_equal(vdev_server_handle(&server, VDEV_BADGE_DEVICE | 1, info, mr).label,
			 MICA_OK);
	assert_int_not_equal(vdev_server_handle(&server, VDEV_BADGE_DEVICE | 9, info, mr).label,
			     MICA_OK);
	assert_int_equal(seen.reset_runs, 1);
	assert_int_equal(seen.reads + seen.writes, 0);
}

static void test_notifications_reach_notified_without_a_reply(void **state)
{
	uint64_t mr[4] = {0};
	struct vdev_answer a = vdev_server_handle(&server, VDEV_NTFN_UART,
						  mica_msg_info(MICA_LABEL_NOTIFICATION, 0, 0), mr);

	assert_false(a.is_reply);
	assert_int_equal(seen.notifications, 1);
	assert_int_equal(seen.notified_bits, VDEV_NTFN_UART);
}

static void test_bad_messages_get_an_error_and_are_logged_once(void **state)
{
	static const uint64_t badges[] = {0,
					  1,
					  VDEV_BADGE_DEVICE | 4,
					  VDEV_BADGE_DEVICE | 16,
					  (UINT64_C(1) << 33) | VDEV_BADGE_DEVICE,
					  UINT64_MAX};
	uint64_t mr[4] = {BASE, 2, 0, 0};

	for (size_t i = 0; i < sizeof(badges) / sizeof(badges[0]); i++) {
		struct vdev_answer a = vdev_server_handle(&server, badges[i], mmio_info(), mr);

		assert_true(a.is_reply);
		assert_int_equal(a.label, MICA_ERR_INVALID_ARGUMENT);
	}
	/* The right badge with a label that is not an MMIO exit. */
	assert_int_equal(vdev_server_handle(&server, VDEV_BADGE_DEVICE,
					    mica_msg_info(MICA_EXIT_HYPERCALL, 0, 4), mr)
				 .label,
			 MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(
		vdev_server_handle(&server, VDEV_BADGE_DEVICE, mica_msg_info(1, 0, 1), mr).label,
		MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(server.bad_messages, 8);
	assert_int_equal(seen.logs, 1);
	assert_int_equal(seen.reads + seen.writes, 0);
}

static void test_line_changes_reach_the_vmm_only_when_the_level_changes(void **state)
{
	struct vdev_device *d = &server.devices[0];

	vdev_set_line(d, false);
	assert_int_equal(seen.lines_sent, 0);
	vdev_line_callback(d, true);
	vdev_set_line(d, true);
	assert_int_equal(seen.lines_sent, 1);
	assert_true(seen.last_level);
	vdev_set_line(d, false);
	assert_int_equal(seen.lines_sent, 2);
	assert_false(seen.last_level);
}

static void test_devices_without_an_interrupt_send_nothing(void **state)
{
	vdev_set_line(&server.devices[3], true);
	assert_int_equal(seen.lines_sent, 0);
	assert_true(server.devices[3].line);
}

static void test_refused_line_messages_are_counted_and_logged_once(void **state)
{
	seen.line_result = MICA_ERR_INVALID_CAPABILITY;
	vdev_set_line(&server.devices[0], true);
	vdev_set_line(&server.devices[0], false);
	assert_int_equal(seen.lines_sent, 2);
	assert_int_equal(server.line_errors, 2);
	assert_int_equal(seen.logs, 1);
}

/* Once the root task says a VM ended, its devices' lines go nowhere; others still do. */
static void test_lines_of_an_ended_vm_are_not_sent(void **state)
{
	uint64_t mr[4] = {0};

	boot.devices[1].vm_index = 1;
	(void)vdev_server_handle(&server, VDEV_NTFN_VM_ENDED(0),
				 mica_msg_info(MICA_LABEL_NOTIFICATION, 0, 0), mr);
	assert_int_equal(seen.notifications, 1);
	assert_true(server.devices[0].is_vm_ended);
	assert_false(server.devices[1].is_vm_ended);
	vdev_set_line(&server.devices[0], true);
	assert_int_equal(seen.lines_sent, 0);
	assert_true(server.devices[0].line);
	server.devices[1].is_served = true;
	vdev_set_line(&server.devices[1], true);
	assert_int_equal(seen.lines_sent, 1);
}

/* A server restarted after a VM ended knows it from its boot page. */
static void test_vms_ended_before_the_start_count_as_ended(void **state)
{
	boot.devices[1].vm_index = 1;
	boot.vms_ended = 1u << 1;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(vdev_server_init(&server, &boot, &ops, &env), MICA_OK);
	assert_false(server.devices[0].is_vm_ended);
	assert_true(server.devices[1].is_vm_ended);
}

/*
 * A restarted instance finds each device's state pages and is told it
 * resumes; the first level its devices set reaches the VMM even if it is
 * the one the library starts from, since the last instance's may not have.
 */
static void test_a_restarted_instance_resumes_its_state_and_resends_its_line(void **state)
{
	static uint8_t pages[64];

	boot.devices[0].state_va = (uint64_t)(uintptr_t)pages;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(vdev_server_init(&server, &boot, &ops, &env), MICA_OK);
	assert_ptr_equal(server.devices[0].state, pages);
	assert_false(server.devices[0].is_resumed);
	vdev_set_line(&server.devices[0], false);
	assert_int_equal(seen.lines_sent, 0);

	boot.restarts = 1;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(vdev_server_init(&server, &boot, &ops, &env), MICA_OK);
	assert_true(server.devices[0].is_resumed);
	assert_false(server.devices[1].is_resumed); /* It has no state pages. */
	vdev_set_line(&server.devices[0], false);
	assert_int_equal(seen.lines_sent, 1);
	assert_false(seen.last_level);
	vdev_set_line(&server.devices[0], false);
	assert_int_equal(seen.lines_sent, 1);
}

static void test_compatible_must_match_exactly(void **state)
{
	assert_true(vdev_is_compatible(&server.devices[0], "test,good"));
	assert_false(vdev_is_compatible(&server.devices[0], "test,goo"));
	assert_false(vdev_is_compatible(&server.devices[0], "test,good2"));
}

/* The alarm a server gets woken by: its notification's bit, as the loop hands it over. */
static void alarm_goes_off(void)
{
	uint64_t mr[4] = {0};
	struct vdev_answer a = vdev_server_handle(&server, VDEV_NTFN_TIMER,
						  mica_msg_info(MICA_LABEL_NOTIFICATION, 0, 0), mr);

	assert_false(a.is_reply);
}

static void test_the_earliest_device_timer_is_the_alarm_and_each_fires_once_in_order(void **state)
{
	seen.now = 1000;
	vdev_timer_set(&server.devices[3], 5000);
	assert_int_equal(seen.armed, 5000);
	vdev_timer_set(&server.devices[0], 3000);
	assert_int_equal(seen.armed, 3000);
	/* A later one changes nothing the kernel needs to hear. */
	vdev_timer_set(&server.devices[1], 9000);
	assert_int_equal(seen.arms, 2);
	/* Woken early (another bit, or the clocks' rounding): nothing is due yet. */
	seen.now = 2999;
	alarm_goes_off();
	assert_int_equal(seen.timer_runs, 0);
	assert_int_equal(seen.armed, 3000);
	seen.now = 6000;
	alarm_goes_off();
	assert_int_equal(seen.timer_runs, 2);
	assert_int_equal(seen.timers[0], 0);
	assert_int_equal(seen.timers[1], 3);
	assert_int_equal(seen.armed, 9000);
	seen.now = 9000;
	alarm_goes_off();
	assert_int_equal(seen.timer_runs, 3);
	assert_int_equal(seen.timers[2], 1);
	/* The alarm that went off is gone: nothing to disarm. */
	assert_int_equal(seen.arms, 4);
	/* Nothing set: a stray wake-up runs no callback. */
	alarm_goes_off();
	assert_int_equal(seen.timer_runs, 3);
}

static void test_cancelling_the_earliest_timer_moves_the_alarm_and_the_last_disarms_it(void **state)
{
	vdev_timer_set(&server.devices[0], 100);
	vdev_timer_set(&server.devices[3], 200);
	vdev_timer_set(&server.devices[0], 0);
	assert_int_equal(seen.armed, 200);
	vdev_timer_set(&server.devices[3], 0);
	assert_int_equal(seen.armed, 0);
	seen.now = 1000;
	alarm_goes_off();
	assert_int_equal(seen.timer_runs, 0);
}

/* The timer bit comes with others: the timers run and notified still sees every bit. */
static void test_a_timer_bit_among_others_reaches_notified_too(void **state)
{
	uint64_t mr[4] = {0};

	vdev_timer_set(&server.devices[0], 10);
	seen.now = 10;
	(void)vdev_server_handle(&server, VDEV_NTFN_TIMER | VDEV_NTFN_UART,
				 mica_msg_info(MICA_LABEL_NOTIFICATION, 0, 0), mr);
	assert_int_equal(seen.timer_runs, 1);
	assert_int_equal(seen.notified_bits, VDEV_NTFN_TIMER | VDEV_NTFN_UART);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_rejects_a_bad_boot_page),
		T(test_a_restarted_instance_resumes_its_state_and_resends_its_line),
		T(test_init_sets_up_each_well_formed_device),
		T(test_init_skips_devices_whose_ranges_wrap),
		T(test_mmio_read_answers_resume_with_the_value),
		T(test_mmio_write_passes_offset_size_and_value),
		T(test_accesses_outside_the_range_are_declined_unseen),
		T(test_device_errors_decline_with_the_error),
		T(test_unserved_devices_are_declined),
		T(test_notifications_reach_notified_without_a_reply),
		T(test_lines_of_an_ended_vm_are_not_sent),
		T(test_vms_ended_before_the_start_count_as_ended),
		T(test_bad_messages_get_an_error_and_are_logged_once),
		T(test_line_changes_reach_the_vmm_only_when_the_level_changes),
		T(test_devices_without_an_interrupt_send_nothing),
		T(test_refused_line_messages_are_counted_and_logged_once),
		T(test_compatible_must_match_exactly),
		T(test_the_earliest_device_timer_is_the_alarm_and_each_fires_once_in_order),
		T(test_cancelling_the_earliest_timer_moves_the_alarm_and_the_last_disarms_it),
		T(test_a_timer_bit_among_others_reaches_notified_too),
		T(test_a_vm_reset_resets_the_device_it_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
