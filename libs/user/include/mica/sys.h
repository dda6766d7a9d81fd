/*
 * System-call stubs for EL0 programs (ABI in <mica/abi/syscall.h> and
 * <mica/abi/ipc.h>).
 *
 * Message registers travel in mr[0..3] (in and out); longer messages and
 * capability addresses use the thread's IPC buffer, which start-up code
 * (or whoever creates a thread) points TPIDR_EL0 at.
 */
#ifndef MICA_USER_SYS_H
#define MICA_USER_SYS_H

#include <stddef.h>
#include <stdint.h>

#include <mica/abi/errors.h>
#include <mica/abi/ipc.h>
#include <mica/abi/syscall.h>

/* What an IPC system call returns. */
struct mica_msg {
	enum mica_error err; /* MICA_OK: a message arrived (or was sent). */
	uint64_t badge;
	uint64_t info; /* mica_msg_label(), mica_msg_length(), ... */
};

/* Write len bytes at buf to the kernel's debug console. */
enum mica_error sys_debug_write(const void *buf, size_t len);

/*
 * Power the system off with an exit status (the root task only). Anyone
 * else stops here with a breakpoint fault, the status in x0.
 */
_Noreturn void sys_system_off(int status);

/*
 * The IPC system calls, inline so a call costs no more than its registers:
 * x0 capability, x1 info, x2..x5 message registers, x6 reply object in;
 * x0 badge, x1 info, x2..x5, x6 error out.
 */
static inline struct mica_msg mica_ipc(uint64_t nr, uint64_t cptr, uint64_t info, uint64_t reply,
				       uint64_t mr[MICA_MSG_REGISTERS])
{
	register uint64_t x0 __asm__("x0") = cptr;
	register uint64_t x1 __asm__("x1") = info;
	register uint64_t x2 __asm__("x2") = mr[0];
	register uint64_t x3 __asm__("x3") = mr[1];
	register uint64_t x4 __asm__("x4") = mr[2];
	register uint64_t x5 __asm__("x5") = mr[3];
	register uint64_t x6 __asm__("x6") = reply;
	register uint64_t x7 __asm__("x7") = nr;

	__asm__ volatile("svc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
			 : "r"(x7)
			 : "memory");
	mr[0] = x2;
	mr[1] = x3;
	mr[2] = x4;
	mr[3] = x5;
	return (struct mica_msg){.err = (enum mica_error)x6, .badge = x0, .info = x1};
}

static inline struct mica_msg mica_send(uint64_t cptr, uint64_t info,
					uint64_t mr[MICA_MSG_REGISTERS])
{
	return mica_ipc(MICA_SYS_SEND, cptr, info, 0, mr);
}

static inline struct mica_msg mica_nbsend(uint64_t cptr, uint64_t info,
					  uint64_t mr[MICA_MSG_REGISTERS])
{
	return mica_ipc(MICA_SYS_NBSEND, cptr, info, 0, mr);
}

static inline struct mica_msg mica_call(uint64_t cptr, uint64_t info,
					uint64_t mr[MICA_MSG_REGISTERS])
{
	return mica_ipc(MICA_SYS_CALL, cptr, info, 0, mr);
}

static inline struct mica_msg mica_recv(uint64_t cptr, uint64_t reply,
					uint64_t mr[MICA_MSG_REGISTERS])
{
	return mica_ipc(MICA_SYS_RECV, cptr, 0, reply, mr);
}

static inline struct mica_msg mica_nbrecv(uint64_t cptr, uint64_t reply,
					  uint64_t mr[MICA_MSG_REGISTERS])
{
	return mica_ipc(MICA_SYS_NBRECV, cptr, 0, reply, mr);
}

static inline struct mica_msg mica_reply_recv(uint64_t cptr, uint64_t reply, uint64_t info,
					      uint64_t mr[MICA_MSG_REGISTERS])
{
	return mica_ipc(MICA_SYS_REPLY_RECV, cptr, info, reply, mr);
}

static inline void mica_yield(void)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	(void)mica_ipc(MICA_SYS_YIELD, 0, 0, 0, mr);
}

/* Notifications: signal (send), wait (blocking receive), poll. The word is in badge. */
static inline enum mica_error mica_signal(uint64_t cptr)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	return mica_ipc(MICA_SYS_SEND, cptr, 0, 0, mr).err;
}

static inline struct mica_msg mica_wait(uint64_t cptr)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	return mica_ipc(MICA_SYS_RECV, cptr, 0, 0, mr);
}

static inline struct mica_msg mica_poll(uint64_t cptr)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};

	return mica_ipc(MICA_SYS_NBRECV, cptr, 0, 0, mr);
}

/* This thread's IPC buffer (from TPIDR_EL0). */
struct mica_ipc_buffer *mica_ipc_buffer(void);

/* A raw system call, for tests of the interface itself. */
struct mica_raw {
	uint64_t x[7];
};
void mica_syscall_raw(uint64_t nr, struct mica_raw *regs);

#endif
