/*
 * Unit tests for servers/vdev/conmux.c: the machine's console shared by
 * several guests, with a prefix per line, whole lines, an input focus, and
 * terminal answers for the guest that asked. Each test checks what a user
 * sees on the console, or what a guest gets of what is typed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conmux.h"

static struct conmux mux;
static char screen[4096];
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

/* Who gets a typed character on its own: its member, or -1 for nobody. */
static int typed(struct conmux *m, uint8_t ch)
{
	struct conmux_delivery d = conmux_input(m, ch);

	if (d.member < 0 || d.len == 0)
		return -1;
	assert_int_equal(d.len, 1);
	assert_int_equal(d.bytes[0], ch);
	return d.member;
}

/*
 * Type s; what each member got, as text: got[i] for member i. Returns how
 * many characters gave nothing at once (gathered, or the switch).
 */
static char got[4][64];

static unsigned type(const char *s)
{
	unsigned none = 0;

	memset(got, 0, sizeof(got));
	for (; *s != '\0'; s++) {
		struct conmux_delivery d = conmux_input(&mux, (uint8_t)*s);

		if (d.len == 0) {
			none++;
			continue;
		}
		assert_true(d.member >= 0 && d.member < 4);
		strncat(got[d.member], (const char *)d.bytes, d.len);
	}
	return none;
}

static void out(unsigned member, const char *s)
{
	conmux_output(&mux, member, (const uint8_t *)s, strlen(s));
}

static void clear_screen(void)
{
	screen_len = 0;
	screen[0] = '\0';
}

/* Two guests writing at the same time, a byte each in turn, as UARTs do. */
static void out_interleaved(unsigned a, const char *sa, unsigned b, const char *sb)
{
	while (*sa != '\0' || *sb != '\0') {
		if (*sa != '\0')
			conmux_output(&mux, a, (const uint8_t *)sa++, 1);
		if (*sb != '\0')
			conmux_output(&mux, b, (const uint8_t *)sb++, 1);
	}
}

/* n copies of ch, as a string. */
static const char *repeat(char ch, size_t n)
{
	static char s[2 * CONMUX_LINE_SIZE];

	assert_true(n < sizeof(s));
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

static void test_every_line_starts_with_the_vm_name(void **state)
{
	out(0, "hello\r\nwor");
	out(0, "ld\r\n");
	assert_string_equal(screen, "[linux] hello\r\n[linux] world\r\n");
}

/* linux has the focus: its bytes go out as they come, rtos's whole lines after them. */
static void test_two_guests_writing_byte_by_byte_give_whole_lines(void **state)
{
	out_interleaved(0, "login ok\r\n", 1, "echo: got ping after 12 ticks\r\n");
	assert_string_equal(screen, "[linux] login ok\r\n[rtos] echo: got ping after 12 ticks\r\n");
	clear_screen();
	out_interleaved(1, "tick 1\r\ntick 2\r\n", 0, "[    3.238429] reboot: Power down\r\n");
	assert_string_equal(screen, "[linux] [    3.238429] reboot: Power down\r\n"
				    "[rtos] tick 1\r\n[rtos] tick 2\r\n");
}

/* Neither has the focus: each line goes out whole as soon as it ends. */
static void test_guests_without_the_focus_give_whole_lines(void **state)
{
	assert_int_equal(conmux_add(&mux, "third"), 2);
	(void)typed(&mux, CONMUX_SWITCH);
	(void)typed(&mux, CONMUX_SWITCH);
	clear_screen();
	out_interleaved(0, "one\r\nthree and four\r\n", 1, "two and more\r\n");
	assert_string_equal(screen,
			    "[linux] one\r\n[rtos] two and more\r\n[linux] three and four\r\n");
}

/* The focus member's prompt, and the echo of what is typed, show at once. */
static void test_the_focus_members_prompt_shows_at_once(void **state)
{
	out(0, "/ # ");
	assert_string_equal(screen, "[linux] / # ");
	out(0, "l");
	out(0, "s");
	assert_string_equal(screen, "[linux] / # ls");
	/* Another member's prompt waits for its line to end. */
	out(1, "rtos> ");
	assert_string_equal(screen, "[linux] / # ls");
}

/* A line from another guest is not put into the line being typed, but right after it. */
static void test_another_line_waits_for_the_focus_line_to_end(void **state)
{
	out(0, "/ # ec");
	out(1, "tick 1\r\n");
	out(1, "tick 2\r\nrtos> ");
	assert_string_equal(screen, "[linux] / # ec");
	out(0, "ho hi\r\n");
	assert_string_equal(screen, "[linux] / # echo hi\r\n[rtos] tick 1\r\n[rtos] tick 2\r\n");
	out(0, "hi\r\n");
	assert_string_equal(screen, "[linux] / # echo hi\r\n[rtos] tick 1\r\n[rtos] tick 2\r\n"
				    "[linux] hi\r\n");
}

/* A line too long for the buffer goes out broken in pieces, every byte of it. */
static void test_a_full_buffer_goes_out_as_a_broken_line(void **state)
{
	char expected[sizeof(screen)];

	out(0, "/ # ");
	out(1, repeat('a', CONMUX_LINE_SIZE - 1));
	assert_string_equal(screen, "[linux] / # ");
	out(1, "bcd\r\n");
	out(0, "ls\r\n");
	snprintf(expected, sizeof(expected),
		 "[linux] / # \r\n[rtos] %sb\r\n[rtos] cd\r\n[linux] ls\r\n",
		 repeat('a', CONMUX_LINE_SIZE - 1));
	assert_string_equal(screen, expected);
}

/* Complete lines held behind the focus line cut into it once they fill the buffer. */
static void test_held_lines_that_fill_the_buffer_go_out(void **state)
{
	char expected[sizeof(screen)];
	char line[CONMUX_LINE_SIZE / 2 + 1];

	/* Two lines of half the buffer each: the second fills it. */
	snprintf(line, sizeof(line), "%s\n", repeat('x', CONMUX_LINE_SIZE / 2 - 1));
	out(0, "/ # ");
	out(1, line);
	assert_string_equal(screen, "[linux] / # ");
	out(1, line);
	out(0, "ls\r\n");
	snprintf(expected, sizeof(expected), "[linux] / # \r\n[rtos] %s[rtos] %s[linux] ls\r\n",
		 line, line);
	assert_string_equal(screen, expected);
}

/* A VM that ends has its unfinished line put out, broken, and its held lines. */
static void test_an_ended_vm_puts_out_its_last_words(void **state)
{
	out(1, "last words");
	conmux_end(&mux, 1);
	assert_string_equal(screen, "[rtos] last words\r\n");
	/* What it still writes is not held either: nothing would end its line. */
	out(1, "after");
	assert_string_equal(screen, "[rtos] last words\r\n[rtos] after\r\n");
	clear_screen();
	/* Behind the focus member's unfinished line too. */
	assert_int_equal(conmux_add(&mux, "third"), 2);
	out(0, "/ # ");
	out(2, "done\r\nbye");
	conmux_end(&mux, 2);
	out(0, "ls\r\n");
	assert_string_equal(screen,
			    "[linux] / # \r\n[third] done\r\n[third] bye\r\n[linux] ls\r\n");
}

/*
 * Moving the focus puts out the held lines, then the announcement, then the
 * new focus member's unfinished line, which stays open for its input.
 */
static void test_moving_the_focus_puts_out_held_lines(void **state)
{
	out(0, "/ # ");
	out(1, "tick\r\nrtos> ");
	(void)typed(&mux, CONMUX_SWITCH);
	out(1, "x");
	assert_string_equal(screen, "[linux] / # \r\n[rtos] tick\r\n[mica] input to rtos\r\n"
				    "[rtos] rtos> x");
	clear_screen();
	out(0, "late\r\n");
	assert_int_equal(screen_len, 0);
	(void)typed(&mux, CONMUX_SWITCH);
	assert_string_equal(screen, "\r\n[linux] late\r\n[mica] input to linux\r\n");
}

static void test_finished_lines_are_not_broken_again(void **state)
{
	out(0, "one\n");
	out(1, "two\n");
	assert_string_equal(screen, "[linux] one\n[rtos] two\n");
}

static void test_input_goes_to_the_focus_and_ctrl_bracket_moves_it(void **state)
{
	assert_int_equal(typed(&mux, 'a'), 0);
	assert_int_equal(typed(&mux, 0x1d), -1);
	assert_string_equal(screen, "[mica] input to rtos\r\n");
	assert_int_equal(typed(&mux, 'b'), 1);
	assert_int_equal(typed(&mux, 0x1d), -1);
	assert_int_equal(typed(&mux, 'c'), 0);
}

static void test_the_switch_message_gets_a_line_of_its_own(void **state)
{
	out(0, "login: ");
	(void)typed(&mux, 0x1d);
	out(0, "x");
	assert_string_equal(screen, "[linux] login: \r\n[mica] input to rtos\r\n");
	out(0, "\r\n");
	assert_string_equal(screen, "[linux] login: \r\n[mica] input to rtos\r\n[linux] x\r\n");
}

static void test_no_members_take_no_input(void **state)
{
	struct conmux empty;

	conmux_init(&empty, emit, NULL);
	assert_int_equal(typed(&empty, 'a'), -1);
	assert_int_equal(typed(&empty, 0x1d), -1);
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
	assert_int_equal(typed(&mux, 'a'), 1);
	/* Ending it again, or a VM without the focus, says nothing. */
	screen_len = 0;
	screen[0] = '\0';
	conmux_end(&mux, 0);
	conmux_end(&mux, 2);
	assert_int_equal(screen_len, 0);
	assert_int_equal(typed(&mux, 'b'), 1);
}

/* Ctrl-] skips ended consoles; with all ended, input goes nowhere. */
static void test_the_switch_skips_ended_vms(void **state)
{
	assert_int_equal(conmux_add(&mux, "third"), 2);
	conmux_end(&mux, 1);
	assert_int_equal(screen_len, 0); /* rtos did not have the focus. */
	assert_int_equal(typed(&mux, 0x1d), -1);
	assert_string_equal(screen, "[mica] input to third\r\n");
	assert_int_equal(typed(&mux, 0x1d), -1);
	assert_int_equal(typed(&mux, 'x'), 0);
	conmux_end(&mux, 2);
	conmux_end(&mux, 0);
	assert_non_null(strstr(screen, "[mica] no VM takes input any more\r\n"));
	assert_int_equal(typed(&mux, 'x'), -1);
	assert_int_equal(typed(&mux, 0x1d), -1);
	assert_int_equal(typed(&mux, 'y'), -1);
	conmux_end(&mux, 7); /* Not a member: ignored. */
}

/* rtos, without the focus, asks where its cursor is; the terminal's answer is rtos's. */
static void test_a_terminal_answer_goes_to_the_console_that_asked(void **state)
{
	out(1, "size?\x1b[6n\n");
	assert_string_equal(screen, "[rtos] size?\x1b[6n\n");
	assert_int_equal(type("\x1b[24;80R"), 7);
	assert_string_equal(got[1], "\x1b[24;80R");
	assert_string_equal(got[0], "");
	/* Answered: what is typed next is the focus's again, escape sequences too. */
	type("ls\x1b[A");
	assert_string_equal(got[0], "ls\x1b[A");
	assert_string_equal(got[1], "");
}

/* While a query is open, keys that are not an answer still reach the focus, whole and in order. */
static void test_keys_typed_while_a_query_is_open_go_to_the_focus(void **state)
{
	out(1, "\x1b[c\n"); /* What terminal is this? */
	type("a\x1b[Ab\x1bxc");
	assert_string_equal(got[0], "a\x1b[Ab\x1bxc");
	assert_string_equal(got[1], "");
	/* Still open: the answer, when it comes, is rtos's. */
	type("\x1b[?1;2c");
	assert_string_equal(got[1], "\x1b[?1;2c");
}

/* Queries are answered in the order they reached the terminal, which a held line can delay. */
static void test_answers_follow_the_order_the_queries_went_out(void **state)
{
	out(1, "\x1b[6n"); /* Held: rtos's line is unfinished. */
	out(0, "\x1b[6n"); /* linux has the focus: out at once. */
	out(1, "\n");	   /* Complete, but waits for linux's open line. */
	out(0, "\n");	   /* Now rtos's goes out. */
	assert_string_equal(screen, "[linux] \x1b[6n\n[rtos] \x1b[6n\n");
	type("\x1b[1;1R\x1b[2;2R");
	assert_string_equal(got[0], "\x1b[1;1R");
	assert_string_equal(got[1], "\x1b[2;2R");
}

/* A member that asks again has one query open; an ended one's is forgotten. */
static void test_asking_again_or_ending_leaves_no_stale_query(void **state)
{
	out(1, "\x1b[6n\n\x1b[6n\n");
	type("\x1b[1;1R");
	assert_string_equal(got[1], "\x1b[1;1R");
	type("\x1b[2;2R"); /* No query open: the focus's, as typed. */
	assert_string_equal(got[0], "\x1b[2;2R");
	out(1, "\x1b[5n\n");
	conmux_end(&mux, 1);
	type("\x1b[0n");
	assert_string_equal(got[0], "\x1b[0n");
}

/* Ctrl-] in the middle of a gathered sequence: what was typed before it is the old focus's. */
static void test_the_switch_inside_an_answer_hands_over_what_was_typed(void **state)
{
	out(1, "\x1b[6n\n");
	type("\x1b[1\x1dz");
	assert_string_equal(got[0], "\x1b[1");
	assert_string_equal(got[1], "z");
}

/* Output that only looks like a query (another final byte, a broken sequence) opens none. */
static void test_other_control_sequences_open_no_query(void **state)
{
	out(1, "\x1b[2J\x1b[1;31mred\x1b[0m \x1b"
	       "6n [6n\n");
	type("\x1b[1;1R");
	assert_string_equal(got[0], "\x1b[1;1R");
}

/*
 * A query no terminal answers opens nothing, so it cannot take the answer
 * another guest's real query gets; and an answer goes to the query of its
 * own kind, whatever the order of other kinds.
 */
static void test_a_fake_query_cannot_steal_an_answer_and_kinds_are_matched(void **state)
{
	out(1, "\x1b[99n\x1b[6x\n"); /* rtos: no real query. */
	out(0, "\x1b[6n");	     /* linux, the focus: where is my cursor? */
	type("\x1b[24;80R");
	assert_string_equal(got[0], "\x1b[24;80R");
	assert_string_equal(got[1], "");
	out(0, "\n");
	out(1, "\x1b[6n\n"); /* rtos asks where its cursor is... */
	out(0, "\x1b[c");    /* ...then linux what the terminal is. */
	type("\x1b[?1;2c");  /* The terminal answers linux's first: a c for the c. */
	assert_string_equal(got[0], "\x1b[?1;2c");
	type("\x1b[5;5R");
	assert_string_equal(got[1], "\x1b[5;5R");
	/* Not shaped as an answer: a key for the focus. */
	out(1, "\x1b[6n\n");
	type("\x1b[1;2;3R");
	assert_string_equal(got[0], "\x1b[1;2;3R");
}

/* Ctrl-T asks for the statistics, on a line of its own, and goes to no guest. */
static void test_ctrl_t_asks_for_statistics_and_reaches_no_guest(void **state)
{
	struct conmux_delivery d;

	out(0, "$ ");
	d = conmux_input(&mux, CONMUX_STATS);
	assert_true(d.wants_stats);
	assert_int_equal(d.len, 0);
	assert_string_equal(screen, "[linux] $ \r\n[mica] exit statistics (Ctrl-T):\r\n");
	/* Typing goes on to the focus as before. */
	assert_int_equal(typed(&mux, 'a'), 0);
	assert_false(conmux_input(&mux, 'b').wants_stats);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_every_line_starts_with_the_vm_name),
		T(test_two_guests_writing_byte_by_byte_give_whole_lines),
		T(test_guests_without_the_focus_give_whole_lines),
		T(test_the_focus_members_prompt_shows_at_once),
		T(test_another_line_waits_for_the_focus_line_to_end),
		T(test_a_full_buffer_goes_out_as_a_broken_line),
		T(test_held_lines_that_fill_the_buffer_go_out),
		T(test_an_ended_vm_puts_out_its_last_words),
		T(test_moving_the_focus_puts_out_held_lines),
		T(test_finished_lines_are_not_broken_again),
		T(test_input_goes_to_the_focus_and_ctrl_bracket_moves_it),
		T(test_the_switch_message_gets_a_line_of_its_own),
		T(test_no_members_take_no_input),
		T(test_members_are_limited_and_unknown_ones_print_nothing),
		T(test_an_ended_vm_gives_up_the_focus),
		T(test_the_switch_skips_ended_vms),
		T(test_a_terminal_answer_goes_to_the_console_that_asked),
		T(test_keys_typed_while_a_query_is_open_go_to_the_focus),
		T(test_answers_follow_the_order_the_queries_went_out),
		T(test_asking_again_or_ending_leaves_no_stale_query),
		T(test_the_switch_inside_an_answer_hands_over_what_was_typed),
		T(test_other_control_sequences_open_no_query),
		T(test_ctrl_t_asks_for_statistics_and_reaches_no_guest),
		T(test_a_fake_query_cannot_steal_an_answer_and_kinds_are_matched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
