/*
 * The IPI guest (qemu.vmm-ipi): four vCPUs, run by the user-level VMM on
 * four physical CPUs, pass a token round-robin by SGI, 65,536 times.
 *
 * vCPU 0 boots, starts vCPUs 1..3 with PSCI CPU_ON at _start (start.S
 * gives each a stack by its MPIDR), and waits until each has enabled its
 * CPU interface and its redistributor's token SGI. Then the token goes
 * round: SGI number k (0 .. IPI_TOTAL - 1) is sent by vCPU k % 4 to vCPU
 * (k + 1) % 4 with a write of ICC_SGI1R_EL1, which traps to the VMM
 * (servers/vmm/vgicd.c), which injects it into the target's vCPU. Each
 * handler checks that it got the token SGI and that the token was meant
 * for it (ipi_sent % 4 is its number), counts it, and sends the next.
 *
 * Between tokens, vCPUs 1..3 are busy: they spin with interrupts unmasked,
 * never trapping, so an SGI for one of them reaches it only if the kernel
 * makes its CPU enter the kernel at once (an IPI); waiting for that CPU's
 * next 10 ms tick instead costs 7.5 ms a token on average (measured with
 * the IPI taken out of the kernel: 256 tokens in 1.92 s), over 8 minutes
 * for the round. vCPU 0 waits in WFI, as an idle coordinator does: the
 * VMM shares its CPU at the same priority, and a busy vCPU 0 would hold
 * every other vCPU's exits back until its time slice ends.
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
 * -icount (qemu.vmm-ipi): 1,052,363 us, 16 us a token (send to receipt
 * 4 us; the SGI write's trap to the VMM 7 us; the EOI's exit 12 us). The
 * bound is about five times that, and a hundredth of a tick per token.
 */
#define IPI_BOUND_US 5000000u

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
#define GICR_IPRIORITYR	    0x0400u
#define WAKER_SLEEP	    (1u << 1)
#define WAKER_ASLEEP	    (1u << 2)

/* ICC_SGI1R_EL1 (Arm ARM D19.3.25): TargetList 15:0 (by Aff0), INTID 27:24. */
#define SGI1R_INTID_SHIFT 24

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

/* The token to vCPU target: the holder's stores are seen before the SGI (dsb). */
static void send_token(unsigned target)
{
	uint64_t v = (uint64_t)TOKEN_SGI << SGI1R_INTID_SHIFT | UINT64_C(1) << target;

	__asm__ volatile("dsb sy\n\tmsr S3_0_C12_C11_5, %0\n\tisb" ::"r"(v) : "memory");
}

void guest_irq(void)
{
	unsigned me = this_vcpu();
	unsigned intid = gic_ack();
	uint32_t sent;

	if (intid == GIC_SPURIOUS)
		return;
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

/* This vCPU's side of the GIC: its CPU interface, and the token SGI in its redistributor. */
static void gic_setup_this(unsigned me)
{
	uint64_t rd = GICR_BASE + me * GICR_STRIDE;
	uint64_t sgi = rd + GICR_SGI_FRAME;

	reg_write(rd + GICR_WAKER, reg_read(rd + GICR_WAKER) & ~WAKER_SLEEP);
	while (reg_read(rd + GICR_WAKER) & WAKER_ASLEEP)
		;
	*(volatile uint8_t *)(uintptr_t)(sgi + GICR_IPRIORITYR + TOKEN_SGI) = TOKEN_PRIO;
	reg_write(sgi + GICR_IGROUPR0, reg_read(sgi + GICR_IGROUPR0) | 1u << TOKEN_SGI);
	reg_write(sgi + GICR_ISENABLER0, 1u << TOKEN_SGI);
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
	while (!ipi_done)
		spin();
	for (;;)
		wfi();
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
