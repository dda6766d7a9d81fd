/*
 * Unit tests for servers/vmm/vgicd.c: the guest's GICv3 distributor and
 * redistributors. The guest's MMIO goes through vgicd_read/vgicd_write at
 * the addresses of QEMU virt's layout; the kernel's InjectIRQ and ClearIRQ
 * are a fake that records each call. Register offsets and bit positions
 * are written out from the GIC architecture specification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vgicd.h"

#define GICD   UINT64_C(0x08000000)
#define GICR   UINT64_C(0x080a0000)
#define RD(v)  (GICR + (uint64_t)(v)*0x20000)
#define SGI(v) (RD(v) + 0x10000)

#define CTLR	     0x0000
#define TYPER	     0x0004
#define IIDR	     0x0008
#define IGROUPR	     0x0080
#define ISENABLER    0x0100
#define ICENABLER    0x0180
#define ISPENDR	     0x0200
#define ICPENDR	     0x0280
#define ISACTIVER    0x0300
#define ICACTIVER    0x0380
#define IPRIORITYR   0x0400
#define ITARGETSR    0x0800
#define ICFGR	     0x0c00
#define IROUTER	     0x6000
#define IROUTER_N(n) (IROUTER + UINT64_C(8) * (n))
#define PIDR2	     0xffe8
#define GICR_TYPER   0x0008
#define GICR_WAKER   0x0014

#define CTLR_G0 1u
#define CTLR_G1 2u

/* What the fake kernel was asked to do. */
enum event_kind { INJECT, CLEAR };

struct event {
	enum event_kind kind;
	unsigned vcpu;
	unsigned intid;
	uint8_t prio;
};

static struct vgicd g;
static struct event events[64];
static unsigned event_count;
static unsigned next_event;
static unsigned failures_left; /* Injections to refuse, as a full queue would. */

static enum mica_error fake_inject(void *ctx, unsigned vcpu, unsigned intid, uint8_t prio)
{
	if (failures_left > 0) {
		failures_left--;
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	assert_true(event_count < 64);
	events[event_count++] = (struct event){INJECT, vcpu, intid, prio};
	return MICA_OK;
}

static void fake_clear(void *ctx, unsigned vcpu, unsigned intid)
{
	assert_true(event_count < 64);
	events[event_count++] = (struct event){CLEAR, vcpu, intid, 0};
}

static const struct vgicd_ops ops = {.inject = fake_inject, .clear = fake_clear};

/* Three vCPUs: Aff0 0 and 1, and one on Aff1 = 1. */
static struct vgicd_config config(void)
{
	struct vgicd_config cfg = {
		.dist_base = VGICD_DEFAULT_DIST_BASE,
		.redist_base = VGICD_DEFAULT_REDIST_BASE,
		.spi_count = 64,
		.vcpu_count = 3,
		.mpidrs = {0x0, 0x1, 0x100},
	};

	return cfg;
}

static int setup(void **state)
{
	struct vgicd_config cfg = config();

	memset(events, 0, sizeof(events));
	event_count = 0;
	next_event = 0;
	failures_left = 0;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_OK);
	return 0;
}

static uint64_t rd(uint64_t addr, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vgicd_read(&g, addr, size, &v), MICA_OK);
	return v;
}

static void wr(uint64_t addr, unsigned size, uint64_t v)
{
	assert_int_equal(vgicd_write(&g, addr, size, v), MICA_OK);
}

static uint64_t rd32(uint64_t addr)
{
	return rd(addr, 4);
}

static void wr32(uint64_t addr, uint32_t v)
{
	wr(addr, 4, v);
}

/* The next recorded event must be this one. */
static void expect(enum event_kind kind, unsigned vcpu, unsigned intid)
{
	assert_true(next_event < event_count);
	assert_int_equal(events[next_event].kind, kind);
	assert_int_equal(events[next_event].vcpu, vcpu);
	assert_int_equal(events[next_event].intid, intid);
	next_event++;
}

static void expect_nothing_more(void)
{
	assert_int_equal(next_event, event_count);
}

/* SPI intid: group 1, priority prio, routed to affinity route, enabled. */
static void set_up_spi(unsigned intid, uint8_t prio, uint64_t route)
{
	uint64_t word = UINT64_C(4) * (intid / 32);

	wr32(GICD + IGROUPR + word, (uint32_t)rd32(GICD + IGROUPR + word) | 1u << (intid % 32));
	wr(GICD + IPRIORITYR + intid, 1, prio);
	wr(GICD + IROUTER_N(intid), 8, route);
	wr32(GICD + ISENABLER + word, 1u << (intid % 32));
}

static void make_edge(uint64_t frame, unsigned intid)
{
	uint64_t reg = frame + ICFGR + UINT64_C(4) * (intid / 16);

	wr32(reg, (uint32_t)rd32(reg) | 2u << (intid % 16 * 2));
}

static void test_gicd_typer_reports_the_spis_and_no_lpis(void **state)
{
	uint32_t typer = (uint32_t)rd32(GICD + TYPER);

	assert_int_equal(typer & 0x1f, 2);	     /* 32 * (2 + 1) = 96 INTIDs. */
	assert_int_equal((typer >> 19) & 0x1f, 9);   /* 10 INTID bits. */
	assert_int_equal(typer & (1u << 17), 0);     /* No LPIs. */
	assert_int_equal(typer & (1u << 10), 0);     /* No Security Extensions. */
	assert_int_not_equal(typer & (1u << 24), 0); /* Aff3 routing. */
	assert_int_not_equal(typer & (1u << 25), 0); /* No 1-of-N. */
}

static void test_gicd_ctlr_shows_are_and_ds_and_keeps_only_the_group_enables(void **state)
{
	assert_int_equal(rd32(GICD + CTLR), 0x50);
	wr32(GICD + CTLR, 0xffffffff);
	assert_int_equal(rd32(GICD + CTLR), 0x53);
	wr32(GICD + CTLR, 0);
	assert_int_equal(rd32(GICD + CTLR), 0x50);
}

static void test_pidr2_reports_gicv3_in_distributor_and_redistributors(void **state)
{
	assert_int_equal(rd32(GICD + PIDR2) & 0xf0, 0x30);
	assert_int_equal(rd32(RD(0) + PIDR2) & 0xf0, 0x30);
	assert_int_equal(rd32(RD(2) + PIDR2) & 0xf0, 0x30);
	assert_int_equal(rd32(GICD + IIDR), rd32(RD(1) + 0x4));
}

static void test_gicr_typer_matches_each_vcpu_and_marks_the_last(void **state)
{
	uint64_t t0 = rd(RD(0) + GICR_TYPER, 8);
	uint64_t t1 = rd(RD(1) + GICR_TYPER, 8);
	uint64_t t2 = rd(RD(2) + GICR_TYPER, 8);

	assert_int_equal(t0 >> 32, 0x0);
	assert_int_equal(t1 >> 32, 0x1);
	assert_int_equal(t2 >> 32, 0x100); /* Aff1 = 1. */
	assert_int_equal((t0 >> 8) & 0xffff, 0);
	assert_int_equal((t2 >> 8) & 0xffff, 2);
	assert_int_equal(t0 & 0x10, 0);
	assert_int_equal(t1 & 0x10, 0);
	assert_int_not_equal(t2 & 0x10, 0); /* Last. */
	assert_int_equal(t0 & 0x1, 0);	    /* No physical LPIs. */
	/* Either half as a 32-bit read; writes change nothing. */
	assert_int_equal(rd32(RD(2) + GICR_TYPER), (uint32_t)t2);
	assert_int_equal(rd32(RD(2) + GICR_TYPER + 4), t2 >> 32);
	wr(RD(2) + GICR_TYPER, 8, 0);
	assert_int_equal(rd(RD(2) + GICR_TYPER, 8), t2);
}

static void test_gicr_typer_carries_aff3(void **state)
{
	struct vgicd_config cfg = config();

	cfg.mpidrs[1] = UINT64_C(0x7f00030201);
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_OK);
	assert_int_equal(rd(RD(1) + GICR_TYPER, 8) >> 32, 0x7f030201);
}

static void test_gicr_waker_wakes_the_redistributor(void **state)
{
	assert_int_equal(rd32(RD(1) + GICR_WAKER), 0x6); /* Asleep at reset. */
	wr32(RD(1) + GICR_WAKER, 0);
	assert_int_equal(rd32(RD(1) + GICR_WAKER), 0);
	assert_int_equal(rd32(RD(0) + GICR_WAKER), 0x6); /* Each its own. */
	wr32(RD(1) + GICR_WAKER, 0x2);
	assert_int_equal(rd32(RD(1) + GICR_WAKER), 0x6);
}

static void test_an_enabled_pending_spi_goes_to_its_routed_vcpu(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0xa0, 0x100);
	expect_nothing_more();
	assert_int_equal(vgicd_set_line(&g, 0, 40, true), MICA_OK);
	expect(INJECT, 2, 40);
	assert_int_equal(events[0].prio, 0xa0);
	expect_nothing_more();
	assert_int_not_equal(rd32(GICD + ISPENDR + 4) & (1u << 8), 0);
}

/*
 * A reset (a guest reboot) forgets enables, routes and pending state, but a
 * device line that is still high is pending again as soon as the new guest
 * enables the interrupt: its server will not raise it a second time.
 */
static void test_a_reset_keeps_the_spi_lines(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0xa0, 0x1);
	assert_int_equal(vgicd_set_line(&g, 0, 40, true), MICA_OK);
	expect(INJECT, 1, 40);
	vgicd_reset(&g);
	assert_int_equal(rd32(GICD + CTLR) & CTLR_G1, 0);
	assert_int_equal(rd32(GICD + ISENABLER + 4), 0);
	assert_int_equal(rd(GICD + IROUTER_N(40), 8), 0);
	expect_nothing_more();
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0x80, 0x0);
	expect(INJECT, 0, 40);
	/* A line that was low stays quiet. */
	set_up_spi(41, 0x80, 0x0);
	expect_nothing_more();
}

static void test_nothing_is_injected_while_the_group_is_disabled(void **state)
{
	set_up_spi(33, 0x80, 0x0);
	assert_int_equal(vgicd_set_line(&g, 0, 33, true), MICA_OK);
	expect_nothing_more();
	wr32(GICD + CTLR, CTLR_G0); /* The wrong group. */
	expect_nothing_more();
	wr32(GICD + CTLR, CTLR_G1);
	expect(INJECT, 0, 33);
	wr32(GICD + CTLR, 0);
	expect(CLEAR, 0, 33);
	expect_nothing_more();
}

static void test_a_group0_interrupt_needs_enable_grp0(void **state)
{
	wr(GICD + IPRIORITYR + 34, 1, 0x10);
	wr32(GICD + ISENABLER + 4, 1u << 2);
	wr32(GICD + CTLR, CTLR_G1);
	assert_int_equal(vgicd_set_line(&g, 0, 34, true), MICA_OK);
	expect_nothing_more();
	wr32(GICD + CTLR, CTLR_G0);
	expect(INJECT, 0, 34);
}

static void test_disabling_a_forwarded_spi_withdraws_it_until_reenabled(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0xa0, 0x1);
	assert_int_equal(vgicd_set_line(&g, 0, 40, true), MICA_OK);
	expect(INJECT, 1, 40);
	wr32(GICD + ICENABLER + 4, 1u << 8);
	expect(CLEAR, 1, 40);
	assert_int_equal(rd32(GICD + ISENABLER + 4) & (1u << 8), 0);
	wr32(GICD + ISENABLER + 4, 1u << 8); /* The line is still high. */
	expect(INJECT, 1, 40);
	expect_nothing_more();
}

static void test_icpendr_drops_a_forwarded_edge_spi(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	make_edge(GICD, 50);
	set_up_spi(50, 0x20, 0x0);
	assert_int_equal(vgicd_set_line(&g, 0, 50, true), MICA_OK);
	assert_int_equal(vgicd_set_line(&g, 0, 50, false), MICA_OK);
	expect(INJECT, 0, 50);
	wr32(GICD + ICPENDR + 4, 1u << 18);
	expect(CLEAR, 0, 50);
	assert_int_equal(rd32(GICD + ISPENDR + 4) & (1u << 18), 0);
	wr32(GICD + ICENABLER + 4, 1u << 18);
	wr32(GICD + ISENABLER + 4, 1u << 18);
	expect_nothing_more(); /* It is gone, not merely withdrawn. */
}

static void test_a_disabled_edge_spi_stays_pending_for_its_reenable(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	make_edge(GICD, 50);
	set_up_spi(50, 0x20, 0x0);
	assert_int_equal(vgicd_set_line(&g, 0, 50, true), MICA_OK);
	expect(INJECT, 0, 50);
	wr32(GICD + ICENABLER + 4, 1u << 18);
	expect(CLEAR, 0, 50);
	assert_int_not_equal(rd32(GICD + ISPENDR + 4) & (1u << 18), 0);
	wr32(GICD + ISENABLER + 4, 1u << 18);
	expect(INJECT, 0, 50);
	expect_nothing_more();
}

static void test_a_level_spi_is_injected_again_at_eoi_while_its_line_is_high(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(36, 0x40, 0x0);
	assert_int_equal(vgicd_set_line(&g, 0, 36, true), MICA_OK);
	expect(INJECT, 0, 36);
	assert_int_equal(vgicd_set_line(&g, 0, 36, true), MICA_OK); /* No new edge. */
	expect_nothing_more();
	assert_int_equal(vgicd_eoi(&g, 0, 36), MICA_OK);
	expect(INJECT, 0, 36);
	assert_int_equal(vgicd_set_line(&g, 0, 36, false), MICA_OK);
	assert_int_equal(vgicd_eoi(&g, 0, 36), MICA_OK);
	expect_nothing_more();
	assert_int_equal(rd32(GICD + ISPENDR + 4) & (1u << 4), 0);
}

static void test_an_edge_spi_raised_again_in_flight_is_injected_again(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	make_edge(GICD, 37);
	set_up_spi(37, 0x40, 0x0);
	assert_int_equal(vgicd_set_line(&g, 0, 37, true), MICA_OK);
	assert_int_equal(vgicd_set_line(&g, 0, 37, false), MICA_OK);
	expect(INJECT, 0, 37);
	assert_int_equal(vgicd_set_line(&g, 0, 37, true), MICA_OK);
	expect(INJECT, 0, 37);
	assert_int_equal(vgicd_eoi(&g, 0, 37), MICA_OK);
	expect_nothing_more();
}

static void test_rerouting_a_forwarded_spi_moves_it(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(45, 0x40, 0x0);
	assert_int_equal(vgicd_set_line(&g, 0, 45, true), MICA_OK);
	expect(INJECT, 0, 45);
	wr(GICD + IROUTER_N(45), 8, 0x100);
	expect(CLEAR, 0, 45);
	expect(INJECT, 2, 45);
	expect_nothing_more();
}

static void test_an_spi_routed_to_no_vcpu_waits_until_routed(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(45, 0x40, 0x5);
	assert_int_equal(vgicd_set_line(&g, 0, 45, true), MICA_OK);
	expect_nothing_more();
	wr(GICD + IROUTER_N(45), 4, 0x1);
	expect(INJECT, 1, 45);
}

static void test_ispendr_makes_an_spi_pending_until_its_eoi(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(64, 0x40, 0x1);
	wr32(GICD + ISPENDR + 8, 1);
	expect(INJECT, 1, 64);
	assert_int_equal(rd32(GICD + ISPENDR + 8), 1);
	assert_int_equal(rd32(GICD + ICPENDR + 8), 1);
	assert_int_equal(vgicd_eoi(&g, 1, 64), MICA_OK);
	assert_int_equal(rd32(GICD + ISPENDR + 8), 0);
	expect_nothing_more();
}

static void test_isactiver_holds_an_interrupt_back_until_icactiver(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0x40, 0x0);
	wr32(GICD + ISACTIVER + 4, 1u << 8);
	assert_int_equal(rd32(GICD + ISACTIVER + 4), 1u << 8);
	assert_int_equal(vgicd_set_line(&g, 0, 40, true), MICA_OK);
	expect_nothing_more();
	wr32(GICD + ICACTIVER + 4, 1u << 8);
	expect(INJECT, 0, 40);
	assert_int_equal(rd32(GICD + ICACTIVER + 4), 0);
}

static void test_ipriorityr_takes_byte_and_word_accesses(void **state)
{
	wr32(GICD + IPRIORITYR + 32, 0x11223344);
	assert_int_equal(rd(GICD + IPRIORITYR + 32, 1), 0x44);
	assert_int_equal(rd(GICD + IPRIORITYR + 35, 1), 0x11);
	wr(GICD + IPRIORITYR + 34, 1, 0xee);
	assert_int_equal(rd32(GICD + IPRIORITYR + 32), 0x11ee3344);
	/* The private ones live in each vCPU's SGI frame. */
	wr(SGI(1) + IPRIORITYR + 27, 1, 0x90);
	assert_int_equal(rd(SGI(1) + IPRIORITYR + 27, 1), 0x90);
	assert_int_equal(rd(SGI(0) + IPRIORITYR + 27, 1), 0);
	assert_int_equal(rd32(GICD + IPRIORITYR + 24), 0); /* RAZ/WI in GICD. */
}

static void test_irouter_takes_64_bit_and_32_bit_half_accesses(void **state)
{
	wr(GICD + IROUTER_N(40), 8, UINT64_C(0xffffffff80030201));
	/* Aff3..Aff0 stay; IRM (bit 31, no 1-of-N here) and bits 63:40 do not. */
	assert_int_equal(rd(GICD + IROUTER_N(40), 8), UINT64_C(0xff00030201));
	assert_int_equal(rd32(GICD + IROUTER_N(40)), 0x030201);
	assert_int_equal(rd32(GICD + IROUTER_N(40) + 4), 0xff);
	wr32(GICD + IROUTER_N(40) + 4, 0x5);
	assert_int_equal(rd(GICD + IROUTER_N(40), 8), UINT64_C(0x0500030201));
	/* IROUTER0..31 and those past the SPIs are RAZ/WI. */
	wr(GICD + IROUTER_N(8), 8, 0x1);
	assert_int_equal(rd(GICD + IROUTER_N(8), 8), 0);
	wr(GICD + IROUTER_N(200), 8, 0x1);
	assert_int_equal(rd(GICD + IROUTER_N(200), 8), 0);
}

static void test_icfgr_keeps_sgis_edge_triggered(void **state)
{
	assert_int_equal(rd32(SGI(0) + ICFGR), 0xaaaaaaaa);
	wr32(SGI(0) + ICFGR, 0);
	assert_int_equal(rd32(SGI(0) + ICFGR), 0xaaaaaaaa);
	/* PPIs and SPIs may be configured. */
	wr32(SGI(0) + ICFGR + 4, 0x2);
	assert_int_equal(rd32(SGI(0) + ICFGR + 4), 0x2);
	wr32(GICD + ICFGR + 8, 0x80000002);
	assert_int_equal(rd32(GICD + ICFGR + 8), 0x80000002);
}

static void test_private_interrupts_belong_to_each_vcpus_redistributor(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	wr32(SGI(1) + IGROUPR, ~0u);
	wr32(SGI(1) + ISENABLER, 1u << 23);
	assert_int_equal(rd32(SGI(1) + ISENABLER), 1u << 23);
	assert_int_equal(rd32(SGI(0) + ISENABLER), 0);
	assert_int_equal(vgicd_set_line(&g, 0, 23, true), MICA_OK); /* vCPU 0's: disabled. */
	expect_nothing_more();
	assert_int_equal(vgicd_set_line(&g, 1, 23, true), MICA_OK);
	expect(INJECT, 1, 23);
	expect_nothing_more();
}

static void test_gicd_registers_of_private_intids_are_raz_wi(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	wr32(GICD + IGROUPR, ~0u);
	wr32(GICD + ISENABLER, ~0u);
	wr32(GICD + ISPENDR, ~0u);
	assert_int_equal(rd32(GICD + ISENABLER), 0);
	assert_int_equal(rd32(GICD + ISPENDR), 0);
	assert_int_equal(rd32(SGI(0) + ISENABLER), 0);
	expect_nothing_more();
}

static void test_registers_past_the_spis_and_itargetsr_are_raz_wi(void **state)
{
	wr32(GICD + ISENABLER + 12, ~0u); /* INTIDs 96..127: not implemented. */
	assert_int_equal(rd32(GICD + ISENABLER + 12), 0);
	wr(GICD + IPRIORITYR + 100, 1, 0xff);
	assert_int_equal(rd(GICD + IPRIORITYR + 100, 1), 0);
	wr(GICD + ITARGETSR + 40, 1, 0x1);
	assert_int_equal(rd32(GICD + ITARGETSR + 40), 0);
	assert_int_equal(g.ignored_writes, 0); /* Architected RAZ/WI, not unknown. */
}

static void test_unknown_registers_read_zero_and_count_ignored_writes(void **state)
{
	assert_int_equal(rd32(GICD + 0x0010), 0); /* GICD_STATUSR */
	wr32(GICD + 0x0010, 0xffffffff);
	wr(RD(1) + 0x0070, 8, UINT64_C(0x1234567890)); /* GICR_PROPBASER */
	assert_int_equal(rd(RD(1) + 0x0070, 8), 0);
	wr32(SGI(2) + 0x0e00, 1); /* GICR_NSACR */
	assert_int_equal(g.unknown_reads, 2);
	assert_int_equal(g.ignored_writes, 3);
	expect_nothing_more();
}

static void test_bad_widths_and_misaligned_accesses_are_errors(void **state)
{
	uint64_t v = 77;

	assert_int_equal(vgicd_read(&g, GICD + CTLR, 1, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, GICD + CTLR, 8, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, GICD + IPRIORITYR + 40, 2, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, GICD + ISENABLER, 8, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, GICD + ISENABLER + 4, 1, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, GICD + 0x0010, 1, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, GICD + ISENABLER + 2, 4, &v), MICA_ERR_ALIGNMENT);
	assert_int_equal(vgicd_read(&g, GICD + IROUTER_N(40) + 4, 8, &v), MICA_ERR_ALIGNMENT);
	assert_int_equal(vgicd_read(&g, GICD + CTLR, 3, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, GICD + CTLR, 16, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, RD(0) + GICR_WAKER, 8, &v), MICA_ERR_ALIGNMENT);
	assert_int_equal(vgicd_read(&g, RD(0) + GICR_WAKER, 2, &v), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_read(&g, GICD - 4, 4, &v), MICA_ERR_RANGE);
	assert_int_equal(vgicd_read(&g, RD(3), 4, &v), MICA_ERR_RANGE); /* Past the last. */
	assert_int_equal(v, 77);
	/* A refused write changes nothing. */
	assert_int_equal(vgicd_write(&g, GICD + CTLR, 1, 0x3), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(vgicd_write(&g, GICD + ISENABLER + 8, 8, UINT64_MAX),
			 MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(rd32(GICD + CTLR), 0x50);
	assert_int_equal(rd32(GICD + ISENABLER + 8), 0);
	assert_true(vgicd_contains(&g, RD(2) + 0x1ffff));
	assert_false(vgicd_contains(&g, RD(3)));
}

static void test_out_of_range_intids_are_errors(void **state)
{
	assert_int_equal(vgicd_set_line(&g, 0, 3, true), MICA_ERR_RANGE);  /* An SGI. */
	assert_int_equal(vgicd_set_line(&g, 0, 96, true), MICA_ERR_RANGE); /* Past the SPIs. */
	assert_int_equal(vgicd_set_line(&g, 0, 1023, true), MICA_ERR_RANGE);
	assert_int_equal(vgicd_set_line(&g, 3, 20, true), MICA_ERR_RANGE); /* No vCPU 3. */
	assert_int_equal(vgicd_eoi(&g, 0, 1020), MICA_ERR_RANGE);
	assert_int_equal(vgicd_eoi(&g, 5, 27), MICA_ERR_RANGE);
	assert_int_equal(vgicd_sgi1r_write(&g, 3, 0), MICA_ERR_RANGE);
	expect_nothing_more();
}

static void enable_sgi_everywhere(unsigned sgi)
{
	wr32(GICD + CTLR, CTLR_G1);
	for (unsigned v = 0; v < 3; v++) {
		wr32(SGI(v) + IGROUPR, ~0u);
		wr32(SGI(v) + ISENABLER, 1u << sgi);
	}
}

static void test_sgi1r_pends_the_sgi_on_the_listed_targets(void **state)
{
	enable_sgi_everywhere(5);
	/* INTID 5, Aff1 0, targets Aff0 0 and 1. */
	assert_int_equal(vgicd_sgi1r_write(&g, 0, UINT64_C(5) << 24 | 0x3), MICA_OK);
	expect(INJECT, 0, 5);
	expect(INJECT, 1, 5);
	expect_nothing_more();
	/* Aff1 1, target Aff0 0: vCPU 2; Aff0 1 there names nobody. */
	assert_int_equal(vgicd_sgi1r_write(&g, 0, UINT64_C(5) << 24 | 1u << 16 | 0x3), MICA_OK);
	expect(INJECT, 2, 5);
	expect_nothing_more();
	/* Range selector 1 covers Aff0 16..31: nobody. */
	assert_int_equal(vgicd_sgi1r_write(&g, 0, UINT64_C(5) << 24 | UINT64_C(1) << 44 | 0x1),
			 MICA_OK);
	expect_nothing_more();
}

static void test_sgi1r_with_irm_targets_everyone_but_the_sender(void **state)
{
	enable_sgi_everywhere(1);
	assert_int_equal(vgicd_sgi1r_write(&g, 1, UINT64_C(1) << 40 | UINT64_C(1) << 24), MICA_OK);
	expect(INJECT, 0, 1);
	expect(INJECT, 2, 1);
	expect_nothing_more();
}

static void test_a_refused_injection_is_retried_at_the_next_eoi(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0x40, 0x0);
	set_up_spi(41, 0x40, 0x0);
	assert_int_equal(vgicd_set_line(&g, 0, 40, true), MICA_OK);
	expect(INJECT, 0, 40);
	failures_left = 1;
	assert_int_equal(vgicd_set_line(&g, 0, 41, true), MICA_OK);
	expect_nothing_more();
	assert_int_not_equal(rd32(GICD + ISPENDR + 4) & (1u << 9), 0); /* Still pending. */
	assert_int_equal(vgicd_set_line(&g, 0, 40, false), MICA_OK);
	assert_int_equal(vgicd_eoi(&g, 0, 40), MICA_OK);
	expect(INJECT, 0, 41);
	expect_nothing_more();
}

static void test_init_rejects_bad_configs(void **state)
{
	struct vgicd_config cfg = config();
	struct vgicd_ops no_clear = {.inject = fake_inject};

	cfg.spi_count = 48;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_INVALID_ARGUMENT);
	cfg.spi_count = 128;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_INVALID_ARGUMENT);
	cfg = config();
	cfg.vcpu_count = 0;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_INVALID_ARGUMENT);
	cfg.vcpu_count = VGICD_MAX_VCPUS + 1;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_INVALID_ARGUMENT);
	cfg = config();
	cfg.mpidrs[2] = 0x1;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_INVALID_ARGUMENT);
	cfg.mpidrs[2] = UINT64_C(0x80000000);
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_INVALID_ARGUMENT);
	cfg = config();
	assert_int_equal(vgicd_init(&g, &cfg, &no_clear), MICA_ERR_INVALID_ARGUMENT);
	cfg.dist_base += 0x1000;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_ALIGNMENT);
	cfg = config();
	cfg.redist_base = cfg.dist_base; /* Overlap. */
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_RANGE);
	cfg = config();
	cfg.redist_base = UINT64_C(0xffffffffffff0000); /* Wraps. */
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_RANGE);
	cfg = config();
	cfg.spi_count = 96;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_OK);
	assert_int_equal(rd32(GICD + TYPER) & 0x1f, 3);
}

/* What the fake kernel's MICA_VCPU_SET_SGI was last told, per vCPU. */
static struct {
	unsigned calls;
	uint16_t enabled;
	uint8_t prio[16];
} direct[3];

static void fake_direct_sgis(void *ctx, unsigned vcpu, uint16_t enabled, const uint8_t prio[16])
{
	assert_true(vcpu < 3);
	direct[vcpu].calls++;
	direct[vcpu].enabled = enabled;
	memcpy(direct[vcpu].prio, prio, sizeof(direct[vcpu].prio));
}

static const struct vgicd_ops direct_ops = {
	.inject = fake_inject, .clear = fake_clear, .direct_sgis = fake_direct_sgis};

static int setup_direct(void **state)
{
	struct vgicd_config cfg = config();

	(void)setup(state);
	memset(direct, 0, sizeof(direct));
	assert_int_equal(vgicd_init(&g, &cfg, &direct_ops), MICA_OK);
	vgicd_reset(&g);
	return 0;
}

static unsigned direct_calls(void)
{
	return direct[0].calls + direct[1].calls + direct[2].calls;
}

static void test_direct_sgis_start_with_none_after_a_reset(void **state)
{
	for (unsigned v = 0; v < 3; v++) {
		assert_int_equal(direct[v].calls, 1);
		assert_int_equal(direct[v].enabled, 0);
	}
	/* A later reset says so again, even though nothing changed. */
	vgicd_reset(&g);
	for (unsigned v = 0; v < 3; v++)
		assert_int_equal(direct[v].calls, 2);
}

static void test_direct_sgis_follow_enable_group_and_distributor(void **state)
{
	unsigned before = direct_calls();

	/* Enabled, but in group 0, which is disabled: not yet. */
	wr32(SGI(1) + ISENABLER, 1u << 3);
	wr(SGI(1) + IPRIORITYR + 3, 1, 0xa0);
	assert_int_equal(direct[1].enabled, 0);
	wr32(SGI(1) + IGROUPR, 1u << 3);
	assert_int_equal(direct[1].enabled, 0);
	/* Group 1 enabled at the distributor: vCPU 1 takes SGI 3 directly, at 0xa0. */
	wr32(GICD + CTLR, CTLR_G1);
	assert_int_equal(direct[1].enabled, 1u << 3);
	assert_int_equal(direct[1].prio[3], 0xa0);
	/* The others were not told anything new. */
	assert_int_equal(direct[0].enabled, 0);
	assert_int_equal(direct[2].enabled, 0);
	/* The priority, then CTLR (the group alone changed nothing: both were off). */
	assert_int_equal(direct_calls(), before + 2);
	/* Nothing changes: nobody is told. */
	before = direct_calls();
	wr32(SGI(1) + ISENABLER, 1u << 3);
	wr(SGI(1) + IPRIORITYR + 3, 1, 0xa0);
	assert_int_equal(direct_calls(), before);
	/* The group disabled again: it goes back through the model. */
	wr32(GICD + CTLR, 0);
	assert_int_equal(direct[1].enabled, 0);
	/* No SGI was ever injected by the model for any of this. */
	expect_nothing_more();
}

static void test_direct_sgis_leave_out_disabled_and_active_ones(void **state)
{
	wr32(GICD + CTLR, CTLR_G1);
	wr32(SGI(0) + IGROUPR, 0xffff);
	wr32(SGI(0) + ISENABLER, 0x00ff);
	assert_int_equal(direct[0].enabled, 0x00ff);
	wr32(SGI(0) + ICENABLER, 1u << 2);
	assert_int_equal(direct[0].enabled, 0x00fb);
	/* Active (ISACTIVER): not taken again until deactivated. */
	wr32(SGI(0) + ISACTIVER, 1u << 5);
	assert_int_equal(direct[0].enabled, 0x00db);
	wr32(SGI(0) + ICACTIVER, 1u << 5);
	assert_int_equal(direct[0].enabled, 0x00fb);
	/* PPIs are not SGIs: enabling one changes nothing here. */
	wr32(SGI(0) + ISENABLER, 1u << 20);
	assert_int_equal(direct[0].enabled, 0x00fb);
	/* A priority change of an SGI is passed on. */
	wr(SGI(0) + IPRIORITYR + 7, 1, 0x40);
	assert_int_equal(direct[0].prio[7], 0x40);
	assert_int_equal(direct[1].calls, 1);
}

#define T(f)  cmocka_unit_test_setup(f, setup)
#define TD(f) cmocka_unit_test_setup(f, setup_direct)

/* The kernel's PPIs (the timers' 27 and 30), as a VMM with the kernel_ppis hooks sees them. */
static unsigned kernel_calls;
static unsigned kernel_vcpu;
static uint32_t kernel_enabled;
static uint8_t kernel_prio[VGICD_PRIVATE];
static unsigned timer_state[3][VGICD_PRIVATE]; /* VGICD_PPI_* */
static unsigned state_asks;

static void fake_kernel_ppis(void *ctx, unsigned vcpu, uint32_t enabled, const uint8_t *prio)
{
	(void)ctx;
	kernel_calls++;
	kernel_vcpu = vcpu;
	kernel_enabled = enabled;
	memcpy(kernel_prio, prio, VGICD_PRIVATE);
}

static unsigned fake_kernel_ppi_state(void *ctx, unsigned vcpu, unsigned intid)
{
	(void)ctx;
	state_asks++;
	return timer_state[vcpu][intid];
}

static void setup_kernel_ppis(void)
{
	static const struct vgicd_ops kops = {.inject = fake_inject,
					      .clear = fake_clear,
					      .kernel_ppis = fake_kernel_ppis,
					      .kernel_ppi_state = fake_kernel_ppi_state};
	struct vgicd_config cfg = config();

	cfg.kernel_ppis = 1u << 27 | 1u << 30;
	kernel_calls = 0;
	memset(timer_state, 0, sizeof(timer_state));
	assert_int_equal(vgicd_init(&g, &cfg, &kops), MICA_OK);
	vgicd_reset(&g);
	/* After a reset every vCPU is told: nothing enabled. */
	assert_int_equal(kernel_calls, 3);
	assert_int_equal(kernel_enabled, 0);
}

/*
 * The model never injects the kernel's PPIs; the guest's enable, group and
 * priority for them reach the kernel; their pending bit is the timer's line
 * and their active bit whether the guest has one active (both asked of the
 * kernel's side when read), and the guest can set or clear neither.
 */
static void
test_the_kernels_ppis_are_the_kernels_and_the_guest_sees_their_lines_and_active_states(void **state)
{
	(void)state;
	setup_kernel_ppis();
	wr32(GICD + CTLR, CTLR_G1);
	wr32(SGI(1) + IGROUPR, 1u << 27 | 1u << 30);
	wr(SGI(1) + IPRIORITYR + 27, 1, 0x40);
	kernel_calls = 0;
	wr32(SGI(1) + ISENABLER, 1u << 27);
	assert_int_equal(kernel_calls, 1);
	assert_int_equal(kernel_vcpu, 1);
	assert_int_equal(kernel_enabled, 1u << 27);
	assert_int_equal(kernel_prio[27], 0x40);
	/* A write that changes nothing for the kernel's PPIs tells it nothing. */
	wr32(SGI(1) + ISENABLER, 1u << 20);
	assert_int_equal(kernel_calls, 1);
	wr(SGI(1) + IPRIORITYR + 30, 1, 0x60);
	assert_int_equal(kernel_calls, 2);
	assert_int_equal(kernel_prio[30], 0x60);

	/* Pending: the line, whatever is written. */
	assert_int_equal(rd32(SGI(1) + ISPENDR) & (1u << 27 | 1u << 30), 0);
	timer_state[1][30] = VGICD_PPI_LINE;
	assert_int_equal(rd32(SGI(1) + ISPENDR) & (1u << 27 | 1u << 30), 1u << 30);
	assert_int_equal(rd32(SGI(1) + ICPENDR) & (1u << 27 | 1u << 30), 1u << 30);
	assert_int_equal(rd32(SGI(0) + ISPENDR) & (1u << 30), 0);
	wr32(SGI(1) + ICPENDR, 1u << 30);
	wr32(SGI(1) + ISPENDR, 1u << 27);
	wr32(SGI(1) + ISACTIVER, 1u << 27);
	assert_int_equal(rd32(SGI(1) + ISPENDR) & (1u << 27 | 1u << 30), 1u << 30);
	assert_int_equal(rd32(SGI(1) + ISACTIVER) & (1u << 27), 0);
	/* Active: as the kernel says, whatever is written. */
	timer_state[1][27] = VGICD_PPI_ACTIVE;
	assert_int_equal(rd32(SGI(1) + ISACTIVER) & (1u << 27 | 1u << 30), 1u << 27);
	assert_int_equal(rd32(SGI(1) + ICACTIVER) & (1u << 27 | 1u << 30), 1u << 27);
	assert_int_equal(rd32(SGI(1) + ISPENDR) & (1u << 27 | 1u << 30), 1u << 30);
	wr32(SGI(1) + ICACTIVER, 1u << 27);
	assert_int_equal(rd32(SGI(1) + ISACTIVER) & (1u << 27), 1u << 27);
	timer_state[1][27] = VGICD_PPI_LINE | VGICD_PPI_ACTIVE;
	assert_int_equal(rd32(SGI(1) + ISPENDR) & (1u << 27), 1u << 27);
	assert_int_equal(rd32(SGI(1) + ISACTIVER) & (1u << 27), 1u << 27);
	timer_state[1][27] = 0;
	assert_int_equal(rd32(SGI(1) + ISACTIVER) & (1u << 27), 0);
	/* Only the pending and active arrays ask the kernel. */
	state_asks = 0;
	(void)rd32(SGI(1) + ISENABLER);
	(void)rd32(SGI(1) + IGROUPR);
	(void)rd32(SGI(1) + IPRIORITYR + 24);
	assert_int_equal(state_asks, 0);
	/* Active, it is still never injected, nor withdrawn. */
	timer_state[1][30] = VGICD_PPI_LINE | VGICD_PPI_ACTIVE;
	assert_int_equal(rd32(SGI(1) + ISACTIVER) & (1u << 30), 1u << 30);
	timer_state[1][30] = VGICD_PPI_LINE;
	assert_int_equal(rd32(SGI(1) + ISACTIVER) & (1u << 30), 0);
	/* Enabled and high, yet never injected by the model. */
	wr32(SGI(1) + ISENABLER, 1u << 30);
	assert_int_equal(kernel_enabled, 1u << 27 | 1u << 30);
	expect_nothing_more();

	/* The group's enable counts too. */
	wr32(GICD + CTLR, 0);
	assert_int_equal(kernel_enabled, 0);
}

/* The kernel's SPIs (device lines raised through the kernel), as a VMM with kernel_spi sees them.
 */
struct told {
	unsigned intid, vcpu;
	uint8_t prio;
	bool is_open;
};

static struct told told[16];
static unsigned told_count;

static unsigned refusals_left; /* Calls the fake kernel refuses, as a full table would. */

static bool fake_kernel_spi(void *ctx, unsigned intid, unsigned vcpu, uint8_t prio, bool is_open)
{
	(void)ctx;
	assert_true(told_count < 16);
	told[told_count++] = (struct told){intid, vcpu, prio, is_open};
	if (refusals_left == 0)
		return true;
	refusals_left--;
	return false;
}

static const struct vgicd_ops spi_ops = {
	.inject = fake_inject, .clear = fake_clear, .kernel_spi = fake_kernel_spi};

/* SPIs 40 and 70 (both words' bits) are the kernel's. */
static void setup_kernel_spis(void)
{
	struct vgicd_config cfg = config();

	cfg.kernel_spis[0] = 1u << (40 - 32);
	cfg.kernel_spis[1] = 1u << (70 - 64);
	told_count = 0;
	refusals_left = 0;
	assert_int_equal(vgicd_init(&g, &cfg, &spi_ops), MICA_OK);
}

/* The last thing the kernel was told about SPI intid must be this (and there must be one). */
static void expect_told(unsigned intid, bool is_open, unsigned vcpu, uint8_t prio)
{
	for (unsigned i = told_count; i-- > 0;) {
		if (told[i].intid != intid)
			continue;
		assert_int_equal(told[i].is_open, is_open);
		if (is_open) {
			assert_int_equal(told[i].vcpu, vcpu);
			assert_int_equal(told[i].prio, prio);
		}
		return;
	}
	fail_msg("the kernel was told nothing of INTID %u", intid);
}

/*
 * A kernel SPI is edge-triggered and never injected by the model: the
 * kernel hears where and whether the guest takes it as the guest enables,
 * routes, prioritises, disables it and its group, and only when that
 * changes.
 */
static void test_the_kernels_spis_follow_the_guests_enable_route_and_priority(void **state)
{
	(void)state;
	setup_kernel_spis();
	assert_int_equal(told_count, 0); /* Nothing to say before the guest does anything. */
	assert_int_equal(rd32(GICD + ICFGR + UINT64_C(4) * (40 / 16)) >> (40 % 16 * 2) & 2u, 2u);

	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0x60, 0x1); /* Group 1, priority 0x60, to the vCPU of Aff0 1, enabled. */
	expect_told(40, true, 1, 0x60);
	wr(GICD + IROUTER_N(40), 8, 0x100);
	expect_told(40, true, 2, 0x60);
	wr(GICD + IPRIORITYR + 40, 1, 0x20);
	expect_told(40, true, 2, 0x20);

	/* Nothing changes, nothing is said. */
	told_count = 0;
	wr(GICD + IPRIORITYR + 40, 1, 0x20);
	wr32(GICD + ISENABLER + 4, 1u << (40 - 32));
	assert_int_equal(told_count, 0);

	/* Closed: disabled, its group disabled, routed to no vCPU. */
	wr32(GICD + ICENABLER + 4, 1u << (40 - 32));
	expect_told(40, false, 0, 0);
	wr32(GICD + ISENABLER + 4, 1u << (40 - 32));
	expect_told(40, true, 2, 0x20);
	wr32(GICD + CTLR, 0);
	expect_told(40, false, 0, 0);
	wr32(GICD + CTLR, CTLR_G1);
	expect_told(40, true, 2, 0x20);
	wr(GICD + IROUTER_N(40), 8, 0x7);
	expect_told(40, false, 0, 0);

	/* The other word's SPI is the kernel's too; the model injected nothing. */
	set_up_spi(70, 0x90, 0x0);
	expect_told(70, true, 0, 0x90);
	expect_nothing_more();
}

/*
 * The guest cannot make a kernel SPI level-sensitive or active through the
 * model, and reads it as neither pending nor active but for what it sets
 * pending through ISPENDR, which the model injects as any interrupt (Linux
 * replays an edge so); a line message for it is refused. After a reset the kernel hears it is
 * closed.
 */
static void test_the_kernels_spis_stay_edge_and_the_models_writes_do_not_reach_them(void **state)
{
	(void)state;
	setup_kernel_spis();
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0x60, 0x0);
	wr32(GICD + ICFGR + UINT64_C(4) * (40 / 16), 0);
	assert_int_equal(rd32(GICD + ICFGR + UINT64_C(4) * (40 / 16)) >> (40 % 16 * 2) & 2u, 2u);
	wr32(GICD + ISACTIVER + 4, 1u << (40 - 32));
	assert_int_equal(rd32(GICD + ISPENDR + 4) & 1u << (40 - 32), 0);
	assert_int_equal(rd32(GICD + ISACTIVER + 4) & 1u << (40 - 32), 0);
	assert_int_equal(vgicd_set_line(&g, 0, 40, true), MICA_ERR_INVALID_ARGUMENT);
	assert_int_equal(rd32(GICD + ISPENDR + 4) & 1u << (40 - 32), 0);
	expect_nothing_more();
	wr32(GICD + ISPENDR + 4, 1u << (40 - 32));
	expect(INJECT, 0, 40);
	assert_int_equal(rd32(GICD + ISPENDR + 4) & 1u << (40 - 32), 1u << (40 - 32));
	assert_int_equal(vgicd_eoi(&g, 0, 40), MICA_OK);
	assert_int_equal(rd32(GICD + ISPENDR + 4) & 1u << (40 - 32), 0);
	expect_nothing_more();

	told_count = 0;
	vgicd_reset(&g);
	expect_told(40, false, 0, 0);
	expect_told(70, false, 0, 0);
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0x60, 0x0);
	expect_told(40, true, 0, 0x60);
	expect_nothing_more();
}

/* What the kernel refused to hear is said again at the next change, even one back. */
static void test_a_kernel_spi_the_kernel_refused_is_told_again(void **state)
{
	(void)state;
	setup_kernel_spis();
	wr32(GICD + CTLR, CTLR_G1);
	set_up_spi(40, 0x60, 0x1);
	wr32(GICD + ICENABLER + 4, 1u << (40 - 32));
	refusals_left = 1;
	wr32(GICD + ISENABLER + 4, 1u << (40 - 32)); /* Refused. */
	expect_told(40, true, 1, 0x60);
	told_count = 0;
	wr(GICD + IPRIORITYR + 40, 1, 0x60); /* No change, but the last word did not get through. */
	wr32(GICD + ISENABLER + 4, 1u << (40 - 32));
	assert_int_equal(told_count, 1);
	expect_told(40, true, 1, 0x60);
	told_count = 0;
	wr32(GICD + ISENABLER + 4, 1u << (40 - 32));
	assert_int_equal(told_count, 0);
}

/* Kernel SPIs need the hook, and must lie among the model's SPIs. */
static void test_init_rejects_kernel_spis_without_the_hook_or_past_the_spis(void **state)
{
	struct vgicd_config cfg = config();

	(void)state;
	cfg.kernel_spis[0] = 1;
	assert_int_equal(vgicd_init(&g, &cfg, &ops), MICA_ERR_INVALID_ARGUMENT);
	cfg.kernel_spis[0] = 0;
	cfg.kernel_spis[2] = 1; /* INTID 96: past this config's 64 SPIs. */
	assert_int_equal(vgicd_init(&g, &cfg, &spi_ops), MICA_ERR_INVALID_ARGUMENT);
	cfg.kernel_spis[2] = 0;
	assert_int_equal(vgicd_init(&g, &cfg, &spi_ops), MICA_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_gicd_typer_reports_the_spis_and_no_lpis),
		T(test_the_kernels_ppis_are_the_kernels_and_the_guest_sees_their_lines_and_active_states),
		T(test_gicd_ctlr_shows_are_and_ds_and_keeps_only_the_group_enables),
		T(test_pidr2_reports_gicv3_in_distributor_and_redistributors),
		T(test_gicr_typer_matches_each_vcpu_and_marks_the_last),
		T(test_gicr_typer_carries_aff3),
		T(test_gicr_waker_wakes_the_redistributor),
		T(test_an_enabled_pending_spi_goes_to_its_routed_vcpu),
		T(test_a_reset_keeps_the_spi_lines),
		T(test_nothing_is_injected_while_the_group_is_disabled),
		T(test_a_group0_interrupt_needs_enable_grp0),
		T(test_disabling_a_forwarded_spi_withdraws_it_until_reenabled),
		T(test_icpendr_drops_a_forwarded_edge_spi),
		T(test_a_disabled_edge_spi_stays_pending_for_its_reenable),
		T(test_a_level_spi_is_injected_again_at_eoi_while_its_line_is_high),
		T(test_an_edge_spi_raised_again_in_flight_is_injected_again),
		T(test_rerouting_a_forwarded_spi_moves_it),
		T(test_an_spi_routed_to_no_vcpu_waits_until_routed),
		T(test_ispendr_makes_an_spi_pending_until_its_eoi),
		T(test_isactiver_holds_an_interrupt_back_until_icactiver),
		T(test_ipriorityr_takes_byte_and_word_accesses),
		T(test_irouter_takes_64_bit_and_32_bit_half_accesses),
		T(test_icfgr_keeps_sgis_edge_triggered),
		T(test_private_interrupts_belong_to_each_vcpus_redistributor),
		T(test_gicd_registers_of_private_intids_are_raz_wi),
		T(test_registers_past_the_spis_and_itargetsr_are_raz_wi),
		T(test_unknown_registers_read_zero_and_count_ignored_writes),
		T(test_bad_widths_and_misaligned_accesses_are_errors),
		T(test_out_of_range_intids_are_errors),
		T(test_sgi1r_pends_the_sgi_on_the_listed_targets),
		TD(test_direct_sgis_start_with_none_after_a_reset),
		TD(test_direct_sgis_follow_enable_group_and_distributor),
		TD(test_direct_sgis_leave_out_disabled_and_active_ones),
		T(test_sgi1r_with_irm_targets_everyone_but_the_sender),
		T(test_a_refused_injection_is_retried_at_the_next_eoi),
		T(test_init_rejects_bad_configs),
		T(test_the_kernels_spis_follow_the_guests_enable_route_and_priority),
		T(test_the_kernels_spis_stay_edge_and_the_models_writes_do_not_reach_them),
		T(test_init_rejects_kernel_spis_without_the_hook_or_past_the_spis),
		T(test_a_kernel_spi_the_kernel_refused_is_told_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
