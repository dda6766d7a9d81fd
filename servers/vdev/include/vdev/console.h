/*
 * The machine's serial console for servers that emulate guest consoles
 * (vdev_pl011, vdev_virtio_console): output from each guest console,
 * prefixed with its VM's name, to the machine's UART at boot->uart_va (or
 * the kernel's debug console if the server has none), and input from that
 * UART to the console with the focus (conmux.h: Ctrl-] moves it).
 *
 * A server calls vdev_console_init and vdev_console_start from its setup
 * callback, vdev_console_add from its init callback for each console
 * device, vdev_console_output for its guests' output, and
 * vdev_console_notified from its notified callback; input reaches it
 * through the input callback given to vdev_console_init.
 */
#ifndef MICA_VDEV_CONSOLE_H
#define MICA_VDEV_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include <vdev/vdev.h>

#include "conmux.h" /* servers/vdev, on the library's include path. */

struct vdev_console {
	struct conmux mux;
	uint64_t uart_va;
	int member_of[VDEV_MAX_DEVICES]; /* By device index; -1: not a console. */
	struct vdev_device *members[VDEV_MAX_DEVICES];
	void (*input)(struct vdev_device *d, uint8_t ch);
};

/* Set c up for server s's UART, with input going to input. */
void vdev_console_init(struct vdev_console *c, const struct vdev_server *s,
		       void (*input)(struct vdev_device *d, uint8_t ch));

/* Make device d one of the consoles (the first added has the focus). */
void vdev_console_add(struct vdev_console *c, struct vdev_device *d);

/* Unmask the UART's receive interrupts (if the server has a UART). */
void vdev_console_start(struct vdev_console *c);

/* Output len bytes from device d's guest. */
void vdev_console_output(struct vdev_console *c, const struct vdev_device *d, const uint8_t *buf,
			 size_t len);

/*
 * The server was notified: on VDEV_NTFN_UART, drain the UART's receive
 * FIFO into the consoles and acknowledge the interrupt.
 */
void vdev_console_notified(struct vdev_console *c, uint64_t bits);

#endif
