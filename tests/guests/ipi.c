/*
 * The IPI guest (qemu.vmm-ipi): four vCPUs, run by the user-level VMM on
 * four physical CPUs, check what their SGIs do, then pass a token
 * round-robin by SGI, 65,536 times.
 *
 * vCPU 0 boots, starts vCPUs 1..3 with PSCI CPU_ON at _start (start.S
 * gives each a stack by its MPIDR), and waits until each has enabled its
 * CPU interface and its redistributor's token SGI.
 *
 * The checks, on vCPU 1's SGIs as vCPU 0 sends them (checks()): one the
 * target has disabled is not taken, stays pending, and is taken once when
 * enabled; two taken together come in the order of the priorities the
 * target gave them, not of sending; IRM (every vCPU but the sender) and a
 * target list in another cluster (nobody here) reach exactly whom they
 * name. The kernel routes an SGI to an enabled target itself (the VMM's
 * MICA_VM_BIND_SGI and MICA_VCPU_SET_SGI); the rest goes to the VMM's GIC
 * model (servers/vmm/vgicd.c). The guest sees one GIC either way.
 *
 * Then the token goes round: SGI number k (0 .. IPI_TOTAL - 1) is sent by
 * vCPU k % 4 to vCPU (k + 1) % 4 with a write of ICC_SGI1R_EL1. Each
 * handler checks that it got the token SGI and that the token was meant
 * for it (ipi_sent % 4 is its number), counts it, and sends the next.
 *
 * Between tokens, vCPUs 1..3 are busy: they spin with interrupts unmasked,
 * never trapping, so an SGI for one of them reaches it only if the kernel
 * makes its CPU enter the kernel at once (an IPI); waiting for that CPU's
 * next 10 ms tick instead costs 7.5 ms a token on average (measured with
 * the IPI taken out of the kernel: 256 tokens in 1.92 s), over 8 minutes
 * for the round. vCPU 0 waits in WFI, as an idle coordinator does.
 *
 * The spin executes YIELD every few hundred instructions. Mica does not
 * trap it, so to the kernel the vCPU is busy all along; QEMU under -icount
 * runs all CPUs on one host thread in turns, and YIELD ends this CPU's
 * turn, so another CPU's work is not held back by a whole QEMU time slice
 * of spinning (which, as guest time, would measure QEMU, not Mica).
 *
 * At the end vCPU 0 checks every vCPU's count and reports the guest time
 * the round took (CNTVCT_EL0) on its PL011, served by the PL011 server,
 * and powers the VM off. Any failed check is a line with "FAIL" in it.
 */
#include <stdbool.h>
#include <stdint.h>

#include "gic.h"
#include "guest.h"

#define VCPUS	   4u
#define IPI_TOTAL  65536u
#define TOKEN_SGI  5u
#define TOKEN_PRIO 0xa0u

/* Spin iterations between two YIELDs: about 800 instructions. */
#define SPIN_BETWEEN_YIELDS 256u

/*
 * The bound on the round's guest time, in microseconds. Measured under
 * -icount (qemu.vmm-ipi): 100,782 us, 1.5 us a token, with the kernel
 * routing each SGI; 1,052,363 us (16 us a token) when each write trapped
 * to the VMM, which asked for an exit at each EOI too. The bound is about
 * five times the first, half the second.
 */
#define IPI_BOUND_US 500000u

/* The checks' SGIs, sent by vCPU 0 to vCPU 1 (see checks()). */
#define DISABLED_SGI 6u
#define LOW_SGI	     7u /* Sent first, at the lower priority. */
#define HIGH_SGI     8u
#define LOW_PRIO     0xc0u
#define HIGH_PRIO    0x40u
#define IRM_SGI	     9u
#define FAR_SGI	     10u
#define CHECK_SGIS                                                                                 \
	(1u << DISABLED_SGI | 1u << LOW_SGI | 1u << HIGH_SGI | 1u << IRM_SGI | 1u << FAR_SGI)
/* How long an SGI that must not arrive is given to arrive anyway, in guest microseconds. */
#define SETTLE_US 2000u

/* The description's serial@9000000 (tests/qemu/systems/ipi.dts). */
#define UART_BASE  0x09000000ull
#define UARTDR	   0x000u
#define UARTFR	   0x018u
#define FR_TXFF	   (1u << 5)
#define MAX_DIGITS 20u

/* Each vCPU's redistributor SGI_base frame (servers/vmm/vgicd.h: QEMU virt's layout). */
#define GICD_BASE	    0x08000000ull
#define GICD_CTLR	    0x0000u
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ARE	    (1u << 4)
#define GICR_BASE	    0x080a0000ull
#define GICR_STRIDE	    0x20000ull
#define GICR_WAKER	    0x0014u
#define GICR_SGI_FRAME	    0x10000ull
#define GICR_IGROUPR0	    0x0080u
#define GICR_ISENABLER0	    0x0100u
#define GICR_ICENABLER0	    0x0180u
#define GICR_IPRIORITYR	    0x0400u
#define WAKER_SLEEP	    (1u << 1)
#define WAKER_ASLEEP	    (1u << 2)

/* ICC_SGI1R_EL1 (Arm ARM D19.3.25): TargetList 15:0 (by Aff0), Aff1 23:16, INTID 27:24, IRM 40. */
#define SGI1R_INTID_SHIFT 24
#define SGI1R_AFF1_SHIFT  16
#define SGI1R_IRM	  (UINT64_C(1) << 40)

#define PSCI_CPU_ON_64	0xc4000003u
#define PSCI_SYSTEM_OFF 0x84000008u

void guest_main(uint64_t x0);

/* Written by the token's holder only; read by everyone. */
static volatile uint32_t ipi_sent;
static volatile bool ipi_done;
/* Each written by its own vCPU only. */
static volatile uint32_t ipi_received[VCPUS];
static volatile uint32_t ipi_wrong_intid[VCPUS];
static volatile uint32_t ipi_wrong_turn[VCPUS];
static volatile bool vcpu_ready[VCPUS];
/* The checks: each vCPU's count of each SGI taken, and the order vCPU 1 took them in. */
static volatile uint32_t sgi_taken[VCPUS][16];
static volatile uint32_t taken_order[4];
static volatile uint32_t taken_count;
static volatile bool masked_please, masked; /* vCPU 0 asks vCPU 1 to mask; it does. */

static uint32_t reg_read(uint64_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static void reg_write(uint64_t addr, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)addr = value;
}

static void uart_putc(char c)
{
	while (reg_read(UART_BASE + UARTFR) & FR_TXFF)
		;
	reg_write(UART_BASE + UARTDR, (uint8_t)c);
}

static void uart_puts(const char *s)
{
	while (*s != '\0')
		uart_putc(*s++);
}

static void put_unsigned(uint64_t v)
{
	char digits[MAX_DIGITS];
	unsigned n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		uart_putc(digits[--n]);
}

static unsigned this_vcpu(void)
{
	uint64_t mpidr;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	return (unsigned)(mpidr & 0xff);
}

/* A write of ICC_SGI1R_EL1: the writer's stores are seen before the SGI (dsb). */
static void send_sgi1r(uint64_t v)
{
	__asm__ volatile("dsb sy\n\tmsr S3_0_C12_C11_5, %0\n\tisb" ::"r"(v) : "memory");
}

static void send_token(unsigned target)
{
	send_sgi1r((uint64_t)TOKEN_SGI << SGI1R_INTID_SHIFT | UINT64_C(1) << target);
}

void guest_irq(void)
{
	unsigned me = this_vcpu();
	unsigned intid = gic_ack();
	uint32_t sent;

	if (intid == GIC_SPURIOUS)
		return;
	if (intid < 16 && (CHECK_SGIS & (1u << intid))) {
		sgi_taken[me][intid]++;
		if (me == 1 && taken_count < 4)
			taken_order[taken_count] = intid;
		if (me == 1)
			taken_count++;
		gic_eoi(intid);
		return;
	}
	if (intid != TOKEN_SGI) {
		ipi_wrong_intid[me]++;
		gic_eoi(intid);
		return;
	}
	sent = ipi_sent;
	if (sent % VCPUS != me)
		ipi_wrong_turn[me]++;
	ipi_received[me]++;
	gic_eoi(intid);
	if (sent < IPI_TOTAL) {
		ipi_sent = sent + 1;
		send_token((me + 1) % VCPUS);
	} else {
		ipi_done = true;
	}
}

static uint64_t sgi_frame(unsigned vcpu)
{
	return GICR_BASE + vcpu * GICR_STRIDE + GICR_SGI_FRAME;
}

static void set_priority(unsigned vcpu, unsigned intid, uint8_t prio)
{
	*(volatile uint8_t *)(uintptr_t)(sgi_frame(vcpu) + GICR_IPRIORITYR + intid) = prio;
}

/*
 * This vCPU's side of the GIC: its CPU interface, and in its redistributor
 * the token and check SGIs in group 1, the token and the IRM and far
 * checks' enabled (DISABLED_SGI, LOW_SGI and HIGH_SGI wait for checks()).
 */
static void gic_setup_this(unsigned me)
{
	uint64_t rd = GICR_BASE + me * GICR_STRIDE;
	uint64_t sgi = sgi_frame(me);

	reg_write(rd + GICR_WAKER, reg_read(rd + GICR_WAKER) & ~WAKER_SLEEP);
	while (reg_read(rd + GICR_WAKER) & WAKER_ASLEEP)
		;
	set_priority(me, TOKEN_SGI, TOKEN_PRIO);
	set_priority(me, IRM_SGI, TOKEN_PRIO);
	set_priority(me, FAR_SGI, TOKEN_PRIO);
	set_priority(me, DISABLED_SGI, TOKEN_PRIO);
	reg_write(sgi + GICR_IGROUPR0,
		  reg_read(sgi + GICR_IGROUPR0) | 1u << TOKEN_SGI | CHECK_SGIS);
	reg_write(sgi + GICR_ICENABLER0, CHECK_SGIS);
	reg_write(sgi + GICR_ISENABLER0, 1u << TOKEN_SGI | 1u << IRM_SGI | 1u << FAR_SGI);
	guest_vectors_install();
	gic_cpu_enable();
}

/* Busy for a while, without trapping; then let QEMU run another CPU. */
static void spin(void)
{
	for (unsigned i = 0; i < SPIN_BETWEEN_YIELDS; i++)
		__asm__ volatile("" ::: "memory");
	__asm__ volatile("yield" ::: "memory");
}

static void fail(const char *what, unsigned vcpu, uint64_t got, uint64_t expected)
{
	uart_puts("ipi: FAIL ");
	uart_puts(what);
	uart_puts(" on vCPU ");
	put_unsigned(vcpu);
	uart_puts(": ");
	put_unsigned(got);
	uart_puts(", expected ");
	put_unsigned(expected);
	uart_puts("\r\n");
}

/* vCPUs 1..3: ready, then busy until the round ends (the handler does the work). */
static void secondary(unsigned me)
{
	gic_setup_this(me);
	irqs_on();
	vcpu_ready[me] = true;
	while (!ipi_done) {
		if (me == 1 && masked_please != masked) {
			if (masked_please)
				irqs_off();
			__asm__ volatile("dsb sy" ::: "memory");
			masked = masked_please;
			if (!masked)
				irqs_on();
		}
		spin();
	}
	for (;;)
		wfi();
}

/* Spin (letting the other CPUs run) for us microseconds of guest time. */
static void settle(uint64_t us)
{
	uint64_t until = guest_ticks() + us * guest_tick_hz() / 1000000u;

	while (guest_ticks() < until)
		spin();
}

/* Spin until *count reaches want, or SETTLE_US pass; the count then. */
static uint32_t wait_count(const volatile uint32_t *count, uint32_t want)
{
	uint64_t until = guest_ticks() + SETTLE_US * guest_tick_hz() / 1000000u;

	while (*count < want && guest_ticks() < until)
		spin();
	return *count;
}

static bool check(const char *what, unsigned vcpu, uint64_t got, uint64_t expected)
{
	if (got != expected)
		fail(what, vcpu, got, expected);
	return got == expected;
}

/* vCPU 0 tells vCPU 1 to mask or unmask its interrupts, and waits until it has. */
static void set_masked(bool on)
{
	masked_please = on;
	while (masked != on)
		spin();
}

/* What SGIs do, as vCPU 1 sees those vCPU 0 sends it (see the top). */
static bool checks(void)
{
	uint64_t one = UINT64_C(1) << 1;
	bool ok = true;

	/* Disabled at vCPU 1: not taken, but pending; taken once enabled. */
	send_sgi1r((uint64_t)DISABLED_SGI << SGI1R_INTID_SHIFT | one);
	settle(SETTLE_US);
	ok &= check("disabled SGI taken", 1, sgi_taken[1][DISABLED_SGI], 0);
	reg_write(sgi_frame(1) + GICR_ISENABLER0, 1u << DISABLED_SGI);
	ok &= check("SGI pending while disabled, taken once enabled", 1,
		    wait_count(&sgi_taken[1][DISABLED_SGI], 1), 1);

	/* Taken in the order of vCPU 1's priorities, not of sending. */
	set_priority(1, LOW_SGI, LOW_PRIO);
	set_priority(1, HIGH_SGI, HIGH_PRIO);
	reg_write(sgi_frame(1) + GICR_ISENABLER0, 1u << LOW_SGI | 1u << HIGH_SGI);
	taken_count = 0;
	set_masked(true);
	send_sgi1r((uint64_t)LOW_SGI << SGI1R_INTID_SHIFT | one);
	send_sgi1r((uint64_t)HIGH_SGI << SGI1R_INTID_SHIFT | one);
	settle(SETTLE_US);
	set_masked(false);
	ok &= check("SGIs taken by priority", 1, wait_count(&taken_count, 2), 2);
	ok &= check("first SGI taken (the higher priority)", 1, taken_order[0], HIGH_SGI);
	ok &= check("second SGI taken", 1, taken_order[1], LOW_SGI);

	/* IRM: everyone but the sender, once. A list in cluster 1: nobody. */
	send_sgi1r((uint64_t)IRM_SGI << SGI1R_INTID_SHIFT | SGI1R_IRM);
	send_sgi1r((uint64_t)FAR_SGI << SGI1R_INTID_SHIFT | UINT64_C(1) << SGI1R_AFF1_SHIFT | 0xf);
	for (unsigned v = 1; v < VCPUS; v++)
		ok &= check("IRM SGI taken", v, wait_count(&sgi_taken[v][IRM_SGI], 1), 1);
	settle(SETTLE_US);
	ok &= check("IRM SGI taken by its sender", 0, sgi_taken[0][IRM_SGI], 0);
	for (unsigned v = 0; v < VCPUS; v++)
		ok &= check("SGI to another cluster taken", v, sgi_taken[v][FAR_SGI], 0);
	return ok;
}

static void primary(void)
{
	uint64_t start, ticks, us;
	bool ok = true;

	reg_write(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	gic_setup_this(0);
	for (unsigned v = 1; v < VCPUS; v++) {
		uint64_t err = guest_hvc(PSCI_CPU_ON_64, v, GUEST_IMAGE_BASE, v, 0).x[0];

		if (err != 0) {
			fail("PSCI CPU_ON", v, err, 0);
			ok = false;
		}
	}
	for (unsigned v = 1; v < VCPUS && ok; v++)
		while (!vcpu_ready[v])
			spin();
	irqs_on();
	if (ok && checks())
		uart_puts("ipi: disabled SGIs wait, priorities order them, IRM and lists reach "
			  "whom they name\r\n");
	irqs_off();
	uart_puts("ipi: 4 vCPUs up; passing the token\r\n");

	start = guest_ticks();
	ipi_sent = 1;
	send_token(1);
	irqs_off();
	while (!ipi_done && ok) {
		wfi();	   /* A pending interrupt ends WFI even while masked... */
		irqs_on(); /* ...and is taken here. */
		irqs_off();
	}
	ticks = guest_ticks() - start;
	us = ticks * 1000000u / guest_tick_hz();

	for (unsigned v = 0; v < VCPUS; v++) {
		if (ipi_received[v] != IPI_TOTAL / VCPUS) {
			fail("tokens received", v, ipi_received[v], IPI_TOTAL / VCPUS);
			ok = false;
		}
		if (ipi_wrong_intid[v] != 0) {
			fail("interrupts other than the token", v, ipi_wrong_intid[v], 0);
			ok = false;
		}
		if (ipi_wrong_turn[v] != 0) {
			fail("tokens out of turn", v, ipi_wrong_turn[v], 0);
			ok = false;
		}
	}
	uart_puts("ipi: ");
	put_unsigned(ipi_sent);
	uart_puts(" SGIs round-robin over 4 vCPUs in ");
	put_unsigned(us);
	uart_puts(" us of guest time\r\n");
	if (us >= IPI_BOUND_US) {
		fail("guest time (us) over the bound", 0, us, IPI_BOUND_US);
		ok = false;
	}
	if (ok) {
		uart_puts("ipi: every vCPU got its ");
		put_unsigned(IPI_TOTAL / VCPUS);
		uart_puts(" tokens, in turn, within ");
		put_unsigned(IPI_BOUND_US);
		uart_puts(" us\r\n");
	}
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		wfi(); /* SYSTEM_OFF does not return. */
}

void guest_main(uint64_t x0)
{
	unsigned me = this_vcpu();

	(void)x0;
	if (me == 0)
		primary();
	else
		secondary(me);
}
