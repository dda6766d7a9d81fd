/* The machine's serial console for console servers (see vdev/console.h). */
#include <vdev/console.h>

#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

static void emit(void *ctx, uint8_t ch)
{
	const struct vdev_console *c = ctx;

	if (c->uart_va != 0)
		vdev_uart_putc(c->uart_va, ch);
	else
		(void)sys_debug_write(&ch, 1);
}

void vdev_console_init(struct vdev_console *c, const struct vdev_server *s,
		       void (*input)(struct vdev_device *d, uint8_t ch))
{
	conmux_init(&c->mux, emit, c);
	c->uart_va = s->boot->uart_va;
	c->input = input;
	for (unsigned i = 0; i < VDEV_MAX_DEVICES; i++) {
		c->member_of[i] = -1;
		c->members[i] = NULL;
	}
}

void vdev_console_add(struct vdev_console *c, struct vdev_device *d)
{
	int member = conmux_add(&c->mux, d->boot->vm);

	if (member < 0 || d->index >= VDEV_MAX_DEVICES)
		return;
	c->member_of[d->index] = member;
	c->members[member] = d;
	if (d->is_vm_ended)
		conmux_end(&c->mux, (unsigned)member);
}

void vdev_console_start(struct vdev_console *c)
{
	if (c->uart_va != 0)
		vdev_uart_enable_rx_interrupt(c->uart_va);
}

void vdev_console_output(struct vdev_console *c, const struct vdev_device *d, const uint8_t *buf,
			 size_t len)
{
	if (d->index < VDEV_MAX_DEVICES && c->member_of[d->index] >= 0)
		conmux_output(&c->mux, (unsigned)c->member_of[d->index], buf, len);
}

void vdev_console_notified(struct vdev_console *c, uint64_t bits)
{
	static bool has_logged;
	enum mica_error err;
	int ch;

	for (unsigned i = 0; i < VDEV_MAX_DEVICES; i++)
		if (c->members[i] != NULL && c->members[i]->is_vm_ended)
			conmux_end(&c->mux, i);
	if ((bits & VDEV_NTFN_UART) == 0 || c->uart_va == 0)
		return;
	while ((ch = vdev_uart_getc(c->uart_va)) >= 0) {
		int member = conmux_input(&c->mux, (uint8_t)ch);

		if (member >= 0 && c->input != NULL)
			c->input(c->members[member], (uint8_t)ch);
	}
	err = mica_irq_handler_ack(VDEV_CAP_UART_IRQ);
	if (err != MICA_OK && !has_logged) {
		has_logged = true;
		printf("vdev: cannot acknowledge the UART interrupt (error %d)\n", (int)err);
	}
}
