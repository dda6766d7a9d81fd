/*
 * Kernel object invocations, marshalled into the message layout of
 * <mica/abi/invocation.h>.
 */
#include <mica/abi/vcpu.h>
#include <mica/kobj.h>
#include <mica/sys.h>

enum mica_error mica_invoke(uint64_t cptr, uint64_t label, unsigned arg_count, const uint64_t *args,
			    unsigned cap_count, const uint64_t *caps, uint64_t *results,
			    unsigned result_max)
{
	struct mica_ipc_buffer *buf = mica_ipc_buffer();
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m;
	unsigned n;

	if (arg_count > MICA_MSG_MAX_LENGTH || cap_count > MICA_MSG_MAX_EXTRA_CAPS)
		return MICA_ERR_INVALID_ARGUMENT;
	if ((arg_count > MICA_MSG_REGISTERS || cap_count > 0 || result_max > MICA_MSG_REGISTERS) &&
	    buf == NULL)
		return MICA_ERR_INVALID_ARGUMENT;
	for (unsigned i = 0; i < arg_count; i++) {
		if (i < MICA_MSG_REGISTERS)
			mr[i] = args[i];
		else
			buf->mr[i] = args[i];
	}
	for (unsigned i = 0; i < cap_count; i++)
		buf->caps[i] = caps[i];
	m = mica_call(cptr, mica_msg_info(label, cap_count, arg_count), mr);
	n = mica_msg_length(m.info);
	for (unsigned i = 0; i < n && i < result_max; i++)
		results[i] = i < MICA_MSG_REGISTERS ? mr[i] : buf->mr[i];
	return m.err;
}

#define INVOKE(cptr, label, caps, ...)                                                             \
	({                                                                                         \
		const uint64_t args_[] = {__VA_ARGS__};                                            \
		mica_invoke((cptr), (label), sizeof(args_) / sizeof(args_[0]), args_,              \
			    sizeof(caps) / sizeof((caps)[0]), (caps), NULL, 0);                    \
	})

static const uint64_t no_caps[1];

#define INVOKE0(cptr, label, ...)                                                                  \
	({                                                                                         \
		const uint64_t args_[] = {__VA_ARGS__};                                            \
		mica_invoke((cptr), (label), sizeof(args_) / sizeof(args_[0]), args_, 0, no_caps,  \
			    NULL, 0);                                                              \
	})

enum mica_error mica_untyped_retype(uint64_t untyped, enum mica_object_type type,
				    unsigned size_bits, uint64_t root, uint64_t node_index,
				    unsigned node_depth, uint64_t offset, uint64_t count)
{
	const uint64_t caps[] = {root};

	return INVOKE(untyped, MICA_UNTYPED_RETYPE, caps, type, size_bits, node_index, node_depth,
		      offset, count);
}

enum mica_error mica_untyped_retype_space(uint64_t untyped, enum mica_object_type type,
					  uint64_t pool, uint64_t root, uint64_t node_index,
					  unsigned node_depth, uint64_t offset, uint64_t count)
{
	const uint64_t caps[] = {root, pool};

	return INVOKE(untyped, MICA_UNTYPED_RETYPE, caps, type, 0, node_index, node_depth, offset,
		      count);
}

enum mica_error mica_asid_control_make_pool(uint64_t control, unsigned kind, uint64_t root,
					    uint64_t index, unsigned depth)
{
	const uint64_t caps[] = {root};

	return INVOKE(control, MICA_ASID_CONTROL_MAKE_POOL, caps, kind, index, depth);
}

enum mica_error mica_cnode_copy(uint64_t root, uint64_t dest, unsigned dest_depth,
				uint64_t src_root, uint64_t src, unsigned src_depth,
				unsigned rights)
{
	const uint64_t caps[] = {src_root};

	return INVOKE(root, MICA_CNODE_COPY, caps, dest, dest_depth, src, src_depth, rights);
}

enum mica_error mica_cnode_mint(uint64_t root, uint64_t dest, unsigned dest_depth,
				uint64_t src_root, uint64_t src, unsigned src_depth,
				unsigned rights, uint64_t badge)
{
	const uint64_t caps[] = {src_root};

	return INVOKE(root, MICA_CNODE_MINT, caps, dest, dest_depth, src, src_depth, rights, badge);
}

enum mica_error mica_cnode_move(uint64_t root, uint64_t dest, unsigned dest_depth,
				uint64_t src_root, uint64_t src, unsigned src_depth)
{
	const uint64_t caps[] = {src_root};

	return INVOKE(root, MICA_CNODE_MOVE, caps, dest, dest_depth, src, src_depth,
		      MICA_RIGHTS_ALL);
}

enum mica_error mica_cnode_mutate(uint64_t root, uint64_t dest, unsigned dest_depth,
				  uint64_t src_root, uint64_t src, unsigned src_depth,
				  unsigned rights, uint64_t badge)
{
	const uint64_t caps[] = {src_root};

	return INVOKE(root, MICA_CNODE_MUTATE, caps, dest, dest_depth, src, src_depth, rights,
		      badge);
}

enum mica_error mica_cnode_delete(uint64_t root, uint64_t index, unsigned depth)
{
	return INVOKE0(root, MICA_CNODE_DELETE, index, depth);
}

enum mica_error mica_cnode_revoke(uint64_t root, uint64_t index, unsigned depth)
{
	return INVOKE0(root, MICA_CNODE_REVOKE, index, depth);
}

enum mica_error mica_tcb_set_space(uint64_t tcb, uint64_t cspace, uint64_t vspace,
				   uint64_t fault_ep)
{
	const uint64_t caps[] = {cspace, vspace, fault_ep};

	return INVOKE(tcb, MICA_TCB_SET_SPACE, caps, 0);
}

enum mica_error mica_tcb_set_ipc_buffer(uint64_t tcb, uint64_t address, uint64_t frame)
{
	const uint64_t caps[] = {frame};

	if (address == 0)
		return INVOKE0(tcb, MICA_TCB_SET_IPC_BUFFER, 0);
	return INVOKE(tcb, MICA_TCB_SET_IPC_BUFFER, caps, address);
}

enum mica_error mica_tcb_set_priority(uint64_t tcb, unsigned priority)
{
	return INVOKE0(tcb, MICA_TCB_SET_PRIORITY, priority);
}

enum mica_error mica_tcb_set_affinity(uint64_t tcb, unsigned cpu)
{
	return INVOKE0(tcb, MICA_TCB_SET_AFFINITY, cpu);
}

enum mica_error mica_tcb_set_mcp(uint64_t tcb, unsigned mcp)
{
	return INVOKE0(tcb, MICA_TCB_SET_MCP, mcp);
}

enum mica_error mica_tcb_read_registers(uint64_t tcb, unsigned count,
					uint64_t regs[MICA_CONTEXT_WORDS])
{
	const uint64_t args[] = {count};

	return mica_invoke(tcb, MICA_TCB_READ_REGISTERS, 1, args, 0, no_caps, regs, count);
}

enum mica_error mica_tcb_write_registers(uint64_t tcb, unsigned count,
					 const uint64_t regs[MICA_CONTEXT_WORDS])
{
	uint64_t args[MICA_CONTEXT_WORDS + 1];

	if (count > MICA_CONTEXT_WORDS)
		return MICA_ERR_RANGE;
	args[0] = count;
	for (unsigned i = 0; i < count; i++)
		args[i + 1] = regs[i];
	return mica_invoke(tcb, MICA_TCB_WRITE_REGISTERS, count + 1, args, 0, no_caps, NULL, 0);
}

enum mica_error mica_tcb_resume(uint64_t tcb)
{
	return mica_invoke(tcb, MICA_TCB_RESUME, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_tcb_suspend(uint64_t tcb)
{
	return mica_invoke(tcb, MICA_TCB_SUSPEND, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_tcb_bind_notification(uint64_t tcb, uint64_t ntfn)
{
	const uint64_t caps[] = {ntfn};

	return mica_invoke(tcb, MICA_TCB_BIND_NOTIFICATION, 0, NULL, 1, caps, NULL, 0);
}

enum mica_error mica_tcb_unbind_notification(uint64_t tcb)
{
	return mica_invoke(tcb, MICA_TCB_UNBIND_NOTIFICATION, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_tcb_set_name(uint64_t tcb, const char *name)
{
	uint64_t words[2] = {0, 0};
	char *bytes = (char *)words;

	for (unsigned i = 0; i < sizeof(words) - 1 && name[i] != '\0'; i++)
		bytes[i] = name[i];
	return mica_invoke(tcb, MICA_TCB_SET_NAME, 2, words, 0, no_caps, NULL, 0);
}

enum mica_error mica_tcb_bind_vcpu(uint64_t tcb, uint64_t vcpu)
{
	const uint64_t caps[] = {vcpu};

	return mica_invoke(tcb, MICA_TCB_BIND_VCPU, 0, NULL, 1, caps, NULL, 0);
}

enum mica_error mica_frame_map(uint64_t frame, uint64_t vspace, uint64_t address, unsigned rights,
			       unsigned attrs)
{
	const uint64_t caps[] = {vspace};

	return INVOKE(frame, MICA_FRAME_MAP, caps, address, rights, attrs);
}

enum mica_error mica_frame_unmap(uint64_t frame)
{
	return mica_invoke(frame, MICA_FRAME_UNMAP, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_frame_get_address(uint64_t frame, uint64_t *paddr)
{
	return mica_invoke(frame, MICA_FRAME_GET_ADDRESS, 0, NULL, 0, no_caps, paddr, 1);
}

enum mica_error mica_page_table_map(uint64_t table, uint64_t vspace, uint64_t address)
{
	const uint64_t caps[] = {vspace};

	return INVOKE(table, MICA_PAGE_TABLE_MAP, caps, address);
}

enum mica_error mica_page_table_unmap(uint64_t table)
{
	return mica_invoke(table, MICA_PAGE_TABLE_UNMAP, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_irq_control_get(uint64_t control, uint32_t intid, uint64_t root,
				     uint64_t index, unsigned depth)
{
	const uint64_t caps[] = {root};

	return INVOKE(control, MICA_IRQ_CONTROL_GET, caps, intid, index, depth);
}

enum mica_error mica_irq_handler_ack(uint64_t handler)
{
	return mica_invoke(handler, MICA_IRQ_HANDLER_ACK, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_irq_handler_set_notification(uint64_t handler, uint64_t ntfn)
{
	const uint64_t caps[] = {ntfn};

	return mica_invoke(handler, MICA_IRQ_HANDLER_SET_NOTIFICATION, 0, NULL, 1, caps, NULL, 0);
}

enum mica_error mica_irq_handler_clear(uint64_t handler)
{
	return mica_invoke(handler, MICA_IRQ_HANDLER_CLEAR, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_notification_set_alarm(uint64_t ntfn, uint64_t at, uint64_t bits)
{
	return INVOKE0(ntfn, MICA_NOTIFICATION_SET_ALARM, at, bits);
}

enum mica_error mica_notification_bind_virq(uint64_t ntfn, uint64_t vcpu, unsigned intid,
					    unsigned priority, unsigned flags)
{
	const uint64_t caps[] = {vcpu};

	return INVOKE(ntfn, MICA_NOTIFICATION_BIND_VIRQ, caps, intid, priority, flags);
}

enum mica_error mica_notification_unbind_virq(uint64_t ntfn)
{
	return INVOKE0(ntfn, MICA_NOTIFICATION_UNBIND_VIRQ, 0);
}

enum mica_error mica_vcpu_set_entry(uint64_t vcpu, uint64_t pc, uint64_t x0)
{
	return INVOKE0(vcpu, MICA_VCPU_SET_ENTRY, pc, x0);
}

enum mica_error mica_vcpu_get_state(uint64_t vcpu, uint64_t *state)
{
	return mica_invoke(vcpu, MICA_VCPU_GET_STATE, 0, NULL, 0, no_caps, state, 1);
}

enum mica_error mica_vcpu_get_stats(uint64_t vcpu, uint64_t *stats)
{
	return mica_invoke(vcpu, MICA_VCPU_GET_STATS, 0, NULL, 0, no_caps, stats,
			   MICA_VCPU_STAT_COUNT);
}

enum mica_error mica_vcpu_read_reg(uint64_t vcpu, unsigned reg, uint64_t *value)
{
	const uint64_t args[] = {reg};

	return mica_invoke(vcpu, MICA_VCPU_READ_REG, 1, args, 0, no_caps, value, 1);
}

enum mica_error mica_vcpu_write_reg(uint64_t vcpu, unsigned reg, uint64_t value)
{
	return INVOKE0(vcpu, MICA_VCPU_WRITE_REG, reg, value);
}

enum mica_error mica_irq_handler_set_vcpu(uint64_t handler, uint64_t vcpu, unsigned priority)
{
	const uint64_t caps[] = {vcpu};

	return INVOKE(handler, MICA_IRQ_HANDLER_SET_VCPU, caps, priority);
}

enum mica_error mica_vcpu_inject_irq(uint64_t vcpu, unsigned intid, unsigned priority,
				     unsigned flags)
{
	return INVOKE0(vcpu, MICA_VCPU_INJECT_IRQ, intid, priority, flags);
}

enum mica_error mica_vcpu_clear_irq(uint64_t vcpu, unsigned intid)
{
	return INVOKE0(vcpu, MICA_VCPU_CLEAR_IRQ, intid);
}

enum mica_error mica_vcpu_inject_undef(uint64_t vcpu)
{
	return mica_invoke(vcpu, MICA_VCPU_INJECT_UNDEF, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_vcpu_set_timers(uint64_t vcpu, unsigned enabled, uint8_t virt_priority,
				     uint8_t phys_priority)
{
	return INVOKE0(vcpu, MICA_VCPU_SET_TIMERS, enabled,
		       (uint64_t)virt_priority | (uint64_t)phys_priority << 8);
}

enum mica_error mica_vcpu_inject_abort(uint64_t vcpu)
{
	return mica_invoke(vcpu, MICA_VCPU_INJECT_ABORT, 0, NULL, 0, no_caps, NULL, 0);
}

enum mica_error mica_vcpu_set_sgi(uint64_t vcpu, uint16_t enabled, const uint8_t priorities[16])
{
	uint64_t packed[2] = {0, 0};

	for (unsigned n = 0; n < 16; n++)
		packed[n / 8] |= (uint64_t)priorities[n] << (8 * (n % 8));
	return INVOKE0(vcpu, MICA_VCPU_SET_SGI, enabled, packed[0], packed[1]);
}

enum mica_error mica_vm_bind_mmio(uint64_t vm, uint64_t base, uint64_t size, uint64_t ep)
{
	const uint64_t caps[] = {ep};

	return INVOKE(vm, MICA_VM_BIND_MMIO, caps, base, size);
}

enum mica_error mica_vm_unbind_mmio(uint64_t vm, uint64_t base)
{
	return INVOKE0(vm, MICA_VM_UNBIND_MMIO, base);
}

enum mica_error mica_vm_bind_sgi(uint64_t vm, unsigned target, uint64_t vcpu)
{
	const uint64_t caps[] = {vcpu};

	return INVOKE(vm, MICA_VM_BIND_SGI, caps, target);
}

enum mica_error mica_vm_bind_doorbell(uint64_t vm, unsigned n, uint64_t ntfn)
{
	const uint64_t caps[] = {ntfn};

	return INVOKE(vm, MICA_VM_BIND_DOORBELL, caps, n);
}

enum mica_error mica_vm_unbind_sgi(uint64_t vm, unsigned target)
{
	return INVOKE0(vm, MICA_VM_UNBIND_SGI, target);
}
