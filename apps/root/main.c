/*
 * The root task: the first EL0 program, holding every capability the kernel
 * hands out at boot. For now it starts the "hello" program from the boot
 * archive as a process of its own, waits for it to end, and ends the
 * system; later it reads the system description and creates every server
 * and VM.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/fault.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/process.h>
#include <mica/sys.h>

#include <stdint.h>

#define HELLO_BADGE 0x1
#define HELLO_ARG   42

int main(const struct mica_boot_info *info)
{
	struct process_config cfg = {.name = "hello", .priority = 100, .arg = HELLO_ARG};
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t regs[MICA_CONTEXT_WORDS];
	uint64_t ep, fault_ep, reply;
	struct process hello;
	struct mica_msg m;
	enum mica_error err;

	printf("root: hello from the root task at EL0\n");
	printf("START root\n");
	err = alloc_init(info);
	if (err != MICA_OK) {
		printf("FAIL root: the boot information is unusable (error %d)\n", err);
		return 1;
	}
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	fault_ep = alloc_slot();
	if (ep == 0 || reply == 0 || fault_ep == 0 ||
	    mica_cnode_mint(MICA_CAP_ROOT_CNODE, fault_ep, 64, MICA_CAP_ROOT_CNODE, ep, 64,
			    MICA_RIGHTS_ALL, HELLO_BADGE) != MICA_OK) {
		printf("FAIL root: cannot make the fault endpoint\n");
		return 1;
	}
	cfg.fault_ep = fault_ep;
	err = process_image_from_archive(info, "hello", &cfg);
	if (err == MICA_OK)
		err = process_create(&hello, &cfg);
	if (err == MICA_OK)
		err = process_start(&hello);
	if (err != MICA_OK) {
		printf("FAIL root: cannot start \"hello\" (error %d)\n", err);
		return 1;
	}

	/* Its end arrives as a fault: a breakpoint, with its status in x0. */
	m = mica_recv(ep, reply, mr);
	if (m.err != MICA_OK || m.badge != HELLO_BADGE ||
	    mica_msg_label(m.info) != MICA_FAULT_USER_EXCEPTION ||
	    mica_tcb_read_registers(hello.tcb, MICA_CONTEXT_WORDS, regs) != MICA_OK) {
		printf("FAIL root: \"hello\" did not end as expected\n");
		return 1;
	}
	printf("root: \"hello\" ended with status %llu\n", (unsigned long long)regs[MICA_CTX_X0]);
	process_destroy(&hello);
	printf("FINISHED\n");
	return 0;
}
