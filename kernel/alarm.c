/*
 * Alarms on notifications (alarm.h), in a pairing heap ordered by due
 * time: arming is O(1), and disarming or firing one is O(log n) amortised,
 * so no number of armed alarms makes one operation long. Each node's prev
 * is its parent if it is a first child, else its left sibling. A timer
 * interrupt fires at most ALARM_BURST alarms; the rest come at once after.
 */
#include "alarm.h"

#include "arch.h"

#define ALARM_BURST 16

static struct notification *heap; /* The earliest alarm at the root. */

/* One heap of a and b (either may be NULL); each a root, with no siblings. */
static struct notification *meld(struct notification *a, struct notification *b)
{
	struct notification *t;

	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	if (b->alarm_at < a->alarm_at) {
		t = a;
		a = b;
		b = t;
	}
	b->alarm_prev = a;
	b->alarm_sibling = a->alarm_child;
	if (a->alarm_child != NULL)
		a->alarm_child->alarm_prev = b;
	a->alarm_child = b;
	return a;
}

/* The heap of the sibling list from first: meld in pairs, then the pairs, last first. */
static struct notification *merge_pairs(struct notification *first)
{
	struct notification *pairs = NULL, *h = NULL;

	while (first != NULL) {
		struct notification *a = first, *b = first->alarm_sibling;

		first = b != NULL ? b->alarm_sibling : NULL;
		a->alarm_sibling = a->alarm_prev = NULL;
		if (b != NULL)
			b->alarm_sibling = b->alarm_prev = NULL;
		a = meld(a, b);
		a->alarm_sibling = pairs;
		pairs = a;
	}
	while (pairs != NULL) {
		struct notification *next = pairs->alarm_sibling;

		pairs->alarm_sibling = NULL;
		h = meld(h, pairs);
		pairs = next;
	}
	return h;
}

/* Take n, armed, out of the heap. */
static void heap_remove(struct notification *n)
{
	struct notification *rest = merge_pairs(n->alarm_child);

	if (n == heap) {
		heap = rest;
	} else {
		if (n->alarm_prev->alarm_child == n)
			n->alarm_prev->alarm_child = n->alarm_sibling;
		else
			n->alarm_prev->alarm_sibling = n->alarm_sibling;
		if (n->alarm_sibling != NULL)
			n->alarm_sibling->alarm_prev = n->alarm_prev;
		heap = meld(heap, rest);
	}
	if (heap != NULL)
		heap->alarm_prev = NULL;
	n->alarm_child = n->alarm_sibling = n->alarm_prev = NULL;
	n->alarm_at = 0;
}

void alarm_set(struct notification *n, uint64_t at, uint64_t bits)
{
	alarm_cancel(n);
	n->alarm_at = at; /* Never 0: the invocation takes 0 as "cancel". */
	n->alarm_bits = bits;
	heap = meld(heap, n);
	arch_timer_wake_by(at);
}

void alarm_cancel(struct notification *n)
{
	if (n->alarm_at != 0)
		heap_remove(n);
}

uint64_t alarm_fire(uint64_t now)
{
	for (unsigned fired = 0; heap != NULL && heap->alarm_at <= now; fired++) {
		struct notification *n = heap;

		if (fired == ALARM_BURST)
			return now; /* More are due: the timer goes off again at once. */
		heap_remove(n);
		notification_signal(n, n->alarm_bits);
	}
	return heap != NULL ? heap->alarm_at : UINT64_MAX;
}
