/*
 * Unit tests for servers/drv/virtio_blk_drv.c: the driver against a fake
 * virtio-mmio version 2 block device in host memory, serving two clients'
 * slot tables (three in one test). Each client has its own fake guest RAM,
 * at physical addresses of its own, which its RAM map in the boot page
 * names as two runs: adjacent in the guest, apart physically. The fake
 * follows descriptor chains and indirect tables as a real device does
 * (virtio 1.2 §2.7.5.3), reaches the driver's DMA region and the guests'
 * RAM by physical address, and fails the test if given any other address.
 * It does what the avail ring says when notified, or, deferred, when a
 * test says so and in the order it says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "virtio_blk_drv.h"

#define DISK_SECTORS UINT64_C(1024)
#define PART0_FIRST  UINT64_C(0)
#define PART0_COUNT  UINT64_C(512)
#define PART1_FIRST  UINT64_C(512)
#define PART1_COUNT  UINT64_C(256) /* The last 256 sectors are nobody's. */
#define CLIENTS	     2u
#define REGIONS	     3u /* One more, for a third client. */
#define DMA_PA	     UINT64_C(0x10000000)
#define DEVICE_PA    UINT64_C(0x0a003e00)

/*
 * Client c's guest RAM: RAM_SIZE bytes from guest-physical GUEST_IPA(c),
 * in two runs of RUN_SIZE. Run 1 follows run 0 in the guest, but lies
 * physically below it, with a gap between: a request that crosses from
 * one to the other must be split to reach both.
 */
#define RUN_SIZE     UINT64_C(0x40000)
#define RAM_SIZE     (2 * RUN_SIZE)
#define GUEST_IPA(c) (UINT64_C(0x40000000) + (c)*UINT64_C(0x1000000))
#define RAM_PA(c)    (UINT64_C(0x880000000) + (c)*UINT64_C(0x1000000))
#define RUN_PA(c, r) (RAM_PA(c) + (1 - (r)) * UINT64_C(0x100000)) /* Run 0 is 1 MiB above. */
#define SLOT_SPAN    UINT64_C(0x8000) /* Where submit() puts slot s's data: s * SLOT_SPAN. */

#define VERSION_1     (UINT64_C(1) << 32)
#define FLUSH	      (UINT64_C(1) << 9)
#define INDIRECT_DESC (UINT64_C(1) << 28)
/* Features the driver must not accept: BLK_SIZE, EVENT_IDX. */
#define UNWANTED ((UINT64_C(1) << 6) | (UINT64_C(1) << 29))

#define DESC_F_NEXT	1u
#define DESC_F_WRITE	2u
#define DESC_F_INDIRECT 4u
/*
 * The longest chain the fake takes, whatever the queue's size: QEMU's
 * VIRTQUEUE_MAX_SIZE, which bounds the descriptors of an indirect table.
 */
#define CHAIN_MAX	   1024u
#define STATUS_FEATURES_OK 8u
#define STATUS_DRIVER_OK   4u
#define STATUS_FAILED	   0x80u

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct used_elem {
	uint32_t id;
	uint32_t len;
};

/* The fake device: what it is, its registers, its queue, and what it did. */
static struct {
	uint32_t magic, version, device_id, queue_num_max;
	uint64_t offered;
	uint32_t status, device_features_sel, driver_features_sel, queue_num, queue_ready;
	uint32_t interrupt_status;
	uint64_t accepted, desc_pa, avail_pa, used_pa;
	uint16_t last_avail, used_idx;
	uint16_t pending[256]; /* Heads taken from the avail ring, not yet done (deferred). */
	unsigned pending_count;
	bool is_deferred, fails_next;
	unsigned resets, notifies, reads, writes, flushes, requests_by_client[REGIONS];
	uint8_t disk[DISK_SECTORS * BLK_SECTOR_SIZE];
} dev;

static _Alignas(4096) uint8_t dma[BLK_DMA_SIZE];
static _Alignas(4096) uint8_t regions[REGIONS][BLK_REGION_SIZE]; /* The driver's only. */
static _Alignas(4096) uint8_t guest[REGIONS][RAM_SIZE];		 /* Run 0, then run 1. */
static uint8_t ram_expected[REGIONS][RAM_SIZE];			 /* What guest should hold. */
static uint8_t pristine[DISK_SECTORS * BLK_SECTOR_SIZE]; /* The disk as setup() leaves it. */
static struct blk_boot boot;
static struct vblk drv;

/* Whether [pa, pa + len) lies in [base, base + size), written so that nothing wraps. */
static bool is_within(uint64_t pa, uint64_t len, uint64_t base, uint64_t size)
{
	return pa >= base && pa - base <= size && len <= size - (pa - base);
}

/* The client whose guest RAM holds physical pa, or -1 if none's does. */
static int owner(uint64_t pa)
{
	for (unsigned c = 0; c < REGIONS; c++)
		for (unsigned r = 0; r < 2; r++)
			if (is_within(pa, 1, RUN_PA(c, r), RUN_SIZE))
				return (int)c;
	return -1;
}

/*
 * The host memory at physical [pa, pa + len): the DMA region or one run
 * of a client's guest RAM, nothing else.
 */
static uint8_t *host(uint64_t pa, uint64_t len)
{
	if (is_within(pa, len, DMA_PA, BLK_DMA_SIZE))
		return dma + (pa - DMA_PA);
	for (unsigned c = 0; c < REGIONS; c++)
		for (unsigned r = 0; r < 2; r++)
			if (is_within(pa, len, RUN_PA(c, r), RUN_SIZE))
				return guest[c] + r * RUN_SIZE + (pa - RUN_PA(c, r));
	fail_msg("the device was given 0x%llx, %llu bytes: nobody's memory", (unsigned long long)pa,
		 (unsigned long long)len);
	return NULL;
}

static void push_used(uint32_t id, uint32_t len)
{
	uint8_t *used = host(dev.used_pa, 4 + sizeof(struct used_elem) * dev.queue_num);
	struct used_elem *ring = (struct used_elem *)(void *)(used + 4);

	ring[dev.used_idx % dev.queue_num] = (struct used_elem){id, len};
	dev.used_idx++;
	__atomic_store_n((uint16_t *)(void *)(used + 2), dev.used_idx, __ATOMIC_RELEASE);
	dev.interrupt_status |= 1;
}

/*
 * The chain at head as a device reads it (virtio 1.2 §2.7.5.3): ring
 * descriptors linked by NEXT, the last of which may instead name an
 * indirect table, whose descriptors from index 0, linked by NEXT and
 * indexed in the table, are the rest of the chain. Into chain; returns
 * how many.
 */
static unsigned walk(uint16_t head, struct desc *chain)
{
	const struct desc *table = (const struct desc *)(const void *)host(
		dev.desc_pa, sizeof(struct desc) * dev.queue_num);
	uint32_t size = dev.queue_num, i = head, steps = 0;
	bool is_in_table = false;
	unsigned n = 0;

	for (;;) {
		struct desc d;

		/* An index past the table, or more steps than it has descriptors: a loop. */
		assert_true(i < size && steps++ < size);
		d = table[i];
		if ((d.flags & DESC_F_INDIRECT) != 0) {
			/* §2.7.5.3.1: negotiated, no table in a table, and no NEXT with it. */
			assert_true((dev.accepted & INDIRECT_DESC) != 0);
			assert_false(is_in_table);
			assert_int_equal(d.flags & DESC_F_NEXT, 0);
			assert_true(d.len != 0 && d.len % sizeof(struct desc) == 0);
			/* In the driver's memory: a guest could rewrite a table in its RAM. */
			assert_true(is_within(d.addr, d.len, DMA_PA, BLK_DMA_SIZE));
			table = (const struct desc *)(const void *)host(d.addr, d.len);
			size = d.len / sizeof(struct desc);
			i = steps = 0;
			is_in_table = true;
			continue;
		}
		assert_true(n < CHAIN_MAX);
		chain[n++] = d;
		if ((d.flags & DESC_F_NEXT) == 0)
			return n;
		i = d.next;
	}
}

/* Move a read's or write's data, piece by piece, between the disk at offset and memory. */
static void move_data(uint32_t type, uint64_t offset, const struct desc *data, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (type == 0)
			memcpy(host(data[i].addr, data[i].len), dev.disk + offset, data[i].len);
		else
			memcpy(dev.disk + offset, host(data[i].addr, data[i].len), data[i].len);
		offset += data[i].len;
	}
}

/* Do the request whose chain starts at head, as virtio 1.2 §5.2.6 says, and use it. */
static void execute(uint16_t head)
{
	static struct desc chain[CHAIN_MAX];
	unsigned n = walk(head, chain);
	const struct desc *data = &chain[1];
	uint32_t type, written = 1;
	uint64_t sector, total = 0;
	uint8_t status = 0;

	assert_true(n >= 2);
	assert_int_equal(chain[0].len, 16);
	assert_int_equal(chain[0].flags & DESC_F_WRITE, 0);
	assert_int_equal(chain[n - 1].len, 1);
	assert_int_equal(chain[n - 1].flags & DESC_F_WRITE, DESC_F_WRITE);
	memcpy(&type, host(chain[0].addr, 16), 4);
	memcpy(&sector, host(chain[0].addr, 16) + 8, 8);

	if (type == 4) {
		assert_int_equal(n, 2);
		dev.flushes++;
	} else {
		assert_true(n >= 3);
		for (unsigned i = 0; i < n - 2; i++) {
			assert_int_equal(data[i].flags & DESC_F_WRITE,
					 type == 0 ? DESC_F_WRITE : 0);
			total += data[i].len;
		}
		if (owner(data[0].addr) >= 0) /* Not the driver's own read. */
			dev.requests_by_client[owner(data[0].addr)]++;
		if (sector >= DISK_SECTORS || total % BLK_SECTOR_SIZE != 0 ||
		    total > sizeof(dev.disk) - sector * BLK_SECTOR_SIZE)
			status = 1;
		else
			move_data(type, sector * BLK_SECTOR_SIZE, data, n - 2);
		dev.reads += type == 0;
		dev.writes += type == 1;
		written += type == 0 ? (uint32_t)total : 0;
	}
	if (dev.fails_next) {
		dev.fails_next = false;
		status = 1;
	}
	*host(chain[n - 1].addr, 1) = status;
	push_used(head, written);
}

/* Take what the driver has made available. */
static void collect(void)
{
	const uint8_t *avail = host(dev.avail_pa, 4 + 2 * dev.queue_num);
	uint16_t idx =
		__atomic_load_n((const uint16_t *)(const void *)(avail + 2), __ATOMIC_ACQUIRE);

	for (; dev.last_avail != idx; dev.last_avail++) {
		uint16_t head;

		memcpy(&head, avail + 4 + 2 * (size_t)(dev.last_avail % dev.queue_num), 2);
		dev.pending[dev.pending_count++] = head;
	}
}

/* Do the deferred requests, the i-th as the (i * stride % n)-th taken: stride n - 1 reverses. */
static void complete_pending(unsigned stride)
{
	unsigned n = dev.pending_count;

	for (unsigned i = 0; i < n; i++)
		execute(dev.pending[i * stride % n]);
	dev.pending_count = 0;
}

static void reset_device(void)
{
	dev.status = dev.device_features_sel = dev.driver_features_sel = 0;
	dev.queue_num = dev.queue_ready = dev.interrupt_status = 0;
	dev.accepted = dev.desc_pa = dev.avail_pa = dev.used_pa = 0;
	dev.last_avail = dev.used_idx = 0;
	dev.pending_count = 0;
	dev.resets++;
}

static uint32_t fake_read(void *ctx, uint32_t offset)
{
	switch (offset) {
	case 0x000:
		return dev.magic;
	case 0x004:
		return dev.version;
	case 0x008:
		return dev.device_id;
	case 0x010:
		return dev.device_features_sel > 1
			       ? 0
			       : (uint32_t)(dev.offered >> (32 * dev.device_features_sel));
	case 0x034:
		return dev.queue_num_max;
	case 0x044:
		return dev.queue_ready;
	case 0x060:
		return dev.interrupt_status;
	case 0x070:
		return dev.status;
	case 0x0fc:
		return 0;
	case 0x100:
		return DISK_SECTORS;
	case 0x104:
		return 0;
	default:
		fail_msg("the driver read register 0x%x", offset);
		return 0;
	}
}

static void set_status(uint32_t value)
{
	bool is_acceptable = (dev.accepted & ~dev.offered) == 0 && (dev.accepted & VERSION_1) != 0;

	if (value == 0) {
		reset_device();
		return;
	}
	if ((value & STATUS_FEATURES_OK) != 0 && !is_acceptable)
		value &= ~STATUS_FEATURES_OK;
	dev.status = value;
}

static void fake_write(void *ctx, uint32_t offset, uint32_t value)
{
	uint64_t *address = NULL;

	switch (offset) {
	case 0x014:
		dev.device_features_sel = value;
		return;
	case 0x024:
		dev.driver_features_sel = value;
		return;
	case 0x020:
		assert_true(dev.driver_features_sel <= 1);
		dev.accepted |= (uint64_t)value << (32 * dev.driver_features_sel);
		return;
	case 0x030:
		assert_int_equal(value, 0);
		return;
	case 0x038:
		dev.queue_num = value;
		return;
	case 0x044:
		dev.queue_ready = value;
		return;
	case 0x050:
		assert_true((dev.status & STATUS_DRIVER_OK) != 0 && dev.queue_ready == 1);
		dev.notifies++;
		collect();
		if (!dev.is_deferred)
			complete_pending(1);
		return;
	case 0x064:
		dev.interrupt_status &= ~value;
		return;
	case 0x070:
		set_status(value);
		return;
	case 0x080:
	case 0x084:
		address = &dev.desc_pa;
		break;
	case 0x090:
	case 0x094:
		address = &dev.avail_pa;
		break;
	case 0x0a0:
	case 0x0a4:
		address = &dev.used_pa;
		break;
	default:
		fail_msg("the driver wrote register 0x%x", offset);
		return;
	}
	if ((offset & 4) == 0)
		*address = (*address & ~UINT64_C(0xffffffff)) | value;
	else
		*address = (*address & UINT64_C(0xffffffff)) | (uint64_t)value << 32;
}

static void fake_barrier(void *ctx)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint32_t start_signals; /* What vblk_start returned. */

/* The driver's start: vblk_init, then (if that succeeds) vblk_start. */
static enum vdrv_error start(void)
{
	const struct vdrv_bus bus = {
		.read = fake_read, .write = fake_write, .dma_barrier = fake_barrier};
	enum vdrv_error err = vblk_init(&drv, &boot, &bus);

	start_signals = err == VDRV_OK ? vblk_start(&drv) : 0;
	return err;
}

/*
 * Client c's part is now count sectors from first, its guest RAM map the
 * two runs, and no driver has told it of another part.
 */
static void set_client(unsigned c, uint64_t first, uint64_t count)
{
	boot.clients[c] = (struct blk_boot_client){
		.region_va = (uintptr_t)regions[c],
		.first_sector = first,
		.sector_count = count,
		.ram_run_count = 2,
		.ram = {{.ipa = GUEST_IPA(c), .pa = RUN_PA(c, 0), .size = RUN_SIZE},
			{.ipa = GUEST_IPA(c) + RUN_SIZE, .pa = RUN_PA(c, 1), .size = RUN_SIZE}},
	};
	memset(&((struct blk_table *)(void *)regions[c])->window, 0, sizeof(struct blk_window));
}

static int setup(void **state)
{
	memset(&dev, 0, sizeof(dev));
	dev.magic = 0x74726976;
	dev.version = 2;
	dev.device_id = 2;
	dev.queue_num_max = 256;
	dev.offered = VERSION_1 | INDIRECT_DESC | FLUSH | UNWANTED;
	for (size_t i = 0; i < sizeof(dev.disk); i++)
		dev.disk[i] = (uint8_t)(i / BLK_SECTOR_SIZE * 3 + i % 7);
	memcpy(pristine, dev.disk, sizeof(pristine));
	memset(dma, 0x5c, sizeof(dma)); /* What a last instance might have left. */
	memset(regions, 0, sizeof(regions));
	memset(guest, 0, sizeof(guest));
	boot = (struct blk_boot){.magic = BLK_BOOT_MAGIC,
				 .device_pa = DEVICE_PA,
				 .dma_va = (uintptr_t)dma,
				 .dma_pa = DMA_PA,
				 .client_count = CLIENTS};
	set_client(0, PART0_FIRST, PART0_COUNT);
	set_client(1, PART1_FIRST, PART1_COUNT);
	assert_int_equal(start(), VDRV_OK);
	return 0;
}

static struct blk_slot *slot(unsigned c, unsigned s)
{
	return &((struct blk_table *)(void *)regions[c])->slots[s];
}

/* Slot s's segment list, in client c's region. */
static struct blk_seg *segs_of(unsigned c, unsigned s)
{
	return (struct blk_seg *)(void *)(regions[c] + BLK_SEGS_OFFSET + s * BLK_SEGS_SIZE);
}

/* The byte at offset in client c's guest RAM, which is guest-physical GUEST_IPA(c) + offset. */
static uint8_t *ram(unsigned c, uint64_t offset)
{
	return guest[c] + offset;
}

/* A segment of bytes at offset in client c's guest RAM. */
static struct blk_seg seg(unsigned c, uint64_t offset, uint32_t bytes)
{
	return (struct blk_seg){.addr = GUEST_IPA(c) + offset, .bytes = bytes};
}

/* Where submit() puts slot s's data. */
static uint8_t *buf(unsigned c, unsigned s)
{
	return ram(c, s * SLOT_SPAN);
}

static uint8_t *on_disk(uint64_t sector)
{
	return dev.disk + sector * BLK_SECTOR_SIZE;
}

/* Sector s as setup() left it. */
static const uint8_t *was(uint64_t sector)
{
	return pristine + sector * BLK_SECTOR_SIZE;
}

/*
 * The client's side: write slot s's segments, fill in the slot and hand
 * it to the driver. A count over BLK_SEGS_MAX is a misbehaving client's:
 * only BLK_SEGS_MAX segments are written.
 */
static void submit_segs(unsigned c, unsigned s, uint32_t op, uint64_t sector, uint32_t bytes,
			const struct blk_seg *list, uint32_t count)
{
	struct blk_slot *p = slot(c, s);

	memcpy(segs_of(c, s), list, sizeof(*list) * (count < BLK_SEGS_MAX ? count : BLK_SEGS_MAX));
	p->op = op;
	p->sector = sector;
	p->bytes = bytes;
	p->seg_count = count;
	p->status = 0xee;
	__atomic_store_n(&p->state, BLK_SLOT_SUBMITTED, __ATOMIC_RELEASE);
}

/* submit_segs with one segment, at buf(c, s); none for a flush. */
static void submit(unsigned c, unsigned s, uint32_t op, uint64_t sector, uint32_t bytes)
{
	const struct blk_seg one = seg(c, s * SLOT_SPAN, bytes);

	submit_segs(c, s, op, sector, bytes, &one, op == BLK_OP_FLUSH ? 0 : 1);
}

/* The device's interrupts until it is quiet, as the driver's loop takes them. */
static uint32_t drain(void)
{
	uint32_t signals = 0;

	for (unsigned i = 0; i < 100 && dev.interrupt_status != 0; i++)
		signals |= vblk_interrupt(&drv);
	assert_int_equal(dev.interrupt_status, 0);
	return signals;
}

/* Client c signals the driver, and the device does whatever it is given. */
static uint32_t run(unsigned c)
{
	uint32_t signals = vblk_serve_client(&drv, c);

	return signals | drain();
}

static void expect(unsigned c, unsigned s, enum blk_status status)
{
	assert_int_equal(__atomic_load_n(&slot(c, s)->state, __ATOMIC_ACQUIRE), BLK_SLOT_DONE);
	assert_int_equal(slot(c, s)->status, status);
}

static void expect_filled(const uint8_t *p, uint8_t byte, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != byte)
			fail_msg("byte %zu is 0x%x, not 0x%x", i, p[i], byte);
}

/*
 * Every client's guest RAM as it is now is what the test expects, until
 * it says what changes: expected(c, offset) is the byte that should be at
 * ram(c, offset), and expect_ram() checks all of them.
 */
static void remember_ram(void)
{
	memcpy(ram_expected, guest, sizeof(guest));
}

static uint8_t *expected(unsigned c, uint64_t offset)
{
	return ram_expected[c] + offset;
}

static void expect_ram(void)
{
	assert_memory_equal(guest, ram_expected, sizeof(guest));
}

/* A read of from's bytes into client c's segments list, and nothing else, is in guest RAM. */
static void expect_read_into(unsigned c, const struct blk_seg *list, uint32_t count,
			     const uint8_t *from)
{
	for (uint32_t i = 0; i < count; i++) {
		memcpy(expected(c, list[i].addr - GUEST_IPA(c)), from, list[i].bytes);
		from += list[i].bytes;
	}
	expect_ram();
}

static void test_init_accepts_only_version_1_indirect_and_flush_and_reads_the_capacity(void **state)
{
	assert_int_equal(dev.resets, 1);
	assert_int_equal(dev.accepted, VERSION_1 | INDIRECT_DESC | FLUSH);
	assert_int_equal(dev.status, 1 | 2 | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
	assert_int_equal(drv.capacity, DISK_SECTORS);
	assert_true(drv.has_flush);
	assert_int_equal(dev.queue_num, 256);
	assert_int_equal(dev.queue_ready, 1);
	assert_int_equal(dev.desc_pa, DMA_PA);

	/* A queue that is not a power of two in size is used as the next smaller one. */
	dev.queue_num_max = 100;
	assert_int_equal(start(), VDRV_OK);
	assert_int_equal(dev.queue_num, 64);
}

static void test_a_write_lands_in_the_clients_part_and_reads_back(void **state)
{
	memset(buf(1, 0), 0xa5, 1024);
	submit(1, 0, BLK_OP_WRITE, 2, 1024);
	assert_int_equal(run(1), 1u << 1);
	expect(1, 0, BLK_STATUS_OK);
	expect_filled(on_disk(PART1_FIRST + 2), 0xa5, 1024);
	assert_memory_equal(on_disk(PART1_FIRST + 1), was(PART1_FIRST + 1), 512);
	assert_memory_equal(on_disk(PART1_FIRST + 4), was(PART1_FIRST + 4), 512);

	submit(1, 1, BLK_OP_READ, 1, 1536);
	assert_int_equal(run(1), 1u << 1);
	expect(1, 1, BLK_STATUS_OK);
	assert_memory_equal(buf(1, 1), was(PART1_FIRST + 1), 512);
	expect_filled(buf(1, 1) + 512, 0xa5, 1024);
}

static void test_a_client_cannot_reach_outside_its_part(void **state)
{
	memset(buf(0, 0), 0x77, 1024);
	memset(buf(1, 0), 0x77, 1024);
	submit(0, 0, BLK_OP_WRITE, PART0_COUNT - 1, 1024); /* Its last sector and the next. */
	submit(0, 1, BLK_OP_READ, PART0_COUNT, 512);	   /* Client 1's first sector. */
	submit(1, 0, BLK_OP_WRITE, PART1_COUNT, 512);	   /* Nobody's. */
	submit(1, 1, BLK_OP_READ, UINT64_MAX, 1024);	   /* Wraps around. */
	submit(1, 2, BLK_OP_WRITE, UINT64_MAX - PART1_FIRST + 1, 512); /* Wraps to sector 0. */
	assert_int_equal(run(0) | run(1), 3);
	expect(0, 0, BLK_STATUS_IOERR);
	expect(0, 1, BLK_STATUS_IOERR);
	for (unsigned s = 0; s < 3; s++)
		expect(1, s, BLK_STATUS_IOERR);
	assert_int_equal(dev.notifies, 0);
	assert_memory_equal(dev.disk, pristine, sizeof(pristine));
	expect_filled(buf(0, 1), 0, 512);
	expect_filled(buf(1, 1), 0, 1024);

	/* Its own last sector is its own. */
	submit(1, 3, BLK_OP_WRITE, PART1_COUNT - 1, 512);
	assert_int_equal(run(1), 2);
	expect(1, 3, BLK_STATUS_OK);
	assert_memory_equal(on_disk(PART1_FIRST + PART1_COUNT), was(PART1_FIRST + PART1_COUNT),
			    512);
	assert_int_equal(on_disk(PART1_FIRST + PART1_COUNT - 1)[0], 0);
}

static void test_a_read_only_client_reads_but_cannot_write(void **state)
{
	boot.clients[1].is_read_only = 1;
	assert_int_equal(start(), VDRV_OK);
	submit(1, 0, BLK_OP_WRITE, 0, 512);
	submit(1, 1, BLK_OP_READ, 0, 512);
	submit(1, 2, BLK_OP_FLUSH, 0, 0);
	assert_int_equal(run(1), 2);
	expect(1, 0, BLK_STATUS_IOERR);
	expect(1, 1, BLK_STATUS_OK);
	expect(1, 2, BLK_STATUS_OK);
	assert_int_equal(dev.writes, 0);
	assert_memory_equal(dev.disk, pristine, sizeof(pristine));
	assert_memory_equal(buf(1, 1), was(PART1_FIRST), 512);
}

static void test_malformed_requests_are_ioerr_and_reach_no_device(void **state)
{
	submit(0, 0, BLK_OP_WRITE, 0, 100);
	submit(0, 1, BLK_OP_READ, 0, 0);
	submit(0, 2, BLK_OP_WRITE, 0, 0);
	submit(0, 3, BLK_OP_WRITE, 0, UINT32_MAX - 511); /* A multiple of 512, and huge. */
	submit(0, 4, 3, 0, 512);
	submit(0, 5, UINT32_MAX, 0, 512);
	submit(0, 6, BLK_OP_FLUSH, 0, 512);
	assert_int_equal(run(0), 1);
	for (unsigned s = 0; s < 7; s++)
		expect(0, s, BLK_STATUS_IOERR);
	assert_int_equal(dev.notifies, 0);
	assert_memory_equal(dev.disk, pristine, sizeof(pristine));
}

static void test_a_request_may_cover_its_whole_part_and_no_more(void **state)
{
	/* The whole part in one request, from one segment that crosses from run 0 into run 1. */
	const uint32_t bytes = (uint32_t)(PART0_COUNT * BLK_SECTOR_SIZE);
	const struct blk_seg whole = seg(0, RUN_SIZE / 2, bytes);
	const struct blk_seg more = seg(0, 0, bytes + BLK_SECTOR_SIZE);

	for (uint32_t i = 0; i < bytes; i++)
		*ram(0, RUN_SIZE / 2 + i) = (uint8_t)(i % 251);
	submit_segs(0, 0, BLK_OP_WRITE, 0, bytes, &whole, 1);
	assert_int_equal(run(0), 1);
	expect(0, 0, BLK_STATUS_OK);
	assert_memory_equal(on_disk(PART0_FIRST), ram(0, RUN_SIZE / 2), bytes);
	assert_memory_equal(on_disk(PART0_FIRST + PART0_COUNT), was(PART0_FIRST + PART0_COUNT),
			    BLK_SECTOR_SIZE);

	/* One sector more is past the part. */
	remember_ram();
	submit_segs(0, 1, BLK_OP_READ, 0, bytes + BLK_SECTOR_SIZE, &more, 1);
	assert_int_equal(run(0), 1);
	expect(0, 1, BLK_STATUS_IOERR);
	expect_ram();
}

static void test_rewriting_a_taken_slot_changes_nothing_the_device_does(void **state)
{
	struct blk_slot *p = slot(0, 0);

	dev.is_deferred = true;
	memset(buf(0, 0), 0x11, 512);
	submit(0, 0, BLK_OP_WRITE, 3, 512);
	assert_int_equal(vblk_serve_client(&drv, 0), 0);
	assert_int_equal(dev.pending_count, 1);

	p->op = BLK_OP_READ;
	p->sector = PART0_COUNT + 5;
	p->bytes = 2048;
	__atomic_store_n(&p->state, BLK_SLOT_SUBMITTED, __ATOMIC_RELEASE);
	assert_int_equal(vblk_serve_client(&drv, 0), 0);
	assert_int_equal(dev.pending_count, 1);
	assert_int_equal(p->state, BLK_SLOT_SUBMITTED);

	complete_pending(1);
	assert_int_equal(drain(), 1);
	expect(0, 0, BLK_STATUS_OK);
	assert_int_equal(dev.writes, 1);
	assert_int_equal(dev.reads, 0);
	expect_filled(on_disk(3), 0x11, 512);
	assert_memory_equal(on_disk(4), was(4), 512);
}

static void test_many_requests_in_flight_complete_out_of_order(void **state)
{
	dev.is_deferred = true;
	for (unsigned c = 0; c < CLIENTS; c++)
		for (unsigned s = 0; s < BLK_SLOTS; s++) {
			memset(buf(c, s), (int)(c * 16 + s + 1), 1024);
			submit(c, s, BLK_OP_WRITE, (uint64_t)s * 2, 1024);
		}
	assert_int_equal(vblk_serve_all(&drv), 0);
	assert_int_equal(dev.pending_count, 2 * BLK_SLOTS);
	assert_int_equal(dev.notifies, 1);
	complete_pending(2 * BLK_SLOTS - 1);
	assert_int_equal(drain(), 3);

	for (unsigned c = 0; c < CLIENTS; c++)
		for (unsigned s = 0; s < BLK_SLOTS; s++) {
			uint64_t first = c == 0 ? PART0_FIRST : PART1_FIRST;

			expect(c, s, BLK_STATUS_OK);
			expect_filled(on_disk(first + (uint64_t)s * 2), (uint8_t)(c * 16 + s + 1),
				      1024);
			memset(buf(c, s), 0, 1024);
			__atomic_store_n(&slot(c, s)->state, BLK_SLOT_FREE, __ATOMIC_RELEASE);
			/* Each reads back what another slot wrote. */
			submit(c, s, BLK_OP_READ, (uint64_t)(BLK_SLOTS - 1 - s) * 2, 1024);
		}
	assert_int_equal(vblk_serve_all(&drv), 0);
	complete_pending(7);
	assert_int_equal(drain(), 3);
	for (unsigned c = 0; c < CLIENTS; c++)
		for (unsigned s = 0; s < BLK_SLOTS; s++) {
			expect(c, s, BLK_STATUS_OK);
			expect_filled(buf(c, s), (uint8_t)(c * 16 + (BLK_SLOTS - 1 - s) + 1), 1024);
		}
	assert_int_equal(drv.free_count, 256);
}

static void test_a_small_queue_serves_every_request_and_each_client_in_turn(void **state)
{
	dev.queue_num_max = 4; /* Four reads or writes at a time, or two flushes. */
	assert_int_equal(start(), VDRV_OK);
	dev.is_deferred = true;
	for (unsigned c = 0; c < CLIENTS; c++)
		for (unsigned s = 0; s < BLK_SLOTS; s++) {
			memset(buf(c, s), (int)(c * 16 + s + 1), 512);
			submit(c, s, s == 7 ? BLK_OP_FLUSH : BLK_OP_WRITE, s, s == 7 ? 0 : 512);
		}
	assert_int_equal(vblk_serve_all(&drv), 0);
	assert_int_equal(dev.pending_count, 4);
	complete_pending(1);
	assert_int_equal(vblk_interrupt(&drv), 1);
	/* The descriptors freed go to the other client first. */
	complete_pending(1);
	assert_int_equal(dev.requests_by_client[0], 4);
	assert_int_equal(dev.requests_by_client[1], 4);

	dev.is_deferred = false;
	drain();
	for (unsigned c = 0; c < CLIENTS; c++)
		for (unsigned s = 0; s < BLK_SLOTS; s++) {
			uint64_t first = c == 0 ? PART0_FIRST : PART1_FIRST;

			expect(c, s, BLK_STATUS_OK);
			if (s != 7)
				expect_filled(on_disk(first + s), (uint8_t)(c * 16 + s + 1), 512);
		}
	assert_int_equal(dev.flushes, 2);
	assert_int_equal(drv.free_count, 4);
}

static void test_a_legacy_device_is_refused_with_what_to_add_to_qemus_command_line(void **state)
{
	dev.version = 1;
	assert_int_equal(start(), VDRV_LEGACY);
	assert_non_null(
		strstr(vblk_init_error_text(VDRV_LEGACY),
		       "add -global virtio-mmio.force-legacy=false to QEMU's command line"));
	assert_int_equal(dev.resets, 1); /* Only setup's: the driver left the device alone. */
}

static void test_devices_the_driver_cannot_use_are_refused(void **state)
{
	dev.version = 3;
	assert_int_equal(start(), VDRV_BAD_VERSION);
	dev.version = 2;
	dev.device_id = 0;
	assert_int_equal(start(), VDRV_WRONG_DEVICE);
	dev.device_id = 2;
	dev.magic = 0;
	assert_int_equal(start(), VDRV_NOT_VIRTIO);
	dev.magic = 0x74726976;
	dev.offered = FLUSH;
	assert_int_equal(start(), VDRV_NO_VERSION_1);
	assert_int_equal(dev.status & STATUS_FAILED, STATUS_FAILED);
	dev.offered = VERSION_1 | INDIRECT_DESC;
	dev.queue_num_max = 2;
	assert_int_equal(start(), VDRV_NO_QUEUE);
	assert_int_equal(dev.status & (STATUS_FAILED | STATUS_DRIVER_OK), STATUS_FAILED);
}

static void test_a_flush_reaches_the_device(void **state)
{
	submit(0, 0, BLK_OP_WRITE, 0, 512);
	submit(0, 1, BLK_OP_FLUSH, 0, 0);
	assert_int_equal(run(0), 1);
	expect(0, 0, BLK_STATUS_OK);
	expect(0, 1, BLK_STATUS_OK);
	assert_int_equal(dev.flushes, 1);
}

static void test_a_flush_without_a_write_cache_completes_at_once(void **state)
{
	dev.offered = VERSION_1 | INDIRECT_DESC;
	assert_int_equal(start(), VDRV_OK);
	assert_false(drv.has_flush);
	assert_int_equal(dev.accepted, VERSION_1 | INDIRECT_DESC);
	submit(0, 0, BLK_OP_FLUSH, 0, 0);
	assert_int_equal(vblk_serve_client(&drv, 0), 1);
	expect(0, 0, BLK_STATUS_OK);
	assert_int_equal(dev.notifies, 0);
}

static void test_a_restarted_driver_redoes_a_slot_left_submitted(void **state)
{
	dev.is_deferred = true;
	memset(buf(0, 4), 0x42, 512);
	submit(0, 4, BLK_OP_WRITE, 9, 512);
	submit(0, 5, BLK_OP_READ, 0, 512);
	assert_int_equal(vblk_serve_client(&drv, 0), 0);
	execute(dev.pending[1]); /* The read completes; the write is still on the device. */
	assert_int_equal(drain(), 1);
	expect(0, 5, BLK_STATUS_OK);
	assert_int_equal(slot(0, 4)->state, BLK_SLOT_SUBMITTED);

	/* The driver faults; the root task starts a fresh one from the same boot page. */
	memset(&drv, 0xdb, sizeof(drv));
	boot.restarts = 1;
	assert_int_equal(start(), VDRV_OK);
	assert_int_equal(dev.resets, 2);
	assert_int_equal(dev.pending_count, 0); /* The reset dropped the write. */
	assert_int_equal(vblk_serve_all(&drv), 0);
	assert_int_equal(dev.pending_count, 1);
	complete_pending(1);
	assert_int_equal(drain(), 1);
	expect(0, 4, BLK_STATUS_OK);
	expect_filled(on_disk(9), 0x42, 512);
	assert_int_equal(dev.reads, 1); /* The slot already DONE was not redone. */
}

static void test_a_used_entry_the_driver_never_issued_is_ignored(void **state)
{
	dev.is_deferred = true;
	submit(0, 0, BLK_OP_WRITE, 0, 512); /* Descriptor 0, naming its table. */
	submit(0, 1, BLK_OP_FLUSH, 0, 0);   /* Descriptors 1 and 2, a chain. */
	assert_int_equal(vblk_serve_client(&drv, 0), 0);
	assert_int_equal(dev.pending_count, 2);
	push_used(2, 0);    /* The end of the flush's chain. */
	push_used(5, 0);    /* A free descriptor. */
	push_used(4000, 0); /* No descriptor at all. */
	assert_int_equal(drain(), 0);
	assert_int_equal(drv.ignored_used, 3);
	assert_int_equal(slot(0, 0)->state, BLK_SLOT_SUBMITTED);
	assert_int_equal(slot(0, 1)->state, BLK_SLOT_SUBMITTED);

	complete_pending(1);
	assert_int_equal(drain(), 1);
	expect(0, 0, BLK_STATUS_OK);
	expect(0, 1, BLK_STATUS_OK);
	assert_int_equal(drv.ignored_used, 3);
}

static void test_a_device_error_is_ioerr(void **state)
{
	dev.fails_next = true;
	submit(0, 0, BLK_OP_READ, 0, 512);
	assert_int_equal(run(0), 1);
	expect(0, 0, BLK_STATUS_IOERR);
}

static void test_a_part_beyond_the_disk_is_cut_at_its_end(void **state)
{
	set_client(1, PART1_FIRST, UINT64_MAX);
	boot.client_count = 3;
	set_client(2, DISK_SECTORS + 1, 10);
	assert_int_equal(start(), VDRV_OK);
	assert_int_equal(drv.clients[1].sector_count, DISK_SECTORS - PART1_FIRST);
	assert_int_equal(drv.clients[2].sector_count, 0);

	submit(1, 0, BLK_OP_WRITE, DISK_SECTORS - PART1_FIRST - 1, 512);
	submit(1, 1, BLK_OP_WRITE, DISK_SECTORS - PART1_FIRST, 512);
	assert_int_equal(run(1), 2);
	expect(1, 0, BLK_STATUS_OK);
	expect(1, 1, BLK_STATUS_IOERR);
	assert_int_equal(dev.writes, 1);
}

/* --- Segments: the data in the guest's RAM ------------------------------------------- */

static void test_a_device_without_indirect_descriptors_is_refused(void **state)
{
	dev.offered = VERSION_1 | FLUSH;
	assert_int_equal(start(), VDRV_NO_FEATURE);
	assert_int_equal(dev.status & (STATUS_FAILED | STATUS_DRIVER_OK), STATUS_FAILED);
	assert_non_null(strstr(vblk_init_error_text(VDRV_NO_FEATURE), "indirect_desc=on"));
}

static void test_a_read_scattered_over_segments_lands_in_each_of_them(void **state)
{
	/* Four sectors of client 1's part, into four places out of order, one in run 1. */
	const struct blk_seg list[] = {
		seg(1, 0x9000, 512),
		seg(1, 0x1000, 1024),
		seg(1, RUN_SIZE + 0x300, 100),
		seg(1, 0x5003, 412),
	};

	remember_ram();
	submit_segs(1, 0, BLK_OP_READ, 10, 2048, list, COUNT(list));
	assert_int_equal(run(1), 2);
	expect(1, 0, BLK_STATUS_OK);
	memcpy(expected(1, 0x9000), was(PART1_FIRST + 10), 512);
	memcpy(expected(1, 0x1000), was(PART1_FIRST + 11), 1024);
	memcpy(expected(1, RUN_SIZE + 0x300), was(PART1_FIRST + 13), 100);
	memcpy(expected(1, 0x5003), was(PART1_FIRST + 13) + 100, 412);
	expect_ram();
}

static void test_a_write_gathered_from_segments_reaches_the_disk(void **state)
{
	const struct blk_seg list[] = {
		seg(0, 0x3000, 512),
		seg(0, 0x200, 1000),
		seg(0, RUN_SIZE + 0x10, 24),
		seg(0, 0x8000, 512),
	};

	for (unsigned i = 0; i < COUNT(list); i++)
		memset(ram(0, list[i].addr - GUEST_IPA(0)), 0xa1 + (int)i, list[i].bytes);
	submit_segs(0, 0, BLK_OP_WRITE, 5, 2048, list, COUNT(list));
	assert_int_equal(run(0), 1);
	expect(0, 0, BLK_STATUS_OK);
	expect_filled(on_disk(5), 0xa1, 512);
	expect_filled(on_disk(6), 0xa2, 1000);
	expect_filled(on_disk(7) + 488, 0xa3, 24);
	expect_filled(on_disk(8), 0xa4, 512);
	assert_memory_equal(on_disk(4), was(4), 512);
	assert_memory_equal(on_disk(9), was(9), 512);
}

static void test_a_segment_crossing_two_runs_is_split_and_both_halves_are_right(void **state)
{
	/* Three sectors at the end of run 0, one at the start of run 1 (physically below). */
	const struct blk_seg across = seg(0, RUN_SIZE - 1536, 2048);

	remember_ram();
	submit_segs(0, 0, BLK_OP_READ, 20, 2048, &across, 1);
	assert_int_equal(run(0), 1);
	expect(0, 0, BLK_STATUS_OK);
	expect_read_into(0, &across, 1, was(20));

	memset(ram(0, RUN_SIZE - 1536), 0x5a, 1536);
	memset(ram(0, RUN_SIZE), 0xa5, 512);
	submit_segs(0, 1, BLK_OP_WRITE, 30, 2048, &across, 1);
	assert_int_equal(run(0), 1);
	expect(0, 1, BLK_STATUS_OK);
	expect_filled(on_disk(30), 0x5a, 1536);
	expect_filled(on_disk(33), 0xa5, 512);
	assert_memory_equal(on_disk(34), was(34), 512);
}

static void test_a_segment_outside_the_clients_map_fails_and_reaches_no_device(void **state)
{
	const struct blk_seg bad[] = {
		/* Client 1's guest RAM, as client 1 names it, and physically. */
		seg(1, 0, 512),
		{.addr = RUN_PA(1, 0), .bytes = 512},
		/* Its own RAM, physically; the driver's queue. */
		{.addr = RUN_PA(0, 0), .bytes = 512},
		{.addr = DMA_PA, .bytes = 512},
		/* Just past the end of its map; its last sector and the next. */
		seg(0, RAM_SIZE, 512),
		seg(0, RAM_SIZE - 512, 1024),
		/* The sector just before its map and its first; one that wraps around to 0. */
		{.addr = GUEST_IPA(0) - 512, .bytes = 1024},
		{.addr = UINT64_MAX - 511, .bytes = 1024},
	};
	const struct blk_seg good_then_bad[] = {seg(0, 0x1000, 512), seg(1, 0x1000, 512)};
	const uint32_t ops[] = {BLK_OP_READ, BLK_OP_WRITE};

	for (unsigned c = 0; c < CLIENTS; c++)
		memset(ram(c, 0), 0x66, RAM_SIZE);
	remember_ram();
	for (unsigned o = 0; o < COUNT(ops); o++) {
		for (unsigned s = 0; s < COUNT(bad); s++)
			submit_segs(0, s, ops[o], s, bad[s].bytes, &bad[s], 1);
		submit_segs(0, COUNT(bad), ops[o], 0, 1024, good_then_bad, COUNT(good_then_bad));
		assert_int_equal(run(0), 1);
		for (unsigned s = 0; s <= COUNT(bad); s++)
			expect(0, s, BLK_STATUS_IOERR);
	}
	assert_int_equal(dev.notifies, 0);
	assert_int_equal(dev.reads + dev.writes, 0);
	assert_memory_equal(dev.disk, pristine, sizeof(pristine));
	expect_ram();

	/* The client's own RAM is still its own. */
	submit(0, 14, BLK_OP_READ, 0, 512);
	assert_int_equal(run(0), 1);
	expect(0, 14, BLK_STATUS_OK);
	assert_memory_equal(buf(0, 14), was(0), 512);
}

static void test_segments_that_do_not_add_up_to_the_bytes_fail(void **state)
{
	const struct blk_seg fewer[] = {seg(0, 0, 512), seg(0, 0x1000, 256)};
	const struct blk_seg more[] = {seg(0, 0, 512), seg(0, 0x1000, 1024)};
	const struct blk_seg empty[] = {seg(0, 0, 512), seg(0, 0x1000, 0), seg(0, 0x2000, 512)};
	const struct blk_seg exact[] = {seg(0, 0, 512), seg(0, 0x1000, 512)};

	remember_ram();
	submit_segs(0, 0, BLK_OP_READ, 0, 1024, fewer, COUNT(fewer));
	submit_segs(0, 1, BLK_OP_WRITE, 0, 1024, fewer, COUNT(fewer));
	submit_segs(0, 2, BLK_OP_READ, 0, 1024, more, COUNT(more));
	submit_segs(0, 3, BLK_OP_WRITE, 0, 1024, more, COUNT(more));
	submit_segs(0, 4, BLK_OP_READ, 0, 1024, empty, COUNT(empty));
	submit_segs(0, 5, BLK_OP_WRITE, 0, 1024, empty, COUNT(empty));
	assert_int_equal(run(0), 1);
	for (unsigned s = 0; s < 6; s++)
		expect(0, s, BLK_STATUS_IOERR);
	assert_int_equal(dev.notifies, 0);
	assert_memory_equal(dev.disk, pristine, sizeof(pristine));
	expect_ram();

	submit_segs(0, 6, BLK_OP_READ, 0, 1024, exact, COUNT(exact));
	assert_int_equal(run(0), 1);
	expect(0, 6, BLK_STATUS_OK);
	expect_read_into(0, exact, COUNT(exact), was(0));
}

/* Client c's list of BLK_SEGS_MAX segments of a sector each, sector i at offset i * stride. */
static void sector_segments(struct blk_seg *list, unsigned c, uint64_t stride)
{
	for (uint32_t i = 0; i < BLK_SEGS_MAX; i++)
		list[i] = seg(c, i * stride, BLK_SECTOR_SIZE);
}

static void test_a_read_or_write_names_1_to_the_most_segments(void **state)
{
	static struct blk_seg list[BLK_SEGS_MAX];
	/*
	 * A count past BLK_SEGS_MAX: the segments it would take, running on
	 * into the next slot's list (whose first is a sector too), add up.
	 */
	const uint32_t past = BLK_SEGS_MAX + 1, bytes = past * BLK_SECTOR_SIZE;

	sector_segments(list, 0, 1024);
	remember_ram();
	submit_segs(0, 0, BLK_OP_READ, 0, 512, list, 0);
	submit_segs(0, 1, BLK_OP_WRITE, 0, 512, list, 0);
	submit_segs(0, 2, BLK_OP_READ, 0, bytes, list, past);
	submit_segs(0, 3, BLK_OP_WRITE, 0, bytes, list, past);
	submit_segs(0, 4, BLK_OP_READ, 0, bytes, list, UINT32_MAX);
	submit_segs(0, 5, BLK_OP_READ, 0, 512, list, 1); /* Whose list follows slot 4's. */
	assert_int_equal(run(0), 1);
	for (unsigned s = 0; s < 5; s++)
		expect(0, s, BLK_STATUS_IOERR);
	expect(0, 5, BLK_STATUS_OK);
	assert_int_equal(dev.reads + dev.writes, 1);
	assert_memory_equal(dev.disk, pristine, sizeof(pristine));
	expect_read_into(0, list, 1, was(0));
}

static void test_a_request_of_the_most_segments_works(void **state)
{
	static struct blk_seg list[BLK_SEGS_MAX];
	const uint32_t bytes = BLK_SEGS_MAX * BLK_SECTOR_SIZE;

	/* Sector i from the i-th segment, 2 KiB apart: half in run 0, half in run 1. */
	sector_segments(list, 1, 2048);
	for (uint32_t i = 0; i < BLK_SEGS_MAX; i++)
		memset(ram(1, (uint64_t)i * 2048), 0x80 ^ (int)i, BLK_SECTOR_SIZE);
	submit_segs(1, 0, BLK_OP_WRITE, 0, bytes, list, BLK_SEGS_MAX);
	assert_int_equal(run(1), 2);
	expect(1, 0, BLK_STATUS_OK);
	for (uint32_t i = 0; i < BLK_SEGS_MAX; i++)
		expect_filled(on_disk(PART1_FIRST + i), (uint8_t)(0x80 ^ i), BLK_SECTOR_SIZE);

	/* Read back in reverse order, each sector 1 KiB past where another came from. */
	for (uint32_t i = 0; i < BLK_SEGS_MAX; i++)
		list[i] = seg(1, (BLK_SEGS_MAX - 1 - i) * 2048 + 1024, BLK_SECTOR_SIZE);
	remember_ram();
	submit_segs(1, 1, BLK_OP_READ, 0, bytes, list, BLK_SEGS_MAX);
	assert_int_equal(run(1), 2);
	expect(1, 1, BLK_STATUS_OK);
	expect_read_into(1, list, BLK_SEGS_MAX, on_disk(PART1_FIRST));
}

/*
 * BLK_SEGS_MAX segments of a sector: the first crossing of them cross from
 * run 0 into run 1 (two pieces each), the rest lie whole in run 0 (one
 * piece each).
 */
static void crossing_segments(struct blk_seg *list, uint32_t crossing)
{
	sector_segments(list, 0, 512);
	for (uint32_t i = 0; i < crossing; i++)
		list[i] = seg(0, RUN_SIZE - 256, BLK_SECTOR_SIZE);
}

static void test_a_request_of_more_pieces_than_its_table_holds_fails(void **state)
{
	static struct blk_seg list[BLK_SEGS_MAX];
	const uint32_t bytes = BLK_SEGS_MAX * BLK_SECTOR_SIZE;
	/* The table holds the header, the status, and VBLK_TABLE_DESCS - 2 pieces. */
	const uint32_t fit = VBLK_TABLE_DESCS - 2 - BLK_SEGS_MAX;

	crossing_segments(list, fit + 1);
	submit_segs(0, 0, BLK_OP_WRITE, 0, bytes, list, BLK_SEGS_MAX);
	crossing_segments(list, BLK_SEGS_MAX);
	submit_segs(0, 1, BLK_OP_WRITE, 0, bytes, list, BLK_SEGS_MAX);
	assert_int_equal(run(0), 1);
	expect(0, 0, BLK_STATUS_IOERR);
	expect(0, 1, BLK_STATUS_IOERR);
	assert_int_equal(dev.notifies, 0);
	assert_memory_equal(dev.disk, pristine, sizeof(pristine));

	/* As many as it holds. */
	memset(ram(0, 0), 0x21, RUN_SIZE);
	memset(ram(0, RUN_SIZE), 0x43, RUN_SIZE);
	crossing_segments(list, fit);
	submit_segs(0, 2, BLK_OP_WRITE, 0, bytes, list, BLK_SEGS_MAX);
	assert_int_equal(run(0), 1);
	expect(0, 2, BLK_STATUS_OK);
	for (uint32_t i = 0; i < fit; i++) {
		expect_filled(on_disk(i), 0x21, 256);
		expect_filled(on_disk(i) + 256, 0x43, 256);
	}
	expect_filled(on_disk(fit), 0x21, (size_t)(BLK_SEGS_MAX - fit) * BLK_SECTOR_SIZE);
}

static void test_rewriting_the_segments_of_a_taken_slot_changes_nothing(void **state)
{
	const struct blk_seg first[] = {seg(0, 0x1000, 512), seg(0, 0x3000, 512)};
	const struct blk_seg later = seg(0, 0x6000, 1024);

	dev.is_deferred = true;
	remember_ram();
	submit_segs(0, 0, BLK_OP_READ, 7, 1024, first, COUNT(first));
	assert_int_equal(vblk_serve_client(&drv, 0), 0);
	assert_int_equal(dev.pending_count, 1);

	/* The client points the slot elsewhere while the device has it, and signals again. */
	*segs_of(0, 0) = later;
	slot(0, 0)->seg_count = 1;
	assert_int_equal(vblk_serve_client(&drv, 0), 0);
	assert_int_equal(dev.pending_count, 1);

	complete_pending(1);
	assert_int_equal(drain(), 1);
	expect(0, 0, BLK_STATUS_OK);
	expect_read_into(0, first, COUNT(first), was(7));
}

/* --- Partitions ------------------------------------------------------------------------ */

#define GPT_ENTRIES_SECTOR 2u

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A GUID partition table on the fake disk (UEFI 2.10 §5.3): count
 * entries of 128 bytes from sector 2, entry i + 1 holding sectors
 * parts[i][0] to parts[i][1] inclusive, the rest unused.
 */
static void write_gpt(uint32_t count, const uint64_t (*parts)[2], unsigned part_count)
{
	uint8_t *h = on_disk(1), *entries = on_disk(GPT_ENTRIES_SECTOR);
	uint64_t array_sectors = (uint64_t)count * 128 / BLK_SECTOR_SIZE;

	memset(h, 0, BLK_SECTOR_SIZE);
	memset(entries, 0, (size_t)count * 128);
	memcpy(h, "EFI PART", 8);
	put_le(h + 8, 0x00010000, 4);
	put_le(h + 12, 92, 4);
	put_le(h + 24, 1, 8);
	put_le(h + 32, DISK_SECTORS - 1, 8);
	put_le(h + 40, GPT_ENTRIES_SECTOR + array_sectors, 8);
	put_le(h + 48, DISK_SECTORS - 2, 8);
	put_le(h + 72, GPT_ENTRIES_SECTOR, 8);
	put_le(h + 80, count, 4);
	put_le(h + 84, 128, 4);
	for (unsigned i = 0; i < part_count; i++) {
		uint8_t *e = entries + (size_t)i * 128;

		memset(e, 0x11, 16); /* A type GUID: used. */
		put_le(e + 32, parts[i][0], 8);
		put_le(e + 40, parts[i][1], 8);
	}
	put_le(h + 88, gpt_crc32(entries, (size_t)count * 128), 4);
	put_le(h + 16, gpt_crc32(h, 92), 4);
	memcpy(pristine, dev.disk, sizeof(pristine));
}

static const uint64_t two_parts[][2] = {{100, 299}, {300, 499}};

/* Client c names partition number instead of a range. */
static void set_partition(unsigned c, uint32_t number)
{
	set_client(c, 0, 0);
	boot.clients[c].partition = number;
}

static const struct blk_window *window(unsigned c)
{
	return &((const struct blk_table *)(const void *)regions[c])->window;
}

static void expect_window(unsigned c, enum blk_window_state state, uint64_t first, uint64_t sectors)
{
	assert_int_equal(__atomic_load_n(&window(c)->state, __ATOMIC_ACQUIRE), state);
	assert_int_equal(window(c)->first_sector, first);
	assert_int_equal(window(c)->sectors, sectors);
}

static void test_ranges_get_their_windows_at_once(void **state)
{
	assert_int_equal(drv.phase, VBLK_SERVING);
	assert_int_equal(start_signals, 3);
	expect_window(0, BLK_WINDOW_READY, PART0_FIRST, PART0_COUNT);
	expect_window(1, BLK_WINDOW_READY, PART1_FIRST, PART1_COUNT);
	assert_int_equal(dev.reads, 0);
}

static void test_partitions_are_read_from_the_table_before_any_slot_is_taken(void **state)
{
	write_gpt(128, two_parts, 2);
	set_partition(0, 2);
	set_partition(1, 1);
	dev.is_deferred = true;
	assert_int_equal(start(), VDRV_OK);
	assert_int_equal(start_signals, 0);
	assert_int_equal(drv.phase, VBLK_READING_HEADER);
	expect_window(0, BLK_WINDOW_PENDING, 0, 0);
	/* A client that does not wait is not served yet. */
	memset(buf(0, 0), 0x3c, 512);
	submit(0, 0, BLK_OP_WRITE, 0, 512);
	assert_int_equal(vblk_serve_client(&drv, 0), 0);
	assert_int_equal(vblk_serve_all(&drv), 0);
	assert_int_equal(dev.pending_count, 1); /* Only the header's read. */

	dev.is_deferred = false;
	complete_pending(1);
	assert_int_equal(drain(), 3);
	assert_int_equal(drv.phase, VBLK_SERVING);
	assert_int_equal(dev.reads, 2); /* The header and the entries. */
	assert_int_equal(dev.writes, 1);
	expect_window(0, BLK_WINDOW_READY, 300, 200);
	expect_window(1, BLK_WINDOW_READY, 100, 200);
	assert_int_equal(window(0)->partition, 2);
	expect(0, 0, BLK_STATUS_OK);
	expect_filled(on_disk(300), 0x3c, 512);

	/* Held to the partition: its last sector, and no further. */
	submit(1, 0, BLK_OP_WRITE, 199, 512);
	submit(1, 1, BLK_OP_WRITE, 200, 512);
	assert_int_equal(run(1), 2);
	expect(1, 0, BLK_STATUS_OK);
	expect(1, 1, BLK_STATUS_IOERR);
	assert_memory_equal(on_disk(299), buf(1, 0), 512);
	expect_filled(on_disk(300), 0x3c, 512);
}

static void test_a_disk_without_a_table_refuses_only_the_partitions(void **state)
{
	set_partition(0, 1);
	assert_int_equal(start(), VDRV_OK);
	assert_int_equal(drain(), 3);
	assert_int_equal(drv.clients[0].refusal, VBLK_REFUSAL_TABLE);
	assert_int_equal(drv.clients[0].gpt_error, GPT_NO_SIGNATURE);
	expect_window(0, BLK_WINDOW_FAILED, 0, 0);
	expect_window(1, BLK_WINDOW_READY, PART1_FIRST, PART1_COUNT);
	submit(0, 0, BLK_OP_READ, 0, 512);
	submit(0, 1, BLK_OP_FLUSH, 0, 0);
	submit(1, 0, BLK_OP_READ, 0, 512);
	assert_int_equal(run(0) | run(1), 3);
	expect(0, 0, BLK_STATUS_IOERR);
	expect(0, 1, BLK_STATUS_IOERR);
	expect(1, 0, BLK_STATUS_OK);
}

static void test_an_unused_entry_or_a_failed_read_refuses_the_client(void **state)
{
	write_gpt(128, two_parts, 2);
	set_partition(0, 3);
	set_partition(1, 2);
	assert_int_equal(start(), VDRV_OK);
	drain();
	assert_int_equal(drv.clients[0].refusal, VBLK_REFUSAL_TABLE);
	assert_int_equal(drv.clients[0].gpt_error, GPT_UNUSED_ENTRY);
	expect_window(0, BLK_WINDOW_FAILED, 0, 0);
	expect_window(1, BLK_WINDOW_READY, 300, 200);

	memset(regions, 0, sizeof(regions));
	dev.fails_next = true;
	assert_int_equal(start(), VDRV_OK);
	assert_int_equal(drain(), 3);
	assert_int_equal(drv.clients[1].refusal, VBLK_REFUSAL_READ);
	expect_window(1, BLK_WINDOW_FAILED, 0, 0);
}

static void test_a_damaged_entry_array_refuses_every_partition(void **state)
{
	write_gpt(128, two_parts, 2);
	on_disk(GPT_ENTRIES_SECTOR + 5)[7] ^= 1;
	set_partition(0, 1);
	assert_int_equal(start(), VDRV_OK);
	drain();
	assert_int_equal(drv.table_refusal, VBLK_REFUSAL_TABLE);
	assert_int_equal(drv.clients[0].gpt_error, GPT_BAD_ENTRIES_CRC);
	expect_window(0, BLK_WINDOW_FAILED, 0, 0);
	expect_window(1, BLK_WINDOW_READY, PART1_FIRST, PART1_COUNT);
}

static void test_a_large_entry_array_is_read_in_pieces(void **state)
{
	const uint64_t far[][2] = {{800, 900}};

	write_gpt(2048, far, 1); /* 256 KiB: two pieces of VBLK_OWN_PIECE. */
	set_partition(0, 1);
	assert_int_equal(start(), VDRV_OK);
	assert_int_equal(drain(), 3);
	assert_int_equal(drv.clients[0].gpt_error, GPT_OK);
	assert_int_equal(dev.reads, 3);
	expect_window(0, BLK_WINDOW_READY, 800, 101);
}

static void test_a_partition_meeting_another_part_is_refused(void **state)
{
	const uint64_t parts[][2] = {{100, 299}, {300, 499}, {250, 349}};

	/* Partition 3 meets partition 1 of client 0, which came first. */
	write_gpt(128, parts, 3);
	set_partition(0, 1);
	set_partition(1, 3);
	assert_int_equal(start(), VDRV_OK);
	drain();
	assert_int_equal(drv.clients[0].refusal, VBLK_REFUSAL_NONE);
	assert_int_equal(drv.clients[1].refusal, VBLK_REFUSAL_OVERLAP);
	assert_int_equal(drv.clients[1].overlaps, 0);
	expect_window(1, BLK_WINDOW_FAILED, 0, 0);

	/* A range was kept apart from the others at build time: the partition gives way. */
	memset(regions, 0, sizeof(regions));
	set_partition(0, 2);
	set_client(1, 400, 10);
	assert_int_equal(start(), VDRV_OK);
	drain();
	assert_int_equal(drv.clients[0].refusal, VBLK_REFUSAL_OVERLAP);
	assert_int_equal(drv.clients[0].overlaps, 1);
	expect_window(1, BLK_WINDOW_READY, 400, 10);

	/* Both read-only: they may share. */
	memset(regions, 0, sizeof(regions));
	boot.clients[0].is_read_only = 1;
	boot.clients[1].is_read_only = 1;
	assert_int_equal(start(), VDRV_OK);
	drain();
	expect_window(0, BLK_WINDOW_READY, 300, 200);

	/* Apart: no refusal. */
	memset(regions, 0, sizeof(regions));
	boot.clients[0].is_read_only = 0;
	set_client(1, 500, 10);
	assert_int_equal(start(), VDRV_OK);
	drain();
	expect_window(0, BLK_WINDOW_READY, 300, 200);
}

static void test_a_restarted_driver_keeps_each_client_to_the_window_it_gave(void **state)
{
	const uint64_t moved[][2] = {{100, 299}, {310, 509}};

	write_gpt(128, two_parts, 2);
	set_partition(0, 2);
	assert_int_equal(start(), VDRV_OK);
	drain();
	expect_window(0, BLK_WINDOW_READY, 300, 200);

	/* The same table: the same window, served. */
	boot.restarts = 1;
	assert_int_equal(start(), VDRV_OK);
	drain();
	assert_int_equal(drv.clients[0].refusal, VBLK_REFUSAL_NONE);
	submit(0, 0, BLK_OP_READ, 0, 512);
	assert_int_equal(run(0), 1);
	expect(0, 0, BLK_STATUS_OK);

	/* The partition moved under the client: refused, its window as it was. */
	write_gpt(128, moved, 2);
	boot.restarts = 2;
	assert_int_equal(start(), VDRV_OK);
	drain();
	assert_int_equal(drv.clients[0].refusal, VBLK_REFUSAL_CHANGED);
	expect_window(0, BLK_WINDOW_READY, 300, 200);
	submit(0, 1, BLK_OP_READ, 0, 512);
	assert_int_equal(run(0), 1);
	expect(0, 1, BLK_STATUS_IOERR);
}

static void test_a_driver_that_cannot_start_fails_the_windows_left_pending(void **state)
{
	set_partition(1, 1);
	memset(regions, 0, sizeof(regions));
	dev.magic = 0;
	assert_int_equal(start(), VDRV_NOT_VIRTIO);
	/* Client 0's window is from an earlier instance: it stays. */
	((struct blk_table *)(void *)regions[0])->window =
		(struct blk_window){.state = BLK_WINDOW_READY, .sectors = PART0_COUNT};
	assert_int_equal(vblk_fail_windows(&boot), 2);
	expect_window(0, BLK_WINDOW_READY, 0, PART0_COUNT);
	expect_window(1, BLK_WINDOW_FAILED, 0, 0);
	assert_int_equal(vblk_fail_windows(&boot), 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_accepts_only_version_1_indirect_and_flush_and_reads_the_capacity),
		T(test_a_write_lands_in_the_clients_part_and_reads_back),
		T(test_a_client_cannot_reach_outside_its_part),
		T(test_a_read_only_client_reads_but_cannot_write),
		T(test_malformed_requests_are_ioerr_and_reach_no_device),
		T(test_a_request_may_cover_its_whole_part_and_no_more),
		T(test_rewriting_a_taken_slot_changes_nothing_the_device_does),
		T(test_many_requests_in_flight_complete_out_of_order),
		T(test_a_small_queue_serves_every_request_and_each_client_in_turn),
		T(test_a_legacy_device_is_refused_with_what_to_add_to_qemus_command_line),
		T(test_devices_the_driver_cannot_use_are_refused),
		T(test_a_flush_reaches_the_device),
		T(test_a_flush_without_a_write_cache_completes_at_once),
		T(test_a_restarted_driver_redoes_a_slot_left_submitted),
		T(test_a_used_entry_the_driver_never_issued_is_ignored),
		T(test_a_device_error_is_ioerr),
		T(test_a_part_beyond_the_disk_is_cut_at_its_end),
		T(test_a_device_without_indirect_descriptors_is_refused),
		T(test_a_read_scattered_over_segments_lands_in_each_of_them),
		T(test_a_write_gathered_from_segments_reaches_the_disk),
		T(test_a_segment_crossing_two_runs_is_split_and_both_halves_are_right),
		T(test_a_segment_outside_the_clients_map_fails_and_reaches_no_device),
		T(test_segments_that_do_not_add_up_to_the_bytes_fail),
		T(test_a_read_or_write_names_1_to_the_most_segments),
		T(test_a_request_of_the_most_segments_works),
		T(test_a_request_of_more_pieces_than_its_table_holds_fails),
		T(test_rewriting_the_segments_of_a_taken_slot_changes_nothing),
		T(test_ranges_get_their_windows_at_once),
		T(test_partitions_are_read_from_the_table_before_any_slot_is_taken),
		T(test_a_disk_without_a_table_refuses_only_the_partitions),
		T(test_an_unused_entry_or_a_failed_read_refuses_the_client),
		T(test_a_damaged_entry_array_refuses_every_partition),
		T(test_a_large_entry_array_is_read_in_pieces),
		T(test_a_partition_meeting_another_part_is_refused),
		T(test_a_restarted_driver_keeps_each_client_to_the_window_it_gave),
		T(test_a_driver_that_cannot_start_fails_the_windows_left_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
