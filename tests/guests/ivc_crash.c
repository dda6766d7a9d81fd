/*
 * The IVC server's end (qemu.vm-ivc-crash): two VMs, alpha and beta (their
 * bootargs say which), with dynamic channels with each other; the
 * description's testing aid ivc-crash-after makes the server fault at the
 * 40th hypercall it is handed. alpha allocates a channel with beta, writes
 * a word in it and rings; beta, on its interrupt, finds the channel and
 * the word, answers in it and rings back. Then both QUERY as fast as they can until the answer is
 * NOT_SUPPORTED, so that one of them is likely waiting on the server when
 * it faults: that call must end too (its VMM's call fails), not hang. Each
 * then finds the channel gone from its own space (a load there takes an
 * external abort) and an allocation NOT_SUPPORTED, and powers off.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/abi/hypercall.h>
#include <mica/guest/ivc.h>

#include "check.h"
#include "gic.h"
#include "gicd.h"
#include "guest.h"
#include "step_over.h"

#define IVC_INTID	62u
#define PRIO_IVC	0xa0u
#define PSCI_SYSTEM_OFF 0x84000008u
#define MARK		UINT64_C(0x5ec2e7)
#define ANSWER		UINT64_C(0xa115e7)
#define QUERIES		1000u	/* Far more than the server answers before its fault. */
#define WAIT_US		5000000 /* Guest time (-icount) for beta's channel to come. */

void guest_main(uint64_t x0);

static volatile unsigned taken; /* The ivc interrupts this VM took. */

void guest_irq(void)
{
	unsigned intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	if (intid == IVC_INTID)
		taken++;
	else if (intid == VTIMER_INTID)
		gicd_timer_taken();
	gic_eoi(intid);
}

/* After interrupts, until *word is want, within WAIT_US of guest time. */
static bool wait_word(const char *what, const volatile uint64_t *word, uint64_t want)
{
	uint64_t until = guest_ticks() + us_to_ticks(WAIT_US);

	while (*word != want && guest_ticks() < until)
		gicd_wait(1000, true);
	return same("wait", what, *word, want);
}

/* alpha: a channel with beta, the word in it, a ring, beta's answer. Its address into *addr. */
static bool alpha_first(const struct ivc_dynamic *d, uint64_t *addr)
{
	uint64_t size = 0;
	bool ok = same("alloc", "ALLOC of 4 KiB with beta",
		       (uint64_t)ivc_alloc(4096, 0, addr, &size), MICA_HVC_SUCCESS);

	if (!ok)
		return false;
	*(volatile uint64_t *)(uintptr_t)*addr = MARK;
	__asm__ volatile("dsb ish" ::: "memory");
	ok = same("alloc", "ringing beta", (uint64_t)ivc_dynamic_ring(d, 0), MICA_HVC_SUCCESS);
	ok = ok && wait_word("beta's answer", (volatile uint64_t *)(uintptr_t)(*addr + 8), ANSWER);
	held(ok, "ALLOC with beta: SUCCESS; the word written, beta rung, and its answer came");
	return ok;
}

/* beta: after an interrupt, QUERY shows alpha's channel with the word in it; the answer. */
static bool beta_first(const struct ivc_dynamic *d, uint64_t *addr)
{
	uint64_t until = guest_ticks() + us_to_ticks(WAIT_US);
	unsigned seen = 0;
	bool ok;

	while (guest_ticks() < until) {
		if (taken == seen) {
			gicd_wait(1000, true);
			continue;
		}
		seen = taken;
		if (ivc_query(0, addr, NULL, NULL) == MICA_HVC_SUCCESS)
			break;
	}
	ok = same("channel", "QUERY(0) after alpha's ring",
		  (uint64_t)ivc_query(0, addr, NULL, NULL), MICA_HVC_SUCCESS);
	ok = ok && same("channel", "the word in it", *(volatile uint64_t *)(uintptr_t)*addr, MARK);
	if (ok) {
		*(volatile uint64_t *)(uintptr_t)(*addr + 8) = ANSWER;
		__asm__ volatile("dsb ish" ::: "memory");
		ok = same("channel", "ringing alpha", (uint64_t)ivc_dynamic_ring(d, 0),
			  MICA_HVC_SUCCESS);
	}
	held(ok, "on its interrupt QUERY shows alpha's channel with the word in it; it answered");
	return ok;
}

/* QUERY until it stops answering SUCCESS: then it must say NOT_SUPPORTED. */
static bool until_the_server_is_gone(uint64_t addr)
{
	int64_t status = MICA_HVC_SUCCESS;
	unsigned before, n = 0;
	bool ok;

	while (n < QUERIES && (status = ivc_query(0, NULL, NULL, NULL)) == MICA_HVC_SUCCESS)
		n++;
	ok = same("gone", "QUERY once the server faulted", (uint64_t)status,
		  (uint64_t)MICA_HVC_NOT_SUPPORTED);
	ok &= same("gone", "ALLOC after it", (uint64_t)ivc_alloc(4096, 0, NULL, NULL),
		   (uint64_t)MICA_HVC_NOT_SUPPORTED);
	before = step_over_count;
	(void)*(volatile uint64_t *)(uintptr_t)addr;
	ok &= same("gone", "aborts taken by a load in the channel", step_over_count - before, 1);
	ok &= same("gone", "ESR_EL1.EC of it", step_over_esr >> 26 & 0x3f, ESR_EC_DABT);
	held(ok, "the server gone: QUERY and ALLOC answer NOT_SUPPORTED, and a load in the "
		 "channel takes an external abort");
	return ok;
}

void guest_main(uint64_t x0)
{
	const char *name = bootargs((const uint8_t *)(uintptr_t)x0);
	bool is_alpha = streq(name, "alpha");
	static struct ivc_dynamic d;
	uint64_t addr = 0;
	bool ok;

	check_name = is_alpha ? "alpha" : "beta";
	say(check_name);
	say(": up\r\n");
	irqs_off();
	gicd_setup(IVC_INTID, PRIO_IVC);
	gicd_spi_enable(IVC_INTID, true);
	ok = same("tree", "an ivc-dynamic node", ivc_dynamic_find((const void *)(uintptr_t)x0, &d),
		  true);
	ok = ok && (is_alpha ? alpha_first(&d, &addr) : beta_first(&d, &addr));
	if (ok)
		(void)until_the_server_is_gone(addr);
	if (check_failures == 0) {
		say(check_name);
		say(": every check held\r\n");
	}
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		wfi(); /* SYSTEM_OFF does not return. */
}
