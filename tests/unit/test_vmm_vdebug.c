/*
 * Unit tests for servers/vmm/vdebug.c: a guest's debug registers, as the
 * Arm ARM describes them (D2, D19.3). Encodings are written out from it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <mica/abi/vcpu.h>

#include "vdebug.h"

#define ENC(op0, op1, crn, crm, op2)                                                               \
	(((uint64_t)(op0) << 14) | ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) |              \
	 ((uint64_t)(crm) << 3) | (uint64_t)(op2))

#define MDSCR	  ENC(2, 0, 0, 2, 2)
#define OSLAR	  ENC(2, 0, 1, 0, 4)
#define OSLSR	  ENC(2, 0, 1, 1, 4)
#define OSDLR	  ENC(2, 0, 1, 3, 4)
#define PRCR	  ENC(2, 0, 1, 4, 4)
#define CLAIMSET  ENC(2, 0, 7, 8, 6)
#define CLAIMCLR  ENC(2, 0, 7, 9, 6)
#define MDCCSR	  ENC(2, 3, 0, 1, 0)
#define MDRAR	  ENC(2, 0, 1, 0, 0)
#define AUTHSTAT  ENC(2, 0, 7, 14, 6)
#define TRCPRGCTL ENC(2, 1, 0, 1, 0) /* A trace register: op0 2, op1 1. */

#define SS  UINT64_C(1)
#define KDE (UINT64_C(1) << 13)
#define HDE (UINT64_C(1) << 14)
#define MDE (UINT64_C(1) << 15)

static enum vdebug_action access(struct vdebug *d, uint64_t enc, bool is_write, uint64_t *v)
{
	uint64_t reg = 0xbad;

	return vdebug_access(d, enc, is_write, v, &reg);
}

static uint64_t read(struct vdebug *d, uint64_t enc)
{
	uint64_t v = 0x5e5e;

	assert_int_equal(access(d, enc, false, &v), VDEBUG_DONE);
	return v;
}

/* A cold reset: OS Lock set (OSLSR_EL1 0b1010), nothing enabled whatever MDSCR says. */
static void test_reset_locks(void **state)
{
	struct vdebug d;
	uint64_t v = SS | KDE | MDE;

	(void)state;
	vdebug_reset(&d);
	assert_int_equal(read(&d, OSLSR), 0xa);
	assert_int_equal(access(&d, MDSCR, true, &v), VDEBUG_MDSCR);
	assert_int_equal(read(&d, MDSCR), SS | KDE | MDE);
	assert_int_equal(vdebug_mdscr(&d), 0);
}

/* Clearing the OS Lock lets MDSCR through; setting it again, or the Double Lock, stops it. */
static void test_os_lock(void **state)
{
	struct vdebug d;
	uint64_t v = SS | KDE | MDE | HDE, zero = 0, one = 1;

	(void)state;
	vdebug_reset(&d);
	(void)access(&d, MDSCR, true, &v);
	assert_int_equal(access(&d, OSLAR, true, &zero), VDEBUG_MDSCR);
	assert_int_equal(read(&d, OSLSR), 0x8);
	/* Halting debug (HDE) is read back, never given: no external debugger. */
	assert_int_equal(read(&d, MDSCR), SS | KDE | MDE | HDE);
	assert_int_equal(vdebug_mdscr(&d), SS | KDE | MDE);
	assert_int_equal(access(&d, OSDLR, true, &one), VDEBUG_MDSCR);
	assert_int_equal(read(&d, OSDLR), 1);
	assert_int_equal(vdebug_mdscr(&d), 0);
	/* A power-down request (DBGPRCR_EL1.CORENPDRQ) keeps the Double Lock from holding. */
	assert_int_equal(access(&d, PRCR, true, &one), VDEBUG_MDSCR);
	assert_int_equal(read(&d, PRCR), 1);
	assert_int_equal(vdebug_mdscr(&d), SS | KDE | MDE);
	assert_int_equal(access(&d, PRCR, true, &zero), VDEBUG_MDSCR);
	assert_int_equal(vdebug_mdscr(&d), 0);
	assert_int_equal(access(&d, OSDLR, true, &zero), VDEBUG_MDSCR);
	assert_int_equal(vdebug_mdscr(&d), SS | KDE | MDE);
	assert_int_equal(access(&d, OSLAR, true, &one), VDEBUG_MDSCR);
	assert_int_equal(vdebug_mdscr(&d), 0);
}

/* Status and DCC bits of MDSCR_EL1 are not the guest's to set. */
static void test_mdscr_writable_bits(void **state)
{
	struct vdebug d;
	uint64_t v = ~UINT64_C(0);

	(void)state;
	vdebug_reset(&d);
	(void)access(&d, MDSCR, true, &v);
	assert_int_equal(read(&d, MDSCR), SS | (UINT64_C(1) << 12) | KDE | HDE | MDE);
}

/* Breakpoints and watchpoints are the kernel's: DBGBVR0, DBGBCR3, DBGWVR15, DBGWCR7. */
static void test_breakpoints_go_to_the_kernel(void **state)
{
	struct vdebug d;
	uint64_t v = 0, reg = 0;

	(void)state;
	vdebug_reset(&d);
	assert_int_equal(vdebug_access(&d, ENC(2, 0, 0, 0, 4), false, &v, &reg), VDEBUG_KERNEL);
	assert_int_equal(reg, MICA_VCPU_REG_DBGBVR0);
	assert_int_equal(vdebug_access(&d, ENC(2, 0, 0, 3, 5), true, &v, &reg), VDEBUG_KERNEL);
	assert_int_equal(reg, MICA_VCPU_REG_DBGBCR0 + 3);
	assert_int_equal(vdebug_access(&d, ENC(2, 0, 0, 15, 6), true, &v, &reg), VDEBUG_KERNEL);
	assert_int_equal(reg, MICA_VCPU_REG_DBGWVR0 + 15);
	assert_int_equal(vdebug_access(&d, ENC(2, 0, 0, 7, 7), false, &v, &reg), VDEBUG_KERNEL);
	assert_int_equal(reg, MICA_VCPU_REG_DBGWCR0 + 7);
}

/* Claim tags: DBGCLAIMSET reads the 8 implemented, DBGCLAIMCLR the ones set. */
static void test_claim_tags(void **state)
{
	struct vdebug d;
	uint64_t set = 0x1a5, clr = 0x21;

	(void)state;
	vdebug_reset(&d);
	assert_int_equal(access(&d, CLAIMSET, true, &set), VDEBUG_DONE);
	assert_int_equal(read(&d, CLAIMSET), 0xff);
	assert_int_equal(read(&d, CLAIMCLR), 0xa5);
	assert_int_equal(access(&d, CLAIMCLR, true, &clr), VDEBUG_DONE);
	assert_int_equal(read(&d, CLAIMCLR), 0x84);
}

/* Read-only registers refuse writes, OSLAR_EL1 reads, and trace is not there. */
static void test_undefined(void **state)
{
	struct vdebug d;
	uint64_t v = 0;

	(void)state;
	vdebug_reset(&d);
	assert_int_equal(access(&d, OSLSR, true, &v), VDEBUG_UNDEFINED);
	assert_int_equal(access(&d, MDCCSR, true, &v), VDEBUG_UNDEFINED);
	assert_int_equal(access(&d, MDRAR, true, &v), VDEBUG_UNDEFINED);
	assert_int_equal(access(&d, AUTHSTAT, true, &v), VDEBUG_UNDEFINED);
	assert_int_equal(access(&d, OSLAR, false, &v), VDEBUG_UNDEFINED);
	assert_int_equal(access(&d, TRCPRGCTL, false, &v), VDEBUG_UNDEFINED);
	assert_int_equal(read(&d, MDCCSR), 0);
	assert_int_equal(read(&d, MDRAR), 0);
	assert_int_equal(read(&d, AUTHSTAT), 0xa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_locks),
		cmocka_unit_test(test_os_lock),
		cmocka_unit_test(test_mdscr_writable_bits),
		cmocka_unit_test(test_breakpoints_go_to_the_kernel),
		cmocka_unit_test(test_claim_tags),
		cmocka_unit_test(test_undefined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
