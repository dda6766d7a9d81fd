/*
 * The device-server library: a device server is a few callbacks on a loop
 * this library owns (the shape of Microkit's init/notified/protected).
 *
 * A server's main is one line:
 *
 *     int main(uint64_t boot) { return vdev_main(boot, &my_ops); }
 *
 * vdev_main reads the boot page the root task mapped (struct vdev_boot,
 * <mica/proto/vdev.h>, its address in x0 and so main's argument), checks
 * it, calls ops->setup and then ops->init for each device in it, and then
 * serves messages on VDEV_CAP_EP for ever:
 *
 *   - A guest's MMIO exit (MICA_EXIT_MMIO) with badge VDEV_BADGE_DEVICE | i
 *     goes to ops->mmio_read or ops->mmio_write of device i, with the
 *     offset from the device's ipa_base. MICA_OK resumes the guest (a
 *     read's value in MR0, which the kernel truncates and sign-extends);
 *     any error declines the access: the answer's label is that error, and
 *     the kernel hands the exit to the VM's VMM, which decides (say, by
 *     injecting an abort). Accesses outside the device's range, and to a
 *     device whose init failed, are declined without calling the device.
 *   - A notification (MICA_LABEL_NOTIFICATION) goes to ops->notified with
 *     the signalled bits (VDEV_NTFN_UART for the machine's UART), after
 *     ops->timer for each device whose timer is due.
 *   - Anything else (an unknown badge, another label) is answered with the
 *     label MICA_ERR_INVALID_ARGUMENT, counted and logged once; the server
 *     goes on.
 *
 * Timers. Each device has one: vdev_timer_set(d, at) has ops->timer(d)
 * called once vdev_clock_ns() reaches at (a time past: at once, from the
 * loop). The library keeps the earliest one armed as the kernel's alarm
 * on the server's notification (MICA_NOTIFICATION_SET_ALARM, bit
 * VDEV_NTFN_TIMER), so a server waits for a guest, an interrupt or a
 * deadline alike, and nothing runs while none is due.
 *
 * A device raises and lowers its interrupt with vdev_set_line (or
 * vdev_line_callback, which fits the models' callbacks), and the library
 * passes on only changes of level: for a kind with VDEV_KIND_EDGE_LINE
 * (virtio's) a rise is a signal of devices[i].line_cap, which the kernel
 * turns into the guest's interrupt without the VMM; for any other kind
 * each change is VDEV_MSG_IRQ_LINE to the VMM through devices[i].irq_cap.
 *
 * Recoverable state. The root task keeps VDEV_STATE_SIZE bytes for each
 * device across the server's restarts (d->state, zero at the first
 * start). A model keeps there everything a restarted instance needs to go
 * on as if nothing had happened, and init resumes from it when
 * d->is_resumed (vdev_state gives it, typed and size-checked). The rules a
 * model follows, because a crash can come at any instruction and the
 * guest then retries the access that was in hand:
 *   - Everything the guest can observe lives in the state: registers,
 *     FIFOs, a transport's configuration and interrupt status.
 *   - Nothing there points into the process: init re-attaches callbacks,
 *     guest memory and disks on resume.
 *   - Every access is safe to apply twice (the guest retries one the old
 *     instance may have applied before it crashed), and work that was in
 *     flight is redone on resume (virtio does both: virtio.h).
 *   - On resume init sets the device's line again: the library sends that
 *     level whatever it last sent. It sets the device's timer again too:
 *     timers are not kept (a deadline belongs in the state).
 *
 * The message handling (vdev_server_init, vdev_server_handle,
 * vdev_set_line) makes no system call itself, so it is unit-tested on the
 * host; vdev_main and the vdev_uart_* functions are the target's glue.
 */
#ifndef MICA_VDEV_VDEV_H
#define MICA_VDEV_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/abi/errors.h>
#include <mica/abi/ipc.h>
#include <mica/proto/devkind.h>
#include <mica/proto/vdev.h>

#include "guest_mem.h" /* servers/vdev, on the library's include path. */

struct vdev_server;

/* One device this server emulates, as the library keeps it. */
struct vdev_device {
	struct vdev_server *server;
	unsigned index;			     /* Its place in the boot page, and badge. */
	const struct vdev_boot_device *boot; /* Its entry in the boot page. */
	struct guest_mem ram;		     /* Its guest's RAM (size 0: none mapped). */
	uint8_t *disk;			     /* Its disk (NULL: none). */
	uint64_t disk_size;
	void *model;	      /* The server's state for it; init sets it. */
	void *state;	      /* VDEV_STATE_SIZE bytes kept across restarts (NULL: none). */
	bool is_resumed;      /* A restarted instance: state holds what the last one left. */
	bool is_served;	      /* init accepted it. */
	bool line;	      /* The level last sent to the VMM. */
	bool is_line_unknown; /* Resumed: the next level is sent whatever it is. */
	bool is_vm_ended;     /* Its VM has ended: line changes are no longer sent. */
	uint64_t timer_ns;    /* When its timer goes off, by vdev_clock_ns (0: not set). */
};

/*
 * What a device server supplies. Every callback but mmio_read and
 * mmio_write may be NULL.
 *
 * init      Set up device d (d->boot says what it is; d->ram and d->disk
 *           are its memory). Return MICA_OK to serve it; any error leaves
 *           it unserved, and its guest's accesses go to the VMM.
 * setup     Once, before any device's init: server-wide state (the
 *           machine's console, say).
 * mmio_read, mmio_write
 *           A guest access of size bytes (1, 2, 4 or 8) at offset into the
 *           device's range (offset + size <= ipa_size). MICA_OK completes
 *           it; an error declines it (see above).
 * notified  Bits signalled on the server's notification.
 * timer     Device d's timer went off (vdev_timer_set); it is no longer set.
 * reset     Device d's VM reset (VDEV_MSG_RESET): back to its reset state.
 *           NULL: nothing to do.
 */
struct vdev_ops {
	void (*setup)(struct vdev_server *s);
	enum mica_error (*init)(struct vdev_device *d);
	enum mica_error (*mmio_read)(struct vdev_device *d, uint64_t offset, unsigned size,
				     uint64_t *value);
	enum mica_error (*mmio_write)(struct vdev_device *d, uint64_t offset, unsigned size,
				      uint64_t value);
	void (*notified)(struct vdev_server *s, uint64_t bits);
	void (*timer)(struct vdev_device *d);
	void (*reset)(struct vdev_device *d);
};

/* How the library reaches the VMM and the log: system calls, or a test's fakes. */
struct vdev_env {
	/* Send device d's new line level to its VMM; the VMM's answer. */
	enum mica_error (*send_line)(struct vdev_device *d, bool level);
	/* Print one line about something wrong (no newline). */
	void (*log)(const struct vdev_server *s, const char *what);
	/* The clock timers count by (vdev_clock_ns), and arming the alarm for at (0: none). */
	uint64_t (*clock_ns)(void);
	void (*arm)(const struct vdev_server *s, uint64_t at_ns);
};

struct vdev_server {
	const struct vdev_boot *boot;
	const struct vdev_ops *ops;
	struct vdev_env env;
	unsigned device_count;
	struct vdev_device devices[VDEV_MAX_DEVICES];
	uint64_t declined;     /* Accesses answered with an error (handed to the VMM). */
	uint64_t bad_messages; /* Messages that were not ours to serve. */
	uint64_t line_errors;  /* Line messages the VMM refused. */
	uint64_t armed_ns;     /* The alarm asked of env.arm (0: none). */
	uint64_t work_spans;   /* On the target, the loop's work spans (<mica/work.h>) */
	uint64_t work_cycles;  /*   and the cycle counts in them, */
	uint64_t exit_spans;   /*   of which those that served an MMIO exit. */
	uint64_t exit_cycles;
	bool has_logged_bad_message;
	bool has_logged_line_error;
};

/* How to answer one message. */
struct vdev_answer {
	bool is_reply;	 /* Answer (a Call is waiting), or just receive again. */
	uint64_t label;	 /* MICA_EXIT_RESUME, or the error that declines. */
	unsigned length; /* Message words in mr[]. */
};

/*
 * Check the boot page and set s up: ops->setup, then ops->init for every
 * device with well-formed names and ranges. Errors: MICA_ERR_INVALID_ARGUMENT for a wrong
 * magic or missing mmio callbacks, MICA_ERR_RANGE for too many devices.
 */
enum mica_error vdev_server_init(struct vdev_server *s, const struct vdev_boot *boot,
				 const struct vdev_ops *ops, const struct vdev_env *env)
	__attribute__((warn_unused_result));

/*
 * Serve one message that arrived with badge and info, words in mr[] (the
 * answer's words replace them). See the top of this file.
 */
struct vdev_answer vdev_server_handle(struct vdev_server *s, uint64_t badge, uint64_t info,
				      uint64_t mr[MICA_MSG_REGISTERS]);

/* Set device d's interrupt line; the VMM hears of changes only. */
void vdev_set_line(struct vdev_device *d, bool level);

/* vdev_set_line for a model's line callback: ctx is the struct vdev_device. */
void vdev_line_callback(void *ctx, bool level);

/* Have ops->timer(d) called once vdev_clock_ns() reaches at_ns (0: cancel). Replaces d's timer. */
void vdev_timer_set(struct vdev_device *d, uint64_t at_ns);

/*
 * Device d's recoverable state as a type (see the top of this file): NULL
 * if d has none. The type must fit, which the compiler checks.
 */
#define vdev_state(d, type)                                                                        \
	((void)sizeof(struct {                                                                     \
		 _Static_assert(sizeof(type) <= VDEV_STATE_SIZE, #type " fits the state pages");   \
		 int unused;                                                                       \
	 }),                                                                                       \
	 (type *)(d)->state)

/* True if device d's compatible string is exactly compatible. */
bool vdev_is_compatible(const struct vdev_device *d, const char *compatible);

/*
 * Run the server: never returns unless the boot page is bad, when it
 * prints why and returns 1 (main's status).
 */
int vdev_main(uint64_t boot_va, const struct vdev_ops *ops);

/*
 * The machine's UART (a PL011) at uart_va, for console servers: write one
 * byte (waiting while the transmit FIFO is full), read one (-1 when the
 * receive FIFO is empty), and unmask or mask its receive interrupts.
 */
void vdev_uart_putc(uint64_t uart_va, uint8_t ch);
int vdev_uart_getc(uint64_t uart_va);
void vdev_uart_set_rx_interrupt(uint64_t uart_va, bool on);

#endif
