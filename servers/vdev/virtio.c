/*
 * The virtio-mmio version 2 transport (see virtio.h).
 *
 * Decisions where the specification leaves room:
 *   - Queue registers (QueueNum and the ring addresses) of a queue that is
 *     ready, or that does not exist, ignore writes: §4.2.2.3 forbids the
 *     driver to change them then, and ignoring keeps the resolved ring
 *     pointers consistent with what was checked.
 *   - QueueReady 1 checks the queue (virtqueue.h); a queue that fails puts
 *     the device in DEVICE_NEEDS_RESET and stays not ready. QueueReady 0
 *     stops using the queue; enabling it again starts over at index 0.
 *   - DriverFeatures writes after FEATURES_OK are ignored; FEATURES_OK
 *     stays clear (the driver reads it back, §3.1.1) if the driver accepted
 *     a feature not offered or did not accept VERSION_1.
 *   - The driver cannot set DEVICE_NEEDS_RESET through Status; only a reset
 *     (Status 0) clears it.
 *   - QueueNotify is ignored unless the device is live and the queue
 *     ready; it is an index, not a write of data.
 *   - The interrupt line is high while InterruptStatus is non-zero, and
 *     lowered when the driver acknowledges every bit; the guest's tree
 *     says edge-triggered (as QEMU's virt machine does), so each rise is
 *     one interrupt.
 *   - Configuration space is read-only (no feature this library offers
 *     makes a field writable); writes there are ignored and counted.
 *   - There are no shared-memory regions: SHMLen and SHMBase read all ones.
 */
#include "virtio.h"

#include <stddef.h>
#include <string.h>

#define FEATURE_BANKS 2u
#define WORD_BITS     32u

static void update_line(struct virtio_mmio *v)
{
	bool level = v->interrupt_status != 0;

	if (level == v->line)
		return;
	v->line = level;
	if (v->irq.set != NULL)
		v->irq.set(v->irq.ctx, level);
}

static void raise_interrupt(struct virtio_mmio *v, uint32_t bits)
{
	/*
	 * The line's message to the VMM must not overtake the used-ring
	 * writes it announces (virtqueue.c already fenced them).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	v->interrupt_status |= bits;
	update_line(v);
}

/* The transport's reset state; the device's own and its config are kept. */
static void reset_transport(struct virtio_mmio *v)
{
	v->status = 0;
	v->device_features_sel = 0;
	v->driver_features_sel = 0;
	v->driver_features = 0;
	v->queue_sel = 0;
	v->interrupt_status = 0;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_reset(&v->queues[i]);
	update_line(v);
}

void virtio_mmio_init(struct virtio_mmio *v, const struct virtio_dev *dev,
		      const struct guest_mem *mem, const struct virtio_irq *irq)
{
	memset(v, 0, sizeof(*v));
	v->dev = *dev;
	if (v->dev.queue_count > VIRTIO_MAX_QUEUES)
		v->dev.queue_count = VIRTIO_MAX_QUEUES;
	v->mem = *mem;
	v->irq = *irq;
}

void virtio_mmio_resume(struct virtio_mmio *v, const struct virtio_dev *dev,
			const struct guest_mem *mem, const struct virtio_irq *irq)
{
	bool has_ready = false;

	v->dev = *dev;
	if (v->dev.queue_count > VIRTIO_MAX_QUEUES)
		v->dev.queue_count = VIRTIO_MAX_QUEUES;
	v->mem = *mem;
	v->irq = *irq;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (virtq_resume(&v->queues[i], &v->mem) != MICA_OK)
			virtio_mmio_needs_reset(v);
		has_ready |= v->queues[i].is_ready;
	}
	/* The line as the state has it, sent whatever was sent before. */
	v->line = v->interrupt_status != 0;
	if (v->irq.set != NULL)
		v->irq.set(v->irq.ctx, v->line);
	if (v->dev.resume != NULL)
		v->dev.resume(v->dev.dev);
	if (!virtio_mmio_is_live(v) || !has_ready)
		return;
	/*
	 * Redo what was in flight, then interrupt: the last instance may have
	 * published chains without raising the interrupt that announces them.
	 * A driver that finds nothing new takes it as spurious.
	 */
	for (unsigned i = 0; i < v->dev.queue_count; i++)
		if (v->queues[i].is_ready && v->dev.notify != NULL)
			v->dev.notify(v->dev.dev, i);
	raise_interrupt(v, VIRTIO_INT_USED);
}

static uint64_t offered(const struct virtio_mmio *v)
{
	return v->dev.features | VIRTIO_F_VERSION_1;
}

bool virtio_mmio_is_live(const struct virtio_mmio *v)
{
	return (v->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET)) ==
	       VIRTIO_STATUS_DRIVER_OK;
}

void virtio_mmio_needs_reset(struct virtio_mmio *v)
{
	v->malformed++;
	if ((v->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0)
		return;
	v->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if ((v->status & VIRTIO_STATUS_DRIVER_OK) != 0)
		raise_interrupt(v, VIRTIO_INT_CONFIG);
}

void virtio_mmio_config_changed(struct virtio_mmio *v)
{
	v->config_generation++;
	if ((v->status & VIRTIO_STATUS_DRIVER_OK) != 0)
		raise_interrupt(v, VIRTIO_INT_CONFIG);
}

enum mica_error virtio_mmio_pop(struct virtio_mmio *v, unsigned queue, struct virtq_chain *c)
{
	enum mica_error err;

	if (queue >= v->dev.queue_count || !virtio_mmio_is_live(v))
		return MICA_ERR_NOT_FOUND;
	err = virtq_pop(&v->queues[queue], &v->mem, c);
	if (err == MICA_ERR_MALFORMED)
		virtio_mmio_needs_reset(v);
	return err;
}

void virtio_mmio_push(struct virtio_mmio *v, unsigned queue, uint16_t head, uint32_t len)
{
	if (queue >= v->dev.queue_count || !v->queues[queue].is_ready)
		return;
	if (virtq_push(&v->queues[queue], head, len))
		raise_interrupt(v, VIRTIO_INT_USED);
}

/* The selected queue, or NULL if the device has no such queue. */
static struct virtq *selected(struct virtio_mmio *v)
{
	return v->queue_sel < v->dev.queue_count ? &v->queues[v->queue_sel] : NULL;
}

static uint32_t read_control(struct virtio_mmio *v, uint32_t offset)
{
	const struct virtq *q = selected(v);

	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION_REG:
		return VIRTIO_MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return v->dev.device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (v->device_features_sel >= FEATURE_BANKS)
			return 0;
		return (uint32_t)(offered(v) >> (WORD_BITS * v->device_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q != NULL ? VIRTQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q != NULL && q->is_ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return v->interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return v->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return UINT32_MAX;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return v->config_generation;
	default:
		v->unknown_reads++;
		return 0;
	}
}

static void write_status(struct virtio_mmio *v, uint32_t value)
{
	uint32_t old = v->status;
	uint64_t accepted = v->driver_features;

	if (value == 0) {
		reset_transport(v);
		if (v->dev.reset != NULL)
			v->dev.reset(v->dev.dev);
		return;
	}
	value = (value & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
		(old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if ((value & VIRTIO_STATUS_FEATURES_OK) != 0 && (old & VIRTIO_STATUS_FEATURES_OK) == 0 &&
	    ((accepted & ~offered(v)) != 0 || (accepted & VIRTIO_F_VERSION_1) == 0))
		value &= ~VIRTIO_STATUS_FEATURES_OK;
	v->status = value;
}

static void write_driver_features(struct virtio_mmio *v, uint32_t value)
{
	unsigned shift;

	if ((v->status & VIRTIO_STATUS_FEATURES_OK) != 0 ||
	    v->driver_features_sel >= FEATURE_BANKS) {
		v->ignored_writes++;
		return;
	}
	shift = WORD_BITS * v->driver_features_sel;
	v->driver_features = (v->driver_features & ~((uint64_t)UINT32_MAX << shift)) |
			     ((uint64_t)value << shift);
}

static void write_queue_ready(struct virtio_mmio *v, struct virtq *q, uint32_t value)
{
	if (value == 0) {
		q->is_ready = false;
		return;
	}
	if (q->is_ready)
		return;
	if (virtq_enable(q, &v->mem) != MICA_OK)
		virtio_mmio_needs_reset(v);
}

static void write_notify(struct virtio_mmio *v, uint32_t queue)
{
	if (queue >= v->dev.queue_count || !v->queues[queue].is_ready || !virtio_mmio_is_live(v)) {
		v->ignored_writes++;
		return;
	}
	if (v->dev.notify != NULL)
		v->dev.notify(v->dev.dev, queue);
}

/* The 32-bit half of a queue address register at offset, or NULL. */
static uint64_t *queue_address(struct virtq *q, uint32_t offset, unsigned *shift)
{
	*shift = (offset & 4u) != 0 ? WORD_BITS : 0;
	switch (offset & ~4u) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return &q->desc_ipa;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		return &q->avail_ipa;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		return &q->used_ipa;
	default:
		return NULL;
	}
}

/* A write to one of the selected queue's registers. */
static void write_queue(struct virtio_mmio *v, uint32_t offset, uint32_t value)
{
	struct virtq *q = selected(v);
	uint64_t *addr;
	unsigned shift;

	if (q == NULL) {
		v->ignored_writes++;
		return;
	}
	if (offset == VIRTIO_MMIO_QUEUE_READY) {
		write_queue_ready(v, q, value);
		return;
	}
	if (q->is_ready) {
		v->ignored_writes++;
		return;
	}
	if (offset == VIRTIO_MMIO_QUEUE_NUM) {
		q->num = value > UINT16_MAX ? 0 : (uint16_t)value;
		return;
	}
	addr = queue_address(q, offset, &shift);
	if (addr == NULL)
		return;
	*addr = (*addr & ~((uint64_t)UINT32_MAX << shift)) | ((uint64_t)value << shift);
}

static void write_control(struct virtio_mmio *v, uint32_t offset, uint32_t value)
{
	switch (offset) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		v->device_features_sel = value;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		write_driver_features(v, value);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		v->driver_features_sel = value;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		v->queue_sel = value;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		write_queue(v, offset, value);
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		write_notify(v, value);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		v->interrupt_status &= ~value;
		update_line(v);
		return;
	case VIRTIO_MMIO_STATUS:
		write_status(v, value);
		return;
	default:
		v->ignored_writes++;
		return;
	}
}

static enum mica_error check_access(uint64_t offset, unsigned size)
{
	if (offset >= VIRTIO_MMIO_SIZE)
		return MICA_ERR_RANGE;
	if (offset < VIRTIO_CONFIG_BASE ? size != 4
					: size != 1 && size != 2 && size != 4 && size != 8)
		return MICA_ERR_INVALID_ARGUMENT;
	if (offset % size != 0)
		return MICA_ERR_ALIGNMENT;
	return MICA_OK;
}

enum mica_error virtio_mmio_read(struct virtio_mmio *v, uint64_t offset, unsigned size,
				 uint64_t *value)
{
	enum mica_error err = check_access(offset, size);
	uint64_t at, result = 0;

	if (err != MICA_OK)
		return err;
	if (offset < VIRTIO_CONFIG_BASE) {
		*value = read_control(v, (uint32_t)offset);
		return MICA_OK;
	}
	/* Configuration space is little-endian (§2.5); bytes past it read zero. */
	at = offset - VIRTIO_CONFIG_BASE;
	for (unsigned i = size; i-- > 0;) {
		result <<= 8;
		if (at + i < v->config_size)
			result |= v->config[at + i];
	}
	*value = result;
	return MICA_OK;
}

enum mica_error virtio_mmio_write(struct virtio_mmio *v, uint64_t offset, unsigned size,
				  uint64_t value)
{
	enum mica_error err = check_access(offset, size);

	if (err != MICA_OK)
		return err;
	if (offset < VIRTIO_CONFIG_BASE)
		write_control(v, (uint32_t)offset, (uint32_t)value);
	else
		v->ignored_writes++;
	return MICA_OK;
}
