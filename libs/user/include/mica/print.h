/*
 * Console output for EL0 programs, through the debug-write system call.
 */
#ifndef MICA_USER_PRINT_H
#define MICA_USER_PRINT_H

/* printf to the debug console; output is sent line by line. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write a string followed by a newline. */
int puts(const char *s);

#endif
