/*
 * The device-server library's loop on the target (see vdev/vdev.h): the
 * system calls around the message handling in server.c.
 */
#include <base/errors.h>
#include <vdev/clock.h>
#include <vdev/vdev.h>

#include <mica/abi/exit.h>
#include <mica/counter.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>
#include <mica/work.h>

/*
 * The device's line changed: an edge-triggered one (VDEV_KIND_EDGE_LINE)
 * signals the kernel on the way up and says nothing on the way down; any
 * other is a Call to the device's VMM, VDEV_MSG_IRQ_LINE with the level.
 */
static enum mica_error send_line(struct vdev_device *d, bool level)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {level ? 1u : 0u, 0, 0, 0};
	struct mica_msg m;

	if (d->boot->line_cap != 0)
		return level ? mica_signal(d->boot->line_cap) : MICA_OK;
	m = mica_call(d->boot->irq_cap, mica_msg_info(VDEV_MSG_IRQ_LINE, 0, 1), mr);

	if (m.err != MICA_OK)
		return m.err;
	if (mica_msg_label(m.info) != 0)
		return MICA_ERR_ILLEGAL_OPERATION;
	return mica_msg_length(m.info) > 0 ? (enum mica_error)mr[0] : MICA_OK;
}

uint64_t vdev_clock_ns(void)
{
	return vdev_ticks_to_ns(mica_counter(), mica_counter_hz());
}

uint64_t vdev_time_ns(const struct vdev_server *s)
{
	return vdev_time_at(s->boot, mica_counter(), mica_counter_hz());
}

uint64_t vdev_clock_at_time(const struct vdev_server *s, uint64_t time_ns)
{
	return vdev_clock_at(s->boot, time_ns, mica_counter_hz());
}

static void log_line(const struct vdev_server *s, const char *what)
{
	printf("vdev %s: %s\n", s->boot->server, what);
}

/* The kernel's alarm on the server's notification, at the counter's first tick past at_ns. */
static void arm(const struct vdev_server *s, uint64_t at_ns)
{
	uint64_t at = at_ns == 0 ? 0 : vdev_ns_to_ticks(at_ns, mica_counter_hz());
	enum mica_error err;

	if (at_ns != 0 && at == 0)
		at = 1; /* Counter 0 would disarm it; this is as due. */
	err = mica_notification_set_alarm(VDEV_CAP_NTFN, at, VDEV_NTFN_TIMER);
	if (err != MICA_OK)
		printf("vdev %s: cannot set the kernel's alarm (%s)\n", s->boot->server,
		       mica_error_text(err));
}

/*
 * The testing aid crash_after (<mica/proto/vdev.h>): fault once this
 * instance has handled its accesses-th access, before answering it (so the
 * guest retries an access that was applied), in the instances it names.
 */
static void crash_if_asked(const struct vdev_boot *boot, unsigned accesses)
{
	unsigned instances = VDEV_CRASH_INSTANCES(boot->crash_after);

	if (VDEV_CRASH_ACCESSES(boot->crash_after) != accesses)
		return;
	if (instances != VDEV_CRASH_ALWAYS && boot->restarts >= (instances ? instances : 1))
		return;
	printf("vdev %s: crashing on purpose after %u accesses (crash-after)\n", boot->server,
	       accesses);
	__asm__ volatile("udf #0"); /* An undefined instruction: a fault. */
}

int vdev_main(uint64_t boot_va, const struct vdev_ops *ops)
{
	static struct vdev_server server;
	const struct vdev_boot *boot = (const struct vdev_boot *)(uintptr_t)boot_va;
	const struct vdev_env env = {
		.send_line = send_line, .log = log_line, .clock_ns = vdev_clock_ns, .arm = arm};
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	unsigned served = 0, accesses = 0;
	struct mica_msg m;

	if (boot == NULL || vdev_server_init(&server, boot, ops, &env) != MICA_OK) {
		printf("vdev: no valid boot page at %p\n", (const void *)boot);
		return 1;
	}
	for (unsigned i = 0; i < server.device_count; i++) {
		const struct vdev_device *d = &server.devices[i];

		if (d->is_served)
			served++;
		else
			printf("vdev %s: not serving device %u (%.32s)\n", boot->server, i,
			       d->boot->name);
	}
	printf("vdev %s: serving %u of %u devices\n", boot->server, served, server.device_count);
	if (boot->restarts != 0)
		printf("vdev %s: restart %u: resumed from the devices' state\n", boot->server,
		       boot->restarts);

	m = mica_recv(VDEV_CAP_EP, VDEV_CAP_REPLY, mr);
	for (;;) {
		struct vdev_answer a;
		uint64_t begun, cycles;
		bool is_exit;

		if (m.err != MICA_OK) {
			m = mica_recv(VDEV_CAP_EP, VDEV_CAP_REPLY, mr);
			continue;
		}
		begun = mica_cycles(); /* A work span (<mica/work.h>). */
		is_exit = mica_msg_label(m.info) == MICA_EXIT_MMIO;
		a = vdev_server_handle(&server, m.badge, m.info, mr);
		if (is_exit)
			crash_if_asked(boot, ++accesses);
		cycles = mica_cycles() - begun;
		server.work_cycles += cycles;
		server.work_spans++;
		if (is_exit) {
			server.exit_cycles += cycles;
			server.exit_spans++;
		}
		if (a.is_reply)
			m = mica_reply_recv(VDEV_CAP_EP, VDEV_CAP_REPLY,
					    mica_msg_info(a.label, 0, a.length), mr);
		else
			m = mica_recv(VDEV_CAP_EP, VDEV_CAP_REPLY, mr);
	}
}
