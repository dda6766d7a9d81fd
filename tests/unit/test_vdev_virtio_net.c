/*
 * Unit tests for servers/vdev/virtio_net.c: three guests, each with its
 * own RAM and driver, on ports 0, 1 and 2 of one switch (A, B and C),
 * sending Ethernet frames to each other through the transport's
 * registers; the address table on its own; and a restarted server
 * resuming the ports from the state its last instance left, with crashes
 * injected where the model raises a line (a jump out, as a fault would end
 * the instance there) and state laid out as a crash elsewhere leaves it.
 * Offsets and bits are written out as virtio 1.2 numbers them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "virtio_net.h"

#define GUESTS	 3u
#define RAM_IPA	 UINT64_C(0x40000000)
#define RAM_SIZE 0x20000u
#define DATA_IPA (RAM_IPA + 0x8000u) /* Buffers; the two queues' rings live below. */
#define QNUM	 8u
#define HDR	 12u
#define VERSION1 (UINT64_C(1) << 32)
#define FEATURES (VERSION1 | (1u << 16) | (1u << 5) | (1u << 3))

/* One guest: its RAM, its port, and its driver's view of its two queues. */
struct guest {
	_Alignas(4096) uint8_t ram[RAM_SIZE];
	struct virtio_net net;
	uint16_t avail_idx[2];
	uint16_t next_desc[2];
	uint16_t used_seen[2];
	uint64_t data_next;
	unsigned rises; /* Times its line went up. */
	bool line;
	bool is_crash_on_line;
};

struct seg {
	uint64_t ipa;
	uint32_t len;
	bool is_write;
};

static struct guest guests[GUESTS];
static struct guest *const a = &guests[0], *const b = &guests[1], *const c = &guests[2];
static struct virtio_net_switch sw;
static jmp_buf crash_point;

static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static unsigned index_of(const struct guest *g)
{
	return (unsigned)(g - guests);
}

static void mac_of(const struct guest *g, uint8_t mac[6])
{
	virtio_net_mac(index_of(g), index_of(g), mac);
}

static struct guest_mem mem_of(struct guest *g)
{
	return (struct guest_mem){.ipa_base = RAM_IPA, .size = RAM_SIZE, .host = g->ram};
}

static uint8_t *host(struct guest *g, uint64_t ipa)
{
	return g->ram + (ipa - RAM_IPA);
}

static void set_line(void *ctx, bool level)
{
	struct guest *g = ctx;

	if (level && !g->line)
		g->rises++;
	g->line = level;
	if (level && g->is_crash_on_line) {
		g->is_crash_on_line = false;
		longjmp(crash_point, 1); /* Published, then the crash before anything else. */
	}
}

static struct virtio_irq irq_of(struct guest *g)
{
	return (struct virtio_irq){.set = set_line, .ctx = g};
}

static void wr(struct guest *g, uint64_t off, uint32_t value)
{
	assert_int_equal(virtio_mmio_write(&g->net.mmio, off, 4, value), MICA_OK);
}

static uint32_t rd(struct guest *g, uint64_t off)
{
	uint64_t value = 0xdeadbeef;

	assert_int_equal(virtio_mmio_read(&g->net.mmio, off, 4, &value), MICA_OK);
	return (uint32_t)value;
}

static uint64_t desc_ipa(unsigned q)
{
	return RAM_IPA + (uint64_t)q * 0x4000u;
}

static uint64_t avail_ipa(unsigned q)
{
	return desc_ipa(q) + 0x1000u;
}

static uint64_t used_ipa(unsigned q)
{
	return desc_ipa(q) + 0x2000u;
}

static void put16(struct guest *g, uint64_t ipa, uint16_t v)
{
	memcpy(host(g, ipa), &v, 2);
}

/* The driver's initialisation (§3.1.1), accepting features; FEATURES_OK as read back. */
static bool negotiate(struct guest *g, uint64_t features)
{
	wr(g, 0x070, 0);
	wr(g, 0x070, 1);
	wr(g, 0x070, 3);
	wr(g, 0x024, 0);
	wr(g, 0x020, (uint32_t)features);
	wr(g, 0x024, 1);
	wr(g, 0x020, (uint32_t)(features >> 32));
	wr(g, 0x070, 11);
	return (rd(g, 0x070) & 8) != 0;
}

/* Negotiate, make both queues ready, and set DRIVER_OK. */
static void start(struct guest *g)
{
	memset(g->avail_idx, 0, sizeof(g->avail_idx));
	memset(g->next_desc, 0, sizeof(g->next_desc));
	memset(g->used_seen, 0, sizeof(g->used_seen));
	memset(host(g, RAM_IPA), 0, DATA_IPA - RAM_IPA); /* Fresh rings, as a driver makes them. */
	assert_true(negotiate(g, FEATURES));
	for (unsigned q = 0; q < 2; q++) {
		wr(g, 0x030, q);
		wr(g, 0x038, QNUM);
		wr(g, 0x080, (uint32_t)desc_ipa(q));
		wr(g, 0x084, 0);
		wr(g, 0x090, (uint32_t)avail_ipa(q));
		wr(g, 0x094, 0);
		wr(g, 0x0a0, (uint32_t)used_ipa(q));
		wr(g, 0x0a4, 0);
		wr(g, 0x044, 1);
	}
	wr(g, 0x070, 15);
}

static uint64_t alloc(struct guest *g, uint32_t len)
{
	uint64_t ipa = g->data_next;

	g->data_next += (len + 15u) & ~15u;
	assert_true(g->data_next <= RAM_IPA + RAM_SIZE);
	return ipa;
}

static void put_desc(struct guest *g, unsigned q, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *p = host(g, desc_ipa(q) + 16u * (uint64_t)i);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void kick_head(struct guest *g, unsigned q, uint16_t head)
{
	put16(g, avail_ipa(q) + 4 + 2u * (uint64_t)(g->avail_idx[q] % QNUM), head);
	g->avail_idx[q]++;
	put16(g, avail_ipa(q) + 2, g->avail_idx[q]);
}

/* Lay out a chain of n segments in fresh descriptors and make it available; returns its head. */
static uint16_t add(struct guest *g, unsigned q, const struct seg *segs, unsigned n)
{
	uint16_t head = g->next_desc[q];

	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % QNUM);
		uint16_t next = (uint16_t)((head + i + 1) % QNUM);
		uint16_t flags = (uint16_t)((segs[i].is_write ? 2 : 0) | (i + 1 < n ? 1 : 0));

		put_desc(g, q, idx, segs[i].ipa, segs[i].len, flags, next);
	}
	g->next_desc[q] = (uint16_t)((head + n) % QNUM);
	kick_head(g, q, head);
	return head;
}

static uint16_t used_idx(struct guest *g, unsigned q)
{
	uint16_t idx;

	memcpy(&idx, host(g, used_ipa(q) + 2), 2);
	return idx;
}

/* The next used element of queue q, if the device published one. */
static bool take_used(struct guest *g, unsigned q, uint32_t *id, uint32_t *len)
{
	const uint8_t *e;

	*id = 0;
	*len = 0;
	if (used_idx(g, q) == g->used_seen[q])
		return false;
	e = host(g, used_ipa(q) + 4 + 8u * (uint64_t)(g->used_seen[q] % QNUM));
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	g->used_seen[q]++;
	return true;
}

/* A frame of len bytes from src to dst in buf, its payload a pattern from seed. */
static size_t frame(uint8_t *buf, const uint8_t *dst, const uint8_t *src, size_t len, uint8_t seed)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
	return len;
}

/* A frame from g's own address to dst. */
static size_t frame_from(struct guest *g, uint8_t *buf, const uint8_t *dst, size_t len,
			 uint8_t seed)
{
	uint8_t src[6];

	mac_of(g, src);
	return frame(buf, dst, src, len, seed);
}

/* A transmit chain of the header and len bytes of f, in one buffer, made available. */
static uint16_t queue_tx(struct guest *g, const uint8_t *f, size_t len)
{
	uint64_t ipa = alloc(g, (uint32_t)(HDR + len));

	memset(host(g, ipa), 0, HDR);
	memcpy(host(g, ipa) + HDR, f, len);
	return add(g, 1, (const struct seg[]){{ipa, (uint32_t)(HDR + len), false}}, 1);
}

/* Transmit f and check that its chain came back completed, with length 0. */
static void send(struct guest *g, const uint8_t *f, size_t len)
{
	uint16_t head = queue_tx(g, f, len);
	uint32_t id, used_len;

	wr(g, 0x050, 1);
	assert_true(take_used(g, 1, &id, &used_len));
	assert_int_equal(id, head);
	assert_int_equal(used_len, 0);
	assert_false(take_used(g, 1, &id, &used_len));
}

/* A receive chain of one len-byte buffer, filled with dots, made available. */
static uint64_t post_rx(struct guest *g, uint32_t len)
{
	uint64_t ipa = alloc(g, len);

	memset(host(g, ipa), '.', len);
	add(g, 0, (const struct seg[]){{ipa, len, true}}, 1);
	wr(g, 0x050, 0);
	return ipa;
}

/* g's next receive chain, at ipa, holds f whole behind a clean header. */
static void expect_rx(struct guest *g, uint64_t ipa, const uint8_t *f, size_t len)
{
	static const uint8_t header[HDR] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	uint32_t id, used_len;

	assert_true(take_used(g, 0, &id, &used_len));
	assert_int_equal(used_len, HDR + len);
	assert_memory_equal(host(g, ipa), header, HDR);
	assert_memory_equal(host(g, ipa) + HDR, f, len);
	assert_int_equal(*host(g, ipa + HDR + len), '.');
}

static bool has_rx(struct guest *g)
{
	return used_idx(g, 0) != g->used_seen[0];
}

/* Three guests on ports 0 to 2 of a started switch; no driver running yet. */
static int setup(void **state)
{
	virtio_net_switch_init(&sw, NULL);
	for (unsigned i = 0; i < GUESTS; i++) {
		struct guest *g = &guests[i];
		const struct guest_mem mem = mem_of(g);
		const struct virtio_irq irq = irq_of(g);
		uint8_t mac[6];

		memset(g->ram, 0, sizeof(g->ram));
		memset(g->avail_idx, 0, sizeof(g->avail_idx));
		memset(g->next_desc, 0, sizeof(g->next_desc));
		memset(g->used_seen, 0, sizeof(g->used_seen));
		g->data_next = DATA_IPA;
		g->rises = 0;
		g->line = false;
		g->is_crash_on_line = false;
		mac_of(g, mac);
		virtio_net_init(&g->net, &sw, i, mac, &mem, &irq);
	}
	virtio_net_switch_start(&sw);
	return 0;
}

static int setup_running(void **state)
{
	setup(state);
	for (unsigned i = 0; i < GUESTS; i++)
		start(&guests[i]);
	return 0;
}

static void test_net_offers_version_1_mac_status_and_mtu(void **state)
{
	assert_int_equal(rd(a, 0x000), 0x74726976);
	assert_int_equal(rd(a, 0x008), 1);
	assert_int_equal(rd(a, 0x010), (1u << 16) | (1u << 5) | (1u << 3));
	wr(a, 0x014, 1);
	assert_int_equal(rd(a, 0x010), 1);
	for (unsigned q = 0; q < 3; q++) {
		wr(a, 0x030, q);
		assert_int_equal(rd(a, 0x034), q < 2 ? 256 : 0);
	}
}

static void test_config_holds_the_mac_the_link_up_and_the_mtu(void **state)
{
	const uint8_t mac[6] = {0x02, 0x6d, 0x69, 0x63, 0x01, 0x01};
	uint64_t v;

	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(virtio_mmio_read(&b->net.mmio, 0x100 + i, 1, &v), MICA_OK);
		assert_int_equal(v, mac[i]);
	}
	assert_int_equal(virtio_mmio_read(&b->net.mmio, 0x106, 2, &v), MICA_OK);
	assert_int_equal(v, 1);
	assert_int_equal(virtio_mmio_read(&b->net.mmio, 0x10a, 2, &v), MICA_OK);
	assert_int_equal(v, 1500);
	/* The configuration is read-only. */
	assert_int_equal(virtio_mmio_write(&b->net.mmio, 0x100, 1, 0x55), MICA_OK);
	assert_int_equal(virtio_mmio_read(&b->net.mmio, 0x100, 1, &v), MICA_OK);
	assert_int_equal(v, 0x02);
}

static void test_mac_is_locally_administered_from_the_vm_and_the_port(void **state)
{
	const uint8_t expected[6] = {0x02, 0x6d, 0x69, 0x63, 0x03, 0x0b};
	uint8_t mac[6];

	virtio_net_mac(3, 11, mac);
	assert_memory_equal(mac, expected, 6);
	assert_int_equal(mac[0] & 3, 2); /* Locally administered, unicast. */
}

static void test_features_are_negotiated_as_offered(void **state)
{
	assert_true(negotiate(a, VERSION1 | (1u << 5)));
	assert_true(negotiate(a, VERSION1));
	assert_false(negotiate(a, VERSION1 | (1u << 0)));  /* CSUM, not offered. */
	assert_false(negotiate(a, VERSION1 | (1u << 15))); /* MRG_RXBUF, not offered. */
	assert_false(negotiate(a, (1u << 5)));		   /* A legacy driver. */
	assert_true(negotiate(a, FEATURES));
}

static void test_a_frame_from_a_reaches_b_byte_for_byte_with_a_clean_header(void **state)
{
	uint8_t f[300], mac_b[6];
	uint64_t rx;

	mac_of(b, mac_b);
	rx = post_rx(b, 1526);
	frame_from(a, f, mac_b, sizeof(f), 1);
	send(a, f, sizeof(f));
	expect_rx(b, rx, f, sizeof(f));
	assert_int_equal(rd(b, 0x060), 1);
	assert_int_equal(b->rises, 1);
	assert_int_equal(rd(a, 0x060), 1); /* The completed transmit interrupts the sender. */
	assert_int_equal(a->net.counts.tx_frames, 1);
	assert_int_equal(a->net.counts.tx_bytes, 300);
	assert_int_equal(b->net.counts.rx_frames, 1);
	assert_int_equal(b->net.counts.rx_bytes, 300);
	assert_false(has_rx(a));
}

static void test_layout_across_descriptors_does_not_matter(void **state)
{
	uint8_t f[1514], mac_b[6];
	uint64_t tx = alloc(a, HDR + sizeof(f)), rh = alloc(b, HDR), rd1 = alloc(b, 700),
		 rd2 = alloc(b, 900);
	uint32_t id, len;

	mac_of(b, mac_b);
	frame_from(a, f, mac_b, sizeof(f), 2);
	memset(host(a, tx), 0, HDR);
	memcpy(host(a, tx) + HDR, f, sizeof(f));
	/* The header cut in two, the addresses cut between the two MACs, and the rest in two. */
	add(a, 1,
	    (const struct seg[]){{tx, 5, false},
				 {tx + 5, 13, false},
				 {tx + 18, 600, false},
				 {tx + 618, HDR + 1514 - 618, false}},
	    4);
	memset(host(b, rh), '.', HDR);
	memset(host(b, rd1), '.', 700);
	memset(host(b, rd2), '.', 900);
	add(b, 0, (const struct seg[]){{rh, HDR, true}, {rd1, 700, true}, {rd2, 900, true}}, 3);
	wr(a, 0x050, 1);
	assert_true(take_used(b, 0, &id, &len));
	assert_int_equal(len, HDR + 1514);
	assert_int_equal(host(b, rh)[10], 1);
	assert_memory_equal(host(b, rd1), f, 700);
	assert_memory_equal(host(b, rd2), f + 700, 814);
	assert_int_equal(*host(b, rd2 + 814), '.');
	assert_true(take_used(a, 1, &id, &len));
}

static void test_unicast_goes_to_the_port_with_the_address_alone(void **state)
{
	uint8_t f[100], mac_a[6], mac_b[6];
	uint64_t rb = post_rx(b, 1526);

	mac_of(a, mac_a);
	mac_of(b, mac_b);
	post_rx(c, 1526);
	frame_from(a, f, mac_b, sizeof(f), 3); /* Before B has sent anything. */
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	assert_false(has_rx(c));

	post_rx(a, 1526);
	frame_from(b, f, mac_a, sizeof(f), 4);
	send(b, f, sizeof(f));
	assert_false(has_rx(c));
	assert_true(has_rx(a));
	assert_int_equal(sw.unicast, 2);
	assert_int_equal(sw.flooded, 0);
}

/* A guest sending from another port's address takes nothing of its frames. */
static void test_a_spoofed_source_is_not_sent_and_steals_nothing(void **state)
{
	uint8_t f[80], mac_b[6], mac_c[6];
	uint64_t rb = post_rx(b, 1526);

	mac_of(b, mac_b);
	mac_of(c, mac_c);
	post_rx(a, 1526);
	frame(f, mac_c, mac_b, sizeof(f), 30); /* A, as B, to C. */
	send(a, f, sizeof(f));
	assert_int_equal(a->net.counts.tx_spoofed, 1);
	assert_int_equal(a->net.counts.tx_frames, 0);
	assert_false(has_rx(c));
	frame_from(c, f, mac_b, sizeof(f), 31); /* C to B: B gets it, A does not. */
	send(c, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	assert_false(has_rx(a));
}

/* Made-up sources, as many as a table would hold, make nothing flood. */
static void test_made_up_sources_make_no_unicast_flood(void **state)
{
	uint8_t f[60], mac_b[6], made_up[6] = {0x02, 0, 0, 0, 0, 0};
	uint64_t rb;

	mac_of(b, mac_b);
	for (unsigned i = 0; i < 100; i++) {
		made_up[5] = (uint8_t)i;
		frame(f, broadcast, made_up, sizeof(f), 32);
		send(a, f, sizeof(f));
	}
	assert_int_equal(a->net.counts.tx_spoofed, 100);
	assert_false(has_rx(b));
	rb = post_rx(b, 1526);
	post_rx(a, 1526);
	frame_from(c, f, mac_b, sizeof(f), 33);
	send(c, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	assert_false(has_rx(a));
}

/*
 * A guest that keeps its transmitq full holds the server for one queue's
 * worth of chains a turn; the rest go in the next turn.
 */
static void test_a_transmit_turn_takes_at_most_a_queue_of_chains(void **state)
{
	uint8_t f[60];
	uint32_t id, len;
	unsigned done = 0;

	frame_from(a, f, broadcast, sizeof(f), 34);
	for (unsigned i = 0; i < QNUM; i++)
		queue_tx(a, f, sizeof(f));
	wr(a, 0x050, 1);
	while (take_used(a, 1, &id, &len))
		done++;
	assert_int_equal(done, QNUM);
	assert_true(a->net.is_tx_more);
	/* More offered meanwhile: this turn is over; the next takes them. */
	for (unsigned i = 0; i < 3; i++)
		queue_tx(a, f, sizeof(f));
	assert_false(take_used(a, 1, &id, &len));
	virtio_net_transmit_more(&a->net);
	while (take_used(a, 1, &id, &len))
		done++;
	assert_int_equal(done, QNUM + 3);
	assert_false(a->net.is_tx_more);
	assert_int_equal(a->net.counts.tx_frames, QNUM + 3);
}

static void test_broadcast_and_multicast_go_to_every_other_port_not_back(void **state)
{
	const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	uint8_t f[60];
	uint64_t rb, rc;

	post_rx(a, 1526);
	rb = post_rx(b, 1526);
	rc = post_rx(c, 1526);
	frame_from(a, f, broadcast, sizeof(f), 6);
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	expect_rx(c, rc, f, sizeof(f));
	assert_false(has_rx(a));

	rb = post_rx(b, 1526);
	rc = post_rx(c, 1526);
	frame_from(a, f, multicast, sizeof(f), 7);
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	expect_rx(c, rc, f, sizeof(f));
	assert_false(has_rx(a));
	assert_int_equal(sw.flooded, 2);
}

static void test_unicast_for_no_other_port_goes_nowhere(void **state)
{
	uint8_t f[60], mac_a[6], nobody[6] = {0x02, 0x6d, 0x69, 0x63, 0x7f, 0x7f};

	mac_of(a, mac_a);
	post_rx(a, 1526);
	post_rx(b, 1526);
	post_rx(c, 1526);
	frame_from(a, f, mac_a, sizeof(f), 9); /* To itself. */
	send(a, f, sizeof(f));
	frame_from(a, f, nobody, sizeof(f), 10);
	send(a, f, sizeof(f));
	assert_int_equal(sw.unknown, 2);
	assert_false(has_rx(a));
	assert_false(has_rx(b));
	assert_false(has_rx(c));
}

static void test_no_receive_buffer_drops_and_counts_and_delivery_resumes(void **state)
{
	uint8_t f[80], mac_b[6];
	uint64_t rx;

	mac_of(b, mac_b);
	frame_from(a, f, mac_b, sizeof(f), 10);
	send(a, f, sizeof(f)); /* The transmit completes all the same. */
	send(a, f, sizeof(f));
	assert_int_equal(b->net.counts.rx_no_buffer, 2);
	assert_int_equal(c->net.counts.rx_no_buffer, 0); /* Not for it: never offered to it. */
	assert_false(has_rx(b));
	assert_int_equal(b->rises, 0);

	rx = post_rx(b, 1526); /* Nothing waited for it: the frames are gone. */
	assert_false(has_rx(b));
	frame_from(a, f, mac_b, sizeof(f), 11);
	send(a, f, sizeof(f));
	expect_rx(b, rx, f, sizeof(f));
	assert_int_equal(b->net.counts.rx_no_buffer, 2);
	assert_int_equal(b->net.counts.rx_frames, 1);
}

static void test_a_port_without_a_driver_loses_its_frames(void **state)
{
	uint8_t f[60];
	uint64_t rb;

	start(a);
	start(b);
	rb = post_rx(b, 1526);
	frame_from(a, f, broadcast, sizeof(f), 12);
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	assert_int_equal(c->net.counts.rx_no_buffer, 1);
}

static void test_a_receive_chain_too_small_comes_back_empty(void **state)
{
	uint8_t f[200], mac_b[6];
	uint64_t small, big;
	uint32_t id, len;

	mac_of(b, mac_b);
	small = post_rx(b, HDR + 199); /* One byte short. */
	big = post_rx(b, 1526);
	frame_from(a, f, mac_b, sizeof(f), 13);
	send(a, f, sizeof(f));
	assert_true(take_used(b, 0, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_int_equal(*host(b, small), '.'); /* Not a byte written. */
	assert_int_equal(b->net.counts.rx_too_small, 1);
	assert_false(has_rx(b)); /* The frame did not go on to the next chain. */

	frame_from(a, f, mac_b, 60, 14);
	send(a, f, 60);
	expect_rx(b, big, f, 60);
}

static void test_a_frame_too_short_or_too_long_is_completed_and_goes_nowhere(void **state)
{
	uint8_t f[1515];
	uint64_t rb = post_rx(b, 1600);

	frame_from(a, f, broadcast, sizeof(f), 15);
	send(a, f, 13);
	send(a, f, 1515);
	send(a, f, 0); /* The header alone. */
	assert_int_equal(a->net.counts.tx_errors, 3);
	assert_int_equal(a->net.counts.tx_frames, 0);
	assert_false(has_rx(b));
	send(a, f, 1514);
	expect_rx(b, rb, f, 1514);
}

static void test_a_transmit_chain_outside_guest_ram_needs_reset_and_sends_nothing(void **state)
{
	uint32_t id, len;

	post_rx(b, 1526);
	add(a, 1, (const struct seg[]){{RAM_IPA + RAM_SIZE - 8, 100, false}}, 1);
	wr(a, 0x050, 1);
	assert_int_equal(rd(a, 0x070) & 0x40, 0x40);
	assert_int_equal(rd(a, 0x060), 2);
	assert_false(take_used(a, 1, &id, &len));
	assert_false(has_rx(b));
	/* Nothing more is served until the driver resets it. */
	wr(a, 0x050, 1);
	assert_int_equal(a->net.mmio.malformed, 1);
}

static void test_a_transmit_chain_that_loops_needs_reset_and_sends_nothing(void **state)
{
	uint64_t tx = alloc(a, 64);

	post_rx(b, 1526);
	put_desc(a, 1, 0, tx, 64, 1, 1);
	put_desc(a, 1, 1, tx, 64, 1, 0);
	kick_head(a, 1, 0);
	wr(a, 0x050, 1);
	assert_int_equal(rd(a, 0x070) & 0x40, 0x40);
	assert_false(has_rx(b));
	assert_int_equal(a->net.counts.tx_frames, 0);
}

static void test_a_broken_receive_chain_breaks_only_its_own_port(void **state)
{
	uint8_t f[60];
	uint64_t rc;

	add(b, 0, (const struct seg[]){{RAM_IPA - 4096, 1526, true}}, 1);
	rc = post_rx(c, 1526);
	frame_from(a, f, broadcast, sizeof(f), 16);
	send(a, f, sizeof(f));
	assert_int_equal(rd(b, 0x070) & 0x40, 0x40);
	assert_int_equal(b->net.counts.rx_no_buffer, 1);
	expect_rx(c, rc, f, sizeof(f));
	assert_int_equal(rd(a, 0x070) & 0x40, 0);
	assert_int_equal(rd(c, 0x070) & 0x40, 0);
}

/* A driver reset ends the turn in progress and keeps the port's address. */
static void test_a_driver_reset_keeps_the_port_on_the_switch(void **state)
{
	uint8_t f[60], mac_b[6];
	uint64_t rb;

	mac_of(b, mac_b);
	b->net.is_tx_more = true;
	start(b); /* Status 0, and the driver's initialisation again. */
	assert_false(b->net.is_tx_more);
	rb = post_rx(b, 1526);
	post_rx(c, 1526);
	frame_from(a, f, mac_b, sizeof(f), 18);
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	assert_false(has_rx(c));
}

/*
 * A VM's reset resets its port as a write of 0 to Status does
 * (VDEV_MSG_RESET): a frame sent to it then goes into no buffer its last
 * boot posted, in memory the new boot reloads.
 */
static void test_a_reset_port_writes_into_no_buffer_of_the_last_boot(void **state)
{
	uint8_t f[60], mac_b[6];
	uint64_t old = post_rx(b, 1526);

	mac_of(b, mac_b);
	wr(b, 0x070, 0); /* The reset, before the new boot's driver is there. */
	frame_from(a, f, mac_b, sizeof(f), 35);
	send(a, f, sizeof(f));
	assert_int_equal(*host(b, old), '.');
	assert_int_equal(*host(b, old + HDR + 13), '.');
	assert_int_equal(used_idx(b, 0), 0);
	assert_int_equal(b->net.counts.rx_no_buffer, 1);
}

static void test_a_detached_port_gets_nothing_and_sends_nothing(void **state)
{
	uint8_t f[60];
	uint64_t rb = post_rx(b, 1526);

	post_rx(a, 1526);
	post_rx(c, 1526);
	virtio_net_switch_detach(&sw, 2);
	frame_from(a, f, broadcast, sizeof(f), 19);
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	assert_false(has_rx(c));
	assert_int_equal(c->net.counts.rx_no_buffer, 0);
	frame_from(c, f, broadcast, sizeof(f), 20);
	send(c, f, sizeof(f)); /* Completed, and heard by no one. */
	assert_false(has_rx(a));
	assert_int_equal(c->net.counts.tx_frames, 0);
}

static void test_a_suppressed_interrupt_is_not_raised(void **state)
{
	uint8_t f[60];
	uint64_t rb = post_rx(b, 1526);

	put16(b, avail_ipa(0), 1); /* VIRTQ_AVAIL_F_NO_INTERRUPT on B's receiveq. */
	frame_from(a, f, broadcast, sizeof(f), 21);
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	assert_int_equal(rd(b, 0x060), 0);
	assert_int_equal(b->rises, 0);
}

/* Restarts. */

/*
 * The server crashes: a new instance has a new switch, and every pointer
 * in the ports (the state pages) is stale, so scribble on them first.
 */
static void crash(void)
{
	memset(&sw, 0xa5, sizeof(sw));
	for (unsigned i = 0; i < GUESTS; i++) {
		struct virtio_net *n = &guests[i].net;

		n->sw = (struct virtio_net_switch *)16;
		n->mmio.mem.host = (uint8_t *)16;
		n->mmio.irq.set = NULL;
		n->mmio.dev = (struct virtio_dev){.notify = NULL};
		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
			n->mmio.queues[q].desc = n->mmio.queues[q].avail = n->mmio.queues[q].used =
				(uint8_t *)16;
		guests[i].is_crash_on_line = false;
	}
	virtio_net_switch_init(&sw, NULL);
}

static void resume(struct guest *g)
{
	const struct guest_mem mem = mem_of(g);
	const struct virtio_irq irq = irq_of(g);

	virtio_net_resume(&g->net, &sw, &mem, &irq);
}

/* The new instance resumes every port, in order, then starts the switch. */
static void restart(void)
{
	crash();
	for (unsigned i = 0; i < GUESTS; i++)
		resume(&guests[i]);
	virtio_net_switch_start(&sw);
}

/* g notifies its transmitq; true if the server crashed while serving it. */
static bool notify_crashes(struct guest *g)
{
	if (setjmp(crash_point) != 0)
		return true;
	wr(g, 0x050, 1);
	return false;
}

static void test_resume_keeps_the_transport_and_the_mac_and_switches_on(void **state)
{
	uint8_t f[60], mac_b[6];
	uint64_t rb;

	mac_of(b, mac_b);
	restart();
	for (unsigned i = 0; i < GUESTS; i++) {
		assert_int_equal(rd(&guests[i], 0x070), 15);
		wr(&guests[i], 0x030, 1);
		assert_int_equal(rd(&guests[i], 0x044), 1);
	}
	assert_int_equal(rd(b, 0x100), 0x63696d02);
	rb = post_rx(b, 1526);
	frame_from(a, f, mac_b, sizeof(f), 30);
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
}

static void test_resume_waits_for_every_port_before_sending(void **state)
{
	uint8_t f[100], mac_b[6];
	uint64_t rb;

	mac_of(b, mac_b);
	rb = post_rx(b, 1526);
	frame_from(a, f, mac_b, sizeof(f), 31);
	queue_tx(a, f, sizeof(f)); /* Its notify never arrived, or arrived and was lost. */
	crash();
	resume(a); /* A's transmit is redone: it waits, as B is not back yet. */
	assert_int_equal(used_idx(a, 1), 0);
	resume(b);
	resume(c);
	assert_false(has_rx(b));
	virtio_net_switch_start(&sw);
	expect_rx(b, rb, f, sizeof(f));
	assert_int_equal(used_idx(a, 1), 1);
	assert_false(has_rx(b));
}

static void test_a_crash_mid_flood_completes_the_chain_once_and_sends_nothing_twice(void **state)
{
	uint8_t f[64];
	uint64_t rb = post_rx(b, 1526), rc = post_rx(c, 1526), rb2, rc2;
	uint32_t id, len;
	uint16_t head;

	frame_from(a, f, broadcast, sizeof(f), 32);
	head = queue_tx(a, f, sizeof(f));
	b->is_crash_on_line = true; /* B got its copy; C has not, and A's chain is not complete. */
	assert_true(notify_crashes(a));
	assert_int_equal(used_idx(a, 1), 0);
	assert_true(a->net.tx_flight.is_set);
	restart();
	assert_true(take_used(a, 1, &id, &len));
	assert_int_equal(id, head);
	assert_false(take_used(a, 1, &id, &len));
	expect_rx(b, rb, f, sizeof(f));
	assert_false(has_rx(b));
	assert_false(has_rx(c)); /* C's copy is lost: at most once, not at least. */
	assert_false(a->net.tx_flight.is_set);

	rb2 = post_rx(b, 1526);
	rc2 = post_rx(c, 1526);
	frame_from(a, f, broadcast, sizeof(f), 33);
	send(a, f, sizeof(f));
	expect_rx(b, rb2, f, sizeof(f));
	expect_rx(c, rc, f, sizeof(f)); /* C's first chain, which the lost copy never took. */
	assert_false(has_rx(c));
	(void)rc2;
}

static void test_a_crash_after_completing_the_chain_does_not_send_it_again(void **state)
{
	uint8_t f[64], mac_b[6];
	uint64_t rb = post_rx(b, 1526);
	uint32_t id, len;

	mac_of(b, mac_b);
	post_rx(b, 1526);
	frame_from(a, f, mac_b, sizeof(f), 34);
	queue_tx(a, f, sizeof(f));
	a->is_crash_on_line = true; /* A's chain was published; its record not yet cleared. */
	assert_true(notify_crashes(a));
	assert_true(a->net.tx_flight.is_set);
	restart();
	assert_false(a->net.tx_flight.is_set);
	assert_int_equal(used_idx(a, 1), 1);
	assert_true(take_used(a, 1, &id, &len));
	assert_false(take_used(a, 1, &id, &len));
	expect_rx(b, rb, f, sizeof(f));
	assert_false(has_rx(b));
}

static void test_a_chain_recorded_but_not_sent_is_completed_and_lost(void **state)
{
	uint8_t f[64], mac_b[6];
	uint32_t id, len;
	uint16_t head;

	mac_of(b, mac_b);
	post_rx(b, 1526);
	frame_from(a, f, mac_b, sizeof(f), 35);
	head = queue_tx(a, f, sizeof(f));
	/* As a crash right after recording the chain leaves it: taken, nothing sent or stored. */
	a->net.mmio.queues[1].last_avail = 1;
	a->net.tx_flight = (struct virtio_net_flight){.is_set = true, .used_idx = 1};
	restart();
	assert_true(take_used(a, 1, &id, &len));
	assert_int_equal(id, head);
	assert_false(take_used(a, 1, &id, &len));
	assert_false(has_rx(b));
	assert_int_equal(b->net.counts.rx_frames, 0);
}

static void test_a_receive_chain_taken_but_not_completed_is_taken_again(void **state)
{
	uint8_t f[64], g2[80], mac_b[6];
	uint64_t rb = post_rx(b, 1526);
	uint32_t id, len;
	uint16_t head;

	mac_of(b, mac_b);
	frame_from(a, f, mac_b, sizeof(f), 36);
	head = queue_tx(a, f, sizeof(f));
	wr(a, 0x050, 1);
	/*
	 * As a crash in B's delivery, after the frame was copied and before
	 * the used idx was stored, leaves it: neither A's chain nor B's is
	 * complete, and A's is recorded as being sent.
	 */
	put16(b, used_ipa(0) + 2, 0);
	put16(a, used_ipa(1) + 2, 0);
	a->net.tx_flight = (struct virtio_net_flight){.is_set = true, .used_idx = 1};
	memset(host(b, rb), '.', 1526);
	restart();
	assert_true(take_used(a, 1, &id, &len));
	assert_int_equal(id, head);
	assert_false(take_used(a, 1, &id, &len));
	assert_false(has_rx(b)); /* Lost, not sent again. */
	frame_from(a, g2, mac_b, sizeof(g2), 37);
	send(a, g2, sizeof(g2));
	expect_rx(b, rb, g2, sizeof(g2)); /* The same chain, completed once. */
	assert_false(has_rx(b));
}

static void test_resume_across_wrapped_indices(void **state)
{
	uint8_t f[64], mac_b[6];
	uint64_t rb[2];
	uint32_t id, len;
	uint16_t head[2];

	mac_of(b, mac_b);
	/* A's transmitq and B's receiveq one short of wrapping. */
	a->avail_idx[1] = a->used_seen[1] = 65535;
	put16(a, avail_ipa(1) + 2, 65535);
	put16(a, used_ipa(1) + 2, 65535);
	a->net.mmio.queues[1].last_avail = a->net.mmio.queues[1].used_idx = 65535;
	b->avail_idx[0] = b->used_seen[0] = 65535;
	put16(b, avail_ipa(0) + 2, 65535);
	put16(b, used_ipa(0) + 2, 65535);
	b->net.mmio.queues[0].last_avail = b->net.mmio.queues[0].used_idx = 65535;
	rb[0] = post_rx(b, 1526);
	rb[1] = post_rx(b, 1526);
	frame_from(a, f, mac_b, sizeof(f), 38);
	head[0] = queue_tx(a, f, sizeof(f));
	head[1] = queue_tx(a, f, sizeof(f));
	b->is_crash_on_line = true; /* In the first frame's delivery, at B's used idx 0. */
	assert_true(notify_crashes(a));
	restart();
	for (unsigned i = 0; i < 2; i++) {
		assert_true(take_used(a, 1, &id, &len));
		assert_int_equal(id, head[i]);
	}
	assert_false(take_used(a, 1, &id, &len));
	assert_int_equal(used_idx(a, 1), 1);
	expect_rx(b, rb[0], f, sizeof(f));
	expect_rx(b, rb[1], f, sizeof(f)); /* The second frame, sent after the restart. */
	assert_int_equal(used_idx(b, 0), 1);
}

#define T(f)	   cmocka_unit_test_setup(f, setup)
#define RUNNING(f) cmocka_unit_test_setup(f, setup_running)
#define UPLINK(f)  cmocka_unit_test_setup(f, setup_uplink)

/* --- The uplink: a network driver's queue region ------------------------------------------- */

static _Alignas(4096) uint8_t uplink_region[NETQ_REGION_SIZE];
static struct virtio_net_uplink up;
static unsigned uplink_signals;

static void count_uplink_signal(void *ctx)
{
	uplink_signals++;
}

static struct netq_ring *tx_ring(void)
{
	return (struct netq_ring *)(uplink_region + NETQ_TX_RING);
}

static struct netq_ring *rx_ring(void)
{
	return (struct netq_ring *)(uplink_region + NETQ_RX_RING);
}

/* The switch's way out as a server makes it, on the queue region as it is. */
static void fresh_uplink(void)
{
	up = (struct virtio_net_uplink){.tx = tx_ring(),
					.rx = rx_ring(),
					.tx_data = uplink_region + NETQ_TX_DATA,
					.rx_data = uplink_region + NETQ_RX_DATA,
					.signal = count_uplink_signal};
}

/* setup_running with the switch's way out: an empty queue region. */
static int setup_uplink(void **state)
{
	memset(uplink_region, 0, sizeof(uplink_region));
	fresh_uplink();
	uplink_signals = 0;
	setup_running(state);
	sw.uplink = &up;
	return 0;
}

/* Entry n of ring r's frame. */
static uint8_t *entry(const struct netq_ring *r, uint32_t n)
{
	uint64_t data = r == tx_ring() ? NETQ_TX_DATA : NETQ_RX_DATA;

	return uplink_region + data + (uint64_t)(n % NETQ_SLOTS) * NETQ_BUF_SIZE;
}

/* The driver's side: a frame from the outside put on the rx ring. */
static void put_from_outside(const uint8_t *f, uint16_t len)
{
	struct netq_ring *r = rx_ring();

	memcpy(entry(r, r->head), f, len);
	r->len[r->head % NETQ_SLOTS] = len;
	r->head++;
}

static void test_uplink_takes_unicast_for_no_port_and_every_broadcast(void **state)
{
	const uint8_t outside[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
	uint8_t f[100], g[60];
	uint64_t rb = post_rx(b, 1526);

	frame_from(a, f, outside, sizeof(f), 3);
	send(a, f, sizeof(f));
	assert_int_equal(tx_ring()->head, 1);
	assert_int_equal(tx_ring()->len[0], sizeof(f));
	assert_memory_equal(entry(tx_ring(), 0), f, sizeof(f));
	assert_int_equal(uplink_signals, 1);
	assert_false(has_rx(b));
	assert_int_equal(sw.unknown, 0);

	frame_from(a, g, broadcast, sizeof(g), 4);
	send(a, g, sizeof(g));
	expect_rx(b, rb, g, sizeof(g));
	assert_int_equal(tx_ring()->head, 2);
	assert_memory_equal(entry(tx_ring(), 1), g, sizeof(g));
	assert_int_equal(up.tx_frames, 2);
	assert_int_equal(uplink_signals, 2);
}

static void test_uplink_gets_no_frame_for_a_port(void **state)
{
	uint8_t f[60], mac_b[6];
	uint64_t rb = post_rx(b, 1526);

	mac_of(b, mac_b);
	frame_from(a, f, mac_b, sizeof(f), 5);
	send(a, f, sizeof(f));
	expect_rx(b, rb, f, sizeof(f));
	assert_int_equal(tx_ring()->head, 0);
	assert_int_equal(uplink_signals, 0);
}

static void test_a_full_tx_ring_loses_the_frame_and_overwrites_nothing(void **state)
{
	const uint8_t outside[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
	uint8_t f[60];

	tx_ring()->head = NETQ_SLOTS; /* The driver has taken none. */
	memset(entry(tx_ring(), 0), 0x5a, 64);
	frame_from(a, f, outside, sizeof(f), 6);
	send(a, f, sizeof(f));
	assert_int_equal(tx_ring()->head, NETQ_SLOTS);
	assert_int_equal(up.tx_full, 1);
	assert_int_equal(*entry(tx_ring(), 0), 0x5a);
	/* Room again: it goes. */
	tx_ring()->tail = 1;
	send(a, f, sizeof(f));
	assert_int_equal(tx_ring()->head, NETQ_SLOTS + 1);
	assert_memory_equal(entry(tx_ring(), NETQ_SLOTS), f, sizeof(f));
}

static void test_frames_from_outside_go_to_their_port_or_every_port(void **state)
{
	const uint8_t outside[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
	uint8_t to_c[6], f[80], g[70];
	uint64_t rc, ra, rb;

	mac_of(c, to_c);
	rc = post_rx(c, 1526);
	rb = post_rx(b, 1526);
	frame(f, to_c, outside, sizeof(f), 11);
	put_from_outside(f, sizeof(f));
	virtio_net_uplink_receive(&sw);
	expect_rx(c, rc, f, sizeof(f));
	assert_false(has_rx(b));
	assert_int_equal(rx_ring()->tail, 1);

	ra = post_rx(a, 1526);
	rc = post_rx(c, 1526);
	frame(g, broadcast, outside, sizeof(g), 12);
	put_from_outside(g, sizeof(g));
	virtio_net_uplink_receive(&sw);
	expect_rx(a, ra, g, sizeof(g));
	expect_rx(b, rb, g, sizeof(g));
	expect_rx(c, rc, g, sizeof(g));
	/* A frame from the outside never goes back out. */
	assert_int_equal(tx_ring()->head, 0);
	assert_int_equal(up.rx_frames, 2);
}

static void test_bad_lengths_and_a_broken_head_from_outside_are_dropped(void **state)
{
	const uint8_t outside[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
	uint8_t f[NETQ_FRAME_MAX + 1];

	post_rx(a, 1526);
	frame(f, broadcast, outside, sizeof(f), 13);
	put_from_outside(f, 13);
	put_from_outside(f, NETQ_FRAME_MAX + 1);
	virtio_net_uplink_receive(&sw);
	assert_int_equal(up.rx_errors, 2);
	assert_int_equal(rx_ring()->tail, 2);
	assert_false(has_rx(a));

	rx_ring()->head = rx_ring()->tail + NETQ_SLOTS + 1; /* Past anything the ring holds. */
	virtio_net_uplink_receive(&sw);
	assert_int_equal(up.rx_broken, 1);
	assert_int_equal(rx_ring()->tail, 2);
	assert_false(has_rx(a));
}

static void test_taking_from_a_full_rx_ring_signals_the_driver(void **state)
{
	const uint8_t outside[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
	uint8_t f[60];

	frame(f, broadcast, outside, sizeof(f), 14);
	for (unsigned i = 0; i < NETQ_SLOTS; i++)
		put_from_outside(f, sizeof(f));
	virtio_net_uplink_receive(&sw);
	assert_int_equal(rx_ring()->tail, NETQ_SLOTS);
	assert_int_equal(uplink_signals, 1);
	/* From a ring that was not full, no signal. */
	put_from_outside(f, sizeof(f));
	virtio_net_uplink_receive(&sw);
	assert_int_equal(uplink_signals, 1);
}

static void test_frames_from_outside_wait_for_the_switch_to_start(void **state)
{
	const uint8_t outside[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
	uint8_t f[60];
	uint64_t ra;

	sw.is_started = false;
	ra = post_rx(a, 1526);
	frame(f, broadcast, outside, sizeof(f), 15);
	put_from_outside(f, sizeof(f));
	virtio_net_uplink_receive(&sw);
	assert_int_equal(rx_ring()->tail, 0);
	assert_false(has_rx(a));
	virtio_net_switch_start(&sw);
	expect_rx(a, ra, f, sizeof(f));
	assert_int_equal(rx_ring()->tail, 1);
}

static const uint8_t outside_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

/* The server crashes; a new instance, with a new switch and way out, resumes every port. */
static void restart_uplink(void)
{
	crash();
	fresh_uplink();
	virtio_net_switch_init(&sw, &up);
	for (unsigned i = 0; i < GUESTS; i++)
		resume(&guests[i]);
	virtio_net_switch_start(&sw);
}

/* g sends count frames of 60 bytes to the outside, each its own turn. */
static void flood_out(struct guest *g, unsigned count)
{
	uint8_t f[60];

	frame_from(g, f, outside_mac, sizeof(f), 40);
	for (unsigned i = 0; i < count; i++)
		send(g, f, sizeof(f));
}

static void test_a_guest_flooding_the_way_out_leaves_the_others_their_share(void **state)
{
	const uint32_t share = NETQ_SLOTS / GUESTS;
	uint8_t f[70];

	/* The driver takes nothing: A fills its share, and no more. */
	flood_out(a, NETQ_SLOTS + 10);
	assert_int_equal(tx_ring()->head, share);
	assert_int_equal(up.tx_over_share, NETQ_SLOTS + 10 - share);
	assert_int_equal(up.tx_full, 0);

	/* B's frame still goes out. */
	frame_from(b, f, outside_mac, sizeof(f), 41);
	send(b, f, sizeof(f));
	assert_int_equal(tx_ring()->head, share + 1);
	assert_int_equal(tx_ring()->len[share], sizeof(f));
	assert_memory_equal(entry(tx_ring(), share), f, sizeof(f));

	/* The driver takes ten of A's: A has ten more. */
	tx_ring()->tail = 10;
	flood_out(a, 20);
	assert_int_equal(tx_ring()->head, share + 11);
	assert_int_equal(up.tx_held[0], share);
	assert_int_equal(up.tx_held[1], 1);

	/* A alone on the switch has the whole ring. */
	virtio_net_switch_detach(&sw, 1);
	virtio_net_switch_detach(&sw, 2);
	tx_ring()->tail = tx_ring()->head;
	flood_out(a, NETQ_SLOTS + 1);
	assert_int_equal(tx_ring()->head - tx_ring()->tail, NETQ_SLOTS);
	assert_int_equal(up.tx_full, 1);
}

static void test_a_restarted_switch_signals_the_driver_and_owns_nothing_it_finds(void **state)
{
	const uint32_t share = NETQ_SLOTS / GUESTS;

	/* A last instance put a's share and crashed before it signalled. */
	flood_out(a, share);
	uplink_signals = 0;
	restart_uplink();
	assert_int_equal(uplink_signals, 1);

	/* What it found is nobody's: a has its whole share again, and the driver takes the rest. */
	flood_out(a, share);
	assert_int_equal(tx_ring()->head, 2 * share);
	assert_int_equal(up.tx_over_share, 0);
	tx_ring()->tail = share + 1;
	flood_out(a, 2);
	assert_int_equal(tx_ring()->head, 2 * share + 1);
	assert_int_equal(up.tx_over_share, 1);
}

static void test_a_frame_from_outside_crashed_on_is_the_only_one_sent_again(void **state)
{
	uint8_t to_b[6], to_c[6], f[80], g[90];
	uint64_t rb, rc, rc2;

	mac_of(b, to_b);
	mac_of(c, to_c);
	rb = post_rx(b, 1526);
	(void)post_rx(b, 1526); /* Where a copy sent again would go. */
	rc = post_rx(c, 1526);
	rc2 = post_rx(c, 1526);
	frame(f, to_b, outside_mac, sizeof(f), 42);
	frame(g, to_c, outside_mac, sizeof(g), 43);
	put_from_outside(f, sizeof(f));
	put_from_outside(g, sizeof(g));
	c->is_crash_on_line = true; /* C got the second frame, then the crash. */
	if (setjmp(crash_point) == 0) {
		virtio_net_uplink_receive(&sw);
		fail_msg("no crash");
	}
	assert_int_equal(rx_ring()->tail, 1);
	restart_uplink();
	assert_int_equal(rx_ring()->tail, 2);
	expect_rx(b, rb, f, sizeof(f));
	assert_false(has_rx(b)); /* Sent once. */
	expect_rx(c, rc, g, sizeof(g));
	expect_rx(c, rc2, g, sizeof(g)); /* The one crashed on, sent again. */
}

static void test_unicast_from_outside_for_no_port_or_to_itself_goes_nowhere(void **state)
{
	const uint8_t nobody[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x09};
	uint8_t f[60], own[6];
	uint64_t ra = post_rx(a, 1526);

	frame(f, nobody, outside_mac, sizeof(f), 44);
	put_from_outside(f, sizeof(f));
	virtio_net_uplink_receive(&sw);
	assert_int_equal(rx_ring()->tail, 1);
	assert_int_equal(tx_ring()->head, 0); /* Not back out. */
	assert_int_equal(sw.unknown, 1);
	assert_false(has_rx(a));

	/* A frame a guest sends to its own address goes neither out nor back. */
	mac_of(a, own);
	frame_from(a, f, own, sizeof(f), 45);
	send(a, f, sizeof(f));
	assert_int_equal(tx_ring()->head, 0);
	assert_int_equal(sw.unknown, 2);
	assert_false(has_rx(a));
	(void)ra;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_net_offers_version_1_mac_status_and_mtu),
		T(test_config_holds_the_mac_the_link_up_and_the_mtu),
		T(test_mac_is_locally_administered_from_the_vm_and_the_port),
		T(test_features_are_negotiated_as_offered),
		RUNNING(test_a_frame_from_a_reaches_b_byte_for_byte_with_a_clean_header),
		RUNNING(test_layout_across_descriptors_does_not_matter),
		RUNNING(test_unicast_goes_to_the_port_with_the_address_alone),
		RUNNING(test_a_spoofed_source_is_not_sent_and_steals_nothing),
		RUNNING(test_made_up_sources_make_no_unicast_flood),
		RUNNING(test_a_transmit_turn_takes_at_most_a_queue_of_chains),
		RUNNING(test_broadcast_and_multicast_go_to_every_other_port_not_back),
		RUNNING(test_unicast_for_no_other_port_goes_nowhere),
		UPLINK(test_uplink_takes_unicast_for_no_port_and_every_broadcast),
		UPLINK(test_uplink_gets_no_frame_for_a_port),
		UPLINK(test_a_full_tx_ring_loses_the_frame_and_overwrites_nothing),
		UPLINK(test_frames_from_outside_go_to_their_port_or_every_port),
		UPLINK(test_bad_lengths_and_a_broken_head_from_outside_are_dropped),
		UPLINK(test_taking_from_a_full_rx_ring_signals_the_driver),
		UPLINK(test_frames_from_outside_wait_for_the_switch_to_start),
		UPLINK(test_a_guest_flooding_the_way_out_leaves_the_others_their_share),
		UPLINK(test_a_restarted_switch_signals_the_driver_and_owns_nothing_it_finds),
		UPLINK(test_a_frame_from_outside_crashed_on_is_the_only_one_sent_again),
		UPLINK(test_unicast_from_outside_for_no_port_or_to_itself_goes_nowhere),
		RUNNING(test_no_receive_buffer_drops_and_counts_and_delivery_resumes),
		T(test_a_port_without_a_driver_loses_its_frames),
		RUNNING(test_a_receive_chain_too_small_comes_back_empty),
		RUNNING(test_a_frame_too_short_or_too_long_is_completed_and_goes_nowhere),
		RUNNING(test_a_transmit_chain_outside_guest_ram_needs_reset_and_sends_nothing),
		RUNNING(test_a_transmit_chain_that_loops_needs_reset_and_sends_nothing),
		RUNNING(test_a_broken_receive_chain_breaks_only_its_own_port),
		RUNNING(test_a_driver_reset_keeps_the_port_on_the_switch),
		RUNNING(test_a_reset_port_writes_into_no_buffer_of_the_last_boot),
		RUNNING(test_a_detached_port_gets_nothing_and_sends_nothing),
		RUNNING(test_a_suppressed_interrupt_is_not_raised),
		RUNNING(test_resume_keeps_the_transport_and_the_mac_and_switches_on),
		RUNNING(test_resume_waits_for_every_port_before_sending),
		RUNNING(test_a_crash_mid_flood_completes_the_chain_once_and_sends_nothing_twice),
		RUNNING(test_a_crash_after_completing_the_chain_does_not_send_it_again),
		RUNNING(test_a_chain_recorded_but_not_sent_is_completed_and_lost),
		RUNNING(test_a_receive_chain_taken_but_not_completed_is_taken_again),
		RUNNING(test_resume_across_wrapped_indices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
