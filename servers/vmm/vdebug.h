/*
 * A vCPU's self-hosted debug registers as its guest reaches them (op0 2:
 * MDCR_EL2.TDA, TDOSA and TDRA trap every access). The breakpoints and
 * watchpoints live in the kernel (MICA_VCPU_REG_DBG*), which loads them
 * into the CPU only for this guest and only to match at its EL1 and EL0;
 * this model keeps the rest: MDSCR_EL1 as the guest wrote it, the OS Lock
 * and OS Double Lock, the claim tags, and the debug communications channel
 * of a machine no external debugger is attached to. docs/guests.md lists
 * what a guest sees.
 */
#ifndef MICA_VMM_VDEBUG_H
#define MICA_VMM_VDEBUG_H

#include <stdbool.h>
#include <stdint.h>

struct vdebug {
	uint64_t mdscr;	  /* The bits a guest may write, as written. */
	bool os_lock;	  /* OSLSR_EL1.OSLK: set at reset, cleared by OSLAR_EL1. */
	bool double_lock; /* OSDLR_EL1.DLK. */
	bool power_down;  /* DBGPRCR_EL1.CORENPDRQ. */
	uint8_t claim;	  /* DBGCLAIMSET/CLR_EL1's claim tags. */
	uint32_t mdccint; /* MDCCINT_EL1: the DCC interrupt enables. */
	uint32_t oseccr;  /* OSECCR_EL1. */
};

enum vdebug_action {
	VDEBUG_DONE,	  /* Resume, a read with the value given. */
	VDEBUG_KERNEL,	  /* Read or write the kernel's register given instead. */
	VDEBUG_MDSCR,	  /* Done; give the kernel vdebug_mdscr's value (MICA_VCPU_REG_MDSCR). */
	VDEBUG_UNDEFINED, /* An undefined-instruction exception. */
};

/* A vCPU's state at a cold reset: OS Lock set, debug disabled. */
void vdebug_reset(struct vdebug *d);

/*
 * The guest's access to debug register enc (MICA_SYSREG encoding, op0 2)
 * with *value the value written or, for VDEBUG_DONE, the value to read;
 * for VDEBUG_KERNEL, *kernel_reg is the MICA_VCPU_REG_* that holds it (a
 * breakpoint or watchpoint the CPU lacks is the kernel's to refuse).
 */
enum vdebug_action vdebug_access(struct vdebug *d, uint64_t enc, bool is_write, uint64_t *value,
				 uint64_t *kernel_reg);

/*
 * The MDSCR_EL1 the guest runs with: as written, but with breakpoints,
 * watchpoints and software step off while the OS Lock is set, or the OS
 * Double Lock with no power-down requested (Arm ARM D2.4, "Enabling debug
 * exceptions"; OSDLR_EL1).
 */
uint64_t vdebug_mdscr(const struct vdebug *d);

#endif
