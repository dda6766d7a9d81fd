/*
 * A driver for a virtio-blk device on the virtio-mmio transport, version 2
 * (virtio 1.2 §4.2.2, §5.2), serving the slot tables of <mica/proto/blk.h>.
 * Pure logic: it reaches the device's registers through struct vdrv_bus,
 * and its queue and the clients' regions as plain memory, so that host
 * tests run it against a fake device. It makes no system call; the caller
 * signals the clients whose bits it returns.
 *
 * One queue, in the driver's own DMA region. A client's read or write is
 * one descriptor pointing to an indirect table (virtio 1.2 §2.7.5.3) of
 * the slot's own in the DMA region: the header, the data in the client's
 * guest RAM, segment by segment (a segment that crosses from one run of
 * the RAM map to the next becomes two), and the status byte. A flush, and
 * the driver's own reads, are chains of two or three descriptors. A
 * driver-private table, indexed by the chain's head, says whose slot it
 * is. Nothing the device or a client writes is used as an index without a
 * bounds check.
 *
 * Before it serves anyone, the driver finds the parts its clients name by
 * partition: it reads the disk's GUID partition table (gpt.h) through the
 * same queue, into its DMA region, then writes every client's window
 * (<mica/proto/blk.h>) and only then takes slots.
 */
#ifndef MICA_DRV_VIRTIO_BLK_DRV_H
#define MICA_DRV_VIRTIO_BLK_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include <mica/proto/blk.h>

#include "gpt.h"
#include "virtio_drv.h"

/* The largest queue the driver sets up; the device may offer less. */
#define VBLK_QUEUE_MAX 256u

/* Where the driver is in its start: reading the partition table, or serving. */
enum vblk_phase {
	VBLK_READING_HEADER,  /* Sector 1, the GPT's header, is on the device. */
	VBLK_READING_ENTRIES, /* A piece of the GPT's entry array is. */
	VBLK_SERVING,	      /* Every window is written, and slots are taken. */
};

/* Why a client is refused every request (its window FAILED). */
enum vblk_refusal {
	VBLK_REFUSAL_NONE,
	VBLK_REFUSAL_TABLE,   /* Its partition is not in the table: gpt_error says why. */
	VBLK_REFUSAL_READ,    /* The device failed a read of the partition table. */
	VBLK_REFUSAL_OVERLAP, /* It shares sectors with client overlaps, and is not read-only with
				 it. */
	VBLK_REFUSAL_CHANGED, /* The driver's last instance gave it another window. */
};

/* What the driver serves to one client: its part of the disk, in whole sectors. */
struct vblk_client {
	struct blk_table *table;
	const struct blk_seg *segs; /* Slot s's segments: segs + s * BLK_SEGS_STRIDE. */
	uint32_t ram_run_count;
	struct blk_ram_run ram[BLK_RAM_RUNS]; /* The guest RAM its segments may name. */
	uint64_t first_sector;		      /* The part, once resolved; */
	uint64_t sector_count; /*   cut to the disk's end if the boot page said more. */
	uint32_t partition;    /* The GPT entry it is (from 1); 0: the boot page's range. */
	enum vblk_refusal refusal;
	enum gpt_error gpt_error; /* VBLK_REFUSAL_TABLE's reason. */
	uint32_t overlaps;	  /* VBLK_REFUSAL_OVERLAP's other client. */
	bool is_read_only;
	uint16_t taken; /* Bit s: slot s is the driver's, in flight on the device. */
};

/* A request on the device, indexed by its chain's head descriptor. */
struct vblk_request {
	bool is_in_flight;
	bool is_own; /* The driver's own read, not a client's slot. */
	uint8_t client;
	uint8_t slot;
	uint8_t desc_count;
	uint16_t desc[3];
};

struct vblk_queue_memory; /* The rings, headers and status bytes, in the DMA region. */

struct vblk {
	struct vdrv_bus bus;
	struct vblk_queue_memory *queue;
	uint64_t queue_pa;
	uint64_t capacity; /* In sectors. */
	bool has_flush;	   /* The device has a write cache, and VIRTIO_BLK_F_FLUSH. */
	uint16_t queue_size;
	uint16_t avail_idx;  /* The next avail ring entry the driver fills. */
	uint16_t used_idx;   /* The next used ring entry the driver reads. */
	uint16_t free_count; /* free[0, free_count) are the unused descriptors. */
	uint32_t client_count;
	uint32_t next_client;  /* Where the next scan of every client starts, for fairness. */
	uint64_t ignored_used; /* Used entries naming no request in flight (device bugs). */
	uint64_t completed;    /* Client requests the device finished. */
	enum vblk_phase phase;
	/*
	 * The driver's own reads, one at a time, into the DMA region past the
	 * queue (VBLK_OWN_SIZE bytes): the partition table's header, then its
	 * entry array in pieces of at most VBLK_OWN_PIECE bytes.
	 */
	uint8_t *own;
	uint64_t own_pa;
	/* The indirect tables, VBLK_TABLE_DESCS descriptors for each client's slot. */
	struct virtq_desc *tables;
	uint64_t tables_pa;
	uint32_t own_bytes; /* The entry array's bytes, whole sectors; */
	uint32_t own_done;  /*   how many of them are read. */
	uint32_t own_piece; /* The bytes of the read on the device. */
	bool is_own_ok;	    /* Whether the last own read succeeded. */
	/*
	 * What is wrong with the whole table, if anything: NONE, TABLE
	 * (gpt_error says why) or READ.
	 */
	enum vblk_refusal table_refusal;
	enum gpt_error gpt_error;
	struct gpt_header gpt;
	uint16_t free[VBLK_QUEUE_MAX];
	struct vblk_request requests[VBLK_QUEUE_MAX];
	struct vblk_client clients[BLK_MAX_CLIENTS];
};

/*
 * The DMA region past the queue: the driver's own reads, then an indirect
 * table for each slot of each client.
 */
#define VBLK_OWN_OFFSET	   UINT64_C(0x4000)
#define VBLK_OWN_PIECE	   UINT32_C(0x20000) /* The largest own read. */
#define VBLK_TABLE_DESCS   256u		     /* No longer than the queue (§2.7.5.3.1): 4 KiB. */
#define VBLK_TABLE_BYTES   (VBLK_TABLE_DESCS * UINT64_C(16))
#define VBLK_TABLES_OFFSET (BLK_DMA_SIZE - VBLK_TABLE_BYTES * BLK_SLOTS * BLK_MAX_CLIENTS)
#define VBLK_OWN_SIZE	   (VBLK_TABLES_OFFSET - VBLK_OWN_OFFSET)

/*
 * Reset the device, negotiate, set up queue 0 in the boot page's DMA
 * region and start it, and take the clients from the boot page. A reset
 * drops whatever a previous instance left on the device, so a restarted
 * driver starts the same way; once it serves, its first scan takes every
 * SUBMITTED slot afresh.
 */
__attribute__((warn_unused_result)) enum vdrv_error
vblk_init(struct vblk *d, const struct blk_boot *boot, const struct vdrv_bus *bus);

/* A sentence saying what went wrong, for a message. */
const char *vblk_init_error_text(enum vdrv_error err);

/*
 * Start, after vblk_init: if a client names a partition, put the read of
 * the partition table's header on the device (vblk_interrupt goes on from
 * there); else write every client's window and serve at once. Returns the
 * clients to signal.
 *
 * Once the table is read, each client of a partition gets that entry's
 * sectors, or is refused if it has none; then a client of a partition is
 * refused if its sectors meet another's that is not refused (a range, or
 * an earlier partition), unless both are read-only, as the system
 * description's check does for ranges. A client whose window from a last
 * instance differs from the one found now is refused too.
 */
uint32_t vblk_start(struct vblk *d);

/*
 * The driver cannot serve (vblk_init failed): every window of boot's
 * clients still PENDING becomes FAILED, so that no client waits for ever.
 * Returns the clients to signal.
 */
uint32_t vblk_fail_windows(const struct blk_boot *boot);

/*
 * Take client c's submitted slots (and refuse the malformed ones at once),
 * and notify the device if any went on the queue. Returns the clients to
 * signal: bit i for client i. Nothing until the driver serves.
 */
uint32_t vblk_serve_client(struct vblk *d, uint32_t c);

/* vblk_serve_client for every client, in turn from where the last scan left off. */
uint32_t vblk_serve_all(struct vblk *d);

/*
 * The device's interrupt: acknowledge it, complete every request the
 * device has used, then take the slots that waited for descriptors, or
 * go on reading the partition table. Returns the clients to signal.
 */
uint32_t vblk_interrupt(struct vblk *d);

#endif
