/*
 * The guest's side of its GIC (servers/vmm/vgicd.h: QEMU virt's layout),
 * for test guests that take SPIs: the distributor and the redistributor of
 * vCPU 0 set up as a guest sets them up, and waits in guest time that the
 * virtual timer ends. MMU off: the registers are at their guest-physical
 * addresses.
 */
#ifndef MICA_TESTS_GICD_H
#define MICA_TESTS_GICD_H

#include <stdbool.h>
#include <stdint.h>

#define GICD_BASE	    0x08000000ull
#define GICD_CTLR	    0x0000u
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ARE	    (1u << 4)
#define GICD_IGROUPR	    0x0080u
#define GICD_ISENABLER	    0x0100u
#define GICD_ICENABLER	    0x0180u
#define GICD_ISPENDR	    0x0200u
#define GICD_IPRIORITYR	    0x0400u
#define GICD_ICFGR	    0x0c00u
#define GICD_IROUTER	    0x6000u

/* vCPU 0's redistributor: RD_base, and SGI_base 64 KiB after it. */
#define GICR_BASE	0x080a0000ull
#define GICR_WAKER	0x0014u
#define WAKER_SLEEP	(1u << 1)
#define WAKER_ASLEEP	(1u << 2)
#define SGI_BASE	(GICR_BASE + 0x10000ull)
#define GICR_IGROUPR0	0x0080u
#define GICR_ISENABLER0 0x0100u
#define GICR_ICENABLER0 0x0180u
#define GICR_ISPENDR0	0x0200u
#define GICR_ICPENDR0	0x0280u
#define GICR_ISACTIVER0 0x0300u
#define GICR_IPRIORITYR 0x0400u

#define ROUTE_VCPU_0  0x0ull
#define ROUTE_NOWHERE 0x7ull /* Affinity 0.0.0.7: no vCPU of a VM with fewer than 8. */

uint32_t reg_read(uint64_t addr);
void reg_write(uint64_t addr, uint32_t value);

/* An INTID's bit in, and the offset of its word of, a one-bit-per-INTID register. */
static inline uint32_t bit_of(unsigned intid)
{
	return 1u << (intid % 32u);
}

static inline uint64_t word_of(unsigned intid)
{
	return 4ull * (intid / 32u);
}

uint64_t us_to_ticks(uint64_t us);

void gicd_spi_enable(unsigned intid, bool is_enabled);
void gicd_group1_enable(bool is_enabled);
volatile uint64_t *gicd_spi_route(unsigned intid);

/*
 * Affinity routing and Group 1 on, the redistributor awake, the virtual
 * timer's PPI (each wait's end) enabled; spi in Group 1 at priority prio,
 * routed to vCPU 0, and disabled; the vectors installed and the CPU
 * interface on. Interrupts stay masked at PSTATE.I.
 */
void gicd_setup(unsigned spi, uint8_t prio);

/* Another SPI as gicd_setup sets one up: Group 1, prio, routed to vCPU 0, disabled. */
void gicd_spi_setup(unsigned spi, uint8_t prio);

/*
 * Let interrupts in for us of guest time, then mask them again. With
 * is_idle the vCPU waits in WFI, which the virtual timer ends at the end
 * of the wait at the latest; else it spins on the counter (with Group 1
 * disabled, the timer's interrupt, which is in that group, would not end a
 * WFI). The guest's handler must stop the timer when it takes VTIMER_INTID
 * (gicd_timer_taken).
 */
void gicd_wait(uint64_t us, bool is_idle);

/* The handler took VTIMER_INTID: a wait's end. */
void gicd_timer_taken(void);

#endif
