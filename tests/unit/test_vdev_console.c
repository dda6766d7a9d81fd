/*
 * Unit tests for servers/vdev/console.c, the console servers' input path,
 * against a fake machine UART and fake guests: what a user typing sees
 * reach each VM. A guest that reads its input slowly, or not at all, must
 * not keep another VM from its input for more than the stall time, and
 * nothing is lost while guests keep up. And the output of a console
 * without a UART, through the kernel's debug write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vdev/clock.h>
#include <vdev/console.h>

#include <mica/kobj.h>
#include <mica/sys.h>

#define NS_PER_S UINT64_C(1000000000)

/* The machine's UART: what is typed, and how far the console has read it. */
static uint8_t typed[8192];
static size_t typed_len, typed_at;
static bool rx_interrupt;

void vdev_uart_putc(uint64_t uart_va, uint8_t ch)
{
	(void)uart_va;
	(void)ch;
}

int vdev_uart_getc(uint64_t uart_va)
{
	(void)uart_va;
	return typed_at < typed_len ? typed[typed_at++] : -1;
}

void vdev_uart_set_rx_interrupt(uint64_t uart_va, bool on)
{
	(void)uart_va;
	rx_interrupt = on;
}

/* The rest of the server's world. */
static uint64_t clock_ns;

uint64_t vdev_clock_ns(void)
{
	return clock_ns;
}

void vdev_timer_set(struct vdev_device *d, uint64_t at_ns)
{
	d->timer_ns = at_ns;
}

/* Requests for the root task's list (VDEV_MSG_LIST). */
static unsigned lists_asked;

/* As the real one's: mr is the message, which a send may change. */
struct mica_msg
mica_nbsend(uint64_t cptr, uint64_t info,
	    uint64_t mr[MICA_MSG_REGISTERS]) /* NOLINT(readability-non-const-parameter) */
{
	(void)mr;
	if (cptr == VDEV_CAP_ROOT && mica_msg_label(info) == VDEV_MSG_LIST)
		lists_asked++;
	return (struct mica_msg){.err = MICA_OK};
}

struct mica_msg mica_call(uint64_t cptr, uint64_t info, uint64_t mr[MICA_MSG_REGISTERS])
{
	(void)cptr;
	(void)info;
	mr[0] = MICA_OK; /* The VMM's answer to VDEV_MSG_STATS. */
	return (struct mica_msg){.err = MICA_OK};
}

/* What went through the kernel's debug write, and in how many calls. */
static char debug_out[16384];
static size_t debug_len;
static unsigned debug_calls;

enum mica_error sys_debug_write(const void *buf, size_t len)
{
	assert_true(len > 0 && debug_len + len <= sizeof(debug_out));
	memcpy(&debug_out[debug_len], buf, len);
	debug_len += len;
	debug_calls++;
	return MICA_OK;
}

enum mica_error mica_irq_handler_ack(uint64_t handler)
{
	(void)handler;
	return MICA_OK;
}

/* Two guests, each taking at most budget[i] bytes when the console hands input over. */
static struct vdev_boot boot;
static struct vdev_server server;
static struct vdev_device dev[2];
static struct vdev_console console;
static char got[2][8192];
static size_t got_len[2];
static size_t budget[2];

static size_t guest_input(struct vdev_device *d, const uint8_t *buf, size_t len)
{
	unsigned i = d->index;
	size_t n = len < budget[i] ? len : budget[i];

	memcpy(&got[i][got_len[i]], buf, n);
	got_len[i] += n;
	budget[i] -= n;
	return n;
}

static int setup(void **state)
{
	(void)state;
	memset(&boot, 0, sizeof(boot));
	memset(dev, 0, sizeof(dev));
	memset(got_len, 0, sizeof(got_len));
	typed_len = typed_at = 0;
	clock_ns = NS_PER_S;
	boot.uart_va = 0x7ffd000000;
	server.boot = &boot;
	vdev_console_init(&console, &server, guest_input);
	for (unsigned i = 0; i < 2; i++) {
		static const char *const vms[] = {"slow", "other"};
		static struct vdev_boot_device b[2];

		snprintf(b[i].vm, sizeof(b[i].vm), "%s", vms[i]);
		dev[i] = (struct vdev_device){.server = &server, .index = i, .boot = &b[i]};
		vdev_console_add(&console, &dev[i], NULL);
		budget[i] = 0;
	}
	vdev_console_start(&console);
	return 0;
}

static void type(const char *s, size_t len)
{
	memcpy(&typed[typed_len], s, len);
	typed_len += len;
	vdev_console_notified(&console, VDEV_NTFN_UART);
}

/* Time passes while guest i reads n bytes; the stall timer goes off if due. */
static void reads(unsigned i, size_t n, uint64_t ns)
{
	clock_ns += ns;
	budget[i] += n;
	vdev_console_take_input(&console, &dev[i]);
	for (unsigned j = 0; j < 2; j++) {
		if (dev[j].timer_ns != 0 && dev[j].timer_ns <= clock_ns) {
			dev[j].timer_ns = 0;
			vdev_console_timer(&console, &dev[j]);
		}
	}
}

/* A paste larger than the queue reaches a guest that keeps up, whole and in order. */
static void test_a_paste_reaches_a_guest_that_keeps_up_whole(void **state)
{
	char paste[4096];

	for (size_t i = 0; i < sizeof(paste); i++)
		paste[i] = (char)('a' + i % 23);
	type(paste, sizeof(paste));
	assert_false(rx_interrupt); /* Held: the rest waits in the UART. */
	for (unsigned step = 0; step < 64 && got_len[0] < sizeof(paste); step++)
		reads(0, 64, NS_PER_S / 10);
	assert_int_equal(got_len[0], sizeof(paste));
	assert_memory_equal(got[0], paste, sizeof(paste));
	assert_true(rx_interrupt);
	assert_int_equal(got_len[1], 0);
}

/*
 * The focus guest reads a byte now and then, so that the console would
 * wait for it for ever: after the stall time its queue goes, the Ctrl-]
 * typed behind the backlog moves the focus, and the other VM gets what is
 * typed next.
 */
static void test_a_slow_reader_cannot_keep_input_from_another_vm(void **state)
{
	char backlog[4000];

	memset(backlog, 'x', sizeof(backlog));
	type(backlog, sizeof(backlog));
	type("\x1d"
	     "k",
	     2);
	for (unsigned step = 0; step < 200 && typed_at < typed_len; step++)
		reads(0, 1, NS_PER_S * 19 / 10);
	assert_int_equal(typed_at, typed_len);
	assert_int_equal(console.mux.focus, 1);
	assert_int_equal(got_len[1], 0); /* "k" waits for the other guest to read... */
	reads(1, 8, NS_PER_S / 100);
	assert_int_equal(got_len[1], 1); /* ...and is there. */
	assert_int_equal(got[1][0], 'k');
	assert_true(got_len[0] < sizeof(backlog)); /* The slow guest lost what it did not read. */
	assert_true(rx_interrupt);		   /* And the console reads on. */
}

/*
 * A console without the machine's UART (virtio-console's server) puts its
 * guest's output out through the kernel's debug write whole, in order and
 * with the VM's prefix, a buffer of it per system call, not a byte.
 */
static void test_output_without_a_uart_goes_out_whole_a_buffer_per_call(void **state)
{
	static const char line[] =
		"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ\n";
	size_t sent = 0;

	(void)state;
	boot.uart_va = 0;
	vdev_console_init(&console, &server, guest_input);
	vdev_console_add(&console, &dev[0], NULL);
	debug_len = 0;
	debug_calls = 0;
	for (unsigned i = 0; i < 64; i++) {
		vdev_console_output(&console, &dev[0], (const uint8_t *)line, sizeof(line) - 1);
		sent += sizeof(line) - 1;
	}
	/* Each line as it was, with its prefix, and all of it out once the call returned. */
	assert_int_equal(debug_len, 64 * (strlen("[slow] ") + sizeof(line) - 1));
	for (unsigned i = 0; i < 64; i++) {
		const char *at = &debug_out[i * (strlen("[slow] ") + sizeof(line) - 1)];

		assert_memory_equal(at, "[slow] ", strlen("[slow] "));
		assert_memory_equal(at + strlen("[slow] "), line, sizeof(line) - 1);
	}
	assert_true(debug_calls <= 64u + debug_len / VDEV_CONSOLE_OUT_SIZE);
	assert_true(debug_calls < sent / 8);

	/* A write larger than the buffer is cut into full buffers, nothing lost. */
	debug_len = 0;
	debug_calls = 0;
	{
		static uint8_t big[3 * VDEV_CONSOLE_OUT_SIZE + 7];

		memset(big, 'x', sizeof(big));
		vdev_console_output(&console, &dev[0], big, sizeof(big));
		assert_int_equal(debug_len, strlen("[slow] ") + sizeof(big));
		assert_int_equal(debug_calls, 4);
	}
}

/* Ctrl-T: the root task is asked for its list of VMs and servers; nobody's input gets it. */
static void test_ctrl_t_asks_the_root_task_for_the_system_list(void **state)
{
	(void)state;
	lists_asked = 0;
	budget[0] = 16;
	type("\x14", 1);
	assert_int_equal(lists_asked, 1);
	assert_int_equal(got_len[0], 0);
	assert_int_equal(got_len[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_a_paste_reaches_a_guest_that_keeps_up_whole, setup),
		cmocka_unit_test_setup(test_a_slow_reader_cannot_keep_input_from_another_vm, setup),
		cmocka_unit_test_setup(test_output_without_a_uart_goes_out_whole_a_buffer_per_call,
				       setup),
		cmocka_unit_test_setup(test_ctrl_t_asks_the_root_task_for_the_system_list, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
