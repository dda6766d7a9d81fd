/*
 * Host stand-ins for the system calls servers/vdev/console.c makes
 * (test_vdev_console.c defines them): no inline SVC on the host.
 */
#ifndef MICA_TEST_CONSOLE_SHIM_SYS_H
#define MICA_TEST_CONSOLE_SHIM_SYS_H

#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>
#include <mica/abi/ipc.h>

struct mica_msg {
	enum mica_error err;
	uint64_t badge;
	uint64_t info;
};

struct mica_msg mica_call(uint64_t cptr, uint64_t info, uint64_t mr[MICA_MSG_REGISTERS]);
struct mica_msg mica_nbsend(uint64_t cptr, uint64_t info, uint64_t mr[MICA_MSG_REGISTERS]);
enum mica_error sys_debug_write(const void *buf, size_t len);

#endif
