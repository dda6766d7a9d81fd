/*
 * The fake architecture: every function of kernel/include/arch.h, done on
 * the host so generic kernel code links into unit tests. Physical
 * addresses are host addresses; address spaces are page lists; powering
 * off records the status and jumps back to the test (fake_power_off_jump).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "fake.h"
#include "vgic.h"

#include <mica/abi/context.h>

jmp_buf *fake_power_off_jump;
jmp_buf *fake_idle_jump;
int fake_power_off_status = -1;
unsigned fake_interrupt_waits;
const struct arch_vspace *fake_active_vspace;
uint64_t fake_active_token;
struct arch_vspace arch_vspace_empty;
struct arch_vspace arch_vm_empty = {.stage2 = true};
unsigned fake_unmap_count;
bool fake_irq_enabled[1024];
unsigned fake_lr_count = 4;
unsigned fake_vgic_idles;

static uint8_t fake_io[4096];

void arch_boot_info(paddr_t dtb, paddr_t image, struct boot_info *out)
{
	(void)dtb;
	memset(out, 0, sizeof(*out));
	out->image_start = image;
	out->image_end = image;
}

void arch_cpu_init(void)
{
}

void *arch_phys_to_virt(paddr_t pa)
{
	return (void *)pa_addr(pa);
}

paddr_t arch_virt_to_phys(const void *va)
{
	return pa_init((uintptr_t)va);
}

volatile void *arch_io_map(paddr_t pa, size_t size)
{
	(void)pa;
	return size <= sizeof(fake_io) ? fake_io : NULL;
}

void arch_power_off(int status)
{
	fake_power_off_status = status;
	if (fake_power_off_jump != NULL)
		longjmp(*fake_power_off_jump, 1);
	abort();
}

void arch_irq_init(const struct platform *platform)
{
	(void)platform;
}

void arch_timer_init(const struct platform *platform, unsigned hz)
{
	(void)platform;
	(void)hz;
}

/*
 * Nothing is runnable: the real CPU would sleep until an interrupt. A
 * test sees this as a jump to fake_idle_jump (or an abort without one).
 */
bool fake_fp_on;
struct arch_fp fake_fp;

void arch_fp_open(void)
{
	fake_fp_on = true;
}

void arch_fp_save(struct arch_fp *fp)
{
	*fp = fake_fp;
}

void arch_fp_load(const struct arch_fp *fp)
{
	fake_fp = *fp;
}

void arch_wait_for_interrupt(void)
{
	fake_interrupt_waits++;
	if (fake_idle_jump != NULL)
		longjmp(*fake_idle_jump, 1);
	abort();
}

uint64_t arch_counter(void)
{
	return 0;
}

uint64_t arch_counter_hz(void)
{
	return 1000000;
}

void arch_regs_init_user(struct arch_regs *regs, uintptr_t entry, uintptr_t sp, uintptr_t arg)
{
	memset(regs, 0, sizeof(*regs));
	regs->pc = entry;
	regs->sp = sp;
	regs->x[0] = arg;
}

void arch_regs_set_result(struct arch_regs *regs, enum mica_error err, uintptr_t val)
{
	regs->x[0] = (uint64_t)err;
	regs->x[1] = val;
}

/* The context words of <mica/abi/context.h> the fake has: PC, SP and x0..x7. */
uint64_t arch_regs_get(const struct arch_regs *regs, unsigned i)
{
	if (i >= MICA_CTX_X0 && i - MICA_CTX_X0 < FAKE_REGS_COUNT)
		return regs->x[i - MICA_CTX_X0];
	return i == MICA_CTX_PC ? regs->pc : i == MICA_CTX_SP ? regs->sp : 0;
}

void arch_regs_set(struct arch_regs *regs, unsigned i, uint64_t v)
{
	if (i >= MICA_CTX_X0 && i - MICA_CTX_X0 < FAKE_REGS_COUNT)
		regs->x[i - MICA_CTX_X0] = v;
	else if (i == MICA_CTX_PC)
		regs->pc = v;
	else if (i == MICA_CTX_SP)
		regs->sp = v;
}

uintptr_t arch_regs_pc(const struct arch_regs *regs)
{
	return regs->pc;
}

void arch_irq_set_enabled(uint32_t intid, bool enabled)
{
	if (intid < sizeof(fake_irq_enabled))
		fake_irq_enabled[intid] = enabled;
}

bool arch_irq_is_claimable(uint32_t intid)
{
	return intid >= 32 && intid < 1020;
}

void arch_regs_dump(const struct arch_regs *regs)
{
	(void)regs;
}

void arch_return_to_user(struct arch_regs *regs)
{
	(void)regs;
	abort(); /* Host tests never leave the kernel. */
}

/* Every mapping of every fake address space. */
#define FAKE_MAPPINGS 256

struct fake_mapping {
	uint64_t root;
	uint64_t va;
	uint64_t pa;
	unsigned page_bits;
	unsigned prot;
	bool used;
};

static struct fake_mapping mappings[FAKE_MAPPINGS];

void fake_forget_mappings(void)
{
	memset(mappings, 0, sizeof(mappings));
}

enum mica_error arch_vspace_init(struct arch_vspace *vs, uint16_t asid, paddr_t (*alloc_page)(void))
{
	paddr_t root = alloc_page();

	if (pa_addr(root) == 0)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	vs->root_pa = pa_addr(root);
	vs->asid = asid;
	return MICA_OK;
}

enum mica_error arch_vspace_map(struct arch_vspace *vs, vaddr_t va, paddr_t pa, unsigned page_bits,
				unsigned prot, paddr_t (*alloc_page)(void))
{
	struct fake_mapping *free_entry = NULL;

	(void)alloc_page;
	if (page_bits != 12 && page_bits != 21)
		return MICA_ERR_INVALID_ARGUMENT;
	if (!IS_ALIGNED(va_addr(va), UINT64_C(1) << page_bits) ||
	    !IS_ALIGNED(pa_addr(pa), UINT64_C(1) << page_bits))
		return MICA_ERR_ALIGNMENT;
	if ((prot & MAP_WRITE) && (prot & MAP_EXEC))
		return MICA_ERR_INVALID_ARGUMENT;
	for (unsigned i = 0; i < FAKE_MAPPINGS; i++) {
		if (mappings[i].used && mappings[i].root == vs->root_pa &&
		    mappings[i].va == va_addr(va))
			return MICA_ERR_DELETE_FIRST;
		if (!mappings[i].used && free_entry == NULL)
			free_entry = &mappings[i];
	}
	if (free_entry == NULL)
		return MICA_ERR_NOT_ENOUGH_MEMORY;
	*free_entry = (struct fake_mapping){
		vs->root_pa, va_addr(va), pa_addr(pa), page_bits, prot | MAP_USER | MAP_READ, true};
	return MICA_OK;
}

void arch_vspace_unmap(const struct arch_vspace *vs, vaddr_t va, paddr_t pa, unsigned page_bits)
{
	fake_unmap_count++;
	for (unsigned i = 0; i < FAKE_MAPPINGS; i++)
		if (mappings[i].used && mappings[i].root == vs->root_pa &&
		    mappings[i].va == va_addr(va) && mappings[i].pa == pa_addr(pa) &&
		    mappings[i].page_bits == page_bits)
			mappings[i].used = false;
}

enum mica_error arch_vspace_map_table(struct arch_vspace *vs, vaddr_t va, paddr_t table)
{
	(void)vs;
	(void)va;
	(void)table;
	return MICA_OK;
}

void arch_vspace_unmap_table(const struct arch_vspace *vs, vaddr_t va, paddr_t table)
{
	(void)vs;
	(void)va;
	(void)table;
	fake_unmap_count++;
}

void arch_asid_invalidate(uint16_t asid)
{
	(void)asid;
}

void arch_vmid_invalidate(uint16_t vmid)
{
	(void)vmid;
}

unsigned fake_vmid_flushes;

void arch_vmid_flush_all(void)
{
	fake_vmid_flushes++;
}

struct ret arch_vspace_translate(const struct arch_vspace *vs, vaddr_t va, unsigned need)
{
	for (unsigned i = 0; i < FAKE_MAPPINGS; i++) {
		const struct fake_mapping *m = &mappings[i];
		uint64_t size = UINT64_C(1) << m->page_bits;

		if (m->used && m->root == vs->root_pa && va_addr(va) >= m->va &&
		    va_addr(va) - m->va < size && (m->prot & need) == need)
			return (struct ret){MICA_OK, m->pa + (va_addr(va) - m->va)};
	}
	return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
}

unsigned arch_vgic_lr_count(void)
{
	return fake_lr_count;
}

struct vgic_lr arch_vgic_lr_get(const struct arch_vcpu *v, unsigned n)
{
	const struct fake_lr *lr = &v->lr[n];

	return (struct vgic_lr){lr->intid, lr->priority, lr->state, lr->eoi};
}

void arch_vgic_lr_set(struct arch_vcpu *v, unsigned n, struct vgic_lr lr)
{
	v->lr[n] = (struct fake_lr){lr.intid, lr.priority, lr.state, lr.eoi};
}

void arch_vgic_set_underflow(struct arch_vcpu *v, bool on)
{
	v->underflow = on;
}

void arch_vgic_idle(void)
{
	fake_vgic_idles++;
}

bool arch_vtimer_is_due(const struct arch_vcpu *v, uint64_t now)
{
	(void)now;
	return v->vtimer_due;
}
