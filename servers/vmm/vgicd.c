/*
 * The guest's GICv3 distributor and redistributors (see vgicd.h).
 *
 * How the model meets the kernel's list registers. The guest acknowledges
 * and deactivates interrupts in the virtual CPU interface, which the VMM
 * does not see; it only hears of a deactivation because every injection
 * asks for one (MICA_VIRQ_NOTIFY_EOI) and arrives here as vgicd_eoi. So an
 * interrupt's pending state lives here until it is *forwarded* (injected),
 * and in the vCPU's interface after that:
 *
 *   - An interrupt is forwarded when its gates are open (enabled, its
 *     group enabled in GICD_CTLR, not made active by the guest through
 *     ISACTIVER, routed to an existing vCPU) and it is pending: latched (an
 *     edge, an ISPENDR write, an SGI) or a level-sensitive line that is high
 *     and not already forwarded. Forwarding consumes the latch, so a new
 *     edge while the first is still in the guest is forwarded again (the
 *     kernel makes the list register pending and active), and a
 *     level-sensitive line is forwarded again at its EOI if still high.
 *   - When a forwarded interrupt's gates close (disabled, group disabled,
 *     routed elsewhere, made active) it is withdrawn (clear), and an
 *     edge-triggered one is latched again: it stays pending at the
 *     distributor, as the GIC says. If the guest had already acknowledged
 *     it, the kernel keeps it and this costs the guest one spurious
 *     interrupt, never a lost one. ICPENDR withdraws it and drops the latch.
 *   - Reads of ISPENDR show latched, high level-sensitive and forwarded
 *     interrupts as pending (the model cannot tell pending from active once
 *     an interrupt is in the vCPU); ISACTIVER shows only what the guest set.
 *   - The PPIs the kernel delivers itself (the guest's timers) are never
 *     forwarded: the model passes their enables and priorities to the
 *     kernel (ops.kernel_ppis), and reads of their pending and active bits
 *     show what the kernel says of them (ops.kernel_ppi_state).
 *   - The SPIs the kernel delivers itself (vgicd_config.kernel_spis: a
 *     device server's signal of a notification the kernel has bound to the
 *     guest's interrupt) are edge-triggered and never forwarded either:
 *     the model tells the kernel whether the guest takes each, on which
 *     vCPU and at which priority (ops.kernel_spi). Their pending and active
 *     states are the kernel's and read as clear, but for a pending state
 *     the guest sets through ISPENDR (Linux replays an edge so), which the
 *     model forwards as any; writes of their active state and
 *     configuration are ignored.
 *   - A priority change applies from the next injection on.
 */
#include "vgicd.h"
#include "vgicd_internal.h"

#include <string.h>

/* ICC_SGI1R_EL1 fields (Arm ARM, D13). */
#define SGI1R_TARGETS_MASK UINT64_C(0xffff)
#define SGI1R_AFF1_SHIFT   16
#define SGI1R_INTID_SHIFT  24
#define SGI1R_AFF2_SHIFT   32
#define SGI1R_IRM	   (UINT64_C(1) << 40)
#define SGI1R_RS_SHIFT	   44
#define SGI1R_AFF3_SHIFT   48

struct irq_ref no_irq(void)
{
	return (struct irq_ref){.irq = NULL};
}

/* INTID intid as vCPU vcpu sees it, or no_irq() if there is none. */
struct irq_ref lookup(struct vgicd *g, unsigned vcpu, unsigned intid)
{
	if (intid < VGICD_PRIVATE) {
		if (vcpu >= g->cfg.vcpu_count)
			return no_irq();
		return (struct irq_ref){&g->redists[vcpu].private_irqs[intid], intid, vcpu};
	}
	if (intid - INTID_SPI < g->cfg.spi_count)
		return (struct irq_ref){&g->spis[intid - INTID_SPI], intid, 0};
	return no_irq();
}

static int vcpu_by_affinity(const struct vgicd *g, uint64_t affinity)
{
	for (unsigned i = 0; i < g->cfg.vcpu_count; i++) {
		if (g->cfg.mpidrs[i] == affinity)
			return (int)i;
	}
	return -1;
}

/* The vCPU the interrupt goes to, or -1 if its route names none. */
static int target_of(const struct vgicd *g, struct irq_ref r)
{
	if (r.intid < VGICD_PRIVATE)
		return (int)r.vcpu;
	return vcpu_by_affinity(g, r.irq->route & IROUTER_AFFINITY_MASK);
}

static bool is_group_enabled(const struct vgicd *g, const struct vgicd_irq *irq)
{
	return (g->ctlr & (irq->is_group1 ? GICD_CTLR_ENABLE_G1 : GICD_CTLR_ENABLE_G0)) != 0;
}

/* Tell ops.kernel_spi where and whether kernel SPI r goes now, if that changed. */
static void tell_kernel_spi(struct vgicd *g, struct irq_ref r, bool is_open, int target)
{
	struct vgicd_irq *irq = r.irq;
	uint8_t vcpu = is_open ? (uint8_t)target : 0;

	if (irq->has_told && irq->told_open == is_open && irq->told_vcpu == vcpu &&
	    irq->told_prio == irq->priority)
		return;
	irq->has_told = g->ops.kernel_spi(g->ops.ctx, r.intid, vcpu, irq->priority, is_open);
	irq->told_open = is_open;
	irq->told_vcpu = vcpu;
	irq->told_prio = irq->priority;
}

/*
 * Bring the vCPU's view of one interrupt in line with the model, after any
 * change to it (see the top of this file).
 */
void sync(struct vgicd *g, struct irq_ref r)
{
	struct vgicd_irq *irq = r.irq;
	int target = target_of(g, r);
	bool is_open =
		irq->is_enabled && !irq->is_active && is_group_enabled(g, irq) && target >= 0;

	if (irq->is_kernels) {
		/* The kernel delivers it: sync_kernel_ppis tells it how, or here for an SPI. */
		if (r.intid < VGICD_PRIVATE)
			return;
		tell_kernel_spi(g, r, is_open, target);
		/* Only a pending state set through ISPENDR is the model's to forward, below. */
	}
	if (irq->is_forwarded && (!is_open || target != irq->forwarded_to)) {
		g->ops.clear(g->ops.ctx, irq->forwarded_to, r.intid);
		irq->is_forwarded = false;
		if (irq->is_edge)
			irq->is_latched = true;
	}
	if (!is_open)
		return;
	if (irq->is_latched || (!irq->is_edge && irq->line && !irq->is_forwarded)) {
		if (g->ops.inject(g->ops.ctx, (unsigned)target, r.intid, irq->priority) != MICA_OK)
			return;
		irq->is_latched = false;
		irq->is_forwarded = true;
		irq->forwarded_to = (uint8_t)target;
	}
}

void sync_all(struct vgicd *g)
{
	for (unsigned v = 0; v < g->cfg.vcpu_count; v++) {
		for (unsigned i = 0; i < VGICD_PRIVATE; i++)
			sync(g, lookup(g, v, i));
	}
	for (unsigned i = 0; i < g->cfg.spi_count; i++)
		sync(g, lookup(g, 0, INTID_SPI + i));
}

/* Tell ops.direct_sgis of each vCPU whose directly taken SGIs changed. */
void sync_direct_sgis(struct vgicd *g)
{
	if (g->ops.direct_sgis == NULL)
		return;
	for (unsigned v = 0; v < g->cfg.vcpu_count; v++) {
		struct vgicd_redist *r = &g->redists[v];
		uint16_t enabled = 0;
		uint8_t prio[SGI_COUNT];

		for (unsigned i = 0; i < SGI_COUNT; i++) {
			const struct vgicd_irq *irq = &r->private_irqs[i];

			prio[i] = irq->priority;
			if (irq->is_enabled && !irq->is_active && is_group_enabled(g, irq))
				enabled |= (uint16_t)(1u << i);
		}
		if (r->has_direct && r->direct == enabled &&
		    memcmp(r->direct_prio, prio, sizeof(prio)) == 0)
			continue;
		r->has_direct = true;
		r->direct = enabled;
		memcpy(r->direct_prio, prio, sizeof(prio));
		g->ops.direct_sgis(g->ops.ctx, v, enabled, prio);
	}
}

/* Tell ops.kernel_ppis of each vCPU whose view of the kernel's PPIs changed. */
void sync_kernel_ppis(struct vgicd *g)
{
	if (g->ops.kernel_ppis == NULL || g->cfg.kernel_ppis == 0)
		return;
	for (unsigned v = 0; v < g->cfg.vcpu_count; v++) {
		struct vgicd_redist *r = &g->redists[v];
		uint32_t enabled = 0;
		uint8_t prio[VGICD_PRIVATE];

		for (unsigned i = 0; i < VGICD_PRIVATE; i++) {
			const struct vgicd_irq *irq = &r->private_irqs[i];

			prio[i] = irq->priority;
			if (irq->is_kernels && irq->is_enabled && is_group_enabled(g, irq))
				enabled |= 1u << i;
		}
		if (r->has_kernel && r->kernel_enabled == enabled &&
		    memcmp(r->kernel_prio, prio, sizeof(prio)) == 0)
			continue;
		r->has_kernel = true;
		r->kernel_enabled = enabled;
		memcpy(r->kernel_prio, prio, sizeof(prio));
		g->ops.kernel_ppis(g->ops.ctx, v, enabled, prio);
	}
}

bool is_pending(const struct vgicd_irq *irq)
{
	return irq->is_latched || (!irq->is_edge && irq->line) || irq->is_forwarded;
}

static bool is_region_ok(uint64_t base, uint64_t size)
{
	return base <= UINT64_MAX - size;
}

static enum mica_error check_config(const struct vgicd_config *cfg, const struct vgicd_ops *ops)
{
	uint64_t rsize;

	if (ops == NULL || ops->inject == NULL || ops->clear == NULL)
		return MICA_ERR_INVALID_ARGUMENT;
	if (cfg->spi_count == 0 || cfg->spi_count % 32u != 0 || cfg->spi_count > VGICD_MAX_SPIS)
		return MICA_ERR_INVALID_ARGUMENT;
	if (cfg->vcpu_count == 0 || cfg->vcpu_count > VGICD_MAX_VCPUS)
		return MICA_ERR_INVALID_ARGUMENT;
	if ((cfg->kernel_ppis & ((1u << SGI_COUNT) - 1u)) != 0)
		return MICA_ERR_INVALID_ARGUMENT;
	for (unsigned w = 0; w < VGICD_MAX_SPIS / 32u; w++)
		if (cfg->kernel_spis[w] != 0 &&
		    (ops->kernel_spi == NULL || w >= cfg->spi_count / 32u))
			return MICA_ERR_INVALID_ARGUMENT;
	for (unsigned i = 0; i < cfg->vcpu_count; i++) {
		if (cfg->mpidrs[i] & ~IROUTER_AFFINITY_MASK)
			return MICA_ERR_INVALID_ARGUMENT;
		for (unsigned j = 0; j < i; j++) {
			if (cfg->mpidrs[j] == cfg->mpidrs[i])
				return MICA_ERR_INVALID_ARGUMENT;
		}
	}
	if ((cfg->dist_base | cfg->redist_base) & (VGICD_DIST_SIZE - 1u))
		return MICA_ERR_ALIGNMENT;
	rsize = redist_size(cfg);
	if (!is_region_ok(cfg->dist_base, VGICD_DIST_SIZE) ||
	    !is_region_ok(cfg->redist_base, rsize))
		return MICA_ERR_RANGE;
	if (cfg->dist_base < cfg->redist_base + rsize &&
	    cfg->redist_base < cfg->dist_base + VGICD_DIST_SIZE)
		return MICA_ERR_RANGE;
	return MICA_OK;
}

enum mica_error vgicd_init(struct vgicd *g, const struct vgicd_config *cfg,
			   const struct vgicd_ops *ops)
{
	enum mica_error err = check_config(cfg, ops);

	if (err != MICA_OK)
		return err;
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	g->ops = *ops;
	for (unsigned v = 0; v < cfg->vcpu_count; v++) {
		g->redists[v].is_asleep = true;
		for (unsigned i = 0; i < SGI_COUNT; i++)
			g->redists[v].private_irqs[i].is_edge = true;
		for (unsigned i = SGI_COUNT; i < VGICD_PRIVATE; i++)
			g->redists[v].private_irqs[i].is_kernels = (cfg->kernel_ppis >> i) & 1u;
	}
	for (unsigned i = 0; i < cfg->spi_count; i++) {
		bool is_kernels = (cfg->kernel_spis[i / 32u] >> (i % 32u)) & 1u;

		g->spis[i].is_kernels = is_kernels;
		g->spis[i].is_edge = is_kernels;
	}
	return MICA_OK;
}

void vgicd_reset(struct vgicd *g)
{
	const struct vgicd_config cfg = g->cfg;
	const struct vgicd_ops ops = g->ops;
	bool lines[VGICD_MAX_SPIS];

	for (unsigned i = 0; i < VGICD_MAX_SPIS; i++)
		lines[i] = g->spis[i].line;
	/* The configuration passed its checks when g was set up. */
	(void)vgicd_init(g, &cfg, &ops);
	/* Every SPI is disabled after a reset: nothing to inject yet. */
	for (unsigned i = 0; i < VGICD_MAX_SPIS; i++)
		g->spis[i].line = lines[i];
	/* And no SGI reaches a vCPU directly, nor the kernel's PPIs a vCPU at all. */
	sync_direct_sgis(g);
	sync_kernel_ppis(g);
	for (unsigned i = 0; i < g->cfg.spi_count; i++)
		if (g->spis[i].is_kernels)
			sync(g, lookup(g, 0, INTID_SPI + i));
}

enum mica_error vgicd_set_line(struct vgicd *g, unsigned vcpu, unsigned intid, bool level)
{
	struct irq_ref r;
	bool was;

	if (intid < SGI_COUNT)
		return MICA_ERR_RANGE;
	r = lookup(g, intid < VGICD_PRIVATE ? vcpu : 0, intid);
	if (r.irq == NULL)
		return MICA_ERR_RANGE;
	if (r.irq->is_kernels)
		return MICA_ERR_INVALID_ARGUMENT; /* Raised through the kernel, not the model. */
	was = r.irq->line;
	r.irq->line = level;
	if (r.irq->is_edge && level && !was)
		r.irq->is_latched = true;
	sync(g, r);
	return MICA_OK;
}

enum mica_error vgicd_eoi(struct vgicd *g, unsigned vcpu, unsigned intid)
{
	struct irq_ref r;

	if (vcpu >= g->cfg.vcpu_count)
		return MICA_ERR_RANGE;
	r = lookup(g, vcpu, intid);
	if (r.irq == NULL)
		return MICA_ERR_RANGE;
	if (r.irq->is_forwarded && r.irq->forwarded_to == vcpu)
		r.irq->is_forwarded = false;
	/* Also retries anything whose injection failed for want of room. */
	sync_all(g);
	return MICA_OK;
}

enum mica_error vgicd_sgi1r_write(struct vgicd *g, unsigned sender, uint64_t value)
{
	unsigned intid = (unsigned)(value >> SGI1R_INTID_SHIFT) & 0xfu;
	uint64_t high = ((value >> SGI1R_AFF3_SHIFT) & 0xffu) << 32 |
			((value >> SGI1R_AFF2_SHIFT) & 0xffu) << 16 |
			((value >> SGI1R_AFF1_SHIFT) & 0xffu) << 8;
	unsigned aff0_base = (unsigned)((value >> SGI1R_RS_SHIFT) & 0xfu) * 16u;

	if (sender >= g->cfg.vcpu_count)
		return MICA_ERR_RANGE;
	for (unsigned v = 0; v < g->cfg.vcpu_count; v++) {
		uint64_t mpidr = g->cfg.mpidrs[v];
		bool is_target;

		if (value & SGI1R_IRM) {
			is_target = v != sender;
		} else {
			uint64_t aff0 = mpidr & 0xffu;

			is_target =
				(mpidr & ~UINT64_C(0xff)) == high && aff0 >= aff0_base &&
				aff0 - aff0_base < 16u &&
				(value & SGI1R_TARGETS_MASK & (UINT64_C(1) << (aff0 - aff0_base)));
		}
		if (is_target) {
			struct irq_ref r = {&g->redists[v].private_irqs[intid], intid, v};

			r.irq->is_latched = true;
			sync(g, r);
		}
	}
	return MICA_OK;
}
