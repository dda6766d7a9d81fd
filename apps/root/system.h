/*
 * The root task's picture of the running system: every VM with its VMM and
 * every device server, built from the system description (system.c) and
 * supervised by main.c.
 */
#ifndef MICA_ROOT_SYSTEM_H
#define MICA_ROOT_SYSTEM_H

#include <formats/devkind.h>
#include <mica/abi/bootinfo.h>
#include <mica/process.h>
#include <mica/proto/blk.h>
#include <mica/proto/ivc.h>
#include <mica/proto/netq.h>
#include <mica/proto/vdev.h>
#include <mica/proto/vmm.h>
#include <mica/sysdesc.h>

#include <stdbool.h>
#include <stdint.h>

/* Badges of the root task's fault endpoint: whose fault or end it is. */
#define ROOT_BADGE_SERVER (UINT64_C(1) << 32)
#define ROOT_BADGE_VMM	  (UINT64_C(1) << 33)
#define ROOT_BADGE_LIST	  (UINT64_C(1) << 34) /* A console server's VDEV_MSG_LIST. */
#define ROOT_BADGE_IVC	  (UINT64_C(1) << 35) /* The IVC server. */
#define ROOT_BADGE_DRIVER (UINT64_C(1) << 36) /* A driver server. */
#define ROOT_BADGE_INDEX  UINT64_C(0xffff)

/* Every program the root task starts runs at this priority; the root task above. */
#define SYSTEM_PRIORITY 100

/* 2 MiB and 4 KiB frames of guest RAM, over all VMs. */
#define SYSTEM_MAX_RAM_FRAMES 1024

/* 2 MiB frames of disk images, per device server. */
#define SYSTEM_MAX_DISK_FRAMES 64

/* Pages of the machine's devices the root task has looked at (drivers.c). */
#define SYSTEM_MAX_DEVICE_PAGES 8

/* 4 KiB frames of each device's recoverable state. */
#define SYSTEM_STATE_PAGES (VDEV_STATE_SIZE / 0x1000)

struct ram_frame {
	uint64_t cap; /* The root task's capability, mapped into the VM. */
	uint64_t ipa;
	uint8_t vm;	   /* Whose: an index into system.vms[]. */
	uint8_t size_bits; /* 21 or 12. */
};

struct vm_rt {
	const struct sysdesc_vm *desc;
	uint64_t vm, ep;
	uint64_t vcpus[SYSDESC_VCPU_MAX];
	uint64_t tcbs[SYSDESC_VCPU_MAX];
	/* Each device's line notification (VDEV_KIND_EDGE_LINE), made once; 0: none yet. */
	uint64_t lines[SYSDESC_DEVICE_MAX];
	struct vmm_boot boot;
	struct process vmm;
	bool is_running;
};

struct server_rt {
	const struct sysdesc_server *desc;
	uint64_t ep, ntfn;
	uint64_t uart_irq; /* The machine UART's IRQHandler (console servers), or 0. */
	uint64_t uart_frame;
	struct vdev_boot boot;
	struct devkind_table kinds; /* What its program declares it serves. */
	struct process proc;
	/* Disk frames (2 MiB each, devices with a file), made once: kept across restarts. */
	uint64_t disk[SYSTEM_MAX_DISK_FRAMES];
	unsigned disk_count;
	unsigned disk_first[VDEV_MAX_DEVICES]; /* Device i's first frame in disk[]. */
	/* Each device's state pages, zero at first and kept across restarts (vdev.h). */
	uint64_t state[VDEV_MAX_DEVICES][SYSTEM_STATE_PAGES];
	/* Its switch's way out to a network driver (boot.uplink_va), and its signal of it. */
	uint64_t uplink_region;
	uint64_t uplink_signal;
	/* Device i's queue to its block driver (drive_va), and its signal of the driver. */
	uint64_t drive_region[VDEV_MAX_DEVICES];
	uint64_t drive_signal[VDEV_MAX_DEVICES];
	/* The root task's copies of frames mapped into it (RAM of virtio devices, disks). */
	uint64_t mapped[SYSTEM_MAX_RAM_FRAMES / 4];
	unsigned mapped_count;
	bool is_running;
};

/* The IVC server (ivc.c), when some VM has dynamic channels. */
struct ivc_rt {
	uint64_t ep;
	uint64_t ntfn;			      /* Bound to its thread: IVC_NTFN_VM_ENDED. */
	uint64_t lines[SYSDESC_VM_MAX];	      /* Each VM's dynamic-channel notification; 0: none. */
	uint64_t frames[IVC_POOL_FRAMES_MAX]; /* The root task's, mapped into the server. */
	struct ivc_boot boot;
	struct process proc;
	bool is_running;
};

struct driver_kind;

/* A driver server (drivers.c): what it is given, made once and kept across restarts. */
struct driver_rt {
	const struct sysdesc_driver *desc;
	const struct driver_kind *kind; /* What its program drives. */
	uint64_t ntfn;	       /* Bound to its thread: the device's interrupt and its clients. */
	uint64_t irq;	       /* The device's IRQHandler, */
	uint64_t irq_ntfn;     /*   and what it signals: ntfn, badged BLK_NTFN_DEVICE. */
	uint64_t device_frame; /* The device's page. */
	uint64_t dma;	       /* Its own DMA region (2 MiB). */
	/* Each client's queue region (2 MiB), a network driver's with its switch first. */
	uint64_t regions[BLK_MAX_CLIENTS];
	uint64_t client_ntfn[BLK_MAX_CLIENTS]; /* Each client's server, write-only, badged. */
	struct blk_boot boot;		       /* A block driver's boot page, */
	struct netq_boot net_boot;	       /*   or a network driver's. */
	uint32_t restarts;
	struct process proc;
	bool is_running;
};

struct device_page {
	uint64_t paddr;
	uint64_t frame;
};

struct system {
	const struct mica_boot_info *info;
	struct sysdesc desc;
	uint64_t fault_ep; /* The root task's: every child's faults and ends. */
	struct vm_rt vms[SYSDESC_VM_MAX];
	struct server_rt servers[SYSDESC_SERVER_MAX];
	struct ram_frame ram[SYSTEM_MAX_RAM_FRAMES];
	unsigned ram_count;
	/* The wall-clock time every server's clock counts from (struct vdev_boot). */
	uint64_t wall_clock_s, wall_clock_counter;
	uint64_t rtc_frame; /* The machine's RTC page, once read; a passthrough may take it. */
	/* Each channel end's notification (channels.c), by channel and end. */
	uint64_t channel_lines[SYSDESC_CHANNEL_MAX][SYSDESC_CHANNEL_ENDS];
	struct ivc_rt ivc;
	struct driver_rt drivers[SYSDESC_DRIVER_MAX];
	struct device_page device_pages[SYSTEM_MAX_DEVICE_PAGES];
	unsigned device_page_count;
};

/*
 * Parse the description (the archive's "system" file) and build every VM,
 * VMM and device server, started. Prints what is wrong and returns an
 * error if anything is.
 */
enum mica_error system_build(struct system *s, const struct mica_boot_info *info)
	__attribute__((warn_unused_result));

/*
 * Print the system as it is: each VM (running or ended, its vCPUs, devices
 * and channel ends) and each device server (its restarts and devices), and
 * the memory left.
 */
void system_print(const struct system *s);

/* Take a device server apart and build it again from the same boot page. */
enum mica_error system_restart_server(struct system *s, unsigned index)
	__attribute__((warn_unused_result));

/* Take a device server apart for good. */
void system_stop_server(struct system *s, unsigned index);

/* Take driver index apart; build it again from the same boot page. */
void system_stop_driver(struct system *s, unsigned index);
enum mica_error system_restart_driver(struct system *s, unsigned index)
	__attribute__((warn_unused_result));

/* A VMM ended: take it and its VM apart. */
void system_end_vm(struct system *s, unsigned index);

#endif
