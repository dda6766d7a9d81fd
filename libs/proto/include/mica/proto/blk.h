/*
 * Block driver servers: the contract between the root task, a block driver
 * server and its clients.
 *
 * A block driver server (drv_virtio_blk) drives one of the machine's block
 * devices, unprivileged: the root task maps it the device's registers and
 * gives it the device's interrupt, and the server is the only process that
 * touches the device. Its clients are the guests' virtio-blk devices (the
 * vdev_virtio_blk server), each given a part of the disk: a range of whole
 * sectors, or an entry of the disk's GUID partition table, read-write or
 * read-only, as the system description says. The driver holds each client
 * to its part; a client cannot name a sector outside it, or write a
 * read-only one.
 *
 * The queue. Each client shares with the driver one region of
 * BLK_REGION_SIZE bytes, mapped cacheable in both (the machine's virtio
 * DMA is coherent):
 *
 *   [0, BLK_TABLE_SIZE)                     struct blk_table: the slots,
 *                                           then the part's window
 *   BLK_SEGS_OFFSET + i * BLK_SEGS_SIZE     slot i's segments
 *
 * The data is not in the region: a read or write names where it lies in
 * the client's guest's RAM, as up to BLK_SEGS_MAX segments of guest-
 * physical addresses (its virtio request's own buffers), and the device
 * moves it there by DMA, with no copy. The driver turns a guest-physical
 * address into a physical one only through the RAM map the root task gave
 * it for that client (struct blk_boot_client's runs), so a client can name
 * its own guest's RAM and nothing else; a segment outside the map fails
 * the request.
 *
 * A slot is one request, and its state says who owns it:
 *
 *   FREE       the client's. It fills in op, sector, bytes and (for a read
 *              or write) the segments and seg_count, then stores state =
 *              SUBMITTED with release order, and signals the driver.
 *   SUBMITTED  the driver's. It copies the fields and each segment once,
 *              checks the copy (the segments must add up to bytes, at
 *              most BLK_REQUEST_MAX) and puts the request on the device
 *              with the segments as its data, then writes status, stores
 *              state = DONE with release order, and signals the client. A
 *              request that fails its checks is DONE at once with
 *              BLK_STATUS_IOERR.
 *   DONE       the client's again: it reads status after a load-acquire of
 *              state (a read's data is in the guest's buffers already),
 *              and stores FREE.
 *
 * Several slots are in flight at once, and complete in any order. The
 * driver remembers which slots it has taken, so a client that rewrites a
 * taken slot changes nothing the driver does. A restarted driver takes
 * every SUBMITTED slot afresh: requests in flight are done again, which is
 * safe (reads and writes of the same bytes, and flushes, may be repeated).
 * A restarted client signals the driver (its last instance may have fallen
 * before it did), waits for the slots its last instance left SUBMITTED to
 * become DONE before it uses them again, and gives its guest back no
 * request until then: the device may still be writing into the guest's
 * RAM for them.
 *
 * The window. A part named by a partition is found only when the driver
 * has read the disk's partition table, which it does when it starts,
 * before it takes any slot; the client learns the part's size from the
 * window the driver then writes into the slot table: first_sector and
 * sectors, then state = READY with release order (or FAILED, sectors 0: a
 * message says why), and a signal. A client of a partition waits for that
 * before it tells its guest a capacity. The driver writes the window of
 * every client, a range's too. A restarted driver resolves the part again
 * and must come to the window already there: if it does not, it refuses
 * the client every request rather than move its disk under it.
 *
 * Signals. The driver's notification, bound to its thread: bit
 * BLK_NTFN_DEVICE is the device's interrupt, bit BLK_NTFN_CLIENT(i) client
 * i's "look at my slots". A client's signal of the driver is a write-only
 * capability badged with its bit; the driver's of a client raises
 * VDEV_NTFN_DRIVE on the client's server notification (<mica/proto/vdev.h>).
 */
#ifndef MICA_PROTO_BLK_H
#define MICA_PROTO_BLK_H

#include <stddef.h>
#include <stdint.h>

#define BLK_SECTOR_SIZE 512u

/* One client's queue region. */
#define BLK_REGION_SIZE UINT64_C(0x200000) /* A 2 MiB frame. */
#define BLK_TABLE_SIZE	UINT64_C(0x1000)
#define BLK_SLOTS	15u
#define BLK_SEGS_MAX	254u /* Segments of one request: a chain of 256 less header and status. */
#define BLK_SEGS_OFFSET BLK_TABLE_SIZE
#define BLK_SEGS_SIZE	UINT64_C(0x1000) /* Room for BLK_SEGS_MAX segments. */
#define BLK_SEGS_STRIDE 256u		 /* BLK_SEGS_SIZE in segments: one list to the next. */

_Static_assert(BLK_SEGS_OFFSET + BLK_SLOTS * BLK_SEGS_SIZE <= BLK_REGION_SIZE,
	       "the segment lists fit the region");

enum blk_slot_state {
	BLK_SLOT_FREE = 0,
	BLK_SLOT_SUBMITTED = 1,
	BLK_SLOT_DONE = 2,
};

enum blk_op {
	BLK_OP_READ = 0,  /* Disk to the slot's data. */
	BLK_OP_WRITE = 1, /* The slot's data to the disk. */
	BLK_OP_FLUSH = 2, /* Every write DONE before it is on the disk's medium. */
};

enum blk_status {
	BLK_STATUS_OK = 0,
	BLK_STATUS_IOERR =
		1, /* Out of the client's part, read-only, malformed, or the device failed. */
};

struct blk_slot {
	uint32_t state;	    /* enum blk_slot_state; read and written with atomics. */
	uint32_t op;	    /* enum blk_op. */
	uint64_t sector;    /* The first sector, counted from the start of the client's part. */
	uint32_t bytes;	    /* A multiple of BLK_SECTOR_SIZE; 0 for a flush. */
	uint32_t status;    /* enum blk_status, valid once DONE. */
	uint32_t seg_count; /* 1 to BLK_SEGS_MAX for a read or write; 0 for a flush. */
	uint32_t reserved;
};

/* Where some of a request's data lies: bytes at guest-physical address addr. */
struct blk_seg {
	uint64_t addr;
	uint32_t bytes; /* Not 0; the segments of a slot add up to its bytes. */
	uint32_t reserved;
};

_Static_assert(BLK_SEGS_STRIDE * sizeof(struct blk_seg) == BLK_SEGS_SIZE &&
		       BLK_SEGS_MAX <= BLK_SEGS_STRIDE,
	       "a slot's segments");

enum blk_window_state {
	BLK_WINDOW_PENDING = 0, /* The driver has not resolved the part yet. */
	BLK_WINDOW_READY = 1,	/* first_sector and sectors are the part. */
	BLK_WINDOW_FAILED = 2,	/* It could not be resolved: the client has no sectors. */
};

/* The client's part as the driver resolved it: written by the driver, read by the client. */
struct blk_window {
	uint32_t state;	       /* enum blk_window_state; stored last, with release order. */
	uint32_t partition;    /* Its GPT entry number; 0 for a range of sectors. */
	uint64_t first_sector; /* On the disk. */
	uint64_t sectors;      /* Its size; 0 unless READY. */
};

struct blk_table {
	struct blk_slot slots[BLK_SLOTS];
	struct blk_window window;
};

_Static_assert(sizeof(struct blk_slot) == 32 && offsetof(struct blk_slot, sector) == 8 &&
		       offsetof(struct blk_slot, status) == 20 &&
		       offsetof(struct blk_slot, seg_count) == 24,
	       "a slot's layout is the same in every program");
_Static_assert(sizeof(struct blk_window) == 24 && offsetof(struct blk_table, window) == 480,
	       "the window's layout is the same in every program");
_Static_assert(sizeof(struct blk_table) <= BLK_TABLE_SIZE, "the slot table fits its page");

/* The driver's notification bits. */
#define BLK_NTFN_DEVICE	   (UINT64_C(1) << 0)
#define BLK_NTFN_CLIENT(i) (UINT64_C(1) << (1 + (i)))

/*
 * A driver server's capabilities (slot numbers in its own CSpace) and
 * address space.
 */
enum blk_cap {
	BLK_CAP_NTFN = 1,	  /* Its notification, bound to its thread (read). */
	BLK_CAP_IRQ = 2,	  /* The device's IRQHandler, set to signal BLK_NTFN_DEVICE. */
	BLK_CAP_CLIENT_FIRST = 8, /* Client i's signal: BLK_CAP_CLIENT_FIRST + i. */
};

#define BLK_MAX_CLIENTS 8
#define BLK_NAME_MAX	48

#define BLK_BOOT_MAGIC UINT64_C(0x544f4f424b4c4244) /* "DBLKBOOT" */
#define BLK_BOOT_VA    UINT64_C(0x0000007ffe000000) /* The boot page, read-only. */
#define BLK_DEVICE_VA  UINT64_C(0x0000007ffd000000) /* The device's page. */
#define BLK_DMA_VA     UINT64_C(0x0000007f00000000) /* The driver's own DMA region. */
#define BLK_CLIENT_VA  UINT64_C(0x0000006000000000) /* Client i's region: + i * BLK_REGION_SIZE. */
#define BLK_DMA_SIZE   BLK_REGION_SIZE		    /* Contiguous, like a client's. */

/*
 * A piece of a client's guest RAM: guest-physical [ipa, ipa + size) is
 * physical [pa, pa + size).
 */
struct blk_ram_run {
	uint64_t ipa;
	uint64_t pa;
	uint64_t size;
};

#define BLK_RAM_RUNS 16u /* Pieces of a client's guest RAM the driver takes. */

/*
 * The most segments a client should let its guest's request have: where
 * two runs meet, a segment that crosses becomes two pieces, and a guest's
 * buffers that do not overlap cross each meeting point at most once.
 */
#define BLK_GUEST_SEG_MAX (BLK_SEGS_MAX - (BLK_RAM_RUNS - 1))

/*
 * The largest request, in bytes: what one client may have the device move
 * for one slot, so that no client holds the shared device for long. A
 * client keeps its guest within it with VIRTIO_BLK_F_SIZE_MAX of
 * BLK_GUEST_SIZE_MAX bytes a segment.
 */
#define BLK_REQUEST_MAX	   (UINT32_C(4) << 20)
#define BLK_GUEST_SIZE_MAX (UINT32_C(16) << 10)

_Static_assert((uint64_t)BLK_GUEST_SEG_MAX *BLK_GUEST_SIZE_MAX <= BLK_REQUEST_MAX,
	       "a guest's largest request fits a slot");

/* What the driver serves to client i. */
struct blk_boot_client {
	char name[BLK_NAME_MAX]; /* "VM/device", for messages. */
	uint64_t region_va;	 /* Its region in the driver's address space. */
	uint64_t first_sector;	 /* Its part of the disk, when partition is 0: */
	uint64_t sector_count;
	uint32_t is_read_only;
	uint32_t partition; /* Else the disk's GPT entry number partition (from 1) is its part. */
	/*
	 * The guest RAM its segments may name (the device server's window
	 * on it), in ram_run_count runs of ascending ipa that do not overlap.
	 */
	uint32_t ram_run_count;
	uint32_t reserved;
	struct blk_ram_run ram[BLK_RAM_RUNS];
};

/* The driver's boot page (address in x0, main's argument). */
struct blk_boot {
	uint64_t magic;
	char name[BLK_NAME_MAX]; /* The driver's node name in the description. */
	uint64_t device_pa;	 /* The device's registers, physically, */
	uint64_t device_va;	 /*   and mapped (uncached) in the driver. */
	uint32_t intid;		 /* Its interrupt. */
	uint32_t restarts;	 /* How many times the root task restarted the driver. */
	uint64_t dma_va;	 /* BLK_DMA_SIZE bytes of the driver's own, for its */
	uint64_t dma_pa;	 /*   virtqueue and request headers. */
	uint32_t client_count;
	/*
	 * A testing aid: the first instance faults once the device has
	 * finished this many requests, before it tells their clients (0:
	 * never).
	 */
	uint32_t crash_after;
	struct blk_boot_client clients[BLK_MAX_CLIENTS];
};

_Static_assert(sizeof(struct blk_boot) <= 4096, "the boot page is one page");

/*
 * What the driver has done since it started, all its clients together,
 * which it stores into every client's slot-table page at BLK_STATS_OFFSET
 * after each piece of work, for the client to report (tools/disk-bench).
 * Figures only: nothing acts on them. A span is the driver's work from a
 * wake-up to its next wait, in PMCCNTR_EL0 counts (<mica/work.h>).
 */
struct blk_stats {
	uint64_t completed; /* Requests the device finished. */
	uint64_t spans;
	uint64_t cycles;
};

#define BLK_STATS_OFFSET UINT64_C(0x800)

_Static_assert(sizeof(struct blk_stats) == 24, "the figures' layout is the same everywhere");
_Static_assert(BLK_STATS_OFFSET >= sizeof(struct blk_table) &&
		       BLK_STATS_OFFSET + sizeof(struct blk_stats) <= BLK_TABLE_SIZE,
	       "the figures lie in the slot table's page, after the table");

#endif
