/*
 * grantee: receives capabilities from the root task over IPC and uses them.
 * Its IPC buffer names CHILD_SLOT_RECEIVED of its own CNode as the place
 * for a granted capability. For every message it signals through that slot
 * and answers: MR0 the capabilities the message carried, MR1 the signal's
 * error, MR2 which of them were unwrapped to a badge, MR3 the first badge.
 */
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "children.h"

int main(uint64_t arg);

int main(uint64_t arg)
{
	struct mica_ipc_buffer *buf = mica_ipc_buffer();
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	struct mica_msg m;

	/* Depth 64: the CNode capability has the guard that makes slot numbers addresses. */
	buf->receive_cnode = CHILD_SLOT_CNODE;
	buf->receive_index = CHILD_SLOT_RECEIVED;
	buf->receive_depth = 64;
	printf("grantee: waiting for capabilities\n");
	m = mica_recv(CHILD_SLOT_SERVICE, CHILD_SLOT_REPLY, mr);
	for (;;) {
		unsigned caps = mica_msg_caps(m.info);
		unsigned unwrapped = mica_msg_unwrapped(m.info);
		enum mica_error err;

		if (m.err != MICA_OK) {
			printf("grantee: receive failed with error %d\n", m.err);
			m = mica_recv(CHILD_SLOT_SERVICE, CHILD_SLOT_REPLY, mr);
			continue;
		}
		err = mica_signal(CHILD_SLOT_RECEIVED);
		printf("grantee: message %lu brought %u capabilities; signalling through slot %d: "
		       "error %d\n",
		       (unsigned long)mica_msg_label(m.info), caps, CHILD_SLOT_RECEIVED, err);
		mr[0] = caps;
		mr[1] = (uint64_t)err;
		mr[2] = unwrapped;
		mr[3] = unwrapped != 0 ? buf->badges[0] : 0;
		m = mica_reply_recv(CHILD_SLOT_SERVICE, CHILD_SLOT_REPLY, mica_msg_info(0, 0, 4),
				    mr);
	}
}
