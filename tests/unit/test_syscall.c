/*
 * Unit tests for system-call dispatch (kernel/syscall.c) on the fake
 * architecture: argument validation, results, and that a rejected call
 * has no effect. The console is captured by this file's print functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake.h"
#include "print.h"
#include "thread.h"

#include <mica/abi/syscall.h>

static char console[8192];
static size_t console_len;

void print_init(volatile void *regs)
{
	(void)regs;
}

void print_write(const char *s, size_t len)
{
	assert_true(console_len + len < sizeof(console));
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
	fail_msg("panic");
	abort();
}

#define USER_VA UINT64_C(0x400000)

static struct thread t;
static uint8_t *pages; /* Two pages of "physical" memory mapped at USER_VA. */

static int setup(void **state)
{
	(void)state;
	pages = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
	memset(pages, 'x', 2 * PAGE_SIZE);
	memset(&t, 0, sizeof(t));
	strcpy(t.name, "test");
	assert_int_equal(arch_vspace_init(&t.vspace, 1, NULL), MICA_OK);
	assert_int_equal(arch_vspace_map(&t.vspace, va_init(USER_VA), pa_init((uintptr_t)pages),
					 MAP_READ, NULL),
			 MICA_OK);
	assert_int_equal(arch_vspace_map(&t.vspace, va_init(USER_VA + PAGE_SIZE),
					 pa_init((uintptr_t)pages + PAGE_SIZE), MAP_READ, NULL),
			 MICA_OK);
	console_len = 0;
	console[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(pages);
	return 0;
}

static void call(uint64_t nr, uint64_t a0, uint64_t a1)
{
	t.regs.x[7] = nr;
	t.regs.x[0] = a0;
	t.regs.x[1] = a1;
	syscall_dispatch(&t);
}

static void test_unknown_syscall_is_an_error(void **state)
{
	(void)state;
	call(0, 0, 0);
	assert_int_equal(t.regs.x[0], MICA_ERR_UNKNOWN_SYSCALL);
	call(UINT64_MAX, 0, 0);
	assert_int_equal(t.regs.x[0], MICA_ERR_UNKNOWN_SYSCALL);
}

static void test_debug_write_prints_exactly_len_bytes(void **state)
{
	(void)state;
	memcpy(pages + 10, "hello", 5);
	call(MICA_SYS_DEBUG_WRITE, USER_VA + 10, 5);
	assert_int_equal(t.regs.x[0], MICA_OK);
	assert_int_equal(t.regs.x[1], 5);
	assert_string_equal(console, "hello");
}

static void test_debug_write_crosses_mapped_pages(void **state)
{
	(void)state;
	memcpy(pages + PAGE_SIZE - 2, "abcd", 4);
	call(MICA_SYS_DEBUG_WRITE, USER_VA + PAGE_SIZE - 2, 4);
	assert_int_equal(t.regs.x[0], MICA_OK);
	assert_string_equal(console, "abcd");
}

static void test_debug_write_into_unmapped_page_prints_nothing(void **state)
{
	(void)state;
	call(MICA_SYS_DEBUG_WRITE, USER_VA + 2 * PAGE_SIZE - 2, 4);
	assert_int_equal(t.regs.x[0], MICA_ERR_BAD_ADDRESS);
	assert_int_equal(console_len, 0);
	call(MICA_SYS_DEBUG_WRITE, 0, 1);
	assert_int_equal(t.regs.x[0], MICA_ERR_BAD_ADDRESS);
	assert_int_equal(console_len, 0);
}

static void test_debug_write_rejects_wrapping_and_oversized_buffers(void **state)
{
	(void)state;
	call(MICA_SYS_DEBUG_WRITE, UINT64_MAX - 1, 4);
	assert_int_equal(t.regs.x[0], MICA_ERR_BAD_ADDRESS);
	call(MICA_SYS_DEBUG_WRITE, USER_VA, MICA_DEBUG_WRITE_MAX + 1);
	assert_int_equal(t.regs.x[0], MICA_ERR_RANGE);
	assert_int_equal(console_len, 0);
}

static void test_debug_write_of_nothing_succeeds(void **state)
{
	(void)state;
	call(MICA_SYS_DEBUG_WRITE, 0, 0);
	assert_int_equal(t.regs.x[0], MICA_OK);
	assert_int_equal(t.regs.x[1], 0);
}

static void test_system_off_passes_the_status(void **state)
{
	jmp_buf jump;

	(void)state;
	fake_power_off_jump = &jump;
	if (setjmp(jump) == 0) {
		call(MICA_SYS_SYSTEM_OFF, 42, 0);
		fail_msg("system off returned");
	}
	fake_power_off_jump = NULL;
	assert_int_equal(fake_power_off_status, 42);
	assert_non_null(strstr(console, "system off requested by test, status 42"));
}

static void test_system_off_rejects_a_status_above_255(void **state)
{
	(void)state;
	fake_power_off_status = -1;
	call(MICA_SYS_SYSTEM_OFF, 256, 0);
	assert_int_equal(t.regs.x[0], MICA_ERR_RANGE);
	assert_int_equal(fake_power_off_status, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_syscall_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_write_prints_exactly_len_bytes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_debug_write_crosses_mapped_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_debug_write_into_unmapped_page_prints_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_debug_write_rejects_wrapping_and_oversized_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_write_of_nothing_succeeds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_system_off_passes_the_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_off_rejects_a_status_above_255, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
