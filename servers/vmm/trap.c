/*
 * The guest's trapped accesses the VMM serves: MMIO no device server takes
 * (the GIC distributor and redistributors, a device whose server is
 * restarting, and where nothing is), system registers (idregs.h, the debug
 * model vdebug.h) and the aborts the kernel could not decode.
 */
#include <base/errors.h>
#include <mica/abi/exit.h>
#include <mica/abi/vcpu.h>
#include <mica/kobj.h>
#include <mica/print.h>

#include <stdbool.h>
#include <stdint.h>

#include "idregs.h"
#include "vmm.h"

static bool is_in(struct sysdesc_ipa_range r, uint64_t ipa)
{
	return ipa >= r.base && ipa - r.base < r.size;
}

/* Is ipa in one of the VM's devices? */
static bool is_device(uint64_t ipa)
{
	for (unsigned i = 0; i < vmm.vm->device_count; i++) {
		if (is_in(vmm.vm->devices[i].ipa, ipa))
			return true;
	}
	return false;
}

/* Is anything at ipa: the VM's RAM, a device, a passthrough region or its GIC? */
static bool is_something(uint64_t ipa)
{
	for (unsigned i = 0; i < vmm.vm->region_count; i++) {
		if (is_in(vmm.vm->regions[i].ipa, ipa))
			return true;
	}
	for (unsigned i = 0; i < vmm.vm->passthrough_count; i++) {
		if (is_in(vmm.vm->passthrough[i].ipa, ipa))
			return true;
	}
	return is_device(ipa) || vgicd_contains(&vmm.gic, ipa);
}

/*
 * The channel whose end in this VM holds ipa, or NULL. Its memory is
 * mapped, so an access there that exits is one the mapping refused: a
 * write to a read-only end.
 */
static const struct sysdesc_channel *channel_at(uint64_t ipa)
{
	const struct sysdesc_channel *c;
	const struct sysdesc_channel_end *e;

	for (unsigned k = 0; (e = sysdesc_channel_end_of(&vmm.desc, vmm.boot->vm_index, k, &c));
	     k++)
		if (ipa >= e->ipa && ipa - e->ipa < c->size)
			return c;
	return NULL;
}

/*
 * The guest's access (what) to ipa, where nothing is (perhaps a released
 * dynamic channel), or to a read-only channel end: what the VM's 'unmapped-access' says. An access
 * that cannot read as zero (a fetch, or one the kernel could not decode) takes the abort instead.
 */
static struct answer unmapped(unsigned vcpu, uint64_t ipa, const char *what, bool can_read_zero)
{
	const struct sysdesc_channel *channel = channel_at(ipa);
	static const char *const outcome[] = {
		[SYSDESC_UNMAPPED_ABORT] = "the guest takes an external abort",
		[SYSDESC_UNMAPPED_READ_AS_ZERO] = "read as zero, written to nothing",
		[SYSDESC_UNMAPPED_STOP] = "the VM stops",
	};
	enum sysdesc_unmapped policy = vmm.vm->unmapped;
	const struct sysdesc_ipa_range *window = &vmm.vm->ivc.window;
	const char *where = "where nothing is";
	enum mica_error err;

	if (channel != NULL)
		where = "in its read-only end of channel ";
	else if (vmm.vm->ivc.is_present && ipa >= window->base && ipa - window->base < window->size)
		where = "in its window of dynamic channels, where no channel of it is (or not for "
			"this access)";
	if (policy == SYSDESC_UNMAPPED_READ_AS_ZERO && !can_read_zero)
		policy = SYSDESC_UNMAPPED_ABORT;
	if (vmm.unmapped++ < 8 || policy == SYSDESC_UNMAPPED_STOP)
		printf("vmm %s: vCPU %u: %s at 0x%llx, %s%s: %s\n", vmm.vm->name, vcpu, what,
		       (unsigned long long)ipa, where, channel != NULL ? channel->name : "",
		       outcome[policy]);
	switch (policy) {
	case SYSDESC_UNMAPPED_ABORT:
		err = mica_vcpu_inject_abort(VMM_CAP_VCPU(vcpu));
		if (err == MICA_OK)
			return resume_with(0);
		printf("vmm %s: cannot give vCPU %u an external abort (%s)\n", vmm.vm->name, vcpu,
		       mica_error_text(err));
		return vmm_stop();
	case SYSDESC_UNMAPPED_READ_AS_ZERO:
		return resume_with(0);
	case SYSDESC_UNMAPPED_STOP:
		break;
	}
	return vmm_stop();
}

struct answer vmm_mmio(unsigned vcpu, const uint64_t *mr)
{
	uint64_t addr = mr[0], value = 0;
	unsigned size = mica_mmio_size(mr[1]);
	bool is_write = (mr[1] & MICA_MMIO_WRITE) != 0;
	enum mica_error err;

	if (vgicd_contains(&vmm.gic, addr)) {
		err = is_write ? vgicd_write(&vmm.gic, addr, size, mr[2])
			       : vgicd_read(&vmm.gic, addr, size, &value);
		if (err == MICA_OK)
			return resume_with(value);
		/* A width or alignment the GIC does not allow: an external abort. */
		if (mica_vcpu_inject_abort(VMM_CAP_VCPU(vcpu)) != MICA_OK)
			(void)mica_vcpu_inject_undef(VMM_CAP_VCPU(vcpu));
		return resume_with(0);
	}
	if (is_device(addr)) {
		/* A device whose server is gone or restarting: it reads as zero meanwhile. */
		if (vmm.unmapped++ < 8)
			printf("vmm %s: %s of %u bytes at 0x%llx, where no server answers\n",
			       vmm.vm->name, is_write ? "write" : "read", size,
			       (unsigned long long)addr);
		return resume_with(0);
	}
	return unmapped(vcpu, addr, is_write ? "a write" : "a read", true);
}

/*
 * A debug register (vdebug.h): the model's, or the kernel's breakpoints
 * and watchpoints, which refuse those the CPU lacks (undefined, as there).
 */
static struct answer debug_register(unsigned vcpu, uint64_t enc, bool is_write, uint64_t value)
{
	uint64_t reg = 0;
	enum mica_error err = MICA_OK;

	switch (vdebug_access(&vmm.debug[vcpu], enc, is_write, &value, &reg)) {
	case VDEBUG_DONE:
		return resume_with(value);
	case VDEBUG_MDSCR:
		err = mica_vcpu_write_reg(VMM_CAP_VCPU(vcpu), MICA_VCPU_REG_MDSCR,
					  vdebug_mdscr(&vmm.debug[vcpu]));
		break;
	case VDEBUG_KERNEL:
		err = is_write ? mica_vcpu_write_reg(VMM_CAP_VCPU(vcpu), reg, value)
			       : mica_vcpu_read_reg(VMM_CAP_VCPU(vcpu), reg, &value);
		if (err == MICA_ERR_INVALID_ARGUMENT) {
			(void)mica_vcpu_inject_undef(VMM_CAP_VCPU(vcpu));
			return resume_with(0);
		}
		break;
	case VDEBUG_UNDEFINED:
		(void)mica_vcpu_inject_undef(VMM_CAP_VCPU(vcpu));
		return resume_with(0);
	}
	if (err != MICA_OK)
		printf("vmm %s: vCPU %u: cannot reach debug register 0x%llx (%s)\n", vmm.vm->name,
		       vcpu, (unsigned long long)enc, mica_error_text(err));
	return resume_with(value);
}

struct answer vmm_sysreg(unsigned vcpu, const uint64_t *mr)
{
	bool is_write = mr[1] & MICA_SYSREG_WRITE;

	switch (idregs_classify(mr[0], is_write)) {
	case SYSREG_DEBUG:
		return debug_register(vcpu, mr[0], is_write, mr[2]);
	case SYSREG_ID:
		return resume_with(idregs_guest_value(mr[0], mr[2]));
	case SYSREG_SGI:
		if (vgicd_sgi1r_write(&vmm.gic, vcpu, mr[2]) != MICA_OK)
			printf("vmm %s: bad SGI request 0x%llx\n", vmm.vm->name,
			       (unsigned long long)mr[2]);
		return resume_with(0);
	case SYSREG_IGNORE:
		return resume_with(0);
	case SYSREG_UNDEFINED:
		break;
	}
	(void)mica_vcpu_inject_undef(VMM_CAP_VCPU(vcpu));
	return resume_with(0);
}

/* Exception classes of a guest's stage-2 abort (ESR_EL2.EC, Arm ARM D19.2.46). */
#define EC_IABT_LOW 0x20u
#define EC_DABT_LOW 0x24u
/* An AArch32 MCR/MRC, LDC/STC or MRRC to CP14 (the debug registers), trapped. */
#define EC_CP14_MR  0x05u
#define EC_CP14_LS  0x06u
#define EC_CP14_MRR 0x0cu

#define ABORT_ISV (1u << 24) /* The syndrome says what the access was... */
#define ABORT_WNR (1u << 6)  /* ...and a write. */

struct answer vmm_guest_fault(unsigned vcpu, const uint64_t *mr)
{
	unsigned ec = (unsigned)(mr[0] >> 26) & 0x3f;
	uint64_t ipa = mr[2] | (mr[1] & 0xfff); /* The page, and the offset FAR gives. */
	/* A data abort the kernel did not take for MMIO: a write to a read-only channel end, say.
	 */
	const char *what = ec == EC_IABT_LOW	  ? "a fetch"
			   : !(mr[0] & ABORT_ISV) ? "an undecodable access"
			   : (mr[0] & ABORT_WNR)  ? "a write"
						  : "a read";

	if ((ec == EC_IABT_LOW || ec == EC_DABT_LOW) && !is_something(ipa))
		return unmapped(vcpu, ipa, what, false);
	/* An AArch32 EL0's debug registers (MDCR_EL2.TDA): not offered, as on a CPU without. */
	if (ec == EC_CP14_MR || ec == EC_CP14_LS || ec == EC_CP14_MRR) {
		(void)mica_vcpu_inject_undef(VMM_CAP_VCPU(vcpu));
		return resume_with(0);
	}
	printf("vmm %s: vCPU %u stopped: ESR 0x%llx FAR 0x%llx IPA 0x%llx PC 0x%llx\n",
	       vmm.vm->name, vcpu, (unsigned long long)mr[0], (unsigned long long)mr[1],
	       (unsigned long long)mr[2], (unsigned long long)mr[3]);
	return vmm_stop();
}
