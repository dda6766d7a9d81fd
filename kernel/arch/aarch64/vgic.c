/*
 * The GICv3 virtual CPU interface (IHI 0069, chapter 6 and 12.4): the
 * ICH_*_EL2 registers through which guests get virtual interrupts. With
 * HCR_EL2.IMO/FMO set, a guest's ICC_* accesses reach the virtual
 * interface (ICV_*), which takes its interrupts from the list registers.
 * A vCPU's interface state is switched with the rest of its EL1 state.
 */
#include "arch/internal.h"
#include "arch/sysreg.h"
#include "print.h"
#include "vgic.h"

/* ICH_*_EL2 encodings (op0 3, op1 4, CRn 12). */
#define ICH_HCR_EL2    S3_4_C12_C11_0
#define ICH_VTR_EL2    S3_4_C12_C11_1
#define ICH_ELRSR_EL2  S3_4_C12_C11_5
#define ICH_VMCR_EL2   S3_4_C12_C11_7
#define ICH_AP0R(n)    S3_4_C12_C8_##n
#define ICH_AP1R(n)    S3_4_C12_C9_##n
#define ICH_LR(crm, n) S3_4_C12_##crm##_##n

/*
 * The guest's EL1 timers from EL2 with E2H set (op0 3, op1 5, CRn 14), by
 * encoding: this file is built for Armv8.0, which has no *_EL02 names.
 */
#define CNTP_CTL_EL02  S3_5_C14_C2_1
#define CNTP_CVAL_EL02 S3_5_C14_C2_2
#define CNTV_CTL_EL02  S3_5_C14_C3_1
#define CNTV_CVAL_EL02 S3_5_C14_C3_2

/* sysreg_read/write with the register name macro-expanded first. */
#define ich_read(reg)	  sysreg_read(reg)
#define ich_write(reg, v) sysreg_write(reg, v)

#define ICH_HCR_EN  (UINT64_C(1) << 0)
#define ICH_HCR_UIE (UINT64_C(1) << 1) /* Maintenance when at most one LR is valid. */

/* ICH_VTR_EL2: ListRegs [4:0] (count - 1), PREbits [28:26] (preemption bits - 1). */
#define ICH_VTR_LIST_REGS(v) (((unsigned)(v)&0x1fu) + 1)
#define ICH_VTR_PRE_BITS(v)  ((((unsigned)(v) >> 26) & 7u) + 1)

/* ICH_LR<n>_EL2 with HW = 0: a purely virtual interrupt. */
#define ICH_LR_STATE_SHIFT    62
#define ICH_LR_GROUP1	      (UINT64_C(1) << 60)
#define ICH_LR_PRIORITY_SHIFT 48
#define ICH_LR_EOI	      (UINT64_C(1) << 41) /* Maintenance when deactivated. */
#define ICH_LR_VINTID_MASK    UINT64_C(0xffffffff)

static unsigned lr_count;
static unsigned apr_count; /* Active-priorities registers per group. */
static uint32_t maintenance_intid;

#define LR_READ(n, crm, op2)                                                                       \
	case n:                                                                                    \
		return ich_read(ICH_LR(crm, op2))
#define LR_WRITE(n, crm, op2)                                                                      \
	case n:                                                                                    \
		ich_write(ICH_LR(crm, op2), v);                                                    \
		return

static uint64_t lr_read(unsigned n)
{
	switch (n) {
		LR_READ(0, C12, 0);
		LR_READ(1, C12, 1);
		LR_READ(2, C12, 2);
		LR_READ(3, C12, 3);
		LR_READ(4, C12, 4);
		LR_READ(5, C12, 5);
		LR_READ(6, C12, 6);
		LR_READ(7, C12, 7);
		LR_READ(8, C13, 0);
		LR_READ(9, C13, 1);
		LR_READ(10, C13, 2);
		LR_READ(11, C13, 3);
		LR_READ(12, C13, 4);
		LR_READ(13, C13, 5);
		LR_READ(14, C13, 6);
		LR_READ(15, C13, 7);
	default:
		return 0;
	}
}

static void lr_write(unsigned n, uint64_t v)
{
	switch (n) {
		LR_WRITE(0, C12, 0);
		LR_WRITE(1, C12, 1);
		LR_WRITE(2, C12, 2);
		LR_WRITE(3, C12, 3);
		LR_WRITE(4, C12, 4);
		LR_WRITE(5, C12, 5);
		LR_WRITE(6, C12, 6);
		LR_WRITE(7, C12, 7);
		LR_WRITE(8, C13, 0);
		LR_WRITE(9, C13, 1);
		LR_WRITE(10, C13, 2);
		LR_WRITE(11, C13, 3);
		LR_WRITE(12, C13, 4);
		LR_WRITE(13, C13, 5);
		LR_WRITE(14, C13, 6);
		LR_WRITE(15, C13, 7);
	default:
		return;
	}
}

void vgic_hw_init(const struct platform *p)
{
	uint64_t vtr = ich_read(ICH_VTR_EL2);

	lr_count = ICH_VTR_LIST_REGS(vtr);
	if (lr_count > VGIC_MAX_LRS)
		lr_count = VGIC_MAX_LRS;
	/* 5 preemption bits: one active-priorities register per group; 6: two; 7: four. */
	apr_count = 1u << (ICH_VTR_PRE_BITS(vtr) - 5);
	maintenance_intid = p->gic_maintenance_intid;
	if (maintenance_intid == 0)
		panic("the device tree gives no GIC maintenance interrupt");
	vgic_hw_init_this_cpu();
}

void vgic_hw_init_this_cpu(void)
{
	ich_write(ICH_HCR_EL2, 0);
	gic_enable_ppi(maintenance_intid);
}

uint32_t vgic_hw_maintenance_intid(void)
{
	return maintenance_intid;
}

/* Guests use the virtual CPU interface from the start; the rest resets to zero. */
void vgic_hw_init_vcpu(struct arch_vcpu *v)
{
	v->ich_hcr = ICH_HCR_EN;
}

void vgic_hw_load(struct arch_vcpu *v)
{
	/* The CPU may still hold the last vCPU's: those it holds are cleared. */
	uint32_t held;

	isb(); /* As arch_vgic_lr_used says. */
	held = ~(uint32_t)ich_read(ICH_ELRSR_EL2) & ((UINT32_C(1) << lr_count) - 1);

	for (uint32_t load = v->lr_used | held; load != 0; load &= load - 1) {
		unsigned n = (unsigned)__builtin_ctz(load);

		lr_write(n, v->lr_used & (1u << n) ? v->ich_lr[n] : 0);
	}
	/*
	 * Both groups' active priorities: a guest may take Group 0 interrupts
	 * as well (ICC_IAR0_EL1), and an active priority left behind would
	 * hide every interrupt of lower priority from the next guest.
	 */
	ich_write(ICH_AP0R(0), v->ich_apr[0][0]);
	ich_write(ICH_AP1R(0), v->ich_apr[1][0]);
	if (apr_count > 1) {
		ich_write(ICH_AP0R(1), v->ich_apr[0][1]);
		ich_write(ICH_AP1R(1), v->ich_apr[1][1]);
	}
	if (apr_count > 2) {
		ich_write(ICH_AP0R(2), v->ich_apr[0][2]);
		ich_write(ICH_AP0R(3), v->ich_apr[0][3]);
		ich_write(ICH_AP1R(2), v->ich_apr[1][2]);
		ich_write(ICH_AP1R(3), v->ich_apr[1][3]);
	}
	ich_write(ICH_VMCR_EL2, v->ich_vmcr);
	ich_write(ICH_HCR_EL2, v->ich_hcr);
	v->is_loaded = true;
}

/* ICH_HCR_EL2 needs no saving: the kernel alone changes it, and keeps the copy. */
void vgic_hw_save(struct arch_vcpu *v)
{
	uint32_t used = arch_vgic_lr_used(v);

	v->lr_used = used;
	for (; used != 0; used &= used - 1)
		v->ich_lr[__builtin_ctz(used)] = lr_read((unsigned)__builtin_ctz(used));
	v->ich_apr[0][0] = (uint32_t)ich_read(ICH_AP0R(0));
	v->ich_apr[1][0] = (uint32_t)ich_read(ICH_AP1R(0));
	if (apr_count > 1) {
		v->ich_apr[0][1] = (uint32_t)ich_read(ICH_AP0R(1));
		v->ich_apr[1][1] = (uint32_t)ich_read(ICH_AP1R(1));
	}
	if (apr_count > 2) {
		v->ich_apr[0][2] = (uint32_t)ich_read(ICH_AP0R(2));
		v->ich_apr[0][3] = (uint32_t)ich_read(ICH_AP0R(3));
		v->ich_apr[1][2] = (uint32_t)ich_read(ICH_AP1R(2));
		v->ich_apr[1][3] = (uint32_t)ich_read(ICH_AP1R(3));
	}
	v->ich_vmcr = ich_read(ICH_VMCR_EL2);
	v->is_loaded = false;
}

unsigned arch_vgic_lr_count(void)
{
	return lr_count;
}

struct vgic_lr arch_vgic_lr_get(const struct arch_vcpu *v, unsigned n)
{
	uint64_t lr = v->is_loaded ? lr_read(n) : v->lr_used & (1u << n) ? v->ich_lr[n] : 0;

	return (struct vgic_lr){
		.intid = (uint16_t)(lr & ICH_LR_VINTID_MASK),
		.priority = (uint8_t)(lr >> ICH_LR_PRIORITY_SHIFT),
		.state = (uint8_t)(lr >> ICH_LR_STATE_SHIFT),
		.eoi = (lr & ICH_LR_EOI) != 0,
	};
}

uint32_t arch_vgic_lr_used(const struct arch_vcpu *v)
{
	/*
	 * ICH_ELRSR_EL2 bit n: LR n is invalid and, with HW 0, has EOI clear.
	 * It is read indirectly from the list registers: after a write to one
	 * it needs a context synchronization event (the ISB) to reflect it.
	 */
	if (!v->is_loaded)
		return v->lr_used;
	isb();
	return ~(uint32_t)ich_read(ICH_ELRSR_EL2) & ((UINT32_C(1) << lr_count) - 1);
}

void arch_vgic_lr_set(struct arch_vcpu *v, unsigned n, struct vgic_lr lr)
{
	uint64_t value = 0;

	if (lr.state != VGIC_LR_INVALID || lr.eoi)
		value = (uint64_t)lr.state << ICH_LR_STATE_SHIFT | ICH_LR_GROUP1 |
			(uint64_t)lr.priority << ICH_LR_PRIORITY_SHIFT | (lr.eoi ? ICH_LR_EOI : 0) |
			lr.intid;
	if (v->is_loaded) {
		lr_write(n, value);
		return;
	}
	v->ich_lr[n] = value;
	v->lr_used = value != 0 ? v->lr_used | 1u << n : v->lr_used & ~(1u << n);
}

void arch_vgic_set_underflow(struct arch_vcpu *v, bool on)
{
	uint64_t hcr = on ? v->ich_hcr | ICH_HCR_UIE : v->ich_hcr & ~ICH_HCR_UIE;

	if (hcr == v->ich_hcr)
		return;
	v->ich_hcr = hcr;
	if (v->is_loaded)
		ich_write(ICH_HCR_EL2, hcr);
}

void arch_vgic_idle(void)
{
	ich_write(ICH_HCR_EL2, 0);
}

void vgic_hw_resume(const struct arch_vcpu *loaded)
{
	if (loaded != NULL)
		ich_write(ICH_HCR_EL2, loaded->ich_hcr);
}

/* A timer's condition (Arm ARM D11.2.4); the virtual one's with CNTVOFF_EL2 zero. */
static bool is_due(uint64_t ctl, uint64_t cval, uint64_t now)
{
	return (ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE && now >= cval;
}

/* Loaded, the timers are the CPU's: read them there, as the list registers are. */
uint32_t arch_timers_due(const struct arch_vcpu *v, uint64_t now)
{
	uint64_t vctl = v->cntv_ctl, vcval = v->cntv_cval;
	uint64_t pctl = v->cntp_ctl, pcval = v->cntp_cval;

	if (v->is_loaded) {
		vctl = ich_read(CNTV_CTL_EL02);
		vcval = ich_read(CNTV_CVAL_EL02);
		pctl = ich_read(CNTP_CTL_EL02);
		pcval = ich_read(CNTP_CVAL_EL02);
	}
	return (is_due(vctl, vcval, now) ? 1u << VGIC_TIMER_VIRT : 0) |
	       (is_due(pctl, pcval, now) ? 1u << VGIC_TIMER_PHYS : 0);
}
