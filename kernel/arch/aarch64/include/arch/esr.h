/*
 * Decoding the exception syndrome (ESR_ELx, Arm ARM D19.2.46): the class
 * of an exception by name, and the fields of an abort's syndrome.
 */
#ifndef MICA_ARCH_ESR_H
#define MICA_ARCH_ESR_H

#include <stdbool.h>
#include <stdint.h>

#define ESR_EC_SHIFT 26
#define ESR_EC_MASK  0x3fu
#define ESR_IL	     (UINT64_C(1) << 25)
#define ESR_ISS_MASK 0x1ffffffu

/* Exception classes (ESR_ELx.EC). */
enum esr_class {
	ESR_EC_UNKNOWN = 0x00,
	ESR_EC_WFX = 0x01,
	ESR_EC_CP15_32 = 0x03,
	ESR_EC_CP15_64 = 0x04,
	ESR_EC_CP14_MR = 0x05,
	ESR_EC_CP14_LS = 0x06,
	ESR_EC_FP_ASIMD = 0x07,
	ESR_EC_CP10_ID = 0x08,
	ESR_EC_PAC = 0x09,
	ESR_EC_CP14_64 = 0x0c,
	ESR_EC_BTI = 0x0d,
	ESR_EC_ILLEGAL_STATE = 0x0e,
	ESR_EC_SVC32 = 0x11,
	ESR_EC_HVC32 = 0x12,
	ESR_EC_SMC32 = 0x13,
	ESR_EC_SVC64 = 0x15,
	ESR_EC_HVC64 = 0x16,
	ESR_EC_SMC64 = 0x17,
	ESR_EC_SYSREG = 0x18,
	ESR_EC_SVE = 0x19,
	ESR_EC_ERET = 0x1a,
	ESR_EC_FPAC = 0x1c,
	ESR_EC_IABT_LOW = 0x20,
	ESR_EC_IABT_CUR = 0x21,
	ESR_EC_PC_ALIGN = 0x22,
	ESR_EC_DABT_LOW = 0x24,
	ESR_EC_DABT_CUR = 0x25,
	ESR_EC_SP_ALIGN = 0x26,
	ESR_EC_FP_EXC32 = 0x28,
	ESR_EC_FP_EXC64 = 0x2c,
	ESR_EC_SERROR = 0x2f,
	ESR_EC_BREAKPT_LOW = 0x30,
	ESR_EC_BREAKPT_CUR = 0x31,
	ESR_EC_SOFTSTP_LOW = 0x32,
	ESR_EC_SOFTSTP_CUR = 0x33,
	ESR_EC_WATCHPT_LOW = 0x34,
	ESR_EC_WATCHPT_CUR = 0x35,
	ESR_EC_BKPT32 = 0x38,
	ESR_EC_BRK64 = 0x3c,
};

static inline unsigned esr_ec(uint64_t esr)
{
	return (unsigned)(esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
}

static inline uint32_t esr_iss(uint64_t esr)
{
	return (uint32_t)esr & ESR_ISS_MASK;
}

/*
 * A trapped WFI or WFE: ISS.TI, bits [1:0], is 0 for WFI; WFE, WFIT and
 * WFET (the ones that may end without an interrupt) have bit 0 or 1 set.
 */
static inline bool esr_wfx_is_wfe(uint64_t esr)
{
	return (esr & 3u) != 0;
}

/* Fields of an abort's ISS. */
#define ABORT_ISV	(UINT32_C(1) << 24) /* The fields below it are valid (data aborts). */
#define ABORT_SAS_SHIFT 22		    /* log2 of the access size. */
#define ABORT_SSE	(UINT32_C(1) << 21) /* Sign-extend the loaded value. */
#define ABORT_SRT_SHIFT 16		    /* The transfer register. */
#define ABORT_SF	(UINT32_C(1) << 15) /* The register is 64-bit. */
#define ABORT_FNV	(UINT32_C(1) << 10)
#define ABORT_S1PTW	(UINT32_C(1) << 7)
#define ABORT_WNR	(UINT32_C(1) << 6)
#define ABORT_FSC_MASK	0x3fu

/* The syndrome of an instruction or data abort, decoded. */
struct esr_abort {
	unsigned fsc;	  /* Fault status code, ISS[5:0]. */
	int level;	  /* Translation level of the fault, or -1. */
	bool is_write;	  /* WnR (data aborts). */
	bool is_s1ptw;	  /* Fault on a stage-2 walk for a stage-1 walk. */
	bool far_valid;	  /* FAR holds the faulting address (FnV clear). */
	bool isv;	  /* The fields below are valid (data aborts). */
	unsigned size;	  /* Access size in bytes: 1, 2, 4 or 8. */
	bool sign_extend; /* SSE. */
	unsigned reg;	  /* SRT: the transfer register, 31 = xzr. */
	bool reg_64bit;	  /* SF: the register is 64-bit wide. */
};

/* "Data Abort from a lower Exception level", ...; never NULL. */
const char *esr_class_name(unsigned ec);

/* "translation fault", "permission fault", ...; never NULL. */
const char *esr_fault_name(unsigned fsc);

/* Is ec one of the four abort classes? */
bool esr_is_abort(unsigned ec);

struct esr_abort esr_decode_abort(uint64_t esr);

/* A translation fault (nothing mapped), at any level? */
static inline bool esr_is_translation_fault(unsigned fsc)
{
	return (fsc & 0x3cu) == 0x04u;
}

/* The syndrome of a trapped MSR or MRS (EC 0x18), decoded. */
struct esr_sysreg {
	unsigned op0, op1, crn, crm, op2;
	unsigned reg; /* Rt: the general register, 31 = xzr. */
	bool is_read; /* MRS (else MSR). */
};

static inline struct esr_sysreg esr_decode_sysreg(uint64_t esr)
{
	uint32_t iss = esr_iss(esr);

	return (struct esr_sysreg){
		.op0 = (iss >> 20) & 3,
		.op2 = (iss >> 17) & 7,
		.op1 = (iss >> 14) & 7,
		.crn = (iss >> 10) & 0xf,
		.reg = (iss >> 5) & 0x1f,
		.crm = (iss >> 1) & 0xf,
		.is_read = (iss & 1) != 0,
	};
}

#endif
