/*
 * Channels for bare-metal guests (see <mica/guest/ivc.h>): a walk of the
 * flattened device tree's structure block (Devicetree Specification,
 * chapter 5), the doorbell hypercall and those of dynamic channels.
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
 * A walk over the nodes at the root of a tree (depth 2; the root itself is
 * depth 1): each node's beginning, its properties and its end, and nothing
 * of the nodes below it. The header's blocks must lie within totalsize
 * (Devicetree Specification 5.2); the walk then reads nothing past the
 * structure block, and takes a property's name only from within the
 * strings block.
 */
struct walk {
	const uint8_t *p, *end, *strings, *strings_end;
	unsigned depth;
	const char *name; /* STEP_PROP: the property's name, value and length. */
	const uint8_t *value;
	uint32_t len;
};

enum step {
	STEP_NODE,     /* A node at the root begins. */
	STEP_PROP,     /* One of its properties (name, value, len). */
	STEP_BAD_PROP, /* One whose name does not lie within the strings block. */
	STEP_NODE_END, /* The node ends. */
	STEP_DONE,     /* The structure block ends, is cut short, or has a token unknown here. */
};

static bool walk_open(struct walk *w, const void *fdt)
{
	const uint8_t *base = fdt;
	uint64_t total;

	if (fdt == NULL || be32(base) != FDT_MAGIC)
		return false;
	total = be32(base + 4);
	if (total < 40 || (uint64_t)be32(base + 8) + be32(base + 36) > total ||
	    (uint64_t)be32(base + 12) + be32(base + 32) > total)
		return false;
	w->p = base + be32(base + 8);
	w->end = w->p + be32(base + 36);
	w->strings = base + be32(base + 12);
	w->strings_end = w->strings + be32(base + 32);
	w->depth = 0;
	return true;
}

static enum step walk_next(struct walk *w)
{
	while (w->end - w->p >= 4) {
		uint32_t token = be32(w->p), len, name;
		long name_len;

		w->p += 4;
		if (token == FDT_BEGIN_NODE) {
			name_len = bounded_length(w->p, w->end);
			if (name_len < 0)
				break;
			w->p += ((size_t)name_len + 4) & ~(size_t)3;
			if (++w->depth == 2)
				return STEP_NODE;
		} else if (token == FDT_END_NODE) {
			if (w->depth-- == 2)
				return STEP_NODE_END;
		} else if (token == FDT_PROP) {
			if (w->end - w->p < 8)
				break;
			len = be32(w->p);
			name = be32(w->p + 4);
			if ((uint64_t)len > (uint64_t)(w->end - w->p) - 8)
				break;
			w->value = w->p + 8;
			w->len = len;
			w->p += 8 + (((size_t)len + 3) & ~(size_t)3);
			if (w->depth != 2)
				continue;
			if (name >= (uint64_t)(w->strings_end - w->strings) ||
			    bounded_length(w->strings + name, w->strings_end) < 0)
				return STEP_BAD_PROP;
			w->name = (const char *)w->strings + name;
			return STEP_PROP;
		} else if (token != FDT_NOP) {
			break; /* FDT_END, or something this walk does not know. */
		}
	}
	w->p = w->end;
	return STEP_DONE;
}

/*
 * The strings of a mica,peers value into peers (at most max), their
 * number into *count: false if the value is not whole strings or has more.
 */
static bool take_peers(const uint8_t *v, uint32_t len, const char **peers, unsigned max,
		       unsigned *count)
{
	if (!is_strings(v, len))
		return false;
	for (uint32_t at = 0; at < len; at += (uint32_t)bounded_length(v + at, v + len) + 1) {
		if (*count == max)
			return false;
		peers[(*count)++] = (const char *)v + at;
	}
	return true;
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
		n->is_whole &= take_peers(v, len, c->peers, IVC_PEERS_MAX, &c->peer_count);
	} else if (same(name, "mica,doorbells")) {
		n->doorbell_count = len / 4;
		for (uint32_t i = 0; i < len / 4 && i < IVC_PEERS_MAX; i++)
			c->doorbells[i] = be32(v + (size_t)4 * i);
	} else if (same(name, "mica,read-only")) {
		c->is_read_only = true;
	}
}

static bool is_channel(const struct node *n)
{
	return n->is_ivc && n->has_reg && n->has_irq && n->is_whole &&
	       n->doorbell_count == n->c->peer_count;
}

unsigned ivc_find(const void *fdt, struct ivc_channel *out, unsigned max)
{
	struct ivc_channel spare; /* Where a node goes once out is full. */
	unsigned count = 0;
	struct node n;
	struct walk w;

	if (!walk_open(&w, fdt))
		return 0;
	start(&n, &spare);
	for (;;) {
		switch (walk_next(&w)) {
		case STEP_NODE:
			start(&n, count < max ? &out[count] : &spare);
			break;
		case STEP_PROP:
			take(&n, w.name, w.value, w.len);
			break;
		case STEP_BAD_PROP:
			n.is_whole = false;
			break;
		case STEP_NODE_END:
			if (is_channel(&n))
				count++;
			break;
		case STEP_DONE:
			return count;
		}
	}
}

/* What the properties of a node that may be the dynamic policy say, as for a channel end. */
struct dynamic_node {
	struct ivc_dynamic *d;
	unsigned doorbell_count;
	bool is_dynamic, has_reg, has_irq, has_memory, is_whole;
};

static void dynamic_start(struct dynamic_node *n, struct ivc_dynamic *d)
{
	n->d = d;
	n->doorbell_count = 0;
	n->is_dynamic = n->has_reg = n->has_irq = n->has_memory = false;
	n->is_whole = true;
	d->base = d->size = d->memory = 0;
	d->intid = d->peer_count = 0;
	for (unsigned i = 0; i < IVC_DYNAMIC_PEERS_MAX; i++) {
		d->peers[i] = "";
		d->doorbells[i] = 0;
	}
}

/* An SPI's number in interrupts: 0 to 987, INTIDs 32 to 1019 (GICv3 2.2). */
#define SPI_NUMBER_MAX 987u

static void dynamic_take(struct dynamic_node *n, const char *name, const uint8_t *v, uint32_t len)
{
	struct ivc_dynamic *d = n->d;

	if (same(name, "compatible")) {
		n->is_dynamic = is_strings(v, len) && same((const char *)v, "mica,ivc-dynamic");
	} else if (same(name, "reg") && len == 16) {
		d->base = be64(v);
		d->size = be64(v + 8);
		n->has_reg = d->size != 0 && d->base + (d->size - 1) >= d->base;
	} else if (same(name, "interrupts") && len == 12 && be32(v) == 0 &&
		   be32(v + 4) <= SPI_NUMBER_MAX) {
		d->intid = be32(v + 4) + 32;
		n->has_irq = true;
	} else if (same(name, "mica,peers")) {
		n->is_whole &= take_peers(v, len, d->peers, IVC_DYNAMIC_PEERS_MAX, &d->peer_count);
	} else if (same(name, "mica,doorbells")) {
		n->is_whole &= len % 4 == 0;
		n->doorbell_count = len / 4;
		for (uint32_t i = 0; i < len / 4 && i < IVC_DYNAMIC_PEERS_MAX; i++)
			d->doorbells[i] = be32(v + (size_t)4 * i);
	} else if (same(name, "mica,memory") && len == 8) {
		d->memory = be64(v);
		n->has_memory = true;
	}
}

static bool is_dynamic(const struct dynamic_node *n)
{
	return n->is_dynamic && n->has_reg && n->has_irq && n->has_memory && n->is_whole &&
	       n->d->peer_count > 0 && n->doorbell_count == n->d->peer_count;
}

/* The walk stops at the first whole node, which a later one may not then overwrite. */
bool ivc_dynamic_find(const void *fdt, struct ivc_dynamic *out)
{
	struct dynamic_node n;
	struct walk w;

	dynamic_start(&n, out);
	if (!walk_open(&w, fdt))
		return false;
	for (;;) {
		switch (walk_next(&w)) {
		case STEP_NODE:
			dynamic_start(&n, out);
			break;
		case STEP_PROP:
			dynamic_take(&n, w.name, w.value, w.len);
			break;
		case STEP_BAD_PROP:
			n.is_whole = false;
			break;
		case STEP_NODE_END:
			if (is_dynamic(&n))
				return true;
			break;
		case STEP_DONE:
			dynamic_start(&n, out);
			return false;
		}
	}
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
/*
 * The hypercalls: HVC #0, the function ID in x0 and the arguments in
 * x1..x3, the status back in x0 and the results in x1..x3. The SMC Calling
 * Convention's first version leaves x4..x17 unknown after the call, so they
 * are given up too.
 */
#define HVC_CLOBBERS                                                                               \
	"x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",       \
		"x17", "memory"

int64_t ivc_ring_doorbell(uint32_t n)
{
	register uint64_t x0 __asm__("x0") = MICA_HVC_RING_DOORBELL;
	register uint64_t x1 __asm__("x1") = n;

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1)::"x2", "x3", "x4", "x5", "x6", "x7", "memory");
	return (int64_t)x0;
}

int64_t ivc_alloc(uint64_t size, uint64_t peer, uint64_t *addr, uint64_t *size_out)
{
	register uint64_t x0 __asm__("x0") = MICA_HVC_IVC_ALLOC;
	register uint64_t x1 __asm__("x1") = size;
	register uint64_t x2 __asm__("x2") = peer;
	register uint64_t x3 __asm__("x3") = 0;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::HVC_CLOBBERS);
	if ((int64_t)x0 == MICA_HVC_SUCCESS) {
		if (addr != NULL)
			*addr = x1;
		if (size_out != NULL)
			*size_out = x2;
	}
	return (int64_t)x0;
}

int64_t ivc_release(uint64_t addr, uint64_t size)
{
	register uint64_t x0 __asm__("x0") = MICA_HVC_IVC_RELEASE;
	register uint64_t x1 __asm__("x1") = addr;
	register uint64_t x2 __asm__("x2") = size;
	register uint64_t x3 __asm__("x3") = 0;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::HVC_CLOBBERS);
	return (int64_t)x0;
}

int64_t ivc_query(uint64_t i, uint64_t *addr, uint64_t *size, uint64_t *peer)
{
	register uint64_t x0 __asm__("x0") = MICA_HVC_IVC_QUERY;
	register uint64_t x1 __asm__("x1") = i;
	register uint64_t x2 __asm__("x2") = 0;
	register uint64_t x3 __asm__("x3") = 0;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::HVC_CLOBBERS);
	if ((int64_t)x0 == MICA_HVC_SUCCESS) {
		if (addr != NULL)
			*addr = x1;
		if (size != NULL)
			*size = x2;
		if (peer != NULL)
			*peer = x3;
	}
	return (int64_t)x0;
}
#endif
