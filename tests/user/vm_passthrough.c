/*
 * Device passthrough, as a VMM sets it up: QEMU virt's PL011 is mapped
 * into the guest (a device frame, at its own address) and its interrupt
 * (INTID 33) is bound to the guest's vCPU with IRQHandler SetVCPU, so the
 * kernel injects it as the same virtual INTID and keeps the physical line
 * masked until the guest deactivates it. The guest (tests/guests/
 * passthrough.c) takes it GUEST_PASSTHROUGH_ROUNDS times; the VMM only
 * hears the result.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/exit.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>
#include <mica/vmimage.h>

#include <stdint.h>

#include "../guests/guest.h"
#include "check.h"

#define ROOT	       MICA_CAP_ROOT_CNODE
#define VMM_BADGE      0x5
#define GUEST_PRIORITY 150

int main(const struct mica_boot_info *info)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t ep, reply, uart, handler;
	struct check_guest g;
	struct mica_msg m;

	printf("START vm-passthrough\n");
	CHECK_OK(alloc_init(info));
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	handler = alloc_slot();
	uart = alloc_device_frame(GUEST_UART_IPA);
	CHECK(ep && reply && handler && uart);
	g = check_guest(info, "guest", ep, VMM_BADGE, GUEST_PRIORITY, "guest");

	CHECK_OK(vm_map_frame(g.vm, uart, GUEST_UART_IPA, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0));
	CHECK_OK(mica_irq_control_get(MICA_CAP_IRQ_CONTROL, GUEST_UART_INTID, ROOT, handler, 64));
	CHECK(mica_irq_handler_set_vcpu(handler, ep, 0xa0) == MICA_ERR_WRONG_TYPE);
	CHECK_OK(mica_irq_handler_set_vcpu(handler, g.vcpu, 0xa0));
	printf("vm-passthrough: the UART is mapped into the guest and its interrupt bound to "
	       "the vCPU\n");
	CHECK_OK(mica_tcb_resume(g.tcb));

	m = mica_recv(ep, reply, mr);
	CHECK_EQ(m.err, MICA_OK);
	CHECK_EQ(mica_msg_label(m.info), MICA_EXIT_HYPERCALL);
	CHECK_EQ(mr[0], GUEST_CALL_PASSTHROUGH);
	CHECK_EQ(mr[1], GUEST_PASSTHROUGH_ROUNDS);
	CHECK_EQ(mr[2], GUEST_UART_INTID);
	CHECK_EQ(mr[3], 0);
	printf("vm-passthrough: the guest took the UART's interrupt %llu times as INTID %llu\n",
	       (unsigned long long)mr[1], (unsigned long long)mr[2]);

	/* Unbound, the line goes back to the kernel's keeping: nothing more reaches the guest. */
	CHECK_OK(mica_irq_handler_clear(handler));
	CHECK_OK(mica_tcb_suspend(g.tcb));
	return check_finish("vm-passthrough");
}
