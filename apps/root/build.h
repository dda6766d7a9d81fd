/*
 * What the root task's builders share (system.c: the system and the VMMs;
 * vms.c: each VM's objects and memory; servers.c: the device servers):
 * capability and frame helpers, and where each device sits in its
 * server's boot page.
 */
#ifndef MICA_ROOT_BUILD_H
#define MICA_ROOT_BUILD_H

#include <mica/abi/objects.h>
#include <mica/process.h>

#include <stddef.h>
#include <stdint.h>

#include "system.h"

#define ROOT	   MICA_CAP_ROOT_CNODE
#define RW	   (MICA_RIGHT_READ | MICA_RIGHT_WRITE)
#define PAGE	   UINT64_C(0x1000)
#define BLOCK	   UINT64_C(0x200000)
#define PAGE_BITS  12
#define BLOCK_BITS 21

/* The machine's PL031 real-time clock (QEMU virt), read once for the wall-clock time. */
#define RTC_PADDR UINT64_C(0x09010000)

/* The machine's UART, which the console server drives (QEMU virt). */
#define UART_PADDR UINT64_C(0x09000000)
#define UART_INTID 33

/* Which device of each server's boot page is device d of VM v. */
extern uint32_t server_index_of[SYSDESC_VM_MAX][SYSDESC_DEVICE_MAX];

/* name into dst of VDEV_NAME_MAX bytes, cut short if need be, always terminated. */
void copy_name(char *dst, const char *name);
/* The archive file called name (its size in *size), or NULL. */
const char *archive_file(const struct system *s, const char *name, uint64_t *size);
/* A copy of cap with rights; 0 if none could be made. */
uint64_t copy_cap(uint64_t cap, unsigned rights);
/* A copy of cap with rights and badge; 0 if none could be made. */
uint64_t mint_cap(uint64_t cap, unsigned rights, uint64_t badge);
/* Delete the capability in slot and free the slot. */
void drop_cap(uint64_t slot);
/* Fill frame (2^bits bytes) with len bytes of data, then zeros. */
enum mica_error fill_frame(uint64_t frame, unsigned bits, const void *data, uint64_t len);
/* A page of p's at va holding len bytes of data, read-only. */
enum mica_error give_page(struct process *p, const void *data, uint64_t len, uint64_t va);
/* A copy of size bytes of data, in fresh frames mapped into p at va with rights. */
enum mica_error give_copy(struct process *p, const char *data, uint64_t size, uint64_t va,
			  unsigned rights);
/* Map copies of VM v's RAM frames into p from va (see system.c). */
enum mica_error map_ram(struct system *s, const struct vm_rt *v, struct process *p, uint64_t va,
			struct vmm_boot_region *regions, uint64_t *kept, unsigned *kept_count,
			unsigned kept_max);

/* vms.c: VM index's identity-mapped RAM (before anything else takes it), then its objects. */
enum mica_error make_identity_ram(struct system *s, unsigned index);
enum mica_error make_vm_objects(struct system *s, unsigned index);
/*
 * Device d of VM index's line notification (VDEV_KIND_EDGE_LINE), made on
 * first use and kept for the VMM and every instance of the server; 0 if it
 * cannot be made.
 */
uint64_t device_line(struct system *s, unsigned index, unsigned d);

/*
 * channels.c: every channel's memory, notifications and doorbells (once
 * the VMs' objects exist), and VM vm's k-th end's notification (in the
 * order of sysdesc_channel_end_of), 0 if none.
 */
enum mica_error make_channels(struct system *s);

/* ivc.c: the IVC server, built and started if some VM has dynamic channels. */
enum mica_error make_ivc(struct system *s, const void *dtb, uint64_t dtb_size);
/* Take the IVC server apart (it faulted): every dynamic channel goes with it. */
void ivc_stop(struct system *s);
/* Tell the IVC server that VM index ended: its channels go from its peers too. */
void ivc_vm_ended(struct system *s, unsigned index);
uint64_t channel_line(const struct system *s, unsigned vm, unsigned k);

/*
 * drivers.c: every driver's device, objects and clients (once the servers'
 * boot pages are planned, before they start), and driver index started.
 */
enum mica_error plan_drivers(struct system *s);
enum mica_error start_driver(struct system *s, unsigned index);

/* servers.c: plan server index's boot page, make the console's UART, start it. */
enum mica_error plan_server(struct system *s, unsigned index);
enum mica_error make_uart(struct server_rt *sv);
enum mica_error start_server(struct system *s, unsigned index);

#endif
