/*
 * Unit tests of the virtual interrupts the kernel delivers without the
 * VMM, on four fake CPUs, as their users see them:
 *
 * - A guest's SGIs routed in the kernel (kernel/vgic.c vgic_send_sgi,
 *   kernel/vm.c, MICA_VM_BIND_SGI, MICA_VM_UNBIND_SGI and
 *   MICA_VCPU_SET_SGI): the VMM binds vCPUs as its VM's SGI targets and
 *   says which SGIs each takes, at which priority; a guest's write of
 *   ICC_SGI1R_EL1 then makes the SGI pending on every vCPU it names, or on
 *   none (the write then goes to the VMM); and the bindings go with the
 *   capabilities they hold.
 * - Virtual lines (kernel/virq.c, MICA_NOTIFICATION_BIND_VIRQ and
 *   MICA_NOTIFICATION_UNBIND_VIRQ): the VMM binds a notification to an SPI
 *   of a vCPU; a server's signal of it then makes that SPI pending in the
 *   vCPU, once however many signals come, and only while the VMM says the
 *   guest has it enabled; the queue keeps room for such lines whatever the
 *   VMM has injected; and a binding ends with either object, or with the
 *   guest's thread.
 *
 * The test acts as the VMM, a thread of the highest priority on CPU 0 that
 * invokes capabilities through the system call. The fake arch decodes no
 * guest writes, so a guest's SGI is sent as the exit fastpath does once it
 * has decoded one: vgic_send_sgi on the sending CPU, then schedule(). Guests
 * are threads bound to the vCPUs, each running on a CPU of its own; the
 * test plays them by changing their list registers as the GIC would.
 * Servers and waiters are threads without a vCPU that make their system
 * calls on the CPU they are placed on (CPU 3 unless a test says otherwise).
 * Objects that die are poisoned for ASan, so that a route or a binding left
 * to a dead object fails the test where it is used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sanitizer/asan_interface.h>

#include "kernel_world.h"

#include "cnode.h"
#include "debug.h"
#include "fake.h"
#include "ipc.h"
#include "irq.h"
#include "sched.h"
#include "smp.h"
#include "untyped.h"
#include "vcpu.h"
#include "vm.h"

#include <mica/abi/hypercall.h>
#include <mica/abi/invocation.h>
#include <mica/abi/ipc.h>
#include <mica/abi/syscall.h>

#define CPU_COUNT	    4
#define VCPUS		    4
#define SLOT_VM		    40
#define SLOT_VCPU_UNTYPED   41 /* vCPUs 0..2 come from it; vCPU 3 from the world's Untyped. */
#define SLOT_VMM_IPC	    42
#define SLOT_FIRST_VCPU	    50 /* vCPU i's capability: SLOT_FIRST_VCPU + i. */
#define GUEST_PRIORITY	    100
#define ROOM		    (VGIC_VMM_ENTRIES) /* What the VMM may queue. */
#define ROOT_DEPTH	    64
#define SGI_PRIORITIES_LOW  UINT64_C(0x8877665544332211) /* SGI n (0..7): 0x11 * (n + 1). */
#define SGI_PRIORITIES_HIGH UINT64_C(0xf0e0d0c0b0a09080) /* SGI 8 + n: 0x80 + 0x10 * n. */

static struct tcb *vmm;
static struct vm *vm;
static struct vcpu *vcpus[VCPUS];

/* The fake saw a CPU reach vCPU state that another CPU holds. */
static void misuse(const char *what)
{
	fail_msg("the fake CPUs saw a kernel bug: %s", what);
}

static void retype(unsigned from, enum mica_object_type type, unsigned bits, unsigned dest)
{
	assert_int_equal(untyped_retype(&root_slots[from], type, bits, &root_slots[SLOT_ROOT].cap,
					dest, 1, world_pool(type)),
			 MICA_OK);
}

/*
 * The world, a VM, an Untyped and four vCPUs, and the VMM running on CPU 0
 * with an IPC buffer (capabilities travel there).
 */
static int setup(void **state)
{
	world_setup(state);
	smp_cpu_count = CPU_COUNT;
	fake_idle_jump = NULL;
	fake_misuse = misuse;
	vmm = make_thread(MICA_MAX_PRIORITY);
	retype(SLOT_UNTYPED, MICA_OBJ_FRAME_4K, 0, SLOT_VMM_IPC);
	assert_int_equal(cnode_copy(&vmm->slots[TCB_SLOT_IPC_BUFFER], &root_slots[SLOT_VMM_IPC],
				    MICA_RIGHTS_ALL, false, 0),
			 MICA_OK);
	vmm->ipc_buffer_va = 0x10000;
	run(vmm);
	retype(SLOT_UNTYPED, MICA_OBJ_VM, 0, SLOT_VM);
	vm = vm_of(&root_slots[SLOT_VM].cap);
	retype(SLOT_UNTYPED, MICA_OBJ_UNTYPED, 16, SLOT_VCPU_UNTYPED);
	for (unsigned i = 0; i < VCPUS; i++) {
		retype(i < 3 ? SLOT_VCPU_UNTYPED : SLOT_UNTYPED, MICA_OBJ_VCPU, 0,
		       SLOT_FIRST_VCPU + i);
		vcpus[i] = (struct vcpu *)root_slots[SLOT_FIRST_VCPU + i].cap.object;
	}
	return 0;
}

static int teardown(void **state)
{
	ASAN_UNPOISON_MEMORY_REGION(ram, (size_t)1 << RAM_BITS);
	world_teardown(state);
	smp_cpu_count = 1;
	fake_idle_jump = NULL;
	fake_misuse = NULL;
	return 0;
}

/* A dead object's memory: any use of it from now on fails the test. */
static void poison(const void *object, unsigned bits)
{
	ASAN_POISON_MEMORY_REGION(object, (size_t)1 << bits);
}

/* The VMM's system calls ---------------------------------------------------------------------- */

/*
 * The VMM invokes the capability at cptr: label, length words and
 * cap_count capability addresses (0: none), as a Call. Its error.
 */
static enum mica_error call(uint64_t cptr, uint64_t label, unsigned length, const uint64_t *words,
			    unsigned cap_count, const uint64_t *caps)
{
	struct mica_ipc_buffer *buf = tcb_ipc_buffer(vmm);
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	unsigned was = fake_cpu_now;

	for (unsigned i = 0; i < length; i++) {
		if (i < MICA_MSG_REGISTERS)
			mr[i] = words[i];
		else
			buf->mr[i] = words[i];
	}
	for (unsigned i = 0; i < cap_count; i++)
		buf->caps[i] = caps[i];
	fake_cpu_switch(0);
	assert_ptr_equal(sys(vmm, false, MICA_SYS_CALL, cptr,
			     mica_msg_info(label, cap_count, length), 0, mr),
			 vmm);
	fake_cpu_switch(was);
	return (enum mica_error)vmm->regs.x[6];
}

static enum mica_error bind_sgi(uint64_t target, uint64_t vcpu_cptr)
{
	return call(SLOT_VM, MICA_VM_BIND_SGI, 1, &target, 1, &vcpu_cptr);
}

static enum mica_error unbind_sgi(uint64_t target)
{
	return call(SLOT_VM, MICA_VM_UNBIND_SGI, 1, &target, 0, NULL);
}

static enum mica_error set_sgi(unsigned i, uint64_t mask, uint64_t low, uint64_t high)
{
	const uint64_t words[3] = {mask, low, high};

	return call(SLOT_FIRST_VCPU + i, MICA_VCPU_SET_SGI, 3, words, 0, NULL);
}

/* vCPU i takes the SGIs in mask, at the test's priorities (SGI_PRIORITIES_*). */
static void take(unsigned i, uint64_t mask)
{
	assert_int_equal(set_sgi(i, mask, SGI_PRIORITIES_LOW, SGI_PRIORITIES_HIGH), MICA_OK);
}

static unsigned priority_of_sgi(unsigned intid)
{
	return intid < 8 ? 0x11 * (intid + 1) : 0x80 + 0x10 * (intid - 8);
}

static enum mica_error inject(unsigned i, uint64_t intid, uint64_t priority, uint64_t flags)
{
	const uint64_t words[3] = {intid, priority, flags};

	return call(SLOT_FIRST_VCPU + i, MICA_VCPU_INJECT_IRQ, 3, words, 0, NULL);
}

/* Delete or revoke the root CNode's slot. */
static enum mica_error cnode_op(uint64_t label, unsigned slot)
{
	const uint64_t words[2] = {slot, ROOT_DEPTH};

	return call(SLOT_ROOT, label, 2, words, 0, NULL);
}

/* The root CNode slot that holds t's TCB capability. */
static uint64_t cptr_of(const struct tcb *t)
{
	for (unsigned i = SLOT_FIRST_TCB; i < (1u << ROOT_RADIX); i++)
		if (root_slots[i].cap.type == MICA_OBJ_TCB &&
		    root_slots[i].cap.object == (uintptr_t)t)
			return i;
	fail_msg("the thread has no TCB capability in the root CNode");
	return 0;
}

/* CPUs and guests --------------------------------------------------------------------------- */

/*
 * cpu enters the kernel (to take its kick, say) and chooses what runs: the
 * thread, or NULL if it idles. The test goes on as the CPU it was.
 */
static struct tcb *schedule_on(unsigned cpu)
{
	unsigned was = fake_cpu_now;
	struct tcb *volatile next = NULL;
	jmp_buf idle;

	fake_cpu_switch(cpu);
	fake_cpus[cpu].ipi_pending = false;
	if (setjmp(idle) == 0) {
		fake_idle_jump = &idle;
		next = (struct tcb *)schedule();
	}
	fake_idle_jump = NULL;
	fake_cpu_switch(was);
	return next;
}

/*
 * What runs on cpu writes ICC_SGI1R_EL1 for SGI intid to the targets
 * (bit n: target n), as the exit fastpath handles it once decoded: true if
 * the kernel routed it (the CPU then chooses what runs), false if the write
 * goes to the VMM.
 */
static bool send_from(unsigned cpu, unsigned intid, uint32_t targets)
{
	unsigned was = fake_cpu_now;
	volatile bool routed = false;
	jmp_buf idle;

	fake_cpu_switch(cpu);
	if (setjmp(idle) == 0) {
		fake_idle_jump = &idle;
		routed = vgic_send_sgi(vm, intid, targets);
		if (routed)
			(void)schedule();
	}
	fake_idle_jump = NULL;
	fake_cpu_switch(was);
	return routed;
}

/* Kicks raised for cpu since the world began. */
static unsigned kicks(unsigned cpu)
{
	return fake_cpus[cpu].ipis;
}

/*
 * vCPU i's guest, set up by the VMM as a VMM would: a thread bound to the
 * vCPU, in the VM, its exits going to the world's endpoint, placed on cpu
 * and started; cpu then runs it, and holds the vCPU's state.
 */
static struct tcb *start_guest(unsigned i, unsigned cpu)
{
	struct tcb *t = make_thread(GUEST_PRIORITY);
	uint64_t tcb = cptr_of(t);
	const uint64_t entry[2] = {0x80000, 0};
	const uint64_t spaces[3] = {SLOT_ROOT, SLOT_VM, SLOT_EP};
	const uint64_t vcpu = SLOT_FIRST_VCPU + i;
	const uint64_t where = cpu;

	assert_int_equal(call(vcpu, MICA_VCPU_SET_ENTRY, 2, entry, 0, NULL), MICA_OK);
	assert_int_equal(call(tcb, MICA_TCB_BIND_VCPU, 0, NULL, 1, &vcpu), MICA_OK);
	assert_int_equal(call(tcb, MICA_TCB_SET_SPACE, 0, NULL, 3, spaces), MICA_OK);
	assert_int_equal(call(tcb, MICA_TCB_SET_AFFINITY, 1, &where, 0, NULL), MICA_OK);
	assert_int_equal(call(tcb, MICA_TCB_RESUME, 0, NULL, 0, NULL), MICA_OK);
	assert_ptr_equal(schedule_on(cpu), t);
	assert_ptr_equal(sched_cpus[cpu].loaded_vcpu, vcpus[i]);
	return t;
}

/*
 * List register n of vCPU v as its guest sees it: in the registers of the
 * CPU that holds v's state (read as that CPU), or in v's saved copy.
 */
static struct fake_lr *guest_lr(struct vcpu *v, unsigned n)
{
	unsigned was = fake_cpu_now;
	struct fake_lr *lr;

	if (v->arch.held_by != 0)
		fake_cpu_switch(v->arch.held_by - 1U);
	lr = fake_vcpu_lr(&v->arch, n);
	fake_cpu_switch(was);
	return lr;
}

/* The list register of v that holds intid in any state but invalid, or NULL. */
static struct fake_lr *lr_holding(struct vcpu *v, unsigned intid)
{
	struct fake_lr *found = NULL;

	for (unsigned n = 0; n < fake_lr_count; n++) {
		struct fake_lr *lr = guest_lr(v, n);

		if (lr->state != VGIC_LR_INVALID && lr->intid == intid) {
			assert_null(found); /* Never in two. */
			found = lr;
		}
	}
	return found;
}

/* v's queue entry for intid, or NULL. */
static const struct vgic_irq *queued(const struct vcpu *v, unsigned intid)
{
	const struct vgic_irq *found = NULL;

	for (unsigned i = 0; i < v->vgic.count; i++) {
		if (v->vgic.queue[i].intid == intid) {
			assert_null(found); /* Never queued twice. */
			found = &v->vgic.queue[i];
		}
	}
	return found;
}

/*
 * The priority intid waits at for v's guest, queued or pending in a list
 * register (where it goes at once while nothing waits before it and one
 * is free); -1 if it does not.
 */
static int priority_pending(struct vcpu *v, unsigned intid)
{
	const struct vgic_irq *q = queued(v, intid);
	struct fake_lr *lr = lr_holding(v, intid);

	if (q != NULL)
		return q->priority;
	if (lr != NULL && (lr->state == VGIC_LR_PENDING || lr->state == VGIC_LR_PENDING_ACTIVE))
		return lr->priority;
	return -1;
}

/*
 * Every list register of vCPU i busy with an interrupt its guest has taken
 * (INTIDs from 900): what comes next waits in its queue.
 */
static void busy_registers(unsigned i)
{
	for (unsigned n = 0; n < fake_lr_count; n++) {
		assert_int_equal(inject(i, 900 + n, 0, 0), MICA_OK);
		lr_holding(vcpus[i], 900 + n)->state = VGIC_LR_ACTIVE;
	}
	assert_int_equal(vcpus[i]->vgic.count, 0);
}

/* How many times intid is pending for v's guest: queued, or pending in a list register. */
static unsigned times_pending(struct vcpu *v, unsigned intid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < v->vgic.count; i++)
		n += v->vgic.queue[i].intid == intid;
	for (unsigned i = 0; i < fake_lr_count; i++) {
		const struct fake_lr *lr = guest_lr(v, i);

		n += lr->intid == intid &&
		     (lr->state == VGIC_LR_PENDING || lr->state == VGIC_LR_PENDING_ACTIVE);
	}
	return n;
}

/* Everything a refused SGI must leave as it was. */
struct snapshot {
	struct vgic vgic[VCPUS];
	struct fake_lr lr[VCPUS][VGIC_MAX_LRS];
	uint8_t thread_state[VCPUS];
	unsigned ipis[CPU_COUNT];
};

static void snap(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < VCPUS; i++) {
		s->vgic[i] = vcpus[i]->vgic;
		for (unsigned n = 0; n < fake_lr_count; n++)
			s->lr[i][n] = *guest_lr(vcpus[i], n);
		s->thread_state[i] = vcpus[i]->tcb != NULL ? vcpus[i]->tcb->state : 0xff;
	}
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		s->ipis[cpu] = kicks(cpu);
}

/* Member by member: the structures have padding. */
static void assert_vgic_equal(const struct vgic *a, const struct vgic *b)
{
	assert_int_equal(a->count, b->count);
	for (unsigned i = 0; i < a->count; i++) {
		assert_int_equal(a->queue[i].intid, b->queue[i].intid);
		assert_int_equal(a->queue[i].priority, b->queue[i].priority);
		assert_int_equal(a->queue[i].flags, b->queue[i].flags);
	}
	assert_int_equal(a->has_work, b->has_work);
	assert_int_equal(a->timers_masked, b->timers_masked);
	assert_int_equal(a->passthrough_count, b->passthrough_count);
	assert_memory_equal(a->lr_flags, b->lr_flags, sizeof(a->lr_flags));
	assert_int_equal(a->eoi_owed_count, b->eoi_owed_count);
	assert_memory_equal(a->eoi_owed, b->eoi_owed, sizeof(a->eoi_owed));
}

static void assert_unchanged(const struct snapshot *before)
{
	struct snapshot now;

	snap(&now);
	for (unsigned i = 0; i < VCPUS; i++) {
		assert_vgic_equal(&now.vgic[i], &before->vgic[i]);
		for (unsigned n = 0; n < fake_lr_count; n++) {
			const struct fake_lr *a = &now.lr[i][n], *b = &before->lr[i][n];

			assert_int_equal(a->intid, b->intid);
			assert_int_equal(a->priority, b->priority);
			assert_int_equal(a->state, b->state);
			assert_int_equal(a->eoi, b->eoi);
		}
		assert_int_equal(now.thread_state[i], before->thread_state[i]);
	}
	assert_memory_equal(now.ipis, before->ipis, sizeof(now.ipis));
}

static void assert_invariants(void)
{
	assert_int_equal(debug_check(&root_slots[SLOT_ROOT].cap), 0);
}

/* Delivery ------------------------------------------------------------------------------------- */

/*
 * A routed SGI is pending on its target at the priority the VMM gave that
 * SGI, with nothing asked of the guest's deactivation: the guest takes it
 * and deactivates it, and no exit reaches the VMM.
 */
static void test_a_routed_sgi_is_pending_at_its_priority_and_ends_without_an_exit(void **state)
{
	struct endpoint *ep = (struct endpoint *)root_slots[SLOT_EP].cap.object;
	struct tcb *g;
	struct fake_lr *lr;
	const struct vgic_irq *q;

	(void)state;
	take(0, 1u << 5 | 1u << 12);
	assert_int_equal(bind_sgi(0, SLOT_FIRST_VCPU + 0), MICA_OK);
	g = start_guest(0, 1);

	/* From another CPU: it waits in the vCPU's queue, at SGI 5's priority, asking nothing. */
	assert_true(send_from(0, 5, 1u << 0));
	q = queued(vcpus[0], 5);
	assert_non_null(q);
	assert_int_equal(q->priority, priority_of_sgi(5));
	assert_int_equal(q->flags, 0);
	/* The guest's CPU takes it into a list register on its way back into the guest. */
	assert_ptr_equal(schedule_on(1), g);
	lr = lr_holding(vcpus[0], 5);
	assert_non_null(lr);
	assert_int_equal(lr->state, VGIC_LR_PENDING);
	assert_int_equal(lr->priority, priority_of_sgi(5));
	assert_false(lr->eoi);

	/* The guest acknowledges and deactivates it; the GIC raises nothing, the kernel looks
	 * anyway. */
	lr->state = VGIC_LR_ACTIVE;
	lr->state = VGIC_LR_INVALID;
	fake_cpu_switch(1);
	vgic_maintenance();
	fake_cpu_switch(0);
	assert_ptr_equal(schedule_on(1), g);
	assert_int_equal(g->state, THREAD_RUNNABLE);
	assert_int_equal(vcpus[0]->vgic.eoi_owed_count, 0);
	assert_false(vcpus[0]->vgic.has_work);
	assert_null(ep->queue.head); /* No exit went to the VMM's endpoint. */

	/* An SGI of the upper eight has its priority from the third word. */
	assert_true(send_from(0, 12, 1u << 0));
	assert_int_equal(queued(vcpus[0], 12)->priority, priority_of_sgi(12));
	assert_invariants();
}

/* One write names several targets: each gets it, at its own priority; the sender may be one. */
static void test_one_write_reaches_every_target_and_the_sender_itself(void **state)
{
	struct tcb *sender;
	struct fake_lr *lr;

	(void)state;
	for (unsigned i = 0; i < VCPUS; i++) {
		/* SGI 1's priority is byte 1 of the second word: 0x10 * (i + 1) here. */
		assert_int_equal(set_sgi(i, 1u << 1, (uint64_t)(0x10 * (i + 1)) << 8, 0), MICA_OK);
		assert_int_equal(bind_sgi(i, SLOT_FIRST_VCPU + i), MICA_OK);
	}
	/* Target 9 is vCPU 2 as well. */
	assert_int_equal(bind_sgi(9, SLOT_FIRST_VCPU + 2), MICA_OK);
	sender = start_guest(0, 1);

	assert_true(send_from(1, 1, 0xf | 1u << 9));
	for (unsigned i = 1; i < VCPUS; i++) {
		assert_int_equal(priority_pending(vcpus[i], 1), 0x10 * (i + 1));
		assert_int_equal(times_pending(vcpus[i], 1), 1);
	}
	/* The sender's own vCPU: already in its list register when its guest goes on. */
	assert_ptr_equal(sched_cpus[1].current, sender);
	lr = lr_holding(vcpus[0], 1);
	assert_non_null(lr);
	assert_int_equal(lr->state, VGIC_LR_PENDING);
	assert_int_equal(lr->priority, 0x10);
	assert_false(lr->eoi);
	assert_int_equal(times_pending(vcpus[0], 1), 1);
	assert_invariants();
}

/*
 * A write is routed only if every target it names is bound and takes that
 * SGI: otherwise (and for what no write can name) nothing changes anywhere,
 * not even a kick.
 */
static void test_nothing_happens_unless_every_target_takes_it(void **state)
{
	struct snapshot before;

	(void)state;
	take(0, 1u << 7);
	take(1, 1u << 7);
	take(2, 1u << 6); /* Not SGI 7. */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(bind_sgi(i, SLOT_FIRST_VCPU + i), MICA_OK);
	(void)start_guest(1, 2);
	assert_true(send_from(0, 6, 1u << 2)); /* Something queued already, to stay as it is. */
	snap(&before);

	assert_false(send_from(0, 7, 1u << 0 | 1u << 1 | 1u << 3)); /* Target 3 is unbound. */
	assert_unchanged(&before);
	assert_false(send_from(0, 7, 1u << 0 | 1u << 1 | 1u << 2)); /* vCPU 2 takes no SGI 7. */
	assert_unchanged(&before);
	assert_false(send_from(0, 7, 1u << 15)); /* Unbound alone. */
	assert_unchanged(&before);
	assert_false(send_from(0, 16, 1u << 0)); /* Not an SGI. */
	assert_false(send_from(0, 7, 0));
	assert_false(send_from(0, 7, 1u << 0 | 1u << 16));
	assert_false(send_from(0, 7, 1u << 31));
	assert_unchanged(&before);

	/* SGIs the VMM disabled again are refused too. */
	take(1, 0);
	snap(&before); /* SET_SGI took vCPU 1 from CPU 2 (a kick). */
	assert_false(send_from(0, 7, 1u << 1));
	assert_unchanged(&before);

	/* What they would take goes through. */
	take(1, 1u << 7);
	assert_true(send_from(0, 7, 1u << 0 | 1u << 1));
	assert_int_equal(times_pending(vcpus[0], 7), 1);
	assert_int_equal(times_pending(vcpus[1], 7), 1);
	assert_int_equal(times_pending(vcpus[2], 7), 0);
	assert_invariants();
}

/*
 * A target whose queue is full refuses the whole write; one that has that
 * SGI pending already needs no room for it.
 */
static void test_a_full_queue_refuses_the_write_but_an_sgi_pending_there_needs_no_room(void **state)
{
	struct snapshot before;
	const struct vgic_irq *q;

	(void)state;
	take(0, 1u << 3 | 1u << 4);
	take(1, 1u << 3 | 1u << 4);
	assert_int_equal(bind_sgi(0, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_int_equal(bind_sgi(1, SLOT_FIRST_VCPU + 1), MICA_OK);
	busy_registers(0);
	for (unsigned i = 0; i < ROOM; i++)
		assert_int_equal(inject(0, 100 + i, 0x40, 0), MICA_OK);
	assert_int_equal(inject(0, 200, 0x40, 0), MICA_ERR_NOT_ENOUGH_MEMORY);
	snap(&before);

	assert_false(send_from(0, 3, 1u << 0 | 1u << 1));
	assert_unchanged(&before);
	assert_false(send_from(0, 3, 1u << 0));
	assert_unchanged(&before);

	/* SGI 4, injected by the VMM, takes one entry's place: the queue is full again. */
	assert_int_equal(
		call(SLOT_FIRST_VCPU + 0, MICA_VCPU_CLEAR_IRQ, 1, &(uint64_t){100}, 0, NULL),
		MICA_OK);
	assert_int_equal(inject(0, 4, 0x90, 0), MICA_OK);
	assert_int_equal(vcpus[0]->vgic.count, ROOM);
	assert_true(send_from(0, 4, 1u << 0 | 1u << 1));
	assert_int_equal(vcpus[0]->vgic.count, ROOM);
	q = queued(vcpus[0], 4);
	assert_non_null(q);
	assert_int_equal(q->priority, 0x90); /* As it was. */
	assert_int_equal(q->flags, 0);
	assert_int_equal(times_pending(vcpus[1], 4), 1);
	/* Still no room for another SGI. */
	assert_false(send_from(0, 3, 1u << 0));
	assert_invariants();
}

/*
 * An SGI already pending is not pending twice, whether it waits in the
 * queue or in a list register, sent from the CPU that holds the target or
 * from another; once the guest has acknowledged it, it is pending again.
 */
static void test_an_sgi_already_pending_is_not_queued_twice(void **state)
{
	struct tcb *g;
	struct fake_lr *lr;

	(void)state;
	take(0, 1u << 2);
	take(1, 1u << 2);
	assert_int_equal(bind_sgi(0, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_int_equal(bind_sgi(1, SLOT_FIRST_VCPU + 1), MICA_OK);

	/* A vCPU no CPU holds: it has it once (in a list register: nothing waits before it). */
	assert_true(send_from(0, 2, 1u << 1));
	assert_true(send_from(0, 2, 1u << 1));
	assert_int_equal(times_pending(vcpus[1], 2), 1);

	/* In the list register of the sender's CPU: sent there again, it stays there alone. */
	g = start_guest(0, 1);
	assert_true(send_from(1, 2, 1u << 0));
	assert_ptr_equal(sched_cpus[1].current, g);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_true(send_from(1, 2, 1u << 0));
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_int_equal(times_pending(vcpus[0], 2), 1);

	/* From another CPU it waits in the queue, and merges when CPU 1 next enters the guest. */
	assert_true(send_from(0, 2, 1u << 0));
	assert_ptr_equal(schedule_on(1), g);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_int_equal(times_pending(vcpus[0], 2), 1);

	/* Acknowledged (active), the next one is pending again, behind it. */
	lr = lr_holding(vcpus[0], 2);
	assert_non_null(lr);
	lr->state = VGIC_LR_ACTIVE;
	assert_true(send_from(1, 2, 1u << 0));
	assert_int_equal(lr->state, VGIC_LR_PENDING_ACTIVE);
	assert_int_equal(times_pending(vcpus[0], 2), 1);
	assert_invariants();
}

/* A target another CPU runs gets the SGI in its queue, and that CPU, kicked, takes it in. */
static void test_a_target_another_cpu_holds_gets_it_and_that_cpu_is_kicked(void **state)
{
	struct tcb *sender, *target;
	unsigned before[CPU_COUNT];
	struct fake_lr *lr;

	(void)state;
	take(1, 1u << 9);
	assert_int_equal(bind_sgi(4, SLOT_FIRST_VCPU + 1), MICA_OK);
	sender = start_guest(0, 1);
	target = start_guest(1, 2);
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		before[cpu] = kicks(cpu);

	/* Running: kicked, to come into the kernel and take it. */
	assert_true(send_from(1, 9, 1u << 4));
	assert_non_null(queued(vcpus[1], 9));
	assert_int_equal(kicks(2), before[2] + 1);
	assert_int_equal(kicks(0), before[0]);
	assert_int_equal(kicks(1), before[1]);
	assert_int_equal(kicks(3), before[3]);
	assert_ptr_equal(sched_cpus[1].current, sender);
	assert_ptr_equal(schedule_on(2), target);
	lr = lr_holding(vcpus[1], 9);
	assert_non_null(lr);
	assert_int_equal(lr->state, VGIC_LR_PENDING);
	assert_int_equal(vcpus[1]->vgic.count, 0);

	/* Waiting in WFI (its CPU idle): woken, and its CPU kicked. */
	lr->state = VGIC_LR_INVALID; /* Taken and done with. */
	fake_cpu_switch(2);
	vcpu_wait(target, false);
	fake_cpu_switch(0);
	assert_int_equal(target->state, THREAD_BLOCKED_WFI);
	assert_null(schedule_on(2));
	before[2] = kicks(2);
	assert_true(send_from(1, 9, 1u << 4));
	assert_int_equal(target->state, THREAD_RUNNABLE);
	assert_true(kicks(2) > before[2]);
	assert_ptr_equal(schedule_on(2), target);
	assert_non_null(lr_holding(vcpus[1], 9));
	assert_invariants();
}

/* Bindings and capabilities ------------------------------------------------------------------- */

/*
 * Revoking the Untyped the vCPUs came from destroys them, bound or not,
 * running or not: their routes go with them, and the VM's other routes
 * stay.
 */
static void test_revoking_the_vcpus_memory_takes_their_routes_away(void **state)
{
	struct tcb *g;

	(void)state;
	for (unsigned i = 0; i < VCPUS; i++)
		take(i, 0xffff);
	assert_int_equal(bind_sgi(0, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_int_equal(bind_sgi(5, SLOT_FIRST_VCPU + 1), MICA_OK);
	assert_int_equal(bind_sgi(6, SLOT_FIRST_VCPU + 1), MICA_OK);
	assert_int_equal(bind_sgi(3, SLOT_FIRST_VCPU + 3), MICA_OK);
	g = start_guest(1, 3);
	assert_true(send_from(0, 8, 1u << 5)); /* Queued for the guest CPU 3 runs. */

	assert_int_equal(cnode_op(MICA_CNODE_REVOKE, SLOT_VCPU_UNTYPED), MICA_OK);
	for (unsigned i = 0; i < 3; i++)
		poison(vcpus[i], MICA_VCPU_BITS);
	for (unsigned n = 0; n < VM_SGI_TARGETS; n++)
		assert_int_equal(vm->sgi_vcpu[n].cap.type, n == 3 ? MICA_OBJ_VCPU : MICA_OBJ_NULL);
	assert_null(g->vcpu);
	assert_int_equal(g->state, THREAD_INACTIVE);
	assert_null(sched_cpus[3].loaded_vcpu);
	assert_null(schedule_on(3));

	assert_false(send_from(0, 8, 1u << 0));
	assert_false(send_from(0, 8, 1u << 5));
	assert_false(send_from(0, 8, 1u << 3 | 1u << 6));
	assert_true(send_from(0, 8, 1u << 3));
	assert_int_equal(unbind_sgi(5), MICA_ERR_NOT_FOUND);
	assert_invariants();
}

/*
 * The VM's binding is a copy of the vCPU capability: revoking that
 * capability unbinds it (the vCPU lives on); deleting it leaves the binding,
 * which keeps the vCPU alive until it is unbound.
 */
static void test_the_binding_is_a_copy_that_goes_with_a_revoke_and_keeps_the_vcpu(void **state)
{
	struct tcb *g;

	(void)state;
	take(0, 1u << 1);
	assert_int_equal(bind_sgi(2, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_true(slot_has_children(&root_slots[SLOT_FIRST_VCPU + 0]));

	/* Revoked: unbound, the vCPU as it was. */
	assert_int_equal(cnode_op(MICA_CNODE_REVOKE, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_int_equal(vm->sgi_vcpu[2].cap.type, MICA_OBJ_NULL);
	assert_false(send_from(0, 1, 1u << 2));
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_int_equal(unbind_sgi(2), MICA_ERR_NOT_FOUND);
	assert_int_equal(inject(0, 40, 0x20, 0), MICA_OK);
	assert_int_equal(vcpus[0]->sgi_enabled, 1u << 1);

	/* Bound again, and its own capability deleted: the VM's copy keeps it, and its guest. */
	assert_int_equal(bind_sgi(2, SLOT_FIRST_VCPU + 0), MICA_OK);
	g = start_guest(0, 2);
	assert_int_equal(cnode_op(MICA_CNODE_DELETE, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_ptr_equal(g->vcpu, vcpus[0]);
	assert_true(send_from(0, 1, 1u << 2));
	assert_ptr_equal(schedule_on(2), g);
	assert_non_null(lr_holding(vcpus[0], 1));
	assert_invariants();

	/* Unbound, the last capability goes: the vCPU is destroyed, and its thread let go. */
	assert_int_equal(unbind_sgi(2), MICA_OK);
	poison(vcpus[0], MICA_VCPU_BITS);
	assert_null(g->vcpu);
	assert_int_equal(g->state, THREAD_INACTIVE);
	assert_null(sched_cpus[2].loaded_vcpu);
	assert_null(schedule_on(2));
	assert_false(send_from(0, 1, 1u << 2));
	assert_invariants();
}

/*
 * Deleting the VM deletes its bindings: a vCPU with capabilities elsewhere
 * lives on, unbound; one the VM held the last capability to is destroyed,
 * though another CPU runs it.
 */
static void test_deleting_the_vm_deletes_its_bindings(void **state)
{
	struct tcb *kept, *lost;

	(void)state;
	take(0, 1u << 0);
	take(1, 1u << 0);
	assert_int_equal(bind_sgi(0, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_int_equal(bind_sgi(1, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_int_equal(bind_sgi(2, SLOT_FIRST_VCPU + 1), MICA_OK);
	kept = start_guest(0, 1);
	lost = start_guest(1, 2);
	assert_true(send_from(0, 0, 0x7));
	assert_int_equal(cnode_op(MICA_CNODE_DELETE, SLOT_FIRST_VCPU + 1), MICA_OK);
	assert_ptr_equal(lost->vcpu, vcpus[1]);

	/* The guests' copies of the VM capability first, then the VM's own. */
	assert_int_equal(cnode_op(MICA_CNODE_REVOKE, SLOT_VM), MICA_OK);
	assert_int_equal(cnode_op(MICA_CNODE_DELETE, SLOT_VM), MICA_OK);
	poison(vcpus[1], MICA_VCPU_BITS);
	poison(vm, MICA_VM_BITS - 1); /* What the VM keeps, in its second page. */

	assert_false(slot_has_children(&root_slots[SLOT_FIRST_VCPU + 0]));
	assert_ptr_equal(kept->vcpu, vcpus[0]);
	assert_int_equal(set_sgi(0, 0xffff, 0, 0), MICA_OK); /* Still usable. */
	assert_int_equal(inject(0, 40, 0x20, 0), MICA_OK);
	assert_null(lost->vcpu);
	assert_int_equal(lost->state, THREAD_INACTIVE);
	assert_null(sched_cpus[2].loaded_vcpu);
	for (unsigned cpu = 1; cpu < CPU_COUNT; cpu++)
		(void)schedule_on(cpu);
	assert_invariants();
}

/*
 * The tangle the bindings allow: a guest's thread holds the last capability
 * to its VM, which holds the last one to the guest's own vCPU, which
 * another CPU runs. Deleting the thread destroys all three, and leaves
 * nothing behind.
 */
static void test_deleting_a_guest_that_holds_its_vm_that_holds_its_vcpu(void **state)
{
	struct tcb *g;
	uint64_t tcb;

	(void)state;
	take(0, 1u << 3);
	assert_int_equal(bind_sgi(7, SLOT_FIRST_VCPU + 0), MICA_OK);
	g = start_guest(0, 3);
	tcb = cptr_of(g);
	assert_true(send_from(0, 3, 1u << 7));
	assert_int_equal(cnode_op(MICA_CNODE_DELETE, SLOT_FIRST_VCPU + 0), MICA_OK);
	assert_int_equal(cnode_op(MICA_CNODE_DELETE, SLOT_VM), MICA_OK);
	assert_int_equal(g->slots[TCB_SLOT_VSPACE].cap.type, MICA_OBJ_VM);
	assert_ptr_equal(g->vcpu, vcpus[0]);

	assert_int_equal(cnode_op(MICA_CNODE_DELETE, (unsigned)tcb), MICA_OK);
	poison(g, MICA_TCB_BITS);
	poison(vcpus[0], MICA_VCPU_BITS);
	poison(vm, MICA_VM_BITS - 1);
	assert_null(sched_cpus[3].loaded_vcpu);
	assert_true(sched_cpus[3].current != g);
	for (unsigned cpu = 1; cpu < CPU_COUNT; cpu++)
		assert_null(schedule_on(cpu));
	assert_invariants();
}

/*
 * A vCPU let go by its guest's thread (deleted) and bound to another, which
 * may run another VM, takes no SGI straight from a sender until its VMM
 * says so again: its last guest's GIC settings are gone with that guest.
 */
static void test_a_vcpu_bound_anew_takes_no_sgi_until_its_vmm_says(void **state)
{
	struct tcb *g;

	(void)state;
	take(0, 1u << 4);
	assert_int_equal(bind_sgi(5, SLOT_FIRST_VCPU + 0), MICA_OK);
	g = start_guest(0, 1);
	assert_true(send_from(2, 4, 1u << 5));
	assert_int_equal(times_pending(vcpus[0], 4), 1);

	assert_int_equal(cnode_op(MICA_CNODE_DELETE, (unsigned)cptr_of(g)), MICA_OK);
	poison(g, MICA_TCB_BITS);
	g = start_guest(0, 1);
	assert_ptr_equal(g->vcpu, vcpus[0]);
	assert_int_equal(times_pending(vcpus[0], 4), 0); /* Dropped with the old guest. */
	assert_false(send_from(2, 4, 1u << 5));
	assert_int_equal(times_pending(vcpus[0], 4), 0);
	take(0, 1u << 4);
	assert_true(send_from(2, 4, 1u << 5));
	assert_int_equal(times_pending(vcpus[0], 4), 1);
	assert_invariants();
}

/* The invocations' errors -----------------------------------------------------------------------
 */

static void assert_no_binding_but(unsigned target, const struct vcpu *v)
{
	for (unsigned n = 0; n < VM_SGI_TARGETS; n++) {
		const struct cap *c = &vm->sgi_vcpu[n].cap;

		if (n == target) {
			assert_int_equal(c->type, MICA_OBJ_VCPU);
			assert_ptr_equal((const void *)c->object, v);
		} else {
			assert_int_equal(c->type, MICA_OBJ_NULL);
		}
	}
	for (unsigned n = 0; n < VM_MMIO_RANGES; n++)
		assert_int_equal(vm->mmio_ep[n].cap.type, MICA_OBJ_NULL);
}

static void test_bind_sgi_refuses_what_it_must_and_changes_nothing(void **state)
{
	const uint64_t vcpu = SLOT_FIRST_VCPU + 0, other = SLOT_FIRST_VCPU + 1;
	const uint64_t ep = SLOT_EP, nothing = 0, empty = 99;
	const uint64_t past[] = {VM_SGI_TARGETS, 255, UINT64_C(1) << 32, UINT64_MAX};

	(void)state;
	for (unsigned i = 0; i < sizeof(past) / sizeof(past[0]); i++)
		assert_int_equal(call(SLOT_VM, MICA_VM_BIND_SGI, 1, &past[i], 1, &vcpu),
				 MICA_ERR_RANGE);
	assert_int_equal(bind_sgi(4, ep), MICA_ERR_WRONG_TYPE);
	assert_int_equal(bind_sgi(4, SLOT_VM), MICA_ERR_WRONG_TYPE);
	assert_int_equal(bind_sgi(4, nothing), MICA_ERR_INVALID_CAPABILITY);
	assert_int_equal(bind_sgi(4, empty), MICA_ERR_INVALID_CAPABILITY);
	assert_int_equal(call(SLOT_VM, MICA_VM_BIND_SGI, 1, &(uint64_t){4}, 0, NULL),
			 MICA_ERR_INVALID_CAPABILITY);
	assert_int_equal(call(SLOT_VM, MICA_VM_BIND_SGI, 0, NULL, 1, &vcpu), MICA_ERR_TRUNCATED);
	assert_int_equal(call(SLOT_FIRST_VCPU + 0, MICA_VM_BIND_SGI, 1, &(uint64_t){4}, 1, &vcpu),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_no_binding_but(VM_SGI_TARGETS, NULL);
	assert_false(slot_has_children(&root_slots[vcpu]));

	/* The last target binds; a bound one is not replaced. */
	assert_int_equal(bind_sgi(VM_SGI_TARGETS - 1, vcpu), MICA_OK);
	assert_int_equal(bind_sgi(VM_SGI_TARGETS - 1, other), MICA_ERR_DELETE_FIRST);
	assert_int_equal(bind_sgi(VM_SGI_TARGETS - 1, vcpu), MICA_ERR_DELETE_FIRST);
	assert_no_binding_but(VM_SGI_TARGETS - 1, vcpus[0]);
	assert_false(slot_has_children(&root_slots[other]));
	assert_invariants();
}

static void test_unbind_sgi_refuses_what_it_must(void **state)
{
	(void)state;
	assert_int_equal(unbind_sgi(0), MICA_ERR_NOT_FOUND);
	assert_int_equal(unbind_sgi(VM_SGI_TARGETS - 1), MICA_ERR_NOT_FOUND);
	assert_int_equal(unbind_sgi(VM_SGI_TARGETS), MICA_ERR_RANGE);
	assert_int_equal(unbind_sgi(UINT64_MAX), MICA_ERR_RANGE);
	assert_int_equal(bind_sgi(6, SLOT_FIRST_VCPU + 2), MICA_OK);
	assert_int_equal(call(SLOT_VM, MICA_VM_UNBIND_SGI, 0, NULL, 0, NULL), MICA_ERR_TRUNCATED);
	assert_int_equal(unbind_sgi(5), MICA_ERR_NOT_FOUND);
	assert_int_equal(unbind_sgi(7), MICA_ERR_NOT_FOUND);
	assert_no_binding_but(6, vcpus[2]);
	assert_int_equal(unbind_sgi(6), MICA_OK);
	assert_no_binding_but(VM_SGI_TARGETS, NULL);
	assert_false(slot_has_children(&root_slots[SLOT_FIRST_VCPU + 2]));
	assert_int_equal(unbind_sgi(6), MICA_ERR_NOT_FOUND);
	assert_invariants();
}

static void test_set_sgi_refuses_sgis_past_15_and_short_messages_and_changes_nothing(void **state)
{
	const uint64_t words[3] = {0xa5a5, SGI_PRIORITIES_LOW, SGI_PRIORITIES_HIGH};
	const uint64_t too_many[] = {1u << 16, 0x1ffff, UINT64_C(1) << 63, UINT64_MAX};
	uint8_t priorities[VGIC_SGI_COUNT];

	(void)state;
	assert_int_equal(set_sgi(0, 0xa5a5, SGI_PRIORITIES_LOW, SGI_PRIORITIES_HIGH), MICA_OK);
	assert_int_equal(vcpus[0]->sgi_enabled, 0xa5a5);
	for (unsigned n = 0; n < VGIC_SGI_COUNT; n++)
		assert_int_equal(vcpus[0]->sgi_priority[n], priority_of_sgi(n));
	memcpy(priorities, vcpus[0]->sgi_priority, sizeof(priorities));

	for (unsigned i = 0; i < sizeof(too_many) / sizeof(too_many[0]); i++)
		assert_int_equal(set_sgi(0, too_many[i], 0, 0), MICA_ERR_INVALID_ARGUMENT);
	for (unsigned length = 0; length < 3; length++)
		assert_int_equal(
			call(SLOT_FIRST_VCPU + 0, MICA_VCPU_SET_SGI, length, words, 0, NULL),
			MICA_ERR_TRUNCATED);
	assert_int_equal(call(SLOT_VM, MICA_VCPU_SET_SGI, 3, words, 0, NULL),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(vcpus[0]->sgi_enabled, 0xa5a5);
	assert_memory_equal(vcpus[0]->sgi_priority, priorities, sizeof(priorities));

	/* All sixteen, and none. */
	assert_int_equal(set_sgi(0, 0xffff, 0, 0), MICA_OK);
	assert_int_equal(vcpus[0]->sgi_enabled, 0xffff);
	assert_int_equal(vcpus[0]->sgi_priority[15], 0);
	assert_int_equal(set_sgi(0, 0, 0, 0), MICA_OK);
	assert_int_equal(vcpus[0]->sgi_enabled, 0);
	/* A new vCPU takes none. */
	assert_int_equal(vcpus[1]->sgi_enabled, 0);
	assert_invariants();
}

/* Virtual lines -------------------------------------------------------------------------------- */

#define SLOT_SIGNAL_ONLY 110 /* A copy of a line that may only signal it, badged SIGNAL_BADGE. */
#define SLOT_WAIT_ONLY	 111 /* A copy of a line that may only wait on it. */
#define SLOT_FIRST_LINE	 120 /* A test's notification j: SLOT_FIRST_LINE + j. */
#define SIGNAL_BADGE	 0x4
#define THREAD_CPU	 3 /* Where servers and waiters run. */
#define SERVER_PRIORITY	 50
#define WAITER_PRIORITY	 60 /* A waiter woken runs before a server. */

/* A new notification at SLOT_FIRST_LINE + j. */
static struct notification *make_line(unsigned j)
{
	retype(SLOT_UNTYPED, MICA_OBJ_NOTIFICATION, 0, SLOT_FIRST_LINE + j);
	return (struct notification *)root_slots[SLOT_FIRST_LINE + j].cap.object;
}

/* The capability address of the test's notification j. */
static uint64_t line(unsigned j)
{
	return SLOT_FIRST_LINE + j;
}

/* The VMM binds the notification at ntfn to SPI intid of vCPU i. */
static enum mica_error bind_virq(uint64_t ntfn, unsigned i, uint64_t intid, uint64_t priority,
				 uint64_t flags)
{
	const uint64_t words[3] = {intid, priority, flags};
	const uint64_t vcpu = SLOT_FIRST_VCPU + i;

	return call(ntfn, MICA_NOTIFICATION_BIND_VIRQ, 3, words, 1, &vcpu);
}

static enum mica_error unbind_virq(uint64_t ntfn)
{
	return call(ntfn, MICA_NOTIFICATION_UNBIND_VIRQ, 0, NULL, 0, NULL);
}

/* The VMM mints a copy of the capability at from into the empty slot to. */
static void mint(unsigned to, uint64_t from, uint64_t rights, uint64_t badge)
{
	const uint64_t words[6] = {to, ROOT_DEPTH, from, ROOT_DEPTH, rights, badge};
	const uint64_t root = SLOT_ROOT;

	assert_int_equal(call(SLOT_ROOT, MICA_CNODE_MINT, 6, words, 1, &root), MICA_OK);
}

/* A thread that runs no vCPU, placed on cpu and started by the VMM; cpu then chooses again. */
static struct tcb *start_thread(uint8_t priority, unsigned cpu)
{
	struct tcb *t = make_thread(priority);
	uint64_t tcb = cptr_of(t);
	const uint64_t where = cpu;

	assert_int_equal(call(tcb, MICA_TCB_SET_AFFINITY, 1, &where, 0, NULL), MICA_OK);
	assert_int_equal(call(tcb, MICA_TCB_RESUME, 0, NULL, 0, NULL), MICA_OK);
	(void)schedule_on(cpu);
	return t;
}

/*
 * t, which its CPU runs, makes system call nr (a Send or a Receive) on the
 * capability at cptr, with no message: what that CPU runs next, or NULL if
 * it idles. The test goes on as the CPU it was.
 */
static struct tcb *sys_from(struct tcb *t, uint64_t nr, uint64_t cptr)
{
	unsigned was = fake_cpu_now;
	struct tcb *volatile next = NULL;
	jmp_buf idle;

	fake_cpu_switch(t->cpu);
	if (setjmp(idle) == 0) {
		fake_idle_jump = &idle;
		next = sys(t, false, nr, cptr, mica_msg_info(0, 0, 0), 0, NULL);
	}
	fake_idle_jump = NULL;
	fake_cpu_switch(was);
	return next;
}

/* t signals the notification at cptr, and goes on running: nobody woke to take its CPU. */
static void signal_from(struct tcb *t, uint64_t cptr)
{
	assert_ptr_equal(sys_from(t, MICA_SYS_SEND, cptr), t);
	assert_int_equal(t->regs.x[6], MICA_OK);
}

/* t waits on the notification at cptr, and blocks. */
static void wait_from(struct tcb *t, uint64_t cptr)
{
	(void)sys_from(t, MICA_SYS_RECV, cptr);
	assert_int_equal(t->state, THREAD_BLOCKED_NTFN);
}

/* t, woken or answered at once, got a signal with these badge bits. */
static void assert_got_signal(const struct tcb *t, uint64_t bits)
{
	assert_int_equal(t->state, THREAD_RUNNABLE);
	assert_int_equal(t->regs.x[6], MICA_OK);
	assert_int_equal(t->regs.x[0], bits);
}

/*
 * A server's signal of a bound line makes its SPI pending in the vCPU, at
 * the priority the VMM gave, asking nothing of the guest's deactivation:
 * the guest takes it without an exit to its VMM. The CPU that holds the
 * vCPU is kicked to take it in; a guest waiting for an interrupt is woken.
 */
static void test_a_signal_makes_the_line_pending_in_the_guest_without_its_vmm(void **state)
{
	struct endpoint *ep = (struct endpoint *)root_slots[SLOT_EP].cap.object;
	unsigned before[CPU_COUNT];
	struct tcb *g, *server;
	const struct vgic_irq *q;
	struct fake_lr *lr;

	(void)state;
	(void)make_line(0);
	assert_int_equal(bind_virq(line(0), 0, 48, 0xa0, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g = start_guest(0, 1);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	for (unsigned cpu = 0; cpu < CPU_COUNT; cpu++)
		before[cpu] = kicks(cpu);

	/* CPU 1 holds the vCPU: it waits in the queue, and CPU 1 alone is kicked. */
	signal_from(server, line(0));
	q = queued(vcpus[0], 48);
	assert_non_null(q);
	assert_int_equal(q->priority, 0xa0);
	assert_int_equal(q->flags, 0);
	assert_int_equal(kicks(1), before[1] + 1);
	assert_int_equal(kicks(0), before[0]);
	assert_int_equal(kicks(2), before[2]);
	assert_int_equal(kicks(3), before[3]);
	assert_ptr_equal(schedule_on(1), g);
	lr = lr_holding(vcpus[0], 48);
	assert_non_null(lr);
	assert_int_equal(lr->state, VGIC_LR_PENDING);
	assert_int_equal(lr->priority, 0xa0);
	assert_false(lr->eoi);
	assert_int_equal(times_pending(vcpus[0], 48), 1);

	/* The guest acknowledges and deactivates it: nothing owed, no exit. */
	lr->state = VGIC_LR_ACTIVE;
	lr->state = VGIC_LR_INVALID;
	fake_cpu_switch(1);
	vgic_maintenance();
	fake_cpu_switch(0);
	assert_ptr_equal(schedule_on(1), g);
	assert_int_equal(g->state, THREAD_RUNNABLE);
	assert_int_equal(vcpus[0]->vgic.eoi_owed_count, 0);
	assert_false(vcpus[0]->vgic.has_work);
	assert_null(ep->queue.head);

	/* Waiting in WFI (its CPU idle): woken, its CPU kicked, and the line taken in. */
	fake_cpu_switch(1);
	vcpu_wait(g, false);
	fake_cpu_switch(0);
	assert_int_equal(g->state, THREAD_BLOCKED_WFI);
	assert_null(schedule_on(1));
	before[1] = kicks(1);
	signal_from(server, line(0));
	assert_int_equal(g->state, THREAD_RUNNABLE);
	assert_true(kicks(1) > before[1]);
	assert_ptr_equal(schedule_on(1), g);
	lr = lr_holding(vcpus[0], 48);
	assert_non_null(lr);
	assert_int_equal(lr->state, VGIC_LR_PENDING);
	assert_null(ep->queue.head);
	assert_invariants();
}

/*
 * A server that shares the guest's CPU and priority gives the guest that
 * CPU at once when it raises the guest's line: the interrupt does not wait
 * for the end of the server's time slice.
 */
static void test_a_server_of_the_guests_priority_on_its_cpu_lets_it_run_at_once(void **state)
{
	struct tcb *g, *server;
	struct fake_lr *lr;

	(void)state;
	(void)make_line(0);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g = start_guest(0, 1);
	fake_cpu_switch(1);
	vcpu_wait(g, false);
	fake_cpu_switch(0);
	server = start_thread(GUEST_PRIORITY, 1);
	assert_ptr_equal(sched_cpus[1].current, server);

	assert_ptr_equal(sys_from(server, MICA_SYS_SEND, line(0)), g);
	assert_int_equal(server->regs.x[6], MICA_OK);
	assert_int_equal(server->state, THREAD_RUNNABLE);
	lr = lr_holding(vcpus[0], 40);
	assert_non_null(lr);
	assert_int_equal(lr->state, VGIC_LR_PENDING);
	assert_invariants();
}

/*
 * While the VMM says the guest has the line disabled, signals wait in the
 * notification, however many come, and go in as one interrupt when it is
 * enabled; a signal that came before the notification was bound waits the
 * same way.
 */
static void test_signals_wait_while_the_line_is_disabled_and_go_in_once(void **state)
{
	struct tcb *server;

	(void)state;
	(void)make_line(0);
	(void)make_line(1);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, 0), MICA_OK);
	for (unsigned k = 0; k < 3; k++)
		signal_from(server, line(0));
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_int_equal(times_pending(vcpus[0], 40), 0);

	/* Bound again, still disabled, at another priority: still nothing. */
	assert_int_equal(bind_virq(line(0), 0, 40, 0x30, 0), MICA_OK);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	/* Enabled: once, at the priority it has now. */
	assert_int_equal(bind_virq(line(0), 0, 40, 0x30, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(times_pending(vcpus[0], 40), 1);
	assert_int_equal(priority_pending(vcpus[0], 40), 0x30);

	/* What went in is spent: withdrawn, and enabled again, nothing comes back. */
	assert_int_equal(
		call(SLOT_FIRST_VCPU + 0, MICA_VCPU_CLEAR_IRQ, 1, &(uint64_t){40}, 0, NULL),
		MICA_OK);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x30, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(times_pending(vcpus[0], 40), 0);
	/* Disabled, signalled, enabled: once more. */
	assert_int_equal(bind_virq(line(0), 0, 40, 0x30, 0), MICA_OK);
	signal_from(server, line(0));
	assert_int_equal(times_pending(vcpus[0], 40), 0);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x30, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(times_pending(vcpus[0], 40), 1);

	/* Signalled before it was bound: it waits through a disabled binding too. */
	signal_from(server, line(1));
	signal_from(server, line(1));
	assert_int_equal(bind_virq(line(1), 1, 41, 0x50, 0), MICA_OK);
	assert_int_equal(vcpus[1]->vgic.count, 0);
	assert_int_equal(bind_virq(line(1), 1, 41, 0x50, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(times_pending(vcpus[1], 41), 1);
	assert_int_equal(priority_pending(vcpus[1], 41), 0x50);
	assert_int_equal(times_pending(vcpus[0], 40), 1);
	assert_invariants();
}

/*
 * A line already pending is not pending twice, whether it waits in the
 * queue or in a list register, signalled from the CPU that holds the vCPU
 * or from another; once the guest has acknowledged it, a signal makes it
 * pending again behind the active one, and once the guest is done with
 * it, pending again on its own.
 */
static void test_a_line_already_pending_is_not_pending_twice(void **state)
{
	struct tcb *g, *near, *far;
	struct fake_lr *lr;

	(void)state;
	(void)make_line(0);
	assert_int_equal(bind_virq(line(0), 0, 60, 0x50, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g = start_guest(0, 3);
	far = start_thread(SERVER_PRIORITY, 2);

	/* Signalled from another CPU than the one that holds the vCPU: queued once. */
	signal_from(far, line(0));
	signal_from(far, line(0));
	assert_int_equal(vcpus[0]->vgic.count, 1);
	assert_int_equal(times_pending(vcpus[0], 60), 1);
	assert_ptr_equal(schedule_on(3), g);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	lr = lr_holding(vcpus[0], 60);
	assert_non_null(lr);
	assert_int_equal(lr->state, VGIC_LR_PENDING);

	/* In a list register of CPU 3, where a server now runs: signalled there, it stays alone. */
	near = start_thread(GUEST_PRIORITY + 10, 3);
	assert_ptr_equal(sched_cpus[3].current, near);
	assert_ptr_equal(sched_cpus[3].loaded_vcpu, vcpus[0]);
	signal_from(near, line(0));
	signal_from(near, line(0));
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_int_equal(times_pending(vcpus[0], 60), 1);

	/* From another CPU it waits in the queue, and merges when CPU 3 next enters the guest. */
	signal_from(far, line(0));
	assert_int_equal(call(cptr_of(near), MICA_TCB_SUSPEND, 0, NULL, 0, NULL), MICA_OK);
	assert_ptr_equal(schedule_on(3), g);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_int_equal(times_pending(vcpus[0], 60), 1);

	/* Acknowledged (active): the next signal is pending again, behind it. */
	lr = lr_holding(vcpus[0], 60);
	lr->state = VGIC_LR_ACTIVE;
	signal_from(far, line(0));
	assert_int_equal(times_pending(vcpus[0], 60), 1);
	assert_ptr_equal(schedule_on(3), g);
	assert_int_equal(lr->state, VGIC_LR_PENDING_ACTIVE);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_int_equal(times_pending(vcpus[0], 60), 1);

	/* Both taken and done with: the next signal is pending again. */
	lr->state = VGIC_LR_INVALID;
	assert_int_equal(times_pending(vcpus[0], 60), 0);
	signal_from(far, line(0));
	assert_ptr_equal(schedule_on(3), g);
	lr = lr_holding(vcpus[0], 60);
	assert_non_null(lr);
	assert_int_equal(lr->state, VGIC_LR_PENDING);
	assert_int_equal(lr->priority, 0x50);
	assert_int_equal(times_pending(vcpus[0], 60), 1);
	assert_invariants();
}

/*
 * Binding again moves the line: to another vCPU, INTID or priority. What
 * the old vCPU's guest has not taken goes with it, and the next signal
 * goes to the new one only.
 */
static void test_binding_again_moves_the_line(void **state)
{
	struct tcb *g0, *g1, *server;

	(void)state;
	(void)make_line(0);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g0 = start_guest(0, 1);
	g1 = start_guest(1, 2);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(1), g0);
	assert_int_equal(times_pending(vcpus[0], 40), 1);

	/*
	 * To vCPU 1, at INTID 45 and another priority: the interrupt vCPU 0's
	 * guest has not taken moves with it, raised where it goes.
	 */
	assert_int_equal(bind_virq(line(0), 1, 45, 0x60, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_ptr_equal(schedule_on(1), g0);
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(times_pending(vcpus[0], 40), 0);
	assert_int_equal(times_pending(vcpus[0], 45), 0);
	assert_int_equal(times_pending(vcpus[1], 40), 0);
	assert_int_equal(times_pending(vcpus[1], 45), 1);
	assert_int_equal(lr_holding(vcpus[1], 45)->priority, 0x60);
	signal_from(server, line(0)); /* Pending already: one interrupt. */
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(times_pending(vcpus[1], 45), 1);

	/*
	 * Another INTID on the same vCPU, the old one taken (active): it stays
	 * the guest's, and nothing is raised until the next signal.
	 */
	lr_holding(vcpus[1], 45)->state = VGIC_LR_ACTIVE;
	assert_int_equal(bind_virq(line(0), 1, 46, 0x10, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(lr_holding(vcpus[1], 45)->state, VGIC_LR_ACTIVE);
	assert_int_equal(times_pending(vcpus[1], 46), 0);
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(times_pending(vcpus[1], 46), 1);
	assert_int_equal(lr_holding(vcpus[1], 46)->priority, 0x10);
	for (unsigned i = 0; i < VCPUS; i++)
		assert_int_equal(vcpus[i]->vgic.count, 0);

	/* Both taken and done with; back to vCPU 0, where the next signal goes only. */
	lr_holding(vcpus[1], 45)->state = VGIC_LR_INVALID;
	lr_holding(vcpus[1], 46)->state = VGIC_LR_INVALID;
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(times_pending(vcpus[0], 40), 0);
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(1), g0);
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(times_pending(vcpus[0], 40), 1);
	assert_int_equal(times_pending(vcpus[1], 46), 0);
	assert_int_equal(vcpus[1]->vgic.count, 0);
	assert_invariants();
}

/*
 * Disabling a line takes back the interrupt the guest has not taken; it
 * waits, and goes in once the line is enabled again.
 */
static void test_disabling_a_line_takes_its_untaken_interrupt_back_until_enabled(void **state)
{
	struct tcb *g, *server;

	(void)state;
	(void)make_line(0);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g = start_guest(0, 1);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(1), g);
	assert_int_equal(times_pending(vcpus[0], 40), 1);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, 0), MICA_OK);
	assert_ptr_equal(schedule_on(1), g);
	assert_int_equal(times_pending(vcpus[0], 40), 0);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_ptr_equal(schedule_on(1), g);
	assert_int_equal(times_pending(vcpus[0], 40), 1);
	assert_invariants();
}

/*
 * A line moved to another vCPU leaves nothing in the old one: that vCPU
 * binds as many others as any vCPU, and forgetting its lines (its guest's
 * thread deleted) neither unbinds the moved line from the new vCPU nor
 * touches a moved line since deleted (poisoned).
 */
static void test_a_moved_line_leaves_nothing_in_its_old_vcpu(void **state)
{
	const unsigned lines = MICA_VCPU_VIRQ_BINDINGS;
	struct notification *dead;
	struct tcb *g0, *g1, *server;

	(void)state;
	(void)make_line(0);
	dead = make_line(1);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(bind_virq(line(1), 0, 41, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g0 = start_guest(0, 1);
	g1 = start_guest(1, 2);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	assert_int_equal(bind_virq(line(0), 1, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(bind_virq(line(1), 1, 41, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(cnode_op(MICA_CNODE_DELETE, (unsigned)line(1)), MICA_OK);
	poison(dead, MICA_NOTIFICATION_BITS);

	/* vCPU 0 has its whole table. */
	for (unsigned j = 2; j < lines + 2; j++) {
		(void)make_line(j);
		assert_int_equal(bind_virq(line(j), 0, 40 + j, 0x20, 0), MICA_OK);
	}
	(void)make_line(lines + 2);
	assert_int_equal(bind_virq(line(lines + 2), 0, 99, 0x20, 0), MICA_ERR_NOT_ENOUGH_MEMORY);

	/* vCPU 0 forgets its lines: line 0 is vCPU 1's still. */
	assert_int_equal(cnode_op(MICA_CNODE_DELETE, (unsigned)cptr_of(g0)), MICA_OK);
	poison(g0, MICA_TCB_BITS);
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(times_pending(vcpus[1], 40), 1);
	assert_int_equal(times_pending(vcpus[0], 40), 0);
	assert_int_equal(unbind_virq(line(2)), MICA_ERR_NOT_FOUND);
	assert_int_equal(unbind_virq(line(0)), MICA_OK);
	assert_invariants();
}

/*
 * The VMM may fill only its share of a vCPU's queue: the lines bound to
 * the vCPU, as many as may be, still find room for their interrupts. One
 * notification more is refused, with nothing changed; binding one of them
 * again takes no more room, and unbinding one makes room.
 */
static void test_the_queue_keeps_room_for_every_bound_line(void **state)
{
	const unsigned lines = MICA_VCPU_VIRQ_BINDINGS;
	struct snapshot before;
	struct tcb *server;

	(void)state;
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	busy_registers(0);
	for (unsigned i = 0; i < ROOM; i++)
		assert_int_equal(inject(0, 100 + i, 0x40, 0), MICA_OK);
	assert_int_equal(inject(0, 200, 0x40, 0), MICA_ERR_NOT_ENOUGH_MEMORY);
	for (unsigned j = 0; j < lines; j++) {
		(void)make_line(j);
		assert_int_equal(bind_virq(line(j), 0, 300 + j, 0x80, MICA_VIRQ_BIND_ENABLED),
				 MICA_OK);
	}
	for (unsigned j = 0; j < lines; j++)
		signal_from(server, line(j));
	for (unsigned j = 0; j < lines; j++) {
		assert_int_equal(times_pending(vcpus[0], 300 + j), 1);
		assert_int_equal(queued(vcpus[0], 300 + j)->priority, 0x80);
	}
	assert_int_equal(vcpus[0]->vgic.count, ROOM + lines);
	assert_int_equal(inject(0, 200, 0x40, 0), MICA_ERR_NOT_ENOUGH_MEMORY);

	/* One more, with a signal waiting in it: refused, and nothing changes. */
	(void)make_line(lines);
	signal_from(server, line(lines));
	snap(&before);
	assert_int_equal(bind_virq(line(lines), 0, 400, 0x80, MICA_VIRQ_BIND_ENABLED),
			 MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_unchanged(&before);
	assert_int_equal(unbind_virq(line(lines)), MICA_ERR_NOT_FOUND);
	assert_int_equal(sys_from(server, MICA_SYS_NBRECV, line(lines)), server);
	assert_got_signal(server, 0);

	/* Bound again to the same vCPU, one of them takes no more of its table. */
	assert_int_equal(bind_virq(line(0), 0, 300, 0x90, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	signal_from(server, line(0));
	assert_int_equal(times_pending(vcpus[0], 300), 1);
	/* Unbound, one makes room in it for another, and takes its interrupt back. */
	assert_int_equal(unbind_virq(line(1)), MICA_OK);
	assert_int_equal(times_pending(vcpus[0], 301), 0);
	assert_int_equal(bind_virq(line(lines), 0, 400, 0x80, 0), MICA_OK);
	assert_int_equal(vcpus[0]->vgic.count, ROOM + lines - 1);
	assert_invariants();
}

/*
 * The room kept for bound lines is theirs whatever else the queue holds:
 * with the VMM's share full and the guest's physical lines pending, every
 * bound line still gets its interrupt in; and a line unbound or moved
 * leaves no entry behind to take another's room.
 */
static void test_physical_lines_and_old_bindings_take_no_bound_lines_room(void **state)
{
	const unsigned lines = MICA_VCPU_VIRQ_BINDINGS;
	struct tcb *server;

	(void)state;
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	busy_registers(0);
	for (unsigned i = 0; i < ROOM; i++)
		assert_int_equal(inject(0, 100 + i, 0x40, 0), MICA_OK);
	for (unsigned p = 0; p < VGIC_PASSTHROUGH_MAX; p++) {
		assert_int_equal(irq_handler_set_vcpu(500 + p, vcpus[0], 0x30), MICA_OK);
		irq_deliver(500 + p);
		assert_int_equal(times_pending(vcpus[0], 500 + p), 1);
	}
	for (unsigned j = 0; j < lines; j++) {
		(void)make_line(j);
		assert_int_equal(bind_virq(line(j), 0, 300 + j, 0x80, MICA_VIRQ_BIND_ENABLED),
				 MICA_OK);
		signal_from(server, line(j));
	}
	for (unsigned j = 0; j < lines; j++)
		assert_int_equal(times_pending(vcpus[0], 300 + j), 1);

	/* Line 0 unbound, a new one bound and signalled twice: in. */
	assert_int_equal(unbind_virq(line(0)), MICA_OK);
	(void)make_line(lines);
	assert_int_equal(bind_virq(line(lines), 0, 400, 0x80, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	signal_from(server, line(lines));
	signal_from(server, line(lines));
	assert_int_equal(times_pending(vcpus[0], 400), 1);
	/* Line 1 moved from INTID to INTID, more times than the queue has spare room. */
	for (unsigned k = 0; k < 4; k++) {
		unsigned from = k == 0 ? 301 : 410 + k - 1;

		assert_int_equal(bind_virq(line(1), 0, 410 + k, 0x80, MICA_VIRQ_BIND_ENABLED),
				 MICA_OK);
		assert_int_equal(times_pending(vcpus[0], from), 0);
		assert_int_equal(times_pending(vcpus[0], 410 + k), 1);
		signal_from(server, line(1));
		assert_int_equal(times_pending(vcpus[0], 410 + k), 1);
	}
	assert_int_equal(vcpus[0]->vgic.count, ROOM + VGIC_PASSTHROUGH_MAX + lines);
	for (unsigned p = 0; p < VGIC_PASSTHROUGH_MAX; p++)
		irq_handler_clear(500 + p); /* The world's table of lines outlives the test. */
	assert_invariants();
}

static void test_bind_virq_refuses_what_it_must_and_changes_nothing(void **state)
{
	const uint64_t vcpu = SLOT_FIRST_VCPU + 0, nothing = 0, empty = 99;
	const uint64_t bad[][3] = {
		{0, 0, 0},
		{31, 0x20, 0},
		{1020, 0x20, 0},
		{UINT64_MAX, 0x20, 0},
		{UINT64_C(1) << 32, 0, 0},
		{40, 256, 0},
		{40, UINT64_MAX, 0},
		{40, 0x20, 2},
		{40, 0x20, UINT64_C(1) << 63},
	};
	const uint64_t good[3] = {40, 0x20, MICA_VIRQ_BIND_ENABLED};
	struct snapshot before;
	struct tcb *server;

	(void)state;
	(void)make_line(0);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	signal_from(server, line(0)); /* A binding would raise it at once. */
	snap(&before);
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		assert_int_equal(call(line(0), MICA_NOTIFICATION_BIND_VIRQ, 3, bad[k], 1, &vcpu),
				 MICA_ERR_INVALID_ARGUMENT);
	for (unsigned length = 0; length < 3; length++)
		assert_int_equal(call(line(0), MICA_NOTIFICATION_BIND_VIRQ, length, good, 1, &vcpu),
				 MICA_ERR_TRUNCATED);
	assert_int_equal(
		call(line(0), MICA_NOTIFICATION_BIND_VIRQ, 3, good, 1, &(uint64_t){SLOT_EP}),
		MICA_ERR_WRONG_TYPE);
	assert_int_equal(
		call(line(0), MICA_NOTIFICATION_BIND_VIRQ, 3, good, 1, &(uint64_t){SLOT_VM}),
		MICA_ERR_WRONG_TYPE);
	assert_int_equal(call(line(0), MICA_NOTIFICATION_BIND_VIRQ, 3, good, 1, &nothing),
			 MICA_ERR_INVALID_CAPABILITY);
	assert_int_equal(call(line(0), MICA_NOTIFICATION_BIND_VIRQ, 3, good, 1, &empty),
			 MICA_ERR_INVALID_CAPABILITY);
	assert_int_equal(call(line(0), MICA_NOTIFICATION_BIND_VIRQ, 3, good, 0, NULL),
			 MICA_ERR_INVALID_CAPABILITY);
	/* Another object's invocation on a notification, and this one on a vCPU. */
	assert_int_equal(call(line(0), MICA_VCPU_INJECT_IRQ, 3, good, 0, NULL),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(call(vcpu, MICA_NOTIFICATION_BIND_VIRQ, 3, good, 1, &vcpu),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_unchanged(&before);
	assert_int_equal(unbind_virq(line(0)), MICA_ERR_NOT_FOUND);

	/* The first and the last SPI, the lowest priority. */
	assert_int_equal(bind_virq(line(0), 0, 32, 255, 0), MICA_OK);
	assert_int_equal(bind_virq(line(0), 0, 1019, 255, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(times_pending(vcpus[0], 1019), 1);
	assert_int_equal(priority_pending(vcpus[0], 1019), 255);
	assert_int_equal(times_pending(vcpus[0], 32), 0);
	assert_invariants();
}

/*
 * Binding and unbinding take a capability that may both wait and signal:
 * one that may only signal is refused, but signals the bound line as any
 * other, its badge lost in the interrupt.
 */
static void test_only_read_and_write_rights_bind_but_a_signal_only_copy_raises_it(void **state)
{
	const uint64_t good[3] = {40, 0x20, MICA_VIRQ_BIND_ENABLED};
	const uint64_t vcpu = SLOT_FIRST_VCPU + 0;
	struct tcb *g, *server;

	(void)state;
	(void)make_line(0);
	mint(SLOT_SIGNAL_ONLY, line(0), MICA_RIGHT_WRITE, SIGNAL_BADGE);
	mint(SLOT_WAIT_ONLY, line(0), MICA_RIGHT_READ, 0);
	assert_int_equal(call(SLOT_SIGNAL_ONLY, MICA_NOTIFICATION_BIND_VIRQ, 3, good, 1, &vcpu),
			 MICA_ERR_NO_RIGHTS);
	assert_int_equal(call(SLOT_WAIT_ONLY, MICA_NOTIFICATION_BIND_VIRQ, 3, good, 1, &vcpu),
			 MICA_ERR_NO_RIGHTS);
	assert_int_equal(unbind_virq(SLOT_SIGNAL_ONLY), MICA_ERR_NO_RIGHTS);
	assert_int_equal(unbind_virq(line(0)), MICA_ERR_NOT_FOUND);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(unbind_virq(SLOT_SIGNAL_ONLY), MICA_ERR_NO_RIGHTS);
	assert_int_equal(unbind_virq(SLOT_WAIT_ONLY), MICA_ERR_NO_RIGHTS);

	g = start_guest(0, 1);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	signal_from(server, SLOT_SIGNAL_ONLY);
	assert_ptr_equal(schedule_on(1), g);
	assert_non_null(lr_holding(vcpus[0], 40));
	assert_int_equal(times_pending(vcpus[0], 40), 1);
	/* Still bound: a wait through the copy that may wait is refused. */
	assert_ptr_equal(sys_from(server, MICA_SYS_NBRECV, SLOT_WAIT_ONLY), server);
	assert_int_equal(server->regs.x[6], MICA_ERR_ILLEGAL_OPERATION);
	assert_invariants();
}

/*
 * A notification a thread takes signals from, waiting on it or bound to
 * it, is not bound to a vCPU: the signals stay the thread's.
 */
static void test_a_notification_a_thread_takes_signals_from_is_not_bound(void **state)
{
	const uint64_t ntfn = line(1);
	struct tcb *server, *waiter, *owner;

	(void)state;
	(void)make_line(0);
	(void)make_line(1);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	waiter = start_thread(WAITER_PRIORITY, THREAD_CPU);
	owner = make_thread(SERVER_PRIORITY);
	wait_from(waiter, line(0));
	assert_int_equal(call(cptr_of(owner), MICA_TCB_BIND_NOTIFICATION, 0, NULL, 1, &ntfn),
			 MICA_OK);

	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(bind_virq(line(1), 0, 41, 0x20, MICA_VIRQ_BIND_ENABLED),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(unbind_virq(line(0)), MICA_ERR_NOT_FOUND);
	assert_int_equal(unbind_virq(line(1)), MICA_ERR_NOT_FOUND);

	/* Their signals are the threads' still. */
	assert_ptr_equal(sys_from(server, MICA_SYS_SEND, line(0)), waiter);
	assert_got_signal(waiter, 0);
	signal_from(waiter, line(1));
	assert_int_equal(call(cptr_of(owner), MICA_TCB_UNBIND_NOTIFICATION, 0, NULL, 0, NULL),
			 MICA_OK);
	assert_ptr_equal(sys_from(waiter, MICA_SYS_NBRECV, line(1)), waiter);
	assert_got_signal(waiter, 0);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_invariants();
}

/*
 * A bound notification's signals are the vCPU's: a thread's wait on it is
 * refused at once (it does not block, and takes nothing), and no thread
 * may have it bound.
 */
static void test_a_bound_notification_is_neither_waited_on_nor_bound_to_a_thread(void **state)
{
	const uint64_t ntfn = line(0);
	struct tcb *server, *owner;

	(void)state;
	(void)make_line(0);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, 0), MICA_OK);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	owner = make_thread(SERVER_PRIORITY);
	signal_from(server, line(0)); /* Waits in the notification: the line is disabled. */

	assert_ptr_equal(sys_from(server, MICA_SYS_RECV, line(0)), server);
	assert_int_equal(server->state, THREAD_RUNNABLE);
	assert_int_equal(server->regs.x[6], MICA_ERR_ILLEGAL_OPERATION);
	assert_ptr_equal(sys_from(server, MICA_SYS_NBRECV, line(0)), server);
	assert_int_equal(server->regs.x[6], MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(call(cptr_of(owner), MICA_TCB_BIND_NOTIFICATION, 0, NULL, 1, &ntfn),
			 MICA_ERR_ILLEGAL_OPERATION);
	assert_int_equal(call(cptr_of(owner), MICA_TCB_UNBIND_NOTIFICATION, 0, NULL, 0, NULL),
			 MICA_ERR_ILLEGAL_OPERATION); /* It has none. */

	/* The signal nobody took goes in once enabled. */
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(times_pending(vcpus[0], 40), 1);
	assert_invariants();
}

/*
 * UNBIND_VIRQ ends the binding: the signals are plain ones again, and one
 * that waited while the line was disabled stays for a waiter.
 */
static void test_unbinding_makes_the_signals_plain_again(void **state)
{
	struct tcb *server, *waiter;

	(void)state;
	(void)make_line(0);
	mint(SLOT_SIGNAL_ONLY, line(0), MICA_RIGHT_WRITE, SIGNAL_BADGE);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	waiter = start_thread(WAITER_PRIORITY, THREAD_CPU);
	assert_int_equal(unbind_virq(line(0)), MICA_ERR_NOT_FOUND);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(unbind_virq(line(0)), MICA_OK);
	assert_int_equal(unbind_virq(line(0)), MICA_ERR_NOT_FOUND);

	wait_from(waiter, line(0));
	assert_ptr_equal(sys_from(server, MICA_SYS_SEND, SLOT_SIGNAL_ONLY), waiter);
	assert_got_signal(waiter, SIGNAL_BADGE);
	assert_int_equal(vcpus[0]->vgic.count, 0);

	/* A signal while bound and disabled stays in the notification after the unbinding. */
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, 0), MICA_OK);
	signal_from(waiter, SLOT_SIGNAL_ONLY);
	assert_int_equal(unbind_virq(line(0)), MICA_OK);
	assert_ptr_equal(sys_from(waiter, MICA_SYS_NBRECV, line(0)), waiter);
	assert_got_signal(waiter, SIGNAL_BADGE);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_invariants();
}

/*
 * A bound notification deleted (its only capability) leaves its vCPU's
 * table: the vCPU takes interrupts and runs its guest as before, and binds
 * as many others as any vCPU. The dead notification is poisoned, so any
 * later use of it by the kernel fails the test.
 */
static void test_deleting_a_bound_notification_takes_it_out_of_its_vcpu(void **state)
{
	const unsigned lines = MICA_VCPU_VIRQ_BINDINGS;
	struct notification *dead;
	struct tcb *g, *server;

	(void)state;
	dead = make_line(0);
	(void)make_line(1);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(bind_virq(line(1), 0, 41, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g = start_guest(0, 1);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	signal_from(server, line(0));

	assert_int_equal(cnode_op(MICA_CNODE_DELETE, (unsigned)line(0)), MICA_OK);
	poison(dead, MICA_NOTIFICATION_BITS);
	signal_from(server, line(1));
	assert_int_equal(inject(0, 50, 0x30, 0), MICA_OK);
	assert_ptr_equal(schedule_on(1), g);
	assert_null(lr_holding(vcpus[0], 40)); /* Signalled, not taken: gone with it. */
	assert_non_null(lr_holding(vcpus[0], 41));
	assert_non_null(lr_holding(vcpus[0], 50));

	/* Its entry is free: line 1 and as many more as a vCPU takes. */
	for (unsigned j = 2; j <= lines; j++) {
		(void)make_line(j);
		assert_int_equal(bind_virq(line(j), 0, 40 + j, 0x20, 0), MICA_OK);
	}
	(void)make_line(lines + 1);
	assert_int_equal(bind_virq(line(lines + 1), 0, 99, 0x20, 0), MICA_ERR_NOT_ENOUGH_MEMORY);
	assert_invariants();

	/* The guest's thread goes, and its vCPU forgets its lines: none is the dead one. */
	assert_int_equal(cnode_op(MICA_CNODE_DELETE, (unsigned)cptr_of(g)), MICA_OK);
	poison(g, MICA_TCB_BITS);
	assert_int_equal(unbind_virq(line(1)), MICA_ERR_NOT_FOUND);
	assert_invariants();
}

/*
 * Revoking the Untyped the vCPUs came from destroys them, with or without
 * a guest: their lines are plain notifications again, whose signals a
 * waiter takes and which touch no dead vCPU; a line bound to a vCPU that
 * lives on is still its.
 */
static void test_a_destroyed_vcpus_lines_are_plain_notifications_again(void **state)
{
	struct tcb *g, *server, *waiter;

	(void)state;
	for (unsigned j = 0; j < 3; j++)
		(void)make_line(j);
	mint(SLOT_SIGNAL_ONLY, line(1), MICA_RIGHT_WRITE, SIGNAL_BADGE);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_int_equal(bind_virq(line(1), 1, 41, 0x20, 0), MICA_OK); /* No guest, disabled. */
	assert_int_equal(bind_virq(line(2), 3, 42, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g = start_guest(0, 1);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	signal_from(server, line(0));
	signal_from(server, SLOT_SIGNAL_ONLY);

	assert_int_equal(cnode_op(MICA_CNODE_REVOKE, SLOT_VCPU_UNTYPED), MICA_OK);
	for (unsigned i = 0; i < 3; i++)
		poison(vcpus[i], MICA_VCPU_BITS);
	assert_null(g->vcpu);
	assert_null(schedule_on(1));

	/* Line 1's signal, which waited, is a waiter's now; line 0's next too. */
	assert_ptr_equal(sys_from(server, MICA_SYS_NBRECV, line(1)), server);
	assert_got_signal(server, SIGNAL_BADGE);
	waiter = start_thread(WAITER_PRIORITY, THREAD_CPU);
	wait_from(waiter, line(0));
	assert_ptr_equal(sys_from(server, MICA_SYS_SEND, line(0)), waiter);
	assert_got_signal(waiter, 0);
	assert_int_equal(unbind_virq(line(0)), MICA_ERR_NOT_FOUND);
	assert_int_equal(unbind_virq(line(1)), MICA_ERR_NOT_FOUND);

	/* vCPU 3 keeps line 2, and takes line 0 too. */
	signal_from(waiter, line(2));
	assert_int_equal(times_pending(vcpus[3], 42), 1);
	assert_int_equal(bind_virq(line(0), 3, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	signal_from(waiter, line(0));
	assert_int_equal(times_pending(vcpus[3], 40), 1);
	assert_invariants();
}

/*
 * A vCPU let go by its guest's thread (deleted) forgets its lines with the
 * rest of that guest's GIC state: bound to another thread, which may run
 * another VM, it takes nothing from the old notifications, which are plain
 * ones again until a VMM binds them anew.
 */
static void test_a_vcpu_bound_anew_takes_nothing_from_its_old_lines(void **state)
{
	struct tcb *g, *server;

	(void)state;
	(void)make_line(0);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g = start_guest(0, 1);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	signal_from(server, line(0));
	assert_int_equal(times_pending(vcpus[0], 40), 1);

	assert_int_equal(cnode_op(MICA_CNODE_DELETE, (unsigned)cptr_of(g)), MICA_OK);
	poison(g, MICA_TCB_BITS);
	g = start_guest(0, 1);
	assert_int_equal(times_pending(vcpus[0], 40), 0);
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(1), g);
	assert_int_equal(times_pending(vcpus[0], 40), 0);
	assert_int_equal(vcpus[0]->vgic.count, 0);
	assert_int_equal(unbind_virq(line(0)), MICA_ERR_NOT_FOUND);
	assert_ptr_equal(sys_from(server, MICA_SYS_NBRECV, line(0)), server);
	assert_got_signal(server, 0);

	/* Its new VMM binds it again. */
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(1), g);
	assert_int_equal(times_pending(vcpus[0], 40), 1);
	assert_invariants();
}

/*
 * A signal while the guest handles the last one leaves the interrupt
 * pending and active. Moved or disabled then, the pending part is taken
 * back and raised where the line goes, or when it is enabled again: the
 * ring is not lost, and the active part stays the guest's.
 */
static void test_a_ring_while_the_guest_handles_the_last_is_not_lost(void **state)
{
	struct tcb *g0, *g1, *server;
	struct fake_lr *lr;

	(void)state;
	(void)make_line(0);
	assert_int_equal(bind_virq(line(0), 0, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	g0 = start_guest(0, 1);
	g1 = start_guest(1, 2);
	server = start_thread(SERVER_PRIORITY, THREAD_CPU);
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(1), g0);
	lr = lr_holding(vcpus[0], 40);
	lr->state = VGIC_LR_ACTIVE; /* The guest took it. */
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(1), g0);
	assert_int_equal(lr_holding(vcpus[0], 40)->state, VGIC_LR_PENDING_ACTIVE);

	/* Moved to vCPU 1: pending there, still active on vCPU 0. */
	assert_int_equal(bind_virq(line(0), 1, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_ptr_equal(schedule_on(1), g0);
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(lr_holding(vcpus[0], 40)->state, VGIC_LR_ACTIVE);
	assert_int_equal(times_pending(vcpus[1], 40), 1);

	/* Taken on vCPU 1 too, a ring again, then disabled: held until enabled, then once. */
	lr_holding(vcpus[1], 40)->state = VGIC_LR_ACTIVE;
	signal_from(server, line(0));
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(lr_holding(vcpus[1], 40)->state, VGIC_LR_PENDING_ACTIVE);
	assert_int_equal(bind_virq(line(0), 1, 40, 0x20, 0), MICA_OK);
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(lr_holding(vcpus[1], 40)->state, VGIC_LR_ACTIVE);
	assert_int_equal(times_pending(vcpus[1], 40), 0);
	lr_holding(vcpus[1], 40)->state = VGIC_LR_INVALID;
	assert_int_equal(bind_virq(line(0), 1, 40, 0x20, MICA_VIRQ_BIND_ENABLED), MICA_OK);
	assert_ptr_equal(schedule_on(2), g1);
	assert_int_equal(times_pending(vcpus[1], 40), 1);
	assert_invariants();
}

/* Doorbells --------------------------------------------------------------------------------- */

static enum mica_error bind_doorbell(uint64_t n, uint64_t ntfn)
{
	return call(SLOT_VM, MICA_VM_BIND_DOORBELL, 1, &n, 1, &ntfn);
}

static enum mica_error unbind_doorbell(uint64_t n)
{
	return call(SLOT_VM, MICA_VM_UNBIND_DOORBELL, 1, &n, 0, NULL);
}

/* The guest of g rings doorbell n, as its CPU takes the hypercall: the result in x0. */
static int64_t ring(struct tcb *g, uint64_t n)
{
	unsigned was = fake_cpu_now;
	int64_t r;

	fake_cpu_switch(g->cpu);
	r = vcpu_ring_doorbell(g, n);
	fake_cpu_switch(was);
	return r;
}

/*
 * VM BindDoorbell takes a notification that may be signalled, at 0..15,
 * once; UnbindDoorbell what is bound. The guest's ring signals it with the
 * bound capability's badge; a doorbell out of range or unbound answers
 * INVALID_PARAMETER; every ring is counted. The binding is a copy: revoking
 * the notification's capability takes it away.
 */
static void test_a_doorbell_signals_what_its_vm_bound_and_nothing_else(void **state)
{
	struct tcb *g, *waiter;

	(void)state;
	(void)make_line(0);
	mint(SLOT_SIGNAL_ONLY, line(0), MICA_RIGHT_WRITE, SIGNAL_BADGE);
	mint(SLOT_WAIT_ONLY, line(0), MICA_RIGHT_READ, 0);
	assert_int_equal(bind_doorbell(0, SLOT_WAIT_ONLY), MICA_ERR_NO_RIGHTS);
	assert_int_equal(bind_doorbell(0, SLOT_EP), MICA_ERR_WRONG_TYPE);
	assert_int_equal(bind_doorbell(MICA_VM_DOORBELLS, SLOT_SIGNAL_ONLY), MICA_ERR_RANGE);
	assert_int_equal(
		call(SLOT_VM, MICA_VM_BIND_DOORBELL, 0, NULL, 1, &(uint64_t){SLOT_SIGNAL_ONLY}),
		MICA_ERR_TRUNCATED);
	assert_int_equal(unbind_doorbell(3), MICA_ERR_NOT_FOUND);
	assert_int_equal(unbind_doorbell(MICA_VM_DOORBELLS), MICA_ERR_RANGE);
	assert_int_equal(bind_doorbell(3, SLOT_SIGNAL_ONLY), MICA_OK);
	assert_int_equal(bind_doorbell(3, line(0)), MICA_ERR_DELETE_FIRST);
	assert_int_equal(vm->doorbell[3].cap.rights, MICA_RIGHT_WRITE);

	g = start_guest(0, 1);
	waiter = start_thread(WAITER_PRIORITY, THREAD_CPU);
	wait_from(waiter, line(0));
	assert_int_equal(ring(g, 3), MICA_HVC_SUCCESS);
	assert_got_signal(waiter, SIGNAL_BADGE);
	assert_int_equal(ring(g, 2), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ring(g, MICA_VM_DOORBELLS), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ring(g, UINT64_MAX), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(vcpus[0]->stats[MICA_VCPU_STAT_DOORBELL], 4);

	/* Unbound, it rings nothing; bound again, and revoked with the notification's cap. */
	assert_int_equal(unbind_doorbell(3), MICA_OK);
	assert_int_equal(ring(g, 3), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(bind_doorbell(3, SLOT_SIGNAL_ONLY), MICA_OK);
	assert_int_equal(cnode_op(MICA_CNODE_REVOKE, SLOT_SIGNAL_ONLY), MICA_OK);
	assert_int_equal(vm->doorbell[3].cap.type, MICA_OBJ_NULL);
	assert_int_equal(ring(g, 3), MICA_HVC_INVALID_PARAMETER);
	assert_ptr_equal(schedule_on(THREAD_CPU), waiter);
	assert_int_equal(sys_from(waiter, MICA_SYS_NBRECV, line(0)), waiter);
	assert_int_equal(waiter->regs.x[6], MICA_ERR_NOT_FOUND); /* Nothing rang it. */
	assert_invariants();
}

#define DIRECT_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		DIRECT_TEST(test_a_routed_sgi_is_pending_at_its_priority_and_ends_without_an_exit),
		DIRECT_TEST(test_one_write_reaches_every_target_and_the_sender_itself),
		DIRECT_TEST(test_nothing_happens_unless_every_target_takes_it),
		DIRECT_TEST(
			test_a_full_queue_refuses_the_write_but_an_sgi_pending_there_needs_no_room),
		DIRECT_TEST(test_an_sgi_already_pending_is_not_queued_twice),
		DIRECT_TEST(test_a_target_another_cpu_holds_gets_it_and_that_cpu_is_kicked),
		DIRECT_TEST(test_revoking_the_vcpus_memory_takes_their_routes_away),
		DIRECT_TEST(test_the_binding_is_a_copy_that_goes_with_a_revoke_and_keeps_the_vcpu),
		DIRECT_TEST(test_deleting_the_vm_deletes_its_bindings),
		DIRECT_TEST(test_deleting_a_guest_that_holds_its_vm_that_holds_its_vcpu),
		DIRECT_TEST(test_bind_sgi_refuses_what_it_must_and_changes_nothing),
		DIRECT_TEST(test_unbind_sgi_refuses_what_it_must),
		DIRECT_TEST(
			test_set_sgi_refuses_sgis_past_15_and_short_messages_and_changes_nothing),
		DIRECT_TEST(test_a_vcpu_bound_anew_takes_no_sgi_until_its_vmm_says),
		DIRECT_TEST(test_a_signal_makes_the_line_pending_in_the_guest_without_its_vmm),
		DIRECT_TEST(test_a_server_of_the_guests_priority_on_its_cpu_lets_it_run_at_once),
		DIRECT_TEST(test_signals_wait_while_the_line_is_disabled_and_go_in_once),
		DIRECT_TEST(test_a_line_already_pending_is_not_pending_twice),
		DIRECT_TEST(test_binding_again_moves_the_line),
		DIRECT_TEST(test_disabling_a_line_takes_its_untaken_interrupt_back_until_enabled),
		DIRECT_TEST(test_physical_lines_and_old_bindings_take_no_bound_lines_room),
		DIRECT_TEST(test_a_moved_line_leaves_nothing_in_its_old_vcpu),
		DIRECT_TEST(test_the_queue_keeps_room_for_every_bound_line),
		DIRECT_TEST(test_bind_virq_refuses_what_it_must_and_changes_nothing),
		DIRECT_TEST(test_only_read_and_write_rights_bind_but_a_signal_only_copy_raises_it),
		DIRECT_TEST(test_a_notification_a_thread_takes_signals_from_is_not_bound),
		DIRECT_TEST(test_a_bound_notification_is_neither_waited_on_nor_bound_to_a_thread),
		DIRECT_TEST(test_unbinding_makes_the_signals_plain_again),
		DIRECT_TEST(test_deleting_a_bound_notification_takes_it_out_of_its_vcpu),
		DIRECT_TEST(test_a_destroyed_vcpus_lines_are_plain_notifications_again),
		DIRECT_TEST(test_a_vcpu_bound_anew_takes_nothing_from_its_old_lines),
		DIRECT_TEST(test_a_ring_while_the_guest_handles_the_last_is_not_lost),
		DIRECT_TEST(test_a_doorbell_signals_what_its_vm_bound_and_nothing_else),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
