/*
 * Planning where a guest goes (plan.h).
 */
#include "plan.h"

#include <string.h>

#define ELF_MAGIC_SIZE	   4
#define IMAGE_MAGIC_OFFSET 56

static bool is_elf(const void *kernel, uint64_t size)
{
	static const char magic[ELF_MAGIC_SIZE] = {0x7f, 'E', 'L', 'F'};

	return size >= ELF_MAGIC_SIZE && memcmp(kernel, magic, ELF_MAGIC_SIZE) == 0;
}

/* A Linux arm64 Image says so at offset 56 ("ARM\x64"); its header must then be valid. */
static bool has_image_magic(const void *kernel, uint64_t size)
{
	static const char magic[4] = {'A', 'R', 'M', 0x64};

	return size >= IMAGE_HEADER_SIZE &&
	       memcmp((const char *)kernel + IMAGE_MAGIC_OFFSET, magic, sizeof(magic)) == 0;
}

/* Whether [base, base + size) lies inside one of vm's RAM regions. */
static bool in_ram(const struct sysdesc_vm *vm, uint64_t base, uint64_t size)
{
	for (uint32_t i = 0; i < vm->region_count; i++) {
		const struct sysdesc_ipa_range *r = &vm->regions[i].ipa;

		if (base >= r->base && size <= r->size && base - r->base <= r->size - size)
			return true;
	}
	return false;
}

static enum mica_error fail(struct plan_error *err, const char *property, const char *why,
			    enum mica_error code)
{
	*err = (struct plan_error){property, why};
	return code;
}

/* An ELF kernel: every segment in RAM; the span they cover goes in req as a raw binary. */
static enum mica_error plan_elf(const struct sysdesc_vm *vm, const void *kernel,
				uint64_t kernel_size, struct guest_plan *out,
				struct image_request *req, struct plan_error *err)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	if (elf_parse(kernel, kernel_size, &out->elf) != MICA_OK)
		return fail(err, "kernel", "not a valid AArch64 ELF executable",
			    MICA_ERR_MALFORMED);
	for (size_t i = 0; i < out->elf.segment_count; i++) {
		const struct elf_segment *s = &out->elf.segments[i];

		if (!in_ram(vm, s->vaddr, s->mem_size))
			return fail(err, "kernel", "an ELF segment lies outside the VM's memory",
				    MICA_ERR_RANGE);
		lo = s->vaddr < lo ? s->vaddr : lo;
		hi = s->vaddr + s->mem_size > hi ? s->vaddr + s->mem_size : hi;
	}
	out->is_elf = true;
	out->entry = out->elf.entry;
	/* The DTB and initrd go as for a raw binary covering the segments. */
	req->kind = IMAGE_KIND_RAW;
	req->raw_addr = lo;
	req->kernel_file_size = hi - lo;
	return MICA_OK;
}

enum mica_error plan_guest(const struct sysdesc_vm *vm, const void *kernel, uint64_t kernel_size,
			   uint64_t initrd_size, struct guest_plan *out, struct plan_error *err)
{
	struct image_request req = {
		.ram = {vm->regions[0].ipa.base, vm->regions[0].ipa.size},
		.kernel_file_size = kernel_size,
		.dtb_size = PLAN_DTB_SIZE,
		.initrd_size = initrd_size,
	};
	const char *why = "";
	enum mica_error code;

	*out = (struct guest_plan){0};
	if (is_elf(kernel, kernel_size)) {
		code = plan_elf(vm, kernel, kernel_size, out, &req, err);
		if (code != MICA_OK)
			return code;
	} else if (has_image_magic(kernel, kernel_size)) {
		code = image_parse(kernel, kernel_size, &req.linux_info, &why);
		if (code != MICA_OK)
			return fail(err, "kernel", why, code);
		req.kind = IMAGE_KIND_LINUX;
	} else {
		req.kind = IMAGE_KIND_RAW;
		req.raw_addr = req.ram.base + IMAGE_LEGACY_TEXT_OFFSET;
	}
	code = image_layout(&req, &out->layout, &why);
	if (code != MICA_OK) {
		struct image_layout alone;

		req.initrd_size = 0;
		return fail(err,
			    initrd_size > 0 && image_layout(&req, &alone, NULL) == MICA_OK
				    ? "initrd"
				    : "kernel",
			    why, code);
	}
	if (!out->is_elf)
		out->entry = out->layout.entry;
	return MICA_OK;
}
