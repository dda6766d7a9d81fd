/*
 * A small world for host tests of the generic kernel on the fake
 * architecture: RAM as one Untyped, a root CNode that addresses its slots
 * directly, a VSpace, an endpoint, a reply object and a notification, a
 * captured console, and threads that make system calls the way the
 * exception vectors would hand them over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel_world.h"

#include "cnode.h"
#include "fake.h"
#include "fastpath.h"
#include "print.h"
#include "sched.h"
#include "untyped.h"
#include "vspace.h"

#include <mica/abi/syscall.h>

/* The console, captured. */
char console[8192];
size_t console_len;

void print_init(volatile void *regs)
{
	(void)regs;
}

void print_write(const char *s, size_t len)
{
	if (console_len + len >= sizeof(console))
		len = sizeof(console) - console_len - 1;
	memcpy(console + console_len, s, len);
	console_len += len;
	console[console_len] = '\0';
}

int kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	print_write(buf, strlen(buf));
	return n;
}

void panic(const char *fmt, ...)
{
	(void)fmt;
	fail_msg("kernel panic");
	abort();
}

uint8_t *ram;
struct slot root_slots[1 << ROOT_RADIX];
static unsigned next_tcb_slot;

int world_setup(void **state)
{
	(void)state;
	ram = aligned_alloc((size_t)1 << RAM_BITS, (size_t)1 << RAM_BITS);
	assert_non_null(ram);
	memset(root_slots, 0, sizeof(root_slots));
	memset(sched_cpus, 0, sizeof(sched_cpus));
	for (unsigned cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++)
		sched_cpus[cpu].arch.index = cpu;
	fake_cpus_reset(); /* The test runs as CPU 0. */
	fake_forget_mappings();
	console_len = 0;
	console[0] = '\0';
	slot_insert(
		&root_slots[SLOT_UNTYPED],
		(struct cap){.type = MICA_OBJ_UNTYPED,
			     .rights = MICA_RIGHTS_ALL,
			     .size_bits = RAM_BITS,
			     .object = (uintptr_t)ram,
			     .data = (uint64_t)1 << RAM_BITS}, /* Not cleared yet, as at boot. */
		NULL);
	slot_insert(&root_slots[SLOT_ROOT],
		    (struct cap){.type = MICA_OBJ_CNODE,
				 .rights = MICA_RIGHTS_ALL,
				 .size_bits = ROOT_RADIX,
				 .guard_bits = 64 - ROOT_RADIX,
				 .object = (uintptr_t)root_slots},
		    NULL);
	for (unsigned kind = 0; kind < 2; kind++) {
		struct cap pool;

		assert_int_equal(asid_pool_make(kind, &pool), MICA_OK);
		slot_insert(&root_slots[SLOT_VSPACE_POOL + kind], pool, NULL);
	}
	assert_int_equal(untyped_retype(&root_slots[SLOT_UNTYPED], MICA_OBJ_VSPACE, 0,
					&root_slots[SLOT_ROOT].cap, SLOT_VSPACE, 1,
					&root_slots[SLOT_VSPACE_POOL].cap),
			 MICA_OK);
	assert_int_equal(untyped_retype(&root_slots[SLOT_UNTYPED], MICA_OBJ_ENDPOINT, 0,
					&root_slots[SLOT_ROOT].cap, SLOT_EP, 1, NULL),
			 MICA_OK);
	assert_int_equal(untyped_retype(&root_slots[SLOT_UNTYPED], MICA_OBJ_REPLY, 0,
					&root_slots[SLOT_ROOT].cap, SLOT_REPLY, 1, NULL),
			 MICA_OK);
	assert_int_equal(untyped_retype(&root_slots[SLOT_UNTYPED], MICA_OBJ_NOTIFICATION, 0,
					&root_slots[SLOT_ROOT].cap, SLOT_NTFN, 1, NULL),
			 MICA_OK);
	assert_int_equal(cnode_copy(&root_slots[SLOT_BADGED_EP], &root_slots[SLOT_EP],
				    MICA_RIGHTS_ALL, true, 0x55),
			 MICA_OK);
	next_tcb_slot = SLOT_FIRST_TCB;
	return 0;
}

const struct cap *world_pool(enum mica_object_type type)
{
	if (type == MICA_OBJ_VSPACE)
		return &root_slots[SLOT_VSPACE_POOL].cap;
	return type == MICA_OBJ_VM ? &root_slots[SLOT_VM_POOL].cap : NULL;
}

int world_teardown(void **state)
{
	(void)state;
	/* Every object goes, properly: the kernel's ID blocks are free for the next world. */
	for (unsigned cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++)
		sched_cpus[cpu].current = NULL;
	fake_preempt_every = 0;
	slot_revoke(&root_slots[SLOT_UNTYPED]);
	slot_delete(&root_slots[SLOT_VSPACE_POOL]);
	slot_delete(&root_slots[SLOT_VM_POOL]);
	free(ram);
	return 0;
}

struct tcb *make_thread(uint8_t priority)
{
	unsigned slot = next_tcb_slot++;
	struct tcb *t;

	assert_int_equal(untyped_retype(&root_slots[SLOT_UNTYPED], MICA_OBJ_TCB, 0,
					&root_slots[SLOT_ROOT].cap, slot, 1, NULL),
			 MICA_OK);
	t = (struct tcb *)root_slots[slot].cap.object;
	assert_int_equal(cnode_copy(&t->slots[TCB_SLOT_CSPACE], &root_slots[SLOT_ROOT],
				    MICA_RIGHTS_ALL, false, 0),
			 MICA_OK);
	assert_int_equal(cnode_copy(&t->slots[TCB_SLOT_VSPACE], &root_slots[SLOT_VSPACE],
				    MICA_RIGHTS_ALL, false, 0),
			 MICA_OK);
	tcb_spaces_changed(t);
	t->priority = priority;
	t->mcp = MICA_MAX_PRIORITY;
	return t;
}

struct tcb *sys(struct tcb *t, bool fast, uint64_t nr, uint64_t x0, uint64_t x1, uint64_t x6,
		const uint64_t mr[4])
{
	struct arch_regs *next;

	assert_ptr_equal(thread_current(), t);
	t->regs.x[7] = nr;
	t->regs.x[0] = x0;
	t->regs.x[1] = x1;
	for (unsigned i = 0; i < 4; i++)
		t->regs.x[2 + i] = mr != NULL ? mr[i] : 0;
	t->regs.x[6] = x6;
	if (fast && nr == MICA_SYS_CALL)
		next = fastpath_call(&t->regs);
	else if (fast && nr == MICA_SYS_REPLY_RECV)
		next = fastpath_reply_recv(&t->regs);
	else
		next = exception_user_sync(&t->regs);
	return (struct tcb *)next;
}

void run(struct tcb *t)
{
	t->state = THREAD_RUNNABLE;
	sched_set_current(t);
}
