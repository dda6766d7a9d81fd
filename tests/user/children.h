/*
 * What the root tasks of the process tests (procs.c, grant.c, isolation.c)
 * and the child programs they start (pong.c, ping.c, grantee.c, snoop.c)
 * agree on: the slots of a child's CNode, message labels and addresses.
 * process_create gives every child a guarded CNode, so a slot number is the
 * capability address that names it.
 */
#ifndef MICA_TESTS_CHILDREN_H
#define MICA_TESTS_CHILDREN_H

#include <mica/sys.h>

#include <stdint.h>

enum child_slot {
	CHILD_SLOT_SERVICE = 1,	 /* An endpoint: pong and grantee receive, ping calls. */
	CHILD_SLOT_REPLY = 2,	 /* The reply object a server receives with. */
	CHILD_SLOT_REPORT = 3,	 /* An endpoint to Call the root task with results. */
	CHILD_SLOT_CNODE = 4,	 /* The child's own CNode, to receive capabilities into. */
	CHILD_SLOT_RECEIVED = 10 /* Where grantee's received capability lands. */
};

enum child_label {
	LABEL_PING = 1, /* ping -> pong: MR0 a number; the answer is MR0 + 1, MR1 the badge. */
	LABEL_PONG_COUNT = 2, /* Anyone -> pong: MR0 of the answer is the pings served. */
	LABEL_REPORT = 3      /* A child -> the root: results in MR0.. (see each child). */
};

/* ping's start argument: the badge its endpoint capability carries, and how many calls. */
#define PING_ARG(badge, calls) (((uint64_t)(badge) << 32) | (uint32_t)(calls))

/*
 * isolation.c: the root task keeps a secret in a page at SNOOP_ROOT_VA, and
 * a second process one at SNOOP_SIBLING_VA; snoop has neither mapped.
 */
#define SNOOP_ROOT_VA	 UINT64_C(0x0000001000000000)
#define SNOOP_SIBLING_VA UINT64_C(0x0000001000200000)

/*
 * Report to the root task and stop: the root task never answers the call,
 * so the child stays blocked for good, having done its part.
 */
static inline void child_report_and_stop(uint64_t mr[MICA_MSG_REGISTERS], unsigned length)
{
	(void)mica_call(CHILD_SLOT_REPORT, mica_msg_info(LABEL_REPORT, 0, length), mr);
	for (;;)
		mica_yield(); /* Only if the root task answered after all. */
}

#endif
