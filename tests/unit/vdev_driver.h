/*
 * A fake virtio driver for the unit tests of servers/vdev: guest RAM as a
 * host buffer, the virtio-mmio handshake through register writes, and
 * descriptor chains laid out as a driver would. Offsets and bits are
 * written out as virtio 1.2 numbers them, not taken from virtio.h.
 */
#ifndef MICA_TEST_VDEV_DRIVER_H
#define MICA_TEST_VDEV_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "virtio.h"

#define RAM_IPA	 UINT64_C(0x40000000)
#define RAM_SIZE 0x40000u
#define DATA_IPA (RAM_IPA + 0x10000u) /* Buffers; rings live below. */

_Alignas(4096) static uint8_t drv_ram[RAM_SIZE];

struct seg {
	uint64_t ipa;
	uint32_t len;
	bool is_write;
};

struct driver {
	struct virtio_mmio *v;
	uint16_t num;
	uint16_t avail_idx[2];
	uint16_t next_desc[2];
	uint16_t used_seen[2];
	uint64_t data_next;
};

static inline struct guest_mem drv_mem(void)
{
	return (struct guest_mem){.ipa_base = RAM_IPA, .size = RAM_SIZE, .host = drv_ram};
}

static inline uint8_t *drv_host(uint64_t ipa)
{
	return drv_ram + (ipa - RAM_IPA);
}

/* Where queue q's rings are. */
static inline uint64_t drv_desc(unsigned q)
{
	return RAM_IPA + (uint64_t)q * 0x4000u;
}

static inline uint64_t drv_avail(unsigned q)
{
	return drv_desc(q) + 0x1000u;
}

static inline uint64_t drv_used(unsigned q)
{
	return drv_desc(q) + 0x2000u;
}

static inline void drv_write(struct driver *d, uint64_t off, uint32_t value)
{
	assert_int_equal(virtio_mmio_write(d->v, off, 4, value), MICA_OK);
}

static inline uint32_t drv_read(struct driver *d, uint64_t off)
{
	uint64_t value = 0xdeadbeef;

	assert_int_equal(virtio_mmio_read(d->v, off, 4, &value), MICA_OK);
	return (uint32_t)value;
}

static inline void drv_reset_ram(struct driver *d, struct virtio_mmio *v)
{
	memset(drv_ram, 0, sizeof(drv_ram));
	memset(d, 0, sizeof(*d));
	d->v = v;
	d->num = 8;
	d->data_next = DATA_IPA;
}

/* Point queue q at its rings and make it ready. */
static inline void drv_queue(struct driver *d, unsigned q)
{
	drv_write(d, 0x030, q);
	drv_write(d, 0x038, d->num);
	drv_write(d, 0x080, (uint32_t)drv_desc(q));
	drv_write(d, 0x084, (uint32_t)(drv_desc(q) >> 32));
	drv_write(d, 0x090, (uint32_t)drv_avail(q));
	drv_write(d, 0x094, 0);
	drv_write(d, 0x0a0, (uint32_t)drv_used(q));
	drv_write(d, 0x0a4, 0);
	drv_write(d, 0x044, 1);
}

/* The driver's initialisation (§3.1.1) accepting features, with queue_count queues. */
static inline void drv_start(struct driver *d, uint64_t features, unsigned queue_count)
{
	drv_write(d, 0x070, 0);
	drv_write(d, 0x070, 1);
	drv_write(d, 0x070, 3);
	drv_write(d, 0x024, 0);
	drv_write(d, 0x020, (uint32_t)features);
	drv_write(d, 0x024, 1);
	drv_write(d, 0x020, (uint32_t)(features >> 32));
	drv_write(d, 0x070, 11);
	assert_int_equal(drv_read(d, 0x070), 11);
	for (unsigned q = 0; q < queue_count; q++)
		drv_queue(d, q);
	drv_write(d, 0x070, 15);
}

static inline uint64_t drv_alloc(struct driver *d, uint32_t len)
{
	uint64_t ipa = d->data_next;

	d->data_next += (len + 15u) & ~15u;
	assert_true(d->data_next <= RAM_IPA + RAM_SIZE);
	return ipa;
}

static inline void put16(uint64_t ipa, uint16_t v)
{
	memcpy(drv_host(ipa), &v, 2);
}

static inline void put_desc(unsigned q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
			    uint16_t next)
{
	uint8_t *p = drv_host(drv_desc(q) + 16u * (uint64_t)i);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* Make head available on queue q. */
static inline void drv_kick_head(struct driver *d, unsigned q, uint16_t head)
{
	put16(drv_avail(q) + 4 + 2u * (uint64_t)(d->avail_idx[q] % d->num), head);
	d->avail_idx[q]++;
	put16(drv_avail(q) + 2, d->avail_idx[q]);
}

/* Lay out a chain of n segments in fresh descriptors and make it available; returns its head. */
static inline uint16_t drv_add(struct driver *d, unsigned q, const struct seg *segs, unsigned n)
{
	uint16_t head = d->next_desc[q];

	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % d->num);
		uint16_t next = (uint16_t)((head + i + 1) % d->num);
		uint16_t flags = (uint16_t)((segs[i].is_write ? 2 : 0) | (i + 1 < n ? 1 : 0));

		put_desc(q, idx, segs[i].ipa, segs[i].len, flags, next);
	}
	d->next_desc[q] = (uint16_t)((head + n) % d->num);
	drv_kick_head(d, q, head);
	return head;
}

/* The used idx of queue q, as the driver sees it. */
static inline uint16_t drv_used_idx(unsigned q)
{
	uint16_t idx;

	memcpy(&idx, drv_host(drv_used(q) + 2), 2);
	return idx;
}

/* The next used element of queue q, if the device published one. */
static inline bool drv_take_used(struct driver *d, unsigned q, uint32_t *id, uint32_t *len)
{
	uint16_t idx;
	const uint8_t *e;

	*id = 0;
	*len = 0;
	memcpy(&idx, drv_host(drv_used(q) + 2), 2);
	if (idx == d->used_seen[q])
		return false;
	e = drv_host(drv_used(q) + 4 + 8u * (uint64_t)(d->used_seen[q] % d->num));
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	d->used_seen[q]++;
	return true;
}

#endif
