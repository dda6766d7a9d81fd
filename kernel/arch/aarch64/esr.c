/*
 * Syndrome decoding: pure functions over ESR values for the fault reports
 * (guest exits decode theirs inline, in arch/exit.h).
 */
#include "arch/esr.h"

const char *esr_class_name(unsigned ec)
{
	switch ((enum esr_class)ec) {
	case ESR_EC_UNKNOWN:
		return "Unknown reason (undefined instruction)";
	case ESR_EC_WFX:
		return "Trapped WFI or WFE";
	case ESR_EC_CP15_32:
		return "Trapped AArch32 MCR or MRC (coproc 15)";
	case ESR_EC_CP15_64:
		return "Trapped AArch32 MCRR or MRRC (coproc 15)";
	case ESR_EC_CP14_MR:
		return "Trapped AArch32 MCR or MRC (coproc 14)";
	case ESR_EC_CP14_LS:
		return "Trapped AArch32 LDC or STC";
	case ESR_EC_FP_ASIMD:
		return "Trapped SIMD or floating-point access";
	case ESR_EC_CP10_ID:
		return "Trapped AArch32 VMRS";
	case ESR_EC_PAC:
		return "Trapped pointer authentication instruction";
	case ESR_EC_CP14_64:
		return "Trapped AArch32 MRRC (coproc 14)";
	case ESR_EC_BTI:
		return "Branch target exception";
	case ESR_EC_ILLEGAL_STATE:
		return "Illegal execution state";
	case ESR_EC_SVC32:
		return "SVC from AArch32";
	case ESR_EC_HVC32:
		return "HVC from AArch32";
	case ESR_EC_SMC32:
		return "SMC from AArch32";
	case ESR_EC_SVC64:
		return "SVC from AArch64";
	case ESR_EC_HVC64:
		return "HVC from AArch64";
	case ESR_EC_SMC64:
		return "SMC from AArch64";
	case ESR_EC_SYSREG:
		return "Trapped MSR, MRS or system instruction";
	case ESR_EC_SVE:
		return "Trapped SVE access";
	case ESR_EC_ERET:
		return "Trapped ERET";
	case ESR_EC_FPAC:
		return "Pointer authentication failure";
	case ESR_EC_IABT_LOW:
		return "Instruction Abort from a lower EL";
	case ESR_EC_IABT_CUR:
		return "Instruction Abort from the same EL";
	case ESR_EC_PC_ALIGN:
		return "PC alignment fault";
	case ESR_EC_DABT_LOW:
		return "Data Abort from a lower EL";
	case ESR_EC_DABT_CUR:
		return "Data Abort from the same EL";
	case ESR_EC_SP_ALIGN:
		return "SP alignment fault";
	case ESR_EC_FP_EXC32:
		return "Floating-point exception (AArch32)";
	case ESR_EC_FP_EXC64:
		return "Floating-point exception (AArch64)";
	case ESR_EC_SERROR:
		return "SError interrupt";
	case ESR_EC_BREAKPT_LOW:
		return "Breakpoint from a lower EL";
	case ESR_EC_BREAKPT_CUR:
		return "Breakpoint from the same EL";
	case ESR_EC_SOFTSTP_LOW:
		return "Software step from a lower EL";
	case ESR_EC_SOFTSTP_CUR:
		return "Software step from the same EL";
	case ESR_EC_WATCHPT_LOW:
		return "Watchpoint from a lower EL";
	case ESR_EC_WATCHPT_CUR:
		return "Watchpoint from the same EL";
	case ESR_EC_BKPT32:
		return "BKPT instruction (AArch32)";
	case ESR_EC_BRK64:
		return "BRK instruction (AArch64)";
	}
	return "Reserved exception class";
}

const char *esr_fault_name(unsigned fsc)
{
	switch (fsc & ~3u) {
	case 0x00:
		return "address size fault";
	case 0x04:
		return "translation fault";
	case 0x08:
		return "access flag fault";
	case 0x0c:
		return "permission fault";
	default:
		break;
	}
	switch (fsc) {
	case 0x10:
		return "synchronous external abort";
	case 0x11:
		return "synchronous tag check fault";
	case 0x21:
		return "alignment fault";
	case 0x30:
		return "TLB conflict abort";
	case 0x31:
		return "unsupported atomic hardware update fault";
	case 0x35:
		return "unsupported exclusive or atomic access";
	default:
		return "other fault";
	}
}

bool esr_is_abort(unsigned ec)
{
	return ec == ESR_EC_IABT_LOW || ec == ESR_EC_IABT_CUR || ec == ESR_EC_DABT_LOW ||
	       ec == ESR_EC_DABT_CUR;
}

struct esr_abort esr_decode_abort(uint64_t esr)
{
	uint32_t iss = esr_iss(esr);
	bool is_data = esr_ec(esr) == ESR_EC_DABT_LOW || esr_ec(esr) == ESR_EC_DABT_CUR;
	struct esr_abort a = {
		.fsc = iss & ABORT_FSC_MASK,
		.level = -1,
		.is_s1ptw = (iss & ABORT_S1PTW) != 0,
		.far_valid = (iss & ABORT_FNV) == 0,
	};

	if (a.fsc < 0x10)
		a.level = (int)(a.fsc & 3);
	if (is_data) {
		a.is_write = (iss & ABORT_WNR) != 0;
		a.isv = (iss & ABORT_ISV) != 0;
	}
	if (a.isv) {
		a.size = 1u << ((iss >> ABORT_SAS_SHIFT) & 3);
		a.sign_extend = (iss & ABORT_SSE) != 0;
		a.reg = (iss >> ABORT_SRT_SHIFT) & 0x1f;
		a.reg_64bit = (iss & ABORT_SF) != 0;
	}
	return a;
}
