/*
 * The virtio-blk driver's partition table (virtio_blk_drv.h): before it
 * serves anyone, the driver reads the disk's GUID partition table through
 * its own queue, one read at a time, finds each client's partition in it,
 * refuses the parts that clash, and writes every client's window. Pure
 * logic, as the rest of the driver: it reads the table in the DMA region.
 */
#include <stdint.h>

#include "virtio_blk_drv.h"
#include "virtio_blk_parts.h"

/* The next piece of the entry array, at its place in the own buffer. */
static void read_entries(struct vblk *d)
{
	uint32_t piece = (uint32_t)min_u64(VBLK_OWN_PIECE, d->own_bytes - d->own_done);

	vblk_read_own(d, d->gpt.entries_sector + d->own_done / BLK_SECTOR_SIZE, d->own_done, piece);
}

static uint32_t all_clients(const struct vblk *d)
{
	return (UINT32_C(1) << d->client_count) - 1;
}

/* Client c's partition from the table read, or why it has none. */
static void find_partition(struct vblk *d, struct vblk_client *c)
{
	struct gpt_window w;

	if (c->partition == 0)
		return;
	if (d->table_refusal != VBLK_REFUSAL_NONE) {
		c->refusal = d->table_refusal;
		c->gpt_error = d->gpt_error;
		return;
	}
	c->gpt_error = gpt_find_partition(&d->gpt, d->own, c->partition, d->capacity, &w);
	if (c->gpt_error != GPT_OK) {
		c->refusal = VBLK_REFUSAL_TABLE;
		return;
	}
	c->first_sector = w.first_sector;
	c->sector_count = w.sectors;
}

/*
 * Whether a and b share a sector and may not: not both read-only. Each
 * part lies on the disk (take_clients, gpt_find_partition), so the ends
 * do not overflow.
 */
static bool is_clash(const struct vblk_client *a, const struct vblk_client *b)
{
	return a->sector_count != 0 && b->sector_count != 0 &&
	       !(a->is_read_only && b->is_read_only) &&
	       a->first_sector < b->first_sector + b->sector_count &&
	       b->first_sector < a->first_sector + a->sector_count;
}

/*
 * Refuse client i, a partition, if it clashes with a client not refused:
 * a range (the system description kept ranges apart, and their clients
 * know their sizes already) or an earlier partition.
 */
static void check_clashes(struct vblk *d, uint32_t i)
{
	struct vblk_client *c = &d->clients[i];

	if (c->partition == 0 || c->refusal != VBLK_REFUSAL_NONE)
		return;
	for (uint32_t o = 0; o < d->client_count; o++) {
		const struct vblk_client *other = &d->clients[o];

		if (o == i || other->refusal != VBLK_REFUSAL_NONE ||
		    (other->partition != 0 && o > i))
			continue;
		if (is_clash(c, other)) {
			c->refusal = VBLK_REFUSAL_OVERLAP;
			c->overlaps = o;
			return;
		}
	}
}

/*
 * Write c's window for its client, unless a last instance wrote one: the
 * client took its size from that, and its disk must not change under it,
 * so if the part is not the same now the client is refused instead, and
 * the window left as it is.
 */
static void write_window(struct vblk_client *c)
{
	struct blk_window *w = &c->table->window;
	bool is_ready = c->refusal == VBLK_REFUSAL_NONE;
	uint64_t first = is_ready ? c->first_sector : 0, sectors = is_ready ? c->sector_count : 0;
	uint32_t state = is_ready ? BLK_WINDOW_READY : BLK_WINDOW_FAILED;
	uint32_t was = __atomic_load_n(&w->state, __ATOMIC_ACQUIRE);

	if (was != BLK_WINDOW_PENDING) {
		if (is_ready &&
		    (was != state || __atomic_load_n(&w->first_sector, __ATOMIC_RELAXED) != first ||
		     __atomic_load_n(&w->sectors, __ATOMIC_RELAXED) != sectors))
			c->refusal = VBLK_REFUSAL_CHANGED;
		return;
	}
	__atomic_store_n(&w->partition, c->partition, __ATOMIC_RELAXED);
	__atomic_store_n(&w->first_sector, first, __ATOMIC_RELAXED);
	__atomic_store_n(&w->sectors, sectors, __ATOMIC_RELAXED);
	__atomic_store_n(&w->state, state, __ATOMIC_RELEASE);
}

/* Every client's part, from the table read (or not): write the windows and serve. */
static uint32_t resolve(struct vblk *d)
{
	for (uint32_t i = 0; i < d->client_count; i++)
		find_partition(d, &d->clients[i]);
	for (uint32_t i = 0; i < d->client_count; i++)
		check_clashes(d, i);
	for (uint32_t i = 0; i < d->client_count; i++)
		write_window(&d->clients[i]);
	d->phase = VBLK_SERVING;
	return all_clients(d);
}

uint32_t vblk_own_read_done(struct vblk *d)
{
	if (d->phase == VBLK_SERVING)
		return 0;
	if (!d->is_own_ok) {
		d->table_refusal = VBLK_REFUSAL_READ;
		return resolve(d);
	}
	if (d->phase == VBLK_READING_HEADER) {
		d->gpt_error = gpt_read_header(d->own, d->capacity, &d->gpt);
		if (d->gpt_error != GPT_OK) {
			d->table_refusal = VBLK_REFUSAL_TABLE;
			return resolve(d);
		}
		d->own_bytes = (gpt_entries_bytes(&d->gpt) + BLK_SECTOR_SIZE - 1) /
			       BLK_SECTOR_SIZE * BLK_SECTOR_SIZE;
		d->own_done = 0;
		d->phase = VBLK_READING_ENTRIES;
		read_entries(d);
		return 0;
	}
	d->own_done += d->own_piece;
	if (d->own_done < d->own_bytes) {
		read_entries(d);
		return 0;
	}
	d->gpt_error = gpt_check_entries(&d->gpt, d->own);
	if (d->gpt_error != GPT_OK)
		d->table_refusal = VBLK_REFUSAL_TABLE;
	return resolve(d);
}

uint32_t vblk_start(struct vblk *d)
{
	for (uint32_t i = 0; i < d->client_count; i++) {
		if (d->clients[i].partition != 0) {
			d->phase = VBLK_READING_HEADER;
			vblk_read_own(d, GPT_HEADER_SECTOR, 0, GPT_SECTOR_SIZE);
			return 0;
		}
	}
	return resolve(d);
}

uint32_t vblk_fail_windows(const struct blk_boot *boot)
{
	uint32_t count = (uint32_t)min_u64(boot->client_count, BLK_MAX_CLIENTS), signals = 0;

	for (uint32_t i = 0; i < count; i++) {
		struct blk_table *t = (struct blk_table *)(uintptr_t)boot->clients[i].region_va;
		uint32_t expected = BLK_WINDOW_PENDING;

		if (__atomic_compare_exchange_n(&t->window.state, &expected, BLK_WINDOW_FAILED,
						false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			signals |= UINT32_C(1) << i;
	}
	return signals;
}
