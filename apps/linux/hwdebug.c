/*
 * hwdebug: hardware debug as a Linux guest's user space sees it, through
 * ptrace (mica.test=hwdebug runs it; apps/linux/tests/hwdebug). A tracer
 * forks a child for each check, and
 *
 *   - reads how many breakpoint and watchpoint slots Linux found;
 *   - single-steps the child along a straight line of instructions;
 *   - stops it with a hardware breakpoint on a function;
 *   - stops it with a hardware watchpoint on a store to a variable.
 *
 * Linux does each with the debug registers of the CPU the child runs on:
 * MDSCR_EL1.SS and SPSR_EL1.SS for a step, DBGBVR<n>_EL1 and DBGBCR<n>_EL1
 * for a breakpoint, DBGWVR<n>_EL1 and DBGWCR<n>_EL1 for a watchpoint. In a
 * VM those are the vCPU's, which its hypervisor must give it.
 *
 * It prints "mica-guest: hwdebug: ..." lines, "step ok", "breakpoint ok"
 * and "watchpoint ok" among them, and for each check that fails a line
 * "FAIL mica-guest: hwdebug: ..." saying what was expected and what came
 * instead; it exits with status 1 if any check failed.
 *
 * A static program without a C library: _start and the child's code are in
 * hwdebug_child.S, the system calls are made here, and the structures that
 * ptrace reads and writes are written out from Linux's UAPI headers.
 */
#include <base/fmt.h>

#include "linux_sys.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

const char linux_program[] = "hwdebug";

/* The ptrace requests used (include/uapi/linux/ptrace.h). */
enum ptrace_request {
	PTRACE_TRACEME = 0,
	PTRACE_CONT = 7,
	PTRACE_SINGLESTEP = 9,
	PTRACE_GETSIGINFO = 0x4202,
	PTRACE_GETREGSET = 0x4204,
	PTRACE_SETREGSET = 0x4205,
};

/* Register sets, named by their core-file note types (include/uapi/linux/elf.h). */
enum regset {
	NT_PRSTATUS = 1,	 /* The general registers: struct user_regs. */
	NT_ARM_HW_BREAK = 0x402, /* The breakpoints: struct hwdebug_state. */
	NT_ARM_HW_WATCH = 0x403, /* The watchpoints: struct hwdebug_state. */
};

/*
 * Signal numbers (include/uapi/asm-generic/signal.h), prefixed: static
 * checkers know the plain names as a C library's macros.
 */
enum signal_number {
	LINUX_SIGTRAP = 5,
	LINUX_SIGKILL = 9,
	LINUX_SIGCHLD = 17,
	LINUX_SIGSTOP = 19,
};

/* SIGTRAP's si_code values (include/uapi/asm-generic/siginfo.h). */
enum trap_code {
	TRAP_TRACE = 2,	 /* A single step. */
	TRAP_HWBKPT = 4, /* A hardware breakpoint or watchpoint. */
};

/* struct user_pt_regs (arch/arm64/include/uapi/asm/ptrace.h): NT_PRSTATUS. */
struct user_regs {
	uint64_t x[31];
	uint64_t sp;
	uint64_t pc;
	uint64_t pstate;
};
_Static_assert(sizeof(struct user_regs) == 272, "user_pt_regs is 34 registers");

/* One slot of struct user_hwdebug_state: a breakpoint or a watchpoint. */
struct hwdebug_slot {
	uint64_t addr;
	uint32_t ctrl; /* HWDEBUG_CTRL_*. */
	uint32_t pad;
};

/* The most slots Linux's regsets hold (ARM_MAX_BRP, ARM_MAX_WRP). */
#define HWDEBUG_SLOT_COUNT 16

/*
 * struct user_hwdebug_state (arch/arm64/include/uapi/asm/ptrace.h): the
 * NT_ARM_HW_BREAK and NT_ARM_HW_WATCH regsets. The length of the iovec
 * given to PTRACE_SETREGSET says how many slots it sets, from slot 0;
 * dbg_info is read only.
 */
struct hwdebug_state {
	uint32_t dbg_info; /* dbg_info_slots(), dbg_info_arch(). */
	uint32_t pad;
	struct hwdebug_slot slots[HWDEBUG_SLOT_COUNT];
};
_Static_assert(offsetof(struct hwdebug_state, slots) == 8, "the slots follow two words");
_Static_assert(sizeof(struct hwdebug_state) == 8 + 16 * HWDEBUG_SLOT_COUNT, "slots are 16 bytes");

/* dbg_info's bits 7:0: how many slots the CPUs have, of the regset's kind. */
static unsigned int dbg_info_slots(uint32_t info)
{
	return info & 0xffu;
}

/* dbg_info's bits 15:8: the debug architecture, ID_AA64DFR0_EL1.DebugVer. */
static unsigned int dbg_info_arch(uint32_t info)
{
	return (info >> 8) & 0xffu;
}

/*
 * A slot's ctrl word as Linux's regsets take it, which is the low bits of
 * DBGBCR<n>_EL1 and DBGWCR<n>_EL1 (the Arm ARM's register descriptions;
 * decode_ctrl_reg in Linux's arch/arm64/include/asm/hw_breakpoint.h reads
 * it the same way): bit 0 enables the slot, bits 2:1 say at which
 * exception levels it matches, bits 4:3 (watchpoints only) which accesses,
 * and bits 12:5 select bytes from the address.
 */
#define HWDEBUG_CTRL_ENABLE	 (1u << 0)
#define HWDEBUG_CTRL_EL0	 (2u << 1)
#define HWDEBUG_CTRL_STORE	 (2u << 3)
#define HWDEBUG_CTRL_BYTES(mask) ((uint32_t)(mask) << 5)

/* A breakpoint's bytes: one A64 instruction, 4 bytes from the address. */
#define HWDEBUG_CTRL_INSTRUCTION HWDEBUG_CTRL_BYTES(0xfu)

/* A watchpoint's bytes: all 8 from the (8-byte aligned) address. */
#define HWDEBUG_CTRL_8_BYTES HWDEBUG_CTRL_BYTES(0xffu)

/*
 * siginfo_t for a fault signal such as SIGTRAP, as PTRACE_GETSIGINFO writes
 * it (include/uapi/asm-generic/siginfo.h): three ints, then a union that
 * is 8-byte aligned and starts with si_addr; 128 bytes in all.
 */
struct siginfo {
	int32_t signo;
	int32_t error;
	int32_t code; /* enum trap_code for SIGTRAP. */
	int32_t pad;
	uint64_t addr;
	uint8_t rest[104];
};
_Static_assert(sizeof(struct siginfo) == 128, "siginfo_t is 128 bytes");
_Static_assert(offsetof(struct siginfo, addr) == 16, "si_addr is at 16");

/* struct iovec (include/uapi/linux/uio.h): how PTRACE_*REGSET take a buffer. */
struct iovec {
	void *base;
	size_t len;
};

/*
 * In hwdebug_child.S, the code the child runs, which the tracer checks its
 * stops against: the straight line it steps, the breakpoint's function and
 * the store the watchpoint catches.
 */
void hwdebug_stop_and_step(void);
extern const uint32_t hwdebug_stepped[];
extern const uint32_t hwdebug_stepped_end[];
void hwdebug_breakpoint_target(void);
void hwdebug_store(uint64_t *p, uint64_t value);

/* Called by _start; its result is the exit status. */
int hwdebug_main(void);

/*
 * The watchpoint's variable, and what the child stores in it: 8-byte
 * aligned, as any uint64_t is, so that one watchpoint covers it exactly.
 */
static uint64_t watched;
#define WATCHED_VALUE 0x5ca1ab1e0ddba11ull

/* The child's exit statuses: only 0 means it ran as the tracer expects. */
enum child_exit {
	CHILD_OK = 0,
	CHILD_TRACEME_FAILED = 3,
	CHILD_STORE_LOST = 4,
};

/* The raw system call: 0 or a negative errno, never PTRACE_PEEK's data. */
static long sys_ptrace(long request, int pid, uintptr_t addr, void *data)
{
	return linux_syscall(SYS_PTRACE, request, pid, (long)addr, (long)data, 0);
}

/* Prints "FAIL mica-guest: hwdebug: " and fmt; returns false. */
static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	linux_print_line("FAIL mica-guest: hwdebug: ", fmt, ap);
	va_end(ap);
	return false;
}

/*
 * The child: asks to be traced, stops itself, is stepped through
 * hwdebug_stepped, calls the breakpoint's function, stores to the
 * watchpoint's variable and exits, saying whether the store took effect.
 */
static _Noreturn void child_main(void)
{
	if (sys_ptrace(PTRACE_TRACEME, 0, 0, NULL) != 0) {
		linux_exit(CHILD_TRACEME_FAILED);
	}
	hwdebug_stop_and_step();
	hwdebug_breakpoint_target();
	hwdebug_store(&watched, WATCHED_VALUE);
	linux_exit(watched == WATCHED_VALUE ? CHILD_OK : CHILD_STORE_LOST);
}

/* A traced child, and whether it has been waited for after it ended. */
struct child {
	int pid;
	bool is_reaped;
};

/*
 * The parts of a wait status (wait4's, as wait(2) documents it and
 * glibc's bits/waitstatus.h decode it): the low 7 bits are the signal
 * that killed the process, or 0 if it exited, or 0x7f if it stopped; the
 * next 8 bits are the exit status or the stop signal.
 */
static bool status_is_stopped(int status)
{
	return (status & 0xff) == 0x7f;
}

static int status_kill_signal(int status)
{
	return status & 0x7f;
}

static bool status_is_exited(int status)
{
	return status_kill_signal(status) == 0;
}

static int status_high_byte(int status)
{
	return (status >> 8) & 0xff;
}

/* What a wait status says, for a failure message. */
static void describe_status(int status, char *buf, size_t size)
{
	if (status_is_stopped(status)) {
		fmt_snprintf(buf, size, "stopped with signal %d", status_high_byte(status));
	} else if (status_is_exited(status)) {
		fmt_snprintf(buf, size, "exited with status %d", status_high_byte(status));
	} else {
		fmt_snprintf(buf, size, "was killed by signal %d", status_kill_signal(status));
	}
}

/* Waits for the child to change state; what names the wait in a failure. */
static bool wait_child(struct child *c, int *status, const char *what)
{
	long ret = linux_syscall(SYS_WAIT4, c->pid, (long)status, 0, 0, 0);

	if (ret != c->pid) {
		return fail("%s: wait4 returned %ld", what, ret);
	}
	if (!status_is_stopped(*status)) {
		c->is_reaped = true;
	}
	return true;
}

static bool get_regs(struct child *c, struct user_regs *regs, const char *what)
{
	struct iovec iov = {.base = regs, .len = sizeof(*regs)};
	long ret = sys_ptrace(PTRACE_GETREGSET, c->pid, NT_PRSTATUS, &iov);

	if (ret != 0) {
		return fail("%s: PTRACE_GETREGSET NT_PRSTATUS: error %ld", what, ret);
	}
	return true;
}

/*
 * Waits for the child's next stop, and checks that it is for SIGTRAP with
 * si_code want_code; on success regs and info hold its registers and
 * siginfo. what names the stop in a failure.
 */
static bool wait_trap(struct child *c, int want_code, struct user_regs *regs, struct siginfo *info,
		      const char *what)
{
	char how[64];
	int status = 0;
	long ret;

	if (!wait_child(c, &status, what)) {
		return false;
	}
	if (!status_is_stopped(status) || status_high_byte(status) != LINUX_SIGTRAP) {
		describe_status(status, how, sizeof(how));
		return fail("%s: the child %s, not stopped with SIGTRAP", what, how);
	}
	ret = sys_ptrace(PTRACE_GETSIGINFO, c->pid, 0, info);
	if (ret != 0) {
		return fail("%s: PTRACE_GETSIGINFO: error %ld", what, ret);
	}
	if (info->code != want_code) {
		return fail("%s: SIGTRAP with si_code %d, not %d", what, info->code, want_code);
	}
	return get_regs(c, regs, what);
}

/* Resumes the child with request (PTRACE_CONT, PTRACE_SINGLESTEP), no signal. */
static bool resume(struct child *c, long request, const char *what)
{
	long ret = sys_ptrace(request, c->pid, 0, NULL);

	if (ret != 0) {
		return fail("%s: ptrace request %ld: error %ld", what, request, ret);
	}
	return true;
}

/* Sets slot 0 of regset (NT_ARM_HW_BREAK or NT_ARM_HW_WATCH), and only it. */
static bool set_slot(struct child *c, long regset, uintptr_t addr, uint32_t ctrl, const char *what)
{
	struct hwdebug_state state = {.slots[0] = {.addr = addr, .ctrl = ctrl}};
	struct iovec iov = {
		.base = &state,
		.len = offsetof(struct hwdebug_state, slots) + sizeof(state.slots[0]),
	};
	long ret = sys_ptrace(PTRACE_SETREGSET, c->pid, (uintptr_t)regset, &iov);

	if (ret != 0) {
		return fail("%s: PTRACE_SETREGSET 0x%lx, addr 0x%lx ctrl 0x%x: error %ld", what,
			    regset, (unsigned long)addr, ctrl, ret);
	}
	return true;
}

/*
 * Forks the child and waits for it to stop itself, which it does with its
 * pc at hwdebug_stepped and nothing stepped yet.
 */
static bool start_child(struct child *c, const char *what)
{
	struct user_regs regs = {0};
	char how[64];
	int status = 0;
	long pid = linux_syscall(SYS_CLONE, LINUX_SIGCHLD, 0, 0, 0, 0);

	if (pid < 0) {
		return fail("%s: clone: error %ld", what, pid);
	}
	if (pid == 0) {
		child_main();
	}
	c->pid = (int)pid;
	c->is_reaped = false;
	if (!wait_child(c, &status, what)) {
		return false;
	}
	if (!status_is_stopped(status) || status_high_byte(status) != LINUX_SIGSTOP) {
		describe_status(status, how, sizeof(how));
		return fail("%s: the child %s, not stopped with SIGSTOP", what, how);
	}
	if (!get_regs(c, &regs, what)) {
		return false;
	}
	if (regs.pc != (uintptr_t)hwdebug_stepped || regs.x[9] != 0) {
		return fail("%s: the child stopped at pc 0x%lx with x9 %lu, not at 0x%lx with 0",
			    what, (unsigned long)regs.pc, (unsigned long)regs.x[9],
			    (unsigned long)(uintptr_t)hwdebug_stepped);
	}
	return true;
}

/* Kills the child unless it has ended, and waits for it. */
static void end_child(struct child *c)
{
	int status = 0;

	while (!c->is_reaped) {
		linux_syscall(SYS_KILL, c->pid, LINUX_SIGKILL, 0, 0, 0);
		if (!wait_child(c, &status, "ending the child")) {
			return;
		}
	}
}

/*
 * How many breakpoints and watchpoints Linux found (the fewest that any CPU
 * has), from dbg_info; each check below needs one of its kind.
 */
static bool check_slots(struct child *c)
{
	struct hwdebug_state breaks = {0};
	struct hwdebug_state watches = {0};
	struct iovec iov = {.base = &breaks, .len = sizeof(breaks)};
	long ret = sys_ptrace(PTRACE_GETREGSET, c->pid, NT_ARM_HW_BREAK, &iov);

	if (ret != 0) {
		return fail("slots: PTRACE_GETREGSET NT_ARM_HW_BREAK: error %ld", ret);
	}
	iov = (struct iovec){.base = &watches, .len = sizeof(watches)};
	ret = sys_ptrace(PTRACE_GETREGSET, c->pid, NT_ARM_HW_WATCH, &iov);
	if (ret != 0) {
		return fail("slots: PTRACE_GETREGSET NT_ARM_HW_WATCH: error %ld", ret);
	}
	linux_say("%u breakpoints (dbg_info 0x%x), %u watchpoints (dbg_info 0x%x), debug "
		  "architecture "
		  "0x%x",
		  dbg_info_slots(breaks.dbg_info), breaks.dbg_info,
		  dbg_info_slots(watches.dbg_info), watches.dbg_info,
		  dbg_info_arch(breaks.dbg_info));
	if (dbg_info_slots(breaks.dbg_info) == 0 || dbg_info_slots(watches.dbg_info) == 0) {
		return fail("slots: Linux found no breakpoint or no watchpoint slots");
	}
	return true;
}

/*
 * Single-steps the child along hwdebug_stepped: each step must stop with a
 * SIGTRAP for a trace trap, one instruction further on, with that
 * instruction's effect on x9 and no other instruction's.
 */
static bool check_step(struct child *c)
{
	/* Two symbols, not one array: C leaves subtracting their pointers undefined. */
	size_t count = ((uintptr_t)hwdebug_stepped_end - (uintptr_t)hwdebug_stepped) /
		       sizeof(hwdebug_stepped[0]);
	struct user_regs regs = {0};
	struct siginfo info = {0};
	char what[32];

	for (size_t n = 1; n <= count; n++) {
		uintptr_t want_pc = (uintptr_t)&hwdebug_stepped[n];

		fmt_snprintf(what, sizeof(what), "step %zu", n);
		if (!resume(c, PTRACE_SINGLESTEP, what) ||
		    !wait_trap(c, TRAP_TRACE, &regs, &info, what)) {
			return false;
		}
		if (regs.pc != want_pc || regs.x[9] != n) {
			return fail("%s: pc 0x%lx, x9 %lu; expected pc 0x%lx, x9 %zu", what,
				    (unsigned long)regs.pc, (unsigned long)regs.x[9],
				    (unsigned long)want_pc, n);
		}
	}
	linux_say("step ok: %zu single steps of one instruction from 0x%lx", count,
		  (unsigned long)(uintptr_t)hwdebug_stepped);
	return true;
}

/*
 * A breakpoint on hwdebug_breakpoint_target, at EL0: the child must stop
 * there with a SIGTRAP for a hardware breakpoint, its address in si_addr.
 */
static bool check_breakpoint(struct child *c)
{
	uintptr_t target = (uintptr_t)hwdebug_breakpoint_target;
	uint32_t ctrl = HWDEBUG_CTRL_ENABLE | HWDEBUG_CTRL_EL0 | HWDEBUG_CTRL_INSTRUCTION;
	struct user_regs regs = {0};
	struct siginfo info = {0};

	if (!set_slot(c, NT_ARM_HW_BREAK, target, ctrl, "breakpoint") ||
	    !resume(c, PTRACE_CONT, "breakpoint") ||
	    !wait_trap(c, TRAP_HWBKPT, &regs, &info, "breakpoint")) {
		return false;
	}
	if (regs.pc != target || info.addr != target) {
		return fail("breakpoint: stopped at pc 0x%lx with si_addr 0x%lx; expected both "
			    "0x%lx",
			    (unsigned long)regs.pc, (unsigned long)info.addr,
			    (unsigned long)target);
	}
	linux_say("breakpoint ok: stopped at 0x%lx", (unsigned long)target);
	return true;
}

/*
 * A watchpoint on stores to watched, at EL0: the child must stop at the
 * store with a SIGTRAP for a hardware watchpoint, watched's address in
 * si_addr. With the watchpoint gone, the store must then go through: the
 * child exits with CHILD_OK only if it reads back what it stored.
 */
static bool check_watchpoint(struct child *c)
{
	uintptr_t addr = (uintptr_t)&watched;
	uintptr_t store = (uintptr_t)hwdebug_store;
	uint32_t ctrl =
		HWDEBUG_CTRL_ENABLE | HWDEBUG_CTRL_EL0 | HWDEBUG_CTRL_STORE | HWDEBUG_CTRL_8_BYTES;
	struct user_regs regs = {0};
	struct siginfo info = {0};
	char how[64];
	int status = 0;

	if (!set_slot(c, NT_ARM_HW_WATCH, addr, ctrl, "watchpoint") ||
	    !resume(c, PTRACE_CONT, "watchpoint") ||
	    !wait_trap(c, TRAP_HWBKPT, &regs, &info, "watchpoint")) {
		return false;
	}
	if (info.addr != addr || regs.pc != store) {
		return fail("watchpoint: si_addr 0x%lx at pc 0x%lx; expected si_addr 0x%lx at "
			    "pc 0x%lx",
			    (unsigned long)info.addr, (unsigned long)regs.pc, (unsigned long)addr,
			    (unsigned long)store);
	}
	if (!set_slot(c, NT_ARM_HW_WATCH, addr, 0, "watchpoint removal") ||
	    !resume(c, PTRACE_CONT, "watchpoint removal") ||
	    !wait_child(c, &status, "watchpoint removal")) {
		return false;
	}
	if (!status_is_exited(status) || status_high_byte(status) != CHILD_OK) {
		describe_status(status, how, sizeof(how));
		return fail("watchpoint removal: the child %s, not exited with status %d", how,
			    CHILD_OK);
	}
	linux_say("watchpoint ok: a store to 0x%lx stopped at 0x%lx", (unsigned long)addr,
		  (unsigned long)store);
	return true;
}

/* Runs check on a child of its own, so that no check depends on another. */
static bool run_check(bool (*check)(struct child *c), const char *what)
{
	struct child c = {.pid = 0, .is_reaped = true};
	bool is_ok = start_child(&c, what) && check(&c);

	end_child(&c);
	return is_ok;
}

int hwdebug_main(void)
{
	bool is_ok = true;

	is_ok &= run_check(check_slots, "slots");
	is_ok &= run_check(check_step, "step");
	is_ok &= run_check(check_breakpoint, "breakpoint");
	is_ok &= run_check(check_watchpoint, "watchpoint");
	return is_ok ? 0 : 1;
}
