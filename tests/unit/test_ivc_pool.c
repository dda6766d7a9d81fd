/*
 * The IVC server's bookkeeping (servers/ivc/pool.c): what a guest's
 * MICA_HVC_IVC_* calls get, against each VM's policy, and that memory
 * always comes back to the pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mica/abi/hypercall.h>

#include "pool.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * KIB)

enum { ALPHA, BETA, GAMMA, LONER };

static struct sysdesc desc;
static struct ivc_pool pool;

/* VM v with a window at base of size bytes, a limit of memory bytes, and the peers given. */
static void policy(unsigned v, uint64_t base, uint64_t size, uint64_t memory, unsigned peer_count,
		   const unsigned *peers)
{
	struct sysdesc_ivc *ivc = &desc.vms[v].ivc;

	ivc->is_present = true;
	ivc->window = (struct sysdesc_ipa_range){base, size};
	ivc->memory = memory;
	ivc->intid = 62;
	ivc->peer_count = peer_count;
	for (unsigned k = 0; k < peer_count; k++)
		ivc->peers[k] = peers[k];
}

/*
 * alpha (2 MiB window at 0x60000000, 1 MiB), beta (2 MiB at 0x70000000,
 * 64 KiB) and gamma (4 MiB at 0x80000000, 64 KiB): alpha talks to beta
 * and gamma, beta and gamma to alpha only. loner has no policy. The pool
 * holds their limits together.
 */
static int setup(void **state)
{
	static const unsigned alpha_peers[] = {BETA, GAMMA}, only_alpha[] = {ALPHA};

	(void)state;
	memset(&desc, 0, sizeof(desc));
	desc.vm_count = 4;
	desc.vms[ALPHA].name = "alpha";
	desc.vms[BETA].name = "beta";
	desc.vms[GAMMA].name = "gamma";
	desc.vms[LONER].name = "loner";
	policy(ALPHA, 0x60000000, 2 * MIB, 1 * MIB, 2, alpha_peers);
	policy(BETA, 0x70000000, 2 * MIB, 64 * KIB, 1, only_alpha);
	policy(GAMMA, 0x80000000, 4 * MIB, 64 * KIB, 1, only_alpha);
	ivc_pool_init(&pool, &desc, (uint32_t)((MIB + 128 * KIB) / IVC_PAGE));
	return 0;
}

static int64_t alloc(unsigned vm, uint64_t size, uint64_t k, uint32_t *c)
{
	return ivc_pool_alloc(&pool, vm, size, k, c);
}

/* Every frame back in the pool, no charge, no window page taken. */
static void assert_all_free(void)
{
	assert_int_equal(pool.free_count, pool.frame_count);
	for (unsigned v = 0; v < desc.vm_count; v++) {
		assert_int_equal(pool.vms[v].used_pages, 0);
		for (unsigned i = 0; i < IVC_WINDOW_PAGES; i++) {
			assert_int_equal(pool.vms[v].page_frame[i], 0);
			assert_int_equal(pool.vms[v].page_channel[i], 0);
		}
	}
	assert_int_equal(ivc_pool_any(&pool, ALPHA), -1);
	assert_int_equal(ivc_pool_any(&pool, BETA), -1);
}

static void test_a_channel_is_rounded_up_and_lies_in_both_windows(void **state)
{
	uint32_t c, q;

	(void)state;
	assert_int_equal(alloc(ALPHA, 5000, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(pool.channels[c].pages, 2);
	assert_int_equal(ivc_address_of(&pool, c, 0), 0x60000000);
	assert_int_equal(ivc_address_of(&pool, c, 1), 0x70000000);
	assert_int_not_equal(ivc_frame_of(&pool, c, 0), ivc_frame_of(&pool, c, 1));
	assert_true(ivc_frame_of(&pool, c, 1) < pool.frame_count);
	assert_int_equal(pool.free_count, pool.frame_count - 2);

	/* Both ends see it, each with the other as its peer. */
	assert_int_equal(ivc_pool_query(&pool, ALPHA, 0, &q), MICA_HVC_SUCCESS);
	assert_int_equal(q, c);
	assert_int_equal(ivc_peer_index(&pool, ALPHA, q), 0);
	assert_int_equal(ivc_pool_query(&pool, BETA, 0, &q), MICA_HVC_SUCCESS);
	assert_int_equal(ivc_peer_index(&pool, BETA, q), 0);
	assert_int_equal(ivc_pool_query(&pool, BETA, 1, &q), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ivc_pool_query(&pool, GAMMA, 0, &q), MICA_HVC_INVALID_PARAMETER);

	/* Exactly a page takes a page; the next channel follows in both windows. */
	assert_int_equal(alloc(ALPHA, 4096, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(pool.channels[c].pages, 1);
	assert_int_equal(ivc_address_of(&pool, c, 0), 0x60002000);
	assert_int_equal(ivc_address_of(&pool, c, 1), 0x70002000);
}

static void test_bad_sizes_and_peers_are_refused_and_take_nothing(void **state)
{
	uint32_t c = 99;

	(void)state;
	assert_int_equal(alloc(ALPHA, 0, 0, &c), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(alloc(ALPHA, 4096, 2, &c), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(alloc(ALPHA, 4096, UINT64_MAX, &c), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(alloc(BETA, 4096, 1, &c), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(alloc(LONER, 4096, 0, &c), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(alloc(SYSDESC_VM_MAX, 4096, 0, &c), MICA_HVC_INVALID_PARAMETER);
	/* Sizes no window holds, up to the largest, wrap nothing when rounded. */
	assert_int_equal(alloc(ALPHA, UINT64_MAX, 0, &c), MICA_HVC_NO_MEMORY);
	assert_int_equal(alloc(ALPHA, UINT64_MAX - 4095, 0, &c), MICA_HVC_NO_MEMORY);
	assert_int_equal(alloc(ALPHA, 1 * MIB + 1, 0, &c), MICA_HVC_NO_MEMORY);
	assert_int_equal(c, 99);
	assert_all_free();
}

static void test_the_limit_is_the_allocators_alone(void **state)
{
	uint32_t c;

	(void)state;
	/* beta: 64 KiB in all; its peer's allocations are not charged to it. */
	assert_int_equal(alloc(ALPHA, 256 * KIB, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(BETA, 64 * KIB + 1, 0, &c), MICA_HVC_NO_MEMORY);
	assert_int_equal(alloc(BETA, 60 * KIB, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(BETA, 4 * KIB, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(BETA, 1, 0, &c), MICA_HVC_NO_MEMORY);
	assert_int_equal(pool.vms[BETA].used_pages, 16);
	assert_int_equal(pool.vms[ALPHA].used_pages, 64);
	/* alpha's 1 MiB: 768 KiB left. */
	assert_int_equal(alloc(ALPHA, 768 * KIB + 1, 1, &c), MICA_HVC_NO_MEMORY);
	assert_int_equal(alloc(ALPHA, 768 * KIB, 1, &c), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(ALPHA, 1, 1, &c), MICA_HVC_NO_MEMORY);
}

static void test_either_end_releases_and_nobody_else(void **state)
{
	uint32_t c, found = 0;

	(void)state;
	assert_int_equal(alloc(ALPHA, 5000, 0, &c), MICA_HVC_SUCCESS);
	/* Not the holder; not the address; not the size; not the other end's address. */
	assert_int_equal(ivc_pool_find(&pool, GAMMA, 0x60000000, 8192, &found),
			 MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ivc_pool_find(&pool, LONER, 0x60000000, 8192, &found),
			 MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ivc_pool_find(&pool, ALPHA, 0x60001000, 8192, &found),
			 MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ivc_pool_find(&pool, ALPHA, 0x60000000, 4096, &found),
			 MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ivc_pool_find(&pool, ALPHA, 0x60000000, 12289, &found),
			 MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ivc_pool_find(&pool, ALPHA, 0x70000000, 8192, &found),
			 MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ivc_pool_find(&pool, BETA, 0x60000000, 8192, &found),
			 MICA_HVC_INVALID_PARAMETER);
	/* The size as asked or as given; at either end's own address. */
	assert_int_equal(ivc_pool_find(&pool, ALPHA, 0x60000000, 5000, &found), MICA_HVC_SUCCESS);
	assert_int_equal(found, c);
	assert_int_equal(ivc_pool_find(&pool, BETA, 0x70000000, 8192, &found), MICA_HVC_SUCCESS);
	assert_int_equal(found, c);
	ivc_pool_free(&pool, found);
	assert_int_equal(ivc_pool_find(&pool, ALPHA, 0x60000000, 8192, &found),
			 MICA_HVC_INVALID_PARAMETER);
	assert_all_free();
}

static void test_a_thousand_cycles_leave_the_pool_whole(void **state)
{
	uint32_t c;

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t size = IVC_PAGE * (1 + i % 16);

		assert_int_equal(alloc(i % 2 ? BETA : ALPHA, size, 0, &c), MICA_HVC_SUCCESS);
		assert_int_equal(pool.channels[c].pages * IVC_PAGE, size);
		ivc_pool_free(&pool, c);
	}
	assert_all_free();
	/* All of alpha's limit in one piece. */
	assert_int_equal(alloc(ALPHA, 1 * MIB, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(ALPHA, 4096, 1, &c), MICA_HVC_NO_MEMORY);
}

static void test_windows_are_filled_first_fit_and_can_run_out(void **state)
{
	static const unsigned alpha_only[] = {ALPHA};
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(alloc(ALPHA, 4096, 0, &a), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(ALPHA, 4096, 0, &b), MICA_HVC_SUCCESS);
	ivc_pool_free(&pool, a);
	/* Two pages do not fit in the hole the first left: they go after b. */
	assert_int_equal(alloc(ALPHA, 8192, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(ivc_address_of(&pool, c, 0), 0x60002000);
	assert_int_equal(alloc(ALPHA, 4096, 0, &a), MICA_HVC_SUCCESS);
	assert_int_equal(ivc_address_of(&pool, a, 0), 0x60000000);

	/* A peer whose window is full refuses, whatever the caller's limit. */
	setup(NULL);
	desc.vms[BETA].ivc.window.size = 64 * KIB; /* Smaller than the limits allow. */
	desc.vms[BETA].ivc.peer_count = 1;
	desc.vms[BETA].ivc.peers[0] = alpha_only[0];
	ivc_pool_init(&pool, &desc, (uint32_t)((MIB + 128 * KIB) / IVC_PAGE));
	assert_int_equal(alloc(ALPHA, 64 * KIB, 0, &a), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(ALPHA, 4096, 0, &b), MICA_HVC_NO_MEMORY);
	assert_int_equal(alloc(ALPHA, 4096, 1, &b), MICA_HVC_SUCCESS);
}

static void test_an_ended_vm_gets_no_channel(void **state)
{
	uint32_t c;

	(void)state;
	pool.vms[BETA].has_ended = true;
	assert_int_equal(alloc(ALPHA, 4096, 0, &c), MICA_HVC_DENIED);
	assert_int_equal(alloc(BETA, 4096, 0, &c), MICA_HVC_DENIED);
	assert_int_equal(alloc(ALPHA, 4096, 1, &c), MICA_HVC_SUCCESS);
	pool.vms[BETA].has_ended = false;
	assert_int_equal(alloc(ALPHA, 4096, 0, &c), MICA_HVC_SUCCESS);
}

static void test_query_goes_in_address_order_at_each_end(void **state)
{
	uint32_t c[3], q;

	(void)state;
	assert_int_equal(alloc(ALPHA, 4096, 0, &c[0]), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(ALPHA, 8192, 1, &c[1]), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(BETA, 4096, 0, &c[2]), MICA_HVC_SUCCESS);
	ivc_pool_free(&pool, c[0]);
	/* The slot c[0] had is taken by a channel that lies last in alpha's window. */
	assert_int_equal(alloc(GAMMA, 3 * IVC_PAGE, 0, &c[0]), MICA_HVC_SUCCESS);
	assert_int_equal(ivc_address_of(&pool, c[0], 1), 0x60004000);

	assert_int_equal(ivc_pool_query(&pool, ALPHA, 0, &q), MICA_HVC_SUCCESS);
	assert_int_equal(q, c[1]);
	assert_int_equal(ivc_peer_index(&pool, ALPHA, q), 1);
	assert_int_equal(ivc_pool_query(&pool, ALPHA, 1, &q), MICA_HVC_SUCCESS);
	assert_int_equal(q, c[2]);
	assert_int_equal(ivc_peer_index(&pool, ALPHA, q), 0);
	assert_int_equal(ivc_pool_query(&pool, ALPHA, 2, &q), MICA_HVC_SUCCESS);
	assert_int_equal(q, c[0]);
	assert_int_equal(ivc_peer_index(&pool, ALPHA, q), 1);
	assert_int_equal(ivc_pool_query(&pool, ALPHA, 3, &q), MICA_HVC_INVALID_PARAMETER);
	assert_int_equal(ivc_pool_query(&pool, GAMMA, 0, &q), MICA_HVC_SUCCESS);
	assert_int_equal(q, c[1]);
	assert_int_equal(ivc_pool_query(&pool, GAMMA, 1, &q), MICA_HVC_SUCCESS);
	assert_int_equal(q, c[0]);
	assert_int_equal(ivc_pool_query(&pool, LONER, 0, &q), MICA_HVC_INVALID_PARAMETER);
}

/*
 * A VM with many small channels runs into its own limit, never into the
 * channel table: a pair it has nothing to do with still gets channels.
 */
static void test_the_limits_run_out_before_the_channel_table(void **state)
{
	static const unsigned only_delta[] = {4}, only_epsilon[] = {5};
	uint32_t c, count = 0;

	(void)state;
	desc.vm_count = 6;
	desc.vms[4].name = "delta";
	desc.vms[5].name = "epsilon";
	policy(4, 0x60000000, 2 * MIB, 64 * KIB, 1, only_epsilon);
	policy(5, 0x60000000, 2 * MIB, 64 * KIB, 1, only_delta);
	ivc_pool_init(&pool, &desc, IVC_POOL_PAGES);
	while (alloc(ALPHA, 4096, count % 2, &c) == MICA_HVC_SUCCESS)
		count++;
	assert_int_equal(count, 256); /* alpha's 1 MiB, one page a channel. */
	assert_int_equal(alloc(ALPHA, 4096, 0, &c), MICA_HVC_NO_MEMORY);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(alloc(4, 4096, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(4, 4096, 0, &c), MICA_HVC_NO_MEMORY);
	/* Each of them is found by query at each end, in order. */
	for (uint32_t i = 0; i < 16; i++) {
		assert_int_equal(ivc_pool_query(&pool, 5, i, &c), MICA_HVC_SUCCESS);
		assert_int_equal(ivc_address_of(&pool, c, 1), 0x60000000 + i * IVC_PAGE);
	}
	assert_int_equal(ivc_pool_query(&pool, 5, 16, &c), MICA_HVC_INVALID_PARAMETER);
	for (int32_t any; (any = ivc_pool_any(&pool, ALPHA)) >= 0;)
		ivc_pool_free(&pool, (uint32_t)any);
	for (int32_t any; (any = ivc_pool_any(&pool, 4)) >= 0;)
		ivc_pool_free(&pool, (uint32_t)any);
	assert_all_free();
}

static void test_frames_run_out_cleanly(void **state)
{
	uint32_t c;

	(void)state;
	/* A pool smaller than the limits: the frames run out first. */
	ivc_pool_init(&pool, &desc, 3);
	assert_int_equal(alloc(ALPHA, 4 * IVC_PAGE, 0, &c), MICA_HVC_NO_MEMORY);
	assert_int_equal(alloc(ALPHA, 3 * IVC_PAGE, 0, &c), MICA_HVC_SUCCESS);
	assert_int_equal(alloc(BETA, 4096, 0, &c), MICA_HVC_NO_MEMORY);
	assert_int_equal(pool.vms[BETA].used_pages, 0);
}

static void test_pages_of_rounds_up_within_a_window(void **state)
{
	(void)state;
	assert_int_equal(ivc_pages_of(0), 0);
	assert_int_equal(ivc_pages_of(1), 1);
	assert_int_equal(ivc_pages_of(4096), 1);
	assert_int_equal(ivc_pages_of(4097), 2);
	assert_int_equal(ivc_pages_of(IVC_WINDOW_PAGES * IVC_PAGE), IVC_WINDOW_PAGES);
	assert_int_equal(ivc_pages_of(IVC_WINDOW_PAGES * IVC_PAGE + 1), 0);
	assert_int_equal(ivc_pages_of(UINT64_MAX), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_a_channel_is_rounded_up_and_lies_in_both_windows,
				       setup),
		cmocka_unit_test_setup(test_bad_sizes_and_peers_are_refused_and_take_nothing,
				       setup),
		cmocka_unit_test_setup(test_the_limit_is_the_allocators_alone, setup),
		cmocka_unit_test_setup(test_either_end_releases_and_nobody_else, setup),
		cmocka_unit_test_setup(test_a_thousand_cycles_leave_the_pool_whole, setup),
		cmocka_unit_test_setup(test_windows_are_filled_first_fit_and_can_run_out, setup),
		cmocka_unit_test_setup(test_an_ended_vm_gets_no_channel, setup),
		cmocka_unit_test_setup(test_query_goes_in_address_order_at_each_end, setup),
		cmocka_unit_test_setup(test_the_limits_run_out_before_the_channel_table, setup),
		cmocka_unit_test_setup(test_frames_run_out_cleanly, setup),
		cmocka_unit_test(test_pages_of_rounds_up_within_a_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
