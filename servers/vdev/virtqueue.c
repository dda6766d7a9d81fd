/*
 * Split virtqueues, the device's side (see virtqueue.h).
 *
 * The driver runs on another CPU and may change anything in guest memory
 * at any time, so each field is read once, into a local, and only the
 * local is checked and used. Memory ordering (virtio 1.2 §2.7.7, §2.7.13):
 * the avail idx is read with acquire semantics before the ring entries and
 * descriptors it covers; the used element (and the data written into the
 * buffers) is published with a release store of the used idx; a full
 * barrier then orders that store before the read of the avail flags that
 * decides whether to interrupt, so that a driver that clears NO_INTERRUPT
 * and then checks the used idx cannot miss both.
 */
#include "virtqueue.h"

#include <string.h>

/* Layout offsets (§2.7.5, §2.7.6, §2.7.8). */
#define DESC_ADDR	 0u
#define DESC_LEN	 8u
#define DESC_FLAGS	 12u
#define DESC_NEXT	 14u
#define RING_FLAGS	 0u
#define RING_IDX	 2u
#define RING_ENTRIES	 4u
#define AVAIL_ENTRY_SIZE 2u
#define USED_ENTRY_SIZE	 8u

static uint16_t load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);
}

static uint32_t load32(const uint8_t *p)
{
	return __atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_RELAXED);
}

static uint64_t load64(const uint8_t *p)
{
	return __atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_RELAXED);
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

/* The ring at ipa, size bytes, align-aligned in guest memory and here; or NULL. */
static uint8_t *ring(const struct guest_mem *m, uint64_t ipa, uint64_t size, unsigned align)
{
	uint8_t *p;

	if (ipa % align != 0)
		return NULL;
	p = guest_mem_ptr(m, ipa, size);
	if (p == NULL || (uintptr_t)p % align != 0)
		return NULL;
	return p;
}

/* Check q's size and rings against m and resolve them; q is not changed on error. */
static enum mica_error resolve(struct virtq *q, const struct guest_mem *m)
{
	uint8_t *desc, *avail, *used;

	if (q->num == 0 || q->num > VIRTQ_MAX_SIZE || (q->num & (q->num - 1)) != 0)
		return MICA_ERR_INVALID_ARGUMENT;
	if (q->desc_ipa % VIRTQ_DESC_ALIGN != 0 || q->avail_ipa % VIRTQ_AVAIL_ALIGN != 0 ||
	    q->used_ipa % VIRTQ_USED_ALIGN != 0)
		return MICA_ERR_ALIGNMENT;
	desc = ring(m, q->desc_ipa, VIRTQ_DESC_SIZE(q->num), VIRTQ_DESC_ALIGN);
	avail = ring(m, q->avail_ipa, VIRTQ_AVAIL_SIZE(q->num), VIRTQ_AVAIL_ALIGN);
	used = ring(m, q->used_ipa, VIRTQ_USED_SIZE(q->num), VIRTQ_USED_ALIGN);
	if (desc == NULL || avail == NULL || used == NULL)
		return MICA_ERR_BAD_ADDRESS;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	return MICA_OK;
}

enum mica_error virtq_enable(struct virtq *q, const struct guest_mem *m)
{
	enum mica_error err = resolve(q, m);

	if (err != MICA_OK)
		return err;
	q->last_avail = 0;
	q->used_idx = 0;
	q->is_ready = true;
	return MICA_OK;
}

enum mica_error virtq_resume(struct virtq *q, const struct guest_mem *m)
{
	enum mica_error err;

	q->desc = q->avail = q->used = NULL;
	if (!q->is_ready)
		return MICA_OK;
	q->is_ready = false;
	err = resolve(q, m);
	if (err != MICA_OK)
		return err;
	/*
	 * The used idx in guest memory is what the driver has been told: every
	 * chain before it was completed and published, and every chain from it
	 * on is taken again (virtqueue.h says why that is safe).
	 */
	q->used_idx = __atomic_load_n((const uint16_t *)(const void *)(q->used + RING_IDX),
				      __ATOMIC_ACQUIRE);
	q->last_avail = q->used_idx;
	q->is_ready = true;
	return MICA_OK;
}

/* One descriptor, read once. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static struct desc read_desc(const struct virtq *q, uint16_t i)
{
	const uint8_t *d = q->desc + (size_t)i * VIRTQ_DESC_SIZE(1);

	return (struct desc){
		.addr = load64(d + DESC_ADDR),
		.len = load32(d + DESC_LEN),
		.flags = load16(d + DESC_FLAGS),
		.next = load16(d + DESC_NEXT),
	};
}

/* Follow the chain from head into c, checking each descriptor (§2.7.5). */
static enum mica_error walk(const struct virtq *q, const struct guest_mem *m, uint16_t head,
			    struct virtq_chain *c)
{
	uint16_t i = head;

	c->head = head;
	c->out_count = 0;
	c->in_count = 0;
	c->out_len = 0;
	c->in_len = 0;
	for (unsigned n = 0;; n++) {
		struct desc d;
		uint8_t *host;

		/* A chain is at most num long (§2.7.5.1); a loop never ends before that. */
		if (i >= q->num || n >= q->num)
			return MICA_ERR_MALFORMED;
		d = read_desc(q, i);
		if ((d.flags & VIRTQ_DESC_F_INDIRECT) != 0)
			return MICA_ERR_MALFORMED;
		host = guest_mem_ptr(m, d.addr, d.len);
		if (host == NULL)
			return MICA_ERR_MALFORMED;
		if ((d.flags & VIRTQ_DESC_F_WRITE) != 0) {
			c->in_count++;
			c->in_len += d.len;
		} else {
			/* Readable buffers come before writable ones (§2.7.4.2). */
			if (c->in_count != 0)
				return MICA_ERR_MALFORMED;
			c->out_count++;
			c->out_len += d.len;
		}
		/* n < num <= VIRTQ_MAX_SIZE, so these sums cannot wrap 64 bits. */
		if (c->in_len > UINT32_MAX || c->out_len > UINT32_MAX)
			return MICA_ERR_MALFORMED;
		c->bufs[n] = (struct virtq_buf){.host = host, .len = d.len};
		if ((d.flags & VIRTQ_DESC_F_NEXT) == 0)
			return MICA_OK;
		i = d.next;
	}
}

enum mica_error virtq_pop(struct virtq *q, const struct guest_mem *m, struct virtq_chain *c)
{
	uint16_t avail_idx, head;

	if (!q->is_ready)
		return MICA_ERR_NOT_FOUND;
	avail_idx = __atomic_load_n((const uint16_t *)(const void *)(q->avail + RING_IDX),
				    __ATOMIC_ACQUIRE);
	if (avail_idx == q->last_avail)
		return MICA_ERR_NOT_FOUND;
	/* The driver cannot have more than num buffers outstanding (§2.7.13.3). */
	if ((uint16_t)(avail_idx - q->last_avail) > q->num)
		return MICA_ERR_MALFORMED;
	head = load16(q->avail + RING_ENTRIES +
		      (size_t)(q->last_avail % q->num) * AVAIL_ENTRY_SIZE);
	q->last_avail++;
	return walk(q, m, head, c);
}

bool virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint32_t *e = (uint32_t *)(void *)(q->used + RING_ENTRIES +
					   (size_t)(q->used_idx % q->num) * USED_ENTRY_SIZE);

	/* The element: id, then len (§2.7.8). */
	__atomic_store_n(&e[0], head, __ATOMIC_RELAXED);
	__atomic_store_n(&e[1], len, __ATOMIC_RELAXED);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(void *)(q->used + RING_IDX), q->used_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (load16(q->avail + RING_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT) == 0;
}

/*
 * Copy up to len bytes between buffers [first, first + count) of the
 * chain, taken as one run of bytes from offset, and memory: out of them to
 * dst, or (dst NULL) into them from src. Returns how many were copied.
 */
static size_t chain_copy(const struct virtq_chain *c, unsigned first, unsigned count,
			 uint64_t offset, uint8_t *dst, const uint8_t *src, size_t len)
{
	size_t done = 0;

	for (unsigned i = first; i < first + count && done < len; i++) {
		const struct virtq_buf *b = &c->bufs[i];
		size_t n;

		if (offset >= b->len) {
			offset -= b->len;
			continue;
		}
		n = b->len - offset;
		if (n > len - done)
			n = len - done;
		if (dst != NULL)
			memcpy(dst + done, b->host + offset, n);
		else
			memcpy(b->host + offset, src + done, n);
		done += n;
		offset = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t offset, void *dst, size_t len)
{
	return chain_copy(c, 0, c->out_count, offset, dst, NULL, len);
}

size_t virtq_chain_write(const struct virtq_chain *c, uint64_t offset, const void *src, size_t len)
{
	return chain_copy(c, c->out_count, c->in_count, offset, NULL, src, len);
}
