/*
 * The physical GICv3 (Arm GIC architecture specification v3/v4, IHI 0069):
 * distributor, the boot CPU's redistributor and the system-register CPU
 * interface. The kernel uses Group 1 interrupts only, with affinity
 * routing (GICD_CTLR.ARE); QEMU virt without EL3 runs the GIC with a single
 * security state (GICD_CTLR.DS = 1).
 */
#include "arch/internal.h"
#include "arch/sysreg.h"
#include "print.h"
#include "vgic.h"

/* Distributor registers (IHI 0069, 12.9). */
#define GICD_CTLR	      0x0000
#define GICD_TYPER	      0x0004
#define GICD_IGROUPR	      0x0080
#define GICD_ISENABLER	      0x0100
#define GICD_ICENABLER	      0x0180
#define GICD_ICPENDR	      0x0280
#define GICD_IPRIORITYR	      0x0400
#define GICD_IROUTER	      0x6000
#define GICD_CTLR_ENABLE_GRP1 (1u << 1)
#define GICD_CTLR_ARE	      (1u << 4)
#define GICD_CTLR_RWP	      (1u << 31)
#define GICD_TYPER_LINES(v)   ((((v)&0x1fu) + 1) * 32)

/* Redistributor registers (IHI 0069, 12.10/12.11): RD_base then SGI_base. */
#define GICR_FRAME_SIZE		   0x10000u
#define GICR_TYPER		   0x0008
#define GICR_WAKER		   0x0014
#define GICR_TYPER_VLPIS	   (UINT64_C(1) << 1)
#define GICR_TYPER_LAST		   (UINT64_C(1) << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICR_IGROUPR0		   (GICR_FRAME_SIZE + 0x0080)
#define GICR_ISENABLER0		   (GICR_FRAME_SIZE + 0x0100)
#define GICR_ICENABLER0		   (GICR_FRAME_SIZE + 0x0180)
#define GICR_IPRIORITYR		   (GICR_FRAME_SIZE + 0x0400)

/* ICC_SRE_EL2: system-register interface on, and allowed for EL1. */
#define ICC_SRE_SRE    (1u << 0)
#define ICC_SRE_ENABLE (1u << 3)

#define GIC_PRIORITY_KERNEL 0x80u
#define GIC_FIRST_SPI	    32u

static volatile uint8_t *gicd;
static uint32_t gicd_lines;
static volatile uint8_t *gicr_of[PLATFORM_MAX_CPUS]; /* Each CPU's redistributor (RD_base). */
#define gicr (gicr_of[arch_cpu_index()])

static inline uint32_t rd32(const volatile uint8_t *base, uint32_t off)
{
	return *(const volatile uint32_t *)(base + off);
}

static inline void wr32(volatile uint8_t *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

static void gicd_wait_rwp(void)
{
	while (rd32(gicd, GICD_CTLR) & GICD_CTLR_RWP)
		;
}

/* GICR_TYPER's Affinity_Value field for this CPU's MPIDR. */
static uint64_t mpidr_to_gicr_affinity(uint64_t mpidr)
{
	return (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);
}

/*
 * Find the redistributor whose GICR_TYPER affinity matches this CPU by
 * walking every region's frames up to the one marked Last.
 */
static volatile uint8_t *find_redistributor(const struct platform *p, uint64_t mpidr)
{
	uint64_t want = mpidr_to_gicr_affinity(mpidr);

	for (size_t r = 0; r < p->gic_redist_count; r++) {
		volatile uint8_t *base =
			arch_io_map(pa_init(p->gic_redist[r].base), p->gic_redist[r].size);
		size_t off = 0;

		while (base != NULL && off + (size_t)2 * GICR_FRAME_SIZE <= p->gic_redist[r].size) {
			uint64_t typer = *(volatile uint64_t *)(base + off + GICR_TYPER);

			if ((typer >> 32) == want)
				return base + off;
			if (typer & GICR_TYPER_LAST)
				break;
			off += (typer & GICR_TYPER_VLPIS) ? (size_t)4 * GICR_FRAME_SIZE
							  : (size_t)2 * GICR_FRAME_SIZE;
		}
	}
	return NULL;
}

static void gicd_init(void)
{
	uint32_t lines = GICD_TYPER_LINES(rd32(gicd, GICD_TYPER));

	gicd_lines = lines;
	uint64_t boot_cpu = sysreg_read(mpidr_el1) & MPIDR_AFF_MASK;

	wr32(gicd, GICD_CTLR, 0);
	gicd_wait_rwp();
	/* Every SPI: disabled, not pending, Group 1, routed to the boot CPU. */
	for (uint32_t i = GIC_FIRST_SPI; i < lines; i += 32) {
		wr32(gicd, GICD_ICENABLER + i / 8, ~0u);
		wr32(gicd, GICD_ICPENDR + i / 8, ~0u);
		wr32(gicd, GICD_IGROUPR + i / 8, ~0u);
	}
	for (uint32_t i = GIC_FIRST_SPI; i < lines; i += 4)
		wr32(gicd, GICD_IPRIORITYR + i, GIC_PRIORITY_KERNEL * 0x01010101u);
	for (uint32_t i = GIC_FIRST_SPI; i < lines; i++)
		*(volatile uint64_t *)(gicd + GICD_IROUTER + 8u * (size_t)i) = boot_cpu;
	gicd_wait_rwp();
	wr32(gicd, GICD_CTLR, GICD_CTLR_ARE);
	gicd_wait_rwp();
	wr32(gicd, GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
	gicd_wait_rwp();
}

static void gicr_init(void)
{
	uint32_t waker = rd32(gicr, GICR_WAKER);

	wr32(gicr, GICR_WAKER, waker & ~GICR_WAKER_PROCESSOR_SLEEP);
	while (rd32(gicr, GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP)
		;
	wr32(gicr, GICR_ICENABLER0, ~0u);
	wr32(gicr, GICR_IGROUPR0, ~0u);
	for (uint32_t i = 0; i < GIC_FIRST_SPI; i += 4)
		wr32(gicr, GICR_IPRIORITYR + i, GIC_PRIORITY_KERNEL * 0x01010101u);
	/* The one SGI the kernel sends: "enter the kernel" (smp.h). */
	wr32(gicr, GICR_ISENABLER0, 1u << GIC_SGI_KICK);
}

static void cpu_interface_init(void)
{
	sysreg_write(S3_4_C12_C9_5, ICC_SRE_SRE | ICC_SRE_ENABLE); /* ICC_SRE_EL2 */
	isb();
	sysreg_write(S3_0_C4_C6_0, 0xff); /* ICC_PMR_EL1: let every priority through */
	sysreg_write(S3_0_C12_C12_3, 0);  /* ICC_BPR1_EL1 */
	sysreg_write(S3_0_C12_C12_4, 0);  /* ICC_CTLR_EL1: EOImode 0 */
	sysreg_write(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
	isb();
}

void gic_init(const struct platform *p)
{
	uint64_t mpidr = sysreg_read(mpidr_el1) & MPIDR_AFF_MASK;

	if (p->gic_dist.base == 0 || p->gic_redist_count == 0)
		panic("the device tree describes no GICv3");
	gicd = arch_io_map(pa_init(p->gic_dist.base), p->gic_dist.size);
	gicr = find_redistributor(p, mpidr);
	if (gicd == NULL || gicr == NULL)
		panic("no GICv3 redistributor matches MPIDR 0x%llx", (unsigned long long)mpidr);
	gicd_init();
	gicr_init();
	cpu_interface_init();
	vgic_hw_init(p);
}

bool gic_find_cpu(const struct platform *p, unsigned cpu, uint64_t mpidr)
{
	gicr_of[cpu] = find_redistributor(p, mpidr & MPIDR_AFF_MASK);
	return gicr_of[cpu] != NULL;
}

void gic_init_this_cpu(void)
{
	gicr_init();
	cpu_interface_init();
	vgic_hw_init_this_cpu();
}

void gic_send_sgi(uint64_t mpidr, uint32_t intid)
{
	/* ICC_SGI1R_EL1: Aff3 [55:48], RS [47:44], Aff2 [39:32], INTID [27:24], Aff1 [23:16],
	 * TargetList. */
	uint64_t aff0 = mpidr & 0xff;
	uint64_t v = ((mpidr >> 32) & 0xff) << 48 | (aff0 >> 4) << 44 |
		     ((mpidr >> 16) & 0xff) << 32 | (uint64_t)intid << 24 |
		     ((mpidr >> 8) & 0xff) << 16 | UINT64_C(1) << (aff0 & 0xf);

	__asm__ volatile("dsb ishst" ::: "memory");
	sysreg_write(S3_0_C12_C11_5, v); /* ICC_SGI1R_EL1 */
	isb();
}

void gic_enable_ppi(uint32_t intid)
{
	if (intid < GIC_FIRST_SPI)
		wr32(gicr, GICR_ISENABLER0, 1u << intid);
}

uint32_t gic_acknowledge(void)
{
	uint32_t intid = (uint32_t)sysreg_read(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */

	__asm__ volatile("dsb sy" ::: "memory");
	return intid & 0xffffff;
}

void gic_end_of_interrupt(uint32_t intid)
{
	sysreg_write(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
	isb();
}

void arch_irq_set_enabled(uint32_t intid, bool enabled)
{
	uint32_t bit = 1u << (intid % 32);

	if (intid < GIC_FIRST_SPI)
		wr32(gicr, enabled ? GICR_ISENABLER0 : GICR_ICENABLER0, bit);
	else if (intid < gicd_lines)
		wr32(gicd, (enabled ? GICD_ISENABLER : GICD_ICENABLER) + (intid / 32) * 4, bit);
}

/* SPIs the distributor has, and PPIs other than the kernel's own. */
bool arch_irq_is_claimable(uint32_t intid)
{
	if (intid < 16 || intid == vgic_hw_maintenance_intid() || intid == timer_intid() ||
	    vgic_timer_of(intid) < VGIC_TIMERS)
		return false;
	return intid < gicd_lines && intid < GIC_SPURIOUS_FIRST;
}
