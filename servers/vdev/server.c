/*
 * The device-server library's message handling (see vdev/vdev.h): the
 * boot page checked once, then each message decoded and checked before a
 * device sees it. No system calls here; vdev.c supplies them.
 */
#include <vdev/vdev.h>

#include <stddef.h>
#include <string.h>

#include <mica/abi/exit.h>

/* True if the NUL-terminated name fits its field. */
static bool is_terminated(const char *s)
{
	return memchr(s, '\0', VDEV_NAME_MAX) != NULL;
}

/* A device entry the library can serve: names terminated, ranges that do not wrap. */
static bool is_well_formed(const struct vdev_boot_device *b)
{
	return is_terminated(b->vm) && is_terminated(b->name) && is_terminated(b->compatible) &&
	       b->ipa_size != 0 && b->ipa_base <= UINT64_MAX - (b->ipa_size - 1) &&
	       (b->ram_size == 0 || b->ram_ipa <= UINT64_MAX - (b->ram_size - 1));
}

static void log_bad(struct vdev_server *s, const char *what)
{
	s->bad_messages++;
	if (s->has_logged_bad_message || s->env.log == NULL)
		return;
	s->has_logged_bad_message = true;
	s->env.log(s, what);
}

enum mica_error vdev_server_init(struct vdev_server *s, const struct vdev_boot *boot,
				 const struct vdev_ops *ops, const struct vdev_env *env)
{
	if (boot->magic != VDEV_BOOT_MAGIC || ops->mmio_read == NULL || ops->mmio_write == NULL)
		return MICA_ERR_INVALID_ARGUMENT;
	if (boot->device_count > VDEV_MAX_DEVICES)
		return MICA_ERR_RANGE;
	memset(s, 0, sizeof(*s));
	s->boot = boot;
	s->ops = ops;
	s->env = *env;
	s->device_count = boot->device_count;
	if (ops->setup != NULL)
		ops->setup(s);
	for (unsigned i = 0; i < s->device_count; i++) {
		struct vdev_device *d = &s->devices[i];
		const struct vdev_boot_device *b = &boot->devices[i];

		d->server = s;
		d->index = i;
		d->boot = b;
		d->is_vm_ended = b->vm_index < VDEV_MAX_VMS && (boot->vms_ended >> b->vm_index) & 1;
		if (!is_well_formed(b))
			continue;
		if (b->ram_size != 0)
			d->ram = (struct guest_mem){.ipa_base = b->ram_ipa,
						    .size = b->ram_size,
						    .host = (uint8_t *)(uintptr_t)b->ram_va};
		if (b->disk_size != 0) {
			d->disk = (uint8_t *)(uintptr_t)b->disk_va;
			d->disk_size = b->disk_size;
		}
		d->state = (void *)(uintptr_t)b->state_va;
		d->is_resumed = boot->restarts != 0 && d->state != NULL;
		/* The old instance's last level may not have reached the VMM. */
		d->is_line_unknown = boot->restarts != 0;
		d->is_served = ops->init == NULL || ops->init(d) == MICA_OK;
	}
	return MICA_OK;
}

bool vdev_is_compatible(const struct vdev_device *d, const char *compatible)
{
	return strncmp(d->boot->compatible, compatible, VDEV_NAME_MAX) == 0;
}

static struct vdev_answer reply(uint64_t label, unsigned length)
{
	return (struct vdev_answer){.is_reply = true, .label = label, .length = length};
}

static struct vdev_answer decline(struct vdev_server *s, enum mica_error err)
{
	s->declined++;
	return reply(err, 0);
}

/* A guest's load or store to device d: MR0 address, MR1 access, MR2 value. */
static struct vdev_answer mmio(struct vdev_server *s, struct vdev_device *d,
			       uint64_t mr[MICA_MSG_REGISTERS])
{
	uint64_t addr = mr[0], access = mr[1];
	unsigned size = mica_mmio_size(access);
	uint64_t offset, value = 0;
	enum mica_error err;

	if (!d->is_served)
		return decline(s, MICA_ERR_NOT_FOUND);
	if (addr < d->boot->ipa_base)
		return decline(s, MICA_ERR_RANGE);
	offset = addr - d->boot->ipa_base;
	if (offset >= d->boot->ipa_size || size > d->boot->ipa_size - offset)
		return decline(s, MICA_ERR_RANGE);
	if ((access & MICA_MMIO_WRITE) != 0) {
		err = s->ops->mmio_write(d, offset, size, mr[2]);
		return err == MICA_OK ? reply(MICA_EXIT_RESUME, 0) : decline(s, err);
	}
	err = s->ops->mmio_read(d, offset, size, &value);
	if (err != MICA_OK)
		return decline(s, err);
	mr[0] = value;
	return reply(MICA_EXIT_RESUME, 1);
}

/* Keep the earliest device timer armed as the kernel's alarm. */
static void arm_earliest(struct vdev_server *s)
{
	uint64_t first = 0;

	for (unsigned i = 0; i < s->device_count; i++) {
		uint64_t at = s->devices[i].timer_ns;

		if (at != 0 && (first == 0 || at < first))
			first = at;
	}
	if (first == s->armed_ns)
		return;
	s->armed_ns = first;
	if (s->env.arm != NULL)
		s->env.arm(s, first);
}

void vdev_timer_set(struct vdev_device *d, uint64_t at_ns)
{
	d->timer_ns = at_ns;
	arm_earliest(d->server);
}

/* The alarm went off (or another bit woke the server early): every due timer's callback. */
static void fire_timers(struct vdev_server *s)
{
	uint64_t now = s->env.clock_ns != NULL ? s->env.clock_ns() : 0;

	s->armed_ns = 0; /* Gone off: arm_earliest asks again for whatever is left. */
	for (unsigned i = 0; i < s->device_count; i++) {
		struct vdev_device *d = &s->devices[i];

		if (d->timer_ns == 0 || d->timer_ns > now)
			continue;
		d->timer_ns = 0;
		if (s->ops->timer != NULL)
			s->ops->timer(d);
	}
	arm_earliest(s);
}

struct vdev_answer vdev_server_handle(struct vdev_server *s, uint64_t badge, uint64_t info,
				      uint64_t mr[MICA_MSG_REGISTERS])
{
	uint64_t label = mica_msg_label(info);
	uint64_t index = badge ^ VDEV_BADGE_DEVICE;

	if (label == MICA_LABEL_NOTIFICATION) {
		for (unsigned i = 0; i < s->device_count; i++) {
			struct vdev_device *d = &s->devices[i];

			if (d->boot->vm_index < VDEV_MAX_VMS &&
			    (badge & VDEV_NTFN_VM_ENDED(d->boot->vm_index)) != 0)
				d->is_vm_ended = true;
		}
		if ((badge & VDEV_NTFN_TIMER) != 0)
			fire_timers(s);
		if (s->ops->notified != NULL)
			s->ops->notified(s, badge);
		return (struct vdev_answer){.is_reply = false};
	}
	if ((badge & VDEV_BADGE_DEVICE) == 0 || index >= s->device_count) {
		log_bad(s, "a message with an unknown badge");
		return reply(MICA_ERR_INVALID_ARGUMENT, 0);
	}
	if (label == VDEV_MSG_RESET) {
		struct vdev_device *d = &s->devices[index];

		if (d->is_served && s->ops->reset != NULL)
			s->ops->reset(d);
		return reply(MICA_OK, 0);
	}
	if (label != MICA_EXIT_MMIO) {
		log_bad(s, "a message that is not an MMIO exit");
		return reply(MICA_ERR_INVALID_ARGUMENT, 0);
	}
	return mmio(s, &s->devices[index], mr);
}

void vdev_set_line(struct vdev_device *d, bool level)
{
	struct vdev_server *s = d->server;
	enum mica_error err;

	if (d->line == level && !d->is_line_unknown)
		return;
	d->line = level;
	d->is_line_unknown = false;
	if (d->boot->intid == 0 || d->boot->irq_cap == 0 || s->env.send_line == NULL ||
	    d->is_vm_ended)
		return;
	err = s->env.send_line(d, level);
	if (err == MICA_OK)
		return;
	s->line_errors++;
	if (!s->has_logged_line_error && s->env.log != NULL) {
		s->has_logged_line_error = true;
		s->env.log(s, "the VMM refused an interrupt line change");
	}
}

void vdev_line_callback(void *ctx, bool level)
{
	vdev_set_line(ctx, level);
}
