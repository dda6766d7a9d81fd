/*
 * Invoking kernel objects (<mica/abi/invocation.h>): one function per
 * operation. Each returns the kernel's error code. Capabilities are named
 * by their address in the caller's CSpace (depth 64); slots inside a CNode
 * by (CNode capability, index, depth).
 */
#ifndef MICA_USER_KOBJ_H
#define MICA_USER_KOBJ_H

#include <stdint.h>

#include <mica/abi/context.h>
#include <mica/abi/errors.h>
#include <mica/abi/invocation.h>
#include <mica/abi/objects.h>

/*
 * Invoke the object at cptr with label, arg_count words and cap_count
 * capability addresses; results (at most result_max words) go to results.
 */
enum mica_error mica_invoke(uint64_t cptr, uint64_t label, unsigned arg_count, const uint64_t *args,
			    unsigned cap_count, const uint64_t *caps, uint64_t *results,
			    unsigned result_max);

enum mica_error mica_untyped_retype(uint64_t untyped, enum mica_object_type type,
				    unsigned size_bits, uint64_t root, uint64_t node_index,
				    unsigned node_depth, uint64_t offset, uint64_t count);

/* The same for VSpaces and VMs, which take their IDs from the ASID pool pool. */
enum mica_error mica_untyped_retype_space(uint64_t untyped, enum mica_object_type type,
					  uint64_t pool, uint64_t root, uint64_t node_index,
					  unsigned node_depth, uint64_t offset, uint64_t count);

/* A new ASID pool of kind (enum mica_asid_pool_kind) in slot (index, depth) of root. */
enum mica_error mica_asid_control_make_pool(uint64_t control, unsigned kind, uint64_t root,
					    uint64_t index, unsigned depth);

enum mica_error mica_cnode_copy(uint64_t root, uint64_t dest, unsigned dest_depth,
				uint64_t src_root, uint64_t src, unsigned src_depth,
				unsigned rights);
enum mica_error mica_cnode_mint(uint64_t root, uint64_t dest, unsigned dest_depth,
				uint64_t src_root, uint64_t src, unsigned src_depth,
				unsigned rights, uint64_t badge);
enum mica_error mica_cnode_move(uint64_t root, uint64_t dest, unsigned dest_depth,
				uint64_t src_root, uint64_t src, unsigned src_depth);
enum mica_error mica_cnode_mutate(uint64_t root, uint64_t dest, unsigned dest_depth,
				  uint64_t src_root, uint64_t src, unsigned src_depth,
				  unsigned rights, uint64_t badge);
enum mica_error mica_cnode_delete(uint64_t root, uint64_t index, unsigned depth);
enum mica_error mica_cnode_revoke(uint64_t root, uint64_t index, unsigned depth);

enum mica_error mica_tcb_set_space(uint64_t tcb, uint64_t cspace, uint64_t vspace,
				   uint64_t fault_ep);
enum mica_error mica_tcb_set_ipc_buffer(uint64_t tcb, uint64_t address, uint64_t frame);
enum mica_error mica_tcb_set_priority(uint64_t tcb, unsigned priority);
enum mica_error mica_tcb_set_mcp(uint64_t tcb, unsigned mcp);
enum mica_error mica_tcb_set_affinity(uint64_t tcb, unsigned cpu);
enum mica_error mica_tcb_read_registers(uint64_t tcb, unsigned count,
					uint64_t regs[MICA_CONTEXT_WORDS]);
enum mica_error mica_tcb_write_registers(uint64_t tcb, unsigned count,
					 const uint64_t regs[MICA_CONTEXT_WORDS]);
enum mica_error mica_tcb_resume(uint64_t tcb);
enum mica_error mica_tcb_suspend(uint64_t tcb);
enum mica_error mica_tcb_bind_notification(uint64_t tcb, uint64_t ntfn);
enum mica_error mica_tcb_unbind_notification(uint64_t tcb);
enum mica_error mica_tcb_set_name(uint64_t tcb, const char *name);
enum mica_error mica_tcb_bind_vcpu(uint64_t tcb, uint64_t vcpu);

enum mica_error mica_frame_map(uint64_t frame, uint64_t vspace, uint64_t address, unsigned rights,
			       unsigned attrs);
enum mica_error mica_frame_unmap(uint64_t frame);
enum mica_error mica_frame_get_address(uint64_t frame, uint64_t *paddr);
enum mica_error mica_page_table_map(uint64_t table, uint64_t vspace, uint64_t address);
enum mica_error mica_page_table_unmap(uint64_t table);

enum mica_error mica_irq_control_get(uint64_t control, uint32_t intid, uint64_t root,
				     uint64_t index, unsigned depth);
enum mica_error mica_irq_handler_ack(uint64_t handler);
enum mica_error mica_irq_handler_set_notification(uint64_t handler, uint64_t ntfn);
enum mica_error mica_irq_handler_clear(uint64_t handler);
enum mica_error mica_irq_handler_set_vcpu(uint64_t handler, uint64_t vcpu, unsigned priority);

/* Signal ntfn with bits once the counter (<mica/counter.h>) reaches at; 0 disarms. */
enum mica_error mica_notification_set_alarm(uint64_t ntfn, uint64_t at, uint64_t bits);
/* Signals of ntfn raise SPI intid in vcpu (flags: MICA_VIRQ_BIND_*), and no longer. */
enum mica_error mica_notification_bind_virq(uint64_t ntfn, uint64_t vcpu, unsigned intid,
					    unsigned priority, unsigned flags);
enum mica_error mica_notification_unbind_virq(uint64_t ntfn);

/* VCPU and VM invocations (<mica/abi/invocation.h>, <mica/abi/vcpu.h>). */
enum mica_error mica_vcpu_set_entry(uint64_t vcpu, uint64_t pc, uint64_t x0);
enum mica_error mica_vcpu_get_state(uint64_t vcpu, uint64_t *state);
/* The kernel's exit statistics of vcpu: MICA_VCPU_STAT_COUNT words (enum mica_vcpu_stat). */
enum mica_error mica_vcpu_get_stats(uint64_t vcpu, uint64_t *stats);
enum mica_error mica_vcpu_read_reg(uint64_t vcpu, unsigned reg, uint64_t *value);
enum mica_error mica_vcpu_write_reg(uint64_t vcpu, unsigned reg, uint64_t value);
enum mica_error mica_vcpu_inject_irq(uint64_t vcpu, unsigned intid, unsigned priority,
				     unsigned flags);
enum mica_error mica_vcpu_clear_irq(uint64_t vcpu, unsigned intid);
enum mica_error mica_vcpu_inject_undef(uint64_t vcpu);
enum mica_error mica_vcpu_inject_abort(uint64_t vcpu);
/* enabled: bit 0 the virtual timer's PPI, bit 1 the physical timer's. */
enum mica_error mica_vcpu_set_timers(uint64_t vcpu, unsigned enabled, uint8_t virt_priority,
				     uint8_t phys_priority);
/* priorities[n]: SGI n's; only those in enabled (bit n: SGI n) matter. */
enum mica_error mica_vcpu_set_sgi(uint64_t vcpu, uint16_t enabled, const uint8_t priorities[16]);
enum mica_error mica_vm_bind_mmio(uint64_t vm, uint64_t base, uint64_t size, uint64_t ep);
enum mica_error mica_vm_unbind_mmio(uint64_t vm, uint64_t base);
enum mica_error mica_vm_bind_sgi(uint64_t vm, unsigned target, uint64_t vcpu);
enum mica_error mica_vm_unbind_sgi(uint64_t vm, unsigned target);
/* The guest's MICA_HVC_RING_DOORBELL n signals ntfn (<mica/abi/hypercall.h>). */
enum mica_error mica_vm_bind_doorbell(uint64_t vm, unsigned n, uint64_t ntfn);

#endif
