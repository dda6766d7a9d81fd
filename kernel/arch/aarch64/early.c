/*
 * Start-up with the MMU off: runs at the physical load address, before the
 * kernel is where it was linked. Everything here must be position
 * independent: PC-relative addressing only (no pointers stored in data, no
 * function-pointer tables), no unaligned accesses (-mstrict-align), and no
 * calls to code that breaks those rules.
 *
 * It reads the device tree, refuses to go on below EL2, and builds the
 * kernel's translation tables; head.S then turns the MMU on.
 */
#include <string.h>

#include "arch/early.h"
#include "arch/layout.h"
#include "arch/power.h"
#include "arch/sysreg.h"
#include "drivers/pl011.h"

#define ALIGNED_TABLE __attribute__((aligned(4096)))

struct early_mmu early_mmu;
struct platform boot_platform;
uint64_t boot_image_pa;

pte_t kernel_l1[PTE_ENTRIES] ALIGNED_TABLE;
pte_t io_l2[PTE_ENTRIES] ALIGNED_TABLE;
static pte_t idmap_l1[PTE_ENTRIES] ALIGNED_TABLE;
static pte_t kernel_l2[PTE_ENTRIES] ALIGNED_TABLE;
static pte_t kernel_l3[KERNEL_L3_TABLES][PTE_ENTRIES] ALIGNED_TABLE;
static pte_t physmap_l2[PHYSMAP_L2_TABLES][PTE_ENTRIES] ALIGNED_TABLE;

/* The largest device tree the kernel accepts. */
#define DTB_MAX_SIZE (UINT64_C(2) << 20)

static void early_puts(const char *s)
{
	if (boot_platform.uart.base != 0)
		pl011_puts((volatile void *)(uintptr_t)boot_platform.uart.base, s);
}

static NORETURN void early_fail(const char *msg, int status)
{
	early_puts(msg);
	power_off(status, boot_platform.psci);
}

/* Offsets of the image's sections from its start, by section end. */
static uint64_t image_offset(const char *sym)
{
	return (uint64_t)(uintptr_t)sym - (uint64_t)(uintptr_t)__image_start;
}

/*
 * Map the kernel image page by page at KERNEL_VBASE: text read-execute,
 * rodata read-only, data and bss read-write, never execute.
 */
static void map_kernel_image(uint64_t image_pa)
{
	uint64_t text_end = image_offset(__text_end);
	uint64_t rodata_end = image_offset(__rodata_end);
	uint64_t end = image_offset(__kernel_end);

	if (end > KERNEL_L3_TABLES * pte_level_size(2))
		early_fail("mica: the kernel image is larger than its boot mapping\n",
			   MICA_EXIT_KERNEL_PANIC);

	kernel_l1[pte_index(KERNEL_VBASE, 1)] = pte_table((uintptr_t)kernel_l2);
	kernel_l1[pte_index(IO_BASE, 1)] = pte_table((uintptr_t)io_l2);
	for (unsigned i = 0; i < KERNEL_L3_TABLES; i++)
		kernel_l2[i] = pte_table((uintptr_t)kernel_l3[i]);

	for (uint64_t off = 0; off < end; off += PAGE_SIZE) {
		unsigned prot = MAP_READ;

		if (off < text_end)
			prot |= MAP_EXEC;
		else if (off >= rodata_end)
			prot |= MAP_WRITE;
		kernel_l3[off >> 21][pte_index(off, 3)] = pte_leaf(image_pa + off, 3, prot);
	}
}

/*
 * Map RAM into the physmap: whole aligned gigabytes as 1 GiB blocks, the
 * rest as 2 MiB blocks (a range's unaligned edges are left out). Returns
 * false if the level-2 table pool ran out.
 */
static bool map_physmap(void)
{
	unsigned l2_used = 0;
	bool complete = true;

	for (size_t r = 0; r < boot_platform.mem_count; r++) {
		uint64_t pa = ALIGN_UP(boot_platform.mem[r].base, (uint64_t)BLOCK_2M);
		uint64_t end = ALIGN_DOWN(boot_platform.mem[r].base + boot_platform.mem[r].size,
					  (uint64_t)BLOCK_2M);

		if (end > PHYSMAP_SIZE)
			end = PHYSMAP_SIZE;
		while (pa < end) {
			uint64_t va = PHYSMAP_BASE + pa;
			pte_t *l1e = &kernel_l1[pte_index(va, 1)];

			if (IS_ALIGNED(pa, pte_level_size(1)) && end - pa >= pte_level_size(1) &&
			    !pte_is_valid(*l1e)) {
				*l1e = pte_leaf(pa, 1, MAP_READ | MAP_WRITE);
				pa += pte_level_size(1);
				continue;
			}
			if (!pte_is_valid(*l1e)) {
				if (l2_used == PHYSMAP_L2_TABLES) {
					complete = false;
					break;
				}
				*l1e = pte_table((uintptr_t)physmap_l2[l2_used++]);
			}
			if (pte_is_table(*l1e, 1)) {
				pte_t *l2 = (pte_t *)(uintptr_t)pte_address(*l1e);

				l2[pte_index(va, 2)] = pte_leaf(pa, 2, MAP_READ | MAP_WRITE);
			}
			pa += BLOCK_2M;
		}
	}
	return complete;
}

static uint64_t tcr_value(void)
{
	uint64_t mmfr0 = sysreg_read(id_aa64mmfr0_el1);
	uint64_t parange = MMFR0_PARANGE(mmfr0);
	uint64_t tcr = TCR_T0SZ(64 - VA_BITS) | TCR_T1SZ(64 - VA_BITS) | TCR_TG0_4K | TCR_TG1_4K |
		       TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_IRGN1_WBWA |
		       TCR_ORGN1_WBWA | TCR_SH1_INNER;

	/* PARange above 48 bits needs 52-bit descriptors, which Mica does not use. */
	if (parange > 5)
		parange = 5;
	tcr |= parange << TCR_IPS_SHIFT;
	if (((mmfr0 >> 4) & 0xf) == 2) /* ASIDBits: 16-bit ASIDs. */
		tcr |= TCR_AS16;
	return tcr;
}

void early_boot(uint64_t dtb_pa, uint64_t image_pa)
{
	uint64_t el = CURRENTEL_EL(sysreg_read(CurrentEL));
	const char *why = "no device tree was passed in x0";
	enum mica_error err = MICA_ERR_NOT_FOUND;

	if (dtb_pa != 0)
		err = platform_discover((const void *)(uintptr_t)dtb_pa, DTB_MAX_SIZE,
					&boot_platform, &why);
	if (err != MICA_OK) {
		early_puts("mica: cannot use the device tree: ");
		early_puts(why);
		early_fail("\n", MICA_EXIT_BOOT_ERROR);
	}
	if (el != 2)
		early_fail("mica: started at EL1, but Mica is a hypervisor and needs EL2: "
			   "add virtualization=on to QEMU's -machine option "
			   "(-machine virt,virtualization=on,gic-version=3)\n",
			   MICA_EXIT_NEEDS_EL2);

	boot_image_pa = image_pa;
	map_kernel_image(image_pa);
	if (!map_physmap())
		early_puts("mica: warning: RAM beyond the physmap's table pool is not used\n");
	idmap_l1[pte_index(image_pa, 1)] =
		pte_leaf(ALIGN_DOWN(image_pa, pte_level_size(1)), 1, MAP_READ | MAP_EXEC);

	early_mmu.hcr = HCR_E2H | HCR_TGE | HCR_RW;
	early_mmu.mair = MAIR_VALUE;
	early_mmu.tcr = tcr_value();
	early_mmu.ttbr0 = (uintptr_t)idmap_l1;
	early_mmu.ttbr1 = (uintptr_t)kernel_l1;
	early_mmu.sctlr = SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_SA0 | SCTLR_EOS | SCTLR_I |
			  SCTLR_DZE | SCTLR_UCT | SCTLR_NTWI | SCTLR_NTWE | SCTLR_WXN |
			  SCTLR_TSCXT | SCTLR_EIS | SCTLR_UCI | SCTLR_NTLSMD | SCTLR_LSMAOE;
}
