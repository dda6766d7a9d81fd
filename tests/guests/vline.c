/*
 * The virtio-line guest (qemu.vm-virtio-line): a virtio device's interrupt
 * as the guest sees it. The virtio console's server raises its line
 * through the kernel, without the VMM (docs/device-servers.md, "Interrupt
 * lines"): each rise of the line, InterruptStatus going from 0 to
 * non-zero (virtio 1.2 §4.2.2), is a signal that the kernel makes the SPI
 * pending in the vCPU the guest routes it to, while the VMM's model of the
 * guest's distributor says the guest takes it. To the guest that must be
 * an edge-triggered SPI of a GICv3 (IHI 0069):
 *
 *   - GICD_ICFGR says edge-triggered (Int_config[1] set), as the device
 *     tree the VMM writes does.
 *   - Enabled, its group enabled and routed to this vCPU, one rise is one
 *     interrupt.
 *   - An edge that comes while the distributor cannot forward the
 *     interrupt, because it is disabled (GICD_ICENABLER), its group is
 *     disabled (GICD_CTLR.EnableGrp1) or its route names no PE
 *     (GICD_IROUTER), leaves it pending; several such edges leave it just
 *     as pending, and it is taken once, when it can be forwarded again.
 *   - Likewise, edges while it is pending but masked at the CPU (PSTATE.I)
 *     make one interrupt; an edge while it is active (in its handler)
 *     makes it pending as well as active, and it is taken again after its
 *     EOI.
 *
 * The guest drives the device itself, a minimal driver with the MMU off:
 * VIRTIO_F_VERSION_1 and nothing else, and the transmitq of port 0 (queue
 * 1), which it sends full lines on; each shows on the machine's console
 * with the VM's name before it. Every wait is on the virtual counter,
 * under -icount: guest time, not the host's. Each check that holds prints
 * a line on the guest's PL011; one that does not prints "FAIL", what it
 * got and what it expected (check.c). Then the guest powers the VM off
 * (PSCI SYSTEM_OFF).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "gic.h"
#include "gicd.h"
#include "guest.h"

/* The description's virtio@a000000 (tests/qemu/systems/vline.dts), a virtio console. */
#define VIRTIO_BASE  0x0a000000ull
#define VIRTIO_INTID 48u

/* virtio-mmio registers, version 2 (virtio 1.2 §4.2.2). */
#define VIRTIO_MAGIC_VALUE	   0x000u
#define VIRTIO_VERSION		   0x004u
#define VIRTIO_DEVICE_ID	   0x008u
#define VIRTIO_DEVICE_FEATURES	   0x010u
#define VIRTIO_DEVICE_FEATURES_SEL 0x014u
#define VIRTIO_DRIVER_FEATURES	   0x020u
#define VIRTIO_DRIVER_FEATURES_SEL 0x024u
#define VIRTIO_QUEUE_SEL	   0x030u
#define VIRTIO_QUEUE_NUM_MAX	   0x034u
#define VIRTIO_QUEUE_NUM	   0x038u
#define VIRTIO_QUEUE_READY	   0x044u
#define VIRTIO_QUEUE_NOTIFY	   0x050u
#define VIRTIO_INTERRUPT_STATUS	   0x060u
#define VIRTIO_INTERRUPT_ACK	   0x064u
#define VIRTIO_STATUS		   0x070u
#define VIRTIO_QUEUE_DESC_LOW	   0x080u
#define VIRTIO_QUEUE_DESC_HIGH	   0x084u
#define VIRTIO_QUEUE_DRIVER_LOW	   0x090u
#define VIRTIO_QUEUE_DRIVER_HIGH   0x094u
#define VIRTIO_QUEUE_DEVICE_LOW	   0x0a0u
#define VIRTIO_QUEUE_DEVICE_HIGH   0x0a4u

#define VIRTIO_MAGIC	  0x74726976u /* "virt" */
#define VIRTIO_MMIO_V2	  2u
#define VIRTIO_ID_CONSOLE 3u

/* Device status bits (virtio 1.2 §2.1). */
#define STATUS_ACKNOWLEDGE	  1u
#define STATUS_DRIVER		  2u
#define STATUS_DRIVER_OK	  4u
#define STATUS_FEATURES_OK	  8u
#define STATUS_DEVICE_NEEDS_RESET 0x40u

/* VIRTIO_F_VERSION_1 is feature bit 32: bit 0 of the second 32-bit bank. */
#define FEATURES_BANK_HIGH 1u
#define F_VERSION_1_HIGH   1u

#define INT_USED 1u /* InterruptStatus: a used buffer (virtio 1.2 §4.2.2). */

/* The console's transmitq, port 0's (virtio 1.2 §5.3.2), and its size here. */
#define TRANSMITQ  1u
#define QUEUE_SIZE 8u

/* The guest's GIC (servers/vmm/vgicd.h: QEMU virt's layout); one vCPU, affinity 0.0.0.0. */
#define ICFGR_EDGE 2u /* Int_config[1]: edge-triggered. */

#define PRIO_LINE 0xa0u

/* Guest time, in microseconds. */
#define SETTLE_US   2000u  /* What must not happen is given this long to happen anyway. */
#define COMPLETE_US 20000u /* A bound on a send's completion, never nearly reached. */

#define PSCI_SYSTEM_OFF 0x84000008u

void guest_main(uint64_t x0);

/* A split virtqueue's rings (virtio 1.2 §2.7.5, §2.7.6, §2.7.8). */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QUEUE_SIZE];
	uint16_t used_event;
};

struct vq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vq_used_elem ring[QUEUE_SIZE];
	uint16_t avail_event;
};

/* The transmitq, in guest RAM (identity-mapped: the MMU is off), aligned as §2.7 asks. */
static volatile struct vq_desc tx_desc[QUEUE_SIZE] __attribute__((aligned(16)));
static volatile struct vq_avail tx_avail __attribute__((aligned(2)));
static volatile struct vq_used tx_used __attribute__((aligned(4)));
static uint16_t tx_next; /* The avail idx the next send publishes, less one. */

/* What the interrupt handler saw, for the checks. */
static volatile unsigned line_taken;	     /* Interrupts of the virtio line taken. */
static volatile uint32_t status_in;	     /* InterruptStatus in the handler, the last time. */
static volatile unsigned other_taken;	     /* Interrupts of neither the line nor the timer. */
static const char *volatile send_in_handler; /* A line the handler sends, once, before EOI. */
static volatile bool sent_in_handler;	     /* And whether the device completed it. */

static uint32_t virtio_read(uint32_t reg)
{
	return reg_read(VIRTIO_BASE + reg);
}

static void virtio_write(uint32_t reg, uint32_t value)
{
	reg_write(VIRTIO_BASE + reg, value);
}

static void barrier(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static uint32_t text_len(const char *s)
{
	uint32_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

/* Has the used idx reached want (free-running 16-bit counts)? */
static bool has_reached(uint16_t want)
{
	return (int16_t)(uint16_t)(tx_used.idx - want) >= 0;
}

/*
 * Make text (a line, with its "\n") available on the transmitq, one
 * readable descriptor, and notify the device; then wait for the device to
 * return it as used, which it does before the notifying store completes
 * (the store is an exit the server answers), bounded by COMPLETE_US of
 * guest time all the same. Whether it was.
 */
static bool send(const char *text)
{
	uint16_t slot = tx_next % QUEUE_SIZE;
	uint64_t until;

	tx_desc[slot].addr = (uintptr_t)text;
	tx_desc[slot].len = text_len(text);
	tx_desc[slot].flags = 0;
	tx_desc[slot].next = 0;
	tx_avail.ring[slot] = slot;
	/* The descriptor and the ring entry before the idx that publishes them (§2.7.13). */
	barrier();
	tx_avail.idx = ++tx_next;
	/* The idx before the notification (§2.7.13.4). */
	barrier();
	virtio_write(VIRTIO_QUEUE_NOTIFY, TRANSMITQ);
	until = guest_ticks() + us_to_ticks(COMPLETE_US);
	while (!has_reached(tx_next) && guest_ticks() < until)
		;
	return has_reached(tx_next);
}

/* Take the line's interrupt: acknowledge at the device what it says, and count it. */
static void handle_line(void)
{
	uint32_t status = virtio_read(VIRTIO_INTERRUPT_STATUS);
	const char *text = send_in_handler;

	virtio_write(VIRTIO_INTERRUPT_ACK, status);
	status_in = status;
	line_taken++;
	/* The line fell with the acknowledgement; this send raises it again, while active. */
	if (text != NULL) {
		send_in_handler = NULL;
		sent_in_handler = send(text);
	}
}

void guest_irq(void)
{
	unsigned intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	if (intid == VIRTIO_INTID)
		handle_line();
	else if (intid == VTIMER_INTID)
		gicd_timer_taken();
	else
		other_taken++;
	gic_eoi(intid);
}

/* Let interrupts in for us of guest time (gicd_wait); how many of the line's were taken. */
static unsigned wait_taken(uint64_t us, bool is_idle)
{
	gicd_wait(us, is_idle);
	return line_taken;
}

static void line_enable(bool is_enabled)
{
	gicd_spi_enable(VIRTIO_INTID, is_enabled);
}

static void group1_enable(bool is_enabled)
{
	gicd_group1_enable(is_enabled);
}

static volatile uint64_t *line_route(void)
{
	return gicd_spi_route(VIRTIO_INTID);
}

/* Give the device the transmitq (virtio 1.2 §4.2.3.2), empty. */
static bool queue_setup(const char *n)
{
	uint64_t desc = (uintptr_t)tx_desc, avail = (uintptr_t)&tx_avail;
	uint64_t used = (uintptr_t)&tx_used;
	bool ok;

	for (unsigned i = 0; i < QUEUE_SIZE; i++) {
		tx_desc[i].addr = 0;
		tx_desc[i].len = 0;
		tx_desc[i].flags = 0;
		tx_desc[i].next = 0;
		tx_avail.ring[i] = 0;
		tx_used.ring[i].id = 0;
		tx_used.ring[i].len = 0;
	}
	tx_avail.flags = 0; /* Interrupts wanted: NO_INTERRUPT clear. */
	tx_avail.idx = 0;
	tx_used.flags = 0;
	tx_used.idx = 0;
	tx_next = 0;
	barrier();
	virtio_write(VIRTIO_QUEUE_SEL, TRANSMITQ);
	ok = same(n, "QueueReady of the transmitq before setup", virtio_read(VIRTIO_QUEUE_READY),
		  0);
	ok &= within(n, "QueueNumMax of the transmitq", virtio_read(VIRTIO_QUEUE_NUM_MAX),
		     QUEUE_SIZE, UINT16_MAX);
	virtio_write(VIRTIO_QUEUE_NUM, QUEUE_SIZE);
	virtio_write(VIRTIO_QUEUE_DESC_LOW, (uint32_t)desc);
	virtio_write(VIRTIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	virtio_write(VIRTIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	virtio_write(VIRTIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	virtio_write(VIRTIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	virtio_write(VIRTIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	virtio_write(VIRTIO_QUEUE_READY, 1);
	ok &= same(n, "QueueReady of the transmitq after setup", virtio_read(VIRTIO_QUEUE_READY),
		   1);
	return ok;
}

/*
 * Find the virtio console and drive it (virtio 1.2 §3.1.1): reset,
 * ACKNOWLEDGE, DRIVER, VIRTIO_F_VERSION_1 alone accepted, FEATURES_OK
 * (which must read back), the transmitq, DRIVER_OK.
 */
static void check_device(void)
{
	const char *n = "driver";
	uint32_t status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
	bool ok;

	ok = same(n, "MagicValue", virtio_read(VIRTIO_MAGIC_VALUE), VIRTIO_MAGIC);
	ok &= same(n, "Version", virtio_read(VIRTIO_VERSION), VIRTIO_MMIO_V2);
	ok &= same(n, "DeviceID", virtio_read(VIRTIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	virtio_write(VIRTIO_STATUS, 0);
	ok &= same(n, "Status after reset", virtio_read(VIRTIO_STATUS), 0);
	ok &= same(n, "InterruptStatus after reset", virtio_read(VIRTIO_INTERRUPT_STATUS), 0);
	virtio_write(VIRTIO_STATUS, STATUS_ACKNOWLEDGE);
	virtio_write(VIRTIO_STATUS, status);
	virtio_write(VIRTIO_DEVICE_FEATURES_SEL, FEATURES_BANK_HIGH);
	ok &= same(n, "DeviceFeatures bits 32..63: VERSION_1",
		   virtio_read(VIRTIO_DEVICE_FEATURES) & F_VERSION_1_HIGH, F_VERSION_1_HIGH);
	virtio_write(VIRTIO_DRIVER_FEATURES_SEL, 0);
	virtio_write(VIRTIO_DRIVER_FEATURES, 0);
	virtio_write(VIRTIO_DRIVER_FEATURES_SEL, FEATURES_BANK_HIGH);
	virtio_write(VIRTIO_DRIVER_FEATURES, F_VERSION_1_HIGH);
	status |= STATUS_FEATURES_OK;
	virtio_write(VIRTIO_STATUS, status);
	ok &= same(n, "Status after FEATURES_OK", virtio_read(VIRTIO_STATUS), status);
	ok &= queue_setup(n);
	status |= STATUS_DRIVER_OK;
	virtio_write(VIRTIO_STATUS, status);
	ok &= same(n, "Status after DRIVER_OK", virtio_read(VIRTIO_STATUS), status);
	held(ok, "the virtio console is a version 2 virtio-mmio device and takes the driver: "
		 "VERSION_1 accepted, transmitq ready, DRIVER_OK");
}

/* The distributor shows the line as the device tree does: edge-triggered. */
static void check_config(void)
{
	uint64_t icfgr = GICD_BASE + GICD_ICFGR + 4ull * (VIRTIO_INTID / 16u);
	unsigned shift = 2u * (VIRTIO_INTID % 16u);

	held(same("config", "GICD_ICFGR Int_config of the line", (reg_read(icfgr) >> shift) & 3u,
		  ICFGR_EDGE),
	     "GICD_ICFGR shows the virtio line, SPI 48, edge-triggered");
}

/* Start a check: no interrupt of the line counted yet. */
static void recount(void)
{
	line_taken = 0;
	status_in = UINT32_MAX;
}

/*
 * The line's interrupt, kept from the guest by block and then let in by
 * unblock (each of them a change at the distributor): a send while
 * blocked makes none, and letting it in makes exactly one, in which
 * InterruptStatus says a used buffer. is_idle as for wait_taken while
 * blocked.
 */
static void check_blocked(const char *n, void (*block)(void), void (*unblock)(void),
			  const char *text, bool is_idle, const char *held_blocked,
			  const char *held_unblocked)
{
	bool ok;

	block();
	recount();
	ok = same(n, "the send completed", send(text), true);
	ok &= same(n, "InterruptStatus after the send", virtio_read(VIRTIO_INTERRUPT_STATUS),
		   INT_USED);
	ok &= same(n, "interrupts taken while kept from the guest", wait_taken(SETTLE_US, is_idle),
		   0);
	held(ok, held_blocked);
	recount();
	unblock();
	ok = same(n, "interrupts taken once let in", wait_taken(SETTLE_US, true), 1);
	ok &= same(n, "InterruptStatus in the handler", status_in, INT_USED);
	ok &= same(n, "InterruptStatus after the handler", virtio_read(VIRTIO_INTERRUPT_STATUS), 0);
	held(ok, held_unblocked);
}

/* Enabled, in an enabled group, routed here: one send, one interrupt. */
static void check_enabled(void)
{
	const char *n = "enabled";
	bool ok;

	line_enable(true);
	recount();
	ok = same(n, "the send completed", send("virtio console: line 1, sent enabled\n"), true);
	ok &= same(n, "interrupts taken", wait_taken(SETTLE_US, true), 1);
	ok &= same(n, "InterruptStatus in the handler", status_in, INT_USED);
	ok &= same(n, "InterruptStatus after the handler", virtio_read(VIRTIO_INTERRUPT_STATUS), 0);
	held(ok, "enabled: a send makes exactly one interrupt, for a used buffer");
}

/*
 * Disabled at the distributor: three sends, each acknowledged at the
 * device before the next so that each is a rise of the line of its own,
 * make no interrupt; enabled again, they are exactly one.
 */
static void check_disabled(void)
{
	static const char *const lines[] = {
		"virtio console: line 2, sent disabled\n",
		"virtio console: line 3, sent disabled\n",
		"virtio console: line 4, sent disabled\n",
	};
	const char *n = "disabled";
	bool ok = true;

	line_enable(false);
	recount();
	for (unsigned i = 0; i < 3; i++) {
		ok &= same(n, "the send completed", send(lines[i]), true);
		ok &= same(n, "InterruptStatus after the send: the line rose",
			   virtio_read(VIRTIO_INTERRUPT_STATUS), INT_USED);
		virtio_write(VIRTIO_INTERRUPT_ACK, INT_USED);
		ok &= same(n, "InterruptStatus once acknowledged: the line fell",
			   virtio_read(VIRTIO_INTERRUPT_STATUS), 0);
	}
	ok &= same(n, "interrupts taken while disabled", wait_taken(SETTLE_US, true), 0);
	held(ok, "disabled at the distributor: three sends, three rises of the line, no "
		 "interrupt");
	recount();
	line_enable(true);
	ok = same(n, "interrupts taken once enabled", wait_taken(SETTLE_US, true), 1);
	ok &= same(n, "InterruptStatus in the handler (each acknowledged)", status_in, 0);
	held(ok, "enabled again: the three rises that waited make exactly one interrupt");
}

static void group1_off(void)
{
	group1_enable(false);
}

static void group1_on(void)
{
	group1_enable(true);
}

static void route_nowhere(void)
{
	*line_route() = ROUTE_NOWHERE;
	(void)same("route", "GICD_IROUTER as written", *line_route(), ROUTE_NOWHERE);
}

static void route_here(void)
{
	*line_route() = ROUTE_VCPU_0;
}

/*
 * Enabled, and pending but masked at the CPU (PSTATE.I): three rises make
 * one interrupt once unmasked. Then a rise while it is active, in its
 * handler, makes it pending again: taken once more after the EOI.
 */
static void check_pending_and_active(void)
{
	static const char *const lines[] = {
		"virtio console: line 7, sent masked\n",
		"virtio console: line 8, sent masked\n",
		"virtio console: line 9, sent masked\n",
	};
	const char *n = "pending";
	bool ok = true;

	recount();
	for (unsigned i = 0; i < 3; i++) {
		ok &= same(n, "the send completed", send(lines[i]), true);
		if (i < 2)
			virtio_write(VIRTIO_INTERRUPT_ACK, INT_USED);
	}
	ok &= same(n, "interrupts taken once unmasked", wait_taken(SETTLE_US, true), 1);
	ok &= same(n, "InterruptStatus in the handler", status_in, INT_USED);
	held(ok, "pending and masked at the CPU: three rises make exactly one interrupt");

	n = "active";
	recount();
	send_in_handler = "virtio console: line 11, sent in the handler\n";
	sent_in_handler = false;
	ok = same(n, "the send completed", send("virtio console: line 10, sent enabled\n"), true);
	ok &= same(n, "interrupts taken", wait_taken(SETTLE_US, true), 2);
	ok &= same(n, "the send in the handler completed", sent_in_handler, true);
	ok &= same(n, "InterruptStatus in the second handler", status_in, INT_USED);
	ok &= same(n, "InterruptStatus at the end", virtio_read(VIRTIO_INTERRUPT_STATUS), 0);
	held(ok, "a rise while the interrupt is active makes it pending again: taken once more "
		 "after its EOI");
}

/*
 * An interrupt already pending in the vCPU (the guest has interrupts
 * masked at PSTATE.I) when the guest disables it, disables its group or
 * routes it to no vCPU is held back until let in again, then taken once,
 * as the GIC holds a pending interrupt it may not forward.
 */
static void check_held_back(void)
{
	static const char *const lines[] = {
		"virtio console: line 12, sent pending then disabled\n",
		"virtio console: line 13, sent pending then Group 1 off\n",
		"virtio console: line 14, sent pending then routed nowhere\n",
	};
	const char *n = "held";
	bool ok = true;

	for (unsigned k = 0; k < 3; k++) {
		recount();
		ok &= same(n, "the send completed", send(lines[k]), true);
		if (k == 0)
			line_enable(false);
		else if (k == 1)
			group1_enable(false);
		else
			*line_route() = ROUTE_NOWHERE;
		ok &= same(n, "interrupts taken while held back", wait_taken(SETTLE_US, k != 1), 0);
		if (k == 0)
			line_enable(true);
		else if (k == 1)
			group1_enable(true);
		else
			*line_route() = ROUTE_VCPU_0;
		ok &= same(n, "interrupts taken once let in", wait_taken(SETTLE_US, true), 1);
	}
	held(ok, "pending in the vCPU, then disabled, its group off or routed nowhere: held "
		 "back, then taken once when let in");
}

/*
 * A write of GICD_ISPENDR makes the line's interrupt pending, with no
 * rise: Linux replays an edge that came while it had the interrupt
 * disabled so.
 */
static void check_ispendr(void)
{
	recount();
	reg_write(GICD_BASE + GICD_ISPENDR + word_of(VIRTIO_INTID), bit_of(VIRTIO_INTID));
	held(same("ispendr", "interrupts taken", wait_taken(SETTLE_US, true), 1),
	     "GICD_ISPENDR makes the line's interrupt pending: taken once");
}

void guest_main(uint64_t x0)
{
	(void)x0;
	check_name = "vline";
	say("vline: up\r\n");
	irqs_off();
	gicd_setup(VIRTIO_INTID, PRIO_LINE);
	check_device();
	check_config();
	check_enabled();
	check_disabled();
	check_blocked("group", group1_off, group1_on,
		      "virtio console: line 5, sent in Group 1 off\n", false,
		      "Group 1 disabled in GICD_CTLR: a send makes no interrupt",
		      "Group 1 enabled again: exactly one interrupt");
	check_blocked("route", route_nowhere, route_here,
		      "virtio console: line 6, sent routed nowhere\n", true,
		      "routed to affinity 0.0.0.7, no vCPU: a send makes no interrupt",
		      "routed back to vCPU 0: exactly one interrupt");
	check_pending_and_active();
	check_held_back();
	check_ispendr();
	(void)same("vline", "interrupts of other INTIDs taken", other_taken, 0);
	if (check_failures == 0)
		say("vline: every check held\r\n");
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		wfi(); /* SYSTEM_OFF does not return. */
}
