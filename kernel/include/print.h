/*
 * The kernel's console output.
 */
#ifndef MICA_PRINT_H
#define MICA_PRINT_H

#include "types.h"

/* Send console output to the PL011 at regs (NULL: output is dropped). */
void print_init(volatile void *regs);

void print_write(const char *s, size_t len);

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a kernel bug and power off with MICA_EXIT_KERNEL_PANIC. */
NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
