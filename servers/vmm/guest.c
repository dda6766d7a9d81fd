/*
 * Loading a guest (guest.h).
 */
#include "guest.h"

#include <formats/elf.h>

#include <stdbool.h>
#include <string.h>

#include "fdtgen.h"
#include "image.h"
#include "vgicd.h"

#define DTB_SIZE UINT64_C(0x10000) /* Reserved for the device tree. */

/* QEMU virt's PPIs (INTID - 16): the timers and the GIC maintenance interrupt. */
#define PPI_HYP_TIMER	    10
#define PPI_VIRT_TIMER	    11
#define PPI_SECURE_TIMER    13
#define PPI_NONSECURE_TIMER 14
#define PPI_MAINTENANCE	    9

#define ELF_MAGIC                                                                                  \
	"\x7f"                                                                                     \
	"ELF"

void guest_init(struct guest *g, const struct vmm_boot *boot, const struct sysdesc_vm *vm)
{
	*g = (struct guest){.boot = boot, .vm = vm};
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

/* An ELF kernel: its segments where they say, the span they cover in *lo, *hi. */
static enum mica_error load_elf(struct guest *g, const struct elf_image *elf, uint64_t *lo,
				uint64_t *hi, const char **why)
{
	const uint8_t *file = (const uint8_t *)g->boot->kernel.va;
	enum mica_error err = MICA_OK;

	*lo = UINT64_MAX;
	*hi = 0;
	for (size_t i = 0; err == MICA_OK && i < elf->segment_count; i++) {
		const struct elf_segment *s = &elf->segments[i];

		err = copy_in(g, s->vaddr, file + s->file_offset, s->file_size,
			      s->mem_size - s->file_size, why);
		*lo = s->vaddr < *lo ? s->vaddr : *lo;
		*hi = s->vaddr + s->mem_size > *hi ? s->vaddr + s->mem_size : *hi;
	}
	g->entry = elf->entry;
	return err;
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
	for (unsigned i = 0; i < vm->device_count; i++) {
		const struct sysdesc_device *dev = &vm->devices[i];
		struct fdtgen_device fd = {.reg = {dev->ipa.base, dev->ipa.size},
					   .spi = dev->intid ? dev->intid - 32 : 0,
					   .irq_type = FDTGEN_IRQ_LEVEL_HIGH};

		if (strcmp(dev->compatible, "arm,pl011") == 0 && !d.has_uart) {
			d.has_uart = true;
			d.uart = fd;
		} else if (strcmp(dev->compatible, "virtio,mmio") == 0 &&
			   d.virtio_count < FDTGEN_MAX_VIRTIO) {
			d.virtio[d.virtio_count++] = fd;
		}
	}
	if (buf == NULL) {
		*why = "the device tree does not fit in guest RAM";
		return MICA_ERR_RANGE;
	}
	err = fdtgen_build(&d, buf, g->dtb_size, &size);
	if (err != MICA_OK)
		*why = "cannot build the guest's device tree";
	return err;
}

enum mica_error guest_load(struct guest *g, const char **why)
{
	const struct vmm_boot *b = g->boot;
	const void *kernel = (const void *)b->kernel.va;
	struct image_request req = {
		.ram = {g->vm->regions[0].ipa.base, g->vm->regions[0].ipa.size},
		.kernel_file_size = b->kernel.size,
		.dtb_size = DTB_SIZE,
		.initrd_size = b->initrd.size,
	};
	struct image_layout layout;
	struct elf_image elf;
	bool is_elf = b->kernel.size >= 4 && memcmp(kernel, ELF_MAGIC, 4) == 0;
	enum mica_error err = MICA_OK;

	*why = "";
	if (is_elf) {
		uint64_t lo, hi;

		err = elf_parse(kernel, b->kernel.size, &elf);
		if (err != MICA_OK) {
			*why = "the kernel is not a valid AArch64 ELF executable";
			return err;
		}
		err = load_elf(g, &elf, &lo, &hi, why);
		if (err != MICA_OK)
			return err;
		/* Place the DTB and initrd as for a raw binary covering the segments. */
		req.kind = IMAGE_KIND_RAW;
		req.raw_addr = lo;
		req.kernel_file_size = hi - lo;
	} else if (image_parse(kernel, b->kernel.size, &req.linux_info, why) == MICA_OK) {
		req.kind = IMAGE_KIND_LINUX;
	} else {
		req.kind = IMAGE_KIND_RAW;
		req.raw_addr = req.ram.base + IMAGE_LEGACY_TEXT_OFFSET;
	}
	err = image_layout(&req, &layout, why);
	if (err != MICA_OK)
		return err;
	if (!is_elf) {
		uint64_t span = layout.kernel_end - layout.kernel_load;

		/* BSS and the rest of image_size (beyond the file) start zeroed. */
		err = copy_in(g, layout.kernel_load, kernel, b->kernel.size,
			      span > b->kernel.size ? span - b->kernel.size : 0, why);
		g->entry = layout.entry;
	}
	if (err == MICA_OK && b->initrd.size > 0)
		err = copy_in(g, layout.initrd_start, (const void *)b->initrd.va, b->initrd.size, 0,
			      why);
	if (err != MICA_OK)
		return err;
	g->dtb_addr = layout.dtb_addr;
	g->dtb_size = DTB_SIZE;
	g->initrd_start = layout.initrd_start;
	g->initrd_end = b->initrd.size > 0 ? layout.initrd_end : 0;
	g->x0 = g->dtb_addr;
	return write_dtb(g, why);
}
