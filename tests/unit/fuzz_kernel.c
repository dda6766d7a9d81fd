/*
 * A stateful fuzzer of the generic kernel on the fake architecture (issue
 * 11: make the isolation holes hard to write again). It builds and tears
 * down object graphs at random, through the kernel's own entry points,
 * and checks the kernel's invariants (debug_check) after every operation.
 *
 * Every operation is what some party could really do at that moment:
 *
 *  - the current host thread makes a system call (through the fastpath
 *    where the vectors would send it, or straight to the slow path), or
 *    invokes a capability its own CSpace names: the kernel's decode of the
 *    message is skipped then (invoke() directly), which lets the fuzzer
 *    pass more words and capabilities than a thread without an IPC buffer
 *    could, but the invocation, the results and the schedule() after it
 *    are the kernel's;
 *  - the current vCPU thread's guest exits (a hypercall, MMIO, a trapped
 *    system register, WFI/WFE, an abort), as the arch's exit handler hands
 *    them to generic code, or sends an SGI, which the kernel routes to the
 *    vCPUs its VM binds (all of those it names, or none: then it is an exit
 *    to the VMM, and the fuzzer checks that nothing changed);
 *  - a thread touches user memory through its address space (as the MMU
 *    would translate it), or takes an FP/SIMD trap;
 *  - an interrupt arrives: the timer tick, a device line bound to a
 *    notification or passed through to a vCPU, a due guest timer. With
 *    nothing to run, the fake CPU idles (longjmp to fake_idle_jump) and
 *    only interrupts happen until a thread is runnable again; a world in
 *    which nothing can ever run again is torn down through the kernel and
 *    built anew.
 *
 * The kernel runs on 2 to 4 fake CPUs (chosen per world). Every operation
 * happens on one of them, chosen at random, the way the real entry does
 * it: that CPU takes the big kernel lock (smp_lock_entry) with the
 * registers of the thread it runs (none when idle or for an interrupt),
 * does the operation and schedule(), and lets the lock go. A CPU the lock
 * holder stalls answers while the holder spins (the fake's
 * arch_cpu_relax); its next entry then only schedules. A CPU that was
 * kicked (an IPI) takes the kick as its next operation, mostly. Threads are
 * moved between CPUs (TCB SetAffinity, on threads running here or on
 * another CPU, blocked, waiting in WFI, bound to vCPUs, and on the caller
 * itself), and vCPUs whose state another CPU holds are invoked (interrupts
 * injected, registers read). The fake CPUs each keep their own FP/SIMD
 * register, vCPU registers and active address space, and the fake reports
 * any CPU that reaches vCPU state another CPU holds; a thread's FP/SIMD
 * register and a vCPU's EL1 registers are shadowed here and must read back
 * what was last written, on whichever CPU, after any migration or stall.
 *
 * Memory the kernel must not touch any more is poisoned for ASan: an object
 * once its last capability is gone (until its memory is retyped), and the
 * free part of an Untyped after a retype or revoke. So a dangling pointer
 * the kernel keeps (a reply holder, a cached CSpace root, a table entry)
 * fails the run the moment it is used, even where debug_check cannot see
 * it yet.
 *
 * A failure prints the seed, the operation number and the operation with
 * the CPU it ran on, and what every CPU ran, held and was kicked with; the
 * same seed and --ops run it again, and --trace-from N prints every
 * operation from N on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

#include "kernel_world.h"

#include "cnode.h"
#include "debug.h"
#include "fake.h"
#include "fastpath.h"
#include "invoke.h"
#include "ipc.h"
#include "irq.h"
#include "sched.h"
#include "smp.h"
#include "untyped.h"
#include "vcpu.h"
#include "vm.h"
#include "vspace.h"

#include <mica/abi/exit.h>
#include <mica/abi/fault.h>
#include <mica/abi/invocation.h>
#include <mica/abi/syscall.h>

/*
 * The world's layout beyond kernel_world's: root CNode slots the fuzzer's
 * operations may fill, empty and move freely, and the fixed objects that
 * keep a world alive (the guardian thread, woken by the interrupt bound to
 * its notification, and the Untypeds everything else comes from).
 */
#define FUZZ_FIRST	    32
#define FUZZ_COUNT	    128
#define SLOT_IRQ_CONTROL    4
#define SLOT_IRQ_GUARDIAN   5 /* INTID 32, bound to SLOT_NTFN. */
#define SLOT_SMALL_UNTYPED  6 /* 64 KiB. */
#define SLOT_MEDIUM_UNTYPED 7 /* 1 MiB. */
#define SLOT_BIG_UNTYPED    8 /* 2 MiB. */
#define SLOT_ASID_CONTROL   9
#define SLOT_GUARDIAN	    SLOT_FIRST_TCB
#define SLOT_GUARDIAN_IPC   21
#define GUARDIAN_PRIORITY   0
#define IRQ_FIRST	    32 /* Interrupts the fuzzer raises: INTIDs 32..39. */
#define IRQ_LINES	    8

/* The default run: what CI does (ctest unit.fuzz_kernel). */
#define DEFAULT_OPS   20000
#define DEFAULT_SEEDS 3

/* Idle operations in a row after which the world is dead (nothing can wake). */
#define IDLE_LIMIT 24

/* Operations in a row by the guardian alone after which the world is as good as dead. */
#define GUARDIAN_LIMIT 300

/* The fake CPUs a world runs on: 2 .. 4. */
#define MIN_CPUS 2
#define MAX_CPUS 4

/* The slots a thread's CSpace names, with the addresses it names them by. */
#define MAX_REFS 1024

struct ref {
	struct slot *slot; /* NULL: an address that resolves to nothing. */
	uint64_t cptr;
};

struct view {
	struct ref refs[MAX_REFS];
	unsigned count;
};

/* Where the run is, for the failure report. */
static struct {
	uint64_t seed;
	unsigned long op;
	unsigned long ops;
	unsigned long trace_from;
	bool running;
	bool reported;
	char desc[768];
} ctx = {.trace_from = (unsigned long)-1};

/* Statistics: per kind of operation, and the deep states reached. */
enum outcome {
	OUT_OK,
	OUT_REFUSED,
	OUT_BLOCKED,
	OUT_COUNT,
};

struct kind_stats {
	const char *name;
	unsigned long count[OUT_COUNT];
	unsigned long errors[MICA_ERR_CANCELLED + 2]; /* By error code; the last: other. */
};

#define MAX_KINDS 128
static struct kind_stats kinds[MAX_KINDS];
static unsigned kind_count;

/* What a deletion took away while it was in use, by the operation that did it. */
enum deep_state {
	DEEP_THREAD_RUNNING,
	DEEP_THREAD_CURRENT,
	DEEP_THREAD_REMOTE,
	DEEP_THREAD_BLOCKED_IPC,
	DEEP_THREAD_IN_CALL,
	DEEP_THREAD_BOUND_VCPU,
	DEEP_REPLY_MID_CALL,
	DEEP_REPLY_OFFERED,
	DEEP_ENDPOINT_QUEUE,
	DEEP_NOTIFICATION_IN_USE,
	DEEP_PAGE_TABLE_MAPPED,
	DEEP_FRAME_MAPPED,
	DEEP_VCPU_BOUND,
	DEEP_VCPU_LOADED,
	DEEP_VCPU_REMOTE,
	DEEP_SPACE_ACTIVE,
	DEEP_SPACE_REMOTE,
	DEEP_VM_MMIO_BOUND,
	DEEP_VM_SGI_BOUND,
	DEEP_VCPU_SGI_TARGET,
	DEEP_CNODE,
	DEEP_COUNT,
};

static const char *const deep_names[DEEP_COUNT] = {
	[DEEP_THREAD_RUNNING] = "runnable thread",
	[DEEP_THREAD_CURRENT] = "running thread (the caller itself)",
	[DEEP_THREAD_REMOTE] = "thread running on another CPU",
	[DEEP_THREAD_BLOCKED_IPC] = "thread blocked in send/receive/wait",
	[DEEP_THREAD_IN_CALL] = "thread waiting for a reply",
	[DEEP_THREAD_BOUND_VCPU] = "thread bound to a vCPU",
	[DEEP_REPLY_MID_CALL] = "reply object mid-call",
	[DEEP_REPLY_OFFERED] = "reply object offered by a receiver",
	[DEEP_ENDPOINT_QUEUE] = "endpoint with queued threads",
	[DEEP_NOTIFICATION_IN_USE] = "notification bound or waited on",
	[DEEP_PAGE_TABLE_MAPPED] = "mapped page table",
	[DEEP_FRAME_MAPPED] = "mapped frame (its mapping capability)",
	[DEEP_VCPU_BOUND] = "vCPU bound to a thread",
	[DEEP_VCPU_LOADED] = "vCPU whose state the CPU holds",
	[DEEP_VCPU_REMOTE] = "vCPU whose state another CPU holds",
	[DEEP_SPACE_ACTIVE] = "VSpace or VM the CPU runs in",
	[DEEP_SPACE_REMOTE] = "VSpace or VM another CPU runs in",
	[DEEP_VM_MMIO_BOUND] = "VM with MMIO ranges bound",
	[DEEP_VM_SGI_BOUND] = "VM with SGI targets bound",
	[DEEP_VCPU_SGI_TARGET] = "vCPU bound as a VM's SGI target",
	[DEEP_CNODE] = "CNode",
};

enum deep_by {
	BY_REVOKE_UNTYPED,
	BY_REVOKE_OTHER,
	BY_DELETE,
	BY_OTHER,
	BY_TEARDOWN,
	BY_COUNT,
};

static enum deep_by deep_context = BY_OTHER;
static unsigned long deep[DEEP_COUNT][BY_COUNT];

/*
 * The VMs with SGI targets bound, and the vCPUs bound, when the operation
 * began (found by find_live after the last one): a VM's bindings are
 * deleted before the kernel reports the VM itself gone.
 */
#define MAX_SGI_BOUND 64
static struct {
	const void *vm[MAX_SGI_BOUND];
	const void *vcpu[MAX_SGI_BOUND];
	unsigned vms, vcpus;
} sgi_bound;

static bool sgi_bound_has(const void *const *set, unsigned n, const void *o)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == o)
			return true;
	return false;
}

static struct {
	unsigned long ops, worlds, idle_entries, idle_ops, fastpath_calls, fastpath_done,
		reused_memory, revokes_with_children, orphan_ops, stale_cache_ops, cpus, ipis,
		ipis_taken, abandoned_entries, migrations;
} totals;

/* Objects whose last capability went in this operation: poisoned at its end. */
#define MAX_DEAD 4096
static struct {
	uintptr_t base;
	size_t size;
} dead[MAX_DEAD];
static unsigned dead_count;

/* Untypeds an operation retyped from or revoked: their free part is poisoned at its end. */
#define MAX_TOUCHED 4
static struct slot *touched[MAX_TOUCHED];
static unsigned touched_count;

/* Regions revoked Untypeds gave back, to count the retypes that reuse them. */
#define MAX_FREED 64
static struct {
	uintptr_t base, end;
} freed[MAX_FREED];
static unsigned freed_next;

static struct tcb *guardian;
static struct view view; /* What the current thread's CSpace names. */

/* Randomness -------------------------------------------------------------------------- */

static uint64_t rng;

/* splitmix64: every run of a seed is the same run. */
static uint64_t rnd(void)
{
	uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return n == 0 ? 0 : (unsigned)(rnd() % n);
}

static bool chance(unsigned percent)
{
	return below(100) < percent;
}

/* An index into weights, chosen in proportion to them. */
static unsigned pick(const unsigned *weights, unsigned n)
{
	unsigned total = 0;
	unsigned r;

	for (unsigned i = 0; i < n; i++)
		total += weights[i];
	r = below(total);
	for (unsigned i = 0; i < n; i++) {
		if (r < weights[i])
			return i;
		r -= weights[i];
	}
	return n - 1;
}

#define PICK(w) pick((w), sizeof(w) / sizeof((w)[0]))

static uint64_t one_of(const uint64_t *values, unsigned n)
{
	return values[below(n)];
}

#define ONE_OF(v) one_of((v), sizeof(v) / sizeof((v)[0]))

/* Failure reports --------------------------------------------------------------------- */

/* What each CPU had been kicked with (fake_cpus[].ipis) when the operation began. */
static unsigned ipis_before[MAX_CPUS];

static unsigned long thread_id(const struct tcb *t);

/* Kicks sent to cpu in this operation (a new world starts the count again). */
static unsigned ipis_now(unsigned cpu)
{
	unsigned n = fake_cpus[cpu].ipis;

	return n >= ipis_before[cpu] ? n - ipis_before[cpu] : n;
}

static unsigned long object_id(const void *o)
{
	return o == NULL ? 0 : (unsigned long)((uintptr_t)o - (uintptr_t)ram);
}

/* What each CPU runs and holds, and the kicks sent to it during the operation. */
static void report_cpus(void)
{
	for (unsigned cpu = 0; cpu < smp_cpu_count && cpu < MAX_CPUS; cpu++) {
		const struct sched_cpu *c = &sched_cpus[cpu];
		const struct fake_cpu *f = &fake_cpus[cpu];

		fprintf(stderr,
			"fuzz_kernel:   cpu %u: current %#lx, FP owner %#lx%s, vCPU %#lx, space "
			"%#llx%s%s, %u IPIs in this operation\n",
			cpu, thread_id(c->current), thread_id(c->fp_owner),
			c->fp_on ? " (open)" : "", object_id(c->loaded_vcpu),
			(unsigned long long)c->active_vs, f->idle ? ", idle" : "",
			f->ipi_pending ? ", kicked" : "", ipis_now(cpu));
	}
}

static void report_context(void)
{
	if (!ctx.running || ctx.reported)
		return;
	ctx.reported = true;
	fprintf(stderr, "fuzz_kernel: FAILED at seed %llu, operation %lu: %s\n",
		(unsigned long long)ctx.seed, ctx.op, ctx.desc);
	fprintf(stderr, "fuzz_kernel: the CPUs (the operation ran on cpu %u):\n", fake_cpu_now);
	report_cpus();
	if (console_len > 0)
		fprintf(stderr, "fuzz_kernel: the kernel printed during it:\n%s\n", console);
	fprintf(stderr,
		"fuzz_kernel: reproduce with: fuzz_kernel --seed %llu --ops %lu "
		"[--trace-from %lu]\n",
		(unsigned long long)ctx.seed, ctx.op + 1, ctx.op > 20 ? ctx.op - 20 : 0);
	fflush(stderr);
}

static void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_kernel: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	report_context();
	_exit(1);
}

/* What the operation about to run is, kept for the report (and printed when tracing). */
static void describe(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void describe(const char *fmt, ...)
{
	va_list ap;

	int n = snprintf(ctx.desc, sizeof(ctx.desc), "cpu %u: ", arch_cpu_index());

	va_start(ap, fmt);
	vsnprintf(ctx.desc + n, sizeof(ctx.desc) - (size_t)n, fmt, ap);
	va_end(ap);
	if (ctx.op >= ctx.trace_from)
		fprintf(stderr, "[%llu:%lu] %s\n", (unsigned long long)ctx.seed, ctx.op, ctx.desc);
}

/* Names that are the same in every run of a seed: offsets into the world's RAM. */
static const char *slot_name(const struct slot *s)
{
	static char names[8][32];
	static unsigned next;
	char *n = names[next++ % 8];

	if (s == NULL)
		snprintf(n, sizeof(names[0]), "none");
	else if (s >= root_slots && s < root_slots + (1 << ROOT_RADIX))
		snprintf(n, sizeof(names[0]), "r%u", (unsigned)(s - root_slots));
	else
		snprintf(n, sizeof(names[0]), "@%#lx",
			 (unsigned long)((uintptr_t)s - (uintptr_t)ram));
	return n;
}

static unsigned long thread_id(const struct tcb *t)
{
	return t == NULL ? 0 : (unsigned long)((uintptr_t)t - (uintptr_t)ram);
}

/* Shadowed state ---------------------------------------------------------------------------- */

/*
 * What a thread's FP/SIMD register and a vCPU's EL1 registers must read
 * back: the value last written there (by the thread or guest itself, or a
 * VCPU WriteReg), wherever the state went since. Indexed by the object's
 * place in RAM; a thread's starts at zero again when the kernel forgets
 * it (thread_forget_fp) or the TCB dies, and a vCPU's when the fake's
 * arch_vcpu_init gives it a new incarnation.
 */
static uint64_t fp_shadow[((size_t)1 << RAM_BITS) >> MICA_TCB_BITS];

static struct {
	uint64_t incarnation;
	uint64_t reg[MICA_VCPU_REG_COUNT];
} el1_shadow[((size_t)1 << RAM_BITS) >> MICA_VCPU_BITS];

static uint64_t *fp_expected(const struct tcb *t)
{
	return &fp_shadow[((uintptr_t)t - (uintptr_t)ram) >> MICA_TCB_BITS];
}

static uint64_t *el1_expected(const struct vcpu *v)
{
	size_t i = ((uintptr_t)v - (uintptr_t)ram) >> MICA_VCPU_BITS;

	if (el1_shadow[i].incarnation != v->arch.incarnation) {
		memset(el1_shadow[i].reg, 0, sizeof(el1_shadow[i].reg));
		el1_shadow[i].incarnation = v->arch.incarnation;
	}
	return el1_shadow[i].reg;
}

/* The kernel hooks (ld --wrap) -------------------------------------------------------- */

/*
 * The linker sends the kernel's own calls of these here (see
 * tests/unit/CMakeLists.txt): a panic fails the run with its message;
 * every capability leaving its slot is looked at before the object layer
 * sees it, to count what was destroyed while in use and to poison it
 * afterwards; and a fastpath that hands over to the slow path is counted.
 */
/* NOLINTBEGIN(readability-identifier-naming): ld --wrap gives these their names. */
void __wrap_panic(const char *fmt, ...) __attribute__((noreturn));
void __real_object_cap_removed(const struct cap *cap, bool final);
void __wrap_object_cap_removed(const struct cap *cap, bool final);
struct arch_regs *__real_exception_user_sync(struct arch_regs *regs);
struct arch_regs *__wrap_exception_user_sync(struct arch_regs *regs);
void __real_thread_forget_fp(struct tcb *t);
void __wrap_thread_forget_fp(struct tcb *t);
void __real_object_dying(const struct cap *cap);
void __wrap_object_dying(const struct cap *cap);
/* NOLINTEND(readability-identifier-naming) */

void __wrap_panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fuzz_fail("kernel panic: %s", msg);
}

static bool slow_path_taken;

struct arch_regs *__wrap_exception_user_sync(struct arch_regs *regs)
{
	/* The fake's slow path is a system call; a guest never makes one. */
	if (regs->is_guest)
		fuzz_fail("a guest's exit reached the system-call path");
	slow_path_taken = true;
	return __real_exception_user_sync(regs);
}

/* The kernel forgets t's FP/SIMD registers (t starts or stops running a guest): zeroes. */
void __wrap_thread_forget_fp(struct tcb *t)
{
	*fp_expected(t) = 0;
	__real_thread_forget_fp(t);
}

static void note_tcb_dying(const struct tcb *t);

/* A TCB's destruction begins (delete.c): the fuzzer notes it. */
void __wrap_object_dying(const struct cap *cap)
{
	if (cap->type == MICA_OBJ_TCB)
		note_tcb_dying((const struct tcb *)cap->object);
	__real_object_dying(cap);
}

/* The fake saw a CPU reach vCPU state that another CPU holds. */
static void fake_cpu_misused(const char *what)
{
	fuzz_fail("the fake CPUs saw a kernel bug: %s", what);
}

/* Does a CPU other than the running one run t, hold v's state or translate through token? */
static bool runs_elsewhere(const struct tcb *t, const struct vcpu *v, uint64_t token)
{
	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		const struct sched_cpu *c = &sched_cpus[cpu];

		if (cpu != arch_cpu_index() &&
		    ((t != NULL && c->current == t) || (v != NULL && c->loaded_vcpu == v) ||
		     (token != 0 && c->active_vs == token)))
			return true;
	}
	return false;
}

static void count_deep(enum deep_state s)
{
	deep[s][deep_context]++;
}

static void note_tcb_removed(const struct tcb *t)
{
	if (t == thread_current() && t->state == THREAD_RUNNABLE)
		count_deep(DEEP_THREAD_CURRENT);
	else if (runs_elsewhere(t, NULL, 0))
		count_deep(DEEP_THREAD_REMOTE);
	else if (t->state == THREAD_RUNNABLE)
		count_deep(DEEP_THREAD_RUNNING);
	else if (t->state == THREAD_BLOCKED_REPLY)
		count_deep(DEEP_THREAD_IN_CALL);
	else if (t->state != THREAD_INACTIVE)
		count_deep(DEEP_THREAD_BLOCKED_IPC);
	if (t->vcpu != NULL)
		count_deep(DEEP_THREAD_BOUND_VCPU);
}

/*
 * TCBs counted when their destruction began (object_dying stops the thread
 * then, so its state says nothing at the end), not again when it ends.
 */
#define MAX_DYING 64
static const struct tcb *dying_noted[MAX_DYING];
static unsigned dying_noted_count;

static void note_tcb_dying(const struct tcb *t)
{
	note_tcb_removed(t);
	if (dying_noted_count < MAX_DYING)
		dying_noted[dying_noted_count++] = t;
}

/* Was t counted when its destruction began? It is forgotten then. */
static bool tcb_noted(const struct tcb *t)
{
	for (unsigned i = 0; i < dying_noted_count; i++) {
		if (dying_noted[i] == t) {
			dying_noted[i] = dying_noted[--dying_noted_count];
			return true;
		}
	}
	return false;
}

static void note_removed(const struct cap *cap, bool final)
{
	if ((cap->type == MICA_OBJ_PAGE_TABLE) && cap->is_mapped)
		count_deep(DEEP_PAGE_TABLE_MAPPED);
	if ((cap->type == MICA_OBJ_FRAME_4K || cap->type == MICA_OBJ_FRAME_2M) && cap->is_mapped)
		count_deep(DEEP_FRAME_MAPPED);
	if (!final)
		return;
	switch ((enum mica_object_type)cap->type) {
	case MICA_OBJ_TCB:
		if (!tcb_noted((const struct tcb *)cap->object))
			note_tcb_removed((const struct tcb *)cap->object);
		break;
	case MICA_OBJ_REPLY: {
		const struct reply *r = (const struct reply *)cap->object;

		if (r->caller != NULL)
			count_deep(DEEP_REPLY_MID_CALL);
		if (r->holder != NULL)
			count_deep(DEEP_REPLY_OFFERED);
		break;
	}
	case MICA_OBJ_ENDPOINT:
		if (((const struct endpoint *)cap->object)->queue.head != NULL)
			count_deep(DEEP_ENDPOINT_QUEUE);
		break;
	case MICA_OBJ_NOTIFICATION: {
		const struct notification *n = (const struct notification *)cap->object;

		if (n->queue.head != NULL || n->bound != NULL)
			count_deep(DEEP_NOTIFICATION_IN_USE);
		break;
	}
	case MICA_OBJ_VCPU: {
		const struct vcpu *v = (const struct vcpu *)cap->object;

		if (v->tcb != NULL)
			count_deep(DEEP_VCPU_BOUND);
		if (sgi_bound_has(sgi_bound.vcpu, sgi_bound.vcpus, v))
			count_deep(DEEP_VCPU_SGI_TARGET);
		if (sched_this_cpu()->loaded_vcpu == v)
			count_deep(DEEP_VCPU_LOADED);
		else if (runs_elsewhere(NULL, v, 0))
			count_deep(DEEP_VCPU_REMOTE);
		break;
	}
	case MICA_OBJ_VM:
		if (vm_of(cap)->mmio_used != 0)
			count_deep(DEEP_VM_MMIO_BOUND);
		if (sgi_bound_has(sgi_bound.vm, sgi_bound.vms, vm_of(cap)))
			count_deep(DEEP_VM_SGI_BOUND);
		__attribute__((fallthrough));
	case MICA_OBJ_VSPACE:
		if (cap->data != 0 && cap->data == sched_this_cpu()->active_vs)
			count_deep(DEEP_SPACE_ACTIVE);
		else if (runs_elsewhere(NULL, NULL, cap->data))
			count_deep(DEEP_SPACE_REMOTE);
		break;
	case MICA_OBJ_CNODE:
		count_deep(DEEP_CNODE);
		break;
	case MICA_OBJ_NULL:
	case MICA_OBJ_UNTYPED:
	case MICA_OBJ_FRAME_4K:
	case MICA_OBJ_FRAME_2M:
	case MICA_OBJ_PAGE_TABLE:
	case MICA_OBJ_IRQ_CONTROL:
	case MICA_OBJ_IRQ_HANDLER:
	case MICA_OBJ_ASID_CONTROL:
	case MICA_OBJ_ASID_POOL:
	case MICA_OBJ_TYPE_COUNT:
		break;
	}
}

/* The memory an object of cap's takes, or 0 for one that has none of its own to poison. */
static size_t object_bytes(const struct cap *cap)
{
	switch ((enum mica_object_type)cap->type) {
	case MICA_OBJ_CNODE:
		return (size_t)1 << mica_object_size_bits(MICA_OBJ_CNODE, cap->size_bits);
	case MICA_OBJ_FRAME_4K:
	case MICA_OBJ_FRAME_2M:
		return cap->is_device ? 0 : (size_t)1 << cap->size_bits;
	case MICA_OBJ_TCB:
	case MICA_OBJ_ENDPOINT:
	case MICA_OBJ_NOTIFICATION:
	case MICA_OBJ_REPLY:
	case MICA_OBJ_PAGE_TABLE:
	case MICA_OBJ_VSPACE:
	case MICA_OBJ_VM:
	case MICA_OBJ_VCPU:
		return (size_t)1 << mica_object_size_bits((enum mica_object_type)cap->type, 0);
	case MICA_OBJ_NULL:
	case MICA_OBJ_UNTYPED: /* Its objects may live on, spliced under its parent. */
	case MICA_OBJ_IRQ_CONTROL:
	case MICA_OBJ_IRQ_HANDLER:
	case MICA_OBJ_ASID_CONTROL:
	case MICA_OBJ_ASID_POOL:
	case MICA_OBJ_TYPE_COUNT:
		break;
	}
	return 0;
}

void __wrap_object_cap_removed(const struct cap *cap, bool final)
{
	size_t bytes = final ? object_bytes(cap) : 0;

	note_removed(cap, final);
	if (final && cap->type == MICA_OBJ_TCB)
		*fp_expected((const struct tcb *)cap->object) = 0;
	if (bytes != 0 && dead_count < MAX_DEAD) {
		dead[dead_count].base = cap->object;
		dead[dead_count].size = bytes;
		dead_count++;
	}
	__real_object_cap_removed(cap, final);
}

/* Statistics ---------------------------------------------------------------------------- */

static struct kind_stats *kind(const char *name)
{
	for (unsigned i = 0; i < kind_count; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	if (kind_count == MAX_KINDS)
		fuzz_fail("more than %d kinds of operation", MAX_KINDS);
	kinds[kind_count].name = name;
	return &kinds[kind_count++];
}

/* The operation's kernel entry was abandoned (a stall came first): it only scheduled. */
static bool abandoned;

/* An abandoned entry's operation did not happen: it is counted as that. */
static void record(const char *name, enum outcome out, uint64_t err)
{
	struct kind_stats *k = kind(abandoned ? "cpu.abandoned-entry" : name);

	if (abandoned)
		out = OUT_OK;

	k->count[out]++;
	if (out == OUT_REFUSED)
		k->errors[err <= MICA_ERR_CANCELLED ? err : MICA_ERR_CANCELLED + 1]++;
}

/* Views of CSpaces ------------------------------------------------------------------------ */

static void view_add(struct view *v, struct slot *s, uint64_t cptr)
{
	if (v->count < MAX_REFS)
		v->refs[v->count++] = (struct ref){s, cptr};
}

/*
 * Every slot that the CNode capability root resolves with depth 64, the
 * depth system calls use: in one level (guard + radix = 64) or two.
 */
static void view_of(const struct cap *root, struct view *v)
{
	unsigned g1 = root->guard_bits, r1 = root->size_bits;
	struct slot *s1 = (struct slot *)root->object;

	v->count = 0;
	if (root->type != MICA_OBJ_CNODE)
		return;
	if (g1 + r1 == 64) {
		for (uint64_t i = 0; i < (UINT64_C(1) << r1); i++)
			view_add(v, &s1[i], (root->data << r1) | i);
		return;
	}
	for (uint64_t i = 0; i < (UINT64_C(1) << r1); i++) {
		const struct cap *c = &s1[i].cap;
		unsigned g2 = c->guard_bits, r2 = c->size_bits;
		uint64_t prefix = ((root->data << r1) | i) << (64 - g1 - r1);

		if (c->type != MICA_OBJ_CNODE || g1 + r1 + g2 + r2 != 64)
			continue;
		for (uint64_t j = 0; j < (UINT64_C(1) << r2); j++)
			view_add(v, (struct slot *)c->object + j, prefix | (c->data << r2) | j);
	}
}

static bool is_protected(const struct slot *s)
{
	unsigned i;

	if (s < root_slots || s >= root_slots + (1 << ROOT_RADIX))
		return false;
	i = (unsigned)(s - root_slots);
	return i < FUZZ_FIRST || i >= FUZZ_FIRST + FUZZ_COUNT;
}

/* An address that names nothing (or, now and then, something by luck). */
static struct ref junk_ref(void)
{
	static const uint64_t junk[] = {0, 1, 0xffffffffffffffff, 0x8000000000000000, 300, 0x3f};

	return (struct ref){NULL, ONE_OF(junk)};
}

/* A random full slot the view has with a capability of type (MICA_OBJ_NULL: any). */
static bool find_cap(const struct view *v, unsigned type, struct ref *out)
{
	unsigned n = 0;
	unsigned chosen;

	for (unsigned i = 0; i < v->count; i++)
		if (!slot_is_empty(v->refs[i].slot) &&
		    (type == MICA_OBJ_NULL || v->refs[i].slot->cap.type == type))
			n++;
	if (n == 0)
		return false;
	chosen = below(n);
	for (unsigned i = 0; i < v->count; i++) {
		if (!slot_is_empty(v->refs[i].slot) &&
		    (type == MICA_OBJ_NULL || v->refs[i].slot->cap.type == type) && chosen-- == 0) {
			*out = v->refs[i];
			return true;
		}
	}
	return false;
}

/*
 * A capability argument: usually one of type, else any capability, now and
 * then an address that names nothing.
 */
static struct ref cap_arg(const struct view *v, unsigned type, unsigned percent)
{
	struct ref r;

	if (chance(percent) && find_cap(v, type, &r))
		return r;
	if (chance(90) && find_cap(v, MICA_OBJ_NULL, &r))
		return r;
	return junk_ref();
}

/* An optional capability argument: none (cptr 0) with the given chance. */
static struct ref opt_cap_arg(const struct view *v, unsigned type, unsigned none_percent)
{
	if (chance(none_percent))
		return (struct ref){NULL, 0};
	return cap_arg(v, type, 85);
}

/*
 * A CSpace root for SetSpace: half the time a CNode other than the root
 * that resolves addresses in one level (guard + radix = 64, minted so), the
 * kind the fastpath caches, so that revoking it from under a thread that
 * keeps running happens often.
 */
static struct ref cspace_arg(void)
{
	unsigned n = 0;
	struct ref r = {NULL, 0};

	for (unsigned i = 0; i < view.count && chance(50); i++) {
		const struct cap *c = &view.refs[i].slot->cap;

		if (c->type == MICA_OBJ_CNODE && c->guard_bits + c->size_bits == 64 &&
		    c->object != (uintptr_t)root_slots && below(++n) == 0)
			r = view.refs[i];
	}
	return n != 0 ? r : cap_arg(&view, MICA_OBJ_CNODE, 85);
}

/* What cnode_address looks for. */
enum want {
	WANT_ANY,
	WANT_EMPTY,
	WANT_FULL,
	WANT_REVOKABLE, /* Full, and an Untyped (or something with copies) more often. */
};

static bool slot_fits(const struct slot *s, enum want want, unsigned tries)
{
	switch (want) {
	case WANT_EMPTY:
		return slot_is_empty(s);
	case WANT_FULL:
		return !slot_is_empty(s);
	case WANT_REVOKABLE:
		return !slot_is_empty(s) && (tries > 12 || s->cap.type == MICA_OBJ_UNTYPED ||
					     (tries > 6 && slot_has_children(s)));
	case WANT_ANY:
		break;
	}
	return true;
}

/* A slot of the CNode capability cn, as (index, depth); fuzz slots of the root mostly. */
static struct slot *cnode_address(const struct cap *cn, enum want want, uint64_t *index,
				  uint64_t *depth)
{
	unsigned g = cn->guard_bits, r = cn->size_bits;
	struct slot *slots = (struct slot *)cn->object;
	uint64_t n = UINT64_C(1) << r;
	uint64_t j = 0;

	if (chance(3)) {
		*index = rnd() & 0xffff;
		*depth = below(70);
		return NULL; /* Whatever that resolves to, if anything. */
	}
	for (unsigned tries = 0; tries < 24; tries++) {
		if (slots == root_slots && (chance(95) || want == WANT_REVOKABLE))
			j = FUZZ_FIRST + below(FUZZ_COUNT);
		else
			j = rnd() % n;
		if (slot_fits(&slots[j], want, tries))
			break;
	}
	if (slots == root_slots && want == WANT_REVOKABLE && chance(15))
		j = ONE_OF(((const uint64_t[]){SLOT_SMALL_UNTYPED, SLOT_SMALL_UNTYPED,
					       SLOT_MEDIUM_UNTYPED, SLOT_BIG_UNTYPED, SLOT_EP,
					       SLOT_VSPACE}));
	*index = (cn->data << r) | j;
	*depth = g + r;
	return &slots[j];
}

/* Poisoning ------------------------------------------------------------------------------- */

/* The part of Untyped u that holds no object: from its watermark (or start) to its end. */
static void untyped_free_part(const struct slot *u, uintptr_t *base, uintptr_t *end)
{
	uint64_t used = slot_has_children(u) ? u->cap.data : 0;

	*end = u->cap.object + ((uintptr_t)1 << u->cap.size_bits);
	*base = u->cap.object + (used < ((uint64_t)1 << u->cap.size_bits) ? used : 0);
	if (used >= ((uint64_t)1 << u->cap.size_bits))
		*base = *end;
}

static void touch_untyped(struct slot *u)
{
	if (touched_count < MAX_TOUCHED)
		touched[touched_count++] = u;
}

/* After an operation: nothing the kernel may still use is poisoned, everything else is. */
static void poison_after_op(void)
{
	/*
	 * Untypeds first: a touched Untyped's slot may be in a CNode that died
	 * in this operation (and is emptied, so it is skipped here), whose
	 * memory is poisoned just below.
	 */
	for (unsigned i = 0; i < touched_count; i++) {
		const struct slot *u = touched[i];
		uintptr_t base, end;

		if (u->cap.type != MICA_OBJ_UNTYPED || u->cap.is_device)
			continue;
		untyped_free_part(u, &base, &end);
		if (end > base)
			ASAN_POISON_MEMORY_REGION((void *)base, end - base);
	}
	touched_count = 0;
	for (unsigned i = 0; i < dead_count; i++)
		if (dead[i].base >= (uintptr_t)ram &&
		    dead[i].base + dead[i].size <= (uintptr_t)ram + ((uintptr_t)1 << RAM_BITS))
			ASAN_POISON_MEMORY_REGION((void *)dead[i].base, dead[i].size);
	dead_count = 0;
}

/*
 * Before a retype: the memory the kernel will give the new objects (as
 * untyped_retype computes it) becomes usable again.
 */
static void unpoison_for_retype(struct slot *u, uint64_t type, uint64_t user_bits, uint64_t count)
{
	unsigned bits;
	uintptr_t base, end, start, stop;

	if (u == NULL || u->cap.type != MICA_OBJ_UNTYPED || u->cap.is_device ||
	    type >= MICA_OBJ_TYPE_COUNT || user_bits > 64 || count == 0 || count > 256)
		return;
	bits = mica_object_size_bits((enum mica_object_type)type, (unsigned)user_bits);
	if (bits == 0 || bits > u->cap.size_bits)
		return;
	/*
	 * An Untyped with no children is cleared below its watermark first
	 * (untyped.c): the kernel writes there, and it is poisoned again after.
	 */
	if (!slot_has_children(u) && u->cap.data != 0)
		ASAN_UNPOISON_MEMORY_REGION((void *)u->cap.object, (size_t)u->cap.data);
	untyped_free_part(u, &base, &end);
	start = ALIGN_UP(u->cap.object + (base - u->cap.object), (uintptr_t)1 << bits);
	if (start >= end)
		return;
	stop = end - start < (count << bits) ? end : start + (count << bits);
	ASAN_UNPOISON_MEMORY_REGION((void *)start, stop - start);
	for (unsigned i = 0; i < MAX_FREED; i++)
		if (freed[i].end > start && freed[i].base < stop) {
			totals.reused_memory++;
			break;
		}
}

/* Kernel entries ---------------------------------------------------------------------------- */

static jmp_buf idle_env;

/*
 * Run one kernel entry on the running fake CPU, by an exception (sync) or
 * an interrupt, as the vectors do: wake the CPU, take the lock with the
 * registers of the thread it runs; if a stall came while it waited, the
 * entry is void and it only schedules (abandoned says so); else stmt. With
 * nothing left to run, the CPU idles: it jumps back here, without the lock,
 * and only an interrupt or a kick can make a thread runnable on it again.
 */
#define ENTER(sync, stmt)                                                                          \
	do {                                                                                       \
		struct tcb *entering_ = thread_current();                                          \
                                                                                                   \
		fake_cpus[fake_cpu_now].idle = false;                                              \
		abandoned = smp_lock_entry(entering_ != NULL ? &entering_->regs : NULL, (sync));   \
		if (abandoned)                                                                     \
			totals.abandoned_entries++;                                                \
		if (setjmp(idle_env) == 0) {                                                       \
			fake_idle_jump = &idle_env;                                                \
			if (abandoned)                                                             \
				(void)schedule();                                                  \
			else {                                                                     \
				stmt;                                                              \
			}                                                                          \
		} else {                                                                           \
			totals.idle_entries++;                                                     \
		}                                                                                  \
		fake_idle_jump = NULL;                                                             \
		smp_unlock();                                                                      \
	} while (0)

static enum outcome thread_outcome(const struct tcb *t, uint64_t err)
{
	if (t->state != THREAD_RUNNABLE && t->state != THREAD_INACTIVE)
		return OUT_BLOCKED;
	return err == MICA_OK ? OUT_OK : OUT_REFUSED;
}

/* A system call by t, the current host thread; the fastpath where the vectors would use it. */
static bool syscall(struct tcb *t, uint64_t nr, uint64_t x0, uint64_t x1, uint64_t x6,
		    const uint64_t mr[4])
{
	bool fast = chance(60);

	slow_path_taken = false;
	ENTER(true, (void)sys(t, fast, nr, x0, x1, x6, mr));
	return fast && (nr == MICA_SYS_CALL || nr == MICA_SYS_REPLY_RECV);
}

/* Does any thread but the current one wait in the run queue? */
static bool others_runnable(void)
{
	const struct sched_cpu *c = sched_this_cpu();

	for (unsigned p = 0; p < PRIORITY_COUNT; p++)
		for (const struct tcb *q = c->queue.head[p]; q != NULL; q = q->sched_next)
			if (q != guardian)
				return true;
	return false;
}

/* Invocations ------------------------------------------------------------------------------- */

struct call {
	const char *name;
	struct ref target;
	uint64_t label;
	unsigned length;
	uint64_t arg[INVOKE_MAX_ARGS];
	struct ref extra[MICA_MSG_MAX_EXTRA_CAPS];
	unsigned extra_count;
	enum mica_error err; /* What invoke() returned (set inside a kernel entry). */
};

static void call_arg(struct call *c, uint64_t value)
{
	if (c->length < INVOKE_MAX_ARGS)
		c->arg[c->length++] = value;
}

static void call_cap(struct call *c, struct ref r)
{
	if (c->extra_count < MICA_MSG_MAX_EXTRA_CAPS)
		c->extra[c->extra_count++] = r;
}

static void describe_call(const struct tcb *t, const struct call *c, bool via_sys)
{
	char args[256] = "";
	size_t used = 0;

	for (unsigned i = 0; i < c->length && used < sizeof(args); i++)
		used += (size_t)snprintf(args + used, sizeof(args) - used, " %#llx",
					 (unsigned long long)c->arg[i]);
	describe("thread %#lx invokes %s (%s, cptr %#llx) via %s: label %llu, args [%s ], caps "
		 "[%s %s %s] (%u)",
		 thread_id(t), c->name, slot_name(c->target.slot),
		 (unsigned long long)c->target.cptr, via_sys ? "Call" : "invoke()",
		 (unsigned long long)c->label, args,
		 c->extra_count > 0 ? slot_name(c->extra[0].slot) : "-",
		 c->extra_count > 1 ? slot_name(c->extra[1].slot) : "-",
		 c->extra_count > 2 ? slot_name(c->extra[2].slot) : "-", c->extra_count);
}

/* What sys_invoke does with c, past the decode: invoke(), and the results written back. */
static void invoke_directly(struct tcb *t, struct call *c, struct mica_ipc_buffer *buf)
{
	struct invocation inv = {.caller = t, .slot = c->target.slot, .label = c->label};
	unsigned n;

	inv.length = c->length;
	memcpy(inv.arg, c->arg, sizeof(inv.arg));
	for (unsigned i = 0; i < c->extra_count; i++)
		inv.extra[i] = c->extra[i].slot;
	inv.extra_count = c->extra_count;
	c->err = invoke(&inv);
	n = c->err == MICA_OK ? inv.result_count : 0;
	if (n > MICA_MSG_REGISTERS && buf == NULL)
		n = MICA_MSG_REGISTERS;
	for (unsigned i = 0; i < n; i++) {
		if (i < MICA_MSG_REGISTERS)
			t->regs.x[2 + i] = inv.result[i];
		else
			buf->mr[i] = inv.result[i];
	}
	ipc_set_result(t, c->err, 0, mica_msg_info(0, 0, n));
}

/*
 * A VCPU ReadReg or WriteReg that succeeded, on v: a read returns the value
 * last written, wherever v's state went since (ReadReg's result is MR0);
 * a write is what the next read must return.
 */
static void check_vcpu_registers(const struct tcb *t, const struct call *c, struct vcpu *v)
{
	if (v == NULL || c->length < 1 || c->arg[0] >= MICA_VCPU_REG_COUNT)
		return;
	if (c->label == MICA_VCPU_WRITE_REG && c->length >= 2) {
		el1_expected(v)[c->arg[0]] = c->arg[1];
	} else if (c->label == MICA_VCPU_READ_REG && t->regs.x[2] != el1_expected(v)[c->arg[0]]) {
		fuzz_fail("VCPU ReadReg of register %llu of vCPU %#lx gave %#llx, not %#llx, the "
			  "value last written",
			  (unsigned long long)c->arg[0], object_id(v),
			  (unsigned long long)t->regs.x[2],
			  (unsigned long long)el1_expected(v)[c->arg[0]]);
	}
}

/*
 * t invokes c: through the system call (registers, IPC buffer, lookup,
 * decode) when the message fits, else handed to invoke() as sys_invoke
 * would, with the results written back the same way and schedule() after.
 */
static void perform(struct tcb *t, struct call *c)
{
	struct mica_ipc_buffer *buf = tcb_ipc_buffer(t);
	struct vcpu *vcpu = c->target.slot != NULL && c->target.slot->cap.type == MICA_OBJ_VCPU
				    ? (struct vcpu *)c->target.slot->cap.object
				    : NULL;
	bool fits = (c->length <= MICA_MSG_REGISTERS && c->extra_count == 0) || buf != NULL;
	bool via_sys = fits && c->target.slot != NULL && chance(40);
	uint64_t err;

	if (c->target.slot == NULL)
		via_sys = true; /* Nothing to invoke(): let the lookup fail. */
	describe_call(t, c, via_sys);
	for (unsigned i = 0; i < MICA_MSG_REGISTERS; i++)
		t->regs.x[2 + i] = c->arg[i];
	if (buf != NULL) {
		for (unsigned i = MICA_MSG_REGISTERS; i < c->length; i++)
			buf->mr[i] = c->arg[i];
		for (unsigned i = 0; i < c->extra_count; i++)
			buf->caps[i] = c->extra[i].cptr;
	}
	if (via_sys) {
		(void)syscall(t, MICA_SYS_CALL, c->target.cptr,
			      mica_msg_info(c->label, c->extra_count, c->length), 0, c->arg);
		err = t->regs.x[6];
		record(c->name,
		       t->state == THREAD_BLOCKED_REPLY ? OUT_BLOCKED
		       : err == MICA_OK			? OUT_OK
							: OUT_REFUSED,
		       err);
	} else {
		ENTER(true, invoke_directly(t, c, buf); (void)schedule());
		err = c->err;
		record(c->name, err == MICA_OK ? OUT_OK : OUT_REFUSED, err);
	}
	if (!abandoned && err == MICA_OK)
		check_vcpu_registers(t, c, vcpu);
}

/*
 * Addresses that collide: pages under the tables the world starts with
 * (0x400000 in the VSpace and the VM), under tables that must be mapped
 * first, and a few that are wrong.
 */
static uint64_t frame_va(void)
{
	static const uint64_t common[] = {0x400000, 0x401000, 0x402000, 0x403000};
	static const uint64_t rare[] = {
		0x600000,   0x601000, 0x40000000, 0x40001000,	     0x40200000,
		0x00200000, 0x400800, 0x10000,	  UINT64_C(1) << 39, 0x7ffffff000,
	};

	return chance(70) ? ONE_OF(common) : ONE_OF(rare);
}

static uint64_t table_va(void)
{
	static const uint64_t vas[] = {
		0x400000, 0x400000,   0x400000, 0x600000,     0x40000000,
		0x0,	  0x40200000, 0x0,	0x7fc0000000, UINT64_C(1) << 40,
	};

	return ONE_OF(vas);
}

/* The address space a mapping goes into: mostly the one the world's threads run in. */
static struct ref space_arg(void)
{
	struct ref r;

	if (chance(40) && find_cap(&view, MICA_OBJ_VSPACE, &r) &&
	    r.slot->cap.object == root_slots[SLOT_VSPACE].cap.object)
		return r;
	return cap_arg(&view, chance(30) ? MICA_OBJ_VM : MICA_OBJ_VSPACE, 85);
}

static uint64_t mmio_base(void)
{
	static const uint64_t bases[] = {0x9000000, 0x9001000, 0x9000800,
					 0x0,	    0x9010000, UINT64_C(0xfffffffffffff000)};

	return ONE_OF(bases);
}

static uint64_t rights_arg(void)
{
	static const uint64_t rights[] = {MICA_RIGHTS_ALL,
					  MICA_RIGHTS_ALL,
					  MICA_RIGHT_READ,
					  MICA_RIGHT_READ | MICA_RIGHT_WRITE,
					  MICA_RIGHT_WRITE | MICA_RIGHT_GRANT_REPLY,
					  MICA_RIGHT_READ | MICA_RIGHT_GRANT,
					  0,
					  16};

	return ONE_OF(rights);
}

static uint64_t priority_arg(void)
{
	return chance(85) ? 95 + below(11) : below(300);
}

/*
 * A CPU for SetAffinity: mostly one there is (the caller's own more often,
 * so that threads meet there and IPC takes the fastpath), now and then the
 * first that is not, or worse.
 */
static uint64_t cpu_arg(void)
{
	if (chance(30))
		return arch_cpu_index();
	if (chance(94))
		return below(smp_cpu_count);
	return chance(50) ? smp_cpu_count
			  : ONE_OF(((const uint64_t[]){PLATFORM_MAX_CPUS, 255, UINT64_C(1) << 32}));
}

static void build_untyped(struct tcb *t, struct call *c)
{
	static const unsigned type_weights[MICA_OBJ_TYPE_COUNT + 1] = {
		[MICA_OBJ_NULL] = 1,	    [MICA_OBJ_UNTYPED] = 10,  [MICA_OBJ_CNODE] = 10,
		[MICA_OBJ_TCB] = 16,	    [MICA_OBJ_ENDPOINT] = 10, [MICA_OBJ_NOTIFICATION] = 6,
		[MICA_OBJ_REPLY] = 10,	    [MICA_OBJ_FRAME_4K] = 12, [MICA_OBJ_FRAME_2M] = 1,
		[MICA_OBJ_PAGE_TABLE] = 10, [MICA_OBJ_VSPACE] = 5,    [MICA_OBJ_IRQ_CONTROL] = 1,
		[MICA_OBJ_IRQ_HANDLER] = 1, [MICA_OBJ_VM] = 5,	      [MICA_OBJ_VCPU] = 6,
		[MICA_OBJ_TYPE_COUNT] = 1,
	};
	uint64_t type = PICK(type_weights);
	uint64_t bits = 0, index, depth, count;
	struct ref root = cap_arg(&view, MICA_OBJ_CNODE, 95);

	if (type == MICA_OBJ_CNODE)
		bits = chance(95) ? 1 + below(4) : ONE_OF(((const uint64_t[]){0, 29, 64, 65}));
	else if (type == MICA_OBJ_UNTYPED)
		bits = chance(95) ? 5 + below(14) : ONE_OF(((const uint64_t[]){3, 4, 47, 64}));
	else if (chance(3))
		bits = below(70);
	count = chance(85) ? 1 : chance(90) ? 2 + below(3) : ONE_OF(((const uint64_t[]){0, 257}));
	c->label = MICA_UNTYPED_RETYPE;
	call_arg(c, type);
	call_arg(c, bits);
	/* The destination CNode: CAP0 itself (depth 0) or one of its slots. */
	if (root.slot != NULL && root.slot->cap.type == MICA_OBJ_CNODE && chance(25)) {
		(void)cnode_address(&root.slot->cap, WANT_ANY, &index, &depth);
	} else {
		index = 0;
		depth = 0;
	}
	call_arg(c, index);
	call_arg(c, depth);
	/* The first slot: free ones in the destination, mostly. */
	{
		const struct slot *dest_cnode = root.slot;
		uint64_t first = FUZZ_FIRST + below(FUZZ_COUNT);

		if (depth != 0 && root.slot != NULL) {
			struct slot_ret r = cspace_lookup(&root.slot->cap, index, (unsigned)depth);

			dest_cnode = r.err == MICA_OK ? r.slot : NULL;
		}
		if (dest_cnode != NULL && dest_cnode->cap.type == MICA_OBJ_CNODE) {
			const struct slot *slots = (const struct slot *)dest_cnode->cap.object;
			uint64_t n = UINT64_C(1) << dest_cnode->cap.size_bits;

			for (unsigned tries = 0; tries < 8; tries++) {
				first = slots == root_slots ? FUZZ_FIRST + below(FUZZ_COUNT)
							    : rnd() % n;
				if (slot_is_empty(&slots[first]))
					break;
			}
		}
		call_arg(c, chance(97) ? first : rnd() & 0x1ff);
	}
	call_arg(c, count);
	call_cap(c, root);
	/* The ID pool a VSpace or VM needs (either kind), or none, or something else. */
	call_cap(c, cap_arg(&view, MICA_OBJ_ASID_POOL, 85));
	unpoison_for_retype(c->target.slot, type, bits, count);
	touch_untyped(c->target.slot);
	(void)t;
}

/* The slot (index, depth) names in the CNode capability in slot cn (depth 0: cn itself). */
static struct slot *resolve(struct slot *cn, uint64_t index, uint64_t depth)
{
	struct slot_ret r;

	if (depth == 0)
		return cn;
	if (depth > 64)
		return NULL;
	r = cspace_lookup(&cn->cap, index, (unsigned)depth);
	return r.err == MICA_OK ? r.slot : NULL;
}

/*
 * The world's fixed slots go only with the world: a fuzz slot may be
 * deleted or revoked, a fixed one only revoked (its copies and objects go),
 * never the Untyped all memory comes from, and the root CNode's copies (so
 * every thread's CSpace) only now and then.
 */
static bool may_destroy(const struct slot *s, uint64_t label)
{
	if (!is_protected(s))
		return true;
	if (label != MICA_CNODE_REVOKE || s == &root_slots[SLOT_UNTYPED])
		return false;
	return s != &root_slots[SLOT_ROOT] || chance(2);
}

static void build_cnode(struct tcb *t, struct call *c)
{
	static const unsigned label_weights[] = {20, 20, 12, 8, 16, 20, 2};
	static const uint64_t labels[] = {
		MICA_CNODE_COPY,   MICA_CNODE_MINT,   MICA_CNODE_MOVE,	     MICA_CNODE_MUTATE,
		MICA_CNODE_DELETE, MICA_CNODE_REVOKE, MICA_CNODE_MUTATE + 40};
	const struct cap *cn = &c->target.slot->cap;
	unsigned which = PICK(label_weights);
	bool destroys = labels[which] == MICA_CNODE_DELETE || labels[which] == MICA_CNODE_REVOKE;
	uint64_t index, depth;
	struct slot *dest;

	c->label = labels[which];
	if (chance(3)) {
		index = 0; /* Depth 0: the invoked capability's own slot. */
		depth = 0;
	} else {
		(void)cnode_address(cn,
				    !destroys				 ? WANT_EMPTY
				    : labels[which] == MICA_CNODE_REVOKE ? WANT_REVOKABLE
									 : WANT_FULL,
				    &index, &depth);
	}
	dest = resolve(c->target.slot, index, depth);
	if (destroys && dest != NULL && !may_destroy(dest, c->label)) {
		if (cn->object == (uintptr_t)root_slots && depth != 0) {
			unsigned j = FUZZ_FIRST + below(FUZZ_COUNT);

			index = (cn->data << cn->size_bits) | j;
			depth = cn->guard_bits + cn->size_bits;
			dest = &root_slots[j];
		} else {
			c->label = MICA_CNODE_COPY; /* Without its arguments: refused. */
			destroys = false;
		}
	}
	call_arg(c, index);
	call_arg(c, depth);
	if (destroys) {
		const struct slot *target = dest;

		if (target != NULL && target->cap.type == MICA_OBJ_UNTYPED &&
		    c->label == MICA_CNODE_REVOKE) {
			uintptr_t base = target->cap.object;

			if (slot_has_children(target)) {
				totals.revokes_with_children++;
				freed[freed_next % MAX_FREED].base = base;
				freed[freed_next % MAX_FREED].end =
					base + ((uintptr_t)1 << target->cap.size_bits);
				freed_next++;
			}
			touch_untyped(dest);
			deep_context = BY_REVOKE_UNTYPED;
		} else {
			deep_context = c->label == MICA_CNODE_REVOKE ? BY_REVOKE_OTHER : BY_DELETE;
		}
		return;
	}
	{
		struct ref src_root = cap_arg(&view, MICA_OBJ_CNODE, 95);
		uint64_t src_index = rnd() & 0xff, src_depth = 64;
		const struct slot *src = NULL;
		uint64_t data = below(8);

		if (src_root.slot != NULL && src_root.slot->cap.type == MICA_OBJ_CNODE)
			src = cnode_address(&src_root.slot->cap, WANT_FULL, &src_index, &src_depth);
		/* Minted CNode capabilities (guards) are what new CSpaces are made of. */
		for (unsigned tries = 0; src != NULL && src->cap.type != MICA_OBJ_CNODE &&
					 c->label == MICA_CNODE_MINT && chance(70) && tries < 8;
		     tries++)
			src = cnode_address(&src_root.slot->cap, WANT_FULL, &src_index, &src_depth);
		if (src_root.slot != NULL)
			src = resolve(src_root.slot, src_index, src_depth);
		if (src != NULL && is_protected(src) &&
		    (c->label == MICA_CNODE_MOVE || c->label == MICA_CNODE_MUTATE))
			c->label = MICA_CNODE_COPY; /* The world's fixed slots stay put. */
		/* A CNode's guard: mostly one that makes it a one-level CSpace. */
		if (src != NULL && src->cap.type == MICA_OBJ_CNODE) {
			unsigned r = src->cap.size_bits;
			unsigned g = chance(70) ? 64 - r : below(65 - r);

			data = g | (uint64_t)(chance(80) ? 0 : below(4)) << 6;
		} else if (chance(10)) {
			data = rnd();
		}
		call_arg(c, src_index);
		call_arg(c, src_depth);
		call_arg(c, chance(70) ? MICA_RIGHTS_ALL : rights_arg());
		call_arg(c, data);
		call_cap(c, src_root);
	}
	(void)t;
}

static void build_tcb(struct tcb *t, struct call *c)
{
	static const unsigned weights[] = {16, 8, 10, 3, 3, 5, 20, 8, 5, 3, 8, 1, 2, 6};
	static const uint64_t labels[] = {
		MICA_TCB_SET_SPACE,
		MICA_TCB_SET_IPC_BUFFER,
		MICA_TCB_SET_PRIORITY,
		MICA_TCB_SET_MCP,
		MICA_TCB_READ_REGISTERS,
		MICA_TCB_WRITE_REGISTERS,
		MICA_TCB_RESUME,
		MICA_TCB_SUSPEND,
		MICA_TCB_BIND_NOTIFICATION,
		MICA_TCB_UNBIND_NOTIFICATION,
		MICA_TCB_BIND_VCPU,
		MICA_TCB_SET_NAME,
		MICA_TCB_BIND_VCPU + 7,
		MICA_TCB_SET_AFFINITY,
	};
	const struct tcb *target = (const struct tcb *)c->target.slot->cap.object;

	c->label = labels[PICK(weights)];
	switch (c->label) {
	case MICA_TCB_SET_SPACE:
		call_cap(c, cspace_arg());
		call_cap(c,
			 cap_arg(&view,
				 target->vcpu != NULL || chance(20) ? MICA_OBJ_VM : MICA_OBJ_VSPACE,
				 85));
		if (chance(85))
			call_cap(c, opt_cap_arg(&view, MICA_OBJ_ENDPOINT, 40));
		break;
	case MICA_TCB_SET_IPC_BUFFER:
		call_arg(c, chance(10)	 ? 0
			    : chance(90) ? 0x10000 + below(4) * MICA_IPC_BUFFER_ALIGN
					 : 0x10000 + below(4096));
		call_cap(c, cap_arg(&view, MICA_OBJ_FRAME_4K, 85));
		break;
	case MICA_TCB_SET_PRIORITY:
	case MICA_TCB_SET_MCP:
		call_arg(c, priority_arg());
		break;
	case MICA_TCB_READ_REGISTERS:
		call_arg(c, below(MICA_CONTEXT_WORDS + 3));
		break;
	case MICA_TCB_WRITE_REGISTERS: {
		unsigned n = below(7);

		call_arg(c, n);
		for (unsigned i = 0; i < n && i + 1 < INVOKE_MAX_ARGS; i++)
			call_arg(c, rnd());
		break;
	}
	case MICA_TCB_BIND_NOTIFICATION:
		call_cap(c, cap_arg(&view, MICA_OBJ_NOTIFICATION, 85));
		break;
	case MICA_TCB_BIND_VCPU:
		call_cap(c, cap_arg(&view, MICA_OBJ_VCPU, 90));
		break;
	case MICA_TCB_SET_NAME:
		call_arg(c, rnd());
		call_arg(c, rnd());
		break;
	case MICA_TCB_SET_AFFINITY:
		call_arg(c, cpu_arg());
		break;
	default:
		break;
	}
	(void)t;
}

static void build_frame(struct tcb *t, struct call *c)
{
	static const unsigned weights[] = {55, 30, 10, 5};
	static const uint64_t labels[] = {MICA_FRAME_MAP, MICA_FRAME_UNMAP, MICA_FRAME_GET_ADDRESS,
					  MICA_FRAME_MAP + 9};

	c->label = labels[PICK(weights)];
	if (c->label == MICA_FRAME_MAP) {
		static const uint64_t rights[] = {MICA_RIGHT_READ,
						  MICA_RIGHT_READ | MICA_RIGHT_WRITE,
						  MICA_RIGHT_READ | MICA_RIGHT_WRITE,
						  MICA_RIGHT_READ | MICA_RIGHT_WRITE,
						  MICA_RIGHT_READ,
						  MICA_RIGHT_WRITE,
						  0,
						  MICA_RIGHT_GRANT};
		static const uint64_t attrs[] = {0, 0, 0, 0, 0, 0, MICA_MAP_EXECUTE, 2};

		call_arg(c, frame_va());
		call_arg(c, ONE_OF(rights));
		call_arg(c, ONE_OF(attrs));
		/* Sometimes through a page table, as the IVC server maps into a window. */
		call_cap(c, chance(20) ? cap_arg(&view, MICA_OBJ_PAGE_TABLE, 85) : space_arg());
	}
	(void)t;
}

static void build_page_table(struct tcb *t, struct call *c)
{
	static const unsigned weights[] = {60, 35, 5};
	static const uint64_t labels[] = {MICA_PAGE_TABLE_MAP, MICA_PAGE_TABLE_UNMAP,
					  MICA_PAGE_TABLE_MAP + 5};

	c->label = labels[PICK(weights)];
	if (c->label == MICA_PAGE_TABLE_MAP) {
		call_arg(c, table_va());
		call_cap(c, space_arg());
	}
	(void)t;
}

/* An SGI target for BindSGI and UnbindSGI: mostly the first few, now and then past the last. */
static uint64_t sgi_target_arg(void)
{
	static const uint64_t past[] = {VM_SGI_TARGETS, VM_SGI_TARGETS + 1, 255, UINT64_C(1) << 32,
					UINT64_MAX};

	if (chance(70))
		return below(4);
	return chance(80) ? below(VM_SGI_TARGETS) : ONE_OF(past);
}

static void build_vm(struct tcb *t, struct call *c)
{
	static const unsigned weights[] = {30, 22, 18, 10, 10, 6, 4};
	static const uint64_t labels[] = {MICA_VM_BIND_MMIO,	      MICA_VM_UNBIND_MMIO,
					  MICA_VM_BIND_SGI,	      MICA_VM_UNBIND_SGI,
					  MICA_VM_BIND_DOORBELL,      MICA_VM_UNBIND_DOORBELL,
					  MICA_VM_UNBIND_DOORBELL + 1};
	static const uint64_t sizes[] = {0x1000, 0x800, 0x1000, 0, 0x2000, UINT64_MAX};

	c->label = labels[PICK(weights)];
	if (c->label == MICA_VM_BIND_SGI || c->label == MICA_VM_UNBIND_SGI) {
		if (chance(97)) /* Else too short a message. */
			call_arg(c, sgi_target_arg());
		if (c->label == MICA_VM_BIND_SGI)
			call_cap(c, cap_arg(&view, MICA_OBJ_VCPU, 85));
		return;
	}
	if (c->label == MICA_VM_BIND_DOORBELL || c->label == MICA_VM_UNBIND_DOORBELL) {
		if (chance(97)) /* A doorbell, now and then one past the last. */
			call_arg(c, chance(90) ? below(4) : below(MICA_VM_DOORBELLS + 2));
		if (c->label == MICA_VM_BIND_DOORBELL)
			call_cap(c, cap_arg(&view, MICA_OBJ_NOTIFICATION, 85));
		return;
	}
	call_arg(c, mmio_base());
	if (c->label == MICA_VM_BIND_MMIO) {
		call_arg(c, ONE_OF(sizes));
		call_cap(c, cap_arg(&view, MICA_OBJ_ENDPOINT, 85));
	}
	(void)t;
}

/*
 * A notification bound to a vCPU's SPI (mostly one of a few, now and then
 * an INTID, priority or flag out of range, too short a message, or no
 * vCPU), or unbound. (Alarms have test_alarm.c: the fuzzer's worlds do not
 * fire them.)
 */
static void build_notification(struct call *c)
{
	static const unsigned weights[] = {60, 35, 5};
	static const uint64_t labels[] = {MICA_NOTIFICATION_BIND_VIRQ,
					  MICA_NOTIFICATION_UNBIND_VIRQ,
					  MICA_NOTIFICATION_UNBIND_VIRQ + 1};
	static const uint64_t intids[] = {32, 33, 34, 35, 1019, 31, 1020};

	c->label = labels[PICK(weights)];
	if (c->label == MICA_NOTIFICATION_BIND_VIRQ) {
		call_arg(c, chance(90) ? intids[below(4)] : ONE_OF(intids));
		call_arg(c, chance(95) ? below(256) : 256);
		call_arg(c, chance(95) ? below(2) : below(8));
		call_cap(c, cap_arg(&view, MICA_OBJ_VCPU, 85));
		if (chance(4))
			c->length = below(3);
	}
}

/*
 * SetSGI: the SGIs a vCPU takes (mostly many, now and then none, or one
 * past 15) and their priorities; now and then too short a message.
 */
static void build_set_sgi(struct call *c)
{
	uint64_t mask = chance(60) ? 0xffff : rnd() & 0xffff;

	if (chance(8))
		mask = chance(50) ? 0 : mask | UINT64_C(1) << (16 + below(48));
	call_arg(c, mask);
	call_arg(c, rnd());
	call_arg(c, rnd());
	if (chance(4))
		c->length = below(3);
}

static void build_vcpu(struct tcb *t, struct call *c)
{
	static const unsigned weights[] = {20, 8, 10, 14, 20, 10, 12, 10, 6, 8, 6};
	static const uint64_t labels[] = {
		MICA_VCPU_SET_ENTRY,	MICA_VCPU_GET_STATE,	   MICA_VCPU_READ_REG,
		MICA_VCPU_WRITE_REG,	MICA_VCPU_INJECT_IRQ,	   MICA_VCPU_CLEAR_IRQ,
		MICA_VCPU_INJECT_UNDEF, MICA_VCPU_SET_SGI,	   MICA_VCPU_INJECT_ABORT,
		MICA_VCPU_SET_TIMERS,	MICA_VCPU_INJECT_UNDEF + 9};
	static const uint64_t intids[] = {27, 32, 33, 34, 40, 41, 1019, 1020, 0x100000000};

	c->label = labels[PICK(weights)];
	switch (c->label) {
	case MICA_VCPU_SET_ENTRY:
		call_arg(c, 0x80000 + 4 * below(16));
		call_arg(c, rnd());
		break;
	case MICA_VCPU_READ_REG:
		call_arg(c, below(MICA_VCPU_REG_COUNT + 2));
		break;
	case MICA_VCPU_WRITE_REG:
		call_arg(c, below(MICA_VCPU_REG_COUNT + 2));
		call_arg(c, chance(50) ? rnd() : below(16));
		break;
	case MICA_VCPU_INJECT_IRQ:
		call_arg(c, ONE_OF(intids));
		call_arg(c, chance(90) ? below(256) : 300);
		call_arg(c, chance(70) ? 0 : chance(90) ? MICA_VIRQ_NOTIFY_EOI : 6);
		break;
	case MICA_VCPU_CLEAR_IRQ:
		call_arg(c, ONE_OF(intids));
		break;
	case MICA_VCPU_SET_SGI:
		build_set_sgi(c);
		break;
	case MICA_VCPU_SET_TIMERS:
		call_arg(c, chance(95) ? below(4) : 4);
		call_arg(c, rnd() & 0xffff);
		break;
	default:
		break;
	}
	(void)t;
}

static void build_irq(struct tcb *t, struct call *c)
{
	if (c->target.slot->cap.type == MICA_OBJ_IRQ_CONTROL) {
		struct ref root = cap_arg(&view, MICA_OBJ_CNODE, 95);
		uint64_t index = rnd() & 0xff, depth = 64;

		if (root.slot != NULL && root.slot->cap.type == MICA_OBJ_CNODE)
			(void)cnode_address(&root.slot->cap, WANT_EMPTY, &index, &depth);
		c->label = chance(95) ? MICA_IRQ_CONTROL_GET : MICA_IRQ_HANDLER_ACK;
		call_arg(c, chance(95) ? IRQ_FIRST + below(IRQ_LINES) : below(2000));
		call_arg(c, index);
		call_arg(c, depth);
		call_cap(c, root);
	} else {
		static const unsigned weights[] = {35, 20, 20, 20, 5};
		static const uint64_t labels[] = {MICA_IRQ_HANDLER_SET_NOTIFICATION,
						  MICA_IRQ_HANDLER_ACK, MICA_IRQ_HANDLER_CLEAR,
						  MICA_IRQ_HANDLER_SET_VCPU, MICA_IRQ_CONTROL_GET};

		c->label = labels[PICK(weights)];
		if (c->label == MICA_IRQ_HANDLER_SET_NOTIFICATION)
			call_cap(c, cap_arg(&view, MICA_OBJ_NOTIFICATION, 85));
		if (c->label == MICA_IRQ_HANDLER_SET_VCPU) {
			call_arg(c, chance(90) ? below(256) : 256);
			call_cap(c, cap_arg(&view, MICA_OBJ_VCPU, 85));
		}
	}
	(void)t;
}

/* ASIDControl: a new pool of either kind (or neither) in some slot. */
static void build_asid_control(struct call *c)
{
	struct ref root = cap_arg(&view, MICA_OBJ_CNODE, 95);
	uint64_t index = rnd() & 0xff, depth = 64;

	if (root.slot != NULL && root.slot->cap.type == MICA_OBJ_CNODE)
		(void)cnode_address(&root.slot->cap, WANT_EMPTY, &index, &depth);
	c->label = chance(95) ? MICA_ASID_CONTROL_MAKE_POOL : below(90);
	call_arg(c, chance(95) ? below(2) : below(5));
	call_arg(c, index);
	call_arg(c, depth);
	call_cap(c, root);
}

static const char *const type_names[MICA_OBJ_TYPE_COUNT] = {
	[MICA_OBJ_NULL] = "Null",
	[MICA_OBJ_UNTYPED] = "Untyped",
	[MICA_OBJ_CNODE] = "CNode",
	[MICA_OBJ_TCB] = "TCB",
	[MICA_OBJ_ENDPOINT] = "Endpoint",
	[MICA_OBJ_NOTIFICATION] = "Notification",
	[MICA_OBJ_REPLY] = "Reply",
	[MICA_OBJ_FRAME_4K] = "Frame",
	[MICA_OBJ_FRAME_2M] = "Frame2M",
	[MICA_OBJ_PAGE_TABLE] = "PageTable",
	[MICA_OBJ_VSPACE] = "VSpace",
	[MICA_OBJ_IRQ_CONTROL] = "IRQControl",
	[MICA_OBJ_IRQ_HANDLER] = "IRQHandler",
	[MICA_OBJ_VM] = "VM",
	[MICA_OBJ_VCPU] = "VCPU",
	[MICA_OBJ_ASID_CONTROL] = "ASIDControl",
	[MICA_OBJ_ASID_POOL] = "ASIDPool",
};

/* The name of an invocation, for the statistics: "Type.label". */
static const char *call_name(unsigned type, uint64_t label)
{
	static const struct {
		uint64_t label;
		const char *name;
	} names[] = {
		{MICA_UNTYPED_RETYPE, "Untyped.Retype"},
		{MICA_CNODE_COPY, "CNode.Copy"},
		{MICA_CNODE_MINT, "CNode.Mint"},
		{MICA_CNODE_MOVE, "CNode.Move"},
		{MICA_CNODE_MUTATE, "CNode.Mutate"},
		{MICA_CNODE_DELETE, "CNode.Delete"},
		{MICA_CNODE_REVOKE, "CNode.Revoke"},
		{MICA_TCB_SET_SPACE, "TCB.SetSpace"},
		{MICA_TCB_SET_IPC_BUFFER, "TCB.SetIPCBuffer"},
		{MICA_TCB_SET_PRIORITY, "TCB.SetPriority"},
		{MICA_TCB_SET_MCP, "TCB.SetMCP"},
		{MICA_TCB_READ_REGISTERS, "TCB.ReadRegisters"},
		{MICA_TCB_WRITE_REGISTERS, "TCB.WriteRegisters"},
		{MICA_TCB_RESUME, "TCB.Resume"},
		{MICA_TCB_SUSPEND, "TCB.Suspend"},
		{MICA_TCB_BIND_NOTIFICATION, "TCB.BindNotification"},
		{MICA_TCB_UNBIND_NOTIFICATION, "TCB.UnbindNotification"},
		{MICA_TCB_SET_NAME, "TCB.SetName"},
		{MICA_TCB_BIND_VCPU, "TCB.BindVCPU"},
		{MICA_TCB_SET_AFFINITY, "TCB.SetAffinity"},
		{MICA_FRAME_MAP, "Frame.Map"},
		{MICA_FRAME_UNMAP, "Frame.Unmap"},
		{MICA_FRAME_GET_ADDRESS, "Frame.GetAddress"},
		{MICA_PAGE_TABLE_MAP, "PageTable.Map"},
		{MICA_PAGE_TABLE_UNMAP, "PageTable.Unmap"},
		{MICA_IRQ_CONTROL_GET, "IRQControl.Get"},
		{MICA_IRQ_HANDLER_ACK, "IRQHandler.Ack"},
		{MICA_IRQ_HANDLER_SET_NOTIFICATION, "IRQHandler.SetNotification"},
		{MICA_IRQ_HANDLER_CLEAR, "IRQHandler.Clear"},
		{MICA_IRQ_HANDLER_SET_VCPU, "IRQHandler.SetVCPU"},
		{MICA_VCPU_SET_ENTRY, "VCPU.SetEntry"},
		{MICA_VCPU_GET_STATE, "VCPU.GetState"},
		{MICA_VCPU_READ_REG, "VCPU.ReadReg"},
		{MICA_VCPU_WRITE_REG, "VCPU.WriteReg"},
		{MICA_VCPU_INJECT_IRQ, "VCPU.InjectIRQ"},
		{MICA_VCPU_CLEAR_IRQ, "VCPU.ClearIRQ"},
		{MICA_VCPU_INJECT_UNDEF, "VCPU.InjectUndef"},
		{MICA_VCPU_SET_SGI, "VCPU.SetSGI"},
		{MICA_VCPU_INJECT_ABORT, "VCPU.InjectAbort"},
		{MICA_VCPU_SET_TIMERS, "VCPU.SetTimers"},
		{MICA_VM_BIND_MMIO, "VM.BindMMIO"},
		{MICA_VM_UNBIND_MMIO, "VM.UnbindMMIO"},
		{MICA_VM_BIND_SGI, "VM.BindSGI"},
		{MICA_VM_UNBIND_SGI, "VM.UnbindSGI"},
		{MICA_VM_BIND_DOORBELL, "VM.BindDoorbell"},
		{MICA_VM_UNBIND_DOORBELL, "VM.UnbindDoorbell"},
		{MICA_NOTIFICATION_BIND_VIRQ, "Notification.BindVIRQ"},
		{MICA_NOTIFICATION_UNBIND_VIRQ, "Notification.UnbindVIRQ"},
		{MICA_ASID_CONTROL_MAKE_POOL, "ASIDControl.MakePool"},
	};
	static const char *const wrong[MICA_OBJ_TYPE_COUNT] = {
		[MICA_OBJ_NULL] = "Null.any",
		[MICA_OBJ_UNTYPED] = "Untyped.other",
		[MICA_OBJ_CNODE] = "CNode.other",
		[MICA_OBJ_TCB] = "TCB.other",
		[MICA_OBJ_ENDPOINT] = "Endpoint.any",
		[MICA_OBJ_NOTIFICATION] = "Notification.any",
		[MICA_OBJ_REPLY] = "Reply.any",
		[MICA_OBJ_FRAME_4K] = "Frame.other",
		[MICA_OBJ_FRAME_2M] = "Frame.other",
		[MICA_OBJ_PAGE_TABLE] = "PageTable.other",
		[MICA_OBJ_VSPACE] = "VSpace.any",
		[MICA_OBJ_IRQ_CONTROL] = "IRQControl.other",
		[MICA_OBJ_IRQ_HANDLER] = "IRQHandler.other",
		[MICA_OBJ_VM] = "VM.other",
		[MICA_OBJ_VCPU] = "VCPU.other",
		[MICA_OBJ_ASID_CONTROL] = "ASIDControl.other",
		[MICA_OBJ_ASID_POOL] = "ASIDPool.any",
	};
	const char *prefix = type < MICA_OBJ_TYPE_COUNT ? type_names[type] : "?";
	size_t len = strlen(prefix);

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].label == label && strncmp(names[i].name, prefix, len) == 0 &&
		    names[i].name[len] == '.')
			return names[i].name;
	return type < MICA_OBJ_TYPE_COUNT ? wrong[type] : "?.other";
}

/* The current host thread invokes a capability its CSpace names. */
static void op_invoke(struct tcb *t)
{
	/* How often each type is invoked, when the thread holds one. */
	static const unsigned type_weights[MICA_OBJ_TYPE_COUNT] = {
		[MICA_OBJ_UNTYPED] = 14,  [MICA_OBJ_CNODE] = 22,       [MICA_OBJ_TCB] = 14,
		[MICA_OBJ_ENDPOINT] = 1,  [MICA_OBJ_NOTIFICATION] = 4, [MICA_OBJ_REPLY] = 1,
		[MICA_OBJ_FRAME_4K] = 9,  [MICA_OBJ_FRAME_2M] = 2,     [MICA_OBJ_PAGE_TABLE] = 7,
		[MICA_OBJ_VSPACE] = 1,	  [MICA_OBJ_IRQ_CONTROL] = 2,  [MICA_OBJ_IRQ_HANDLER] = 3,
		[MICA_OBJ_VM] = 6,	  [MICA_OBJ_VCPU] = 9,	       [MICA_OBJ_ASID_CONTROL] = 2,
		[MICA_OBJ_ASID_POOL] = 1,
	};
	unsigned weights[MICA_OBJ_TYPE_COUNT] = {0};
	unsigned present_count = 0;
	struct call c = {0};
	unsigned type;

	for (unsigned ty = MICA_OBJ_UNTYPED; ty < MICA_OBJ_TYPE_COUNT; ty++) {
		struct ref r;

		if (find_cap(&view, ty, &r)) {
			weights[ty] = type_weights[ty];
			present_count++;
		}
	}
	if (present_count == 0 || chance(2)) {
		c.target = junk_ref();
		c.label = below(90);
		c.name = "junk.any";
		perform(t, &c);
		return;
	}
	type = PICK(weights);
	(void)find_cap(&view, type, &c.target);
	/* The guardian and its interrupt keep the world alive: left alone, mostly. */
	if ((c.target.slot == &root_slots[SLOT_GUARDIAN] ||
	     c.target.slot == &root_slots[SLOT_IRQ_GUARDIAN]) &&
	    chance(90))
		(void)find_cap(&view, type, &c.target);
	deep_context = BY_OTHER;
	switch ((enum mica_object_type)type) {
	case MICA_OBJ_UNTYPED:
		build_untyped(t, &c);
		break;
	case MICA_OBJ_CNODE:
		build_cnode(t, &c);
		break;
	case MICA_OBJ_TCB:
		build_tcb(t, &c);
		break;
	case MICA_OBJ_FRAME_4K:
	case MICA_OBJ_FRAME_2M:
		build_frame(t, &c);
		break;
	case MICA_OBJ_PAGE_TABLE:
		build_page_table(t, &c);
		break;
	case MICA_OBJ_VM:
		build_vm(t, &c);
		break;
	case MICA_OBJ_VCPU:
		build_vcpu(t, &c);
		break;
	case MICA_OBJ_IRQ_CONTROL:
	case MICA_OBJ_IRQ_HANDLER:
		build_irq(t, &c);
		break;
	case MICA_OBJ_ASID_CONTROL:
		build_asid_control(&c);
		break;
	case MICA_OBJ_NOTIFICATION:
		build_notification(&c);
		break;
	case MICA_OBJ_ASID_POOL:
	case MICA_OBJ_NULL:
	case MICA_OBJ_ENDPOINT:
	case MICA_OBJ_REPLY:
	case MICA_OBJ_VSPACE:
	case MICA_OBJ_TYPE_COUNT:
		/* No invocations: refused, or (a Call on an endpoint) IPC. */
		c.label = below(90);
		break;
	}
	c.name = call_name(type, c.label);
	perform(t, &c);
	deep_context = BY_OTHER;
}

/* IPC and the other system calls ------------------------------------------------------------- */

/* Fill t's IPC buffer (if it has one) with capabilities to send and a slot to receive into. */
static void fill_ipc_buffer(struct tcb *t)
{
	struct mica_ipc_buffer *buf = tcb_ipc_buffer(t);
	struct ref r;

	if (buf == NULL)
		return;
	for (unsigned i = 0; i < MICA_MSG_MAX_EXTRA_CAPS; i++)
		buf->caps[i] =
			cap_arg(&view, chance(50) ? MICA_OBJ_ENDPOINT : MICA_OBJ_NULL, 50).cptr;
	for (unsigned i = MICA_MSG_REGISTERS; i < 8; i++)
		buf->mr[i] = rnd();
	if (chance(30) || !find_cap(&view, MICA_OBJ_CNODE, &r)) {
		buf->receive_depth = chance(50) ? 0 : below(70);
		buf->receive_cnode = rnd() & 0xff;
		buf->receive_index = rnd() & 0xff;
		return;
	}
	buf->receive_cnode = r.cptr;
	(void)cnode_address(&r.slot->cap, WANT_EMPTY, &buf->receive_index, &buf->receive_depth);
}

static void op_ipc(struct tcb *t)
{
	static const unsigned weights[] = {12, 8, 16, 14, 10, 16, 4, 5, 4, 1, 1};
	static const struct {
		uint64_t nr;
		const char *name;
	} calls[] = {
		{MICA_SYS_SEND, "sys.Send"},
		{MICA_SYS_NBSEND, "sys.NBSend"},
		{MICA_SYS_CALL, "sys.Call"},
		{MICA_SYS_RECV, "sys.Recv"},
		{MICA_SYS_NBRECV, "sys.NBRecv"},
		{MICA_SYS_REPLY_RECV, "sys.ReplyRecv"},
		{MICA_SYS_YIELD, "sys.Yield"},
		{77, "sys.unknown"},
		{MICA_SYS_DEBUG_WRITE, "sys.DebugWrite"},
		{MICA_SYS_SYSTEM_OFF, "sys.SystemOff"},
		{MICA_SYS_DEBUG_CHECK, "sys.DebugCheck"},
	};
	unsigned which = PICK(weights);
	uint64_t nr;
	uint64_t mr[4] = {below(4), rnd(), below(16), rnd()};
	uint64_t x0 = 0, x1 = 0, x6 = 0;
	bool receive;
	bool tried_fast;
	uint64_t err;

	/* A thread alone on the CPU mostly does not block: the world should keep running. */
	if (!others_runnable() && chance(75)) {
		if (calls[which].nr == MICA_SYS_SEND || calls[which].nr == MICA_SYS_CALL)
			which = 1;
		else if (calls[which].nr == MICA_SYS_RECV || calls[which].nr == MICA_SYS_REPLY_RECV)
			which = 4;
	}
	nr = calls[which].nr;
	receive = nr == MICA_SYS_RECV || nr == MICA_SYS_NBRECV || nr == MICA_SYS_REPLY_RECV;

	if (nr == MICA_SYS_SEND || nr == MICA_SYS_NBSEND || nr == MICA_SYS_CALL || receive) {
		static const unsigned send_to[] = {60, 15, 12, 8, 5};
		static const unsigned receive_on[] = {65, 22, 0, 8, 5};
		static const unsigned kinds_of[] = {MICA_OBJ_ENDPOINT, MICA_OBJ_NOTIFICATION,
						    MICA_OBJ_REPLY, MICA_OBJ_NULL};
		unsigned k = receive ? PICK(receive_on) : PICK(send_to);
		struct ref r = k < 4 ? cap_arg(&view, kinds_of[k], 100) : junk_ref();
		unsigned length = chance(85) ? below(MICA_MSG_REGISTERS + 1) : below(70);
		unsigned caps = chance(85) ? 0 : 1 + below(3);

		x0 = r.cptr;
		/* Label: small for messages; for a Call on an object, any invocation. */
		x1 = mica_msg_info(chance(80) ? below(3) : below(90), caps, length);
		if (receive || chance(10)) {
			struct ref reply = chance(nr == MICA_SYS_REPLY_RECV ? 90 : 60)
						   ? cap_arg(&view, MICA_OBJ_REPLY, 95)
						   : (struct ref){NULL, 0};

			x6 = reply.cptr;
		}
		fill_ipc_buffer(t);
	} else if (nr == MICA_SYS_DEBUG_WRITE) {
		x0 = frame_va() + below(64);
		x1 = chance(95) ? 1 + below(64) : 5000;
	} else if (nr == MICA_SYS_DEBUG_CHECK) {
		x0 = SLOT_ROOT;
	}
	describe("thread %#lx (prio %u) %s x0 %#llx info %#llx x6 %#llx", thread_id(t), t->priority,
		 calls[which].name, (unsigned long long)x0, (unsigned long long)x1,
		 (unsigned long long)x6);
	tried_fast = syscall(t, nr, x0, x1, x6, mr);
	if (tried_fast) {
		totals.fastpath_calls++;
		if (!slow_path_taken) {
			totals.fastpath_done++;
			record(nr == MICA_SYS_CALL ? "sys.Call.fastpath" : "sys.ReplyRecv.fastpath",
			       OUT_OK, 0);
			return;
		}
	}
	/* IPC results are in x6, the rest in x0. */
	err = nr <= MICA_SYS_SYSTEM_OFF || nr >= MICA_SYS_YIELD ? t->regs.x[0] : t->regs.x[6];
	if (nr == MICA_SYS_YIELD)
		err = MICA_OK;
	if (nr == MICA_SYS_DEBUG_CHECK && t->regs.x[1] != 0)
		fuzz_fail("MICA_SYS_DEBUG_CHECK found %llu broken invariants",
			  (unsigned long long)t->regs.x[1]);
	record(calls[which].name, thread_outcome(t, err), err);
}

/*
 * t touches user memory at an address: what the MMU translates it to is
 * read or written (the harness is the hardware here); an address that does
 * not translate is a page fault for t's fault handler.
 */
static void op_user_access(struct tcb *t)
{
	const struct cap *space = tcb_vspace(t);
	uint64_t va = frame_va() + 8 * (uint64_t)below(512);
	bool write = chance(50);
	struct ret r = {MICA_ERR_BAD_ADDRESS, 0};

	/* A fault nobody handles stops the thread: not too often (unless it can do nothing else).
	 */
	if (t->slots[TCB_SLOT_FAULT_EP].cap.type != MICA_OBJ_ENDPOINT && view.count != 0 &&
	    chance(70)) {
		op_ipc(t);
		return;
	}
	describe("thread %#lx %s user memory at %#llx", thread_id(t), write ? "writes" : "reads",
		 (unsigned long long)va);
	if (space != NULL && space->type == MICA_OBJ_VSPACE) {
		struct arch_vspace vs = vspace_of(space);

		r = arch_vspace_translate(&vs, va_init(va),
					  MAP_READ | MAP_USER | (write ? MAP_WRITE : 0));
	}
	if (r.err == MICA_OK) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)r.val;

		if (write)
			*p = rnd();
		else
			(void)*p;
		record("user.access", OUT_OK, 0);
		return;
	}
	{
		uint64_t mr[4] = {t->regs.pc, va, write ? MICA_FAULT_VM_WRITE : 0, 0x92000000};

		ENTER(true, thread_fault(t, MICA_FAULT_VM, mr, 4); (void)schedule());
		record("user.fault", thread_outcome(t, MICA_OK), 0);
	}
}

/*
 * t, given the unit, finds its FP/SIMD register as it left it, on whichever
 * CPU it ran before, and writes another value.
 */
static void use_fp(struct tcb *t)
{
	uint64_t *expected = fp_expected(t);

	if (fake_fp.v0 != *expected)
		fuzz_fail("thread %#lx finds %#llx in its FP/SIMD register, not %#llx, the value "
			  "it left there",
			  thread_id(t), (unsigned long long)fake_fp.v0,
			  (unsigned long long)*expected);
	*expected = rnd();
	fake_fp.v0 = *expected;
}

/* t's next FP/SIMD instruction traps (the unit is closed at every switch). */
static void op_fp(struct tcb *t)
{
	describe("thread %#lx uses FP/SIMD", thread_id(t));
	ENTER(true, sched_fp_take(t); use_fp(t); (void)schedule());
	record(t->vcpu != NULL ? "guest.FP" : "user.FP", OUT_OK, 0);
}

/* Guests ------------------------------------------------------------------------------------- */

/* The VMM the fastpath would hand t's hypercall to, as fastpath.c's exit_receiver picks it. */
static bool hvc_fastpath_applies(const struct tcb *t)
{
	const struct cap *ep_cap = &t->slots[TCB_SLOT_FAULT_EP].cap;
	const struct endpoint *ep = (const struct endpoint *)ep_cap->object;
	const struct tcb *r;

	if (t->vcpu == NULL || ep_cap->type != MICA_OBJ_ENDPOINT ||
	    (ep_cap->rights & MICA_RIGHT_WRITE) == 0 || ep->state != EP_RECEIVING)
		return false;
	r = ep->queue.head;
	return r->reply != NULL && r->priority >= t->priority && r->cpu == t->cpu &&
	       tcb_ipc_buffer(r) != NULL;
}

/*
 * The guest takes an interrupt from a list register, or deactivates one it
 * took: what the GIC's CPU interface does on the guest's acknowledge and
 * EOI. Deactivating one the kernel asked to hear of raises the maintenance
 * interrupt at once, as the hardware would.
 */
static void op_guest_lr(struct tcb *t)
{
	struct fake_lr *lr = fake_vcpu_lr(&t->vcpu->arch, below(fake_lr_count));
	bool maintenance = false;

	describe("guest %#lx: list register (INTID %u, state %u) %s", thread_id(t), lr->intid,
		 lr->state, lr->state == VGIC_LR_PENDING ? "acknowledged" : "deactivated");
	if (lr->state == VGIC_LR_PENDING) {
		lr->state = VGIC_LR_ACTIVE;
	} else if (lr->state == VGIC_LR_ACTIVE || lr->state == VGIC_LR_PENDING_ACTIVE) {
		maintenance = lr->eoi;
		lr->state = lr->state == VGIC_LR_ACTIVE ? VGIC_LR_INVALID : VGIC_LR_PENDING;
	}
	ENTER(false, if (maintenance) vgic_maintenance(); (void)schedule());
	record("guest.ListRegister", OUT_OK, 0);
}

/*
 * The guest writes or reads one of its EL1 registers, which it reaches
 * without a trap: in the registers of the CPU it runs on. A read finds what
 * the guest or its VMM wrote last, wherever the state was in between.
 */
static void op_guest_el1(struct tcb *t)
{
	unsigned reg = below(MICA_VCPU_REG_COUNT);
	uint64_t *live = fake_vcpu_reg(&t->vcpu->arch, reg);
	uint64_t *expected = &el1_expected(t->vcpu)[reg];

	if (chance(50)) {
		describe("guest %#lx writes its EL1 register %u", thread_id(t), reg);
		*expected = rnd();
		*live = *expected;
		record("guest.EL1-write", OUT_OK, 0);
		return;
	}
	describe("guest %#lx reads its EL1 register %u", thread_id(t), reg);
	if (*live != *expected)
		fuzz_fail(
			"guest %#lx finds %#llx in its EL1 register %u, not %#llx, the value last "
			"written",
			thread_id(t), (unsigned long long)*live, reg,
			(unsigned long long)*expected);
	record("guest.EL1-read", OUT_OK, 0);
}

/*
 * What an SGI write may change on a target vCPU, seen from the sending CPU:
 * its queue, and its list registers if they are within reach (in memory,
 * or in this CPU's registers), and its thread's state.
 */
struct sgi_target_view {
	struct vcpu *v;
	struct vgic vgic;
	struct fake_lr lr[VGIC_MAX_LRS];
	bool lr_seen;
	uint8_t thread_state;
};

static void sgi_target_look(struct vcpu *v, struct sgi_target_view *out)
{
	out->v = v;
	out->vgic = v->vgic;
	out->lr_seen = v->arch.held_by == 0 || v->arch.held_by == fake_cpu_now + 1;
	for (unsigned n = 0; out->lr_seen && n < fake_lr_count; n++)
		out->lr[n] = *fake_vcpu_lr(&v->arch, n);
	out->thread_state = v->tcb != NULL ? v->tcb->state : 0xff;
}

/* Do two looks at a target see the same (member by member: the structures have padding)? */
static bool sgi_target_same(const struct sgi_target_view *a, const struct sgi_target_view *b)
{
	const struct vgic *x = &a->vgic, *y = &b->vgic;

	if (x->count != y->count || x->has_work != y->has_work ||
	    x->timers_masked != y->timers_masked || x->passthrough_count != y->passthrough_count ||
	    x->eoi_owed_count != y->eoi_owed_count ||
	    memcmp(x->queue, y->queue, sizeof(x->queue)) != 0 ||
	    memcmp(x->lr_flags, y->lr_flags, sizeof(x->lr_flags)) != 0 ||
	    memcmp(x->eoi_owed, y->eoi_owed, sizeof(x->eoi_owed)) != 0 ||
	    a->thread_state != b->thread_state || a->lr_seen != b->lr_seen)
		return false;
	for (unsigned n = 0; a->lr_seen && n < fake_lr_count; n++) {
		const struct fake_lr *p = &a->lr[n], *q = &b->lr[n];

		if (p->intid != q->intid || p->priority != q->priority || p->state != q->state ||
		    p->eoi != q->eoi)
			return false;
	}
	return true;
}

/* Is intid pending for v: queued, or in a list register within reach? */
static bool sgi_is_pending(struct vcpu *v, unsigned intid)
{
	for (unsigned i = 0; i < v->vgic.count; i++)
		if (v->vgic.queue[i].intid == intid)
			return true;
	if (v->arch.held_by != 0 && v->arch.held_by != fake_cpu_now + 1)
		return false;
	for (unsigned n = 0; n < fake_lr_count; n++) {
		const struct fake_lr *lr = fake_vcpu_lr(&v->arch, n);

		if (lr->intid == intid &&
		    (lr->state == VGIC_LR_PENDING || lr->state == VGIC_LR_PENDING_ACTIVE))
			return true;
	}
	return false;
}

/*
 * Should the kernel route SGI intid to targets in vm? Only if it is an SGI
 * and every target named is bound, takes it, and has room in its queue for
 * it (or has it queued already).
 */
static bool sgi_routable(const struct vm *vm, unsigned intid, uint32_t targets)
{
	if (intid >= VGIC_SGI_COUNT || targets == 0 || targets >> VM_SGI_TARGETS != 0)
		return false;
	for (unsigned n = 0; n < VM_SGI_TARGETS; n++) {
		const struct cap *c = &vm->sgi_vcpu[n].cap;
		const struct vcpu *v = (const struct vcpu *)c->object;
		bool queued = false;

		if (!(targets & (1u << n)))
			continue;
		if (c->type != MICA_OBJ_VCPU || !(v->sgi_enabled & (1u << intid)))
			return false;
		for (unsigned i = 0; i < v->vgic.count; i++)
			queued |= v->vgic.queue[i].intid == intid;
		if (!queued && v->vgic.count >= VGIC_VMM_ENTRIES)
			return false;
	}
	return true;
}

static const char *sgi_outcome; /* What guest_sgi_write did, for the statistics. */

/*
 * The kernel's part of t's write of ICC_SGI1R_EL1 for SGI intid to targets,
 * as the exit fastpath does it once the arch has decoded the write (the
 * fake decodes none): routed to the vCPUs t's VM binds, else an exit to
 * the VMM. It is routed exactly when sgi_routable says so. Routed, every
 * target named has the SGI pending; not routed, nothing changed on any of
 * them, and no CPU was kicked.
 */
static void guest_sgi_write(struct tcb *t, unsigned intid, uint32_t targets,
			    const struct vcpu_exit *e, const uint64_t *words)
{
	static struct sgi_target_view seen[VM_SGI_TARGETS];
	const struct cap *vm_cap = &t->slots[TCB_SLOT_VSPACE].cap;
	unsigned ipis[MAX_CPUS];
	unsigned count = 0;
	bool routed, routable;

	if (vm_cap->type != MICA_OBJ_VM) {
		vcpu_exit(t, e, words, 4); /* The fastpath's slow way, as for any other exit. */
		(void)schedule();
		return;
	}
	for (unsigned n = 0; n < VM_SGI_TARGETS; n++) {
		const struct cap *c = &vm_of(vm_cap)->sgi_vcpu[n].cap;

		if ((targets & (1u << n)) && c->type == MICA_OBJ_VCPU)
			sgi_target_look((struct vcpu *)c->object, &seen[count++]);
	}
	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++)
		ipis[cpu] = fake_cpus[cpu].ipis;
	routable = sgi_routable(vm_of(vm_cap), intid, targets);
	routed = vgic_send_sgi(vm_of(vm_cap), intid, targets);
	if (routed != routable)
		fuzz_fail("SGI %u to %#x %s, though the targets %s", intid, targets,
			  routed ? "routed" : "not routed",
			  routable ? "take it and have room" : "do not all take it");
	for (unsigned i = 0; i < count; i++) {
		struct sgi_target_view now;

		if (routed) {
			if (!sgi_is_pending(seen[i].v, intid))
				fuzz_fail(
					"SGI %u routed, but vCPU %#lx, a target, does not have it "
					"pending",
					intid, object_id(seen[i].v));
			continue;
		}
		sgi_target_look(seen[i].v, &now);
		if (!sgi_target_same(&now, &seen[i]))
			fuzz_fail("SGI %u to %#x not routed, yet vCPU %#lx, a target, changed",
				  intid, targets, object_id(seen[i].v));
	}
	for (unsigned cpu = 0; !routed && cpu < smp_cpu_count; cpu++)
		if (fake_cpus[cpu].ipis != ipis[cpu])
			fuzz_fail("SGI %u to %#x not routed, yet cpu %u was kicked", intid, targets,
				  cpu);
	if (routed) {
		sgi_outcome = "guest.SGI.routed";
		arch_regs_skip(&t->regs, e->insn_len);
	} else {
		vcpu_exit(t, e, words, 4);
	}
	(void)schedule();
}

/*
 * The guest sends an SGI: mostly to targets 0 and 1, which the world binds
 * from the start, else to the first few, now and then to any, or to what
 * no write can name.
 */
static void op_guest_sgi(struct tcb *t)
{
	unsigned intid = chance(96) ? below(VGIC_SGI_COUNT) : VGIC_SGI_COUNT + below(8);
	uint32_t targets = chance(50)	? 1u << below(2)
			   : chance(60) ? 1 + (uint32_t)below(3)
					: (uint32_t)rnd() & 0xf;
	uint64_t words[4];
	const struct vcpu_exit e = {.label = MICA_EXIT_SYSREG,
				    .reg = (uint8_t)below(32),
				    .insn_len = 4,
				    .size_log2 = 3,
				    .reg64 = true};

	if (chance(10))
		targets = chance(50) ? (uint32_t)rnd() & 0xffff : (uint32_t)rnd();
	words[0] = MICA_SYSREG(3, 0, 12, 11, 5);
	words[1] = MICA_SYSREG_WRITE;
	words[2] = (uint64_t)(intid & 0xf) << 24 | (targets & 0xffff);
	words[3] = t->regs.pc;
	describe("guest %#lx: SGI %u to targets %#x", thread_id(t), intid, targets);
	sgi_outcome = "guest.SGI.to-VMM";
	ENTER(true, guest_sgi_write(t, intid, targets, &e, words));
	record(sgi_outcome, thread_outcome(t, MICA_OK), 0);
}

static void op_guest(struct tcb *t)
{
	static const unsigned weights[] = {35, 20, 10, 15, 10, 10, 8, 5, 30, 10};
	uint64_t words[MICA_EXIT_HYPERCALL_WORDS];
	struct vcpu_exit e = {0};
	unsigned which = PICK(weights);

	if (which == 3 && !others_runnable() && chance(75))
		which = 0; /* Alone on the CPU, the guest mostly keeps going. */
	for (unsigned i = 0; i < MICA_EXIT_HYPERCALL_WORDS; i++)
		words[i] = t->regs.x[i] = i == 0 ? below(8) : rnd();
	switch (which) {
	case 0:
		if (hvc_fastpath_applies(t)) {
			describe("guest %#lx: HVC (fastpath)", thread_id(t));
			ENTER(true, (void)fastpath_guest_hvc(&t->regs));
			record("guest.HVC.fast", OUT_OK, 0);
			return;
		}
		describe("guest %#lx: HVC", thread_id(t));
		e.label = MICA_EXIT_HYPERCALL;
		ENTER(true, vcpu_exit(t, &e, words, MICA_EXIT_HYPERCALL_WORDS); (void)schedule());
		record("guest.HVC", thread_outcome(t, MICA_OK), 0);
		return;
	case 1: {
		unsigned size = below(4);
		bool is_write = chance(50);

		e = (struct vcpu_exit){.label = MICA_EXIT_MMIO,
				       .reg = (uint8_t)below(32),
				       .size_log2 = (uint8_t)size,
				       .insn_len = 4,
				       .is_read = !is_write,
				       .sign_extend = !is_write && chance(30),
				       .reg64 = chance(50)};
		words[0] = mmio_base() + 8 * (uint64_t)below(4);
		words[1] = size | (is_write ? MICA_MMIO_WRITE : 0) |
			   (uint64_t)e.reg << MICA_MMIO_REG_SHIFT;
		words[3] = t->regs.pc;
		describe("guest %#lx: MMIO %s at %#llx", thread_id(t), is_write ? "write" : "read",
			 (unsigned long long)words[0]);
		ENTER(true, vcpu_exit_mmio(t, &e, words); (void)schedule());
		record("guest.MMIO", thread_outcome(t, MICA_OK), 0);
		return;
	}
	case 2:
		e = (struct vcpu_exit){.label = MICA_EXIT_SYSREG,
				       .reg = (uint8_t)below(32),
				       .insn_len = 4,
				       .is_read = chance(50),
				       .size_log2 = 3,
				       .reg64 = true};
		words[0] = MICA_SYSREG(3, 0, 9, 12, below(8));
		words[3] = t->regs.pc;
		describe("guest %#lx: trapped system register", thread_id(t));
		ENTER(true, vcpu_exit(t, &e, words, 4); (void)schedule());
		record("guest.SysReg", thread_outcome(t, MICA_OK), 0);
		return;
	case 3: {
		bool wfe = chance(30);

		describe("guest %#lx: %s", thread_id(t), wfe ? "WFE" : "WFI");
		t->regs.pc += 4;
		ENTER(true, vcpu_wait(t, wfe); (void)schedule());
		record(wfe ? "guest.WFE" : "guest.WFI", thread_outcome(t, MICA_OK), 0);
		return;
	}
	case 4:
		e.label = MICA_EXIT_FAULT;
		words[0] = 0x92000000;
		words[3] = t->regs.pc;
		describe("guest %#lx: an abort", thread_id(t));
		ENTER(true, vcpu_exit(t, &e, words, 4); (void)schedule());
		record("guest.Fault", thread_outcome(t, MICA_OK), 0);
		return;
	case 5:
		op_guest_lr(t);
		return;
	case 6:
		op_guest_el1(t);
		return;
	case 8:
		op_guest_sgi(t);
		return;
	case 9: {
		uint64_t n = chance(90) ? below(4) : rnd();

		describe("guest %#lx: rings doorbell %#llx", thread_id(t), (unsigned long long)n);
		ENTER(true, (void)vcpu_ring_doorbell(t, n); (void)schedule());
		record("guest.Doorbell", thread_outcome(t, MICA_OK), 0);
		return;
	}
	default:
		op_fp(t);
		return;
	}
}

/* Interrupts --------------------------------------------------------------------------------- */

/* A VCPU that some capability in the root CNode, or one CNode below it, names. */
static struct vcpu *some_vcpu(void)
{
	struct vcpu *found = NULL;
	unsigned seen = 0;

	for (unsigned i = 0; i < (1u << ROOT_RADIX); i++) {
		const struct cap *c = &root_slots[i].cap;
		unsigned n = c->type == MICA_OBJ_CNODE && c->object != (uintptr_t)root_slots
				     ? 1u << c->size_bits
				     : 0;

		if (c->type == MICA_OBJ_VCPU && below(++seen) == 0)
			found = (struct vcpu *)c->object;
		for (unsigned j = 0; j < n; j++) {
			const struct cap *d = &((const struct slot *)c->object)[j].cap;

			if (d->type == MICA_OBJ_VCPU && below(++seen) == 0)
				found = (struct vcpu *)d->object;
		}
	}
	return found;
}

static void op_interrupt(void)
{
	static const unsigned weights[] = {35, 40, 10, 8, 7};
	unsigned which = PICK(weights);
	struct vcpu *v;
	uint32_t intid;

	switch (which) {
	case 0:
		describe("timer tick");
		ENTER(false, sched_tick(); (void)schedule());
		record("irq.tick", OUT_OK, 0);
		return;
	case 1:
		intid = chance(50) ? IRQ_FIRST : IRQ_FIRST + below(IRQ_LINES);
		describe("interrupt %u", intid);
		ENTER(false, irq_deliver(intid); (void)schedule());
		record("irq.device", OUT_OK, 0);
		return;
	case 2:
		v = some_vcpu();
		describe("a guest timer is due (vCPU @%#lx)",
			 v == NULL ? 0 : (unsigned long)((uintptr_t)v - (uintptr_t)ram));
		if (v != NULL)
			v->arch.timers_due = 1u << below(VGIC_TIMERS);
		ENTER(false, sched_tick(); (void)schedule());
		if (v != NULL)
			v->arch.timers_due = 0;
		record("irq.vtimer-due", OUT_OK, 0);
		return;
	case 3:
		intid = chance(2) ? 27 : 30;
		describe("the loaded vCPU's %s timer fires", intid == 27 ? "virtual" : "physical");
		ENTER(false, vgic_timer_fired(intid); (void)schedule());
		record("irq.timer", OUT_OK, 0);
		return;
	default:
		describe("vGIC maintenance interrupt");
		ENTER(false, vgic_maintenance(); (void)schedule());
		record("irq.maintenance", OUT_OK, 0);
		return;
	}
}

/* The running CPU takes the kick another CPU sent it: it enters the kernel, and schedules. */
static void op_take_ipi(void)
{
	fake_cpus[fake_cpu_now].ipi_pending = false;
	describe("takes its IPI");
	ENTER(false, (void)schedule());
	totals.ipis_taken++;
	record("cpu.IPI", OUT_OK, 0);
}

/* Several CPUs ------------------------------------------------------------------------------- */

static bool ref_to(const struct slot *s, struct ref *out);

/*
 * What op_smp reaches: a thread doing something (SetAffinity moves it while
 * it does), a vCPU whose state another CPU holds, or an address space
 * another CPU translates through.
 */
enum situation {
	SIT_SELF, /* The caller. */
	SIT_RUNNING_ELSEWHERE,
	SIT_QUEUED,
	SIT_BLOCKED, /* In IPC, a call or on a notification. */
	SIT_WFI,
	SIT_VCPU,
	SIT_REMOTE_VCPU,
	SIT_REMOTE_SPACE, /* In a root CNode slot the fuzzer may empty. */
	SIT_COUNT,
};

static const char *const affinity_names[SIT_REMOTE_VCPU] = {
	[SIT_SELF] = "TCB.SetAffinity(self)",
	[SIT_RUNNING_ELSEWHERE] = "TCB.SetAffinity(running elsewhere)",
	[SIT_QUEUED] = "TCB.SetAffinity(queued)",
	[SIT_BLOCKED] = "TCB.SetAffinity(blocked)",
	[SIT_WFI] = "TCB.SetAffinity(in WFI)",
	[SIT_VCPU] = "TCB.SetAffinity(vCPU thread)",
};

static bool in_situation(const struct slot *s, const struct tcb *caller, enum situation sit)
{
	const struct cap *c = &s->cap;
	const struct tcb *x = (const struct tcb *)c->object;

	if (sit == SIT_REMOTE_VCPU)
		return c->type == MICA_OBJ_VCPU && runs_elsewhere(NULL, (const void *)c->object, 0);
	if (sit == SIT_REMOTE_SPACE)
		return (c->type == MICA_OBJ_VSPACE || c->type == MICA_OBJ_VM) && c->data != 0 &&
		       runs_elsewhere(NULL, NULL, c->data) && s >= root_slots &&
		       s < root_slots + (1 << ROOT_RADIX) && !is_protected(s);
	if (c->type != MICA_OBJ_TCB)
		return false;
	switch (sit) {
	case SIT_SELF:
		return x == caller;
	case SIT_RUNNING_ELSEWHERE:
		return x != caller && sched_cpus[x->cpu].current == x;
	case SIT_QUEUED:
		return x->state == THREAD_RUNNABLE && sched_cpus[x->cpu].current != x;
	case SIT_BLOCKED:
		return x->state != THREAD_RUNNABLE && x->state != THREAD_INACTIVE &&
		       x->state != THREAD_BLOCKED_WFI;
	case SIT_WFI:
		return x->state == THREAD_BLOCKED_WFI;
	case SIT_VCPU:
		return x->vcpu != NULL;
	case SIT_REMOTE_VCPU:
	case SIT_REMOTE_SPACE:
	case SIT_COUNT:
		break;
	}
	return false;
}

/* A capability in the view to an object in situation sit, chosen at random; how many there are. */
static unsigned find_object(const struct tcb *caller, enum situation sit, struct ref *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < view.count; i++)
		if (in_situation(view.refs[i].slot, caller, sit) && below(++n) == 0)
			*out = view.refs[i];
	return n;
}

/* An invocation of a vCPU whose state another CPU holds. */
static void build_remote_vcpu(struct call *c)
{
	static const unsigned weights[] = {50, 15, 15, 10, 10, 6};
	static const uint64_t labels[] = {MICA_VCPU_INJECT_IRQ, MICA_VCPU_READ_REG,
					  MICA_VCPU_WRITE_REG,	MICA_VCPU_CLEAR_IRQ,
					  MICA_VCPU_GET_STATE,	MICA_VCPU_SET_SGI};
	static const char *const names[] = {
		"VCPU.InjectIRQ(held elsewhere)", "VCPU.ReadReg(held elsewhere)",
		"VCPU.WriteReg(held elsewhere)",  "VCPU.ClearIRQ(held elsewhere)",
		"VCPU.GetState(held elsewhere)",  "VCPU.SetSGI(held elsewhere)"};
	unsigned which = PICK(weights);

	c->label = labels[which];
	c->name = names[which];
	if (c->label == MICA_VCPU_INJECT_IRQ) {
		call_arg(c, chance(80) ? 32 + below(8) : 27);
		call_arg(c, below(256));
		call_arg(c, chance(70) ? 0 : MICA_VIRQ_NOTIFY_EOI);
	} else if (c->label == MICA_VCPU_SET_SGI) {
		build_set_sgi(c);
	} else if (c->label != MICA_VCPU_GET_STATE) {
		call_arg(c, c->label == MICA_VCPU_CLEAR_IRQ ? 32 + below(8)
							    : below(MICA_VCPU_REG_COUNT));
		call_arg(c, rnd());
	}
}

/*
 * The address space in space, which another CPU translates through, goes:
 * its copies first (a revoke), then the capability itself, through the
 * root CNode. False if the caller cannot name the root CNode.
 */
static bool build_remote_space(struct call *c, const struct slot *space)
{
	const struct cap *root = &root_slots[SLOT_ROOT].cap;
	bool revoke = slot_has_children(space);

	if (!ref_to(&root_slots[SLOT_ROOT], &c->target))
		return false;
	c->label = revoke ? MICA_CNODE_REVOKE : MICA_CNODE_DELETE;
	c->name = revoke ? "CNode.Revoke(space in use elsewhere)"
			 : "CNode.Delete(space in use elsewhere)";
	call_arg(c, root->data << root->size_bits | (uint64_t)(space - root_slots));
	call_arg(c, root->guard_bits + root->size_bits);
	deep_context = revoke ? BY_REVOKE_OTHER : BY_DELETE;
	return true;
}

/*
 * The current host thread reaches across CPUs: it moves a thread in some
 * situation to a CPU, invokes a vCPU whose state another CPU holds (an
 * interrupt injected into a guest running there, its registers read or
 * written), or destroys an address space another CPU runs in. Of the
 * situations its CSpace offers, each is as likely as the others (a thread in
 * WFI is rare, a queued one is not), and a remote vCPU twice as likely.
 */
static void op_smp(struct tcb *t)
{
	unsigned weights[SIT_COUNT];
	struct call c = {0};
	struct ref r;
	enum situation sit;

	for (unsigned i = 0; i < SIT_COUNT; i++)
		weights[i] = find_object(t, (enum situation)i, &r) == 0 ? 0
			     : i == SIT_REMOTE_VCPU			? 2
									: 1;
	sit = (enum situation)PICK(weights);
	if (weights[sit] == 0 || !find_object(t, sit, &r) ||
	    (sit == SIT_REMOTE_SPACE && !build_remote_space(&c, r.slot))) {
		op_invoke(t); /* Nothing to move or reach: the caller does something else. */
		return;
	}
	if (sit == SIT_REMOTE_SPACE) {
		perform(t, &c);
		deep_context = BY_OTHER;
		return;
	}
	c.target = r;
	if (sit == SIT_REMOTE_VCPU) {
		build_remote_vcpu(&c);
		perform(t, &c);
		return;
	}
	{
		const struct tcb *target = (const struct tcb *)r.slot->cap.object;
		unsigned was = target->cpu;

		c.label = MICA_TCB_SET_AFFINITY;
		c.name = affinity_names[sit];
		call_arg(&c, cpu_arg());
		perform(t, &c);
		if (target->cpu != was) /* SetAffinity destroys nothing: target lives. */
			totals.migrations++;
	}
}

/* Worlds ------------------------------------------------------------------------------------- */

static void must(enum mica_error err, const char *what)
{
	if (err != MICA_OK)
		fuzz_fail("setting up the world: %s: error %d", what, err);
}

static void retype_root(unsigned from, enum mica_object_type type, unsigned bits, unsigned dest)
{
	must(untyped_retype(&root_slots[from], type, bits, &root_slots[SLOT_ROOT].cap, dest, 1,
			    world_pool(type)),
	     "retype");
}

/* A thread in a fuzz slot, in the root CSpace and the world's VSpace, runnable. */
static void seed_thread(unsigned slot)
{
	struct tcb *t;

	retype_root(SLOT_BIG_UNTYPED, MICA_OBJ_TCB, 0, slot);
	t = (struct tcb *)root_slots[slot].cap.object;
	must(cnode_copy(&t->slots[TCB_SLOT_CSPACE], &root_slots[SLOT_ROOT], MICA_RIGHTS_ALL, false,
			0),
	     "CSpace");
	must(cnode_copy(&t->slots[TCB_SLOT_VSPACE], &root_slots[SLOT_VSPACE], MICA_RIGHTS_ALL,
			false, 0),
	     "VSpace");
	tcb_spaces_changed(t);
	t->priority = (uint8_t)(97 + below(7));
	t->mcp = MICA_MAX_PRIORITY;
	thread_set_cpu(t, below(smp_cpu_count));
	sched_wake(t);
}

/*
 * The world's VSpace and its first VM start with tables at 0x400000 and a
 * frame mapped there (the seeded objects' slots: frames, then tables).
 */
static void seed_mappings(void)
{
	const unsigned frame = FUZZ_FIRST + 4 + 6, table = frame + 2, vm = table + 5;
	const struct cap *vspace = &root_slots[SLOT_VSPACE].cap;

	for (unsigned i = 0; i < 4; i++)
		must(page_table_map(&root_slots[table + i], i < 2 ? vspace : &root_slots[vm].cap,
				    0x400000),
		     "page table");
	must(frame_map(&root_slots[frame], vspace, 0x400000, MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0),
	     "frame");
	must(frame_map(&root_slots[frame + 1], &root_slots[vm].cap, 0x401000,
		       MICA_RIGHT_READ | MICA_RIGHT_WRITE, 0),
	     "frame in the VM");
}

/*
 * A guest: a thread from the big Untyped bound to the seeded vCPU in
 * vcpu_slot, running in the world's VM on a CPU of its own, its exits going
 * to the first endpoint, where the world's threads may serve them. So from
 * the start one CPU holds a vCPU's state that the others reach.
 */
static void seed_guest(unsigned slot, unsigned vcpu_slot)
{
	const unsigned vm = FUZZ_FIRST + 17, vmm_ep = FUZZ_FIRST + 4;
	struct vcpu *v = (struct vcpu *)root_slots[vcpu_slot].cap.object;
	struct invocation entry = {.label = MICA_VCPU_SET_ENTRY, .length = 2, .arg = {0x80000, 0}};
	struct tcb *t;

	retype_root(SLOT_BIG_UNTYPED, MICA_OBJ_TCB, 0, slot);
	t = (struct tcb *)root_slots[slot].cap.object;
	must(vcpu_invoke(&entry, v), "vCPU entry");
	must(vcpu_bind(v, t), "vCPU binding");
	must(cnode_copy(&t->slots[TCB_SLOT_CSPACE], &root_slots[SLOT_ROOT], MICA_RIGHTS_ALL, false,
			0),
	     "guest CSpace");
	must(cnode_copy(&t->slots[TCB_SLOT_VSPACE], &root_slots[vm], MICA_RIGHTS_ALL, false, 0),
	     "guest VM");
	must(cnode_copy(&t->slots[TCB_SLOT_FAULT_EP], &root_slots[vmm_ep], MICA_RIGHTS_ALL, false,
			0),
	     "guest's VMM endpoint");
	tcb_spaces_changed(t);
	t->priority = (uint8_t)(97 + below(7));
	t->mcp = MICA_MAX_PRIORITY;
	thread_set_cpu(t, below(smp_cpu_count));
	sched_wake(t);
}

/*
 * The world's two vCPUs take every SGI, at priorities of their own, and
 * are its VM's SGI targets 0 and 1: so guests' SGIs are routed from the
 * start, and the bindings hold capabilities to vCPUs the fuzzer may delete.
 */
static void seed_sgi_targets(void)
{
	const unsigned vm = FUZZ_FIRST + 17, first_vcpu = FUZZ_FIRST + 18;

	for (unsigned i = 0; i < 2; i++) {
		struct invocation sgi = {
			.label = MICA_VCPU_SET_SGI, .length = 3, .arg = {0xffff, rnd(), rnd()}};

		must(vcpu_invoke(&sgi, (struct vcpu *)root_slots[first_vcpu + i].cap.object),
		     "vCPU SGIs");
		must(vm_bind(vm_of(&root_slots[vm].cap)->sgi_vcpu, VM_SGI_TARGETS, i,
			     &root_slots[first_vcpu + i], MICA_RIGHTS_ALL),
		     "SGI target");
	}
}

/*
 * A thread confined to a CSpace of its own: a CNode (radix 3) from the
 * small Untyped, minted with a guard that makes it resolve in one level
 * (the kind the fastpath caches), holding copies of the world's first
 * endpoints, a reply object and the notification. The thread itself comes
 * from the big Untyped, so revoking the small one takes its CSpace away
 * while it runs on.
 */
static void seed_tenant(unsigned slot, unsigned reply)
{
	const unsigned cnode = slot, minted = slot + 1, tcb = slot + 2;
	static const unsigned contents[] = {0, FUZZ_FIRST + 4, 0, FUZZ_FIRST + 9, FUZZ_FIRST + 5};
	struct slot *slots;
	struct tcb *t;

	retype_root(SLOT_SMALL_UNTYPED, MICA_OBJ_CNODE, 3, cnode);
	must(cnode_copy(&root_slots[minted], &root_slots[cnode], MICA_RIGHTS_ALL, true, 64 - 3),
	     "mint");
	slots = (struct slot *)root_slots[cnode].cap.object;
	for (unsigned i = 1; i < 5; i++)
		must(cnode_copy(&slots[i], &root_slots[i == 2 ? reply : contents[i]],
				MICA_RIGHTS_ALL, false, 0),
		     "CNode contents");
	retype_root(SLOT_BIG_UNTYPED, MICA_OBJ_TCB, 0, tcb);
	t = (struct tcb *)root_slots[tcb].cap.object;
	must(cnode_copy(&t->slots[TCB_SLOT_CSPACE], &root_slots[minted], MICA_RIGHTS_ALL, false, 0),
	     "tenant CSpace");
	must(cnode_copy(&t->slots[TCB_SLOT_VSPACE], &root_slots[SLOT_VSPACE], MICA_RIGHTS_ALL,
			false, 0),
	     "tenant VSpace");
	tcb_spaces_changed(t);
	t->priority = (uint8_t)(97 + below(7));
	thread_set_cpu(t, below(smp_cpu_count));
	sched_wake(t);
}

/*
 * kernel_world's world, and: the guardian (the root task's stand-in, woken
 * by interrupt 32 through its bound notification), three Untypeds for the
 * fuzzer's objects, and a few threads (one a guest) and objects to start
 * from, the threads spread over the CPUs.
 */
static void world_begin(void)
{
	unsigned slot = FUZZ_FIRST;
	static const enum mica_object_type objects[] = {
		MICA_OBJ_ENDPOINT,   MICA_OBJ_ENDPOINT,	  MICA_OBJ_REPLY,
		MICA_OBJ_REPLY,	     MICA_OBJ_REPLY,	  MICA_OBJ_NOTIFICATION,
		MICA_OBJ_FRAME_4K,   MICA_OBJ_FRAME_4K,	  MICA_OBJ_PAGE_TABLE,
		MICA_OBJ_PAGE_TABLE, MICA_OBJ_PAGE_TABLE, MICA_OBJ_PAGE_TABLE,
		MICA_OBJ_VSPACE,     MICA_OBJ_VM,	  MICA_OBJ_VCPU,
		MICA_OBJ_VCPU,
	};

	world_setup(NULL);
	totals.worlds++;
	vgic_set_timer_intid(VGIC_TIMER_VIRT, 27);
	vgic_set_timer_intid(VGIC_TIMER_PHYS, 30);
	smp_cpu_count = MIN_CPUS + below(MAX_CPUS - MIN_CPUS + 1);
	totals.cpus += smp_cpu_count;
	memset(fp_shadow, 0, sizeof(fp_shadow));
	memset(el1_shadow, 0, sizeof(el1_shadow));
	/*
	 * In half the worlds, preemption points find an interrupt waiting now
	 * and then: revokes and retypes stop part-way (ERR_PREEMPTED), and the
	 * thread may or may not make the call again.
	 */
	fake_preempt_every = chance(50) ? 2 + (unsigned)below(8) : 0;
	slot_insert(&root_slots[SLOT_IRQ_CONTROL],
		    (struct cap){.type = MICA_OBJ_IRQ_CONTROL, .rights = MICA_RIGHTS_ALL}, NULL);
	slot_insert(&root_slots[SLOT_ASID_CONTROL],
		    (struct cap){.type = MICA_OBJ_ASID_CONTROL, .rights = MICA_RIGHTS_ALL}, NULL);
	guardian = make_thread(GUARDIAN_PRIORITY);
	memcpy(guardian->name, "guardian", 9);
	retype_root(SLOT_UNTYPED, MICA_OBJ_FRAME_4K, 0, SLOT_GUARDIAN_IPC);
	must(cnode_copy(&guardian->slots[TCB_SLOT_IPC_BUFFER], &root_slots[SLOT_GUARDIAN_IPC],
			MICA_RIGHTS_ALL, false, 0),
	     "IPC buffer");
	guardian->ipc_buffer_va = 0x10000;
	notification_bind((struct notification *)root_slots[SLOT_NTFN].cap.object, guardian);
	must(irq_control_get(IRQ_FIRST, &root_slots[SLOT_IRQ_GUARDIAN],
			     &root_slots[SLOT_IRQ_CONTROL]),
	     "IRQ");
	irq_handler_set_notification(IRQ_FIRST, &root_slots[SLOT_NTFN].cap);
	retype_root(SLOT_UNTYPED, MICA_OBJ_UNTYPED, 16, SLOT_SMALL_UNTYPED);
	retype_root(SLOT_UNTYPED, MICA_OBJ_UNTYPED, 20, SLOT_MEDIUM_UNTYPED);
	retype_root(SLOT_UNTYPED, MICA_OBJ_UNTYPED, 21, SLOT_BIG_UNTYPED);
	for (unsigned i = 0; i < 4; i++)
		seed_thread(slot++);
	for (unsigned i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		retype_root(SLOT_BIG_UNTYPED, objects[i], 0, slot++);
	retype_root(SLOT_BIG_UNTYPED, MICA_OBJ_CNODE, 2, slot++);
	seed_mappings();
	for (unsigned i = 0; i < 2; i++, slot += 3)
		seed_tenant(slot, FUZZ_FIRST + 6 + i);
	seed_guest(slot++, FUZZ_FIRST + 18);
	seed_sgi_targets();
	/* Free memory is poisoned from the start: nothing may touch it before a retype. */
	touch_untyped(&root_slots[SLOT_SMALL_UNTYPED]);
	touch_untyped(&root_slots[SLOT_MEDIUM_UNTYPED]);
	touch_untyped(&root_slots[SLOT_BIG_UNTYPED]);
	poison_after_op();
	run(guardian);
	/* The other CPUs come up as on hardware: each schedules, and idles if it has nothing. */
	for (unsigned cpu = 1; cpu < smp_cpu_count; cpu++) {
		fake_cpu_switch(cpu);
		ENTER(false, (void)schedule());
	}
	fake_cpu_switch(0);
	abandoned = false;
	memset(freed, 0, sizeof(freed));
}

/*
 * Tear the world down through the kernel (interrupt handlers, then every
 * object, then the root CNode's own capabilities); nothing may be left
 * queued to run.
 */
static void world_end(void)
{
	describe("tearing the world down");
	deep_context = BY_TEARDOWN;
	(void)smp_lock_entry(NULL, false);
	slot_revoke(&root_slots[SLOT_IRQ_CONTROL]);
	slot_revoke(&root_slots[SLOT_UNTYPED]);
	for (unsigned i = 0; i < (1u << ROOT_RADIX); i++)
		slot_delete(&root_slots[i]);
	smp_unlock();
	deep_context = BY_OTHER;
	dead_count = 0;
	touched_count = 0;
	if (debug_check(&root_slots[SLOT_ROOT].cap) != 0)
		fuzz_fail("debug_check after tearing the world down");
	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		const struct sched_cpu *c = &sched_cpus[cpu];

		for (unsigned w = 0; w < BITMAP_WORDS; w++)
			if (c->queue.bitmap[w] != 0)
				fuzz_fail("threads left in cpu %u's run queue after the world is "
					  "gone",
					  cpu);
		if (c->fp_owner != NULL || c->loaded_vcpu != NULL)
			fuzz_fail("cpu %u still holds a thread's or vCPU's state after the world "
				  "is gone",
				  cpu);
		if (c->active_vs != sched_empty_vspace_token &&
		    c->active_vs != sched_empty_vm_token)
			fuzz_fail("cpu %u translates through %#llx after every address space is "
				  "gone",
				  cpu, (unsigned long long)c->active_vs);
	}
	ASAN_UNPOISON_MEMORY_REGION(ram, (size_t)1 << RAM_BITS);
	world_teardown(NULL);
}

/* The checks after every operation ---------------------------------------------------------- */

/*
 * The objects that live (have a capability): every capability is in the
 * derivation tree of the Untyped all memory comes from, a dying TCB's or
 * CNode's last one too (a zombie, its type kept in reserved).
 */
#define MAX_LIVE 2048
static struct {
	const void *tcb[MAX_LIVE];
	const void *vcpu[MAX_LIVE];
	uint64_t token[MAX_LIVE];
	unsigned tcbs, vcpus, tokens;
} live;

static void live_add(const void **set, unsigned *n, const void *o)
{
	if (*n < MAX_LIVE)
		set[(*n)++] = o;
}

/* Note vm's SGI bindings, if it has any. */
static void find_sgi_bound(const struct vm *vm)
{
	bool any = false;

	for (unsigned n = 0; n < VM_SGI_TARGETS; n++) {
		const struct cap *c = &vm->sgi_vcpu[n].cap;

		if (c->type != MICA_OBJ_VCPU)
			continue;
		any = true;
		if (sgi_bound.vcpus < MAX_SGI_BOUND)
			sgi_bound.vcpu[sgi_bound.vcpus++] = (const void *)c->object;
	}
	if (any && sgi_bound.vms < MAX_SGI_BOUND)
		sgi_bound.vm[sgi_bound.vms++] = vm;
}

static void find_live(void)
{
	const struct slot *root = &root_slots[SLOT_UNTYPED];

	live.tcbs = live.vcpus = live.tokens = 0;
	sgi_bound.vms = sgi_bound.vcpus = 0;
	for (const struct slot *s = root; s != NULL;) {
		unsigned type = slot_is_zombie(s) ? s->cap.reserved : s->cap.type;

		if (type == MICA_OBJ_TCB)
			live_add(live.tcb, &live.tcbs, (const void *)s->cap.object);
		else if (type == MICA_OBJ_VCPU)
			live_add(live.vcpu, &live.vcpus, (const void *)s->cap.object);
		else if ((type == MICA_OBJ_VSPACE || type == MICA_OBJ_VM) && live.tokens < MAX_LIVE)
			live.token[live.tokens++] = s->cap.data;
		if (type == MICA_OBJ_VM && !slot_is_zombie(s))
			find_sgi_bound(vm_of(&s->cap));
		/* Depth first: children, then the next sibling of the nearest ancestor with one. */
		if (s->first_child != NULL) {
			s = s->first_child;
			continue;
		}
		while (s != root && s->next_sibling == NULL)
			s = s->parent;
		s = s == root ? NULL : s->next_sibling;
	}
}

static bool is_live(const void *const *set, unsigned n, const void *o)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == o)
			return true;
	return false;
}

static bool token_is_live(uint64_t token)
{
	if (token == sched_empty_vspace_token || token == sched_empty_vm_token)
		return true;
	for (unsigned i = 0; i < live.tokens; i++)
		if (live.token[i] == token)
			return true;
	return false;
}

/* What CPU cpu runs: a live thread, placed on it, that may run, as it must run. */
static void check_current(unsigned cpu, const struct tcb *cur)
{
	if (!is_live(live.tcb, live.tcbs, cur) || cur->is_destroyed)
		fuzz_fail("cpu %u runs thread %#lx, which is destroyed", cpu, thread_id(cur));
	if (cur->state != THREAD_RUNNABLE)
		fuzz_fail("the current thread %#lx of cpu %u is not runnable (state %d)",
			  thread_id(cur), cpu, cur->state);
	if ((cur->vcpu != NULL) != cur->regs.is_guest)
		fuzz_fail("the current thread %#lx runs at the wrong level (vCPU %p, guest %d)",
			  thread_id(cur), (void *)cur->vcpu, cur->regs.is_guest);
	if (!thread_space_fits(cur, &cur->slots[TCB_SLOT_VSPACE].cap))
		fuzz_fail("the current thread %#lx runs in a space of the wrong kind (type %u)",
			  thread_id(cur), cur->slots[TCB_SLOT_VSPACE].cap.type);
	if (cur->vcpu != NULL && sched_cpus[cpu].loaded_vcpu != cur->vcpu)
		fuzz_fail("cpu %u runs the guest of vCPU %#lx with vCPU %#lx's EL1 state", cpu,
			  object_id(cur->vcpu), object_id(sched_cpus[cpu].loaded_vcpu));
	for (unsigned other = 0; other < cpu; other++)
		if (sched_cpus[other].current == cur)
			fuzz_fail("thread %#lx runs on cpu %u and cpu %u at once", thread_id(cur),
				  other, cpu);
}

/*
 * What CPU cpu holds lazily: live objects' state, held by no other CPU; a
 * vCPU's in the CPU's own registers; the FP/SIMD unit open only for the
 * thread it runs, if that thread owns the registers (or while it idles);
 * an address space that
 * lives, the one its MMU really uses.
 */
static void check_held(unsigned cpu)
{
	const struct sched_cpu *c = &sched_cpus[cpu];
	const struct fake_cpu *f = &fake_cpus[cpu];

	if (c->fp_owner != NULL &&
	    (!is_live(live.tcb, live.tcbs, c->fp_owner) || c->fp_owner->is_destroyed))
		fuzz_fail("cpu %u holds the FP/SIMD registers of thread %#lx, which is destroyed",
			  cpu, thread_id(c->fp_owner));
	/* Idle, it may keep the unit open: the switch to the next thread closes it. */
	if (c->fp_on != f->fp_on || (c->fp_on && c->current != NULL && c->current != c->fp_owner))
		fuzz_fail("cpu %u's FP/SIMD unit is %s (the kernel thinks %s) while it runs %#lx, "
			  "owner %#lx",
			  cpu, f->fp_on ? "open" : "closed", c->fp_on ? "open" : "closed",
			  thread_id(c->current), thread_id(c->fp_owner));
	if (c->loaded_vcpu != NULL) {
		if (!is_live(live.vcpu, live.vcpus, c->loaded_vcpu))
			fuzz_fail("cpu %u holds the state of vCPU %#lx, which is destroyed", cpu,
				  object_id(c->loaded_vcpu));
		if (c->loaded_vcpu->arch.held_by != cpu + 1)
			fuzz_fail("cpu %u believes it holds vCPU %#lx's state, which is %s", cpu,
				  object_id(c->loaded_vcpu),
				  c->loaded_vcpu->arch.held_by == 0 ? "in memory"
								    : "in another CPU's registers");
	}
	if (!token_is_live(c->active_vs))
		fuzz_fail("cpu %u translates through address space %#llx, which is destroyed", cpu,
			  (unsigned long long)c->active_vs);
	if (f->active_token != c->active_vs)
		fuzz_fail("cpu %u translates through %#llx, the kernel thinks through %#llx", cpu,
			  (unsigned long long)f->active_token, (unsigned long long)c->active_vs);
	for (unsigned other = 0; other < cpu; other++) {
		const struct sched_cpu *o = &sched_cpus[other];

		if (c->fp_owner != NULL && o->fp_owner == c->fp_owner)
			fuzz_fail("cpu %u and cpu %u both hold thread %#lx's FP/SIMD registers",
				  other, cpu, thread_id(c->fp_owner));
		if (c->loaded_vcpu != NULL && o->loaded_vcpu == c->loaded_vcpu)
			fuzz_fail("cpu %u and cpu %u both hold vCPU %#lx's state", other, cpu,
				  object_id(c->loaded_vcpu));
	}
}

/*
 * A CPU with no thread idles, or has a kick to take (it was stalled, say);
 * an idle one with threads queued was kicked (a wakeup is never lost); and
 * no thread that may run is left out of every run queue.
 */
static void check_progress(unsigned cpu)
{
	const struct sched_cpu *c = &sched_cpus[cpu];
	const struct fake_cpu *f = &fake_cpus[cpu];
	bool queued = false;

	for (unsigned w = 0; w < BITMAP_WORDS; w++)
		queued |= c->queue.bitmap[w] != 0;
	if (c->current == NULL && !f->idle && !f->ipi_pending)
		fuzz_fail("cpu %u runs no thread, yet neither idles nor has a kick to take", cpu);
	if (f->idle && c->current != NULL)
		fuzz_fail("cpu %u idles with a current thread %#lx", cpu, thread_id(c->current));
	if (f->idle && queued && !f->ipi_pending)
		fuzz_fail("cpu %u idles with threads in its run queue and no kick", cpu);
}

static void check_runnable(void)
{
	for (unsigned i = 0; i < live.tcbs; i++) {
		const struct tcb *t = live.tcb[i];
		const struct sched_cpu *c;

		if (t->cpu >= smp_cpu_count)
			fuzz_fail("thread %#lx is placed on cpu %u, which is not there",
				  thread_id(t), t->cpu);
		c = &sched_cpus[t->cpu];
		if (t->is_destroyed || t->state != THREAD_RUNNABLE || c->current == t)
			continue;
		if (c->queue.head[t->priority] != t && t->sched_prev == NULL)
			fuzz_fail(
				"runnable thread %#lx is neither running nor in cpu %u's run queue",
				thread_id(t), t->cpu);
	}
}

/*
 * The lock is free, and no CPU has a stall left to answer: asked again now,
 * a CPU would give up what it holds, and closing its FP/SIMD unit is
 * always part of that (smp.c serve_stall).
 */
static void check_lock(void)
{
	unsigned me = fake_cpu_now;

	if ((smp_big_lock & 0xff) != 0)
		fuzz_fail("the kernel lock is held between operations (by cpu %u)",
			  (smp_big_lock & 0xff) - 1);
	if (smp_lock_sleepers != 0 || smp_lock_starving != 0)
		fuzz_fail("CPUs wait for the kernel lock between operations (asleep 0x%x, "
			  "starving 0x%x)",
			  smp_lock_sleepers, smp_lock_starving);
	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		unsigned closes = fake_cpus[cpu].fp_closes;

		fake_cpu_switch(cpu);
		smp_answer_stall();
		if (fake_cpus[cpu].fp_closes != closes)
			fuzz_fail("cpu %u had a stall left to answer after the operation", cpu);
	}
	fake_cpu_switch(me);
}

static void check(void)
{
	unsigned bad = debug_check(&root_slots[SLOT_ROOT].cap);

	if (bad != 0)
		fuzz_fail("debug_check found %u broken invariants", bad);
	find_live();
	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		if (sched_cpus[cpu].arch.index != cpu)
			fuzz_fail("cpu %u's per-CPU data says it is cpu %u", cpu,
				  sched_cpus[cpu].arch.index);
		if (sched_cpus[cpu].current != NULL)
			check_current(cpu, sched_cpus[cpu].current);
		check_held(cpu);
		check_progress(cpu);
	}
	check_runnable();
	check_lock();
}

/* The view's address of slot s, if it has one. */
static bool ref_to(const struct slot *s, struct ref *out)
{
	for (unsigned i = 0; i < view.count; i++) {
		if (view.refs[i].slot == s) {
			*out = view.refs[i];
			return true;
		}
	}
	return false;
}

/* A TCB capability in the view whose thread is stopped. */
static bool find_stopped(struct ref *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < view.count; i++) {
		const struct cap *c = &view.refs[i].slot->cap;

		const struct tcb *t = (const struct tcb *)c->object;

		/* One whose vCPU went Invalid can never run again: not worth the time. */
		if (c->type == MICA_OBJ_TCB && t->state == THREAD_INACTIVE &&
		    (t->vcpu == NULL || t->vcpu->state != MICA_VCPU_INVALID) && below(++n) == 0)
			*out = view.refs[i];
	}
	return n != 0;
}

/*
 * The guardian runs only when no other thread can (it has priority 0): the
 * root task's stand-in that keeps the world going. It restarts stopped
 * threads (giving them spaces that fit, and a priority, first), makes new
 * objects, invokes at random like any thread, and now and then waits on
 * its endpoint, where its bound notification (interrupt 32) finds it, so
 * that the CPU idles too. Other threads may do anything to it.
 */
static void op_supervise(struct tcb *t)
{
	static const unsigned weights[] = {40, 15, 35, 10};
	struct call c = {0};
	struct ref r, ep, reply;
	const struct tcb *s;

	switch (PICK(weights)) {
	case 0:
		if (!find_stopped(&c.target) || c.target.slot == NULL)
			break;
		s = (const struct tcb *)c.target.slot->cap.object;
		if (s->vcpu == NULL && chance(15) && find_cap(&view, MICA_OBJ_VCPU, &r)) {
			c.label = MICA_TCB_BIND_VCPU; /* A vCPU thread-to-be: a VM next. */
			call_cap(&c, r);
		} else if (s->slots[TCB_SLOT_CSPACE].cap.type != MICA_OBJ_CNODE ||
			   tcb_vspace(s) == NULL || !thread_space_fits(s, tcb_vspace(s))) {
			c.label = MICA_TCB_SET_SPACE;
			call_cap(&c, chance(70) && ref_to(&root_slots[SLOT_ROOT], &r)
					     ? r
					     : cspace_arg());
			if (s->vcpu == NULL && ref_to(&root_slots[SLOT_VSPACE], &r))
				call_cap(&c, r);
			else if (find_cap(&view, s->vcpu != NULL ? MICA_OBJ_VM : MICA_OBJ_VSPACE,
					  &r))
				call_cap(&c, r);
			else
				break;
			call_cap(&c, opt_cap_arg(&view, MICA_OBJ_ENDPOINT, 50));
		} else if (s->priority < 90 && chance(70)) {
			c.label = MICA_TCB_SET_PRIORITY;
			call_arg(&c, 95 + below(11));
		} else {
			c.label = MICA_TCB_RESUME;
		}
		c.name = call_name(MICA_OBJ_TCB, c.label);
		perform(t, &c);
		return;
	case 1:
		if (!find_cap(&view, MICA_OBJ_UNTYPED, &c.target))
			break;
		build_untyped(t, &c);
		c.name = "Untyped.Retype";
		perform(t, &c);
		return;
	case 3:
		if (!ref_to(&root_slots[SLOT_EP], &ep) || !ref_to(&root_slots[SLOT_REPLY], &reply))
			break;
		describe("guardian %#lx waits on its endpoint", thread_id(t));
		(void)syscall(t, MICA_SYS_RECV, ep.cptr, 0, reply.cptr, NULL);
		record("guardian.Recv", thread_outcome(t, t->regs.x[6]), t->regs.x[6]);
		return;
	default:
		break;
	}
	op_invoke(t);
}

/*
 * The CPU the next operation happens on: one that runs a thread more
 * often than an idle one, and one with a kick to take more often still.
 */
static unsigned choose_cpu(void)
{
	unsigned weights[MAX_CPUS];

	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++)
		weights[cpu] = (sched_cpus[cpu].current != NULL ? 6 : 1) +
			       (fake_cpus[cpu].ipi_pending ? 6 : 0);
	return pick(weights, smp_cpu_count);
}

/*
 * Is the world alive? Some CPU runs a thread, or has a kick to take
 * (*idle_run counts operations in a row with neither); and some CPU runs
 * a thread other than the guardian (*guardian_run counts those without).
 */
static void count_progress(unsigned *idle_run, unsigned *guardian_run)
{
	bool running = false, kicked = false, others = false;

	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		const struct tcb *cur = sched_cpus[cpu].current;

		running |= cur != NULL;
		kicked |= fake_cpus[cpu].ipi_pending;
		others |= cur != NULL && cur != guardian;
	}
	*idle_run = running || kicked ? 0 : *idle_run + 1;
	*guardian_run = others ? 0 : *guardian_run + 1;
}

/* One operation, on a CPU chosen at random, by whoever can act there now. */
static void one_op(unsigned *idle_run, unsigned *guardian_run)
{
	static const unsigned host_weights[] = {38, 50, 5, 2, 5, 6};
	unsigned cpu;
	struct tcb *cur;

	abandoned = false;
	if (*idle_run > IDLE_LIMIT || *guardian_run > GUARDIAN_LIMIT) {
		/* Nothing (or only the guardian) can ever run again: a new world. */
		world_end();
		world_begin();
		*idle_run = 0;
		*guardian_run = 0;
		describe("a new world (the last one could not run any more)");
		record("world.reset", OUT_OK, 0);
		return;
	}
	count_progress(idle_run, guardian_run);
	cpu = choose_cpu();
	fake_cpu_switch(cpu);
	cur = thread_current();
	/* A kick is taken before anything else the CPU would do, mostly. */
	if (fake_cpus[cpu].ipi_pending && chance(90)) {
		op_take_ipi();
		return;
	}
	if (cur == NULL) {
		totals.idle_ops++;
		op_interrupt();
		return;
	}
	view_of(&cur->slots[TCB_SLOT_CSPACE].cap, &view);
	if (cur->vcpu == NULL && cur->slots[TCB_SLOT_CSPACE].cap.type == MICA_OBJ_NULL) {
		totals.orphan_ops++;
		if (cur->fast_slots != NULL && cur->fast_slots != root_slots)
			totals.stale_cache_ops++;
	}
	if (cur->vcpu == NULL && !find_cap(&view, MICA_OBJ_NULL, &(struct ref){0}) && chance(80)) {
		/*
		 * Nothing in its CSpace (revoked from under it, say): it goes on
		 * making system calls, which must fail, or faults and stops.
		 */
		if (chance(40))
			op_user_access(cur);
		else
			op_ipc(cur);
		return;
	}
	if (cur == guardian && cur->vcpu == NULL) {
		if (chance(95))
			op_supervise(cur);
		else
			op_interrupt();
		return;
	}
	if (cur->vcpu != NULL) {
		if (chance(90))
			op_guest(cur);
		else
			op_interrupt();
		return;
	}
	switch (PICK(host_weights)) {
	case 0:
		op_ipc(cur);
		break;
	case 1:
		op_invoke(cur);
		break;
	case 2:
		op_user_access(cur);
		break;
	case 3:
		op_fp(cur);
		break;
	case 4:
		op_interrupt();
		break;
	default:
		op_smp(cur);
		break;
	}
}

/* Count the kicks the operation sent, and show them when tracing. */
static void note_ipis(void)
{
	char sent[64] = "";
	size_t used = 0;

	for (unsigned cpu = 0; cpu < smp_cpu_count; cpu++) {
		unsigned n = ipis_now(cpu);

		totals.ipis += n;
		if (n != 0 && used < sizeof(sent))
			used += (size_t)snprintf(sent + used, sizeof(sent) - used, " cpu %u (%u)",
						 cpu, n);
	}
	if (used != 0 && ctx.op >= ctx.trace_from)
		fprintf(stderr, "[%llu:%lu]   IPIs sent to%s\n", (unsigned long long)ctx.seed,
			ctx.op, sent);
}

static void run_seed(uint64_t seed, unsigned long ops)
{
	unsigned idle_run = 0, guardian_run = 0;

	rng = seed;
	ctx.seed = seed;
	ctx.running = true;
	ctx.op = 0;
	describe("building the world");
	world_begin();
	for (ctx.op = 0; ctx.op < ops; ctx.op++) {
		console_len = 0;
		console[0] = '\0';
		for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
			ipis_before[cpu] = fake_cpus[cpu].ipis;
		one_op(&idle_run, &guardian_run);
		poison_after_op();
		deep_context = BY_OTHER;
		check();
		note_ipis();
		totals.ops++;
	}
	console_len = 0;
	world_end();
	ctx.running = false;
}

/* The summary --------------------------------------------------------------------------------- */

static void print_summary(void)
{
	static const char *const by_names[BY_COUNT] = {"revoke Untyped", "revoke other", "delete",
						       "other", "teardown"};

	printf("\n%-28s %9s %7s %8s %8s  %s\n", "operation", "count", "ok%", "refused%", "blocked%",
	       "most common refusal");
	for (unsigned i = 0; i < kind_count; i++) {
		const struct kind_stats *k = &kinds[i];
		unsigned long n = k->count[OUT_OK] + k->count[OUT_REFUSED] + k->count[OUT_BLOCKED];
		unsigned top = 0;

		for (unsigned e = 1; e < sizeof(k->errors) / sizeof(k->errors[0]); e++)
			if (k->errors[e] > k->errors[top])
				top = e;
		printf("%-28s %9lu %6.1f%% %7.1f%% %7.1f%%  ", k->name, n,
		       100.0 * (double)k->count[OUT_OK] / (double)n,
		       100.0 * (double)k->count[OUT_REFUSED] / (double)n,
		       100.0 * (double)k->count[OUT_BLOCKED] / (double)n);
		if (k->count[OUT_REFUSED] != 0)
			printf("error %u (%lu)", top, k->errors[top]);
		printf("\n");
	}
	printf("\ndestroyed while in use, by      %15s %13s %8s %8s %9s\n", by_names[0],
	       by_names[1], by_names[2], by_names[3], by_names[4]);
	for (unsigned s = 0; s < DEEP_COUNT; s++)
		printf("  %-38s %12lu %13lu %8lu %8lu %9lu\n", deep_names[s],
		       deep[s][BY_REVOKE_UNTYPED], deep[s][BY_REVOKE_OTHER], deep[s][BY_DELETE],
		       deep[s][BY_OTHER], deep[s][BY_TEARDOWN]);
	printf("\n%lu operations in %lu worlds; %lu revokes of an Untyped with objects, %lu "
	       "retypes into memory a revoke gave back;\n%lu fastpath attempts, %lu completed "
	       "there; the CPU idled %lu times (%lu operations while idle);\n%lu operations by "
	       "threads whose CSpace was taken from under them (%lu with a CNode of its own "
	       "cached by the fastpath)\n",
	       totals.ops, totals.worlds, totals.revokes_with_children, totals.reused_memory,
	       totals.fastpath_calls, totals.fastpath_done, totals.idle_entries, totals.idle_ops,
	       totals.orphan_ops, totals.stale_cache_ops);
	printf("%.1f CPUs a world on average; %lu IPIs sent, %lu taken; %lu entries abandoned "
	       "for a stall; %lu threads moved to another CPU by SetAffinity\n",
	       (double)totals.cpus / (double)totals.worlds, totals.ipis, totals.ipis_taken,
	       totals.abandoned_entries, totals.migrations);
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz_kernel [--seed N]... [--ops M] [--trace-from N] [--quiet]\n"
			"  Without --seed: seeds 1..3. Default --ops: 20000 per seed.\n");
	exit(2);
}

static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*s == '\0' || *end != '\0')
		usage();
	return v;
}

int main(int argc, char **argv)
{
	uint64_t seeds[64];
	unsigned seed_count = 0;
	unsigned long ops = DEFAULT_OPS;
	bool quiet = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc && seed_count < 64)
			seeds[seed_count++] = number(argv[++i]);
		else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
			ops = (unsigned long)number(argv[++i]);
		else if (strcmp(argv[i], "--trace-from") == 0 && i + 1 < argc)
			ctx.trace_from = (unsigned long)number(argv[++i]);
		else if (strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else
			usage();
	}
	if (seed_count == 0)
		for (seed_count = 0; seed_count < DEFAULT_SEEDS; seed_count++)
			seeds[seed_count] = seed_count + 1;
	ctx.ops = ops;
	fake_misuse = fake_cpu_misused;
	__sanitizer_set_death_callback(report_context);
	(void)atexit(report_context);
	for (unsigned i = 0; i < seed_count; i++) {
		run_seed(seeds[i], ops);
		printf("fuzz_kernel: seed %llu: %lu operations, every check held\n",
		       (unsigned long long)seeds[i], ops);
		fflush(stdout);
	}
	if (!quiet)
		print_summary();
	return 0;
}
