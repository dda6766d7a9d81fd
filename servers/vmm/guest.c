/*
 * Loading a guest (guest.h).
 */
#include "guest.h"

#include <formats/devkind.h>
#include <libfdt.h>

#include <stdbool.h>
#include <string.h>

#include "fdtgen.h"
#include "vgicd.h"

/* QEMU virt's PPIs (INTID - 16): the timers and the GIC maintenance interrupt. */
#define PPI_HYP_TIMER	    10
#define PPI_VIRT_TIMER	    11
#define PPI_SECURE_TIMER    13
#define PPI_NONSECURE_TIMER 14
#define PPI_MAINTENANCE	    9

void guest_init(struct guest *g, const struct vmm_boot *boot, const struct sysdesc *desc)
{
	*g = (struct guest){.boot = boot, .desc = desc, .vm = &desc->vms[boot->vm_index]};
}

void *guest_ptr(const struct guest *g, uint64_t ipa, uint64_t len)
{
	for (unsigned i = 0; i < g->boot->region_count; i++) {
		const struct vmm_boot_region *r = &g->boot->regions[i];

		if (ipa >= r->ipa && len <= r->size && ipa - r->ipa <= r->size - len)
			return (void *)(uintptr_t)(r->va + (ipa - r->ipa));
	}
	return NULL;
}

static enum mica_error copy_in(const struct guest *g, uint64_t ipa, const void *src, uint64_t len,
			       uint64_t zero_len, const char **why)
{
	uint8_t *dst = guest_ptr(g, ipa, len + zero_len);

	if (dst == NULL) {
		*why = "an image does not fit in guest RAM";
		return MICA_ERR_RANGE;
	}
	memcpy(dst, src, len);
	memset(dst + len, 0, zero_len);
	return MICA_OK;
}

_Static_assert(FDTGEN_MAX_DEVICES >=
		       SYSDESC_DEVICE_MAX + SYSDESC_PASSTHROUGH_MAX + SYSDESC_VM_CHANNEL_MAX + 1,
	       "the guest's device tree has room for every device, passthrough region and channel, "
	       "and the dynamic channels' node");

/* Names of passthrough nodes: the description's node name up to its '@'. */
static char passthrough_names[SYSDESC_PASSTHROUGH_MAX][SYSDESC_PATH_MAX];

/*
 * Device dev's node, of kind k as its server declares it: the kind's
 * name, compatible list, clocks and properties, the description's range
 * and interrupt: edge-triggered if the kind raises it through the kernel
 * (VDEV_KIND_EDGE_LINE), else level-sensitive.
 */
static struct fdtgen_device device_node(const struct vdev_kind *k, const struct sysdesc_device *dev)
{
	struct fdtgen_device fd = {
		.name = k->node_name,
		.compatible = k->compatible,
		.compatible_len = devkind_list_length(k->compatible, sizeof(k->compatible)),
		.reg = {dev->ipa.base, dev->ipa.size},
		.spi = dev->intid ? dev->intid - 32 : 0,
		.irq_type = !dev->intid				    ? FDTGEN_IRQ_NONE
			    : (k->flags & VDEV_KIND_EDGE_LINE) != 0 ? FDTGEN_IRQ_EDGE_RISING
								    : FDTGEN_IRQ_LEVEL_HIGH,
		.clock_names = k->clock_names,
		.clock_names_len = devkind_list_length(k->clock_names, sizeof(k->clock_names)),
		.is_stdout = (k->flags & VDEV_KIND_STDOUT) != 0,
	};

	while (fd.prop_count < VDEV_KIND_PROPS_MAX && k->props[fd.prop_count].name[0] != '\0') {
		const struct vdev_kind_prop *p = &k->props[fd.prop_count];

		fd.props[fd.prop_count++] = (struct fdtgen_prop){p->name, p->value, p->length};
	}
	return fd;
}

/* Passthrough region i's node: what the description says, its interrupt level-sensitive. */
static struct fdtgen_device passthrough_node(const struct sysdesc_vm *vm, unsigned i)
{
	const struct sysdesc_passthrough *pt = &vm->passthrough[i];
	const char *at = strchr(pt->name, '@');
	size_t len = at != NULL ? (size_t)(at - pt->name) : strlen(pt->name);

	if (len >= sizeof(passthrough_names[i]))
		len = sizeof(passthrough_names[i]) - 1;
	memcpy(passthrough_names[i], pt->name, len);
	passthrough_names[i][len] = '\0';
	return (struct fdtgen_device){
		.name = passthrough_names[i],
		.compatible = pt->compatible,
		.compatible_len = pt->compatible_len,
		.reg = {pt->ipa.base, pt->ipa.size},
		.spi = pt->intid ? pt->intid - 32 : 0,
		.irq_type = pt->intid ? FDTGEN_IRQ_LEVEL_HIGH : FDTGEN_IRQ_NONE,
	};
}

/*
 * The VM's k-th channel end, c's end e: "mica,ivc" at its address, its
 * interrupt edge-triggered, and what the guest needs to use it: the
 * channel's name, the peers (the other ends' VMs, in order), the doorbell
 * that rings each, and whether this end may only read.
 */
static struct fdtgen_device channel_node(const struct guest *g, const struct sysdesc_channel *c,
					 const struct sysdesc_channel_end *e, unsigned k)
{
	static char peers[SYSDESC_VM_CHANNEL_MAX][SYSDESC_CHANNEL_ENDS * SYSDESC_PATH_MAX];
	static fdt32_t doorbells[SYSDESC_VM_CHANNEL_MAX][SYSDESC_CHANNEL_ENDS];
	struct fdtgen_device fd = {
		.name = "ivc",
		.compatible = "mica,ivc",
		.compatible_len = sizeof("mica,ivc"),
		.reg = {e->ipa, c->size},
		.spi = e->intid - 32,
		.irq_type = FDTGEN_IRQ_EDGE_RISING,
	};
	size_t at = 0;
	unsigned n = 0;

	/* Doorbell e->doorbell + n rings the n-th other end; a name that does not fit ends both
	 * lists. */
	for (uint32_t f = 0; f < c->end_count; f++) {
		const char *name = g->desc->vms[c->ends[f].vm].name;
		size_t len = strlen(name) + 1;

		if (&c->ends[f] == e)
			continue;
		if (at + len > sizeof(peers[k]))
			break;
		memcpy(&peers[k][at], name, len);
		at += len;
		doorbells[k][n] = cpu_to_fdt32(e->doorbell + n);
		n++;
	}
	fd.props[fd.prop_count++] =
		(struct fdtgen_prop){"mica,channel", c->name, (unsigned)strlen(c->name) + 1};
	fd.props[fd.prop_count++] = (struct fdtgen_prop){"mica,peers", peers[k], (unsigned)at};
	fd.props[fd.prop_count++] = (struct fdtgen_prop){"mica,doorbells", doorbells[k],
							 (unsigned)(n * sizeof(doorbells[k][0]))};
	if (e->is_read_only)
		fd.props[fd.prop_count++] = (struct fdtgen_prop){"mica,read-only", NULL, 0};
	return fd;
}

/*
 * The node of the VM's dynamic channels (docs/ivc.md): its window, its
 * interrupt, its peers with the doorbell that rings each, and its memory
 * limit. A peer's name that does not fit ends both lists.
 */
static struct fdtgen_device dynamic_node(const struct guest *g)
{
	static char peers[SYSDESC_IVC_PEERS * SYSDESC_PATH_MAX];
	static fdt32_t doorbells[SYSDESC_IVC_PEERS];
	static fdt32_t memory[2];
	const struct sysdesc_ivc *ivc = &g->vm->ivc;
	struct fdtgen_device fd = {
		.name = "ivc-dynamic",
		.compatible = "mica,ivc-dynamic",
		.compatible_len = sizeof("mica,ivc-dynamic"),
		.reg = {ivc->window.base, ivc->window.size},
		.spi = ivc->intid - 32,
		.irq_type = FDTGEN_IRQ_EDGE_RISING,
	};
	size_t at = 0;
	unsigned n = 0;

	for (; n < ivc->peer_count; n++) {
		const char *name = g->desc->vms[ivc->peers[n]].name;
		size_t len = strlen(name) + 1;

		if (at + len > sizeof(peers))
			break;
		memcpy(&peers[at], name, len);
		at += len;
		doorbells[n] = cpu_to_fdt32(ivc->doorbell + n);
	}
	memory[0] = cpu_to_fdt32((uint32_t)(ivc->memory >> 32));
	memory[1] = cpu_to_fdt32((uint32_t)ivc->memory);
	fd.props[fd.prop_count++] = (struct fdtgen_prop){"mica,peers", peers, (unsigned)at};
	fd.props[fd.prop_count++] = (struct fdtgen_prop){"mica,doorbells", doorbells,
							 (unsigned)(n * sizeof(doorbells[0]))};
	fd.props[fd.prop_count++] = (struct fdtgen_prop){"mica,memory", memory, sizeof(memory)};
	return fd;
}

/*
 * Every device and passthrough region of the VM into d. A device whose
 * kind the boot page does not give well formed (the root task checked
 * them all) leaves the tree unbuilt.
 */
static enum mica_error add_devices(const struct guest *g, struct fdtgen_desc *d, const char **why)
{
	const struct sysdesc_vm *vm = g->vm;
	const struct vmm_boot *b = g->boot;

	for (unsigned i = 0; i < vm->device_count; i++) {
		unsigned kind = b->device_kind[i];

		if (kind >= b->kind_count || kind >= VMM_KINDS_MAX ||
		    devkind_check(&b->kinds[kind]) != NULL) {
			*why = "the boot page gives a device no well-formed kind";
			return MICA_ERR_INVALID_ARGUMENT;
		}
		d->devices[d->device_count++] = device_node(&b->kinds[kind], &vm->devices[i]);
	}
	for (unsigned i = 0; i < vm->passthrough_count; i++)
		d->devices[d->device_count++] = passthrough_node(vm, i);
	for (unsigned k = 0;; k++) {
		const struct sysdesc_channel *c;
		const struct sysdesc_channel_end *e =
			sysdesc_channel_end_of(g->desc, g->boot->vm_index, k, &c);

		if (e == NULL)
			break;
		d->devices[d->device_count++] = channel_node(g, c, e, k);
	}
	if (vm->ivc.is_present)
		d->devices[d->device_count++] = dynamic_node(g);
	return MICA_OK;
}

static enum mica_error write_dtb(struct guest *g, const char **why)
{
	const struct sysdesc_vm *vm = g->vm;
	struct fdtgen_desc d = {
		.ram_count = 1,
		.cpu_count = vm->vcpu_count,
		.gic = {.dist = {VGICD_DEFAULT_DIST_BASE, VGICD_DIST_SIZE},
			.redist = {VGICD_DEFAULT_REDIST_BASE, VGICD_REDIST_STRIDE * vm->vcpu_count},
			.maintenance_ppi = PPI_MAINTENANCE},
		.timer = {PPI_SECURE_TIMER, PPI_NONSECURE_TIMER, PPI_VIRT_TIMER, PPI_HYP_TIMER},
		.psci = {0xc4000003u, 0x84000002u},
		.bootargs = vm->bootargs,
		.has_initrd = g->initrd_end > g->initrd_start,
		.initrd_start = g->initrd_start,
		.initrd_end = g->initrd_end,
	};
	void *buf = guest_ptr(g, g->dtb_addr, g->dtb_size);
	size_t size = 0;
	enum mica_error err;

	d.ram[0].base = vm->regions[0].ipa.base;
	d.ram[0].size = vm->regions[0].ipa.size;
	for (unsigned i = 1; i < vm->region_count && d.ram_count < FDTGEN_MAX_RAM; i++)
		d.ram[d.ram_count++] =
			(struct fdtgen_range){vm->regions[i].ipa.base, vm->regions[i].ipa.size};
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		d.cpu_mpidrs[i] = guest_vcpu_mpidr(i);
	err = add_devices(g, &d, why);
	if (err != MICA_OK)
		return err;
	if (buf == NULL) {
		*why = "the device tree does not fit in guest RAM";
		return MICA_ERR_RANGE;
	}
	err = fdtgen_build(&d, buf, g->dtb_size, &size);
	if (err != MICA_OK)
		*why = "cannot build the guest's device tree";
	return err;
}

enum mica_error guest_load(struct guest *g, struct plan_error *perr)
{
	const struct vmm_boot *b = g->boot;
	const uint8_t *kernel = (const uint8_t *)b->kernel.va;
	struct guest_plan plan;
	enum mica_error err =
		plan_guest(g->vm, kernel, b->kernel.size, b->initrd.size, &plan, perr);
	const char *why = "";

	if (err != MICA_OK)
		return err;
	/* The plan put everything inside RAM, so the copies cannot fail. */
	if (plan.is_elf) {
		for (size_t i = 0; err == MICA_OK && i < plan.elf.segment_count; i++) {
			const struct elf_segment *s = &plan.elf.segments[i];

			err = copy_in(g, s->vaddr, kernel + s->file_offset, s->file_size,
				      s->mem_size - s->file_size, &why);
		}
	} else {
		uint64_t span = plan.layout.kernel_end - plan.layout.kernel_load;

		/* BSS and the rest of image_size (beyond the file) start zeroed. */
		err = copy_in(g, plan.layout.kernel_load, kernel, b->kernel.size,
			      span > b->kernel.size ? span - b->kernel.size : 0, &why);
	}
	if (err == MICA_OK && b->initrd.size > 0)
		err = copy_in(g, plan.layout.initrd_start, (const void *)b->initrd.va,
			      b->initrd.size, 0, &why);
	g->entry = plan.entry;
	g->dtb_addr = plan.layout.dtb_addr;
	g->dtb_size = PLAN_DTB_SIZE;
	g->initrd_start = plan.layout.initrd_start;
	g->initrd_end = b->initrd.size > 0 ? plan.layout.initrd_end : 0;
	g->x0 = g->dtb_addr;
	if (err == MICA_OK)
		err = write_dtb(g, &why);
	if (err != MICA_OK)
		*perr = (struct plan_error){NULL, why}; /* Not the description's fault. */
	return err;
}
