/*
 * Unit tests for libs/guest/ivc.c, the bare-metal guests' channel library:
 * what it finds in a guest's device tree (fixtures/ivc_guest.dts, ends as
 * the VMM writes them, and nodes it must leave out), and that it writes
 * no more than it is given room for.
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

static void *tree;
static size_t tree_size;

static int load(void **state)
{
	FILE *f = fopen(FIXTURE_DIR "/ivc_guest.dtb", "rb");
	long len;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	tree_size = (size_t)len;
	tree = malloc((size_t)len);
	assert_non_null(tree);
	assert_int_equal(fread(tree, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return 0;
}

static int unload(void **state)
{
	(void)state;
	free(tree);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_reads_each_end_at_the_root_and_leaves_out_the_rest),
		cmocka_unit_test(test_find_counts_all_but_writes_only_what_fits),
		cmocka_unit_test(test_find_of_no_tree_is_none),
		cmocka_unit_test(test_find_reads_nothing_outside_the_tree_its_header_describes),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
