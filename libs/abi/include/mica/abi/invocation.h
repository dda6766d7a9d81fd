/*
 * Invocations: operations on kernel objects, made with MICA_SYS_CALL on the
 * object's capability. The message label selects the operation; arguments
 * are message words (MR) and extra capabilities (CAP, by address in the
 * caller's CSpace, from the IPC buffer's caps[]). The kernel answers at
 * once: x6 holds the error, results are message words.
 *
 * Capability addresses inside a CNode are (index, depth) pairs resolved
 * from that CNode; the caller's own capabilities are looked up with depth
 * 64 from its CSpace root.
 */
#ifndef MICA_ABI_INVOCATION_H
#define MICA_ABI_INVOCATION_H

enum mica_invocation {
	/*
	 * Untyped. MR0 type, MR1 size bits (Untyped) or radix (CNode), MR2 index
	 * and MR3 depth of the destination CNode (from CAP0, a CNode capability:
	 * depth 0 means CAP0 itself), MR4 first slot, MR5 number of objects.
	 * VSpaces and VMs: CAP1, an ASID pool of the matching kind with an ID
	 * free for each (MICA_ERR_INVALID_CAPABILITY without one,
	 * MICA_ERR_WRONG_TYPE for another kind, MICA_ERR_NOT_ENOUGH_MEMORY when
	 * it has too few). A large Untyped's first retype clears its memory; the
	 * call may be preempted and is then made again by itself.
	 */
	MICA_UNTYPED_RETYPE = 1,

	/*
	 * CNode (invoked on a CNode capability: the destination's root). MR0
	 * destination index, MR1 its depth; for copy/mint/move/mutate, CAP0 is
	 * the source's root CNode, MR2 source index, MR3 source depth, MR4
	 * rights mask, MR5 badge (mint, mutate) or CNode guard (see cnode.h
	 * rules in docs: bits 5..0 guard size, 63..6 guard value).
	 */
	MICA_CNODE_COPY = 10,
	MICA_CNODE_MINT = 11,
	MICA_CNODE_MOVE = 12,
	MICA_CNODE_MUTATE = 13,
	MICA_CNODE_DELETE = 14, /* MR0 index, MR1 depth. */
	MICA_CNODE_REVOKE = 15, /* MR0 index, MR1 depth: delete every descendant. */

	/*
	 * TCB. SET_SPACE: CAP0 CSpace root (CNode), CAP1 VSpace, CAP2 fault
	 * endpoint (needs write; cptr 0 for none). SET_IPC_BUFFER: MR0 address
	 * (MICA_IPC_BUFFER_ALIGN aligned; 0 for none), CAP0 the frame mapped
	 * there (RAM, with read and write rights, else MICA_ERR_NO_RIGHTS).
	 * SET_PRIORITY: MR0 priority, at most the caller's MCP.
	 * SET_MCP: MR0 MCP, at most the caller's. READ_REGISTERS: MR0 count
	 * (up to MICA_CONTEXT_WORDS) -> MR0.. the words. WRITE_REGISTERS: MR0
	 * count, MR1.. the words (count+1 words in all; only a stopped or
	 * blocked thread's context changes for sure). RESUME, SUSPEND.
	 * BIND_NOTIFICATION: CAP0 a notification (needs read). UNBIND.
	 * SET_NAME: MR0..MR1 up to 15 characters, for kernel messages.
	 */
	MICA_TCB_SET_SPACE = 20,
	MICA_TCB_SET_IPC_BUFFER = 21,
	MICA_TCB_SET_PRIORITY = 22,
	MICA_TCB_SET_MCP = 23,
	MICA_TCB_READ_REGISTERS = 24,
	MICA_TCB_WRITE_REGISTERS = 25,
	MICA_TCB_RESUME = 26,
	MICA_TCB_SUSPEND = 27,
	MICA_TCB_BIND_NOTIFICATION = 28,
	MICA_TCB_UNBIND_NOTIFICATION = 29,
	MICA_TCB_SET_NAME = 30,
	/*
	 * BIND_VCPU: CAP0 a VCPU. The thread then runs that virtual CPU: its
	 * VSpace (SET_SPACE) must be a VM, its registers (READ/WRITE_REGISTERS)
	 * are the guest's, it enters at EL1 with interrupts masked, and its
	 * exits arrive at its fault endpoint (<mica/abi/exit.h>).
	 */
	MICA_TCB_BIND_VCPU = 31,
	/*
	 * SET_AFFINITY: MR0 the CPU the thread runs on from now on (0 .. the
	 * boot info's cpu_count - 1, else MICA_ERR_RANGE). A new thread runs on
	 * CPU 0. A vCPU thread moves with its guest state.
	 */
	MICA_TCB_SET_AFFINITY = 32,

	/*
	 * Frames. MAP: CAP0 VSpace, MR0 address, MR1 rights (MICA_RIGHT_READ |
	 * MICA_RIGHT_WRITE, within the capability's), MR2 attributes
	 * (MICA_MAP_EXECUTE; never with write). UNMAP. GET_ADDRESS -> MR0
	 * physical address.
	 */
	MICA_FRAME_MAP = 40,
	MICA_FRAME_UNMAP = 41,
	MICA_FRAME_GET_ADDRESS = 42,

	/* Page tables. MAP: CAP0 VSpace, MR0 an address the table will serve. UNMAP. */
	MICA_PAGE_TABLE_MAP = 50,
	MICA_PAGE_TABLE_UNMAP = 51,

	/* IRQControl. GET: MR0 INTID, MR1 index, MR2 depth in CAP0 (a CNode). */
	MICA_IRQ_CONTROL_GET = 60,
	/*
	 * IRQHandler. SET_NOTIFICATION: CAP0 a notification (needs write); the
	 * interrupt then signals it with that capability's badge and stays
	 * masked until ACK. CLEAR drops the notification.
	 */
	MICA_IRQ_HANDLER_ACK = 61,
	MICA_IRQ_HANDLER_SET_NOTIFICATION = 62,
	MICA_IRQ_HANDLER_CLEAR = 63,
	/*
	 * SET_VCPU: CAP0 a VCPU. Passthrough: the interrupt is injected into
	 * that vCPU as the same virtual INTID (MR0 priority), and the physical
	 * one stays masked until the guest deactivates the virtual one. CLEAR
	 * undoes it.
	 */
	MICA_IRQ_HANDLER_SET_VCPU = 64,

	/*
	 * VCPU (see <mica/abi/vcpu.h> for states and registers).
	 * SET_ENTRY: MR0 PC, MR1 x0. The vCPU is reset to the architectural
	 * EL1 reset state (MMU off, interrupts masked, EL1h), its general
	 * registers zeroed but x0, its virtual interrupts dropped. Created or
	 * Free -> Free; a Ready vCPU whose thread is not running stays Ready.
	 * GET_STATE -> MR0 the state.
	 * READ_REG: MR0 a MICA_VCPU_REG_* -> MR0 the value (also
	 * MICA_VCPU_REG_TIMER_IRQS, read only). WRITE_REG: MR0 the register,
	 * MR1 the value (PSTATE: only EL0t, EL1t or EL1h, AArch64).
	 * INJECT_IRQ: MR0 INTID (0..1019), MR1 priority (0 highest..255),
	 * MR2 MICA_VIRQ_* flags; pending until the guest takes it. An INTID
	 * already pending is not queued twice.
	 * CLEAR_IRQ: MR0 INTID: withdraw it if the guest has not taken it.
	 * INJECT_UNDEF: the guest takes an undefined-instruction exception at
	 * its current PC when it next runs (answer an exit with it to refuse
	 * the instruction; the PC is not advanced).
	 * INJECT_ABORT: answering an abort exit (MICA_EXIT_MMIO, or a
	 * MICA_EXIT_FAULT whose syndrome is an instruction or data abort with
	 * a valid address), the guest takes a synchronous external abort at
	 * the exit's instruction, as hardware gives for an access that no
	 * memory or device answers: an instruction abort for a fetch, else a
	 * data abort (a write's WnR set), its FAR_EL1 the address the guest
	 * used. MICA_ERR_ILLEGAL_OPERATION for any other exit, or none.
	 * SET_SGI: MR0 the SGIs (bit n: INTID n, 0..15) the vCPU takes straight
	 * from another vCPU's ICC_SGI1R_EL1 write (see MICA_VM_BIND_SGI), MR1
	 * the priorities of SGIs 0..7 (byte n: SGI n), MR2 of SGIs 8..15. The
	 * VMM sets those its GIC model has enabled and in an enabled group; it
	 * still gets writes naming any other. None after creation or unbinding.
	 * SET_TIMERS: the guest's view of its timers' PPIs, which the kernel
	 * delivers itself (virtual, PPI 27 on QEMU virt; physical, PPI 30), as
	 * the VMM's GIC model has them: MR0 enabled (bit 0 virtual, bit 1
	 * physical), MR1 their priorities (byte 0 virtual, byte 1 physical). A
	 * disabled timer that fires stays pending, unseen, until enabled; one
	 * disabled before the guest took it is withdrawn. Both enabled at 0x80
	 * until set.
	 * GET_STATS -> MR0.. the counts of enum mica_vcpu_stat
	 * (MICA_VCPU_STAT_COUNT words), for exit statistics.
	 */
	MICA_VCPU_SET_ENTRY = 70,
	MICA_VCPU_GET_STATE = 71,
	MICA_VCPU_READ_REG = 72,
	MICA_VCPU_WRITE_REG = 73,
	MICA_VCPU_INJECT_IRQ = 74,
	MICA_VCPU_CLEAR_IRQ = 75,
	MICA_VCPU_INJECT_UNDEF = 76,
	MICA_VCPU_SET_SGI = 77,
	MICA_VCPU_INJECT_ABORT = 78,
	MICA_VCPU_SET_TIMERS = 79,
	MICA_VCPU_GET_STATS = 69,

	/*
	 * VM. BIND_MMIO: MR0 base, MR1 size (bytes; the range must not wrap
	 * or overlap another), CAP0 an endpoint (needs write): MMIO exits in
	 * the range go there, with that capability's badge, instead of to the
	 * VMM. UNBIND_MMIO: MR0 base of a bound range.
	 */
	MICA_VM_BIND_MMIO = 80,
	MICA_VM_UNBIND_MMIO = 81,
	/*
	 * BIND_SGI: MR0 a target number n (0..MICA_VM_SGI_TARGETS - 1), CAP0 a
	 * VCPU: a guest write of ICC_SGI1R_EL1 whose target list names
	 * affinity 0.0.0.n (Aff3..Aff1 0, range 0, not IRM) reaches that vCPU
	 * in the kernel, without an exit: pending at once, at the priority its
	 * SET_SGI gave, and no exit when the guest deactivates it. The kernel
	 * does so only when every vCPU a write names is bound and takes that
	 * SGI (SET_SGI) and has room for it; any other write is an exit to the
	 * VMM as before. The VM holds a copy of the capability, so the binding
	 * dies with the vCPU. MICA_ERR_DELETE_FIRST if n is bound. UNBIND_SGI:
	 * MR0 n (MICA_ERR_NOT_FOUND if unbound).
	 */
	MICA_VM_BIND_SGI = 82,
	MICA_VM_UNBIND_SGI = 83,
	/*
	 * BIND_DOORBELL: MR0 a doorbell number n (0..MICA_VM_DOORBELLS - 1),
	 * CAP0 a notification (needs write): the guest's hypercall
	 * MICA_HVC_RING_DOORBELL with x1 = n signals it, with that capability's
	 * badge, in the kernel (<mica/abi/hypercall.h>). The VM holds a copy of
	 * the capability (write right only), so the binding dies with the
	 * notification. MICA_ERR_DELETE_FIRST if n is bound. UNBIND_DOORBELL:
	 * MR0 n (MICA_ERR_NOT_FOUND if unbound).
	 */
	MICA_VM_BIND_DOORBELL = 84,
	MICA_VM_UNBIND_DOORBELL = 85,
	/*
	 * ASIDControl. MAKE_POOL: MR0 the kind (enum mica_asid_pool_kind), MR1
	 * index and MR2 depth of the destination slot in CAP0 (a CNode). The
	 * pool takes a free block of MICA_ASID_POOL_SIZE IDs
	 * (MICA_ERR_NOT_ENOUGH_MEMORY when none is free). The block is free
	 * again once the pool's last capability and every space with an ID
	 * from it are gone.
	 */
	MICA_ASID_CONTROL_MAKE_POOL = 90,

	/*
	 * Notification (with read and write rights, else MICA_ERR_NO_RIGHTS).
	 * SET_ALARM: MR0 a counter value (CNTPCT, at <mica/counter.h>'s rate),
	 * MR1 badge bits (a badged capability's bits only, else
	 * MICA_ERR_NO_RIGHTS): once the counter reaches MR0 the notification is
	 * signalled with MR1, as if by a signal (a time already past: at once).
	 * One alarm per notification: setting it replaces the one armed; MR0 0
	 * disarms it. Deleting the notification disarms it too.
	 */
	MICA_NOTIFICATION_SET_ALARM = 100,
	/*
	 * BIND_VIRQ: CAP0 a VCPU, MR0 an SPI's INTID (32..1019), MR1 its
	 * priority (0 highest..255), MR2 MICA_VIRQ_BIND_* flags. From then on a
	 * signal of the notification makes that interrupt pending in that vCPU,
	 * as an edge on its line would, and wakes no thread: a device server or
	 * another VM interrupts the guest without its VMM, whose GIC model says
	 * where the guest routes the interrupt and whether it is enabled
	 * (MICA_VIRQ_BIND_ENABLED). While not enabled, signals wait in the
	 * notification (any number of them, one interrupt) and go in once it
	 * is; one that waited before the binding counts too. Binding again
	 * moves it: to another vCPU or INTID, an interrupt of its that the
	 * guest has not taken yet moves along; disabled, it waits again; a new
	 * priority applies from the next signal. At most
	 * MICA_VCPU_VIRQ_BINDINGS notifications are bound to one vCPU
	 * (MICA_ERR_NOT_ENOUGH_MEMORY). MICA_ERR_ILLEGAL_OPERATION if a thread
	 * waits on the notification or has it bound (MICA_TCB_BIND_NOTIFICATION);
	 * while it is bound here, a wait on it fails the same way. The binding
	 * ends with UNBIND_VIRQ (MICA_ERR_NOT_FOUND if none), the deletion of
	 * either object, or the vCPU's unbinding from its thread; an interrupt
	 * not yet taken is then withdrawn (UNBIND_VIRQ: it waits in the
	 * notification as a signal, with no badge bits). SET_ENTRY drops a
	 * bound line's pending interrupt with the rest.
	 */
	MICA_NOTIFICATION_BIND_VIRQ = 101,
	MICA_NOTIFICATION_UNBIND_VIRQ = 102,
};

/* MR2 of MICA_NOTIFICATION_BIND_VIRQ. */
#define MICA_VIRQ_BIND_ENABLED	1u /* The guest takes it now: signals go in at once. */
#define MICA_VCPU_VIRQ_BINDINGS 16u

/* Targets of MICA_VM_BIND_SGI: the affinities 0.0.0.0 to 0.0.0.15. */
#define MICA_VM_SGI_TARGETS 16u
/* Doorbells of MICA_VM_BIND_DOORBELL. */
#define MICA_VM_DOORBELLS 16u

/* MR2 of MICA_VCPU_INJECT_IRQ. */
#define MICA_VIRQ_NOTIFY_EOI 1u /* Exit with MICA_EXIT_VIRQ_EOI when the guest deactivates it. */

/*
 * Frames and page tables map into a VM (stage 2) exactly as into a VSpace:
 * MICA_FRAME_MAP and MICA_PAGE_TABLE_MAP with a VM capability as CAP0 and a
 * guest-physical address.
 *
 * MICA_FRAME_MAP also takes as CAP0 a page table that is mapped (in a
 * VSpace or a VM): the frame goes into that address space, at an address
 * whose entry is in that table, else MICA_ERR_RANGE (a table not mapped:
 * MICA_ERR_ILLEGAL_OPERATION). Holding a table lends its addresses and no
 * others: how the IVC server maps channels into a window of each VM.
 */

/* Frame map attributes. */
#define MICA_MAP_EXECUTE 1u

#endif
