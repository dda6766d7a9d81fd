/*
 * The dynamic-channel guest (qemu.vm-ivc-dynamic): two VMs, alpha and beta,
 * run it (their bootargs say which), each with the ivc policy of
 * tests/qemu/systems/ivc_dynamic.dts: a 2 MiB window at 0x60000000 in
 * alpha and at 0x70000000 in beta, SPI 62, doorbell 0 ringing the other,
 * and a memory limit of 1 MiB for alpha and 64 KiB for beta. Through the
 * IVC server's hypercalls (<mica/guest/ivc.h>) they check what a guest
 * sees:
 *
 *   a. the tree describes the policy: the window, the SPI, the peer and
 *      its doorbell, the memory limit;
 *   b. alpha allocates 5000 bytes with beta: 8 KiB inside its window, all
 *      zero; it writes a message and rings; beta, on its interrupt, finds
 *      the channel by QUERY inside its own window and nothing more, reads
 *      the message, answers in the channel and rings back;
 *   c. hostile calls answer their errors and change nothing: ALLOC of 0
 *      bytes or with a peer there is not, RELEASE of what the VM does not
 *      hold, inside a channel, with a wrong size or at the peer's address
 *      (INVALID_PARAMETER), beta's ALLOC beyond its limit (NO_MEMORY); a
 *      message still goes each way;
 *   d. alpha releases the channel: QUERY no longer shows it in either VM,
 *      and a load at its old address takes a synchronous external abort
 *      (the VMM's answer where nothing is mapped, by the VM's default
 *      'unmapped-access'), which the handler steps over. beta then
 *      allocates a 4 KiB channel of its own, kept to the end, for the two
 *      to agree on through the rest;
 *   e. alpha allocates, fills and releases 1000 channels, each all zero
 *      when it comes; then its whole 1 MiB at once (beta's channel does not
 *      count against it), and 4 KiB more is NO_MEMORY;
 *   f. alpha says it is done and powers off, still holding beta's channel
 *      at its end: its VM's end takes the channel from beta too. beta, on
 *      its interrupt, finds it gone (QUERY), its load there aborts, and an
 *      ALLOC with alpha is DENIED; beta powers off.
 *
 * Each check prints a line on the VM's PL011, or FAIL (check.c). The two
 * agree only through channel memory and interrupts: every wait is in WFI
 * until a flag in a channel or an interrupt comes, within a bound in guest
 * time (-icount) that is never nearly reached, and a FAIL line says which
 * wait ran out.
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

#define IVC_INTID    62u
#define PRIO_IVC     0xa0u
#define ALPHA_WINDOW 0x60000000ull
#define BETA_WINDOW  0x70000000ull
#define WINDOW_SIZE  0x200000ull
#define ALPHA_MEMORY 0x100000ull
#define BETA_MEMORY  0x10000ull
#define PAGE	     0x1000ull
#define FIRST_ASK    5000u /* Bytes alpha asks for first: two pages. */
#define ROUNDS	     1000u
#define ROUND_PAGES  4u	      /* Round i's channel has 1 + i % ROUND_PAGES pages. */
#define SLICE_US     50u      /* One wait in WFI, after which the waiter looks again. */
#define ANSWER_US    1000000u /* A bound on the peer's next step: never nearly reached. */
#define LONG_US	     5000000u /* On the peer's boot, and on alpha's 1000 rounds. */

#define PSCI_SYSTEM_OFF 0x84000008u

void guest_main(uint64_t x0);

/* The first channel's memory as both use it (alpha allocates it). */
struct chat {
	volatile uint32_t asked;     /* Which message alpha wrote last (1, 2). */
	volatile uint32_t answered;  /* Which beta answered last. */
	volatile uint64_t beta_addr; /* Where beta sees the channel. */
	char question[64];
	char answer[96];
};

/* beta's channel, from step d to the end. */
struct control {
	volatile uint32_t beta_ready; /* beta saw the first channel go, and allocated this. */
};

/* What differs between the two VMs. */
struct role {
	const char *name, *peer;
	uint64_t window, memory;
	const char *tree_line;
};

static const struct role alpha_role = {
	.name = "alpha",
	.peer = "beta",
	.window = ALPHA_WINDOW,
	.memory = ALPHA_MEMORY,
	.tree_line = "the device tree describes dynamic channels: a 2 MiB window at 0x60000000, "
		     "SPI 62, peer 0 beta by doorbell 0, 1 MiB of memory",
};
static const struct role beta_role = {
	.name = "beta",
	.peer = "alpha",
	.window = BETA_WINDOW,
	.memory = BETA_MEMORY,
	.tree_line = "the device tree describes dynamic channels: a 2 MiB window at 0x70000000, "
		     "SPI 62, peer 0 alpha by doorbell 0, 64 KiB of memory",
};

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

static void copy(char *dst, const char *src)
{
	while ((*dst++ = *src++) != '\0')
		;
}

static void barrier(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

/*
 * A page of d's window 1 MiB from the channel at addr (8 KiB at most), so
 * not in it: where the VM holds nothing.
 */
static uint64_t away_from(const struct ivc_dynamic *d, uint64_t addr)
{
	return addr + 0x100000 + PAGE <= d->base + d->size ? addr + 0x100000 : addr - 0x100000;
}

/* Does [addr, addr + size) lie within the window of wsize bytes at base? */
static bool is_inside(uint64_t addr, uint64_t size, uint64_t base, uint64_t wsize)
{
	return addr >= base && size <= wsize && addr - base <= wsize - size;
}

/* Is every byte of [addr, addr + size) zero? Read as memory another VM may write. */
static bool is_zero(uint64_t addr, uint64_t size)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)addr;

	for (uint64_t i = 0; i < size / 8; i++)
		if (w[i] != 0)
			return false;
	return true;
}

/* Every word of [addr, addr + size) a pattern of its own. */
static void fill(uint64_t addr, uint64_t size, uint64_t pattern)
{
	volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)addr;

	for (uint64_t i = 0; i < size / 8; i++)
		w[i] = pattern ^ (i * 0x9e3779b97f4a7c15ull) ^ addr;
}

/* One load from addr, where nothing may be: an abort is stepped over (guest_sync). */
static void probe_load(uint64_t addr)
{
	uint32_t v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	(void)v;
}

/* A load that took exactly one synchronous external abort, as a data abort says it. */
static bool load_aborts(const char *check, uint64_t addr)
{
	unsigned before = step_over_count;
	bool ok;

	probe_load(addr);
	ok = same(check, "aborts taken by the load", step_over_count - before, 1);
	ok &= same(check, "ESR_EL1.EC of it", step_over_esr >> 26 & 0x3f, ESR_EC_DABT);
	ok &= same(check, "ESR_EL1.DFSC of it", step_over_esr & 0x3f, DFSC_EXTERNAL);
	return ok;
}

static uint64_t deadline(uint64_t us)
{
	return guest_ticks() + us_to_ticks(us);
}

/* One slice of waiting in WFI, interrupts let in; false once until has passed. */
static bool wait_more(uint64_t until)
{
	if (guest_ticks() >= until)
		return false;
	gicd_wait(SLICE_US, true);
	return true;
}

/* Wait until *word is want, within us; a FAIL line naming what if it does not come. */
static bool wait_word(const char *what, const volatile uint32_t *word, uint32_t want, uint64_t us)
{
	uint64_t until = deadline(us);

	while (*word != want && wait_more(until))
		;
	return same("wait", what, *word, want);
}

/*
 * After each interrupt past the first seen, QUERY(0), until the VM holds a
 * channel (is_held) or none, within us; x1..x3 of the last QUERY into
 * addr, size and peer. A FAIL line naming what if it does not come.
 */
static bool wait_query(const char *what, unsigned seen, bool is_held, uint64_t us, uint64_t *addr,
		       uint64_t *size, uint64_t *peer)
{
	uint64_t until = deadline(us);

	for (;;) {
		while (taken == seen)
			if (!wait_more(until)) {
				fail("wait: ");
				say(what);
				say(": no interrupt came that showed it\r\n");
				return false;
			}
		seen = taken;
		if ((ivc_query(0, addr, size, peer) == MICA_HVC_SUCCESS) == is_held)
			return true;
	}
}

/* a: the policy as the tree shows it. */
static bool find_policy(const void *fdt, const struct role *r, struct ivc_dynamic *d)
{
	bool ok = same("tree", "an ivc-dynamic node", ivc_dynamic_find(fdt, d), true);

	ok = ok && same("tree", "window base", d->base, r->window);
	ok = ok && same("tree", "window size", d->size, WINDOW_SIZE);
	ok = ok && same("tree", "interrupt", d->intid, IVC_INTID);
	ok = ok && same("tree", "peers", d->peer_count, 1);
	ok = ok && same("tree", "peer 0", streq(d->peers[0], r->peer), true);
	ok = ok && same("tree", "its doorbell", d->doorbells[0], 0);
	ok = ok && same("tree", "memory", d->memory, r->memory);
	held(ok, r->tree_line);
	return ok;
}

/* Does QUERY show exactly one channel, at addr of size bytes with peer 0? */
static bool holds_only(const char *check, uint64_t addr, uint64_t size)
{
	uint64_t a = 0, s = 0, k = 1;
	bool ok = same(check, "QUERY(0)", (uint64_t)ivc_query(0, &a, &s, &k), MICA_HVC_SUCCESS);

	ok &= same(check, "QUERY(0)'s address", a, addr);
	ok &= same(check, "QUERY(0)'s size", s, size);
	ok &= same(check, "QUERY(0)'s peer", k, 0);
	ok &= same(check, "QUERY(1)", (uint64_t)ivc_query(1, NULL, NULL, NULL),
		   (uint64_t)MICA_HVC_INVALID_PARAMETER);
	return ok;
}

/* Is a hypercall's status (got) the one it must be? A FAIL line naming field if not. */
static bool answers(const char *check, const char *field, int64_t got, int64_t status)
{
	return same(check, field, (uint64_t)got, (uint64_t)status);
}

/* b: the first channel, a message and its answer. Its address in alpha into *addr. */
static bool alpha_first(const struct ivc_dynamic *d, uint64_t *addr)
{
	uint64_t a = 0, size = 0;
	struct chat *c;
	bool ok = answers("alloc", "ALLOC of 5000 bytes with peer 0",
			  ivc_alloc(FIRST_ASK, 0, &a, &size), MICA_HVC_SUCCESS);

	if (!ok)
		return false;
	c = (struct chat *)(uintptr_t)a;
	ok &= same("alloc", "its size", size, 2 * PAGE);
	ok &= same("alloc", "inside alpha's window", is_inside(a, size, d->base, d->size), true);
	ok &= same("alloc", "page-aligned", a % PAGE, 0);
	ok = ok && same("alloc", "the memory reads zero", is_zero(a, size), true);
	ok = ok && holds_only("alloc", a, 2 * PAGE);
	held(ok,
	     "ALLOC of 5000 bytes with peer 0 (beta): SUCCESS, 8 KiB inside alpha's window, all "
	     "zero, and QUERY shows it");
	if (!ok)
		return false;

	copy(c->question, "hello beta, from alpha");
	barrier();
	c->asked = 1;
	barrier();
	ok = answers("chat", "ringing beta", ivc_dynamic_ring(d, 0), MICA_HVC_SUCCESS);
	ok &= wait_word("beta's first answer", &c->answered, 1, ANSWER_US);
	ok = ok && same("chat", "the answer",
			streq(c->answer, "beta to alpha: hello beta, from alpha"), true);
	held(ok, "alpha wrote a message and rang; beta's answer came back through the channel");
	*addr = a;
	return ok;
}

/* c: calls that must fail and change nothing, then a message each way. */
static bool alpha_hostile(const struct ivc_dynamic *d, uint64_t a)
{
	struct chat *c = (struct chat *)(uintptr_t)a;
	uint64_t b = c->beta_addr;
	uint64_t elsewhere = away_from(d, a);
	const int64_t bad = MICA_HVC_INVALID_PARAMETER;
	bool ok = answers("hostile", "ALLOC of 0 bytes", ivc_alloc(0, 0, NULL, NULL), bad);

	ok &= answers("hostile", "ALLOC with peer 1", ivc_alloc(PAGE, 1, NULL, NULL), bad);
	ok &= answers("hostile", "ALLOC with peer 2^32", ivc_alloc(PAGE, 1ull << 32, NULL, NULL),
		      bad);
	ok &= answers("hostile", "RELEASE where alpha holds nothing", ivc_release(elsewhere, PAGE),
		      bad);
	ok &= answers("hostile", "RELEASE of alpha's RAM", ivc_release(GUEST_RAM_BASE, PAGE), bad);
	ok &= answers("hostile", "RELEASE of the channel's second page",
		      ivc_release(a + PAGE, PAGE), bad);
	ok &= answers("hostile", "RELEASE of 4 KiB of the channel", ivc_release(a, PAGE), bad);
	ok &= answers("hostile", "RELEASE of 12 KiB at the channel", ivc_release(a, 3 * PAGE), bad);
	ok &= answers("hostile", "RELEASE of 0 bytes at the channel", ivc_release(a, 0), bad);
	if (b != a)
		ok &= answers("hostile", "RELEASE at beta's address", ivc_release(b, 2 * PAGE),
			      bad);
	ok &= holds_only("hostile", a, 2 * PAGE);
	held(ok, "ALLOC of 0 bytes or with peers 1 and 2^32, RELEASE where alpha holds nothing, "
		 "inside the channel, with a wrong size or at beta's address: INVALID_PARAMETER "
		 "each, and QUERY shows the channel as before");

	copy(c->question, "still there?");
	barrier();
	c->asked = 2;
	barrier();
	ok = answers("chat", "ringing beta", ivc_dynamic_ring(d, 0), MICA_HVC_SUCCESS);
	ok &= wait_word("beta's second answer", &c->answered, 2, ANSWER_US);
	ok = ok &&
	     same("chat", "the answer", streq(c->answer, "beta to alpha: still there?"), true);
	held(ok, "after the hostile calls a message went each way through the channel");
	return ok;
}

/* d: the channel released, and gone; then beta's channel comes. Its address into *ctl. */
static bool alpha_release(uint64_t a, uint64_t *ctl)
{
	unsigned seen = taken;
	uint64_t c = 0, size = 0, peer = 1;
	bool ok = answers("release", "RELEASE of the channel", ivc_release(a, 2 * PAGE),
			  MICA_HVC_SUCCESS);

	ok &= answers("release", "QUERY(0) after it", ivc_query(0, NULL, NULL, NULL),
		      MICA_HVC_INVALID_PARAMETER);
	ok &= load_aborts("release", a);
	held(ok, "RELEASE of the channel: SUCCESS; QUERY(0): INVALID_PARAMETER; alpha's own load "
		 "there took a synchronous external abort");
	if (!ok)
		return false;

	ok = wait_query("beta's channel", seen, true, ANSWER_US, &c, &size, &peer);
	ok = ok && same("control", "its size", size, PAGE);
	ok = ok && same("control", "its peer", peer, 0);
	ok = ok &&
	     wait_word("beta ready", &((struct control *)(uintptr_t)c)->beta_ready, 1, ANSWER_US);
	held(ok,
	     "on its interrupt QUERY(0) shows the channel beta allocated: 4 KiB, peer 0 (beta)");
	*ctl = c;
	return ok;
}

/* e, one round: ALLOC, all zero, a pattern in every page, RELEASE. */
static bool alpha_round(const struct ivc_dynamic *d, unsigned i, uint64_t ctl)
{
	uint64_t pages = 1 + i % ROUND_PAGES;
	/* Odd rounds ask for 1000 bytes less than they get. */
	uint64_t ask = pages * PAGE - (uint64_t)(i % 2) * 1000;
	uint64_t a = 0, size = 0;
	bool ok = answers("rounds", "ALLOC", ivc_alloc(ask, 0, &a, &size), MICA_HVC_SUCCESS);

	ok = ok && same("rounds", "its size", size, pages * PAGE);
	ok = ok &&
	     same("rounds", "inside alpha's window", is_inside(a, size, d->base, d->size), true);
	ok = ok &&
	     same("rounds", "apart from beta's channel", a + size <= ctl || ctl + PAGE <= a, true);
	ok = ok && same("rounds", "the memory reads zero", is_zero(a, size), true);
	if (!ok)
		return false;
	fill(a, size, (uint64_t)i << 32 | i);
	/* Odd rounds release it by the size they asked for, even ones by the size they got. */
	return answers("rounds", "RELEASE", ivc_release(a, i % 2 ? ask : size), MICA_HVC_SUCCESS);
}

/* e: 1000 rounds, then the whole limit at once and nothing more. */
static bool alpha_rounds(const struct ivc_dynamic *d, uint64_t ctl)
{
	uint64_t a = 0, size = 0, count = 0;
	bool ok;

	for (unsigned i = 0; i < ROUNDS; i++)
		if (!alpha_round(d, i, ctl)) {
			fail("rounds: the first round that failed: ");
			put_hex(i);
			say("\r\n");
			return false;
		}
	held(true, "1000 rounds of ALLOC, a pattern in every page and RELEASE: each channel inside "
		   "alpha's window and all zero when it came");

	ok = answers("limit", "ALLOC of 1 MiB", ivc_alloc(ALPHA_MEMORY, 0, &a, &size),
		     MICA_HVC_SUCCESS);
	ok = ok && same("limit", "its size", size, ALPHA_MEMORY);
	ok = ok &&
	     same("limit", "inside alpha's window", is_inside(a, size, d->base, d->size), true);
	ok = ok && same("limit", "the memory reads zero", is_zero(a, size), true);
	ok &= answers("limit", "ALLOC of 4 KiB more", ivc_alloc(PAGE, 0, NULL, NULL),
		      MICA_HVC_NO_MEMORY);
	if (size == ALPHA_MEMORY)
		ok &= answers("limit", "RELEASE of the 1 MiB", ivc_release(a, size),
			      MICA_HVC_SUCCESS);
	while (count < 8 && ivc_query(count, NULL, NULL, NULL) == MICA_HVC_SUCCESS)
		count++;
	ok &= same("limit", "channels alpha holds after", count, 1);
	held(ok, "ALLOC of its whole 1 MiB: SUCCESS (beta's channel does not count), then of 4 KiB "
		 "more: NO_MEMORY; released, only beta's channel is left");
	return ok;
}

/* f: the rounds are over; alpha ends, holding beta's channel. */
static void alpha_end(const struct ivc_dynamic *d, uint64_t ctl)
{
	bool ok;

	ok = answers("end", "ringing beta", ivc_dynamic_ring(d, 0), MICA_HVC_SUCCESS);
	ok &= holds_only("end", ctl, PAGE);
	held(ok, "done; alpha powers off holding beta's channel");
}

static void alpha(const struct ivc_dynamic *d)
{
	uint64_t a = 0, ctl = 0;

	if (alpha_first(d, &a) && alpha_hostile(d, a) && alpha_release(a, &ctl) &&
	    alpha_rounds(d, ctl))
		alpha_end(d, ctl);
}

/* b: on its interrupt, the channel alpha allocated; its address into *addr. */
static bool beta_first(const struct ivc_dynamic *d, uint64_t *addr)
{
	uint64_t b = 0, size = 0, peer = 1;
	struct chat *c;
	bool ok = wait_query("alpha's channel", 0, true, LONG_US, &b, &size, &peer);

	if (!ok)
		return false;
	c = (struct chat *)(uintptr_t)b;
	ok &= same("query", "its size", size, 2 * PAGE);
	ok &= same("query", "its peer", peer, 0);
	ok &= same("query", "inside beta's window", is_inside(b, size, d->base, d->size), true);
	ok &= answers("query", "QUERY(1)", ivc_query(1, NULL, NULL, NULL),
		      MICA_HVC_INVALID_PARAMETER);
	held(ok, "on its interrupt QUERY(0) shows the channel: 8 KiB inside beta's window, peer 0 "
		 "(alpha); QUERY(1): INVALID_PARAMETER");
	if (!ok)
		return false;

	ok = wait_word("alpha's first message", &c->asked, 1, ANSWER_US);
	ok = ok && same("chat", "the message", streq(c->question, "hello beta, from alpha"), true);
	if (!ok)
		return false;
	copy(c->answer, "beta to alpha: ");
	copy(c->answer + 15, c->question);
	c->beta_addr = b;
	barrier();
	c->answered = 1;
	barrier();
	ok = answers("chat", "ringing alpha", ivc_dynamic_ring(d, 0), MICA_HVC_SUCCESS);
	held(ok, "beta read alpha's message, answered in the channel and rang");
	*addr = b;
	return ok;
}

/* c: calls that must fail and change nothing, then the second answer. */
static bool beta_hostile(const struct ivc_dynamic *d, uint64_t b, unsigned *seen)
{
	struct chat *c = (struct chat *)(uintptr_t)b;
	uint64_t elsewhere = away_from(d, b);
	bool ok = answers("hostile", "ALLOC of 64 KiB + 1",
			  ivc_alloc(BETA_MEMORY + 1, 0, NULL, NULL), MICA_HVC_NO_MEMORY);

	ok &= answers("hostile", "ALLOC of 2 MiB", ivc_alloc(WINDOW_SIZE, 0, NULL, NULL),
		      MICA_HVC_NO_MEMORY);
	ok &= answers("hostile", "RELEASE where beta holds nothing", ivc_release(elsewhere, PAGE),
		      MICA_HVC_INVALID_PARAMETER);
	ok &= answers("hostile", "RELEASE of beta's RAM", ivc_release(GUEST_RAM_BASE, PAGE),
		      MICA_HVC_INVALID_PARAMETER);
	ok &= holds_only("hostile", b, 2 * PAGE);
	held(ok, "ALLOC beyond its 64 KiB: NO_MEMORY; RELEASE where it holds no channel: "
		 "INVALID_PARAMETER; QUERY shows the channel as before");

	ok = wait_word("alpha's second message", &c->asked, 2, ANSWER_US);
	ok = ok && same("chat", "the message", streq(c->question, "still there?"), true);
	if (!ok)
		return false;
	copy(c->answer, "beta to alpha: ");
	copy(c->answer + 15, c->question);
	*seen = taken; /* alpha may release the channel once it has the answer. */
	barrier();
	c->answered = 2;
	barrier();
	ok = answers("chat", "ringing alpha", ivc_dynamic_ring(d, 0), MICA_HVC_SUCCESS);
	held(ok, "beta answered alpha's second message in the channel");
	return ok;
}

/* d: alpha's release seen, and felt; then beta's own channel. Its address into *ctl. */
static bool beta_release(const struct ivc_dynamic *d, uint64_t b, unsigned seen, uint64_t *ctl)
{
	uint64_t c = 0, size = 0;
	struct control *k;
	bool ok = wait_query("alpha's release", seen, false, ANSWER_US, NULL, NULL, NULL);

	ok = ok && load_aborts("release", b);
	held(ok,
	     "on its interrupt QUERY(0): INVALID_PARAMETER; beta's load at the old address took "
	     "a synchronous external abort, and it went on");
	if (!ok)
		return false;

	ok = answers("control", "ALLOC of 4 KiB with peer 0", ivc_alloc(PAGE, 0, &c, &size),
		     MICA_HVC_SUCCESS);
	ok = ok && same("control", "its size", size, PAGE);
	ok = ok &&
	     same("control", "inside beta's window", is_inside(c, size, d->base, d->size), true);
	ok = ok && same("control", "the memory reads zero", is_zero(c, size), true);
	if (!ok)
		return false;
	k = (struct control *)(uintptr_t)c;
	k->beta_ready = 1;
	barrier();
	ok = answers("control", "ringing alpha", ivc_dynamic_ring(d, 0), MICA_HVC_SUCCESS);
	held(ok, "ALLOC of 4 KiB with peer 0 (alpha), kept to the end: SUCCESS");
	*ctl = c;
	return ok;
}

/*
 * e and f: wait out alpha's rounds and its end, which takes beta's channel
 * with it (a flag in the channel would go with it: beta waits for the
 * channel to go). The interrupts come or not as beta waits or prints
 * (edges merge while it has interrupts masked): no count of them holds.
 */
static void beta_end(uint64_t ctl)
{
	bool ok = wait_query("alpha's rounds and end", taken, false, LONG_US, NULL, NULL, NULL);

	ok = ok && load_aborts("end", ctl);
	ok = ok && answers("end", "ALLOC with alpha after its end", ivc_alloc(PAGE, 0, NULL, NULL),
			   MICA_HVC_DENIED);
	ok = ok && answers("end", "RELEASE of the channel alpha's end took", ivc_release(ctl, PAGE),
			   MICA_HVC_INVALID_PARAMETER);
	held(ok,
	     "alpha's VM ended: on beta's interrupt QUERY(0): INVALID_PARAMETER; beta's load in "
	     "the channel took an external abort; ALLOC with alpha: DENIED");
}

static void beta(const struct ivc_dynamic *d)
{
	uint64_t b = 0, ctl = 0;
	unsigned seen = 0;

	if (beta_first(d, &b) && beta_hostile(d, b, &seen) && beta_release(d, b, seen, &ctl))
		beta_end(ctl);
}

void guest_main(uint64_t x0)
{
	const char *name = bootargs((const uint8_t *)(uintptr_t)x0);
	const struct role *r = streq(name, "alpha") ? &alpha_role : &beta_role;
	static struct ivc_dynamic d;

	check_name = r->name;
	say(check_name);
	say(": up\r\n");
	irqs_off();
	gicd_setup(IVC_INTID, PRIO_IVC);
	gicd_spi_enable(IVC_INTID, true);
	if (find_policy((const void *)(uintptr_t)x0, r, &d)) {
		if (r == &alpha_role)
			alpha(&d);
		else
			beta(&d);
	}
	if (check_failures == 0) {
		say(check_name);
		say(": every check held\r\n");
	}
	(void)guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	for (;;)
		wfi(); /* SYSTEM_OFF does not return. */
}
