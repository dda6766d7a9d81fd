/*
 * The VMM's state, shared by its files: main.c (the VM's lifecycle, the
 * hypercalls and the exit loop) and trap.c (the guest's trapped accesses).
 */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <mica/abi/exit.h>
#include <mica/proto/vmm.h>
#include <mica/sysdesc.h>

#include <stdbool.h>
#include <stdint.h>

#include "guest.h"
#include "psci.h"
#include "vdebug.h"
#include "vgicd.h"

enum vm_state { VM_INITIAL, VM_RUNNING, VM_SHUTTING_DOWN };

struct vmm {
	const struct vmm_boot *boot;
	struct sysdesc desc;
	const struct sysdesc_vm *vm;
	struct guest guest;
	struct psci_state psci;
	struct vgicd gic;
	struct vdebug debug[SYSDESC_VCPU_MAX];
	enum vm_state state;
	bool is_bound[SYSDESC_VCPU_MAX]; /* Its thread is bound to its vCPU. */
	uint64_t unmapped;		 /* Accesses to where nothing is (reported: 8). */
	bool guest_failed;		 /* It stopped on a fault, not by powering off. */
};

extern struct vmm vmm;

/* What one exit's handler decided: answer the vCPU (with n words), or leave it stopped. */
struct answer {
	bool reply;
	unsigned count;
	uint64_t words[MICA_EXIT_HYPERCALL_RESULTS];
};

static inline struct answer resume_with(uint64_t value)
{
	return (struct answer){.reply = true, .count = 1, .words = {value}};
}

/* Stop every vCPU: the VM ends on a fault it cannot go on from. */
struct answer vmm_stop(void);

/* The guest's exits that trap.c serves, from the exit's message words mr. */
struct answer vmm_mmio(unsigned vcpu, const uint64_t *mr);
struct answer vmm_sysreg(unsigned vcpu, const uint64_t *mr);
struct answer vmm_guest_fault(unsigned vcpu, const uint64_t *mr);

#endif
