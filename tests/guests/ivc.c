/*
 * The channel guest (qemu.vm-ivc): two VMs, alpha and beta, run it, joined
 * by the static channel "ping" of tests/qemu/systems/ivc.dts, 16 KiB at
 * 0x50000000 in both, the other's doorbell raising SPI 60. Each finds the
 * channel in the device tree the VMM gave it (<mica/guest/ivc.h>), and
 * checks what a guest sees:
 *
 *   - the tree describes the channel as the description says: its memory,
 *     interrupt, peer and doorbell;
 *   - alpha writes a message into the shared memory and rings; beta's
 *     interrupt comes, it finds the message, writes an answer and rings
 *     back; alpha's interrupt comes and it finds the answer;
 *   - alpha rings doorbells it does not have (2, 15, 16, 2^32 - 1): each
 *     answers INVALID_PARAMETER;
 *   - alpha rings beta 10000 times in a row, then asks again through the
 *     channel: beta, flooded, answers as before (its interrupts merge:
 *     one pending at a time);
 *   - channel "feed", 4 KiB at 0x50100000, is read-only at beta's end:
 *     beta reads what alpha wrote there when its doorbell 1 rings; its own
 *     write takes a synchronous external abort (the VMM's answer to an
 *     access its mapping refuses, by the VM's default 'unmapped-access'),
 *     which beta's handler steps over, and changes nothing, as alpha sees
 *     too.
 *
 * Each check prints a line on the VM's PL011, or FAIL (check.c); then the
 * VM powers off. Every wait is in guest time under -icount; the rings are
 * answered by the kernel (the VMM's statistics count them as doorbells,
 * and the only hypercall is SYSTEM_OFF).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/guest/ivc.h>

#include "check.h"
#include "gic.h"
#include "gicd.h"
#include "guest.h"
#include "step_over.h"

#define CHANNEL_INTID 60u
#define FEED_INTID    61u
#define FEED_BASE     0x50100000ull
#define FEED_TEXT     "feed: only alpha writes here"
#define PRIO_CHANNEL  0xa0u
#define FLOOD	      10000u
#define WAIT_US	      20000u /* A bound on the peer's answer: never nearly reached. */
#define SETTLE_US     2000u  /* What must not happen is given this long to happen anyway. */

#define PSCI_SYSTEM_OFF 0x84000008u

void guest_main(uint64_t x0);

/* The channel's memory as both use it. */
struct ping_page {
	volatile uint32_t asked;    /* Which question alpha asked last (1, 2). */
	volatile uint32_t answered; /* Which beta answered last. */
	volatile uint32_t rings;    /* Interrupts beta took in all, as it last answered. */
	char question[64];
	char answer[96];
};

static volatile unsigned taken;	     /* The channel's interrupts this VM took. */
static volatile uint32_t feed_taken; /* And feed's. */

void guest_irq(void)
{
	unsigned intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	if (intid == CHANNEL_INTID)
		taken++;
	else if (intid == FEED_INTID)
		feed_taken++;
	else if (intid == VTIMER_INTID)
		gicd_timer_taken();
	gic_eoi(intid);
}

static void copy(char *dst, const char *src)
{
	while ((*dst++ = *src++) != '\0')
		;
}

/* Wait (in WFI, interrupts on) until *word reaches want, within WAIT_US. */
static bool wait_for(const volatile uint32_t *word, uint32_t want)
{
	uint64_t until = guest_ticks() + us_to_ticks(WAIT_US);

	while (*word != want && guest_ticks() < until)
		gicd_wait(100, true);
	return *word == want;
}

/*
 * The channels as the tree shows them: "ping", 16 KiB at 0x50000000, SPI
 * 60, peer peer, doorbell 0; "feed", 4 KiB at 0x50100000, SPI 61, doorbell
 * 1, read-only at beta's end.
 */
static const struct ivc_channel *find_channel(const void *fdt, const char *peer)
{
	static struct ivc_channel found[4];
	unsigned count = ivc_find(fdt, found, 4);
	const struct ivc_channel *c = ivc_by_name(found, count < 4 ? count : 4, "ping");
	const struct ivc_channel *feed = ivc_by_name(found, count < 4 ? count : 4, "feed");
	bool ok = same("tree", "channels in the tree", count, 2);

	if (c == NULL || feed == NULL) {
		fail("no channel called ping or feed in the device tree\r\n");
		return NULL;
	}
	ok &= same("tree", "feed's base", feed->base, FEED_BASE);
	ok &= same("tree", "feed's size", feed->size, 0x1000);
	ok &= same("tree", "feed's interrupt", feed->intid, FEED_INTID);
	ok &= same("tree", "feed's doorbell", feed->doorbells[0], 1);
	ok &= same("tree", "feed read-only", feed->is_read_only, streq(peer, "alpha"));
	ok &= same("tree", "base", c->base, 0x50000000);
	ok &= same("tree", "size", c->size, 0x4000);
	ok &= same("tree", "interrupt", c->intid, CHANNEL_INTID);
	ok &= same("tree", "peers", c->peer_count, 1);
	ok &= same("tree", "the peer", streq(c->peers[0], peer), true);
	ok &= same("tree", "its doorbell", c->doorbells[0], 0);
	ok &= same("tree", "read-only", c->is_read_only, false);
	held(ok, "the device tree describes channel ping: 16 KiB at 0x50000000, SPI 60, "
		 "its peer and doorbell 0; and feed, read-only at beta's end");
	return ok ? c : NULL;
}

/* alpha's side of feed: write it, then ring beta's doorbell 1. */
static void feed_write(void)
{
	copy((char *)(uintptr_t)FEED_BASE, FEED_TEXT);
	__asm__ volatile("dsb sy" ::: "memory");
	(void)same("feed", "ringing beta's feed", (uint64_t)ivc_ring_doorbell(1), 0);
}

/* Does feed hold text (and its terminator)? Read as memory another VM writes. */
static bool feed_is(const char *text)
{
	const volatile char *f = (const volatile char *)(uintptr_t)FEED_BASE;
	unsigned i = 0;

	while (text[i] != '\0' && f[i] == text[i])
		i++;
	return f[i] == text[i];
}

/* beta's side of feed: wait for its doorbell, read, and try to write. */
static void feed_read(void)
{
	volatile char *f = (volatile char *)(uintptr_t)FEED_BASE;
	bool ok = same("feed", "feed's doorbell", wait_for(&feed_taken, 1), true);

	ok &= same("feed", "what alpha wrote", feed_is(FEED_TEXT), true);
	f[0] = 'X'; /* Refused: a synchronous external abort, stepped over. */
	__asm__ volatile("dsb sy" ::: "memory");
	ok &= same("feed", "aborts taken by the write", step_over_count, 1);
	ok &= same("feed", "ESR_EL1.EC of it", step_over_esr >> 26 & 0x3f, ESR_EC_DABT);
	ok &= same("feed", "ESR_EL1.DFSC of it", step_over_esr & 0x3f, DFSC_EXTERNAL);
	ok &= same("feed", "feed after beta's write", feed_is(FEED_TEXT), true);
	held(ok, "beta read feed when its doorbell rang; its own write took an external abort "
		 "and changed nothing");
}

static void alpha(const struct ivc_channel *c)
{
	struct ping_page *p = (struct ping_page *)(uintptr_t)c->base;
	static const uint32_t bad[] = {2, 15, 16, UINT32_MAX};
	bool ok;

	feed_write();
	copy(p->question, "ping from alpha");
	__asm__ volatile("dsb sy" ::: "memory");
	p->asked = 1;
	ok = same("ring", "ringing beta", (uint64_t)ivc_ring(c, 0), 0);
	ok &= same("ring", "beta's answer", wait_for(&p->answered, 1), true);
	ok &= same("ring", "the answer", streq(p->answer, "pong from beta to: ping from alpha"),
		   true);
	gicd_wait(SETTLE_US, true); /* Its doorbell may come just after the answer. */
	ok &= same("ring", "alpha's interrupts", taken, 1);
	held(ok, "alpha rang, beta found the message and rang back with its answer");

	ok = true;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok &= same("bad", "a doorbell alpha does not have",
			   (uint64_t)ivc_ring_doorbell(bad[i]), (uint64_t)(int64_t)-2);
	held(ok, "doorbells alpha does not have (2, 15, 16, 2^32 - 1): INVALID_PARAMETER");

	ok = true;
	for (unsigned i = 0; i < FLOOD; i++)
		ok &= ivc_ring(c, 0) == 0;
	copy(p->question, "still there?");
	__asm__ volatile("dsb sy" ::: "memory");
	p->asked = 2;
	ok &= same("flood", "the last ring", (uint64_t)ivc_ring(c, 0), 0);
	ok &= same("flood", "beta's answer", wait_for(&p->answered, 2), true);
	ok &= same("flood", "the answer", streq(p->answer, "pong from beta to: still there?"),
		   true);
	ok &= within("flood", "beta's interrupts", p->rings, 2, FLOOD + 2);
	held(ok, "after 10000 rings in a row beta answers as before");

	/* beta tried to write feed before its last answer: what alpha wrote is all there is. */
	ok = same("feed", "feed as alpha wrote it", feed_is(FEED_TEXT), true);
	held(ok, "feed holds what alpha wrote, whatever beta did");
}

static void beta(const struct ivc_channel *c)
{
	struct ping_page *p = (struct ping_page *)(uintptr_t)c->base;
	bool ok = true;

	for (uint32_t q = 1; q <= 2 && ok; q++) {
		ok = same("beta", "alpha's question", wait_for(&p->asked, q), true);
		if (!ok)
			break;
		if (q == 2)
			feed_read();
		copy(p->answer, "pong from beta to: ");
		copy(p->answer + 19, p->question);
		p->rings = taken;
		__asm__ volatile("dsb sy" ::: "memory");
		p->answered = q;
		ok &= same("beta", "ringing alpha", (uint64_t)ivc_ring(c, 0), 0);
	}
	held(ok, "beta answered both questions, each when its doorbell rang");
}

void guest_main(uint64_t x0)
{
	const char *role = bootargs((const uint8_t *)(uintptr_t)x0);
	bool is_alpha = streq(role, "alpha");
	const struct ivc_channel *c;

	check_name = is_alpha ? "alpha" : "beta";
	say(check_name);
	say(": up\r\n");
	irqs_off();
	gicd_setup(CHANNEL_INTID, PRIO_CHANNEL);
	gicd_spi_setup(FEED_INTID, PRIO_CHANNEL);
	gicd_spi_enable(CHANNEL_INTID, true);
	gicd_spi_enable(FEED_INTID, true);
	c = find_channel((const void *)(uintptr_t)x0, is_alpha ? "beta" : "alpha");
	if (c != NULL && is_alpha)
		alpha(c);
	else if (c != NULL)
		beta(c);
	if (check_failures == 0) {
		say(check_name);
		say(": every check held\r\n");
	}
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		wfi(); /* SYSTEM_OFF does not return. */
}
