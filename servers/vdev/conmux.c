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

#define ESC 0x1bu

/* Forget member's open query of kind (0: of every kind). */
static void forget_asker(struct conmux *m, unsigned member, uint8_t kind)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < m->asker_count; i++)
		if (m->askers[i].member != member || (kind != 0 && m->askers[i].kind != kind))
			m->askers[kept++] = m->askers[i];
	m->asker_count = kept;
}

/* member's query, answered by a sequence ending in kind, went out: it is due after the others. */
static void asked(struct conmux *m, unsigned member, uint8_t kind)
{
	forget_asker(m, member, kind);
	if (m->asker_count == CONMUX_ASKERS) {
		m->asker_count--;
		for (unsigned i = 0; i < m->asker_count; i++)
			m->askers[i] = m->askers[i + 1];
	}
	m->askers[m->asker_count++] = (struct conmux_asker){(uint8_t)member, kind};
}

static bool params_are(const struct conmux *m, unsigned member, const char *s)
{
	return m->scan_len[member] == strlen(s) &&
	       memcmp(m->scan_param[member], s, m->scan_len[member]) == 0;
}

/*
 * Watch member's output as it goes out for a query a terminal answers:
 * ESC [ 6 n (answered ESC [ row ; column R), ESC [ 5 n (ESC [ 0 n), ESC [ c,
 * ESC [ 0 c or ESC [ > c (ESC [ ? ... c or ESC [ > ... c). Any other
 * control sequence, which no terminal answers, opens nothing.
 */
static void scan(struct conmux *m, unsigned member, uint8_t ch)
{
	uint8_t *state = &m->scan[member];

	if (*state == 2 && ch >= 0x20 && ch <= 0x3f) {
		if (m->scan_len[member] < sizeof(m->scan_param[member]))
			m->scan_param[member][m->scan_len[member]] = ch;
		m->scan_len[member]++;
		return;
	}
	if (*state == 2 && ch == 'n' && params_are(m, member, "6"))
		asked(m, member, 'R');
	else if (*state == 2 && ch == 'n' && params_are(m, member, "5"))
		asked(m, member, 'n');
	else if (*state == 2 && ch == 'c' &&
		 (params_are(m, member, "") || params_are(m, member, "0") ||
		  params_are(m, member, ">") || params_are(m, member, ">0")))
		asked(m, member, 'c');
	m->scan_len[member] = 0;
	if (*state == 1 && ch == '[')
		*state = 2;
	else
		*state = ch == ESC ? 1 : 0;
}

/* Is the gathered sequence, ending in final, shaped as an answer of that kind? */
static bool is_answer(const struct conmux *m, uint8_t final)
{
	const uint8_t *p = &m->answer[2]; /* After ESC [. */
	unsigned len = m->answer_len - 3, digits = 0, semis = 0;

	if (final == 'c')
		return len > 0 && (p[0] == '?' || p[0] == '>');
	if (final == 'n')
		return len == 1 && p[0] == '0';
	for (unsigned i = 0; i < len; i++) {
		if (p[i] == ';' && digits > 0 && semis == 0) {
			semis++;
			digits = 0;
		} else if (p[i] >= '0' && p[i] <= '9') {
			digits++;
		} else {
			return false;
		}
	}
	return semis == 1 && digits > 0; /* R: row ; column. */
}

/* Bytes of member's output onto the console. */
static void emit_bytes(struct conmux *m, unsigned member, const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		scan(m, member, bytes[i]);
		m->emit(m->ctx, bytes[i]);
	}
}

/* Start a line of member's output on the console. */
static void emit_prefix(struct conmux *m, unsigned member)
{
	emit_str(m, "[");
	emit_str(m, m->names[member]);
	emit_str(m, "] ");
	m->is_at_line_start = false;
}

/* End the line left open on the console (the focus member's), if any. */
static void break_line(struct conmux *m)
{
	if (!m->is_at_line_start) {
		emit_str(m, "\r\n");
		m->is_at_line_start = true;
	}
}

static bool has_focus(const struct conmux *m, unsigned member)
{
	return member == m->focus && !m->is_ended[member];
}

/*
 * Put out member's held complete lines, each with its prefix, and keep its
 * unfinished rest. The console must be at the start of a line.
 */
static void emit_lines(struct conmux *m, unsigned member)
{
	struct conmux_line *held = &m->held[member];
	size_t start = 0;

	for (size_t i = 0; i < held->len; i++) {
		if (held->bytes[i] != '\n')
			continue;
		emit_prefix(m, member);
		emit_bytes(m, member, &held->bytes[start], i + 1 - start);
		m->is_at_line_start = true;
		start = i + 1;
	}
	held->len -= start;
	memmove(held->bytes, &held->bytes[start], held->len);
}

/*
 * Break the focus member's unfinished line, if there is one, and put out
 * every complete line that waited for it to end.
 */
static void cut_in(struct conmux *m)
{
	break_line(m);
	for (unsigned i = 0; i < m->count; i++)
		emit_lines(m, i);
}

/*
 * Put out member's held unfinished line on a line of its own, left open.
 * The console must be at the start of a line.
 */
static void emit_unfinished(struct conmux *m, unsigned member)
{
	struct conmux_line *held = &m->held[member];

	if (held->len == 0)
		return;
	emit_prefix(m, member);
	emit_bytes(m, member, held->bytes, held->len);
	held->len = 0;
}

/* Put out all that member holds, its unfinished line broken. */
static void flush(struct conmux *m, unsigned member)
{
	if (m->held[member].len == 0)
		return;
	cut_in(m);
	emit_unfinished(m, member);
	break_line(m);
}

/*
 * A byte from a member without the focus: held until its line is complete
 * and the console is at the start of a line, or until the buffer is full.
 */
static void hold(struct conmux *m, unsigned member, uint8_t ch)
{
	struct conmux_line *held = &m->held[member];

	held->bytes[held->len++] = ch;
	if (held->len == CONMUX_LINE_SIZE) {
		/* It can wait no longer: out go its complete lines, or else its line, broken. */
		cut_in(m);
		if (held->len == CONMUX_LINE_SIZE)
			flush(m, member);
	} else if (ch == '\n' && m->is_at_line_start) {
		emit_lines(m, member);
	}
}

void conmux_output(struct conmux *m, unsigned member, const uint8_t *buf, size_t len)
{
	if (member >= m->count)
		return;
	for (size_t i = 0; i < len; i++) {
		if (!has_focus(m, member)) {
			hold(m, member, buf[i]);
			continue;
		}
		if (m->is_at_line_start)
			emit_prefix(m, member);
		emit_bytes(m, member, &buf[i], 1);
		if (buf[i] == '\n') {
			/* The line ended: what waited for it goes out. */
			m->is_at_line_start = true;
			cut_in(m);
		}
	}
	if (m->is_ended[member])
		flush(m, member); /* Nothing more will end its line. */
}

/*
 * Give the focus to the next live member after the current one, and say
 * so. The lines that waited for the old focus member's line go out first,
 * and the new one's unfinished line after the announcement.
 */
static void move_focus(struct conmux *m)
{
	cut_in(m);
	for (unsigned i = 1; i <= m->count; i++) {
		unsigned next = (m->focus + i) % m->count;

		if (m->is_ended[next])
			continue;
		m->focus = next;
		emit_str(m, "[mica] input to ");
		emit_str(m, m->names[next]);
		emit_str(m, "\r\n");
		emit_unfinished(m, next);
		return;
	}
	emit_str(m, "[mica] no VM takes input any more\r\n");
}

/* The bytes gathered so far, for member (-1: the focus, if it is live). */
static struct conmux_delivery deliver_answer(struct conmux *m, int member)
{
	struct conmux_delivery d = {.member = -1};

	if (member < 0 && !m->is_ended[m->focus])
		member = (int)m->focus;
	if (member >= 0) {
		d.member = member;
		d.len = m->answer_len;
		memcpy(d.bytes, m->answer, m->answer_len);
	}
	m->answer_len = 0;
	return d;
}

/* ch, typed while an escape sequence is gathered: the sequence so far, once it is decided. */
static struct conmux_delivery gather(struct conmux *m, uint8_t ch)
{
	struct conmux_delivery none = {.member = -1};
	unsigned n = m->answer_len;

	m->answer[m->answer_len++] = ch;
	if (n == 0)
		return none; /* The ESC. */
	if (n == 1 ? ch != '[' : ch < 0x20 || ch > 0x7e)
		return deliver_answer(m, -1); /* Not a control sequence: typed keys. */
	if (n >= 2 && ch >= 0x40) {
		/* The oldest open query of the kind this answers, if it is shaped as one. */
		for (unsigned i = 0; i < m->asker_count && is_answer(m, ch); i++) {
			if (m->askers[i].kind == ch) {
				unsigned asker = m->askers[i].member;

				forget_asker(m, asker, ch);
				return deliver_answer(m, (int)asker);
			}
		}
		return deliver_answer(m, -1);
	}
	if (m->answer_len == CONMUX_ANSWER_MAX)
		return deliver_answer(m, -1);
	return none;
}

struct conmux_delivery conmux_input(struct conmux *m, uint8_t ch)
{
	struct conmux_delivery d = {.member = -1};

	if (m->count == 0)
		return d;
	if (ch == CONMUX_SWITCH || ch == CONMUX_STATS) {
		/* What was gathered is the focus's, as typed. */
		if (m->answer_len > 0)
			d = deliver_answer(m, -1);
		if (ch == CONMUX_SWITCH) {
			move_focus(m);
		} else {
			cut_in(m);
			emit_str(m, "[mica] exit statistics (Ctrl-T):\r\n");
			d.wants_stats = true;
		}
		return d;
	}
	if (m->answer_len > 0 || (ch == ESC && m->asker_count > 0))
		return gather(m, ch);
	if (!m->is_ended[m->focus]) {
		d.member = (int)m->focus;
		d.len = 1;
		d.bytes[0] = ch;
	}
	return d;
}

void conmux_end(struct conmux *m, unsigned member)
{
	if (member >= m->count || m->is_ended[member])
		return;
	m->is_ended[member] = true;
	flush(m, member);
	forget_asker(m, member, 0);
	if (m->focus == member)
		move_focus(m);
}
