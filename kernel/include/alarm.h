/*
 * Alarms: a notification signals itself at a time its waiter chose
 * (MICA_NOTIFICATION_SET_ALARM), so that a user thread can sleep, time out
 * or do periodic work with no timer of its own. One alarm per
 * notification; the kernel keeps the armed ones in one heap, earliest
 * first, and the boot CPU's timer (or the arming CPU's) fires them
 * (arch_timer_wake_by).
 */
#ifndef MICA_ALARM_H
#define MICA_ALARM_H

#include "ipc.h"

#include <stdint.h>

/* Arm n to be signalled with bits once the counter reaches at (replacing its alarm). */
void alarm_set(struct notification *n, uint64_t at, uint64_t bits);

/* Disarm n's alarm, if it has one (also as n is destroyed). */
void alarm_cancel(struct notification *n);

/*
 * Signal the alarms due at now, at most a burst of them; returns when the
 * next is due (now if more are due already; UINT64_MAX: none).
 */
uint64_t alarm_fire(uint64_t now);

#endif
