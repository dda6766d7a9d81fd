/* Alarms on notifications (alarm.h). */
#include "alarm.h"

#include "arch.h"

static struct notification *armed; /* Earliest first; linked by alarm_next. */

void alarm_set(struct notification *n, uint64_t at, uint64_t bits)
{
	struct notification **p = &armed;

	alarm_cancel(n);
	n->alarm_at = at; /* Never 0: the invocation takes 0 as "cancel". */
	n->alarm_bits = bits;
	while (*p != NULL && (*p)->alarm_at <= n->alarm_at)
		p = &(*p)->alarm_next;
	n->alarm_next = *p;
	*p = n;
	arch_timer_wake_by(n->alarm_at);
}

void alarm_cancel(struct notification *n)
{
	struct notification **p = &armed;

	if (n->alarm_at == 0)
		return;
	while (*p != n)
		p = &(*p)->alarm_next;
	*p = n->alarm_next;
	n->alarm_next = NULL;
	n->alarm_at = 0;
}

uint64_t alarm_fire(uint64_t now)
{
	while (armed != NULL && armed->alarm_at <= now) {
		struct notification *n = armed;

		armed = n->alarm_next;
		n->alarm_next = NULL;
		n->alarm_at = 0;
		notification_signal(n, n->alarm_bits);
	}
	return armed != NULL ? armed->alarm_at : UINT64_MAX;
}
