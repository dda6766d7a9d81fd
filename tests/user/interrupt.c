/*
 * User-level interrupts: the root task claims the PL011 UART's interrupt
 * (INTID 33 on QEMU virt) with IRQControl, has it signal a notification
 * through a badged capability, maps the UART's registers from a device
 * frame, and makes the UART raise its transmit interrupt by sending a
 * character. A thread waiting on the notification gets the signal with the
 * badge. The kernel keeps the line masked until the handler's ACK; after
 * clearing the interrupt at the UART and acknowledging, a second character
 * raises it again.
 *
 * PL011 registers (PrimeCell UART PL011 TRM, DDI 0183): UARTDR 0x000,
 * UARTFR 0x018 (bit 5 TXFF, transmit FIFO full), UARTIMSC 0x038, UARTRIS
 * 0x03c, UARTMIS 0x040, UARTICR 0x044; bit 5 of the last four is TXIM/TXRIS,
 * the transmit interrupt. QEMU 7.2 sets the raw transmit interrupt whenever
 * a character is written to UARTDR and holds it until UARTICR clears it, a
 * level the GIC sees while UARTIMSC enables it. The kernel prints on this
 * UART too (by polling), which also sets the raw status: so the test clears
 * it before each round and prints nothing between an ACK and the character
 * that should raise the next interrupt.
 */
#include <mica/abi/bootinfo.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/process.h>
#include <mica/sys.h>

#include <stdint.h>

#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

/* QEMU virt's PL011, as the kernel's banner reports it. */
#define UART_PADDR UINT64_C(0x09000000)
#define UART_INTID 33
#define UART_VA	   UINT64_C(0x0000002000000000)

#define UARTDR	 0x000
#define UARTFR	 0x018
#define UARTIMSC 0x038
#define UARTRIS	 0x03c
#define UARTMIS	 0x040
#define UARTICR	 0x044

/* QEMU virt's PL031 real-time clock, the next device up. */
#define RTC_PADDR UINT64_C(0x09010000)
#define RTC_VA	  (UART_VA + 0x1000)

/* PrimeCell peripheral ID register 0: the part number's low byte. */
#define PERIPH_ID0	 0xfe0
#define PL011_PERIPH_ID0 0x11u
#define PL031_PERIPH_ID0 0x31u

#define UARTFR_TXFF  (1u << 5)
#define UART_INT_TX  (1u << 5)
#define UART_INT_ALL 0x7ffu

/* The hypervisor timer the kernel ticks with (CNTHP, PPI 26): never claimable. */
#define KERNEL_TIMER_INTID 26

#define IRQ_BADGE UINT64_C(0x8)

/* Where the waiter's IPC buffer goes: the page after the root task's. */
#define WAITER_IPC_VA (MICA_ROOT_IPC_BUFFER_VA + 0x1000)

static volatile uint8_t *uart;
static uint64_t irq_ntfn, done;
static volatile unsigned irq_count;
static volatile uint64_t irq_badge;

static uint8_t waiter_stack[8192] __attribute__((aligned(16)));

static uint32_t uart_read(unsigned reg)
{
	return *(volatile uint32_t *)(uart + reg);
}

static void uart_write(unsigned reg, uint32_t value)
{
	*(volatile uint32_t *)(uart + reg) = value;
}

/* Send one character; a newline keeps the serial log's lines whole. */
static void uart_send_newline(void)
{
	while (uart_read(UARTFR) & UARTFR_TXFF)
		;
	uart_write(UARTDR, '\n');
}

/* The thread that waits for the interrupt's signal and tells the root task. */
static void waiter(void)
{
	for (;;) {
		struct mica_msg m = mica_wait(irq_ntfn);

		irq_badge = m.badge;
		irq_count = irq_count + 1;
		(void)mica_signal(done);
	}
}

/* A thread in our address space and CSpace, below our priority. */
static void spawn_waiter(void)
{
	uint64_t tcb = alloc_object(MICA_OBJ_TCB, 0);
	uint64_t frame = alloc_object(MICA_OBJ_FRAME_4K, 0);
	uint64_t regs[MICA_CONTEXT_WORDS] = {0};

	CHECK(tcb != 0 && frame != 0);
	CHECK_OK(process_map_here(frame, WAITER_IPC_VA, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0));
	CHECK_OK(mica_tcb_set_space(tcb, ROOT, MICA_CAP_ROOT_VSPACE, 0));
	CHECK_OK(mica_tcb_set_ipc_buffer(tcb, WAITER_IPC_VA, frame));
	CHECK_OK(mica_tcb_set_priority(tcb, 100));
	CHECK_OK(mica_tcb_set_name(tcb, "irq-waiter"));
	regs[MICA_CTX_PC] = (uintptr_t)waiter;
	regs[MICA_CTX_SP] = (uintptr_t)(waiter_stack + sizeof(waiter_stack));
	regs[MICA_CTX_TPIDR] = WAITER_IPC_VA;
	CHECK_OK(mica_tcb_write_registers(tcb, MICA_CONTEXT_WORDS, regs));
	CHECK_OK(mica_tcb_resume(tcb));
}

/*
 * Map the RTC's page and then the UART's, in that order on purpose: the
 * RTC lies 64 KiB into the device Untyped that starts at the UART, so the
 * allocator must keep the memory it skips as smaller Untyped, and then
 * serve the UART from one of those. The PrimeCell peripheral ID at 0xfe0
 * tells the two devices apart.
 */
static void map_devices(void)
{
	uint64_t rtc_frame = alloc_device_frame(RTC_PADDR);
	uint64_t uart_frame = alloc_device_frame(UART_PADDR);
	volatile uint8_t *rtc = (volatile uint8_t *)(uintptr_t)RTC_VA;

	CHECK(rtc_frame != 0 && uart_frame != 0);
	/* A page is handed out once: copy the capability to share it. */
	CHECK(alloc_device_frame_ret(UART_PADDR).err == MICA_ERR_NOT_FOUND);
	CHECK(alloc_device_frame_ret(UINT64_C(0x40000000)).err == MICA_ERR_NOT_FOUND);
	CHECK_OK(process_map_here(uart_frame, UART_VA, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0));
	CHECK_OK(process_map_here(rtc_frame, RTC_VA, MICA_RIGHT_READ, 0));
	uart = (volatile uint8_t *)(uintptr_t)UART_VA;
	CHECK(uart_read(PERIPH_ID0) == PL011_PERIPH_ID0);
	CHECK(*(volatile uint32_t *)(rtc + PERIPH_ID0) == PL031_PERIPH_ID0);
}

/* Claiming: one handler per line, and never the kernel's own lines. */
static uint64_t claim_uart_irq(void)
{
	uint64_t handler = alloc_slot(), again = alloc_slot();

	CHECK_OK(mica_irq_control_get(MICA_CAP_IRQ_CONTROL, UART_INTID, ROOT, handler, 64));
	CHECK(mica_irq_control_get(MICA_CAP_IRQ_CONTROL, UART_INTID, ROOT, again, 64) ==
	      MICA_ERR_DELETE_FIRST);
	CHECK(mica_irq_control_get(MICA_CAP_IRQ_CONTROL, KERNEL_TIMER_INTID, ROOT, again, 64) ==
	      MICA_ERR_RANGE);
	alloc_slot_free(again);
	return handler;
}

/*
 * Let every lower-priority thread run until all block: drop below them,
 * yield, and come back (our MCP allows it).
 */
static void let_others_run(void)
{
	CHECK_OK(mica_tcb_set_priority(MICA_CAP_ROOT_TCB, 10));
	mica_yield();
	CHECK_OK(mica_tcb_set_priority(MICA_CAP_ROOT_TCB, MICA_MAX_PRIORITY));
}

int main(void)
{
	const struct mica_boot_info *info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	uint64_t handler;
	uint32_t ris_raised, ris_cleared, mis_raised;
	unsigned count_first, count_after_ack, count_second;
	uint64_t badge_first;

	printf("START interrupt\n");
	CHECK_OK(alloc_init(info));
	irq_ntfn = alloc_object(MICA_OBJ_NOTIFICATION, 0);
	done = alloc_object(MICA_OBJ_NOTIFICATION, 0);
	CHECK(irq_ntfn != 0 && done != 0);
	handler = claim_uart_irq();
	{
		uint64_t badged = alloc_slot();

		CHECK_OK(mica_cnode_mint(ROOT, badged, 64, ROOT, irq_ntfn, 64, MICA_RIGHT_WRITE,
					 IRQ_BADGE));
		CHECK_OK(mica_irq_handler_set_notification(handler, badged));
	}
	map_devices();
	spawn_waiter();
	let_others_run(); /* The waiter now waits. */
	if (check_failures != 0) {
		printf("interrupt: %d failures\n", check_failures);
		return 1;
	}
	printf("interrupt: INTID %d claimed; UART mapped from a device frame\n", UART_INTID);

	/*
	 * Round one. From here to the checks nothing is printed: a print would
	 * set the transmit interrupt as well.
	 */
	uart_write(UARTICR, UART_INT_ALL);
	ris_cleared = uart_read(UARTRIS);
	uart_write(UARTIMSC, UART_INT_TX);
	uart_send_newline();
	(void)mica_wait(done);
	count_first = irq_count;
	badge_first = irq_badge;
	ris_raised = uart_read(UARTRIS);
	mis_raised = uart_read(UARTMIS);

	/* Clear at the device, then ACK: the line is quiet and unmasked again. */
	uart_write(UARTICR, UART_INT_TX);
	CHECK_OK(mica_irq_handler_ack(handler));
	let_others_run();
	count_after_ack = irq_count;

	/* Round two: another character raises it again. */
	uart_send_newline();
	(void)mica_wait(done);
	count_second = irq_count;

	/* Quiet the UART before printing anything. */
	uart_write(UARTIMSC, 0);
	uart_write(UARTICR, UART_INT_ALL);
	CHECK_OK(mica_irq_handler_ack(handler));

	CHECK((ris_cleared & UART_INT_TX) == 0);
	CHECK(count_first == 1);
	CHECK(badge_first == IRQ_BADGE);
	CHECK((ris_raised & UART_INT_TX) != 0);
	CHECK((mis_raised & UART_INT_TX) != 0);
	printf("interrupt: the transmit interrupt signalled the waiter with badge 0x%lx\n",
	       (unsigned long)badge_first);
	CHECK(count_after_ack == 1);
	CHECK(count_second == 2);
	CHECK(irq_badge == IRQ_BADGE);
	printf("interrupt: after clear and ACK it is quiet, and fires again (%u signals)\n",
	       count_second);

	/* Without a notification the line stays off, whatever the UART does. */
	CHECK_OK(mica_irq_handler_clear(handler));
	uart_write(UARTIMSC, UART_INT_TX);
	uart_send_newline();
	let_others_run();
	uart_write(UARTIMSC, 0);
	uart_write(UARTICR, UART_INT_ALL);
	CHECK(irq_count == 2);
	CHECK(mica_poll(done).badge == 0);
	printf("interrupt: a cleared handler delivers nothing\n");

	return check_finish("interrupt");
}
