/*
 * What test guests and the test VMMs that run them agree on.
 */
#ifndef MICA_TESTS_GUEST_H
#define MICA_TESTS_GUEST_H

#define GUEST_RAM_BASE	   0x40000000ull
#define GUEST_IMAGE_BASE   0x40080000ull /* Where the image is linked (guest.ld). */
#define GUEST_IMAGE_PAGES  64ull
#define GUEST_UNMAPPED_IPA 0x10000000ull /* Nothing there until the VMM maps it. */
#define GUEST_MAGIC	   0x6d696361ull

/* Hypercall numbers (x0) of the test protocol. */
#define GUEST_CALL_HELLO  0xa1 /* x1..x7 = 1..7; the VMM answers x0..x3 = 0xb0..0xb3. */
#define GUEST_CALL_ECHO	  0xa2 /* x1..x4 = what the guest got back from HELLO. */
#define GUEST_CALL_SMC	  0xa3 /* Made with SMC; answered like an HVC. */
#define GUEST_CALL_READ	  0xa4 /* x1 = what the guest read at GUEST_UNMAPPED_IPA. */
#define GUEST_CALL_DONE	  0xaf
#define GUEST_CALL_NULL	  0xb0 /* The benchmark guest's null hypercall. */
#define GUEST_CALL_RESULT 0xb1 /* x1..x3 = min, median, max instructions; x4 = GUEST_BENCH_*. */

/* The benchmark guest's measurements. */
#define GUEST_BENCH_HVC		  0
#define GUEST_BENCH_MMIO_READ	  1
#define GUEST_BENCH_MMIO_WRITE	  2
#define GUEST_BENCH_MMIO_READ_VMM 3
#define GUEST_BENCH_SYSREG_READ	  4
#define GUEST_BENCH_COUNT	  5

/* The MMIO guest (mmio.c) and its VMM (tests/user/vm_mmio.c). */
#define GUEST_DEV_BASE		 0x09100000ull /* Bound to the test device server. */
#define GUEST_DEV_SIZE		 0x1000ull
#define GUEST_VMM_DEV_BASE	 0x09200000ull /* Not bound: the VMM serves it. */
#define GUEST_DEV_NEGATIVE	 0x0 /* Reads give 0xf0e1d2c3b4a59687: every width's top bit set. */
#define GUEST_DEV_POSITIVE	 0x8 /* Reads give 0x1122334455667708: no width's top bit set. */
#define GUEST_DEV_WRITES	 0x100 /* Stores of 1, 2, 4, 8 bytes at +0, +2, +4, +8. */
#define GUEST_DEV_DECLINE	 0xff8 /* The server declines: the VMM answers. */
#define GUEST_DEV_NEGATIVE_VALUE 0xf0e1d2c3b4a59687ull
#define GUEST_DEV_POSITIVE_VALUE 0x1122334455667708ull
#define GUEST_VMM_DEV_VALUE	 0x5a5a5a5aull
#define GUEST_DECLINED_VALUE	 0x77ull
#define GUEST_ACTLR_VALUE	 0xacc0ull

#define GUEST_CALL_FAIL	    0xa6 /* x1 = the guest's line, x2 = got, x3 = expected. */
#define GUEST_CALL_UNDEF    0xa7 /* Next: ACTLR_EL1 read; answer it with an undefined instruction. */
#define GUEST_CALL_MMIO_END 0xa8 /* x1 = checks made, x2 = exceptions taken at EL1. */

#endif
