/*
 * A small world for host tests of the generic kernel on the fake
 * architecture (kernel_world.c): the objects every such test starts from,
 * at fixed slots of a root CNode whose slot numbers are capability
 * addresses, and helpers that make threads and system calls.
 */
#ifndef MICA_TESTS_KERNEL_WORLD_H
#define MICA_TESTS_KERNEL_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap.h"
#include "thread.h"

#define RAM_BITS	 22
#define ROOT_RADIX	 8
#define SLOT_UNTYPED	 1
#define SLOT_ROOT	 2
#define SLOT_VSPACE	 3
#define SLOT_EP		 10
#define SLOT_REPLY	 11
#define SLOT_BADGED_EP	 12
#define SLOT_NTFN	 13
#define SLOT_VSPACE_POOL 14 /* ASID pools: for VSpaces, */
#define SLOT_VM_POOL	 15 /* and for VMs. */
#define SLOT_FIRST_TCB	 20

/* The console the kernel printed to, since world_setup. */
extern char console[8192];
extern size_t console_len;

/* The world's memory (the Untyped in SLOT_UNTYPED) and its root CNode. */
extern uint8_t *ram;
extern struct slot root_slots[1 << ROOT_RADIX];

/* CMocka setup and teardown: a fresh world for each test, run as fake CPU 0. */
int world_setup(void **state);
int world_teardown(void **state);

/* The pool a new object of type takes its ID from (NULL: it needs none). */
const struct cap *world_pool(enum mica_object_type type);

/* A thread in the root CSpace and the world's VSpace, inactive, at priority. */
struct tcb *make_thread(uint8_t priority);

/*
 * t, the running thread, makes system call nr; through the fastpath where
 * the vectors would send it there (if fast), else straight to the slow
 * path. Returns the thread that runs next.
 */
struct tcb *sys(struct tcb *t, bool fast, uint64_t nr, uint64_t x0, uint64_t x1, uint64_t x6,
		const uint64_t mr[4]);

/* Make t the running thread. */
void run(struct tcb *t);

#endif
