/*
 * System-call stubs for EL0 programs (ABI in <mica/abi/syscall.h>).
 */
#ifndef MICA_USER_SYS_H
#define MICA_USER_SYS_H

#include <stddef.h>

#include <mica/abi/errors.h>
#include <mica/abi/syscall.h>

/* Write len bytes at buf to the kernel's debug console. */
enum mica_error sys_debug_write(const void *buf, size_t len);

/* Power the system off with an exit status. */
_Noreturn void sys_system_off(int status);

#endif
