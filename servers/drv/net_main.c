/*
 * drv_virtio_net: drives the machine's virtio-net device (virtio-mmio
 * version 2) for the switch it shares its queue region with
 * (<mica/proto/netq.h>). virtio_net_drv.c is the logic; this file gives it
 * the device's registers, waits on the notification, and signals the
 * switch when it says to.
 *
 * A restarted instance starts as the first did: vnet_init resets the
 * device, which drops the frames the last instance had on it, and the
 * driver goes on from the rings' head and tail as it finds them.
 */
#include <stdbool.h>
#include <stdint.h>

#include <base/errors.h>
#include <base/fmt.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/proto/netq.h>
#include <mica/sys.h>

#include "mmio.h"
#include "virtio_net_drv.h"

static void print_device(const struct netq_boot *boot, const struct vnet *d)
{
	const uint8_t *m = d->mac;
	char mac[sizeof("MAC 00:00:00:00:00:00")] = "no MAC";

	if (d->has_mac)
		(void)fmt_snprintf(mac, sizeof(mac), "MAC %02x:%02x:%02x:%02x:%02x:%02x", m[0],
				   m[1], m[2], m[3], m[4], m[5]);
	printf("drv %.*s: virtio-net at 0x%08llx, %s, rx %u, tx %u\n", NETQ_NAME_MAX, boot->name,
	       (unsigned long long)boot->device_pa, mac, (unsigned)d->receiveq.size,
	       (unsigned)d->transmitq.size);
}

/*
 * The testing aid crash_after (<mica/proto/netq.h>): the first instance
 * faults once the device has moved that many frames, with more on it,
 * which the next instance drops and TCP sends again.
 */
static void crash_if_asked(const struct netq_boot *boot, const struct vnet *d)
{
	uint64_t frames = d->counts.sent + d->counts.received;

	if (boot->crash_after == 0 || boot->restarts != 0 || frames < boot->crash_after)
		return;
	printf("drv %.*s: crashing on purpose after %llu frames (crash-after)\n", NETQ_NAME_MAX,
	       boot->name, (unsigned long long)frames);
	__asm__ volatile("udf #0"); /* An undefined instruction: a fault. */
}

int main(uint64_t boot_va)
{
	static struct vnet net;
	const struct netq_boot *boot = (const struct netq_boot *)(uintptr_t)boot_va;
	struct vdrv_bus bus = {.read = mmio_read,
			       .read8 = mmio_read8,
			       .write = mmio_write,
			       .dma_barrier = dma_barrier};
	enum vdrv_error err;

	if (boot->magic != NETQ_BOOT_MAGIC) {
		printf("drv: no valid boot page at 0x%llx\n", (unsigned long long)boot_va);
		return 1;
	}
	bus.ctx = (void *)(uintptr_t)boot->device_va;
	err = vnet_init(&net, boot, &bus);
	if (err != VDRV_OK) {
		printf("drv %.*s: the device at 0x%08llx: %s\n", NETQ_NAME_MAX, boot->name,
		       (unsigned long long)boot->device_pa, vnet_init_error_text(err));
		return 1;
	}
	print_device(boot, &net);
	if (boot->restarts != 0)
		printf("drv %.*s: restart %u: the device reset, going on from the rings as found\n",
		       NETQ_NAME_MAX, boot->name, (unsigned)boot->restarts);

	/*
	 * A last instance may have ended between the interrupt's delivery and
	 * its acknowledgement, which would leave the line disabled for good.
	 */
	(void)mica_irq_handler_ack(NETQ_CAP_IRQ);
	/* Signalled in any case: the switch may have waited for room since a last instance. */
	(void)vnet_serve_switch(&net);
	(void)mica_signal(NETQ_CAP_SWITCH);
	for (;;) {
		struct mica_msg m = mica_wait(NETQ_CAP_NTFN);
		bool must_signal = false;

		if (m.err != MICA_OK) {
			printf("drv %.*s: cannot wait on the notification (%s)\n", NETQ_NAME_MAX,
			       boot->name, mica_error_text(m.err));
			return 1;
		}
		/*
		 * An interrupt takes the switch's frames too, as transmit buffers
		 * came free. The switch's signal after it took from a full rx
		 * ring needs nothing: received frames are dropped, not held, when
		 * the ring is full.
		 */
		if ((m.badge & NETQ_NTFN_DEVICE) != 0) {
			must_signal = vnet_interrupt(&net);
			crash_if_asked(boot, &net);
			(void)mica_irq_handler_ack(NETQ_CAP_IRQ);
		} else if ((m.badge & NETQ_NTFN_SWITCH) != 0) {
			must_signal = vnet_serve_switch(&net);
		}
		if (must_signal)
			(void)mica_signal(NETQ_CAP_SWITCH);
	}
}
