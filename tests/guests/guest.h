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
#define GUEST_CALL_RESULT 0xb1 /* x1..x3 = min, median, max instructions. */

#endif
