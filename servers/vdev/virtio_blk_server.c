/*
 * vdev_virtio_blk: serves every "virtio,mmio" device in its boot page as
 * a virtio block device (virtio_blk.c) over the disk the root task mapped
 * for it (devices[i].disk_va, a private read-write copy), or over a part
 * of a machine's disk that a block driver server serves
 * (devices[i].drive_va, the queue it shares with the driver), a range of
 * its sectors or a partition, whose size it learns from the driver. A device
 * needs its guest's RAM mapped (devices[i].ram_*) to reach the requests;
 * one without is not served. A device without a disk is served with
 * capacity 0.
 */
#include <stdint.h>

#include <mica/print.h>
#include <mica/proto/blk.h>
#include <mica/sys.h>
#include <vdev/vdev.h>

#include "virtio_blk.h"

/*
 * The guest's node: a virtio-mmio transport whose DMA is coherent (the
 * device is software reading guest RAM through cacheable mappings, which
 * the root task maps for it).
 */
VDEV_DEVICE_KIND(virtio_kind, .compatible = "virtio,mmio", .node_name = "virtio_mmio",
		 .flags = VDEV_KIND_GUEST_RAM | VDEV_KIND_EDGE_LINE,
		 .props = {VDEV_PROP_EMPTY("dma-coherent")});

static struct virtio_blk disks[VDEV_MAX_DEVICES]; /* For devices without state pages. */
static struct virtio_blk_drive drives[VDEV_MAX_DEVICES];

/*
 * The work done for a drive's reads, for tools/disk-bench: where this
 * server's and the driver's figures stood when the last run of reads
 * began (the first read after a write or a flush), and whether the VM's
 * end has been reported.
 */
struct reads_mark {
	uint64_t reads;
	uint64_t spans, cycles;		  /* This server's work spans (<mica/work.h>), */
	uint64_t exit_spans, exit_cycles; /*   those that served MMIO exits. */
	struct blk_stats driver;
	bool is_set, is_reported;
};

static struct reads_mark marks[VDEV_MAX_DEVICES];

/* The driver's figures, which it keeps in device d's slot-table page. */
static struct blk_stats driver_stats(const struct vdev_device *d)
{
	const struct blk_stats *s =
		(const struct blk_stats *)(uintptr_t)(d->boot->drive_va + BLK_STATS_OFFSET);

	return (struct blk_stats){.completed = __atomic_load_n(&s->completed, __ATOMIC_RELAXED),
				  .spans = __atomic_load_n(&s->spans, __ATOMIC_RELAXED),
				  .cycles = __atomic_load_n(&s->cycles, __ATOMIC_RELAXED)};
}

static void reads_begin(void *ctx)
{
	const struct vdev_device *d = ctx;
	const struct virtio_blk *b = d->model;

	marks[d->index] = (struct reads_mark){.reads = b->reads,
					      .spans = d->server->work_spans,
					      .cycles = d->server->work_cycles,
					      .exit_spans = d->server->exit_spans,
					      .exit_cycles = d->server->exit_cycles,
					      .driver = driver_stats(d),
					      .is_set = true};
}

/*
 * Device d's VM has ended: the work its last run of reads took, this
 * server's (all its devices') and the driver's (all its clients'), in
 * cycle counts, which are instructions under -icount. A restarted driver
 * counts afresh, and then shows only its new instance's.
 */
static void report_reads(const struct vdev_device *d)
{
	struct reads_mark *m = &marks[d->index];
	const struct virtio_blk *b = d->model;
	struct blk_stats now = driver_stats(d);

	if (!m->is_set || m->is_reported)
		return;
	m->is_reported = true;
	if (now.cycles < m->driver.cycles)
		m->driver = (struct blk_stats){0};
	printf("vdev %s: %s/%s: the last reads: %llu requests; this server %llu cycles in %llu "
	       "spans (%llu cycles in %llu exits), the driver %llu cycles in %llu spans (%llu "
	       "requests)\n",
	       d->server->boot->server, d->boot->vm, d->boot->name,
	       (unsigned long long)(b->reads - m->reads),
	       (unsigned long long)(d->server->work_cycles - m->cycles),
	       (unsigned long long)(d->server->work_spans - m->spans),
	       (unsigned long long)(d->server->exit_cycles - m->exit_cycles),
	       (unsigned long long)(d->server->exit_spans - m->exit_spans),
	       (unsigned long long)(now.cycles - m->driver.cycles),
	       (unsigned long long)(now.spans - m->driver.spans),
	       (unsigned long long)(now.completed - m->driver.completed));
}

/* Tell device d's block driver to look at its slots. */
static void signal_driver(void *ctx)
{
	const struct vdev_device *d = ctx;

	(void)mica_signal(d->boot->drive_cap);
}

/*
 * The size of device d's part, a partition of its drive: the driver
 * publishes it in the queue's window once it has read the disk's
 * partition table, and signals. Wait for that, so that the guest is never
 * told a capacity that is not the part's. Other notification bits that
 * come meanwhile are dropped: this server arms no timer, and its VMs do
 * not end before they have run.
 */
static uint64_t partition_sectors(const struct vdev_device *d, const struct blk_table *table)
{
	uint64_t sectors = 0;

	while (!virtio_blk_drive_window(table, &sectors)) {
		if (mica_wait(VDEV_CAP_NTFN).err != MICA_OK)
			break;
	}
	if (sectors == 0)
		printf("vdev %s: %s/%s: partition %u of its drive could not be used (its driver "
		       "said why): the guest's disk has 0 sectors\n",
		       d->server->boot->server, d->boot->vm, d->boot->name,
		       (unsigned)d->boot->drive_partition);
	return sectors;
}

/* Device d's drive, set up from its boot page; NULL if it has none. */
static struct virtio_blk_drive *drive_of(struct vdev_device *d)
{
	struct virtio_blk_drive *drive = &drives[d->index];
	uint8_t *region = (uint8_t *)(uintptr_t)d->boot->drive_va;
	uint64_t sectors = d->boot->drive_sectors;

	if (d->boot->drive_va == 0)
		return NULL;
	if (d->boot->drive_partition != 0)
		sectors = partition_sectors(d, (const struct blk_table *)region);
	*drive = (struct virtio_blk_drive){.table = (struct blk_table *)region,
					   .segs = (struct blk_seg *)(region + BLK_SEGS_OFFSET),
					   .sectors = sectors,
					   .is_read_only = d->boot->drive_read_only != 0,
					   .signal = signal_driver,
					   .reads_begin = reads_begin,
					   .ctx = d};
	return drive;
}

/*
 * The disk lives in the device's recoverable state, so a restarted
 * instance resumes it: the transport as the driver left it, requests in
 * flight redone (virtio_blk.h).
 */
static enum mica_error init(struct vdev_device *d)
{
	const struct virtio_irq irq = {.set = vdev_line_callback, .ctx = d};
	struct virtio_blk *b = vdev_state(d, struct virtio_blk);

	if (!vdev_is_compatible(d, "virtio,mmio") || d->ram.size == 0 ||
	    d->boot->ipa_size < VIRTIO_MMIO_SIZE)
		return MICA_ERR_NOT_FOUND;
	if (b == NULL)
		b = &disks[d->index];
	d->model = b;
	if (d->is_resumed)
		virtio_blk_resume(b, d->disk, d->disk_size, drive_of(d), &d->ram, &irq);
	else
		virtio_blk_init(b, d->disk, d->disk_size, drive_of(d), &d->ram, &irq);
	return MICA_OK;
}

/*
 * A block driver finished requests (which device's, its signal does not
 * say), or a VM ended.
 */
static void notified(struct vdev_server *s, uint64_t bits)
{
	for (unsigned i = 0; i < s->device_count; i++) {
		struct vdev_device *d = &s->devices[i];

		if (!d->is_served || d->boot->drive_va == 0)
			continue;
		if ((bits & VDEV_NTFN_DRIVE) != 0)
			virtio_blk_drive_done(d->model);
		if (d->is_vm_ended)
			report_reads(d);
	}
}

/*
 * Device d was reset by its VMM, for the guest's reboot, while its driver
 * still had requests of it: the machine's device may still write into the
 * guest's RAM for them. So the VMM, which loads the guest again once it
 * has the answer, gets none until the driver has finished every one (at
 * most BLK_SLOTS requests of BLK_REQUEST_MAX bytes). Meanwhile this server
 * answers no other exit, and handles the notifications that come as they
 * come (another device's completions, a VM's end); the wait ends too if
 * d's VM ends (its driver failed for good: the root task stops the VMs on
 * its drive). A guest's own reset waits for nothing: it gets no request
 * back until they are done, and Linux quiesces its queue before a reset.
 */
static void drain(struct vdev_device *d)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	while (virtio_blk_drive_is_stale(d->model) && !d->is_vm_ended) {
		struct mica_msg m = mica_wait(VDEV_CAP_NTFN);

		if (m.err != MICA_OK)
			break;
		(void)vdev_server_handle(d->server, m.badge,
					 mica_msg_info(MICA_LABEL_NOTIFICATION, 0, 0), mr);
	}
}

static enum mica_error mmio_read(struct vdev_device *d, uint64_t offset, unsigned size,
				 uint64_t *value)
{
	struct virtio_blk *b = d->model;

	return virtio_mmio_read(&b->mmio, offset, size, value);
}

static enum mica_error mmio_write(struct vdev_device *d, uint64_t offset, unsigned size,
				  uint64_t value)
{
	struct virtio_blk *b = d->model;

	return virtio_mmio_write(&b->mmio, offset, size, value);
}

/*
 * The VM reset: the device as if its driver wrote 0 to Status, and the
 * answer only once nothing of the last boot's is left with the driver, as
 * the VMM loads the guest again when it has it.
 */
static void reset(struct vdev_device *d)
{
	(void)mmio_write(d, VIRTIO_MMIO_STATUS, 4, 0);
	drain(d);
}

static const struct vdev_ops ops = {
	.init = init,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.notified = notified,
	.reset = reset,
};

int main(uint64_t boot)
{
	return vdev_main(boot, &ops);
}
