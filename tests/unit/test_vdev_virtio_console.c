/*
 * Unit tests for servers/vdev/virtio_console.c: output from the transmitq,
 * input into the receiveq, with and without buffers waiting.
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

static void write_out(void *ctx, const uint8_t *buf, size_t len)
{
	assert_true(out_len + len <= sizeof(out));
	memcpy(out + out_len, buf, len);
	out_len += len;
	writes++;
}

static int setup(void **state)
{
	const struct guest_mem mem = drv_mem();
	const struct virtio_irq irq = {.set = NULL, .ctx = NULL};
	const struct virtio_console_out o = {.write = write_out, .ctx = NULL};

	out_len = 0;
	writes = 0;
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
	assert_int_equal(drv_read(&drv, 0x034), 128);
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
	assert_int_equal(con.pending_count, 0);
}

static void test_input_waits_for_buffers_and_goes_at_the_notify(void **state)
{
	uint64_t a = drv_alloc(&drv, 16);
	uint32_t id, len;

	assert_int_equal(virtio_console_input(&con, (const uint8_t *)"xyz", 3), 3);
	assert_false(drv_take_used(&drv, 0, &id, &len));
	assert_int_equal(con.pending_count, 3);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
