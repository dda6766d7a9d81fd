/*
 * Sharing the machine's one serial console among the guests' consoles a
 * server emulates. Pure logic: characters leave through an emit callback.
 *
 * Output. Every line on the console carries one guest's output and starts
 * with its prefix, "[VM] ". Guests write byte by byte, so each member
 * collects its output in a line buffer of CONMUX_LINE_SIZE bytes, and what
 * the console shows is:
 *   - The member with the focus goes out byte by byte as it writes, so its
 *     prompt and the echo of what is typed show at once.
 *   - A complete line (ending in '\n') of any other member goes out whole,
 *     never split by another member's output: at once if the console is at
 *     the start of a line, else as soon as the focus member's unfinished
 *     line ends or is broken, right after it.
 *   - An unfinished line of a member without the focus waits for its '\n':
 *     a prompt shows once its member has the focus, or completes the line.
 *     (Nothing puts it out when idle: a prompt is the focus's to show.)
 *   - Bounded: a buffer that fills up goes out at once. If it holds
 *     complete lines, they go out, and its unfinished rest stays; if it is
 *     all one unfinished line, that goes out as a line of its own, broken
 *     with "\r\n", and the rest of the line follows on a new line with the
 *     prefix again. Either way the focus member's unfinished line is broken
 *     first, and no byte is lost.
 * A line that is broken (by a full buffer, the focus moving or a VM
 * ending) ends with "\r\n"; whatever its member writes next starts a new
 * line with the prefix.
 *
 * Input: characters go to the console that has the focus; Ctrl-] (0x1d)
 * moves the focus to the next live member, and Ctrl-T (0x14) asks for
 * every member VM's exit statistics (the delivery says so; the console
 * server asks the VMMs). The focus member's unfinished
 * line is broken, every waiting complete line goes out, the move is
 * announced ("[mica] input to VM"), and the new focus member's unfinished
 * line, if it has one, follows on a line of its own and stays open.
 * A console whose VM has ended first puts out everything it holds (its
 * unfinished line broken with "\r\n"), gives up the focus as Ctrl-] would
 * move it, and is skipped from then on; anything it still writes goes out
 * in the same way at once, as nothing would end its line.
 *
 * Terminal answers. A guest may ask the terminal something (ESC [ 6 n, the
 * cursor position; ESC [ 5 n, its status; ESC [ c, ESC [ 0 c or ESC [ > c,
 * what it is), and the terminal answers as if typed: ESC [ row ; column R,
 * ESC [ 0 n, ESC [ ? ... c or ESC [ > ... c. The answer belongs to the
 * guest that asked, which need not have the focus. So the console
 * remembers, in the order they went out, the members whose queries it put
 * on the terminal, and of which kind (up to CONMUX_ASKERS; a member's new
 * query of a kind while one is open replaces it, and an older one is
 * forgotten when there are more). Only these queries count: one no
 * terminal answers (ESC [ 99 n, say) cannot hold answers meant for others.
 * While any is remembered, an escape sequence typed on the console is
 * gathered (up to CONMUX_ANSWER_MAX bytes) before it goes anywhere: one
 * shaped as an answer of an open query's kind goes to the oldest such
 * query's member; anything else (an arrow key, a lone ESC followed by a
 * key) goes to the focus as typed. With no query open, every byte goes to
 * the focus at once, ESC too. A lone ESC typed while a query is open waits
 * for the next key; a key the terminal sends in an answer's shape
 * (xterm's Shift-F3 is ESC [ 1 ; 2 R) goes to the asker then, as a
 * terminal could not tell them apart either.
 */
#ifndef MICA_VDEV_CONMUX_H
#define MICA_VDEV_CONMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/proto/vdev.h>

#define CONMUX_SWITCH	  0x1du /* Ctrl-] */
#define CONMUX_STATS	  0x14u /* Ctrl-T */
#define CONMUX_LINE_SIZE  256u	/* Bytes a member's line buffer holds. */
#define CONMUX_ASKERS	  4u	/* Terminal queries remembered. */
#define CONMUX_ANSWER_MAX 16u	/* The longest answer gathered. */

/* An open terminal query: whose, and the final byte of the answer it awaits (R, n or c). */
struct conmux_asker {
	uint8_t member;
	uint8_t kind;
};

/* What one typed character gives: len bytes for member (len 0: nothing yet, or nothing). */
struct conmux_delivery {
	int member;
	unsigned len;
	uint8_t bytes[CONMUX_ANSWER_MAX];
	bool wants_stats; /* Ctrl-T: show every member VM's exit statistics. */
};

/* A member's output that the console has not shown yet. */
struct conmux_line {
	uint8_t bytes[CONMUX_LINE_SIZE];
	size_t len;
};

struct conmux {
	void (*emit)(void *ctx, uint8_t ch);
	void *ctx;
	unsigned count;
	const char *names[VDEV_MAX_DEVICES]; /* Each member's VM name. */
	bool is_ended[VDEV_MAX_DEVICES];     /* Its VM has ended. */
	struct conmux_line held[VDEV_MAX_DEVICES];
	unsigned focus;
	/* If not, the focus member's unfinished line is open on the console. */
	bool is_at_line_start;
	uint8_t scan[VDEV_MAX_DEVICES];		 /* How far each member's output is into a query. */
	uint8_t scan_param[VDEV_MAX_DEVICES][4]; /* Its parameters so far (the first 4). */
	uint8_t scan_len[VDEV_MAX_DEVICES];
	struct conmux_asker askers[CONMUX_ASKERS]; /* Open queries, oldest first. */
	unsigned asker_count;
	uint8_t answer[CONMUX_ANSWER_MAX]; /* An escape sequence typed, being gathered. */
	unsigned answer_len;
};

void conmux_init(struct conmux *m, void (*emit)(void *ctx, uint8_t ch), void *ctx);

/*
 * Add a console whose guest is called vm (the string must outlive m);
 * returns its member number, or -1 if there are VDEV_MAX_DEVICES already.
 * The first member has the focus.
 */
int conmux_add(struct conmux *m, const char *vm);

/* Output len bytes from member's guest (shown as said above). */
void conmux_output(struct conmux *m, unsigned member, const uint8_t *buf, size_t len);

/*
 * A character typed on the console: what it gives to which member (as
 * said above). Nothing for the switch, while an answer is being gathered,
 * or when no live member has the focus (or there are no members).
 */
struct conmux_delivery conmux_input(struct conmux *m, uint8_t ch);

/*
 * member's VM has ended: what it holds goes out, it takes no more input
 * and its open queries are forgotten. If it had the focus, the focus moves to the next live member,
 * which is announced, or, with none left, the console says that no VM
 * takes input.
 */
void conmux_end(struct conmux *m, unsigned member);

#endif
