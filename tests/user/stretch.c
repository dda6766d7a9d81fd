/*
 * How long the kernel runs with interrupts masked during its longest
 * operations (issue 11, item 11), measured on the test kernel under
 * QEMU's -icount, where the cycle counter counts executed instructions:
 * MICA_SYS_DEBUG_STRETCH gives the longest stretch from a kernel entry to
 * the next point where a waiting interrupt would be taken (the return to
 * a thread, a preemption point, idling).
 *
 * Clearing a large Untyped on its first retype and revoking a large tree
 * of capabilities have preemption points, so their stretches stay short
 * however much work they do; the test checks a bound. Destroying a CNode
 * full of capabilities has none yet: that figure is printed for the
 * record (docs/security.md).
 */
#include <mica/abi/bootinfo.h>
#include <mica/abi/syscall.h>
#include <mica/kobj.h>
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "check.h"

#define ROOT MICA_CAP_ROOT_CNODE

/* What a preemptible operation may hold the kernel for, at most (a 64 KiB clear is ~5,000). */
#define STRETCH_BOUND 20000u

/* The tree to revoke: this many copies of one endpoint, in a CNode of 2^TREE_RADIX slots. */
#define TREE_RADIX  14
#define TREE_COPIES 16000u
/* The CNode destroyed whole, with this many capabilities in it. */
#define FULL_RADIX  12
#define FULL_COPIES 4000u
/* Revokes made at most, waiting for one to be preempted (one takes ~2 ms at -icount's rate). */
#define REVOKE_ROUNDS_MAX 40

static uint64_t next_slot;

static uint64_t preempted; /* System calls preempted and made again, in all. */

static uint64_t stretch(void)
{
	struct mica_raw r = {{0}};

	mica_syscall_raw(MICA_SYS_DEBUG_STRETCH, &r);
	CHECK_EQ(r.x[0], MICA_OK);
	preempted += r.x[2];
	return r.x[1];
}

static uint64_t make(uint64_t untyped, enum mica_object_type type, unsigned bits)
{
	uint64_t slot = next_slot++;

	CHECK_OK(mica_untyped_retype(untyped, type, bits, ROOT, 0, 0, slot, 1));
	return slot;
}

/* count copies of src into the CNode in slot cnode (radix bits), from index 0. */
static void fill(uint64_t cnode, unsigned radix, uint64_t src, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		CHECK_OK(mica_cnode_copy(cnode, i, radix, ROOT, src, 64, MICA_RIGHTS_ALL));
}

int main(void)
{
	const struct mica_boot_info *info = (const struct mica_boot_info *)MICA_ROOT_BOOT_INFO_VA;
	uint64_t big = 0, big_bits = 0, ep, tree, full;
	uint64_t cleared, revoked, destroyed;

	printf("START stretch\n");
	next_slot = info->empty_first;
	for (uint64_t i = 0; i < info->untyped_count; i++) {
		if (!info->untyped[i].is_device && info->untyped[i].size_bits > big_bits) {
			big = info->untyped_first + i;
			big_bits = info->untyped[i].size_bits;
		}
	}
	(void)stretch(); /* Start measuring here. */

	/* The first retype of an Untyped clears all of it: in chunks, preemptibly. */
	ep = make(big, MICA_OBJ_ENDPOINT, 0);
	cleared = stretch();
	printf("stretch: clearing a %llu MiB Untyped on its first retype: longest %llu "
	       "instructions with interrupts masked\n",
	       (unsigned long long)(UINT64_C(1) << big_bits) >> 20, (unsigned long long)cleared);
	CHECK(cleared < STRETCH_BOUND);

	/*
	 * A tree of TREE_COPIES capabilities below one, revoked; again until
	 * the kernel's tick has arrived during a revoke at least once, so the
	 * preempted revoke, made again, is seen to finish the job.
	 */
	tree = make(big, MICA_OBJ_CNODE, TREE_RADIX);
	revoked = 0;
	for (unsigned round = 0; round < REVOKE_ROUNDS_MAX && preempted == 0; round++) {
		uint64_t longest;

		fill(tree, TREE_RADIX, ep, TREE_COPIES);
		(void)stretch();
		preempted = 0;
		CHECK_OK(mica_cnode_revoke(ROOT, ep, 64));
		longest = stretch();
		if (longest > revoked)
			revoked = longest;
		/* Every copy is gone: the first and the last slot take a new one. */
		CHECK_OK(mica_cnode_copy(tree, 0, TREE_RADIX, ROOT, ep, 64, MICA_RIGHTS_ALL));
		CHECK_OK(mica_cnode_copy(tree, TREE_COPIES - 1, TREE_RADIX, ROOT, ep, 64,
					 MICA_RIGHTS_ALL));
		CHECK_OK(mica_cnode_revoke(ROOT, ep, 64));
	}
	printf("stretch: revoking %u capabilities: longest %llu instructions with interrupts "
	       "masked; preempted %llu times and made again\n",
	       TREE_COPIES, (unsigned long long)revoked, (unsigned long long)preempted);
	CHECK(revoked < STRETCH_BOUND);
	CHECK(preempted > 0);

	/* A CNode full of capabilities destroyed with its last capability: one stretch, for now. */
	full = make(big, MICA_OBJ_CNODE, FULL_RADIX);
	fill(full, FULL_RADIX, ep, FULL_COPIES);
	(void)stretch();
	CHECK_OK(mica_cnode_delete(ROOT, full, 64));
	destroyed = stretch();
	printf("stretch: destroying a CNode holding %u capabilities: longest %llu instructions "
	       "with interrupts masked (no preemption point yet)\n",
	       FULL_COPIES, (unsigned long long)destroyed);

	return check_finish("stretch");
}
