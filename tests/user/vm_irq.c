/*
 * A VMM for the irq test guest (tests/guests/irq.c): it injects and
 * withdraws virtual interrupts and checks what the guest reports. The
 * guest runs at a higher priority than this VMM, so the VMM runs only
 * while the guest is blocked: in WFI, or in an exit. That is how it sees
 * that WFI blocks the vCPU rather than spinning.
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/exit.h>
#include <mica/abi/invocation.h>
#include <mica/alloc.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "../guests/guest.h"
#include "check.h"

#define ROOT	       MICA_CAP_ROOT_CNODE
#define VMM_BADGE      0x5
#define VMM_PRIORITY   100
#define GUEST_PRIORITY 200

#define EOI_LOG 64 /* INTIDs whose EOI exits are counted. */

static uint64_t vcpu, ep, reply;
static unsigned eoi_exits[EOI_LOG];

static uint64_t counter(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, cntpct_el0" : "=r"(v)::"memory");
	return v;
}

/* The order the guest must take GUEST_SPI_MANY.. in: best priority first. */
static uint64_t expected_order(void)
{
	uint64_t order = 0;

	for (unsigned p = 0; p < GUEST_SPI_COUNT; p++)
		for (unsigned i = 0; i < GUEST_SPI_COUNT; i++)
			if (GUEST_SPI_PRIORITY(i) == p * 0x10u)
				order |= (uint64_t)i << (4 * p);
	return order;
}

static void check_bad_arguments(uint64_t tcb)
{
	CHECK(mica_vcpu_inject_irq(vcpu, 1020, 0, 0) == MICA_ERR_INVALID_ARGUMENT);
	CHECK(mica_vcpu_inject_irq(vcpu, 40, 256, 0) == MICA_ERR_INVALID_ARGUMENT);
	CHECK(mica_vcpu_inject_irq(vcpu, 40, 0, 2) == MICA_ERR_INVALID_ARGUMENT);
	CHECK(mica_vcpu_clear_irq(vcpu, 1020) == MICA_ERR_INVALID_ARGUMENT);
	CHECK(mica_vcpu_inject_irq(tcb, 40, 0, 0) == MICA_ERR_ILLEGAL_OPERATION);
}

/* The next exit that is not an EOI exit; those are counted and answered. */
static struct mica_msg next_exit(struct mica_msg m, uint64_t *mr)
{
	while (m.err == MICA_OK && mica_msg_label(m.info) == MICA_EXIT_VIRQ_EOI) {
		CHECK_EQ(mica_msg_length(m.info), 1);
		if (mr[0] < EOI_LOG)
			eoi_exits[mr[0]]++;
		m = mica_reply_recv(ep, reply, mica_msg_info(0, 0, 0), mr);
	}
	return m;
}

/*
 * Answer with a plain Send: the guest, of higher priority, runs at once,
 * and this VMM goes on only when the guest blocks.
 */
static void resume_guest(uint64_t *mr)
{
	CHECK_OK(mica_send(reply, mica_msg_info(0, 0, 0), mr).err);
}

int main(const struct mica_boot_info *info)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_ipc_buffer *buf = mica_ipc_buffer();
	struct check_guest guest;
	uint64_t tcb, ran_at = 0;
	unsigned timer_waits = 0;
	struct mica_msg m;
	bool done = false;

	printf("START vm-irq\n");
	CHECK_OK(alloc_init(info));
	ep = alloc_object(MICA_OBJ_ENDPOINT, 0);
	reply = alloc_object(MICA_OBJ_REPLY, 0);
	CHECK(ep && reply);
	guest = check_guest(info, "guest", ep, VMM_BADGE, GUEST_PRIORITY, "guest");
	vcpu = guest.vcpu;
	tcb = guest.tcb;
	CHECK_OK(mica_tcb_set_priority(MICA_CAP_ROOT_TCB, VMM_PRIORITY));
	check_bad_arguments(tcb);
	CHECK_OK(mica_tcb_resume(tcb));

	m = next_exit(mica_recv(ep, reply, mr), mr);
	while (!done) {
		if (m.err != MICA_OK || m.badge != VMM_BADGE ||
		    mica_msg_label(m.info) != MICA_EXIT_HYPERCALL) {
			printf("FAIL %s:%d bad exit message (error %d, label %llu)\n", __FILE__,
			       __LINE__, m.err, (unsigned long long)mica_msg_label(m.info));
			check_failures++;
			break;
		}
		switch (mr[0]) {
		case GUEST_CALL_TIMER_WAIT:
			resume_guest(mr);
			ran_at = counter();
			m = next_exit(mica_recv(ep, reply, mr), mr);
			continue;
		case GUEST_CALL_TIMER_WOKE:
			/*
			 * mr[1] armed, mr[2] deadline, mr[3] woke. This VMM, of lower
			 * priority, ran before the guest woke: WFI blocked the vCPU.
			 */
			CHECK(mr[3] >= mr[2]);
			CHECK(ran_at > mr[1] && ran_at < mr[3]);
			CHECK_EQ(buf->mr[4], 1);
			if (++timer_waits == 2)
				printf("vm-irq: the virtual timer woke the guest from WFI twice, "
				       "and the VMM ran while it waited\n");
			break;
		case GUEST_CALL_PTIMER_WOKE:
			/* The same, with the guest's EL1 physical timer (its counter: the same). */
			CHECK(mr[3] >= mr[2]);
			CHECK(ran_at > mr[1] && ran_at < mr[3]);
			CHECK_EQ(buf->mr[4], 1);
			printf("vm-irq: the physical timer woke the guest from WFI, and the VMM "
			       "ran while it waited\n");
			break;
		case GUEST_CALL_SPI_WAIT:
			/* The guest waits in WFI once it has its answer: wake it. */
			resume_guest(mr);
			CHECK_OK(mica_vcpu_inject_irq(vcpu, GUEST_SPI, 0x20, MICA_VIRQ_NOTIFY_EOI));
			m = next_exit(mica_recv(ep, reply, mr), mr);
			continue;
		case GUEST_CALL_SPI_TAKEN:
			CHECK_EQ(mr[1], GUEST_SPI);
			CHECK_EQ(mr[2], 1);
			CHECK_EQ(eoi_exits[GUEST_SPI], 1);
			printf("vm-irq: an injected SPI woke the guest from WFI, reached its "
			       "handler, and its EOI came back as an exit\n");
			break;
		case GUEST_CALL_CLEAR_SETUP:
			CHECK_OK(mica_vcpu_inject_irq(vcpu, GUEST_SPI + 1, 0x10, 0));
			CHECK_OK(mica_vcpu_inject_irq(vcpu, GUEST_SPI + 1, 0x10, 0)); /* No-op. */
			break;
		case GUEST_CALL_CLEAR_NOW:
			CHECK_OK(mica_vcpu_clear_irq(vcpu, GUEST_SPI + 1));
			break;
		case GUEST_CALL_CLEAR_DONE:
			CHECK_EQ(mr[1], 0);
			printf("vm-irq: a withdrawn interrupt never reached the guest\n");
			break;
		case GUEST_CALL_MANY:
			for (unsigned i = 0; i < GUEST_SPI_COUNT; i++)
				CHECK_OK(mica_vcpu_inject_irq(
					vcpu, GUEST_SPI_MANY + i, GUEST_SPI_PRIORITY(i),
					i % 2 == 0 ? MICA_VIRQ_NOTIFY_EOI : 0));
			break;
		case GUEST_CALL_MANY_DONE:
			CHECK_EQ(mr[2], GUEST_SPI_COUNT);
			CHECK_EQ(mr[1], expected_order());
			for (unsigned i = 0; i < GUEST_SPI_COUNT; i++)
				CHECK_EQ(eoi_exits[GUEST_SPI_MANY + i], i % 2 == 0 ? 1 : 0);
			printf("vm-irq: %llu interrupts for 4 list registers arrived once each, "
			       "best priority first (order 0x%08llx)\n",
			       (unsigned long long)mr[2], (unsigned long long)mr[1]);
			done = true;
			continue;
		case GUEST_CALL_UNEXPECTED:
			printf("FAIL %s:%d the guest took exception 0x%llx (ESR 0x%llx, PC "
			       "0x%llx)\n",
			       __FILE__, __LINE__, (unsigned long long)mr[1],
			       (unsigned long long)mr[2], (unsigned long long)mr[3]);
			check_failures++;
			done = true;
			continue;
		default:
			printf("FAIL %s:%d unexpected hypercall 0x%llx\n", __FILE__, __LINE__,
			       (unsigned long long)mr[0]);
			check_failures++;
			done = true;
			continue;
		}
		m = next_exit(mica_reply_recv(ep, reply, mica_msg_info(0, 0, 0), mr), mr);
	}
	CHECK_OK(mica_tcb_suspend(tcb));
	return check_finish("vm-irq");
}
