/* The guest's side of its GIC, for test guests that take SPIs (see gicd.h). */
#include "gicd.h"

#include "gic.h"
#include "guest.h"

#define PRIO_TIMER     0xa0u
#define CNT_CTL_ENABLE 1u /* CNTV_CTL_EL0 (Arm ARM D11.2.4). */

uint32_t reg_read(uint64_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

void reg_write(uint64_t addr, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)addr = value;
}

uint64_t us_to_ticks(uint64_t us)
{
	return us * guest_tick_hz() / 1000000u;
}

void gicd_spi_enable(unsigned intid, bool is_enabled)
{
	reg_write(GICD_BASE + (is_enabled ? GICD_ISENABLER : GICD_ICENABLER) + word_of(intid),
		  bit_of(intid));
}

void gicd_group1_enable(bool is_enabled)
{
	reg_write(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | (is_enabled ? GICD_CTLR_ENABLE_G1 : 0));
}

volatile uint64_t *gicd_spi_route(unsigned intid)
{
	return (volatile uint64_t *)(uintptr_t)(GICD_BASE + GICD_IROUTER + 8ull * intid);
}

void gicd_setup(unsigned spi, uint8_t prio)
{
	gicd_group1_enable(true);
	reg_write(GICR_BASE + GICR_WAKER, reg_read(GICR_BASE + GICR_WAKER) & ~WAKER_SLEEP);
	while (reg_read(GICR_BASE + GICR_WAKER) & WAKER_ASLEEP)
		;
	reg_write(SGI_BASE + GICR_ICENABLER0, UINT32_MAX);
	reg_write(SGI_BASE + GICR_IGROUPR0, bit_of(VTIMER_INTID));
	*(volatile uint8_t *)(uintptr_t)(SGI_BASE + GICR_IPRIORITYR + VTIMER_INTID) = PRIO_TIMER;
	reg_write(SGI_BASE + GICR_ISENABLER0, bit_of(VTIMER_INTID));
	gicd_spi_setup(spi, prio);
	guest_vectors_install();
	gic_cpu_enable();
}

void gicd_spi_setup(unsigned spi, uint8_t prio)
{
	gicd_spi_enable(spi, false);
	reg_write(GICD_BASE + GICD_IGROUPR + word_of(spi),
		  reg_read(GICD_BASE + GICD_IGROUPR + word_of(spi)) | bit_of(spi));
	*(volatile uint8_t *)(uintptr_t)(GICD_BASE + GICD_IPRIORITYR + spi) = prio;
	*gicd_spi_route(spi) = ROUTE_VCPU_0;
}

void gicd_wait(uint64_t us, bool is_idle)
{
	uint64_t until = guest_ticks() + us_to_ticks(us);

	if (is_idle) {
		sysreg_set("cntv_cval_el0", until);
		sysreg_set("cntv_ctl_el0", CNT_CTL_ENABLE);
	}
	irqs_on();
	while (guest_ticks() < until)
		if (is_idle)
			wfi();
	irqs_off();
	sysreg_set("cntv_ctl_el0", 0);
}

void gicd_timer_taken(void)
{
	sysreg_set("cntv_ctl_el0", 0);
}
