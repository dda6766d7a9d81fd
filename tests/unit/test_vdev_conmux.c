/*
 * Unit tests for servers/vdev/conmux.c: the machine's console shared by
 * several guests, with a prefix per line and an input focus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conmux.h"

static struct conmux mux;
static char screen[512];
static size_t screen_len;

static void emit(void *ctx, uint8_t ch)
{
	assert_true(screen_len + 1 < sizeof(screen));
	screen[screen_len++] = (char)ch;
	screen[screen_len] = '\0';
}

static int setup(void **state)
{
	screen_len = 0;
	screen[0] = '\0';
	conmux_init(&mux, emit, NULL);
	assert_int_equal(conmux_add(&mux, "linux"), 0);
	assert_int_equal(conmux_add(&mux, "rtos"), 1);
	return 0;
}

static void out(unsigned member, const char *s)
{
	conmux_output(&mux, member, (const uint8_t *)s, strlen(s));
}

static void test_every_line_starts_with_the_vm_name(void **state)
{
	out(0, "hello\r\nwor");
	out(0, "ld\r\n");
	assert_string_equal(screen, "[linux] hello\r\n[linux] world\r\n");
}

static void test_another_guest_breaks_an_unfinished_line(void **state)
{
	out(0, "abc");
	out(1, "xyz\r\n");
	out(0, "def\r\n");
	assert_string_equal(screen, "[linux] abc\r\n[rtos] xyz\r\n[linux] def\r\n");
}

static void test_finished_lines_are_not_broken_again(void **state)
{
	out(0, "one\n");
	out(1, "two\n");
	assert_string_equal(screen, "[linux] one\n[rtos] two\n");
}

static void test_input_goes_to_the_focus_and_ctrl_bracket_moves_it(void **state)
{
	assert_int_equal(conmux_input(&mux, 'a'), 0);
	assert_int_equal(conmux_input(&mux, 0x1d), -1);
	assert_string_equal(screen, "[mica] input to rtos\r\n");
	assert_int_equal(conmux_input(&mux, 'b'), 1);
	assert_int_equal(conmux_input(&mux, 0x1d), -1);
	assert_int_equal(conmux_input(&mux, 'c'), 0);
}

static void test_the_switch_message_gets_a_line_of_its_own(void **state)
{
	out(0, "login: ");
	(void)conmux_input(&mux, 0x1d);
	out(0, "x");
	assert_string_equal(screen, "[linux] login: \r\n[mica] input to rtos\r\n[linux] x");
}

static void test_no_members_take_no_input(void **state)
{
	struct conmux empty;

	conmux_init(&empty, emit, NULL);
	assert_int_equal(conmux_input(&empty, 'a'), -1);
	assert_int_equal(conmux_input(&empty, 0x1d), -1);
	assert_int_equal(screen_len, 0);
}

static void test_members_are_limited_and_unknown_ones_print_nothing(void **state)
{
	for (unsigned i = 2; i < VDEV_MAX_DEVICES; i++)
		assert_int_equal(conmux_add(&mux, "more"), (int)i);
	assert_int_equal(conmux_add(&mux, "one too many"), -1);
	conmux_output(&mux, VDEV_MAX_DEVICES, (const uint8_t *)"x", 1);
	assert_int_equal(screen_len, 0);
}

/* A VM that ends gives the focus to the next live console, which is announced. */
static void test_an_ended_vm_gives_up_the_focus(void **state)
{
	assert_int_equal(conmux_add(&mux, "third"), 2);
	out(0, "half a line");
	conmux_end(&mux, 0);
	assert_string_equal(screen, "[linux] half a line\r\n[mica] input to rtos\r\n");
	assert_int_equal(conmux_input(&mux, 'a'), 1);
	/* Ending it again, or a VM without the focus, says nothing. */
	screen_len = 0;
	screen[0] = '\0';
	conmux_end(&mux, 0);
	conmux_end(&mux, 2);
	assert_int_equal(screen_len, 0);
	assert_int_equal(conmux_input(&mux, 'b'), 1);
}

/* Ctrl-] skips ended consoles; with all ended, input goes nowhere. */
static void test_the_switch_skips_ended_vms(void **state)
{
	assert_int_equal(conmux_add(&mux, "third"), 2);
	conmux_end(&mux, 1);
	assert_int_equal(screen_len, 0); /* rtos did not have the focus. */
	assert_int_equal(conmux_input(&mux, 0x1d), -1);
	assert_string_equal(screen, "[mica] input to third\r\n");
	assert_int_equal(conmux_input(&mux, 0x1d), -1);
	assert_int_equal(conmux_input(&mux, 'x'), 0);
	conmux_end(&mux, 2);
	conmux_end(&mux, 0);
	assert_non_null(strstr(screen, "[mica] no VM takes input any more\r\n"));
	assert_int_equal(conmux_input(&mux, 'x'), -1);
	assert_int_equal(conmux_input(&mux, 0x1d), -1);
	assert_int_equal(conmux_input(&mux, 'y'), -1);
	conmux_end(&mux, 7); /* Not a member: ignored. */
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_every_line_starts_with_the_vm_name),
		T(test_another_guest_breaks_an_unfinished_line),
		T(test_finished_lines_are_not_broken_again),
		T(test_input_goes_to_the_focus_and_ctrl_bracket_moves_it),
		T(test_the_switch_message_gets_a_line_of_its_own),
		T(test_no_members_take_no_input),
		T(test_members_are_limited_and_unknown_ones_print_nothing),
		T(test_an_ended_vm_gives_up_the_focus),
		T(test_the_switch_skips_ended_vms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
