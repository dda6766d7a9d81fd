/*
 * Each VM's kernel objects and memory (system.h): its VM and vCPUs, its
 * RAM (identity-mapped regions first, before anything else can take
 * their frames), and its passthrough regions, mapped at stage 2.
 */
#include "build.h"
#include "system.h"

#include <base/errors.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/vmimage.h>

/* Record frame as VM index's RAM at ipa (make_vm_objects maps it into the VM). */
static enum mica_error add_ram_frame(struct system *s, unsigned index, struct alloc_ret frame,
				     uint64_t ipa, unsigned bits)
{
	struct ram_frame *f = &s->ram[s->ram_count];

	if (frame.err != MICA_OK)
		return frame.err;
	if (s->ram_count == SYSTEM_MAX_RAM_FRAMES) {
		drop_cap(frame.cptr);
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	*f = (struct ram_frame){.cap = frame.cptr, .ipa = ipa, .vm = index, .size_bits = bits};
	s->ram_count++;
	return MICA_OK;
}

/* The largest frame that starts at ipa and ends by end: 2 MiB where aligned, else 4 KiB. */
static unsigned frame_bits(uint64_t ipa, uint64_t end)
{
	return (ipa & (BLOCK - 1)) == 0 && end - ipa >= BLOCK ? BLOCK_BITS : PAGE_BITS;
}

/*
 * Back VM index's identity regions with the host memory at the same
 * addresses. Done for every VM before anything else is allocated, while
 * that memory is still free.
 */
enum mica_error make_identity_ram(struct system *s, unsigned index)
{
	const struct sysdesc_vm *desc = &s->desc.vms[index];
	unsigned n = 0;

	for (unsigned r = 0; r < desc->region_count; r++) {
		const struct sysdesc_region *reg = &desc->regions[r];
		uint64_t end = reg->ipa.base + reg->ipa.size;
		enum mica_error err = MICA_OK;

		if (!reg->is_identity)
			continue;
		for (uint64_t pa = reg->ipa.base; err == MICA_OK && pa < end;) {
			unsigned bits = frame_bits(pa, end);
			struct alloc_ret frame = alloc_ram_frame_at_ret(pa, bits);
			uint64_t got = 0;

			/* The kernel places the frame; make sure it is where the VM sees it. */
			if (frame.err == MICA_OK &&
			    (mica_frame_get_address(frame.cptr, &got) != MICA_OK || got != pa)) {
				printf("root: /vms/%s: frame for 0x%llx landed at 0x%llx\n",
				       desc->name, (unsigned long long)pa, (unsigned long long)got);
				frame.err = MICA_ERR_RANGE;
			}
			err = add_ram_frame(s, index, frame, pa, bits);
			if (err == MICA_ERR_NOT_FOUND)
				printf("root: /vms/%s: property 'memory-identity': region %u: the "
				       "host memory at 0x%llx is not free RAM (the kernel, the "
				       "boot "
				       "image or another region holds it, or the machine has no "
				       "RAM "
				       "there)\n",
				       desc->name, n, (unsigned long long)pa);
			pa += UINT64_C(1) << bits;
		}
		if (err != MICA_OK)
			return err;
		printf("root: VM \"%s\": memory 0x%llx-0x%llx at the same host-physical "
		       "addresses\n",
		       desc->name, (unsigned long long)reg->ipa.base, (unsigned long long)end - 1);
		n++;
	}
	return MICA_OK;
}

/* Back each allocated RAM region of VM index with fresh frames. */
/* The RAM the root task makes for a VM: every region but identity-mapped ones. */
static uint64_t ram_bytes(const struct sysdesc_vm *desc)
{
	uint64_t total = 0;

	for (unsigned r = 0; r < desc->region_count; r++)
		if (!desc->regions[r].is_identity)
			total += desc->regions[r].ipa.size;
	return total;
}

static enum mica_error make_ram(struct system *s, unsigned index)
{
	const struct sysdesc_vm *desc = &s->desc.vms[index];
	uint64_t made = 0; /* Bytes of the regions before this one. */

	for (unsigned r = 0; r < desc->region_count; r++) {
		const struct sysdesc_region *reg = &desc->regions[r];
		uint64_t end = reg->ipa.base + reg->ipa.size;

		if (reg->is_identity)
			continue;
		for (uint64_t ipa = reg->ipa.base; ipa < end;) {
			unsigned bits = frame_bits(ipa, end);
			enum mica_error err = add_ram_frame(
				s, index,
				alloc_object_ret(bits == BLOCK_BITS ? MICA_OBJ_FRAME_2M
								    : MICA_OBJ_FRAME_4K,
						 0),
				ipa, bits);

			if (err == MICA_ERR_NOT_ENOUGH_MEMORY)
				printf("root: VM \"%s\": out of memory making its RAM: it needs "
				       "%llu MiB, "
				       "%llu MiB made, %llu MiB left\n",
				       desc->name, (unsigned long long)(ram_bytes(desc) >> 20),
				       (unsigned long long)((made + ipa - reg->ipa.base) >> 20),
				       (unsigned long long)(alloc_free_bytes() >> 20));
			if (err != MICA_OK)
				return err;
			ipa += UINT64_C(1) << bits;
		}
		made += reg->ipa.size;
	}
	return MICA_OK;
}

/*
 * Map a copy of each of v's RAM frames into p, region after region from
 * va; where each region went goes to regions[] (if not NULL). The copies'
 * slots go to kept[] when kept is not NULL.
 */
enum mica_error map_ram(struct system *s, const struct vm_rt *v, struct process *p, uint64_t va,
			struct vmm_boot_region *regions, uint64_t *kept, unsigned *kept_count,
			unsigned kept_max)
{
	uint64_t next = va;

	for (unsigned r = 0; r < v->desc->region_count; r++) {
		const struct sysdesc_ipa_range *range = &v->desc->regions[r].ipa;
		uint64_t base = next;

		if (regions != NULL)
			regions[r] = (struct vmm_boot_region){range->base, range->size, base};
		for (unsigned i = 0; i < s->ram_count; i++) {
			const struct ram_frame *f = &s->ram[i];
			uint64_t copy;
			enum mica_error err;

			if (&s->vms[f->vm] != v || f->ipa < range->base ||
			    f->ipa - range->base >= range->size)
				continue;
			copy = copy_cap(f->cap, MICA_RIGHTS_ALL);
			if (copy == 0)
				return MICA_ERR_NOT_ENOUGH_MEMORY;
			if (kept != NULL) {
				if (*kept_count == kept_max)
					return MICA_ERR_NOT_ENOUGH_MEMORY;
				kept[(*kept_count)++] = copy;
			}
			err = f->size_bits == BLOCK_BITS
				      ? process_map_large(p, copy, base + (f->ipa - range->base),
							  RW, 0)
				      : process_map_frame(p, copy, base + (f->ipa - range->base),
							  RW, 0);
			if (err != MICA_OK)
				return err;
		}
		next = base + ((range->size + BLOCK - 1) & ~(BLOCK - 1));
	}
	return MICA_OK;
}

/*
 * The host's device pages of each passthrough region, mapped into the VM.
 * The RTC's page, which the root task read the time from, is that frame.
 */
static enum mica_error make_passthrough(struct system *s, const struct vm_rt *v)
{
	for (unsigned i = 0; i < v->desc->passthrough_count; i++) {
		const struct sysdesc_passthrough *pt = &v->desc->passthrough[i];

		for (uint64_t off = 0; off < pt->ipa.size; off += PAGE) {
			uint64_t pa = pt->host_physical + off;
			bool is_rtc = pa == RTC_PADDR && s->rtc_frame != 0;
			struct alloc_ret f = is_rtc ? (struct alloc_ret){MICA_OK, s->rtc_frame}
						    : alloc_device_frame_ret(pa);
			enum mica_error err = f.err;

			if (is_rtc)
				s->rtc_frame = 0; /* The VM's now. */
			if (err == MICA_OK)
				err = vm_map_frame(v->vm, f.cptr, pt->ipa.base + off, RW, 0);
			if (err != MICA_OK) {
				printf("root: /vms/%s/passthrough/%s: cannot map 0x%llx (%s)\n",
				       v->desc->name, pt->name, (unsigned long long)pa,
				       mica_error_text(err));
				return err;
			}
		}
	}
	return MICA_OK;
}

uint64_t device_line(struct system *s, unsigned index, unsigned d)
{
	struct vm_rt *v = &s->vms[index];

	if (v->lines[d] == 0)
		v->lines[d] = alloc_object(MICA_OBJ_NOTIFICATION, 0);
	return v->lines[d];
}

/* VM index's objects, its allocated RAM, and all its RAM and passthrough regions mapped. */
enum mica_error make_vm_objects(struct system *s, unsigned index)
{
	struct vm_rt *v = &s->vms[index];
	enum mica_error err;

	v->vm = alloc_object(MICA_OBJ_VM, 0);
	v->ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	if (v->vm == 0 || v->ep == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	for (unsigned i = 0; i < v->desc->vcpu_count; i++) {
		v->vcpus[i] = alloc_object(MICA_OBJ_VCPU, 0);
		v->tcbs[i] = alloc_object(MICA_OBJ_TCB, 0);
		if (v->vcpus[i] == 0 || v->tcbs[i] == 0)
			return MICA_ERR_NOT_ENOUGH_MEMORY;
	}
	err = make_ram(s, index);
	for (unsigned i = 0; err == MICA_OK && i < s->ram_count; i++) {
		const struct ram_frame *f = &s->ram[i];

		if (f->vm == index)
			err = vm_map_frame(v->vm, f->cap, f->ipa, RW, MICA_MAP_EXECUTE);
	}
	if (err == MICA_OK)
		err = make_passthrough(s, v);
	return err;
}
