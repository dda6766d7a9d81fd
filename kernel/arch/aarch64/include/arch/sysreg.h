/*
 * AArch64 system registers: accessors and the named fields Mica uses.
 * Field positions are from the Arm ARM (DDI 0487), chapter D19.
 */
#ifndef MICA_ARCH_SYSREG_H
#define MICA_ARCH_SYSREG_H

#include <stdint.h>

#define sysreg_read(reg)                                                                           \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_));                                      \
		v_;                                                                                \
	})

#define sysreg_write(reg, v) __asm__ volatile("msr " #reg ", %0" ::"r"((uint64_t)(v)))

#define isb()	 __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")

/* CurrentEL.EL, bits [3:2]. */
#define CURRENTEL_EL(v) (((v) >> 2) & 3)

/* HCR_EL2 (D19.2.48). */
#define HCR_VM	   (UINT64_C(1) << 0)
#define HCR_SWIO   (UINT64_C(1) << 1)
#define HCR_FMO	   (UINT64_C(1) << 3)
#define HCR_IMO	   (UINT64_C(1) << 4)
#define HCR_AMO	   (UINT64_C(1) << 5)
#define HCR_FB	   (UINT64_C(1) << 9)
#define HCR_BSU_IS (UINT64_C(1) << 10)
#define HCR_TWI	   (UINT64_C(1) << 13)
#define HCR_TWE	   (UINT64_C(1) << 14)
#define HCR_TSC	   (UINT64_C(1) << 19)
#define HCR_TACR   (UINT64_C(1) << 21)
#define HCR_TSW	   (UINT64_C(1) << 22)
#define HCR_TGE	   (UINT64_C(1) << 27)
#define HCR_RW	   (UINT64_C(1) << 31)
#define HCR_E2H	   (UINT64_C(1) << 34)
#define HCR_APK	   (UINT64_C(1) << 40)
#define HCR_API	   (UINT64_C(1) << 41)
#define HCR_TIDCP  (UINT64_C(1) << 52)
#define HCR_TID3   (UINT64_C(1) << 18)

/*
 * MDSCR_EL1 (D19.3): software step SS, EL0 DCC trap TDCC, debug at the
 * kernel's level KDE, breakpoints and watchpoints MDE: all a guest's
 * MDSCR_EL1 (MICA_VCPU_REG_MDSCR) keeps.
 */
#define MDSCR_SS    (UINT64_C(1) << 0)
#define MDSCR_TDCC  (UINT64_C(1) << 12)
#define MDSCR_KDE   (UINT64_C(1) << 13)
#define MDSCR_MDE   (UINT64_C(1) << 15)
#define MDSCR_GUEST (MDSCR_SS | MDSCR_TDCC | MDSCR_KDE | MDSCR_MDE)

/* MDCR_EL2 (D19.2.101): HPMN, and traps of the guest's debug and PMU control. */
#define MDCR_HPMN_MASK UINT64_C(0x1f)
#define MDCR_TPMCR     (UINT64_C(1) << 5)
#define MDCR_TPM       (UINT64_C(1) << 6)
#define MDCR_TDA       (UINT64_C(1) << 9)
#define MDCR_TDOSA     (UINT64_C(1) << 10)
#define MDCR_TDRA      (UINT64_C(1) << 11)
#define MDCR_TPMS      (UINT64_C(1) << 14)
#define PMCR_N(pmcr)   (((pmcr) >> 11) & 0x1f)

/* VTCR_EL2 (D19.2.154): stage-2 translation control. */
#define VTCR_T0SZ(n)	((uint64_t)(n) << 0)
#define STAGE2_IPA_BITS 39 /* Guest-physical addresses: VTCR_EL2.T0SZ = 64 - 39. */
#define VTCR_SL0_LEVEL1 (UINT64_C(1) << 6)
#define VTCR_IRGN0_WBWA (UINT64_C(1) << 8)
#define VTCR_ORGN0_WBWA (UINT64_C(1) << 10)
#define VTCR_SH0_INNER	(UINT64_C(3) << 12)
#define VTCR_PS_SHIFT	16
#define VTCR_VS16	(UINT64_C(1) << 19)
#define VTCR_RES1	(UINT64_C(1) << 31)

/* SPSR for a guest's first entry: EL1h with D, A, I, F masked. */
#define SPSR_MODE_EL1T UINT64_C(0x4)
#define SPSR_MODE_EL1H UINT64_C(0x5)
#define SPSR_DAIF      UINT64_C(0x3c0)

/* SCTLR_EL2 with E2H=1 has the SCTLR_EL1 layout (D19.2.118). */
#define SCTLR_M	     (UINT64_C(1) << 0)
#define SCTLR_C	     (UINT64_C(1) << 2)
#define SCTLR_SA     (UINT64_C(1) << 3)
#define SCTLR_SA0    (UINT64_C(1) << 4)
#define SCTLR_EOS    (UINT64_C(1) << 11)
#define SCTLR_I	     (UINT64_C(1) << 12)
#define SCTLR_DZE    (UINT64_C(1) << 14)
#define SCTLR_UCT    (UINT64_C(1) << 15)
#define SCTLR_NTWI   (UINT64_C(1) << 16)
#define SCTLR_NTWE   (UINT64_C(1) << 18)
#define SCTLR_WXN    (UINT64_C(1) << 19)
#define SCTLR_TSCXT  (UINT64_C(1) << 20)
#define SCTLR_EIS    (UINT64_C(1) << 22)
#define SCTLR_SPAN   (UINT64_C(1) << 23)
#define SCTLR_UCI    (UINT64_C(1) << 26)
#define SCTLR_NTLSMD (UINT64_C(1) << 28)
#define SCTLR_LSMAOE (UINT64_C(1) << 29)

/* TCR_EL2 with E2H=1 has the TCR_EL1 layout (D19.2.139). */
#define TCR_T0SZ(n)    ((uint64_t)(n) << 0)
#define TCR_IRGN0_WBWA (UINT64_C(1) << 8)
#define TCR_ORGN0_WBWA (UINT64_C(1) << 10)
#define TCR_SH0_INNER  (UINT64_C(3) << 12)
#define TCR_TG0_4K     (UINT64_C(0) << 14)
#define TCR_T1SZ(n)    ((uint64_t)(n) << 16)
#define TCR_IRGN1_WBWA (UINT64_C(1) << 24)
#define TCR_ORGN1_WBWA (UINT64_C(1) << 26)
#define TCR_SH1_INNER  (UINT64_C(3) << 28)
#define TCR_TG1_4K     (UINT64_C(2) << 30)
#define TCR_IPS_SHIFT  32
#define TCR_AS16       (UINT64_C(1) << 36)

/* ID_AA64MMFR0_EL1.PARange, bits [3:0]. */
#define MMFR0_PARANGE(v) ((v)&0xf)

/* CPTR_EL2 with E2H=1 has the CPACR_EL1 layout: FPEN, bits [21:20]. */
#define CPTR_FPEN_NO_TRAP (UINT64_C(3) << 20)

/*
 * CNTHCTL_EL2 with E2H=1 (D19.12.4): EL0 access to the counters, and a
 * guest's to the physical counter (EL1PCTEN: with CNTVOFF_EL2 0 it reads
 * what the virtual one does) and to the EL1 physical timer (EL1PTEN: its
 * registers are switched with the vCPU). Every other bit is 0: no event
 * stream, host EL0 accesses to the timers trap, and no timer or counter
 * redirection of the newer extensions.
 */
#define CNTHCTL_EL0PCTEN (UINT64_C(1) << 0)
#define CNTHCTL_EL0VCTEN (UINT64_C(1) << 1)
#define CNTHCTL_EL1PCTEN (UINT64_C(1) << 10)
#define CNTHCTL_EL1PTEN	 (UINT64_C(1) << 11)

/* Performance monitors (Arm ARM D13.3). */
#define PMCR_E	      (UINT64_C(1) << 0)
#define PMCR_C	      (UINT64_C(1) << 2)
#define PMCR_LC	      (UINT64_C(1) << 6)
#define PMCNTEN_C     (UINT64_C(1) << 31)
#define PMCCFILTR_NSH (UINT64_C(1) << 27)
#define PMUSERENR_EN  (UINT64_C(1) << 0)
#define PMUSERENR_CR  (UINT64_C(1) << 2)

/* Timer control registers (CNTHP_CTL_EL2 and friends). */
#define CNT_CTL_ENABLE	(UINT64_C(1) << 0)
#define CNT_CTL_IMASK	(UINT64_C(1) << 1)
#define CNT_CTL_ISTATUS (UINT64_C(1) << 2)

/* SPSR_EL2 values used when entering EL0: AArch64 EL0t, no masks. */
#define SPSR_MODE_EL0T UINT64_C(0)
#define SPSR_MODE_MASK UINT64_C(0x1f)

/* DAIF masks as taken by "msr daifset/daifclr". */
#define DAIF_IRQ 2

/* MAIR attribute indexes, in the order head.S programs MAIR_EL2. */
#define MAIR_IDX_DEVICE_NGNRNE 0
#define MAIR_IDX_DEVICE_NGNRE  1
#define MAIR_IDX_NORMAL	       2
#define MAIR_IDX_NORMAL_NC     3
#define MAIR_VALUE	       UINT64_C(0x44ff0400)

/* MPIDR_EL1 affinity fields. */
#define MPIDR_AFF_MASK UINT64_C(0xff00ffffff)

#endif
