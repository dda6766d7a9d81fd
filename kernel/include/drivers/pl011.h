/*
 * The kernel's debug console on an Arm PL011 UART: polled output only.
 * (Guests get their UARTs from a user-level device server, never from here.)
 */
#ifndef MICA_DRIVERS_PL011_H
#define MICA_DRIVERS_PL011_H

#include "types.h"

/* Write s to the PL011 whose registers are at base (physical or virtual). */
void pl011_puts(volatile void *base, const char *s);

/* Write len bytes, turning "\n" into "\r\n". */
void pl011_write(volatile void *base, const char *s, size_t len);

#endif
