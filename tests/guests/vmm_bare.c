/*
 * A bare-metal guest for the user-level VMM (servers/vmm), written as a
 * guest for QEMU's virt machine would be: it finds its device tree at x0,
 * talks PSCI over HVC, reads the GIC distributor and redistributors, starts
 * its second vCPU with CPU_ON and waits for it to turn itself off, and then
 * powers the VM off. It also checks that every memory region its device
 * tree lists is there, and that a passthrough region of the machine's
 * PL031 (qemu.vmm-passthrough) is described and works. A failed check stops it with a store to an
 * address outside the guest-physical space whose bits name the line, which its VMM reports (FAR)
 * and the root task counts as a failed VM.
 */
#include <stdbool.h>
#include <stdint.h>

#include "guest.h"

#define PSCI_VERSION	   0x84000000u
#define PSCI_CPU_OFF	   0x84000002u
#define PSCI_CPU_ON	   0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_SYSTEM_OFF	   0x84000008u
#define PSCI_FEATURES	   0x8400000au
#define NOT_SUPPORTED	   UINT64_MAX

#define GICD_TYPER	0x08000004ull
#define GICR_BASE	0x080a0000ull
#define GICR_STRIDE	0x20000ull
#define GICR_TYPER	0x8ull
#define GICR_TYPER_LAST (1ull << 4)

#define SECONDARY_CONTEXT 0x5ec0dull

/* Device-tree structure tokens (devicetree specification, 5.4). */
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u
#define FDT_END	       9u

void guest_main(uint64_t dtb);
void secondary_entry(void);
void secondary_main(uint64_t context);

static volatile uint64_t secondary_saw;
/* Named by secondary_entry's assembly only. */
__attribute__((used)) static uint8_t secondary_stack[4096] __attribute__((aligned(16)));

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			*(volatile uint64_t *)(0x200000000000ull | ((uint64_t)__LINE__ << 4)) = 0; \
	} while (0)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static bool starts_with(const char *s, const char *prefix)
{
	while (*prefix != '\0')
		if (*s++ != *prefix++)
			return false;
	return true;
}

/* 2020-01-01 00:00:00 UTC: any real-time clock of today's machine reads past it. */
#define RTC_2020 1577836800u

/* The word at a holds another value and then its own again: RAM is there. */
static void check_ram_word(uint64_t a)
{
	volatile uint64_t *p = (volatile uint64_t *)a;
	uint64_t old = *p;

	*p = ~old;
	CHECK(*p == ~old);
	*p = old;
}

/*
 * A /rtc@ node, a passthrough of the machine's PL031 at INTID 34 (SPI 2):
 * its compatible list starts "arm,pl031", its interrupt is SPI 2, level
 * high, and its data register reads a time of this century.
 */
static void check_rtc_prop(const char *name, const uint8_t *value, uint32_t len, uint64_t *base)
{
	if (starts_with(name, "compatible"))
		CHECK(len > 10 && starts_with((const char *)value, "arm,pl031"));
	if (starts_with(name, "interrupts"))
		CHECK(len == 12 && be32(value) == 0 && be32(value + 4) == 2 &&
		      be32(value + 8) == 4);
	if (starts_with(name, "reg")) {
		CHECK(len == 16 && be64(value + 8) == 0x1000);
		*base = be64(value);
	}
}

/*
 * Walk the device tree's structure block: every /memory@ node's regions
 * (two cells of address, two of size, as the VMM writes them) must be RAM
 * at their first, middle and last words; their number must be what
 * /chosen's bootargs say, if they say "regions=N". There is a /rtc@ node
 * if and only if they say "rtc", and it is a working PL031.
 */
static void check_memory(const uint8_t *fdt)
{
	const uint8_t *p = fdt + be32(fdt + 8);
	const char *strings = (const char *)fdt + be32(fdt + 12);
	const char *node = "";
	unsigned depth = 0, regions = 0, expected = 0, rtcs = 0;
	bool wants_rtc = false;
	uint64_t rtc_base = 0;

	for (;;) {
		uint32_t token = be32(p);

		p += 4;
		if (token == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			uint64_t len = 0;

			while (name[len] != '\0')
				len++;
			node = ++depth == 2 ? name : node;
			rtcs += depth == 2 && starts_with(name, "rtc@");
			p += (len + 4) & ~UINT64_C(3);
		} else if (token == FDT_END_NODE) {
			depth--;
		} else if (token == FDT_PROP) {
			uint32_t len = be32(p), nameoff = be32(p + 4);
			const uint8_t *value = p + 8;
			const char *name = strings + nameoff;

			if (depth == 2 && starts_with(node, "memory@") &&
			    starts_with(name, "reg")) {
				CHECK(len % 16 == 0);
				for (uint32_t i = 0; i < len; i += 16) {
					uint64_t base = be64(value + i), size = be64(value + i + 8);

					check_ram_word(base);
					check_ram_word(base + (size / 2 & ~UINT64_C(7)));
					check_ram_word(base + size - 8);
					regions++;
				}
			}
			if (depth == 2 && starts_with(node, "chosen") &&
			    starts_with(name, "bootargs") &&
			    starts_with((const char *)value, "regions="))
				expected = (unsigned)(value[8] - '0');
			if (depth == 2 && starts_with(node, "chosen") &&
			    starts_with(name, "bootargs") &&
			    starts_with((const char *)value, "rtc"))
				wants_rtc = true;
			if (depth == 2 && starts_with(node, "rtc@"))
				check_rtc_prop(name, value, len, &rtc_base);
			p += 8 + ((len + 3) & ~UINT32_C(3));
		} else if (token != FDT_NOP) {
			CHECK(token == FDT_END);
			break;
		}
	}
	CHECK(regions > 0);
	CHECK(expected == 0 || regions == expected);
	CHECK(rtcs == (wants_rtc ? 1u : 0u));
	if (rtcs > 0)
		CHECK(rtc_base != 0 && *(volatile uint32_t *)rtc_base > RTC_2020);
}

static uint64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return guest_hvc(fn, a1, a2, a3, 0).x[0];
}

static uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static uint64_t mmio_read64(uint64_t addr)
{
	return *(volatile uint64_t *)addr;
}

__attribute__((naked)) void secondary_entry(void)
{
	__asm__ volatile("adrp x9, secondary_stack + 4096\n\t"
			 "add x9, x9, :lo12:secondary_stack + 4096\n\t"
			 "mov sp, x9\n\t"
			 "b secondary_main");
}

void secondary_main(uint64_t context)
{
	uint64_t mpidr;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	secondary_saw = context ^ (mpidr & 0xff);
	(void)psci(PSCI_CPU_OFF, 0, 0, 0);
	for (;;)
		; /* CPU_OFF does not return. */
}

void guest_main(uint64_t dtb)
{
	const uint8_t *fdt = (const uint8_t *)dtb;
	uint64_t mpidr, pfr0, power = 0;

	/* The device tree at x0: 8-byte aligned, big-endian magic 0xd00dfeed. */
	CHECK(dtb % 8 == 0 && fdt[0] == 0xd0 && fdt[1] == 0x0d && fdt[2] == 0xfe && fdt[3] == 0xed);
	check_memory(fdt);
	CHECK(psci(PSCI_VERSION, 0, 0, 0) == 0x10001);
	CHECK(psci(PSCI_FEATURES, PSCI_CPU_ON, 0, 0) == 0);
	CHECK(psci(PSCI_FEATURES, 0x8400ffffu, 0, 0) == NOT_SUPPORTED);
	CHECK(psci(0xc2000000u, 0, 0, 0) == NOT_SUPPORTED);

	/* 96 SPIs: ITLinesNumber 3. Redistributor 1 has Aff0 1 and is the last. */
	CHECK((mmio_read32(GICD_TYPER) & 0x1f) == 3);
	CHECK(mmio_read64(GICR_BASE + GICR_TYPER) >> 32 == 0);
	CHECK((mmio_read64(GICR_BASE + GICR_TYPER) & GICR_TYPER_LAST) == 0);
	CHECK(mmio_read64(GICR_BASE + GICR_STRIDE + GICR_TYPER) >> 32 == 1);
	CHECK(mmio_read64(GICR_BASE + GICR_STRIDE + GICR_TYPER) & GICR_TYPER_LAST);

	/* MPIDR as the VMM set it; no SVE offered (ID_AA64PFR0_EL1.SVE, bits 35:32). */
	__asm__ volatile("mrs %0, mpidr_el1\n\tmrs %1, id_aa64pfr0_el1" : "=r"(mpidr), "=r"(pfr0));
	CHECK((mpidr & 0xffffff) == 0);
	CHECK(((pfr0 >> 32) & 0xf) == 0);
	CHECK((pfr0 & 0xf) != 0); /* EL0 is still there. */

	/* The second vCPU: off, then on with its context, then off again by itself. */
	CHECK(psci(PSCI_AFFINITY_INFO, 1, 0, 0) == 1);
	CHECK(psci(PSCI_CPU_ON, 1, (uint64_t)(uintptr_t)secondary_entry, SECONDARY_CONTEXT) == 0);
	for (unsigned i = 0; i < 100000000 && secondary_saw == 0; i++)
		;
	CHECK(secondary_saw == (SECONDARY_CONTEXT ^ 1));
	/*
	 * vCPU 1 may run on another CPU than the VMM (qemu.vmm-bare-smp), and
	 * its CPU_OFF reach the VMM after this vCPU's first polls: it reads
	 * ON until then, OFF after, and nothing else.
	 */
	for (unsigned i = 0; i < 1000000 && (power = psci(PSCI_AFFINITY_INFO, 1, 0, 0)) == 0; i++)
		;
	CHECK(power == 1);
	CHECK(psci(PSCI_AFFINITY_INFO, 1, 0, 0) == 1);
	(void)psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	CHECK(0); /* SYSTEM_OFF does not return. */
}
