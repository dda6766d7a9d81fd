/*
 * pong: a server in its own address space, started by a root task through
 * <mica/process.h>. It answers each LABEL_PING call with MR0 + 1 and the
 * caller's badge in MR1, so a client can check both the data and that the
 * kernel told callers apart; LABEL_PONG_COUNT asks how many pings it served.
 * It serves until its process is destroyed.
 */
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "children.h"

int main(uint64_t arg);

int main(uint64_t arg)
{
	uint64_t mr[MICA_MSG_REGISTERS] = {0};
	uint64_t served = 0;
	struct mica_msg m;

	printf("pong: serving (start argument %lu)\n", (unsigned long)arg);
	m = mica_recv(CHILD_SLOT_SERVICE, CHILD_SLOT_REPLY, mr);
	for (;;) {
		if (m.err != MICA_OK) {
			printf("pong: receive failed with error %d\n", m.err);
			m = mica_recv(CHILD_SLOT_SERVICE, CHILD_SLOT_REPLY, mr);
			continue;
		}
		if (mica_msg_label(m.info) == LABEL_PONG_COUNT) {
			mr[0] = served;
		} else {
			served++;
			mr[0] = mr[0] + 1;
		}
		mr[1] = m.badge;
		m = mica_reply_recv(CHILD_SLOT_SERVICE, CHILD_SLOT_REPLY, mica_msg_info(0, 0, 2),
				    mr);
	}
}
