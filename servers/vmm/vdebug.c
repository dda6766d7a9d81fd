/*
 * The guest's debug registers (vdebug.h), from the Arm ARM's descriptions
 * of the AArch64 debug registers (D19.3) and of self-hosted debug (D2).
 */
#include "vdebug.h"

#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>

/* MDSCR_EL1: SS 0, TDCC 12, KDE 13, HDE 14, MDE 15; the rest is status or DCC: 0 here. */
#define MDSCR_SS       (UINT64_C(1) << 0)
#define MDSCR_TDCC     (UINT64_C(1) << 12)
#define MDSCR_KDE      (UINT64_C(1) << 13)
#define MDSCR_HDE      (UINT64_C(1) << 14)
#define MDSCR_MDE      (UINT64_C(1) << 15)
#define MDSCR_WRITABLE (MDSCR_SS | MDSCR_TDCC | MDSCR_KDE | MDSCR_HDE | MDSCR_MDE)

/* OSLSR_EL1: OSLM 0b10 (bits 3 and 0: the OS Lock is implemented), OSLK bit 1. */
#define OSLSR_OSLM_IMPLEMENTED (UINT64_C(1) << 3)
#define OSLSR_OSLK	       (UINT64_C(1) << 1)

/* MDCCINT_EL1: TX 29 and RX 30, the DCC interrupt enables. */
#define MDCCINT_WRITABLE (UINT32_C(3) << 29)

/*
 * DBGAUTHSTATUS_EL1: Non-secure invasive and non-invasive debug
 * implemented but disabled (NSID and NSNID 0b10): there is no external
 * debugger; self-hosted debug does not depend on it.
 */
#define AUTHSTATUS_NO_EXTERNAL 0xau

/* The claim tags: 8 of them, which DBGCLAIMSET_EL1 reads as implemented. */
#define CLAIM_TAGS 0xffu

#define MDSCR_EL1	  MICA_SYSREG(2, 0, 0, 2, 2)
#define MDCCINT_EL1	  MICA_SYSREG(2, 0, 0, 2, 0)
#define OSDTRRX_EL1	  MICA_SYSREG(2, 0, 0, 0, 2)
#define OSDTRTX_EL1	  MICA_SYSREG(2, 0, 0, 3, 2)
#define OSECCR_EL1	  MICA_SYSREG(2, 0, 0, 6, 2)
#define MDCCSR_EL0	  MICA_SYSREG(2, 3, 0, 1, 0)
#define DBGDTR_EL0	  MICA_SYSREG(2, 3, 0, 4, 0)
#define DBGDTRRXTX_EL0	  MICA_SYSREG(2, 3, 0, 5, 0)
#define MDRAR_EL1	  MICA_SYSREG(2, 0, 1, 0, 0)
#define OSLAR_EL1	  MICA_SYSREG(2, 0, 1, 0, 4)
#define OSLSR_EL1	  MICA_SYSREG(2, 0, 1, 1, 4)
#define OSDLR_EL1	  MICA_SYSREG(2, 0, 1, 3, 4)
#define DBGPRCR_EL1	  MICA_SYSREG(2, 0, 1, 4, 4)
#define DBGCLAIMSET_EL1	  MICA_SYSREG(2, 0, 7, 8, 6)
#define DBGCLAIMCLR_EL1	  MICA_SYSREG(2, 0, 7, 9, 6)
#define DBGAUTHSTATUS_EL1 MICA_SYSREG(2, 0, 7, 14, 6)

void vdebug_reset(struct vdebug *d)
{
	*d = (struct vdebug){.os_lock = true};
}

uint64_t vdebug_mdscr(const struct vdebug *d)
{
	uint64_t mdscr = d->mdscr & ~MDSCR_HDE; /* Halting needs an external debugger. */

	/* The Double Lock holds only while no power-down is requested (OSDLR_EL1). */
	if (d->os_lock || (d->double_lock && !d->power_down))
		mdscr &= ~(MDSCR_SS | MDSCR_KDE | MDSCR_MDE);
	return mdscr;
}

/*
 * DBGBVR<n>_EL1, DBGBCR<n>_EL1, DBGWVR<n>_EL1, DBGWCR<n>_EL1: op0 2, op1 0,
 * CRn 0, CRm n, op2 4, 5, 6, 7. The kernel's MICA_VCPU_REG_DBG* follow the
 * same order, 16 of each.
 */
static bool is_breakpoint_reg(uint64_t enc, uint64_t *kernel_reg)
{
	unsigned op1 = (unsigned)(enc >> 11) & 7, crn = (unsigned)(enc >> 7) & 0xf;
	unsigned crm = (unsigned)(enc >> 3) & 0xf, op2 = (unsigned)enc & 7;

	if (op1 != 0 || crn != 0 || op2 < 4)
		return false;
	*kernel_reg = MICA_VCPU_REG_DBGBVR0 + (uint64_t)(op2 - 4) * 16 + crm;
	return true;
}

static enum vdebug_action debug_write(struct vdebug *d, uint64_t enc, uint64_t v)
{
	switch (enc) {
	case MDSCR_EL1:
		d->mdscr = v & MDSCR_WRITABLE;
		return VDEBUG_MDSCR;
	case OSLAR_EL1:
		d->os_lock = (v & 1) != 0;
		return VDEBUG_MDSCR;
	case OSDLR_EL1:
		d->double_lock = (v & 1) != 0;
		return VDEBUG_MDSCR;
	case DBGPRCR_EL1:
		d->power_down = (v & 1) != 0;
		return VDEBUG_MDSCR;
	case DBGCLAIMSET_EL1:
		d->claim |= (uint8_t)(v & CLAIM_TAGS);
		return VDEBUG_DONE;
	case DBGCLAIMCLR_EL1:
		d->claim &= (uint8_t) ~(v & CLAIM_TAGS);
		return VDEBUG_DONE;
	case MDCCINT_EL1:
		d->mdccint = (uint32_t)v & MDCCINT_WRITABLE;
		return VDEBUG_DONE;
	case OSECCR_EL1:
		d->oseccr = (uint32_t)v;
		return VDEBUG_DONE;
	case OSDTRRX_EL1:
	case OSDTRTX_EL1:
	case DBGDTR_EL0:
	case DBGDTRRXTX_EL0:
		return VDEBUG_DONE; /* No debugger at the other end: dropped. */
	default:
		return VDEBUG_UNDEFINED; /* Read-only, trace, or nothing at all. */
	}
}

static enum vdebug_action debug_read(const struct vdebug *d, uint64_t enc, uint64_t *value)
{
	switch (enc) {
	case MDSCR_EL1:
		*value = d->mdscr;
		return VDEBUG_DONE;
	case OSLSR_EL1:
		*value = OSLSR_OSLM_IMPLEMENTED | (d->os_lock ? OSLSR_OSLK : 0);
		return VDEBUG_DONE;
	case OSDLR_EL1:
		*value = d->double_lock ? 1 : 0;
		return VDEBUG_DONE;
	case DBGPRCR_EL1:
		*value = d->power_down ? 1 : 0;
		return VDEBUG_DONE;
	case DBGCLAIMSET_EL1:
		*value = CLAIM_TAGS;
		return VDEBUG_DONE;
	case DBGCLAIMCLR_EL1:
		*value = d->claim;
		return VDEBUG_DONE;
	case MDCCINT_EL1:
		*value = d->mdccint;
		return VDEBUG_DONE;
	case OSECCR_EL1:
		*value = d->oseccr;
		return VDEBUG_DONE;
	case DBGAUTHSTATUS_EL1:
		*value = AUTHSTATUS_NO_EXTERNAL;
		return VDEBUG_DONE;
	case OSDTRRX_EL1:
	case OSDTRTX_EL1:
	case DBGDTR_EL0:
	case DBGDTRRXTX_EL0:
	case MDCCSR_EL0: /* Nothing received, nothing waiting to be sent. */
	case MDRAR_EL1:	 /* No memory-mapped debug components (ROMADDR not valid). */
		*value = 0;
		return VDEBUG_DONE;
	default:
		return VDEBUG_UNDEFINED; /* Write-only (OSLAR_EL1), trace, or nothing at all. */
	}
}

enum vdebug_action vdebug_access(struct vdebug *d, uint64_t enc, bool is_write, uint64_t *value,
				 uint64_t *kernel_reg)
{
	if (is_breakpoint_reg(enc, kernel_reg))
		return VDEBUG_KERNEL;
	return is_write ? debug_write(d, enc, *value) : debug_read(d, enc, value);
}
