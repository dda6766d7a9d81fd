/*
 * How long the kernel runs with interrupts masked during its longest
 * operations (issue 11, item 11), measured on the test kernel under
 * QEMU's -icount, where the cycle counter counts executed instructions:
 * MICA_SYS_DEBUG_STRETCH gives the longest stretch from a kernel entry to
 * the next point where a waiting interrupt would be taken (the return to
 * a thread, a preemption point, idling).
 *
 * Clearing a large Untyped on its first retype, revoking a large tree of
 * capabilities, destroying a CNode full of them and destroying a deep
 * chain of nested CNodes all have preemption points, so their stretches
 * stay short however much work they do: the test checks a bound, sees
 * the first three preempted and made again at least once, and has the test
 * kernel check its invariants afterwards (docs/security.md).
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
#define FULL_COPIES 16000u
/* The chain of CNodes, each holding the last capability to the next. */
#define CHAIN_DEPTH 3000u
/* Rounds made at most, waiting for one to be preempted (one takes ~2 ms at -icount's rate). */
#define ROUNDS_MAX 40

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

static uint64_t max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The test kernel checks its invariants over everything the root CNode reaches. */
static void debug_check(void)
{
	struct mica_raw r = {{0}};

	r.x[0] = ROOT;
	mica_syscall_raw(MICA_SYS_DEBUG_CHECK, &r);
	CHECK_EQ(r.x[0], MICA_OK);
	CHECK_EQ(r.x[1], 0);
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
	uint64_t big = 0, big_bits = 0, ep, tree, full, pool;
	uint64_t cleared, revoked, destroyed, chain;

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
	for (unsigned round = 0; round < ROUNDS_MAX && preempted == 0; round++) {
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

	/* A CNode full of capabilities, destroyed with its last capability. */
	destroyed = 0;
	preempted = 0;
	/* Each round's objects come from one Untyped, whose memory the next round reuses. */
	pool = make(big, MICA_OBJ_UNTYPED, 21);
	for (unsigned round = 0; round < ROUNDS_MAX && preempted == 0; round++) {
		full = make(pool, MICA_OBJ_CNODE, TREE_RADIX);
		fill(full, TREE_RADIX, ep, FULL_COPIES);
		(void)stretch();
		CHECK_OK(mica_cnode_delete(ROOT, full, 64));
		destroyed = max(destroyed, stretch());
		/* The slot is empty again, and no copy of the endpoint is left to revoke. */
		CHECK_OK(mica_cnode_copy(ROOT, full, 64, ROOT, ep, 64, MICA_RIGHTS_ALL));
		CHECK_OK(mica_cnode_delete(ROOT, full, 64));
		(void)stretch();
		CHECK_OK(mica_cnode_revoke(ROOT, ep, 64));
		CHECK(stretch() < 1000);
		next_slot = full;
	}
	printf("stretch: destroying a CNode holding %u capabilities: longest %llu instructions "
	       "with interrupts masked; preempted %llu times and made again\n",
	       FULL_COPIES, (unsigned long long)destroyed, (unsigned long long)preempted);
	CHECK(destroyed < STRETCH_BOUND);
	CHECK(preempted > 0);

	/*
	 * CNodes nested CHAIN_DEPTH deep, made from the innermost out, destroyed
	 * from outside: each step of the destruction is as short at any depth.
	 * (The unit tests make such a chain stop and go on at every step.)
	 */
	{
		uint64_t inner = make(pool, MICA_OBJ_CNODE, 1);

		for (unsigned i = 1; i < CHAIN_DEPTH; i++) {
			uint64_t outer = make(pool, MICA_OBJ_CNODE, 1);

			CHECK_OK(mica_cnode_move(outer, 1, 1, ROOT, inner, 64));
			next_slot = inner + 1;
			CHECK_OK(mica_cnode_move(ROOT, inner, 64, ROOT, outer, 64));
		}
		(void)stretch();
		CHECK_OK(mica_cnode_delete(ROOT, inner, 64));
		chain = stretch();
	}
	printf("stretch: destroying %u nested CNodes: longest %llu instructions with interrupts "
	       "masked\n",
	       CHAIN_DEPTH, (unsigned long long)chain);
	CHECK(chain < STRETCH_BOUND);
	debug_check();

	return check_finish("stretch");
}
