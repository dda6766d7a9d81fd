/*
 * The system description: which VMs Mica runs, with what memory, vCPUs,
 * guest images, emulated devices and passthrough regions, and which device
 * servers exist. It is written in device-tree source (docs/system-description.md),
 * compiled by dtc at build time, and parsed here with libfdt into plain
 * structs of fixed size, checked completely before anything uses them.
 *
 * Every string in a parsed description points into the blob it came from,
 * so the blob must outlive the description. Addresses and sizes are 64 bits
 * (two cells each in the source). Guest-physical ranges are struct
 * sysdesc_ipa_range; the one host-physical address (a passthrough region's)
 * is a field of its own, named as such.
 */
#ifndef MICA_SYSDESC_H
#define MICA_SYSDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>

/* Fixed maximums; a description that needs more is rejected. */
#define SYSDESC_VM_MAX		8    /* VMs in the system. */
#define SYSDESC_SERVER_MAX	16   /* Device-server programs in the system. */
#define SYSDESC_REGION_MAX	8    /* Memory regions per VM, allocated and identity together. */
#define SYSDESC_VCPU_MAX	8    /* vCPUs per VM. */
#define SYSDESC_DEVICE_MAX	16   /* Emulated devices per VM. */
#define SYSDESC_PASSTHROUGH_MAX 8    /* Passthrough regions per VM. */
#define SYSDESC_CHANNEL_MAX	16   /* Channels in the system. */
#define SYSDESC_CHANNEL_ENDS	4    /* VMs sharing one channel. */
#define SYSDESC_VM_CHANNEL_MAX	8    /* Channel ends per VM. */
#define SYSDESC_DOORBELL_MAX	16   /* Doorbells per VM (MICA_VM_DOORBELLS). */
#define SYSDESC_DRIVER_MAX	4    /* Driver servers in the system. */
#define SYSDESC_DRIVE_CLIENTS	8    /* Guest devices one driver serves (BLK_MAX_CLIENTS). */
#define SYSDESC_SECTOR_SIZE	512u /* A drive's parts are whole sectors. */
#define SYSDESC_PARTITION_MAX	128u /* A GPT's usual entry count: partitions 1 to 128. */
/*
 * Devices with an interrupt and channel ends per VM together: each may be
 * a notification bound to a vCPU, which takes MICA_VCPU_VIRQ_BINDINGS.
 */
#define SYSDESC_VM_LINES_MAX 16

/*
 * Dynamic channels (/vms/NAME/ivc): a VM's window is whole 2 MiB blocks,
 * at most this many; the peers it may have; the pool of every VM's
 * 'memory' together.
 */
#define SYSDESC_IVC_WINDOW_TABLES 8
#define SYSDESC_IVC_BLOCK	  UINT64_C(0x200000)
#define SYSDESC_IVC_PEERS	  (SYSDESC_VM_MAX - 1)
#define SYSDESC_IVC_POOL_MAX	  UINT64_C(0x800000)

/* Memory and device ranges are mapped at stage 2 in pages of this size. */
#define SYSDESC_PAGE_SIZE 4096u

/* Interrupts are SPIs: the INTIDs a device can use (GICv3 spec, 2.2.1). */
#define SYSDESC_SPI_FIRST 32u
#define SYSDESC_SPI_LAST  127u /* The guest's GIC has 96 (GUEST_SPI_LAST). */

/* Sizes of the parts of an error report, each including its terminator. */
#define SYSDESC_PATH_MAX     128
#define SYSDESC_PROPERTY_MAX 32
#define SYSDESC_MESSAGE_MAX  128

/* A range of guest-physical addresses, [base, base + size). */
struct sysdesc_ipa_range {
	uint64_t base;
	uint64_t size;
};

/*
 * A region of guest RAM. An allocated region is backed by fresh memory; an
 * identity region by the host-physical memory at the same address.
 */
struct sysdesc_region {
	struct sysdesc_ipa_range ipa;
	bool is_identity;
};

/* A device-server program: its name in the description and its archive file. */
struct sysdesc_server {
	const char *name;
	const char *program;
	/*
	 * A testing aid: the server's first instance faults on purpose after
	 * answering this many guest accesses, so that its restart can be
	 * tested; 0 (the default): never.
	 */
	uint32_t crash_after;
	/*
	 * A testing aid: the root task fails to build the server's restart
	 * with this number (1: the first), as when memory runs out, so that
	 * its handling of a failed restart can be tested; 0 (the default):
	 * never.
	 */
	uint32_t fail_restart;
	/*
	 * The physical CPU its thread runs on, by its index in the machine's
	 * /cpus; 0 (the default, the boot CPU) when absent. Whether the
	 * machine has it is for the root task to check.
	 */
	uint32_t cpu;
	/*
	 * 'uplink', a network driver's name: the way out of the server's
	 * switch (vdev_virtio_net), through the machine's network device.
	 */
	bool has_uplink;
	uint32_t uplink; /* Index into sysdesc.drivers. */
};

/*
 * A driver server: an unprivileged process that drives one of the
 * machine's own devices (/drivers/NAME): a block driver
 * ("drv_virtio_blk") drives the machine's virtio block device number
 * 'device' (counting them in address order from 0) and serves parts of it
 * to guests' virtio-blk devices ('drive'); a network driver
 * ("drv_virtio_net") its virtio network device of that number, as the
 * way out of a server's switch (the server's 'uplink'). Which kind a
 * program is, the root task knows.
 */
struct sysdesc_driver {
	const char *name;
	const char *program;
	uint32_t device; /* 'device': which of the machine's devices of its kind; 0 by default. */
	uint32_t cpu;	 /* The physical CPU its thread runs on, as a server's 'cpu'. */
	/*
	 * A testing aid: the driver's first instance faults on purpose once
	 * its device has finished this many requests, so that its restart can
	 * be tested; 0 (the default): never.
	 */
	uint32_t crash_after;
};

/* An emulated device: its kind, who emulates it, and where the guest sees it. */
struct sysdesc_device {
	const char *name;	/* The node's name, e.g. "serial@9000000". */
	const char *compatible; /* The device kind, e.g. "arm,pl011". */
	uint32_t server;	/* Index into sysdesc.servers. */
	struct sysdesc_ipa_range ipa;
	uint32_t intid;	  /* The SPI it raises; 0 when it has none. */
	const char *file; /* Archive file backing it (a disk image); NULL when none. */
	/*
	 * A part of a machine's disk backing it instead ('drive', a driver's
	 * name): bytes [drive_offset, drive_offset + drive_size) of the disk
	 * ('drive-range'; whole sectors; drive_size 0: to the disk's end,
	 * which only the root task knows), or the disk's GUID partition
	 * drive_partition ('drive-partition', from 1; 0: none), which only
	 * the driver can find; read-only if 'read-only'.
	 */
	bool has_drive;
	uint32_t drive; /* Index into sysdesc.drivers. */
	uint64_t drive_offset;
	uint64_t drive_size;
	uint32_t drive_partition;
	bool is_read_only;
};

/*
 * Host-physical device memory mapped straight into the guest, which its
 * device tree describes with compatible, reg and interrupts.
 */
struct sysdesc_passthrough {
	const char *name;
	const char *compatible;	 /* One or more strings, each NUL-terminated, back to back. */
	uint32_t compatible_len; /* Their bytes, every terminator included. */
	uint64_t host_physical;	 /* Where the range is in the host's physical space. */
	struct sysdesc_ipa_range ipa;
	uint32_t intid; /* The SPI forwarded to the guest (same INTID); 0 when none. */
};

/*
 * What a guest's access to guest-physical memory that is neither RAM nor a
 * device does ('unmapped-access'): a synchronous external abort, as
 * hardware gives (the default); a read of zero and an ignored write, the
 * instruction then going on (an access the kernel cannot decode, or a
 * fetch, still aborts); or the VM stops.
 */
enum sysdesc_unmapped {
	SYSDESC_UNMAPPED_ABORT,
	SYSDESC_UNMAPPED_READ_AS_ZERO,
	SYSDESC_UNMAPPED_STOP,
};

/*
 * A VM's policy for dynamic channels, its /vms/NAME/ivc node: where in its
 * guest-physical space they go, how much memory it may hold in channels it
 * allocated, which VMs it may have channels with (each must list it back),
 * and the interrupt and doorbells of the channels together.
 */
struct sysdesc_ivc {
	bool is_present;
	struct sysdesc_ipa_range window; /* 'window': 2 MiB aligned, whole 2 MiB blocks. */
	uint64_t memory;		 /* 'memory': bytes, a multiple of 4 KiB, non-zero. */
	uint32_t intid;			 /* 'interrupt': raised by its peers' doorbells and */
					 /* when a channel with it comes or goes. */
	uint32_t doorbell;		 /* 'doorbell': doorbell + k rings peer k. */
	uint32_t peer_count;
	uint32_t peers[SYSDESC_IVC_PEERS]; /* 'peers': indices into sysdesc.vms. */
};

/*
 * One VM. regions[0] is its boot region: the first entry of 'memory', or of
 * 'memory-identity' when it has no allocated memory.
 */
struct sysdesc_vm {
	const char *name;     /* Its node's name: the VM is /vms/NAME. */
	const char *kernel;   /* Archive file holding the guest kernel. */
	const char *initrd;   /* Archive file holding the initrd; NULL when none. */
	const char *bootargs; /* The kernel command line; "" when none. */
	enum sysdesc_unmapped unmapped;
	uint32_t vcpu_count;
	uint32_t vcpu_affinity[SYSDESC_VCPU_MAX]; /* The physical CPU each vCPU prefers. */
	uint32_t region_count;
	struct sysdesc_region regions[SYSDESC_REGION_MAX];
	uint32_t device_count;
	struct sysdesc_device devices[SYSDESC_DEVICE_MAX];
	uint32_t passthrough_count;
	struct sysdesc_passthrough passthrough[SYSDESC_PASSTHROUGH_MAX];
	struct sysdesc_ivc ivc;
};

/*
 * One VM's end of a channel: a child of the channel's node, named after
 * the VM. Its doorbells ring the other ends, one each, in the order the
 * ends are listed: doorbell, doorbell + 1, ...
 */
struct sysdesc_channel_end {
	uint32_t vm;	   /* Index into sysdesc.vms. */
	uint64_t ipa;	   /* Where the VM sees the channel's memory ('address'). */
	uint32_t intid;	   /* The SPI the other ends' doorbells raise in it ('interrupt'). */
	uint32_t doorbell; /* Its first doorbell number ('doorbell'). */
	bool is_read_only; /* 'read-only': the VM may read the memory, not write it. */
};

/* Memory shared by two or more VMs, with doorbells between them (/channels/NAME). */
struct sysdesc_channel {
	const char *name;
	uint64_t size; /* Bytes ('size'), a multiple of SYSDESC_PAGE_SIZE. */
	uint32_t end_count;
	struct sysdesc_channel_end ends[SYSDESC_CHANNEL_ENDS];
};

/* A whole, checked system description. */
struct sysdesc {
	uint32_t server_count;
	struct sysdesc_server servers[SYSDESC_SERVER_MAX];
	uint32_t driver_count;
	struct sysdesc_driver drivers[SYSDESC_DRIVER_MAX];
	uint32_t vm_count;
	struct sysdesc_vm vms[SYSDESC_VM_MAX];
	uint32_t channel_count;
	struct sysdesc_channel channels[SYSDESC_CHANNEL_MAX];
	/*
	 * A testing aid ('ivc-crash-after' at the root): the IVC server faults
	 * on purpose at this many guests' hypercalls, so that its end can be
	 * tested; 0 (the default): never.
	 */
	uint32_t ivc_crash_after;
};

/*
 * Why a description was rejected: the node (its full path), the property
 * ("" when the node itself is at fault) and what is wrong with it.
 */
struct sysdesc_error {
	char node[SYSDESC_PATH_MAX];
	char property[SYSDESC_PROPERTY_MAX];
	char message[SYSDESC_MESSAGE_MAX];
};

/*
 * Parse and check the description in the device-tree blob of size bytes at
 * fdt. Returns MICA_OK with *desc filled in, or MICA_ERR_MALFORMED with *err
 * saying what is wrong (and *desc unspecified). Nothing else is touched.
 */
enum mica_error sysdesc_parse(const void *fdt, size_t size, struct sysdesc *desc,
			      struct sysdesc_error *err) __attribute__((warn_unused_result));

/*
 * VM vm's k-th channel end, counting the ends of every channel in the
 * order of the description (the VMM and the root task agree on k this
 * way), and in *channel its channel; NULL past the last.
 */
const struct sysdesc_channel_end *sysdesc_channel_end_of(const struct sysdesc *desc, uint32_t vm,
							 uint32_t k,
							 const struct sysdesc_channel **channel);

/*
 * Write err as one line, "NODE: property 'NAME': MESSAGE" (or "NODE:
 * MESSAGE" when no property is at fault), into buf of size bytes, always
 * terminated when size > 0. Returns the length the full line would have.
 */
int sysdesc_error_format(const struct sysdesc_error *err, char *buf, size_t size);

#endif
