/*
 * The kernel's periodic tick, and the alarms of alarm.h, on the EL2
 * physical timer (CNTHP_*_EL2, Arm ARM D11.2), which with E2H=1 is the
 * hypervisor's own and leaves the EL1 physical and virtual timers to
 * guests: each vCPU has both, switched with its state (vcpu.c), their PPIs
 * delivered by the kernel (vgic.c). The boot CPU's compare value is its
 * next tick or the earliest alarm, whichever comes first; another CPU's is
 * its next tick, or sooner for an alarm it armed (arch_timer_wake_by).
 */
#include "alarm.h"
#include "arch/internal.h"
#include "arch/sysreg.h"
#include "print.h"
#include "thread.h"
#include "vgic.h"

static uint32_t tick_intid;
static uint64_t tick_period;
static uint64_t next_tick[PLATFORM_MAX_CPUS];

uint64_t arch_counter(void)
{
	isb();
	return sysreg_read(cntpct_el0);
}

uint64_t arch_counter_hz(void)
{
	return sysreg_read(cntfrq_el0);
}

void arch_timer_init(const struct platform *p, unsigned hz)
{
	if (p->timer_hyp_phys_intid == 0)
		panic("the device tree gives no hypervisor timer interrupt");
	tick_intid = p->timer_hyp_phys_intid;
	tick_period = arch_counter_hz() / hz;
	vgic_set_timer_intid(VGIC_TIMER_VIRT, p->timer_virt_intid);
	vgic_set_timer_intid(VGIC_TIMER_PHYS, p->timer_phys_intid);
	timer_init_this_cpu();
}

/*
 * Every CPU ticks. The EL1 timers are the guests': their PPIs reach the
 * vCPU whose state is loaded (vgic_timer_fired). Guests see the counter
 * with no offset.
 */
void timer_init_this_cpu(void)
{
	next_tick[arch_cpu_index()] = arch_counter() + tick_period;
	sysreg_write(cnthp_cval_el2, next_tick[arch_cpu_index()]);
	sysreg_write(cnthp_ctl_el2, CNT_CTL_ENABLE);
	isb();
	gic_enable_ppi(tick_intid);
	sysreg_write(cntvoff_el2, 0);
	for (unsigned t = 0; t < VGIC_TIMERS; t++) {
		if (vgic_timer_intid(t) != 0)
			gic_enable_ppi(vgic_timer_intid(t));
	}
}

uint32_t timer_intid(void)
{
	return tick_intid;
}

void arch_timer_wake_by(uint64_t at)
{
	if (at < sysreg_read(cnthp_cval_el2)) {
		sysreg_write(cnthp_cval_el2, at);
		isb();
	}
}

/* Fire the alarms due; tick if it is time, re-armed from the last tick so ticks do not drift. */
void timer_handle(void)
{
	uint64_t *tick = &next_tick[arch_cpu_index()];
	uint64_t now = arch_counter();
	uint64_t next = alarm_fire(now);
	bool is_tick = now >= *tick;

	/* The boot CPU keeps the time for alarms; another fires those due when it wakes. */
	if (arch_cpu_index() != 0 && next > now)
		next = UINT64_MAX;
	if (is_tick) {
		*tick += tick_period;
		if (*tick <= now)
			*tick = now + tick_period;
	}
	sysreg_write(cnthp_cval_el2, next < *tick ? next : *tick);
	isb();
	if (is_tick)
		sched_tick();
}
