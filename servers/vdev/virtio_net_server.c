/*
 * vdev_virtio_net: serves every "virtio,mmio" device in its boot page, in
 * every VM, as a virtio network device (virtio_net.c), each a port of one
 * learning Ethernet switch: port i is the boot page's device i, and its
 * address is 02:6d:69:63:VM:i (VM the device's vm_index). A frame one
 * guest transmits is copied once, from its transmit buffers straight into
 * a receive buffer of each guest it goes to, since this server has every
 * guest's RAM mapped. A device needs its guest's RAM mapped
 * (devices[i].ram_*); one without is not served. With uplink_va in its
 * boot page, the switch has a way out: the queue region of a network
 * driver (<mica/proto/netq.h>), which drives the machine's network device.
 */
#include <stdint.h>

#include <mica/sys.h>
#include <vdev/vdev.h>

#include "virtio_net.h"

/* The guest's node: as vdev_virtio_blk's, a virtio-mmio transport with coherent DMA. */
VDEV_DEVICE_KIND(virtio_kind, .compatible = "virtio,mmio", .node_name = "virtio_mmio",
		 .flags = VDEV_KIND_GUEST_RAM | VDEV_KIND_EDGE_LINE,
		 .props = {VDEV_PROP_EMPTY("dma-coherent")});

_Static_assert(VDEV_MAX_DEVICES <= VIRTIO_NET_PORTS, "every device has a port on the switch");

static struct virtio_net ports[VDEV_MAX_DEVICES]; /* For devices without state pages. */
static struct virtio_net_switch net_switch;	  /* The server's, not kept: relearned. */
static struct virtio_net_uplink uplink;

static void signal_driver(void *ctx)
{
	(void)mica_signal(VDEV_CAP_UPLINK);
}

static void setup(struct vdev_server *s)
{
	uint8_t *region = (uint8_t *)(uintptr_t)s->boot->uplink_va;

	if (region == NULL) {
		virtio_net_switch_init(&net_switch, NULL);
		return;
	}
	uplink = (struct virtio_net_uplink){.tx = (struct netq_ring *)(region + NETQ_TX_RING),
					    .rx = (struct netq_ring *)(region + NETQ_RX_RING),
					    .tx_data = region + NETQ_TX_DATA,
					    .rx_data = region + NETQ_RX_DATA,
					    .signal = signal_driver};
	virtio_net_switch_init(&net_switch, &uplink);
}

/*
 * Each port lives in the device's recoverable state, so a restarted
 * instance resumes it: the transport as the driver left it, the transmits
 * in flight settled and left waiting (virtio_net.h) until every port is
 * back on the switch. The switch starts at the loop's first event: a
 * guest's access, or the timer a resumed port sets for at once, so that
 * what it waits for is sent even if no guest touches a device.
 */
static enum mica_error init(struct vdev_device *d)
{
	const struct virtio_irq irq = {.set = vdev_line_callback, .ctx = d};
	struct virtio_net *n = vdev_state(d, struct virtio_net);
	uint8_t mac[VIRTIO_NET_MAC_LEN];

	if (!vdev_is_compatible(d, "virtio,mmio") || d->ram.size == 0 ||
	    d->boot->ipa_size < VIRTIO_MMIO_SIZE)
		return MICA_ERR_NOT_FOUND;
	if (n == NULL)
		n = &ports[d->index];
	d->model = n;
	if (d->is_resumed) {
		virtio_net_resume(n, &net_switch, &d->ram, &irq);
		vdev_timer_set(d, 1);
	} else {
		virtio_net_mac(d->boot->vm_index, d->index, mac);
		virtio_net_init(n, &net_switch, d->index, mac, &d->ram, &irq);
	}
	if (d->is_vm_ended)
		virtio_net_switch_detach(&net_switch, d->index);
	return MICA_OK;
}

static enum mica_error mmio_read(struct vdev_device *d, uint64_t offset, unsigned size,
				 uint64_t *value)
{
	struct virtio_net *n = d->model;

	virtio_net_switch_start(&net_switch);
	return virtio_mmio_read(&n->mmio, offset, size, value);
}

/* A notify of a transmitq switches its frames, here, before the guest's store completes. */
static enum mica_error mmio_write(struct vdev_device *d, uint64_t offset, unsigned size,
				  uint64_t value)
{
	struct virtio_net *n = d->model;

	enum mica_error err;

	virtio_net_switch_start(&net_switch);
	err = virtio_mmio_write(&n->mmio, offset, size, value);
	if (n->is_tx_more)
		vdev_timer_set(d, 1); /* The rest after the other devices' waiting accesses. */
	return err;
}

static void timer(struct vdev_device *d)
{
	struct virtio_net *n = d->model;

	virtio_net_switch_start(&net_switch);
	virtio_net_transmit_more(n);
	if (n->is_tx_more)
		vdev_timer_set(d, 1);
}

/*
 * A VM ended: its ports leave the switch, so that no frame is copied into
 * its memory. The uplink's driver put frames: they go where they go.
 */
static void notified(struct vdev_server *s, uint64_t bits)
{
	for (unsigned i = 0; i < s->device_count; i++)
		if (s->devices[i].is_served && s->devices[i].is_vm_ended)
			virtio_net_switch_detach(&net_switch, i);
	if ((bits & VDEV_NTFN_UPLINK) != 0)
		virtio_net_uplink_receive(&net_switch);
}

/* The VM reset: the device as if its driver wrote 0 to Status. */
static void reset(struct vdev_device *d)
{
	(void)mmio_write(d, VIRTIO_MMIO_STATUS, 4, 0);
}

static const struct vdev_ops ops = {
	.setup = setup,
	.init = init,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.reset = reset,
	.notified = notified,
	.timer = timer,
};

int main(uint64_t boot)
{
	return vdev_main(boot, &ops);
}
