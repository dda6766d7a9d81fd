/*
 * Virtual CPUs: the lifecycle states a VMM can observe, and the guest EL1
 * registers it can read and write with MICA_VCPU_READ_REG/WRITE_REG (the
 * general registers, PC and SP are the vCPU thread's, reached with TCB
 * READ/WRITE_REGISTERS).
 */
#ifndef MICA_ABI_VCPU_H
#define MICA_ABI_VCPU_H

/*
 * Created (retyped) -> Free (SET_ENTRY: configured) -> Ready (bound to a
 * thread, which runs on one CPU) <-> Running (in the guest) ; Running ->
 * Blocked (WFI/WFE with nothing pending) -> Ready (a virtual interrupt or
 * the guest's timer). Unbinding goes back to Free. An operation that is
 * not allowed in the current state fails with MICA_ERR_ILLEGAL_OPERATION
 * and leaves the vCPU Invalid, from which nothing leads out: it must be
 * deleted and retyped.
 */
enum mica_vcpu_state {
	MICA_VCPU_INVALID = 0,
	MICA_VCPU_CREATED = 1,
	MICA_VCPU_FREE = 2,
	MICA_VCPU_READY = 3,
	MICA_VCPU_RUNNING = 4,
	MICA_VCPU_BLOCKED = 5,
};

enum mica_vcpu_reg {
	MICA_VCPU_REG_SCTLR = 0,
	MICA_VCPU_REG_CPACR,
	MICA_VCPU_REG_TTBR0,
	MICA_VCPU_REG_TTBR1,
	MICA_VCPU_REG_TCR,
	MICA_VCPU_REG_MAIR,
	MICA_VCPU_REG_AMAIR,
	MICA_VCPU_REG_VBAR,
	MICA_VCPU_REG_CONTEXTIDR,
	MICA_VCPU_REG_SP_EL1,
	MICA_VCPU_REG_ELR_EL1,
	MICA_VCPU_REG_SPSR_EL1,
	MICA_VCPU_REG_ESR_EL1,
	MICA_VCPU_REG_FAR_EL1,
	MICA_VCPU_REG_AFSR0,
	MICA_VCPU_REG_AFSR1,
	MICA_VCPU_REG_TPIDR_EL1,
	MICA_VCPU_REG_TPIDRRO_EL0,
	MICA_VCPU_REG_PAR,
	MICA_VCPU_REG_CNTKCTL,
	MICA_VCPU_REG_CNTV_CTL,
	MICA_VCPU_REG_CNTV_CVAL,
	MICA_VCPU_REG_CNTP_CTL,
	MICA_VCPU_REG_CNTP_CVAL,
	MICA_VCPU_REG_VMPIDR, /* What the guest reads as MPIDR_EL1. */
	MICA_VCPU_REG_PSTATE, /* SPSR format: mode, DAIF, NZCV. */
	/*
	 * Self-hosted debug. MDSCR is the MDSCR_EL1 the guest runs with: SS,
	 * TDCC, KDE and MDE are kept, the rest reads 0; the VMM, which
	 * emulates the OS Lock, clears what the lock disables. Breakpoint
	 * and watchpoint n (DBGBVR0 + n ...) exist for the n the CPU has
	 * (ID_AA64DFR0_EL1.BRPs and WRPs), else MICA_ERR_INVALID_ARGUMENT.
	 * They keep what was written and take effect while MDSCR.MDE is set,
	 * matching at the guest's EL1 and EL0 only (docs/guests.md).
	 */
	MICA_VCPU_REG_MDSCR,
	MICA_VCPU_REG_DBGBVR0,
	MICA_VCPU_REG_DBGBCR0 = MICA_VCPU_REG_DBGBVR0 + 16,
	MICA_VCPU_REG_DBGWVR0 = MICA_VCPU_REG_DBGBCR0 + 16,
	MICA_VCPU_REG_DBGWCR0 = MICA_VCPU_REG_DBGWVR0 + 16,
	MICA_VCPU_REG_COUNT = MICA_VCPU_REG_DBGWCR0 + 16,
};

/*
 * Not a register of the guest's: read with MICA_VCPU_READ_REG (a write is
 * refused), the state of the guest's timers' interrupts, which the kernel
 * delivers itself (MICA_VCPU_SET_TIMERS), for the VMM's model of the
 * guest's redistributor. Timer t is MICA_VCPU_TIMER_VIRT (the virtual
 * timer) or MICA_VCPU_TIMER_PHYS (the EL1 physical timer). Bit
 * MICA_VCPU_TIMER_LINE(t): its line is high (CNTx_CTL enabled and not
 * masked, the deadline reached; Arm ARM D11.2.4). Bit
 * MICA_VCPU_TIMER_ACTIVE(t): the guest has taken its interrupt and not yet
 * deactivated it.
 */
#define MICA_VCPU_REG_TIMER_IRQS  0x100u
#define MICA_VCPU_TIMER_VIRT	  0u
#define MICA_VCPU_TIMER_PHYS	  1u
#define MICA_VCPU_TIMER_LINE(t)	  (1u << (t))
#define MICA_VCPU_TIMER_ACTIVE(t) (1u << (8u + (t)))

/*
 * What the kernel counted of a vCPU since it was made or last unbound from
 * its thread, for exit statistics
 * (MICA_VCPU_GET_STATS: MR0.. in this order). Exits that become messages
 * are counted as they are sent, with the counter ticks from the exit to
 * the answer that resumes the vCPU (the service time of the VMM or server,
 * and of whatever ran before it); the rest the kernel handles itself.
 */
enum mica_vcpu_stat {
	MICA_VCPU_STAT_HYPERCALL,   /* HVC and SMC, to the VMM. */
	MICA_VCPU_STAT_MMIO_SERVER, /* MMIO to the device server bound there. */
	MICA_VCPU_STAT_MMIO_VMM,    /* MMIO to the VMM (its GIC model, or where nothing is). */
	MICA_VCPU_STAT_SYSREG,	    /* Trapped system registers, to the VMM. */
	MICA_VCPU_STAT_EOI,	    /* The guest ended an interrupt the VMM asked to hear of. */
	MICA_VCPU_STAT_FAULT,	    /* Anything else, to the VMM (an undecodable abort...). */
	/* Counter ticks from each kind of exit above to its answer, in the same order. */
	MICA_VCPU_STAT_TICKS_HYPERCALL,
	MICA_VCPU_STAT_TICKS_MMIO_SERVER,
	MICA_VCPU_STAT_TICKS_MMIO_VMM,
	MICA_VCPU_STAT_TICKS_SYSREG,
	MICA_VCPU_STAT_TICKS_EOI,
	MICA_VCPU_STAT_TICKS_FAULT,
	MICA_VCPU_STAT_WFX,	   /* WFI and WFE, which the kernel waits out. */
	MICA_VCPU_STAT_SGI_DIRECT, /* SGIs it sent that the kernel delivered without an exit. */
	MICA_VCPU_STAT_IRQ,	   /* Physical interrupts that took the CPU from it. */
	MICA_VCPU_STAT_INJECTED,   /* Virtual interrupts made pending for it. */
	MICA_VCPU_STAT_DOORBELL, /* Doorbells it rang (MICA_HVC_RING_DOORBELL), without an exit. */
	MICA_VCPU_STAT_COUNT,
};

#define MICA_VCPU_STAT_EXIT_KINDS 6u /* The message exits, HYPERCALL to FAULT. */

#endif
