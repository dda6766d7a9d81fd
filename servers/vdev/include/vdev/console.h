/*
 * The machine's serial console for servers that emulate guest consoles
 * (vdev_pl011, vdev_virtio_console): output from each guest console,
 * prefixed with its VM's name, to the machine's UART at boot->uart_va (or
 * the kernel's debug console if the server has none), and input from that
 * UART to the console with the focus (conmux.h: Ctrl-] moves it; a
 * terminal's answer goes to the console that asked).
 *
 * Input without loss. Input for a console waits in its queue
 * (struct vdev_console_input, VDEV_CONSOLE_INPUT_SIZE bytes) until its
 * guest has room for it, as a terminal with flow control would wait: the
 * server's input callback takes what the guest side has room for (a
 * UART's receive FIFO, a virtio receive buffer) and the rest stays queued.
 * While the focus console's queue is full, the server stops reading the
 * machine's UART (its receive interrupts masked), so what is typed or
 * pasted waits in the UART and in QEMU's input instead of being lost. The
 * server calls vdev_console_take_input after each guest access, and the
 * queue moves on as the guest reads. A guest that reads less than half a
 * queue's worth in each VDEV_CONSOLE_STALL_NS while the console waits for
 * it does not hold up the console for ever, nor does one that reads a byte
 * now and then: what waits for it is dropped (and said, the first time), and
 * reading goes on, Ctrl-] too. A server that crashes while it hands input
 * to its guest may hand the same bytes again once restarted (the guest's
 * side is recoverable state, the queue's head moves after it); and bytes
 * read from the UART but not yet queued, or gathered as a terminal answer,
 * are lost with the crash.
 *
 * A server calls vdev_console_init and vdev_console_start from its setup
 * callback, vdev_console_add from its init callback for each console
 * device, vdev_console_output for its guests' output, vdev_console_take_input
 * after each access of a guest's, vdev_console_notified from its notified
 * callback and vdev_console_timer from its timer callback.
 */
#ifndef MICA_VDEV_CONSOLE_H
#define MICA_VDEV_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vdev/vdev.h>

#include "conmux.h" /* servers/vdev, on the library's include path. */

#define VDEV_CONSOLE_INPUT_SIZE 1024u
#define VDEV_CONSOLE_STALL_NS	(UINT64_C(2) * 1000000000u)

/* A console's input waiting for its guest: a ring of bytes. */
struct vdev_console_input {
	uint8_t bytes[VDEV_CONSOLE_INPUT_SIZE];
	uint32_t head; /* The oldest byte. */
	uint32_t count;
};

/* What the guest side takes of len bytes of input now (the rest waits). */
typedef size_t (*vdev_console_input_fn)(struct vdev_device *d, const uint8_t *buf, size_t len);

#define VDEV_CONSOLE_OUT_SIZE 256

struct vdev_console {
	struct conmux mux;
	uint64_t uart_va;
	int member_of[VDEV_MAX_DEVICES]; /* By device index; -1: not a console. */
	struct vdev_device *members[VDEV_MAX_DEVICES];
	struct vdev_console_input *queues[VDEV_MAX_DEVICES]; /* By member. */
	struct vdev_console_input own[VDEV_MAX_DEVICES];     /* For members without one kept. */
	vdev_console_input_fn input;
	bool is_held;	       /* The UART is not read: the focus console's queue is full. */
	uint64_t taken;	       /* Bytes the focus guests have taken, for the stall check. */
	uint64_t taken_before; /* taken when the stall timer was last set. */
	/*
	 * Without a UART, output goes through the kernel's debug write: a
	 * system call per VDEV_CONSOLE_OUT_SIZE bytes, not per byte.
	 */
	uint16_t out_len;
	uint8_t out[VDEV_CONSOLE_OUT_SIZE];
};

/* Set c up for server s's UART, with input going to input. */
void vdev_console_init(struct vdev_console *c, const struct vdev_server *s,
		       vdev_console_input_fn input);

/*
 * Make device d one of the consoles (the first added has the focus). Its
 * input waits in keep, if not NULL (say, in d's recoverable state, so that
 * it outlives a restart), else in c.
 */
void vdev_console_add(struct vdev_console *c, struct vdev_device *d,
		      struct vdev_console_input *keep);

/* Unmask the UART's receive interrupts (if the server has a UART). */
void vdev_console_start(struct vdev_console *c);

/* Output len bytes from device d's guest. */
void vdev_console_output(struct vdev_console *c, const struct vdev_device *d, const uint8_t *buf,
			 size_t len);

/* Device d's guest may have made room for input: hand it what waits, and read on. */
void vdev_console_take_input(struct vdev_console *c, struct vdev_device *d);

/*
 * The server was notified: on VDEV_NTFN_UART, read the UART's receive
 * FIFO into the consoles (while there is room) and acknowledge the
 * interrupt; a VM's end hands the focus on.
 */
void vdev_console_notified(struct vdev_console *c, uint64_t bits);

/* Device d's timer went off: the stall check (d's timer is the console's while it waits). */
void vdev_console_timer(struct vdev_console *c, struct vdev_device *d);

#endif
