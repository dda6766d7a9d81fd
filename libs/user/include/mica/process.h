/*
 * Processes for the root task: a thread in an address space and CSpace of
 * its own, loaded from an ELF image in memory (for example a file of the
 * boot archive).
 *
 * process_create builds everything and leaves the thread stopped, so the
 * caller can put capabilities into the child's CNode first
 * (process_copy_cap, process_mint_cap); process_start runs it. A failure at
 * any step undoes the steps before it and returns the error, so a process
 * is either fully built or not there at all.
 *
 * What the child finds:
 *   - each PT_LOAD segment at its address with its own permissions: text
 *     read-execute, rodata read-only, data read-write, never writable and
 *     executable (the kernel refuses that, and so does elf_parse);
 *   - a stack of stack_pages pages below PROCESS_STACK_TOP, with an unmapped
 *     guard page below it;
 *   - its IPC buffer page at PROCESS_IPC_BUFFER_VA, and TPIDR_EL0 pointing
 *     at it (the convention libs/user's mica_ipc_buffer() relies on);
 *   - PC at the entry point, SP at PROCESS_STACK_TOP, x0 = the start
 *     argument (crt0 passes it on as main's first argument);
 *   - a CNode of 2^cnode_radix slots as its CSpace root, with a guard that
 *     makes every small capability address name a slot directly: cptr N is
 *     slot N at depth 64, as in the root task. Slot 0 stays empty.
 *
 * The child's frames and page tables are recorded in a CNode of the
 * parent's that the child never sees (the "book"), so destroying the
 * process deletes all of them at once; the parent's own slots hold only the
 * TCB, the VSpace, the child's CNode and the book. Memory comes from
 * <mica/alloc.h>, which must be initialised first; destroying a process
 * returns its slots but not its memory (the Untyped watermarks only grow).
 */
#ifndef MICA_USER_PROCESS_H
#define MICA_USER_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/bootinfo.h>
#include <mica/abi/errors.h>

/* Where things are in a child's address space. */
#define PROCESS_STACK_TOP     UINT64_C(0x0000007fff000000)
#define PROCESS_IPC_BUFFER_VA UINT64_C(0x0000007fff200000)

/*
 * A page of the CALLER's address space that process_create borrows to fill
 * the child's frames (it maps each one there, copies, and unmaps it). The
 * caller must keep it free. Tables for it are made on first use and kept.
 */
#define PROCESS_SCRATCH_VA UINT64_C(0x0000006000000000)

#define PROCESS_DEFAULT_STACK_PAGES 4
#define PROCESS_MAX_STACK_PAGES	    256
#define PROCESS_DEFAULT_CNODE_RADIX 8

/* Address-space regions per level that one process can have tables for. */
#define PROCESS_MAX_REGIONS 16

/* What process_create needs to know. Zero fields take the defaults. */
struct process_config {
	const char *name;  /* Up to 15 characters, for kernel messages; NULL: "process". */
	const void *image; /* The ELF executable, in the caller's memory. */
	size_t image_size;
	unsigned priority; /* At most the caller's MCP. */
	unsigned mcp;	   /* The child's maximum controlled priority. */
	uint64_t fault_ep; /* An endpoint in the CALLER's CSpace (badge it per */
	/*   child; needs write), or 0 for none. */
	uint64_t arg;	      /* x0 at the entry point. */
	unsigned stack_pages; /* 0: PROCESS_DEFAULT_STACK_PAGES. */
	unsigned cnode_radix; /* 0: PROCESS_DEFAULT_CNODE_RADIX; at most MICA_CNODE_MAX_RADIX. */
	/*
	 * The CPU the thread runs on (TCB SetAffinity), by its index in the
	 * machine's /cpus: below the boot info's cpu_count. 0: CPU 0.
	 */
	unsigned cpu;
};

/*
 * A process, as its parent holds it. Every capability address here is a
 * slot of the parent's CNode. Read the fields; change them only through the
 * functions below.
 */
struct process {
	uint64_t tcb;
	uint64_t vspace;
	uint64_t cnode;	 /* The child's CNode, without a guard: slot N at depth radix. */
	uint64_t cspace; /* The same CNode with the guard: the child's CSpace root. */
	uint64_t book;	 /* The parent's private CNode of the child's frames and tables. */
	unsigned cnode_radix;
	unsigned book_radix;
	uint64_t book_used;
	uint64_t entry;
	bool is_started;
	/* Regions that have a table: 1 GiB (level 2) and 2 MiB (level 3), by number. */
	uint64_t gib_regions[PROCESS_MAX_REGIONS];
	uint64_t mib_regions[PROCESS_MAX_REGIONS];
	unsigned gib_count;
	unsigned mib_count;
	/* After a failure: which step failed, for messages (never NULL after one). */
	const char *failed_step;
};

/*
 * Build a process from cfg, stopped. Errors: MICA_ERR_INVALID_ARGUMENT for a
 * missing image or an out-of-range priority, radix or stack size; elf_parse's
 * errors for a bad image; MICA_ERR_RANGE if a segment reaches the stack, the
 * IPC buffer or past the 39-bit user address space; MICA_ERR_ALIGNMENT if
 * two segments share a page (they could not get separate permissions);
 * MICA_ERR_NOT_ENOUGH_MEMORY when slots or Untyped memory run out;
 * otherwise the kernel's error from the step that failed (p->failed_step
 * names it), such as MICA_ERR_RANGE for a cpu the machine does not have
 * ("set the CPU"). On failure nothing of the process is left.
 */
enum mica_error process_create(struct process *p, const struct process_config *cfg)
	__attribute__((warn_unused_result));

/*
 * Point cfg->image at the boot archive file called name (the archive the
 * kernel mapped at MICA_ROOT_ARCHIVE_VA). MICA_ERR_NOT_FOUND if there is none.
 */
enum mica_error process_image_from_archive(const struct mica_boot_info *info, const char *name,
					   struct process_config *cfg)
	__attribute__((warn_unused_result));

/*
 * Copy (with rights masked) or mint (with rights and a badge, for endpoints
 * and notifications) the capability at src in the caller's CSpace into slot
 * of the child's CNode. The kernel's errors: MICA_ERR_DELETE_FIRST if the
 * slot is taken, MICA_ERR_LOOKUP_FAILED if it is past the CNode's end, ...
 * A copy of p->cspace gives the child its own CNode, which it needs to name
 * a receive slot for capabilities sent to it (receive_cnode in its IPC
 * buffer).
 */
enum mica_error process_copy_cap(struct process *p, uint64_t slot, uint64_t src, unsigned rights)
	__attribute__((warn_unused_result));
enum mica_error process_mint_cap(struct process *p, uint64_t slot, uint64_t src, unsigned rights,
				 uint64_t badge) __attribute__((warn_unused_result));

/* Delete the capability in slot of the child's CNode (an empty slot is fine). */
enum mica_error process_delete_cap(struct process *p, uint64_t slot)
	__attribute__((warn_unused_result));

/*
 * Map the caller's frame at va in the child, making page tables as needed.
 * rights and attrs are MICA_FRAME_MAP's. The caller keeps the capability
 * (deleting it unmaps the page); the tables belong to the process.
 */
enum mica_error process_map_frame(struct process *p, uint64_t frame, uint64_t va, unsigned rights,
				  unsigned attrs) __attribute__((warn_unused_result));

/*
 * The same for a 2 MiB frame (MICA_OBJ_FRAME_2M) at a 2 MiB-aligned va
 * (MICA_ERR_RANGE otherwise), which needs no level-3 table. va's 2 MiB
 * must not have one already, or the kernel refuses the block.
 */
enum mica_error process_map_large(struct process *p, uint64_t frame, uint64_t va, unsigned rights,
				  unsigned attrs) __attribute__((warn_unused_result));

/*
 * Map the caller's frame at va in the caller's OWN address space (the root
 * task's VSpace, MICA_CAP_ROOT_VSPACE), making page tables there as needed.
 * The tables stay in the caller's CNode for good.
 */
enum mica_error process_map_here(uint64_t frame, uint64_t va, unsigned rights, unsigned attrs)
	__attribute__((warn_unused_result));

/* Start the thread; MICA_ERR_ILLEGAL_OPERATION if it was started already. */
enum mica_error process_start(struct process *p) __attribute__((warn_unused_result));

/*
 * Take the process apart: stop the thread, then delete its TCB, every frame
 * and table, the VSpace and the CNode (with every capability in it), and
 * give the parent's slots back. Safe on a process that failed to build or
 * was destroyed already.
 */
void process_destroy(struct process *p);

#endif
