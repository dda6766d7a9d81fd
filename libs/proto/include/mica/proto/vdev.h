/*
 * The contract between the root task, a VMM and a device server: what a
 * device server finds when it starts, and the one message it sends a VMM.
 *
 * A device server is one process per entry of the system description's
 * /servers node. It serves every emulated device that names it, in every
 * VM. The root task builds it with these capabilities, and nothing else
 * (slot numbers in its own CSpace, cptr N = slot N):
 *
 *   VDEV_CAP_EP     the endpoint it receives on. Each VM's VMM bound each
 *                   device range to a copy of it badged VDEV_BADGE_DEVICE |
 *                   index, so a guest's loads and stores in the range arrive
 *                   here as MICA_EXIT_MMIO messages (<mica/abi/exit.h>) with
 *                   that badge, index being the device's place in
 *                   vdev_boot.devices.
 *   VDEV_CAP_NTFN   a notification bound to its thread: physical interrupts
 *                   (the console UART's) and its own alarm (it holds read
 *                   and write, for MICA_NOTIFICATION_SET_ALARM) signal it,
 *                   and it arrives on VDEV_CAP_EP as a
 *                   MICA_LABEL_NOTIFICATION message whose badge is the
 *                   signalled bits.
 *   VDEV_CAP_REPLY  its reply object.
 *   VDEV_CAP_UART_IRQ  (only a server with vdev_boot.uart_va set) the
 *                   IRQHandler of the machine's UART, set to signal
 *                   VDEV_CAP_NTFN with bit VDEV_NTFN_UART.
 *   VDEV_CAP_ROOT   an endpoint of the root task's (write only), for
 *                   VDEV_MSG_LIST.
 *   VDEV_CAP_UPLINK (only a server with vdev_boot.uplink_va set) a network
 *                   driver's notification (write only): its switch's way out.
 *   devices[i].irq_cap  an endpoint to device i's VMM, badged for device i
 *                   alone: how it raises and lowers that device's line.
 *   devices[i].line_cap  a notification (write only) whose signal raises
 *                   device i's edge-triggered interrupt in its guest
 *                   (VDEV_KIND_EDGE_LINE), instead.
 *   devices[i].drive_cap  (a device with a drive) the block driver's
 *                   notification (write only), badged for this device's
 *                   queue: "look at my slots".
 *
 * Its address space holds, besides its program: the boot page (read-only,
 * its address in x0, so main's argument), device i's guest RAM at
 * devices[i].ram_va when the device needs to reach guest memory (virtio),
 * its disk at devices[i].disk_va (read-write, a private copy of the
 * archive file), device i's state pages at devices[i].state_va, and the
 * machine's UART at uart_va (console servers).
 *
 * Restarts. A server that faults or ends is taken apart and started again
 * from the same boot page with restarts one higher, while its guests keep
 * running. What the root task keeps across restarts is the endpoint (a
 * guest's access that arrives meanwhile waits there for the new instance;
 * one the old instance had taken but not answered is retried by the guest,
 * so it arrives again), the notification, the disks, and each device's
 * state pages: VDEV_STATE_SIZE bytes, zero at the first start, read-write,
 * where an instance keeps what the next one resumes from.
 *
 * What a server serves, and how the guest's device tree describes it, the
 * server itself declares in its ELF file (<mica/proto/devkind.h>).
 */
#ifndef MICA_PROTO_VDEV_H
#define MICA_PROTO_VDEV_H

#include <stdint.h>

#define VDEV_BOOT_MAGIC UINT64_C(0x544f4f4256454456) /* "VDEVBOOT" */

#define VDEV_MAX_DEVICES 16 /* Devices one server can serve, over all VMs. */
#define VDEV_NAME_MAX	 32 /* Bytes of each name below, terminator included. */

/* Where the root task puts things in a device server's address space. */
#define VDEV_BOOT_VA	UINT64_C(0x0000007ffe000000) /* The boot page. */
#define VDEV_UART_VA	UINT64_C(0x0000007ffd000000) /* The machine's UART page. */
#define VDEV_UPLINK_VA	UINT64_C(0x0000007ffc000000) /* A network driver's queue region. */
#define VDEV_RAM_VA	UINT64_C(0x0000004000000000) /* Device i's RAM: + i * VDEV_RAM_STRIDE. */
#define VDEV_DISK_VA	UINT64_C(0x0000005000000000) /* Device i's disk: + i * VDEV_RAM_STRIDE. */
#define VDEV_RAM_STRIDE UINT64_C(0x0000000040000000) /* 1 GiB per device. */
#define VDEV_STATE_VA	UINT64_C(0x0000007ff0000000) /* Device i's state: + i * VDEV_STATE_SIZE. */
#define VDEV_STATE_SIZE UINT64_C(0x4000)	     /* Four pages per device. */

/*
 * crash_after, a testing aid: bits 0-15 count accesses, bits 16-23 how many
 * instances crash (0: the first only; VDEV_CRASH_ALWAYS: every one).
 */
#define VDEV_CRASH_ACCESSES(c)	((c)&0xffffu)
#define VDEV_CRASH_INSTANCES(c) (((c) >> 16) & 0xffu)
#define VDEV_CRASH_ALWAYS	0xffu

enum vdev_cap {
	VDEV_CAP_EP = 1,
	VDEV_CAP_NTFN = 2,
	VDEV_CAP_REPLY = 3,
	VDEV_CAP_UART_IRQ = 4,
	VDEV_CAP_ROOT = 5,   /* An endpoint of the root task's, to ask it for VDEV_MSG_LIST. */
	VDEV_CAP_UPLINK = 6, /* (uplink_va set) the network driver's notification, write only. */
	VDEV_CAP_DEVICE_FIRST = 16, /* devices[i].irq_cap is VDEV_CAP_DEVICE_FIRST + i. */
	VDEV_CAP_LINE_FIRST = 32,   /* devices[i].line_cap is VDEV_CAP_LINE_FIRST + i. */
	VDEV_CAP_DRIVE_FIRST = 48,  /* devices[i].drive_cap is VDEV_CAP_DRIVE_FIRST + i. */
};

/* The badge of device i's MMIO exits on VDEV_CAP_EP. */
#define VDEV_BADGE_DEVICE (UINT64_C(1) << 32)

/*
 * Notification bits on VDEV_CAP_NTFN: the machine's UART interrupt, and
 * VM v has ended (v as in devices[i].vm_index, below VDEV_MAX_VMS), which
 * the root task signals when it takes the VM apart: its devices' lines
 * then go nowhere, and a console stops taking input for it.
 */
#define VDEV_NTFN_UART	      (UINT64_C(1) << 0)
#define VDEV_NTFN_TIMER	      (UINT64_C(1) << 1) /* The library's alarm (vdev_timer_set). */
#define VDEV_NTFN_DRIVE	      (UINT64_C(1) << 2) /* A block driver completed requests. */
#define VDEV_NTFN_UPLINK      (UINT64_C(1) << 3) /* The network driver put frames, or made room. */
#define VDEV_MAX_VMS	      8
#define VDEV_NTFN_VM_ENDED(v) (UINT64_C(1) << (8 + (v)))

/*
 * The message a device server sends its VMM through devices[i].irq_cap,
 * as a Call: label VDEV_MSG_IRQ_LINE, MR0 = the line's new level (0 low,
 * 1 high). Every line is level-sensitive; a server drives it from its
 * device's interrupt status. The VMM answers label 0 (MICA_OK in MR0), or
 * an error in MR0 if the device has no interrupt.
 */
#define VDEV_MSG_IRQ_LINE 1
/*
 * Also through devices[i].irq_cap, as a Call with no words: the user asked
 * for the VM's exit statistics (the console's Ctrl-T). The VMM prints them,
 * at most once a second however often it is asked, and answers label 0.
 */
#define VDEV_MSG_STATS 2
/*
 * Through VDEV_CAP_ROOT, as a non-blocking Send with no words: the user
 * asked for the list of the system's VMs and servers (Ctrl-T too). The
 * root task prints it, if it was waiting (else the request is dropped).
 */
#define VDEV_MSG_LIST 3
/*
 * From a VMM, through the device's capability it binds (VMM_CAP_DEVICE),
 * as a Call with no words: the guest reset (PSCI SYSTEM_RESET), so the
 * device goes back to its reset state before the VMM loads the guest
 * again (a virtio device as if its driver wrote 0 to Status: it writes
 * into no buffer of the last boot's). The server answers label 0. A VMM
 * sends it only to devices of a kind with VDEV_KIND_EDGE_LINE and without
 * VDEV_KIND_MACHINE_UART, whose servers never call a VMM: a server of such
 * a kind must not, or the two could wait for each other for ever.
 */
#define VDEV_MSG_RESET 4

/* One device this server emulates. Names are NUL-terminated. */
struct vdev_boot_device {
	char vm[VDEV_NAME_MAX];		/* The VM's name, e.g. "linux". */
	char name[VDEV_NAME_MAX];	/* Its node's name, e.g. "serial@9000000". */
	char compatible[VDEV_NAME_MAX]; /* Its kind, e.g. "arm,pl011" or "virtio,mmio". */
	uint64_t ipa_base;		/* Where the guest sees its registers. */
	uint64_t ipa_size;
	uint32_t intid;	    /* The SPI it raises; 0 when none. */
	uint32_t vm_index;  /* Which VM of the description (devices of one VM share it). */
	uint64_t irq_cap;   /* See above; 0 when intid is 0. */
	uint64_t line_cap;  /* See above; 0 when intid is 0 or the kind has no EDGE_LINE. */
	uint64_t ram_ipa;   /* Guest RAM mapped for it: guest-physical base, */
	uint64_t ram_size;  /*   size (0: none), */
	uint64_t ram_va;    /*   and where in this server's address space. */
	uint64_t disk_va;   /* Its disk (virtio-blk): where, */
	uint64_t disk_size; /*   and how many bytes (0: none). */
	uint64_t state_va;  /* Its state pages (VDEV_STATE_SIZE bytes), kept across restarts. */
	/*
	 * A part of a machine's disk backing it instead of disk_va (virtio-blk):
	 * its queue to the block driver (<mica/proto/blk.h>) at drive_va (0:
	 * none), drive_sectors sectors long, read-only if drive_read_only. The
	 * driver's signal is drive_cap; the driver's completions raise
	 * VDEV_NTFN_DRIVE. When drive_partition is not 0, the part is that
	 * entry of the disk's GUID partition table, and drive_sectors is 0:
	 * the size is in the queue's window once the driver has read the
	 * table, which it signals too (<mica/proto/blk.h>).
	 */
	uint64_t drive_va;
	uint64_t drive_sectors;
	uint64_t drive_cap;
	uint32_t drive_read_only;
	uint32_t drive_partition;
};

/* The boot page. */
struct vdev_boot {
	uint64_t magic;		    /* VDEV_BOOT_MAGIC. */
	char server[VDEV_NAME_MAX]; /* Its name in the description, e.g. "pl011". */
	uint32_t device_count;
	uint32_t uart_intid;  /* The machine's UART interrupt (console servers). */
	uint64_t uart_va;     /* The machine's UART registers; 0: not a console server. */
	uint32_t restarts;    /* How many times the root task restarted this server. */
	uint32_t crash_after; /* Testing: fault after this many accesses (VDEV_CRASH_*). */
	uint32_t vms_ended;   /* Bit v: VM v ended before this instance started. */
	uint32_t reserved;
	/*
	 * The queue region of a network driver (<mica/proto/netq.h>) that the
	 * server's switch sends out through and receives from (0: none), and
	 * its signal of the driver, VDEV_CAP_UPLINK.
	 */
	uint64_t uplink_va;
	/*
	 * The wall-clock time: the machine's real-time clock as the root task
	 * read it at boot, in seconds since 1970-01-01 00:00:00 UTC (0: the
	 * machine has none), and the generic counter (CNTVCT_EL0) when it
	 * did. The library's clock counts on from them (vdev_time_ns).
	 */
	uint64_t wall_clock_s;
	uint64_t wall_clock_counter;
	struct vdev_boot_device devices[VDEV_MAX_DEVICES];
};

_Static_assert(sizeof(struct vdev_boot) <= 4096, "the boot page is one page");

#endif
