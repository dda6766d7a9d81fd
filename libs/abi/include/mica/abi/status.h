/*
 * Exit statuses the machine reports when Mica powers it off (QEMU exits
 * with them under semihosting). A root task chooses its own status with
 * MICA_SYS_SYSTEM_OFF; the kernel uses the values below for its own ends.
 */
#ifndef MICA_ABI_STATUS_H
#define MICA_ABI_STATUS_H

enum mica_exit_status {
	MICA_EXIT_SUCCESS = 0,	    /* The root task reported success. */
	MICA_EXIT_FAILURE = 1,	    /* The root task reported failure. */
	MICA_EXIT_KERNEL_PANIC = 2, /* The kernel found a bug in itself. */
	MICA_EXIT_NEEDS_EL2 = 3,    /* Started without EL2 (no virtualization=on). */
	MICA_EXIT_BOOT_ERROR = 4,   /* The boot inputs (DTB, archive) are unusable. */
	MICA_EXIT_ROOT_FAULT = 5,   /* The root task took a fault nobody handles. */
};

#endif
