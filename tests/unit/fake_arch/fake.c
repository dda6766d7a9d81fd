/*
 * The fake architecture: every function of kernel/include/arch.h, done on
 * the host so generic kernel code links into unit tests. Physical
 * addresses are host addresses; address spaces are page lists; powering
 * off records the status and jumps back to the test (fake_power_off_jump).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
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
struct fake_cpu fake_cpus[PLATFORM_MAX_CPUS];
unsigned fake_cpu_now;
void (*fake_misuse)(const char *what);
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

void arch_clear_pages(void *va, size_t size)
{
	memset(va, 0, size);
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
 * A CPU reached state that another CPU's registers hold (or that the kernel
 * believes elsewhere than it is): what it gets on hardware is garbage, so
 * the test is told at once, through fake_misuse, else by an abort.
 */
void fake_report_misuse(const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (fake_misuse != NULL) {
		fake_misuse(what);
		return;
	}
	fprintf(stderr, "fake arch: %s\n", what);
	abort();
}

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

/*
 * Nothing is runnable: the real CPU would sleep until an interrupt. A
 * test sees this as a jump to fake_idle_jump (or an abort without one).
 */
void arch_wait_for_interrupt(void)
{
	fake_interrupt_waits++;
	fake_cpus[fake_cpu_now].idle = true;
	if (fake_idle_jump != NULL)
		longjmp(*fake_idle_jump, 1);
	abort();
}

unsigned fake_preempt_every;
static unsigned fake_preempt_calls;

bool arch_irq_pending(void)
{
	return fake_preempt_every != 0 && ++fake_preempt_calls % fake_preempt_every == 0;
}

uint64_t arch_cycles(void)
{
	static uint64_t cycles;

	return cycles += 100;
}

uint64_t fake_counter;
uint64_t fake_timer_wake_by = UINT64_MAX;

uint64_t arch_counter(void)
{
	return fake_counter;
}

uint64_t arch_stat_clock(void)
{
	return fake_counter;
}

void arch_timer_wake_by(uint64_t at)
{
	if (at < fake_timer_wake_by)
		fake_timer_wake_by = at;
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

void arch_regs_restart_syscall(struct arch_regs *regs)
{
	regs->pc -= 4;
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

bool arch_regs_is_guest(const struct arch_regs *regs)
{
	return regs->is_guest;
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

/*
 * The fake's translation tables are real ones, in the objects' own memory,
 * so that what happens to tables (cleared, reused, left behind) happens
 * here as on hardware: three levels of 512 eight-byte entries over a
 * 39-bit address, as an AArch64 walk from level 1. A VSpace or VM object's
 * first page is level 1; page tables are levels 2 and 3; a level-2 leaf
 * maps 2 MiB. An entry: bit 0 valid, bit 1 "points to a table" (levels 1
 * and 2), the MAP_* permissions from bit 4, the address in bits 47..12.
 */
#define FAKE_PTE_VALID	    UINT64_C(1)
#define FAKE_PTE_TABLE	    UINT64_C(2)
#define FAKE_PTE_PROT_SHIFT 4
#define FAKE_PTE_ADDR	    UINT64_C(0x0000fffffffff000)
#define FAKE_PTE_BOOT	    (UINT64_C(1) << 55) /* Made with an alloc_page (boot). */
#define FAKE_VA_BITS	    39

static unsigned fake_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> (12 + 9 * (3 - level))) & 511;
}

static uint64_t *fake_table(uint64_t pa)
{
	return (uint64_t *)(uintptr_t)pa;
}

/* Pages fake_alloc_page handed out, freed by fake_forget_mappings. */
#define FAKE_PAGES 64
static void *fake_pages[FAKE_PAGES];
static unsigned fake_page_count;

paddr_t fake_alloc_page(void)
{
	void *p;

	if (fake_page_count == FAKE_PAGES)
		return pa_init(0);
	p = aligned_alloc(4096, 4096);
	if (p == NULL)
		return pa_init(0);
	memset(p, 0, 4096);
	fake_pages[fake_page_count++] = p;
	return pa_init((uintptr_t)p);
}

void fake_forget_mappings(void)
{
	for (unsigned i = 0; i < fake_page_count; i++)
		free(fake_pages[i]);
	fake_page_count = 0;
}

/*
 * The entry for va at level, from the root down. Missing tables come from
 * alloc_page if given; otherwise the walk stops and *missing says at which
 * level the table is missing. NULL if level cannot be reached.
 */
static uint64_t *fake_walk(const struct arch_vspace *vs, uint64_t va, unsigned level,
			   paddr_t (*alloc_page)(void), unsigned *missing)
{
	uint64_t *table = fake_table(vs->root_pa);

	for (unsigned l = 1; l < level; l++) {
		uint64_t *e = &table[fake_index(va, l)];

		if (!(*e & FAKE_PTE_VALID)) {
			paddr_t next = alloc_page != NULL ? alloc_page() : pa_init(0);

			if (pa_addr(next) == 0) {
				if (missing != NULL)
					*missing = l + 1;
				return NULL;
			}
			*e = pa_addr(next) | FAKE_PTE_TABLE | FAKE_PTE_VALID | FAKE_PTE_BOOT;
		} else if (!(*e & FAKE_PTE_TABLE)) {
			return NULL;
		}
		table = fake_table(*e & FAKE_PTE_ADDR);
	}
	return &table[fake_index(va, level)];
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
	unsigned level = page_bits == 21 ? 2 : 3;
	uint64_t *e;

	if (page_bits != 12 && page_bits != 21)
		return MICA_ERR_INVALID_ARGUMENT;
	if (!IS_ALIGNED(va_addr(va), UINT64_C(1) << page_bits) ||
	    !IS_ALIGNED(pa_addr(pa), UINT64_C(1) << page_bits))
		return MICA_ERR_ALIGNMENT;
	if (va_addr(va) >> FAKE_VA_BITS != 0)
		return MICA_ERR_RANGE;
	if (!vs->stage2 && (prot & MAP_WRITE) && (prot & MAP_EXEC))
		return MICA_ERR_INVALID_ARGUMENT;
	e = fake_walk(vs, va_addr(va), level, alloc_page, NULL);
	if (e == NULL)
		return alloc_page != NULL ? MICA_ERR_NOT_ENOUGH_MEMORY : MICA_ERR_LOOKUP_FAILED;
	if (*e & FAKE_PTE_VALID)
		return MICA_ERR_DELETE_FIRST;
	*e = pa_addr(pa) | (uint64_t)(prot | MAP_USER | MAP_READ) << FAKE_PTE_PROT_SHIFT |
	     FAKE_PTE_VALID | (alloc_page != NULL ? FAKE_PTE_BOOT : 0);
	return MICA_OK;
}

bool arch_vspace_in_table(const struct arch_vspace *vs, vaddr_t va, unsigned page_bits,
			  paddr_t table)
{
	const uint64_t *e = fake_walk(vs, va_addr(va), page_bits == 21 ? 2 : 3, NULL, NULL);
	const uint64_t *t = fake_table(pa_addr(table));

	return e != NULL && va_addr(va) >> FAKE_VA_BITS == 0 && e >= t && e < t + 512;
}

void arch_vspace_unmap(const struct arch_vspace *vs, vaddr_t va, paddr_t pa, unsigned page_bits)
{
	uint64_t *e = fake_walk(vs, va_addr(va), page_bits == 21 ? 2 : 3, NULL, NULL);

	fake_unmap_count++;
	if (e != NULL && (*e & (FAKE_PTE_VALID | FAKE_PTE_TABLE)) == FAKE_PTE_VALID &&
	    (*e & FAKE_PTE_ADDR) == pa_addr(pa))
		*e = 0;
}

enum mica_error arch_vspace_map_table(struct arch_vspace *vs, vaddr_t va, paddr_t table)
{
	unsigned missing = 0;

	if (va_addr(va) >> FAKE_VA_BITS != 0)
		return MICA_ERR_RANGE;
	if (fake_walk(vs, va_addr(va), 3, NULL, &missing) != NULL || missing == 0)
		return MICA_ERR_DELETE_FIRST;
	*fake_walk(vs, va_addr(va), missing - 1, NULL, NULL) =
		pa_addr(table) | FAKE_PTE_TABLE | FAKE_PTE_VALID;
	return MICA_OK;
}

void arch_vspace_unmap_table(const struct arch_vspace *vs, vaddr_t va, paddr_t table)
{
	fake_unmap_count++;
	for (unsigned level = 1; level < 3; level++) {
		uint64_t *e = fake_walk(vs, va_addr(va), level, NULL, NULL);

		if (e == NULL ||
		    (*e & (FAKE_PTE_VALID | FAKE_PTE_TABLE)) != (FAKE_PTE_VALID | FAKE_PTE_TABLE))
			return;
		if ((*e & FAKE_PTE_ADDR) == pa_addr(table)) {
			*e = 0;
			return;
		}
	}
}

unsigned arch_asid_count(void)
{
	return 65536;
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
uint16_t fake_vmid_held[PLATFORM_MAX_CPUS];

uint16_t arch_vmid_held(unsigned cpu)
{
	return fake_vmid_held[cpu];
}

void arch_vmid_flush_all(void)
{
	fake_vmid_flushes++;
}

/* Visit entry i of table (level, from base); the next-level table it names, or 0. */
static uint64_t fake_walk_entry(const uint64_t *table, unsigned i, unsigned level, uint64_t base,
				void (*visit)(void *ctx, const struct arch_translation *t),
				void *ctx)
{
	unsigned shift = level == 1 ? 30 : level == 2 ? 21 : 12;
	struct arch_translation t = {
		.va = base + ((uint64_t)i << shift),
		.pa = pa_init(table[i] & FAKE_PTE_ADDR),
		.size_bits = shift,
		.is_table = (table[i] & FAKE_PTE_TABLE) != 0,
		.is_boot = (table[i] & FAKE_PTE_BOOT) != 0,
	};

	if (!(table[i] & FAKE_PTE_VALID))
		return 0;
	visit(ctx, &t);
	return t.is_table ? table[i] & FAKE_PTE_ADDR : 0;
}

void arch_vspace_walk(const struct arch_vspace *vs,
		      void (*visit)(void *ctx, const struct arch_translation *t), void *ctx)
{
	const uint64_t *l1 = fake_table(vs->root_pa);

	for (unsigned i = 0; i < 512; i++) {
		uint64_t va1 = (uint64_t)i << 30;
		uint64_t t2 = fake_walk_entry(l1, i, 1, 0, visit, ctx);

		for (unsigned j = 0; t2 != 0 && j < 512; j++) {
			uint64_t va2 = va1 + ((uint64_t)j << 21);
			uint64_t t3 = fake_walk_entry(fake_table(t2), j, 2, va1, visit, ctx);

			for (unsigned k = 0; t3 != 0 && k < 512; k++)
				(void)fake_walk_entry(fake_table(t3), k, 3, va2, visit, ctx);
		}
	}
}

struct ret arch_vspace_translate(const struct arch_vspace *vs, vaddr_t va, unsigned need)
{
	if (va_addr(va) >> FAKE_VA_BITS != 0)
		return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
	for (unsigned level = 2; level <= 3; level++) {
		uint64_t *e = fake_walk(vs, va_addr(va), level, NULL, NULL);
		uint64_t size = UINT64_C(1) << (12 + 9 * (3 - level));
		unsigned prot;

		if (e == NULL || !(*e & FAKE_PTE_VALID))
			return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
		if (*e & FAKE_PTE_TABLE)
			continue;
		prot = (unsigned)(*e >> FAKE_PTE_PROT_SHIFT) & 0xff;
		if ((prot & (need | MAP_DEVICE)) != need)
			return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
		return (struct ret){MICA_OK, (*e & FAKE_PTE_ADDR) + (va_addr(va) & (size - 1))};
	}
	return (struct ret){MICA_ERR_BAD_ADDRESS, 0};
}

unsigned arch_vgic_lr_count(void)
{
	return fake_lr_count;
}

/*
 * vCPU state on the fake CPUs: each CPU has one set of EL1, GIC and timer
 * registers, which hold the state of the vCPU it loaded last until it
 * saves it back. Like the real arch (arch_vcpu.is_loaded), the fake goes
 * by the vCPU's own mark: state that some CPU holds is reached in the
 * running CPU's registers, which are the right ones only if that CPU is
 * the running one.
 */
static struct fake_vcpu_regs vcpu_regs[PLATFORM_MAX_CPUS];
static uint64_t vcpu_incarnations;

/*
 * The running CPU's registers if v's state is in a CPU's (reporting it if
 * another CPU holds it: those registers are not the ones reached), else
 * NULL: v's copy is its state.
 */
static struct fake_vcpu_regs *held_regs(const struct arch_vcpu *v, const char *what)
{
	if (v->held_by == 0)
		return NULL;
	if (v->held_by != fake_cpu_now + 1)
		fake_report_misuse("CPU %u %s of a vCPU whose state CPU %u holds", fake_cpu_now,
				   what, v->held_by - 1U);
	return &vcpu_regs[fake_cpu_now];
}

/* The kernel's idea (loaded: this CPU holds v) must be where the state is. */
static void check_loaded(const struct arch_vcpu *v, bool loaded, const char *what)
{
	if (!loaded && v->held_by == fake_cpu_now + 1)
		fake_report_misuse(
			"CPU %u %s of a vCPU from memory while its own registers hold them",
			fake_cpu_now, what);
}

void arch_vcpu_init(struct arch_vcpu *v)
{
	if (v->held_by != 0 && v->held_by != fake_cpu_now + 1)
		fake_report_misuse("CPU %u resets a vCPU whose state CPU %u holds", fake_cpu_now,
				   v->held_by - 1U);
	*v = (struct arch_vcpu){.incarnation = ++vcpu_incarnations};
}

void arch_vcpu_load(struct arch_vcpu *v)
{
	struct fake_vcpu_regs *r = &vcpu_regs[fake_cpu_now];

	if (v->held_by != 0)
		fake_report_misuse("CPU %u loads a vCPU whose state CPU %u holds already",
				   fake_cpu_now, v->held_by - 1U);
	memcpy(r->reg, v->reg, sizeof(r->reg));
	memcpy(r->lr, v->lr, sizeof(r->lr));
	r->underflow = v->underflow;
	v->held_by = (uint8_t)(fake_cpu_now + 1);
	v->loads++;
}

/* A vCPU no CPU holds has its state in memory already (a test may have put it there). */
void arch_vcpu_save(struct arch_vcpu *v)
{
	const struct fake_vcpu_regs *r = held_regs(v, "saves the registers");

	if (r != NULL) {
		memcpy(v->reg, r->reg, sizeof(v->reg));
		memcpy(v->lr, r->lr, sizeof(v->lr));
		v->underflow = r->underflow;
		v->held_by = 0;
	}
	v->saves++;
}

struct fake_lr *fake_vcpu_lr(struct arch_vcpu *v, unsigned n)
{
	struct fake_vcpu_regs *r = held_regs(v, "(a guest) reaches the list registers");

	return r != NULL ? &r->lr[n] : &v->lr[n];
}

uint64_t *fake_vcpu_reg(struct arch_vcpu *v, unsigned reg)
{
	struct fake_vcpu_regs *r = held_regs(v, "(a guest) reaches the EL1 registers");

	return r != NULL ? &r->reg[reg] : &v->reg[reg];
}

enum mica_error arch_vcpu_read_reg(struct arch_vcpu *v, bool loaded, const struct tcb *t,
				   uint64_t reg, uint64_t *out)
{
	(void)t;
	check_loaded(v, loaded, "reads the registers");
	if (reg >= MICA_VCPU_REG_COUNT)
		return MICA_ERR_INVALID_ARGUMENT;
	*out = *fake_vcpu_reg(v, (unsigned)reg);
	return MICA_OK;
}

enum mica_error arch_vcpu_write_reg(struct arch_vcpu *v, bool loaded, struct tcb *t, uint64_t reg,
				    uint64_t value)
{
	(void)t;
	check_loaded(v, loaded, "writes the registers");
	if (reg >= MICA_VCPU_REG_COUNT)
		return MICA_ERR_INVALID_ARGUMENT;
	*fake_vcpu_reg(v, (unsigned)reg) = value;
	return MICA_OK;
}

void arch_vcpu_inject_undef(struct arch_vcpu *v, bool loaded, struct arch_regs *regs)
{
	(void)regs;
	check_loaded(v, loaded, "injects an exception into the registers");
	(void)held_regs(v, "injects an exception into the registers");
	v->undefs++;
	v->abortable = false;
}

enum mica_error arch_vcpu_inject_abort(struct arch_vcpu *v, bool loaded, struct arch_regs *regs)
{
	(void)regs;
	check_loaded(v, loaded, "injects an exception into the registers");
	(void)held_regs(v, "injects an exception into the registers");
	if (!v->abortable)
		return MICA_ERR_ILLEGAL_OPERATION;
	v->aborts++;
	v->abortable = false;
	return MICA_OK;
}

struct vgic_lr arch_vgic_lr_get(const struct arch_vcpu *v, unsigned n)
{
	const struct fake_vcpu_regs *r = held_regs(v, "reads the list registers");
	const struct fake_lr *lr = r != NULL ? &r->lr[n] : &v->lr[n];

	return (struct vgic_lr){lr->intid, lr->priority, lr->state, lr->eoi};
}

uint32_t arch_vgic_lr_used(const struct arch_vcpu *v)
{
	uint32_t used = 0;

	for (unsigned n = 0; n < arch_vgic_lr_count(); n++) {
		struct vgic_lr lr = arch_vgic_lr_get(v, n);

		if (lr.state != VGIC_LR_INVALID || lr.eoi)
			used |= 1u << n;
	}
	return used;
}

void arch_vgic_lr_set(struct arch_vcpu *v, unsigned n, struct vgic_lr lr)
{
	struct fake_vcpu_regs *r = held_regs(v, "writes the list registers");

	(r != NULL ? r->lr : v->lr)[n] = (struct fake_lr){lr.intid, lr.priority, lr.state, lr.eoi};
}

void arch_vgic_set_underflow(struct arch_vcpu *v, bool on)
{
	struct fake_vcpu_regs *r = held_regs(v, "writes the maintenance control");

	*(r != NULL ? &r->underflow : &v->underflow) = on;
}

void arch_vgic_idle(void)
{
	fake_vgic_idles++;
}

/* The saved timers: those of a vCPU another CPU runs are not in memory. */
uint32_t arch_timers_due(const struct arch_vcpu *v, uint64_t now)
{
	(void)now;
	if (v->held_by != 0 && v->held_by != fake_cpu_now + 1)
		fake_report_misuse(
			"CPU %u reads the saved timer of a vCPU whose state CPU %u holds",
			fake_cpu_now, v->held_by - 1U);
	return v->timers_due;
}

void arch_smp_start(const struct platform *platform)
{
	(void)platform;
}
