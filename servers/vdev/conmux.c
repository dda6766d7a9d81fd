/* Sharing the machine's console among guests (see conmux.h). */
#include "conmux.h"

#include <string.h>

void conmux_init(struct conmux *m, void (*emit)(void *ctx, uint8_t ch), void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->emit = emit;
	m->ctx = ctx;
	m->is_at_line_start = true;
}

int conmux_add(struct conmux *m, const char *vm)
{
	if (m->count >= VDEV_MAX_DEVICES)
		return -1;
	m->names[m->count] = vm;
	return (int)m->count++;
}

static void emit_str(struct conmux *m, const char *s)
{
	while (*s != '\0')
		m->emit(m->ctx, (uint8_t)*s++);
}

/* End a line another writer left unfinished. */
static void break_line(struct conmux *m)
{
	if (!m->is_at_line_start) {
		emit_str(m, "\r\n");
		m->is_at_line_start = true;
	}
}

void conmux_output(struct conmux *m, unsigned member, const uint8_t *buf, size_t len)
{
	if (member >= m->count)
		return;
	for (size_t i = 0; i < len; i++) {
		if (member != m->last_writer)
			break_line(m);
		if (m->is_at_line_start) {
			emit_str(m, "[");
			emit_str(m, m->names[member]);
			emit_str(m, "] ");
			m->is_at_line_start = false;
		}
		m->last_writer = member;
		m->emit(m->ctx, buf[i]);
		if (buf[i] == '\n')
			m->is_at_line_start = true;
	}
}

/* Give the focus to the next live member after the current one, and say so. */
static void move_focus(struct conmux *m)
{
	break_line(m);
	for (unsigned i = 1; i <= m->count; i++) {
		unsigned next = (m->focus + i) % m->count;

		if (m->is_ended[next])
			continue;
		m->focus = next;
		emit_str(m, "[mica] input to ");
		emit_str(m, m->names[next]);
		emit_str(m, "\r\n");
		return;
	}
	emit_str(m, "[mica] no VM takes input any more\r\n");
}

int conmux_input(struct conmux *m, uint8_t ch)
{
	if (m->count == 0)
		return -1;
	if (ch == CONMUX_SWITCH) {
		move_focus(m);
		return -1;
	}
	return m->is_ended[m->focus] ? -1 : (int)m->focus;
}

void conmux_end(struct conmux *m, unsigned member)
{
	if (member >= m->count || m->is_ended[member])
		return;
	m->is_ended[member] = true;
	if (m->focus == member)
		move_focus(m);
}
