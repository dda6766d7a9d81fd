/*
 * Error codes returned by the kernel's system calls, and used for the same
 * meanings everywhere else in Mica. This header is part of the kernel ABI:
 * values never change once published.
 */
#ifndef MICA_ABI_ERRORS_H
#define MICA_ABI_ERRORS_H

enum mica_error {
	MICA_OK = 0,			 /* Success. */
	MICA_ERR_INVALID_ARGUMENT = 1,	 /* An argument is out of its domain. */
	MICA_ERR_INVALID_CAPABILITY = 2, /* A capability pointer names nothing usable. */
	MICA_ERR_ILLEGAL_OPERATION = 3,	 /* The object does not allow this. */
	MICA_ERR_RANGE = 4,		 /* A value lies outside the allowed range. */
	MICA_ERR_ALIGNMENT = 5,		 /* An address or size is misaligned. */
	MICA_ERR_BAD_ADDRESS = 6,	 /* A user buffer is not mapped as needed. */
	MICA_ERR_NOT_ENOUGH_MEMORY = 7,	 /* The memory given does not suffice. */
	MICA_ERR_UNKNOWN_SYSCALL = 8,	 /* No system call has this number. */
	MICA_ERR_MALFORMED = 9,		 /* Input data (a blob, a file) is malformed. */
	MICA_ERR_NOT_FOUND = 10,	 /* A looked-up item does not exist. */
	MICA_ERR_TRUNCATED = 11,	 /* Input ends before its declared size. */
	MICA_ERR_LOOKUP_FAILED = 12,	 /* A capability address resolves to no slot. */
	MICA_ERR_DELETE_FIRST = 13,	 /* The destination slot is not empty. */
	MICA_ERR_REVOKE_FIRST = 14,	 /* The untyped memory still has live children. */
	MICA_ERR_WRONG_TYPE = 15,	 /* The capability names an object of another type. */
	MICA_ERR_NO_RIGHTS = 16,	 /* The capability lacks a right the operation needs. */
	MICA_ERR_CANCELLED = 17,	 /* The operation was cut short (object deleted). */
};

#endif
