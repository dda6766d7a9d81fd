/*
 * Per-CPU EL2 state once the kernel runs at its link address, and the boot
 * facts start-up gathered.
 */
#include "arch.h"
#include "arch/early.h"
#include "arch/internal.h"
#include "arch/layout.h"
#include "arch/power.h"
#include "arch/sysreg.h"
#include "arch/vcpu.h"
#include "sched.h"
#include "vmid.h"

/*
 * HCR_EL2 while host threads run (E2H and TGE: the EL2&0 regime) and while
 * a guest runs: stage 2 on, physical interrupts and SErrors to EL2, EL1 in
 * AArch64, pointer authentication left to the guest. Trapped, because
 * another guest or the host would notice them otherwise or the VMM must
 * decide: WFI, WFE, SMC, the auxiliary control register (TACR), the
 * implementation-defined registers (TIDCP) and cache maintenance by set
 * and way (TSW). The address-space switch writes one or the other. VM
 * stays set for the host too, where E2H and TGE make it count as 0 (Arm ARM,
 * HCR_EL2.VM): an emulator that flushes its TLBs when VM changes (QEMU
 * does) then keeps the guest's across the switches to servers and back.
 */
uint64_t arch_hcr_host = HCR_E2H | HCR_TGE | HCR_RW | HCR_VM;
uint64_t arch_hcr_guest = HCR_E2H | HCR_RW | HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO |
			  HCR_TWI | HCR_TWE | HCR_TSC | HCR_TACR | HCR_TSW | HCR_TIDCP | HCR_TID3 |
			  HCR_APK | HCR_API | HCR_FB | HCR_BSU_IS;

/* ID_AA64MMFR0_EL1.ASIDBits [7:4]: 2 means 16-bit ASIDs (early.c sets TCR_EL2.AS then). */
unsigned arch_asid_count(void)
{
	return ((sysreg_read(id_aa64mmfr0_el1) >> 4) & 0xf) == 2 ? 65536 : 256;
}

/* ID_AA64MMFR1_EL1.VMIDBits: 2 means 16-bit VMIDs. */
static uint64_t mmfr1_vmidbits(void)
{
	return (sysreg_read(id_aa64mmfr1_el1) >> 4) & 0xf;
}

/*
 * Stage 2: 39-bit guest-physical addresses walked from level 1 like the
 * kernel's own tables, output size from ID_AA64MMFR0_EL1.PARange, 16-bit
 * VMIDs where the CPU has them.
 */
/* FEAT_PAuth: ID_AA64ISAR1_EL1 APA [7:4], API [11:8], GPA [27:24], GPI [31:28]; ISAR2 APA3. */
static bool cpu_has_pauth(void)
{
	uint64_t isar1 = sysreg_read(id_aa64isar1_el1);
	uint64_t isar2 = sysreg_read(s3_0_c0_c6_2); /* ID_AA64ISAR2_EL1 */

	return (isar1 & UINT64_C(0xf0000ff0)) != 0 || ((isar2 >> 12) & 0xf) != 0;
}

static void stage2_init(void)
{
	uint64_t mmfr0 = sysreg_read(id_aa64mmfr0_el1);
	uint64_t parange = MMFR0_PARANGE(mmfr0);
	uint64_t vtcr = VTCR_RES1 | VTCR_T0SZ(64 - STAGE2_IPA_BITS) | VTCR_SL0_LEVEL1 |
			VTCR_IRGN0_WBWA | VTCR_ORGN0_WBWA | VTCR_SH0_INNER;

	if (parange > 5)
		parange = 5;
	vtcr |= parange << VTCR_PS_SHIFT;
	if (mmfr1_vmidbits() == 2)
		vtcr |= VTCR_VS16;
	/* Guests may use pointer authentication only where their keys can be switched. */
	arch_has_pauth = cpu_has_pauth();
	/* ID_AA64PFR0_EL1.RAS [31:28]; ID_AA64PFR1_EL1.SME [27:24]. */
	arch_has_ras = ((sysreg_read(id_aa64pfr0_el1) >> 28) & 0xf) != 0;
	arch_has_sme = ((sysreg_read(id_aa64pfr1_el1) >> 24) & 0xf) != 0;
	/* ID_AA64DFR0_EL1.BRPs [15:12] and WRPs [23:20]: one less than there are. */
	arch_debug_brps = (unsigned)((sysreg_read(id_aa64dfr0_el1) >> 12) & 0xf) + 1;
	arch_debug_wrps = (unsigned)((sysreg_read(id_aa64dfr0_el1) >> 20) & 0xf) + 1;
	if (!arch_has_pauth)
		arch_hcr_guest &= ~(HCR_API | HCR_APK);
	sysreg_write(vtcr_el2, vtcr);
	isb();
}

/* Each CPU's kernel stack (struct arch_cpu's stack_top). */
uint8_t kernel_stacks[PLATFORM_MAX_CPUS][KERNEL_STACK_SIZE] __attribute__((aligned(16)));

/*
 * The cycle counter runs at every exception level (PMCCFILTR_EL0.NSH adds
 * EL2) and host threads may read it, and nothing else of the PMU
 * (PMUSERENR_EL0.CR alone): under QEMU's -icount it then counts executed
 * instructions exactly, which is how Mica's benchmarks measure (Arm ARM
 * D13: PMCR_EL0, PMCNTENSET_EL0, PMCCFILTR_EL0, PMUSERENR_EL0).
 *
 * Guests get no PMU at all: MDCR_EL2.TPM traps every access of theirs to
 * their VMM, which hides the PMU (and the ID registers say there is none),
 * so that no guest reads another's event counts, changes what host
 * threads may do (PMUSERENR_EL0) or stops the counter (PMCR_EL0,
 * PMCNTENCLR_EL0). TPMCR says the same for PMCR_EL0 where TPM is not
 * implemented on its own. A benchmark kernel (MICA_CONFIG_BENCHMARK) lets
 * its trusted benchmark guests read the cycle counter directly instead.
 * The debug registers' accesses trap as well (TDA, TDOSA, TDRA): the
 * VMM emulates them and the kernel loads what it may (vcpu.c's
 * debug_load); so do the statistical profiling ones (TPMS).
 */
#ifdef MICA_CONFIG_BENCHMARK
#define MDCR_GUEST_PMU 0
#else
#define MDCR_GUEST_PMU MDCR_TPM
#endif

static void pmu_init(void)
{
	sysreg_write(mdcr_el2, PMCR_N(sysreg_read(pmcr_el0)) | MDCR_GUEST_PMU | MDCR_TPMCR |
				       MDCR_TPMS | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA);
	sysreg_write(pmccfiltr_el0, PMCCFILTR_NSH);
	sysreg_write(pmcntenset_el0, PMCNTEN_C);
	sysreg_write(pmcr_el0, PMCR_E | PMCR_C | PMCR_LC);
	sysreg_write(pmuserenr_el0, PMUSERENR_CR);
	isb();
}

/* What every CPU sets up for itself, cpu being its index. */
void cpu_init_this(unsigned cpu)
{
	struct sched_cpu *local = &sched_cpus[cpu];

	local->arch.stack_top = (uintptr_t)kernel_stacks[cpu] + KERNEL_STACK_SIZE;
	local->arch.index = cpu;
	sysreg_write(tpidr_el2, (uint64_t)(uintptr_t)local);
	/* FP/SIMD closed until a thread first uses it (sched_fp_take); SVE and SME stay closed. */
	arch_fp_close();
	/*
	 * EL0 may read the counters (time stamps without a system call), and
	 * guests the physical one and their own EL1 physical timer; every other
	 * bit is set here rather than kept from firmware (see sysreg.h).
	 */
	sysreg_write(cnthctl_el2,
		     CNTHCTL_EL0PCTEN | CNTHCTL_EL0VCTEN | CNTHCTL_EL1PCTEN | CNTHCTL_EL1PTEN);
	/*
	 * Registers whose reset values are UNKNOWN and which guests see: their
	 * virtual counter equals the physical one (vtimer checks rely on it),
	 * and they read the CPU's own MIDR. Host threads start with no
	 * TPIDRRO_EL0 value (see struct arch_cpu's guest_tpidrro).
	 */
	sysreg_write(cntvoff_el2, 0);
	sysreg_write(vpidr_el2, sysreg_read(midr_el1));
	sysreg_write(tpidrro_el0, 0);
	/*
	 * Self-hosted debug is the guests' alone: host threads run with
	 * MDSCR_EL1 0 (see struct arch_cpu's guest_mdscr), and the OS Lock
	 * and OS Double Lock, which a cold reset may leave set, would keep
	 * their breakpoints from firing (a guest's OS Lock is its VMM's).
	 */
	sysreg_write(mdscr_el1, 0);
	sysreg_write(oslar_el1, 0);
	sysreg_write(osdlr_el1, 0);
	isb();
	pmu_init();
	stage2_init();
}

void arch_cpu_init(void)
{
	cpu_init_this(0);
	mmu_drop_identity_map();
	vmid_space_init(&vmids, mmfr1_vmidbits() == 2 ? 65536 : 256);
}

void arch_fp_open(void)
{
	sysreg_write(cptr_el2, CPTR_FPEN_NO_TRAP);
	isb(); /* The kernel moves registers through the unit next. */
}

void arch_boot_info(paddr_t dtb, paddr_t image, struct boot_info *out)
{
	out->platform = &boot_platform;
	out->dtb = dtb;
	/* The boot archive follows the kernel; the loaded header's image_size counts both. */
	uint64_t kernel = (uintptr_t)__kernel_end - (uintptr_t)__image_start;
	uint64_t size = *(const volatile uint64_t *)(__image_start + IMAGE_SIZE_OFFSET);
	bool is_in_ram = false;

	for (size_t i = 0; i < boot_platform.mem_count; i++) {
		const struct mem_range *m = &boot_platform.mem[i];

		if (pa_addr(image) >= m->base && pa_addr(image) - m->base <= m->size &&
		    size <= m->size - (pa_addr(image) - m->base))
			is_in_ram = true;
	}
	if (size < kernel || !is_in_ram)
		size = kernel; /* No archive: the root task's absence says so. */
	out->image_start = image;
	out->image_end = pa_init(pa_addr(image) + size);
	out->archive = pa_init(pa_addr(image) + kernel);
	out->archive_size = (size_t)(size - kernel);
}

void arch_irq_init(const struct platform *p)
{
	gic_init(p);
}

void arch_power_off(int status)
{
	power_off(status, boot_platform.psci);
}
