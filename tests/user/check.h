/*
 * Checks for EL0 test programs. A failed check prints the line the QEMU
 * test runner looks for, "FAIL file:line what", counts it and goes on;
 * check_finish() prints FINISHED only if nothing failed.
 */
#ifndef MICA_TESTS_CHECK_H
#define MICA_TESTS_CHECK_H

#include <mica/abi/bootinfo.h>
#include <mica/abi/objects.h>
#include <mica/process.h>
#include <mica/print.h>

#include <stdint.h>

/* Checks that failed so far in this program. */
extern int check_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond);                      \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* An expression that must give MICA_OK; prints the error otherwise. */
#define CHECK_OK(expr)                                                                             \
	do {                                                                                       \
		enum mica_error err_ = (expr);                                                     \
		if (err_ != MICA_OK) {                                                             \
			printf("FAIL %s:%d %s: error %d\n", __FILE__, __LINE__, #expr, err_);      \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* An equality check that prints both values, so a failure is a bug report. */
#define CHECK_EQ(actual, expected)                                                                 \
	do {                                                                                       \
		uint64_t actual_ = (uint64_t)(actual);                                             \
		uint64_t expected_ = (uint64_t)(expected);                                         \
		if (actual_ != expected_) {                                                        \
			printf("FAIL %s:%d %s is 0x%llx, expected 0x%llx\n", __FILE__, __LINE__,   \
			       #actual, (unsigned long long)actual_,                               \
			       (unsigned long long)expected_);                                     \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* Print FINISHED, or the number of failures under name; returns main's status. */
int check_finish(const char *name);

/*
 * A thread in the root task's address space, not yet started: its TCB and
 * IPC-buffer frame come from make(type, size_bits) (a slot holding the new
 * object), the buffer is mapped in the next free page above the root task's
 * own, and it will run fn on stack_top with the given CSpace root, priority,
 * fault endpoint (0: none) and name.
 */
uint64_t check_thread(uint64_t (*make)(enum mica_object_type, unsigned), void (*fn)(void),
		      const uint8_t *stack_top, unsigned priority, uint64_t cspace,
		      uint64_t fault_ep, const char *name);

/*
 * A process from the boot archive's file name, not started: a FAIL line
 * (with the step that failed) if it cannot be built.
 */
enum mica_error check_process(struct process *p, const struct mica_boot_info *info,
			      const char *name, unsigned priority, uint64_t fault_ep, uint64_t arg);

/* A guest: its VM, its vCPU and the thread that runs it. */
struct check_guest {
	uint64_t vm;
	uint64_t vcpu;
	uint64_t tcb;
	uint64_t entry;
};

/*
 * A VM holding the boot archive's ELF file, and a vCPU thread at its entry
 * point, not yet started, with the given priority and name; its exits go
 * to endpoint ep with badge. FAIL lines for any step that fails.
 */
struct check_guest check_guest(const struct mica_boot_info *info, const char *file, uint64_t ep,
			       uint64_t badge, unsigned priority, const char *name);

#endif
