/*
 * A benchmark guest for bulk data through a channel between two VMs on
 * one CPU (apps/bench): 16 MiB moved through a ring of 4 KiB slots in the
 * pages the two share, in instructions (PMCCNTR_EL0 under -icount counts
 * every instruction at every exception level; both vCPUs run on CPU 0 and
 * read one counter), and the same 16 MiB copied and checksummed inside
 * one VM for scale.
 *
 * apps/bench loads this image into both VMs, A (the producer) with x0 = 0
 * and B (the consumer) with x0 = 1, one vCPU each at one priority, maps
 * the same GUEST_SWITCH_PAGES pages at GUEST_SWITCH_IPA into both (struct
 * bulk_shared: a page of indices, then the ring), and binds in each VM
 * doorbell 0 to a notification bound to the other vCPU's SPI
 * GUEST_DOORBELL_SPI, as for bench_doorbell.c.
 *
 * The ring is a single-producer, single-consumer queue, as a transport
 * over a channel would keep it: A copies each slot in from a private
 * source and publishes it by moving head on; B takes it and moves tail on.
 * Either side that finds nothing to do sets its waiting flag, looks once
 * more, and waits in WFI for the other's doorbell; the other rings only
 * when it sees the flag, and only at the end of a batch: A when it has
 * filled the ring (or sent the last slot), B when it has emptied it. On
 * one CPU a ring switches to the peer at once, so a ring per slot would
 * make a switch per slot. Both wait with interrupts masked and take the
 * doorbell by polling ICC_IAR1_EL1 after the WFI, so no vector runs and a
 * doorbell that comes between the last look and the WFI still ends it.
 *
 * Two variants, one after the other, each 16 MiB, counted by A from
 * before its first slot to its first instruction after B says it is done:
 * - copy out: B copies each slot into a private buffer (a copy each side,
 *   as a socket or a virtio transport makes);
 * - in place: B reads each slot where it is and checksums it (one copy).
 * Every slot's data is checked: B checksums what it received, in order,
 * and A compares with the checksum of what it sent, worked out before
 * the count starts; a difference is a GUEST_CALL_FAIL, which apps/bench
 * prints as a FAIL line. In the copy-out variant, B's checksum of its
 * private copy is not part of the transfer: B counts the instructions
 * between two counter reads around it and A takes them off (what is left
 * of the reads, a few instructions a slot, stays in). The source is
 * SOURCE_SLOTS slots, one more than the ring holds, so that a slot B read
 * before A had written it again would not hold the data expected.
 *
 * Before both, while B waits, A copies the same 16 MiB from its source
 * into a private buffer of RING_SLOTS slots, then checksums them where
 * they are, slot by slot with the ring's own routines: what the channel's
 * figures compare with.
 *
 * A reports each figure with GUEST_CALL_RESULT (x1 = x2 = x3 = the figure,
 * x4 = GUEST_BENCH_BULK_*): the instructions, the bytes moved per 1000
 * instructions and, for the channel, the doorbells rung per MiB (both
 * ways, rounded). Then GUEST_CALL_DONE.
 */
#include <stdbool.h>
#include <stdint.h>

#include <mica/guest/ivc.h>

#include "gic.h"
#include "guest.h"

#define SLOT_BYTES   4096u
#define SLOT_WORDS   (SLOT_BYTES / 8u)
#define RING_SLOTS   16u	       /* 64 KiB of ring. */
#define SOURCE_SLOTS (RING_SLOTS + 1u) /* Prime to the ring: see above. */
#define TOTAL_BYTES  (16ull << 20)     /* Moved by each variant. */
#define TOTAL_SLOTS  (TOTAL_BYTES / SLOT_BYTES)
#define MIB	     (1ull << 20)

/* x0 at entry: this vCPU is B (else A). */
#define BULK_B 1u

enum bulk_variant {
	BULK_COPY_OUT, /* B copies each slot out. */
	BULK_IN_PLACE, /* B checksums each slot where it is. */
	BULK_VARIANT_COUNT,
};

void guest_main(uint64_t x0);

/*
 * The indices and flags, each written by one side (the waiting flags by
 * both: the waiter sets its own, the other side clears it as it rings),
 * and B's results. Accessed with __atomic loads and stores only.
 */
struct bulk_header {
	uint64_t head;	    /* Slots A has filled, since the start. */
	uint64_t a_waiting; /* A waits in WFI for room or for B's results. */
	uint64_t pad_a[6];  /* Apart from B's words. */
	uint64_t tail;	    /* Slots B has taken. */
	uint64_t b_waiting; /* B waits in WFI for a slot. */
	uint64_t b_ready;   /* B is set up. */
	uint64_t b_done;    /* Variants B has finished. */
	/* Per variant: B's checksum, the instructions A takes off, B's rings. */
	uint64_t b_sum[BULK_VARIANT_COUNT];
	uint64_t b_excluded[BULK_VARIANT_COUNT];
	uint64_t b_rings[BULK_VARIANT_COUNT];
};

/* At GUEST_SWITCH_IPA: the header's page, then the ring. */
struct bulk_shared {
	struct bulk_header h;
	_Alignas(SLOT_BYTES) uint64_t slots[RING_SLOTS][SLOT_WORDS];
};

_Static_assert(sizeof(struct bulk_shared) <= GUEST_SWITCH_PAGES * 4096,
	       "the shared pages hold the ring");
_Static_assert(sizeof(struct bulk_header) <= SLOT_BYTES, "the header fits its page");

static struct bulk_shared *const shared = (struct bulk_shared *)GUEST_SWITCH_IPA;

/* A's data to send; B's private copies (and A's, for the memcpy). */
static uint64_t source[SOURCE_SLOTS][SLOT_WORDS];
static uint64_t sink[RING_SLOTS][SLOT_WORDS];

/*
 * The header's words are read and written as sequentially consistent
 * atomics (LDAR, STLR): a slot's data is seen before the index that
 * publishes it, and a waiter's store of its flag comes before its next
 * look at the index, as the other side's index store comes before its
 * look at the flag (a Store-Release is not reordered with a later
 * Load-Acquire: Arm ARM B2.3, the memory model), so one of the two always
 * sees the other's store.
 */
static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* (clang-tidy does not see that __atomic_store_n writes *p.) */
static void store(uint64_t *p, uint64_t v) /* NOLINT(readability-non-const-parameter) */
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/*
 * One slot, 64 bytes a round: the copy of both sides and of the memcpy
 * figure alike (not inlined, so that each caller runs the same
 * instructions: inlined, clang paired the loads and stores in some
 * callers and not in others, 849 instructions a slot against 1,282).
 */
__attribute__((noinline)) static void copy_slot(uint64_t *restrict dst,
						const uint64_t *restrict src)
{
	for (unsigned i = 0; i < SLOT_WORDS; i += 8) {
		dst[i] = src[i];
		dst[i + 1] = src[i + 1];
		dst[i + 2] = src[i + 2];
		dst[i + 3] = src[i + 3];
		dst[i + 4] = src[i + 4];
		dst[i + 5] = src[i + 5];
		dst[i + 6] = src[i + 6];
		dst[i + 7] = src[i + 7];
	}
}

/*
 * A Fletcher sum of a slot over 64-byte lines: it changes if a word
 * changes or a line moves, and costs little more than reading the slot.
 * Not inlined, as copy_slot.
 */
__attribute__((noinline)) static uint64_t checksum(const uint64_t *w)
{
	uint64_t a = 0, b = 0;

	for (unsigned i = 0; i < SLOT_WORDS; i += 8) {
		a += w[i] + w[i + 1] + w[i + 2] + w[i + 3] + w[i + 4] + w[i + 5] + w[i + 6] +
		     w[i + 7];
		b += a;
	}
	return a ^ (b << 32 | b >> 32);
}

/* The stream's checksum after one more slot's: it changes if slots swap. */
static uint64_t mix(uint64_t sum, uint64_t slot_sum)
{
	return sum * 0x100000001b3ull + slot_sum;
}

/* If the peer waits (its flag, waiting), clear the flag, count and ring. */
static void ring_if_waiting(uint64_t *waiting, uint64_t *rings)
{
	if (load(waiting) == 0)
		return;
	store(waiting, 0);
	++*rings;
	(void)ivc_ring_doorbell(0);
}

/*
 * Wait in WFI until *word no longer holds value, with this side's flag
 * waiting set while it might sleep, so that the peer rings. Interrupts
 * stay masked: a doorbell pending ends the WFI (the kernel checks for
 * pending virtual interrupts, not PSTATE.I), and is taken here.
 */
static void wait_while(uint64_t *word, uint64_t value, uint64_t *waiting)
{
	for (;;) {
		store(waiting, 1);
		if (load(word) != value)
			break;
		wfi();
		for (unsigned intid = gic_ack(); intid != GIC_SPURIOUS; intid = gic_ack())
			gic_eoi(intid);
	}
	store(waiting, 0);
}

/*
 * A: send slots base .. base + TOTAL_SLOTS, filling every free slot and
 * ringing B (if it waits) once the ring is full or the last slot is in.
 * The rings it made.
 */
static uint64_t produce(uint64_t base)
{
	struct bulk_header *h = &shared->h;
	uint64_t end = base + TOTAL_SLOTS, rings = 0;

	for (uint64_t seq = base;;) {
		while (seq < end && seq - load(&h->tail) < RING_SLOTS) {
			copy_slot(shared->slots[seq % RING_SLOTS], source[seq % SOURCE_SLOTS]);
			store(&h->head, ++seq);
		}
		ring_if_waiting(&h->b_waiting, &rings);
		if (seq == end)
			return rings;
		wait_while(&h->tail, seq - RING_SLOTS, &h->a_waiting);
	}
}

/*
 * B: take slots base .. base + TOTAL_SLOTS as variant v does, checksum
 * them in order, and ring A (if it waits) each time the ring is empty.
 * Then give A the results.
 */
static void consume(uint64_t base, enum bulk_variant v)
{
	struct bulk_header *h = &shared->h;
	uint64_t end = base + TOTAL_SLOTS, sum = 0, excluded = 0, rings = 0;

	for (uint64_t seq = base;;) {
		wait_while(&h->head, seq, &h->b_waiting);
		for (uint64_t head = load(&h->head); seq != head; head = load(&h->head)) {
			const uint64_t *slot = shared->slots[seq % RING_SLOTS];

			if (v == BULK_COPY_OUT) {
				uint64_t *copy = sink[seq % RING_SLOTS];
				uint64_t t0;

				copy_slot(copy, slot);
				store(&h->tail, ++seq);
				t0 = guest_cycles();
				sum = mix(sum, checksum(copy));
				excluded += guest_cycles() - t0;
			} else {
				sum = mix(sum, checksum(slot));
				store(&h->tail, ++seq);
			}
		}
		if (seq == end)
			break;
		ring_if_waiting(&h->a_waiting, &rings);
	}
	h->b_sum[v] = sum;
	h->b_excluded[v] = excluded;
	/* With the ring below: on one CPU nothing changes the flag in between. */
	h->b_rings[v] = rings + (load(&h->a_waiting) != 0);
	store(&h->b_done, v + 1u);
	ring_if_waiting(&h->a_waiting, &rings);
}

static void report(uint64_t figure, uint64_t id)
{
	(void)guest_hvc(GUEST_CALL_RESULT, figure, figure, figure, id);
}

/* Fail loudly: apps/bench prints the line, and the figures are not reported. */
__attribute__((noreturn)) static void fail(unsigned line, uint64_t got, uint64_t expected)
{
	(void)guest_hvc(GUEST_CALL_FAIL, line, got, expected, 0);
	for (;;)
		wfi();
}

/* The instructions, bytes per 1000 of them and perhaps doorbells per MiB, from id up. */
static void report_transfer(uint64_t instructions, uint64_t rings, uint64_t id, bool has_rings)
{
	report(instructions, id);
	report(TOTAL_BYTES * 1000u / instructions, id + 1u);
	if (has_rings)
		report((rings * MIB + TOTAL_BYTES / 2u) / TOTAL_BYTES, id + 2u);
}

/* The source: a xorshift stream, so that no two words or slots are alike. */
static void fill_source(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (unsigned s = 0; s < SOURCE_SLOTS; s++)
		for (unsigned i = 0; i < SLOT_WORDS; i++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			source[s][i] = x * 0x2545f4914f6cdd1dull;
		}
}

/* B: say it is ready, then take both variants, then wait for good. */
__attribute__((noreturn)) static void run_b(void)
{
	struct bulk_header *h = &shared->h;
	uint64_t rings = 0;

	store(&h->b_ready, 1);
	ring_if_waiting(&h->a_waiting, &rings);
	for (unsigned v = 0; v < BULK_VARIANT_COUNT; v++)
		consume(v * TOTAL_SLOTS, (enum bulk_variant)v);
	for (;;)
		wfi();
}

/*
 * A, for scale, while B waits: the 16 MiB copied from the source into
 * sink, then checksummed where they are, slot by slot with the ring's own
 * routines; each checked. expected: the stream's checksum.
 */
static void run_references(const uint64_t *slot_sums, uint64_t expected)
{
	uint64_t t0 = guest_cycles(), sum = 0;

	for (uint64_t seq = 0; seq < TOTAL_SLOTS; seq++)
		copy_slot(sink[seq % RING_SLOTS], source[seq % SOURCE_SLOTS]);
	report_transfer(guest_cycles() - t0, 0, GUEST_BENCH_BULK_MEMCPY, false);
	/* Each slot of sink holds the last of the 16 MiB copied there. */
	for (uint64_t seq = TOTAL_SLOTS - RING_SLOTS; seq < TOTAL_SLOTS; seq++)
		if (checksum(sink[seq % RING_SLOTS]) != slot_sums[seq % SOURCE_SLOTS])
			fail(__LINE__, checksum(sink[seq % RING_SLOTS]),
			     slot_sums[seq % SOURCE_SLOTS]);

	t0 = guest_cycles();
	for (uint64_t seq = 0; seq < TOTAL_SLOTS; seq++)
		sum = mix(sum, checksum(source[seq % SOURCE_SLOTS]));
	report_transfer(guest_cycles() - t0, 0, GUEST_BENCH_BULK_CHECKSUM, false);
	if (sum != expected)
		fail(__LINE__, sum, expected);
}

/* A: the references, then both variants, each checked against what it sent. */
__attribute__((noreturn)) static void run_a(void)
{
	static const uint64_t ids[BULK_VARIANT_COUNT] = {
		[BULK_COPY_OUT] = GUEST_BENCH_BULK_COPY_OUT,
		[BULK_IN_PLACE] = GUEST_BENCH_BULK_IN_PLACE,
	};
	struct bulk_header *h = &shared->h;
	uint64_t slot_sums[SOURCE_SLOTS], expected[BULK_VARIANT_COUNT] = {0};

	fill_source();
	for (unsigned s = 0; s < SOURCE_SLOTS; s++)
		slot_sums[s] = checksum(source[s]);
	for (unsigned v = 0; v < BULK_VARIANT_COUNT; v++)
		for (uint64_t seq = v * TOTAL_SLOTS; seq < (v + 1u) * TOTAL_SLOTS; seq++)
			expected[v] = mix(expected[v], slot_sums[seq % SOURCE_SLOTS]);
	wait_while(&h->b_ready, 0, &h->a_waiting);
	run_references(slot_sums, expected[0]);
	for (unsigned v = 0; v < BULK_VARIANT_COUNT; v++) {
		uint64_t rings, count, t0;

		t0 = guest_cycles();
		rings = produce(v * TOTAL_SLOTS);
		wait_while(&h->b_done, v, &h->a_waiting);
		count = guest_cycles() - t0 - h->b_excluded[v];
		if (h->b_sum[v] != expected[v])
			fail(__LINE__, h->b_sum[v], expected[v]);
		report_transfer(count, rings + h->b_rings[v], ids[v], true);
	}
	(void)guest_hvc(GUEST_CALL_DONE, 0, 0, 0, 0);
	for (;;)
		wfi();
}

void guest_main(uint64_t x0)
{
	irqs_off();
	gic_cpu_enable();
	if (x0 & BULK_B)
		run_b();
	run_a();
}
