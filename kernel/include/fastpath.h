/*
 * The IPC fastpath, entered from the exception vectors with the calling
 * thread's saved context (its TCB). Each returns the context to resume;
 * what it declines goes on to the slow path (exception_user_sync, which
 * sees the system call exactly as made).
 */
#ifndef MICA_FASTPATH_H
#define MICA_FASTPATH_H

#include "thread.h"

/* The slow path for everything from EL0 (arch code). */
struct arch_regs *exception_user_sync(struct arch_regs *regs);

struct arch_regs *fastpath_call(struct arch_regs *regs);
struct arch_regs *fastpath_reply_recv(struct arch_regs *regs);
struct arch_regs *fastpath_guest_hvc(struct arch_regs *regs);
struct arch_regs *fastpath_guest_exit(struct arch_regs *regs);

#endif
