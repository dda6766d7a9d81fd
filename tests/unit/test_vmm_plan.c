/*
 * Unit tests for servers/vmm/plan.c: which kind of kernel a file is, where
 * each part of the guest goes, and which property an error blames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

#define RAM  UINT64_C(0x40000000)
#define MIB  UINT64_C(0x100000)
#define PAGE UINT64_C(0x1000)

static uint8_t kernel[4 * PAGE];

/* A VM with one region of size bytes at RAM and, if initrd, an initrd. */
static struct sysdesc_vm vm_with(uint64_t size, bool has_initrd)
{
	struct sysdesc_vm vm = {.name = "g", .region_count = 1, .kernel = "k"};

	vm.regions[0].ipa = (struct sysdesc_ipa_range){RAM, size};
	vm.initrd = has_initrd ? "i" : NULL;
	return vm;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* kernel[] as a Linux Image: text_offset, image_size and flags in its header. */
static void make_image(uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(kernel, 0, sizeof(kernel));
	put_le64(kernel + 8, text_offset);
	put_le64(kernel + 16, image_size);
	put_le64(kernel + 24, flags);
	memcpy(kernel + 56, "ARM\x64", 4);
}

static void test_raw_binary_at_base_plus_512k(void **state)
{
	struct sysdesc_vm vm = vm_with(16 * MIB, true);
	struct guest_plan plan;
	struct plan_error err;

	(void)state;
	memset(kernel, 0xaa, sizeof(kernel));
	assert_int_equal(plan_guest(&vm, kernel, sizeof(kernel), 3 * PAGE, &plan, &err), MICA_OK);
	assert_false(plan.is_elf);
	assert_int_equal(plan.layout.kernel_load, RAM + 0x80000);
	assert_int_equal(plan.entry, RAM + 0x80000);
	/* The device tree and initrd after the kernel, inside the region, apart. */
	assert_true(plan.layout.dtb_addr >= plan.layout.kernel_end);
	assert_true(plan.layout.initrd_start >= plan.layout.dtb_addr + PLAN_DTB_SIZE ||
		    plan.layout.initrd_end <= plan.layout.dtb_addr);
	assert_int_equal(plan.layout.initrd_end - plan.layout.initrd_start, 3 * PAGE);
	assert_true(plan.layout.initrd_end <= RAM + 16 * MIB);
}

static void test_linux_image_by_its_header(void **state)
{
	struct sysdesc_vm vm = vm_with(64 * MIB, false);
	struct guest_plan plan;
	struct plan_error err;

	(void)state;
	make_image(0x0, 8 * MIB, 0xa); /* Little-endian, 4 KiB pages, base anywhere. */
	assert_int_equal(plan_guest(&vm, kernel, sizeof(kernel), 0, &plan, &err), MICA_OK);
	assert_int_equal(plan.layout.kernel_load % (2 * MIB), 0);
	assert_int_equal(plan.layout.kernel_end - plan.layout.kernel_load, 8 * MIB);
	assert_int_equal(plan.entry, plan.layout.kernel_load);
	assert_true(plan.layout.dtb_addr >= plan.layout.kernel_end);
}

/* The header's image_size, not the file's size, is what must fit. */
static void test_image_size_must_fit(void **state)
{
	struct sysdesc_vm vm = vm_with(8 * MIB, false);
	struct guest_plan plan;
	struct plan_error err;

	(void)state;
	make_image(0x0, 16 * MIB, 0xa);
	assert_int_not_equal(plan_guest(&vm, kernel, sizeof(kernel), 0, &plan, &err), MICA_OK);
	assert_string_equal(err.property, "kernel");
	assert_non_null(strstr(err.why, "does not fit"));
}

/* A header with the magic but a bad field is an error, not a raw binary. */
static void test_bad_image_header_is_refused(void **state)
{
	struct sysdesc_vm vm = vm_with(8 * MIB, false);
	struct guest_plan plan;
	struct plan_error err;

	(void)state;
	make_image(0x0, 1 * MIB, 0x1); /* Big-endian. */
	assert_int_not_equal(plan_guest(&vm, kernel, sizeof(kernel), 0, &plan, &err), MICA_OK);
	assert_string_equal(err.property, "kernel");
	assert_string_equal(err.why, "the kernel is big-endian; Mica runs little-endian guests");
	make_image(0x0, PAGE, 0xa); /* image_size below the file's size. */
	assert_int_not_equal(plan_guest(&vm, kernel, sizeof(kernel), 0, &plan, &err), MICA_OK);
	assert_string_equal(err.why, "the header's image_size is smaller than the file");
}

/* Too big with the initrd but not without: the initrd is blamed. */
static void test_initrd_blamed_when_kernel_alone_fits(void **state)
{
	struct sysdesc_vm vm = vm_with(8 * MIB, true);
	struct guest_plan plan;
	struct plan_error err;

	(void)state;
	memset(kernel, 0, sizeof(kernel));
	assert_int_not_equal(plan_guest(&vm, kernel, sizeof(kernel), 8 * MIB, &plan, &err),
			     MICA_OK);
	assert_string_equal(err.property, "initrd");
	/* A kernel too big is blamed itself, whatever the initrd. */
	make_image(0x0, 16 * MIB, 0xa);
	assert_int_not_equal(plan_guest(&vm, kernel, sizeof(kernel), PAGE, &plan, &err), MICA_OK);
	assert_string_equal(err.property, "kernel");
}

static void test_bad_elf_is_refused(void **state)
{
	struct sysdesc_vm vm = vm_with(8 * MIB, false);
	struct guest_plan plan;
	struct plan_error err;

	(void)state;
	memset(kernel, 0, sizeof(kernel));
	memcpy(kernel,
	       "\x7f"
	       "ELF",
	       4);
	assert_int_equal(plan_guest(&vm, kernel, sizeof(kernel), 0, &plan, &err),
			 MICA_ERR_MALFORMED);
	assert_string_equal(err.property, "kernel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_binary_at_base_plus_512k),
		cmocka_unit_test(test_linux_image_by_its_header),
		cmocka_unit_test(test_image_size_must_fit),
		cmocka_unit_test(test_bad_image_header_is_refused),
		cmocka_unit_test(test_initrd_blamed_when_kernel_alone_fits),
		cmocka_unit_test(test_bad_elf_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
