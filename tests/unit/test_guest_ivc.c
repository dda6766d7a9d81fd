/*
 * Unit tests for libs/guest/ivc.c, the bare-metal guests' channel library:
 * what it finds in a guest's device tree (fixtures/ivc_guest.dts, ends as
 * the VMM writes them, and nodes it must leave out), and that it writes
 * no more than it is given room for; and the dynamic-channel node
 * (fixtures/ivc_dynamic_guest.dts): the whole one, and each malformed one
 * left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mica/guest/ivc.h>

static void *tree, *dynamic_tree;
static size_t tree_size, dynamic_tree_size;

/* The whole file at path, in memory of its exact size (ASan sees a read past it). */
static void *read_whole(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *data;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	*size = (size_t)len;
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return data;
}

static int load(void **state)
{
	(void)state;
	tree = read_whole(FIXTURE_DIR "/ivc_guest.dtb", &tree_size);
	dynamic_tree = read_whole(FIXTURE_DIR "/ivc_dynamic_guest.dtb", &dynamic_tree_size);
	return 0;
}

static int unload(void **state)
{
	(void)state;
	free(tree);
	free(dynamic_tree);
	return 0;
}

/* The two whole ends at the root, each field as the tree gives it; the rest left out. */
static void test_find_reads_each_end_at_the_root_and_leaves_out_the_rest(void **state)
{
	struct ivc_channel found[8];
	unsigned count = ivc_find(tree, found, 8);

	(void)state;
	assert_int_equal(count, 2);
	assert_string_equal(found[0].name, "ping");
	assert_int_equal(found[0].base, 0x50000000);
	assert_int_equal(found[0].size, 0x4000);
	assert_int_equal(found[0].intid, 60);
	assert_int_equal(found[0].peer_count, 1);
	assert_string_equal(found[0].peers[0], "beta");
	assert_int_equal(found[0].doorbells[0], 0);
	assert_false(found[0].is_read_only);

	assert_string_equal(found[1].name, "feed");
	assert_int_equal(found[1].base, 0x60000000);
	assert_int_equal(found[1].size, 0x200000);
	assert_int_equal(found[1].intid, 61);
	assert_int_equal(found[1].peer_count, 3);
	assert_string_equal(found[1].peers[0], "beta");
	assert_string_equal(found[1].peers[1], "gamma");
	assert_string_equal(found[1].peers[2], "delta");
	assert_int_equal(found[1].doorbells[0], 4);
	assert_int_equal(found[1].doorbells[1], 5);
	assert_int_equal(found[1].doorbells[2], 6);
	assert_true(found[1].is_read_only);

	assert_ptr_equal(ivc_by_name(found, count, "feed"), &found[1]);
	assert_null(ivc_by_name(found, count, "odd"));
	assert_null(ivc_by_name(found, count, "deep"));
	assert_null(ivc_by_name(found, count, "other"));
}

/* With room for one, it counts both and writes one: the entry past it stays as it was. */
static void test_find_counts_all_but_writes_only_what_fits(void **state)
{
	struct ivc_channel found[2];

	(void)state;
	memset(found, 0x5a, sizeof(found));
	assert_int_equal(ivc_find(tree, found, 1), 2);
	assert_string_equal(found[0].name, "ping");
	for (size_t i = 0; i < sizeof(found[1]); i++)
		assert_int_equal(((const uint8_t *)&found[1])[i], 0x5a);
	assert_int_equal(ivc_find(tree, found, 0), 2);
}

/* Anything that is not a tree has no channels. */
static void test_find_of_no_tree_is_none(void **state)
{
	static const uint8_t junk[64] = {1, 2, 3, 4};
	struct ivc_channel found[1];

	(void)state;
	assert_int_equal(ivc_find(NULL, found, 1), 0);
	assert_int_equal(ivc_find(junk, found, 1), 0);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A header whose blocks do not lie within the tree's size is no tree; a
 * structure block cut short ends the walk at its end; a property whose
 * name lies outside the strings block spoils its node. Each copy is
 * exactly as large as its header says, so ASan sees any read past it.
 */
static void test_find_reads_nothing_outside_the_tree_its_header_describes(void **state)
{
	struct ivc_channel found[8];
	uint8_t *copy = malloc(tree_size);
	uint32_t strings_size;

	(void)state;
	assert_non_null(copy);
	memcpy(copy, tree, tree_size);
	put32(copy + 36, (uint32_t)tree_size); /* size_dt_struct past totalsize */
	assert_int_equal(ivc_find(copy, found, 8), 0);

	memcpy(copy, tree, tree_size);
	put32(copy + 32, (uint32_t)tree_size); /* size_dt_strings past totalsize */
	assert_int_equal(ivc_find(copy, found, 8), 0);

	/* The structure block cut to its first 200 bytes: what is whole before, no more. */
	memcpy(copy, tree, tree_size);
	put32(copy + 36, 200);
	assert_true(ivc_find(copy, found, 8) <= 2);

	/* Every string offset too far: no property has a name, no node is an end. */
	memcpy(copy, tree, tree_size);
	strings_size = get32(copy + 32);
	put32(copy + 32, 0);
	assert_int_equal(ivc_find(copy, found, 8), 0);
	put32(copy + 32, strings_size);
	assert_int_equal(ivc_find(copy, found, 8), 2);
	free(copy);
}

/* Dynamic channels: fixtures/ivc_dynamic_guest.dts. */

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u
#define FDT_END	       9u

/*
 * A copy of the dynamic tree in which every ivc-dynamic node at the root
 * but the one called keep (none for "") is FDT_NOP from its FDT_BEGIN_NODE
 * to its FDT_END_NODE: the tree as if it were the only one. Freed by the
 * caller. kept_end, if not NULL, is where the kept node's FDT_END_NODE
 * lies in the structure block.
 */
static uint8_t *keep_only(const char *keep, size_t *kept_end)
{
	uint8_t *t = malloc(dynamic_tree_size);
	uint8_t *p, *start, *end, *node = NULL;
	unsigned depth = 0;
	bool is_kept = false;

	assert_non_null(t);
	memcpy(t, dynamic_tree, dynamic_tree_size);
	p = start = t + get32(t + 8);
	end = p + get32(t + 36);
	while (p < end) {
		uint8_t *at = p;
		uint32_t token = get32(p);

		p += 4;
		if (token == FDT_BEGIN_NODE) {
			size_t len = strlen((const char *)p);

			if (++depth == 2 && strncmp((const char *)p, "ivc-dynamic@", 12) == 0 &&
			    strcmp((const char *)p, keep) != 0)
				node = at;
			is_kept = depth == 2 && strcmp((const char *)p, keep) == 0;
			p += (len + 4) & ~(size_t)3;
		} else if (token == FDT_END_NODE) {
			if (depth == 2 && is_kept && kept_end != NULL)
				*kept_end = (size_t)(at - start);
			if (depth-- == 2 && node != NULL) {
				for (; node < p; node += 4)
					put32(node, FDT_NOP);
				node = NULL;
			}
		} else if (token == FDT_PROP) {
			p += 8 + ((get32(p) + 3) & ~(size_t)3);
		} else if (token == FDT_END) {
			break;
		}
	}
	return t;
}

/* Nothing found leaves no window, no interrupt and no peers. */
static void assert_empty(const struct ivc_dynamic *d)
{
	assert_int_equal(d->base, 0);
	assert_int_equal(d->size, 0);
	assert_int_equal(d->memory, 0);
	assert_int_equal(d->intid, 0);
	assert_int_equal(d->peer_count, 0);
}

/* The tree with only the node called name (none for ""): not a policy, and out stays empty. */
static void assert_left_out(const char *name)
{
	uint8_t *t = keep_only(name, NULL);
	struct ivc_dynamic d;

	memset(&d, 0x5a, sizeof(d));
	assert_false(ivc_dynamic_find(t, &d));
	assert_empty(&d);
	free(t);
}

/*
 * The first whole node at the root, each field as the tree gives it: the
 * malformed ones before it are left out, the whole one after it changes
 * nothing.
 */
static void test_dynamic_find_reads_the_first_whole_node_at_the_root(void **state)
{
	struct ivc_dynamic d;

	(void)state;
	memset(&d, 0x5a, sizeof(d));
	assert_true(ivc_dynamic_find(dynamic_tree, &d));
	assert_int_equal(d.base, 0x60000000);
	assert_int_equal(d.size, 0x400000);
	assert_int_equal(d.memory, 0x100100000);
	assert_int_equal(d.intid, 62);
	assert_int_equal(d.peer_count, 2);
	assert_string_equal(d.peers[0], "beta");
	assert_string_equal(d.peers[1], "gamma");
	assert_int_equal(d.doorbells[0], 4);
	assert_int_equal(d.doorbells[1], 5);
	for (unsigned k = 2; k < IVC_DYNAMIC_PEERS_MAX; k++) {
		assert_string_equal(d.peers[k], "");
		assert_int_equal(d.doorbells[k], 0);
	}
}

/* Seven peers (the most a VM can have), the last SPI, a memory limit of one page. */
static void test_dynamic_find_reads_a_node_with_every_peer_there_can_be(void **state)
{
	uint8_t *t = keep_only("ivc-dynamic@70000000", NULL);
	struct ivc_dynamic d;
	static const char *const peers[] = {"b", "c", "d", "e", "f", "g", "h"};

	(void)state;
	assert_true(ivc_dynamic_find(t, &d));
	assert_int_equal(d.base, 0x70000000);
	assert_int_equal(d.size, 0x200000);
	assert_int_equal(d.memory, 0x1000);
	assert_int_equal(d.intid, 1019);
	assert_int_equal(d.peer_count, IVC_DYNAMIC_PEERS_MAX);
	for (unsigned k = 0; k < IVC_DYNAMIC_PEERS_MAX; k++) {
		assert_string_equal(d.peers[k], peers[k]);
		assert_int_equal(d.doorbells[k], 9 + k);
	}
	free(t);
}

/* The channel ends of static channels are no dynamic nodes, and the reverse. */
static void test_dynamic_and_static_nodes_are_told_apart(void **state)
{
	struct ivc_channel found[4];

	(void)state;
	assert_int_equal(ivc_find(dynamic_tree, found, 4), 1);
	assert_string_equal(found[0].name, "ping");
	assert_left_out(""); /* ivc@50000000 stays, and soc's node below the root. */
}

static void test_dynamic_find_leaves_out_a_node_without_reg(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@1");
}

static void test_dynamic_find_leaves_out_a_reg_of_one_cell_each(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@2");
}

static void test_dynamic_find_leaves_out_an_empty_window(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@3");
}

static void test_dynamic_find_leaves_out_a_window_that_wraps(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@4");
}

static void test_dynamic_find_leaves_out_a_node_without_interrupts(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@5");
}

static void test_dynamic_find_leaves_out_an_interrupt_that_is_no_spi(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@6");
	assert_left_out("ivc-dynamic@7");
}

static void test_dynamic_find_leaves_out_a_node_without_peers(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@8");
}

static void test_dynamic_find_leaves_out_peers_that_are_not_whole_strings(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@9");
}

static void test_dynamic_find_leaves_out_more_peers_than_fit(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@10");
}

static void test_dynamic_find_leaves_out_doorbells_that_do_not_match_the_peers(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@11");
	assert_left_out("ivc-dynamic@12");
}

static void test_dynamic_find_leaves_out_a_node_without_a_whole_memory_limit(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@13");
	assert_left_out("ivc-dynamic@14");
}

static void test_dynamic_find_leaves_out_another_compatible(void **state)
{
	(void)state;
	assert_left_out("ivc-dynamic@15");
}

/* Anything that is not a tree has no node, and the static channels' tree none either. */
static void test_dynamic_find_of_no_tree_is_none(void **state)
{
	static const uint8_t junk[64] = {1, 2, 3, 4};
	struct ivc_dynamic d;

	(void)state;
	memset(&d, 0x5a, sizeof(d));
	assert_false(ivc_dynamic_find(NULL, &d));
	assert_empty(&d);
	memset(&d, 0x5a, sizeof(d));
	assert_false(ivc_dynamic_find(junk, &d));
	assert_empty(&d);
	assert_false(ivc_dynamic_find(tree, &d));
	assert_empty(&d);
}

/*
 * As for the static ends: blocks outside totalsize make no tree, a
 * structure block that ends before the whole node does has none, and
 * names outside the strings block spoil every node.
 */
static void test_dynamic_find_reads_nothing_outside_the_tree_its_header_describes(void **state)
{
	uint8_t *copy = malloc(dynamic_tree_size);
	uint8_t *alone;
	struct ivc_dynamic d;
	uint32_t strings_size;
	size_t node_end = 0;

	(void)state;
	assert_non_null(copy);
	memcpy(copy, dynamic_tree, dynamic_tree_size);
	put32(copy + 36, (uint32_t)dynamic_tree_size);
	assert_false(ivc_dynamic_find(copy, &d));

	memcpy(copy, dynamic_tree, dynamic_tree_size);
	put32(copy + 32, (uint32_t)dynamic_tree_size);
	assert_false(ivc_dynamic_find(copy, &d));

	/* The whole node alone, the structure block cut just before its end, then just after. */
	alone = keep_only("ivc-dynamic@60000000", &node_end);
	assert_true(node_end > 0);
	put32(alone + 36, (uint32_t)node_end);
	assert_false(ivc_dynamic_find(alone, &d));
	assert_empty(&d);
	put32(alone + 36, (uint32_t)node_end + 4);
	assert_true(ivc_dynamic_find(alone, &d));
	assert_int_equal(d.base, 0x60000000);
	free(alone);

	memcpy(copy, dynamic_tree, dynamic_tree_size);
	strings_size = get32(copy + 32);
	put32(copy + 32, 0);
	assert_false(ivc_dynamic_find(copy, &d));
	assert_empty(&d);
	put32(copy + 32, strings_size);
	assert_true(ivc_dynamic_find(copy, &d));
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_reads_each_end_at_the_root_and_leaves_out_the_rest),
		cmocka_unit_test(test_find_counts_all_but_writes_only_what_fits),
		cmocka_unit_test(test_find_of_no_tree_is_none),
		cmocka_unit_test(test_find_reads_nothing_outside_the_tree_its_header_describes),
		cmocka_unit_test(test_dynamic_find_reads_the_first_whole_node_at_the_root),
		cmocka_unit_test(test_dynamic_find_reads_a_node_with_every_peer_there_can_be),
		cmocka_unit_test(test_dynamic_and_static_nodes_are_told_apart),
		cmocka_unit_test(test_dynamic_find_leaves_out_a_node_without_reg),
		cmocka_unit_test(test_dynamic_find_leaves_out_a_reg_of_one_cell_each),
		cmocka_unit_test(test_dynamic_find_leaves_out_an_empty_window),
		cmocka_unit_test(test_dynamic_find_leaves_out_a_window_that_wraps),
		cmocka_unit_test(test_dynamic_find_leaves_out_a_node_without_interrupts),
		cmocka_unit_test(test_dynamic_find_leaves_out_an_interrupt_that_is_no_spi),
		cmocka_unit_test(test_dynamic_find_leaves_out_a_node_without_peers),
		cmocka_unit_test(test_dynamic_find_leaves_out_peers_that_are_not_whole_strings),
		cmocka_unit_test(test_dynamic_find_leaves_out_more_peers_than_fit),
		cmocka_unit_test(
			test_dynamic_find_leaves_out_doorbells_that_do_not_match_the_peers),
		cmocka_unit_test(test_dynamic_find_leaves_out_a_node_without_a_whole_memory_limit),
		cmocka_unit_test(test_dynamic_find_leaves_out_another_compatible),
		cmocka_unit_test(test_dynamic_find_of_no_tree_is_none),
		cmocka_unit_test(
			test_dynamic_find_reads_nothing_outside_the_tree_its_header_describes),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
