/* The machine's serial console for console servers (see vdev/console.h). */
#include <base/errors.h>
#include <vdev/clock.h>
#include <vdev/console.h>

#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

/* Out with the output gathered for the kernel's debug write. */
static void flush_out(struct vdev_console *c)
{
	if (c->out_len != 0)
		(void)sys_debug_write(c->out, c->out_len);
	c->out_len = 0;
}

static void emit(void *ctx, uint8_t ch)
{
	struct vdev_console *c = ctx;

	if (c->uart_va != 0) {
		vdev_uart_putc(c->uart_va, ch);
		return;
	}
	c->out[c->out_len++] = ch;
	if (c->out_len == sizeof(c->out))
		flush_out(c);
}

void vdev_console_init(struct vdev_console *c, const struct vdev_server *s,
		       vdev_console_input_fn input)
{
	*c = (struct vdev_console){.uart_va = s->boot->uart_va, .input = input};
	conmux_init(&c->mux, emit, c);
	for (unsigned i = 0; i < VDEV_MAX_DEVICES; i++)
		c->member_of[i] = -1;
}

void vdev_console_add(struct vdev_console *c, struct vdev_device *d,
		      struct vdev_console_input *keep)
{
	int member = conmux_add(&c->mux, d->boot->vm);

	if (member < 0 || d->index >= VDEV_MAX_DEVICES)
		return;
	c->member_of[d->index] = member;
	c->members[member] = d;
	c->queues[member] = keep != NULL ? keep : &c->own[member];
	if (c->queues[member]->head >= VDEV_CONSOLE_INPUT_SIZE ||
	    c->queues[member]->count > VDEV_CONSOLE_INPUT_SIZE)
		*c->queues[member] =
			(struct vdev_console_input){0}; /* Not a queue: start afresh. */
	if (d->is_vm_ended)
		conmux_end(&c->mux, (unsigned)member);
}

void vdev_console_start(struct vdev_console *c)
{
	if (c->uart_va != 0)
		vdev_uart_set_rx_interrupt(c->uart_va, true);
}

void vdev_console_output(struct vdev_console *c, const struct vdev_device *d, const uint8_t *buf,
			 size_t len)
{
	if (d->index < VDEV_MAX_DEVICES && c->member_of[d->index] >= 0)
		conmux_output(&c->mux, (unsigned)c->member_of[d->index], buf, len);
	flush_out(c);
}

/* Hand member's guest what waits for it, as much as it takes. */
static void feed(struct vdev_console *c, unsigned member)
{
	struct vdev_console_input *q = c->queues[member];

	while (q->count > 0 && c->input != NULL) {
		size_t run = VDEV_CONSOLE_INPUT_SIZE - q->head;
		size_t n = q->count < run ? q->count : run;
		size_t took = c->input(c->members[member], &q->bytes[q->head], n);

		if (took > n)
			took = n;
		q->head = (uint32_t)((q->head + took) % VDEV_CONSOLE_INPUT_SIZE);
		q->count -= (uint32_t)took;
		if (member == c->mux.focus)
			c->taken += took;
		if (took < n)
			break;
	}
}

/* Queue len bytes for member and feed them; what finds the queue full is dropped. */
static void put(struct vdev_console *c, unsigned member, const uint8_t *bytes, size_t len)
{
	struct vdev_console_input *q = c->queues[member];

	for (size_t i = 0; i < len && q->count < VDEV_CONSOLE_INPUT_SIZE; i++) {
		q->bytes[(q->head + q->count) % VDEV_CONSOLE_INPUT_SIZE] = bytes[i];
		q->count++;
	}
	feed(c, member);
}

/* Is there no room for what one more typed character can give the focus console? */
static bool focus_is_full(const struct vdev_console *c)
{
	unsigned focus = c->mux.focus;

	if (focus >= c->mux.count || c->mux.is_ended[focus])
		return false;
	return VDEV_CONSOLE_INPUT_SIZE - c->queues[focus]->count < CONMUX_ANSWER_MAX;
}

/*
 * Ctrl-T: the root task lists the system's VMs and servers (VDEV_MSG_LIST),
 * then each member VM's VMM prints its exit statistics (VDEV_MSG_STATS),
 * once per VM.
 */
static void ask_for_stats(const struct vdev_console *c)
{
	uint64_t none[MICA_MSG_REGISTERS] = {0};
	uint32_t asked = 0;

	(void)mica_nbsend(VDEV_CAP_ROOT, mica_msg_info(VDEV_MSG_LIST, 0, 0), none);
	for (unsigned i = 0; i < c->mux.count; i++) {
		const struct vdev_boot_device *b = c->members[i]->boot;
		uint64_t mr[MICA_MSG_REGISTERS] = {0};

		if (c->mux.is_ended[i] || b->irq_cap == 0 || b->vm_index >= 32 ||
		    (asked >> b->vm_index & 1) != 0)
			continue;
		asked |= UINT32_C(1) << b->vm_index;
		(void)mica_call(b->irq_cap, mica_msg_info(VDEV_MSG_STATS, 0, 0), mr);
	}
}

/*
 * Read the UART while the focus console has room. When it has none, stop
 * (mask the receive interrupts: the UART holds the rest) and time the
 * focus guest's progress; when it has again, read on.
 */
static void pull(struct vdev_console *c)
{
	int ch = -1;

	while (!focus_is_full(c) && (ch = vdev_uart_getc(c->uart_va)) >= 0) {
		struct conmux_delivery d = conmux_input(&c->mux, (uint8_t)ch);

		if (d.member >= 0 && d.len > 0)
			put(c, (unsigned)d.member, d.bytes, d.len);
		if (d.wants_stats)
			ask_for_stats(c);
	}
	if (focus_is_full(c) && !c->is_held) {
		c->is_held = true;
		c->taken_before = c->taken;
		vdev_uart_set_rx_interrupt(c->uart_va, false);
		vdev_timer_set(c->members[c->mux.focus], vdev_clock_ns() + VDEV_CONSOLE_STALL_NS);
	} else if (!focus_is_full(c) && c->is_held) {
		c->is_held = false;
		vdev_uart_set_rx_interrupt(c->uart_va, true);
	}
}

void vdev_console_take_input(struct vdev_console *c, struct vdev_device *d)
{
	int member = d->index < VDEV_MAX_DEVICES ? c->member_of[d->index] : -1;

	if (member < 0 || c->queues[member]->count == 0)
		return;
	feed(c, (unsigned)member);
	if (c->is_held)
		pull(c);
}

void vdev_console_notified(struct vdev_console *c, uint64_t bits)
{
	static bool has_logged;
	enum mica_error err;

	for (unsigned i = 0; i < c->mux.count; i++)
		if (c->members[i]->is_vm_ended)
			conmux_end(&c->mux, i);
	flush_out(c);
	if (c->uart_va == 0)
		return;
	if ((bits & VDEV_NTFN_UART) != 0 || c->is_held)
		pull(c);
	if ((bits & VDEV_NTFN_UART) == 0)
		return;
	err = mica_irq_handler_ack(VDEV_CAP_UART_IRQ);
	if (err != MICA_OK && !has_logged) {
		has_logged = true;
		printf("vdev: cannot acknowledge the UART interrupt (%s)\n", mica_error_text(err));
	}
}

void vdev_console_timer(struct vdev_console *c, struct vdev_device *d)
{
	static bool has_logged;
	int member = d->index < VDEV_MAX_DEVICES ? c->member_of[d->index] : -1;
	struct vdev_console_input *q;

	if (!c->is_held || member < 0 || (unsigned)member != c->mux.focus)
		return;
	q = c->queues[member];
	if (c->taken - c->taken_before >= VDEV_CONSOLE_INPUT_SIZE / 2) {
		/* It read half a queue's worth: slow, not stuck. Wait on. */
		c->taken_before = c->taken;
		vdev_timer_set(d, vdev_clock_ns() + VDEV_CONSOLE_STALL_NS);
		return;
	}
	if (!has_logged) {
		has_logged = true;
		printf("vdev %s: %s's console read less than %u bytes in 2 s: dropped %u bytes "
		       "typed for it\n",
		       d->server->boot->server, d->boot->vm, VDEV_CONSOLE_INPUT_SIZE / 2,
		       (unsigned)q->count);
	}
	q->count = 0;
	pull(c);
	if (c->is_held) {
		/* Full again from the backlog: the next wait is timed anew. */
		c->taken_before = c->taken;
		vdev_timer_set(d, vdev_clock_ns() + VDEV_CONSOLE_STALL_NS);
	}
}
