/*
 * The guest's view of its GICv3 distributor and redistributors (vgicd.h):
 * the registers of GICD_*, and of each vCPU's RD_base and SGI_base frames,
 * decoded into changes of the interrupts' state that vgicd.c keeps.
 *
 * Register layout (GIC v3/v4 spec, tables 12-25 and 12-27..29): GICD_CTLR
 * 0x0, TYPER 0x4, IIDR 0x8, the per-INTID arrays (IGROUPR 0x80,
 * IS/ICENABLER 0x100/0x180, IS/ICPENDR 0x200/0x280, IS/ICACTIVER
 * 0x300/0x380, IPRIORITYR 0x400, ITARGETSR 0x800, ICFGR 0xc00, IGRPMODR
 * 0xd00), IROUTER 0x6000 + 8n, PIDR2 0xffe8. Each redistributor has an
 * RD_base frame (GICR_CTLR 0x0, IIDR 0x4, TYPER 0x8, WAKER 0x14, PIDR2
 * 0xffe8) and, 64 KiB on, an SGI_base frame holding the same arrays for
 * INTIDs 0..31 at the same offsets. With affinity routing the GICD arrays'
 * entries for INTIDs 0..31 are RAZ/WI, as are those of INTIDs past the
 * SPIs and ITARGETSR and IGRPMODR (single Security state).
 *
 * Widths (spec §12.1.3): these registers are 32-bit; the IPRIORITYR and
 * ITARGETSR bytes are also byte-accessible; 64-bit registers (IROUTER,
 * GICR_TYPER) take 64-bit accesses and 32-bit ones to either half.
 */
#include "vgicd.h"
#include "vgicd_internal.h"

#include <string.h>

#define GICD_CTLR	 0x0000u
#define GICD_TYPER	 0x0004u
#define GICD_IIDR	 0x0008u
#define GICD_IROUTER	 0x6000u
#define GICD_IROUTER_END 0x7fe0u /* IROUTER1019 ends here. */
#define GIC_PIDR2	 0xffe8u

#define GICR_CTLR      0x0000u
#define GICR_IIDR      0x0004u
#define GICR_TYPER     0x0008u
#define GICR_WAKER     0x0014u
#define GICR_SGI_FRAME 0x10000u /* SGI_base, from RD_base. */

#define GICD_CTLR_ARE (1u << 4) /* Affinity routing: always on (RAO/WI). */
#define GICD_CTLR_DS  (1u << 6) /* Single Security state: RAO/WI. */

#define GICD_TYPER_IDBITS_SHIFT 19
#define GICD_TYPER_IDBITS	9u	   /* INTIDs have 10 bits: no LPIs. */
#define GICD_TYPER_A3V		(1u << 24) /* Aff3 is supported in routing. */
#define GICD_TYPER_NO1N		(1u << 25) /* No 1-of-N SPI routing. */

#define GICR_TYPER_LAST		  (UINT64_C(1) << 4)
#define GICR_TYPER_PROC_SHIFT	  8
#define GICR_TYPER_AFFINITY_SHIFT 32

#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

#define GIC_PIDR2_ARCH_V3 0x30u /* ArchRev, bits 7:4: GICv3. */
#define GIC_IIDR	  0u	/* No JEP106 implementer code of Mica's own. */

/* What a per-INTID array register holds. */
enum irq_field {
	FIELD_GROUP,
	FIELD_SET_ENABLE,
	FIELD_CLEAR_ENABLE,
	FIELD_SET_PENDING,
	FIELD_CLEAR_PENDING,
	FIELD_SET_ACTIVE,
	FIELD_CLEAR_ACTIVE,
	FIELD_PRIORITY,
	FIELD_RAZ_WI, /* ITARGETSR, IGRPMODR. */
	FIELD_CONFIG,
};

/*
 * A per-INTID array: offset in its frame, bytes in the distributor and in
 * the SGI_base frame (INTIDs 0..31 only), bits per INTID.
 */
struct irq_array {
	uint32_t offset;
	uint32_t dist_bytes;
	uint32_t sgi_bytes;
	uint8_t bits;
	enum irq_field field;
};

static const struct irq_array irq_arrays[] = {
	{0x0080, 0x80, 4, 1, FIELD_GROUP},	   {0x0100, 0x80, 4, 1, FIELD_SET_ENABLE},
	{0x0180, 0x80, 4, 1, FIELD_CLEAR_ENABLE},  {0x0200, 0x80, 4, 1, FIELD_SET_PENDING},
	{0x0280, 0x80, 4, 1, FIELD_CLEAR_PENDING}, {0x0300, 0x80, 4, 1, FIELD_SET_ACTIVE},
	{0x0380, 0x80, 4, 1, FIELD_CLEAR_ACTIVE},  {0x0400, 0x400, 32, 8, FIELD_PRIORITY},
	{0x0800, 0x400, 0, 8, FIELD_RAZ_WI},	   {0x0c00, 0x100, 8, 2, FIELD_CONFIG},
	{0x0d00, 0x80, 4, 1, FIELD_RAZ_WI},
};

static uint32_t field_read(const struct vgicd_irq *irq, enum irq_field field)
{
	switch (field) {
	case FIELD_GROUP:
		return irq->is_group1;
	case FIELD_SET_ENABLE:
	case FIELD_CLEAR_ENABLE:
		return irq->is_enabled;
	case FIELD_SET_PENDING:
	case FIELD_CLEAR_PENDING:
		return is_pending(irq);
	case FIELD_SET_ACTIVE:
	case FIELD_CLEAR_ACTIVE:
		return irq->is_active;
	case FIELD_PRIORITY:
		return irq->priority;
	case FIELD_CONFIG:
		return irq->is_edge ? 2u : 0u; /* Int_config[1]: edge-triggered. */
	case FIELD_RAZ_WI:
		break;
	}
	return 0;
}

/* Write one INTID's bits of an array register; bits is that INTID's field. */
static void field_write(struct vgicd *g, struct irq_ref r, enum irq_field field, uint32_t bits)
{
	struct vgicd_irq *irq = r.irq;

	/*
	 * The kernel's PPIs and SPIs: their pending and active states are the
	 * kernel's (a timer's line, a notification, the list registers), and
	 * their trigger is fixed (a timer's level, a notification's edge). An
	 * SPI's pending state set or cleared through the model is the model's.
	 */
	if (irq->is_kernels && field != FIELD_GROUP && field != FIELD_SET_ENABLE &&
	    field != FIELD_CLEAR_ENABLE && field != FIELD_PRIORITY &&
	    !(r.intid >= VGICD_PRIVATE &&
	      (field == FIELD_SET_PENDING || field == FIELD_CLEAR_PENDING)))
		return;
	switch (field) {
	case FIELD_GROUP:
		irq->is_group1 = bits != 0;
		break;
	case FIELD_SET_ENABLE:
	case FIELD_CLEAR_ENABLE:
	case FIELD_SET_PENDING:
	case FIELD_SET_ACTIVE:
	case FIELD_CLEAR_ACTIVE:
		/* Set/clear registers: a 0 bit leaves the interrupt alone. */
		if (bits == 0)
			return;
		if (field == FIELD_SET_ENABLE || field == FIELD_CLEAR_ENABLE)
			irq->is_enabled = field == FIELD_SET_ENABLE;
		else if (field == FIELD_SET_PENDING)
			irq->is_latched = true;
		else
			irq->is_active = field == FIELD_SET_ACTIVE;
		break;
	case FIELD_CLEAR_PENDING:
		if (bits == 0)
			return;
		if (irq->is_forwarded) {
			g->ops.clear(g->ops.ctx, irq->forwarded_to, r.intid);
			irq->is_forwarded = false;
		}
		irq->is_latched = false;
		break;
	case FIELD_PRIORITY:
		irq->priority = (uint8_t)bits;
		break;
	case FIELD_CONFIG:
		/* SGIs are always edge-triggered: GICR_ICFGR0 is read-only. */
		if (r.intid >= SGI_COUNT)
			irq->is_edge = (bits & 2u) != 0;
		break;
	case FIELD_RAZ_WI:
		return;
	}
	sync(g, r);
}

/*
 * The kernel's PPI r, about to be read as field: its pending and active
 * states are the kernel's (a timer's line, the list registers), so ask.
 */
static void read_kernel_ppi(struct vgicd *g, struct irq_ref r, enum irq_field field)
{
	unsigned state;

	if (g->ops.kernel_ppi_state == NULL ||
	    (field != FIELD_SET_PENDING && field != FIELD_CLEAR_PENDING &&
	     field != FIELD_SET_ACTIVE && field != FIELD_CLEAR_ACTIVE))
		return;
	state = g->ops.kernel_ppi_state(g->ops.ctx, r.vcpu, r.intid);
	r.irq->line = (state & VGICD_PPI_LINE) != 0;
	r.irq->is_active = (state & VGICD_PPI_ACTIVE) != 0;
}

/*
 * An access to array a at byte offset off within it: in the distributor
 * (is_dist) or in vCPU vcpu's SGI_base frame.
 */
static enum mica_error array_access(struct vgicd *g, const struct irq_array *a, bool is_dist,
				    unsigned vcpu, uint32_t off, unsigned size, bool is_write,
				    uint64_t *value)
{
	unsigned first = off * 8u / a->bits;
	unsigned count = size * 8u / a->bits;
	uint32_t mask = (1u << a->bits) - 1u;
	uint64_t v = 0;

	if (size != 4 && !(size == 1 && a->bits == 8))
		return MICA_ERR_INVALID_ARGUMENT;
	for (unsigned i = 0; i < count; i++) {
		unsigned intid = first + i;
		struct irq_ref r = no_irq();

		/* In the distributor, INTIDs 0..31 belong to the redistributors. */
		if (!is_dist || intid >= VGICD_PRIVATE)
			r = lookup(g, vcpu, intid);
		if (r.irq == NULL)
			continue;
		if (!is_write && r.irq->is_kernels && intid < VGICD_PRIVATE)
			read_kernel_ppi(g, r, a->field);
		if (is_write)
			field_write(g, r, a->field, (uint32_t)(*value >> (i * a->bits)) & mask);
		else
			v |= (uint64_t)field_read(r.irq, a->field) << (i * a->bits);
	}
	if (!is_write)
		*value = v;
	return MICA_OK;
}

/* An access to a register the model does not have: RAZ/WI, counted. */
static enum mica_error unknown_access(struct vgicd *g, unsigned size, bool is_write,
				      uint64_t *value)
{
	if (size != 4 && size != 8)
		return MICA_ERR_INVALID_ARGUMENT;
	if (is_write) {
		g->ignored_writes++;
	} else {
		g->unknown_reads++;
		*value = 0;
	}
	return MICA_OK;
}

/* The array register holding frame offset off, or NULL. */
static const struct irq_array *find_array(uint32_t off, bool is_dist)
{
	for (size_t i = 0; i < sizeof(irq_arrays) / sizeof(irq_arrays[0]); i++) {
		const struct irq_array *a = &irq_arrays[i];
		uint32_t bytes = is_dist ? a->dist_bytes : a->sgi_bytes;

		if (off >= a->offset && off - a->offset < bytes)
			return a;
	}
	return NULL;
}

/*
 * A 32-bit register's access: width 4 only. Reads return reg_value; a write
 * hands the value back through *value for the caller to apply.
 */
static enum mica_error reg32(unsigned size, bool is_write, uint64_t *value, uint32_t reg_value)
{
	if (size != 4)
		return MICA_ERR_INVALID_ARGUMENT;
	if (!is_write)
		*value = reg_value;
	return MICA_OK;
}

/*
 * An access to a 64-bit register at byte off within it (0 or 4): 64-bit, or
 * 32-bit to either half. *reg is updated on a write if writable.
 */
static enum mica_error reg64(uint32_t off, unsigned size, bool is_write, uint64_t *value,
			     uint64_t *reg, bool is_writable)
{
	unsigned shift = (off & 4u) * 8u;
	uint64_t mask = size == 8 ? UINT64_MAX : (uint64_t)UINT32_MAX << shift;

	if (size != 4 && size != 8)
		return MICA_ERR_INVALID_ARGUMENT;
	if (!is_write)
		*value = size == 8 ? *reg : (uint32_t)(*reg >> shift);
	else if (is_writable)
		*reg = (*reg & ~mask) | ((*value << shift) & mask);
	return MICA_OK;
}

static uint32_t gicd_typer(const struct vgicd *g)
{
	uint32_t it_lines = (INTID_SPI + g->cfg.spi_count) / 32u - 1u;

	return it_lines | GICD_TYPER_IDBITS << GICD_TYPER_IDBITS_SHIFT | GICD_TYPER_A3V |
	       GICD_TYPER_NO1N;
}

static enum mica_error irouter_access(struct vgicd *g, uint32_t off, unsigned size, bool is_write,
				      uint64_t *value)
{
	unsigned intid = (off - GICD_IROUTER) / 8u;
	struct irq_ref r = intid >= VGICD_PRIVATE ? lookup(g, 0, intid) : no_irq();
	uint64_t route = r.irq != NULL ? r.irq->route : 0;
	enum mica_error err = reg64(off, size, is_write, value, &route, r.irq != NULL);

	if (err != MICA_OK || !is_write || r.irq == NULL)
		return err;
	r.irq->route = route & IROUTER_AFFINITY_MASK;
	sync(g, r);
	return MICA_OK;
}

static enum mica_error dist_access(struct vgicd *g, uint32_t off, unsigned size, bool is_write,
				   uint64_t *value)
{
	const struct irq_array *a = find_array(off, true);
	enum mica_error err;

	if (a != NULL)
		return array_access(g, a, true, 0, off - a->offset, size, is_write, value);
	if (off >= GICD_IROUTER && off < GICD_IROUTER_END)
		return irouter_access(g, off, size, is_write, value);
	switch (off) {
	case GICD_CTLR:
		err = reg32(size, is_write, value, g->ctlr | GICD_CTLR_ARE | GICD_CTLR_DS);
		if (err == MICA_OK && is_write) {
			g->ctlr = (uint32_t)*value & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);
			sync_all(g);
		}
		return err;
	case GICD_TYPER:
		return reg32(size, is_write, value, gicd_typer(g));
	case GICD_IIDR:
		return reg32(size, is_write, value, GIC_IIDR);
	case GIC_PIDR2:
		return reg32(size, is_write, value, GIC_PIDR2_ARCH_V3);
	default:
		return unknown_access(g, size, is_write, value);
	}
}

static uint64_t gicr_typer(const struct vgicd *g, unsigned vcpu)
{
	uint64_t mpidr = g->cfg.mpidrs[vcpu];
	uint64_t affinity = (mpidr & 0xffffffu) | ((mpidr >> 32) & 0xffu) << 24;
	uint64_t typer = affinity << GICR_TYPER_AFFINITY_SHIFT | (uint64_t)vcpu
									 << GICR_TYPER_PROC_SHIFT;

	if (vcpu == g->cfg.vcpu_count - 1)
		typer |= GICR_TYPER_LAST;
	return typer;
}

static enum mica_error rd_access(struct vgicd *g, unsigned vcpu, uint32_t off, unsigned size,
				 bool is_write, uint64_t *value)
{
	struct vgicd_redist *rd = &g->redists[vcpu];
	uint64_t typer = gicr_typer(g, vcpu);
	enum mica_error err;

	switch (off) {
	case GICR_CTLR: /* No LPIs: EnableLPIs is RES0, and RWP/UWP read 0. */
		return reg32(size, is_write, value, 0);
	case GICR_IIDR:
		return reg32(size, is_write, value, GIC_IIDR);
	case GICR_TYPER:
	case GICR_TYPER + 4:
		return reg64(off - GICR_TYPER, size, is_write, value, &typer, false);
	case GICR_WAKER:
		/* ChildrenAsleep follows ProcessorSleep at once: nothing to quiesce. */
		err = reg32(size, is_write, value,
			    rd->is_asleep ? GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP
					  : 0);
		if (err == MICA_OK && is_write)
			rd->is_asleep = (*value & GICR_WAKER_PROCESSOR_SLEEP) != 0;
		return err;
	case GIC_PIDR2:
		return reg32(size, is_write, value, GIC_PIDR2_ARCH_V3);
	default:
		return unknown_access(g, size, is_write, value);
	}
}

static enum mica_error redist_access(struct vgicd *g, uint64_t rel, unsigned size, bool is_write,
				     uint64_t *value)
{
	unsigned vcpu = (unsigned)(rel / VGICD_REDIST_STRIDE);
	uint32_t off = (uint32_t)(rel % VGICD_REDIST_STRIDE);
	const struct irq_array *a;

	if (off < GICR_SGI_FRAME)
		return rd_access(g, vcpu, off, size, is_write, value);
	off -= GICR_SGI_FRAME;
	a = find_array(off, false);
	if (a != NULL)
		return array_access(g, a, false, vcpu, off - a->offset, size, is_write, value);
	return unknown_access(g, size, is_write, value);
}

uint64_t redist_size(const struct vgicd_config *cfg)
{
	return (uint64_t)cfg->vcpu_count * VGICD_REDIST_STRIDE;
}

bool vgicd_contains(const struct vgicd *g, uint64_t addr)
{
	return (addr >= g->cfg.dist_base && addr - g->cfg.dist_base < VGICD_DIST_SIZE) ||
	       (addr >= g->cfg.redist_base && addr - g->cfg.redist_base < redist_size(&g->cfg));
}

static enum mica_error access(struct vgicd *g, uint64_t addr, unsigned size, bool is_write,
			      uint64_t *value)
{
	if (!vgicd_contains(g, addr))
		return MICA_ERR_RANGE;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return MICA_ERR_INVALID_ARGUMENT;
	if (addr & (size - 1u))
		return MICA_ERR_ALIGNMENT;
	if (addr >= g->cfg.dist_base && addr - g->cfg.dist_base < VGICD_DIST_SIZE)
		return dist_access(g, (uint32_t)(addr - g->cfg.dist_base), size, is_write, value);
	return redist_access(g, addr - g->cfg.redist_base, size, is_write, value);
}

enum mica_error vgicd_read(struct vgicd *g, uint64_t addr, unsigned size, uint64_t *value)
{
	uint64_t v = 0;
	enum mica_error err = access(g, addr, size, false, &v);

	if (err == MICA_OK)
		*value = v;
	return err;
}

enum mica_error vgicd_write(struct vgicd *g, uint64_t addr, unsigned size, uint64_t value)
{
	enum mica_error err;

	if (size < 8)
		value &= (UINT64_C(1) << (size * 8u)) - 1u;
	err = access(g, addr, size, true, &value);
	if (err == MICA_OK) {
		sync_direct_sgis(g);
		sync_kernel_ppis(g);
	}
	return err;
}
