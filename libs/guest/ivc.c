/*
 * Channels for bare-metal guests (see <mica/guest/ivc.h>): a walk of the
 * flattened device tree's structure block (Devicetree Specification,
 * chapter 5), and the doorbell hypercall.
 */
#include <mica/abi/hypercall.h>
#include <mica/guest/ivc.h>

#include <stddef.h>

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static bool same(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* The length of the string at s, which must end before end; -1 if it does not. */
static long bounded_length(const uint8_t *s, const uint8_t *end)
{
	for (const uint8_t *p = s; p < end; p++)
		if (*p == '\0')
			return p - s;
	return -1;
}

/* A property value that is one or more whole strings. */
static bool is_strings(const uint8_t *v, uint32_t len)
{
	return len > 0 && v[len - 1] == '\0';
}

/*
 * What the properties of one node say, as the walk meets them, written
 * straight into the channel it may be (no structure is copied: the library
 * needs no memcpy or memset).
 */
struct node {
	struct ivc_channel *c;
	unsigned doorbell_count;
	bool is_ivc, has_reg, has_irq, is_whole;
};

static void start(struct node *n, struct ivc_channel *c)
{
	n->c = c;
	n->doorbell_count = 0;
	n->is_ivc = n->has_reg = n->has_irq = false;
	n->is_whole = true;
	c->name = "";
	c->base = c->size = 0;
	c->intid = c->peer_count = 0;
	for (unsigned i = 0; i < IVC_PEERS_MAX; i++) {
		c->peers[i] = "";
		c->doorbells[i] = 0;
	}
	c->is_read_only = false;
}

static void take(struct node *n, const char *name, const uint8_t *v, uint32_t len)
{
	struct ivc_channel *c = n->c;

	if (same(name, "compatible")) {
		n->is_ivc = is_strings(v, len) && same((const char *)v, "mica,ivc");
	} else if (same(name, "reg") && len == 16) {
		c->base = be64(v);
		c->size = be64(v + 8);
		n->has_reg = true;
	} else if (same(name, "interrupts") && len == 12 && be32(v) == 0) {
		c->intid = be32(v + 4) + 32; /* An SPI: its number from 32. */
		n->has_irq = true;
	} else if (same(name, "mica,channel") && is_strings(v, len)) {
		c->name = (const char *)v;
	} else if (same(name, "mica,peers")) {
		n->is_whole &= is_strings(v, len);
		for (uint32_t at = 0; n->is_whole && at < len;
		     at += (uint32_t)bounded_length(v + at, v + len) + 1) {
			if (c->peer_count == IVC_PEERS_MAX) {
				n->is_whole = false;
				break;
			}
			c->peers[c->peer_count++] = (const char *)v + at;
		}
	} else if (same(name, "mica,doorbells")) {
		n->doorbell_count = len / 4;
		for (uint32_t i = 0; i < len / 4 && i < IVC_PEERS_MAX; i++)
			c->doorbells[i] = be32(v + (size_t)4 * i);
	} else if (same(name, "mica,read-only")) {
		c->is_read_only = true;
	}
}

/*
 * The header's blocks must lie within totalsize (Devicetree Specification
 * 5.2); the walk then reads nothing past the structure block, and takes a
 * property's name only from within the strings block.
 */
unsigned ivc_find(const void *fdt, struct ivc_channel *out, unsigned max)
{
	const uint8_t *base = fdt;
	const uint8_t *p, *end, *strings, *strings_end;
	unsigned depth = 0, count = 0;
	struct ivc_channel spare; /* Where a node goes once out is full. */
	struct node n;
	uint64_t total;

	if (fdt == NULL || be32(base) != FDT_MAGIC)
		return 0;
	total = be32(base + 4);
	if (total < 40 || (uint64_t)be32(base + 8) + be32(base + 36) > total ||
	    (uint64_t)be32(base + 12) + be32(base + 32) > total)
		return 0;
	p = base + be32(base + 8);
	end = p + be32(base + 36);
	strings = base + be32(base + 12);
	strings_end = strings + be32(base + 32);
	start(&n, &spare);
	while (end - p >= 4) {
		uint32_t token = be32(p), len, name;
		long name_len;

		p += 4;
		if (token == FDT_BEGIN_NODE) {
			name_len = bounded_length(p, end);
			if (name_len < 0)
				break;
			if (++depth == 2)
				start(&n, count < max ? &out[count] : &spare);
			p += ((size_t)name_len + 4) & ~(size_t)3;
		} else if (token == FDT_END_NODE) {
			if (depth-- == 2 && n.is_ivc && n.has_reg && n.has_irq && n.is_whole &&
			    n.doorbell_count == n.c->peer_count)
				count++;
		} else if (token == FDT_PROP) {
			if (end - p < 8)
				break;
			len = be32(p);
			name = be32(p + 4);
			if ((uint64_t)len > (uint64_t)(end - p) - 8)
				break;
			if (depth == 2 && name < (uint64_t)(strings_end - strings) &&
			    bounded_length(strings + name, strings_end) >= 0)
				take(&n, (const char *)strings + name, p + 8, len);
			else if (depth == 2)
				n.is_whole = false;
			p += 8 + (((size_t)len + 3) & ~(size_t)3);
		} else if (token != FDT_NOP) {
			break; /* FDT_END, or something this walk does not know. */
		}
	}
	return count;
}

const struct ivc_channel *ivc_by_name(const struct ivc_channel *found, unsigned count,
				      const char *name)
{
	for (unsigned i = 0; i < count; i++)
		if (same(found[i].name, name))
			return &found[i];
	return NULL;
}

#if defined(__aarch64__)
int64_t ivc_ring_doorbell(uint32_t n)
{
	register uint64_t x0 __asm__("x0") = MICA_HVC_RING_DOORBELL;
	register uint64_t x1 __asm__("x1") = n;

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1)::"x2", "x3", "x4", "x5", "x6", "x7", "memory");
	return (int64_t)x0;
}
#endif
