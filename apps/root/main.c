/*
 * The root task: the first EL0 program, holding every capability the kernel
 * hands out at boot. It reads the system description from the boot archive
 * ("system"), builds every VM with its VMM and every device server
 * (system.c), and then supervises them: a device server that faults or
 * ends is rebuilt from the same boot page while its guests keep running
 * (the new instance resumes from its devices' state pages), up to
 * MAX_RESTARTS times; past that, or when the new instance cannot be built
 * (out of memory, say), every VM with a device on it is stopped. A VMM
 * that ends (its guest powered off, or stopped on a fault) has its VM
 * taken apart. When every VM has ended, the system powers off, with status
 * 0 if every guest powered off and 1 otherwise.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/context.h>
#include <mica/abi/fault.h>
#include <mica/alloc.h>
#include <mica/counter.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "build.h"
#include "system.h"

/* A restart loop this tight means the server cannot run at all. */
#define MAX_RESTARTS 16

/* How a program ends (crt0): BRK, exception class 0x3c, with its status in x0. */
#define ESR_EC_SHIFT 26
#define ESR_EC_MASK  0x3f
#define ESR_EC_BRK64 0x3c

static struct system sys;

/* How a program ended: its exit status (crt0's breakpoint with x0), or -1 for a crash. */
static int exit_status(uint64_t tcb, uint64_t label, const uint64_t *mr)
{
	uint64_t regs[MICA_CONTEXT_WORDS];
	uint64_t ec = (mr[2] >> ESR_EC_SHIFT) & ESR_EC_MASK;

	if (label != MICA_FAULT_USER_EXCEPTION || ec != ESR_EC_BRK64 ||
	    mica_tcb_read_registers(tcb, MICA_CONTEXT_WORDS, regs) != MICA_OK)
		return -1;
	return (int)regs[MICA_CTX_X0];
}

static void describe_fault(const char *who, uint64_t label, const uint64_t *mr)
{
	printf("root: %s faulted: label %llu, PC 0x%llx, address/SP 0x%llx, syndrome 0x%llx\n", who,
	       (unsigned long long)label, (unsigned long long)mr[0], (unsigned long long)mr[1],
	       (unsigned long long)(label == MICA_FAULT_VM ? mr[3] : mr[2]));
}

/*
 * Server index failed for good: every running VM with a device on it is
 * stopped (the policy for every kind of device, docs/device-servers.md),
 * since its guest would otherwise wait for ever on an access nobody will
 * answer. Then the server is taken apart. Returns how many VMs stopped.
 */
static unsigned stop_vms_of(unsigned index)
{
	struct server_rt *sv = &sys.servers[index];
	unsigned stopped = 0;

	for (unsigned v = 0; v < sys.desc.vm_count; v++) {
		const char *device = NULL;

		for (unsigned d = 0; d < sv->boot.device_count; d++)
			if (sv->boot.devices[d].vm_index == v)
				device = sv->boot.devices[d].name;
		if (device == NULL || !sys.vms[v].is_running)
			continue;
		printf("root: VM \"%s\" stopped: its device %s has no server (\"%s\" failed)\n",
		       sys.vms[v].desc->name, device, sv->desc->name);
		system_end_vm(&sys, v);
		printf("root: VM \"%s\" ended (failed)\n", sys.vms[v].desc->name);
		stopped++;
	}
	system_stop_server(&sys, index);
	return stopped;
}

/*
 * Driver index faulted or ended: it is started again, and its clients'
 * requests in flight are done again (<mica/proto/blk.h>). Past
 * MAX_RESTARTS, or if it cannot be, every VM with a device on its drive is
 * stopped. Returns how many VMs stopped.
 */
static unsigned driver_ended(unsigned index, uint64_t label, const uint64_t *mr)
{
	struct driver_rt *dr = &sys.drivers[index];
	int st = exit_status(dr->proc.tcb, label, mr);
	unsigned stopped = 0;

	if (st >= 0)
		printf("root: driver \"%s\" ended with status %d\n", dr->desc->name, st);
	else
		describe_fault(dr->desc->name, label, mr);
	if (dr->restarts < MAX_RESTARTS && system_restart_driver(&sys, index) == MICA_OK) {
		printf("root: driver \"%s\" restarted (%u)\n", dr->desc->name, dr->restarts);
		return 0;
	}
	printf("root: driver \"%s\" failed for good\n", dr->desc->name);
	system_stop_driver(&sys, index);
	for (unsigned v = 0; v < sys.desc.vm_count; v++) {
		const struct sysdesc_vm *vm = &sys.desc.vms[v];
		bool uses = false;

		for (unsigned d = 0; d < vm->device_count; d++)
			uses |= vm->devices[d].has_drive && vm->devices[d].drive == index;
		if (!uses || !sys.vms[v].is_running)
			continue;
		printf("root: VM \"%s\" stopped: its disk has no driver\n", vm->name);
		system_end_vm(&sys, v);
		stopped++;
	}
	return stopped;
}

int main(const struct mica_boot_info *info)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t reply;
	unsigned running = 0;
	int status = 0;

	printf("root: hello from the root task at EL0\n");
	if (alloc_init(info) != MICA_OK || (reply = alloc_object(MICA_OBJ_REPLY, 0)) == 0) {
		printf("root: the boot information is unusable\n");
		return 1;
	}
	if (system_build(&sys, info) != MICA_OK) {
		printf("root: the system did not start\n");
		return 1;
	}
	for (unsigned i = 0; i < sys.desc.vm_count; i++)
		running += sys.vms[i].is_running;
	printf("root: %u VMs running, %llu MiB of memory left\n", running,
	       (unsigned long long)(alloc_free_bytes() >> 20));

	while (running > 0) {
		static uint64_t listed_at;
		struct mica_msg m = mica_recv(sys.fault_ep, reply, mr);
		unsigned index = (unsigned)(m.badge & ROOT_BADGE_INDEX);
		uint64_t label = mica_msg_label(m.info);

		if (m.err != MICA_OK)
			continue;
		if (m.badge & ROOT_BADGE_LIST) {
			/* At most once a second: a server asking in a loop floods nothing. */
			if (label == VDEV_MSG_LIST &&
			    (listed_at == 0 || mica_counter() - listed_at >= mica_counter_hz())) {
				system_print(&sys);
				listed_at = mica_counter();
			}
			continue;
		}
		if ((m.badge & ROOT_BADGE_IVC) && sys.ivc.is_running) {
			int st = exit_status(sys.ivc.proc.tcb, label, mr);

			if (st >= 0)
				printf("root: the IVC server ended with status %d\n", st);
			else
				describe_fault("the IVC server", label, mr);
			/* Not restarted: its channels are gone from every VM with it. */
			ivc_stop(&sys);
			printf("root: the IVC server is stopped; every dynamic channel is gone\n");
			status = 1;
			continue;
		}
		if ((m.badge & ROOT_BADGE_DRIVER) && index < sys.desc.driver_count &&
		    sys.drivers[index].is_running) {
			running -= driver_ended(index, label, mr);
			continue;
		}
		if ((m.badge & ROOT_BADGE_SERVER) && index < sys.desc.server_count) {
			struct server_rt *sv = &sys.servers[index];
			int st = exit_status(sv->proc.tcb, label, mr);

			if (st >= 0)
				printf("root: device server \"%s\" ended with status %d\n",
				       sv->desc->name, st);
			else
				describe_fault(sv->desc->name, label, mr);
			if (sv->boot.restarts >= MAX_RESTARTS) {
				printf("root: device server \"%s\" restarted %u times; giving up\n",
				       sv->desc->name, sv->boot.restarts);
			} else if (system_restart_server(&sys, index) == MICA_OK) {
				printf("root: device server \"%s\" restarted (%u)\n",
				       sv->desc->name, sv->boot.restarts);
				continue;
			} else {
				printf("root: device server \"%s\" could not be restarted; giving "
				       "up\n",
				       sv->desc->name);
			}
			/* Past the limit or not restartable: its VMs would wait for ever. */
			running -= stop_vms_of(index);
			status = 1;
		} else if ((m.badge & ROOT_BADGE_VMM) && index < sys.desc.vm_count &&
			   sys.vms[index].is_running) {
			struct vm_rt *v = &sys.vms[index];
			int st = exit_status(v->vmm.tcb, label, mr);

			if (st < 0)
				describe_fault("a VMM", label, mr);
			printf("root: VM \"%s\" ended (%s)\n", v->desc->name,
			       st == 0 ? "powered off" : "failed");
			if (st != 0)
				status = 1;
			system_end_vm(&sys, index);
			running--;
		}
	}
	/*
	 * The servers told of the VMs' ends report before the machine stops:
	 * below their priority, the root task runs again only once every one
	 * of them waits, so that none is cut off in the middle of a line (a
	 * console server's last words among them) by the last line here.
	 * Servers wait for events; none runs for ever.
	 */
	(void)mica_tcb_set_priority(MICA_CAP_ROOT_TCB, SYSTEM_PRIORITY - 1);
	mica_yield();
	printf("root: every VM has ended\n");
	sys_system_off(status);
}
