/*
 * Sharing the machine's one serial console among the guests' consoles a
 * server emulates. Output: each line is prefixed with "[VM] ", and when
 * another guest's output interrupts a line, the line is broken first so
 * that every line on the console has exactly one guest's prefix. Input:
 * characters go to the console that has the focus; Ctrl-] (0x1d) moves
 * the focus to the next one and says so ("[mica] input to VM"). A console
 * whose VM has ended gives up the focus and is skipped. Pure logic:
 * characters leave through an emit callback.
 */
#ifndef MICA_VDEV_CONMUX_H
#define MICA_VDEV_CONMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/proto/vdev.h>

#define CONMUX_SWITCH 0x1du /* Ctrl-] */

struct conmux {
	void (*emit)(void *ctx, uint8_t ch);
	void *ctx;
	unsigned count;
	const char *names[VDEV_MAX_DEVICES]; /* Each member's VM name. */
	bool is_ended[VDEV_MAX_DEVICES];     /* Its VM has ended. */
	unsigned focus;
	unsigned last_writer;
	bool is_at_line_start;
};

void conmux_init(struct conmux *m, void (*emit)(void *ctx, uint8_t ch), void *ctx);

/*
 * Add a console whose guest is called vm (the string must outlive m);
 * returns its member number, or -1 if there are VDEV_MAX_DEVICES already.
 * The first member has the focus.
 */
int conmux_add(struct conmux *m, const char *vm);

/* Output len bytes from member's guest. */
void conmux_output(struct conmux *m, unsigned member, const uint8_t *buf, size_t len);

/*
 * A character typed on the console: the member it is for, or -1 if it was
 * the switch or no live member has the focus (or there are no members).
 */
int conmux_input(struct conmux *m, uint8_t ch);

/*
 * member's VM has ended: it takes no more input. If it had the focus, the
 * focus moves to the next live member, which is announced, or, with none
 * left, the console says that no VM takes input.
 */
void conmux_end(struct conmux *m, unsigned member);

#endif
