/*
 * Unit tests for servers/vdev/virtio_console.c: output from the transmitq,
 * input into the receiveq, with and without buffers waiting, and a
 * restarted server resuming both from the state its last instance left,
 * with crashes injected at the points the model's callbacks reach (a jump
 * out of the output or the interrupt line, as a fault would end the
 * instance there) and state laid out as a crash elsewhere leaves it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vdev_driver.h"
#include "virtio_console.h"

static struct virtio_console con;
static struct driver drv;
static uint8_t out[1024];
static size_t out_len;
static unsigned writes;

/* Crash injection: the old instance dies in the crash_write-th write, or at its next interrupt. */
static jmp_buf crash_point;
static unsigned crash_write;
static bool is_crash_on_line;

static void write_out(void *ctx, const uint8_t *buf, size_t len)
{
	assert_true(out_len + len <= sizeof(out));
	memcpy(out + out_len, buf, len);
	out_len += len;
	writes++;
	if (writes == crash_write) {
		crash_write = 0;
		longjmp(crash_point, 1); /* The bytes went out; the crash came before the return. */
	}
}

static void set_line(void *ctx, bool level)
{
	if (level && is_crash_on_line) {
		is_crash_on_line = false;
		longjmp(crash_point, 1); /* Published, then the crash before anything else. */
	}
}

static int setup(void **state)
{
	const struct guest_mem mem = drv_mem();
	const struct virtio_irq irq = {.set = set_line, .ctx = NULL};
	const struct virtio_console_out o = {.write = write_out, .ctx = NULL};

	out_len = 0;
	writes = 0;
	crash_write = 0;
	is_crash_on_line = false;
	virtio_console_init(&con, &mem, &irq, &o);
	drv_reset_ram(&drv, &con.mmio);
	return 0;
}

static int setup_running(void **state)
{
	setup(state);
	drv_start(&drv, UINT64_C(1) << 32, 2);
	return 0;
}

static uint64_t text(const char *s)
{
	uint64_t ipa = drv_alloc(&drv, (uint32_t)strlen(s));

	memcpy(drv_host(ipa), s, strlen(s));
	return ipa;
}

static void test_console_offers_no_optional_features(void **state)
{
	assert_int_equal(drv_read(&drv, 0x008), 3);
	assert_int_equal(drv_read(&drv, 0x010), 0);
	drv_write(&drv, 0x014, 1);
	assert_int_equal(drv_read(&drv, 0x010), 1);
	drv_write(&drv, 0x030, 1);
	assert_int_equal(drv_read(&drv, 0x034), 256);
	drv_write(&drv, 0x030, 2);
	assert_int_equal(drv_read(&drv, 0x034), 0);
}

static void test_transmit_outputs_each_readable_buffer_in_order(void **state)
{
	uint64_t a = text("hello, "), b = text("world\n");
	uint32_t id, len;
	uint16_t head;

	head = drv_add(&drv, 1, (const struct seg[]){{a, 7, false}, {b, 6, false}}, 2);
	drv_add(&drv, 1, (const struct seg[]){{text("!"), 1, false}}, 1);
	drv_write(&drv, 0x050, 1);
	assert_int_equal(out_len, 14);
	assert_memory_equal(out, "hello, world\n!", 14);
	assert_int_equal(con.tx_bytes, 14);
	assert_true(drv_take_used(&drv, 1, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	assert_true(drv_take_used(&drv, 1, &id, &len));
	assert_int_equal(drv_read(&drv, 0x060), 1);
}

static void test_input_fills_waiting_receive_buffers(void **state)
{
	uint64_t a = drv_alloc(&drv, 3), b = drv_alloc(&drv, 8);
	uint32_t id, len;
	uint16_t ha, hb;

	ha = drv_add(&drv, 0, (const struct seg[]){{a, 3, true}}, 1);
	hb = drv_add(&drv, 0, (const struct seg[]){{b, 8, true}}, 1);
	drv_write(&drv, 0x050, 0);
	assert_int_equal(virtio_console_input(&con, (const uint8_t *)"abcde", 5), 5);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, ha);
	assert_int_equal(len, 3);
	assert_memory_equal(drv_host(a), "abc", 3);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, hb);
	assert_int_equal(len, 2);
	assert_memory_equal(drv_host(b), "de", 2);
	assert_int_equal(con.rx_bytes, 5);
	assert_int_equal(virtio_console_pending(&con), 0);
}

static void test_input_waits_for_buffers_and_goes_at_the_notify(void **state)
{
	uint64_t a = drv_alloc(&drv, 16);
	uint32_t id, len;

	assert_int_equal(virtio_console_input(&con, (const uint8_t *)"xyz", 3), 3);
	assert_false(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(virtio_console_pending(&con), 3);
	drv_add(&drv, 0, (const struct seg[]){{a, 16, true}}, 1);
	drv_write(&drv, 0x050, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(len, 3);
	assert_memory_equal(drv_host(a), "xyz", 3);
}

static void test_input_before_the_driver_runs_is_kept(void **state)
{
	uint32_t id, len;
	uint64_t a;

	assert_int_equal(virtio_console_input(&con, (const uint8_t *)"early", 5), 5);
	drv_start(&drv, UINT64_C(1) << 32, 2);
	a = drv_alloc(&drv, 16);
	drv_add(&drv, 0, (const struct seg[]){{a, 16, true}}, 1);
	drv_write(&drv, 0x050, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(len, 5);
	assert_memory_equal(drv_host(a), "early", 5);
}

static void test_input_beyond_the_pending_queue_is_dropped(void **state)
{
	uint8_t big[300];

	memset(big, 'q', sizeof(big));
	assert_int_equal(virtio_console_input(&con, big, sizeof(big)), 256);
	assert_int_equal(con.rx_dropped, 44);
	assert_int_equal(virtio_console_input(&con, big, 1), 0);
	assert_int_equal(con.rx_dropped, 45);
}

static void test_pending_input_wraps_around_its_ring(void **state)
{
	uint8_t chunk[200];
	uint64_t a = drv_alloc(&drv, 200), b = drv_alloc(&drv, 300);
	uint32_t id, len;

	memset(chunk, '1', sizeof(chunk));
	assert_int_equal(virtio_console_input(&con, chunk, 200), 200);
	drv_add(&drv, 0, (const struct seg[]){{a, 200, true}}, 1);
	drv_write(&drv, 0x050, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	memset(chunk, '2', sizeof(chunk));
	assert_int_equal(virtio_console_input(&con, chunk, 200), 200);
	drv_add(&drv, 0, (const struct seg[]){{b, 300, true}}, 1);
	drv_write(&drv, 0x050, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(len, 200);
	assert_memory_equal(drv_host(b), chunk, 200);
}

static void test_receive_chain_without_writable_space_is_returned_empty(void **state)
{
	uint64_t a = drv_alloc(&drv, 4), b = drv_alloc(&drv, 4);
	uint32_t id, len;

	drv_add(&drv, 0, (const struct seg[]){{a, 4, false}}, 1);
	drv_add(&drv, 0, (const struct seg[]){{b, 4, true}}, 1);
	assert_int_equal(virtio_console_input(&con, (const uint8_t *)"ok", 2), 2);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(len, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(drv_host(b), "ok", 2);
}

/*
 * The server crashes and a new instance resumes from con, which the root
 * task kept (the device's state pages): every pointer into the old
 * process is stale, so scribble on them first.
 */
static void restart(void)
{
	const struct guest_mem mem = drv_mem();
	const struct virtio_irq irq = {.set = set_line, .ctx = NULL};
	const struct virtio_console_out o = {.write = write_out, .ctx = NULL};

	con.out.write = NULL;
	con.mmio.mem.host = (uint8_t *)16;
	con.mmio.irq.set = NULL;
	con.mmio.dev = (struct virtio_dev){.notify = NULL};
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		con.mmio.queues[i].desc = con.mmio.queues[i].avail = con.mmio.queues[i].used =
			(uint8_t *)16;
	crash_write = 0;
	is_crash_on_line = false;
	virtio_console_resume(&con, &mem, &irq, &o);
}

/* The driver notifies queue; true if the server crashed while serving it. */
static bool notify_crashes(unsigned queue)
{
	if (setjmp(crash_point) != 0)
		return true;
	drv_write(&drv, 0x050, queue);
	return false;
}

/* Input typed for the guest; true if the server crashed while handing it over. */
static bool input_crashes(const char *s)
{
	if (setjmp(crash_point) != 0)
		return true;
	assert_int_equal(virtio_console_input(&con, (const uint8_t *)s, strlen(s)), strlen(s));
	return false;
}

/* A receive buffer of len bytes, made available; its address in *ipa. */
static uint16_t add_rx(uint32_t len, uint64_t *ipa)
{
	*ipa = drv_alloc(&drv, len);
	memset(drv_host(*ipa), '.', len);
	return drv_add(&drv, 0, (const struct seg[]){{*ipa, len, true}}, 1);
}

static uint16_t add_tx(const char *s)
{
	return drv_add(&drv, 1, (const struct seg[]){{text(s), (uint32_t)strlen(s), false}}, 1);
}

static void test_resume_keeps_the_transport_and_what_waited_on_both_queues(void **state)
{
	uint32_t id, len;
	uint64_t a;

	assert_false(input_crashes("kept"));
	add_tx("queued\n"); /* Its notify never arrived, or arrived and was lost. */
	restart();
	assert_int_equal(out_len, 7);
	assert_memory_equal(out, "queued\n", 7);
	assert_int_equal(drv_used_idx(1), 1);
	assert_int_equal(drv_read(&drv, 0x070), 15);
	for (unsigned q = 0; q < 2; q++) {
		drv_write(&drv, 0x030, q);
		assert_int_equal(drv_read(&drv, 0x044), 1);
	}
	assert_int_equal(virtio_console_pending(&con), 4);
	add_rx(16, &a);
	drv_write(&drv, 0x050, 0);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(len, 4);
	assert_memory_equal(drv_host(a), "kept", 4);
	assert_int_equal(virtio_console_pending(&con), 0);
	add_tx("after\n");
	drv_write(&drv, 0x050, 1);
	assert_int_equal(out_len, 13);
	assert_memory_equal(out, "queued\nafter\n", 13);
}

static void test_resume_redoes_a_transmit_chain_whose_output_the_crash_cut(void **state)
{
	uint32_t id, len;
	uint16_t first = add_tx("one\n"), second = add_tx("two\n");

	crash_write = 2; /* In the second chain's output, after its bytes went out. */
	assert_true(notify_crashes(1));
	assert_int_equal(drv_used_idx(1), 1);
	restart();
	/* The chain in flight is redone whole: its output shows twice, as documented. */
	assert_int_equal(out_len, 12);
	assert_memory_equal(out, "one\ntwo\ntwo\n", 12);
	assert_int_equal(drv_used_idx(1), 2);
	assert_true(drv_take_used(&drv, 1, &id, &len));
	assert_int_equal(id, first);
	assert_true(drv_take_used(&drv, 1, &id, &len));
	assert_int_equal(id, second);
	assert_false(drv_take_used(&drv, 1, &id, &len));
}

static void test_resume_does_not_show_again_a_published_transmit_chain(void **state)
{
	uint32_t id, len;

	add_tx("once\n");
	is_crash_on_line = true; /* Right after the chain was published. */
	assert_true(notify_crashes(1));
	assert_true(con.tx_flight.is_set); /* The crash came before the record was cleared. */
	restart();
	assert_int_equal(out_len, 5);
	assert_true(drv_take_used(&drv, 1, &id, &len));
	assert_false(drv_take_used(&drv, 1, &id, &len));
	assert_false(con.tx_flight.is_set);
}

static void test_resume_publishes_a_shown_chain_without_showing_it_again(void **state)
{
	uint32_t id, len;
	uint16_t head = add_tx("shown\n");

	drv_write(&drv, 0x050, 1);
	/*
	 * The old instance showed the chain, recorded so, wrote its used
	 * element and crashed before storing the used idx: the driver has seen
	 * nothing.
	 */
	put16(drv_used(1) + 2, 0);
	con.tx_flight = (struct virtio_console_flight){.is_set = true, .used_idx = 1};
	restart();
	assert_int_equal(out_len, 6);
	assert_int_equal(drv_used_idx(1), 1);
	assert_true(drv_take_used(&drv, 1, &id, &len));
	assert_int_equal(id, head);
	assert_false(con.tx_flight.is_set);
}

static void test_resume_gives_once_the_input_of_a_chain_published_before_the_crash(void **state)
{
	uint32_t id, len;
	uint64_t a, b;
	uint16_t ha = add_rx(8, &a), hb;

	drv_write(&drv, 0x050, 0);
	is_crash_on_line = true; /* After publishing the chain, before the queue let go of it. */
	assert_true(input_crashes("abc"));
	assert_int_equal(virtio_console_pending(&con), 3);
	restart();
	assert_int_equal(virtio_console_pending(&con), 0);
	hb = add_rx(8, &b);
	drv_write(&drv, 0x050, 0);
	assert_false(input_crashes("de"));
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, ha);
	assert_int_equal(len, 3);
	assert_memory_equal(drv_host(a), "abc", 3);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, hb);
	assert_int_equal(len, 2);
	assert_memory_equal(drv_host(b), "de.", 3);
	assert_false(drv_take_used(&drv, 0, &id, &len));
}

static void test_resume_refills_a_receive_chain_consumed_but_not_completed(void **state)
{
	uint32_t id, len;
	uint64_t a, b;
	uint16_t ha = add_rx(8, &a), hb = add_rx(8, &b);

	drv_write(&drv, 0x050, 0);
	assert_false(input_crashes("xyz"));
	/*
	 * The old instance took the chain, copied the input into it, recorded
	 * the chain and crashed before storing the used idx: the driver has
	 * seen nothing, and the input is still the queue's.
	 */
	put16(drv_used(0) + 2, 0);
	memset(drv_host(a), '.', 8);
	con.pending_taken -= 3;
	con.rx_flight = (struct virtio_console_flight){
		.is_set = true, .used_idx = 1, .taken = con.pending_taken + 3};
	restart();
	assert_int_equal(drv_used_idx(0), 1);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, ha);
	assert_int_equal(len, 3);
	assert_memory_equal(drv_host(a), "xyz", 3);
	assert_int_equal(virtio_console_pending(&con), 0);
	assert_false(input_crashes("!"));
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, hb);
	assert_int_equal(len, 1);
	assert_memory_equal(drv_host(b), "!", 1);
}

static void test_resume_across_wrapped_indices_and_counts(void **state)
{
	uint32_t id, len;
	uint64_t rx[2];
	uint16_t tx_head[2], rx_head[2];

	/* Every ring index one short of wrapping, and the input counts two short of it. */
	for (unsigned q = 0; q < 2; q++) {
		drv.avail_idx[q] = drv.used_seen[q] = 65535;
		put16(drv_avail(q) + 2, 65535);
		put16(drv_used(q) + 2, 65535);
		con.mmio.queues[q].last_avail = con.mmio.queues[q].used_idx = 65535;
	}
	con.pending_taken = con.pending_added = UINT32_MAX - 1;
	tx_head[0] = add_tx("65535\n");
	tx_head[1] = add_tx("0\n");
	crash_write = 2; /* In the chain at ring index 0. */
	assert_true(notify_crashes(1));
	for (unsigned i = 0; i < 2; i++)
		rx_head[i] = add_rx(4, &rx[i]);
	drv_write(&drv, 0x050, 0);
	drv_write(&drv, 0x064, 1); /* The driver takes the interrupt: the line falls. */
	is_crash_on_line = true;   /* The first receive chain published at used idx 0. */
	assert_true(input_crashes("wxyz!"));
	restart();
	assert_int_equal(out_len, 10);
	assert_memory_equal(out, "65535\n0\n0\n", 10);
	assert_int_equal(drv_used_idx(1), 1);
	for (unsigned i = 0; i < 2; i++) {
		assert_true(drv_take_used(&drv, 1, &id, &len));
		assert_int_equal(id, tx_head[i]);
	}
	/* The second chain, at ring index 0, gets the fifth byte once, on resume. */
	assert_int_equal(drv_used_idx(0), 1);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, rx_head[0]);
	assert_memory_equal(drv_host(rx[0]), "wxyz", 4);
	assert_true(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(id, rx_head[1]);
	assert_int_equal(len, 1);
	assert_memory_equal(drv_host(rx[1]), "!...", 4);
	assert_int_equal(virtio_console_pending(&con), 0);
	assert_int_equal(con.pending_taken, 3);
}

static void test_reset_forgets_a_transmit_chain_left_in_flight(void **state)
{
	add_tx("cut\n");
	crash_write = 1;
	assert_true(notify_crashes(1));
	/* As a crash after marking the chain shown leaves it; then the driver resets. */
	con.tx_flight = (struct virtio_console_flight){.is_set = true, .used_idx = 1};
	drv.avail_idx[1] = drv.used_seen[1] = 0;
	drv_start(&drv, UINT64_C(1) << 32, 2);
	add_tx("new\n"); /* At the ring index the old chain had. */
	drv_write(&drv, 0x050, 1);
	assert_int_equal(out_len, 8);
	assert_memory_equal(out, "cut\nnew\n", 8);
}

#define T(f)	   cmocka_unit_test_setup(f, setup)
#define RUNNING(f) cmocka_unit_test_setup(f, setup_running)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_console_offers_no_optional_features),
		RUNNING(test_transmit_outputs_each_readable_buffer_in_order),
		RUNNING(test_input_fills_waiting_receive_buffers),
		RUNNING(test_input_waits_for_buffers_and_goes_at_the_notify),
		T(test_input_before_the_driver_runs_is_kept),
		RUNNING(test_input_beyond_the_pending_queue_is_dropped),
		RUNNING(test_pending_input_wraps_around_its_ring),
		RUNNING(test_receive_chain_without_writable_space_is_returned_empty),
		RUNNING(test_resume_keeps_the_transport_and_what_waited_on_both_queues),
		RUNNING(test_resume_redoes_a_transmit_chain_whose_output_the_crash_cut),
		RUNNING(test_resume_does_not_show_again_a_published_transmit_chain),
		RUNNING(test_resume_publishes_a_shown_chain_without_showing_it_again),
		RUNNING(test_resume_gives_once_the_input_of_a_chain_published_before_the_crash),
		RUNNING(test_resume_refills_a_receive_chain_consumed_but_not_completed),
		RUNNING(test_resume_across_wrapped_indices_and_counts),
		RUNNING(test_reset_forgets_a_transmit_chain_left_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
