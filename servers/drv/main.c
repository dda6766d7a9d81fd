/*
 * drv_virtio_blk: drives the machine's virtio-blk device (virtio-mmio
 * version 2) for the clients in its boot page (<mica/proto/blk.h>), each
 * held to its part of the disk. virtio_blk_drv.c is the logic; this file
 * gives it the device's registers, waits on the notification, and signals
 * the clients it says to.
 *
 * A restarted instance starts as the first did: vblk_init resets the
 * device, which drops whatever the last instance left on it, it reads the
 * partition table again if a client names a partition, and the first scan
 * takes every slot still SUBMITTED afresh.
 */
#include <stdbool.h>
#include <stdint.h>

#include <base/errors.h>
#include <base/fmt.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/proto/blk.h>
#include <mica/sys.h>
#include <mica/work.h>

#include "mmio.h"
#include "virtio_blk_drv.h"

#define MIB_SECTORS (UINT64_C(1024) * 1024 / BLK_SECTOR_SIZE)

static void signal_clients(uint32_t signals)
{
	for (uint32_t i = 0; i < BLK_MAX_CLIENTS; i++)
		if ((signals & (1u << i)) != 0)
			(void)mica_signal(BLK_CAP_CLIENT_FIRST + i);
}

/* Why client i is refused, in one line naming it: the partition's, or its clash's. */
static void print_refusal(const struct blk_boot *boot, const struct vblk *d, uint32_t i)
{
	const struct vblk_client *c = &d->clients[i];
	const struct vblk_client *o = &d->clients[c->overlaps];
	char part[24] = "", why[256] = "";

	if (c->partition != 0)
		(void)fmt_snprintf(part, sizeof(part), "partition %u: ", (unsigned)c->partition);
	switch (c->refusal) {
	case VBLK_REFUSAL_TABLE:
		(void)fmt_snprintf(why, sizeof(why), "%s", gpt_error_text(c->gpt_error));
		break;
	case VBLK_REFUSAL_READ:
		(void)fmt_snprintf(why, sizeof(why),
				   "the device failed to read the partition table");
		break;
	case VBLK_REFUSAL_OVERLAP:
		(void)fmt_snprintf(why, sizeof(why),
				   "sectors %llu to %llu share sectors with client %u, %.*s (%llu "
				   "to %llu), and parts may overlap only when both are read-only",
				   (unsigned long long)c->first_sector,
				   (unsigned long long)(c->first_sector + c->sector_count - 1),
				   (unsigned)c->overlaps, BLK_NAME_MAX,
				   boot->clients[c->overlaps].name,
				   (unsigned long long)o->first_sector,
				   (unsigned long long)(o->first_sector + o->sector_count - 1));
		break;
	case VBLK_REFUSAL_CHANGED:
		(void)fmt_snprintf(
			why, sizeof(why),
			"is now %llu sectors from sector %llu, not the part the driver's "
			"last instance gave the client (the partition table changed)",
			(unsigned long long)c->sector_count, (unsigned long long)c->first_sector);
		break;
	case VBLK_REFUSAL_NONE:
		break;
	}
	/* One printf per line: the console keeps lines whole, not parts of them. */
	printf("drv %.*s: %.*s: %s%s; refusing the client, which has 0 sectors\n", BLK_NAME_MAX,
	       boot->name, BLK_NAME_MAX, boot->clients[i].name, part, why);
}

static void print_clients(const struct blk_boot *boot, const struct vblk *d)
{
	if (d->gpt.entry_count != 0)
		printf("drv %.*s: GPT: %u entries of %u bytes from sector %llu\n", BLK_NAME_MAX,
		       boot->name, (unsigned)d->gpt.entry_count, (unsigned)d->gpt.entry_size,
		       (unsigned long long)d->gpt.entries_sector);
	for (uint32_t i = 0; i < d->client_count; i++) {
		const struct blk_boot_client *b = &boot->clients[i];
		const struct vblk_client *c = &d->clients[i];

		if (c->refusal != VBLK_REFUSAL_NONE) {
			print_refusal(boot, d, i);
			continue;
		}
		char suffix[32] = "";

		if (c->partition != 0)
			(void)fmt_snprintf(suffix, sizeof(suffix), ", partition %u",
					   (unsigned)c->partition);
		else if (c->sector_count < b->sector_count)
			(void)fmt_snprintf(suffix, sizeof(suffix), ", cut to the disk's end");
		/* One printf per line: the console keeps lines whole, not parts of them. */
		printf("drv %.*s: client %u, %.*s: %llu MiB (%llu sectors) from sector %llu, "
		       "%s%s\n",
		       BLK_NAME_MAX, boot->name, (unsigned)i, BLK_NAME_MAX, b->name,
		       (unsigned long long)(c->sector_count / MIB_SECTORS),
		       (unsigned long long)c->sector_count, (unsigned long long)c->first_sector,
		       c->is_read_only ? "read-only" : "read-write", suffix);
	}
}

/* The driver's figures so far, into every client's slot-table page (<mica/proto/blk.h>). */
static void publish_stats(const struct blk_boot *boot, const struct vblk *d,
			  const struct mica_work *w)
{
	for (uint32_t i = 0; i < d->client_count; i++) {
		struct blk_stats *s = (struct blk_stats *)(uintptr_t)(boot->clients[i].region_va +
								      BLK_STATS_OFFSET);

		__atomic_store_n(&s->completed, d->completed, __ATOMIC_RELAXED);
		__atomic_store_n(&s->spans, w->spans, __ATOMIC_RELAXED);
		__atomic_store_n(&s->cycles, w->cycles, __ATOMIC_RELAXED);
	}
}

/*
 * The testing aid crash_after (<mica/proto/blk.h>): the first instance
 * faults once the device has finished that many requests, after their
 * slots are DONE and before their clients hear of it, which the next
 * instance must make up for.
 */
static void crash_if_asked(const struct blk_boot *boot, const struct vblk *d)
{
	if (boot->crash_after == 0 || boot->restarts != 0 || d->completed < boot->crash_after)
		return;
	printf("drv %.*s: crashing on purpose after %llu requests (crash-after)\n", BLK_NAME_MAX,
	       boot->name, (unsigned long long)d->completed);
	__asm__ volatile("udf #0"); /* An undefined instruction: a fault. */
}

int main(uint64_t boot_va)
{
	static struct vblk disk;
	const struct blk_boot *boot = (const struct blk_boot *)(uintptr_t)boot_va;
	struct vdrv_bus bus = {.read = mmio_read, .write = mmio_write, .dma_barrier = dma_barrier};
	struct mica_work work = {0}; /* Each wake-up's work, for the clients' figures. */
	enum vdrv_error err;
	uint32_t signals;

	if (boot->magic != BLK_BOOT_MAGIC) {
		printf("drv: no valid boot page at 0x%llx\n", (unsigned long long)boot_va);
		return 1;
	}
	bus.ctx = (void *)(uintptr_t)boot->device_va;
	err = vblk_init(&disk, boot, &bus);
	if (err != VDRV_OK) {
		printf("drv %.*s: the device at 0x%08llx: %s\n", BLK_NAME_MAX, boot->name,
		       (unsigned long long)boot->device_pa, vblk_init_error_text(err));
		/* A client waiting for its partition's size would wait for ever. */
		signal_clients(vblk_fail_windows(boot));
		return 1;
	}
	printf("drv %.*s: virtio-blk at 0x%08llx, %llu MiB (%llu sectors), %s, %u clients\n",
	       BLK_NAME_MAX, boot->name, (unsigned long long)boot->device_pa,
	       (unsigned long long)(disk.capacity / MIB_SECTORS), (unsigned long long)disk.capacity,
	       disk.has_flush ? "flush" : "no write cache", (unsigned)disk.client_count);
	if (boot->restarts != 0)
		printf("drv %.*s: restart %u: the device reset, every submitted request taken "
		       "afresh\n",
		       BLK_NAME_MAX, boot->name, (unsigned)boot->restarts);

	/*
	 * A last instance may have ended between the interrupt's delivery and
	 * its acknowledgement, which would leave the line disabled for good.
	 */
	(void)mica_irq_handler_ack(BLK_CAP_IRQ);
	/*
	 * Every client: a last instance may have finished slots it did not
	 * tell of. Clients of partitions hear again once their windows are
	 * written, when the partition table has been read.
	 */
	signals = vblk_start(&disk);
	signal_clients(signals | vblk_serve_all(&disk) | ((UINT32_C(1) << disk.client_count) - 1));
	if (disk.phase == VBLK_SERVING)
		print_clients(boot, &disk);
	for (;;) {
		struct mica_msg m = mica_wait(BLK_CAP_NTFN);

		mica_work_begin(&work);
		if (m.err != MICA_OK) {
			printf("drv %.*s: cannot wait on the notification (%s)\n", BLK_NAME_MAX,
			       boot->name, mica_error_text(m.err));
			return 1;
		}
		signals = 0;
		/* After an interrupt every client is scanned: descriptors came free. */
		if ((m.badge & BLK_NTFN_DEVICE) != 0) {
			bool was_serving = disk.phase == VBLK_SERVING;

			signals = vblk_interrupt(&disk);
			if (!was_serving && disk.phase == VBLK_SERVING)
				print_clients(boot, &disk);
			crash_if_asked(boot, &disk);
			(void)mica_irq_handler_ack(BLK_CAP_IRQ);
		} else {
			for (uint32_t i = 0; i < disk.client_count; i++)
				if ((m.badge & BLK_NTFN_CLIENT(i)) != 0)
					signals |= vblk_serve_client(&disk, i);
		}
		signal_clients(signals);
		mica_work_end(&work);
		publish_stats(boot, &disk, &work);
	}
}
